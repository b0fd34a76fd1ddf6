"""Rotation conventions and conversions (pure numpy, vectorised over frames).

Conventions used by the whole add-on
====================================

Units
    Head angles ``yaw``, ``pitch`` and ``roll`` are in **degrees** at the API boundary
    (:func:`character_rotation`, :func:`character_angles`). Everything Blender stores (Euler angles,
    axis-angle angles) is in **radians**, and so is every Euler / axis-angle function here.

Matrices
    Rotation matrices act on column vectors, ``v_rotated = R @ v``, exactly like ``mathutils.Matrix``
    (``np.array(matrix)`` of a mathutils matrix gives the same numbers, row by row). Composition
    ``A @ B`` applies ``B`` first.

Character frame
    An orthonormal right-handed basis ``(r, f, u)``: ``r`` is the character's own right, ``f`` the
    direction the face looks (forward), ``u`` up, with ``r x f = u``. In character coordinates
    ``r``, ``f`` and ``u`` are the x, y and z axes. In Blender a default character faces -Y with +Z
    up, so ``r = -X``, ``f = -Y``, ``u = +Z``. :func:`character_basis` returns ``C`` whose columns
    are ``r, f, u`` in world (or any parent) coordinates; a vector in character coordinates ``v_c``
    is ``C @ v_c`` in world coordinates.

Head angles
    ``character_rotation(yaw, pitch, roll) = Rz(yaw) @ Rx(pitch) @ Ry(roll)`` in character
    coordinates, where ``Rz`` turns about ``u``, ``Rx`` about ``r`` and ``Ry`` about ``f``, all by the
    right-hand rule. Hence yaw > 0 turns the face toward the character's left, pitch > 0 raises the
    chin, roll > 0 tilts the top of the head toward the character's right. (This is Blender Euler
    order ``'YXZ'`` with ``x = pitch``, ``y = roll``, ``z = yaw``.)

Blender (``mathutils``) conventions, matched exactly
    * Quaternions are ``(w, x, y, z)``; :func:`quat_multiply` is the Hamilton product, so
      ``matrix_from_quat(quat_multiply(a, b)) == matrix_from_quat(a) @ matrix_from_quat(b)``.
    * Euler angles are always stored as ``(x, y, z)`` (angle about X, about Y, about Z) whatever the
      order. Order ``'ABC'`` applies ``A`` first: ``matrix = R_C @ R_B @ R_A``; e.g. ``'XYZ'`` is
      ``Rz @ Ry @ Rx``. Orders: ``'XYZ', 'XZY', 'YXZ', 'YZX', 'ZXY', 'ZYX'``.
    * Axis-angle is stored as ``(angle_radians, x, y, z)`` with a unit axis; a zero-angle rotation
      uses the axis +Y, as Blender does.

Shapes
    Functions take one item (``(3, 3)``, ``(4,)``, ``(3,)``) or a batch with a leading frame axis
    (``(N, 3, 3)``, ``(N, 4)``, ``(N, 3)``) and return the same kind. Results are float64 arrays.

Continuity
    Converting a sequence of matrices frame by frame can make curves jump (Euler angles by ~2 pi or
    to the other equivalent solution, quaternions to the opposite hemisphere, axis-angle axes
    flipping through zero angle). :func:`euler_from_matrix`, :func:`quat_make_continuous` and
    :func:`axis_angle_from_matrix` make consecutive frames compatible with each other, and the first
    frame compatible with an optional ``reference`` (e.g. the bone's current value). The per-frame
    choices are pairwise, so they are made with cumulative sums instead of Python loops.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = [
    "EULER_ORDERS",
    "angle_between",
    "axis_angle_from_matrix",
    "character_angles",
    "character_rotation",
    "euler_from_matrix",
    "matrix_from_axis_angle",
    "matrix_from_euler",
    "matrix_from_quat",
    "quat_from_matrix",
    "quat_make_continuous",
    "quat_multiply",
]

EULER_ORDERS: tuple[str, ...] = ("XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX")
"""Blender's Euler rotation orders; the first letter is the rotation applied first."""

# Below this value of cos(middle angle) the first and last Euler axes are treated as aligned (gimbal
# lock); the rotation error this allows is of the same size (radians).
_GIMBAL_EPS = 1e-9
# Below this quaternion vector length (= sin(angle / 2)) the axis-angle axis is undefined.
_AXIS_EPS = 1e-10
_TWO_PI = 2.0 * np.pi


