"""Personalise PoseGAN: fine-tune a trained model on someone's own talking videos (2-3 minutes), on CPU.

    .venv/train/bin/python -m training.personalize --video my.mp4 [--video more.mp4 ...] \\
        [--base training/checkpoints/default.pt] --output my_style.onnx [--first-seconds 40]

(The add-on can also personalise WITHOUT training: a style code measured on the person's video, see
core.motion.posegan.style_code; this script is the heavier option.) The version-2 model is fine-tuned on
the reference video(s) with the base model's losses, normalisation and style scale: ``--steps`` random
batches of ``--batch-size`` windows (Adam, ``--lr``, cosine decay), every window carrying the person's
style code (measured on their poses). The exported model adds that code to its style input and its
metadata names the person's statistics as the default style, so with no style chosen it moves like the
person, and a chosen style still means what it means for the base model. Poses come from our video
estimator + the Gaussian filter, features from core.voice.prosody, exactly as for the base model.

``--base`` is a PyTorch checkpoint (``.pt``, written by training.train / this script). An ``.onnx`` base
is accepted when its checkpoint lies beside it (``x.onnx`` -> ``x.pt``) or it is the default model
(whose checkpoint is ``training/checkpoints/default.pt``). ``--first-seconds`` uses only the start of
each video (to keep the rest for evaluation, see training.evaluate --personal).

Writes ``--output`` (.onnx) + its ``.json`` metadata (load it in the add-on's PoseGAN settings) and the
checkpoint beside it (``.pt``, for further fine-tuning). About 1-3 minutes for 2-3 minutes of video on
2 cores (video estimation ~150 frames/s, then ~0.25 s per training step).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from .dataset import DEFAULT_CACHE, ROOT, Clip, DataConfig, Normalisation, load_clips, make_context_windows
from .dataset import summary as clip_summary
from .export import build_metadata, export_onnx
from .model import Generator, ModelConfig
from .train import (
    DEFAULT_CHECKPOINT,
    calibrate,
    fit,
    fit_style,
    load_checkpoint,
    save_checkpoint,
    seed_everything,
    training_facts,
)


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
    parser.add_argument("--steps", type=int, default=300, help="fine-tuning steps")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--first-seconds", type=float, help="use only the first seconds of each video")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-cache", action="store_true", help="recompute poses and features")
    args = parser.parse_args(argv)

    seed_everything(args.seed, args.threads)
    base = load_checkpoint(resolve_base(args.base))
    base_meta = base["metadata"]
    base_config = base_meta["training"]["config"]
    data_config = DataConfig(**base_config["data"])
    fps = data_config.fps
    videos = [Path(v) for v in args.video]
    for video in videos:
        if not video.is_file():
            raise SystemExit(f"video not found: {video}")
    started = time.time()
    clips = load_clips(videos, data_config, None if args.no_cache else DEFAULT_CACHE)
    if args.first_seconds:
        cut = int(args.first_seconds * fps)
        clips = [Clip(c.name, c.poses[:cut], c.features[:cut], c.source_fps) for c in clips]
    usable = [c for c in clips if c.n_frames >= data_config.window]
    for clip in clips:
        if clip.n_frames < data_config.window:
            print(f"skipped {clip.name}: {clip.n_frames} frames, shorter than one {data_config.window}-frame window")
    if not usable:
        raise SystemExit("no video is long enough to train on")
    seconds_of_video = sum(c.n_frames for c in usable) / fps
    if seconds_of_video < 60.0:
        print(f"warning: only {seconds_of_video:.0f} s of video; 2-3 minutes are recommended")
    norm = Normalisation.from_dict(base["normalisation"])
    base_style = base_meta["style"]
    person = fit_style(usable, fps, float(base_style["scale"]))
    code = np.clip(
        np.log(np.asarray(person["default"]) / np.asarray(base_style["default"])) / float(base_style["scale"]), -3, 3
    ).astype(np.float32)
    model_config = ModelConfig.from_dict(base["model_config"])
    codes = {c.name: code for c in usable}
    train_w = make_context_windows(usable, norm, data_config.window, data_config.stride, model_config.context, codes)
    generator = Generator(model_config)
    generator.load_state_dict(base["generator"])
    optim = {**base_config["optim"], "steps": args.steps, "batch_size": min(args.batch_size, len(train_w[0])),
             "lr": args.lr, "eval_every": max(1, args.steps // 5)}
    print(
        f"{len(usable)} video(s), {seconds_of_video:.0f} s, {len(train_w[0])} windows; person's style "
        f"{person['default']} (code {np.round(code, 2).tolist()}); fine-tuning {args.base} for {args.steps} steps"
    )
    augmentation = {**base_config.get("augmentation", {}), "style_dropout": 0.0}
    result = fit(generator, train_w, None, norm.pose_std, optim, base_config["loss"], args.seed, augmentation)
    generator.style_offset = torch.from_numpy(code)
    # Whole-video amplitude at the person's style = the person's std (as training.train calibrates the base).
    result["calibration"] = calibrate(generator, usable, norm, person, 0)
    print(f"amplitude calibration per axis: {result['calibration']}")
    result["generator"] = {k: v.clone() for k, v in generator.state_dict().items()}
    config = {
        **base_config,
        "optim": optim,
        "personalize": {
            "base": str(args.base),
            "videos": [v.name for v in videos],
            "first_seconds": args.first_seconds,
            "style_offset": np.round(code, 5).tolist(),
            "seed": args.seed,
        },
    }
    data_summary = {
        "source": "personal reference video(s)",
        "train": clip_summary(usable, fps),
        "train_seconds": round(seconds_of_video, 1),
        "train_windows": len(train_w[0]),
        "base_data": base_meta.get("data", {}).get("source"),
    }
    style = {**base_style, "default": person["default"]}
    inference = {"window_frames": base_meta["window_frames"], "post_sigma_s": base_meta["post_sigma_frames"] / fps}
    metadata = build_metadata(model_config, asdict(data_config), norm.to_dict(), style, inference, data_summary,
                              training_facts(config, result, time.time() - started))
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
