"""Evaluate a PoseGAN ONNX model against baselines on held-out clips (the model card's table).

    .venv/train/bin/python -m training.evaluate --model models/posegan/default.onnx [--markdown out.md]

The held-out ("test") clips and the training clips come from the model's own metadata (``data.test`` /
``data.train`` names; ``--data`` is the folder holding them). Every method generates one track per test
clip from that clip's audio alone; the real track is the clip's measured poses (our estimator + the
paper's Gaussian filter), centred on its mean as in training. Methods:

* mean pose: the rest pose (0, 0, 0) throughout (what a static talking head does);
* random real: a random stretch of a real training track of another speaker (clip-centred; averaged
  over ``--draws`` draws);
* nearest neighbour: for each successive block of ``train_window_frames`` test frames, the poses of the
  training window whose audio features are closest (mean squared distance of the normalised features);
* synthetic: core.motion.synthetic (CONVERSATIONAL preset, energy-VAD speech mask; averaged over the draws);
* PoseGAN: core.motion.posegan.generate_pose from the rest pose (exactly what the add-on runs).

Metrics (frames pooled over the test clips, except where said):

* L2 pose / L2 motion: the paper's table 2 distances, mean over frames of ||y - y^||^2 and
  ||(y_t - y_t-1) - (y^_t - y^_t-1)||^2 in the model's normalised units (degrees / pose_std per axis),
  and the same as RMS in degrees (pose) and degrees per frame (motion);
* std ratio: per-axis std of the generated track / std of the real one (per clip, then the mean);
* speed W1: Wasserstein distance (deg/s) between the head-speed distributions (core.metrics), per clip mean;
* mean speed (deg/s) and Beat Align (core.metrics.beat_align_score with the stressed-syllable onsets of
  core.voice.accents), per clip mean.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

from core import metrics
from core.motion.posegan import generate_pose, load_model
from core.motion.synthetic import generate_synthetic, preset_settings
from core.voice.accents import accent_frames
from core.voice.decode import decode_audio
from core.voice.vad import speech_mask_from_audio

from .dataset import DEFAULT_CACHE, ROOT, Clip, DataConfig, Normalisation, list_videos, load_clips

METHODS = ("mean pose", "random real", "nearest neighbour", "synthetic", "PoseGAN", "real (reference)")


def _random_real(train: list[Clip], n: int, rng: np.random.Generator) -> np.ndarray:
    """A random stretch of one real training track (clip-centred) at least ``n`` frames long when one
    exists; otherwise random whole clips chained (each centred, as the random method of the paper)."""
    long_enough = [c for c in train if c.n_frames >= n]
    if long_enough:
        clip = long_enough[int(rng.integers(len(long_enough)))]
        start = int(rng.integers(clip.n_frames - n + 1))
        return (clip.poses - clip.poses.mean(axis=0))[start : start + n]
    pieces, total = [], 0
    while total < n:
        clip = train[int(rng.integers(len(train)))]
        pieces.append(clip.poses - clip.poses.mean(axis=0))
        total += clip.n_frames
    return np.concatenate(pieces)[:n]


def _nearest_neighbour(clip: Clip, train: list[Clip], norm: Normalisation, window: int) -> np.ndarray:
    bank_x, bank_y = [], []
    for t in train:
        x, y = norm.features(t.features), t.poses - t.poses.mean(axis=0)
        for s in range(0, t.n_frames - window + 1, 5):
            bank_x.append(x[s : s + window])
            bank_y.append(y[s : s + window])
    bx, by = np.stack(bank_x), np.stack(bank_y)
    query = norm.features(clip.features)
    out = []
    for s in range(0, clip.n_frames, window):
        q = query[s : s + window]
        distance = ((bx[:, : len(q)] - q[None]) ** 2).mean(axis=(1, 2))
        out.append(by[int(np.argmin(distance)), : len(q)])
    return np.concatenate(out)


def _clip_metrics(gen: np.ndarray, real: np.ndarray, pose_std: np.ndarray, fps: float, onsets: np.ndarray) -> dict:
    diff = (gen - real) / pose_std
    motion = (np.diff(gen, axis=0) - np.diff(real, axis=0)) / pose_std
    return {
        "frames": len(real),
        "l2_pose_sum": float((diff**2).sum()),
        "l2_motion_sum": float((motion**2).sum()),
        "pose_sq_deg_sum": float(((gen - real) ** 2).sum()),
        "motion_sq_deg_sum": float(((np.diff(gen, axis=0) - np.diff(real, axis=0)) ** 2).sum()),
        "std_ratio": (gen.std(axis=0) / np.maximum(real.std(axis=0), 1e-9)).tolist(),
        "speed_w1": metrics.speed_histogram_distance(gen, real, fps),
        "mean_speed": metrics.mean_speed(gen, fps) if len(gen) > 1 else 0.0,
        "beat_align": metrics.beat_align_score(onsets, gen) if len(onsets) else float("nan"),
    }


def _pool(rows: list[dict]) -> dict:
    frames = sum(r["frames"] for r in rows)
    motion_frames = sum(r["frames"] - 1 for r in rows)
    return {
        "l2_pose": sum(r["l2_pose_sum"] for r in rows) / frames,
        "l2_motion": sum(r["l2_motion_sum"] for r in rows) / motion_frames,
        "rms_pose_deg": math.sqrt(sum(r["pose_sq_deg_sum"] for r in rows) / frames),
        "rms_motion_deg": math.sqrt(sum(r["motion_sq_deg_sum"] for r in rows) / motion_frames),
        "std_ratio": np.mean([r["std_ratio"] for r in rows], axis=0).tolist(),
        "speed_w1": float(np.mean([r["speed_w1"] for r in rows])),
        "mean_speed": float(np.mean([r["mean_speed"] for r in rows])),
        "beat_align": float(np.nanmean([r["beat_align"] for r in rows])),
    }


def evaluate(model_path: str, data_dir: Path, draws: int = 10, cache: bool = True) -> dict:
    """Metrics of every method (see the module docs) on the model's held-out clips."""
    model = load_model(model_path, use_cache=False)
    meta = model.metadata.raw
    fps = float(meta["fps"])
    data_config = DataConfig(
        fps=fps,
        window=int(meta["train_window_frames"]),
        pose_sigma_s=float(meta["training"]["config"]["data"].get("pose_sigma_s", DataConfig.pose_sigma_s)),
        feature=meta["feature_config"],
    )
    names = {part: [c["name"] for c in meta["data"][part]] for part in ("train", "test")}
    videos = {p.stem: p for p in list_videos(data_dir)}
    missing = [n for n in names["train"] + names["test"] if n not in videos]
    if missing:
        raise SystemExit(f"clips named in the model's metadata are not in {data_dir}: {missing}")
    clips = load_clips(
        [videos[n] for n in names["train"] + names["test"]], data_config, DEFAULT_CACHE if cache else None
    )
    train, test = clips[: len(names["train"])], clips[len(names["train"]) :]
    norm = Normalisation.from_dict(meta)
    pose_std = norm.pose_std
    rows: dict[str, list[dict]] = {m: [] for m in METHODS}
    per_clip = []
    for index, clip in enumerate(test):
        real = clip.poses - clip.poses.mean(axis=0)
        n = clip.n_frames
        audio = decode_audio(str(videos[clip.name]), 16000)
        onsets = accent_frames(audio.samples, audio.sample_rate, fps, n_frames=n)
        speech = speech_mask_from_audio(audio.samples, audio.sample_rate, fps, n_frames=n)

        def add(method: str, gen: np.ndarray, real=real, onsets=onsets) -> None:
            rows[method].append(_clip_metrics(gen, real, pose_std, fps, onsets))

        add("mean pose", np.zeros_like(real))
        add("real (reference)", real)
        add("nearest neighbour", _nearest_neighbour(clip, train, norm, data_config.window))
        gan = generate_pose(clip.features, model)
        add("PoseGAN", gan)
        for draw in range(draws):
            rng = np.random.default_rng([draw, index])
            add("random real", _random_real(train, n, rng))
            synth = generate_synthetic(n, fps, preset_settings("CONVERSATIONAL", seed=draw), speech=speech)
            add("synthetic", synth.angles)
        per_clip.append(
            {
                "name": clip.name,
                "frames": n,
                "onsets": len(onsets),
                "real_std": real.std(axis=0).round(2).tolist(),
                "posegan_std": gan.std(axis=0).round(2).tolist(),
            }
        )
    return {
        "model": str(model_path),
        "test_clips": per_clip,
        "test_seconds": round(sum(c.n_frames for c in test) / fps, 1),
        "draws": draws,
        "methods": {m: _pool(r) for m, r in rows.items()},
    }


