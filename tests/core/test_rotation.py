"""Tests of core.rotation: conversions, continuity, character conventions (pure numpy)."""

import time

import numpy as np
import pytest

from core.errors import SettingsError
from core.rig.chain import character_basis, local_delta
from core.rotation import (
    EULER_ORDERS,
    angle_between,
    axis_angle_from_matrix,
    character_angles,
    character_rotation,
    euler_from_matrix,
    matrix_from_axis_angle,
    matrix_from_euler,
    matrix_from_quat,
    quat_from_matrix,
    quat_make_continuous,
    quat_multiply,
)

TOL_DEG = 1e-7  # rotation round-trip tolerance, degrees
_TWO_PI = 2.0 * np.pi


def random_quats(n: int, seed: int = 0) -> np.ndarray:
    q = np.random.default_rng(seed).normal(size=(n, 4))
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def random_rotations(n: int, seed: int = 0) -> np.ndarray:
    return matrix_from_quat(random_quats(n, seed))


def elementary(axis: int, angle: float) -> np.ndarray:
    """Right-handed rotation about coordinate axis 0, 1 or 2 (radians), written out independently."""
    c, s = np.cos(angle), np.sin(angle)
    a, b = [(1, 2), (2, 0), (0, 1)][axis]
    m = np.eye(3)
    m[a, a], m[a, b], m[b, a], m[b, b] = c, -s, s, c
    return m


def slow_turn(axis: np.ndarray, degrees_total: float, n: int, base: np.ndarray | None = None) -> np.ndarray:
    """Rotations turning steadily about a fixed world axis, optionally applied after ``base``."""
    axis = np.asarray(axis, dtype=float) / np.linalg.norm(axis)
    angles = np.radians(np.linspace(0.0, degrees_total, n))
    aa = np.column_stack([angles, np.tile(axis, (n, 1))])
    m = matrix_from_axis_angle(aa)
    return m if base is None else m @ base


def max_step(x: np.ndarray) -> float:
    return float(np.abs(np.diff(x, axis=0)).max())


# --------------------------------------------------------------------------------------------------
# Euler
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("order", EULER_ORDERS)
def test_matrix_from_euler_matches_elementary_composition(order):
    rng = np.random.default_rng(1)
    for e in rng.uniform(-4, 4, size=(20, 3)):
        a, b, c = ("XYZ".index(ch) for ch in order)
        expected = elementary(c, e[c]) @ elementary(b, e[b]) @ elementary(a, e[a])
        np.testing.assert_allclose(matrix_from_euler(e, order), expected, atol=1e-12)


@pytest.mark.parametrize("order", EULER_ORDERS)
def test_euler_round_trip_random(order):
    m = random_rotations(2000, seed=2)
    e = euler_from_matrix(m, order)
    assert e.shape == (2000, 3)
    assert np.all(np.isfinite(e))
    assert angle_between(matrix_from_euler(e, order), m).max() < TOL_DEG


@pytest.mark.parametrize("order", EULER_ORDERS)
@pytest.mark.parametrize("offset_deg", [0.0, 1e-12, 1e-9, 1e-6, 1e-3, 0.5])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_euler_round_trip_near_gimbal(order, offset_deg, sign):
    rng = np.random.default_rng(3)
    middle = "XYZ".index(order[1])
    e = rng.uniform(-np.pi, np.pi, size=(200, 3))
    e[:, middle] = sign * np.radians(90.0 - offset_deg)
    m = matrix_from_euler(e, order)
    for frames in (m, m[:1], m[0]):  # sequence, one-frame batch, single matrix
        out = euler_from_matrix(frames, order)
        assert np.all(np.isfinite(out))
        assert angle_between(matrix_from_euler(out, order), frames).max() < TOL_DEG


@pytest.mark.parametrize("order", EULER_ORDERS)
def test_euler_single_frame_is_principal(order):
    m = random_rotations(50, seed=4)
    middle = "XYZ".index(order[1])
    for mi in m:
        e = euler_from_matrix(mi, order)
        assert e.shape == (3,)
        assert abs(e[middle]) <= np.pi / 2 + 1e-12
        assert np.all(np.abs(e) <= np.pi + 1e-12)


