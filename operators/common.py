"""What every Head Motion operator shares: reading the panel settings and reporting errors."""

from __future__ import annotations

import dataclasses

import bpy
import numpy as np

from ..anim import fcurves
from ..anim.bake import BakeOptions
from ..core.errors import HeadMotionError, SettingsError, TargetError
from ..core.motion.synthetic import SyntheticSettings, preset_settings
from ..core.video import EstimationSettings


def target_object(context: bpy.types.Context) -> bpy.types.Object | None:
    """The object to animate: the panel's Target, else the active object."""
    settings = context.scene.head_motion
    return settings.target or context.active_object


def frame_range(scene: bpy.types.Scene) -> tuple[int, int]:
    """(first, last) frame to bake, inclusive; SettingsError when the range is empty."""
    settings = scene.head_motion
    start, end = (scene.frame_start, scene.frame_end) if settings.use_scene_range else (
        settings.frame_start, settings.frame_end)
    if end < start:
        raise SettingsError(f"The frame range {start}-{end} is empty: the last frame is before the first.")
    return start, end


def bake_options(obj: bpy.types.Object, scene: bpy.types.Scene) -> BakeOptions:
    """BakeOptions from the scene settings and the object's rig settings."""
    settings = scene.head_motion
    rig = obj.head_motion
    return BakeOptions(
        mode=settings.bake_mode,
        head_bone=rig.head_bone,
        neck_bones=rig.neck_bones,
        neck_share=rig.neck_share,
        facing=rig.facing,
        key_tolerance_deg=settings.key_tolerance if settings.use_key_reduction else None,
    )


def estimation_settings(scene: bpy.types.Scene) -> EstimationSettings:
    """EstimationSettings from the panel."""
    s = scene.head_motion
    return EstimationSettings(
        fov_deg=s.video_fov,
        mirror=s.video_mirror,
        stabiliser=s.video_stabiliser,
        gaussian_sigma_frames=s.video_smoothing,
        neutral="median" if s.video_neutral_frame < 0 else int(s.video_neutral_frame),
    )


def synthetic_settings(scene: bpy.types.Scene) -> SyntheticSettings:
    """The generator settings the panel describes: a preset, scaled per axis and in tempo."""
    s = scene.head_motion
    if s.style:
        from ..anim.user_data import style_path
        from ..core.motion.style import load_style

        path = style_path(s.style)
        if not path.exists():
            raise SettingsError(f"No saved style named '{s.style}' (looked for {path}).")
        base = load_style(path).settings_for(s.intensity, s.seed)
    else:
        base = preset_settings(s.preset, intensity=s.intensity, seed=s.seed)

    def scaled(axis, amplitude_scale: float):
        lo, hi = axis.amplitude_deg
        plo, phi = axis.period_s
        return dataclasses.replace(axis, amplitude_deg=(lo * amplitude_scale, hi * amplitude_scale),
                                   period_s=(plo / s.tempo, phi / s.tempo))

    return dataclasses.replace(
        base,
        yaw=scaled(base.yaw, s.yaw_scale),
        pitch=scaled(base.pitch, s.pitch_scale),
        roll=scaled(base.roll, s.roll_scale),
    )


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


def voice_source(scene: bpy.types.Scene) -> tuple[str, float] | None:
    """(file, frame where the file's first sample plays) of the voice chosen in the panel, or None."""
    s = scene.head_motion
    if s.voice_input == "FILE":
        if not s.voice_path:
            raise SettingsError("Voice: choose an audio or video file (or set Voice to None).")
        return bpy.path.abspath(s.voice_path), float(s.voice_start_frame)
    if s.voice_input == "STRIP":
        from ..anim.audio import strip_source

        path, start = strip_source(scene, s.voice_strip)
        return str(path), start
    return None


def video_lip_speech(scene: bpy.types.Scene, start: int, n_frames: int) -> np.ndarray:
    """Speech mask for frames ``start``… from the lip motion of the panel's (already analysed) reference video."""
    from ..anim.bake import scene_fps
    from ..anim.video import cached_estimate
    from ..core.timing import resample_signal

    s = scene.head_motion
    if not s.video_path:
        raise SettingsError("Silence from video lips: choose the reference video (Reference Video panel).")
    result = cached_estimate(bpy.path.abspath(s.video_path), estimation_settings(scene).validate())
    if result is None:
        raise SettingsError("Silence from video lips: analyse the video first (Reference Video › Bake From Video "
                            "or Learn Style).")
    return resample_signal(result.speech_mask(), result.fps, s.video_start_frame, scene_fps(scene), start,
                           n_frames)


def generate_track(scene: bpy.types.Scene, start: int, n_frames: int):
    """The synthetic track the panel describes for frames ``start``…, shaped by the voice and silence."""
    from ..anim.bake import scene_fps
    from ..core.motion.speech import SpeechMotionOptions
    from ..core.motion.synthetic import generate_synthetic

    s = scene.head_motion
    fps = scene_fps(scene)
    speech = None
    if s.silence_source == "CHANNEL":
        from ..core.motion.silence import speech_from_lip_signal

        signal = lip_channel_signal(scene, np.arange(start, start + n_frames, dtype=float))
        speech = speech_from_lip_signal(signal, fps)
    elif s.silence_source == "VIDEO":
        speech = video_lip_speech(scene, start, n_frames)
    voice = voice_source(scene)
    if voice is None:
        return generate_synthetic(n_frames, fps, synthetic_settings(scene), speech=speech, start_frame=start)
    from ..anim import audio

    clip = audio.load_audio(voice[0])
    options = SpeechMotionOptions(use_silence=s.silence_source != "NONE",
                                  accent_intensity=s.accent_intensity if s.use_accents else 0.0)
    return audio.motion_for_audio(clip, scene, synthetic_settings(scene), start, n_frames, voice[1], options,
                                  speech=speech)


def posegan_track(scene: bpy.types.Scene, start: int, n_frames: int):
    """PoseGAN motion from the panel's voice and model for frames ``start``… (SettingsError without a voice)."""
    voice = voice_source(scene)
    if voice is None:
        raise SettingsError("PoseGAN makes motion from a voice: import one in the Voice panel first.")
    from ..anim import audio

    s = scene.head_motion
    model = bpy.path.abspath(s.posegan_model) if s.posegan_model else None
    clip = audio.load_audio(voice[0])
    return audio.posegan_for_audio(clip, scene, start, n_frames, voice[1], model, s.posegan_intensity)


def report_errors(operator: bpy.types.Operator, fn) -> set[str]:
    """Run ``fn()``; report a HeadMotionError as an error and cancel (the scene is unchanged)."""
    try:
        message = fn()
    except HeadMotionError as exc:
        operator.report({"ERROR"}, str(exc))
        return {"CANCELLED"}
    if message:
        operator.report({"INFO"}, message)
    return {"FINISHED"}
