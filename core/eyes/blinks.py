"""Blinks: when they happen and how the lids move in each one.

Timing (:func:`blink_times`). The expected number of blinks follows the speaking state: ``rest_rate`` blinks per
minute in silence, ``rate`` while speaking (Bentivoglio et al. 1997: about 17/min at rest, 26/min in
conversation), interpolated by the per-frame speech weight. Blinks are first placed on *events* where people
blink: just after a phrase ends (pauses and phrase boundaries), at the start of large gaze shifts and of head
turns (Evinger et al. 1994: gaze shifts come with blinks, nearly always beyond about 30 degrees), each accepted
with its own probability; the rest of the expected count is filled with blinks at random times (more while
speaking). Blink onsets are at least :data:`REFRACTORY_S` apart, except double blinks, which follow a blink at
once with probability ``double_blink``.

Shape (:func:`blink_closure`). A blink lasts 100-400 ms (median about 220 ms here); the lid closes in the first
30 % of it, stays shut for 10 %, and opens over the remaining 60 % (closing is faster than opening: Evinger et
al. 1991). Closure is 0 (open) .. 1 (shut); the frame nearest the middle of the closed phase is always 1, so
even a 100 ms blink at 24 fps shuts the eye on at least one frame.

Times are seconds from the first frame (frame k at k / fps).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from .saccades import min_jerk, moving_samples

#: Least time between the onsets of two blinks (seconds), double blinks excepted.
REFRACTORY_S = 0.9
#: Blink duration: log-normal with this median (s) and log-sd, clipped to DURATION_RANGE_S.
DURATION_MEDIAN_S = 0.22
DURATION_LOG_SD = 0.25
DURATION_RANGE_S = (0.12, 0.38)
#: Fractions of a blink: closing, closed, opening.
CLOSE_FRACTION, SHUT_FRACTION = 0.3, 0.1
#: Gap (s) between the end of a blink and a following double blink.
DOUBLE_GAP_S = (0.04, 0.12)


@dataclass(frozen=True)
class BlinkEvents:
    """Moments when a blink is likely, as arrays: ``times_s`` (M,) onsets, ``probability`` (M,) 0..1, ``kinds``
    (M,) why (``"pause"``, ``"gaze"``, ``"head"``)."""

    times_s: np.ndarray
    probability: np.ndarray
    kinds: np.ndarray

    @classmethod
    def of(cls, groups: list[tuple[np.ndarray, np.ndarray | float, str]]) -> BlinkEvents:
        """Events from ``(times_s, probability, kind)`` groups, in the order given."""
        times = [np.asarray(t, dtype=np.float64).reshape(-1) for t, _, _ in groups]
        probs = [np.broadcast_to(np.asarray(p, dtype=np.float64), t.shape) for t, (_, p, _) in zip(times, groups,
                                                                                                     strict=True)]
        kinds = [np.full(len(t), k, dtype=object) for t, (_, _, k) in zip(times, groups, strict=True)]
        if not groups:
            return cls(np.zeros(0), np.zeros(0), np.zeros(0, dtype=object))
        return cls(np.concatenate(times), np.concatenate(probs), np.concatenate(kinds))


def blink_durations(rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` blink durations in seconds (log-normal around :data:`DURATION_MEDIAN_S`, clipped)."""
    values = DURATION_MEDIAN_S * np.exp(rng.normal(0.0, DURATION_LOG_SD, count))
    return np.clip(values, *DURATION_RANGE_S)


def expected_count(speech: np.ndarray, fps: float, rate: float, rest_rate: float) -> float:
    """Expected number of blinks over the frames: per-frame rate (per minute) interpolated by speech weight."""
    per_frame = (rest_rate + (rate - rest_rate) * np.clip(speech, 0.0, 1.0)) / 60.0 / fps
    return float(per_frame.sum())


