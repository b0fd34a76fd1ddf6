"""Tests of core.keyreduce: the linear-interpolation error bound, monotonicity, edge cases, speed."""

from __future__ import annotations

import time

import numpy as np
import pytest

from core.errors import SettingsError, TrackError
from core.keyreduce import add_frames, interpolation_error, select_key_frames


def smooth_signal(n: int, channels: int, seed: int) -> np.ndarray:
    """Head-motion-like channels: a few slow sines plus low-pass filtered noise (radians-ish)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=np.float64)
    out = np.zeros((n, channels))
    for c in range(channels):
        for _ in range(4):
            period = rng.uniform(40.0, 600.0)
            out[:, c] += rng.uniform(0.02, 0.3) * np.sin(2 * np.pi * t / period + rng.uniform(0, 2 * np.pi))
        noise = rng.normal(0.0, 0.01, n + 64)
        kernel = np.hanning(65)
        out[:, c] += np.convolve(noise, kernel / kernel.sum(), mode="valid")[:n]
    return out


def reconstruct(values: np.ndarray, kept: np.ndarray) -> np.ndarray:
    values = values.reshape(len(values), -1)
    x = np.arange(len(values))
    return np.stack([np.interp(x, kept, values[kept, c]) for c in range(values.shape[1])], axis=1)


def assert_valid(values: np.ndarray, kept: np.ndarray, tol) -> None:
    n = len(values)
    assert kept.dtype == np.int64
    assert kept[0] == 0 and kept[-1] == n - 1
    assert np.all(np.diff(kept) > 0)
    error = np.abs(reconstruct(values, kept) - values.reshape(n, -1)).max(axis=0)
    assert np.all(error <= np.broadcast_to(tol, error.shape)), (error, tol)


# --------------------------------------------------------------------------------------------------
# Error bound and monotonicity


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("tol", [1e-1, 1e-2, 1e-3, 1e-4, 1e-6])
def test_error_bound_on_smooth_signals(seed, tol):
    values = smooth_signal(3000, 4, seed)
    kept = select_key_frames(values, tol)
    assert_valid(values, kept, tol)
    assert len(kept) < len(values) or tol <= 1e-4


def test_error_bound_one_dimensional():
    values = smooth_signal(2000, 1, 7)[:, 0]
    kept = select_key_frames(values, 1e-3)
    assert_valid(values, kept, 1e-3)
    assert np.abs(np.interp(np.arange(len(values)), kept, values[kept]) - values).max() <= 1e-3


def test_per_channel_tolerance():
    values = smooth_signal(4000, 3, 3)
    values[:, 2] *= 100.0  # e.g. a location channel in centimetres next to rotations
    tol = np.array([1e-3, 1e-2, 0.5])
    kept = select_key_frames(values, tol)
    assert_valid(values, kept, tol)
    # A single shared tolerance tight enough for all channels needs more keys.
    assert len(select_key_frames(values, 1e-3)) >= len(kept)


def test_rough_signals_and_spikes():
    rng = np.random.default_rng(11)
    noise = rng.normal(size=(5000, 2))
    steps = np.repeat(rng.normal(size=(50, 2)), 100, axis=0)
    spike = np.zeros((5000, 2))
    spike[2500, 1] = 1.0
    for values in (noise, steps, spike, noise + steps):
        for tol in (0.5, 0.05, 1e-3):
            assert_valid(values, select_key_frames(values, tol), tol)
    assert 2500 in select_key_frames(spike, 0.1)


def test_monotone_in_tolerance():
    for seed in range(4):
        values = smooth_signal(5000, 4, seed)
        tolerances = (0.3, 0.1, 3e-2, 1e-2, 3e-3, 1e-3, 1e-4, 0.0)
        counts = [len(select_key_frames(values, tol)) for tol in tolerances]
        assert counts == sorted(counts)
        # Same split tree: a smaller tolerance keeps a superset of the keys.
        coarse, fine = select_key_frames(values, 1e-2), select_key_frames(values, 1e-3)
        assert set(coarse) <= set(fine)


def test_interpolation_error_matches_reconstruction():
    values = smooth_signal(1500, 2, 5)
    kept = select_key_frames(values, 2e-3)
    error = interpolation_error(values, kept)
    assert error.shape == (2,)
    assert np.all(error <= 2e-3)
    np.testing.assert_array_equal(error, np.abs(reconstruct(values, kept) - values).max(axis=0))
    with pytest.raises(TrackError):
        interpolation_error(values, [0, 5, 3, 1499])
    with pytest.raises(TrackError):
        interpolation_error(values, [1, 1499])


# --------------------------------------------------------------------------------------------------
# Lines, constants and edge cases


def test_straight_line_keeps_only_the_endpoints():
    t = np.arange(1000, dtype=np.float64)
    values = np.stack([0.5 + 0.001 * t, -2.0 * t, np.full_like(t, 3.0)], axis=1)
    np.testing.assert_array_equal(select_key_frames(values, 1e-9), [0, 999])
    np.testing.assert_array_equal(select_key_frames(values[:, 1], 1e-9), [0, 999])


def test_piecewise_linear_keeps_the_corners():
    values = np.concatenate([np.linspace(0.0, 1.0, 101), np.linspace(1.0, -1.0, 201)[1:], np.full(100, -1.0)])
    kept = select_key_frames(values, 1e-9)
    np.testing.assert_array_equal(kept, [0, 100, 300, 400])


@pytest.mark.parametrize("tol", [0.0, 1e-6, 1.0, np.inf])
def test_constant_signal(tol):
    np.testing.assert_array_equal(select_key_frames(np.full((500, 4), 0.25), tol), [0, 499])


def test_single_and_two_samples():
    np.testing.assert_array_equal(select_key_frames(np.array([1.0]), 0.1), [0])
    np.testing.assert_array_equal(select_key_frames(np.array([[1.0, 2.0]]), 0.1), [0])
    np.testing.assert_array_equal(select_key_frames(np.array([1.0, 5.0]), 0.1), [0, 1])
    np.testing.assert_array_equal(select_key_frames(np.array([0.0, 1.0, 0.0]), 0.1), [0, 1, 2])
    np.testing.assert_array_equal(select_key_frames(np.array([0.0, 1.0, 0.0]), 2.0), [0, 2])


def test_zero_tolerance_keeps_every_bend():
    values = np.arange(50, dtype=np.float64) ** 2
    np.testing.assert_array_equal(select_key_frames(values, 0.0), np.arange(50))


def test_infinite_tolerance_keeps_the_ends():
    np.testing.assert_array_equal(select_key_frames(smooth_signal(300, 2, 1), np.inf), [0, 299])


def test_accepts_lists_and_integer_arrays():
    np.testing.assert_array_equal(select_key_frames([0, 0, 5, 0, 0], 0.5), [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(select_key_frames(np.array([0, 1, 2, 3]), 0), [0, 3])


@pytest.mark.parametrize(
    "values",
    [
        np.array([0.0, np.nan, 1.0]),
        np.array([[0.0, 1.0], [np.inf, 0.0]]),
        np.zeros(0),
        np.zeros((0, 3)),
        np.zeros((5, 0)),
        np.zeros((4, 2, 2)),
    ],
)
def test_bad_values_raise_track_error(values):
    with pytest.raises(TrackError):
        select_key_frames(values, 0.1)


def test_nan_message_names_the_sample():
    values = np.zeros((10, 2))
    values[7, 1] = np.nan
    with pytest.raises(TrackError, match="sample 7"):
        select_key_frames(values, 0.1)


@pytest.mark.parametrize(
    "tol", [-1e-3, np.nan, np.array([0.1, 0.1, 0.1]), np.array([[0.1, 0.1]]), [0.1, -1.0]]
)
def test_bad_tolerance_raises_settings_error(tol):
    with pytest.raises(SettingsError):
        select_key_frames(np.zeros((10, 2)), tol)


def test_tolerance_of_one_element_applies_to_all_channels():
    values = smooth_signal(800, 3, 2)
    np.testing.assert_array_equal(select_key_frames(values, [1e-3]), select_key_frames(values, 1e-3))


# --------------------------------------------------------------------------------------------------
# Long inputs and speed


def test_108000_samples_no_recursion_limit():
    values = smooth_signal(108_000, 4, 9)
    kept = select_key_frames(values, 1e-4)
    assert_valid(values, kept, 1e-4)
    worst = np.cumsum(np.random.default_rng(0).normal(size=108_000))  # random walk: many keys
    assert_valid(worst, select_key_frames(worst, 1e-3), 1e-3)


def test_pathological_convex_curve():
    # exp() puts every split next to one end: the split tree is as deep as it gets.
    values = np.exp(np.linspace(0.0, 12.0, 20_000))
    kept = select_key_frames(values, 1e-3)
    assert_valid(values, kept, 1e-3)


def test_periodic_motion_is_not_a_worst_case():
    # Plain RDP cuts these near one end of a long segment pass after pass (over a second at 108,000
    # samples); the extra middle cut keeps the number of passes logarithmic.
    t = np.arange(108_000, dtype=np.float64)
    values = np.stack([0.2 * np.sin(2 * np.pi * t / p) for p in (300, 450, 700, 1000)], axis=1)
    start = time.perf_counter()
    kept = select_key_frames(values, np.radians(0.05) / 4.0)
    elapsed = time.perf_counter() - start
    assert_valid(values, kept, np.radians(0.05) / 4.0)
    assert elapsed < 0.5, f"{elapsed * 1000:.0f} ms"


def test_speed_18000_frames_4_channels():
    values = smooth_signal(18_000, 4, 4)
    select_key_frames(values, 1e-4)  # warm-up
    best = np.inf
    for _ in range(3):
        start = time.perf_counter()
        select_key_frames(values, np.radians(0.05) / 4.0)
        best = min(best, time.perf_counter() - start)
    assert best < 0.1, f"{best * 1000:.1f} ms"


# --------------------------------------------------------------------------------------------------
# add_frames


def test_add_frames_merges_sorted_unique():
    out = add_frames(np.array([0, 10, 20, 99]), np.array([15, 10, 5, 99]))
    np.testing.assert_array_equal(out, [0, 5, 10, 15, 20, 99])
    assert out.dtype == np.int64


def test_add_frames_accepts_lists_empty_and_whole_floats():
    np.testing.assert_array_equal(add_frames([3, 1], []), [1, 3])
    np.testing.assert_array_equal(add_frames([], [2.0, 7.0]), [2, 7])
    np.testing.assert_array_equal(add_frames(np.array([0, 9]), np.flatnonzero([0, 0, 1, 0, 1])), [0, 2, 4, 9])
    np.testing.assert_array_equal(add_frames(range(3), (i for i in (5, 1))), [0, 1, 2, 5])


@pytest.mark.parametrize("extra", [[-1], [1.5], np.array([True, False]), ["a"], [np.nan]])
def test_add_frames_rejects_bad_indices(extra):
    with pytest.raises(TrackError):
        add_frames([0, 10], extra)


def test_add_frames_then_reduction_loop_converges():
    # The Blender side's loop: start from a loose reduction, add frames where a stricter check fails.
    values = smooth_signal(3000, 4, 8)
    keep = select_key_frames(values, 1e-2)
    for _ in range(20):
        error = np.abs(reconstruct(values, keep) - values).max(axis=1)
        bad = np.flatnonzero(error > 1e-3)
        if len(bad) == 0:
            break
        keep = add_frames(keep, bad)
    assert_valid(values, keep, 1e-3)


# --------------------------------------------------------------------------------------------------
# Seeded segments (eye bakes)


@pytest.mark.parametrize("seed_every", [2, 8, 33])
def test_seeded_selection_keeps_the_error_bound(seed_every):
    rng = np.random.default_rng(5)
    steps = np.repeat(rng.normal(size=(60, 2)), 50, axis=0)
    for values in (smooth_signal(3000, 4, 2), rng.normal(size=(3000, 2)), steps, steps + 0.01 * rng.normal(
            size=steps.shape)):
        for tol in (0.3, 0.02, 1e-4):
            assert_valid(values, select_key_frames(values, tol, seed_every=seed_every), tol)


def test_seeded_selection_drops_the_seeds_it_does_not_need():
    t = np.arange(1000, dtype=np.float64)
    line = np.stack([0.5 + 0.001 * t, -2.0 * t], axis=1)
    np.testing.assert_array_equal(select_key_frames(line, 1e-9, seed_every=8), [0, 999])
    corners = np.concatenate([np.linspace(0.0, 1.0, 101), np.linspace(1.0, -1.0, 201)[1:], np.full(100, -1.0)])
    np.testing.assert_array_equal(select_key_frames(corners, 1e-9, seed_every=10), [0, 100, 300, 400])
    smooth = smooth_signal(6000, 4, 9)
    plain, seeded = select_key_frames(smooth, 1e-3), select_key_frames(smooth, 1e-3, seed_every=8)
    assert len(seeded) < 1.1 * len(plain)
