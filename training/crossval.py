"""Speaker-grouped cross-validation on the clips outside the test split: out-of-sample measures from ~28 speakers.

    .venv/train/bin/python -m training.crossval --output /tmp/cv [--folds 4] [--config ...] [--evaluate-only]

The test split has 8 speakers and the validation split 3, so one model's test W moves by about a standard deviation
of the seeds (model card, "Seeds") and the validation clips cannot rank choices. This tool holds out each fold of the
training and validation SPEAKERS in turn (same person = same group, :data:`SPEAKER_GROUPS`; the groups in
training/README.md), trains the config on the rest (``training.train``, its own default style and calibration), and
evaluates that model on the held-out clips with ``training.evaluate`` (``--fixed-amplitude``: also the default style
given, i.e. each clip at the default std for its length). The test and personal clips are never trained on or
evaluated here. Folds: the speakers with a clip of at least one training window, largest first, each to the fold
with the fewest seconds so far (deterministic); shorter clips (GRID, 3 s) stay in training for every fold.

Writes ``config<k>.json``, ``fold<k>.onnx`` (+ its metadata ``fold<k>.json``) and ``eval<k>.json`` under
``--output`` and prints the measures pooled over all held-out clips (means over clips; std ratio = mean generated
std / mean real std). Training takes about 5 minutes a fold on one core (two folds run side by side).
"""

from __future__ import annotations

import argparse
import copy
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from .dataset import Clip
from .evaluate import evaluate, load_split
from .train import DEFAULT_CONFIG, load_config

#: Clips of the same person (identified from the names, the sources and a frame of each clip); every other clip is
#: its own speaker.
SPEAKER_GROUPS: dict[str, tuple[str, ...]] = {
    "Robert Downey Jr.": ("voxceleb2_pcavs_Audio_Source_741400104", "voxceleb2_pcavs_Pose_Source_741400163"),
    "Lily Aldridge": ("voxceleb2_pcavs_Input_00002", "voxceleb2_pcavs_Pose_Source_517600055"),
    "Obama": (
        "EDTalk__test_data_uncrop_Obama",
        "styletalk__samples_source_video_video_Obama_clip2",
        "styletalk__samples_source_video_video_Obama_clip3",
    ),
    "Andrew Ng": (
        "styletalk__samples_source_video_video_andrew_clip_1",
        "styletalk__samples_source_video_video_andrew_clip_2",
    ),
    "Fei-Fei Li": (
        "styletalk__samples_source_video_video_feifeili_clip1",
        "styletalk__samples_source_video_video_feifeili_clip2_short",
        "styletalk__samples_source_video_video_feifeili_clip3",
    ),
}


def speaker_groups(clips: list[Clip]) -> dict[str, list[Clip]]:
    """The clips by speaker: :data:`SPEAKER_GROUPS` where they name a clip, otherwise one speaker per clip."""
    by_name = {c.name: c for c in clips}
    groups: dict[str, list[Clip]] = {}
    grouped: set[str] = set()
    for speaker, names in SPEAKER_GROUPS.items():
        members = [by_name[n] for n in names if n in by_name]
        if members:
            groups[speaker] = members
        grouped |= set(names)
    for clip in clips:
        if clip.name not in grouped:
            groups[clip.name] = [clip]
    return groups


def make_folds(groups: dict[str, list[Clip]], folds: int, fps: float, min_frames: int) -> list[list[str]]:
    """Speaker groups (names, of :func:`speaker_groups`) per fold: the groups with a clip of >= ``min_frames``,
    largest first, each to the fold with the fewest seconds so far."""
    seconds = {g: sum(c.n_frames for c in m) / fps for g, m in groups.items()}
    usable = [g for g, m in groups.items() if any(c.n_frames >= min_frames for c in m)]
    out: list[list[str]] = [[] for _ in range(folds)]
    totals = [0.0] * folds
    for g in sorted(usable, key=lambda g: (-seconds[g], g)):
        k = int(np.argmin(totals))
        out[k].append(g)
        totals[k] += seconds[g]
    return out


