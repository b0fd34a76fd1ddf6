"""Eye bakes in real Blender: eye bones of five rig families keep eye contact with the camera while the head
turns (checked on the evaluated pose), blink and gaze shape keys of four naming families, lid bones, the
non-destructive rules (new action, Clear), and bad input that changes nothing."""

from __future__ import annotations

import importlib
import math

import bpy
import eye_scenes
import numpy as np
import pytest
from mathutils import Vector
from rigs import RIGS, build_rig

FPS = eye_scenes.FPS


def _mod(ext, name):
    return importlib.import_module(f"{ext.__name__}.{name}")


def _head_track(ext, n=96):
    return eye_scenes.head_track(ext, n)


def _camera(scene, location=(0.4, -2.2, 1.75)):
    return eye_scenes.camera(scene, location)


def _gaze_errors(obj, bones, frames, target: Vector, scene):
    """Angle (deg) between each eye's evaluated gaze and the line from the eye to ``target``, per frame."""
    forward = Vector((0.0, -1.0, 0.0))  # the characters face world -Y
    out = []
    for f in frames:
        scene.frame_set(int(f))
        for bone in bones:
            pb = obj.pose.bones[bone]
            posed = (obj.matrix_world @ pb.matrix).to_quaternion()
            rest = (obj.matrix_world @ obj.data.bones[bone].matrix_local).to_quaternion()
            gaze = (posed @ rest.inverted()) @ forward
            eye = obj.matrix_world @ pb.head
            out.append(math.degrees(gaze.angle(target - eye)))
    return np.array(out).reshape(len(frames), len(bones))


@pytest.mark.parametrize("rig_name, share", [("rigify_roll", 0.0), ("mixamo_yup", 0.0), ("vrm", 0.3),
                                             ("cc_zxy", 0.3), ("rpm_euler_yxz", 0.0)])
def test_eye_bones_keep_contact_while_the_head_turns(ext, empty_scene, rig_name, share):
    scene = empty_scene
    obj = build_rig(RIGS[rig_name], scene)
    cam = _camera(scene)
    track = _head_track(ext)
    bake = ext.anim.bake
    eyes_mod = _mod(ext, 'anim.eyes')
    bake.bake_track(obj, track, bake.BakeOptions(neck_share=share), scene=scene)
    head_action = obj.animation_data.action
    options = eyes_mod.EyeBakeOptions(settings=_mod(ext, 'core.eyes').EyeSettings(seed=3), neck_share=share)
    result = eyes_mod.bake_eyes(obj, track, options, scene=scene)
    assert result.rig.eye_bones == RIGS[rig_name].eyes
    assert obj.animation_data.action == head_action  # the eyes joined the head's Head Motion action
    frames = track.frames
    errors = _gaze_errors(obj, result.rig.eye_bones, frames, cam.location.copy(), scene)
    contact = ~result.eyes.aversion
    assert contact.sum() > 20
    assert errors[contact].max() < 1.0, errors[contact].max()
    # Without the eye bake the eyes would follow the head (up to ~20 degrees off).
    assert np.ptp(result.eyes.yaw[:, 0]) > 25.0


def test_reduced_eye_keys_keep_their_shape_when_made_bezier(ext, empty_scene):
    """The eye bake keys only the frames linear interpolation needs (within 0.2 deg); their Vector handles make
    the same curve when an animator switches the keys to Bezier, so the reduction's accuracy survives that edit
    (auto-clamped handles would round the corners off between the keys)."""
    scene = empty_scene
    obj = build_rig(RIGS["rigify_roll"], scene)
    _camera(scene)
    track = _head_track(ext, 240)
    ext.anim.bake.bake_track(obj, track, scene=scene)
    result = _mod(ext, "anim.eyes").bake_eyes(obj, track, scene=scene)
    channels = ext.anim.fcurves.channels_for(obj, create=False)
    curves = [channels.fcurves.find(f'pose.bones["{bone}"].rotation_quaternion', index=i)
              for bone in result.rig.eye_bones for i in range(4)]
    assert all(fc is not None for fc in curves)
    keys = len(curves[0].keyframe_points)
    assert 10 < keys < 0.6 * len(track), keys
    assert {kp.interpolation for fc in curves for kp in fc.keyframe_points} == {"LINEAR"}
    samples = np.arange(track.frames[0], track.frames[-1], 0.25)

    def values():
        return np.array([[fc.evaluate(float(f)) for f in samples] for fc in curves])

    linear = values()
    for fc in curves:
        for kp in fc.keyframe_points:
            kp.interpolation = "BEZIER"
    assert np.abs(values() - linear).max() < 1e-5


