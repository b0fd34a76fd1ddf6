"""Operators as the panel runs them: silence from a lip channel, pose files in and out, bone detection."""

from __future__ import annotations

import math

import bpy
import numpy as np
from rigs import RIGS, build_rig


def _head_angle_per_frame(ext, obj, bone, frames):
    from rigs import angle_deg, expected_world_delta, head_world_delta

    out = []
    for f in frames:
        bpy.context.scene.frame_set(f)
        out.append(angle_deg(head_world_delta(obj, bone), expected_world_delta(0, 0, 0)))
    return np.array(out)


def test_silence_from_a_jaw_channel_settles_the_head(ext, empty_scene):
    empty_scene.frame_start, empty_scene.frame_end = 1, 480
    obj = build_rig(RIGS["rigify_roll"])
    bpy.context.view_layer.objects.active = obj
    # A jaw-like lip-sync channel: talking (opening/closing) for 10 s, then still for 10 s.
    jaw = bpy.data.objects.new("Jaw", None)
    empty_scene.collection.objects.link(jaw)
    for f in range(1, 481, 3):
        talking = f <= 240
        jaw.rotation_euler[0] = 0.25 * (1 + math.sin(f * 0.9)) if talking else 0.0
        jaw.keyframe_insert("rotation_euler", index=0, frame=f)
    s = empty_scene.head_motion
    s.silence_source = "CHANNEL"
    s.silence_object = jaw
    s.silence_data_path = "rotation_euler"
    s.silence_index = 0
    s.preset, s.seed = "ANIMATED", 5
    assert bpy.ops.head_motion.generate_bake() == {"FINISHED"}
    angles = _head_angle_per_frame(ext, obj, "head", range(1, 481))
    speaking = np.abs(np.diff(angles[20:230])).mean()
    silent = np.abs(np.diff(angles[300:480])).mean()
    assert silent < 0.35 * speaking
    assert np.abs(np.diff(angles)).max() < 2.0  # settles, never snaps


def test_missing_lip_channel_is_reported(ext, empty_scene):
    obj = build_rig(RIGS["vrm"])
    bpy.context.view_layer.objects.active = obj
    jaw = bpy.data.objects.new("Jaw", None)
    empty_scene.collection.objects.link(jaw)
    s = empty_scene.head_motion
    s.silence_source, s.silence_object, s.silence_data_path = "CHANNEL", jaw, "rotation_euler"
    try:
        bpy.ops.head_motion.generate_bake()
    except RuntimeError as exc:
        assert "no animation on rotation_euler[0]" in str(exc)
    else:
        raise AssertionError("expected an error")
    assert obj.animation_data is None


def test_export_then_bake_pose_file(ext, empty_scene, tmp_path):
    empty_scene.frame_start, empty_scene.frame_end = 5, 124
    s = empty_scene.head_motion
    s.seed = 11
    path = tmp_path / "motion.csv"
    assert bpy.ops.head_motion.export_track(filepath=str(path)) == {"FINISHED"}
    track = ext.core.track.PoseTrack.load(path)
    assert len(track) == 120 and track.start_frame == 5 and track.fps == 24.0
    obj = build_rig(RIGS["cc_zxy"])
    bpy.context.view_layer.objects.active = obj
    assert bpy.ops.head_motion.bake_file(filepath=str(path)) == {"FINISHED"}
    from rigs import angle_deg, expected_world_delta, head_world_delta

    for i in (0, 37, 119):
        empty_scene.frame_set(5 + i)
        yaw, pitch, roll = track.angles[i]
        assert angle_deg(head_world_delta(obj, "CC_Base_Head"), expected_world_delta(yaw, pitch, roll)) < 0.5


def test_bake_file_rejects_a_broken_file(ext, empty_scene, tmp_path):
    obj = build_rig(RIGS["vrm"])
    bpy.context.view_layer.objects.active = obj
    path = tmp_path / "broken.csv"
    path.write_text("frame,yaw_deg,pitch_deg,roll_deg\n1,0,0\n")
    try:
        bpy.ops.head_motion.bake_file(filepath=str(path))
    except RuntimeError as exc:
        assert "broken.csv" in str(exc)
    else:
        raise AssertionError("expected an error")
    assert obj.animation_data is None


def test_detect_bones_fills_the_rig_settings(ext, empty_scene):
    obj = build_rig(RIGS["unreal_axis_angle"])
    bpy.context.view_layer.objects.active = obj
    assert bpy.ops.head_motion.detect_bones() == {"FINISHED"}
    assert obj.head_motion.head_bone == "head"
    assert obj.head_motion.neck_bones == "neck_01, neck_02"


def test_sample_character_bakes_with_detected_bones(ext, empty_scene):
    rig = ext.api.build_sample_character()
    target = ext.anim.target.resolve_target(rig, use_necks=True)
    assert [j.bone for j in target.joints] == ["neck", "head"]
    assert np.allclose(target.basis[:, 1], [0, -1, 0]) and np.allclose(target.basis[:, 2], [0, 0, 1])
    body = bpy.data.objects["HeadMotionSample_Body"]
    assert body.parent == rig and len(body.data.vertices) > 500
