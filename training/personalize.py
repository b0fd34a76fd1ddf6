"""Personalise PoseGAN: fine-tune a trained model on someone's own talking videos (2-3 minutes), on CPU.

    .venv/train/bin/python -m training.personalize --video my.mp4 [--video more.mp4 ...] \\
        [--base training/checkpoints/default.pt] --output my_style.onnx

As in the paper (section 5.1): the pre-trained PoseGAN is fine-tuned on the reference video(s) for 20
epochs with batch size 16, all other settings unchanged (loss weights, Adam 1e-4, windows of the base
model's training length with stride 5). The poses come from our video estimator + the paper's Gaussian
filter and the features from core.voice.features, exactly as for the base model; the base model's
normalisation is kept (the network's weights expect it), poses are centred per video.

``--base`` is a PyTorch checkpoint (``.pt``, written by training.train / this script). An ``.onnx`` base
is accepted when its checkpoint lies beside it (``x.onnx`` -> ``x.pt``) or it is the default model
(whose checkpoint is ``training/checkpoints/default.pt``). ``--from-scratch`` trains a new model on the
videos alone (more epochs needed; only sensible with much more than 3 minutes).

Writes ``--output`` (.onnx) + its ``.json`` metadata (load it in the add-on's PoseGAN settings) and the
checkpoint beside it (``.pt``, for further fine-tuning). Takes about 1-3 minutes for 3 minutes of
video on 2 cores (video estimation ~150 frames/s, then training).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from .dataset import DEFAULT_CACHE, ROOT, DataConfig, Normalisation, load_clips, make_windows
from .dataset import summary as clip_summary
from .export import build_metadata, export_onnx
from .model import Discriminator, Generator, ModelConfig
from .train import DEFAULT_CHECKPOINT, fit, load_checkpoint, save_checkpoint, seed_everything, training_facts


def resolve_base(base: str) -> Path:
    """The checkpoint to start from (see the module docs); SystemExit with advice when there is none."""
    path = Path(base)
    if path.suffix == ".pt":
        if not path.is_file():
            raise SystemExit(f"base checkpoint not found: {path}")
        return path
    if path.suffix == ".onnx":
        beside = path.with_suffix(".pt")
        if beside.is_file():
            return beside
        default_onnx = ROOT / "models" / "posegan" / "default.onnx"
        if path.is_file() and default_onnx.is_file() and path.resolve() == default_onnx.resolve():
            return DEFAULT_CHECKPOINT
        raise SystemExit(
            f"fine-tuning needs the PyTorch checkpoint of {path.name} ({beside.name} beside it); "
            f"pass --base path/to/checkpoint.pt, or --from-scratch"
        )
    raise SystemExit(f"--base must be a .pt checkpoint or an .onnx model, got {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--video", action="append", required=True, help="reference talking video (repeatable)")
    parser.add_argument("--base", default=str(DEFAULT_CHECKPOINT), help="checkpoint (.pt) or model (.onnx)")
    parser.add_argument("--output", required=True, help="personalised ONNX model to write (+ .json, .pt)")
    parser.add_argument("--epochs", type=int, default=20, help="fine-tuning epochs (paper: 20)")
    parser.add_argument("--batch-size", type=int, default=16, help="paper: 16")
    parser.add_argument("--lr", type=float, default=None, help="default: the base model's (1e-4)")
    parser.add_argument("--from-scratch", action="store_true", help="train new weights on the videos alone")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-cache", action="store_true", help="recompute poses and features")
    args = parser.parse_args(argv)

    seed_everything(args.seed, args.threads)
    base = load_checkpoint(resolve_base(args.base))
    base_meta = base["metadata"]
    base_config = base_meta["training"]["config"]
    data_config = DataConfig(
        fps=float(base_meta["fps"]),
        window=int(base_meta["train_window_frames"]),
        stride=int(base_config["data"].get("stride", 5)),
        pose_sigma_s=float(base_config["data"].get("pose_sigma_s", DataConfig.pose_sigma_s)),
        feature=base_meta["feature_config"],
    )
    videos = [Path(v) for v in args.video]
    for video in videos:
        if not video.is_file():
            raise SystemExit(f"video not found: {video}")
    started = time.time()
    clips = load_clips(videos, data_config, None if args.no_cache else DEFAULT_CACHE)
    usable = [c for c in clips if c.n_frames >= data_config.window]
    for clip in clips:
        if clip.n_frames < data_config.window:
            print(f"skipped {clip.name}: {clip.n_frames} frames, shorter than one {data_config.window}-frame window")
    if not usable:
        raise SystemExit("no video is long enough to train on")
    seconds_of_video = sum(c.n_frames for c in usable) / data_config.fps
    if seconds_of_video < 60.0:
        print(f"warning: only {seconds_of_video:.0f} s of video; 2-3 minutes are recommended")
    norm = Normalisation.from_dict(base["normalisation"])
    train_xy = make_windows(usable, norm, data_config.window, data_config.stride)
    model_config = ModelConfig.from_dict(base["model_config"])
    generator, discriminator = Generator(model_config), Discriminator(model_config)
    if not args.from_scratch:
        generator.load_state_dict(base["generator"])
        discriminator.load_state_dict(base["discriminator"])
    optim = {
        **base_config["optim"],
        "epochs": args.epochs,
        "batch_size": min(args.batch_size, len(train_xy[0])),
        "eval_every": max(1, args.epochs // 10),
    }
    if args.lr is not None:
        optim["lr"] = args.lr
    print(
        f"{len(usable)} video(s), {seconds_of_video:.0f} s, {len(train_xy[0])} windows; "
        f"{'training from scratch' if args.from_scratch else 'fine-tuning ' + str(args.base)} for {args.epochs} epochs"
    )
    result = fit(
        generator,
        discriminator,
        train_xy,
        None,
        optim,
        base_config["loss"],
        args.seed,
        augmentation=base_config.get("augmentation"),
        feature_std=norm.feature_std,
    )
    config = {
        **base_config,
        "optim": optim,
        "personalize": {
            "base": str(args.base),
            "from_scratch": args.from_scratch,
            "videos": [v.name for v in videos],
            "seed": args.seed,
        },
    }
    data_summary = {
        "source": "personal reference video(s)",
        "train": clip_summary(usable, data_config.fps),
        "val": [],
        "test": [],
        "train_seconds": round(seconds_of_video, 1),
        "train_windows": len(train_xy[0]),
        "base_data": base_meta.get("data", {}).get("source"),
    }
    metadata = build_metadata(
        model_config,
        {"fps": data_config.fps, "window": data_config.window},
        base_meta["feature_config"],
        norm.to_dict(),
        {
            "window_frames": base_meta["window_frames"],
            "overlap_frames": base_meta["overlap_frames"],
            "post_sigma_s": base_meta["post_sigma_frames"] / data_config.fps,
        },
        data_summary,
        training_facts(config, result, time.time() - started),
    )
    output = export_onnx(generator, metadata, args.output)
    save_checkpoint(output.with_suffix(".pt"), result, model_config, norm, metadata)
    print(json.dumps(result["history"][-1]) if result["history"] else "")
    print(
        f"wrote {output} (+ {output.with_suffix('.json').name}, {output.with_suffix('.pt').name}) "
        f"in {time.time() - started:.0f} s; torch {torch.__version__}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
