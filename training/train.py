"""Train the PoseGAN that listens (version 2) and export it for the add-on (reproducible: fixed seeds, one thread).

    .venv/train/bin/python -m training.train --config training/configs/default.json

writes ``models/posegan/default.onnx`` + ``default.json`` (the model the add-on ships) and the PyTorch
checkpoint ``training/checkpoints/default.pt`` (generator + normalisation + style defaults, the starting
point of :mod:`training.personalize`). Inputs: per-clip normalised prosody (core.voice.prosody) and the
clip's style code; losses: the motion statistics of :func:`training.model.motion_losses`, weighted by
the config's ``loss``. Adam with a cosine learning-rate decay over ``optim.steps`` random batches; the
last step is kept (validation losses are logged). See training/README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import random
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from core.motion.posegan import STYLE_NAMES, style_stats_from_track

from .dataset import (
    DEFAULT_CACHE,
    ROOT,
    Clip,
    DataConfig,
    Normalisation,
    fit_normalisation,
    list_videos,
    load_clips,
    make_context_windows,
)
from .dataset import summary as clip_summary
from .export import build_metadata, export_onnx
from .model import Generator, ModelConfig, coupling_losses, motion_losses, pause_amplitude_losses, skew_losses

DEFAULT_CONFIG = ROOT / "training" / "configs" / "default.json"
DEFAULT_OUTPUT = ROOT / "models" / "posegan" / "default.onnx"
DEFAULT_CHECKPOINT = ROOT / "training" / "checkpoints" / "default.pt"
#: Columns of the prosody features holding the loudness and the speech mask (core.voice.prosody.PROSODY_NAMES).
LOUDNESS_COLUMN, SPEECH_COLUMN = 0, 7


def load_config(path: str | Path) -> dict:
    with open(path) as handle:
        return json.load(handle)


def seed_everything(seed: int, threads: int) -> None:
    """Fixed seeds, deterministic kernels and a fixed thread count (float sums depend on it)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(int(threads))


def data_config_of(config: dict) -> DataConfig:
    data = dict(config.get("data", {}))
    return DataConfig(**data)


def split_clips(clips: list[Clip], split: dict) -> dict[str, list[Clip]]:
    """Clips by part: every part named in ``split`` (val, test, personal, ...) by clip name; the rest train."""
    names = {c.name for c in clips}
    named: set[str] = set()
    parts: dict[str, list[Clip]] = {}
    for part, members in split.items():
        if not isinstance(members, list):
            continue
        missing = sorted(set(members) - names)
        if missing:
            raise SystemExit(f"split.{part} names clips that were not found: {missing}")
        parts[part] = [c for c in clips if c.name in members]
        named |= set(members)
    parts["train"] = [c for c in clips if c.name not in named]
    return parts


def clip_style_stats(clip: Clip, fps: float) -> np.ndarray:
    """The style statistics of a training clip (its measured poses, its speech mask)."""
    return style_stats_from_track(clip.poses, fps, clip.features[:, SPEECH_COLUMN] > 0.5)


def fit_style(clips: list[Clip], fps: float, scale: float) -> dict:
    """Default style = the duration-weighted median of the training clips' statistics (per statistic): the
    motion of a typical second of the training speakers."""
    stats = np.stack([clip_style_stats(c, fps) for c in clips])
    weights = np.array([c.n_frames for c in clips], dtype=np.float64)
    default = []
    for k in range(stats.shape[1]):
        ok = np.isfinite(stats[:, k]) & (stats[:, k] > 0)
        order = np.argsort(stats[ok, k])
        cum = np.cumsum(weights[ok][order])
        default.append(float(stats[ok, k][order][np.searchsorted(cum, 0.5 * cum[-1])]))
    return {"names": list(STYLE_NAMES), "default": [round(v, 4) for v in default], "scale": float(scale)}


def style_codes(clips: list[Clip], fps: float, style: dict) -> dict[str, np.ndarray]:
    default, scale = np.asarray(style["default"]), float(style["scale"])
    codes = {}
    for clip in clips:
        raw = clip_style_stats(clip, fps)
        ok = np.isfinite(raw) & (raw > 0)
        code = np.zeros(len(default))
        code[ok] = np.log(raw[ok] / default[ok]) / scale
        codes[clip.name] = np.clip(code, -3.0, 3.0).astype(np.float32)
    return codes