@pytest.mark.parametrize("order", EULER_ORDERS)
def test_euler_reference_is_honoured(order):
    rng = np.random.default_rng(5)
    for _ in range(50):
        e_true = rng.uniform(-np.pi, np.pi, size=3)
        # A reference that uses the non-principal solution, wrapped by some turns.
        m = matrix_from_euler(e_true, order)
        ref = e_true + _TWO_PI * rng.integers(-2, 3, size=3)
        out = euler_from_matrix(m, order, reference=ref)
        np.testing.assert_allclose(out, ref, atol=1e-9)
        # A slightly different rotation lands next to the reference, not a solution elsewhere.
        m2 = matrix_from_euler(e_true + 0.01, order)
        out2 = euler_from_matrix(m2, order, reference=ref)
        np.testing.assert_allclose(out2, ref + 0.01, atol=1e-9)


def wrap(x: np.ndarray) -> np.ndarray:
    return (x + np.pi) % _TWO_PI - np.pi


@pytest.mark.parametrize("order", EULER_ORDERS)
@pytest.mark.parametrize(
    "axis", [(1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 0), (0.3, -0.5, 0.8), (-0.2, 0.9, 0.1)]
)
def test_euler_continuity_slow_turn(order, axis):
    """Two full turns, 0.5 degree per frame, crossing +-180 degrees and passing near gimbal lock."""
    base = matrix_from_euler((0.2, -0.1, 0.3), order)
    m = slow_turn(np.array(axis), 720.0, 1441, base)
    e = euler_from_matrix(m, order)
    assert np.all(np.isfinite(e))
    assert angle_between(matrix_from_euler(e, order), m).max() < TOL_DEG
    i, j, k = ("XYZ".index(ch) for ch in order)
    step = np.abs(np.diff(e, axis=0))
    # Never a 2 pi wrap: each angle moves by less than pi per frame.
    assert step.max() < np.pi
    # Each frame uses whichever of the two Euler solutions is closer to the previous frame.
    alt = e.copy()
    alt[:, i] += np.pi
    alt[:, j] = np.pi - alt[:, j]
    alt[:, k] += np.pi
    assert np.all(step.sum(axis=1) <= np.abs(wrap(alt[1:] - e[:-1])).sum(axis=1) + 1e-9)
    # Large steps are the genuine fast Euler motion next to gimbal lock (cos(middle) ~ 0) only;
    # elsewhere a 0.5 degree turn moves the angles by little.
    near_gimbal = np.abs(np.cos(e[:, j])) < 0.1
    big = step.max(axis=1) > 0.2
    assert not np.any(big & ~near_gimbal[1:] & ~near_gimbal[:-1])


@pytest.mark.parametrize("order", EULER_ORDERS)
def test_euler_continuity_through_exact_gimbal(order):
    """A smooth Euler path whose middle angle sweeps 0 -> 180 degrees, hitting exactly 90 degrees."""
    i, j, k = ("XYZ".index(ch) for ch in order)
    n = 361
    e = np.zeros((n, 3))
    e[:, j] = np.radians(np.linspace(0.0, 180.0, n))  # frame 180 is exactly 90 degrees
    e[:, i] = 0.4 * np.sin(np.linspace(0, 3, n))
    e[:, k] = 0.3 * np.cos(np.linspace(0, 2, n))
    m = matrix_from_euler(e, order)
    out = euler_from_matrix(m, order)
    assert np.all(np.isfinite(out))
    assert angle_between(matrix_from_euler(out, order), m).max() < TOL_DEG
    assert max_step(out) < 0.05


