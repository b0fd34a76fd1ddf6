"""Fitting a :class:`~core.motion.style.Style` to a measured head-motion track, by simulation.

Units: angles in DEGREES, times in SECONDS, frequencies in HERTZ, speeds in DEGREES PER SECOND.

Method (:func:`fit_style`)
    1. The per-axis median is removed: estimated tracks are relative to a neutral pose already, so the
       style moves around the rest pose (``bias_deg`` = 0) and the median offset is only reported.
    2. Target features are measured on the track: per axis the variance, the effective frequency
       ``mean|d/dt low| / (4 sqrt(2) std(low))`` of the band below 1 Hz (exactly f for a sine of
       frequency f), the spread of the movement sizes (p10 / p90 of the peak ``|angle|`` of 2.5 s
       windows) and the spectral width (log f80 / f20 of the power between 0.1 and 2 Hz); over all axes
       the mean angular speed (as :func:`core.metrics.mean_speed`); with a speech mask, the speech /
       silence mean-speed ratio (as :func:`core.metrics.speech_silence_motion_ratio`). Estimator noise
       (``noise_deg``: std per axis, modelled as Gaussian low-pass noise at 2.2 Hz, what the default
       stabiliser leaves of white landmark noise) is discounted from every feature (variances subtract,
       mean speeds subtract in quadrature), so noise is learned neither as motion nor as jitter.
    3. Calibration by simulation: the generator runs with common random numbers (fixed seeds, 60 s at the
       track's fps, the speech mask mirrored-tiled to that length) and the same features are measured on
       its output. Each axis's amplitude ``k`` and the shared jitter ``J`` enter the output linearly
       (angles = k O + J j), so the per-axis variance is a quadratic form in (k, J), solved exactly for
       k; J is found by bisection so the mean speed matches (capped where jitter would supply over 80 %
       of the least-moving axis's variance). Period centres (by the frequency ratio), amplitude spreads
       and, on axes with >= 8 cycles in the track, period widths are updated until the generated
       features match (6 iterations on 6 seeds); the silence floor is found by bisection on the ratio,
       then refined after 2 more iterations; the final k and J come from 32 runs, so the std is right
       on average over seeds. Spread and width targets of short tracks are shrunk toward the features
       of the ``base`` settings' own output in proportion to the evidence (windows, cycles).
    4. ``segment_s`` follows the fitted periods (``base.segment_s`` scaled by the ratio of the mean
       period to the base's); ``jitter_cutoff_hz``, ``settle_s`` and ``rest_s`` are kept from ``base``:
       above ~1.5 Hz an estimated track is dominated by the stabiliser and its noise, and settle times
       are not measurable on clips with a few pauses.

Files (:func:`save_style` / :func:`load_style`) are JSON::

    {"format": "head_motion.style", "version": 1, "name": "...",
     "settings": {"yaw": {"amplitude_deg": [lo, hi], "period_s": [lo, hi], "bias_deg": 0.0}, "pitch": ...,
                  "roll": ..., "segment_s": [lo, hi], "jitter_deg": ..., ...},
     "stats": {"std_deg": [y, p, r], "dominant_hz": ..., ...}}
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from ..errors import SettingsError, TrackError
from ..metrics import dominant_frequency, mean_speed, speech_silence_motion_ratio
from ..track import PoseTrack
from .style import AXES, Style, StyleStats
from .style_features import (
    FREQUENCY_FACTOR,
    MIN_PHASE_S,
    SPEECH_THRESHOLD,
    Features,
    Target,
    measure_target,
    peak_spread,
    signals,
    spectral_width,
    window_peaks,
)

if TYPE_CHECKING:
    from ..video.result import EstimationResult
from .synthetic import MIN_SEGMENT_S, AxisMotion, SyntheticSettings, generate_synthetic

FORMAT = "head_motion.style"
VERSION = 1

#: Shortest track a style can be learned from (seconds).
MIN_DURATION_S = 3.0
#: Lowest frame rate accepted (frames per second): the features need the band up to 2 Hz.
MIN_FPS = 5.0
#: Default estimator noise (degrees, std per axis) assumed in tracks whose meta says ``source: video``:
#: the dev clips' white landmark noise (0.1-0.8 deg per frame, median 0.3) after the default Gaussian
#: stabiliser (sigma 1.5 frames keeps 0.43 of it), rounded up.
VIDEO_NOISE_DEG = 0.15
#: Length (seconds) of each calibration run of the generator; seeds of the runs that fit the shape
#: (periods, spreads, floor) and of the many more runs that fix the amplitudes and jitter (the std of
#: one 60 s run varies by ~15 % from seed to seed; 32 runs bring the mean within ~3 %).
CALIBRATION_S = 60.0
SHAPE_SEEDS = tuple(range(7101, 7107))
AMPLITUDE_SEEDS = tuple(range(7201, 7233))
#: Jitter may supply at most this fraction of the variance of the least-moving axis.
MAX_JITTER_SHARE = 0.8
#: Evidence (windows / cycles) at which a short track's spread / width features weigh half.
_SHRINK_CYCLES = 6.0
#: The width of the period range is learned only from axes with this many cycles in the track.
MIN_WIDTH_CYCLES = 8.0
#: Limits of the fitted quantities.
_PERIOD_LIMITS_S = (0.4, 20.0)
_MIN_PERIOD_RATIO = 1.5
_MAX_PERIOD_RATIO = 6.0
_MIN_AMPLITUDE_RATIO = 0.02
_FLOOR_LIMITS = (0.02, 1.0)


# --------------------------------------------------------------------------------------------------
# Calibration by simulation
# --------------------------------------------------------------------------------------------------


@dataclass
class _Params:
    """Free parameters of the fit (arrays: per axis)."""

    centre: np.ndarray  # geometric centre of the period range (s)
    width: np.ndarray  # period ratio hi / lo (>= 1)
    ratio: np.ndarray  # amplitude ratio lo / hi (0..1)
    scale: np.ndarray  # amplitude hi (deg)
    jitter: float  # jitter std (deg), shared by the axes
    floor: float  # silence floor, shared

    def copy(self) -> _Params:
        return _Params(self.centre.copy(), self.width.copy(), self.ratio.copy(), self.scale.copy(),
                       self.jitter, self.floor)


def _base_params(base: SyntheticSettings) -> _Params:
    axes = [getattr(base, name) for name in AXES]
    centre = np.array([math.sqrt(a.period_s[0] * a.period_s[1]) for a in axes])
    width = np.array([max(a.period_s[1] / a.period_s[0], _MIN_PERIOD_RATIO) for a in axes])
    ratio = np.array([a.amplitude_deg[0] / a.amplitude_deg[1] if a.amplitude_deg[1] > 0 else 0.5 for a in axes])
    scale = np.array([a.amplitude_deg[1] for a in axes])
    return _Params(centre, width, np.maximum(ratio, _MIN_AMPLITUDE_RATIO), scale, base.jitter_deg, base.silence_floor)


def _geometric_mean(values: np.ndarray) -> float:
    return float(np.exp(np.mean(np.log(values))))


def _build_settings(
    base: SyntheticSettings, p: _Params, unit_amplitude: bool = False, jitter_only: bool = False
) -> SyntheticSettings:
    """Generator settings of parameters ``p``; ``unit_amplitude``: oscillation only, with the high amplitude
    1 deg; ``jitter_only``: unit jitter and no oscillation (the two linear components of the output)."""
    axes = []
    for i in range(3):
        half = math.sqrt(float(p.width[i]))
        period = (float(p.centre[i]) / half, float(p.centre[i]) * half)
        high = 0.0 if jitter_only else (1.0 if unit_amplitude else float(p.scale[i]))
        axes.append(AxisMotion((high * float(p.ratio[i]), high), period, 0.0))
    stretch = _geometric_mean(p.centre) / _geometric_mean(_base_params(base).centre)
    segment = (max(MIN_SEGMENT_S, base.segment_s[0] * stretch), max(MIN_SEGMENT_S, base.segment_s[1] * stretch))
    jitter = 1.0 if jitter_only else (0.0 if unit_amplitude else float(p.jitter))
    return replace(
        base, yaw=axes[0], pitch=axes[1], roll=axes[2], segment_s=segment, jitter_deg=jitter,
        silence_floor=float(p.floor), intensity=1.0, seed=0,
    )


def _tile_mask(mask: np.ndarray, n: int) -> np.ndarray:
    """``mask`` repeated forward and backward (so the joins are continuous) to ``n`` frames."""
    pieces, total, forward = [], 0, True
    while total < n:
        pieces.append(mask if forward else mask[::-1])
        total += len(mask)
        forward = not forward
    return np.concatenate(pieces)[:n]


class _Components:
    """The generator's output for given periods, spreads and floor, split into its two linear parts:
    angles = k * O + J * j per axis (O: oscillation with high amplitude 1 deg, j: unit jitter), for
    several seeds, with every feature signal precomputed so any (k, J) is evaluated without generating."""

    def __init__(self, oscillation: list[np.ndarray], jitter: list[np.ndarray], fps: float):
        self.o = [signals(a, fps) for a in oscillation]
        self.j = [signals(a, fps) for a in jitter]
        gram = np.zeros((3, 2, 2))
        for so, sj in zip(self.o, self.j, strict=True):
            a = so["raw"] - so["raw"].mean(axis=0)
            b = sj["raw"] - sj["raw"].mean(axis=0)
            gram[:, 0, 0] += (a * a).mean(axis=0)
            gram[:, 1, 1] += (b * b).mean(axis=0)
            gram[:, 0, 1] += (a * b).mean(axis=0)
        gram[:, 1, 0] = gram[:, 0, 1]
        self.gram = gram / len(self.o)  # per axis, covariance of [O, j] (averaged over seeds)

    def combine(self, key: str, k: np.ndarray, jitter: float) -> list[np.ndarray]:
        """Signal ``key`` of k O + J j, per seed."""
        return [k * so[key] + jitter * sj[key] for so, sj in zip(self.o, self.j, strict=True)]

    def scales(self, target_var: np.ndarray, moving: np.ndarray, jitter: float) -> np.ndarray:
        """Per-axis k >= 0 whose output variance, with jitter ``jitter``, is ``target_var`` (exact)."""
        a = np.maximum(self.gram[:, 0, 0], 1e-12)
        b = jitter * self.gram[:, 0, 1]
        c = jitter * jitter * self.gram[:, 1, 1] - target_var
        k = (-b + np.sqrt(np.maximum(b * b - a * c, 0.0))) / a
        return np.where(moving, np.maximum(k, 0.0), 0.0)

    def features(self, k: np.ndarray, jitter: float) -> Features:
        """Features of k O + J j, averaged over the seeds."""
        per_seed = [
            Features.of({key: k * so[key] + jitter * sj[key] for key in so})
            for so, sj in zip(self.o, self.j, strict=True)
        ]
        return Features(
            var=np.mean([f.var for f in per_seed], axis=0),
            speed=float(np.mean([f.speed for f in per_seed])),
            low_var=np.mean([f.low_var for f in per_seed], axis=0),
            low_speed=np.mean([f.low_speed for f in per_seed], axis=0),
        )

    def speed(self, k: np.ndarray, jitter: float) -> float:
        """Mean speed (deg/s) of k O + J j, averaged over the seeds."""
        return float(np.mean([np.linalg.norm(v, axis=1).mean() for v in self.combine("vel", k, jitter)]))


class _Simulator:
    """Runs the generator at the source's fps on calibration seeds, with the mirrored-tiled speech mask."""

    def __init__(self, base: SyntheticSettings, fps: float, n_source: int, mask: np.ndarray | None):
        self.base = base
        self.fps = fps
        self.n = math.ceil(CALIBRATION_S * fps)
        self.n_source = min(n_source, self.n)  # chunk length of the spectral-width feature
        self.mask = None if mask is None else _tile_mask(mask, self.n)

    def run(self, settings: SyntheticSettings, seeds: Sequence[int] = SHAPE_SEEDS) -> list[np.ndarray]:
        """(n, 3) angles per seed."""
        return [generate_synthetic(self.n, self.fps, replace(settings, seed=s), self.mask).angles for s in seeds]

    def components(self, p: _Params, seeds: Sequence[int] = SHAPE_SEEDS) -> _Components:
        oscillation = self.run(_build_settings(self.base, p, unit_amplitude=True), seeds)
        jitter = self.run(_build_settings(self.base, p, jitter_only=True), seeds)
        return _Components(oscillation, jitter, self.fps)

    def shape_features(self, comp: _Components, k: np.ndarray, jitter: float) -> tuple[np.ndarray, np.ndarray]:
        """Spread (from the low band) and spectral width (on source-long chunks) of k O + J j."""
        spread = np.mean([peak_spread(window_peaks(low, self.fps)) for low in comp.combine("low", k, jitter)], axis=0)
        outputs = comp.combine("raw", k, jitter)
        widths = [
            spectral_width(out[start : start + self.n_source], self.fps)
            for out in outputs
            for start in range(0, len(out) - self.n_source + 1, self.n_source)
        ]
        return spread, np.mean(widths, axis=0)


