"""The joint-chain maths of a bake: how a head track (yaw/pitch/roll in degrees, character frame) becomes
local rotation values of a chain of joints (neck bones, then the head), in each joint's rotation mode.

Notation (see docs/conventions.md): ``C`` is the character basis (columns right, forward, up in world or
armature coordinates, :func:`character_basis`); ``B`` a joint's rest rotation in the same space; the track
gives ``R`` in character coordinates (:func:`core.rotation.character_rotation`). For joints with cumulative
shares ``c_1 ... c_m = 1`` of the rotation (:func:`joint_shares`), joint ``j`` gets the world delta
``X_j = C (R(w_j c_{j-1} a)^T R(c_j a)) C^T`` (``w_j``: the share of the previous joint's rotation the joint
inherits, 1 for a plain child), expressed in its local rest frame (:func:`local_delta`) and applied
on top of its current rotation (:func:`compose`). With the parents at rest the head then turns by exactly
``C R C^T`` in the world, whatever the bone roll, rest orientation, object transform or rotation mode.

Rotation modes are Blender's: ``"QUATERNION"`` (w, x, y, z), ``"AXIS_ANGLE"`` (angle in radians, x, y, z)
or an Euler order such as ``"XYZ"`` (radians). Pure numpy; :mod:`anim.bake` reads and writes Blender data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..errors import SettingsError
from ..rotation import (
    as_batch,
    axis_angle_from_matrix,
    character_rotation,
    euler_from_matrix,
    from_batch,
    matrix_from_axis_angle,
    matrix_from_euler,
    matrix_from_quat,
    quat_from_matrix,
    quat_make_continuous,
    quat_multiply,
)


def character_basis(forward: npt.ArrayLike, up: npt.ArrayLike) -> np.ndarray:
    """Character basis ``C`` (3, 3) whose columns are ``r, f, u`` in world (or parent) coordinates.

    ``up`` is normalised and wins; ``forward`` is made perpendicular to it (Gram-Schmidt) and
    normalised; ``r = f x u`` completes the right-handed basis (so ``r x f = u``). For Blender's
    default character, ``character_basis((0, -1, 0), (0, 0, 1))`` has columns ``-X, -Y, +Z``.
    A vector in character coordinates ``v_c`` is ``C @ v_c`` in world coordinates.

    Raises :class:`~.errors.SettingsError` if either vector is zero/not finite or they are parallel.
    """
    f = np.asarray(forward, dtype=np.float64)
    u = np.asarray(up, dtype=np.float64)
    if f.shape != (3,) or u.shape != (3,):
        raise ValueError(f"forward and up must be 3-vectors, got shapes {f.shape} and {u.shape}")
    f_len, u_len = np.linalg.norm(f), np.linalg.norm(u)
    if not (np.isfinite(f_len) and np.isfinite(u_len)) or f_len < 1e-12 or u_len < 1e-12:
        raise SettingsError("The forward and up directions must be non-zero vectors.")
    u = u / u_len
    f = f / f_len
    f = f - np.dot(f, u) * u
    f_len = np.linalg.norm(f)
    if f_len < 1e-6:
        raise SettingsError(
            "The forward and up directions are parallel; choose a forward axis perpendicular to up."
        )
    f = f / f_len
    r = np.cross(f, u)
    return np.column_stack([r, f, u])


def local_delta(K: npt.ArrayLike, R_char: npt.ArrayLike) -> np.ndarray:
    """Express character-frame rotations in a bone's local (rest) frame: ``D = K.T @ R_char @ K``.

    ``K`` (3, 3) takes bone-local rest coordinates to character coordinates, ``K = C.T @ B`` with
    ``B`` the bone's rest rotation in world space and ``C`` the character basis. Why: a rotation
    ``W`` applied in world space to a bone whose rest world rotation is ``B`` equals the local
    pre-rotation ``B^-1 @ W @ B`` (``B @ D == W @ B``); with ``W = C @ R_char @ C.T`` that is
    ``K.T @ R_char @ K``. ``D`` is what goes into the pose bone's rotation (as a matrix, before
    converting to the bone's rotation mode). ``R_char`` (3, 3) gives (3, 3), (N, 3, 3) gives (N, 3, 3).
    """
    k = np.asarray(K, dtype=np.float64)
    if k.shape != (3, 3):
        raise ValueError(f"K must have shape (3, 3), got {k.shape}")
    rb, single = as_batch(R_char, (3, 3), "R_char")
    n = len(rb)
    # Two flat (3N x 3) @ (3 x 3) products instead of a batched matmul (several times faster).
    right = (rb.reshape(-1, 3) @ k).reshape(n, 3, 3)  # R_char @ K, frame by frame
    both = (right.transpose(0, 2, 1).reshape(-1, 3) @ k).reshape(n, 3, 3)  # (K.T @ R_char @ K).T
    return from_batch(both.transpose(0, 2, 1).copy(), single)


def to_matrices(values: np.ndarray, mode: str) -> np.ndarray:
    """(N, 3, 3) rotation matrices of (N, k) rotation values in Blender rotation ``mode``."""
    if mode == "QUATERNION":
        q = values / np.maximum(np.linalg.norm(values, axis=1, keepdims=True), 1e-12)
        return matrix_from_quat(q)
    if mode == "AXIS_ANGLE":
        return matrix_from_axis_angle(values)
    return matrix_from_euler(values, mode)


def compose(delta: np.ndarray, current: np.ndarray, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """Compose ``delta @ current`` and encode it in ``mode``: returns (values (N, k), matrices (N, 3, 3)).

    Quaternions are multiplied so the sign (hemisphere) of the user's existing keys is kept; Euler angles
    are continued from the current values' first frame, axis-angle rotations stay continuous.
    """
    if mode == "QUATERNION":
        qd = quat_from_matrix(delta)
        qd = np.where(qd[:, :1] < 0.0, -qd, qd)
        values = quat_make_continuous(quat_multiply(qd, current))
        return values, to_matrices(values, mode)
    new = delta @ to_matrices(current, mode)
    if mode == "AXIS_ANGLE":
        return axis_angle_from_matrix(new), new
    return euler_from_matrix(new, mode, reference=current[0]), new


def joint_shares(n_joints: int, neck_share: float) -> np.ndarray:
    """Cumulative share of the rotation reached after each joint of a chain (the last, the head, is 1).

    The ``neck_share`` (0-1) is split evenly among the ``n_joints - 1`` neck joints.
    """
    n_necks = n_joints - 1
    if n_necks == 0:
        return np.array([1.0])
    return np.append(neck_share * np.arange(1, n_necks + 1) / n_necks, 1.0)


@dataclass(frozen=True)
class ChainJoint:
    """One joint of a chain as the maths needs it: ``rest_world`` (3, 3) rest rotation in the space of the
    character basis, ``rotation_mode`` (Blender's), ``current`` (N, k) values the bake is added to, and
    ``inherits`` (0-1): how much of the previous joint's rotation reaches this one (1: a plain child; 0: a
    constraint such as Rigify's head follow makes it keep the torso's orientation)."""

    rest_world: np.ndarray
    rotation_mode: str
    current: np.ndarray
    inherits: float = 1.0


def character_quaternion(angles: np.ndarray) -> np.ndarray:
    """(N, 4) unit quaternions (w, x, y, z) of :func:`core.rotation.character_rotation` for (N, 3) [yaw, pitch,
    roll] degrees, from the half angles (``q = q_up(yaw) q_right(pitch) q_forward(roll)``, character coordinates
    x right, y forward, z up): the same rotations without building and converting 3x3 matrices."""
    half = np.radians(np.asarray(angles, dtype=np.float64)) * 0.5
    cos, sin = np.ones((3, len(half))), np.zeros((3, len(half)))
    for axis in range(3):
        if half[:, axis].any():  # an axis that never turns (an eye's roll) needs no trigonometry
            cos[axis], sin[axis] = np.cos(half[:, axis]), np.sin(half[:, axis])
    (cz, cx, cy), (sz, sx, sy) = cos, sin
    w1, x1, y1, z1 = cz * cx, cz * sx, sz * sx, sz * cx  # q_up(yaw) q_right(pitch)
    return np.stack([w1 * cy - y1 * sy, x1 * cy - z1 * sy, w1 * sy + y1 * cy, x1 * sy + z1 * cy], axis=1)


def _quaternion_joint(angles: np.ndarray, share: float, inherited: float, k: np.ndarray,
                      current: np.ndarray) -> np.ndarray:
    """(N, 4) quaternion values of a QUATERNION joint (see :func:`chain_rotations`): the character-frame delta
    ``q(inherited a)* q(share a)``, expressed in the joint's rest frame ``K`` (conjugating by ``K`` turns the
    vector part by ``Kᵀ``), composed on ``current`` as :func:`compose` does."""
    q = character_quaternion(angles * share)
    if inherited != 0.0:
        back = character_quaternion(angles * inherited)
        back[:, 1:] *= -1.0
        q = quat_multiply(back, q)
    delta = np.empty_like(q)
    delta[:, 0] = q[:, 0]
    delta[:, 1:] = q[:, 1:] @ k  # (Kᵀ v) per row
    delta = np.where(delta[:, :1] < 0.0, -delta, delta)
    return quat_make_continuous(quat_multiply(delta, current))


def _chain(angles: npt.ArrayLike, basis: np.ndarray, joints: Sequence[ChainJoint], neck_share: float,
           matrices: bool) -> list[tuple[np.ndarray, np.ndarray | None]]:
    angles = np.asarray(angles, dtype=np.float64)
    shares = joint_shares(len(joints), neck_share)
    previous_share = 0.0
    out: list[tuple[np.ndarray, np.ndarray | None]] = []
    for joint, share in zip(joints, shares, strict=True):
        inherited = previous_share * joint.inherits  # 0: nothing inherited (a lone head or eye), R(0) = identity
        previous_share = share
        k = basis.T @ joint.rest_world
        if joint.rotation_mode == "QUATERNION":
            values = _quaternion_joint(angles, share, inherited, k, joint.current)
            composed = to_matrices(values, "QUATERNION") if matrices else None
        else:
            cumulative = character_rotation(*(angles * share).T)
            if inherited == 0.0:
                world_delta_c = cumulative
            else:
                world_delta_c = np.swapaxes(character_rotation(*(angles * inherited).T), 1, 2) @ cumulative
            values, composed = compose(local_delta(k, world_delta_c), joint.current, joint.rotation_mode)
        if not np.all(np.isfinite(values)):
            raise SettingsError("The bake produced invalid rotations (NaN); nothing was changed.")
        out.append((values, composed))
    return out


def chain_rotations(
    angles: npt.ArrayLike, basis: np.ndarray, joints: Sequence[ChainJoint], neck_share: float = 0.0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Rotation values of every joint for a track: ``angles`` (N, 3) yaw/pitch/roll in degrees, ``basis`` the
    character basis ``C`` (3, 3), ``joints`` ordered from the torso to the head.

    Returns per joint (values (N, k) in its rotation mode, matrices (N, 3, 3) of those values). Raises
    :class:`~core.errors.SettingsError` when the result is not finite. Quaternion joints are computed in
    quaternions (:func:`character_quaternion`), the others through matrices (:func:`local_delta`,
    :func:`compose`); both give the same rotation to float64 rounding.
    """
    return [(values, composed) for values, composed in _chain(angles, basis, joints, neck_share, True)
            if composed is not None]


def chain_values(
    angles: npt.ArrayLike, basis: np.ndarray, joints: Sequence[ChainJoint], neck_share: float = 0.0
) -> list[np.ndarray]:
    """The values of :func:`chain_rotations` alone (per joint (N, k)), without the matrices a quaternion joint
    would need converting back (the eye bake keys values only)."""
    return [values for values, _ in _chain(angles, basis, joints, neck_share, False)]
