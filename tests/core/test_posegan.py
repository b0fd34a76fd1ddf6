"""PoseGAN inference (core/motion/posegan.py) with the shipped default model and tiny broken models.

The broken models in tests/data/ are written by ``training/make_test_models.py`` (the test venv has
onnxruntime but not the ``onnx`` package that builds them).
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from speechlike import speech_like

from core.errors import MissingDependencyError, ModelError, SettingsError
from core.motion.posegan import generate_pose, posegan_track, window_starts
from core.motion.posegan_model import default_model_path, load_model
from core.track import PoseTrack
from core.voice.features import FeatureConfig, audio_features

pytest.importorskip("onnxruntime")

DATA = Path(__file__).resolve().parents[1] / "data"
FPS = 25.0


@pytest.fixture(scope="module")
def model():
    return load_model()


@pytest.fixture(scope="module")
def speech_features(model):
    """~50 s of speech-like audio features (4 different seeds chained) at the model's frame rate."""
    config = model.metadata.feature_config
    samples = np.concatenate([speech_like(config.sample_rate, seed).samples for seed in range(4)])
    return audio_features(samples, config, model.metadata.fps)


def test_default_model_path_points_into_the_package():
    path = Path(default_model_path())
    assert path.parts[-3:] == ("models", "posegan", "default.onnx")
    assert path.is_file() and path.with_suffix(".json").is_file()
    assert path.stat().st_size < 10_000_000


def test_default_model_metadata(model):
    meta = model.metadata
    assert meta.fps == FPS
    assert meta.feature_config == FeatureConfig.from_dict(meta.raw["feature_config"])
    assert meta.feature_dim == meta.feature_config.dim
    assert meta.window_frames == 256 and meta.window_frames % meta.time_multiple == 0
    assert 0 < meta.overlap_frames < meta.window_frames // 2 + 1
    assert (meta.pose_std > 0).all()


@pytest.mark.parametrize("n", [1, 100, 256, 1000])
def test_output_length_is_exact(model, speech_features, n):
    poses = generate_pose(speech_features[:n], model)
    assert poses.shape == (n, 3)
    assert np.isfinite(poses).all()


def test_generation_is_deterministic(model, speech_features):
    a = generate_pose(speech_features[:700], model)
    b = generate_pose(speech_features[:700], load_model(default_model_path(), use_cache=False))
    np.testing.assert_array_equal(a, b)


def test_window_joins_are_continuous(model, speech_features):
    n = 1000
    poses = generate_pose(speech_features[:n], model)
    change = np.linalg.norm(np.diff(poses, axis=0), axis=1)  # per-frame change, degrees
    median = float(np.median(change))
    meta = model.metadata
    starts = window_starts(n, meta.window_frames, meta.overlap_frames)
    assert len(starts) >= 4
    # Frames where a window begins and where the previous window's frames run out (the cross-fade ends).
    joins = sorted(set(starts[1:]) | {s + meta.window_frames for s in starts[:-1]})
    at_joins = np.array([change[max(0, j - 2) : j + 2].max() for j in joins if j < n - 1])
    print(
        f"join continuity: max change at joins {at_joins.max():.4f} deg, median change {median:.4f} deg, "
        f"p95 {np.percentile(change, 95):.4f} deg"
    )
    assert at_joins.max() <= max(3.0 * median, float(np.percentile(change, 95)))


def test_initial_pose_and_intensity(model, speech_features):
    x = speech_features[:300]
    start = np.array([4.0, -2.0, 1.0])
    poses = generate_pose(x, model, initial_pose=start)
    assert np.linalg.norm(poses[0] - start) < 2.0
    still = generate_pose(x, model, initial_pose=start, intensity=0.0)
    np.testing.assert_array_equal(still, np.tile(start, (300, 1)))
    base = generate_pose(x, model)
    double = generate_pose(x, model, intensity=2.0)
    rest = model.metadata.pose_mean
    np.testing.assert_allclose(double - rest, 2.0 * (base - rest), atol=1e-9)


def test_bad_inputs(model, speech_features):
    with pytest.raises(SettingsError):
        generate_pose(speech_features[:0], model)
    with pytest.raises(SettingsError):
        generate_pose(speech_features[:10, :5], model)
    bad = speech_features[:50].copy()
    bad[3, 2] = np.nan
    with pytest.raises(SettingsError, match="NaN"):
        generate_pose(bad, model)
    with pytest.raises(SettingsError):
        generate_pose(speech_features[:10], model, intensity=-1.0)
    with pytest.raises(SettingsError):
        generate_pose(speech_features[:10], model, initial_pose=[1.0, 2.0])


def test_model_returning_nan_is_a_clear_error():
    nan_model = load_model(DATA / "posegan_nan.onnx")  # valid signature and metadata, returns NaN
    with pytest.raises(ModelError, match="NaN"):
        generate_pose(np.zeros((40, 80)), nan_model)


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        load_model(tmp_path / "nope.onnx")
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    with pytest.raises(ModelError, match="empty"):
        load_model(empty)


def test_corrupt_model_random_bytes(tmp_path):
    path = tmp_path / "corrupt.onnx"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(ModelError, match="not a valid ONNX model"):
        load_model(path)


