"""Video blinks against a rendered ground truth: the photo-textured face of tests/support/face_scene.py with its
upper-lid landmark vertices moved onto the lower lid (a shape key), rendered open, half shut and shut at three
head turns; an 80 s video is sequenced from those renders with blinks on known frames (and a little pixel noise,
so no two frames are identical), and goes through the real landmark backends (mediapipe FaceMesh with refined
landmarks; LiteRT) and :func:`core.video.eye_signals.eye_signals`. At least 90 % of the blinks must be found
within 2 frames, with at most one false blink per minute."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

import bpy
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support import face_scene

#: Upper and lower lid contours, corner to corner (FaceMesh landmark indices), person's left eye then right eye.
UPPER = ((263, 466, 388, 387, 386, 385, 384, 398, 362), (33, 246, 161, 160, 159, 158, 157, 173, 133))
LOWER = ((263, 249, 390, 373, 374, 380, 381, 382, 362), (33, 7, 163, 144, 145, 153, 154, 155, 133))
YAWS = (0.0, 12.0, -12.0)
CLOSURES = (0.0, 0.5, 1.0)
FPS = 30.0
SECONDS = 80.0
BACKENDS = {"mediapipe": "mediapipe.python.solutions.face_mesh", "litert": "ai_edge_litert.interpreter"}


@pytest.fixture(scope="module")
def renders(ext, tmp_path_factory):
    """{(yaw, closure): RGB image} of the face at each head turn and lid state."""
    import cv2

    bpy.ops.wm.read_homefile(use_empty=True)
    photo = face_scene.astronaut_photo()
    face_model = ext.core.video.face_model
    geometry = face_scene.face_geometry(photo, face_model.canonical_face(), face_model.RIGID_LANDMARKS)
    scene = face_scene.build_scene(bpy.context.scene, photo, geometry, fov_deg=40.0, size=256)
    face = scene.face
    face.shape_key_add(name="Basis")
    shut = face.shape_key_add(name="Shut")
    for upper, lower in zip(UPPER, LOWER, strict=True):
        for u, lo in zip(upper[1:-1], lower[1:-1], strict=True):
            shut.data[u].co = face.data.vertices[lo].co.copy()
    poses = [(yaw, c) for yaw in YAWS for c in CLOSURES]
    for frame, (_yaw, closure) in enumerate(poses, start=1):
        shut.value = closure
        shut.keyframe_insert("value", frame=frame)
    folder = tmp_path_factory.mktemp("eye_renders")
    paths = face_scene.render_poses(scene, np.array([[yaw, 0.0, 0.0] for yaw, _ in poses]), folder)
    bpy.ops.wm.read_homefile(use_empty=True)
    return {pose: cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB) for pose, p in zip(poses, paths, strict=True)}


def _sequence(seed: int):
    """Per frame (yaw index, closure index) and the frames where the lids are shut."""
    rng = np.random.default_rng(seed)
    n = int(SECONDS * FPS)
    yaw = np.zeros(n, dtype=np.int64)
    k = 0
    while k < n:
        length = int(rng.uniform(4.0, 7.0) * FPS)
        yaw[k:k + length] = rng.integers(len(YAWS))
        k += length
    closure = np.zeros(n, dtype=np.int64)
    shut_frames = []
    k = int(1.0 * FPS)
    while k < n - 8:
        shut_length = int(rng.integers(1, 3))
        shape = [1, *([2] * shut_length), 1]  # half, shut (1-2 frames), half: 100-130 ms
        closure[k:k + len(shape)] = shape
        shut_frames.append(k + 1)
        k += len(shape) + int(rng.uniform(1.5, 4.0) * FPS)
    return yaw, closure, np.array(shut_frames)


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_rendered_blinks_are_found(ext, renders, backend):
    pytest.importorskip(BACKENDS[backend])
    video = importlib.import_module(f"{ext.__name__}.core.video")
    landmarks_mod = importlib.import_module(f"{ext.__name__}.core.video.landmarks")
    eye_signals = importlib.import_module(f"{ext.__name__}.core.video.eye_signals").eye_signals
    yaw, closure, shut_frames = _sequence(7)
    rng = np.random.default_rng(1)
    landmarker = landmarks_mod.Landmarker(video.EstimationSettings(landmarks=backend))
    points, found = [], []
    for y, c in zip(yaw, closure, strict=True):
        image = renders[(YAWS[y], CLOSURES[c])].astype(np.int16) + rng.integers(-2, 3, (256, 256, 3))
        faces = landmarker.process(np.clip(image, 0, 255).astype(np.uint8))
        found.append(bool(faces))
        points.append(faces[0] if faces else np.full((478, 2), np.nan))
    landmarker.close()
    width = max(len(p) for p in points)
    stacked = np.array([p if len(p) == width else np.full((width, 2), np.nan) for p in points])
    signals = eye_signals(stacked, np.array(found), FPS)
    distance = np.abs(signals.peaks[None, :] - shut_frames[:, None])
    hit = (distance.min(axis=1) <= 2).mean() if len(signals.peaks) else 0.0
    false = int((distance.min(axis=0) > 2).sum()) if len(signals.peaks) else 0
    print(f"\n{backend}: {len(shut_frames)} blinks, {hit:.1%} found within 2 frames, {false} false "
          f"({false / (SECONDS / 60):.1f}/min); faces found on {np.mean(found):.1%} of frames")
    assert np.mean(found) > 0.95
    assert hit >= 0.9
    assert false / (SECONDS / 60.0) <= 1.0


def _write_video(path: Path, renders, seconds: float, seed: int):
    """An mp4 of the rendered face (``_sequence``'s turns and blinks, first ``seconds``); the frames where the lids
    are shut."""
    import cv2

    yaw, closure, shut_frames = _sequence(seed)
    n = int(seconds * FPS)
    rng = np.random.default_rng(2)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (256, 256))
    for y, c in zip(yaw[:n], closure[:n], strict=True):
        image = renders[(YAWS[y], CLOSURES[c])].astype(np.int16) + rng.integers(-2, 3, (256, 256, 3))
        writer.write(cv2.cvtColor(np.clip(image, 0, 255).astype(np.uint8), cv2.COLOR_RGB2BGR))
    writer.release()
    return shut_frames[shut_frames < n - 3]


def _blink_values(ext, key, frames: np.ndarray) -> np.ndarray:
    channels = ext.anim.fcurves.channels_for(key, create=False)
    curve = channels.fcurves.find('key_blocks["Shut"].value', index=0)
    return np.array([curve.evaluate(float(f)) for f in frames])


def _blink_rig(scene: bpy.types.Scene, keys: tuple[str, ...]):
    """A head rig without eye bones and a "Face" mesh under it with blink shape ``keys`` (the only eye controls),
    in ``scene`` at the video's frame rate; skips without OpenCV or a landmark backend. Returns (rig, mesh)."""
    pytest.importorskip("cv2")
    if not any(importlib.util.find_spec(name.split(".")[0]) for name in BACKENDS.values()):
        pytest.skip("no face-landmark backend")
    from rigs import RIGS, build_rig

    scene.render.fps = int(FPS)
    obj = build_rig(RIGS["unreal_axis_angle"], scene)
    mesh = bpy.data.objects.new("Face", bpy.data.meshes.new("Face"))
    mesh.data.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
    scene.collection.objects.link(mesh)
    mesh.parent = obj
    for name in ("Basis", *keys):
        mesh.shape_key_add(name=name)
    return obj, mesh


def test_bake_from_video_bakes_the_video_blinks(ext, renders, empty_scene, tmp_path):
    """Bake From Video with the Eyes panel on ("Eyes From" Video, the default) bakes the person's blinks: the blink
    shape key shuts (> 0.9) within 2 frames of every frame the rendered lids are shut, and nowhere else; with
    "Generated" the blinks are the generator's, not the video's. The head keys are the same either way."""
    scene = empty_scene
    obj, mesh = _blink_rig(scene, ("Shut",))
    shut_frames = _write_video(tmp_path / "blinks.mp4", renders, 30.0, seed=11)
    bpy.context.view_layer.objects.active = obj
    s = scene.head_motion
    s.video_path, s.video_start_frame = str(tmp_path / "blinks.mp4"), 1
    s.video_show_reference, s.video_use_sound = False, False
    eyes = scene.head_motion_eyes
    eyes.enabled, eyes.blink_key = True, "Shut"
    assert eyes.video_eyes == "VIDEO"
    assert bpy.ops.head_motion.bake_video() == {"FINISHED"}
    frames = np.arange(1, int(30.0 * FPS) + 1)  # the video's frames (no sound: the scene range is left alone)
    values = _blink_values(ext, mesh.data.shape_keys, frames)
    head = obj.animation_data.action
    head_curve = ext.anim.fcurves.channels_for(obj, create=False).fcurves[0]
    head_values = [head_curve.evaluate(float(f)) for f in frames[::7]]
    shut = frames[0] + shut_frames  # scene frame of each shut video frame (video frame 0 at frame 1)
    hits = [values[max(0, f - 2 - frames[0]):f + 3 - frames[0]].max() > 0.9 for f in shut]
    peaks = frames[1:-1][(values[1:-1] > 0.9) & (values[1:-1] >= values[:-2]) & (values[1:-1] > values[2:])]
    false = [p for p in peaks if np.abs(shut - p).min() > 2]
    print(f"\nvideo eyes: {len(shut)} blinks, {np.mean(hits):.0%} shut within 2 frames, {len(false)} false, "
          f"median open value {np.median(values):.3f}")
    assert np.mean(hits) >= 0.9 and len(false) <= 1
    assert np.median(values) < 0.2  # open between blinks

    eyes.video_eyes = "GENERATED"
    assert bpy.ops.head_motion.bake_video() == {"FINISHED"}
    generated = _blink_values(ext, mesh.data.shape_keys, frames)
    assert generated.max() > 0.9 and not np.allclose(generated, values)
    gen_hits = [generated[max(0, f - 2 - frames[0]):f + 3 - frames[0]].max() > 0.9 for f in shut]
    assert np.mean(gen_hits) < 0.6  # the generator's own blinks
    result = ext.anim.video.cached_estimate(s.video_path, ext.properties.convert.estimation_settings(scene))
    report = ext.operators.video_ops.finish_video_bake(bpy.context, result)  # what the operator reports
    assert f"; {ext.core.video.eye_choice.AS_CHOSEN}" in report, report
    head_curve = ext.anim.fcurves.channels_for(obj, create=False).fcurves[0]
    assert [head_curve.evaluate(float(f)) for f in frames[::7]] == head_values
    assert head is not None


def test_batch_video_eyes_are_the_video_blinks(ext, renders, empty_scene, tmp_path):
    """``blender -c head_motion --method video --eyes`` bakes the person's blinks (default ``--eyes-from video``)
    onto a rig file's ARKit blink keys, and says so in summary.json with the panel's words; its blink count is the
    number measured in the video (the estimate the batch cached); ``--eyes-from generated`` bakes the
    generator's."""
    import json
    import os
    import subprocess

    scene = empty_scene
    obj, _mesh = _blink_rig(scene, ("eyeBlinkLeft", "eyeBlinkRight"))
    shut_frames = _write_video(tmp_path / "blinks.mp4", renders, 20.0, seed=11)
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "rig.blend"))
    rig_name = obj.name
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ)
    env.pop("BLENDER_USER_RESOURCES", None)
    frames = np.arange(1, int(20.0 * FPS) + 1)
    shut = frames[0] + shut_frames
    choice = ext.core.video.eye_choice
    values, blinks = {}, {}
    user = tmp_path / "cli_user"  # the batch's user folder (its estimate cache)
    for source in ("video", "generated"):
        out = tmp_path / source
        done = subprocess.run(
            [sys.executable, "-m", "tools.cli", "--cache", str(user), "--method", "video", "--eyes", "--eyes-from",
             source, "--no-sound", "--rig", str(tmp_path / "rig.blend"), "--target", rig_name, "--output", str(out),
             str(tmp_path / "blinks.mp4")], cwd=root, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
        entry = json.loads((out / "summary.json").read_text())["results"][0]
        assert entry["notes"][0] == (choice.FROM_VIDEO if source == "video" else choice.AS_CHOSEN), entry
        blinks[source] = entry["blinks"]
        bpy.ops.wm.open_mainfile(filepath=entry["blend"])
        keys = bpy.data.objects["Face"].data.shape_keys
        curve = ext.anim.fcurves.channels_for(keys, create=False).fcurves.find(
            'key_blocks["eyeBlinkLeft"].value', index=0)
        values[source] = np.array([curve.evaluate(float(f)) for f in frames])
    hits = [values["video"][max(0, f - 2 - frames[0]):f + 3 - frames[0]].max() > 0.9 for f in shut]
    assert np.mean(hits) >= 0.9, hits
    gen_hits = [values["generated"][max(0, f - 2 - frames[0]):f + 3 - frames[0]].max() > 0.9 for f in shut]
    assert np.mean(gen_hits) < 0.6, gen_hits
    (cached,) = user.rglob("video_cache/*.npz")
    measured = ext.core.video.EstimationResult.load_npz(cached).eyes
    print(f"\nbatch video eyes: {blinks['video']} blinks baked, {len(measured.onsets)} measured, {len(shut)} rendered")
    assert blinks["video"] == len(measured.onsets) and abs(blinks["video"] - len(shut)) <= 1, (blinks, len(shut))