def _solve_amplitudes(comp: _Components, target: Target) -> tuple[np.ndarray, float]:
    """Per-axis amplitudes k and the shared jitter J: every axis gets the target variance exactly, and J
    (bisection) brings the mean speed to the target's, within [0, the jitter that would supply
    :data:`MAX_JITTER_SHARE` of the variance of the least-moving axis]."""
    limits = [
        math.sqrt(MAX_JITTER_SHARE * v / jv)
        for v, jv, m in zip(target.var, comp.gram[:, 1, 1], target.moving, strict=True)
        if m and jv > 0.0
    ]
    high = min(limits) if limits else 0.0

    def speed(jitter: float) -> float:
        return comp.speed(comp.scales(target.var, target.moving, jitter), jitter)

    if high <= 0.0 or speed(0.0) >= target.speed:
        jitter = 0.0
    elif speed(high) <= target.speed:
        jitter = high
    else:
        low = 0.0
        for _ in range(20):
            mid = 0.5 * (low + high)
            low, high = (mid, high) if speed(mid) < target.speed else (low, mid)
        jitter = 0.5 * (low + high)
    return comp.scales(target.var, target.moving, jitter), jitter


def _calibrate_shape(sim: _Simulator, p: _Params, target: Target, base_p: _Params, iterations: int) -> _Params:
    """Update the periods, amplitude spreads and period widths until the generated features match the
    target's (amplitudes and jitter re-solved at every step).

    The spread and width targets are shrunk toward the features of the base settings' own output in
    proportion to the evidence the track holds (windows; cycles); the width is learned only on axes with
    at least :data:`MIN_WIDTH_CYCLES` cycles (on shorter tracks the spectrum cannot resolve it).
    """
    base_spread, base_width = sim.shape_features(sim.components(base_p), base_p.scale, base_p.jitter)
    w = target.spread_weight
    target_spread = np.exp(w * np.log(target.spread) + (1.0 - w) * np.log(base_spread))
    w = target.cycles / (target.cycles + _SHRINK_CYCLES)
    target_width = w * target.width + (1.0 - w) * base_width
    learn_width = target.moving & (target.cycles >= MIN_WIDTH_CYCLES)
    for _ in range(iterations):
        comp = sim.components(p)
        p.scale, p.jitter = _solve_amplitudes(comp, target)
        generated = comp.features(p.scale, p.jitter)
        freq = FREQUENCY_FACTOR * generated.low_speed / np.sqrt(np.maximum(generated.low_var, 1e-12))
        step = np.where(target.moving & (freq > 0.0), freq / np.maximum(target.freq, 1e-6), 1.0)
        p.centre = p.centre * step
        spread, width = sim.shape_features(comp, p.scale, p.jitter)
        ratio = np.clip(p.ratio * (target_spread / spread) ** 1.5, _MIN_AMPLITUDE_RATIO, 1.0)
        p.ratio = np.where(target.moving, ratio, p.ratio)
        log_width = np.clip(
            np.log(p.width) + 0.7 * (target_width - width), math.log(_MIN_PERIOD_RATIO), math.log(_MAX_PERIOD_RATIO)
        )
        p.width = np.where(learn_width, np.exp(log_width), p.width)
        half = np.sqrt(p.width)  # keep the whole period range inside the limits
        p.centre = np.clip(p.centre, _PERIOD_LIMITS_S[0] * half, _PERIOD_LIMITS_S[1] / half)
    return p


