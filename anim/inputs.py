"""What the panels point at in the scene, read as motion inputs: the voice (file or sound strip, and the frame
its first sample plays), a lip-sync animation channel, and the reference video's lip motion. Reads only."""

from __future__ import annotations

import bpy
import numpy as np

from ..core.errors import SettingsError, TargetError
from ..core.video import EstimationSettings
from . import fcurves
from .bake import scene_fps


def voice_source(scene: bpy.types.Scene) -> tuple[str, float] | None:
    """(file, frame where the file's first sample plays) of the voice chosen in the panel, or None."""
    s = scene.head_motion
    if s.voice_input == "FILE":
        if not s.voice_path:
            raise SettingsError("Voice: choose an audio or video file (or set Voice to None).")
        return bpy.path.abspath(s.voice_path), float(s.voice_start_frame)
    if s.voice_input == "STRIP":
        from .audio import strip_source

        path, start = strip_source(scene, s.voice_strip)
        return str(path), start
    return None


def lip_channel_signal(scene: bpy.types.Scene, frames: np.ndarray) -> np.ndarray:
    """Per-frame values of the lip channel chosen in the panel (jaw bone channel, mouth shape key…)."""
    s = scene.head_motion
    obj = s.silence_object
    if obj is None or not s.silence_data_path:
        raise SettingsError("Silence from an animation channel: choose the lip object and its channel.")
    owners = [obj]
    if getattr(obj, "data", None) is not None and getattr(obj.data, "shape_keys", None) is not None:
        owners.append(obj.data.shape_keys)
    for owner in owners:
        fc = fcurves.find_fcurve(fcurves.channels_for(owner, create=False), s.silence_data_path, s.silence_index)
        if fc is not None:
            return fcurves.evaluate(fc, frames, 0.0)
    raise TargetError(
        f"'{obj.name}' has no animation on {s.silence_data_path}[{s.silence_index}]; "
        "bake or import the lip-sync first, or choose another channel."
    )


def video_lip_speech(scene: bpy.types.Scene, settings: EstimationSettings, start: int, n_frames: int) -> np.ndarray:
    """Speech mask for frames ``start``… from the lip motion of the panel's (already analysed) reference video."""
    from ..core.timing import resample_signal
    from .video import cached_estimate

    s = scene.head_motion
    if not s.video_path:
        raise SettingsError("Silence from video lips: choose the reference video (Reference Video panel).")
    result = cached_estimate(bpy.path.abspath(s.video_path), settings.validate())
    if result is None:
        raise SettingsError("Silence from video lips: analyse the video first (Reference Video › Bake From Video "
                            "or Learn Style).")
    regular = result.on_grid(result.speech_mask())  # by the frames' presentation times (variable rate too)
    return resample_signal(regular, result.fps, s.video_start_frame, scene_fps(scene), start, n_frames)


def speech_override(
    scene: bpy.types.Scene, settings: EstimationSettings, start: int, n_frames: int
) -> np.ndarray | None:
    """The speaking mask the Silence panel asks for instead of the voice's own (None: use the voice's)."""
    s = scene.head_motion
    if s.silence_source == "CHANNEL":
        from ..core.motion.silence import speech_from_lip_signal

        signal = lip_channel_signal(scene, np.arange(start, start + n_frames, dtype=float))
        return speech_from_lip_signal(signal, scene_fps(scene))
    if s.silence_source == "VIDEO":
        return video_lip_speech(scene, settings, start, n_frames)
    return None
