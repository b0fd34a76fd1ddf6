"""Eyes moved through controls instead of turned directly: aim targets and sliding lids (pure numpy).

Many production rigs do not let an animator rotate the eyeballs. Each eye bone (the pivot) carries a tracking
constraint (Damped Track, Track To, Locked Track) toward a control in front of the face, and the animator moves
that control: Rigify's generated rigs (``MCH-eye.L`` tracks ``eye.L``, both controls under ``eyes``), and many
hand-made rigs with an eye-target bone. Their upper lids are controls moved by location too (Rigify:
``lid.T.L.002``, the middle of the upper lid, which follows the eye's vertical gaze by itself).

Conventions: points and offsets are (3,) / (N, 3) arrays in the armature's rest space (metres of the armature);
``basis`` (3, 3) holds the character's right, forward and up axes in that space as columns; eye angles are the
eye's yaw and pitch in degrees in the head's character frame, as :class:`core.eyes.track.EyeTrack` gives them
(yaw > 0 toward the character's left, pitch > 0 up), 0 = the eye's rest direction.
"""

from __future__ import annotations

import numpy as np

from .gaze import direction

__all__ = ["aim_offsets", "control_offsets", "fixation_offsets", "slide_offsets", "to_bone_space", "turn"]

#: A shared control is kept between these multiples of its rest distance from the eyes (near: crossed eyes; far:
#: parallel gaze, as when the eyes hold a point far ahead).
NEAR_FACTOR, FAR_FACTOR = 0.5, 50.0


def aim_offsets(yaw: np.ndarray, pitch: np.ndarray, pivot: np.ndarray, point: np.ndarray,
                basis: np.ndarray) -> np.ndarray:
    """(N, 3) offsets of an aim control from its rest position that turn an eye pivoting at ``pivot`` by ``yaw`` and
    ``pitch`` (N,) degrees: the control's tracked ``point`` turned about the pivot by the same rotation a directly
    rotated eye would get (yaw about the character's up, then pitch about its right). The control keeps its
    distance from the eye, so a Damped Track aims exactly along the new direction."""
    basis = np.asarray(basis, dtype=np.float64)
    pivot, point = np.asarray(pivot, dtype=np.float64), np.asarray(point, dtype=np.float64)
    return turn(yaw, pitch, basis.T @ (point - pivot)) @ basis.T + (pivot - point)  # turned in character coords


def turn(yaw: np.ndarray, pitch: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """(N, 3) character-frame ``vector`` (3,) turned by ``Rz(yaw) @ Rx(pitch)`` for (N,) degrees: what
    :func:`core.rotation.character_rotation` with no roll does to it, without building the matrices."""
    y, p = np.radians(yaw), np.radians(pitch)
    cos_p, sin_p = np.cos(p), np.sin(p)
    x = vector[0]
    fwd = vector[1] * cos_p - vector[2] * sin_p  # Rx(pitch): forward and up mix
    up = vector[1] * sin_p + vector[2] * cos_p
    cos_y, sin_y = np.cos(y), np.sin(y)
    return np.column_stack([x * cos_y - fwd * sin_y, x * sin_y + fwd * cos_y, up])


def slide_offsets(closure: np.ndarray, upper: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """(N, 3) offsets of an upper-lid control that close the eye by ``closure`` (N,) 0 open .. 1 shut: the share of
    the way from its rest position ``upper`` to the lower lid's rest position ``lower``."""
    gap = np.asarray(lower, dtype=np.float64) - np.asarray(upper, dtype=np.float64)
    return np.asarray(closure, dtype=np.float64)[:, None] * gap[None, :]


def to_bone_space(offsets: np.ndarray, bone_rest: np.ndarray) -> np.ndarray:
    """(N, 3) armature-space ``offsets`` as a pose bone's ``location`` values: in the bone's rest frame, whose axes
    are the columns of ``bone_rest`` (3, 3, the rotation part of ``Bone.matrix_local``), while the bone's parent is
    where it rests relative to the head (so the controls move with the head, as Rigify's eye controls do)."""
    return np.asarray(offsets, dtype=np.float64) @ np.asarray(bone_rest, dtype=np.float64)


def fixation_offsets(yaw: np.ndarray, pitch: np.ndarray, pivots: np.ndarray, point: np.ndarray,
                     basis: np.ndarray) -> np.ndarray:
    """(N, 3) offsets of ONE control both eyes aim at (``pivots`` (2, 3): left and right eye centres) from its rest
    ``point``, for the eyes' ``yaw``/``pitch`` (N, 2) degrees (0 = straight ahead along the character's forward
    axis): the point the two gaze lines pass closest to (their fixation point, where the eyes converge), kept
    between :data:`NEAR_FACTOR` and :data:`FAR_FACTOR` times the control's rest distance from the eyes. A control
    at its rest distance would make the eyes converge there; at the fixation point each eye looks along its own
    gaze."""
    basis = np.asarray(basis, dtype=np.float64)
    pivots = np.asarray(pivots, dtype=np.float64)
    d_l, d_r = (direction(np.stack([yaw[:, e], pitch[:, e]], axis=-1)) @ basis.T for e in range(2))  # armature space
    w0 = pivots[0] - pivots[1]
    b = np.einsum("ij,ij->i", d_l, d_r)
    d, e = d_l @ w0, d_r @ w0
    denom = np.maximum(1.0 - b * b, 1e-12)
    middle = pivots.mean(axis=0)
    rest = float(np.linalg.norm(np.asarray(point, dtype=np.float64) - middle))
    near, far = NEAR_FACTOR * rest, FAR_FACTOR * rest
    s, t = (b * e - d) / denom, (e - b * d) / denom  # along the left and the right gaze line
    diverging = (s <= 0.0) | (t <= 0.0)  # parallel or diverging gaze lines meet nowhere ahead: far
    s, t = (np.clip(np.where(diverging, far, v), near, far) for v in (s, t))
    fixation = 0.5 * ((pivots[0] + s[:, None] * d_l) + (pivots[1] + t[:, None] * d_r))
    return fixation - point


def control_offsets(yaw: np.ndarray, pitch: np.ndarray, eyes: tuple[int, ...], pivots: np.ndarray, point: np.ndarray,
                    basis: np.ndarray) -> np.ndarray:
    """(N, 3) offsets of an aim control for the eye track's ``yaw``/``pitch`` (N, 2) degrees: :func:`aim_offsets`
    for a control of one eye (``eyes`` = its index, ``pivots`` (1, 3) its centre), :func:`fixation_offsets` for one
    shared by both (``pivots`` (2, 3), left then right)."""
    if len(eyes) == 2:
        return fixation_offsets(yaw, pitch, pivots, point, basis)
    return aim_offsets(yaw[:, eyes[0]], pitch[:, eyes[0]], np.asarray(pivots, dtype=np.float64)[0], point, basis)
