"""Head-motion metrics (definitions as in the project's measurements of real speakers).

Inputs are head angles in DEGREES, (N, 3) = [yaw, pitch, roll] per frame (any (N, K) or (N,) works, and
a :class:`~core.track.PoseTrack` is accepted wherever angles are), sampled at ``fps`` frames per second.
The head's angular speed is the Euclidean norm of the per-axis angle derivative (central differences),
in degrees per second; speeds of tracks at different frame rates are therefore comparable.

* :func:`per_axis_std` - standard deviation per axis (deg).
* :func:`mean_frame_change` - Delta-P: mean norm of the change between consecutive frames (deg).
* :func:`mean_speed` - mean angular speed (deg/s).
* :func:`dominant_frequency` - frequency (Hz) of the strongest motion component.
* :func:`speech_silence_motion_ratio` - mean speed while speaking / while silent.
* :func:`beat_align_score` - mean over audio onsets of exp(-d^2 / (2 sigma^2)), d = frames from the onset
  to the nearest local minimum of the Gaussian-smoothed head speed (1 = every onset on a speed minimum).
* :func:`speed_histogram_distance` - distance between the speed distributions of two tracks (deg/s).
"""

from __future__ import annotations

import math

import numpy as np

from .checks import positive_number
from .errors import SettingsError, TrackError
from .filters import gaussian_smooth


def _angles(angles: object) -> np.ndarray:
    """(N, K) float64 copy of angles (a PoseTrack, (N,) or (N, K)); raises TrackError if empty or non-finite."""
    values = angles.angles if hasattr(angles, "angles") else angles
    try:
        a = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TrackError("angles must be an array of numbers (degrees), one row per frame.") from None
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[0] == 0:
        raise TrackError(f"angles must have shape (N,) or (N, axes) with N >= 1, got {a.shape}.")
    if not np.isfinite(a).all():
        raise TrackError("angles hold NaN or infinite values.")
    return a


def _fps(fps: float) -> float:
    return positive_number(fps, "fps")


def angular_speed(angles: object, fps: float) -> np.ndarray:
    """Head speed per frame (N,) in deg/s: norm over axes of the central-difference derivative."""
    a = _angles(angles)
    fps = _fps(fps)
    if len(a) < 2:
        return np.zeros(len(a))
    return np.linalg.norm(np.gradient(a, axis=0), axis=1) * fps


def per_axis_std(angles: object) -> np.ndarray:
    """Standard deviation of each axis (K,) in degrees (population std, ddof = 0)."""
    return _angles(angles).std(axis=0)


def mean_frame_change(angles: object) -> float:
    """Delta-P: mean over consecutive frame pairs of the norm of the angle change, in degrees."""
    a = _angles(angles)
    if len(a) < 2:
        raise TrackError("the mean per-frame change needs at least 2 frames.")
    return float(np.linalg.norm(np.diff(a, axis=0), axis=1).mean())


def mean_speed(angles: object, fps: float) -> float:
    """Mean angular speed in deg/s (= Delta-P x fps)."""
    return mean_frame_change(angles) * _fps(fps)


def dominant_frequency(angles: object, fps: float, min_hz: float | None = None, max_hz: float | None = None) -> float:
    """Frequency (Hz) with the most motion power, all axes together.

    Each axis has its straight-line trend removed (a slow drift over the whole clip is not a rhythm), is
    Hann-windowed and zero-padded to at least 8x its length; the power spectra are summed over axes and
    the peak is searched between ``min_hz`` (default 1 / duration: at least one full cycle in the clip)
    and ``max_hz`` (default fps / 2). Returns NaN for a motionless track or fewer than 4 frames.
    """
    a = _angles(angles)
    fps = _fps(fps)
    n = len(a)
    if n < 4:
        return float("nan")
    t = np.arange(n, dtype=np.float64)
    design = np.column_stack([np.ones(n), t - t.mean()])
    coefficients, *_ = np.linalg.lstsq(design, a, rcond=None)
    residual = a - design @ coefficients
    window = np.hanning(n)[:, None]
    size = 1 << max(8 * n - 1, 1).bit_length()
    power = (np.abs(np.fft.rfft(residual * window, n=size, axis=0)) ** 2).sum(axis=1)
    freqs = np.fft.rfftfreq(size, 1.0 / fps)
    low = fps / n if min_hz is None else float(min_hz)
    high = fps / 2.0 if max_hz is None else float(max_hz)
    band = (freqs >= low) & (freqs <= high)
    if not band.any() or power[band].max() <= 1e-20 * max(1.0, float(np.sum(residual**2))):
        return float("nan")
    return float(freqs[band][np.argmax(power[band])])


