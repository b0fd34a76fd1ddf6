"""The amplitude scan's maths (training/amplitude_scan.py): W of rescaled tracks, fixed per-clip std, facts."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from core.motion.posegan import duration_factor
from training.amplitude_scan import (
    amplitude_facts,
    amplitude_modes,
    default_std_w,
    fixed_std_scan,
    intensity_scan,
    level_rows,
    mean_w,
    parse_level,
    scale_scan,
    spans,
    training_levels,
    with_std,
)


def _tracks(seed: int = 0, clips: int = 5) -> list[np.ndarray]:
    """Smooth random-walk tracks (n, 3) in degrees of different lengths and amplitudes."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(clips):
        steps = rng.standard_normal((150 + 40 * i, 3)) * (0.2 + 0.3 * i)
        out.append(np.cumsum(steps, axis=0) + rng.standard_normal(3) * 10.0)
    return out


def test_scale_scan_finds_the_real_amplitude():
    gen = _tracks()
    real = [2.0 * g + 5.0 for g in gen]  # the same motion, twice as large, another rest pose
    scales = (0.5, 1.0, 1.5, 2.0, 2.5)
    w = scale_scan(gen, real, scales)
    assert w.shape == (5, 3)
    assert np.all(w.argmin(axis=0) == 3)
    assert np.allclose(w[3], 0.0, atol=1e-9)
    assert np.all(w[1] > 0.1)


def test_with_std_sets_each_axis_std_and_centres():
    track = _tracks(1, 1)[0]
    out = with_std(track, np.array([3.0, 2.0, 1.0]))
    assert np.allclose(out.std(axis=0), [3.0, 2.0, 1.0])
    assert np.allclose(out.mean(axis=0), 0.0, atol=1e-9)
    still = np.column_stack([track[:, 0], np.full(len(track), 4.0), track[:, 2]])
    assert np.allclose(with_std(still, np.ones(3))[:, 1], 0.0)


def test_fixed_std_scan_is_zero_only_at_the_real_std():
    gen = _tracks(2)
    real = [with_std(g, np.array([4.0, 2.0, 3.0])) for g in gen]
    stds = np.array([[1.0, 1.0, 1.0], [4.0, 2.0, 3.0], [6.0, 6.0, 6.0]])
    w = fixed_std_scan(gen, real, stds)
    assert np.allclose(w[1], 0.0, atol=1e-9)
    assert np.all(w[0] > 0.5) and np.all(w[2] > 0.5)
    assert np.allclose(mean_w(real, real), 0.0)


def test_amplitude_facts_see_a_proportional_amplitude():
    gen = _tracks(3)
    real = [3.0 * g for g in gen]
    facts = amplitude_facts(gen, real)
    assert np.allclose(facts["corr_log_std"], 1.0)
    assert np.allclose(np.array(facts["real_std_mean"]), 3.0 * np.array(facts["gen_std_mean"]))
    shuffled = amplitude_facts(gen, real[::-1])
    assert np.all(np.array(shuffled["corr_log_std"]) < 0.5)


def test_the_default_std_column_scales_each_clip_by_its_length():
    """The add-on gives a clip of T seconds the default std times duration_factor(T): real tracks at exactly that
    std score 0, real tracks at the full std for every length do not (the short clips differ most)."""
    fps = 25.0
    gen = [g[:n] for g, n in zip(_tracks(4), (40, 60, 100, 200, 300), strict=True)]
    std = np.array([4.0, 2.0, 3.0])
    real = [with_std(g, std * duration_factor(len(g) / fps)) + 7.0 for g in gen]
    assert np.allclose(default_std_w(gen, real, std, fps), 0.0, atol=1e-9)
    full = [with_std(g, std) for g in gen]
    assert np.all(default_std_w(gen, full, std, fps) > 0.2)


