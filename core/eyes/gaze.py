"""Where the eyes look: gaze aversions, fixations that lead head turns, micro-saccades, and the geometry that
turns a gaze point into eye-in-head angles while the head moves (the vestibulo-ocular reflex).

Coordinates: the character frame (x right, y forward, z up; metres or any one length unit), origin at the head's
pivot at rest. A direction's angles are ``yaw = atan2(-x, y)`` (> 0 toward the character's left) and
``pitch = atan2(z, hypot(x, y))`` (> 0 up), degrees; :func:`direction` is the inverse. Head rotations are the
(N, 3, 3) matrices of :func:`core.rotation.character_rotation`.

Behaviour (see docs/eyes.md for the sources):

* Aversions (:func:`aversion_steps`): speakers look away from the listener as they start a phrase (with
  probability ``aversion``) and look back before it ends (Kendon 1967; Argyle & Cook 1976); long phrases get
  further short aversions; in silence, rarer brief ones. Look-aways go mostly sideways and down.
* Fixations in free gaze (:func:`free_fixations`): the gaze holds a direction in the character frame while the
  head moves (the eyes counter-rotate); when the head is about to leave it by more than a threshold, the eyes
  jump ahead to where the head will be :data:`LEAD_S` later, so gaze shifts start with the eyes and the head
  follows (Guitton & Volle 1987; Freedman 2008).
* Micro-saccades (:func:`micro_steps`): about 1.5 per second during fixations, each a jump to a new point within
  :data:`MICRO_RADIUS_DEG` of the fixation (Martinez-Conde et al. 2004).
"""

from __future__ import annotations

import math
import random

import numpy as np

from .saccades import saccade_duration

#: Free gaze: how far ahead of the head (s) the eyes jump, and the head excursion (deg) that triggers it.
LEAD_S = 0.2
FREE_THRESHOLD_DEG = 7.0
#: Micro-saccades: mean rate (per second) and largest offset from the fixation (degrees).
MICRO_RATE_HZ = 1.5
MICRO_RADIUS_DEG = 0.35
#: Least time between two gaze steps (s): a fixation lasts at least this long.
MIN_FIXATION_S = 0.2


def angles_of(vectors: np.ndarray) -> np.ndarray:
    """(..., 2) [yaw, pitch] in degrees of (..., 3) direction vectors in the character frame."""
    x, y, z = vectors[..., 0], vectors[..., 1], vectors[..., 2]
    return np.degrees(np.stack([np.arctan2(-x, y), np.arctan2(z, np.hypot(x, y))], axis=-1))


def direction(angles: np.ndarray) -> np.ndarray:
    """(..., 3) unit vectors for (..., 2) [yaw, pitch] degrees (inverse of :func:`angles_of`)."""
    yaw, pitch = np.radians(angles[..., 0]), np.radians(angles[..., 1])
    return np.stack([-np.sin(yaw) * np.cos(pitch), np.cos(yaw) * np.cos(pitch), np.sin(pitch)], axis=-1)