# --------------------------------------------------------------------------------------------------
# Shape helpers
# --------------------------------------------------------------------------------------------------


def as_batch(x: npt.ArrayLike, item_shape: tuple[int, ...], name: str) -> tuple[np.ndarray, bool]:
    """Return ``x`` as a float64 batch ``(N, *item_shape)`` and whether it was a single item."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.shape == item_shape:
        return arr[np.newaxis], True
    if arr.ndim == len(item_shape) + 1 and arr.shape[1:] == item_shape:
        return arr, False
    raise ValueError(
        f"{name} must have shape {item_shape} or (N, {', '.join(map(str, item_shape))}), got {arr.shape}"
    )


def from_batch(arr: np.ndarray, single: bool) -> np.ndarray:
    return arr[0] if single else arr


def _wrap_pi(x: np.ndarray) -> np.ndarray:
    """Wrap angles (radians) into [-pi, pi)."""
    return x - _TWO_PI * np.floor((x + np.pi) / _TWO_PI)


def _check_order(order: str) -> tuple[int, int, int, float]:
    """Axis indices of an Euler order (first applied first) and its parity sign (+1 even, -1 odd)."""
    if order not in EULER_ORDERS:
        raise ValueError(f"Unknown Euler order {order!r}; expected one of {', '.join(EULER_ORDERS)}")
    i, j, k = ("XYZ".index(ch) for ch in order)
    parity = 1.0 if (j - i) % 3 == 1 else -1.0
    return i, j, k, parity


# --------------------------------------------------------------------------------------------------
# Quaternions
# --------------------------------------------------------------------------------------------------


def quat_multiply(a: npt.ArrayLike, b: npt.ArrayLike) -> np.ndarray:
    """Hamilton product ``a * b`` of quaternions ``(w, x, y, z)``; broadcasts over leading axes.

    The product rotates by ``b`` first, then by ``a`` (like ``mathutils.Quaternion.__matmul__``).
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    aw, ax, ay, az = np.moveaxis(a, -1, 0)
    bw, bx, by, bz = np.moveaxis(b, -1, 0)
    return np.stack(
        [
            aw * bw - ax * bx - ay * by - az * bz,
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
        ],
        axis=-1,
    )


def matrix_from_quat(q: npt.ArrayLike) -> np.ndarray:
    """Rotation matrices from quaternions ``(w, x, y, z)``; ``(4,) -> (3, 3)``, ``(N, 4) -> (N, 3, 3)``.

    Quaternions are normalised first, so any non-zero scale is accepted; a zero quaternion raises
    ``ValueError``.
    """
    qb, single = as_batch(q, (4,), "q")
    norm = np.linalg.norm(qb, axis=1)
    if np.any(norm == 0.0) or not np.all(np.isfinite(norm)):
        raise ValueError("Quaternions must be finite and non-zero")
    w, x, y, z = (qb / norm[:, None]).T
    xx, yy, zz = x * x, y * y, z * z
    xy, xz, yz = x * y, x * z, y * z
    wx, wy, wz = w * x, w * y, w * z
    m = np.empty((len(qb), 3, 3))
    m[:, 0, 0] = 1.0 - 2.0 * (yy + zz)
    m[:, 0, 1] = 2.0 * (xy - wz)
    m[:, 0, 2] = 2.0 * (xz + wy)
    m[:, 1, 0] = 2.0 * (xy + wz)
    m[:, 1, 1] = 1.0 - 2.0 * (xx + zz)
    m[:, 1, 2] = 2.0 * (yz - wx)
    m[:, 2, 0] = 2.0 * (xz - wy)
    m[:, 2, 1] = 2.0 * (yz + wx)
    m[:, 2, 2] = 1.0 - 2.0 * (xx + yy)
    return from_batch(m, single)


