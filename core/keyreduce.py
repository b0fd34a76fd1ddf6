"""Keyframe reduction: keep as few samples as linear interpolation needs to stay within a tolerance.

Conventions: axis 0 of ``values`` is time, one sample per frame, so sample indices are frame offsets
from the first frame. Tolerances are in the units of the values (e.g. radians for rotation channels)
and bound the *vertical* error: ``|value[i] - interpolated[i]|`` per channel, not the distance to the
line. All channels share one set of kept indices, which is what Blender needs to key a rotation
(quaternion or Euler) consistently.

The selection is a Ramer-Douglas-Peucker variant run breadth-first without recursion: every pass
measures, for all segments still too coarse at once (vectorised), the sample with the largest error
relative to the tolerance, and splits those segments there. A segment whose worst sample lies in
its outer quarter is also split in the middle, which bounds the number of passes by
``log(N) / log(4/3)`` (plain RDP can need hundreds of passes on periodic motion). It handles any
length (108,000 samples and more) without touching Python's recursion limit.

The Blender side writes the kept samples as Bezier keys, evaluates the curves, and adds the frames
where the Bezier curve strays beyond the tolerance with :func:`add_frames`, until it is within
tolerance everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .errors import SettingsError, TrackError

__all__ = ["add_frames", "interpolation_error", "select_key_frames"]


def _as_samples(values: np.ndarray) -> np.ndarray:
    """``values`` as a finite float64 ``(N, C)`` array (a 1-D signal becomes one channel)."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise TrackError(f"values must have shape (N,) or (N, C), got {array.shape}.")
    if array.shape[0] == 0:
        raise TrackError("values are empty: there is no sample to key.")
    if array.shape[1] == 0:
        raise TrackError("values have no channel: there is nothing to key.")
    if not np.all(np.isfinite(array)):
        bad = int(np.flatnonzero(~np.all(np.isfinite(array), axis=1))[0])
        raise TrackError(f"values hold NaN or infinite numbers (first at sample {bad}).")
    return array


def _as_tolerance(tolerance: float | np.ndarray, channels: int) -> np.ndarray:
    """Per-channel tolerance ``(C,)``: a number for all channels or one per channel; each >= 0."""
    tol = np.asarray(tolerance, dtype=np.float64)
    if tol.ndim > 1 or (tol.ndim == 1 and tol.shape[0] not in (1, channels)):
        raise SettingsError(
            f"tolerance must be a number or one per channel ({channels}), got shape {tol.shape}."
        )
    tol = np.broadcast_to(tol.reshape(-1) if tol.ndim else tol, (channels,)).astype(np.float64)
    if np.any(np.isnan(tol)) or np.any(tol < 0.0):
        raise SettingsError(f"tolerance must be >= 0 (0 keeps every sample off a straight line), got {tol}.")
    return tol


