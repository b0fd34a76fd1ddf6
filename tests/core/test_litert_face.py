"""The LiteRT landmark backend (core.video.litert_face) against MediaPipe FaceMesh on the dev clips."""

from __future__ import annotations

import itertools
import math
import time
from pathlib import Path

import numpy as np
import pytest

from core.video.head_pose import PoseFit, fit_pose
from core.video.litert_face import LiteRtFaceMesh, ssd_anchors, weighted_nms
from core.video.litert_ops import crop_features, crop_matrix, transform_points

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
            assert face.shape == (478, 2)  # the mesh and both irises, as FaceMesh(refine_landmarks=True)
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


def _both_backends(clip: str):
    """``clip``'s frame size (width, height) and its faces per frame, tracked by FaceMesh(refine_landmarks=True)
    and by :class:`LiteRtFaceMesh` (``None`` where one found none)."""
    frames = _frames(clip)
    height, width = frames[0].shape[:2]
    return (width, height), _mediapipe_faces(frames, refine=True), _litert_faces(frames)


def test_landmarks_and_pose_match_mediapipe() -> None:
    """Against the estimator's FaceMesh(refine_landmarks=True), frame by frame in tracking mode: the 468
    landmarks (the refined lips and eyes included) within a fraction of a pixel, the per-frame head pose
    within half a degree on average (0.28 on the hardest clip, below 0.1 on the others)."""
    pytest.importorskip("mediapipe")
    for clip in CLIPS:
        (width, height), reference, ours = _both_backends(clip)
        both = [(a[:468], b[:468]) for a, b in zip(reference, ours, strict=True) if a is not None and b is not None]
        assert len(both) >= 0.9 * len(reference), clip
        scale = np.array([width, height])
        errors = np.stack([np.linalg.norm((a - b) * scale, axis=1) for a, b in both])
        assert np.median(errors) < 0.25, clip  # pixels
        assert np.percentile(errors, 99) < 2.0, clip
        _raw, centred = _pose_differences(_poses(reference, (width, height)), _poses(ours, (width, height)))
        assert centred.mean() < 0.5, clip


def test_iris_points_and_gaze_match_mediapipe() -> None:
    """The 10 iris points (468-477) against FaceMesh(refine_landmarks=True), frame by frame in tracking mode:
    within a fraction of a pixel (measured median 0.02-0.10 px, 99th percentile 0.06-1.3 px on irises 5-20 px
    wide), and the gaze the estimator reads from them (core.video.eye_signals) within 1.5 degrees on average
    (measured 0.05-0.14 with both eyes). Except the first clip's right eye: turned away and about 20 px wide,
    1 px of iris is about 10 degrees there, and mediapipe's own gaze for it swings by +/-35 degrees within the
    40 frames; its left eye is compared (measured 1.0 degree yaw, 0.5 pitch)."""
    pytest.importorskip("mediapipe")
    from core.video.eye_signals import eye_signals

    for clip in CLIPS:
        (width, height), reference, ours = _both_backends(clip)
        found = np.array([a is not None and b is not None for a, b in zip(reference, ours, strict=True)])
        assert found.mean() >= 0.9, clip
        scale = np.array([width, height])
        pairs = [(a, b) for a, b, f in zip(reference, ours, found, strict=True) if f]
        errors = np.stack([np.linalg.norm((a[468:] - b[468:]) * scale, axis=1) for a, b in pairs])
        assert np.median(errors) < 0.25, clip  # pixels
        assert np.percentile(errors, 99) < 2.0, clip
        gaze = []
        for faces in (reference, ours):
            points = np.stack([f * scale if f is not None else np.zeros((478, 2)) for f in faces])
            signals = eye_signals(points, found, fps=25.0)
            assert not signals.warnings, signals.warnings
            gaze.append(np.stack([signals.yaw, signals.pitch])[:, found])
        eyes = [0] if clip == CLIPS[0] else [0, 1]  # columns: the person's left eye, right eye
        difference = np.abs(gaze[0] - gaze[1])[:, :, eyes].mean()
        assert difference < 1.5, f"{clip}: gaze differs by {difference:.2f} deg on average"


def test_iris_depth_is_the_eye_contour_depth() -> None:
    """The iris points' z is what FaceMesh gives them (the mean depth of their eye's contour)."""
    face_mesh = pytest.importorskip("mediapipe.python.solutions.face_mesh")
    frame = _frames(CLIPS[3], 1)[0]
    with face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=True) as mesh:
        found = mesh.process(frame).multi_face_landmarks
    reference = np.array([(p.x, p.y, p.z) for p in found[0].landmark])
    with LiteRtFaceMesh(static_image_mode=True) as mesh:
        ours = mesh.process(frame)[0]
    assert ours.shape == (478, 3)
    width = frame.shape[1]
    np.testing.assert_allclose(ours[468:, 2] * width, reference[468:, 2] * width, atol=0.05)  # pixels
    assert np.ptp(ours[468:473, 2]) == 0.0 and np.ptp(ours[473:, 2]) == 0.0


