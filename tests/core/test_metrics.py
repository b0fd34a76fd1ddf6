"""Tests of core.metrics on motions whose metrics are known in closed form."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.errors import SettingsError, TrackError
from core.metrics import (
    angular_speed,
    beat_align_score,
    dominant_frequency,
    mean_frame_change,
    mean_speed,
    per_axis_std,
    speech_silence_motion_ratio,
    speed_histogram_distance,
    speed_minima,
)
from core.motion.synthetic import generate_synthetic
from core.track import PoseTrack

FPS = 25.0


def sines(n: int, freqs_hz=(0.3, 0.3, 0.3), amps_deg=(4.0, 2.0, 3.0), fps: float = FPS) -> np.ndarray:
    t = np.arange(n) / fps
    return np.column_stack([a * np.sin(2 * np.pi * f * t) for f, a in zip(freqs_hz, amps_deg, strict=True)])


def test_per_axis_std_of_sines_is_amplitude_over_root_two():
    angles = sines(round(100 / 0.3 * FPS) // 100 * 100)  # whole periods
    np.testing.assert_allclose(per_axis_std(angles), np.array([4.0, 2.0, 3.0]) / math.sqrt(2), rtol=1e-3)
    track = PoseTrack.from_angles(angles, FPS)
    np.testing.assert_allclose(per_axis_std(track), per_axis_std(angles))


def test_frame_change_and_speed_of_a_steady_turn():
    n = 50
    angles = np.column_stack([0.3 * np.arange(n), 0.4 * np.arange(n), np.zeros(n)])  # 0.5 deg per frame
    assert mean_frame_change(angles) == pytest.approx(0.5)
    assert mean_speed(angles, FPS) == pytest.approx(12.5)
    np.testing.assert_allclose(angular_speed(angles, FPS), 12.5)
    np.testing.assert_allclose(angular_speed(angles[:, 0], 10.0), 3.0)  # a single axis


@pytest.mark.parametrize(("freq", "fps"), [(0.3, 25.0), (1.0, 25.0), (0.25, 29.97), (2.0, 60.0)])
def test_dominant_frequency_of_a_rhythm(freq, fps):
    n = round(20.0 * fps)
    angles = sines(n, (freq, freq, freq), (3.0, 1.0, 0.5), fps)
    angles[:, 0] += np.linspace(0.0, 10.0, n)  # a slow drift is not a rhythm
    assert dominant_frequency(angles, fps) == pytest.approx(freq, abs=0.02)
    mixed = sines(n, (0.3, 1.5, 1.5), (5.0, 1.0, 1.0), fps)
    assert dominant_frequency(mixed, fps) == pytest.approx(0.3, abs=0.02)
    assert dominant_frequency(mixed, fps, min_hz=1.0) == pytest.approx(1.5, abs=0.02)


def test_dominant_frequency_of_a_still_head_is_undefined():
    assert math.isnan(dominant_frequency(np.zeros((100, 3)), FPS))
    assert math.isnan(dominant_frequency(np.ones((100, 3)) + np.arange(100)[:, None], FPS))  # pure drift
    assert math.isnan(dominant_frequency(np.zeros((3, 3)), FPS))


def test_speech_silence_ratio():
    n = 200
    t = np.arange(n)
    speech = ((t >= 50) & (t < 150)).astype(float)
    angles = np.zeros((n, 3))
    angles[:, 0] = np.cumsum(np.where(speech > 0, 0.2, 0.1))  # turning 2x faster while speaking
    assert speech_silence_motion_ratio(angles, speech, FPS) == pytest.approx(2.0, rel=0.02)
    assert math.isnan(speech_silence_motion_ratio(angles, np.ones(n), FPS))  # no silence
    assert math.isnan(speech_silence_motion_ratio(angles, np.zeros(n), FPS))  # no speech
    frozen = np.zeros((n, 3))
    frozen[50:150, 0] = np.sin(np.arange(100) / 5.0)  # moves only well inside the speech
    assert math.isinf(speech_silence_motion_ratio(frozen, ((t >= 40) & (t < 160)).astype(float), FPS))
    with pytest.raises(SettingsError):
        speech_silence_motion_ratio(angles, np.ones(n - 1), FPS)


def test_speed_minima_of_an_oscillation_are_its_turning_points():
    period = 20  # frames
    angles = sines(200, (FPS / period, FPS / period, FPS / period), (3.0, 2.0, 1.0))
    minima = speed_minima(angles, smooth_sigma=2.0)
    turning = np.arange(5, 200, 10)  # sin turns round at a quarter period and every half period after
    assert len(minima) >= len(turning) - 2
    assert np.abs(minima[:, None] - turning[None, :]).min(axis=1).max() <= 1


def test_beat_align_score_in_closed_form():
    period = 20
    angles = sines(400, (FPS / period,) * 3, (3.0, 2.0, 1.0))
    on_minima = np.arange(25, 380, 10)
    assert beat_align_score(on_minima, angles) == pytest.approx(1.0, abs=0.01)
    off_by_three = on_minima + 3  # d = 3 frames from the nearest minimum -> exp(-9 / 18)
    assert beat_align_score(off_by_three, angles) == pytest.approx(math.exp(-0.5), abs=0.02)
    assert beat_align_score(off_by_three, angles, sigma_frames=1.0) == pytest.approx(math.exp(-4.5), abs=0.01)
    assert math.isnan(beat_align_score([], angles))
    assert math.isnan(beat_align_score([-4, 900], angles))  # outside the track
    turn = np.column_stack([np.arange(100.0), np.zeros(100), np.zeros(100)])  # constant speed: no minimum
    assert beat_align_score([50], turn) == 0.0
    with pytest.raises(SettingsError):
        beat_align_score([5], angles, sigma_frames=0.0)


def test_beat_align_score_of_random_onsets_is_lower_than_of_aligned_ones():
    track = generate_synthetic(1000, FPS)
    minima = speed_minima(track.angles)
    rng = np.random.default_rng(0)
    random_onsets = rng.integers(0, 1000, 200)
    assert beat_align_score(minima, track) == pytest.approx(1.0)
    assert beat_align_score(random_onsets, track) < 0.9


def test_speed_histogram_distance():
    a = generate_synthetic(500, FPS).angles
    b = 2.0 * a
    assert speed_histogram_distance(a, a, FPS) == 0.0
    forward, backward = speed_histogram_distance(a, b, FPS), speed_histogram_distance(b, a, FPS)
    assert forward == pytest.approx(backward)
    # doubling every speed moves each quantile by itself: the distance is the mean speed
    assert forward == pytest.approx(angular_speed(a, FPS).mean(), rel=0.01)
    js = speed_histogram_distance(a, b, FPS, kind="js")
    assert 0.0 < js <= 1.0 and speed_histogram_distance(a, a, FPS, kind="js") == 0.0
    with pytest.raises(SettingsError):
        speed_histogram_distance(a, b, FPS, kind="euclid")


def test_bad_inputs():
    with pytest.raises(TrackError):
        per_axis_std(np.zeros((0, 3)))
    with pytest.raises(TrackError):
        per_axis_std(np.array([[0.0, np.nan, 0.0]]))
    with pytest.raises(TrackError):
        mean_frame_change(np.zeros((1, 3)))
    with pytest.raises(SettingsError):
        mean_speed(np.zeros((5, 3)), 0.0)
    np.testing.assert_array_equal(angular_speed(np.zeros((1, 3)), FPS), [0.0])
