"""Property groups -> core settings: what the panels describe, as the dataclasses the core and the bake take
(:class:`~core.motion.builder.MotionSpec`, :class:`~anim.bake.BakeOptions`,
:class:`~core.video.EstimationSettings`), plus the target object and the frame range. Reads only."""

from __future__ import annotations

import bpy

from ..anim.bake import BakeOptions
from ..core.errors import SettingsError
from ..core.motion.builder import MotionSpec
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
    """EstimationSettings from the Reference Video panel."""
    s = scene.head_motion
    return EstimationSettings(
        fov_deg=s.video_fov,
        mirror=s.video_mirror,
        stabiliser=s.video_stabiliser,
        gaussian_sigma_frames=s.video_smoothing,
        neutral="median" if s.video_neutral_frame < 0 else int(s.video_neutral_frame),
    )


def motion_spec(scene: bpy.types.Scene, method: str = "synthetic") -> MotionSpec:
    """The MotionSpec the Motion, Voice, Silence and PoseGAN panels describe (``method``: synthetic or posegan)."""
    s = scene.head_motion
    style = None
    if s.style:
        from ..anim.user_data import style_path
        from ..core.motion.style import load_style

        path = style_path(s.style)
        if not path.exists():
            raise SettingsError(f"No saved style named '{s.style}' (looked for {path}).")
        style = load_style(path)
    posegan = method == "posegan"
    return MotionSpec(
        method=method,
        preset=s.preset,
        style=style,
        intensity=s.posegan_intensity if posegan else s.intensity,
        seed=s.seed,
        axis_scale=(s.yaw_scale, s.pitch_scale, s.roll_scale),
        tempo=s.tempo,
        use_silence=s.silence_source != "NONE",
        accent_intensity=s.accent_intensity if s.use_accents else 0.0,
        posegan_model=bpy.path.abspath(s.posegan_model) if s.posegan_model else None,
    ).validate()
