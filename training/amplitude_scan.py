"""Which amplitude minimises the per-clip W distance, on each part of the split (the evidence behind the
default model's amplitude, issue #13's "W <= synthetic Conversational" point).

    .venv/train/bin/python -m training.amplitude_scan [--model models/posegan/default.onnx]
        [--parts train val test] [--draws 5] [--json r.json] [--markdown t.md]

For every clip of each part that is at least one training window long, the model makes its track from the
clip's audio exactly as :mod:`training.evaluate` does (``posegan_track`` at ``DEFAULT_INTENSITY``, default
style). W is the evaluation's: per axis, the 1-D Wasserstein distance (degrees) between the generated and
the real angles, both centred on their own mean, averaged over the clips. Per part and axis it reports:

* the real per-clip std (mean and median over the clips) and the generated one (mean);
* ``corr``: Pearson r over the clips between log generated std and log real std (does the amplitude the
  model gives a clip say anything about how much that speaker moves?);
* ``scale``: W with the generated track multiplied by each factor of ``--scales`` (1 = the shipped
  amplitude), and the factor with the lowest W;
* ``fixed std``: W with each clip's generated track rescaled to one std for every clip (each value of
  ``--stds``), i.e. the model gives the timing, the amplitude is constant; and the std with the lowest W;
* ``W at default std``: each clip rescaled as the add-on does when the default style is given explicitly
  (``style=`` the metadata's default): the default style's std times the clip's length factor
  (:func:`core.motion.posegan.duration_factor`), as ``training.evaluate --fixed-amplitude`` measures it;
* ``shape``: W with each clip rescaled to that clip's REAL std (an oracle amplitude): what is left is the
  shape of the distribution;
* the synthetic Conversational generator's W on the same clips (``--draws`` seeds), the baseline of the
  acceptance point;
* ``levels``: W and the std ratio (mean generated std / mean real std, the acceptance point's) with every clip
  rescaled to one long-take amplitude per axis times the clip's length factor (the model gives the timing),
  for amplitudes taken from the TRAINING part: the default style, the model's own long-take level (mean over
  the training clips of its whole-clip std / length factor), the real per-clip std's median and mean; and
  any ``--level NAME=YAW,PITCH,ROLL`` given (e.g. a measurement of other speakers).
* ``intensities``: for each Intensity (a factor on the motion) of ``--intensities``, W and the std ratio with
  every clip at the model's own amplitude times the factor (as shipped), and at the default style's amplitude
  times the factor (each clip's amplitude set by the style for its length, the model giving the timing); per
  axis, the Intensities whose W is at most the synthetic generator's and those whose std ratio lies within
  0.8-1.25, and the Intensities that meet both acceptance points (W on at least two axes, the std ratio on all
  three).

Only the ``train`` (and ``val``) rows may choose a setting; the ``test`` row is there to report.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

import numpy as np

from core.motion.posegan import DEFAULT_INTENSITY, duration_factor, posegan_track
from core.motion.posegan_model import load_model
from core.motion.synthetic import generate_synthetic, preset_settings
from core.voice.decode import decode_audio
from core.voice.vad import speech_mask_from_audio

from .dataset import ROOT
from .evaluate import RATE, _fit, load_split, wasserstein, write_reports
from .train import DEFAULT_CONFIG

DEFAULT_SCALES = tuple(round(0.5 + 0.1 * i, 1) for i in range(14))
DEFAULT_STDS = tuple(round(1.0 + 0.5 * i, 1) for i in range(13))
DEFAULT_INTENSITIES = tuple(round(0.5 + 0.005 * i, 3) for i in range(301))
#: The acceptance point's std ratio range, and on how many axes W must be at most the synthetic generator's.
STD_RATIO_RANGE = (0.8, 1.25)
W_AXES_NEEDED = 2


def _centred(track: np.ndarray) -> np.ndarray:
    return track - track.mean(axis=0)


def mean_w(gen: list[np.ndarray], real: list[np.ndarray]) -> np.ndarray:
    """Per-axis W (degrees) between centred generated and real tracks (n_i, 3), mean over the clips."""
    rows = [
        [wasserstein(_centred(g)[:, k], _centred(r)[:, k]) for k in range(3)] for g, r in zip(gen, real, strict=True)
    ]
    return np.mean(np.array(rows, dtype=np.float64), axis=0)


def scale_scan(gen: list[np.ndarray], real: list[np.ndarray], scales: tuple[float, ...]) -> np.ndarray:
    """(len(scales), 3): :func:`mean_w` with every generated track multiplied by each factor."""
    return np.array([mean_w([g * s for g in gen], real) for s in scales])


def with_std(track: np.ndarray, std: np.ndarray) -> np.ndarray:
    """``track`` (n, 3) centred and rescaled to ``std`` (3,) degrees per axis (an axis without motion stays 0)."""
    c = _centred(track)
    own = c.std(axis=0)
    return np.where(own > 1e-9, c / np.maximum(own, 1e-9), 0.0) * np.asarray(std, dtype=np.float64)


def fixed_std_scan(gen: list[np.ndarray], real: list[np.ndarray], stds: np.ndarray) -> np.ndarray:
    """(len(stds), 3): :func:`mean_w` with every generated track rescaled to each row of ``stds`` (m, 3)."""
    return np.array([mean_w([with_std(g, s) for g in gen], real) for s in np.atleast_2d(stds)])


def at_level(gen: list[np.ndarray], level, fps: float) -> list[np.ndarray]:
    """Each track rescaled to the long-take amplitude ``level`` (3,) degrees times its length factor
    (:func:`core.motion.posegan.duration_factor` of ``len(track) / fps`` seconds): the add-on's rescale when a
    style sets the amplitude, the model giving the timing."""
    level = np.asarray(level, dtype=np.float64)
    return [with_std(g, level * duration_factor(len(g) / fps)) for g in gen]


def default_std_w(gen: list[np.ndarray], real: list[np.ndarray], default_std, fps: float) -> np.ndarray:
    """(3,): :func:`mean_w` with each clip rescaled to ``default_std`` (3,) degrees times its length factor
    (:func:`core.motion.posegan.duration_factor` of ``len(track) / fps`` seconds), the add-on's rescale for the
    default style given explicitly."""
    return mean_w(at_level(gen, default_std, fps), real)


def amplitude_facts(gen: list[np.ndarray], real: list[np.ndarray]) -> dict:
    """Per-axis real std (mean, median over clips), generated std (mean) and the clip-level correlation of
    log generated std with log real std."""
    g = np.array([t.std(axis=0) for t in gen])
    r = np.array([t.std(axis=0) for t in real])
    corr = []
    for k in range(3):
        lg, lr = np.log(np.maximum(g[:, k], 1e-9)), np.log(np.maximum(r[:, k], 1e-9))
        corr.append(float(np.corrcoef(lg, lr)[0, 1]) if len(g) > 2 and lg.std() > 0 and lr.std() > 0 else float("nan"))
    return {
        "real_std_mean": r.mean(axis=0).tolist(),
        "real_std_median": np.median(r, axis=0).tolist(),
        "gen_std_mean": g.mean(axis=0).tolist(),
        "corr_log_std": corr,
    }


def std_ratio(gen: list[np.ndarray], real: list[np.ndarray]) -> np.ndarray:
    """(3,): mean generated std / mean real std over the clips, per axis (the acceptance point's)."""
    return np.mean([g.std(axis=0) for g in gen], axis=0) / np.mean([r.std(axis=0) for r in real], axis=0)


def level_rows(gen: list[np.ndarray], real: list[np.ndarray], levels: dict[str, np.ndarray], fps: float) -> dict:
    """For each named long-take amplitude (3,) degrees: every clip rescaled to it times its length factor, the mean
    per-axis W and the :func:`std_ratio`."""
    rows = {}
    for name, level in levels.items():
        tracks = at_level(gen, level, fps)
        rows[name] = {
            "level": np.asarray(level, dtype=np.float64).tolist(),
            "w": mean_w(tracks, real).tolist(),
            "std_ratio": std_ratio(tracks, real).tolist(),
        }
    return rows


def training_levels(gen: list[np.ndarray], real: list[np.ndarray], default_std, fps: float) -> dict[str, np.ndarray]:
    """Long-take amplitudes (3,) degrees derived from the training part's clips (see the module docs)."""
    factors = np.array([duration_factor(len(g) / fps) for g in gen])[:, None]
    own = np.array([g.std(axis=0) for g in gen])
    real_std = np.array([r.std(axis=0) for r in real])
    return {
        "default style": np.asarray(default_std, dtype=np.float64),
        "model's own long-take level": np.mean(own / factors, axis=0),
        "training clips' real std, median": np.median(real_std, axis=0),
        "training clips' real std, mean": np.mean(real_std, axis=0),
    }


def spans(values, mask) -> list[list[float]]:
    """The runs of consecutive ``values`` where ``mask`` holds, as [first, last] pairs (empty if none)."""
    out: list[list[float]] = []
    for value, ok, prev in zip(values, mask, [False, *mask[:-1]], strict=True):
        if ok and not prev:
            out.append([float(value), float(value)])
        elif ok:
            out[-1][1] = float(value)
    return out


def intensity_scan(tracks_at: Callable[[float], list[np.ndarray]], real: list[np.ndarray], w_synthetic,
                   intensities=DEFAULT_INTENSITIES) -> dict:
    """The generated tracks ``tracks_at(i)`` at each Intensity ``i``: the Intensities (as :func:`spans`) whose W is
    at most ``w_synthetic`` (3,), per axis; whose :func:`std_ratio` lies within :data:`STD_RATIO_RANGE`, per axis;
    and that meet both acceptance points (W on :data:`W_AXES_NEEDED` axes or more, the std ratio on all three).
    ``intensities`` in increasing order."""
    by_intensity = [tracks_at(i) for i in intensities]
    w_ok = np.array([mean_w(t, real) for t in by_intensity]) <= np.asarray(w_synthetic, dtype=np.float64)
    ratio = np.array([std_ratio(t, real) for t in by_intensity])
    ratio_ok = (ratio >= STD_RATIO_RANGE[0]) & (ratio <= STD_RATIO_RANGE[1])
    both = (w_ok.sum(axis=1) >= W_AXES_NEEDED) & ratio_ok.all(axis=1)
    return {
        "w_at_most_synthetic": [spans(intensities, w_ok[:, k].tolist()) for k in range(3)],
        "std_ratio_in_range": [spans(intensities, ratio_ok[:, k].tolist()) for k in range(3)],
        "both_points": spans(intensities, both.tolist()),
    }


def amplitude_modes(gen: list[np.ndarray], default_std, fps: float) -> dict[str, Callable[[float], list[np.ndarray]]]:
    """The tracks at an Intensity, by how each clip's amplitude is set: the model's own (as shipped), or the
    default style's std (3,) degrees for the clip's length."""
    default = np.asarray(default_std, dtype=np.float64)
    return {
        "the model's own": lambda i: [g * i for g in gen],
        "the default style's": lambda i: at_level(gen, i * default, fps),
    }


def scan(gen: list[np.ndarray], real: list[np.ndarray], scales, stds, default_std, fps: float) -> dict:
    """All the numbers of one part (see the module docs); ``default_std`` (3,): the model's default style;
    ``fps``: the tracks' frame rate."""
    by_scale = scale_scan(gen, real, tuple(scales))
    grid = np.repeat(np.asarray(stds, dtype=np.float64)[:, None], 3, axis=1)
    by_std = fixed_std_scan(gen, real, grid)
    return {
        "clips": len(gen),
        **amplitude_facts(gen, real),
        "w": mean_w(gen, real).tolist(),
        "scales": list(scales),
        "w_by_scale": by_scale.tolist(),
        "best_scale": [float(scales[i]) for i in by_scale.argmin(axis=0)],
        "stds": list(stds),
        "w_by_std": by_std.tolist(),
        "best_std": [float(stds[i]) for i in by_std.argmin(axis=0)],
        "w_at_default_std": default_std_w(gen, real, default_std, fps).tolist(),
        "w_shape": mean_w([with_std(g, r.std(axis=0)) for g, r in zip(gen, real, strict=True)], real).tolist(),
    }


def _tracks(model: str, clips: list, videos: dict, fps: float, draws: int) -> tuple[list, list, list]:
    """The model's track, the real track and ``draws`` synthetic tracks of each clip."""
    gen, real, synthetic = [], [], []
    for clip in clips:
        n = clip.n_frames
        samples = decode_audio(str(videos[clip.name]), RATE).samples[: int(np.ceil(n * RATE / fps))]
        gen.append(_fit(posegan_track(samples, RATE, fps, model, DEFAULT_INTENSITY).angles, n))
        real.append(clip.poses)
        speech = speech_mask_from_audio(samples, RATE, fps, n_frames=n)
        synthetic.append(
            [generate_synthetic(n, fps, preset_settings("CONVERSATIONAL", seed=d), speech=speech).angles
             for d in range(draws)]
        )
    return gen, real, synthetic


def run(model: str, config_path: str, parts: list[str], draws: int, scales, stds, cache: bool = True,
        extra_levels: dict[str, np.ndarray] | None = None, intensities=DEFAULT_INTENSITIES) -> dict:
    data_config, videos, split = load_split(config_path, cache)
    fps = data_config.fps
    default_std = np.asarray(load_model(model).metadata.style_default, dtype=np.float64)[:3]
    out: dict = {"model": model, "default_std": default_std.tolist(), "parts": {}}
    # The training part's tracks give the levels; its synthetic draws only where it is reported.
    tracks = {
        part: _tracks(model, [c for c in split.get(part, []) if c.n_frames >= data_config.window], videos, fps,
                      draws if part in parts else 0)
        for part in dict.fromkeys(["train", *parts])
    }
    levels = {**training_levels(*tracks["train"][:2], default_std, fps), **(extra_levels or {})} \
        if tracks["train"][0] else dict(extra_levels or {})
    out["levels"] = {name: np.asarray(v).tolist() for name, v in levels.items()}
    for part in parts:
        gen, real, synthetic = tracks[part]
        if not gen:
            continue
        result = scan(gen, real, scales, stds, default_std, fps)
        by_draw = [mean_w([s[d] for s in synthetic], real) for d in range(draws)]
        result["w_synthetic"] = np.mean(by_draw, axis=0).tolist()
        result["levels"] = level_rows(gen, real, levels, fps)
        result["intensities"] = {
            mode: intensity_scan(tracks_at, real, result["w_synthetic"], intensities)
            for mode, tracks_at in amplitude_modes(gen, default_std, fps).items()
        }
        out["parts"][part] = result
    return out


def _row(values) -> str:
    return " / ".join(f"{v:.2f}" for v in values)


def _spans(runs: list[list[float]]) -> str:
    return ", ".join(f"{a:.3f}-{b:.3f}" for a, b in runs) or "none"


def _table(title: str, header: list[str], rows: list[list[str]]) -> list[str]:
    """A titled Markdown table's lines, a blank line before it."""
    return ["", title, "", f"| {' | '.join(header)} |", "|" + "---|" * len(header),
            *(f"| {' | '.join(row)} |" for row in rows)]


def markdown(result: dict) -> str:
    lines = [
        f"default style std (deg): {_row(result['default_std'])}",
        "",
        ("| part | clips | real std mean | real std median | gen std mean | corr(log std) | W | best scale (W) "
         "| W at default std for the clip's length | best fixed std (W) | W shape (real std per clip) | W synthetic |"),
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for part, r in result["parts"].items():
        best_scale_w = [min(col) for col in zip(*r["w_by_scale"], strict=True)]
        best_std_w = [min(col) for col in zip(*r["w_by_std"], strict=True)]
        lines.append(
            f"| {part} | {r['clips']} | {_row(r['real_std_mean'])} | {_row(r['real_std_median'])} "
            f"| {_row(r['gen_std_mean'])} | {_row(r['corr_log_std'])} | {_row(r['w'])} "
            f"| {_row(r['best_scale'])} ({_row(best_scale_w)}) | {_row(r['w_at_default_std'])} "
            f"| {_row(r['best_std'])} ({_row(best_std_w)}) | {_row(r['w_shape'])} | {_row(r['w_synthetic'])} |"
        )
    lines += _table(
        "Every clip at one long-take amplitude (x its length factor); W and std ratio per part:",
        ["part", "amplitude from", "long-take std (deg)", "W", "std ratio", "W synthetic"],
        [[part, name, _row(row["level"]), _row(row["w"]), _row(row["std_ratio"]), _row(r["w_synthetic"])]
         for part, r in result["parts"].items() for name, row in r.get("levels", {}).items()],
    )
    lines += _table(
        "The Intensities with W at most the synthetic generator's, with the std ratio in 0.8-1.25, and meeting both:",
        ["part", "each clip's amplitude", "W <= synthetic, yaw / pitch / roll", "std ratio 0.8-1.25", "both points"],
        [[part, mode, " / ".join(_spans(v) for v in x["w_at_most_synthetic"]),
          " / ".join(_spans(v) for v in x["std_ratio_in_range"]), _spans(x["both_points"])]
         for part, r in result["parts"].items() for mode, x in r.get("intensities", {}).items()],
    )
    return "\n".join(lines)


def parse_level(text: str) -> tuple[str, np.ndarray]:
    """``NAME=YAW,PITCH,ROLL`` (degrees) -> (name, (3,) array)."""
    name, sep, values = text.rpartition("=")
    try:
        level = np.array([float(v) for v in values.split(",")], dtype=np.float64)
    except ValueError:
        level = np.array([])
    if not sep or not name or level.shape != (3,) or not np.all(np.isfinite(level) & (level > 0)):
        raise argparse.ArgumentTypeError(f"--level needs NAME=YAW,PITCH,ROLL with 3 positive degrees, got {text!r}")
    return name, level


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "posegan" / "default.onnx"))
    parser.add_argument("--config", default=str(DEFAULT_CONFIG), help="training config naming the split")
    parser.add_argument("--parts", nargs="+", default=["train", "val", "test"])
    parser.add_argument("--draws", type=int, default=5, help="seeds for the synthetic generator")
    parser.add_argument("--scales", type=float, nargs="+", default=list(DEFAULT_SCALES))
    parser.add_argument("--stds", type=float, nargs="+", default=list(DEFAULT_STDS), help="fixed stds (deg)")
    parser.add_argument("--intensities", type=float, nargs="+", default=list(DEFAULT_INTENSITIES),
                        help="Intensities for the intensities table (default 0.5-2.0 in steps of 0.005)")
    parser.add_argument("--level", action="append", default=[], metavar="NAME=YAW,PITCH,ROLL",
                        help="another long-take amplitude (deg) for the levels table; repeatable")
    parser.add_argument("--json", help="write the full result as JSON here")
    parser.add_argument("--markdown", help="write the table as Markdown here")
    parser.add_argument("--no-cache", action="store_true")
    args = parser.parse_args(argv)
    result = run(args.model, args.config, args.parts, args.draws, args.scales, args.stds, cache=not args.no_cache,
                 extra_levels=dict(parse_level(text) for text in args.level),
                 intensities=tuple(sorted(args.intensities)))
    text = markdown(result)
    print(text)
    write_reports(result, text, args.json, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