@pytest.mark.parametrize("family, names", [
    ("arkit", ("eyeBlinkLeft", "eyeBlinkRight", "eyeLookUpLeft", "eyeLookOutLeft", "eyeLookInRight")),
    ("vrm", ("Fcl_EYE_Close", "Fcl_EYE_Close_L", "Fcl_EYE_Close_R", "lookLeft")),
    ("character_creator", ("Eye_Blink_L", "Eye_Blink_R", "Eye_L_Look_L", "Eye_R_Look_Down")),
    ("custom", ("Shut",)),
])
def test_shape_keys_by_family(ext, empty_scene, family, names):
    scene = empty_scene
    obj = build_rig(RIGS["unreal_axis_angle"], scene)  # no eye bones: only the shape keys carry the eyes
    mesh = bpy.data.objects.new("Face", bpy.data.meshes.new("Face"))
    mesh.data.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
    scene.collection.objects.link(mesh)
    mesh.parent = obj
    mesh.shape_key_add(name="Basis")
    for name in names:
        mesh.shape_key_add(name=name)
    key = mesh.data.shape_keys
    original = bpy.data.actions.new("FaceAnim")
    key.animation_data_create()
    ext.anim.fcurves.assign_action(key, original)
    eyes_mod = _mod(ext, 'anim.eyes')
    options = eyes_mod.EyeBakeOptions(blink_key="Shut" if family == "custom" else "")
    result = eyes_mod.bake_eyes(obj, _head_track(ext, 240), options, scene=scene)
    assert result.rig.eye_bones is None and result.blinks > 0
    assert result.rig.shape_keys[0][1].family == family
    baked = key.animation_data.action
    assert baked != original and ext.anim.restore.source_of(baked) == original  # by reference, not by name
    channels = ext.anim.fcurves.channels_for(key, create=False)
    blink_name = {"arkit": "eyeBlinkLeft", "vrm": "Fcl_EYE_Close_L", "character_creator": "Eye_Blink_L",
                  "custom": "Shut"}[family]
    fc = channels.fcurves.find(f'key_blocks["{blink_name}"].value', index=0)
    values = np.array([fc.evaluate(f) for f in range(1, 241)])
    assert values.max() == pytest.approx(1.0) and np.median(values) == pytest.approx(0.0, abs=1e-6)
    assert np.count_nonzero(values > 0.999) >= result.blinks
    scene.frame_set(int(result.eyes.frames[np.argmax(result.eyes.blink[:, 0])]))
    assert key.key_blocks[blink_name].value == pytest.approx(1.0)
    baked_name = baked.name
    eyes_mod.clear_eyes(obj)
    assert key.animation_data.action == original and baked_name not in bpy.data.actions


def test_sample_character_lids_and_evaluated_head(ext, empty_scene):
    """Eyes baked after the head from the scene's own animation (any motion source), on eye and lid bones."""
    scene = empty_scene
    scene.frame_end = 72
    obj = _mod(ext, 'anim.sample_character').build_sample_character(scene=scene)
    cam = _camera(scene, (-0.3, -1.8, 1.6))
    track = _head_track(ext, 72)
    ext.anim.bake.bake_track(obj, track, scene=scene)
    eyes_mod = _mod(ext, 'anim.eyes')
    result = eyes_mod.bake_eyes(obj, None, eyes_mod.EyeBakeOptions(), scene=scene)
    assert result.rig.eye_bones == ("eye.L", "eye.R") and result.rig.lid_bones is not None
    errors = _gaze_errors(obj, result.rig.eye_bones, track.frames, cam.location.copy(), scene)
    assert errors[~result.eyes.aversion].max() < 1.0
    lid = result.rig.lid_bones[0]
    shut = int(result.eyes.frames[np.argmax(result.eyes.blink[:, 0])])
    scene.frame_set(shut)
    closed = obj.pose.bones[lid].matrix.to_quaternion()
    scene.frame_set(shut - 6 if shut > 7 else shut + 8)
    assert math.degrees(closed.rotation_difference(obj.pose.bones[lid].matrix.to_quaternion()).angle) > 10.0
    head_action = obj.animation_data.action
    eyes_mod.clear_eyes(obj)
    assert obj.animation_data.action == head_action
    channels = ext.anim.fcurves.channels_for(obj, create=False)
    assert channels.fcurves.find('pose.bones["eye.L"].rotation_quaternion', index=0) is None


