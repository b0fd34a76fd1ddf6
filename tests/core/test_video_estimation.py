"""Video head-motion estimation: the pipeline on the real dev clips, stabilisers, errors, cache."""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import time
from pathlib import Path

import numpy as np
import pytest

from core.errors import Cancelled, MediaError, NoFaceError, SettingsError
from core.rotation import character_rotation, matrix_from_axis_angle
from core.track import PoseTrack
from core.video import EstimationResult, EstimationSettings, estimate_video, estimate_video_cached
from core.video.estimation import _measure
from core.video.landmarks import FaceTracker, Landmarker, _choose_face, _crop_change, open_video
from core.video.measure import Raw
from core.video.neutral import median_rotation
from core.video.segments import MAX_PARTS, MIN_PART_FRAMES, measure_video, part_count, thread_count
from core.video.stabilize import fill_gaps, find_gaps, hampel, one_euro, stabilize

cv2 = pytest.importorskip("cv2")
if importlib.util.find_spec("mediapipe") is None and importlib.util.find_spec("ai_edge_litert") is None:
    pytest.skip("no face-landmark backend (mediapipe or ai-edge-litert)", allow_module_level=True)

DEV = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "dev"
if not DEV.is_dir():  # a checkout next to shared/, or the workspace layout
    DEV = Path("/work/shared/data/dev")
CLIPS = sorted(DEV.glob("*.mp4"))
SMALL_CLIP = DEV / "voxceleb2_pcavs_Input_00010.mp4"  # 106 frames, 224x224
LONG_CLIP = DEV / "mimictalk_German_20s.mp4"  # 500 frames, 512x512: measured in two parts
MOVING_CLIP = DEV / "voxceleb2_pcavs_Pose_Source_620900105.mp4"  # 108 frames, yaw std 8 degrees
needs_clips = pytest.mark.skipif(not CLIPS, reason="development clips (shared/data/dev) not available")


@pytest.fixture(scope="session")
def dev_results():
    """Every dev clip estimated once with the default settings (about 20-30 s in all)."""
    results = {}
    for clip in CLIPS:
        start = time.perf_counter()
        results[clip.name] = (estimate_video(clip), time.perf_counter() - start)
    return results


# -- the real clips ------------------------------------------------------------------------------------------


@needs_clips
def test_every_dev_clip_gives_a_continuous_track(dev_results):
    assert len(dev_results) == len(CLIPS) >= 17
    report = []
    for name, (result, seconds) in dev_results.items():
        n = result.n_frames
        report.append(f"{name}: {n} frames, missing {result.missing_fraction:.3f}, {n / seconds:.0f} fps")
        assert result.fps == pytest.approx(25.0)
        assert n == int(cv2.VideoCapture(str(DEV / name)).get(cv2.CAP_PROP_FRAME_COUNT))
        # At most 3.5 frames in 100 without a usable face. Input_00002 is the worst: a hand passes over the face
        # while the clip's crop jumps twice (frames 17-24); FaceMesh reads an 8-degree roll under the hand, the
        # skin flow follows part of it, and 3 of those frames are rejected as a jump and interpolated, beside the
        # last frame (4 of 126; the landmark fit alone: 1-3 with either backend).
        assert result.missing_fraction < 0.035, name
        angles = result.angles
        assert angles.shape == (n, 3) and np.isfinite(angles).all()
        assert np.abs(np.diff(angles, axis=0)).max() < 15.0, name  # no flips (one clip turns 200 deg/s)
        assert np.abs(angles).max() < 60.0, name
        assert np.abs(np.median(result.raw_angles, axis=0)).max() < 3.0  # relative to the median pose
        assert result.lip_gap.shape == (n,) and np.isfinite(result.lip_gap).all()
        assert result.lip_keypoints.shape == (n, 4, 2)
        assert result.translation.shape == (n, 3) and (result.translation[:, 2] > 0).all()
        assert result.image_size in ((224, 224), (512, 512))
    print("\n".join(report))


@needs_clips
def test_default_stabiliser_cuts_the_jitter_of_the_stillest_clip(dev_results):
    result = min((r for r, _ in dev_results.values()), key=lambda r: r.raw_angles.std(axis=0).sum())
    raw_jerk = np.diff(result.raw_angles, 2, axis=0).std(axis=0)
    stable_jerk = np.diff(result.angles, 2, axis=0).std(axis=0)
    assert (raw_jerk / stable_jerk >= 3.0).all()  # frame-to-frame acceleration: noise, not motion
    # the slow motion itself is kept
    np.testing.assert_allclose(result.angles.std(axis=0), result.raw_angles.std(axis=0), rtol=0.2)