def select_key_frames(values: np.ndarray, tolerance: float | np.ndarray, seed_every: int = 0) -> np.ndarray:
    """Indices of the samples to key so that linear interpolation stays within ``tolerance``.

    Args:
        values: ``(N,)`` or ``(N, C)`` samples, one row per frame; must be finite.
        tolerance: largest allowed vertical error, one number for all channels or ``(C,)`` per
            channel, in the units of ``values``; ``0`` keeps every sample not exactly on a line
            through its neighbours' keys, ``inf`` keeps only the ends.
        seed_every: > 1 starts from segments of this many samples instead of one segment over the whole
            signal, then drops the seed keys the result does not need (:func:`_drop_seeds`). For densely keyed
            signals (eye angles: a key every few frames) it saves the passes that split the long segments one
            key at a time, at the cost of a few more keys; 0 is plain breadth-first RDP.

    Returns:
        Sorted, unique int64 indices, always holding ``0`` and ``N - 1``, such that for every channel
        ``c`` ``np.interp(arange(N), kept, values[kept, c])`` is within ``tolerance[c]`` of
        ``values[:, c]`` at every sample.

    The result is greedy, not guaranteed minimal, and (without ``seed_every``) nested: a smaller tolerance keeps a
    superset of the keys of a larger one (the split points do not depend on the tolerance).

    Raises:
        TrackError: ``values`` are empty, of the wrong shape, or hold NaN/inf.
        SettingsError: ``tolerance`` is negative, NaN or of the wrong shape.
    """
    samples = _as_samples(values)
    n, channels = samples.shape
    tol = _as_tolerance(tolerance, channels)
    if n <= 2:
        return np.arange(n, dtype=np.int64)

    # Split points are ranked by error in units of the tolerance. A zero tolerance ranks by a tiny
    # positive stand-in instead, so the split still lands on the largest error (not on the first
    # sample with any error, which would peel one sample per pass).
    positive = tol[tol > 0.0]
    stand_in = max(float(positive.min()) * 1e-9, 1e-300) if positive.size else 1.0
    inv_scale = 1.0 / np.where(tol > 0.0, tol, stand_in)

    columns = [np.ascontiguousarray(samples[:, c]) for c in range(channels)]
    keep = np.zeros(n, dtype=bool)
    keep[0] = keep[-1] = True
    seeds = np.arange(0, n - 1, seed_every, dtype=np.int64) if seed_every > 1 else np.zeros(1, dtype=np.int64)
    keep[seeds] = True
    starts, ends = seeds, np.append(seeds[1:], n - 1)
    if len(seeds) > 1:
        starts, ends = _split_seeded(columns, tol, inv_scale, keep, seed_every)
    _split(columns, tol, inv_scale, keep, starts, ends)
    if len(seeds) > 1:
        _drop_seeds(columns, tol, keep, seeds[1:])
    return np.flatnonzero(keep).astype(np.int64)


