"""Small signal helpers (numpy only) shared by the synthetic generator and the estimator.

Conventions: axis 0 of every signal is time, one sample per frame. Widths and sigmas are in frames
(samples) unless a parameter name ends in ``_s`` (seconds); cut-off frequencies are in hertz. All
inputs must be finite: NaN would spread through the running sums and convolutions used here.
"""

from __future__ import annotations

import math

import numpy as np

from .checks import positive_number
from .errors import SettingsError

#: Kernels longer than this are applied through the FFT instead of ``np.convolve``.
_FFT_MIN_KERNEL = 200

#: sigma (seconds) of a Gaussian smoothing kernel = this / cut-off (Hz). At the cut-off the kernel's
#: power response exp(-4 pi^2 sigma^2 f^2) is one half (-3 dB).
GAUSSIAN_SIGMA_PER_HZ = math.sqrt(math.log(2.0)) / (2.0 * math.pi)




def gaussian_sigma_s(cutoff_hz: float) -> float:
    """Sigma in seconds of the Gaussian kernel whose -3 dB (half power) point is ``cutoff_hz``."""
    cutoff_hz = float(cutoff_hz)
    if not math.isfinite(cutoff_hz) or cutoff_hz <= 0.0:
        raise SettingsError(f"cut-off frequency must be a finite number > 0 Hz, got {cutoff_hz!r}.")
    return GAUSSIAN_SIGMA_PER_HZ / cutoff_hz


def gaussian_kernel(sigma_frames: float, truncate: float = 3.0) -> np.ndarray:
    """Symmetric Gaussian kernel (odd length 2*ceil(truncate*sigma)+1) normalised to sum 1."""
    sigma = positive_number(sigma_frames, "sigma_frames", allow_zero=True)
    radius = math.ceil(positive_number(truncate, "truncate", allow_zero=True) * sigma)
    if sigma == 0.0 or radius == 0:
        return np.ones(1)
    offsets = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    return kernel / kernel.sum()


