"""Interchange formats in real Blender: Live Link Face takes and FLAME pose files baked onto rigs through
File > Import, FLAME export of what a rig plays (and back), ARKit blendshapes onto shape keys, the batch command
with the new formats and --export-flame, and the API functions."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import bpy
import numpy as np
import pytest
from rigs import RIGS, angle_deg, build_rig, expected_world_delta, head_world_delta

ROOT = Path(__file__).resolve().parents[2]
ARKIT = ("EyeBlinkLeft", "JawOpen", "MouthSmileLeft")


def live_link_csv(path: Path, head_deg, seconds: float = 0.5, rate: int = 60, jaw=None) -> Path:
    """A Live Link Face take holding the constant head angles ``head_deg`` (yaw, pitch, roll in degrees)."""
    rows = [",".join(["Timecode", "BlendShapeCount", *ARKIT, "HeadYaw", "HeadPitch", "HeadRoll"])]
    n = int(seconds * rate) + 1
    for k in range(n):
        shapes = [0.2, jaw(k / rate) if jaw else 0.0, 0.7]
        values = [*shapes, *(np.asarray(head_deg, dtype=float) / 180.0)]
        rows.append(",".join([f"09:30:{10 + k // rate:02d}:{k % rate:02d}.000", "3", *map(repr, map(float, values))]))
    path.write_text("\n".join(rows) + "\n")
    return path


def flame_npz(path: Path, rotation, neck_pose, fps: float = 24.0) -> Path:
    """A FLAME motion file written here with numpy alone (float32, as FLAME trackers write them)."""
    rotation = np.asarray(rotation, dtype=np.float32).reshape(-1, 3)
    neck = np.asarray(neck_pose, dtype=np.float32).reshape(-1, 3)
    n = len(rotation)
    with open(path, "wb") as handle:
        np.savez(handle, rotation=rotation, neck_pose=neck, jaw_pose=np.zeros((n, 3), np.float32),
                 eyes_pose=np.zeros((n, 6), np.float32), translation=np.zeros((n, 3), np.float32),
                 expr=np.zeros((n, 100), np.float32), fps=np.array(fps))
    return path


def _face_and_top(obj, bone: str) -> tuple[np.ndarray, np.ndarray]:
    delta = np.array(head_world_delta(obj, bone))
    return delta @ np.array([0.0, -1.0, 0.0]), delta @ np.array([0.0, 0.0, 1.0])  # the rigs face -Y, Z up


@pytest.mark.parametrize("rig_name", ["rigify_roll", "mixamo_yup"])
def test_live_link_take_bakes_with_the_documented_signs(ext, empty_scene, tmp_path, rig_name):
    spec = RIGS[rig_name]
    obj = build_rig(spec)
    bpy.context.view_layer.objects.active = obj
    empty_scene.frame_start = 3
    checks = [((30.0, 0.0, 0.0), lambda face, top: face[0] > 0.45),   # yaw+: toward its left (+X)
              ((0.0, 20.0, 0.0), lambda face, top: face[2] > 0.3),    # pitch+: chin up
              ((0.0, 0.0, 15.0), lambda face, top: top[0] < -0.2)]    # roll+: top toward its right (-X)
    for head, check in checks:
        path = live_link_csv(tmp_path / "take.csv", head)
        assert bpy.ops.head_motion.import_motion(filepath=str(path), use_shape_keys=False) == {"FINISHED"}
        empty_scene.frame_set(3 + 6)
        face, top = _face_and_top(obj, spec.head)
        assert check(face, top), (head, face, top)
        assert angle_deg(head_world_delta(obj, spec.head), expected_world_delta(*head)) < 0.05
    # 0.5 s of 60 fps timecode at the scene's 24 fps, from the scene's first frame.
    assert obj.animation_data.action.frame_range[:] == pytest.approx((3.0, 15.0))


def test_flame_npz_from_a_tracker_bakes_with_flame_axes(ext, empty_scene, tmp_path):
    obj = build_rig(RIGS["vrm"])
    bpy.context.view_layer.objects.active = obj
    # FLAME: Y up, face along +Z, +X the character's left. A +0.5 rad turn about +Y is a yaw to its left;
    # -0.3 rad about +X raises the chin; +0.2 rad about +Z tilts the top of the head to its right.
    turn = np.array([[0.0, 0.5, 0.0], [-0.3, 0.0, 0.0], [0.0, 0.0, 0.2]])
    path = flame_npz(tmp_path / "tracked.npz", rotation=turn * 0.4, neck_pose=turn * 0.6)
    assert bpy.ops.head_motion.import_motion(filepath=str(path)) == {"FINISHED"}
    expected = [(math.degrees(0.5), 0.0, 0.0), (0.0, math.degrees(0.3), 0.0), (0.0, 0.0, math.degrees(0.2))]
    for frame, angles in enumerate(expected, start=1):
        empty_scene.frame_set(frame)
        assert angle_deg(head_world_delta(obj, "J_Bip_C_Head"), expected_world_delta(*angles)) < 0.01
    # Without the global rotation only the neck pose (60 %) turns the head.
    assert bpy.ops.head_motion.import_motion(filepath=str(path), flame_use_global=False) == {"FINISHED"}
    empty_scene.frame_set(1)
    assert angle_deg(head_world_delta(obj, "J_Bip_C_Head"), expected_world_delta(math.degrees(0.3), 0, 0)) < 0.01


KNOWN = np.array([[0.0, 0.0, 0.0], [30.0, 0.0, 0.0], [0.0, -15.0, 0.0], [0.0, 0.0, 12.0], [35.0, -20.0, 10.0],
                  [-40.0, 25.0, -15.0], [12.0, 8.0, 5.0]])


@pytest.mark.parametrize("rig_name, neck_share", [("rigify_roll", 0.4), ("cc_zxy", 0.0), ("unreal_axis_angle", 0.5)])
def test_export_flame_after_a_bake_and_import_it_again(ext, empty_scene, tmp_path, rig_name, neck_share):
    spec = RIGS[rig_name]
    obj = build_rig(spec)
    bpy.context.view_layer.objects.active = obj
    obj.head_motion.neck_share = neck_share
    track = ext.core.track.PoseTrack.from_angles(KNOWN, 24.0, start_frame=1)
    ext.anim.bake.bake_track(obj, track, ext.anim.bake.BakeOptions(neck_share=neck_share))
    empty_scene.frame_start, empty_scene.frame_end = 1, len(KNOWN)
    path = tmp_path / "baked.npz"
    assert bpy.ops.head_motion.export_flame(filepath=str(path), global_share=0.3) == {"FINISHED"}
    exported = ext.core.interop.load_flame(path)
    assert exported.track.fps == 24.0 and len(exported.track) == len(KNOWN)
    np.testing.assert_allclose(exported.track.angles, KNOWN, atol=1e-3)  # float32 file, read back from the rig
    # ... and baked onto another rig it turns that head the same way.
    other = build_rig(RIGS["vrm"])
    bpy.context.view_layer.objects.active = other
    assert bpy.ops.head_motion.import_motion(filepath=str(path)) == {"FINISHED"}
    for i, angles in enumerate(KNOWN):
        empty_scene.frame_set(1 + i)
        assert angle_deg(head_world_delta(other, "J_Bip_C_Head"), expected_world_delta(*angles)) < 0.01


def _face_mesh(armature) -> bpy.types.Object:
    mesh = bpy.data.meshes.new("Face")
    mesh.from_pydata([(0, 0, 0), (0.1, 0, 0), (0, 0, 0.1)], [], [(0, 1, 2)])
    face = bpy.data.objects.new("Face", mesh)
    bpy.context.scene.collection.objects.link(face)
    face.parent = armature
    face.shape_key_add(name="Basis")
    for name in ("jawOpen", "EyeBlinkLeft", "notArkit"):
        face.shape_key_add(name=name)
    return face


def test_live_link_blendshapes_key_arkit_shape_keys_in_a_new_action(ext, empty_scene, tmp_path):
    obj = build_rig(RIGS["rigify_roll"])
    face = _face_mesh(obj)
    keys = face.data.shape_keys
    keys.key_blocks["notArkit"].value = 0.5
    keys.key_blocks["notArkit"].keyframe_insert("value", frame=1)
    original = keys.animation_data.action
    bpy.context.view_layer.objects.active = obj
    path = live_link_csv(tmp_path / "take.csv", (10.0, 0.0, 0.0), seconds=1.0, jaw=lambda t: t)
    assert bpy.ops.head_motion.import_motion(filepath=str(path)) == {"FINISHED"}
    action = keys.animation_data.action
    assert action is not original and action.name == "Face_HeadMotionShapes"
    assert original.name in bpy.data.actions  # non-destructive: the previous shape-key action is kept
    for frame in (1, 13, 25):  # jawOpen ramps 0 -> 1 over the 1 s take, 24 fps
        empty_scene.frame_set(frame)
        assert keys.key_blocks["jawOpen"].value == pytest.approx((frame - 1) / 24, abs=1e-4)
        assert keys.key_blocks["EyeBlinkLeft"].value == pytest.approx(0.2, abs=1e-4)
        assert keys.key_blocks["notArkit"].value == pytest.approx(0.5)  # its own animation still plays
    # The API does the same on a mesh and says what had no shape key.
    result = ext.api.bake_livelink_shapes(face, path)
    assert result.keys == ["EyeBlinkLeft", "jawOpen"] and result.unmatched == ["mouthSmileLeft"]
    with pytest.raises(ext.api.HeadMotionError, match="no shape key"):
        ext.api.bake_livelink_shapes(_bare_mesh(), path)


def _bare_mesh() -> bpy.types.Object:
    mesh = bpy.data.meshes.new("Bare")
    mesh.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
    bare = bpy.data.objects.new("Bare", mesh)
    bpy.context.scene.collection.objects.link(bare)
    bare.shape_key_add(name="Basis")
    bare.shape_key_add(name="smile")
    return bare


def test_api_export_flame_from_an_object_and_load_motion_file(ext, empty_scene, tmp_path):
    api = ext.api
    rig = api.build_sample_character()
    track = api.PoseTrack.from_angles(KNOWN, 24.0, start_frame=1)
    api.bake_track(rig, track, api.BakeOptions(neck_share=0.3))
    path = api.export_flame(rig, tmp_path / "sample.json", frame_range=(1, len(KNOWN)))
    doc = json.loads(Path(path).read_text())
    assert doc["format"] == "head_motion.flame_sequence" and len(doc["frames"]) == len(KNOWN)
    np.testing.assert_allclose(api.load_motion_file(path).angles, KNOWN, atol=1e-3)
    npz = api.export_flame(track, tmp_path / "t.npz", fps=12.0)
    assert len(api.load_motion_file(npz)) == 4  # 7 frames at 24 fps = 0.25 s -> 4 frames at 12 fps


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "BLENDER_USER_RESOURCES"}
    return subprocess.run([sys.executable, "-m", "tools.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def test_batch_bakes_live_link_and_flame_files_and_exports_flame(ext, tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    live_link_csv(inputs / "iphone_take.csv", (20.0, 0.0, 0.0), seconds=1.0)
    flame_npz(inputs / "avatar.npz", rotation=np.zeros((30, 3)), neck_pose=[[0.0, 0.2, 0.0]] * 30, fps=30.0)
    (inputs / "broken.npz").write_bytes(b"PK not really")
    out = tmp_path / "out"
    done = _cli("--method", "track", "--export-flame", "--neck-share", "0", "--output", str(out), str(inputs))
    assert done.returncode == 1, done.stdout + done.stderr  # one broken input
    summary = json.loads((out / "summary.json").read_text())
    results = {Path(r["input"]).name: r for r in summary["results"]}
    assert not results["broken.npz"]["ok"] and "broken.npz" in results["broken.npz"]["error"]
    assert results["iphone_take.csv"]["frames"] == [1, 26] and results["avatar.npz"]["frames"] == [1, 25]
    for name in ("iphone_take", "avatar"):
        flame = ext.core.interop.load_flame(out / f"{name}.flame.npz")
        assert flame.track.fps == 25.0  # the sample character's scene
    assert ext.core.interop.load_flame(out / "avatar.flame.npz").track.yaw.mean() == pytest.approx(
        math.degrees(0.2), abs=1e-3)
    # --skip-existing leaves up-to-date outputs alone.
    stamp = (out / "avatar.blend").stat().st_mtime_ns
    again = _cli("--method", "track", "--export-flame", "--skip-existing", "--output", str(out),
                 str(inputs / "avatar.npz"))
    assert again.returncode == 0, again.stdout + again.stderr
    assert json.loads((out / "summary.json").read_text())["results"][0]["skipped"]  # the reason it was left alone
    assert (out / "avatar.blend").stat().st_mtime_ns == stamp


def test_file_menus_offer_import_and_export(ext):
    entries = {menu: [f.__name__ for f in getattr(bpy.types, menu)._dyn_ui_initialize()]
               for menu in ("TOPBAR_MT_file_import", "TOPBAR_MT_file_export")}
    assert "_menu_import" in entries["TOPBAR_MT_file_import"]
    assert "_menu_export" in entries["TOPBAR_MT_file_export"]
    assert "UNDO" in ext.operators.interop_ops.HEADMOTION_OT_import_motion.bl_options
