"""Train PoseGAN on talking videos and export it for the add-on (reproducible: fixed seeds, fixed threads).

    .venv/train/bin/python -m training.train --config training/configs/default.json

writes ``models/posegan/default.onnx`` + ``default.json`` (the model the add-on ships) and the PyTorch
checkpoint ``training/checkpoints/default.pt`` (generator + discriminator + normalisation, the starting
point of :mod:`training.personalize`). Loss: lambda * GAN + alpha * L_pose + beta * L_motion (paper: alpha 1,
beta 10, lambda 0.01), Adam lr 1e-4; the epoch with the lowest validation L2 loss (alpha L_pose + beta
L_motion on the validation clips) is kept, as in the paper. See training/README.md.
"""

from __future__ import annotations

import argparse
import copy
import json
import platform
import random
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812

from .dataset import (
    DEFAULT_CACHE,
    ROOT,
    Clip,
    DataConfig,
    Normalisation,
    fit_normalisation,
    list_videos,
    load_clips,
    make_windows,
)
from .dataset import summary as clip_summary
from .export import build_metadata, export_onnx
from .model import Discriminator, Generator, ModelConfig, l2_losses

DEFAULT_CONFIG = ROOT / "training" / "configs" / "default.json"
DEFAULT_OUTPUT = ROOT / "models" / "posegan" / "default.onnx"
DEFAULT_CHECKPOINT = ROOT / "training" / "checkpoints" / "default.pt"


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
    data = DataConfig(**{k: v for k, v in config.get("data", {}).items() if k != "feature"})
    if "feature" in config.get("data", {}):
        data.feature = config["data"]["feature"]
    return data


def split_clips(clips: list[Clip], split: dict) -> tuple[list[Clip], list[Clip], list[Clip]]:
    """(train, val, test) by clip name; every clip not named in val/test trains."""
    names = {c.name for c in clips}
    for part in ("val", "test"):
        missing = sorted(set(split.get(part, [])) - names)
        if missing:
            raise SystemExit(f"split.{part} names clips that were not found: {missing}")
    val = [c for c in clips if c.name in split.get("val", [])]
    test = [c for c in clips if c.name in split.get("test", [])]
    train = [c for c in clips if c.name not in split.get("val", []) and c.name not in split.get("test", [])]
    return train, val, test


def _bce(logits: torch.Tensor, target: float) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


def evaluate_l2(generator: Generator, x: np.ndarray, y: np.ndarray, alpha: float, beta: float) -> dict:
    """Validation L2 losses of ``generator`` (eval mode) on windows ``x``, ``y`` (normalised)."""
    generator.eval()
    with torch.no_grad():
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
        pred = generator(xt, yt[:, 0])
        l_pose, l_motion = l2_losses(pred, yt, yt[:, 0])
        std_ratio = (pred.std(dim=1).mean(dim=0) / yt.std(dim=1).mean(dim=0).clamp_min(1e-6)).tolist()
    return {
        "l2": float(alpha * l_pose + beta * l_motion),
        "l_pose": float(l_pose),
        "l_motion": float(l_motion),
        "std_ratio": [round(v, 3) for v in std_ratio],
    }


def augment(x: torch.Tensor, y: torch.Tensor, aug: dict, gen: torch.Generator, feature_std: torch.Tensor):
    """Training-time augmentation of a batch (normalised units).

    ``mirror``: with probability 0.5 per window, yaw and roll change sign (the same speech with the head
    turning and tilting the other way is as plausible). ``gain_db``: a random level change of the whole
    window, uniform in +-gain_db dB (log-mel features shift by that many dB in every band).
    """
    if aug.get("mirror", False):
        flip = (torch.rand(len(y), generator=gen) < 0.5).float()[:, None, None]
        sign = torch.tensor([-1.0, 1.0, -1.0])
        y = y * (1.0 - flip) + y * sign * flip
    gain = float(aug.get("gain_db", 0.0))
    if gain > 0.0:
        shift = (torch.rand(len(x), 1, 1, generator=gen) * 2.0 - 1.0) * gain
        x = x + shift / feature_std
    return x, y


