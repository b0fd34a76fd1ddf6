"""Tests of core.filters: moving average, Gaussian smoothing, causal filters, low-pass noise, splines."""

import numpy as np
import pytest

from core.errors import SettingsError
from core.filters import (
    bspline_cubic,
    causal_filter,
    convolve_valid,
    gaussian_sigma_s,
    gaussian_smooth,
    interp_cubic,
    lowpass_noise,
    moving_average,
)


def brute_moving_average(x: np.ndarray, width: int) -> np.ndarray:
    half = width // 2
    return np.array([x[max(0, i - half) : i + half + 1].mean(axis=0) for i in range(len(x))])


# -- moving_average -----------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [1, 2, 3, 5, 8, 41])
def test_moving_average_matches_brute_force_including_edges(width):
    x = np.random.default_rng(0).normal(size=37)
    expected = brute_moving_average(x, width if width % 2 else width + 1)
    np.testing.assert_allclose(moving_average(x, width), expected, atol=1e-12)


def test_moving_average_keeps_constants_and_shape_and_works_per_column():
    np.testing.assert_allclose(moving_average(np.full(50, 3.25), 7), 3.25, atol=1e-12)
    x = np.random.default_rng(1).normal(size=(40, 3, 2))
    out = moving_average(x, 5)
    assert out.shape == x.shape
    np.testing.assert_allclose(out[:, 2, 1], moving_average(x[:, 2, 1], 5), atol=1e-12)


def test_moving_average_is_accurate_on_long_offset_signals():
    x = 1e4 + np.sin(np.arange(200_000) * 0.01)
    out = moving_average(x, 3)
    np.testing.assert_allclose(out[1000:1010], brute_moving_average(x[995:1015], 3)[5:15], atol=1e-9)


def test_moving_average_returns_a_copy_and_rejects_bad_windows():
    x = np.arange(5.0)
    out = moving_average(x, 1)
    out[0] = 99.0
    assert x[0] == 0.0
    for bad in (0, -3):
        with pytest.raises(SettingsError):
            moving_average(x, bad)


# -- gaussian_smooth ----------------------------------------------------------------------------------


def test_gaussian_smooth_matches_scipy_reflect_mode():
    ndimage = pytest.importorskip("scipy.ndimage")
    x = np.random.default_rng(2).normal(size=(120, 2))
    # truncate * sigma is an integer here, so both libraries cut the kernel at the same radius.
    for sigma, truncate in ((2.0, 3.0), (1.5, 4.0), (5.0, 3.0)):
        ref = ndimage.gaussian_filter1d(x, sigma, axis=0, mode="reflect", truncate=truncate)
        np.testing.assert_allclose(gaussian_smooth(x, sigma, truncate=truncate), ref, atol=1e-12)


def test_gaussian_smooth_is_zero_phase_and_keeps_constants():
    x = np.zeros(101)
    x[50] = 1.0
    out = gaussian_smooth(x, 4.0)
    assert int(np.argmax(out)) == 50
    np.testing.assert_allclose(out, out[::-1], atol=1e-15)
    assert out.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(gaussian_smooth(np.full(30, -2.0), 3.0), -2.0, atol=1e-12)


def test_gaussian_smooth_sigma_zero_copies_and_huge_sigma_on_short_signal_works():
    x = np.arange(6.0)
    out = gaussian_smooth(x, 0.0)
    np.testing.assert_array_equal(out, x)
    assert out is not x
    wide = gaussian_smooth(x, 50.0)  # kernel far longer than the signal: repeated mirroring
    assert wide.shape == x.shape and np.isfinite(wide).all()
    assert np.ptp(wide) < 0.1 * np.ptp(x)
    with pytest.raises(SettingsError):
        gaussian_smooth(x, -1.0)
    with pytest.raises(SettingsError):
        gaussian_smooth(x, float("nan"))


# -- convolution helpers ------------------------------------------------------------------------------


def test_convolve_valid_fft_path_matches_direct():
    rng = np.random.default_rng(3)
    x = rng.normal(size=5000)
    kernel = rng.normal(size=700)  # long enough for the FFT path
    np.testing.assert_allclose(convolve_valid(x, kernel), np.convolve(x, kernel, mode="valid"), atol=1e-9)
    with pytest.raises(SettingsError):
        convolve_valid(x[:10], kernel)


def test_causal_filter_is_causal_and_reverse_is_anticausal():
    kernel = np.array([0.5, 0.3, 0.2])
    x = np.zeros(20)
    x[10] = 1.0
    y = causal_filter(x, kernel)
    np.testing.assert_allclose(y[:10], 0.0)
    np.testing.assert_allclose(y[10:13], kernel)
    z = causal_filter(x, kernel, reverse=True)
    np.testing.assert_allclose(z[11:], 0.0)
    np.testing.assert_allclose(z[8:11], kernel[::-1])
    # Held ends: a constant passes unchanged in both directions (kernel sums to 1).
    np.testing.assert_allclose(causal_filter(np.full(8, 4.0), kernel), 4.0)
    np.testing.assert_allclose(causal_filter(np.full(8, 4.0), kernel, reverse=True), 4.0)
    long_kernel = np.full(400, 1 / 400)  # FFT path
    np.testing.assert_allclose(causal_filter(np.full(1000, 2.0), long_kernel), 2.0, atol=1e-12)


