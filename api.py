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
from .core.motion.posegan import DEFAULT_INTENSITY as POSEGAN_DEFAULT_INTENSITY
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
    # A file is decoded once into the voice cache and read block by block (never whole in memory).
    clip = voice if isinstance(voice, AudioClip) or voice is None else _audio.load_voice(voice)
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
    intensity: float = POSEGAN_DEFAULT_INTENSITY,
    scene: bpy.types.Scene | None = None,
    start_frame: int = 1,
    n_frames: int | None = None,
    style: Style | None = None,
) -> PoseTrack:
    """Head motion from a voice with a PoseGAN model (default: the bundled one), at the scene's frame rate.

    ``style``: a learned :class:`Style` (:func:`learn_style`) whose speaker the motion should move like (the model
    is conditioned on its statistics; no training). ``intensity`` 1 = real speakers' amplitude (the panel's default).
    """
    spec = MotionSpec(method="posegan", intensity=intensity, style=style,
                      posegan_model=str(model_path) if model_path else None)
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


# -- interchange formats: FLAME pose parameters, Live Link Face, motion files (docs/interop.md) -------------------

from .core.interop import LiveLinkOptions, MotionData, load_motion, load_motion_file  # noqa: E402


def export_flame(
    source: PoseTrack | MotionData | bpy.types.Object,
    path: str | os.PathLike,
    fps: float | None = None,
    global_share: float = 0.0,
    frame_range: tuple[int, int] | None = None,
    scene: bpy.types.Scene | None = None,
):
    """Write FLAME pose parameters (``.npz`` GaussianAvatars layout, or per-frame ``.json``); returns the path.

    ``source``: a track (generated or loaded; a :class:`MotionData` also carries eyes), or an object whose
    head motion is read back over ``frame_range`` (default: the scene's range) as it plays. ``fps``: resample
    to this frame rate. ``global_share``: part of the turn in FLAME's global ``rotation`` (which turns the
    shoulders too); the rest is ``neck_pose``.
    """
    from .core.interop.flame import export_flame as _export

    if isinstance(source, bpy.types.Object):
        from .anim.head_readback import head_track

        scene = scene or bpy.context.scene
        start, end = frame_range or (scene.frame_start, scene.frame_end)
        rig = getattr(source, "head_motion", None)
        source = head_track(source, start, end, scene, rig.head_bone if rig else "", rig.facing if rig else "AUTO")
    return _export(source, path, fps, global_share)


def bake_livelink_shapes(
    obj: bpy.types.Object,
    source: str | os.PathLike | MotionData,
    scene: bpy.types.Scene | None = None,
    start_frame: int | None = None,
):
    """Key the ARKit-named shape keys of the mesh ``obj`` from a Live Link Face take (a path or loaded data),
    in a new shape-key action; returns ``anim.shape_keys.ShapeKeyBakeResult`` (``keys``, ``unmatched``...)."""
    from .anim.shape_keys import bake_shape_keys

    scene = scene or bpy.context.scene
    data = source if isinstance(source, MotionData) else load_motion(source, scene_fps(scene))
    if not data.blendshapes:
        raise TrackError("This motion has no blendshapes (a Live Link Face take has 52).")
    start = data.track.start_frame if start_frame is None else int(start_frame)
    return bake_shape_keys(obj, data.blendshapes, data.track.fps, start, scene)


__all__ += [
    "LiveLinkOptions",
    "MotionData",
    "bake_livelink_shapes",
    "export_flame",
    "load_motion",
    "load_motion_file",
]


# -- Eyes: blinks, saccades and gaze that go with the head motion (docs/eyes.md) --------------------------------

from .anim.eyes import EyeBakeOptions, EyeBakeResult  # noqa: E402
from .anim.eyes import bake_eyes as _bake_eyes  # noqa: E402
from .anim.eyes import clear_eyes as _clear_eyes  # noqa: E402
from .core.eyes import EYE_PRESETS, EyeSettings, EyeTrack, GazeTarget, eye_preset  # noqa: E402
from .core.eyes import generate_eyes as _generate_eyes  # noqa: E402


def generate_eyes(head: PoseTrack, settings: EyeSettings | None = None, target: GazeTarget | None = None,
                  speech=None) -> EyeTrack:
    """Blinks and gaze for a head track (any source), without Blender data: an :class:`EyeTrack` with per-frame
    eye yaw/pitch (degrees, in the head, [left, right]), lid closure (0 open .. 1 shut) and the blink and saccade
    events. ``target``: positions in the character frame for eye contact (:class:`GazeTarget`); without one the
    eyes hold a point far straight ahead. ``speech``: per-frame speaking weight (default ``head.speech``)."""
    return _generate_eyes(head, settings, target, speech)


def bake_eyes(obj: bpy.types.Object, head_track: PoseTrack | None = None, options: EyeBakeOptions | None = None,
              scene: bpy.types.Scene | None = None, speech=None) -> EyeBakeResult:
    """Generate and bake eyes on ``obj``: eye bones (or the controls they aim at), upper-lid bones (or Rigify's lid
    controls), eye objects and blink/gaze shape keys found by name (docs/eyes.md).

    ``head_track``: the head motion just baked (e.g. :func:`bake_track`'s input); None reads the head's motion from
    the scene over its frame range. ``options.target``: object to keep eye contact with (default the scene
    camera). Raises :class:`HeadMotionError` with nothing changed for bad input (no eyes, linked shape keys, a
    target on the character)."""
    return _bake_eyes(obj, head_track, options, scene, speech)


def bake_eye_track(obj: bpy.types.Object, eyes: EyeTrack, head_track: PoseTrack | None = None,
                   options: EyeBakeOptions | None = None, scene: bpy.types.Scene | None = None) -> EyeBakeResult:
    """Bake a given :class:`EyeTrack` (e.g. :func:`eyes_from_landmarks`'s, or a saved one) instead of generating."""
    return _bake_eyes(obj, head_track, options, scene, eye_track=eyes)


def eyes_from_landmarks(landmarks, found, fps: float, mirror: bool = False, start_frame: int = 1) -> EyeTrack:
    """Blinks and gaze of a person in a video from FaceMesh landmarks with irises ((N, 478, 2) pixels per frame,
    ``found`` (N,) flags), relative to the person's neutral (:mod:`core.video.eye_signals`)."""
    from .core.video.eye_signals import eye_signals

    return eye_signals(landmarks, found, fps, mirror).to_eye_track(start_frame)


def clear_eyes(obj: bpy.types.Object) -> int:
    """Undo eye bakes on ``obj`` (shape keys get their actions back, eye channels their source keys)."""
    return _clear_eyes(obj)


__all__ += [
    "EYE_PRESETS",
    "EyeBakeOptions",
    "EyeBakeResult",
    "EyeSettings",
    "EyeTrack",
    "GazeTarget",
    "bake_eye_track",
    "bake_eyes",
    "clear_eyes",
    "eye_preset",
    "eyes_from_landmarks",
    "generate_eyes",
]
