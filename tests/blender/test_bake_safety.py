"""Baking never loses the user's work, and bad input changes nothing."""

from __future__ import annotations

import bpy
import numpy as np
import pytest
from rigs import RIGS, build_rig


def _channels(ext, obj, action=None):
    fcurves = ext.anim.fcurves
    if action is None:
        return fcurves.channels_for(obj, create=False)
    if not ext.anim.compat.has_slotted_actions():
        return action
    slot = obj.animation_data.action_slot
    return action.layers[0].strips[0].channelbag(slot)


def _snapshot(ext, obj, action=None) -> dict:
    """Every keyframe attribute of every F-curve (as bytes), per (data_path, index)."""
    out = {}
    channels = _channels(ext, obj, action)
    if channels is None:
        return out
    for fc in channels.fcurves:
        n = len(fc.keyframe_points)
        data = {}
        for name, width, dtype in (("co", 2, np.float32), ("handle_left", 2, np.float32),
                                   ("handle_right", 2, np.float32), ("interpolation", 1, np.int32),
                                   ("handle_left_type", 1, np.int32), ("easing", 1, np.int32)):
            buf = np.empty(n * width, dtype=dtype)
            fc.keyframe_points.foreach_get(name, buf)
            data[name] = buf.tobytes()
        out[(fc.data_path, fc.array_index)] = data
    return out


def _keyed_rig(ext, scene):
    """Mixamo-style rig with a user's animation: hips/head location, head and spine rotation keys."""
    obj = build_rig(RIGS["mixamo_yup"])
    for frame, value in ((1, 0.0), (20, 0.3), (40, -0.2)):
        scene.frame_set(frame)
        obj.pose.bones["mixamorig:Hips"].location = (value, 0.0, value)
        obj.pose.bones["mixamorig:Hips"].keyframe_insert("location")
        obj.pose.bones["mixamorig:Spine"].rotation_quaternion = (1.0, value * 0.2, 0.0, 0.0)
        obj.pose.bones["mixamorig:Spine"].keyframe_insert("rotation_quaternion")
        obj.pose.bones["mixamorig:Head"].rotation_quaternion = (1.0, 0.0, value, 0.0)
        obj.pose.bones["mixamorig:Head"].keyframe_insert("rotation_quaternion")
    obj.pose.bones["mixamorig:Head"].keyframe_insert("rotation_quaternion", frame=80)
    return obj


def _track(ext, n=60, start=1, fps=24.0):
    t = np.arange(n) / fps
    angles = np.stack([10 * np.sin(t), 5 * np.sin(2 * t), 3 * np.cos(t)], axis=1)
    return ext.core.track.PoseTrack.from_angles(angles, fps, start_frame=start)


def test_new_action_keeps_the_original_byte_for_byte(ext, empty_scene):
    obj = _keyed_rig(ext, empty_scene)
    original = obj.animation_data.action
    before = _snapshot(ext, obj)
    result = ext.anim.bake.bake_track(obj, _track(ext), ext.anim.bake.BakeOptions(mode="NEW_ACTION"))
    assert result.action != original and obj.animation_data.action == result.action
    assert result.previous_action == original
    assert _snapshot(ext, obj, original) == before  # the user's action is untouched
    after = _snapshot(ext, obj)
    for key, data in before.items():
        if "mixamorig:Head" not in key[0]:
            assert after[key] == data, key  # other channels copied unchanged
    head_w = after[('pose.bones["mixamorig:Head"].rotation_quaternion', 0)]
    frames = np.frombuffer(head_w["co"], dtype=np.float32)[0::2]
    assert 80.0 in frames  # the user's head key outside the baked range survives in the copy
    assert np.count_nonzero((frames >= 1) & (frames <= 60)) == 60