@pytest.mark.parametrize("order", EULER_ORDERS)
def test_euler_continuity_staying_in_gimbal(order):
    """Frames that stay exactly in gimbal lock keep the last angle of the frame before."""
    j = "XYZ".index(order[1])
    k = "XYZ".index(order[2])
    n = 100
    e = np.zeros((n, 3))
    e[:, k] = 0.7
    e[:, j] = np.radians(np.concatenate([np.linspace(60, 90, 50), np.full(50, 90.0)]))
    e[50:, "XYZ".index(order[0])] = np.linspace(0.0, 0.5, 50)
    m = matrix_from_euler(e, order)
    out = euler_from_matrix(m, order)
    assert angle_between(matrix_from_euler(out, order), m).max() < TOL_DEG
    assert max_step(out) < 0.05
    np.testing.assert_allclose(out[50:, k], 0.7, atol=1e-9)


def test_euler_gimbal_first_frame_without_reference_is_finite():
    m = matrix_from_euler((0.3, np.pi / 2, 0.5), "XYZ")
    e = euler_from_matrix(m, "XYZ")
    assert np.all(np.isfinite(e))
    assert e[2] == 0.0
    assert angle_between(matrix_from_euler(e, "XYZ"), m) < TOL_DEG
    # With a reference, the free angle follows the reference.
    e2 = euler_from_matrix(m, "XYZ", reference=(0.0, 1.5, 0.4))
    np.testing.assert_allclose(e2[2], 0.4, atol=1e-12)
    assert angle_between(matrix_from_euler(e2, "XYZ"), m) < TOL_DEG


def test_euler_unknown_order():
    with pytest.raises(ValueError, match="order"):
        matrix_from_euler((0, 0, 0), "XXY")
    with pytest.raises(ValueError, match="order"):
        euler_from_matrix(np.eye(3), "xyz")


def test_empty_batches():
    m0, q0, e0 = np.zeros((0, 3, 3)), np.zeros((0, 4)), np.zeros((0, 3))
    assert matrix_from_quat(q0).shape == (0, 3, 3)
    assert quat_from_matrix(m0).shape == (0, 4)
    assert quat_make_continuous(q0).shape == (0, 4)
    assert matrix_from_euler(e0, "ZXY").shape == (0, 3, 3)
    assert euler_from_matrix(m0, "ZXY", reference=(0, 0, 0)).shape == (0, 3)
    assert matrix_from_axis_angle(q0).shape == (0, 3, 3)
    assert axis_angle_from_matrix(m0).shape == (0, 4)
    assert character_rotation([], [], []).shape == (0, 3, 3)
    assert character_angles(m0)[0].shape == (0,)


def test_bad_shapes_raise():
    with pytest.raises(ValueError):
        matrix_from_euler(np.zeros((2, 4)), "XYZ")
    with pytest.raises(ValueError):
        quat_from_matrix(np.zeros((3, 4)))
    with pytest.raises(ValueError):
        matrix_from_quat(np.zeros(4))


# --------------------------------------------------------------------------------------------------
# Quaternions
# --------------------------------------------------------------------------------------------------


def test_quat_round_trip_and_canonical_sign():
    q = random_quats(3000, seed=6)
    q2 = quat_from_matrix(matrix_from_quat(q))
    assert q2.shape == (3000, 4)
    assert np.all(q2[:, 0] >= 0.0)
    np.testing.assert_allclose(np.linalg.norm(q2, axis=1), 1.0, atol=1e-14)
    np.testing.assert_allclose(np.abs(np.einsum("ij,ij->i", q, q2)), 1.0, atol=1e-12)


def test_quat_from_matrix_half_turns_and_identity():
    """Trace = -1 (180 degree turns) is where naive trace-based conversions lose precision."""
    axes = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, -2, 3], [0, -1, 1e-9]], float)
    axes /= np.linalg.norm(axes, axis=1, keepdims=True)
    for axis in axes:
        for angle in (np.pi, np.pi - 1e-9, 0.0, 1e-9):
            m = matrix_from_axis_angle(np.concatenate([[angle], axis]))
            q = quat_from_matrix(m)
            assert angle_between(matrix_from_quat(q), m) < TOL_DEG
    np.testing.assert_allclose(quat_from_matrix(np.eye(3)), [1, 0, 0, 0], atol=0)