def _fit_floor(sim: _Simulator, p: _Params, target_ratio: float, around: float | None = None) -> float:
    """Silence floor whose generated speech/silence mean-speed ratio matches ``target_ratio`` (bisection
    in log floor over the whole range, or within a factor 1.6 of ``around``; the ratio falls as the floor
    rises). 1 = no calming, for a source that moves as much or more in silence."""
    mask = sim.mask
    if target_ratio <= 1.0 or mask is None:
        return 1.0

    def ratio(floor: float) -> float:
        outputs = sim.run(_build_settings(sim.base, replace(p, floor=floor)))
        return float(np.mean([speech_silence_motion_ratio(a, mask, sim.fps, SPEECH_THRESHOLD) for a in outputs]))

    if around is None:
        low, high, steps = _FLOOR_LIMITS[0], _FLOOR_LIMITS[1], 10
    else:
        low, high, steps = max(_FLOOR_LIMITS[0], around / 1.6), min(_FLOOR_LIMITS[1], around * 1.6), 6
        if ratio(high) >= target_ratio:
            return high
    if ratio(low) <= target_ratio:
        return low
    low, high = math.log(low), math.log(high)
    for _ in range(steps):
        mid = 0.5 * (low + high)
        low, high = (mid, high) if ratio(math.exp(mid)) > target_ratio else (low, mid)
    return float(math.exp(0.5 * (low + high)))