def _snapshot():
    return (sorted(a.name for a in bpy.data.actions), sorted(o.name for o in bpy.data.objects))


def test_bad_input_changes_nothing(ext, empty_scene, tmp_path):
    scene = empty_scene
    eyes_mod = _mod(ext, 'anim.eyes')
    errors = ext.core.errors
    no_eyes = build_rig(RIGS["unreal_axis_angle"], scene)
    before = _snapshot()
    with pytest.raises(errors.TargetError, match="No eyes found"):
        eyes_mod.bake_eyes(no_eyes, _head_track(ext), scene=scene)
    assert _snapshot() == before
    rig = build_rig(RIGS["rigify_roll"], scene)
    child = bpy.data.objects.new("OnTheHead", None)
    scene.collection.objects.link(child)
    child.parent = rig
    child.location = (0, -1, 1.7)
    before = _snapshot()
    with pytest.raises(errors.TargetError, match="part of the character"):
        eyes_mod.bake_eyes(rig, _head_track(ext), eyes_mod.EyeBakeOptions(target=child), scene=scene)
    with pytest.raises(errors.SettingsError, match="blink rate"):
        settings = _mod(ext, 'core.eyes').EyeSettings(blink_rate=-3)
        eyes_mod.bake_eyes(rig, _head_track(ext), eyes_mod.EyeBakeOptions(settings=settings), scene=scene)
    assert _snapshot() == before and rig.animation_data is None
    # Shape keys on a linked mesh: a clear message, nothing changed.
    lib_mesh = bpy.data.meshes.new("LinkedFace")
    lib_mesh.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
    holder = bpy.data.objects.new("Holder", lib_mesh)
    scene.collection.objects.link(holder)
    holder.shape_key_add(name="Basis")
    holder.shape_key_add(name="eyeBlinkLeft")
    holder.shape_key_add(name="eyeBlinkRight")
    path = str(tmp_path / "lib.blend")
    bpy.data.libraries.write(path, {lib_mesh})
    bpy.data.objects.remove(holder)
    bpy.data.meshes.remove(lib_mesh)
    with bpy.data.libraries.load(path, link=True) as (_src, dst):
        dst.meshes = ["LinkedFace"]
    face = bpy.data.objects.new("Face", dst.meshes[0])
    scene.collection.objects.link(face)
    face.parent = no_eyes
    before = _snapshot()
    with pytest.raises(errors.TargetError, match="linked from a library"):
        eyes_mod.bake_eyes(no_eyes, _head_track(ext), scene=scene)
    assert _snapshot() == before