def _split(columns: list[np.ndarray], tol: np.ndarray, inv_scale: np.ndarray, keep: np.ndarray, starts: np.ndarray,
           ends: np.ndarray) -> None:
    """Breadth-first RDP: split the segments ``starts``-``ends`` (key indices) until every sample is within
    ``tol`` of the line between its segment's keys; marks the new keys in ``keep``."""
    while starts.size:
        inner = ends - starts - 1
        live = inner > 0
        starts, ends, inner = starts[live], ends[live], inner[live]
        if not starts.size:
            break
        # Every interior sample of every open segment, as flat arrays (segment-major, ascending).
        first = np.cumsum(inner) - inner
        seg = np.repeat(np.arange(starts.size), inner)
        offset = np.arange(int(inner.sum()), dtype=np.int64) - first[seg] + 1
        idx = starts[seg] + offset
        dt = offset.astype(np.float64)
        span = (ends - starts).astype(np.float64)
        violation = np.zeros(idx.size, dtype=bool)
        rank = np.zeros(idx.size)
        for c, column in enumerate(columns):
            # Same arithmetic as np.interp (slope * (x - x0) + y0), so that a reconstruction with
            # np.interp reproduces the errors measured here bit for bit.
            y0 = column[starts]
            slope = (column[ends] - y0) / span
            error = np.abs(column[idx] - (slope[seg] * dt + y0[seg]))
            violation |= error > tol[c]
            error *= inv_scale[c]
            np.maximum(rank, error, out=rank)
        split = np.logical_or.reduceat(violation, first)
        if not np.any(split):
            break
        worst = np.maximum.reduceat(rank, first)
        # The sample with the worst rank in each segment to split; among ties the middle one.
        hit = np.flatnonzero((rank == worst[seg]) & split[seg])
        hit_seg = seg[hit]
        group = np.flatnonzero(np.concatenate(([True], hit_seg[1:] != hit_seg[:-1])))
        count = np.diff(np.append(group, hit.size))
        cut = idx[hit[group + (count - 1) // 2]]
        starts, ends = _cut(keep, starts[split], ends[split], cut)


def _cut(keep: np.ndarray, starts: np.ndarray, ends: np.ndarray, cut: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Key the segments ``starts``-``ends`` at ``cut`` (marked in ``keep``); returns the pieces (starts, ends).

    A cut in the outer quarter of a segment leaves a long piece to measure again on the next pass; RDP's worst
    case (e.g. periodic motion) peels such a piece a few samples per pass. Such segments are also cut in the
    middle, so every piece is at most 3/4 of its parent and the number of passes stays logarithmic. (It costs a
    few extra keys, never accuracy.)"""
    lopsided = 4 * np.minimum(cut - starts, ends - cut) < ends - starts
    other = np.where(lopsided, (starts + ends) // 2, cut)
    lo, hi = np.minimum(cut, other), np.maximum(cut, other)
    keep[lo] = True
    keep[hi] = True
    return np.concatenate([starts, lo, hi]), np.concatenate([lo, hi, ends])


def _split_seeded(columns: list[np.ndarray], tol: np.ndarray, inv_scale: np.ndarray, keep: np.ndarray,
                  every: int) -> tuple[np.ndarray, np.ndarray]:
    """The first pass of :func:`_split` over the seed segments ``[k every, (k + 1) every]``, on (segments, every)
    views of the samples instead of gathered flat arrays (the seed segments all have the same length, so no index
    arithmetic is needed; the same operations in the same order, so the same keys). Returns the segments the
    later passes split further: the pieces of the segments split here and the last, shorter seed segment."""
    n = len(keep)
    m = (n - 1) // every  # whole seed segments; a shorter one may follow
    dt = np.arange(1, every, dtype=np.float64)
    violation = np.zeros((m, every - 1), dtype=bool)
    rank = np.zeros((m, every - 1))
    for c, column in enumerate(columns):
        rows = column[: m * every].reshape(m, every)
        y0 = rows[:, 0]
        slope = (column[every: m * every + 1: every] - y0) / float(every)
        error = np.abs(rows[:, 1:] - (slope[:, None] * dt + y0[:, None]))
        violation |= error > tol[c]
        error *= inv_scale[c]
        np.maximum(rank, error, out=rank)
    split = np.flatnonzero(violation.any(axis=1))
    rank = rank[split]
    # The worst sample of each segment to split; among ties the middle one (as in _split).
    ties = rank == rank.max(axis=1)[:, None]
    order = np.cumsum(ties, axis=1)
    middle = (order[:, -1] - 1) // 2
    cut = split * every + 1 + np.argmax(ties & (order == (middle + 1)[:, None]), axis=1)
    starts, ends = _cut(keep, split * every, (split + 1) * every, cut)
    if m * every < n - 1:  # the last, shorter seed segment
        starts, ends = np.append(starts, m * every), np.append(ends, n - 1)
    return starts, ends


def _within(columns: list[np.ndarray], tol: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """(S,) whether every sample strictly between ``starts[i]`` and ``ends[i]`` is within ``tol`` of their line."""
    inner = np.maximum(ends - starts - 1, 0)
    ok = np.ones(len(starts), dtype=bool)
    if not inner.sum():
        return ok
    first = np.cumsum(inner) - inner
    live = inner > 0
    seg = np.repeat(np.arange(len(starts)), inner)
    offset = np.arange(int(inner.sum()), dtype=np.int64) - first[seg] + 1
    idx = starts[seg] + offset
    bad = np.zeros(len(idx), dtype=bool)
    for c, column in enumerate(columns):
        y0 = column[starts]
        slope = (column[ends] - y0) / (ends - starts)
        bad |= np.abs(column[idx] - (slope[seg] * offset + y0[seg])) > tol[c]
    ok[live] = ~np.logical_or.reduceat(bad, first[live])
    return ok


def _within_at(columns: list[np.ndarray], tol: np.ndarray, starts: np.ndarray, ends: np.ndarray,
               at: np.ndarray) -> np.ndarray:
    """(S,) whether the sample ``at[i]`` is within ``tol`` of the line between ``starts[i]`` and ``ends[i]`` (the
    arithmetic of :func:`_within`, so a sample it rejects there is rejected here)."""
    ok = np.ones(len(at), dtype=bool)
    offset = at - starts
    for c, column in enumerate(columns):
        y0 = column[starts]
        slope = (column[ends] - y0) / (ends - starts)
        ok &= ~(np.abs(column[at] - (slope * offset + y0)) > tol[c])
    return ok


def _drop_seeds(columns: list[np.ndarray], tol: np.ndarray, keep: np.ndarray, seeds: np.ndarray) -> None:
    """Unmark the seed keys whose two neighbouring keys already keep the samples between them within ``tol``.

    Rounds until none can go; in a round, of neighbouring keys that could each go, every other one does (the
    first, third...), so every segment a removal creates is one that was checked."""
    candidates = seeds
    while len(candidates):
        kept = np.flatnonzero(keep)
        pos = np.searchsorted(kept, candidates)
        lo, hi = kept[pos - 1], kept[pos + 1]
        ok = _within_at(columns, tol, lo, hi, candidates)  # most keys that must stay fail at themselves: cheap
        ok[ok] = _within(columns, tol, lo[ok], hi[ok])
        adjacent = np.concatenate([[False], (pos[1:] == pos[:-1] + 1) & ok[1:] & ok[:-1]])
        run_start = np.flatnonzero(~adjacent)[np.cumsum(~adjacent) - 1]
        drop = ok & ((np.arange(len(pos)) - run_start) % 2 == 0)
        if not drop.any():
            return
        keep[candidates[drop]] = False
        candidates = candidates[ok & ~drop]  # the others that could go: try again with their new neighbours


def interpolation_error(values: np.ndarray, indices: Iterable[int] | np.ndarray) -> np.ndarray:
    """Largest vertical error per channel ``(C,)`` of linear interpolation through ``indices``.

    ``indices`` must be sorted, unique and include ``0`` and ``N - 1``.
    """
    samples = _as_samples(values)
    kept = np.asarray(list(indices) if not isinstance(indices, np.ndarray) else indices, dtype=np.int64)
    n = samples.shape[0]
    if kept.size == 0 or kept[0] != 0 or kept[-1] != n - 1 or np.any(np.diff(kept) <= 0):
        raise TrackError("key indices must be sorted, unique, and include the first and last sample.")
    x = np.arange(n, dtype=np.float64)
    recon = np.stack([np.interp(x, kept, samples[kept, c]) for c in range(samples.shape[1])], axis=1)
    return np.abs(recon - samples).max(axis=0)


def add_frames(indices: Iterable[int] | np.ndarray, extra: Iterable[int] | np.ndarray) -> np.ndarray:
    """Sorted, unique int64 union of two sets of sample indices (e.g. kept keys and frames to add).

    Raises:
        TrackError: an index is negative or not a whole number.
    """
    merged = np.concatenate([_as_indices(indices, "indices"), _as_indices(extra, "extra")])
    return np.unique(merged)


def _as_indices(items: Iterable[int] | np.ndarray, name: str) -> np.ndarray:
    array = np.asarray(items if isinstance(items, np.ndarray) else list(items))
    array = array.reshape(-1)
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if array.dtype.kind == "b":
        raise TrackError(f"{name} must be sample indices, not a boolean mask (use np.flatnonzero).")
    whole_floats = array.dtype.kind == "f" and np.all(np.isfinite(array)) and np.all(array == np.round(array))
    if array.dtype.kind not in "iu" and not whole_floats:
        raise TrackError(f"{name} must be whole sample indices, got {array.dtype} values.")
    out = array.astype(np.int64)
    if np.any(out < 0):
        raise TrackError(f"{name} must be >= 0, got {int(out.min())}.")
    return out



def worst_of_each_run(error: np.ndarray, tolerance: float) -> np.ndarray:
    """Index of the largest error in every run of consecutive frames whose ``error`` exceeds ``tolerance``."""
    bad = np.asarray(error) > tolerance
    if not bad.any():
        return np.empty(0, dtype=np.int64)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], bad.astype(np.int8), [0]])))
    runs = zip(edges[0::2], edges[1::2], strict=True)
    return np.array([start + int(np.argmax(error[start:stop])) for start, stop in runs])
