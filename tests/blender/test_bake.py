"""Baking a known track onto rigs of every convention turns the head exactly as asked, in world space."""

from __future__ import annotations

import math

import bpy
import numpy as np
import pytest
import rigs
from mathutils import Matrix
from rigs import RIGS, angle_deg, build_rig, expected_world_delta, head_world_delta

# The shared table of single-axis and combined turns, plus one small mixed turn.
KNOWN = np.vstack([rigs.KNOWN, [12.0, 8.0, 5.0]])


def _track(ext, angles, fps=24.0, start=1):
    return ext.core.track.PoseTrack.from_angles(np.asarray(angles, dtype=float), fps, start_frame=start)


def _bake(ext, obj, track, **options):
    bake = ext.anim.bake
    return bake.bake_track(obj, track, bake.BakeOptions(**options))


@pytest.mark.parametrize("rig_name", sorted(RIGS))
def test_head_world_rotation_matches_request(ext, empty_scene, rig_name):
    spec = RIGS[rig_name]
    obj = build_rig(spec)
    result = _bake(ext, obj, _track(ext, KNOWN))
    assert result.joints == [spec.head]
    for i, (yaw, pitch, roll) in enumerate(KNOWN):
        empty_scene.frame_set(1 + i)
        error = angle_deg(head_world_delta(obj, spec.head), expected_world_delta(yaw, pitch, roll))
        assert error < 0.5, f"{rig_name} frame {1 + i} ({yaw}, {pitch}, {roll}): off by {error:.3f}°"


def test_yaw_turns_the_face_toward_the_characters_left(ext, empty_scene):
    obj = build_rig(RIGS["rigify_roll"])
    _bake(ext, obj, _track(ext, [[30.0, 0.0, 0.0], [0.0, 20.0, 0.0], [0.0, 0.0, 15.0]]))
    forward, up = np.array([0.0, -1.0, 0.0]), np.array([0.0, 0.0, 1.0])
    empty_scene.frame_set(1)
    face = np.array(head_world_delta(obj, "head")) @ forward
    assert face[0] > 0.45  # character faces -Y, so its left is +X
    empty_scene.frame_set(2)
    assert (np.array(head_world_delta(obj, "head")) @ forward)[2] > 0.3  # chin up
    empty_scene.frame_set(3)
    assert (np.array(head_world_delta(obj, "head")) @ up)[0] < -0.2  # top of head toward its right (-X)


@pytest.mark.parametrize("rig_name", ["rigify_roll", "cc_zxy", "unreal_axis_angle"])
def test_neck_share_keeps_total_head_rotation(ext, empty_scene, rig_name):
    spec = RIGS[rig_name]
    obj = build_rig(spec)
    result = _bake(ext, obj, _track(ext, KNOWN), neck_share=0.4)
    assert result.joints == [*spec.necks, spec.head]
    for i, (yaw, pitch, roll) in enumerate(KNOWN):
        empty_scene.frame_set(1 + i)
        expected = expected_world_delta(yaw, pitch, roll)
        assert angle_deg(head_world_delta(obj, spec.head), expected) < 0.5
        neck_turn = angle_deg(head_world_delta(obj, spec.necks[-1]), expected_world_delta(0, 0, 0))
        total = angle_deg(expected, expected_world_delta(0, 0, 0))
        if total > 5:
            assert 0.25 * total < neck_turn < 0.55 * total


def test_facing_override_and_plain_object(ext, empty_scene):
    empty = bpy.data.objects.new("Head", None)
    empty_scene.collection.objects.link(empty)
    empty.rotation_mode = "XYZ"
    empty.rotation_euler = (0.1, -0.2, 0.3)
    bpy.context.view_layer.update()
    rest = empty.matrix_world.to_quaternion().to_matrix()
    _bake(ext, empty, _track(ext, KNOWN), facing="+X")
    # The same independent construction, turned so that -Y maps onto +X.
    to_x = Matrix.Rotation(math.radians(90.0), 3, "Z")
    for i, (yaw, pitch, roll) in enumerate(KNOWN):
        empty_scene.frame_set(1 + i)
        delta = empty.matrix_world.to_quaternion().to_matrix() @ rest.transposed()
        expected = to_x @ expected_world_delta(yaw, pitch, roll) @ to_x.transposed()
        assert angle_deg(delta, expected) < 0.5


def test_bake_is_additive_on_the_current_pose(ext, empty_scene):
    obj = build_rig(RIGS["vrm"])
    pb = obj.pose.bones["J_Bip_C_Head"]
    pb.rotation_euler = (0.2, 0.1, -0.3)
    empty_scene.frame_set(1)
    posed_rest = head_world_delta(obj, "J_Bip_C_Head")
    _bake(ext, obj, _track(ext, KNOWN))
    for i, (yaw, pitch, roll) in enumerate(KNOWN):
        empty_scene.frame_set(1 + i)
        expected = expected_world_delta(yaw, pitch, roll) @ posed_rest
        assert angle_deg(head_world_delta(obj, "J_Bip_C_Head"), expected) < 0.5


def test_track_at_another_frame_rate_is_resampled(ext, empty_scene):
    empty_scene.render.fps, empty_scene.render.fps_base = 30, 1.001  # 29.97 fps
    obj = build_rig(RIGS["rigify_roll"])
    t = np.arange(0, 101) / 25.0
    angles = np.stack([20 * np.sin(t), 5 * np.cos(t), np.zeros_like(t)], axis=1)
    result = _bake(ext, obj, _track(ext, angles, fps=25.0, start=10))
    assert result.frame_start == 10
    assert result.frame_end == 10 + int(4.0 * 30 / 1.001)
    empty_scene.frame_set(10 + 60)  # 60 frames at 29.97 fps = 2.002 s
    t_s = 60 * 1.001 / 30
    expected = expected_world_delta(20 * math.sin(t_s), 5 * math.cos(t_s), 0.0)
    assert angle_deg(head_world_delta(obj, "head"), expected) < 0.5


@pytest.mark.parametrize("cut", ["copy_rotation", "no_inherit", "partial"])
def test_neck_share_when_the_head_does_not_follow_the_neck(ext, empty_scene, cut):
    from rigs import assert_head_turns

    spec = RIGS["rigify_roll"]
    obj = build_rig(spec)
    if cut == "no_inherit":
        obj.data.bones[spec.head].use_inherit_rotation = False
    else:  # the head keeps the torso's orientation, as Rigify's head follow does: its parent, a helper under
        # the neck, copies the rotation of a bone on the spine that has the head's rest orientation
        bpy.ops.object.mode_set(mode="EDIT")
        bones = obj.data.edit_bones
        head = bones[spec.head]
        for name, parent in (("MCH-ROT-head", spec.necks[-1]), ("head_socket", spec.spine)):
            helper = bones.new(name)
            helper.head, helper.tail, helper.roll = head.head, head.tail, head.roll
            helper.parent = bones[parent]
        head.use_connect = False
        head.parent = bones["MCH-ROT-head"]
        bpy.ops.object.mode_set(mode="OBJECT")
        constraint = obj.pose.bones["MCH-ROT-head"].constraints.new("COPY_ROTATION")
        constraint.target, constraint.subtarget = obj, "head_socket"
        constraint.influence = 0.5 if cut == "partial" else 1.0
    bpy.context.view_layer.update()
    if cut == "partial":
        result = _bake(ext, obj, _track(ext, KNOWN), neck_share=0.4)
        assert any("only 50%" in note for note in result.notes)
        return
    result = assert_head_turns(ext, empty_scene, obj, spec.head, neck_share=0.4)
    assert result.joints == [*spec.necks, spec.head]
