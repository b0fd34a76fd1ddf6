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


def step_index(times: np.ndarray, onsets: np.ndarray) -> np.ndarray:
    """Per sample, the index of the last onset at or before it (-1 before the first): the same as
    ``searchsorted(onsets, times, side="right") - 1`` for sorted ``times`` and ``onsets``, counted from where each
    onset falls among the samples (M binary searches and one cumulative sum instead of N binary searches)."""
    first = np.searchsorted(times, onsets, side="left")
    return np.cumsum(np.bincount(first, minlength=len(times) + 1)[: len(times)]) - 1


def moving_samples(times: np.ndarray, onsets: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(samples, step) of the samples at or after each onset and before its end (and before the next onset),
    ascending: the only samples a step's movement touches."""
    first = np.searchsorted(times, onsets, side="left")
    stop = np.minimum(np.searchsorted(times, ends, side="left"), np.append(first[1:], len(times)))
    count = np.maximum(stop - first, 0)
    step = np.repeat(np.arange(len(onsets)), count)
    start = np.repeat(first - (np.cumsum(count) - count), count)
    return start + np.arange(len(step)), step


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
    table = np.vstack([initial[None, :], values])
    out = table.take(step_index(times, onsets) + 1, axis=0)  # the value each frame has reached (initial before)
    moving, j = moving_samples(times, onsets, onsets + durations)
    s = (times[moving] - onsets[j]) / np.maximum(durations[j], 1e-9)
    out[moving] = starts[j] + (values[j] - starts[j]) * min_jerk(s)[:, None]
    return out