def fit(
    generator: Generator,
    discriminator: Discriminator,
    train_xy: tuple[np.ndarray, np.ndarray],
    val_xy: tuple[np.ndarray, np.ndarray] | None,
    optim: dict,
    loss: dict,
    seed: int,
    log=print,
    augmentation: dict | None = None,
    feature_std: np.ndarray | None = None,
    selection: dict | None = None,
) -> dict:
    """Adversarial training; returns {"generator": best state, "discriminator": its state, "best_epoch", "history"}.

    Model selection (``selection``): ``{"metric": "val_l2", "min_epoch": N}`` keeps the epoch >= N with the
    lowest validation L2 loss (the paper's rule is min_epoch 0). With ``val_xy`` None (e.g. personalising
    with one short video) the last epoch is kept.
    """
    augmentation = augmentation or {}
    selection = selection or {}
    min_epoch = int(selection.get("min_epoch", 0))
    aug_gen = torch.Generator().manual_seed(seed + 1)
    std_t = torch.ones(train_xy[0].shape[2]) if feature_std is None else torch.from_numpy(feature_std).float()
    alpha, beta, lam = float(loss["alpha"]), float(loss["beta"]), float(loss["lambda"])
    opt_g = torch.optim.Adam(generator.parameters(), lr=optim["lr"], betas=tuple(optim["betas"]))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=optim["lr"], betas=tuple(optim["betas"]))
    x_all, y_all = torch.from_numpy(train_xy[0]), torch.from_numpy(train_xy[1])
    n, batch = len(x_all), int(optim["batch_size"])
    order_rng = np.random.default_rng(seed)
    best = {"l2": float("inf")}
    history = []
    best_state = None
    epochs, eval_every = int(optim["epochs"]), int(optim.get("eval_every", 5))
    start = time.time()
    for epoch in range(1, epochs + 1):
        generator.train()
        discriminator.train()
        order = torch.from_numpy(order_rng.permutation(n))
        sums = np.zeros(4)
        for i in range(0, n - batch + 1 if n >= batch else 1, batch):  # full batches only (fixed shapes)
            idx = order[i : i + batch]
            x, y = augment(x_all[idx], y_all[idx], augmentation, aug_gen, std_t)
            p = y[:, 0]
            fake = generator(x, p)
            if lam > 0.0:
                opt_d.zero_grad()
                loss_d = _bce(discriminator(x, y), 1.0) + _bce(discriminator(x, fake.detach()), 0.0)
                loss_d.backward()
                opt_d.step()
            l_pose, l_motion = l2_losses(fake, y, p)
            adv = _bce(discriminator(x, fake), 1.0) if lam > 0.0 else torch.zeros(())
            loss_g = alpha * l_pose + beta * l_motion + lam * adv
            opt_g.zero_grad()
            loss_g.backward()
            opt_g.step()
            sums += [
                float(l_pose.detach()),
                float(l_motion.detach()),
                float(adv.detach()),
                float(loss_d.detach()) if lam > 0.0 else 0.0,
            ]
        if epoch % eval_every == 0 or epoch == epochs:
            steps = max(1, n // batch)
            record = {
                "epoch": epoch,
                "train_l_pose": sums[0] / steps,
                "train_l_motion": sums[1] / steps,
                "train_adv": sums[2] / steps,
                "train_d": sums[3] / steps,
                "seconds": round(time.time() - start, 1),
            }
            if val_xy is not None:
                record.update({f"val_{k}": v for k, v in evaluate_l2(generator, *val_xy, alpha, beta).items()})
                if epoch >= min_epoch and record["val_l2"] < best["l2"]:
                    best = {"l2": record["val_l2"], "epoch": epoch}
                    best_state = (copy.deepcopy(generator.state_dict()), copy.deepcopy(discriminator.state_dict()))
            history.append(record)
            log(json.dumps({k: (round(v, 5) if isinstance(v, float) else v) for k, v in record.items()}))
    if best_state is None:
        best = {"l2": None, "epoch": epochs}
        best_state = (copy.deepcopy(generator.state_dict()), copy.deepcopy(discriminator.state_dict()))
    generator.load_state_dict(best_state[0])
    discriminator.load_state_dict(best_state[1])
    generator.eval()
    return {"generator": best_state[0], "discriminator": best_state[1], "best_epoch": best["epoch"], "history": history}


def save_checkpoint(path: Path, result: dict, model_config: ModelConfig, norm: Normalisation, metadata: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {
            "generator": result["generator"],
            "discriminator": result["discriminator"],
            "model_config": model_config.to_dict(),
            "normalisation": norm.to_dict(),
            "metadata": metadata,
        },
        str(path),
    )


def load_checkpoint(path: str | Path) -> dict:
    return torch.load(str(path), map_location="cpu", weights_only=False)


def resolve_data_dir(config: dict, override: str | None) -> Path:
    folder = Path(override) if override else Path(config["data_dir"])
    return folder if folder.is_absolute() else (ROOT / folder).resolve()


def training_facts(config: dict, result: dict, seconds: float) -> dict:
    return {
        "config": config,
        "best_epoch": result["best_epoch"],
        "seconds": round(seconds, 1),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "final": result["history"][-1] if result["history"] else {},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=str(DEFAULT_CONFIG), help="training config JSON")
    parser.add_argument("--data", help="folder of talking videos (default: the config's data_dir)")
    parser.add_argument("--output", default=str(DEFAULT_OUTPUT), help="ONNX model to write (+ .json)")
    parser.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT), help="PyTorch checkpoint to write")
    parser.add_argument("--epochs", type=int, help="override optim.epochs")
    parser.add_argument("--no-cache", action="store_true", help="recompute poses and features")
    args = parser.parse_args(argv)

    config = load_config(args.config)
    if args.epochs is not None:
        config["optim"]["epochs"] = args.epochs
    seed_everything(int(config["seed"]), int(config.get("threads", 2)))
    data_config = data_config_of(config)
    folder = resolve_data_dir(config, args.data)
    started = time.time()
    clips = load_clips(list_videos(folder), data_config, None if args.no_cache else DEFAULT_CACHE)
    train, val, test = split_clips(clips, config.get("split", {}))
    print(f"clips: {len(train)} train, {len(val)} val, {len(test)} test ({sum(c.n_frames for c in clips)} frames)")
    norm = fit_normalisation(train)
    train_xy = make_windows(train, norm, data_config.window, data_config.stride)
    val_xy = make_windows(val, norm, data_config.window, data_config.stride) if val else None
    print(
        f"windows: {len(train_xy[0])} train, {0 if val_xy is None else len(val_xy[0])} val, {data_config.window} frames"
    )

    model_config = ModelConfig.from_dict({**config["model"], "feature_dim": int(train_xy[0].shape[2])})
    generator, discriminator = Generator(model_config), Discriminator(model_config)
    print(
        f"parameters: generator {sum(p.numel() for p in generator.parameters())}, "
        f"discriminator {sum(p.numel() for p in discriminator.parameters())}"
    )
    result = fit(
        generator,
        discriminator,
        train_xy,
        val_xy,
        config["optim"],
        config["loss"],
        int(config["seed"]),
        augmentation=config.get("augmentation"),
        feature_std=norm.feature_std,
        selection=config.get("selection"),
    )
    seconds = time.time() - started

    fps = data_config.fps
    data_summary = {
        "source": str(Path(args.data) if args.data else config["data_dir"]),
        "train": clip_summary(train, fps),
        "val": clip_summary(val, fps),
        "test": clip_summary(test, fps),
        "train_seconds": round(sum(c.n_frames for c in train) / fps, 1),
        "train_windows": len(train_xy[0]),
    }
    metadata = build_metadata(
        model_config,
        asdict(data_config),
        data_config.feature_config().to_dict(),
        norm.to_dict(),
        config["inference"],
        data_summary,
        training_facts(config, result, seconds),
    )
    path = export_onnx(generator, metadata, args.output)
    save_checkpoint(Path(args.checkpoint), result, model_config, norm, metadata)
    print(
        f"best epoch {result['best_epoch']}; wrote {path} ({path.stat().st_size / 1e6:.2f} MB), "
        f"{args.checkpoint}; {seconds:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