@needs_clips
def test_speech_mask_and_pose_track(dev_results):
    result = dev_results[SMALL_CLIP.name][0]
    track = result.to_pose_track(start_frame=10)
    assert isinstance(track, PoseTrack) and len(track) == result.n_frames and track.start_frame == 10
    assert track.fps == pytest.approx(25.0) and track.speech is None
    np.testing.assert_array_equal(track.yaw, result.yaw)
    assert track.meta["source"] == "video" and track.meta["settings"]["fov_deg"] == result.settings.fov_deg
    spoken = result.to_pose_track(speech=True)
    assert spoken.speech is not None and spoken.speech.min() >= 0.0 and spoken.speech.max() <= 1.0
    assert 0.1 < spoken.speech.mean() < 1.0  # the speaker talks, with pauses
    explicit = result.to_pose_track(speech=np.ones(result.n_frames))
    assert explicit.speech.sum() == result.n_frames


@needs_clips
def test_eyes_are_measured_on_the_head_track_frames(dev_results):
    """The estimate keeps the eyes (core.video.eye_signals) per video frame, on the frames kept for the head; its
    eye track lies on the same frames as its pose track, blinks placed by the frames' times."""
    for clip in (SMALL_CLIP, LONG_CLIP):
        result = dev_results[clip.name][0]
        eyes = result.eyes
        assert eyes is not None and not eyes.warnings, clip.name  # refined landmarks: gaze measured
        n = result.n_frames
        assert eyes.closure.shape == eyes.yaw.shape == eyes.pitch.shape == (n, 2)
        np.testing.assert_array_equal(eyes.found, result.found)
        gaze = np.abs(np.concatenate([eyes.yaw, eyes.pitch]))
        assert np.isfinite(gaze).all() and np.median(gaze) < 10.0  # relative to the person's neutral
        assert np.abs(eyes.yaw).max() > 0.5  # the person's eyes move
        for fps in (None, 24.0):
            head = result.to_pose_track(start_frame=10, fps=fps)
            track = result.to_eye_track(start_frame=10, fps=fps)
            assert track is not None and len(track) == len(head) and track.start_frame == 10
            assert track.fps == head.fps
            np.testing.assert_allclose(track.blink_onsets_s, result.times[eyes.onsets])


# -- behaviour on prepared videos -----------------------------------------------------------------------------


def _frames(path: Path, limit: int | None = None) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while limit is None or len(frames) < limit:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return frames


def _write(path: Path, frames: list[np.ndarray], fps: float = 25.0) -> Path:
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


@needs_clips
def test_mirror_flips_yaw_and_roll(tmp_path):
    plain = estimate_video(MOVING_CLIP)
    mirrored = estimate_video(MOVING_CLIP, EstimationSettings(mirror=True))
    np.testing.assert_allclose(mirrored.raw_angles, plain.raw_angles * [-1.0, 1.0, -1.0], atol=1e-6)
    np.testing.assert_allclose(mirrored.translation[:, 0], -plain.translation[:, 0], atol=1e-6)
    # a left-right flipped copy of the video, estimated with mirror=True, moves like the original
    # (FaceMesh is not exactly mirror-symmetric: agreement is ~0.4 degrees, not exact)
    flipped = _write(tmp_path / "flipped.mp4", [f[:, ::-1].copy() for f in _frames(MOVING_CLIP)])
    selfie = estimate_video(flipped, EstimationSettings(mirror=True))
    for axis in range(3):
        assert np.corrcoef(selfie.angles[:, axis], plain.angles[:, axis])[0, 1] > 0.97
    assert np.abs(selfie.angles - plain.angles).mean() < 0.8
    unmirrored = estimate_video(flipped)  # the flipped video read as a normal one turns the other way
    assert np.corrcoef(unmirrored.angles[:, 0], plain.angles[:, 0])[0, 1] < -0.97


