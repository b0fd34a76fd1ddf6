"""Video blinks against a rendered ground truth: the photo-textured face of tests/support/face_scene.py with its
upper-lid landmark vertices moved onto the lower lid (a shape key), rendered open, half shut and shut at three
head turns; an 80 s video is sequenced from those renders with blinks on known frames (and a little pixel noise,
so no two frames are identical), and goes through the real landmark backends (mediapipe FaceMesh with refined
landmarks; LiteRT) and :func:`core.video.eye_signals.eye_signals`. At least 90 % of the blinks must be found
within 2 frames, with at most one false blink per minute."""

from __future__ import annotations

import importlib
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
