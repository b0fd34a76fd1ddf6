"""What a learned style measures on a head-motion track: per-axis variance, effective frequency, movement-size
spread and spectral width, mean speed and the speech / silence speed ratio, with estimator noise discounted
(see :mod:`core.motion.style_fit` for how the fit uses them).

Units: angles in DEGREES, times in SECONDS, frequencies in HERTZ, speeds in DEGREES PER SECOND.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..filters import gaussian_sigma_s, gaussian_smooth, lowpass_noise
from ..metrics import angular_speed

#: Cut-off (Hz) of the low band whose effective frequency sets the periods.
LOW_BAND_HZ = 1.0
#: -3 dB cut-off (Hz) of the modelled estimator noise: the default stabiliser at 25 fps.
NOISE_CUTOFF_HZ = 2.2
#: Band (Hz) whose spectral percentiles measure the width of the period range.
SPECTRUM_BAND_HZ = (0.1, 2.0)
#: Frames with a speech weight >= this count as speaking.
SPEECH_THRESHOLD = 0.5
#: Window (seconds) whose peak |angle| is one "movement size" sample for the amplitude spread.
SPREAD_WINDOW_S = 2.5
#: An axis whose (noise-corrected) std is below this (degrees) is taken as still.
STILL_DEG = 0.02
#: Speech and silence must each last at least this long (seconds) for the silence floor to be learned.
MIN_PHASE_S = 1.0
#: Evidence (windows / cycles) at which a short track's spread / width features weigh half.
SHRINK_WINDOWS = 3.0


#: f = mean |x'| / (4 sqrt(2) std(x)) for a sine of frequency f: the effective frequency in hertz.
FREQUENCY_FACTOR = 1.0 / (4.0 * math.sqrt(2.0))


def _velocity(a: np.ndarray, fps: float) -> np.ndarray:
    """Per-frame change along axis 0 in units per second (as :func:`core.metrics.mean_speed` measures)."""
    return np.diff(a, axis=0) * fps


def _lowpass(a: np.ndarray, fps: float) -> np.ndarray:
    """Zero-phase Gaussian low-pass at :data:`LOW_BAND_HZ` along axis 0."""
    return gaussian_smooth(a, gaussian_sigma_s(LOW_BAND_HZ) * fps)


def signals(a: np.ndarray, fps: float) -> dict[str, np.ndarray]:
    """The linear transforms of an (N, 3) track the features are measured on: the angles, their velocity
    (deg/s), the low band and its velocity."""
    low = _lowpass(a, fps)
    return {"raw": a, "vel": _velocity(a, fps), "low": low, "low_vel": _velocity(low, fps)}


@dataclass
class Features:
    """Motion features of one track: per-axis variance (deg^2), mean speed (deg/s, norm over the axes),
    per-axis variance of the low band (deg^2) and mean |velocity| of the low band (deg/s)."""

    var: np.ndarray
    speed: float
    low_var: np.ndarray
    low_speed: np.ndarray

    @classmethod
    def of(cls, signals: dict[str, np.ndarray]) -> Features:
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


def window_peaks(x: np.ndarray, fps: float) -> np.ndarray:
    """(n_windows, 3) peak |x| of consecutive :data:`SPREAD_WINDOW_S` windows (a shorter track is one window)."""
    width = max(2, round(SPREAD_WINDOW_S * fps))
    if len(x) < width:
        return np.abs(x).max(axis=0, keepdims=True)
    n = len(x) // width
    return np.abs(x[: n * width].reshape(n, width, x.shape[1])).max(axis=1)


def peak_spread(peaks: np.ndarray) -> np.ndarray:
    """Per-axis movement-size spread p10 / p90 of window peaks (3,), in (0, 1]."""
    p10, p90 = np.percentile(peaks, [10.0, 90.0], axis=0)
    return np.clip(p10 / np.maximum(p90, 1e-9), 1e-3, 1.0)


def spectral_width(x: np.ndarray, fps: float) -> np.ndarray:
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
class Target:
    """Noise-corrected features of the source track (see :func:`measure_target`)."""

    var: np.ndarray  # (3,) deg^2; 0 for a still axis
    speed: float  # mean speed, deg/s
    freq: np.ndarray  # (3,) Hz, effective frequency of the low band
    spread: np.ndarray  # (3,) p10 / p90 of window peaks
    spread_weight: float  # 0..1, trust in ``spread``
    width: np.ndarray  # (3,) log(f80 / f20)
    cycles: np.ndarray  # (3,) cycles of the effective frequency in the track
    moving: np.ndarray  # (3,) bool
    ratio: float | None  # speech / silence mean-speed ratio (noise-corrected), None if not measurable


def measure_target(x: np.ndarray, fps: float, mask: np.ndarray | None, noise: np.ndarray) -> Target:
    """Features of the median-free track ``x`` (N, 3) with the estimator ``noise`` (std per axis) removed."""
    measured = Features.of(signals(x, fps))
    noise_track = _unit_noise(fps) * noise
    floor = Features.of(signals(noise_track, fps))
    moving = measured.var - floor.var > STILL_DEG**2
    var = np.where(moving, _without_noise(measured.var, floor.var, squared=True), 0.0)
    speed = float(_without_noise(measured.speed, floor.speed))
    low_var = _without_noise(measured.low_var, floor.low_var, squared=True)
    low_speed = _without_noise(measured.low_speed, floor.low_speed)
    freq = FREQUENCY_FACTOR * low_speed / np.sqrt(np.maximum(low_var, 1e-12))
    peaks = window_peaks(_lowpass(x, fps), fps)
    spread_weight = len(peaks) / (len(peaks) + SHRINK_WINDOWS) if len(peaks) >= 2 else 0.0
    ratio = None
    if mask is not None:
        speaking = mask >= SPEECH_THRESHOLD
        if min(int(speaking.sum()), int((~speaking).sum())) >= MIN_PHASE_S * fps:
            speed_per_frame = angular_speed(x * moving, fps)
            noise_speed = float(angular_speed(noise_track * moving, fps).mean())
            talk = _without_noise(float(speed_per_frame[speaking].mean()), noise_speed)
            quiet = _without_noise(float(speed_per_frame[~speaking].mean()), noise_speed)
            ratio = float(talk / max(float(quiet), 1e-9))
    return Target(
        var=var, speed=speed, freq=freq, spread=peak_spread(peaks), spread_weight=spread_weight,
        width=spectral_width(x, fps), cycles=len(x) / fps * freq, moving=moving, ratio=ratio,
    )