def runs(flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) indices of the runs of True in ``flags``."""
    padded = np.concatenate([[False], flags, [False]]).astype(np.int8)
    change = np.flatnonzero(np.diff(padded))
    return change[0::2], change[1::2]


def phrases(speech: np.ndarray, fps: float, min_gap_s: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """(starts_s, ends_s) of the phrases: runs of speech >= 0.5, gaps shorter than ``min_gap_s`` bridged."""
    starts, ends = runs(np.asarray(speech) >= 0.5)
    if len(starts) > 1:
        gaps = (starts[1:] - ends[:-1]) / fps >= min_gap_s
        starts = np.concatenate([starts[:1], starts[1:][gaps]])
        ends = np.concatenate([ends[:-1][gaps], ends[-1:]])
    return starts / fps, ends / fps


def _offset(draw: random.Random, size_deg: tuple[float, float], scale: float) -> tuple[float, float]:
    """A look-away offset (yaw, pitch) in degrees: mostly sideways and down."""
    amplitude = draw.uniform(*size_deg) * scale
    angle = math.radians(draw.uniform(-55.0, 25.0))
    side = -1.0 if draw.random() < 0.5 else 1.0
    return side * amplitude * math.cos(angle), amplitude * math.sin(angle)


def aversion_steps(speech: np.ndarray, fps: float, aversion: float, size_deg: tuple[float, float], scale: float,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(onsets_s (M,), offsets (M, 2) degrees) of the look-away and look-back steps, sorted, spaced."""
    draw = random.Random(int(rng.integers(2**62)))  # scalar draws in loops: Python's generator is much faster
    total = len(speech) / fps
    starts_s, ends_s = phrases(speech, fps)
    starts, ends = starts_s.tolist(), ends_s.tolist()  # Python floats: the loops below run on scalars
    episodes: list[tuple[float, float]] = []
    for start, end in zip(starts, ends, strict=True):
        t = start + draw.uniform(-0.15, 0.25)
        first = True
        while t < end - 0.9:
            if draw.random() < (aversion if first else 0.5 * aversion):
                hold = min(draw.uniform(0.8, 2.6), end - 0.4 - t)
                if hold >= 0.4:
                    episodes.append((t, t + hold))
                    t += hold
            t += draw.uniform(2.5, 4.5)
            first = False
    silent_starts = [0.0, *ends]
    silent_ends = [*starts, total]
    for s0, s1 in zip(silent_starts, silent_ends, strict=True):
        t = s0 + draw.expovariate(1.0 / 20.0)
        while t < s1 - 1.2:
            if draw.random() < aversion:
                episodes.append((t, t + draw.uniform(0.5, 1.2)))
            t += draw.expovariate(1.0 / 20.0) + 1.5
    episodes.sort()
    onsets: list[float] = []
    values: list[tuple[float, float]] = []
    last = -math.inf
    for t0, t1 in episodes:
        if t0 - last < MIN_FIXATION_S + 0.1 or t1 - t0 < MIN_FIXATION_S + 0.1 or t0 < 0.0:
            continue
        offset = _offset(draw, size_deg, scale)
        if offset == (0.0, 0.0):
            continue
        onsets += [t0, t1]
        values += [offset, (0.0, 0.0)]
        last = t1
    return np.array(onsets, dtype=np.float64), np.array(values, dtype=np.float64).reshape(-1, 2)


