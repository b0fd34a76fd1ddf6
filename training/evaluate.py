"""Evaluate PoseGAN models against baselines on the held-out speakers (the model card's table).

    .venv/train/bin/python -m training.evaluate [--model models/posegan/default.onnx]
        [--previous training/baselines/posegan_v2_first.onnx] [--v1 training/baselines/posegan_v1.onnx]
        [--json r.json] [--markdown t.md] [--personal]

The test clips are the ``test`` part of the training config (``--config``; speaker-disjoint from the
training clips). Every method makes one track per test clip from that clip's audio alone, through the
add-on's own code (:func:`core.motion.posegan.posegan_track` on the clip's decoded audio). The real track
is the clip's measured poses (our estimator at its default 20 deg field of view + the Gaussian filter).
Methods: the bundled model ("PoseGAN v2", default style, ``DEFAULT_INTENSITY``), with ``--fixed-amplitude``
also the bundled model given its default style's statistics explicitly (the add-on then rescales each
clip's track to the style's std per axis, times :func:`core.motion.posegan.duration_factor` of the clip's length:
the model gives the timing, every clip of a length the same amplitude), the
previous default model (the first version-2 model, trained without the axes terms, at ``DEFAULT_INTENSITY``), the
version-1 model ("PoseGAN v1", at the panel's old default intensity 1.5), mean pose, random real (a random
stretch of another (training) speaker's real track), synthetic (core.motion.synthetic CONVERSATIONAL with
the clip's speech mask); random and synthetic are averaged over ``--draws`` seeds.

Metrics (per clip, then the mean over clips unless said):

* ``W`` yaw / pitch / roll: 1-D Wasserstein distance (degrees) between the values of the generated and
  the real track, both centred on their own mean (the speaker's rest pose is unknown);
* ``speed W``: the same between the head speeds (deg/s), both smoothed over 5 frames (moving average);
* ``std ratio``: per axis, mean over clips of the generated std / mean over clips of the real std;
* ``speech/silence``: mean head speed while speaking / in pauses (energy VAD), mean over clips that
  have both;
* ``speed-loud r``: Pearson r between head speed and the RMS loudness per frame, both smoothed over 5
  frames;
* ``axes |r|``: |Pearson r| between the axis pairs yaw-pitch / yaw-roll / pitch-roll of the track (how much the
  axes move together; 1 = every motion is the same tilt);
* audio swap (``swap``, ``reversed``, ``noise``): relative difference RMS(a - b) / sqrt(var a + var b)
  (mean over axes) between the track for the clip's speech and the track for another test clip's speech
  cut / repeated to the same length, for the time-reversed speech, and for white noise at the speech's
  RMS level. Random draws use the SAME seed for both inputs, so an audio-blind method scores 0; the mean
  pose has no motion (n/a). 1 = unrelated tracks.

``--personal``: the personalisation check on the ``personal`` clips (not trained on): the style code is
measured on the first ``--reference-s`` seconds of the clip's real poses and the model generates the
rest from its audio; compared with the default style, the fine-tuned model (``--finetuned``, made by
training.personalize on the same first part) and the real track of the reference part itself.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from core import metrics
from core.motion.posegan import DEFAULT_INTENSITY, posegan_track, style_stats_from_track
from core.motion.posegan_model import load_model
from core.motion.synthetic import generate_synthetic, preset_settings
from core.voice.decode import decode_audio
from core.voice.vad import speech_mask_from_audio

from .dataset import DEFAULT_CACHE, ROOT, Clip, DataConfig, list_videos, load_clips
from .train import DEFAULT_CONFIG, data_config_of, load_config, resolve_dir, split_clips

RATE = 16000
BASELINES = ROOT / "training" / "baselines"
PREVIOUS_NAME = "PoseGAN v2 first (previous default)"
V1_NAME = "PoseGAN v1 (x1.5)"
V1_INTENSITY = 1.5
FIXED_AMPLITUDE = "PoseGAN v2, default style given (std fixed per clip length)"
AXES = ("yaw", "pitch", "roll")


def moving_average(x: np.ndarray, n: int = 5) -> np.ndarray:
    k = np.ones(n) / n
    pad = np.pad(x, (n // 2, n - 1 - n // 2), mode="edge")
    return np.convolve(pad, k, mode="valid")


def speed(angles: np.ndarray, fps: float) -> np.ndarray:
    """Head speed (deg/s) per frame, smoothed over 5 frames."""
    return moving_average(metrics.angular_speed(angles, fps))


def loudness(samples: np.ndarray, fps: float, n: int) -> np.ndarray:
    """RMS of a 64 ms window around each frame, smoothed over 5 frames."""
    centres = np.floor(np.arange(n) * RATE / fps + 0.5).astype(int)
    half = 512
    padded = np.pad(samples.astype(np.float64), (half, half))
    rms = np.array([np.sqrt(np.mean(padded[c : c + 2 * half] ** 2)) for c in centres])
    return moving_average(rms)


def wasserstein(a: np.ndarray, b: np.ndarray) -> float:
    """1-D W1 between two samples (quantile functions on a common grid)."""
    q = np.linspace(0.0, 1.0, 201)
    return float(np.mean(np.abs(np.quantile(a, q) - np.quantile(b, q))))


def relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    """RMS(a - b) / sqrt(var a + var b), mean over the axes; NaN without motion."""
    out = []
    for k in range(a.shape[1]):
        den = np.sqrt(a[:, k].var() + b[:, k].var())
        if den > 1e-9:
            out.append(np.sqrt(np.mean((a[:, k] - b[:, k]) ** 2)) / den)
    return float(np.mean(out)) if out else float("nan")


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    if a.std() < 1e-9 or b.std() < 1e-9:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def clip_metrics(gen: np.ndarray, real: np.ndarray, speech: np.ndarray, loud: np.ndarray, fps: float) -> dict:
    g, r = gen - gen.mean(axis=0), real - real.mean(axis=0)
    sg, sr = speed(g, fps), speed(r, fps)
    return {
        "w": [wasserstein(g[:, k], r[:, k]) for k in range(3)],
        "speed_w": wasserstein(sg, sr),
        "std": g.std(axis=0).tolist(),
        "real_std": r.std(axis=0).tolist(),
        "speech_silence": metrics.speech_silence_motion_ratio(g, speech, fps) if g.std() > 0 else float("nan"),
        "speed_loud_r": _pearson(sg, loud),
        "axes_r": [abs(_pearson(g[:, i], g[:, j])) for i, j in ((0, 1), (0, 2), (1, 2))],
    }


def _fit(track: np.ndarray, n: int) -> np.ndarray:
    """Crop or hold-extend a (m, 3) track to n frames."""
    if len(track) >= n:
        return track[:n]
    return np.concatenate([track, np.repeat(track[-1:], n - len(track), axis=0)])


def _same_length(samples: np.ndarray, n_samples: int) -> np.ndarray:
    reps = int(np.ceil(n_samples / max(1, len(samples))))
    return np.tile(samples, reps)[:n_samples]


def _random_real(pool: list[Clip], n: int, rng: np.random.Generator) -> np.ndarray:
    long_enough = [c for c in pool if c.n_frames >= n] or [max(pool, key=lambda c: c.n_frames)]
    clip = long_enough[int(rng.integers(len(long_enough)))]
    start = int(rng.integers(max(1, clip.n_frames - n + 1)))
    return _fit((clip.poses - clip.poses.mean(axis=0))[start : start + n], n)


class Methods:
    """Track makers: name -> f(samples, speech, n, fps, draw) -> (n, 3) degrees."""

    def __init__(
        self, model: str, previous: str | None, pool: list[Clip], fixed_amplitude: bool = False, v1: str | None = None
    ):
        self.model, self.pool = model, pool
        #: Earlier models by row name: (path, intensity).
        self.baselines: dict[str, tuple[str, float]] = {}
        if previous:
            self.baselines[PREVIOUS_NAME] = (previous, DEFAULT_INTENSITY)
        if v1:
            self.baselines[V1_NAME] = (v1, V1_INTENSITY)
        self.default_style = np.asarray(load_model(model).metadata.style_default) if fixed_amplitude else None

    def names(self) -> list[str]:
        names = ["PoseGAN v2 (new)"]
        if self.default_style is not None:
            names.append(FIXED_AMPLITUDE)
        return [*names, *self.baselines, "mean pose", "random real", "synthetic CONVERSATIONAL"]

    def draws(self, name: str, draws: int) -> int:
        return draws if name in ("random real", "synthetic CONVERSATIONAL") else 1

    def make(self, name: str, samples: np.ndarray, speech: np.ndarray, n: int, fps: float, draw: int, key: int):
        if name == FIXED_AMPLITUDE:
            style = self.default_style
            return _fit(posegan_track(samples, RATE, fps, self.model, DEFAULT_INTENSITY, style=style).angles, n)
        if name in self.baselines:
            path, intensity = self.baselines[name]
            return _fit(posegan_track(samples, RATE, fps, path, intensity).angles, n)
        if name.startswith("PoseGAN v2"):
            return _fit(posegan_track(samples, RATE, fps, self.model, DEFAULT_INTENSITY).angles, n)
        if name == "mean pose":
            return np.zeros((n, 3))
        if name == "random real":
            return _random_real(self.pool, n, np.random.default_rng([draw, key]))
        settings = preset_settings("CONVERSATIONAL", seed=draw)
        return generate_synthetic(n, fps, settings, speech=speech).angles


def _mean(rows: list[dict], key: str) -> float | list:
    values = np.array([r[key] for r in rows], dtype=np.float64)
    return np.nanmean(values, axis=0).tolist() if values.ndim > 1 else float(np.nanmean(values))


def load_split(config_path: str, cache: bool = True) -> tuple[DataConfig, dict[str, Path], dict[str, list[Clip]]]:
    """The training config's data settings, its videos by clip name and its clips by split part ("train", "val",
    "test"), with the estimated poses from the pose cache when ``cache``."""
    config = load_config(config_path)
    data_config = data_config_of(config)
    videos = {v.stem: v for folder in config["data_dirs"] for v in list_videos(resolve_dir(folder))}
    clips = load_clips(list(videos.values()), data_config, DEFAULT_CACHE if cache else None)
    return data_config, videos, split_clips(clips, config["split"])


def evaluate(
    model: str, previous: str | None, config_path: str, draws: int = 5, cache: bool = True,
    fixed_amplitude: bool = False, v1: str | None = None,
) -> dict:
    data_config, videos, parts = load_split(config_path, cache)
    fps = data_config.fps
    test, pool = parts["test"], parts["train"]
    methods = Methods(model, previous, pool, fixed_amplitude, v1)
    audio = {c.name: decode_audio(str(videos[c.name]), RATE).samples for c in test}
    rows: dict[str, list[dict]] = {m: [] for m in methods.names()}
    per_clip = []
    for i, clip in enumerate(test):
        n, real = clip.n_frames, clip.poses
        samples = audio[clip.name][: int(np.ceil(n * RATE / fps))]
        speech = speech_mask_from_audio(samples, RATE, fps, n_frames=n)
        loud = loudness(samples, fps, n)
        other_clip = test[(i + 1) % len(test)]
        other = _same_length(audio[other_clip.name], len(samples))
        rng = np.random.default_rng(1000 + i)
        noise = rng.standard_normal(len(samples)) * float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
        other_speech = speech_mask_from_audio(other, RATE, fps, n_frames=n)
        reversed_speech = speech[::-1].copy()
        noise_speech = speech_mask_from_audio(noise, RATE, fps, n_frames=n)
        entry = {"name": clip.name, "seconds": round(n / fps, 1), "real_std": real.std(axis=0).round(2).tolist()}
        for name in methods.names():
            for draw in range(methods.draws(name, draws)):
                gen = methods.make(name, samples, speech, n, fps, draw, i)
                row = clip_metrics(gen, real, speech, loud, fps)
                row["swap"] = relative_difference(gen, methods.make(name, other, other_speech, n, fps, draw, i))
                row["reversed"] = relative_difference(
                    gen, methods.make(name, samples[::-1].copy(), reversed_speech, n, fps, draw, i)
                )
                row["noise"] = relative_difference(gen, methods.make(name, noise, noise_speech, n, fps, draw, i))
                rows[name].append(row)
                if draw == 0 and "PoseGAN" in name:
                    entry[name] = np.round(gen.std(axis=0), 2).tolist()
        real_row = clip_metrics(real, real, speech, loud, fps)
        real_row.update({"swap": np.nan, "reversed": np.nan, "noise": np.nan})
        rows.setdefault("real (reference)", []).append(real_row)
        per_clip.append(entry)
    table = {}
    for name, r in rows.items():
        std = np.array([x["std"] for x in r]).mean(axis=0)
        real_std = np.array([x["real_std"] for x in r]).mean(axis=0)
        table[name] = {
            "w": _mean(r, "w"),
            "speed_w": _mean(r, "speed_w"),
            "std_ratio": (std / real_std).tolist(),
            "std": std.tolist(),
            "speech_silence": _mean(r, "speech_silence"),
            "speed_loud_r": _mean(r, "speed_loud_r"),
            "axes_r": _mean(r, "axes_r"),
            "swap": _mean(r, "swap"),
            "reversed": _mean(r, "reversed"),
            "noise": _mean(r, "noise"),
        }
    return {
        "model": model,
        "previous": previous,
        "v1": v1,
        "test_clips": per_clip,
        "test_seconds": round(sum(c.n_frames for c in test) / fps, 1),
        "draws": draws,
        "methods": table,
    }


def personal(model: str, finetuned: str | None, config_path: str, reference_s: float, cache: bool = True) -> dict:
    """Style conditioning (and fine-tuning) on the first ``reference_s`` seconds of each personal clip,
    evaluated on the rest of the clip."""
    config = load_config(config_path)
    data_config = data_config_of(config)
    fps = data_config.fps
    videos = {v.stem: v for folder in config["data_dirs"] for v in list_videos(resolve_dir(folder))}
    clips = load_clips(list(videos.values()), data_config, DEFAULT_CACHE if cache else None)
    out = []
    for clip in split_clips(clips, config["split"]).get("personal", []):
        samples = decode_audio(str(videos[clip.name]), RATE).samples
        cut = int(reference_s * fps)
        speech_all = speech_mask_from_audio(samples, RATE, fps, n_frames=clip.n_frames)
        stats = style_stats_from_track(clip.poses[:cut], fps, speech_all[:cut] > 0.5)
        rest = samples[int(cut * RATE / fps) :]
        real = clip.poses[cut:]
        n = len(real)
        speech, loud = speech_all[cut:], loudness(rest, fps, n)
        tracks = {
            "default style": posegan_track(rest, RATE, fps, model, DEFAULT_INTENSITY).angles,
            "style from the reference part": posegan_track(
                rest, RATE, fps, model, DEFAULT_INTENSITY, style=stats
            ).angles,
            "reference part's own real motion": clip.poses[:cut],
        }
        if finetuned:
            tuned = posegan_track(rest, RATE, fps, finetuned, DEFAULT_INTENSITY)
            tracks["fine-tuned on the reference part"] = tuned.angles
        result = {"clip": clip.name, "reference_s": reference_s, "evaluated_s": round(n / fps, 1),
                  "style_stats": np.round(stats, 3).tolist(), "methods": {}}
        for name, track in tracks.items():
            m = clip_metrics(_fit(track, n), real, speech, loud, fps)
            m["std_ratio"] = (np.array(m["std"]) / np.array(m["real_std"])).tolist()
            result["methods"][name] = m
        out.append(result)
    return {"personal": out}


def _f(v: float, digits: int = 2) -> str:
    return "n/a" if v is None or not np.isfinite(v) else f"{v:.{digits}f}"


def markdown(result: dict) -> str:
    lines = [
        ("| method | W yaw / pitch / roll (deg) | speed W (deg/s) | std ratio y / p / r | speech/silence "
        "| speed-loud r | axes \\|r\\| y-p / y-r / p-r | swap | reversed | noise |"),
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, m in result["methods"].items():
        lines.append(
            f"| {name} | {' / '.join(_f(v) for v in m['w'])} | {_f(m['speed_w'])} "
            f"| {' / '.join(_f(v) for v in m['std_ratio'])} | {_f(m['speech_silence'])} | {_f(m['speed_loud_r'])} "
            f"| {' / '.join(_f(v) for v in m['axes_r'])} | {_f(m['swap'])} | {_f(m['reversed'])} | {_f(m['noise'])} |"
        )
    return "\n".join(lines)


def personal_markdown(result: dict) -> str:
    lines = []
    for clip in result["personal"]:
        lines += [
            (f"{clip['clip']}: reference = first {clip['reference_s']:.0f} s, evaluated on the remaining "
            f"{clip['evaluated_s']:.0f} s"),
            "",
            "| method | W yaw / pitch / roll (deg) | speed W (deg/s) | std ratio y / p / r | speech/silence |",
            "|---|---|---|---|---|",
        ]
        for name, m in clip["methods"].items():
            lines.append(
                f"| {name} | {' / '.join(_f(v) for v in m['w'])} | {_f(m['speed_w'])} "
                f"| {' / '.join(_f(v) for v in m['std_ratio'])} | {_f(m['speech_silence'])} |"
            )
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "posegan" / "default.onnx"))
    parser.add_argument("--previous", default=str(BASELINES / "posegan_v2_first.onnx"), help="the previous default")
    parser.add_argument("--v1", default=str(BASELINES / "posegan_v1.onnx"), help="the version-1 model")
    parser.add_argument("--config", default=str(DEFAULT_CONFIG), help="training config naming the test clips")
    parser.add_argument("--draws", type=int, default=5, help="seeds for the random and synthetic methods")
    parser.add_argument("--json", help="write the full result as JSON here")
    parser.add_argument("--markdown", help="write the table(s) as Markdown here")
    parser.add_argument("--personal", action="store_true", help="also run the personalisation check")
    parser.add_argument("--finetuned", help="personalised model for the personalisation check")
    parser.add_argument("--reference-s", type=float, default=40.0)
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument(
        "--fixed-amplitude", action="store_true", help="add the model with its default style given explicitly"
    )
    args = parser.parse_args(argv)
    previous, v1 = (path if path and Path(path).is_file() else None for path in (args.previous, args.v1))
    result = evaluate(args.model, previous, args.config, args.draws, cache=not args.no_cache,
                      fixed_amplitude=args.fixed_amplitude, v1=v1)
    text = markdown(result)
    print(f"test clips: {len(result['test_clips'])} ({result['test_seconds']} s)")
    for clip in result["test_clips"]:
        print("  " + json.dumps(clip))
    if args.personal:
        result.update(personal(args.model, args.finetuned, args.config, args.reference_s, cache=not args.no_cache))
        text += "\n\n" + personal_markdown(result)
    print(text)
    write_reports(result, text, args.json, args.markdown)
    return 0



def write_reports(result: dict, text: str, json_path: str | None, markdown_path: str | None) -> None:
    """Write the result as JSON and the table as Markdown, where asked."""
    if json_path:
        Path(json_path).write_text(json.dumps(result, indent=2) + "\n")
    if markdown_path:
        Path(markdown_path).write_text(text + "\n")


if __name__ == "__main__":
    sys.exit(main())