def test_matrix_from_quat_normalises_and_is_sign_invariant():
    q = random_quats(100, seed=7)
    np.testing.assert_allclose(matrix_from_quat(3.0 * q), matrix_from_quat(q), atol=1e-14)
    np.testing.assert_allclose(matrix_from_quat(-q), matrix_from_quat(q), atol=1e-14)
    m = matrix_from_quat(q)
    np.testing.assert_allclose(m @ np.swapaxes(m, 1, 2), np.broadcast_to(np.eye(3), m.shape), atol=1e-14)
    np.testing.assert_allclose(np.linalg.det(m), 1.0, atol=1e-13)


def test_quat_multiply_composes_like_matrices():
    a, b = random_quats(500, seed=8), random_quats(500, seed=9)
    np.testing.assert_allclose(
        matrix_from_quat(quat_multiply(a, b)), matrix_from_quat(a) @ matrix_from_quat(b), atol=1e-13
    )
    # Broadcasting a single quaternion over a batch.
    np.testing.assert_allclose(quat_multiply(a[0], b)[3], quat_multiply(a[0], b[3]), atol=0)
    np.testing.assert_allclose(quat_multiply([1, 0, 0, 0], b), b, atol=0)


def test_quat_make_continuous():
    m = slow_turn(np.array([0.3, -0.4, 0.8]), 1080.0, 2161, random_rotations(1, seed=10)[0])
    q = quat_from_matrix(m)
    assert np.any(np.einsum("ij,ij->i", q[1:], q[:-1]) < 0)  # raw conversion has hemisphere jumps
    qc = quat_make_continuous(q)
    assert np.all(np.einsum("ij,ij->i", qc[1:], qc[:-1]) >= 0)
    assert max_step(qc) < 0.01
    np.testing.assert_allclose(np.abs(qc), np.abs(q), atol=0)
    assert angle_between(matrix_from_quat(qc), m).max() < TOL_DEG
    # Reference: the first frame goes into the reference's hemisphere.
    ref = -q[0]
    assert np.dot(quat_make_continuous(q, reference=ref)[0], ref) > 0
    assert quat_make_continuous(q[0], reference=ref).shape == (4,)


# --------------------------------------------------------------------------------------------------
# Axis-angle
# --------------------------------------------------------------------------------------------------


def test_axis_angle_round_trip():
    m = random_rotations(3000, seed=11)
    aa = axis_angle_from_matrix(m)
    assert aa.shape == (3000, 4)
    np.testing.assert_allclose(np.linalg.norm(aa[:, 1:], axis=1), 1.0, atol=1e-12)
    assert angle_between(matrix_from_axis_angle(aa), m).max() < TOL_DEG
    # Single frames: Blender's form, angle in [0, pi].
    for mi in m[:100]:
        a = axis_angle_from_matrix(mi)
        assert a.shape == (4,)
        assert 0.0 <= a[0] <= np.pi + 1e-12
        assert angle_between(matrix_from_axis_angle(a), mi) < TOL_DEG


def test_axis_angle_known_values():
    np.testing.assert_allclose(axis_angle_from_matrix(np.eye(3)), [0, 0, 1, 0], atol=0)
    m = elementary(0, 0.5)
    np.testing.assert_allclose(axis_angle_from_matrix(m), [0.5, 1, 0, 0], atol=1e-14)
    np.testing.assert_allclose(matrix_from_axis_angle([0.5, 2, 0, 0]), m, atol=1e-14)  # axis normalised
    np.testing.assert_allclose(matrix_from_axis_angle([0.5, 0, 0, 0]), np.eye(3), atol=0)  # zero axis


def test_axis_angle_axis_does_not_flip_through_zero():
    """Turning about X from +30 to -30 degrees keeps axis +X with a signed angle."""
    angles = np.radians(np.linspace(30, -30, 121))  # frame 60 is exactly 0
    m = np.array([elementary(0, a) for a in angles])
    aa = axis_angle_from_matrix(m)
    np.testing.assert_allclose(aa[:, 1:], np.tile([1.0, 0, 0], (121, 1)), atol=1e-12)
    np.testing.assert_allclose(aa[:, 0], angles, atol=1e-12)


