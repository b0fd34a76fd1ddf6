"""Resolve what a bake acts on: the object, its head/neck bones, their rest frames and the character axes.

Reads Blender data only: bone names and parents for :mod:`core.rig.matching`, rest positions (and a mesh
moving with the head) for :mod:`core.rig.frame`, which computes the character frame.

Terms (see docs/conventions.md):

* **Character basis** ``C``: 3×3 matrix whose columns are the character's right, forward and up axes in
  world coordinates at bake time.
* **Rest frame** ``B`` of a bone: world rotation of the bone's rest pose (armature object rotation @
  ``bone.matrix_local``); for a plain object, the rotation of ``parent.matrix_world @
  matrix_parent_inverse`` (identity without a parent). A local rotation ``L`` of the target shows in
  the world as ``B @ L``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import bpy
import numpy as np

from ..core.errors import TargetError
from ..core.rig.chain import character_basis
from ..core.rig.frame import CharacterFrame, RestBone, axis_label, character_frame
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
    inherits: float = 1.0  # share of the previous joint's rotation reaching this one (ChainJoint.inherits)

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
    frame: str = ""  # what the character basis was read from, in words (Detect shows it)
    eyes: tuple[str, str] | None = None  # the (left, right) eye bones the bone matcher found (armatures)

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


#: Constraints that, in their Replace mix mode, set a bone's rotation from their target instead of its parent.
_OVERRIDING = {"COPY_ROTATION", "COPY_TRANSFORMS", "CHILD_OF", "ARMATURE"}


def _follows(obj: bpy.types.Object, bone_name: str, previous: str) -> bool:
    """Is ``bone_name`` the bone ``previous`` or one of its descendants?"""
    bone = obj.data.bones.get(bone_name)
    return bone is not None and (bone.name == previous or previous in {b.name for b in bone.parent_recursive})


def _cuts(obj: bpy.types.Object, constraint, previous: str) -> bool:
    """Does ``constraint`` replace the rotation a bone inherits from ``previous``?"""
    if constraint.mute or constraint.influence <= 0.0 or constraint.type not in _OVERRIDING:
        return False
    if getattr(constraint, "mix_mode", "REPLACE") != "REPLACE":
        return False
    if constraint.type == "COPY_ROTATION" and not (constraint.use_x and constraint.use_y and constraint.use_z):
        return False
    if constraint.type == "ARMATURE":
        targets = [(t.target, t.subtarget) for t in constraint.targets]
    else:
        targets = [(constraint.target, getattr(constraint, "subtarget", ""))]
    return not all(target == obj and _follows(obj, sub, previous) for target, sub in targets)


def inherited_share(obj: bpy.types.Object, name: str, previous: str) -> tuple[float, str]:
    """(share, why) of bone ``previous``'s rotation that reaches bone ``name`` at rest: 1 for a plain
    descendant, less when a bone on the way does not inherit rotation or has a rotation-replacing constraint
    (e.g. Rigify's head follow), 0 when ``previous`` is not an ancestor."""
    share, why = 1.0, ""
    bone = obj.data.bones[name]
    while bone is not None and bone.name != previous:
        if not bone.use_inherit_rotation:
            return 0.0, f"'{bone.name}' does not inherit rotation"
        for constraint in obj.pose.bones[bone.name].constraints:
            if _cuts(obj, constraint, previous):
                share *= 1.0 - min(constraint.influence, 1.0)
                why = f"{constraint.type.replace('_', ' ').title()} on '{bone.name}'"
        bone = bone.parent
    if bone is None:
        return 0.0, f"'{previous}' is not a parent of '{name}'"
    return share, why


def _head_mesh_points(obj: bpy.types.Object, head: str) -> np.ndarray | None:
    """Rest positions (armature space) of mesh vertices that move with the head bone: meshes parented to
    that bone, or deformed by ``obj`` with at least half their weight in the head's vertex group."""
    to_armature = obj.matrix_world.inverted()
    points = []
    for mesh in bpy.data.objects:
        if mesh.type != "MESH":
            continue
        on_bone = mesh.parent == obj and mesh.parent_type == "BONE" and mesh.parent_bone == head
        deformed = any(m.type == "ARMATURE" and m.object == obj for m in mesh.modifiers)
        group = mesh.vertex_groups.get(head) if deformed else None
        if not on_bone and group is None:
            continue
        matrix = np.array(to_armature @ mesh.matrix_world, dtype=np.float64)
        co = np.empty(3 * len(mesh.data.vertices), dtype=np.float64)
        mesh.data.vertices.foreach_get("co", co)
        co = co.reshape(-1, 3)
        if not on_bone:
            index = group.index
            keep = [any(g.group == index and g.weight >= 0.5 for g in v.groups) for v in mesh.data.vertices]
            co = co[np.array(keep, dtype=bool)]
        points.append(co @ matrix[:3, :3].T + matrix[:3, 3])
    return np.concatenate(points) if points else None


def character_frame_of(obj: bpy.types.Object, head: str, eyes: tuple[str, str] | None,
                       infos: list[BoneInfo]) -> CharacterFrame:
    """Up and forward of the armature ``obj`` in its own space, from its bones' rest positions (and, when the
    skeleton gives no forward evidence, a mesh moving with the head): :func:`core.rig.frame.character_frame`.
    ``infos``: the armature's :func:`bone_infos` (their names and parents)."""
    heads, tails = (_floats(obj.data.bones, prop, 3).tolist() for prop in ("head_local", "tail_local"))
    rest = [RestBone(b.name, b.parent, tuple(h), tuple(t)) for b, h, t in zip(infos, heads, tails, strict=True)]
    frame = character_frame(rest, head, eyes)
    if frame.forward_kind == "assumed":
        points = _head_mesh_points(obj, head)
        if points is not None:
            frame = character_frame(rest, head, eyes, points)
    return frame


def _world_basis(linear: np.ndarray, forward_local: np.ndarray, up_local: np.ndarray, facing: str) -> np.ndarray:
    """Character basis in world space: the object's frame mapped by its 3x3 ``linear`` part (rotation and
    scale), or the world-axis ``facing`` override with world +Z up."""
    if facing != "AUTO":
        return character_basis(np.array(FACING_VECTORS[facing]), np.array([0.0, 0.0, 1.0]))
    return character_basis(linear @ forward_local, linear @ up_local)


def describe_frame(basis: np.ndarray, source: str) -> str:
    """One line for reports: the world axes of a character basis and where they came from."""
    return f"facing {axis_label(basis[:, 1])}, up {axis_label(basis[:, 2])} (world; {source})"


def _floats(bones, prop: str, width: int = 1) -> np.ndarray:
    """(N,) or (N, width) float64 values of a property of every bone, read in one call."""
    out = np.empty(len(bones) * width, dtype=np.float64)
    bones.foreach_get(prop, out)
    return out.reshape(-1, width) if width > 1 else out


def _names_and_parents(armature: bpy.types.Armature) -> tuple[list[str], list[str | None]]:
    """Every bone's name and its parent's name (None for a root), in the armature's bone order."""
    names = [b.name for b in armature.bones]
    parents: dict[str, str] = {}
    for bone in armature.bones:
        for child in bone.children:
            parents[child.name] = bone.name
    return names, [parents.get(n) for n in names]


def bone_infos(armature: bpy.types.Armature) -> list[BoneInfo]:
    """Bone facts for :func:`core.rig.matching.match_head_and_neck`."""
    names, parents = _names_and_parents(armature)
    deform = np.zeros(len(names), dtype=bool)
    armature.bones.foreach_get("use_deform", deform)
    lengths = _floats(armature.bones, "length").tolist()
    return [BoneInfo(name=n, parent=p, deform=bool(d), length=length)
            for n, p, d, length in zip(names, parents, deform.tolist(), lengths, strict=True)]


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
        source = "Facing setting" if facing != "AUTO" else "an object faces -Y with +Z up"
        return Target(obj, [Joint(None, rest, obj.rotation_mode)], basis, frame=describe_frame(basis, source))

    bones = obj.data.bones
    if len(bones) == 0:
        raise TargetError(f"The armature '{obj.name}' has no bones.")
    infos = bone_infos(obj.data)
    match = match_head_and_neck(infos)
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
    frame = character_frame_of(obj, head, match.eyes, infos)
    linear = np.array(obj.matrix_world.to_3x3(), dtype=np.float64)
    basis = _world_basis(linear, frame.forward, frame.up, facing)
    auto = f"up from {frame.up_from}, forward from {frame.forward_from}"
    source = "Facing setting" if facing != "AUTO" else auto
    joints = [
        Joint(name, obj_rot @ _rotation3(bones[name].matrix_local), obj.pose.bones[name].rotation_mode)
        for name in [*neck_names, head]
    ]
    notes = []
    for previous, joint in itertools.pairwise(joints):
        joint.inherits, why = inherited_share(obj, joint.bone, previous.bone)
        if 0.0 < joint.inherits < 1.0:
            notes.append(f"'{joint.bone}' follows '{previous.bone}' only {joint.inherits:.0%} ({why}): with a neck "
                         "share, its turn is approximate.")
    return Target(obj, joints, basis, convention=match.convention, notes=notes,
                  frame=describe_frame(basis, source), eyes=match.eyes)