def speech_silence_motion_ratio(angles: object, speech_mask: np.ndarray, fps: float, threshold: float = 0.5) -> float:
    """Mean head speed while speaking / mean head speed while silent (speech = mask >= ``threshold``).

    > 1 means the head moves more while talking, as real speakers do. NaN when the clip has no speech or
    no silence; infinity when the head is perfectly still in silence but moves in speech.
    """
    speed = angular_speed(angles, fps)
    mask = np.asarray(speech_mask, dtype=np.float64)
    if mask.shape != speed.shape:
        raise SettingsError(f"speech_mask needs one value per frame ({len(speed)}), got shape {mask.shape}.")
    speaking = mask >= float(threshold)
    if speaking.all() or not speaking.any():
        return float("nan")
    talk, quiet = float(speed[speaking].mean()), float(speed[~speaking].mean())
    if quiet == 0.0:
        return float("inf") if talk > 0.0 else float("nan")
    return talk / quiet


def speed_minima(angles: object, smooth_sigma: float = 2.0) -> np.ndarray:
    """Frame indices of the local minima of the head speed, Gaussian-smoothed with ``smooth_sigma`` frames.

    A minimum is a frame strictly below its predecessor and not above its successor (the first frame of
    a flat bottom); the first and last frames are never minima.
    """
    a = _angles(angles)
    if len(a) < 3:
        return np.zeros(0, dtype=np.int64)
    speed = np.linalg.norm(np.gradient(a, axis=0), axis=1)
    smooth = gaussian_smooth(speed, float(smooth_sigma))
    inner = (smooth[1:-1] < smooth[:-2]) & (smooth[1:-1] <= smooth[2:])
    return np.flatnonzero(inner) + 1


def beat_align_score(
    onset_frames: np.ndarray, angles: object, sigma_frames: float = 3.0, smooth_sigma: float = 2.0
) -> float:
    """Beat Align Score: mean over onsets of exp(-d^2 / (2 sigma_frames^2)), in [0, 1].

    ``onset_frames``: frame indices of audio onsets/accents; ``d`` is the distance in frames from each
    to the nearest local minimum of the head speed smoothed with a Gaussian of ``smooth_sigma`` frames
    (:func:`speed_minima`; 2 frames at 25 fps is about the 5 frames at 60 fps used for dance motion).
    Onsets outside the track are ignored; NaN when no onset is left; 0 when the speed has no minimum.
    """
    a = _angles(angles)
    sigma = float(sigma_frames)
    if not math.isfinite(sigma) or sigma <= 0.0:
        raise SettingsError(f"sigma_frames must be a number of frames > 0, got {sigma_frames!r}.")
    onsets = np.asarray(onset_frames, dtype=np.float64).reshape(-1)
    onsets = onsets[(onsets >= 0) & (onsets <= len(a) - 1)]
    if len(onsets) == 0:
        return float("nan")
    minima = speed_minima(a, smooth_sigma).astype(np.float64)
    if len(minima) == 0:
        return 0.0
    slot = np.searchsorted(minima, onsets)
    before = minima[np.clip(slot - 1, 0, len(minima) - 1)]
    after = minima[np.clip(slot, 0, len(minima) - 1)]
    distance = np.minimum(np.abs(onsets - before), np.abs(onsets - after))
    return float(np.mean(np.exp(-(distance**2) / (2.0 * sigma * sigma))))


def speed_histogram_distance(
    a: object, b: object, fps: float, kind: str = "wasserstein", bins: int = 40, max_speed: float = 200.0
) -> float:
    """Distance between the head-speed distributions of two tracks at the same ``fps``.

    ``kind="wasserstein"`` (default): the earth mover's distance in deg/s between the two empirical
    speed distributions (mean absolute difference of their quantile functions; 0 = same distribution,
    no binning). ``kind="js"``: Jensen-Shannon divergence (base 2, in [0, 1]) of speed histograms with
    ``bins`` equal bins from 0 to ``max_speed`` deg/s (faster speeds go into the last bin).
    """
    fps = _fps(fps)
    speed_a, speed_b = angular_speed(a, fps), angular_speed(b, fps)
    if kind == "wasserstein":
        levels = np.linspace(0.0, 100.0, 1001)
        midpoints = 0.5 * (levels[1:] + levels[:-1])
        qa = np.percentile(speed_a, midpoints)
        qb = np.percentile(speed_b, midpoints)
        return float(np.mean(np.abs(qa - qb)))
    if kind == "js":
        if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
            raise SettingsError(f"bins must be an integer >= 1, got {bins!r}.")
        edges = np.linspace(0.0, float(max_speed), int(bins) + 1)
        pa = np.histogram(np.minimum(speed_a, max_speed), edges)[0].astype(np.float64)
        pb = np.histogram(np.minimum(speed_b, max_speed), edges)[0].astype(np.float64)
        pa /= pa.sum()
        pb /= pb.sum()
        mid = 0.5 * (pa + pb)

        def divergence(p: np.ndarray) -> float:
            used = p > 0
            return float(np.sum(p[used] * np.log2(p[used] / mid[used])))

        return 0.5 * divergence(pa) + 0.5 * divergence(pb)
    raise SettingsError(f"kind must be 'wasserstein' or 'js', got {kind!r}.")
