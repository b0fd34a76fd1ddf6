"""Learned motion styles: fit the synthetic generator's settings to a measured head-motion track.

A :class:`Style` is a :class:`~core.synthetic.SyntheticSettings` (seed 0, intensity 1) fitted so that
:func:`~core.synthetic.generate_synthetic` moves like the speaker of a track (typically one estimated
from a video, :mod:`core.video_estimation`), plus the statistics measured on that track. Any new audio
then gets fresh, non-repeating motion in that speaker's style (a different seed gives different motion).

Units: angles in DEGREES, times in SECONDS, frequencies in HERTZ, speeds in DEGREES PER SECOND.

Fitting (:func:`fit_style`)
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

import json
import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .errors import SettingsError, TrackError
from .filters import gaussian_sigma_s, gaussian_smooth, lowpass_noise
from .metrics import angular_speed, dominant_frequency, mean_speed, speech_silence_motion_ratio
from .synthetic import MIN_SEGMENT_S, AxisMotion, SyntheticSettings, generate_synthetic
from .track import PoseTrack

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
#: -3 dB cut-off (Hz) of the modelled estimator noise: the default stabiliser at 25 fps.
NOISE_CUTOFF_HZ = 2.2
#: Cut-off (Hz) of the low band whose effective frequency sets the periods.
LOW_BAND_HZ = 1.0
#: Band (Hz) whose spectral percentiles measure the width of the period range.
SPECTRUM_BAND_HZ = (0.1, 2.0)
#: Window (seconds) whose peak |angle| is one "movement size" sample for the amplitude spread.
SPREAD_WINDOW_S = 2.5
#: Length (seconds) of each calibration run of the generator; seeds of the runs that fit the shape
#: (periods, spreads, floor) and of the many more runs that fix the amplitudes and jitter (the std of
#: one 60 s run varies by ~15 % from seed to seed; 32 runs bring the mean within ~3 %).
CALIBRATION_S = 60.0
SHAPE_SEEDS = tuple(range(7101, 7107))
AMPLITUDE_SEEDS = tuple(range(7201, 7233))
#: Frames with a speech weight >= this count as speaking.
SPEECH_THRESHOLD = 0.5
#: Speech and silence must each last at least this long (seconds) for the silence floor to be learned.
MIN_PHASE_S = 1.0
#: An axis whose (noise-corrected) std is below this (degrees) is taken as still.
STILL_DEG = 0.02
#: Jitter may supply at most this fraction of the variance of the least-moving axis.
MAX_JITTER_SHARE = 0.8
#: Evidence (windows / cycles) at which a short track's spread / width features weigh half.
_SHRINK_WINDOWS = 3.0
_SHRINK_CYCLES = 6.0
#: The width of the period range is learned only from axes with this many cycles in the track.
MIN_WIDTH_CYCLES = 8.0
#: Limits of the fitted quantities.
_PERIOD_LIMITS_S = (0.4, 20.0)
_MIN_PERIOD_RATIO = 1.5
_MAX_PERIOD_RATIO = 6.0
_MIN_AMPLITUDE_RATIO = 0.02
_FLOOR_LIMITS = (0.02, 1.0)

_AXES = ("yaw", "pitch", "roll")


# --------------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StyleStats:
    """What was measured on the source track, and what the fitted settings reproduce.

    ``std_deg``: (yaw, pitch, roll) std of the source in degrees. ``dominant_hz``: its dominant motion
    frequency (:func:`core.metrics.dominant_frequency`), None if undefined. ``mean_speed_deg_s``: its
    mean angular speed (deg/s). ``speech_silence_ratio``: mean speed while speaking / while silent (None
    without a usable speech mask). ``duration_s``, ``fps``: length (seconds) and frame rate of the source.
    ``median_deg``: median angle per axis that was removed (the source's offset from its neutral pose).
    ``noise_deg``: estimator noise per axis (std, degrees) discounted from the source. ``fitted_*``: the
    same quantities measured on the calibration runs of the fitted settings (>= 60 s each).
    """

    std_deg: tuple[float, float, float] | None = None
    dominant_hz: float | None = None
    mean_speed_deg_s: float | None = None
    speech_silence_ratio: float | None = None
    duration_s: float | None = None
    fps: float | None = None
    median_deg: tuple[float, float, float] | None = None
    noise_deg: tuple[float, float, float] | None = None
    fitted_std_deg: tuple[float, float, float] | None = None
    fitted_mean_speed_deg_s: float | None = None
    fitted_speech_silence_ratio: float | None = None


_TRIPLE_STATS = {"std_deg", "median_deg", "noise_deg", "fitted_std_deg"}


@dataclass(frozen=True)
class Style:
    """A named motion style: generator ``settings`` (seed 0, intensity 1) and the ``stats`` of its source."""

    name: str
    settings: SyntheticSettings
    stats: StyleStats = field(default_factory=StyleStats)

    def settings_for(self, intensity: float = 1.0, seed: int = 0) -> SyntheticSettings:
        """The style's settings with ``intensity`` (0 = rest pose, 1 = as learned) and ``seed`` (>= 0)."""
        return replace(self.settings, intensity=intensity, seed=seed).validate()


# --------------------------------------------------------------------------------------------------
# Features
# --------------------------------------------------------------------------------------------------

#: f = mean |x'| / (4 sqrt(2) std(x)) for a sine of frequency f: the effective frequency in hertz.
_FREQUENCY_FACTOR = 1.0 / (4.0 * math.sqrt(2.0))


def _velocity(a: np.ndarray, fps: float) -> np.ndarray:
    """Per-frame change along axis 0 in units per second (as :func:`core.metrics.mean_speed` measures)."""
    return np.diff(a, axis=0) * fps


def _lowpass(a: np.ndarray, fps: float) -> np.ndarray:
    """Zero-phase Gaussian low-pass at :data:`LOW_BAND_HZ` along axis 0."""
    return gaussian_smooth(a, gaussian_sigma_s(LOW_BAND_HZ) * fps)


def _signals(a: np.ndarray, fps: float) -> dict[str, np.ndarray]:
    """The linear transforms of an (N, 3) track the features are measured on: the angles, their velocity
    (deg/s), the low band and its velocity."""
    low = _lowpass(a, fps)
    return {"raw": a, "vel": _velocity(a, fps), "low": low, "low_vel": _velocity(low, fps)}


@dataclass
class _Features:
    """Motion features of one track: per-axis variance (deg^2), mean speed (deg/s, norm over the axes),
    per-axis variance of the low band (deg^2) and mean |velocity| of the low band (deg/s)."""

    var: np.ndarray
    speed: float
    low_var: np.ndarray
    low_speed: np.ndarray

    @classmethod
    def of(cls, signals: dict[str, np.ndarray]) -> _Features:
        return cls(
            var=signals["raw"].var(axis=0),
            speed=float(np.linalg.norm(signals["vel"], axis=1).mean()),
            low_var=signals["low"].var(axis=0),
            low_speed=np.abs(signals["low_vel"]).mean(axis=0),
        )


@lru_cache(maxsize=8)
def _unit_noise(fps: float) -> np.ndarray:
    """(N, 3) unit-std estimator noise at ``fps``: Gaussian low-pass noise at :data:`NOISE_CUTOFF_HZ`
    (a deterministic 400 s draw, read-only)."""
    cutoff = min(NOISE_CUTOFF_HZ, 0.4 * fps)
    rng = np.random.default_rng(20240611)
    n = round(400.0 * fps)
    noise = np.column_stack([lowpass_noise(n, fps, cutoff, rng) for _ in range(3)])
    noise /= noise.std(axis=0)
    noise.flags.writeable = False
    return noise


def _without_noise(value: np.ndarray | float, noise_value: np.ndarray | float, squared: bool = False):
    """``value`` with independent noise of size ``noise_value`` removed: variances subtract, mean speeds
    (``squared=False``) subtract in quadrature (exact for Gaussian motion). At least 5 % of the variance
    is kept, so a track at the noise level still gives a small positive number."""
    v = np.asarray(value, dtype=np.float64)
    if squared:
        return np.maximum(v - noise_value, 0.05 * v)
    return np.sqrt(np.maximum(v * v - np.asarray(noise_value) ** 2, 0.05 * v * v))


def _window_peaks(x: np.ndarray, fps: float) -> np.ndarray:
    """(n_windows, 3) peak |x| of consecutive :data:`SPREAD_WINDOW_S` windows (a shorter track is one window)."""
    width = max(2, round(SPREAD_WINDOW_S * fps))
    if len(x) < width:
        return np.abs(x).max(axis=0, keepdims=True)
    n = len(x) // width
    return np.abs(x[: n * width].reshape(n, width, x.shape[1])).max(axis=1)


def _spread(peaks: np.ndarray) -> np.ndarray:
    """Per-axis movement-size spread p10 / p90 of window peaks (3,), in (0, 1]."""
    p10, p90 = np.percentile(peaks, [10.0, 90.0], axis=0)
    return np.clip(p10 / np.maximum(p90, 1e-9), 1e-3, 1.0)


def _spectral_width(x: np.ndarray, fps: float) -> np.ndarray:
    """Per-axis log(f80 / f20) of the power between :data:`SPECTRUM_BAND_HZ` (Hann window, zero-padded)."""
    n = len(x)
    size = 1 << max(4 * n - 1, 1).bit_length()
    centred = x - x.mean(axis=0)
    power = np.abs(np.fft.rfft(centred * np.hanning(n)[:, None], n=size, axis=0)) ** 2
    freqs = np.fft.rfftfreq(size, 1.0 / fps)
    band = (freqs >= SPECTRUM_BAND_HZ[0]) & (freqs <= SPECTRUM_BAND_HZ[1])
    freqs, power = freqs[band], power[band]
    out = np.zeros(x.shape[1])
    for axis in range(x.shape[1]):
        cumulative = np.cumsum(power[:, axis])
        if cumulative[-1] <= 0.0:
            continue
        f20, f80 = np.interp([0.2, 0.8], cumulative / cumulative[-1], freqs)
        out[axis] = math.log(max(f80, 1e-6) / max(f20, 1e-6))
    return out


@dataclass
class _Target:
    """Noise-corrected features of the source track (see :func:`_measure_target`)."""

    var: np.ndarray  # (3,) deg^2; 0 for a still axis
    speed: float  # mean speed, deg/s
    freq: np.ndarray  # (3,) Hz, effective frequency of the low band
    spread: np.ndarray  # (3,) p10 / p90 of window peaks
    spread_weight: float  # 0..1, trust in ``spread``
    width: np.ndarray  # (3,) log(f80 / f20)
    cycles: np.ndarray  # (3,) cycles of the effective frequency in the track
    moving: np.ndarray  # (3,) bool
    ratio: float | None  # speech / silence mean-speed ratio (noise-corrected), None if not measurable


def _measure_target(x: np.ndarray, fps: float, mask: np.ndarray | None, noise: np.ndarray) -> _Target:
    """Features of the median-free track ``x`` (N, 3) with the estimator ``noise`` (std per axis) removed."""
    measured = _Features.of(_signals(x, fps))
    noise_track = _unit_noise(fps) * noise
    floor = _Features.of(_signals(noise_track, fps))
    moving = measured.var - floor.var > STILL_DEG**2
    var = np.where(moving, _without_noise(measured.var, floor.var, squared=True), 0.0)
    speed = float(_without_noise(measured.speed, floor.speed))
    low_var = _without_noise(measured.low_var, floor.low_var, squared=True)
    low_speed = _without_noise(measured.low_speed, floor.low_speed)
    freq = _FREQUENCY_FACTOR * low_speed / np.sqrt(np.maximum(low_var, 1e-12))
    peaks = _window_peaks(_lowpass(x, fps), fps)
    spread_weight = len(peaks) / (len(peaks) + _SHRINK_WINDOWS) if len(peaks) >= 2 else 0.0
    ratio = None
    if mask is not None:
        speaking = mask >= SPEECH_THRESHOLD
        if min(int(speaking.sum()), int((~speaking).sum())) >= MIN_PHASE_S * fps:
            speed_per_frame = angular_speed(x * moving, fps)
            noise_speed = float(angular_speed(noise_track * moving, fps).mean())
            talk = _without_noise(float(speed_per_frame[speaking].mean()), noise_speed)
            quiet = _without_noise(float(speed_per_frame[~speaking].mean()), noise_speed)
            ratio = float(talk / max(float(quiet), 1e-9))
    return _Target(
        var=var, speed=speed, freq=freq, spread=_spread(peaks), spread_weight=spread_weight,
        width=_spectral_width(x, fps), cycles=len(x) / fps * freq, moving=moving, ratio=ratio,
    )


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
    axes = [getattr(base, name) for name in _AXES]
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
        self.o = [_signals(a, fps) for a in oscillation]
        self.j = [_signals(a, fps) for a in jitter]
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

    def features(self, k: np.ndarray, jitter: float) -> _Features:
        """Features of k O + J j, averaged over the seeds."""
        per_seed = [
            _Features.of({key: k * so[key] + jitter * sj[key] for key in so})
            for so, sj in zip(self.o, self.j, strict=True)
        ]
        return _Features(
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
        spread = np.mean([_spread(_window_peaks(low, self.fps)) for low in comp.combine("low", k, jitter)], axis=0)
        outputs = comp.combine("raw", k, jitter)
        widths = [
            _spectral_width(out[start : start + self.n_source], self.fps)
            for out in outputs
            for start in range(0, len(out) - self.n_source + 1, self.n_source)
        ]
        return spread, np.mean(widths, axis=0)


def _solve_amplitudes(comp: _Components, target: _Target) -> tuple[np.ndarray, float]:
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


def _calibrate_shape(sim: _Simulator, p: _Params, target: _Target, base_p: _Params, iterations: int) -> _Params:
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
        freq = _FREQUENCY_FACTOR * generated.low_speed / np.sqrt(np.maximum(generated.low_var, 1e-12))
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
    if target_ratio <= 1.0 or sim.mask is None:
        return 1.0

    def ratio(floor: float) -> float:
        outputs = sim.run(_build_settings(sim.base, replace(p, floor=floor)))
        return float(np.mean([speech_silence_motion_ratio(a, sim.mask, sim.fps, SPEECH_THRESHOLD) for a in outputs]))

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
    target = _measure_target(x, fps, mask, noise)
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


# --------------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """``value`` with tuples as lists and numpy scalars as Python numbers (what JSON reads back)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value.item() if isinstance(value, np.generic) else value


def style_to_dict(style: Style) -> dict[str, Any]:
    """JSON-serialisable form of ``style`` (see the module docs); seed and intensity are not stored."""
    if not isinstance(style, Style):
        raise SettingsError(f"Expected a Style, got {type(style).__name__}.")
    settings = _plain(asdict(style.settings))
    settings.pop("seed", None)
    settings.pop("intensity", None)
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": style.name,
        "settings": settings,
        "stats": _plain(asdict(style.stats)),
    }


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _pair(value: Any, where: str) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2 or not all(_is_number(v) for v in value):
        raise SettingsError(f"{where} must be a [low, high] pair of numbers, got {value!r}.")
    return (float(value[0]), float(value[1]))


def _settings_from_dict(data: Any) -> SyntheticSettings:
    if not isinstance(data, dict):
        raise SettingsError("'settings' must be an object.")
    defaults = SyntheticSettings()
    values: dict[str, Any] = {}
    for name in _AXES:
        axis = data.get(name)
        if not isinstance(axis, dict):
            raise SettingsError(f"settings.{name} must be an object with amplitude_deg and period_s.")
        for key in ("amplitude_deg", "period_s"):
            if key not in axis:
                raise SettingsError(f"settings.{name} is missing '{key}'.")
        bias = axis.get("bias_deg", 0.0)
        if not _is_number(bias):
            raise SettingsError(f"settings.{name}.bias_deg must be a number, got {bias!r}.")
        values[name] = AxisMotion(
            _pair(axis["amplitude_deg"], f"settings.{name}.amplitude_deg"),
            _pair(axis["period_s"], f"settings.{name}.period_s"),
            float(bias),
        )
    if "segment_s" in data:
        values["segment_s"] = _pair(data["segment_s"], "settings.segment_s")
    for key in ("jitter_deg", "jitter_cutoff_hz", "settle_s", "silence_floor", "rest_s"):
        if key in data:
            if not _is_number(data[key]):
                raise SettingsError(f"settings.{key} must be a number, got {data[key]!r}.")
            values[key] = float(data[key])
    return replace(defaults, **values, intensity=1.0, seed=0).validate()


def _stats_from_dict(data: Any) -> StyleStats:
    if data is None:
        return StyleStats()
    if not isinstance(data, dict):
        raise SettingsError("'stats' must be an object.")
    values: dict[str, Any] = {}
    for item in fields(StyleStats):
        value = data.get(item.name)
        if value is None:
            continue
        if item.name in _TRIPLE_STATS:
            if not isinstance(value, list) or len(value) != 3 or not all(_is_number(v) for v in value):
                raise SettingsError(f"stats.{item.name} must be a list of 3 numbers, got {value!r}.")
            values[item.name] = (float(value[0]), float(value[1]), float(value[2]))
        elif _is_number(value):
            values[item.name] = float(value)
        else:
            raise SettingsError(f"stats.{item.name} must be a number or null, got {value!r}.")
    return StyleStats(**values)


def style_from_dict(data: Any) -> Style:
    """:class:`Style` from the form written by :func:`style_to_dict`.

    Settings fields other than the three axes may be left out (the CONVERSATIONAL defaults fill them);
    unknown keys are ignored; ``stats`` may be missing. Raises :class:`SettingsError` naming the first
    problem (not a style, a newer version, a missing or invalid field).
    """
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SettingsError(f'not a Head Motion style (missing "format": "{FORMAT}").')
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise SettingsError(f"invalid version {version!r}.")
    if version > VERSION:
        raise SettingsError(f"version {version} is newer than this Head Motion reads ({VERSION}); update the add-on.")
    name = data.get("name", "")
    if not isinstance(name, str):
        raise SettingsError(f"'name' must be a string, got {name!r}.")
    if "settings" not in data:
        raise SettingsError("missing 'settings'.")
    return Style(name, _settings_from_dict(data["settings"]), _stats_from_dict(data.get("stats")))


def save_style(style: Style, path: str | os.PathLike) -> None:
    """Write ``style`` to ``path`` as JSON (indented, UTF-8). Raises :class:`SettingsError` if it cannot."""
    path = Path(path)
    style.settings.validate()
    try:
        text = json.dumps(style_to_dict(style), indent=2, allow_nan=False) + "\n"
    except ValueError as exc:
        raise SettingsError(f"Cannot save style '{path}': {exc}.") from None
    try:
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except OSError as exc:
        raise SettingsError(f"Cannot write style file '{path}': {exc.strerror or exc}.") from None


def load_style(path: str | os.PathLike) -> Style:
    """Read a style written by :func:`save_style`. Raises :class:`SettingsError` naming the file and problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise SettingsError(f"Cannot read style file '{path}': {reason}.") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SettingsError(f"Malformed style file '{path}': not valid JSON ({exc}).") from None
    try:
        return style_from_dict(data)
    except SettingsError as exc:
        raise SettingsError(f"Malformed style file '{path}': {exc}") from None