def _batch_losses(generator: Generator, x, y, s, pose_std: torch.Tensor, context: int, weights: dict, raw) -> tuple:
    """All loss terms of a batch; ``raw`` = (feature mean, feature std) to recover loudness and speech."""
    t = y.shape[1]
    gen = generator(x, s)[:, context : context + t] * pose_std
    other = generator(torch.flip(x, dims=[1]), s)[:, context : context + t] * pose_std
    real = y * pose_std
    terms = motion_losses(gen, real, other)
    mean, std = raw
    inner = x[:, context : context + t]
    loud = inner[:, :, LOUDNESS_COLUMN] * std[LOUDNESS_COLUMN] + mean[LOUDNESS_COLUMN]
    speech = inner[:, :, SPEECH_COLUMN] * std[SPEECH_COLUMN] + mean[SPEECH_COLUMN]
    # The style code's speech/silence entry (index 4) scales the ratio asked for around its default.
    ratio = float(weights.get("target_ratio", 1.6)) * torch.exp(s[:, 4] * float(weights.get("style_scale", 0.5)))
    ratio = ratio.clamp(1.1, 3.0)
    # A ceiling on the ratio only where a config sets one (a factor over the ratio asked for).
    ceiling = ratio * float(weights["ratio_ceiling"]) if "ratio_ceiling" in weights else None
    terms.update(coupling_losses(gen, loud, speech, float(weights.get("target_r", 0.45)), ratio, ceiling))
    if float(weights.get("pause_amplitude", 0.0)) > 0.0:
        terms.update(pause_amplitude_losses(gen, real, speech))
    if float(weights.get("skew", 0.0)) > 0.0:
        terms.update(skew_losses(gen, real))
    total = sum(float(weights.get(k, 0.0)) * v for k, v in terms.items())
    return total, terms


def fit(
    generator: Generator,
    train: tuple[np.ndarray, np.ndarray, np.ndarray],
    val: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
    pose_std: np.ndarray,
    optim: dict,
    loss: dict,
    seed: int,
    augmentation: dict | None = None,
    log=print,
    feature_norm: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict:
    """Train ``generator`` on context windows; returns {"generator": state, "history": [...], "steps"}.
    ``feature_norm``: (mean, std) of the features (to read the raw loudness and speech mask)."""
    augmentation = augmentation or {}
    context = generator.config.context
    x_all, y_all, s_all = (torch.from_numpy(a) for a in train)
    std_t = torch.from_numpy(np.asarray(pose_std, dtype=np.float32))
    p = x_all.shape[2]
    mean_f, std_f = feature_norm if feature_norm is not None else (np.zeros(p), np.ones(p))
    raw = (torch.tensor(mean_f, dtype=torch.float32), torch.tensor(std_f, dtype=torch.float32))
    rng = np.random.default_rng(seed)
    gen_aug = torch.Generator().manual_seed(seed + 1)
    steps, batch = int(optim["steps"]), min(int(optim["batch_size"]), len(x_all))
    lr, eval_every = float(optim["lr"]), int(optim.get("eval_every", 100))
    opt = torch.optim.Adam(generator.parameters(), lr=lr, betas=tuple(optim.get("betas", (0.9, 0.999))))
    history, start, sums = [], time.time(), {}
    for step in range(1, steps + 1):
        for group in opt.param_groups:
            group["lr"] = lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * (step - 1) / steps)))
        generator.train()
        idx = torch.from_numpy(rng.choice(len(x_all), size=batch, replace=False))
        x, y, s = x_all[idx], y_all[idx], s_all[idx]
        if augmentation.get("mirror", False):
            flip = (torch.rand(batch, generator=gen_aug) < 0.5).float()[:, None, None]
            y = y * (1.0 - flip) + y * torch.tensor([-1.0, 1.0, -1.0]) * flip
        drop = float(augmentation.get("style_dropout", 0.0))
        if drop > 0.0:
            keep = (torch.rand(batch, generator=gen_aug) >= drop).float()[:, None]
            s = s * keep
        total, terms = _batch_losses(generator, x, y, s, std_t, context, loss, raw)
        opt.zero_grad()
        total.backward()
        opt.step()
        for k, v in terms.items():
            sums[k] = sums.get(k, 0.0) + float(v.detach())
        if step % eval_every == 0 or step == steps:
            count = eval_every if step % eval_every == 0 else step % eval_every
            record = {"step": step, "seconds": round(time.time() - start, 1)}
            record.update({f"train_{k}": v / count for k, v in sums.items()})
            sums = {}
            if val is not None:
                generator.eval()
                with torch.no_grad():
                    vx, vy, vs = (torch.from_numpy(a) for a in val)
                    v_total, v_terms = _batch_losses(
                        generator, vx, vy, torch.zeros_like(vs), std_t, context, loss, raw
                    )
                record["val_total"] = float(v_total)
                record.update({f"val_{k}": float(v) for k, v in v_terms.items()})
            history.append(record)
            log(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in record.items()}))
    generator.eval()
    return {"generator": {k: v.clone() for k, v in generator.state_dict().items()}, "history": history, "steps": steps}