@needs_clips
def test_gaps_are_interpolated_and_long_ones_reported(tmp_path):
    frames = _frames(SMALL_CLIP, 90)
    blank = np.zeros_like(frames[0])
    for i in [*range(20, 25), *range(50, 70)]:
        frames[i] = blank
    result = estimate_video(_write(tmp_path / "gaps.mp4", frames))
    assert not result.found[20:25].any() and not result.found[50:70].any()
    assert result.found[:20].all() and result.found[30:45].all()
    assert np.isfinite(result.angles).all() and np.abs(np.diff(result.angles, axis=0)).max() < 3.0
    gaps_reported = [w for w in result.warnings if "No usable face" in w]
    assert len(gaps_reported) == 1 and "20 frames" in gaps_reported[0] and "frame 51" in gaps_reported[0]
    assert result.missing_fraction == pytest.approx(25 / 90)


@needs_clips
def test_progress_is_reported_and_cancel_stops(tmp_path):
    calls = []
    estimate_video(SMALL_CLIP, progress=lambda done, total: calls.append((done, total)))
    done = [c[0] for c in calls]
    assert done == sorted(done) and calls[-1] == (106, 106) and all(d <= t for d, t in calls)
    assert len(calls) >= 106
    seen = []

    def cancel():
        seen.append(1)
        return len(seen) > 10

    start = time.perf_counter()
    with pytest.raises(Cancelled):
        estimate_video(SMALL_CLIP, cancel=cancel)
    assert time.perf_counter() - start < 5.0 and len(seen) == 11


@needs_clips
def test_cache_reuses_results_and_notices_changes(tmp_path):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(SMALL_CLIP.read_bytes())
    cache = tmp_path / "cache"
    first = estimate_video_cached(clip, None, cache)
    assert len(list(cache.glob("*.npz"))) == 1
    start = time.perf_counter()
    again = estimate_video_cached(clip, None, cache)
    assert time.perf_counter() - start < 0.5
    for name in EstimationResult._ARRAYS:
        np.testing.assert_array_equal(getattr(again, name), getattr(first, name))
    assert first.eyes is not None and again.eyes is not None
    _same_result(first.eyes, again.eyes)  # the eyes come back from the cache too
    assert again.fps == first.fps and again.image_size == first.image_size and again.warnings == first.warnings
    assert again.settings == first.settings
    estimate_video_cached(clip, EstimationSettings(fov_deg=30.0), cache)  # other settings: another entry
    assert len(list(cache.glob("*.npz"))) == 2
    os.utime(clip, ns=(time.time_ns(), time.time_ns() + 10**9))  # the file changed: recomputed
    estimate_video_cached(clip, None, cache)
    assert len(list(cache.glob("*.npz"))) == 3
    for entry in cache.glob("*.npz"):  # damaged cache files are recomputed, not fatal
        entry.write_bytes(b"garbage")
    assert estimate_video_cached(clip, None, cache).n_frames == first.n_frames


# -- errors -------------------------------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(MediaError, match="does not exist") as info:
        estimate_video(tmp_path / "nope.mp4")
    assert info.value.reason == "missing"
    with pytest.raises(MediaError):
        estimate_video_cached(tmp_path / "nope.mp4", None, tmp_path)


def test_random_bytes_are_not_a_video(tmp_path):
    path = tmp_path / "random.mp4"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    start = time.perf_counter()
    with pytest.raises(MediaError) as info:
        estimate_video(path)
    assert not isinstance(info.value, NoFaceError)
    assert time.perf_counter() - start < 5.0


def test_still_image_and_single_frame_video(tmp_path):
    image = np.full((64, 64, 3), 128, np.uint8)
    png = tmp_path / "still.png"
    cv2.imwrite(str(png), image)
    with pytest.raises(MediaError, match=r"still image|no video frames"):
        estimate_video(png)
    one = _write(tmp_path / "one.mp4", [image])
    with pytest.raises(MediaError, match="still image"):
        estimate_video(one)


def test_video_without_a_face(tmp_path):
    rng = np.random.default_rng(1)
    noise = [rng.integers(0, 256, (96, 128, 3), dtype=np.uint8) for _ in range(25)]
    path = _write(tmp_path / "noise.mp4", noise)
    start = time.perf_counter()
    with pytest.raises(NoFaceError, match="No face"):
        estimate_video(path)
    assert time.perf_counter() - start < 5.0


