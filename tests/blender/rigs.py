"""Test rigs in the naming and axis conventions of real character pipelines.

Each rig is hips → spine → neck(s) → head (+ eyes, legs, shoulders), built in edit mode with the
convention's bone names, its up axis (Z-up Blender rigs, Y-up FBX/glTF rigs on an object rotated 90° about
X), optional bone roll and rotation mode. Bones point along the chain, or — as an FBX importer without
"automatic bone orientation" makes them — all along one armature axis (``bone_axis``: +X, -X, +Z, ... or any
vector), whatever the chain does. The characters always stand Z-up in the world and look toward world -Y.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import bpy
import numpy as np
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
    bone_axis: str | tuple[float, float, float] = ""  # "": along the chain; else every bone's direction
    bone_roll_deg: float = 0.0  # roll of every other bone (with bone_axis)
    limbs: tuple[str, ...] = ()  # roles from LIMB_POINTS, each a name with "{side}"
    sides: tuple[str, str] = ("L", "R")  # what "{side}" becomes for the character's left / right
    lean: float = 0.0  # forward offset of the neck and head (m), as a real spine leans
    expect_forward: str = ""  # the evidence the character frame should use (core.rig.frame kinds)
    notes: list[str] = field(default_factory=list)


#: Limb bones by role: (x toward the character's left for the left side, height, forward) in metres, parent.
LIMB_POINTS = {
    "thigh": ((0.09, 0.95, 0.0), None),
    "shin": ((0.09, 0.5, 0.01), "thigh"),
    "foot": ((0.09, 0.08, -0.02), "shin"),
    "toe": ((0.09, 0.01, 0.12), "foot"),
    "shoulder": ((0.03, 1.45, 0.0), None),
    "arm": ((0.18, 1.42, -0.01), "shoulder"),
}


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

_UE_LEGS = ("thigh:thigh_{side}", "shin:calf_{side}", "foot:foot_{side}", "toe:ball_{side}")
#: Skeletons as FBX imports without automatic bone orientation make them: bones along their local X or Z.
FBX_RIGS = {
    # The case: DAZ names, head pointing sideways with 30° roll, eyes for forward.
    "daz_fbx_x": RigSpec("daz_fbx_x", "hip", "abdomenLower", ("neckLower", "neckUpper"), "head", ("lEye", "rEye"),
                         bone_axis="+X", head_roll_deg=30.0, neck_roll_deg=30.0, bone_roll_deg=30.0, lean=0.03,
                         expect_forward="eyes"),
    # Unreal mannequin from Maya: bones along -X, no eyes, feet and toes give forward.
    "unreal_fbx_negx": RigSpec("unreal_fbx_negx", "pelvis", "spine_01", ("neck_01",), "head", bone_axis="-X",
                               head_roll_deg=-90.0, neck_roll_deg=15.0, bone_roll_deg=90.0, limbs=_UE_LEGS,
                               sides=("l", "r"), lean=0.05, object_location=(1.0, -2.0, 0.3),
                               expect_forward="toes"),
    # 3ds Max Biped, Y-up FBX on a 0.01-scaled object rotated 90° about X, bones along +Z (forward there).
    "max_fbx_z_yup": RigSpec("max_fbx_z_yup", "Bip01 Pelvis", "Bip01 Spine", ("Bip01 Neck",), "Bip01 Head",
                             bone_axis="+Z", head_roll_deg=60.0, neck_roll_deg=-30.0, bone_roll_deg=45.0,
                             limbs=("thigh:Bip01 {side} Thigh", "shin:Bip01 {side} Calf", "foot:Bip01 {side} Foot",
                                    "toe:Bip01 {side} Toe0"), y_up=True, object_scale=0.01, lean=0.04,
                             expect_forward="toes"),
    # A bust with shoulders and arms only (no eyes, no legs), bones along an oblique axis.
    "bust_oblique": RigSpec("bust_oblique", "Hips", "Chest", ("Neck",), "Head", bone_axis=(0.6, -0.3, 0.74),
                            head_roll_deg=130.0, bone_roll_deg=-70.0,
                            limbs=("shoulder:{side}Shoulder", "arm:{side}Arm"), sides=("Left", "Right"),
                            expect_forward="sides"),
    # A glTF import kept Y-up on an object rotated 90° about X, bones along +Y with roll, toes for forward.
    "gltf_yup": RigSpec("gltf_yup", "Hips", "Spine", ("Neck",), "Head", bone_axis="+Y", head_roll_deg=90.0,
                        bone_roll_deg=-45.0, limbs=("thigh:{side}UpperLeg", "shin:{side}LowerLeg",
                                                    "foot:{side}Foot", "toe:{side}Toes"),
                        sides=("Left", "Right"), y_up=True, lean=0.02, expect_forward="toes"),
}

_AXIS_VECTORS = {"+X": (1.0, 0.0, 0.0), "-X": (-1.0, 0.0, 0.0), "+Y": (0.0, 1.0, 0.0), "-Y": (0.0, -1.0, 0.0),
                 "+Z": (0.0, 0.0, 1.0), "-Z": (0.0, 0.0, -1.0)}


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
    axis = _AXIS_VECTORS.get(spec.bone_axis, spec.bone_axis) if spec.bone_axis else None

    def lean(height: float) -> float:
        return 0.005 + spec.lean * max(height - 1.1, 0.0) / 0.7

    parent = None
    for name, h0, h1 in chain:
        eb = data.edit_bones.new(name)
        eb.head = _point(spec, 0.0, h0 * unit, lean(h0) * unit)
        if axis is None:
            eb.tail = _point(spec, 0.0, h1 * unit, lean(h1) * unit + 0.007 * unit)
        else:
            eb.tail = eb.head + Vector(axis).normalized() * 0.1 * unit
        eb.parent = parent
        eb.use_connect = parent is not None and axis is None
        if name == spec.head:
            eb.roll = math.radians(spec.head_roll_deg)
        elif name in spec.necks:
            eb.roll = math.radians(spec.neck_roll_deg)
        else:
            eb.roll = math.radians(spec.bone_roll_deg)
        parent = eb
    _add_limbs(spec, data, unit, axis)
    head = data.edit_bones[spec.head]
    for i, name in enumerate(spec.eyes or ()):
        eb = data.edit_bones.new(name)
        x = 0.035 if i == 0 else -0.035
        eb.head = _point(spec, x * unit, 1.68 * unit, (0.09 + lean(1.68)) * unit)
        eb.tail = _point(spec, x * unit, 1.68 * unit, (0.12 + lean(1.68)) * unit)
        if axis is not None:
            eb.tail = eb.head + Vector(axis).normalized() * 0.02 * unit
        eb.parent = head
    for name in spec.extra:
        eb = data.edit_bones.new(name)
        eb.head = _point(spec, 0.0, 1.8 * unit, lean(1.8) * unit)
        eb.tail = eb.head + (head.tail - head.head) * 0.3
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


def _add_limbs(spec: RigSpec, data: bpy.types.Armature, unit: float, axis) -> None:
    """Left and right limb bones (``spec.limbs``), parented by role (legs on the hips, shoulders on the spine)."""
    roles = dict(entry.split(":", 1) for entry in spec.limbs)
    for side, sign in zip(spec.sides, (1.0, -1.0), strict=True):
        for role, template in roles.items():
            (x, height, forward), parent_role = LIMB_POINTS[role]
            eb = data.edit_bones.new(template.format(side=side))
            eb.head = _point(spec, sign * x * unit, height * unit, forward * unit)
            eb.tail = eb.head + (Vector(axis).normalized() if axis else _point(spec, 0.0, -0.1, 0.02)) * 0.1 * unit
            eb.roll = math.radians(spec.bone_roll_deg)
            if parent_role in roles:
                eb.parent = data.edit_bones[roles[parent_role].format(side=side)]
            else:
                eb.parent = data.edit_bones[spec.hips if role == "thigh" else spec.spine]


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


#: yaw, pitch, roll in degrees per test frame: single axes, both signs, and combinations.
KNOWN = np.array([
    [0.0, 0.0, 0.0],
    [30.0, 0.0, 0.0],
    [-25.0, 0.0, 0.0],
    [0.0, 20.0, 0.0],
    [0.0, -15.0, 0.0],
    [0.0, 0.0, 12.0],
    [0.0, 0.0, -18.0],
    [35.0, -20.0, 10.0],
    [-40.0, 25.0, -15.0],
])
_FORWARD, _UP, _LEFT = np.array([0.0, -1.0, 0.0]), np.array([0.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0])


def assert_head_turns(ext, scene, obj, head: str, neck_share: float = 0.0, limit_deg: float = 0.5):
    """Bake :data:`KNOWN` onto ``obj`` (a character standing Z-up, facing world -Y) and check, frame by frame,
    the head's world rotation against :func:`expected_world_delta` and the sign of each single-axis turn."""
    track = ext.core.track.PoseTrack.from_angles(KNOWN, 24.0)
    result = ext.anim.bake.bake_track(obj, track, ext.anim.bake.BakeOptions(neck_share=neck_share))
    assert result.joints[-1] == head
    for i, (yaw, pitch, roll) in enumerate(KNOWN):
        scene.frame_set(1 + i)
        delta = head_world_delta(obj, head)
        error = angle_deg(delta, expected_world_delta(yaw, pitch, roll))
        assert error < limit_deg, f"{obj.name} frame {1 + i} ({yaw}, {pitch}, {roll}): off by {error:.3f}°"
        face, top = np.array(delta) @ _FORWARD, np.array(delta) @ _UP
        if (yaw, pitch) == (0.0, 0.0) and roll:
            assert np.sign(top @ -_LEFT) == np.sign(roll)  # +roll: top of the head toward its right
        elif (pitch, roll) == (0.0, 0.0) and yaw:
            assert np.sign(face @ _LEFT) == np.sign(yaw)  # +yaw: face toward its left
        elif (yaw, roll) == (0.0, 0.0) and pitch:
            assert np.sign(face @ _UP) == np.sign(pitch)  # +pitch: chin up
    return result