def clip_tracks(generator: Generator, clips: list[Clip], norm: Normalisation, codes: dict | None) -> list:
    """Whole-clip generated poses (degrees, before calibration) as at inference: silence padding of the
    model's context at both ends, one run per clip; ``codes``: clip name -> style code (None: all 0)."""
    from core.voice.prosody import silence_row

    context, out = generator.config.context, []
    pad = norm.features(silence_row()[None])
    generator.eval()
    with torch.no_grad():
        for clip in clips:
            x = np.concatenate([np.repeat(pad, context, 0), norm.features(clip.features), np.repeat(pad, context, 0)])
            s = np.zeros((1, generator.config.style_dim), np.float32) if codes is None else codes[clip.name][None]
            y = generator(torch.from_numpy(x[None]), torch.from_numpy(s))[0, context : context + clip.n_frames]
            out.append(y.numpy() * norm.pose_std)
    return out


def calibrate(generator: Generator, clips: list[Clip], norm: Normalisation, style: dict, min_frames: int) -> list:
    """Scale the output per axis (the style gain's bias) so that, at the default style, the mean whole-clip
    std over the training clips equals the default style's std. Training windows (4 s) under-constrain
    the slow drift that makes a whole clip's std; this puts the amplitude back. Returns the factors."""
    used = [c for c in clips if c.n_frames >= min_frames]
    generated = np.mean([t.std(axis=0) for t in clip_tracks(generator, used, norm, None)], axis=0)
    factors = np.asarray(style["default"][:3]) / np.maximum(generated, 1e-6)
    with torch.no_grad():
        generator.gain.bias += torch.from_numpy(np.log(factors).astype(np.float32))
    return factors.round(4).tolist()


def calibrate_style(generator: Generator, clips: list[Clip], norm: Normalisation, codes: dict, min_frames: int) -> list:
    """Make the style code's std entries mean what they say: per axis k, fit log(real std / generated std)
    = a * code_k + b over the training clips (each with its own code) and add a, b to the style gain's
    weight [k, k] and bias [k]; then the default amplitude is re-calibrated (:func:`calibrate`). Returns
    [(a, b)] per axis."""
    used = [c for c in clips if c.n_frames >= min_frames]
    tracks = clip_tracks(generator, used, norm, codes)
    fits = []
    with torch.no_grad():
        for k in range(3):
            x = np.array([codes[c.name][k] for c in used], dtype=np.float64)
            y = np.array(
                [np.log(c.poses[:, k].std() / max(t[:, k].std(), 1e-6)) for c, t in zip(used, tracks, strict=True)]
            )
            a, b = np.polyfit(x, y, 1)
            generator.gain.weight[k, k] += float(a)
            generator.gain.bias[k] += float(b)
            fits.append([round(float(a), 4), round(float(b), 4)])
    return fits