def test_levels_measure_w_and_the_std_ratio_at_one_long_take_amplitude():
    """Real tracks at 4 / 2 / 3 deg times each clip's length factor: that level scores W 0 and std ratio 1; twice
    that level, ratio 2 and W > 0."""
    fps = 25.0
    gen = [g[:n] for g, n in zip(_tracks(5), (60, 100, 150, 250, 300), strict=True)]
    level = np.array([4.0, 2.0, 3.0])
    real = [with_std(g[::-1], level * duration_factor(len(g) / fps)) for g in gen]
    rows = level_rows(gen, real, {"right": level, "double": 2.0 * level}, fps)
    assert np.allclose(rows["right"]["std_ratio"], 1.0) and np.allclose(rows["double"]["std_ratio"], 2.0)
    assert np.all(np.array(rows["double"]["w"]) > np.array(rows["right"]["w"]) + 0.5)


def test_training_levels_undo_the_length_factor_of_the_models_own_tracks():
    fps = 25.0
    gen = [g[:n] for g, n in zip(_tracks(6), (60, 100, 150, 250, 300), strict=True)]
    own = np.array([5.0, 3.0, 2.0])
    gen = [with_std(g, own * duration_factor(len(g) / fps)) for g in gen]
    real = [with_std(g, np.array([1.0, 2.0, 3.0]) * (i + 1) ** 2) for i, g in enumerate(gen)]  # 1, 4, 9, 16, 25
    levels = training_levels(gen, real, [3.9, 2.3, 2.7], fps)
    assert np.allclose(levels["model's own long-take level"], own)
    assert np.allclose(levels["training clips' real std, median"], [9.0, 18.0, 27.0])
    assert np.allclose(levels["training clips' real std, mean"], [11.0, 22.0, 33.0])
    assert np.allclose(levels["default style"], [3.9, 2.3, 2.7])


def test_spans_are_the_runs_where_the_mask_holds():
    assert spans([1.0, 2.0, 3.0, 4.0, 5.0], [True, True, False, True, False]) == [[1.0, 2.0], [4.0, 4.0]]
    assert spans([1.0, 2.0], [False, False]) == []
    assert spans([1.0, 2.0, 3.0], [False, True, True]) == [[2.0, 3.0]]


def test_intensities_find_where_both_points_hold():
    """Real tracks at 1.2 x the default style (times each clip's length factor): at the default style's amplitude
    the std ratio is in 0.8-1.25 for Intensities 0.96-1.5, W is 0 at 1.2 and small only near it, so both points
    hold on a short run around 1.2; W below the synthetic generator's on one axis only leaves none. At the
    model's own amplitude (here 1.25 x the real one) Intensity 0.8 is the real amplitude."""
    fps = 25.0
    gen = [g[:n] for g, n in zip(_tracks(7), (60, 100, 150, 250, 300), strict=True)]
    default = np.array([4.0, 2.0, 3.0])
    real = [with_std(g[::-1], 1.2 * default * duration_factor(len(g) / fps)) + 3.0 for g in gen]
    modes = amplitude_modes(gen, default, fps)
    out = intensity_scan(modes["the default style's"], real, [0.1, 0.1, 0.1])
    for runs in out["std_ratio_in_range"]:
        assert len(runs) == 1 and abs(runs[0][0] - 0.96) < 0.006 and abs(runs[0][1] - 1.5) < 0.006
    (run,) = out["both_points"]
    assert run[0] < 1.2 < run[1] and run[1] - run[0] < 0.3
    one_axis = intensity_scan(modes["the default style's"], real, [0.1, -1.0, -1.0])  # W can pass on yaw only
    assert one_axis["w_at_most_synthetic"][0] == out["w_at_most_synthetic"][0] and one_axis["both_points"] == []
    larger = [1.25 * r for r in real]
    own = intensity_scan(amplitude_modes(larger, default, fps)["the model's own"], real, [0.1, 0.1, 0.1])
    (run,) = own["both_points"]
    assert 0.64 <= run[0] < 0.8 < run[1] <= 1.0


def test_parse_level_reads_a_name_and_three_degrees():
    name, level = parse_level("unseen speakers=4.2,2.9,2.5")
    assert name == "unseen speakers" and np.allclose(level, [4.2, 2.9, 2.5])
    for bad in ("4.2,2.9,2.5", "x=4.2,2.9", "x=4.2,nan,2.5", "x=4,-1,2", "x=a,b,c"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_level(bad)