def test_new_action_is_additive_on_the_existing_head_animation(ext, empty_scene):
    obj = _keyed_rig(ext, empty_scene)
    from rigs import angle_deg, head_world_delta

    zero = ext.core.track.PoseTrack.from_angles(np.zeros((60, 3)), 24.0)
    keyed = []
    for f in (1, 20, 40):
        empty_scene.frame_set(f)
        keyed.append(head_world_delta(obj, "mixamorig:Head"))
    ext.anim.bake.bake_track(obj, zero)
    for f, expected in zip((1, 20, 40), keyed, strict=True):
        empty_scene.frame_set(f)
        assert angle_deg(head_world_delta(obj, "mixamorig:Head"), expected) < 0.05


def test_replace_overwrites_only_the_head_inside_the_range(ext, empty_scene):
    obj = _keyed_rig(ext, empty_scene)
    original = obj.animation_data.action
    before = _snapshot(ext, obj)
    n_actions = len(bpy.data.actions)
    result = ext.anim.bake.bake_track(obj, _track(ext), ext.anim.bake.BakeOptions(mode="REPLACE"))
    assert result.action == original and len(bpy.data.actions) == n_actions
    after = _snapshot(ext, obj)
    for key, data in before.items():
        if "mixamorig:Head" not in key[0]:
            assert after[key] == data, key
    head = after[('pose.bones["mixamorig:Head"].rotation_quaternion', 0)]
    frames = np.frombuffer(head["co"], dtype=np.float32)[0::2]
    assert sorted(frames[frames > 60]) == [80.0]


def test_clear_restores_the_previous_action(ext, empty_scene):
    obj = _keyed_rig(ext, empty_scene)
    original = obj.animation_data.action
    result = ext.anim.bake.bake_track(obj, _track(ext))
    name = result.action.name
    empty_scene.head_motion.target = obj
    assert bpy.ops.head_motion.clear() == {"FINISHED"}
    assert obj.animation_data.action == original
    assert name not in bpy.data.actions
    if ext.anim.compat.has_slotted_actions():
        assert obj.animation_data.action_slot is not None


def _scene_state(ext, obj):
    adt = obj.animation_data
    return (
        sorted(a.name for a in bpy.data.actions),
        adt.action.name if adt and adt.action else None,
        _snapshot(ext, obj) if adt and adt.action else {},
        [tuple(pb.rotation_quaternion) for pb in obj.pose.bones] if obj.type == "ARMATURE" else None,
    )


def test_nan_track_is_refused_and_nothing_changes(ext, empty_scene):
    obj = _keyed_rig(ext, empty_scene)
    before = _scene_state(ext, obj)
    bad = _track(ext)
    bad.pitch[17] = np.nan
    with pytest.raises(ext.core.errors.TrackError, match="pitch"):
        ext.anim.bake.bake_track(obj, bad)
    assert _scene_state(ext, obj) == before


def test_no_head_bone_is_refused(ext, empty_scene):
    data = bpy.data.armatures.new("Empty")
    obj = bpy.data.objects.new("Empty", data)
    empty_scene.collection.objects.link(obj)
    before = sorted(a.name for a in bpy.data.actions)
    with pytest.raises(ext.core.errors.TargetError, match="no bones"):
        ext.anim.bake.bake_track(obj, _track(ext))
    with pytest.raises(ext.core.errors.TargetError, match="no bone named"):
        ext.anim.bake.bake_track(build_rig(RIGS["vrm"]), _track(ext), ext.anim.bake.BakeOptions(head_bone="Nope"))
    assert sorted(a.name for a in bpy.data.actions) == before
    with pytest.raises(ext.core.errors.TargetError, match="No target"):
        ext.anim.bake.bake_track(None, _track(ext))


def test_operator_errors_cancel_with_a_clear_message(ext, empty_scene):
    obj = _keyed_rig(ext, empty_scene)
    empty_scene.head_motion.target = obj
    before = _scene_state(ext, obj)
    settings = empty_scene.head_motion
    settings.use_scene_range = False
    settings.frame_start, settings.frame_end = 50, 10
    with pytest.raises(RuntimeError, match="frame range 50-10 is empty"):
        bpy.ops.head_motion.generate_bake()
    assert _scene_state(ext, obj) == before
    settings.use_scene_range = True
    obj.head_motion.head_bone = "missing"
    with pytest.raises(RuntimeError, match="no bone named 'missing'"):
        bpy.ops.head_motion.generate_bake()
    assert _scene_state(ext, obj) == before


