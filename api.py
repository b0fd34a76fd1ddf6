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

from .anim.bake import BakeOptions, BakeResult, bake_track, clear_bake, scene_fps
from .anim.sample_character import build_sample_character
from .anim.target import Target, resolve_target
from .core.errors import HeadMotionError, SettingsError, TargetError, TrackError
from .core.synthetic import PRESETS, SyntheticSettings, generate_synthetic, preset_settings
from .core.track import PoseTrack


def load_track(path: str) -> PoseTrack:
    """Read a pose track from a .csv or .json file (yaw/pitch/roll in degrees per frame)."""
    return PoseTrack.load(path)


def save_track(track: PoseTrack, path: str) -> None:
    """Write ``track`` to a .csv or .json file."""
    track.save(path)


__all__ = [
    "PRESETS",
    "BakeOptions",
    "BakeResult",
    "HeadMotionError",
    "PoseTrack",
    "SettingsError",
    "SyntheticSettings",
    "Target",
    "TargetError",
    "TrackError",
    "bake_track",
    "build_sample_character",
    "clear_bake",
    "generate_synthetic",
    "load_track",
    "preset_settings",
    "resolve_target",
    "save_track",
    "scene_fps",
]
