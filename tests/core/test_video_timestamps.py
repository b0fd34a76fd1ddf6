"""Per-frame presentation times: a variable-frame-rate video is placed by its frames' own times, so its head
motion lines up with its sound on the scene's frame grid (core/video/timestamps.py, EstimationResult.times)."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import numpy as np
import pytest

from core.errors import SettingsError
from core.video import EstimationResult, EstimationSettings, estimate_video
from core.video.timestamps import (
    container_times,
    frame_times,
    grid_times,
    is_constant_rate,
    mean_rate,
    resample_by_time,
)
from core.voice.decode import decode_audio
from core.voice.decoders import find_ffmpeg

cv2 = pytest.importorskip("cv2")
if importlib.util.find_spec("mediapipe") is None and importlib.util.find_spec("ai_edge_litert") is None:
    pytest.skip("no face-landmark backend (mediapipe or ai-edge-litert)", allow_module_level=True)

DEV = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "dev"
if not DEV.is_dir():
    DEV = Path("/work/shared/data/dev")
CLIP = DEV / "voxceleb2_pcavs_Pose_Source_620900105.mp4"  # 108 frames at 25 fps, 224x224, yaw std 8 deg, sound
KEPT = 50  # the variable-rate copy keeps the first KEPT frames, then every other frame (12.5 fps)


def test_container_times_and_fallback():
    np.testing.assert_allclose(container_times([0.0, 40.0, 120.0]), [0.0, 0.04, 0.12])
    assert container_times([0.0, 40.0, 40.0]) is None  # not strictly increasing
    assert container_times([0.0, float("nan")]) is None
    assert container_times([]) is None
    np.testing.assert_allclose(frame_times([0.0, 0.0, 0.0], 25.0), [0.0, 0.04, 0.08])
    with pytest.raises(SettingsError):
        frame_times([0.0, 0.0], 0.0)


def test_constant_rate_and_mean_rate():
    even = np.arange(10) / 25.0
    assert is_constant_rate(even, 25.0) and is_constant_rate(even + 0.1, 25.0)
    uneven = np.concatenate([np.arange(5) / 25.0, 0.16 + np.arange(1, 6) / 12.5])
    assert not is_constant_rate(uneven, 25.0)
    assert mean_rate(even) == pytest.approx(25.0)
    assert mean_rate(uneven) == pytest.approx(9 / uneven[-1])


def test_resampling_by_time():
    even = np.arange(10) / 25.0
    values = np.column_stack([np.arange(10.0), -np.arange(10.0)])
    np.testing.assert_allclose(resample_by_time(values, even, 25.0), values)  # unchanged on its own grid
    np.testing.assert_allclose(grid_times(even, 50.0), np.arange(19) / 50.0)
    late = even + 0.08  # the first frame 2 frames after the start of the file: held before it
    out = resample_by_time(values[:, 0], late, 25.0)
    assert out.shape == (12,)
    np.testing.assert_allclose(out, [0.0, 0.0, *np.arange(10.0)])
    with pytest.raises(SettingsError):
        resample_by_time(values, even[:5], 25.0)


@pytest.fixture(scope="module")
def variable_rate_clip(tmp_path_factory) -> Path:
    """The dev clip re-encoded at a variable frame rate: its first KEPT frames at 25 fps, then every other
    frame (12.5 fps), each at its original time, with the original sound."""
    ffmpeg = find_ffmpeg()
    if ffmpeg is None or not CLIP.is_file():
        pytest.skip("ffmpeg (imageio-ffmpeg) or the dev clip is not available")
    out = tmp_path_factory.mktemp("vfr") / "variable_rate.mp4"
    command = [
        ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-i", str(CLIP),
        "-vf", f"select='lt(n\\,{KEPT})+mod(n\\,2)'", "-fps_mode", "vfr",
        "-c:v", "libx264", "-crf", "10", "-c:a", "aac", str(out),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)
    return out


def test_variable_frame_rate_video_follows_its_frames_times(variable_rate_clip, tmp_path):
    same_neutral = EstimationSettings(neutral=0)  # both start with the same frame: the same rest pose
    constant = estimate_video(CLIP, same_neutral)
    variable = estimate_video(variable_rate_clip, same_neutral)
    n_kept = KEPT + (constant.n_frames - KEPT) // 2
    assert variable.n_frames == n_kept < constant.n_frames
    kept = np.concatenate([np.arange(KEPT), np.arange(KEPT + 1, constant.n_frames, 2)])
    np.testing.assert_allclose(variable.times, constant.times[kept], atol=1e-3)
    assert constant.fps == pytest.approx(25.0)
    assert variable.fps == pytest.approx((n_kept - 1) / variable.times[-1])  # its mean rate

    # On the scene's 25 fps grid the variable-rate video gives as many frames as the original, and the
    # same motion: the head turns at the same moments, so it stays in step with the sound.
    track = variable.to_pose_track(start_frame=1, fps=25.0)
    reference = constant.to_pose_track(start_frame=1, fps=25.0)
    assert len(track) == len(reference) == constant.n_frames
    difference = np.abs(track.angles - reference.angles)
    naive = np.abs(variable.angles - constant.angles[:n_kept])  # frames taken as evenly spaced: drift
    print(f"\nVFR vs CFR on the 25 fps grid: mean {difference.mean():.3f}, max {difference.max():.3f} deg; "
          f"taken as evenly spaced: mean {naive.mean():.3f} deg")
    # (re-encoding alone changes the angles by ~0.15 deg; the 12.5 fps part is linearly interpolated)
    assert difference[:KEPT].mean() < 0.3 and difference.mean() < 0.5
    assert naive.mean() > 2.0 * difference.mean()
    audio = decode_audio(str(variable_rate_clip))
    seconds = len(audio.samples) / audio.sample_rate
    assert abs(len(track) / 25.0 - seconds) < 2.0 / 25.0  # the track lasts as long as the sound

    # At another scene rate the track keeps the video's timing; the lip-driven speech mask comes along.
    at_30 = variable.to_pose_track(start_frame=1, fps=30.0, speech=True)
    assert len(at_30) == int(np.floor(variable.times[-1] * 30.0 + 1e-6)) + 1
    assert at_30.speech is not None and at_30.speech.shape == (len(at_30),)

    # The times are kept in the cache file.
    variable.save_npz(tmp_path / "vfr.npz")
    loaded = EstimationResult.load_npz(tmp_path / "vfr.npz")
    np.testing.assert_array_equal(loaded.times, variable.times)