def test_settings_are_checked():
    for bad in (
        {"fov_deg": 180.0},
        {"stabiliser": "kalman"},
        {"neutral": "first"},
        {"neutral": -1},
        {"max_gap_frames": -1},
        {"max_faces": 0},
        {"gaussian_sigma_frames": -1.0},
        {"max_error_ratio": 0.5},
        {"min_tracking_confidence": 2.0},
        {"retrack_threshold": -0.1},
        {"yaw_gain": 0.1},
        {"pitch_gain": 5.0},
    ):
        with pytest.raises(SettingsError):
            EstimationSettings(**bad).validate()
    settings = EstimationSettings(neutral=5, mirror=True)
    assert EstimationSettings.from_dict(settings.to_dict()) == settings
    assert settings.digest() != EstimationSettings().digest()
    untracked = EstimationSettings(retrack_threshold=None, yaw_gain=1.0, pitch_gain=1.0).validate()
    assert EstimationSettings.from_dict(untracked.to_dict()) == untracked
    fit = untracked.pose_fit_settings()
    assert (fit.yaw_gain, fit.pitch_gain) == (1.0, 1.0)


# -- building blocks ----------------------------------------------------------------------------------------------


def test_gaussian_stabiliser_cuts_measured_noise_on_a_still_head():
    rng = np.random.default_rng(0)
    still = rng.normal(0.0, 0.2, size=(500, 3))  # ~0.2 degree std of estimator noise (MEASURED.md)
    for method in ("gaussian", "one_euro"):
        smooth = stabilize(still, 25.0, method) if method == "one_euro" else stabilize(still, 25.0)
        ratio = np.diff(still, axis=0).std(axis=0) / np.diff(smooth, axis=0).std(axis=0)
        assert (ratio >= 3.0).all(), (method, ratio)
    t = np.arange(500) / 25.0
    slow = 5.0 * np.sin(2 * np.pi * 0.3 * t)  # a typical slow head turn passes unchanged
    np.testing.assert_allclose(stabilize(slow, 25.0)[25:-25], slow[25:-25], atol=0.05)
    np.testing.assert_array_equal(stabilize(still, 25.0, "none"), still)
    with pytest.raises(SettingsError):
        stabilize(still, 25.0, "median")


def test_one_euro_filter():
    rng = np.random.default_rng(2)
    x = np.column_stack([np.zeros(300), np.linspace(0, 30, 300)]) + rng.normal(0, 0.3, (300, 2))
    y = one_euro(x, 25.0, min_cutoff=1.0, beta=0.1)
    assert y.shape == x.shape and np.diff(y[:, 0]).std() < np.diff(x[:, 0]).std() / 3
    lag = np.mean(np.linspace(0, 30, 300)[50:] - y[50:, 1])
    assert 0.0 < lag < 0.5  # causal: a small lag behind a 2.5 deg/s ramp
    y2 = one_euro(x, 25.0, zero_phase=True)
    assert abs(np.mean(np.linspace(0, 30, 300)[50:-50] - y2[50:-50, 1])) < 0.05  # zero-phase: no lag
    np.testing.assert_allclose(one_euro(np.full(10, 3.0), 25.0), 3.0)
    with pytest.raises(SettingsError):
        one_euro(x, 0.0)


def test_hampel_and_gap_filling():
    x = np.sin(np.linspace(0, 6, 200)) * 10
    spiky = x.copy()
    spiky[[50, 120, 121]] += [15.0, -12.0, -12.0]
    spiky[80:85] = np.nan
    flags = hampel(spiky, 5, 4.0, floor=0.5)
    assert set(np.flatnonzero(flags)) == {50, 120, 121}
    assert not hampel(x, 5, 4.0, floor=0.5).any()  # a smooth turn is not an outlier
    valid = np.isfinite(spiky) & ~flags
    assert [(g.start, g.length) for g in find_gaps(valid)] == [(50, 1), (80, 5), (120, 2)]
    filled = fill_gaps(spiky, valid)
    np.testing.assert_allclose(filled, x, atol=0.2)
    edges = fill_gaps(np.array([np.nan, 1.0, 2.0, np.nan]), np.array([False, True, True, False]))
    np.testing.assert_array_equal(edges, [1.0, 1.0, 2.0, 2.0])
    with pytest.raises(SettingsError):
        fill_gaps(np.zeros(3), np.zeros(3, bool))


