"""Clean-up of measured tracks: outlier rejection, gap filling and stabilisers (numpy only).

Conventions as in :mod:`core.filters`: axis 0 is time, one sample per frame; ``(N,)`` or ``(N, K)``
signals (channels are filtered independently); widths in frames, cut-off frequencies in hertz,
``fps`` in frames per second. Missing samples are NaN where a function says so.

* :func:`hampel` marks isolated spikes (a sample far from the median of its neighbours).
* :func:`fill_gaps` interpolates missing samples linearly and reports the gaps.
* :func:`one_euro` is the 1€ filter (Casiez et al., CHI 2012): an adaptive low-pass whose cut-off
  rises with speed, so slow drifts are smoothed hard and fast turns lag little.
* :func:`stabilize` applies the chosen stabiliser: ``"gaussian"`` (zero-phase Gaussian of
  :func:`core.filters.gaussian_smooth`, the temporal filter of the PoseGAN paper), ``"one_euro"`` or
  ``"none"``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from ..checks import positive_number
from ..errors import SettingsError
from ..filters import gaussian_smooth

STABILIZERS: tuple[str, ...] = ("gaussian", "one_euro", "none")

#: Scale from the median absolute deviation to the standard deviation of Gaussian noise.
_MAD_TO_STD = 1.4826


_positive = positive_number


def _as_columns(x: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 0:
        raise SettingsError("A signal needs a time axis (shape (N,) or (N, K)).")
    return a.reshape(a.shape[0], -1), a.shape


def hampel(x: np.ndarray, half_window: int = 5, n_sigmas: float = 4.0, floor: float = 0.0) -> np.ndarray:
    """Boolean mask (N,) of outlier frames by the Hampel rule; NaN samples are ignored (never outliers).

    A frame is an outlier when, in any channel, it lies more than ``n_sigmas`` robust standard
    deviations (1.4826 x the median absolute deviation, at least ``floor`` in signal units) from the
    median of the ``2 * half_window + 1`` frames centred on it. A smooth ramp or turn is never flagged
    (the median follows it); a one- or two-frame spike is.
    """
    cols, _ = _as_columns(x)
    half = int(half_window)
    if half < 1:
        raise SettingsError(f"The Hampel half window must be at least 1 frame, got {half_window!r}.")
    n_sigmas = _positive(n_sigmas, "n_sigmas")
    floor = _positive(floor, "floor", allow_zero=True)
    n = cols.shape[0]
    out = np.zeros(n, dtype=bool)
    if n < 3 or not np.isfinite(cols).any():
        return out
    padded = np.pad(cols, ((half, half), (0, 0)), constant_values=np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1, axis=0)  # (N, K, W)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows give NaN, never outliers
        median = np.nanmedian(windows, axis=2)
        mad = np.nanmedian(np.abs(windows - median[..., None]), axis=2)
    scale = np.maximum(_MAD_TO_STD * mad, floor)
    with np.errstate(invalid="ignore"):
        bad = np.abs(cols - median) > n_sigmas * scale
    return np.any(bad & np.isfinite(cols), axis=1)


@dataclass(frozen=True)
class Gap:
    """A run of missing frames: ``start`` (first missing index) and ``length`` in frames."""

    start: int
    length: int

    @property
    def stop(self) -> int:
        """Index one past the last missing frame."""
        return self.start + self.length


def find_gaps(valid: np.ndarray) -> list[Gap]:
    """Runs of ``False`` in a boolean mask (N,), in time order."""
    v = np.asarray(valid, dtype=bool)
    edges = np.diff(np.concatenate([[1], v.astype(np.int8), [1]]))
    starts = np.flatnonzero(edges == -1)
    stops = np.flatnonzero(edges == 1)
    return [Gap(int(a), int(b - a)) for a, b in zip(starts, stops, strict=True)]


def fill_gaps(x: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Copy of ``x`` (N,) or (N, K) with the frames where ``valid`` is False filled in.

    Interior gaps are interpolated linearly between the valid frames on either side; frames before
    the first or after the last valid frame hold that frame's value. Raises :class:`SettingsError`
    when no frame is valid.
    """
    cols, shape = _as_columns(x)
    v = np.asarray(valid, dtype=bool)
    if v.shape != (cols.shape[0],):
        raise SettingsError(f"valid must have one flag per frame ({cols.shape[0]}), got shape {v.shape}.")
    if not v.any():
        raise SettingsError("Cannot fill gaps: no frame holds a value.")
    known = np.flatnonzero(v)
    t = np.arange(cols.shape[0], dtype=np.float64)
    out = np.empty_like(cols)
    for k in range(cols.shape[1]):
        out[:, k] = np.interp(t, known, cols[known, k])
    return out.reshape(shape)