def test_panel_operators_bake_eyes_with_the_head(ext, empty_scene):
    """Through the operators, as a user does: Eyes on, Generate & Bake, Bake Eyes, Detect, Clear Eyes, Undo-safe."""
    scene = empty_scene
    scene.frame_end = 120
    obj = _mod(ext, "anim.sample_character").build_sample_character(scene=scene)
    _camera(scene)
    bpy.context.view_layer.objects.active = obj
    scene.head_motion.target = obj
    assert bpy.ops.head_motion.detect_eyes() == {"FINISHED"}
    assert scene.head_motion_eyes.eye_bones == "eye.L,eye.R"
    scene.head_motion_eyes.enabled = True
    scene.head_motion_eyes.blink_rate = 40.0
    assert bpy.ops.head_motion.generate_bake() == {"FINISHED"}
    channels = ext.anim.fcurves.channels_for(obj, create=False)
    for bone in ("head", "eye.L", "eye.R", "lid.T.L", "lid.T.R"):
        assert channels.fcurves.find(f'pose.bones["{bone}"].rotation_quaternion', index=0) is not None, bone
    action = obj.animation_data.action
    assert bpy.ops.head_motion.bake_eyes() == {"FINISHED"}  # again, from the baked head: replaces the eyes
    assert obj.animation_data.action == action
    assert bpy.ops.head_motion.clear_eyes() == {"FINISHED"}
    channels = ext.anim.fcurves.channels_for(obj, create=False)
    assert channels.fcurves.find('pose.bones["eye.L"].rotation_quaternion', index=0) is None
    assert channels.fcurves.find('pose.bones["head"].rotation_quaternion', index=0) is not None
    scene.head_motion.target = None
    plain = bpy.data.objects.new("Plain", None)
    scene.collection.objects.link(plain)
    bpy.context.view_layer.objects.active = plain
    with pytest.raises(RuntimeError, match="No eyes found on 'Plain'"):  # reported, nothing changed
        bpy.ops.head_motion.bake_eyes()
    assert plain.animation_data is None


