"""Motion stage: head-motion sources (synthetic generator, speech-driven motion, styles, PoseGAN) and the
silence settle that calms them in pauses."""