def test_axis_angle_leading_identity_frames_take_first_axis():
    angles = np.radians(np.concatenate([np.zeros(5), np.linspace(0, -20, 10)]))
    m = np.array([elementary(2, a) for a in angles])
    aa = axis_angle_from_matrix(m)
    assert np.all(np.isfinite(aa))
    assert max_step(aa[:, 1:]) < 1e-12  # the same axis on every frame
    assert angle_between(matrix_from_axis_angle(aa), m).max() < TOL_DEG


@pytest.mark.parametrize("axis", [(1, 0, 0), (0.3, -0.5, 0.8), (0, 0, -1)])
def test_axis_angle_continuity_through_half_and_full_turns(axis):
    m = slow_turn(np.array(axis), 900.0, 1801)
    aa = axis_angle_from_matrix(m)
    assert angle_between(matrix_from_axis_angle(aa), m).max() < TOL_DEG
    assert max_step(aa) < 0.02
    np.testing.assert_allclose(aa[-1, 0], np.radians(900.0), atol=1e-9)  # unwrapped angle keeps going


def test_axis_angle_continuity_random_smooth_path():
    rng = np.random.default_rng(12)
    # Small random angular velocity per frame (rad) plus a drift, so the path makes several turns.
    rate = rng.normal(size=(3000, 3)) * 0.01 + np.array([0.006, -0.002, 0.003])
    steps = matrix_from_axis_angle(
        np.column_stack([np.linalg.norm(rate, axis=1), rate / np.linalg.norm(rate, axis=1, keepdims=True)])
    )
    m = np.empty_like(steps)
    m[0] = steps[0]
    for i in range(1, len(m)):
        m[i] = steps[i] @ m[i - 1]
    aa = axis_angle_from_matrix(m)
    assert angle_between(matrix_from_axis_angle(aa), m).max() < TOL_DEG
    # The angle changes by about the per-frame turn at most (up to 2x where it changes sign next to
    # the identity), and the axis never flips to the opposite side (it may turn fast where the angle
    # is small; that is genuine).
    assert max_step(aa[:, 0]) < 2 * np.linalg.norm(rate, axis=1).max()
    assert np.all(np.einsum("ij,ij->i", aa[1:, 1:], aa[:-1, 1:]) > 0)
    assert np.any(aa[:, 0] < 0) or np.any(aa[:, 0] > np.pi)  # the path left Blender's [0, pi] range


def test_axis_angle_reference():
    m = elementary(1, 0.3)
    ref = np.array([-0.25 + _TWO_PI, 0.0, -1.0, 0.0])  # same axis line, opposite sign, wrapped angle
    out = axis_angle_from_matrix(m, reference=ref)
    np.testing.assert_allclose(out, [-0.3 + _TWO_PI, 0, -1, 0], atol=1e-12)
    # Identity with a reference keeps the reference axis.
    out = axis_angle_from_matrix(np.eye(3), reference=[0.1, 0.0, 0.0, 1.0])
    np.testing.assert_allclose(out, [0.0, 0, 0, 1], atol=1e-12)


# --------------------------------------------------------------------------------------------------
# Character frame and head angles
# --------------------------------------------------------------------------------------------------

R_AXIS, F_AXIS, U_AXIS = np.eye(3)  # r, f, u in character coordinates


def test_character_semantics():
    # yaw 30: the face turns toward the character's left (-r).
    f = character_rotation(30, 0, 0) @ F_AXIS
    np.testing.assert_allclose(f, [-np.sin(np.radians(30)), np.cos(np.radians(30)), 0], atol=1e-15)
    assert f @ -R_AXIS > 0
    # pitch 20: the chin rises, forward moves toward +u.
    f = character_rotation(0, 20, 0) @ F_AXIS
    np.testing.assert_allclose(f, [0, np.cos(np.radians(20)), np.sin(np.radians(20))], atol=1e-15)
    # roll 10: the top of the head tilts toward the character's right, up moves toward +r.
    u = character_rotation(0, 0, 10) @ U_AXIS
    np.testing.assert_allclose(u, [np.sin(np.radians(10)), 0, np.cos(np.radians(10))], atol=1e-15)