def convolve_valid(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """'valid' convolution of 1-D ``x`` with 1-D ``kernel``: ``len(x) - len(kernel) + 1`` samples.

    Output sample i is ``sum_j kernel[j] * x[i + len(kernel) - 1 - j]`` (true convolution: the kernel
    is flipped). Long kernels go through the FFT so the cost stays O(N log N).
    """
    x = np.asarray(x, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    n, m = len(x), len(kernel)
    if m == 0 or m > n:
        raise SettingsError(f"kernel of {m} samples does not fit a signal of {n} samples.")
    if m <= _FFT_MIN_KERNEL:
        return np.convolve(x, kernel, mode="valid")
    nfft = 1 << (n + m - 2).bit_length()
    full = np.fft.irfft(np.fft.rfft(x, nfft) * np.fft.rfft(kernel, nfft), nfft)
    return full[m - 1 : n]


def _columns(x: np.ndarray) -> np.ndarray:
    """View of ``x`` as (N, K) with time on axis 0."""
    return x.reshape(x.shape[0], -1)


def moving_average(x: np.ndarray, window_frames: int) -> np.ndarray:
    """Centred moving average along axis 0, same shape as ``x`` ((N,) or (N, K, ...)).

    ``window_frames`` (rounded to an integer, >= 1) is the full window width; an even width is widened
    by one so the window stays centred. Near the ends the window shrinks to the samples that exist, so
    a constant signal stays exactly constant and nothing is invented beyond the edges.
    """
    a = np.asarray(x, dtype=np.float64)
    width = round(float(window_frames))
    if width < 1:
        raise SettingsError(f"moving-average window must be at least 1 frame, got {window_frames!r}.")
    if a.ndim == 0 or a.shape[0] < 2 or width < 2:
        return a.copy()
    half = width // 2
    n = a.shape[0]
    offset = a.mean(axis=0)  # running sums of centred data lose less precision on long signals
    sums = np.zeros((n + 1, *a.shape[1:]))
    np.cumsum(a - offset, axis=0, out=sums[1:])
    idx = np.arange(n)
    lo = np.maximum(idx - half, 0)
    hi = np.minimum(idx + half + 1, n)
    count = (hi - lo).astype(np.float64).reshape((n,) + (1,) * (a.ndim - 1))
    return (sums[hi] - sums[lo]) / count + offset


def gaussian_smooth(x: np.ndarray, sigma_frames: float, truncate: float = 3.0) -> np.ndarray:
    """Zero-phase Gaussian smoothing along axis 0, same shape as ``x``.

    ``sigma_frames`` is the kernel's standard deviation in frames (0 returns a copy); the kernel is cut
    at ``truncate`` sigmas. Edges are mirrored (``d c b a | a b c d | d c b a``, scipy's "reflect"), so
    constants stay exact and the ends do not sag toward zero as they would with zero padding.
    """
    a = np.asarray(x, dtype=np.float64)
    kernel = gaussian_kernel(sigma_frames, truncate)
    if a.ndim == 0 or a.shape[0] == 0 or len(kernel) == 1:
        return a.copy()
    radius = len(kernel) // 2
    cols = _columns(a)
    out = np.empty_like(cols)
    for k in range(cols.shape[1]):
        padded = np.pad(cols[:, k], radius, mode="symmetric")
        out[:, k] = convolve_valid(padded, kernel)
    return out.reshape(a.shape)


def causal_filter(x: np.ndarray, kernel: np.ndarray, reverse: bool = False) -> np.ndarray:
    """Apply a causal FIR ``kernel`` (kernel[0] weighs the current frame, kernel[j] frame i - j) to 1-D ``x``.

    The signal is assumed to have held its first value forever before frame 0, so a constant input
    passes unchanged when the kernel sums to 1. ``reverse=True`` runs the filter backwards in time
    (anti-causal: output i depends on frames i, i+1, ...).
    """
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 1:
        raise SettingsError(f"causal_filter expects a 1-D signal, got shape {a.shape}.")
    kernel = np.asarray(kernel, dtype=np.float64)
    if kernel.ndim != 1 or len(kernel) == 0:
        raise SettingsError(f"causal_filter expects a non-empty 1-D kernel, got shape {kernel.shape}.")
    if len(a) == 0 or len(kernel) == 1:
        return a * kernel[0]
    hold = np.full(len(kernel) - 1, a[-1] if reverse else a[0])
    if reverse:  # y[i] = sum_j kernel[j] * x[i + j], the signal holding its last value afterwards
        return convolve_valid(np.concatenate([a, hold]), kernel[::-1])
    return convolve_valid(np.concatenate([hold, a]), kernel)


def lowpass_noise(n: int, fps: float, cutoff_hz: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` samples of smooth Gaussian noise with unit standard deviation, sampled at ``fps``.

    White noise filtered by a Gaussian kernel whose -3 dB point is ``cutoff_hz`` (see
    :func:`gaussian_sigma_s`); extra noise is drawn beyond both ends so the result is stationary, and
    it is scaled by the kernel's energy (not by the sample std) so even a short draw has unit variance
    in expectation. The statistics in seconds do not depend on ``fps`` as long as the cut-off is below
    the Nyquist frequency ``fps / 2``. The first samples do not change when ``n`` grows.
    """
    n = int(n)
    if n < 0:
        raise SettingsError(f"number of noise samples must be >= 0, got {n}.")
    fps = float(fps)
    if not math.isfinite(fps) or fps <= 0.0:
        raise SettingsError(f"fps must be a finite number > 0, got {fps!r}.")
    sigma_frames = gaussian_sigma_s(cutoff_hz) * fps
    if n == 0:
        return np.zeros(0)
    if sigma_frames < 0.05:  # the kernel is a single tap: the noise is white at this sample rate
        return rng.standard_normal(n)
    kernel = gaussian_kernel(sigma_frames, truncate=4.0)
    kernel /= math.sqrt(float(np.sum(kernel**2)))
    white = rng.standard_normal(n + len(kernel) - 1)
    return convolve_valid(white, kernel)


def _eval_cubic(c0, c1, c2, c3, n_knots: int, positions: np.ndarray) -> np.ndarray:
    """Evaluate per-interval cubics c0 + c1 t + c2 t^2 + c3 t^3 (interval j: knot j to j + 1)."""
    pos = np.clip(np.asarray(positions, dtype=np.float64), 0.0, n_knots - 1.0)
    i = np.minimum(pos.astype(np.int64), n_knots - 2)
    t = pos - i
    out = c3[i]
    out *= t
    out += c2[i]
    out *= t
    out += c1[i]
    out *= t
    out += c0[i]
    return out


def _knot_windows(values: np.ndarray) -> tuple[np.ndarray, ...]:
    """(p0, p1, p2, p3) = knots j-1, j, j+1, j+2 for every interval j, the end knots repeated."""
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or len(v) == 0:
        raise SettingsError(f"spline evaluation needs a non-empty 1-D array of knots, got shape {v.shape}.")
    ext = np.concatenate([v[:1], v, v[-1:]])
    return ext[:-3], ext[1:-2], ext[2:-1], ext[3:]


def interp_cubic(values: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Catmull-Rom interpolation of 1-D ``values`` at fractional knot indices ``positions``.

    Passes through the knots and has a continuous slope (C1), unlike linear interpolation.
    ``positions`` (any shape) run 0 .. len(values) - 1 and are clamped outside that range.
    """
    p0, p1, p2, p3 = _knot_windows(values)
    if len(p1) == 0:
        return np.full(np.shape(positions), float(np.asarray(values, dtype=np.float64)[0]))
    c1 = 0.5 * (p2 - p0)
    c2 = p0 - 2.5 * p1 + 2.0 * p2 - 0.5 * p3
    c3 = 1.5 * (p1 - p2) + 0.5 * (p3 - p0)
    return _eval_cubic(p1, c1, c2, c3, len(p1) + 1, positions)


def bspline_cubic(values: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Uniform cubic B-spline with control points ``values``, at fractional knot indices ``positions``.

    Smooths rather than interpolates (value at knot j is (v[j-1] + 4 v[j] + v[j+1]) / 6) and is C2:
    angle, velocity and acceleration are continuous. Positions are clamped to 0 .. len(values) - 1.
    """
    p0, p1, p2, p3 = _knot_windows(values)
    if len(p1) == 0:
        return np.full(np.shape(positions), float(np.asarray(values, dtype=np.float64)[0]))
    c0 = (p0 + 4.0 * p1 + p2) / 6.0
    c1 = 0.5 * (p2 - p0)
    c2 = 0.5 * (p0 + p2) - p1
    c3 = (p3 - p0) / 6.0 + 0.5 * (p1 - p2)
    return _eval_cubic(c0, c1, c2, c3, len(p1) + 1, positions)
