"""Test rigs in the naming and axis conventions of real character pipelines.

Each rig is hips → spine → neck(s) → head (+ eyes), built in edit mode with the convention's bone names,
its up axis (Z-up Blender rigs, Y-up FBX/glTF rigs on an object rotated 90° about X), optional bone roll
and rotation mode. The characters always stand Z-up in the world and look toward world -Y.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import bpy
from mathutils import Matrix, Vector


@dataclass
class RigSpec:
    name: str
    hips: str
    spine: str
    necks: tuple[str, ...]
    head: str
    eyes: tuple[str, str] | None = None
    extra: tuple[str, ...] = ()  # extra leaf bones under the head (e.g. HeadTop_End)
    y_up: bool = False  # bones modelled Y-up, forward +Z, object rotated 90° about X
    head_roll_deg: float = 0.0
    neck_roll_deg: float = 0.0
    rotation_mode: str = "QUATERNION"
    object_location: tuple[float, float, float] = (0.0, 0.0, 0.0)
    object_scale: float = 1.0
    notes: list[str] = field(default_factory=list)


RIGS = {
    "rigify_roll": RigSpec("rigify_roll", "spine", "spine.001", ("neck",), "head", ("eye.L", "eye.R"),
                           head_roll_deg=37.0, neck_roll_deg=-20.0, rotation_mode="QUATERNION"),
    "mixamo_yup": RigSpec("mixamo_yup", "mixamorig:Hips", "mixamorig:Spine", ("mixamorig:Neck",), "mixamorig:Head",
                          ("mixamorig:LeftEye", "mixamorig:RightEye"), extra=("mixamorig:HeadTop_End",), y_up=True,
                          object_scale=0.01, rotation_mode="QUATERNION"),
    "vrm": RigSpec("vrm", "J_Bip_C_Hips", "J_Bip_C_Spine", ("J_Bip_C_Neck",), "J_Bip_C_Head",
                   ("J_Adj_L_FaceEye", "J_Adj_R_FaceEye"), rotation_mode="XYZ"),
    "cc_zxy": RigSpec("cc_zxy", "CC_Base_Hip", "CC_Base_Spine01", ("CC_Base_NeckTwist01", "CC_Base_NeckTwist02"),
                      "CC_Base_Head", ("CC_Base_L_Eye", "CC_Base_R_Eye"), rotation_mode="ZXY", head_roll_deg=90.0),
    "unreal_axis_angle": RigSpec("unreal_axis_angle", "pelvis", "spine_01", ("neck_01", "neck_02"), "head",
                                 rotation_mode="AXIS_ANGLE", head_roll_deg=-90.0, object_location=(2.0, 1.0, 0.0)),
    "rpm_euler_yxz": RigSpec("rpm_euler_yxz", "Hips", "Spine", ("Neck",), "Head", ("LeftEye", "RightEye"),
                             extra=("HeadTop_End",), y_up=True, rotation_mode="YXZ"),
}


def _point(spec: RigSpec, x: float, height: float, forward: float = 0.0) -> Vector:
    """Armature-space point for a character-space (x = character's left... world X, height, forward)."""
    if spec.y_up:
        return Vector((x, height, forward))  # Y up, +Z forward (FBX / glTF convention)
    return Vector((x, -forward, height))  # Z up, -Y forward (Blender convention)


def build_rig(spec: RigSpec, scene: bpy.types.Scene | None = None) -> bpy.types.Object:
    """Create the armature object for ``spec`` and link it to ``scene``."""
    scene = scene or bpy.context.scene
    unit = 1.0 / spec.object_scale  # Mixamo FBX rigs are in centimetres on a 0.01-scaled object
    data = bpy.data.armatures.new(spec.name)
    obj = bpy.data.objects.new(spec.name, data)
    scene.collection.objects.link(obj)
    view_layer = bpy.context.view_layer
    view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    chain = [(spec.hips, 0.95, 1.1), (spec.spine, 1.1, 1.4)]
    neck_heights = [1.4 + 0.16 * i / len(spec.necks) for i in range(len(spec.necks) + 1)]
    chain += [(n, neck_heights[i], neck_heights[i + 1]) for i, n in enumerate(spec.necks)]
    chain += [(spec.head, 1.56, 1.8)]
    parent = None
    for name, h0, h1 in chain:
        eb = data.edit_bones.new(name)
        eb.head = _point(spec, 0.0, h0 * unit, 0.005 * unit)
        eb.tail = _point(spec, 0.0, h1 * unit, 0.012 * unit)
        eb.parent = parent
        eb.use_connect = parent is not None
        if name == spec.head:
            eb.roll = math.radians(spec.head_roll_deg)
        elif name in spec.necks:
            eb.roll = math.radians(spec.neck_roll_deg)
        parent = eb
    head = data.edit_bones[spec.head]
    for i, name in enumerate(spec.eyes or ()):
        eb = data.edit_bones.new(name)
        x = 0.035 if i == 0 else -0.035
        eb.head = _point(spec, x * unit, 1.68 * unit, 0.09 * unit)
        eb.tail = _point(spec, x * unit, 1.68 * unit, 0.12 * unit)
        eb.parent = head
    for name in spec.extra:
        eb = data.edit_bones.new(name)
        eb.head = head.tail.copy()
        eb.tail = head.tail + (head.tail - head.head) * 0.3
        eb.parent = head
    bpy.ops.object.mode_set(mode="OBJECT")
    for pb in obj.pose.bones:
        pb.rotation_mode = spec.rotation_mode
    obj.location = spec.object_location
    obj.scale = (spec.object_scale,) * 3
    if spec.y_up:
        obj.rotation_euler = (math.radians(90.0), 0.0, 0.0)
    view_layer.update()
    return obj


def expected_world_delta(yaw: float, pitch: float, roll: float) -> Matrix:
    """World rotation a head facing -Y (Z up) should get, built independently with mathutils.

    yaw > 0 turns toward the character's left (+X), pitch > 0 raises the chin, roll > 0 tilts the top of
    the head toward the character's right (-X): Rz(yaw) @ R_{-X}(pitch) @ R_{-Y}(roll).
    """
    return (
        Matrix.Rotation(math.radians(yaw), 3, "Z")
        @ Matrix.Rotation(math.radians(pitch), 3, Vector((-1.0, 0.0, 0.0)))
        @ Matrix.Rotation(math.radians(roll), 3, Vector((0.0, -1.0, 0.0)))
    )


def head_world_delta(obj: bpy.types.Object, bone: str) -> Matrix:
    """World-space rotation of ``bone`` relative to its rest, at the current (evaluated) frame."""
    posed = (obj.matrix_world @ obj.pose.bones[bone].matrix).to_quaternion().to_matrix()
    rest = (obj.matrix_world @ obj.data.bones[bone].matrix_local).to_quaternion().to_matrix()
    return posed @ rest.transposed()


def angle_deg(a: Matrix, b: Matrix) -> float:
    """Geodesic angle between two rotation matrices, degrees."""
    return math.degrees((a.transposed() @ b).to_quaternion().angle)