# -- lowpass_noise ------------------------------------------------------------------------------------


def test_lowpass_noise_has_unit_std_and_no_energy_far_above_cutoff():
    fps, cutoff = 60.0, 1.5
    x = lowpass_noise(60_000, fps, cutoff, np.random.default_rng(4))
    assert x.shape == (60_000,)
    assert 0.9 < x.std() < 1.1
    power = np.abs(np.fft.rfft(x)) ** 2
    freq = np.fft.rfftfreq(len(x), 1 / fps)
    assert power[freq > 3 * cutoff].sum() / power.sum() < 1e-3
    # White noise would change by ~1.13 std per frame; this changes slowly.
    assert np.abs(np.diff(x)).mean() < 0.15


def test_lowpass_noise_statistics_do_not_depend_on_fps():
    stds = {}
    speeds = {}
    for fps in (23.976, 60.0):
        x = lowpass_noise(int(600 * fps), fps, 1.5, np.random.default_rng(5))
        stds[fps] = x.std()
        speeds[fps] = np.abs(np.diff(x)).mean() * fps  # std per second
    assert stds[23.976] == pytest.approx(stds[60.0], rel=0.1)
    assert speeds[23.976] == pytest.approx(speeds[60.0], rel=0.1)


def test_lowpass_noise_is_deterministic_prefix_stable_and_handles_tiny_sizes():
    a = lowpass_noise(100, 30.0, 1.0, np.random.default_rng(6))
    b = lowpass_noise(300, 30.0, 1.0, np.random.default_rng(6))
    np.testing.assert_array_equal(a, b[:100])
    assert lowpass_noise(0, 30.0, 1.0, np.random.default_rng(0)).shape == (0,)
    assert lowpass_noise(1, 30.0, 1.0, np.random.default_rng(0)).shape == (1,)
    for bad in (0.0, -1.0, float("inf")):
        with pytest.raises(SettingsError):
            lowpass_noise(10, 30.0, bad, np.random.default_rng(0))
    with pytest.raises(SettingsError):
        lowpass_noise(10, 0.0, 1.0, np.random.default_rng(0))


def test_gaussian_sigma_gives_half_power_at_cutoff():
    sigma = gaussian_sigma_s(2.0)
    assert np.exp(-4 * np.pi**2 * sigma**2 * 2.0**2) == pytest.approx(0.5)


# -- interp_cubic -------------------------------------------------------------------------------------


def test_interp_cubic_passes_through_knots_reproduces_lines_and_clamps():
    knots = np.random.default_rng(7).normal(size=12)
    np.testing.assert_allclose(interp_cubic(knots, np.arange(12)), knots, atol=1e-12)
    line = 2.0 * np.arange(10.0) - 3.0
    pos = np.linspace(1.0, 8.0, 57)
    np.testing.assert_allclose(interp_cubic(line, pos), 2.0 * pos - 3.0, atol=1e-12)
    np.testing.assert_allclose(interp_cubic(knots, np.array([-5.0, 50.0])), knots[[0, -1]], atol=1e-12)
    assert interp_cubic(np.array([4.0]), np.array([0.0, 3.0])).tolist() == [4.0, 4.0]


def test_interp_cubic_has_continuous_slope_at_knots():
    knots = np.random.default_rng(8).normal(size=20)
    h = 1e-6
    for k in range(2, 18):
        left = (interp_cubic(knots, k) - interp_cubic(knots, k - h)) / h
        right = (interp_cubic(knots, k + h) - interp_cubic(knots, k)) / h
        assert left == pytest.approx(right, abs=1e-4)


def test_bspline_cubic_smooths_keeps_lines_and_is_c2():
    knots = np.random.default_rng(9).normal(size=20)
    at_knots = bspline_cubic(knots, np.arange(1, 19))
    np.testing.assert_allclose(at_knots, (knots[:-2] + 4 * knots[1:-1] + knots[2:]) / 6, atol=1e-12)
    line = 0.5 * np.arange(10.0) + 1.0
    pos = np.linspace(1.0, 8.0, 40)
    np.testing.assert_allclose(bspline_cubic(line, pos), 0.5 * pos + 1.0, atol=1e-12)
    h = 1e-4
    for k in range(2, 18):
        f = lambda x: bspline_cubic(knots, x)  # noqa: E731
        left = (f(k) - 2 * f(k - h) + f(k - 2 * h)) / h**2
        right = (f(k + 2 * h) - 2 * f(k + h) + f(k)) / h**2
        assert left == pytest.approx(right, abs=1e-2)
