"""Resolve what a bake acts on: the object, its head/neck bones, their rest frames and the character axes.

Terms (see docs/conventions.md):

* **Character basis** ``C``: 3×3 matrix whose columns are the character's right, forward and up axes in
  world coordinates at bake time.
* **Rest frame** ``B`` of a bone: world rotation of the bone's rest pose (armature object rotation @
  ``bone.matrix_local``); for a plain object, the rotation of ``parent.matrix_world @
  matrix_parent_inverse`` (identity without a parent). A local rotation ``L`` of the target shows in
  the world as ``B @ L``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import bpy
import numpy as np

from ..core.errors import TargetError
from ..core.rig.chain import character_basis
from ..core.rig.matching import BoneInfo, match_head_and_neck

#: World axes offered as facing overrides.
FACING_VECTORS = {
    "-Y": (0.0, -1.0, 0.0),
    "+Y": (0.0, 1.0, 0.0),
    "-X": (-1.0, 0.0, 0.0),
    "+X": (1.0, 0.0, 0.0),
}

ROTATION_PATHS = {
    "QUATERNION": ("rotation_quaternion", 4),
    "AXIS_ANGLE": ("rotation_axis_angle", 4),
}


def rotation_channel(rotation_mode: str) -> tuple[str, int]:
    """(property name, number of channels) that hold the rotation for a Blender ``rotation_mode``."""
    return ROTATION_PATHS.get(rotation_mode, ("rotation_euler", 3))


@dataclass
class Joint:
    """One thing that receives rotation keys: a pose bone, or the object itself (``bone`` is None)."""

    bone: str | None
    rest_world: np.ndarray  # (3,3) rest frame B
    rotation_mode: str

    @property
    def data_path_prefix(self) -> str:
        return f'pose.bones["{bpy.utils.escape_identifier(self.bone)}"].' if self.bone else ""

    @property
    def group(self) -> str:
        return self.bone or "Object Transforms"


@dataclass
class Target:
    """A resolved bake target: the object, its joints (neck chain first, head last) and the axes."""

    obj: bpy.types.Object
    joints: list[Joint]
    basis: np.ndarray  # (3,3) character basis C, columns right/forward/up in world
    convention: str = "object"
    notes: list[str] = field(default_factory=list)

    @property
    def head(self) -> Joint:
        return self.joints[-1]

    @property
    def necks(self) -> list[Joint]:
        return self.joints[:-1]


def _rotation3(matrix) -> np.ndarray:
    """Rotation part of a mathutils matrix (scale and shear removed), as a (3,3) numpy array."""
    return np.array(matrix.to_quaternion().to_matrix(), dtype=np.float64)


def _check_editable(obj: bpy.types.Object) -> None:
    """Raise TargetError when ``obj`` cannot receive animation (linked, or a non-editable override)."""
    if obj.library is not None:
        raise TargetError(
            f"'{obj.name}' is linked from '{obj.library.filepath}' and cannot be animated here. "
            "Make it a library override (Object > Library Override > Make) and bake onto the override."
        )
    override = obj.override_library
    if override is not None and override.is_system_override:
        raise TargetError(
            f"'{obj.name}' is a non-editable library override. Make it editable "
            "(Outliner > Library Override > Make Editable) before baking."
        )


def _snap_axis(v: np.ndarray) -> np.ndarray:
    """The signed coordinate axis closest to ``v``."""
    i = int(np.argmax(np.abs(v)))
    out = np.zeros(3)
    out[i] = np.sign(v[i]) or 1.0
    return out


def _armature_rest_axes(
    obj: bpy.types.Object, head: str, eyes: tuple[str, str] | None
) -> tuple[np.ndarray, np.ndarray]:
    """(forward, up) of a character in the armature's own space, from its rest pose.

    Up: the coordinate axis closest to the head bone's direction. Forward: toward the eyes when eye bones
    exist; otherwise the usual convention for that up axis (-Y for Z-up rigs, +Z for Y-up rigs as
    exported from FBX/glTF tools).
    """
    bones = obj.data.bones
    hb = bones[head]
    up = _snap_axis(np.array(hb.tail_local, dtype=np.float64) - np.array(hb.head_local, dtype=np.float64))
    if eyes is not None:
        mid = 0.5 * (np.array(bones[eyes[0]].head_local) + np.array(bones[eyes[1]].head_local))
        offset = mid - np.array(hb.head_local)
        offset -= up * offset.dot(up)
        if np.linalg.norm(offset) > 1e-4:
            return _snap_axis(offset), up
    if abs(up[2]) > 0.5:
        forward = np.array([0.0, -1.0, 0.0])
    elif up[1] > 0.5:
        forward = np.array([0.0, 0.0, 1.0])
    else:
        forward = np.array([0.0, -1.0, 0.0])
    return forward, up


def _world_basis(obj_rot: np.ndarray, forward_local: np.ndarray, up_local: np.ndarray, facing: str) -> np.ndarray:
    up = obj_rot @ up_local
    if facing != "AUTO":
        forward = np.array(FACING_VECTORS[facing])
        up = np.array([0.0, 0.0, 1.0])
    else:
        forward = obj_rot @ forward_local
    return character_basis(forward, up)


def bone_infos(armature: bpy.types.Armature) -> list[BoneInfo]:
    """Bone facts for :func:`core.rig.matching.match_head_and_neck`."""
    return [
        BoneInfo(name=b.name, parent=b.parent.name if b.parent else None, deform=b.use_deform, length=b.length)
        for b in armature.bones
    ]


def resolve_target(
    obj: bpy.types.Object | None,
    head_bone: str = "",
    neck_bones: str | list[str] = "",
    facing: str = "AUTO",
    use_necks: bool = False,
) -> Target:
    """Find the joints and axes of ``obj``; raise :class:`TargetError` with a clear message if impossible.

    ``head_bone``/``neck_bones`` override detection (empty: detect by scored bone-name matching). Neck bones
    are only returned when ``use_necks`` (a neck share > 0 is asked for). ``facing``: "AUTO" or one of
    :data:`FACING_VECTORS`.
    """
    if obj is None:
        raise TargetError("No target: select the character (armature) or object to animate.")
    _check_editable(obj)
    if facing != "AUTO" and facing not in FACING_VECTORS:
        raise TargetError(f"Unknown facing '{facing}'; use AUTO or one of {', '.join(FACING_VECTORS)}.")
    obj_rot = _rotation3(obj.matrix_world)
    if obj.type != "ARMATURE":
        parent = obj.parent
        rest = _rotation3(parent.matrix_world @ obj.matrix_parent_inverse) if parent is not None else np.eye(3)
        basis = _world_basis(np.eye(3), np.array([0.0, -1.0, 0.0]), np.array([0.0, 0.0, 1.0]), facing)
        return Target(obj, [Joint(None, rest, obj.rotation_mode)], basis)

    bones = obj.data.bones
    if len(bones) == 0:
        raise TargetError(f"The armature '{obj.name}' has no bones.")
    match = match_head_and_neck(bone_infos(obj.data))
    head = head_bone.strip() or match.head
    if not head:
        raise TargetError(
            f"No head bone found in '{obj.name}'. Pick the head bone in the Head Motion panel (Rig > Head Bone)."
        )
    if head not in bones:
        raise TargetError(f"The armature '{obj.name}' has no bone named '{head}'.")
    if isinstance(neck_bones, str):
        neck_names = [n.strip() for n in neck_bones.split(",") if n.strip()]
    else:
        neck_names = list(neck_bones)
    if not neck_names and head == match.head:
        neck_names = list(match.necks)
    missing = [n for n in neck_names if n not in bones]
    if missing:
        raise TargetError(f"The armature '{obj.name}' has no bone named '{missing[0]}'.")
    if not use_necks:
        neck_names = []
    forward_local, up_local = _armature_rest_axes(obj, head, match.eyes)
    basis = _world_basis(obj_rot, forward_local, up_local, facing)
    joints = [
        Joint(name, obj_rot @ _rotation3(bones[name].matrix_local), obj.pose.bones[name].rotation_mode)
        for name in [*neck_names, head]
    ]
    return Target(obj, joints, basis, convention=match.convention)
