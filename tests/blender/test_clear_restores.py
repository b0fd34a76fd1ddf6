"""Clear gives back exactly what was there before the first New-Action bake: the user's action (found by
reference after renames, save/reload and several bakes), its keys bit for bit, its slot and fake-user flag,
no action when there was none, and every bone's pose, rotation mode and unkeyed rotation values."""

from __future__ import annotations

import math

import bpy
import numpy as np
import pytest
from rigs import RIGS, build_rig

FRAMES = (1, 10, 20, 33, 40, 60, 80)
_KEY_ATTRS = (("co", 2, np.float32), ("handle_left", 2, np.float32), ("handle_right", 2, np.float32),
              ("interpolation", 1, np.int32), ("handle_left_type", 1, np.int32),
              ("handle_right_type", 1, np.int32), ("easing", 1, np.int32), ("type", 1, np.int32))


def _all_fcurves(ext, action):
    if not ext.anim.compat.has_slotted_actions():
        return list(action.fcurves)
    return [(slot.handle, fc) for layer in action.layers for strip in layer.strips
            for slot in action.slots if (bag := strip.channelbag(slot)) is not None for fc in bag.fcurves]


def _keys(ext, action) -> dict:
    """Every keyframe attribute of every F-curve of ``action`` (bytes), per (slot handle, data_path, index)."""
    out = {}
    for entry in _all_fcurves(ext, action):
        slot, fc = entry if isinstance(entry, tuple) else (None, entry)
        n = len(fc.keyframe_points)
        data = {}
        for name, width, dtype in _KEY_ATTRS:
            buf = np.empty(n * width, dtype=dtype)
            fc.keyframe_points.foreach_get(name, buf)
            data[name] = buf.tobytes()
        out[(slot, fc.data_path, fc.array_index)] = data
    return out


def _pose(obj, scene) -> dict:
    """Per frame: every bone's armature-space matrix, plus each bone's mode and static rotation values."""
    out = {}
    for frame in FRAMES:
        scene.frame_set(frame)
        out[frame] = {pb.name: (np.array(pb.matrix), pb.rotation_mode, tuple(pb.rotation_quaternion),
                                tuple(pb.rotation_euler), tuple(pb.rotation_axis_angle)) for pb in obj.pose.bones}
    return out


def _assert_same_pose(before: dict, after: dict, static: bool = True) -> None:
    for frame, bones in before.items():
        for name, (matrix, mode, quat, euler, axis_angle) in bones.items():
            m2, mode2, quat2, euler2, axis_angle2 = after[frame][name]
            a, b = (m[:3, :3] / np.linalg.norm(m[:3, :3], axis=0) for m in (matrix, m2))
            # |A - B| (Frobenius) = 2√2 sin(θ/2): well conditioned for small angles, unlike acos of the trace.
            angle = 2.0 * math.asin(min(np.linalg.norm(a - b) / (2.0 * math.sqrt(2.0)), 1.0))
            assert math.degrees(angle) < 1e-4, (frame, name, math.degrees(angle))
            assert np.allclose(matrix[:3, 3], m2[:3, 3], atol=1e-6), (frame, name)
            if not static:
                continue
            assert mode2 == mode, (frame, name)
            # Static values of every rotation property: exact (float32 round trip).
            assert quat2 == quat and euler2 == euler and axis_angle2 == axis_angle, (frame, name)


def _slot(ext, obj):
    adt = obj.animation_data
    if not ext.anim.compat.has_slotted_actions() or adt is None or adt.action_slot is None:
        return None
    return adt.action_slot.identifier


def _keyed_rig(scene, head_mode="QUATERNION"):
    """A Mixamo import with the user's animation: keys on the hips, spine and head quaternion only; the head
    may be switched to another rotation mode afterwards (its Euler/axis-angle values are then static)."""
    obj = build_rig(RIGS["mixamo_yup"])
    bones = obj.pose.bones
    for frame, value in ((1, 0.0), (20, 0.3), (40, -0.2)):
        scene.frame_set(frame)
        bones["mixamorig:Hips"].location = (value, 0.0, value)
        bones["mixamorig:Hips"].keyframe_insert("location")
        bones["mixamorig:Spine"].rotation_quaternion = (1.0, value * 0.2, 0.0, 0.0)
        bones["mixamorig:Spine"].keyframe_insert("rotation_quaternion")
        bones["mixamorig:Head"].rotation_quaternion = (1.0, 0.0, value, 0.0)
        bones["mixamorig:Head"].keyframe_insert("rotation_quaternion")
    bones["mixamorig:Neck"].rotation_quaternion = (0.98, 0.1, -0.05, 0.02)  # static, not keyed
    head = bones["mixamorig:Head"]
    head.rotation_mode = head_mode
    head.rotation_euler = (0.1, -0.2, 0.05)
    head.rotation_axis_angle = (0.3, 0.0, 0.6, 0.8)
    assert obj.animation_data.action.use_fake_user is False  # keyframing makes no fake user
    return obj


