"""The LiteRT landmark backend (core.litert_face) against MediaPipe FaceMesh on the dev clips."""

from __future__ import annotations

import itertools
import math
import time
from pathlib import Path

import numpy as np
import pytest

from core.head_pose import PoseFit, fit_pose
from core.litert_face import LiteRtFaceMesh, ssd_anchors, weighted_nms

cv2 = pytest.importorskip("cv2")
pytest.importorskip("ai_edge_litert")

DEV = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "dev"
CLIPS = (
    "voxceleb2_pcavs_Input_00002.mp4",
    "voxceleb2_pcavs_Audio_Source_00086.mp4",
    "mimictalk_Trump_10s.mp4",
    "mimictalk_German_20s.mp4",
)
FRAMES = 40  # consecutive frames per clip (tracking needs consecutive frames)


def _frames(name: str, count: int = FRAMES) -> list[np.ndarray]:
    path = DEV / name
    if not path.is_file():
        pytest.skip(f"dev clip {name} is absent")
    capture = cv2.VideoCapture(str(path))
    frames = []
    try:
        while len(frames) < count:
            ok, frame = capture.read()
            if not ok:
                break
            frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    finally:
        capture.release()
    return frames


def _mediapipe_faces(frames: list[np.ndarray], refine: bool) -> list[np.ndarray | None]:
    """First face per frame from FaceMesh (as the estimator creates it), normalised (n, 2)."""
    face_mesh = pytest.importorskip("mediapipe.python.solutions.face_mesh")
    out: list[np.ndarray | None] = []
    with face_mesh.FaceMesh(static_image_mode=False, max_num_faces=2, refine_landmarks=refine) as mesh:
        for rgb in frames:
            result = mesh.process(rgb)
            faces = result.multi_face_landmarks or []
            out.append(np.array([(p.x, p.y) for p in faces[0].landmark]) if faces else None)
    return out


def _litert_faces(frames: list[np.ndarray], **options: object) -> list[np.ndarray | None]:
    with LiteRtFaceMesh(max_num_faces=2, **options) as mesh:
        return [(faces[0][:, :2] if faces else None) for faces in map(mesh.process, frames)]


def _poses(faces: list[np.ndarray | None], size: tuple[int, int]) -> list[np.ndarray | None]:
    previous: PoseFit | None = None
    out: list[np.ndarray | None] = []
    for face in faces:
        if face is None:
            out.append(None)
            previous = None
            continue
        previous = fit_pose(face[:468] * np.array(size, dtype=np.float64), size, previous=previous)
        out.append(previous.rotation)
    return out


def _angle_deg(rotation: np.ndarray) -> float:
    return math.degrees(math.acos(float(np.clip((np.trace(rotation) - 1.0) / 2.0, -1.0, 1.0))))