def quat_from_matrix(m: npt.ArrayLike) -> np.ndarray:
    """Unit quaternions ``(w, x, y, z)`` with ``w >= 0`` from rotation matrices.

    Each frame is converted on its own (use :func:`quat_make_continuous` for curves). Uses the
    largest-diagonal (Shepperd) method: of ``4w^2, 4x^2, 4y^2, 4z^2`` the largest is square-rooted, and
    the other components come from off-diagonal sums/differences divided by it, which is accurate for
    every rotation, including 180 degree turns.
    """
    mb, single = as_batch(m, (3, 3), "m")
    m00, m01, m02 = mb[:, 0, 0], mb[:, 0, 1], mb[:, 0, 2]
    m10, m11, m12 = mb[:, 1, 0], mb[:, 1, 1], mb[:, 1, 2]
    m20, m21, m22 = mb[:, 2, 0], mb[:, 2, 1], mb[:, 2, 2]
    trace = m00 + m11 + m22
    # p[a, b] = 4 * q_a * q_b for the unit quaternion q of the rotation.
    p = np.empty((len(mb), 4, 4))
    p[:, 0, 0] = 1.0 + trace
    p[:, 1, 1] = 1.0 + 2.0 * m00 - trace
    p[:, 2, 2] = 1.0 + 2.0 * m11 - trace
    p[:, 3, 3] = 1.0 + 2.0 * m22 - trace
    p[:, 0, 1] = p[:, 1, 0] = m21 - m12
    p[:, 0, 2] = p[:, 2, 0] = m02 - m20
    p[:, 0, 3] = p[:, 3, 0] = m10 - m01
    p[:, 1, 2] = p[:, 2, 1] = m01 + m10
    p[:, 1, 3] = p[:, 3, 1] = m02 + m20
    p[:, 2, 3] = p[:, 3, 2] = m12 + m21
    best = np.argmax(np.diagonal(p, axis1=1, axis2=2), axis=1)
    row = p[np.arange(len(mb)), best]  # 4 * q_best * q  (a multiple of q)
    q = row / np.linalg.norm(row, axis=1, keepdims=True)
    q *= np.where(q[:, :1] < 0.0, -1.0, 1.0)
    return from_batch(q, single)


def quat_make_continuous(q: npt.ArrayLike, reference: npt.ArrayLike | None = None) -> np.ndarray:
    """Flip quaternion signs so consecutive frames have a non-negative dot product.

    ``q`` and ``-q`` are the same rotation; a curve that switches between them jumps across the
    4D sphere. Returns a copy of ``q`` (``(N, 4)`` or ``(4,)``) with signs chosen so that frame ``i``
    lies in the hemisphere of frame ``i - 1`` (and frame 0 in that of ``reference``, a ``(4,)``
    quaternion, when given). Magnitudes are left unchanged.
    """
    qb, single = as_batch(q, (4,), "q")
    if len(qb) == 0:
        return qb.copy()
    flip = np.empty(len(qb), dtype=bool)
    if reference is None:
        flip[0] = False
    else:
        flip[0] = float(np.dot(qb[0], np.asarray(reference, dtype=np.float64))) < 0.0
    flip[1:] = np.einsum("ij,ij->i", qb[1:], qb[:-1]) < 0.0
    sign = np.where(np.cumsum(flip) % 2 == 1, -1.0, 1.0)
    return from_batch(qb * sign[:, None], single)


# --------------------------------------------------------------------------------------------------
# Euler angles
# --------------------------------------------------------------------------------------------------


def matrix_from_euler(e: npt.ArrayLike, order: str = "XYZ") -> np.ndarray:
    """Rotation matrices from Blender Euler angles ``(x, y, z)`` in radians.

    For order ``'ABC'`` the result is ``R_C(e_C) @ R_B(e_B) @ R_A(e_A)`` (``A`` applied first), the
    same as ``mathutils.Euler(e, order).to_matrix()``. ``(3,) -> (3, 3)``, ``(N, 3) -> (N, 3, 3)``.
    """
    i, j, k, parity = _check_order(order)
    eb, single = as_batch(e, (3,), "e")
    # In coordinates permuted so that (i, j, k) -> (0, 1, 2), the rotation is Rz(c) Ry(b) Rx(a);
    # an odd permutation is a reflection, which reverses the sense of every angle.
    a, b, c = parity * eb[:, i], parity * eb[:, j], parity * eb[:, k]
    ca, sa, cb, sb, cc, sc = np.cos(a), np.sin(a), np.cos(b), np.sin(b), np.cos(c), np.sin(c)
    sasb, casb = sa * sb, ca * sb
    mp = np.empty((len(eb), 3, 3))
    mp[:, 0, 0] = cb * cc
    mp[:, 0, 1] = sasb * cc - ca * sc
    mp[:, 0, 2] = casb * cc + sa * sc
    mp[:, 1, 0] = cb * sc
    mp[:, 1, 1] = sasb * sc + ca * cc
    mp[:, 1, 2] = casb * sc - sa * cc
    mp[:, 2, 0] = -sb
    mp[:, 2, 1] = sa * cb
    mp[:, 2, 2] = ca * cb
    if (i, j, k) == (0, 1, 2):
        return from_batch(mp, single)
    perm = np.array([i, j, k])
    m = np.empty_like(mp)
    m[:, perm[:, None], perm[None, :]] = mp
    return from_batch(m, single)


