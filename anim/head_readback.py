"""Read the head motion that is on a character back as a pose track (for exports such as FLAME).

For every frame the scene is evaluated and the head joint's world rotation ``P`` is compared with its rest
``B`` (world space): ``W = P Bᵀ`` is the world head rotation, ``R = Cᵀ W C`` the same rotation in the
character frame ``C`` (right, forward, up; see docs/conventions.md), and its yaw/pitch/roll in DEGREES are
the track. This is the inverse of a bake with any neck share: whatever animation moves the head (a Head
Motion bake, hand keys, mocap) is read as it plays.
"""

from __future__ import annotations

import bpy
import numpy as np

from ..core.errors import SettingsError
from ..core.rotation import character_angles
from ..core.track import PoseTrack
from .bake import scene_fps
from .target import resolve_target


def _rotation(matrix) -> np.ndarray:
    return np.array(matrix.to_3x3().normalized(), dtype=np.float64)


def head_track(obj: bpy.types.Object, frame_start: int, frame_end: int, scene: bpy.types.Scene | None = None,
               head_bone: str = "", facing: str = "AUTO") -> PoseTrack:
    """The head's rotation relative to its rest pose, per frame of ``frame_start..frame_end`` (inclusive),
    at the scene's frame rate. The scene's current frame is restored afterwards."""
    scene = scene or bpy.context.scene
    if frame_end < frame_start:
        raise SettingsError(f"The frame range {frame_start}-{frame_end} is empty.")
    target = resolve_target(obj, head_bone, "", facing)
    head = target.head
    basis = target.basis
    current = scene.frame_current
    rotations = []
    try:
        for frame in range(frame_start, frame_end + 1):
            scene.frame_set(frame)
            posed = obj.matrix_world @ obj.pose.bones[head.bone].matrix if head.bone else obj.matrix_world
            rotations.append(_rotation(posed) @ head.rest_world.T)
    finally:
        scene.frame_set(current)
    world = np.stack(rotations)
    yaw, pitch, roll = character_angles(basis.T @ world @ basis)
    meta = {"source": "blender", "object": obj.name, "joint": head.bone or obj.name}
    return PoseTrack(yaw, pitch, roll, scene_fps(scene), frame_start, meta=meta).validate()