def _track(ext, n=60, seed=0):
    t = np.arange(n) / 24.0
    angles = np.stack([20 * np.sin(t + seed), 8 * np.sin(2 * t), 5 * np.cos(t)], axis=1)
    return ext.core.track.PoseTrack.from_angles(angles, 24.0)


def _bake(ext, obj, seed=0, zero=False, **options):
    track = _track(ext, seed=seed)
    if zero:
        track = ext.core.track.PoseTrack.from_angles(np.zeros_like(track.angles), 24.0)
    return ext.anim.bake.bake_track(obj, track, ext.anim.bake.BakeOptions(**options))


def _turned(obj, scene, before) -> bool:
    """The bake visibly changed the head (so the test of Clear can fail)."""
    after = _pose(obj, scene)
    name = next(n for n in before[FRAMES[0]] if n.endswith("Head") or n == "head")
    return any(not np.allclose(before[f][name][0][:3, :3], after[f][name][0][:3, :3], atol=1e-3) for f in FRAMES)


@pytest.mark.parametrize("head_mode", ["QUATERNION", "XYZ", "AXIS_ANGLE"])
def test_clear_after_save_and_reload(ext, empty_scene, tmp_path, head_mode):
    obj = _keyed_rig(empty_scene, head_mode)
    original = obj.animation_data.action
    name, keys, slot = original.name, _keys(ext, original), _slot(ext, obj)
    before = _pose(obj, empty_scene)
    if head_mode == "QUATERNION":  # the repro: Generate & Bake (New Action) in the panel
        empty_scene.head_motion.target = obj
        obj.head_motion.neck_share = 0.4
        empty_scene.frame_start, empty_scene.frame_end = 1, 60
        assert bpy.ops.head_motion.generate_bake() == {"FINISHED"}
    else:
        _bake(ext, obj, neck_share=0.4)
    assert _turned(obj, empty_scene, before)
    path = tmp_path / "baked.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    bpy.ops.wm.open_mainfile(filepath=str(path))
    scene, obj = bpy.context.scene, bpy.data.objects["mixamo_yup"]
    assert name in bpy.data.actions  # the user's action was saved although only Head Motion refers to it
    scene.head_motion.target = obj
    assert bpy.ops.head_motion.clear() == {"FINISHED"}
    restored = obj.animation_data.action
    assert restored is not None and restored.name == name and _keys(ext, restored) == keys
    assert restored.use_fake_user is False and _slot(ext, obj) == slot
    assert [a.name for a in bpy.data.actions] == [name]
    _assert_same_pose(before, _pose(obj, scene))


@pytest.mark.parametrize("head_mode", ["QUATERNION", "ZXY"])
def test_clear_after_renames_and_several_bakes(ext, empty_scene, head_mode):
    obj = _keyed_rig(empty_scene, head_mode)
    original = obj.animation_data.action
    keys, slot = _keys(ext, original), _slot(ext, obj)
    before = _pose(obj, empty_scene)
    _bake(ext, obj)
    original.name = "Renamed by the user"
    if ext.anim.compat.has_slotted_actions():  # a renamed slot is found again by its handle
        original.slots[0].name_display = "Renamed slot"
        slot = original.slots[0].identifier
    _bake(ext, obj, zero=True)  # a bake of no motion over the user's keys: the user's pose, unchanged
    _assert_same_pose({f: before[f] for f in (20, 40)}, _pose(obj, empty_scene), static=False)
    second = _bake(ext, obj, seed=1, neck_share=0.4)
    # The re-bake started from the original (found by reference): its other channels are all there.
    assert ('pose.bones["mixamorig:Hips"].location', 0) in {(k[1], k[2]) for k in _keys(ext, second.action)}
    second.action.name = "my bake"
    original.name = "Renamed again"
    _bake(ext, obj, seed=2)
    _bake(ext, obj, seed=3, neck_share=0.2)
    assert _turned(obj, empty_scene, before)
    assert ext.anim.bake.clear_bake(obj) == original
    assert obj.animation_data.action == original and _keys(ext, original) == keys and _slot(ext, obj) == slot
    assert original.use_fake_user is False
    _assert_same_pose(before, _pose(obj, empty_scene))


