"""Saccades: the main-sequence duration of a gaze shift and the rendering of a sequence of gaze steps into
per-frame angles.

Main sequence: a saccade of amplitude A degrees lasts ``21 ms + 2.2 ms * A`` (Carpenter 1988, after Baloh et
al. 1975). The eye follows a minimum-jerk profile ``10 s^3 - 15 s^4 + 6 s^5`` over that duration (bell-shaped
velocity, no overshoot), so the movement starts and ends exactly on the main-sequence times.

Steps are given as onset times (seconds) and target values (degrees, one column per angle); the value before
the first step is ``initial``. Every step ends before the next one starts (the caller spaces them), so a frame
depends on one step only and the rendering is a single vectorised pass.
"""

from __future__ import annotations

import numpy as np

#: Main sequence: duration (seconds) = MAIN_SEQUENCE_S[0] + MAIN_SEQUENCE_S[1] * amplitude (degrees).
MAIN_SEQUENCE_S = (0.021, 0.0022)


def saccade_duration(amplitude_deg: np.ndarray | float) -> np.ndarray:
    """Main-sequence duration in seconds of saccades of ``amplitude_deg`` degrees (array or scalar)."""
    amplitude = np.abs(np.asarray(amplitude_deg, dtype=np.float64))
    return MAIN_SEQUENCE_S[0] + MAIN_SEQUENCE_S[1] * amplitude


def min_jerk(s: np.ndarray) -> np.ndarray:
    """Minimum-jerk position profile on normalised time ``s`` (clipped to 0..1): 0 -> 0, 1 -> 1."""
    s = np.clip(s, 0.0, 1.0)
    return s * s * s * (10.0 - 15.0 * s + 6.0 * s * s)


def render_steps(times: np.ndarray, onsets: np.ndarray, values: np.ndarray, initial: np.ndarray,
                 durations: np.ndarray | None = None) -> np.ndarray:
    """Per-sample angles (len(times), k) of gaze steps.

    ``onsets`` (M,) seconds, sorted; ``values`` (M, k) degrees reached by each step; ``initial`` (k,) the value
    before the first step; ``durations`` (M,) seconds, default the main sequence of each step's amplitude (the
    Euclidean size of the change over the k angles).
    """
    initial = np.asarray(initial, dtype=np.float64).reshape(-1)
    values = np.asarray(values, dtype=np.float64).reshape(len(onsets), len(initial))
    starts = np.vstack([initial[None, :], values[:-1]]) if len(values) else np.zeros((0, len(initial)))
    if durations is None:
        durations = saccade_duration(np.linalg.norm(values - starts, axis=1))
    if len(onsets) == 0:
        return np.repeat(initial[None, :], len(times), axis=0)
    index = np.searchsorted(onsets, times, side="right") - 1
    table = np.vstack([initial[None, :], values])
    out = table[index + 1]  # the value each frame has reached (before the first step: initial)
    i = np.maximum(index, 0)
    s = (times - onsets[i]) / np.maximum(durations[i], 1e-9)
    moving = np.flatnonzero((index >= 0) & (s < 1.0))
    j = index[moving]
    out[moving] = starts[j] + (values[j] - starts[j]) * min_jerk(s[moving])[:, None]
    return out