def test_linked_rig_is_refused(ext, empty_scene, tmp_path):
    build_rig(RIGS["vrm"])
    library = tmp_path / "library.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(library))
    bpy.ops.wm.read_homefile(use_empty=True)
    with bpy.data.libraries.load(str(library), link=True) as (_data_from, data_to):
        data_to.objects = ["vrm"]
    linked = data_to.objects[0]
    bpy.context.scene.collection.objects.link(linked)
    assert linked.library is not None
    before = sorted(a.name for a in bpy.data.actions)
    with pytest.raises(ext.core.errors.TargetError, match="linked"):
        ext.anim.bake.bake_track(linked, _track(ext))
    assert sorted(a.name for a in bpy.data.actions) == before
    assert linked.animation_data is None


#: Operators that only write files the user chose and change no Blender data (no Undo step needed).
_FILE_WRITERS = {"head_motion.export_track", "head_motion.export_flame"}


def test_every_changing_operator_supports_undo(ext):
    for cls in ext.registration.registered_classes():
        if issubclass(cls, bpy.types.Operator) and cls.bl_idname not in _FILE_WRITERS:
            assert {"REGISTER", "UNDO"} <= set(cls.bl_options), cls.bl_idname


def test_generate_and_bake_operator_end_to_end(ext, empty_scene):
    obj = build_rig(RIGS["rigify_roll"])
    empty_scene.frame_start, empty_scene.frame_end = 1, 240
    bpy.context.view_layer.objects.active = obj
    s = empty_scene.head_motion
    s.preset, s.seed = "CONVERSATIONAL", 3
    assert bpy.ops.head_motion.generate_bake() == {"FINISHED"}
    action = obj.animation_data.action
    fc = _channels(ext, obj).fcurves.find('pose.bones["head"].rotation_quaternion', index=1)
    assert len(fc.keyframe_points) == 240
    values = np.array([fc.evaluate(f) for f in range(1, 241)])
    assert values.std() > 1e-3
    # Baking again replaces the generated motion (same seed, same motion) instead of stacking it.
    assert bpy.ops.head_motion.generate_bake() == {"FINISHED"}
    fc2 = _channels(ext, obj).fcurves.find('pose.bones["head"].rotation_quaternion', index=1)
    assert obj.animation_data.action != action
    assert np.allclose(values, [fc2.evaluate(f) for f in range(1, 241)], atol=1e-6)
    s.seed = 4
    assert bpy.ops.head_motion.generate_bake() == {"FINISHED"}
    fc3 = _channels(ext, obj).fcurves.find('pose.bones["head"].rotation_quaternion', index=1)
    assert not np.allclose(values, [fc3.evaluate(f) for f in range(1, 241)], atol=1e-4)
    assert bpy.ops.head_motion.clear() == {"FINISHED"}
    assert obj.animation_data.action is None  # the rig had no action before the first bake


def test_key_reduction_stays_within_tolerance(ext, empty_scene):
    from rigs import angle_deg, expected_world_delta, head_world_delta

    obj = build_rig(RIGS["cc_zxy"])
    n = 480
    settings = ext.core.motion.synthetic.preset_settings("CONVERSATIONAL", seed=1)
    track = ext.core.motion.synthetic.generate_synthetic(n, 24.0, settings)
    result = ext.anim.bake.bake_track(obj, track, ext.anim.bake.BakeOptions(key_tolerance_deg=0.5))
    per_channel = result.keys_written // 3
    assert per_channel < n / 2
    errors = []
    for f in range(1, n + 1):
        empty_scene.frame_set(f)
        yaw, pitch, roll = track.angles[f - 1]
        errors.append(angle_deg(head_world_delta(obj, "CC_Base_Head"), expected_world_delta(yaw, pitch, roll)))
    assert max(errors) < 0.5 + 0.01  # float32 key storage