def save_checkpoint(path: Path, result: dict, model_config: ModelConfig, norm: Normalisation, metadata: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {
            "generator": result["generator"],
            "model_config": model_config.to_dict(),
            "normalisation": norm.to_dict(),
            "metadata": metadata,
        },
        str(path),
    )


def load_checkpoint(path: str | Path) -> dict:
    return torch.load(str(path), map_location="cpu", weights_only=False)


def resolve_dir(folder: str) -> Path:
    path = Path(folder)
    return path if path.is_absolute() else (ROOT / path).resolve()


def training_facts(config: dict, result: dict, seconds: float) -> dict:
    return {
        "config": config,
        "steps": result["steps"],
        "calibration": result.get("calibration"),
        "style_calibration": result.get("style_calibration"),
        "seconds": round(seconds, 1),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "final": result["history"][-1] if result["history"] else {},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=str(DEFAULT_CONFIG), help="training config JSON")
    parser.add_argument("--output", default=str(DEFAULT_OUTPUT), help="ONNX model to write (+ .json)")
    parser.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT), help="PyTorch checkpoint to write")
    parser.add_argument("--steps", type=int, help="override optim.steps")
    parser.add_argument("--no-cache", action="store_true", help="recompute poses and features")
    args = parser.parse_args(argv)

    config = load_config(args.config)
    if args.steps is not None:
        config["optim"]["steps"] = args.steps
    seed_everything(int(config["seed"]), int(config.get("threads", 1)))
    data_config = data_config_of(config)
    started = time.time()
    videos = [v for folder in config["data_dirs"] for v in list_videos(resolve_dir(folder))]
    clips = load_clips(videos, data_config, None if args.no_cache else DEFAULT_CACHE)
    parts = split_clips(clips, config.get("split", {}))
    train, val = parts["train"], parts.get("val", [])
    print(", ".join(f"{len(v)} {k}" for k, v in parts.items()) + f" clips ({sum(c.n_frames for c in clips)} frames)")
    fps = data_config.fps
    norm = fit_normalisation(train)
    style = fit_style(train, fps, float(config["style_scale"]))
    codes = style_codes(clips, fps, style)
    model_config = ModelConfig.from_dict({**config["model"], "feature_dim": int(train[0].features.shape[1])})
    context = model_config.context
    train_w = make_context_windows(train, norm, data_config.window, data_config.stride, context, codes)
    val_w = make_context_windows(val, norm, data_config.window, data_config.stride, context, codes) if val else None
    print(
        f"windows: {len(train_w[0])} train, {0 if val_w is None else len(val_w[0])} val, {data_config.window} frames "
        f"+ {context} context each side; default style {style['default']}"
    )
    generator = Generator(model_config)
    print(f"parameters: {sum(p.numel() for p in generator.parameters())}")
    result = fit(
        generator, train_w, val_w, norm.pose_std, config["optim"], config["loss"], int(config["seed"]),
        augmentation=config.get("augmentation"), feature_norm=(norm.feature_mean, norm.feature_std),
    )
    if config.get("calibrate", True):
        result["style_calibration"] = calibrate_style(generator, train, norm, codes, data_config.window)
        print(f"style response calibration per axis (a, b): {result['style_calibration']}")
        result["calibration"] = calibrate(generator, train, norm, style, data_config.window)
        result["generator"] = {k: v.clone() for k, v in generator.state_dict().items()}
        print(f"amplitude calibration per axis: {result['calibration']}")
    seconds = time.time() - started
    data_summary = {
        "source": config["data_dirs"],
        **{part: clip_summary(members, fps) for part, members in parts.items()},
        "train_seconds": round(sum(c.n_frames for c in train) / fps, 1),
        "train_windows": len(train_w[0]),
    }
    metadata = build_metadata(
        model_config, asdict(data_config), norm.to_dict(), style, config["inference"], data_summary,
        training_facts(config, result, seconds),
    )
    path = export_onnx(generator, metadata, args.output)
    save_checkpoint(Path(args.checkpoint), result, model_config, norm, metadata)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB), {args.checkpoint}; {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