def test_median_rotation_is_robust():
    rng = np.random.default_rng(4)
    centre = character_rotation(10.0, -5.0, 3.0)
    small = [matrix_from_axis_angle(np.r_[np.radians(rng.normal(0, 2)), rng.normal(size=3)]) for _ in range(40)]
    wild = [matrix_from_axis_angle(np.r_[np.radians(90.0), rng.normal(size=3)]) for _ in range(10)]
    rotations = np.array([centre @ d for d in small + wild])
    median = median_rotation(rotations)
    rel = median.T @ centre
    assert np.degrees(np.arccos(np.clip((np.trace(rel) - 1) / 2, -1, 1))) < 1.5


def test_face_choice_follows_the_previous_face():
    def face(cx, cy, size):
        return np.column_stack([np.linspace(cx - size, cx + size, 478), np.linspace(cy - size, cy + size, 478)])

    big, small = face(100, 100, 40), face(300, 100, 20)
    assert _choose_face([], None) is None
    assert _choose_face([small, big], None) is big  # at the start: the largest
    assert _choose_face([big, small], face(305, 98, 20)) is small  # then: the one we were following
    assert _choose_face([big, small], face(600, 400, 20)) is big  # lost: the largest again


@needs_clips
def test_one_face_is_followed_and_another_taken_when_it_leaves(tmp_path):
    """Two speakers side by side: the one followed first is kept while both are there (FaceMesh tracks one
    face); when it leaves, the other is followed."""
    left, right = _frames(SMALL_CLIP, 60), _frames(MOVING_CLIP, 60)
    grey = np.full_like(left[0], 128)
    frames = []
    for i in range(60):
        frames.append(np.hstack([left[i] if i < 40 else grey, right[i] if i >= 20 else grey]))
    video = _write(tmp_path / "two_faces.mp4", frames)
    result = estimate_video(video, EstimationSettings(stabiliser="none"))
    assert result.settings.max_faces == 1
    assert result.found.sum() >= 57
    x = result.translation[:, 0]  # camera x of the head: < 0 left half, > 0 right half of the frame
    assert (x[:38] < 0.0).all() and (x[42:] > 0.0).all()


def test_crop_change_measures_how_far_the_tracking_crop_moved():
    rng = np.random.default_rng(5)
    face = rng.uniform(100.0, 200.0, size=(478, 2))
    face[33], face[263] = (110.0, 150.0), (190.0, 150.0)  # outer eye corners level: the crop is the 100 px box
    assert _crop_change(face, face) == 0.0
    assert _crop_change(face, face + np.array([5.0, 0.0])) == pytest.approx(0.05, rel=0.02)  # 5 px of a 100 px crop
    centre = face[:468].mean(axis=0)
    assert _crop_change(face, centre + 1.1 * (face - centre)) == pytest.approx(np.log(1.1), rel=1e-6)
    angle = 0.08
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    assert _crop_change(face, centre + (face - centre) @ turn.T) == pytest.approx(angle, abs=1e-9)


@needs_clips
def test_frames_are_processed_again_only_when_the_crop_was_stale():
    settings = EstimationSettings()
    raw, _, _, n = _measure(SMALL_CLIP, settings, None, None)
    assert 1 <= raw.retracked <= 1 + 0.03 * n  # the first frame (a detection), then rarely
    never, _, _, _ = _measure(SMALL_CLIP, EstimationSettings(retrack_threshold=None), None, None)
    assert never.retracked == 0
    always, _, _, _ = _measure(SMALL_CLIP, EstimationSettings(retrack_threshold=0.0), None, None)
    assert always.retracked == n


