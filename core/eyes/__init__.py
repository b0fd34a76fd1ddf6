"""The eye layer that goes with the head motion: blinks, saccades, eye-head coordination (pure numpy).

Modules, one job each:

* :mod:`.settings`: :class:`EyeSettings` (presets, rates, aversion, intensity, seed, gaze mode) and validation.
* :mod:`.saccades`: the saccadic main sequence and the rendering of step sequences into per-frame angles.
* :mod:`.blinks`: blink times (rate by speaking state, clustered at pauses, gaze shifts and head turns) and
  the lid-closure shape of each blink.
* :mod:`.gaze`: gaze aversions, fixations, micro-saccades and the geometry that turns a gaze point into
  eye-in-head angles given the head's rotation (vestibulo-ocular reflex).
* :mod:`.track`: :class:`EyeTrack`, the per-frame result (eye angles, lid closure, events), and its files.
* :mod:`.generator`: :func:`generate_eyes`, the one entry point (head track + settings [+ target] -> EyeTrack).
* :mod:`.channels`: rig-facing outputs: blink/gaze shape-key names of the rig families and their values.

Angles are degrees in the head's character frame (right, forward, up): eye yaw > 0 turns the eye toward the
character's own left, eye pitch > 0 looks up. Times are seconds; frames are 0-based indices into the tracks.
"""

from .generator import GazeTarget, generate_eyes
from .settings import EYE_PRESETS, GAZE_MODES, EyeSettings, eye_preset
from .track import EyeTrack

__all__ = ["EYE_PRESETS", "GAZE_MODES", "EyeSettings", "EyeTrack", "GazeTarget", "eye_preset", "generate_eyes"]