def markdown(result: dict) -> str:
    lines = [
        ("| method | L2 pose (norm.) | L2 motion (norm.) | pose RMSE (deg) | motion RMSE (deg/frame) "
        "| std ratio yaw / pitch / roll | speed W1 (deg/s) | mean speed (deg/s) | Beat Align |"),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, m in result["methods"].items():
        ratio = " / ".join(f"{v:.2f}" for v in m["std_ratio"])
        lines.append(
            f"| {name} | {m['l2_pose']:.3f} | {m['l2_motion']:.4f} | {m['rms_pose_deg']:.2f} "
            f"| {m['rms_motion_deg']:.3f} | {ratio} | {m['speed_w1']:.2f} | {m['mean_speed']:.2f} "
            f"| {m['beat_align']:.3f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "posegan" / "default.onnx"))
    parser.add_argument("--data", default=str((ROOT / ".." / "shared" / "data" / "dev").resolve()))
    parser.add_argument("--draws", type=int, default=10, help="random draws for the random and synthetic methods")
    parser.add_argument("--json", help="write the full result as JSON here")
    parser.add_argument("--markdown", help="write the table as Markdown here")
    parser.add_argument("--no-cache", action="store_true")
    args = parser.parse_args(argv)
    result = evaluate(args.model, Path(args.data), args.draws, cache=not args.no_cache)
    table = markdown(result)
    print(f"held-out clips: {len(result['test_clips'])} ({result['test_seconds']} s)")
    for clip in result["test_clips"]:
        print(
            f"  {clip['name']}: {clip['frames']} frames, {clip['onsets']} onsets, real std {clip['real_std']}, "
            f"PoseGAN std {clip['posegan_std']}"
        )
    print(table)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    if args.markdown:
        Path(args.markdown).write_text(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