def _pose_differences(a: list[np.ndarray | None], b: list[np.ndarray | None]) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame rotation angle (degrees) between two pose tracks: raw, and with their constant offset
    removed (the estimator reports angles relative to a neutral pose, so a fixed offset cancels)."""
    rel = [ra @ rb.T for ra, rb in zip(a, b, strict=True) if ra is not None and rb is not None]
    assert rel, "no frame with a face in both tracks"
    u, _, vt = np.linalg.svd(np.mean(rel, axis=0))
    bias = u @ np.diag([1.0, 1.0, np.linalg.det(u @ vt)]) @ vt
    raw = np.array([_angle_deg(r) for r in rel])
    centred = np.array([_angle_deg(bias.T @ r) for r in rel])
    return raw, centred


# --------------------------------------------------------------------------------------------------


def test_anchor_layout() -> None:
    anchors = ssd_anchors()
    assert anchors.shape == (896, 2)
    # 16x16 grid, 2 per cell, then 8x8 grid, 6 per cell.
    np.testing.assert_allclose(anchors[0], [0.5 / 16, 0.5 / 16])
    np.testing.assert_allclose(anchors[1], anchors[0])
    np.testing.assert_allclose(anchors[2], [1.5 / 16, 0.5 / 16])
    np.testing.assert_allclose(anchors[512], [0.5 / 8, 0.5 / 8])
    np.testing.assert_allclose(anchors[517], anchors[512])
    np.testing.assert_allclose(anchors[518], [1.5 / 8, 0.5 / 8])


def test_weighted_nms_merges_overlaps() -> None:
    boxes = np.array([[0.0, 0.0, 1.0, 1.0], [0.1, 0.0, 1.1, 1.0], [3.0, 3.0, 4.0, 4.0]])
    kps = np.zeros((3, 6, 2))
    out = weighted_nms(boxes, kps, np.array([0.9, 0.3, 0.8]))
    assert len(out) == 2
    np.testing.assert_allclose(out[0][0][0], 0.1 * 0.3 / 1.2)
    assert out[0][2] == pytest.approx(0.9) and out[1][2] == pytest.approx(0.8)


def test_no_face_gives_empty_list() -> None:
    rng = np.random.default_rng(0)
    with LiteRtFaceMesh(max_num_faces=2) as mesh:
        assert mesh.process(np.zeros((240, 320, 3), dtype=np.uint8)) == []
        noise = rng.integers(0, 256, size=(256, 256, 3), dtype=np.uint8)
        assert mesh.process(noise) == []


def test_pose_sanity_on_dev_clip() -> None:
    frames = _frames(CLIPS[0], 30)
    height, width = frames[0].shape[:2]
    faces = _litert_faces(frames)
    assert sum(f is not None for f in faces) >= 0.9 * len(frames)
    for face in faces:
        if face is not None:
            assert face.shape == (468, 2)
            assert np.all((face > -0.05) & (face < 1.05))
    poses = [p for p in _poses(faces, (width, height)) if p is not None]
    # A talking head facing the camera: the face's +z axis points back toward the camera (-z in camera
    # coordinates), within 60 degrees, and consecutive frames differ by little.
    for rotation in poses:
        assert rotation[2, 2] < -0.5
    steps = [_angle_deg(b @ a.T) for a, b in itertools.pairwise(poses)]
    assert np.median(steps) < 3.0


def test_same_pipeline_as_facemesh_without_refinement() -> None:
    """The plain mesh model through the re-implemented graph reproduces FaceMesh(refine_landmarks=False)."""
    mediapipe = pytest.importorskip("mediapipe")
    plain = Path(mediapipe.__file__).parent / "modules" / "face_landmark" / "face_landmark.tflite"
    frames = _frames(CLIPS[0], 20)
    height, width = frames[0].shape[:2]
    reference = _mediapipe_faces(frames, refine=False)
    ours = _litert_faces(frames, landmark_model=plain)
    pairs = zip(reference, ours, strict=True)
    errors = [np.linalg.norm((a - b) * [width, height], axis=1) for a, b in pairs if a is not None]
    assert len(errors) == sum(b is not None for b in ours) >= 18
    assert np.median(np.concatenate(errors)) < 0.5  # pixels


def test_landmarks_and_pose_match_mediapipe() -> None:
    """Against the estimator's FaceMesh(refine_landmarks=True): landmarks within a couple of pixels
    (median), per-frame head pose within 1 degree on average over the clips once the constant model
    offset is removed (the estimator reports angles relative to a neutral pose), 2 degrees per clip."""
    pytest.importorskip("mediapipe")
    per_clip = []
    for clip in CLIPS:
        frames = _frames(clip)
        height, width = frames[0].shape[:2]
        reference = _mediapipe_faces(frames, refine=True)
        ours = _litert_faces(frames)
        both = [(a[:468], b) for a, b in zip(reference, ours, strict=True) if a is not None and b is not None]
        assert len(both) >= 0.9 * len(frames), clip
        scale = np.array([width, height])
        errors = np.concatenate([np.linalg.norm((a - b) * scale, axis=1) for a, b in both])
        assert np.median(errors) < 2.0, clip  # pixels
        _raw, centred = _pose_differences(_poses(reference, (width, height)), _poses(ours, (width, height)))
        assert centred.mean() < 2.0, clip
        per_clip.append(centred.mean())
    assert np.mean(per_clip) < 1.0


def test_speed_report() -> None:
    """Frames per second of process() alone (informative; asserts only a loose floor)."""
    frames = _frames(CLIPS[2], 30)
    with LiteRtFaceMesh(max_num_faces=2) as mesh:
        mesh.process(frames[0])
        start = time.perf_counter()
        for rgb in frames:
            mesh.process(rgb)
        fps = len(frames) / (time.perf_counter() - start)
    assert fps > 5.0


def test_estimator_uses_litert_when_mediapipe_is_missing():
    """The whole estimator on a dev clip with mediapipe blocked (as on Python 3.13) vs with mediapipe."""
    import json
    import subprocess
    import sys

    pytest.importorskip("mediapipe")
    clip = Path(__file__).resolve().parents[3] / "shared" / "data" / "dev" / "mimictalk_Trump_10s.mp4"
    if not clip.exists():
        pytest.skip("dev clips not present")
    root = str(Path(__file__).resolve().parents[2])
    code = (
        "import json, sys; sys.modules['mediapipe'] = None; sys.path.insert(0, sys.argv[1]);"
        "from core.video_estimation import estimate_video;"
        "r = estimate_video(sys.argv[2]);"
        "print(json.dumps({'angles': [list(r.yaw), list(r.pitch), list(r.roll)], 'missing': r.missing_fraction}))"
    )
    done = subprocess.run([sys.executable, "-c", code, root, str(clip)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    litert = json.loads(done.stdout.strip().splitlines()[-1])
    from core.video_estimation import estimate_video

    reference = estimate_video(clip)
    ours = np.array(litert["angles"])
    theirs = np.stack([reference.yaw, reference.pitch, reference.roll])
    assert litert["missing"] < 0.02
    assert np.abs(ours - theirs).mean(axis=1).max() < 1.5, np.abs(ours - theirs).mean(axis=1)