def blink_times(
    speech: np.ndarray,
    fps: float,
    events: BlinkEvents,
    rate: float,
    rest_rate: float,
    double_blink: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(onsets_s, durations_s, kinds) of the blinks, sorted by onset.

    ``speech`` (N,) per-frame speaking weight; ``events`` candidate moments; ``rate``/``rest_rate`` blinks per
    minute speaking/silent. ``kinds`` names why each blink is there (an event kind, ``"random"`` or
    ``"double"``).
    """
    n = len(speech)
    total_s = n / fps
    wanted = int(rng.poisson(expected_count(speech, fps, rate, rest_rate))) if n else 0
    draws = rng.random(len(events.times_s))
    accepted = np.flatnonzero(draws < events.probability)
    accepted = accepted[np.argsort(events.times_s[accepted], kind="stable")]
    onsets: list[float] = []
    kinds: list[str] = []
    for time_s, kind in zip(events.times_s[accepted].tolist(), events.kinds[accepted].tolist(), strict=True):
        if 0.0 <= time_s < total_s and (not onsets or time_s - onsets[-1] >= REFRACTORY_S):
            onsets.append(time_s)
            kinds.append(kind)
    if len(onsets) > wanted:
        keep = np.sort(rng.choice(len(onsets), wanted, replace=False))
        onsets = [onsets[i] for i in keep]
        kinds = [kinds[i] for i in keep]
    if len(onsets) < wanted and n:
        weights = rest_rate + (rate - rest_rate) * np.clip(speech, 0.0, 1.0)
        if weights.sum() > 0:
            onsets, kinds = _fill(onsets, kinds, wanted, weights / weights.sum(), fps, rng)
    first = np.array(onsets, dtype=np.float64)
    durations = blink_durations(rng, len(first))
    doubles = rng.random(len(first)) < double_blink
    second = first + durations + rng.uniform(*DOUBLE_GAP_S, len(first))
    nxt = np.append(first[1:], np.inf)
    doubles &= (second + DURATION_RANGE_S[1] < nxt) & (second < total_s)
    all_onsets = np.concatenate([first, second[doubles]])
    all_durations = np.concatenate([durations, blink_durations(rng, int(doubles.sum()))])
    all_kinds = np.array(kinds + ["double"] * int(doubles.sum()), dtype=object)
    order = np.argsort(all_onsets, kind="stable")
    return all_onsets[order], all_durations[order], all_kinds[order]


def _fill(onsets: list[float], kinds: list[str], wanted: int, weights: np.ndarray, fps: float,
          rng: np.random.Generator) -> tuple[list[float], list[str]]:
    """Add random blinks (frame times drawn by ``weights``) until ``wanted``, keeping the refractory gap."""
    taken = sorted(onsets)
    times = list(onsets)
    names = list(kinds)
    for _ in range(8):
        missing = wanted - len(times)
        if missing <= 0:
            break
        frames = rng.choice(len(weights), 3 * missing, p=weights)
        for t in ((frames + rng.random(len(frames))) / fps).tolist():
            i = bisect.bisect_left(taken, t)
            if (i > 0 and t - taken[i - 1] < REFRACTORY_S) or (i < len(taken) and taken[i] - t < REFRACTORY_S):
                continue
            taken.insert(i, t)
            times.append(t)
            names.append("random")
            if len(times) >= wanted:
                break
    order = np.argsort(times, kind="stable")
    return [times[i] for i in order], [names[i] for i in order]


def blink_closure(times: np.ndarray, onsets: np.ndarray, durations: np.ndarray) -> np.ndarray:
    """Lid closure per sample (0 open .. 1 shut) at ``times`` (seconds) for non-overlapping blinks."""
    out = np.zeros(len(times))
    if len(onsets) == 0 or len(times) == 0:
        return out
    inside, i = moving_samples(times, onsets, onsets + durations)  # only the samples within a blink
    u = (times[inside] - onsets[i]) / durations[i]
    closing = min_jerk(u / CLOSE_FRACTION)
    opening = 1.0 - min_jerk((u - CLOSE_FRACTION - SHUT_FRACTION) / (1.0 - CLOSE_FRACTION - SHUT_FRACTION))
    out[inside] = np.where(u < CLOSE_FRACTION, closing, opening)
    if len(times) > 1:
        step = times[1] - times[0]
        shut = onsets + durations * (CLOSE_FRACTION + 0.5 * SHUT_FRACTION)
        nearest = np.rint((shut - times[0]) / step).astype(np.int64)
        nearest = nearest[(nearest >= 0) & (nearest < len(times))]
        out[nearest] = 1.0
    return out