@pytest.mark.parametrize("mode", ["QUATERNION", "XYZ", "AXIS_ANGLE"])
def test_clear_with_no_prior_action(ext, empty_scene, tmp_path, mode):
    obj = build_rig(RIGS["rigify_roll"])
    for pb in obj.pose.bones:
        pb.rotation_mode = mode
    head, neck = obj.pose.bones["head"], obj.pose.bones["neck"]
    head.rotation_euler, neck.rotation_euler = (0.05, 0.0, -0.1), (0.02, 0.03, 0.0)
    head.rotation_axis_angle = (0.2, 1.0, 0.0, 0.0)
    neck.rotation_quaternion = (0.99, 0.0, 0.1, 0.0)
    before = _pose(obj, empty_scene)
    _bake(ext, obj, neck_share=0.4)
    _bake(ext, obj, seed=1, neck_share=0.4)
    assert _turned(obj, empty_scene, before)
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "rigify.blend"))
    bpy.ops.wm.open_mainfile(filepath=str(tmp_path / "rigify.blend"))
    obj = bpy.data.objects["rigify_roll"]
    assert ext.anim.bake.clear_bake(obj) is None
    assert obj.animation_data.action is None
    assert len(bpy.data.actions) == 0
    _assert_same_pose(before, _pose(obj, bpy.context.scene))


def test_clear_keeps_a_fake_user_the_user_had_and_a_shared_original(ext, empty_scene):
    obj = _keyed_rig(empty_scene)
    original = obj.animation_data.action
    original.use_fake_user = True
    other = build_rig(RIGS["vrm"])
    other.animation_data_create().action = original  # another character uses the same action
    _bake(ext, obj)
    ext.anim.bake.clear_bake(obj)
    assert original.use_fake_user is True and other.animation_data.action == original
    original.use_fake_user = False
    _bake(ext, obj)
    assert original.use_fake_user is True  # protected while a bake refers to it
    ext.anim.bake.clear_bake(obj)
    assert original.use_fake_user is False


def test_plain_object_clear_restores_its_rotation(ext, empty_scene):
    empty = bpy.data.objects.new("Head", None)
    empty_scene.collection.objects.link(empty)
    empty.rotation_mode = "YZX"
    empty.rotation_euler = (0.1, -0.2, 0.3)
    empty.rotation_quaternion = (0.9, 0.1, 0.2, 0.3)
    bpy.context.view_layer.update()
    before = (empty.rotation_mode, tuple(empty.rotation_euler), tuple(empty.rotation_quaternion),
              tuple(empty.matrix_world.col[0]))
    _bake(ext, empty)
    empty_scene.frame_set(10)
    assert tuple(empty.rotation_euler) != before[1]
    ext.anim.bake.clear_bake(empty)
    empty_scene.frame_set(10)
    after = (empty.rotation_mode, tuple(empty.rotation_euler), tuple(empty.rotation_quaternion),
             tuple(empty.matrix_world.col[0]))
    assert after == before and empty.animation_data.action is None


def test_clear_gives_back_no_slot_when_there_was_none(ext, empty_scene):
    if not ext.anim.compat.has_slotted_actions():
        pytest.skip("Blender 4.2-4.3 actions have no slots")
    obj = _keyed_rig(empty_scene)
    original = obj.animation_data.action
    obj.animation_data.action_slot = None  # the action is assigned but animates nothing on this object
    keys, n_slots = _keys(ext, original), len(original.slots)
    _bake(ext, obj)
    ext.anim.bake.clear_bake(obj)
    assert obj.animation_data.action == original and obj.animation_data.action_slot is None
    assert len(original.slots) == n_slots and _keys(ext, original) == keys


def test_a_linked_original_action(ext, empty_scene, tmp_path):
    obj = _keyed_rig(empty_scene)
    name = obj.animation_data.action.name
    obj.animation_data.action.use_fake_user = True
    library = tmp_path / "library.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(library))
    bpy.ops.wm.read_homefile(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    with bpy.data.libraries.load(str(library), link=True) as (_data_from, data_to):
        data_to.actions = [name]
    linked = data_to.actions[0]
    obj = build_rig(RIGS["mixamo_yup"])
    ext.anim.fcurves.assign_action(obj, linked)
    before = _pose(obj, scene)
    _bake(ext, obj, neck_share=0.4)
    assert _turned(obj, scene, before)
    assert ext.anim.bake.clear_bake(obj) == linked and linked.library is not None
    _assert_same_pose(before, _pose(obj, scene))