def fold_configs(config_path: str, folds: int) -> list[dict]:
    """One training config per fold: its held-out speakers' clips of at least one window are its ``test`` part,
    their shorter clips and the original test and personal clips are held out too; everything else trains."""
    config = load_config(config_path)
    data_config, _, parts = load_split(config_path)
    pool = parts["train"] + parts.get("val", [])
    groups = speaker_groups(pool)
    window = data_config.window
    held_out = {p: list(m) for p, m in config["split"].items() if p not in ("val", "test") and isinstance(m, list)}
    out = []
    for k, fold in enumerate(make_folds(groups, folds, data_config.fps, window)):
        clips = [c for g in fold for c in groups[g]]
        c = copy.deepcopy(config)
        c["description"] = f"cross-validation fold {k} of {folds} ({config_path})"
        c["split"] = {
            "test": [x.name for x in clips if x.n_frames >= window],
            "fold_short": [x.name for x in clips if x.n_frames < window],
            "original_test": list(config["split"].get("test", [])),
            **held_out,
        }
        out.append(c)
    return out


def pooled(results: list[dict]) -> dict[str, dict]:
    """The methods' measures over all folds' held-out clips (each fold's means weighted by its clip count)."""
    sums: dict[str, dict] = {}
    for res in results:
        n = len(res["test_clips"])
        for name, row in res["methods"].items():
            acc = sums.setdefault(name, {"clips": 0})
            acc["clips"] += n
            for key, value in row.items():
                if key != "std_ratio":
                    acc[key] = acc.get(key, 0.0) + np.asarray(value, dtype=np.float64) * n
    real = sums["real (reference)"]["std"] / sums["real (reference)"]["clips"]
    table = {}
    for name, acc in sums.items():
        row = {k: (v / acc["clips"]).tolist() for k, v in acc.items() if k != "clips"}
        row["std_ratio"] = (np.asarray(row["std"]) / real).tolist()
        row["clips"] = acc["clips"]
        table[name] = row
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=str(DEFAULT_CONFIG))
    parser.add_argument("--output", required=True, help="folder for the fold configs, models and results")
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--draws", type=int, default=5)
    parser.add_argument("--evaluate-only", action="store_true", help="use the fold models already in --output")
    args = parser.parse_args(argv)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    configs = fold_configs(args.config, args.folds)
    for k, c in enumerate(configs):
        (out / f"config{k}.json").write_text(json.dumps(c, indent=1) + "\n")
    if not args.evaluate_only:
        for first in range(0, len(configs), 2):
            runs = [
                subprocess.Popen(
                    [sys.executable, "-m", "training.train", "--config", str(out / f"config{k}.json"),
                     "--output", str(out / f"fold{k}.onnx"), "--checkpoint", str(out / f"fold{k}.pt")],
                    stdout=(out / f"fold{k}.log").open("w"), stderr=subprocess.STDOUT,
                )
                for k in range(first, min(first + 2, len(configs)))
            ]
            if any(r.wait() != 0 for r in runs):
                raise SystemExit(f"a fold failed to train: see {out}/fold*.log")
    results = []
    for k in range(len(configs)):
        res = evaluate(str(out / f"fold{k}.onnx"), None, str(out / f"config{k}.json"), args.draws, fixed_amplitude=True)
        (out / f"eval{k}.json").write_text(json.dumps(res) + "\n")
        results.append(res)
    table = pooled(results)
    print(f"pooled over {table['mean pose']['clips']} held-out clips of {len(configs)} folds")
    for name, row in table.items():
        w = " / ".join(f"{v:.2f}" for v in row["w"])
        ratio = " / ".join(f"{v:.2f}" for v in row["std_ratio"])
        print(f"{name[:48]:48s} W {w}  std ratio {ratio}  speech/silence {row['speech_silence']:.2f}  "
              f"r {row['speed_loud_r']:.2f}  swap {row['swap']:.2f}  reversed {row['reversed']:.2f}")
    (out / "pooled.json").write_text(json.dumps(table, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