def test_truncated_default_model(tmp_path):
    data = Path(default_model_path()).read_bytes()
    path = tmp_path / "truncated.onnx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError):
        load_model(path)


def test_text_file_is_not_a_model(tmp_path):
    path = tmp_path / "notes.onnx"
    path.write_text("This is not a neural network.\n")
    with pytest.raises(ModelError, match="text file"):
        load_model(path)
    with pytest.raises(ModelError, match="metadata"):
        load_model(Path(default_model_path()).with_suffix(".json"))


def test_wrong_input_shape_and_names():
    with pytest.raises(ModelError, match="wrong input/output shapes"):
        load_model(DATA / "posegan_wrong_shape.onnx")
    with pytest.raises(ModelError, match="not a PoseGAN"):
        load_model(DATA / "posegan_wrong_names.onnx")


def test_missing_metadata():
    with pytest.raises(ModelError, match="no metadata"):
        load_model(DATA / "posegan_no_metadata.onnx")


def _copy_default(tmp_path) -> tuple[Path, dict]:
    src = Path(default_model_path())
    dst = tmp_path / "copy.onnx"
    shutil.copyfile(src, dst)
    return dst, json.loads(src.with_suffix(".json").read_text())


def test_sidecar_metadata_must_match_the_model(tmp_path):
    path, meta = _copy_default(tmp_path)
    load_model(path, use_cache=False)  # without the sidecar: the embedded copy is used
    path.with_suffix(".json").write_text(json.dumps(meta))
    load_model(path, use_cache=False)
    meta["pose_std"] = [1.0, 1.0, 1.0]
    path.with_suffix(".json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="does not belong"):
        load_model(path, use_cache=False)
    path.with_suffix(".json").write_text("{not json")
    with pytest.raises(ModelError, match="cannot be read"):
        load_model(path, use_cache=False)


def test_invalid_metadata_values():
    from core.motion.posegan_model import PoseGanMetadata

    good = json.loads(Path(default_model_path()).with_suffix(".json").read_text())
    PoseGanMetadata.from_dict(good)
    for change, message in (
        ({"format": "other"}, "not a Head Motion PoseGAN"),
        ({"version": 99}, "version"),
        ({"fps": 0}, "fps"),
        ({"feature_std": [0.0] * good["feature_dim"]}, "feature_std"),
        ({"pose_std": [1.0, 1.0]}, "pose_std"),
        ({"feature_dim": 13}, "inconsistent"),
        ({"feature_config": {**good["feature_config"], "feature_version": 999}}, "other audio features"),
    ):
        with pytest.raises(ModelError, match=message):
            PoseGanMetadata.from_dict({**good, **change}, "m.onnx")


def test_missing_onnxruntime_is_a_missing_dependency(monkeypatch, tmp_path):
    path, _ = _copy_default(tmp_path)
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(MissingDependencyError) as info:
        load_model(path, use_cache=False)
    assert info.value.package == "onnxruntime" and info.value.feature == "PoseGAN"


@pytest.mark.parametrize("fps", [25.0, 30.0, 23.976])
def test_posegan_track_lengths_and_rates(model, fps):
    signal = speech_like(16000, 1)
    track = posegan_track(signal.samples, signal.sample_rate, fps, intensity=1.0, start_frame=7)
    assert isinstance(track, PoseTrack)
    track.validate()
    assert len(track) == int(np.ceil(len(signal.samples) / signal.sample_rate * fps - 1e-9))
    assert track.start_frame == 7 and track.fps == fps
    assert track.meta["source"] == "posegan"


def test_posegan_track_resamples_poses_to_the_scene_rate(model):
    signal = speech_like(16000, 2)
    at_model = posegan_track(signal.samples, 16000, FPS).angles
    at_50 = posegan_track(signal.samples, 16000, 2 * FPS).angles
    # Even frames at 50 fps are the model's frames exactly (Catmull-Rom passes through its knots).
    np.testing.assert_allclose(at_50[::2][: len(at_model)], at_model, atol=1e-9)
    # The same (noise-free) signal at 48 kHz is resampled to the features' 16 kHz: nearly the same poses.
    clean16 = speech_like(16000, 2, noise_db=None, fricatives=False).samples
    clean48 = speech_like(48000, 2, noise_db=None, fricatives=False).samples
    a = posegan_track(clean16, 16000, FPS).angles
    b = posegan_track(clean48, 48000, FPS).angles
    assert a.shape == b.shape == at_model.shape
    print(f"48 kHz vs 16 kHz input: max pose difference {np.abs(a - b).max():.4f} deg")
    assert np.abs(a - b).max() < 0.5


def test_ten_minutes_of_features_in_under_three_seconds(model, speech_features):
    n = int(10 * 60 * FPS)
    reps = -(-n // len(speech_features))
    features = np.tile(speech_features, (reps, 1))[:n]
    generate_pose(features[:300], model)  # warm up
    start = time.perf_counter()
    poses = generate_pose(features, model)
    seconds = time.perf_counter() - start
    print(f"PoseGAN: 10 min of audio features ({n} frames) -> poses in {seconds:.2f} s")
    assert poses.shape == (n, 3)
    assert seconds < 3.0