def _smoothing_factor(cutoff_hz: np.ndarray, fps: float) -> np.ndarray:
    """Exponential smoothing factor of a first-order low-pass at ``cutoff_hz`` sampled at ``fps``."""
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau * fps)


def _one_euro_pass(cols: np.ndarray, fps: float, min_cutoff: float, beta: float, d_cutoff: float) -> np.ndarray:
    out = np.empty_like(cols)
    out[0] = cols[0]
    speed = np.zeros(cols.shape[1])
    alpha_d = _smoothing_factor(np.asarray(d_cutoff), fps)
    for i in range(1, cols.shape[0]):
        raw_speed = (cols[i] - out[i - 1]) * fps
        speed += alpha_d * (raw_speed - speed)
        alpha = _smoothing_factor(min_cutoff + beta * np.abs(speed), fps)
        out[i] = out[i - 1] + alpha * (cols[i] - out[i - 1])
    return out


def one_euro(
    x: np.ndarray,
    fps: float,
    min_cutoff: float = 1.0,
    beta: float = 0.1,
    d_cutoff: float = 1.0,
    zero_phase: bool = False,
) -> np.ndarray:
    """1€ filter along axis 0, same shape as ``x`` (all samples finite).

    ``min_cutoff`` (Hz): cut-off when still, lower = smoother and laggier; ``beta`` (Hz per signal
    unit per second, e.g. per deg/s): how fast the cut-off rises with speed; ``d_cutoff`` (Hz):
    cut-off of the speed estimate. ``zero_phase`` runs the filter forward and then backward over the
    result (offline use), cancelling the lag. Channels are independent.
    """
    fps = _positive(fps, "fps")
    min_cutoff = _positive(min_cutoff, "min_cutoff")
    beta = _positive(beta, "beta", allow_zero=True)
    d_cutoff = _positive(d_cutoff, "d_cutoff")
    cols, shape = _as_columns(x)
    if cols.shape[0] < 2:
        return cols.reshape(shape).copy()
    out = _one_euro_pass(cols, fps, min_cutoff, beta, d_cutoff)
    if zero_phase:
        out = _one_euro_pass(out[::-1], fps, min_cutoff, beta, d_cutoff)[::-1]
    return np.ascontiguousarray(out).reshape(shape)


def stabilize(
    x: np.ndarray,
    fps: float,
    method: str = "gaussian",
    sigma_frames: float = 1.5,
    min_cutoff: float = 1.0,
    beta: float = 0.1,
    d_cutoff: float = 1.0,
    zero_phase: bool = True,
) -> np.ndarray:
    """Stabilise a finite signal along axis 0 with ``method`` in :data:`STABILIZERS` (same shape).

    ``"gaussian"``: :func:`core.filters.gaussian_smooth` with ``sigma_frames``; ``"one_euro"``:
    :func:`one_euro` with the 1€ parameters; ``"none"``: a copy.
    """
    if method == "gaussian":
        return gaussian_smooth(x, _positive(sigma_frames, "sigma_frames", allow_zero=True))
    if method == "one_euro":
        return one_euro(x, fps, min_cutoff, beta, d_cutoff, zero_phase)
    if method == "none":
        return np.array(x, dtype=np.float64)
    raise SettingsError(f"Unknown stabiliser {method!r}; use one of {', '.join(STABILIZERS)}.")