def micro_steps(total_s: float, radius_deg: float, busy: np.ndarray, fps: float,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(onsets_s, offsets (M, 2)) of micro-saccades over ``total_s`` seconds, none in ``busy`` frames (N,)."""
    if radius_deg <= 0.0 or total_s <= 0.0:
        return np.zeros(0), np.zeros((0, 2))
    count = int(total_s * MICRO_RATE_HZ * 1.5) + 2
    gaps = MIN_FIXATION_S + rng.exponential(max(1.0 / MICRO_RATE_HZ - MIN_FIXATION_S, 1e-3), count)
    onsets = np.cumsum(gaps)
    onsets = onsets[onsets < total_s]
    frames = np.minimum((onsets * fps).astype(np.int64), len(busy) - 1)
    onsets = onsets[~busy[frames]]
    radius = radius_deg * np.sqrt(rng.random(len(onsets)))
    angle = rng.uniform(0.0, 2.0 * np.pi, len(onsets))
    return onsets, np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])


def free_fixations(head_angles: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """(onsets_s, fixation angles (M, 2)) of free gaze: jumps ahead of the head's facing direction.

    ``head_angles`` (N, 2): [yaw, pitch] of the head's forward direction per frame, degrees. The first fixation
    (frame 0's direction) is not a step; the result lists only the jumps after it.
    """
    n = len(head_angles)
    lead = max(1, round(LEAD_S * fps))
    ahead = head_angles[np.minimum(np.arange(n) + lead, n - 1)]
    onsets: list[float] = []
    values: list[np.ndarray] = []
    current = head_angles[0]
    i = round(MIN_FIXATION_S * fps)
    window = max(1, round(10.0 * fps))
    while i < n:
        part = np.linalg.norm(ahead[i:i + window] - current, axis=1) > FREE_THRESHOLD_DEG
        if not part.any():
            i += window
            continue
        i += int(np.argmax(part))
        current = ahead[i]
        onsets.append(i / fps)
        values.append(current)
        i += max(1, round(MIN_FIXATION_S * fps))
    return np.array(onsets, dtype=np.float64), np.array(values, dtype=np.float64).reshape(-1, 2)


def aversion_mask(onsets: np.ndarray, values: np.ndarray, n: int, fps: float, margin_s: float = 0.1) -> np.ndarray:
    """(N,) True from ``margin_s`` before each look-away to ``margin_s`` after its look-back saccade ends.

    ``onsets``/``values`` alternate look-away (non-zero offset) and look-back (zero offset) steps, as
    :func:`aversion_steps` returns them.
    """
    away, back = onsets[0::2][: len(onsets) // 2], onsets[1::2]
    ends = back + saccade_duration(np.linalg.norm(values[0::2][: len(back)], axis=1)) + margin_s
    first = np.clip(np.floor((away - margin_s) * fps).astype(np.int64), 0, n)
    last = np.clip(np.ceil(ends * fps).astype(np.int64) + 1, 0, n)
    edges = np.zeros(n + 1, dtype=np.int64)
    np.add.at(edges, first, 1)
    np.add.at(edges, last, -1)
    return np.cumsum(edges[:n]) > 0


def head_matrices(angles: np.ndarray) -> np.ndarray:
    """(3, 3, N) head rotations ``Rz(yaw) Rx(pitch) Ry(roll)`` for (N, 3) [yaw, pitch, roll] degrees, stored
    component-major (``out[i, j]`` is element (i, j) of every frame's matrix, contiguous): the matrices of
    :func:`core.rotation.character_rotation` to float32 precision (about 1e-7; :func:`cos_sin`), written out
    element by element (several times faster on long tracks than batched 3x3 products)."""
    (cy, cp, cr), (sy, sp, sr) = cos_sin(np.ascontiguousarray(np.asarray(angles, dtype=np.float64).T))
    out = np.empty((3, 3, len(cy)))
    sp_sr, sp_cr = sp * sr, sp * cr
    out[0, 0] = cy * cr - sy * sp_sr
    out[0, 1] = -sy * cp
    out[0, 2] = cy * sr + sy * sp_cr
    out[1, 0] = sy * cr + cy * sp_sr
    out[1, 1] = cy * cp
    out[1, 2] = sy * sr - cy * sp_cr
    out[2, 0] = -cp * sr
    out[2, 1] = sp
    out[2, 2] = cp * cr
    return out


def rotate(rotations: np.ndarray, vectors: np.ndarray, transpose: bool = False) -> np.ndarray:
    """(3, N) ``R_n v_n`` (``R_nᵀ v_n`` with ``transpose``) for (3, 3, N) rotations of :func:`head_matrices` and
    (3, N) or (3,) vectors, component-major."""
    v = np.asarray(vectors, dtype=np.float64)
    if v.ndim == 1:
        v = v[:, None]
    r = rotations.transpose(1, 0, 2) if transpose else rotations
    return r[:, 0] * v[0] + r[:, 1] * v[1] + r[:, 2] * v[2]


def cos_sin(degrees: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cos, sin) of angles in degrees, computed in float32 and returned as float64: numpy's float32 sine and
    cosine are vectorised and several times faster than float64 ones; an error of about 1e-7 is far below
    anything an eye angle (or a head position in metres) can show."""
    radians = np.radians(degrees).astype(np.float32)
    return np.cos(radians).astype(np.float64), np.sin(radians).astype(np.float64)


def look_angles(vectors: np.ndarray) -> np.ndarray:
    """(2, N) [yaw, pitch] degrees of (3, N) component-major direction vectors (as :func:`angles_of`).

    Eyes look forward (y > 0), where ``atan2(-x, y) = atan(-x / y)`` and ``atan2(z, h) = atan(z / h)`` for the
    horizontal length ``h >= 0``; the one-argument arc tangent is cheaper, and the frames looking backward (or
    straight up/down) take ``atan2``."""
    x, y, z = vectors
    h = np.sqrt(x * x + y * y)
    ahead = y > 0.0
    out = np.empty((2, len(x)))
    if ahead.all() and (h > 0.0).all():
        out[0] = np.arctan(-x / y)
        out[1] = np.arctan(z / h)
    else:
        out[0] = np.arctan2(-x, y)
        out[1] = np.arctan2(z, h)
    return np.degrees(out, out=out)


def turned(vectors: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """(3, N) unit directions of (3, N) ``vectors`` with their yaw and pitch changed by ``offsets`` (2, N) degrees:
    ``direction(angles_of(v) + offset)``, by the angle-sum formulas on the vectors' own sines and cosines (no
    arc tangents)."""
    x, y, z = vectors
    h2 = x * x + y * y
    h = np.sqrt(h2)
    d = np.sqrt(h2 + z * z)
    if (h > 0.0).all():
        cos_y, sin_y = y / h, -x / h
    else:  # straight up or down: yaw 0, as atan2(0, 0)
        flat = h > 0.0
        safe = np.where(flat, h, 1.0)
        cos_y, sin_y = np.where(flat, y / safe, 1.0), np.where(flat, -x / safe, 0.0)
    cos_p, sin_p = h / d, z / d
    c, s = cos_sin(offsets)
    cy, sy = cos_y * c[0] - sin_y * s[0], sin_y * c[0] + cos_y * s[0]
    cp, sp = cos_p * c[1] - sin_p * s[1], sin_p * c[1] + cos_p * s[1]
    return np.stack([-sy * cp, cy * cp, sp])
