"""Per-frame presentation times of a video, and per-frame signals put onto a regular frame grid by time.

Times are seconds from the start of the file (where its sound starts too); frame rates are frames per
second. A video's frames need not be evenly spaced: phones record at a variable frame rate, and a file
whose frames are taken as ``index / fps`` then drifts against its own sound. :func:`frame_times` takes
the container's presentation time of every decoded frame (OpenCV's ``CAP_PROP_POS_MSEC`` after each
read, in milliseconds) and :func:`resample_by_time` puts per-frame values onto the grid ``k / fps``
(``k = 0, 1, …``) of a scene's frame rate, so a track and the video's sound line up frame by frame.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import SettingsError


def container_times(msec: Sequence[float] | np.ndarray) -> np.ndarray | None:
    """(N,) seconds from the container's per-frame times ``msec`` (milliseconds), or ``None`` when they are
    not usable (none, any not finite or negative, or not strictly increasing)."""
    t = np.asarray(msec, dtype=np.float64).reshape(-1) / 1000.0
    if t.size and np.all(np.isfinite(t)) and t[0] >= 0.0 and (t.size == 1 or np.all(np.diff(t) > 0.0)):
        return t
    return None


def frame_times(msec: Sequence[float] | np.ndarray, fps: float) -> np.ndarray:
    """(N,) presentation times in seconds: :func:`container_times`, or evenly spaced frames ``index / fps``
    where the container gives no usable times."""
    t = container_times(msec)
    if t is not None:
        return t
    if not (np.isfinite(fps) and fps > 0.0):
        raise SettingsError(f"The frame rate must be a positive number, got {fps}.")
    return np.arange(len(msec)) / float(fps)


def is_constant_rate(times: np.ndarray, fps: float) -> bool:
    """Every frame lies within a quarter of a frame of ``first + index / fps``."""
    t = np.asarray(times, dtype=np.float64)
    if t.size < 2:
        return True
    if not (np.isfinite(fps) and fps > 0.0):
        return False
    expected = t[0] + np.arange(t.size) / fps
    return bool(np.max(np.abs(t - expected)) <= 0.25 / fps)


def mean_rate(times: np.ndarray) -> float:
    """Frames per second over the span of ``times`` ((N - 1) / duration; NaN for fewer than 2 frames)."""
    t = np.asarray(times, dtype=np.float64)
    if t.size < 2 or not t[-1] > t[0]:
        return float("nan")
    return float((t.size - 1) / (t[-1] - t[0]))


def grid_times(times: np.ndarray, fps: float) -> np.ndarray:
    """The regular grid ``k / fps`` seconds from 0 up to the last frame's time (inclusive, to 1e-6 frames)."""
    if not (np.isfinite(fps) and fps > 0.0):
        raise SettingsError(f"The frame rate must be a positive number, got {fps}.")
    t = np.asarray(times, dtype=np.float64)
    last = float(t[-1]) if t.size else 0.0
    return np.arange(int(np.floor(last * fps + 1e-6)) + 1) / float(fps)


def resample_by_time(values: np.ndarray, times: np.ndarray, fps: float) -> np.ndarray:
    """``values`` (N,) or (N, ...) sampled at ``times`` (seconds), linearly interpolated onto
    :func:`grid_times`; grid points before the first frame take the first frame's value. Evenly spaced
    frames starting at 0 with ``fps`` equal to their rate come back unchanged."""
    v = np.asarray(values, dtype=np.float64)
    t = np.asarray(times, dtype=np.float64)
    if v.shape[0] != t.shape[0] or t.size == 0:
        raise SettingsError(f"{v.shape[0]} values for {t.shape[0]} frame times.")
    grid = grid_times(t, fps)
    if grid.size == t.size and np.allclose(grid, t, rtol=0.0, atol=1e-9):
        return v.copy()  # already on the grid: exactly the values
    flat = v.reshape(v.shape[0], -1)
    out = np.column_stack([np.interp(grid, t, flat[:, i]) for i in range(flat.shape[1])])
    return out.reshape((grid.size, *v.shape[1:]))
