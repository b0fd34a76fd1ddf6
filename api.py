"""Head Motion's scripting API: everything a Python script or a batch job needs, in one module.

Use it from any script in Blender once the extension is enabled::

    from bl_ext.user_default.head_motion import api   # "user_default": the repository it was installed in

    track = api.generate_synthetic(250, fps=24.0, settings=api.preset_settings("CONVERSATIONAL", seed=3))
    api.bake_track(bpy.data.objects["Armature"], track, api.BakeOptions(neck_share=0.3))

Conventions: angles in degrees (yaw > 0 turns the face to the character's left, pitch > 0 raises the
chin, roll > 0 tilts the head toward the character's right shoulder), times in seconds, frames in scene
frames. See docs/conventions.md.
"""

from __future__ import annotations

import os

import bpy

from .anim import audio as _audio
from .anim.bake import BakeOptions, BakeResult, bake_track, clear_bake, scene_fps
from .anim.sample_character import build_sample_character
from .anim.target import Target, resolve_target
from .core.errors import Cancelled, HeadMotionError, MediaError, NoFaceError, SettingsError, TargetError, TrackError
from .core.motion.builder import MotionSpec
from .core.motion.builder import build_motion as _build_motion
from .core.motion.style import Style, load_style, save_style
from .core.motion.synthetic import PRESETS, SyntheticSettings, generate_synthetic, preset_settings
from .core.track import PoseTrack
from .core.video import EstimationResult, EstimationSettings
from .core.voice.decode import AudioClip


def load_audio(path: str | os.PathLike, sample_rate: int = 16000) -> AudioClip:
    """Decode the sound of an audio or video file to mono float32 at ``sample_rate`` Hz."""
    return _audio.load_audio(path, sample_rate)


def build_motion(
    spec: MotionSpec,
    voice: str | os.PathLike | AudioClip | None = None,
    scene: bpy.types.Scene | None = None,
    start_frame: int = 1,
    n_frames: int | None = None,
    voice_start_frame: float | None = None,
) -> PoseTrack:
    """The motion ``spec`` describes (the panel's and the batch command's options), at the scene's frame rate.

    ``voice``: an audio/video file or an :class:`AudioClip` whose first sample plays at ``voice_start_frame``
    (default ``start_frame``); with a voice the track covers it unless ``n_frames`` is given.
    """
    clip = voice if isinstance(voice, AudioClip) or voice is None else load_audio(voice)
    fps = scene_fps(scene or bpy.context.scene)
    return _build_motion(spec, fps, start_frame, n_frames, clip, voice_start_frame)


def motion_for_voice(
    voice: str | os.PathLike | AudioClip,
    settings: SyntheticSettings | None = None,
    scene: bpy.types.Scene | None = None,
    start_frame: int = 1,
    n_frames: int | None = None,
    accent_intensity: float = 1.0,
    use_silence: bool = True,
) -> PoseTrack:
    """Synthetic motion that follows a voice: moves while talking, settles in pauses, nods on stresses.

    ``voice``: an audio/video file or an :class:`AudioClip` whose first sample plays at ``start_frame``;
    ``settings`` default to the Conversational preset; the track is at the scene's frame rate and covers
    the voice unless ``n_frames`` is given. Same as :func:`build_motion` with a synthetic :class:`MotionSpec`.
    """
    spec = MotionSpec(settings=settings, use_silence=use_silence, accent_intensity=accent_intensity)
    return build_motion(spec, voice, scene, start_frame, n_frames)


def posegan_for_voice(
    voice: str | os.PathLike | AudioClip,
    model_path: str | os.PathLike | None = None,
    intensity: float = 1.0,
    scene: bpy.types.Scene | None = None,
    start_frame: int = 1,
    n_frames: int | None = None,
) -> PoseTrack:
    """Head motion from a voice with a PoseGAN model (default: the bundled one), at the scene's frame rate."""
    spec = MotionSpec(method="posegan", intensity=intensity, posegan_model=str(model_path) if model_path else None)
    return build_motion(spec, voice, scene, start_frame, n_frames)


def estimate_video(
    path: str | os.PathLike,
    settings: EstimationSettings | None = None,
    progress=None,
    use_cache: bool = True,
) -> EstimationResult:
    """Head pose (yaw/pitch/roll in degrees, relative to the neutral pose) of the person in a video.

    ``progress(done_frames, total_frames)`` is called as frames are read. Results are cached per file and
    settings in the extension's user folder unless ``use_cache`` is False. Use
    ``result.to_pose_track(start_frame)`` to bake it.
    """
    from .anim.user_data import keep_library_caches_private
    from .anim.video import cache_dir
    from .core.video import estimate_video as _estimate
    from .core.video import estimate_video_cached

    keep_library_caches_private()
    if use_cache:
        return estimate_video_cached(path, settings, cache_dir(), progress=progress)
    return _estimate(path, settings, progress=progress)


def learn_style(source: str | os.PathLike | EstimationResult | PoseTrack, name: str = "") -> Style:
    """Fit the synthetic generator to a speaker: from a video file, an estimate, or a pose track."""
    from .core.motion.style_fit import fit_style, style_from_estimate

    if isinstance(source, PoseTrack):
        return fit_style(source, name=name)
    result = source if isinstance(source, EstimationResult) else estimate_video(source)
    return style_from_estimate(result, name)


def load_track(path: str) -> PoseTrack:
    """Read a pose track from a .csv or .json file (yaw/pitch/roll in degrees per frame)."""
    return PoseTrack.load(path)


def save_track(track: PoseTrack, path: str) -> None:
    """Write ``track`` to a .csv or .json file."""
    track.save(path)


__all__ = [
    "PRESETS",
    "AudioClip",
    "BakeOptions",
    "BakeResult",
    "Cancelled",
    "EstimationResult",
    "EstimationSettings",
    "HeadMotionError",
    "MediaError",
    "MotionSpec",
    "NoFaceError",
    "PoseTrack",
    "SettingsError",
    "Style",
    "SyntheticSettings",
    "Target",
    "TargetError",
    "TrackError",
    "bake_track",
    "build_motion",
    "build_sample_character",
    "clear_bake",
    "estimate_video",
    "generate_synthetic",
    "learn_style",
    "load_audio",
    "load_style",
    "load_track",
    "motion_for_voice",
    "posegan_for_voice",
    "preset_settings",
    "resolve_target",
    "save_style",
    "save_track",
    "scene_fps",
]
