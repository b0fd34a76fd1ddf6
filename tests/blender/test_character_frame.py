"""The character frame comes from the skeleton, not from one bone's direction: skeletons whose bones point
along +X, -X, +Z, +Y or any other axis with any roll (FBX imports without automatic bone orientation) and
Y-up glTF/FBX imports turn the head exactly as asked, with the right signs, in every rotation mode."""

from __future__ import annotations

import math
from dataclasses import replace

import bpy
import numpy as np
import pytest
from rigs import FBX_RIGS, KNOWN, RIGS, assert_head_turns, build_rig, expected_world_delta, head_world_delta

MODES = ("QUATERNION", "XYZ", "ZXY", "AXIS_ANGLE")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("rig_name", sorted(FBX_RIGS))
def test_fbx_and_gltf_skeletons_in_every_rotation_mode(ext, empty_scene, rig_name, mode):
    spec = replace(FBX_RIGS[rig_name], rotation_mode=mode)
    obj = build_rig(spec)
    target = ext.anim.target.resolve_target(obj)
    assert "facing -Y, up +Z" in target.frame
    assert_head_turns(ext, empty_scene, obj, spec.head, neck_share=0.4 if mode == "ZXY" else 0.0)


@pytest.mark.parametrize("roll", [0.0, 30.0, -135.0])
@pytest.mark.parametrize("axis", ["+X", "-X", "+Z", "-Z", "-Y", (0.3, -0.8, 0.5)])
def test_any_bone_direction_and_roll_gives_the_same_world_result(ext, empty_scene, axis, roll):
    spec = replace(FBX_RIGS["daz_fbx_x"], name="rig", bone_axis=axis, head_roll_deg=roll, neck_roll_deg=-roll,
                   bone_roll_deg=roll / 2, rotation_mode="XYZ")
    assert_head_turns(ext, empty_scene, build_rig(spec), spec.head, neck_share=0.3)


@pytest.mark.parametrize("rig_name", sorted(FBX_RIGS))
def test_the_frame_reports_its_evidence(ext, empty_scene, rig_name):
    spec = FBX_RIGS[rig_name]
    obj = build_rig(spec)
    bones = [ext.core.rig.frame.RestBone(b.name, b.parent.name if b.parent else None, tuple(b.head_local),
                                         tuple(b.tail_local)) for b in obj.data.bones]
    match = ext.core.rig.matching.match_head_and_neck(ext.anim.target.bone_infos(obj.data))
    frame = ext.core.rig.frame.character_frame(bones, spec.head, match.eyes)
    assert frame.up_kind == "spine" and frame.forward_kind == spec.expect_forward


def test_detect_reports_the_character_frame(ext, empty_scene):
    obj = build_rig(FBX_RIGS["unreal_fbx_negx"])
    bpy.context.view_layer.objects.active = obj
    assert bpy.ops.head_motion.detect_bones() == {"FINISHED"}
    report = ext.anim.target.resolve_target(obj).frame
    assert "facing -Y, up +Z" in report and "'pelvis' → 'head'" in report and "foot_l" in report


def test_face_mesh_gives_forward_when_the_skeleton_does_not(ext, empty_scene):
    spec = replace(RIGS["unreal_axis_angle"], name="bust", bone_axis="+X", object_location=(0.0, 0.0, 0.0))
    obj = build_rig(spec)
    assert "usual front" in ext.anim.target.resolve_target(obj).frame
    # A head mesh parented to the head bone, facing world +X: its centroid sits in front of the neck.
    bpy.ops.mesh.primitive_uv_sphere_add(radius=0.1, location=(0.05, 0.0, 1.68))
    face = bpy.context.active_object
    face.parent, face.parent_type, face.parent_bone = obj, "BONE", spec.head
    face.matrix_world = face.matrix_world.copy()
    bpy.context.view_layer.update()
    face.matrix_parent_inverse = (obj.matrix_world @ obj.pose.bones[spec.head].matrix).inverted()
    bpy.context.view_layer.update()
    target = ext.anim.target.resolve_target(obj)
    assert "facing +X" in target.frame and "face mesh" in target.frame
    # A -90° turn about Z maps the expected world rotations of a -Y facing head onto this +X facing one.
    turn = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    track = ext.core.track.PoseTrack.from_angles(KNOWN, 24.0)
    ext.anim.bake.bake_track(obj, track)
    for i, (yaw, pitch, roll) in enumerate(KNOWN):
        empty_scene.frame_set(1 + i)
        expected = turn @ np.array(expected_world_delta(yaw, pitch, roll)) @ turn.T
        got = np.array(head_world_delta(obj, spec.head))
        assert math.degrees(math.acos(np.clip((np.trace(got.T @ expected) - 1) / 2, -1, 1))) < 0.5


def test_facing_override_still_wins(ext, empty_scene):
    obj = build_rig(FBX_RIGS["daz_fbx_x"])
    target = ext.anim.target.resolve_target(obj, facing="+X")
    assert np.allclose(target.basis[:, 1], [1, 0, 0]) and np.allclose(target.basis[:, 2], [0, 0, 1])
    assert "Facing setting" in target.frame