def test_crop_features_samples_pixel_centres() -> None:
    """TransformTensorBilinear: a pure shift reads the feature map's own pixels, half a pixel blends two,
    and samples beyond the map are zero."""
    rng = np.random.default_rng(3)
    features = rng.normal(size=(48, 48, 4))
    shift = np.eye(4)
    shift[:2, 3] = (5, 7)
    np.testing.assert_allclose(crop_features(features, shift, (16, 16)), features[7:23, 5:21])
    shift[0, 3] = 5.5
    np.testing.assert_allclose(
        crop_features(features, shift, (16, 16)), 0.5 * (features[7:23, 5:21] + features[7:23, 6:22])
    )
    shift[:2, 3] = (40, 0)
    crop = crop_features(features, shift, (16, 16))
    np.testing.assert_allclose(crop[:, :8], features[0:16, 40:48])
    assert not crop[:, 9:].any()


def test_crop_matrix_frames_the_region() -> None:
    """Landmarks2TransformMatrix: the crop is centred on the subset's box, turned with the eye line, and
    1.5x the box: the subset's points land inside the crop, spanning 1/1.5 of it."""
    rng = np.random.default_rng(4)
    angle = math.radians(25.0)
    turn = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    local = rng.uniform(-4.0, 4.0, size=(20, 2))
    local[0], local[1] = (-4.0, 0.0), (4.0, 0.0)
    points = np.zeros((30, 3))
    points[:20, :2] = local @ turn.T + (20.0, 24.0)
    region = {
        "left_rotation_idx": 0,
        "right_rotation_idx": 1,
        "target_rotation_radians": 0.0,
        "subset_idxs": list(range(20)),
        "scale": [1.5, 1.5],
        "crop_size": [16, 16],
    }
    matrix = crop_matrix(points, region)
    inverse = np.linalg.inv(matrix)
    in_crop = points[:20, :2] @ inverse[:2, :2].T + inverse[:2, 3]
    span = in_crop.max(axis=0) - in_crop.min(axis=0)
    np.testing.assert_allclose(span, 16 / 1.5, atol=1e-9)
    np.testing.assert_allclose((in_crop.max(axis=0) + in_crop.min(axis=0)) / 2, 8.0, atol=1e-9)
    np.testing.assert_allclose(in_crop[1, 1] - in_crop[0, 1], 0.0, atol=1e-9)  # the eye line is level
    np.testing.assert_allclose(transform_points(in_crop, matrix), points[:20, :2], atol=1e-9)


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


ALL_CLIPS = sorted(DEV.glob("*.mp4")) or [DEV / "absent.mp4"]


@pytest.mark.parametrize("clip", ALL_CLIPS, ids=[c.stem for c in ALL_CLIPS])
def test_estimates_match_mediapipe_on_every_dev_clip(clip: Path) -> None:
    """The whole estimator (default settings) with LiteRT landmarks vs mediapipe's FaceMesh: on every dev
    clip, the yaw, pitch and roll tracks differ by at most 1 degree on average (per axis; measured: 0.2
    at most, 0.03 typical), the same frames have a face and the lip gap follows the same curve."""
    pytest.importorskip("mediapipe")
    if not clip.is_file():
        pytest.skip("dev clips not present")
    from core.video import EstimationSettings, estimate_video

    ours = estimate_video(clip, EstimationSettings(landmarks="litert"))
    theirs = estimate_video(clip, EstimationSettings(landmarks="mediapipe"))
    difference = np.abs(ours.angles - theirs.angles).mean(axis=0)
    assert difference.max() <= 1.0, f"yaw/pitch/roll mean differences {np.round(difference, 2)}"
    # Found frames: within 3 frames of 126 (Input_00002, where a hand passes over the face: both backends' landmarks
    # are wrong for 5 frames and the spike filter takes out three of one's and none of the other's)
    assert abs(ours.found.mean() - theirs.found.mean()) <= 0.025
    # The lip gap (the video's speech signal) comes from the refined lips: the same curve.
    assert np.corrcoef(ours.lip_gap, theirs.lip_gap)[0, 1] > 0.95


def test_auto_uses_litert_when_mediapipe_is_missing() -> None:
    """With mediapipe unimportable (as on Python 3.13) "auto" runs LiteRT, giving exactly what "litert"
    gives; asking for "mediapipe" then is a clear missing-dependency error."""
    import json
    import subprocess
    import sys

    clip = DEV / "voxceleb2_pcavs_Input_00010.mp4"
    if not clip.is_file():
        pytest.skip("dev clips not present")
    root = str(Path(__file__).resolve().parents[2])
    code = (
        "import json, sys; sys.modules['mediapipe'] = None; sys.path.insert(0, sys.argv[1]);"
        "from core.errors import MissingDependencyError;"
        "from core.video import EstimationSettings, estimate_video;"
        "r = estimate_video(sys.argv[2]);"
        "error = '';\n"
        "try: estimate_video(sys.argv[2], EstimationSettings(landmarks='mediapipe'))\n"
        "except MissingDependencyError as e: error = str(e)\n"
        "print(json.dumps({'angles': r.angles.tolist(), 'error': error}))"
    )
    done = subprocess.run([sys.executable, "-c", code, root, str(clip)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    blocked = json.loads(done.stdout.strip().splitlines()[-1])
    from core.video import EstimationSettings, estimate_video

    litert = estimate_video(clip, EstimationSettings(landmarks="litert"))
    np.testing.assert_allclose(np.array(blocked["angles"]), litert.angles, atol=1e-9)
    assert "mediapipe" in blocked["error"]