def test_character_rotation_composition_order():
    yaw, pitch, roll = 25.0, -15.0, 8.0
    yaw_r, pitch_r, roll_r = np.radians([yaw, pitch, roll])
    expected = elementary(2, yaw_r) @ elementary(0, pitch_r) @ elementary(1, roll_r)
    np.testing.assert_allclose(character_rotation(yaw, pitch, roll), expected, atol=1e-15)


def test_character_rotation_shapes():
    assert character_rotation(1, 2, 3).shape == (3, 3)
    assert character_rotation(np.zeros(7), np.zeros(7), np.zeros(7)).shape == (7, 3, 3)
    m = character_rotation(np.arange(5.0), 10.0, 0)  # scalars broadcast against arrays
    assert m.shape == (5, 3, 3)
    np.testing.assert_allclose(m[3], character_rotation(3.0, 10.0, 0.0), atol=0)
    with pytest.raises(ValueError):
        character_rotation(np.zeros((2, 2)), 0, 0)


def test_character_angles_inverse():
    rng = np.random.default_rng(13)
    n = 5000
    yaw = rng.uniform(-180, 180, n)
    pitch = rng.uniform(-90, 90, n)
    roll = rng.uniform(-180, 180, n)
    y2, p2, r2 = character_angles(character_rotation(yaw, pitch, roll))
    assert y2.shape == p2.shape == r2.shape == (n,)
    np.testing.assert_allclose(p2, pitch, atol=1e-9)
    # yaw/roll up to a full turn (+-180 may come back as -+180).
    np.testing.assert_allclose(np.angle(np.exp(1j * np.radians(y2 - yaw))), 0, atol=1e-9)
    np.testing.assert_allclose(np.angle(np.exp(1j * np.radians(r2 - roll))), 0, atol=1e-9)
    # Typical head angles come back exactly.
    y, p, r = character_angles(character_rotation(12.5, -33.0, 4.0))
    assert np.shape(y) == ()
    np.testing.assert_allclose([y, p, r], [12.5, -33.0, 4.0], atol=1e-12)


def test_character_angles_gimbal():
    for pitch in (90.0, -90.0):
        m = character_rotation(20.0, pitch, 15.0)
        y, p, r = character_angles(m)
        assert np.all(np.isfinite([y, p, r]))
        np.testing.assert_allclose(p, pitch, atol=1e-9)
        assert r == 0.0
        assert angle_between(character_rotation(y, p, r), m) < TOL_DEG
    m = character_rotation(20.0, 90.0 - 1e-9, 15.0)
    assert angle_between(character_rotation(*character_angles(m)), m) < TOL_DEG


def test_character_basis_blender_default_and_orthonormal():
    c = character_basis((0, -1, 0), (0, 0, 1))
    np.testing.assert_allclose(c, [[-1, 0, 0], [0, -1, 0], [0, 0, 1]], atol=0)
    rng = np.random.default_rng(14)
    for _ in range(200):
        fwd, up = rng.normal(size=3), rng.normal(size=3) * 5
        c = character_basis(fwd, up)
        np.testing.assert_allclose(c.T @ c, np.eye(3), atol=1e-14)
        np.testing.assert_allclose(np.linalg.det(c), 1.0, atol=1e-14)
        r, f, u = c.T
        np.testing.assert_allclose(np.cross(r, f), u, atol=1e-14)
        np.testing.assert_allclose(u, up / np.linalg.norm(up), atol=1e-15)  # up wins
        assert f @ fwd > 0  # forward only made perpendicular
        assert abs(np.cross(f, fwd - (fwd @ u) * u)).max() < 1e-12