# --------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------


def _noise_levels(noise_deg: float | Sequence[float] | None, track: PoseTrack) -> np.ndarray:
    if noise_deg is None:
        source = track.meta.get("source") if isinstance(track.meta, dict) else None
        return np.full(3, VIDEO_NOISE_DEG if source == "video" else 0.0)
    try:
        noise = np.broadcast_to(np.asarray(noise_deg, dtype=np.float64), (3,)).copy()
    except (TypeError, ValueError):
        raise SettingsError(f"noise_deg must be a number or 3 numbers (degrees), got {noise_deg!r}.") from None
    if not np.isfinite(noise).all() or (noise < 0.0).any():
        raise SettingsError(f"noise_deg must be finite and >= 0 degrees, got {noise_deg!r}.")
    return noise


def _speech_mask(speech: np.ndarray | None, track: PoseTrack) -> np.ndarray | None:
    mask = track.speech if speech is None else speech
    if mask is None:
        return None
    try:
        mask = np.array(mask, dtype=np.float64)
    except (TypeError, ValueError):
        raise TrackError("The speech mask must be a sequence of numbers between 0 and 1.") from None
    if mask.shape != (len(track),):
        raise TrackError(f"The speech mask needs one value per frame ({len(track)}), got shape {mask.shape}.")
    if not np.isfinite(mask).all() or mask.min() < 0.0 or mask.max() > 1.0:
        raise TrackError("The speech mask must hold finite values between 0 (silent) and 1 (speaking).")
    return mask