def _euler_principal(
    m: np.ndarray, order: str, free_first: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float, np.ndarray]:
    """Principal Euler solution in permuted ("canonical XYZ") coordinates.

    Returns ``(abc, gimbal, phi, sb, parity, perm)``: ``abc`` (N, 3) are the canonical angles (first,
    middle, last axis; middle in [-pi/2, pi/2]); ``gimbal`` marks frames where the first and last axes
    are aligned, where only ``phi = a - sb * c`` is defined (``sb`` = sign of sin(middle)). In
    gimbal frames the last angle is 0 (or the first angle, when ``free_first``).
    """
    i, j, k, parity = _check_order(order)
    perm = np.array([i, j, k])
    mp = m[:, perm[:, None], perm[None, :]]
    cy = np.hypot(mp[:, 0, 0], mp[:, 1, 0])
    gimbal = cy < _GIMBAL_EPS
    b = np.arctan2(-mp[:, 2, 0], cy)
    a = np.arctan2(mp[:, 2, 1], mp[:, 2, 2])
    c = np.arctan2(mp[:, 1, 0], mp[:, 0, 0])
    sb = np.where(mp[:, 2, 0] <= 0.0, 1.0, -1.0)
    phi = np.arctan2(-mp[:, 1, 2], mp[:, 1, 1])
    if np.any(gimbal):
        if free_first:
            a = np.where(gimbal, 0.0, a)
            c = np.where(gimbal, _wrap_pi(-sb * phi), c)
        else:
            a = np.where(gimbal, phi, a)
            c = np.where(gimbal, 0.0, c)
    return np.stack([a, b, c], axis=1), gimbal, phi, sb, parity, perm


