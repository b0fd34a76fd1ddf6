"""Tests of core.motion.silence: speech mask from lip motion, and the settle weight."""

import time

import numpy as np
import pytest

from core.errors import SettingsError, TrackError
from core.motion.silence import lip_speed, settle_weights, speech_from_lip_signal

FPS = 25.0
#: (start, end, moving) sections of the test clip, in seconds.
SECTIONS = [(0.0, 2.0, False), (2.0, 6.0, True), (6.0, 9.0, False), (9.0, 10.5, True), (10.5, 14.0, False)]


def lip_gap(fps: float, noise: float = 0.002, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Lip gap per frame: ~4 Hz syllable opening in the moving sections, still (plus noise) elsewhere."""
    t = np.arange(round(14.0 * fps)) / fps
    moving = np.zeros(len(t), dtype=bool)
    for start, end, is_moving in SECTIONS:
        if is_moving:
            moving |= (t >= start) & (t < end)
    rng = np.random.default_rng(seed)
    gap = 0.05 + moving * 0.2 * (1.0 + np.sin(2 * np.pi * 4.3 * t)) + rng.normal(0.0, noise, len(t))
    return t, gap


def section_values(t: np.ndarray, mask: np.ndarray, margin_s: float):
    for start, end, moving in SECTIONS:
        inside = (t >= start + margin_s) & (t < end - margin_s)
        yield moving, mask[inside]


def test_lip_speed_is_per_second_and_fps_independent():
    for fps in (25.0, 60.0):
        t = np.arange(int(fps * 2)) / fps
        np.testing.assert_allclose(lip_speed(3.0 * t, fps), 3.0)
    keypoints = np.zeros((10, 2, 2))
    keypoints[:, 0, 0] = np.arange(10) * 0.3  # one coordinate moves 0.3 per frame
    keypoints[:, 1, 1] = np.arange(10) * 0.4  # another moves 0.4 per frame
    np.testing.assert_allclose(lip_speed(keypoints, 10.0), 5.0)  # |(3, 4)| per second


@pytest.mark.parametrize("fps", [FPS, 60.0])
def test_mask_is_one_on_moving_and_zero_on_still_sections(fps):
    t, gap = lip_gap(fps)
    mask = speech_from_lip_signal(gap, fps)
    assert mask.shape == gap.shape and mask.min() >= 0.0 and mask.max() <= 1.0
    for moving, values in section_values(t, mask, margin_s=0.3):  # margin: smoothing + hold windows
        if moving:
            assert values.min() > 0.95
        else:
            assert values.max() < 0.05


def test_mask_ramps_instead_of_stepping():
    _, gap = lip_gap(FPS)
    mask = speech_from_lip_signal(gap, FPS, smooth_s=0.4)
    assert np.abs(np.diff(mask)).max() <= 1.0 / 9.0 + 1e-9  # 0.4 s = 10 frames -> 11-frame average
    assert ((mask > 0.05) & (mask < 0.95)).sum() >= 10


def test_mask_does_not_depend_on_signal_scale_or_offset_and_handles_keypoints():
    _, gap = lip_gap(FPS)
    base = speech_from_lip_signal(gap, FPS)
    np.testing.assert_allclose(speech_from_lip_signal(1000.0 * gap + 7.0, FPS), base)
    keypoints = np.stack([np.zeros_like(gap), gap, -0.5 * gap], axis=1).reshape(-1, 3, 1)
    np.testing.assert_allclose(speech_from_lip_signal(keypoints, FPS), base)


def test_constant_and_single_frame_signals_are_silent():
    assert speech_from_lip_signal(np.full(100, 0.3), FPS).tolist() == [0.0] * 100
    assert speech_from_lip_signal(np.zeros((50, 4, 2)), FPS).tolist() == [0.0] * 50
    assert speech_from_lip_signal(np.array([0.3]), FPS).tolist() == [0.0]


def test_short_pauses_are_bridged_and_long_ones_are_not():
    t = np.arange(int(6 * FPS)) / FPS
    still = ((t >= 2.0) & (t < 2.16)) | ((t >= 3.5) & (t < 4.5))  # 0.16 s and 1 s pauses
    gap = np.where(still, 0.0, np.sin(2 * np.pi * 4.0 * t))
    gap[still] = gap[np.argmax(still)]  # lips hold where they stopped
    mask = speech_from_lip_signal(gap, FPS, hold_s=0.3)
    assert mask[(t >= 1.9) & (t < 2.3)].min() > 0.95
    assert mask[(t >= 3.8) & (t < 4.2)].max() < 0.05


def test_explicit_threshold_is_in_units_per_second():
    _, gap = lip_gap(FPS)
    peak = lip_speed(gap, FPS).max()
    assert speech_from_lip_signal(gap, FPS, threshold=peak * 1.01).max() == 0.0
    forced = speech_from_lip_signal(gap, FPS, threshold=0.0, smooth_s=0.0, hold_s=0.0)
    assert forced.mean() > 0.9  # noise alone exceeds a zero threshold


def test_speech_detection_rejects_bad_input():
    with pytest.raises(TrackError):
        speech_from_lip_signal(np.zeros(0), FPS)
    bad = np.ones(20)
    bad[7] = np.nan
    with pytest.raises(TrackError, match="frame index 7"):
        speech_from_lip_signal(bad, FPS)
    bad_settings = [
        {"fps": 0.0},
        {"fps": np.nan},
        {"threshold": -1.0},
        {"smooth_s": -0.1},
        {"hold_s": np.inf},
    ]
    for kwargs in bad_settings:
        args = {"fps": FPS, **kwargs}
        with pytest.raises(SettingsError):
            speech_from_lip_signal(np.ones(20), **args)


# -- settle_weights -----------------------------------------------------------------------------------


def step_mask(n_on: int, n_off: int, n_on_again: int) -> np.ndarray:
    return np.concatenate([np.ones(n_on), np.zeros(n_off), np.ones(n_on_again)])


def test_settle_keeps_constant_masks():
    np.testing.assert_allclose(settle_weights(np.ones(200), FPS, 0.6), 1.0)
    np.testing.assert_allclose(settle_weights(np.zeros(200), FPS, 0.6), 0.0)
    mask = step_mask(50, 50, 50)
    np.testing.assert_array_equal(settle_weights(mask, FPS, 0.0, attack_s=0.0), mask)


def test_settle_eases_out_after_speech_stops_and_anticipates_the_restart():
    settle = 0.6
    mask = step_mask(100, 150, 100)  # speech stops at frame 100, resumes at frame 250
    w = settle_weights(mask, FPS, settle)
    assert w.min() >= 0.0 and w.max() <= 1.0
    frames = lambda s: round(s * FPS)  # noqa: E731
    # Release: still mostly moving just after the stop, eased out after a few time constants.
    assert w[100 + frames(0.1)] > 0.8
    assert 0.2 < w[100 + frames(settle)] < 0.7
    assert w[100 + frames(4 * settle)] < 0.02
    assert np.all(np.diff(w[100 : 100 + frames(4 * settle)]) <= 1e-12)  # monotone decay
    # Attack (default settle / 2): the weight has risen by the time speech resumes.
    assert w[250] > 0.9
    assert w[250 - frames(1.5 * settle)] < 0.5
    # Never a step: at most a gentle change per frame.
    assert np.abs(np.diff(w)).max() < 0.15


def test_settle_slope_is_continuous():
    w = settle_weights(step_mask(200, 200, 200), 1000.0, 0.6)  # 1000 fps: a kink would show in d2
    assert np.abs(np.diff(w, 2)).max() < 1e-4


def test_settle_is_fast_on_an_hour_of_frames():
    mask = (np.sin(np.arange(108_000) / 90.0) > 0).astype(float)  # 1 h at 30 fps
    timings = []
    for _ in range(3):  # best of three: the machine may be busy with other work
        start = time.perf_counter()
        settle_weights(mask, 30.0, 0.6)
        timings.append(time.perf_counter() - start)
    assert min(timings) < 0.05


def test_settle_rejects_bad_input():
    for mask in (np.array([0.0, 1.5]), np.array([-0.1, 0.5]), np.array([np.nan, 1.0]), np.ones((3, 2))):
        with pytest.raises(SettingsError):
            settle_weights(mask, FPS, 0.6)
    with pytest.raises(SettingsError):
        settle_weights(np.ones(5), FPS, -1.0)
    with pytest.raises(SettingsError):
        settle_weights(np.ones(5), 0.0, 0.6)
