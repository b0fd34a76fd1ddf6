"""Interchange formats: FLAME pose parameters (Gaussian-splat / FLAME head avatars) and Live Link Face CSV.

Everything converts to and from the add-on's own :class:`~core.track.PoseTrack` (degrees, character frame
right/forward/up, see docs/conventions.md); eye rotations and ARKit blendshape weights travel alongside in
:class:`MotionData`. Axis conversions and sign conventions are documented in each module and in
docs/interop.md.
"""

from __future__ import annotations

from .flame import export_flame, flame_params, load_flame, save_flame
from .livelink import ARKIT_BLENDSHAPES, LiveLinkOptions, load_live_link, parse_live_link
from .motion import MotionData
from .motion_file import MOTION_EXTENSIONS, load_motion, load_motion_file, motion_format

__all__ = [
    "ARKIT_BLENDSHAPES",
    "MOTION_EXTENSIONS",
    "LiveLinkOptions",
    "MotionData",
    "export_flame",
    "flame_params",
    "load_flame",
    "load_live_link",
    "load_motion",
    "load_motion_file",
    "motion_format",
    "parse_live_link",
    "save_flame",
]