def euler_from_matrix(
    m: npt.ArrayLike, order: str = "XYZ", reference: npt.ArrayLike | None = None
) -> np.ndarray:
    """Blender Euler angles ``(x, y, z)`` in radians from rotation matrices, continuous over frames.

    ``(3, 3) -> (3,)``, ``(N, 3, 3) -> (N, 3)``. ``matrix_from_euler(result, order)`` reproduces ``m``.

    Every rotation has two Euler solutions (``(a, b, c)`` and ``(a + pi, pi - b, c + pi)`` in
    first/middle/last-axis terms) plus any ``2 pi`` wraps of each angle. Frame 0 takes the principal
    solution (middle angle in [-pi/2, pi/2]) or, when ``reference`` (a ``(3,)`` Euler in the same
    order, e.g. the bone's current value) is given, the solution closest to it; every later frame
    takes the solution closest to the previous frame (L1 distance, like ``Euler.make_compatible``),
    then each angle is unwrapped so curves never jump by ~2 pi.

    In gimbal lock (middle angle at +-90 degrees) only a combination of the first and last angles is
    defined; the last angle then keeps its previous value (or 0 for the first frame without a
    reference), so no NaN appears and the curves stay continuous.
    """
    mb, single = as_batch(m, (3, 3), "m")
    _check_order(order)
    if len(mb) == 0:
        return np.zeros((0, 3))
    abc, gimbal, phi, sb, parity, perm = _euler_principal(mb, order)
    ref = None if reference is None else parity * np.asarray(reference, dtype=np.float64)[perm]
    n = len(mb)
    if np.any(gimbal):
        # Keep the last angle of the previous non-gimbal frame (or the reference), fix the first.
        last_good = np.maximum.accumulate(np.where(gimbal, -1, np.arange(n)))
        start = 0.0 if ref is None else float(ref[2])
        c_prev = np.where(last_good >= 0, abc[np.maximum(last_good, 0), 2], start)
        abc[:, 2] = np.where(gimbal, c_prev, abc[:, 2])
        abc[:, 0] = np.where(gimbal, _wrap_pi(phi + sb * c_prev), abc[:, 0])
    alt = np.stack([abc[:, 0] + np.pi, np.pi - abc[:, 1], abc[:, 2] + np.pi], axis=1)

    def dist(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.abs(_wrap_pi(x - y)).sum(axis=-1)

    # Swapping both frames' solutions leaves wrapped distances unchanged, so whether frame i uses the
    # other solution than frame i-1 depends only on the principal solutions: a cumulative parity.
    switch = np.empty(n, dtype=bool)
    switch[0] = False if ref is None else bool(dist(alt[0], ref) < dist(abc[0], ref))
    switch[1:] = dist(alt[1:], abc[:-1]) < dist(abc[1:], abc[:-1])
    use_alt = np.cumsum(switch) % 2 == 1
    chosen = np.where(use_alt[:, None], alt, abc)
    # Unwrap each angle (np.unwrap keeps its first row; the reference, when given, is that row).
    first_rows = chosen[:0] if ref is None else ref[np.newaxis]
    chosen = np.unwrap(np.vstack([first_rows, chosen]), axis=0)[len(first_rows) :]
    out = np.empty_like(chosen)
    out[:, perm] = parity * chosen
    return from_batch(out, single)


# --------------------------------------------------------------------------------------------------
# Axis-angle
# --------------------------------------------------------------------------------------------------


def matrix_from_axis_angle(aa: npt.ArrayLike) -> np.ndarray:
    """Rotation matrices from Blender axis-angle ``(angle_radians, x, y, z)``.

    ``(4,) -> (3, 3)``, ``(N, 4) -> (N, 3, 3)``. The axis is normalised; a zero axis gives the
    identity (as in Blender). Rotation is right-handed about the axis (Rodrigues' formula).
    """
    ab, single = as_batch(aa, (4,), "aa")
    angle = ab[:, 0]
    axis = ab[:, 1:]
    length = np.linalg.norm(axis, axis=1)
    ok = length > 0.0
    axis = np.where(ok[:, None], axis / np.where(ok, length, 1.0)[:, None], 0.0)
    angle = np.where(ok, angle, 0.0)
    x, y, z = axis.T
    s, c = np.sin(angle), np.cos(angle)
    t = 1.0 - c
    m = np.empty((len(ab), 3, 3))
    m[:, 0, 0] = c + t * x * x
    m[:, 0, 1] = t * x * y - s * z
    m[:, 0, 2] = t * x * z + s * y
    m[:, 1, 0] = t * x * y + s * z
    m[:, 1, 1] = c + t * y * y
    m[:, 1, 2] = t * y * z - s * x
    m[:, 2, 0] = t * x * z - s * y
    m[:, 2, 1] = t * y * z + s * x
    m[:, 2, 2] = c + t * z * z
    return from_batch(m, single)


def axis_angle_from_matrix(m: npt.ArrayLike, reference: npt.ArrayLike | None = None) -> np.ndarray:
    """Blender axis-angle ``(angle_radians, x, y, z)`` from rotation matrices, continuous over frames.

    ``(3, 3) -> (4,)``, ``(N, 3, 3) -> (N, 4)``; the axis is a unit vector. A single frame without a
    reference gives Blender's form (angle in [0, pi], axis +Y for the identity). Over frames:

    * the axis never flips sign between consecutive frames; the angle changes sign instead (a turn
      about X from +10 to -10 degrees stays about +X);
    * where the angle is ~0 the axis is undefined, so the previous frame's axis is kept (frames
      before the first defined axis take that axis);
    * the angle is unwrapped by multiples of 2 pi, so it is continuous and may leave [-pi, pi].

    ``reference`` (a ``(4,)`` axis-angle, e.g. the bone's current value) makes frame 0 compatible
    with it in the same way.
    """
    mb, single = as_batch(m, (3, 3), "m")
    if len(mb) == 0:
        return np.zeros((0, 4))
    q = quat_from_matrix(mb)
    ref = None if reference is None else np.asarray(reference, dtype=np.float64)
    ref_axis = None
    if ref is not None:
        ref_len = np.linalg.norm(ref[1:])
        if ref_len > 0.0:
            ref_axis = ref[1:] / ref_len
            ref_quat = np.concatenate([[np.cos(ref[0] / 2)], np.sin(ref[0] / 2) * ref_axis])
            q = quat_make_continuous(q, ref_quat)
        else:
            q = quat_make_continuous(q)
    else:
        q = quat_make_continuous(q)
    w, v = q[:, 0], q[:, 1:]
    length = np.linalg.norm(v, axis=1)
    defined = length > _AXIS_EPS
    n = len(mb)
    idx = np.flatnonzero(defined)
    axes = np.empty((n, 3))
    if idx.size == 0:
        axes[:] = ref_axis if ref_axis is not None else (0.0, 1.0, 0.0)
    else:
        raw = v[idx] / length[idx, None]
        flip = np.empty(idx.size, dtype=bool)
        flip[0] = ref_axis is not None and float(np.dot(raw[0], ref_axis)) < 0.0
        flip[1:] = np.einsum("ij,ij->i", raw[1:], raw[:-1]) < 0.0
        raw *= np.where(np.cumsum(flip) % 2 == 1, -1.0, 1.0)[:, None]
        # Frame f takes the axis of the last defined frame <= f; frames before the first defined one
        # take the reference axis, else the first defined axis.
        slot = np.searchsorted(idx, np.arange(n), side="right") - 1
        axes[:] = raw[np.maximum(slot, 0)]
        if ref_axis is not None:
            axes[slot < 0] = ref_axis
    angle = 2.0 * np.arctan2(np.einsum("ij,ij->i", v, axes), w)
    start = angle[:0] if ref is None else ref[:1]
    angle = np.unwrap(np.concatenate([start, angle]))[len(start) :]
    return from_batch(np.column_stack([angle, axes]), single)


# --------------------------------------------------------------------------------------------------
# Character frame and head angles
# --------------------------------------------------------------------------------------------------


def character_rotation(yaw: npt.ArrayLike, pitch: npt.ArrayLike, roll: npt.ArrayLike) -> np.ndarray:
    """Head rotation ``Rz(yaw) @ Rx(pitch) @ Ry(roll)`` expressed in character coordinates.

    Angles in degrees; ``Rz`` is about up ``u``, ``Rx`` about right ``r``, ``Ry`` about forward ``f``
    (right-hand rule): yaw > 0 turns the face toward the character's left, pitch > 0 raises the chin,
    roll > 0 tilts the top of the head toward the character's right. Scalars give ``(3, 3)``;
    arrays of shape ``(N,)`` (broadcast together) give ``(N, 3, 3)``.
    """
    y, p, r = np.broadcast_arrays(
        np.asarray(yaw, dtype=np.float64),
        np.asarray(pitch, dtype=np.float64),
        np.asarray(roll, dtype=np.float64),
    )
    if y.ndim > 1:
        raise ValueError(f"yaw, pitch and roll must be scalars or 1-D arrays, got shape {y.shape}")
    euler = np.radians(np.stack([p, r, y], axis=-1))  # Blender (x, y, z) = (pitch, roll, yaw)
    return matrix_from_euler(euler, "YXZ")


def character_angles(R: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inverse of :func:`character_rotation`: ``(yaw, pitch, roll)`` in degrees.

    ``(3, 3)`` gives 0-d arrays, ``(N, 3, 3)`` gives three ``(N,)`` arrays. Each frame is converted
    on its own to the principal solution: pitch in [-90, 90], yaw and roll in [-180, 180]. At
    |pitch| = 90 (face straight up or down) yaw and roll turn about the same axis; the whole turn is
    then reported as yaw and roll is 0, so the result is exact and never NaN.
    """
    mb, single = as_batch(R, (3, 3), "R")
    abc, _, _, _, parity, perm = _euler_principal(mb, "YXZ", free_first=True)
    xyz = np.empty_like(abc)
    xyz[:, perm] = parity * abc
    deg = np.degrees(xyz)
    pitch, roll, yaw = deg[:, 0], deg[:, 1], deg[:, 2]
    if single:
        return yaw[0], pitch[0], roll[0]
    return yaw, pitch, roll


def angle_between(m1: npt.ArrayLike, m2: npt.ArrayLike) -> np.ndarray:
    """Geodesic angle in degrees between rotations, i.e. the rotation angle of ``m1.T @ m2``.

    Broadcasts over leading axes: ``(3, 3)`` with ``(N, 3, 3)`` gives ``(N,)``. Computed with
    ``atan2(sin, cos)``, so it is accurate for tiny angles too. Result in [0, 180].
    """
    a = np.asarray(m1, dtype=np.float64)
    b = np.asarray(m2, dtype=np.float64)
    rel = np.swapaxes(a, -1, -2) @ b
    cos = (rel[..., 0, 0] + rel[..., 1, 1] + rel[..., 2, 2] - 1.0) / 2.0
    sin = 0.5 * np.sqrt(
        (rel[..., 2, 1] - rel[..., 1, 2]) ** 2
        + (rel[..., 0, 2] - rel[..., 2, 0]) ** 2
        + (rel[..., 1, 0] - rel[..., 0, 1]) ** 2
    )
    return np.degrees(np.arctan2(sin, cos))
