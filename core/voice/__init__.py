"""Voice stage: decode audio files, per-frame audio features, voice activity (speech mask) and accents."""