@needs_clips
def test_missing_landmark_runtimes_are_reported(monkeypatch):
    """Neither mediapipe nor a TFLite runtime for the LiteRT fallback: a clear error naming mediapipe."""
    import sys

    from core.errors import MissingDependencyError

    for name in ("mediapipe", "mediapipe.python.solutions", "ai_edge_litert", "ai_edge_litert.interpreter",
                 "tflite_runtime", "tflite_runtime.interpreter", "tensorflow", "tensorflow.lite"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(MissingDependencyError, match="mediapipe"):
        estimate_video(SMALL_CLIP)


def _same_result(a: object, b: object) -> None:
    """Every field of two results (or of their eyes) equal, arrays bit for bit."""
    for name in (f.name for f in dataclasses.fields(a)):  # type: ignore[arg-type]
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(y, x, err_msg=name)
        elif name == "eyes" and x is not None:
            _same_result(x, y)
        else:
            assert y == x, name


def _measured(clip: Path, total: int | None = None, cpus: int | None = None) -> Raw:
    """segments.measure_video on ``clip`` with the default settings; ``total`` in place of the stated count."""
    settings = EstimationSettings()
    capture, fps, stated = open_video(clip)
    try:
        return measure_video(str(clip), capture, fps, stated if total is None else total,
                             lambda threads: FaceTracker(Landmarker(settings, threads=threads), settings),
                             settings.pose_fit_settings(), None, None, cpus)
    finally:
        capture.release()


def test_parts_depend_on_the_frame_count_threads_on_the_cpus():
    assert [part_count(n) for n in (0, 299, 300, 599, 600, 10**6)] == [1, 1, 2, 2, 4, 4]
    assert part_count(MIN_PART_FRAMES * MAX_PARTS) == MAX_PARTS
    assert thread_count(2, 16) == 2 and thread_count(4, 1) == 1 and thread_count(4, 3) == 3
    assert thread_count(4) == min(4, os.cpu_count() or 1)
    assert "workers" not in EstimationSettings().to_dict()  # no setting changes only the speed


@needs_clips
@pytest.mark.parametrize("landmarks, cpu_counts", [("auto", (1, 2, 4, 16)), ("litert", (1, 16))])
def test_same_video_same_result_whatever_the_cpu_count(landmarks, cpu_counts):
    """A 500-frame clip (two parts) estimated as if on 1, 2, 4 or 16 CPUs: bit-identical results (on LiteRT,
    also with 1 or 4 interpreter threads a part)."""
    if landmarks == "litert" and importlib.util.find_spec("ai_edge_litert") is None:
        pytest.skip("ai-edge-litert not installed")
    settings = EstimationSettings(landmarks=landmarks)
    results = [estimate_video(LONG_CLIP, settings, cpus=cpus) for cpus in cpu_counts]
    assert results[0].n_frames == 500 and results[0].found.all()
    for other in results[1:]:
        _same_result(results[0], other)


@needs_clips
def test_four_parts_on_fewer_threads_join_into_the_one_run_track(tmp_path):
    """A 1000-frame clip (every frame of the 500-frame one twice) is measured in four parts; on one thread or
    three the measurements are bit-identical, and they differ from one run only around the parts' starts
    (each with a fresh face detection, where the skin flow's backward pass also restarts): same frames and times,
    rotations within a fraction of a degree."""
    clip = tmp_path / "slow.mp4"
    source = cv2.VideoCapture(str(LONG_CLIP))
    writer = None
    while True:
        ok, frame = source.read()
        if not ok:
            break
        if writer is None:
            writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, frame.shape[1::-1])
        writer.write(frame)
        writer.write(frame)
    source.release()
    writer.release()
    one_thread, three = _measured(clip, cpus=1), _measured(clip, cpus=3)
    one_run = _measured(clip, total=1)
    assert len(one_thread) == len(one_run) == 1000 and one_thread.msec == three.msec == one_run.msec
    np.testing.assert_array_equal(np.array(three.rotation), np.array(one_thread.rotation))
    parted, single = np.array(one_thread.rotation), np.array(one_run.rotation)
    cos = np.clip((np.einsum("nij,nij->n", parted, single) - 1.0) / 2.0, -1.0, 1.0)
    degrees = np.degrees(np.arccos(cos))
    # the first part is the one run's start, but for the backward pass's reach back from the part's end (its pull
    # fades 5% a frame: 3e-6 degrees at most 100 frames before it here)
    assert degrees[:150].max() < 1e-3, degrees[:150].max()
    assert part_count(1000) == 4 and (degrees[[250, 500, 750]] > 0.0).all()  # fresh detections at the starts
    assert degrees.max() < 1.0 and degrees.mean() < 0.05, (degrees.mean(), degrees.max())


@needs_clips
def test_cancel_stops_the_parts_within_a_fraction_of_a_second():
    asked, reported = [], []
    start = time.perf_counter()

    def cancel() -> bool:
        asked.append(time.perf_counter())
        return asked[-1] - start > 0.5

    with pytest.raises(Cancelled):
        estimate_video(LONG_CLIP, progress=lambda done, total: reported.append(done), cancel=cancel, cpus=2)
    assert time.perf_counter() - asked[-1] < 0.5 and reported and reported == sorted(reported)
    assert len(asked) > 5 and np.diff(asked[1:]).max() < 0.2  # asked before the seeks, then every POLL_S