def _finite_or_none(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def _triple(values: np.ndarray) -> tuple[float, float, float]:
    return (float(values[0]), float(values[1]), float(values[2]))


def fit_style(
    track: PoseTrack,
    speech: np.ndarray | None = None,
    name: str = "",
    base: SyntheticSettings | None = None,
    noise_deg: float | Sequence[float] | None = None,
) -> Style:
    """Learn a :class:`Style` from a head-motion ``track`` (degrees, relative to the neutral pose).

    ``speech``: per-frame speech weight in [0, 1] (default: ``track.speech``); with speech and silence
    each lasting >= 1 s, the silence floor is learned from the speech/silence speed ratio, and the
    amplitudes are those of speech (the generator calms them in silence); a mask with less than 1 s of
    speech is ignored (the motion is learned as seen). ``base``:
    settings that provide what a track cannot tell (jitter cut-off, settle and rest times) and the
    priors short tracks are shrunk toward (default: the CONVERSATIONAL preset). ``noise_deg``: estimator
    noise to discount, std in degrees (one number or one per axis); None = :data:`VIDEO_NOISE_DEG` for
    tracks whose ``meta["source"]`` is ``"video"``, else 0. See the module docs for the method.

    Raises :class:`TrackError` for an invalid track or speech mask, a track shorter than
    :data:`MIN_DURATION_S` seconds or below :data:`MIN_FPS`, or one that does not move; and
    :class:`SettingsError` for invalid ``base`` settings or ``noise_deg``.
    """
    if not isinstance(track, PoseTrack):
        raise TrackError(f"A style is learned from a PoseTrack, got {type(track).__name__}.")
    track.validate()
    fps = float(track.fps)
    if fps < MIN_FPS:
        raise TrackError(f"The track's frame rate ({fps:g} fps) is too low to learn a style; at least {MIN_FPS:g}.")
    if track.duration_s < MIN_DURATION_S:
        raise TrackError(
            f"The track lasts {track.duration_s:.2f} s; learning a style needs at least {MIN_DURATION_S:g} s "
            "of motion (10-20 s or more gives a better fit)."
        )
    base = SyntheticSettings() if base is None else base
    if not isinstance(base, SyntheticSettings):
        raise SettingsError(f"base must be SyntheticSettings, got {type(base).__name__}.")
    base.validate()
    noise = _noise_levels(noise_deg, track)
    mask = _speech_mask(speech, track)

    angles = track.angles
    median = np.median(angles, axis=0)
    x = angles - median
    target = measure_target(x, fps, mask, noise)
    if not target.moving.any():
        raise TrackError(
            f"The track barely moves (std {np.round(angles.std(axis=0), 3).tolist()} degrees, at most the "
            "estimator noise): there is no motion style to learn."
        )

    base_p = _base_params(base)
    p = base_p.copy()
    p.centre = np.where(target.moving, np.clip(1.0 / np.maximum(target.freq, 1e-6), *_PERIOD_LIMITS_S), p.centre)
    # A mask with (almost) no speech describes a listener: learn the motion as seen, not scaled up to
    # what it would be while speaking.
    speaking_s = 0.0 if mask is None else float(np.sum(mask >= SPEECH_THRESHOLD)) / fps
    sim = _Simulator(base, fps, len(x), mask if speaking_s >= MIN_PHASE_S else None)
    p = _calibrate_shape(sim, p, target, base_p, iterations=6)
    if target.ratio is not None:
        p.floor = _fit_floor(sim, p, target.ratio)
        p = _calibrate_shape(sim, p, target, base_p, iterations=2)
        p.floor = _fit_floor(sim, p, target.ratio, around=p.floor)
    # Final amplitudes and jitter on many more runs, so the std is right on average over seeds.
    comp = sim.components(p, AMPLITUDE_SEEDS)
    p.scale, p.jitter = _solve_amplitudes(comp, target)
    settings = _build_settings(base, p).validate()

    # What the fitted settings reproduce, on the calibration runs.
    outputs = comp.combine("raw", p.scale, p.jitter)
    fitted_ratio = None
    if sim.mask is not None:
        ratios = [speech_silence_motion_ratio(out, sim.mask, fps, SPEECH_THRESHOLD) for out in outputs]
        fitted_ratio = _finite_or_none(float(np.mean(ratios)))
    stats = StyleStats(
        std_deg=_triple(angles.std(axis=0)),
        dominant_hz=_finite_or_none(dominant_frequency(angles, fps)),
        mean_speed_deg_s=mean_speed(angles, fps),
        speech_silence_ratio=(
            _finite_or_none(speech_silence_motion_ratio(angles, mask, fps, SPEECH_THRESHOLD))
            if mask is not None else None
        ),
        duration_s=track.duration_s,
        fps=fps,
        median_deg=_triple(median),
        noise_deg=_triple(noise),
        fitted_std_deg=_triple(np.mean([out.std(axis=0) for out in outputs], axis=0)),
        fitted_mean_speed_deg_s=float(np.mean([mean_speed(out, fps) for out in outputs])),
        fitted_speech_silence_ratio=fitted_ratio,
    )
    return Style(str(name), settings, stats)


def estimator_noise_deg(raw_angles: np.ndarray, stabiliser_sigma_frames: float) -> tuple[float, float, float]:
    """Estimator noise per axis (std, degrees) left in a track after a Gaussian stabiliser, for ``noise_deg``.

    ``raw_angles``: (N, 3) unstabilised angles in degrees (e.g. ``EstimationResult.raw_angles``);
    ``stabiliser_sigma_frames``: the Gaussian stabiliser's sigma in frames (0 = none). The white
    per-frame noise is measured robustly from the second differences (1.4826 x their median absolute
    deviation / sqrt(6); head motion barely changes from frame to frame at video rates), then scaled by
    the stabiliser's noise gain 1 / sqrt(2 sqrt(pi) sigma).
    """
    a = np.asarray(raw_angles, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] != 3 or len(a) < 4 or not np.isfinite(a).all():
        raise TrackError(f"raw_angles must be a finite (N, 3) array with N >= 4, got shape {a.shape}.")
    sigma = float(stabiliser_sigma_frames)
    if not math.isfinite(sigma) or sigma < 0.0:
        raise SettingsError(f"stabiliser_sigma_frames must be a number >= 0, got {stabiliser_sigma_frames!r}.")
    second = np.diff(a, 2, axis=0)
    white = 1.4826 * np.median(np.abs(second - np.median(second, axis=0)), axis=0) / math.sqrt(6.0)
    gain = 1.0 if sigma < 0.05 else min(1.0, 1.0 / math.sqrt(2.0 * math.sqrt(math.pi) * sigma))
    return _triple(white * gain)



def style_from_estimate(result: EstimationResult, name: str = "") -> Style:
    """The one Learn Style path (panel, batch and API): fit a style to a video estimate, with its speech mask
    from the lips and the estimator noise of its stabiliser discounted."""
    noise = estimator_noise_deg(result.raw_angles, result.settings.gaussian_sigma_frames)
    return fit_style(result.to_pose_track(speech=True), name=name, noise_deg=noise)
