"""The cross-validation's folds (training/crossval.py): speakers never split, short clips never held out, balanced."""

from __future__ import annotations

import numpy as np

from training.crossval import SPEAKER_GROUPS, make_folds, pooled, speaker_groups
from training.dataset import Clip

FPS = 25.0


def _clip(name: str, seconds: float) -> Clip:
    n = int(seconds * FPS)
    return Clip(name, np.zeros((n, 3)), np.zeros((n, 16), np.float32), FPS)


def _pool() -> list[Clip]:
    obama = [_clip(n, 20.0) for n in SPEAKER_GROUPS["Obama"]]
    andrew = [_clip(n, 25.0) for n in SPEAKER_GROUPS["Andrew Ng"]]
    singles = [_clip(f"speaker_{i}", 5.0 + 3.0 * i) for i in range(9)]
    grid = [_clip(f"grid_{i}", 3.0) for i in range(4)]
    return obama + andrew + singles + grid


def test_a_speaker_is_never_split_and_short_clips_stay_in_training():
    pool = _pool()
    groups = speaker_groups(pool)
    assert sorted(c.name for c in groups["Obama"]) == sorted(SPEAKER_GROUPS["Obama"])
    assert len(groups) == 2 + 9 + 4
    folds = make_folds(groups, 4, FPS, min_frames=100)
    held = [g for fold in folds for g in fold]
    assert len(held) == len(set(held)) == 2 + 9  # every speaker with a 4 s clip once; the 3 s clips never
    assert not any(g.startswith("grid_") for g in held)
    seconds = [sum(c.n_frames for g in fold for c in groups[g]) / FPS for fold in folds]
    print(f"fold seconds {seconds}")
    assert max(seconds) - min(seconds) <= 25.0  # no fold gets more than one more group's worth
    assert make_folds(speaker_groups(list(reversed(pool))), 4, FPS, min_frames=100) == folds  # deterministic


def test_pooled_measures_weigh_each_fold_by_its_clips():
    def result(clips: int, w: float, std: float) -> dict:
        row = {"w": [w, w, w], "std": [std, std, std], "std_ratio": [0.0, 0.0, 0.0], "swap": w}
        real = {"w": [0.0] * 3, "std": [2.0, 2.0, 2.0], "std_ratio": [1.0] * 3, "swap": float("nan")}
        return {"test_clips": [{}] * clips, "methods": {"model": row, "real (reference)": real, "mean pose": row}}

    table = pooled([result(1, 1.0, 1.0), result(3, 2.0, 3.0)])
    np.testing.assert_allclose(table["model"]["w"], 1.75)
    np.testing.assert_allclose(table["model"]["std_ratio"], 2.5 / 2.0)
    assert table["model"]["clips"] == 4