def test_batch_eyes_and_summary_blinks(ext, tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    synthetic = ext.core.motion.synthetic
    track = synthetic.generate_synthetic(500, 25.0, synthetic.preset_settings("CONVERSATIONAL", seed=1))
    track.save(tmp_path / "take.csv")
    env = dict(os.environ)
    env.pop("BLENDER_USER_RESOURCES", None)
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "tools.cli", "--method", "track", "--eyes", "--eye-target", "Nope",
                           "--output", str(out), str(tmp_path / "take.csv")], cwd=root, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 1 and "no object named 'Nope'" in done.stdout + done.stderr
    done = subprocess.run([sys.executable, "-m", "tools.cli", "--method", "track", "--eyes", "--output", str(out),
                           str(tmp_path / "take.csv")], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads((out / "summary.json").read_text())
    entry = summary["results"][0]
    assert entry["blinks"] >= 2 and summary["blinks"] == entry["blinks"]  # 20 s: about 6 blinks
    bpy.ops.wm.open_mainfile(filepath=entry["blend"])
    rig = bpy.data.objects["HeadMotionSample"]
    channels = ext.anim.fcurves.channels_for(rig, create=False)
    assert channels.fcurves.find('pose.bones["lid.T.L"].rotation_quaternion', index=0) is not None


def test_api_eye_functions(ext, empty_scene):
    api = _mod(ext, "api")
    scene = empty_scene
    obj = api.build_sample_character(scene=scene)
    track = _head_track(ext, 120)
    eyes = api.generate_eyes(track, api.eye_preset("CALM", seed=2))
    assert isinstance(eyes, api.EyeTrack) and len(eyes) == 120
    api.bake_track(obj, track, scene=scene)
    result = api.bake_eyes(obj, track, api.EyeBakeOptions(settings=api.EyeSettings(gaze_mode="FREE")), scene=scene)
    assert result.blinks == result.eyes.blink_count and result.rig.eye_bones == ("eye.L", "eye.R")
    assert api.clear_eyes(obj) > 0


def test_bake_a_given_eye_track_follows_the_angle_convention(ext, empty_scene):
    """A measured/saved EyeTrack is baked as given: yaw > 0 turns the eyes to the character's left (+X for a
    character facing -Y), pitch > 0 up; blink closes the lids on the given frames."""
    api = _mod(ext, "api")
    scene = empty_scene
    obj = api.build_sample_character(scene=scene)
    n = 48
    yaw = np.column_stack([np.full(n, 15.0), np.full(n, 15.0)])
    pitch = np.column_stack([np.full(n, -10.0), np.full(n, -10.0)])
    blink = np.zeros((n, 2))
    blink[20:23] = [[0.5, 0.5], [1.0, 1.0], [0.5, 0.5]]
    eyes = api.EyeTrack(yaw, pitch, blink, 24.0, start_frame=1)
    head = ext.core.track.PoseTrack(np.zeros(n), np.zeros(n), np.zeros(n), 24.0)
    result = api.bake_eye_track(obj, eyes, head, scene=scene)
    assert result.blinks == 0 and result.keys_written > 0
    scene.frame_set(10)
    pb = obj.pose.bones["eye.L"]
    posed = (obj.matrix_world @ pb.matrix).to_quaternion()
    rest = (obj.matrix_world @ obj.data.bones["eye.L"].matrix_local).to_quaternion()
    gaze = (posed @ rest.inverted()) @ Vector((0.0, -1.0, 0.0))
    assert math.degrees(math.atan2(gaze.x, -gaze.y)) == pytest.approx(15.0, abs=0.3)  # toward +X: her left
    assert math.degrees(math.asin(gaze.z)) == pytest.approx(-10.0, abs=0.3)
    lid = obj.pose.bones["lid.T.L"]
    open_rot = lid.matrix.to_quaternion()
    scene.frame_set(22)
    turned = math.degrees(open_rot.rotation_difference(lid.matrix.to_quaternion()).angle)
    assert min(turned, 360.0 - turned) == pytest.approx(55.0, abs=1)


def test_bake_pose_file_uses_the_eyes_stored_in_it(ext, empty_scene, tmp_path):
    files = _mod(ext, "core.eyes.files")
    core_eyes = _mod(ext, "core.eyes")
    scene = empty_scene
    obj = _mod(ext, "anim.sample_character").build_sample_character(scene=scene)
    n = 60
    head = ext.core.track.PoseTrack(np.zeros(n), np.zeros(n), np.zeros(n), 24.0)
    blink = np.zeros((n, 2))
    blink[30] = 1.0
    stored = core_eyes.EyeTrack(np.full((n, 2), -12.0), np.zeros((n, 2)), blink, 24.0)
    path = tmp_path / "take.json"
    files.save_with_eyes(path, head, stored)
    scene.head_motion.target = obj
    scene.head_motion_eyes.enabled = True
    assert bpy.ops.head_motion.bake_file(filepath=str(path)) == {"FINISHED"}
    scene.frame_set(5)
    pb = obj.pose.bones["eye.R"]
    posed = (obj.matrix_world @ pb.matrix).to_quaternion()
    rest = (obj.matrix_world @ obj.data.bones["eye.R"].matrix_local).to_quaternion()
    gaze = (posed @ rest.inverted()) @ Vector((0.0, -1.0, 0.0))
    assert math.degrees(math.atan2(gaze.x, -gaze.y)) == pytest.approx(-12.0, abs=0.3)  # the file's eyes, not generated


def test_eye_objects_parented_to_the_head_bone(ext, empty_scene):
    """Separate eyeball objects on the head bone (no eye bones): they turn themselves to keep eye contact."""
    from mathutils import Matrix

    scene = empty_scene
    rig = build_rig(RIGS["unreal_axis_angle"], scene)  # no eye bones; object moved to (2, 1, 0)
    cam = _camera(scene, (2.3, -1.2, 1.8))
    bone = rig.data.bones["head"]
    tail = rig.matrix_world @ bone.matrix_local @ Matrix.Translation((0.0, bone.length, 0.0))
    eyes = []
    for name, x, mode in (("Eye_L", 0.033, "XYZ"), ("Eye_R", -0.033, "QUATERNION")):
        eye = bpy.data.objects.new(name, None)
        scene.collection.objects.link(eye)
        eye.parent, eye.parent_type, eye.parent_bone = rig, "BONE", "head"
        eye.location = tail.inverted() @ (rig.matrix_world @ Vector((x, -0.09, 1.68)))
        eye.rotation_mode = mode
        eyes.append(eye)
    bpy.context.view_layer.update()
    track = _head_track(ext)
    ext.anim.bake.bake_track(rig, track, scene=scene)
    eyes_mod = _mod(ext, "anim.eyes")
    result = eyes_mod.bake_eyes(rig, track, eyes_mod.EyeBakeOptions(), scene=scene)
    assert result.rig.eye_objects == tuple(eyes) and result.rig.eye_bones is None
    rests = [(rig.matrix_world @ bone.matrix_local @ e.matrix_parent_inverse).to_quaternion() for e in eyes]
    errors = []
    for f in track.frames:
        scene.frame_set(int(f))
        for eye, rest in zip(eyes, rests, strict=True):
            gaze = (eye.matrix_world.to_quaternion() @ rest.inverted()) @ Vector((0.0, -1.0, 0.0))
            errors.append(math.degrees(gaze.angle(cam.location - eye.matrix_world.translation)))
    errors = np.array(errors).reshape(len(track), 2)
    assert errors[~result.eyes.aversion].max() < 1.0, errors[~result.eyes.aversion].max()
    eyes_mod.clear_eyes(rig)
    assert all(e.animation_data.action is None for e in eyes)


def test_still_gaze_targets_are_placed_as_the_depsgraph_places_them(ext, empty_scene):
    """A gaze target nothing animates is placed from its own transform and its object parents' (delta transforms,
    parent inverse), without evaluating the scene, where the depsgraph would put it; a target on a bone is left to
    the depsgraph; a new object, whose matrix_world is stale, is placed where it is."""
    from mathutils import Euler, Matrix

    scene = empty_scene
    rig = build_rig(RIGS["rigify_roll"], scene)
    rig_mod = _mod(ext, "anim.eye_rig")
    holder = bpy.data.objects.new("Holder", None)
    scene.collection.objects.link(holder)
    holder.location, holder.rotation_euler, holder.scale = (1.0, -0.5, 0.3), Euler((0.3, -0.2, 1.1)), (1.5, 1, 0.7)
    child = bpy.data.objects.new("Child", None)
    scene.collection.objects.link(child)
    child.parent = holder
    child.matrix_parent_inverse = Matrix.Translation((0.2, 0.1, -0.4)) @ Euler((0.1, 0.5, -0.3)).to_matrix().to_4x4()
    child.location, child.delta_location, child.delta_rotation_euler = (0.3, -1.2, 0.5), (0.1, 0.0, 0.2), (0, 0, 0.4)
    on_bone = bpy.data.objects.new("OnBone", None)
    scene.collection.objects.link(on_bone)
    on_bone.parent, on_bone.parent_type, on_bone.parent_bone = rig, "BONE", "head"
    on_bone.location = (0.0, 0.3, -0.5)
    fresh = bpy.data.objects.new("Fresh", None)
    scene.collection.objects.link(fresh)
    frames = np.arange(1.0, 4.0)
    placed = {obj.name: rig_mod.target_points(obj, frames, scene) for obj in (child, on_bone, fresh)}
    fresh.location = (0.7, -3.0, 1.2)
    placed["Fresh"] = rig_mod.target_points(fresh, frames, scene)
    depsgraph = bpy.context.evaluated_depsgraph_get()
    for obj in (child, on_bone, fresh):
        expected = np.array(obj.evaluated_get(depsgraph).matrix_world.translation)
        assert placed[obj.name].shape == (3,)  # one position: nothing animates them
        np.testing.assert_allclose(placed[obj.name], expected, atol=1e-5)
    assert np.linalg.norm(placed["Child"] - np.array(child.location)) > 0.5  # the parents really moved it


def _eye_in_head(obj, eye: str, head: str) -> tuple[float, float]:
    """(yaw, pitch) degrees of ``eye``'s evaluated gaze in the head's frame, for a character facing -Y, up +Z."""
    def delta(bone):
        posed = (obj.matrix_world @ obj.pose.bones[bone].matrix).to_quaternion()
        return posed @ (obj.matrix_world @ obj.data.bones[bone].matrix_local).to_quaternion().inverted()

    gaze = (delta(head).inverted() @ delta(eye)) @ Vector((0.0, -1.0, 0.0))
    return math.degrees(math.atan2(gaze.x, -gaze.y)), math.degrees(math.asin(gaze.z))



def _eye_keys(ext, obj) -> dict[tuple[str, int], np.ndarray]:
    """Every eye and lid F-curve's keys (frame, value pairs) on ``obj``'s action."""
    out = {}
    for fc in ext.anim.fcurves.channels_for(obj, create=False).fcurves:
        if any(f'"{bone}"' in fc.data_path for bone in ("eye.L", "eye.R", "lid.T.L", "lid.T.R")):
            co = np.empty(2 * len(fc.keyframe_points), dtype=np.float32)
            fc.keyframe_points.foreach_get("co", co)
            out[(fc.data_path, fc.array_index)] = co
    return out


@pytest.mark.parametrize("suffix", ["csv", "json"])
def test_export_pose_file_writes_the_baked_eyes(ext, empty_scene, tmp_path, suffix):
    """Eyes on, Generate & Bake, then Export Pose File: the file's eye columns are the baked eyes (the evaluated
    eye-in-head angles), and Bake Pose File of that file (after Clear, which also gives the eye and lid bones their
    pre-bake pose back) writes the same eye and lid keys."""
    files = _mod(ext, "core.eyes.files")
    scene = empty_scene
    scene.frame_end = 150
    obj = _mod(ext, "anim.sample_character").build_sample_character(scene=scene)
    _camera(scene, (0.5, -2.0, 1.9))
    bpy.context.view_layer.objects.active = obj
    scene.head_motion.target = obj
    scene.head_motion_eyes.enabled = True
    scene.head_motion_eyes.blink_rate = 40.0
    assert bpy.ops.head_motion.generate_bake() == {"FINISHED"}
    baked = _eye_keys(ext, obj)
    assert len(baked) == 16  # 2 eyes + 2 lids, 4 quaternion channels each
    path = tmp_path / f"take.{suffix}"
    assert bpy.ops.head_motion.export_track(filepath=str(path)) == {"FINISHED"}
    track = ext.core.track.PoseTrack.load(path)
    assert track.eye_groups() == ("gaze", "blink") and len(track) == 150
    stored = files.load_eyes(path, track)
    assert stored.blink_count > 0 and np.ptp(stored.yaw[:, 0]) > 5.0
    for i in range(0, 150, 7):
        scene.frame_set(int(track.frames[i]))
        for side, bone in enumerate(("eye.L", "eye.R")):
            yaw, pitch = _eye_in_head(obj, bone, "head")
            assert yaw == pytest.approx(stored.yaw[i, side], abs=0.5), (i, bone)
            assert pitch == pytest.approx(stored.pitch[i, side], abs=0.5), (i, bone)
    assert bpy.ops.head_motion.clear() == {"FINISHED"}
    assert obj.animation_data.action is None  # Clear gives back the eye bones' pose too (it was the last frame's)
    for bone in ("eye.L", "eye.R", "lid.T.L", "lid.T.R"):
        assert tuple(obj.pose.bones[bone].rotation_quaternion) == pytest.approx((1.0, 0.0, 0.0, 0.0)), bone
    assert bpy.ops.head_motion.bake_file(filepath=str(path)) == {"FINISHED"}
    again = _eye_keys(ext, obj)
    assert again.keys() == baked.keys()
    for channel, keys in baked.items():
        np.testing.assert_allclose(again[channel], keys, atol=1e-5, err_msg=str(channel))


def test_export_pose_file_eyes_without_a_character(ext, empty_scene, tmp_path):
    """Eyes on: with no target the file gets eyes on a point straight ahead; with a target that has no eyes it gets
    the head alone (the report says why); with the Eyes panel off, the head alone."""
    scene = empty_scene
    scene.frame_end = 60
    scene.head_motion_eyes.enabled = True
    bpy.context.view_layer.objects.active = None
    path = tmp_path / "free.csv"
    assert bpy.ops.head_motion.export_track(filepath=str(path)) == {"FINISHED"}
    track = ext.core.track.PoseTrack.load(path)
    assert track.eye_groups() == ("gaze", "blink") and len(track) == 60
    plain = bpy.data.objects.new("Plain", None)
    scene.collection.objects.link(plain)
    scene.head_motion.target = plain
    assert bpy.ops.head_motion.export_track(filepath=str(tmp_path / "plain.json")) == {"FINISHED"}
    assert ext.core.track.PoseTrack.load(tmp_path / "plain.json").eye_groups() == ()
    assert plain.animation_data is None  # exporting reads, never writes
    scene.head_motion_eyes.enabled = False
    scene.head_motion.target = None
    assert bpy.ops.head_motion.export_track(filepath=str(tmp_path / "off.csv")) == {"FINISHED"}
    assert ext.core.track.PoseTrack.load(tmp_path / "off.csv").eye_groups() == ()