@pytest.mark.parametrize(
    "forward, up",
    [
        ((0, 0, 0), (0, 0, 1)),
        ((0, -1, 0), (0, 0, 0)),
        ((0, 0, 2), (0, 0, 1)),
        ((0, 0, -1), (0, 0, 1)),
        ((1e-9, 0, 1), (0, 0, 1)),
        ((np.nan, 0, 0), (0, 0, 1)),
    ],
)
def test_character_basis_errors(forward, up):
    with pytest.raises(SettingsError):
        character_basis(forward, up)


def test_character_basis_maps_character_vectors_to_world():
    c = character_basis((0, -1, 0), (0, 0, 1))
    # The character's left (-r) is world +X for a character facing -Y.
    np.testing.assert_allclose(c @ -R_AXIS, [1, 0, 0], atol=0)
    # A 30 degree yaw turns the face from -Y toward +X (the character's left).
    face = c @ character_rotation(30, 0, 0) @ F_AXIS
    assert face[0] > 0 and face[1] < 0


def test_local_delta_equals_world_rotation_on_bone():
    rng_rot = random_rotations(3, seed=15)
    c = character_basis((0.2, -1, 0.1), (0, 0.1, 1))
    b = rng_rot[0]  # bone rest world rotation
    k = c.T @ b
    r_char = character_rotation(np.array([10.0, -20.0]), np.array([5.0, 30.0]), np.array([0.0, 7.0]))
    d = local_delta(k, r_char)
    assert d.shape == (2, 3, 3)
    w = c @ r_char @ c.T  # the same rotation in world coordinates
    np.testing.assert_allclose(b @ d, w @ b, atol=1e-14)
    np.testing.assert_allclose(d, k.T @ r_char @ k, atol=1e-14)
    assert local_delta(k, r_char[1]).shape == (3, 3)
    # Same rotation angle in any frame.
    np.testing.assert_allclose(angle_between(np.eye(3), d), angle_between(np.eye(3), r_char), atol=1e-9)


def test_angle_between():
    np.testing.assert_allclose(angle_between(np.eye(3), elementary(2, np.radians(37.0))), 37.0, atol=1e-12)
    np.testing.assert_allclose(
        angle_between(elementary(0, 0.1), elementary(0, 0.1 + 1e-9)), np.degrees(1e-9), rtol=1e-6
    )
    np.testing.assert_allclose(angle_between(np.eye(3), elementary(1, np.pi)), 180.0, atol=1e-12)
    m = random_rotations(10, seed=16)
    out = angle_between(m[0], m)
    assert out.shape == (10,)
    assert out[0] < 1e-6
    np.testing.assert_allclose(out, angle_between(m, m[0]), atol=1e-9)  # symmetric
    assert np.all((out >= 0) & (out <= 180))


# --------------------------------------------------------------------------------------------------
# Speed: 18,000 frames (10 minutes at 30 fps) must convert without per-frame Python loops.
# --------------------------------------------------------------------------------------------------


def _best_time(fn, *args, repeat: int = 3) -> float:
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - start)
    return best


def test_speed_18000_frames():
    n = 18000
    q = random_quats(n, seed=17)
    m = matrix_from_quat(q)
    e = euler_from_matrix(m, "ZXY")
    aa = axis_angle_from_matrix(m)
    cases = [
        (matrix_from_quat, q),
        (quat_from_matrix, m),
        (quat_make_continuous, q),
        (lambda x: matrix_from_euler(x, "ZXY"), e),
        (lambda x: euler_from_matrix(x, "ZXY"), m),
        (matrix_from_axis_angle, aa),
        (axis_angle_from_matrix, m),
        (character_angles, m),
        (lambda x: character_rotation(x[:, 0], x[:, 1], x[:, 2]), e),
        (lambda x: local_delta(x[0], x), m),
    ]
    for fn, arg in cases:
        # Typically a few ms; the generous limit only catches per-frame Python loops.
        assert _best_time(fn, arg) < 0.1
