"""core.rotation against Blender's own mathutils: same numbers for the same conventions.

mathutils works in float32, so results agree to ~1e-5. The core module is imported on its own (repo
root on sys.path, ``from core import rotation``), without importing the extension package.
"""

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from core import rotation  # noqa: E402
from core.rig import chain  # noqa: E402

bpy = pytest.importorskip("bpy")
mathutils = pytest.importorskip("mathutils")  # import after bpy: it ships with Blender
Euler, Matrix, Quaternion = mathutils.Euler, mathutils.Matrix, mathutils.Quaternion

ATOL = 2e-5  # float32 precision of mathutils
ANGLE_TOL_DEG = 5e-3


def np_matrix(m) -> np.ndarray:
    return np.array([list(row) for row in m], dtype=np.float64)


def random_quats(n: int, seed: int) -> np.ndarray:
    q = np.random.default_rng(seed).normal(size=(n, 4))
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def random_eulers(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-2 * np.pi, 2 * np.pi, size=(n, 3))


def same_quat(a: np.ndarray, b: np.ndarray, atol: float = ATOL) -> bool:
    return min(np.abs(a - b).max(), np.abs(a + b).max()) < atol


@pytest.mark.parametrize("order", rotation.EULER_ORDERS)
def test_matrix_from_euler_matches(order):
    eulers = random_eulers(200, seed=1)
    ours = rotation.matrix_from_euler(eulers, order)
    for e, m in zip(eulers, ours, strict=True):
        np.testing.assert_allclose(m, np_matrix(Euler(e, order).to_matrix()), atol=ATOL)
    # Blender's documented meaning of an order: 'XYZ' applies X first, i.e. Rz @ Ry @ Rx.
    e = (0.3, -0.7, 1.1)
    rx, ry, rz = (Matrix.Rotation(angle, 3, axis) for angle, axis in zip(e, "XYZ", strict=True))
    parts = {"X": rx, "Y": ry, "Z": rz}
    expected = parts[order[2]] @ parts[order[1]] @ parts[order[0]]
    np.testing.assert_allclose(rotation.matrix_from_euler(e, order), np_matrix(expected), atol=ATOL)


@pytest.mark.parametrize("order", rotation.EULER_ORDERS)
def test_euler_from_matrix_gives_the_same_rotation_as_to_euler(order):
    eulers = random_eulers(200, seed=2)
    middle = "XYZ".index(order[1])
    eulers[:20, middle] = np.pi / 2  # gimbal lock
    eulers[20:40, middle] = -np.pi / 2
    mats = rotation.matrix_from_euler(eulers, order)
    for m in mats:
        ours = rotation.euler_from_matrix(m, order)
        theirs = Matrix(m.tolist()).to_euler(order)
        assert np.all(np.isfinite(ours))
        np.testing.assert_allclose(
            rotation.matrix_from_euler(ours, order), np_matrix(theirs.to_matrix()), atol=5 * ATOL
        )


@pytest.mark.parametrize("order", rotation.EULER_ORDERS)
def test_euler_reference_at_least_as_close_as_blender_compat(order):
    """With a reference, our pick is never further from it than Blender's ``to_euler(order, compat)``."""
    rng = np.random.default_rng(3)
    refs = random_eulers(300, seed=4) * 2  # up to two turns away
    for ref in refs:
        e = ref + rng.normal(scale=0.3, size=3)
        m = rotation.matrix_from_euler(e, order)
        ours = rotation.euler_from_matrix(m, order, reference=ref)
        theirs = np.array(Matrix(m.tolist()).to_euler(order, Euler(ref, order)))
        np.testing.assert_allclose(rotation.matrix_from_euler(ours, order), m, atol=1e-9)
        np.testing.assert_allclose(rotation.matrix_from_euler(theirs, order), m, atol=5 * ATOL)
        assert np.abs(ours - ref).sum() <= np.abs(theirs - ref).sum() + 1e-4


def test_matrix_from_quat_matches():
    for q in random_quats(300, seed=5):
        np.testing.assert_allclose(
            rotation.matrix_from_quat(q), np_matrix(Quaternion(q).to_matrix()), atol=ATOL
        )


def test_quat_from_matrix_matches():
    quats = random_quats(300, seed=6)
    # Half turns (w = 0) and near-identity, where conversions are most delicate.
    quats[:3] = [[0, 1, 0, 0], [0, 0, 1, 0], [0, 0.6, 0, 0.8]]
    quats[3] = [1, 1e-4, -2e-4, 0]
    quats /= np.linalg.norm(quats, axis=1, keepdims=True)
    mats = rotation.matrix_from_quat(quats)
    ours = rotation.quat_from_matrix(mats)
    for m, q in zip(mats, ours, strict=True):
        theirs = np.array(Matrix(m.tolist()).to_quaternion())
        assert same_quat(q, theirs), (q, theirs)
        if abs(theirs[0]) > 1e-3:  # Blender also returns w >= 0: identical, not just equivalent
            np.testing.assert_allclose(q, theirs, atol=ATOL)


def test_quat_multiply_matches():
    a, b = random_quats(200, seed=7), random_quats(200, seed=8)
    ours = rotation.quat_multiply(a, b)
    for qa, qb, q in zip(a, b, ours, strict=True):
        np.testing.assert_allclose(q, np.array(Quaternion(qa) @ Quaternion(qb)), atol=ATOL)


def test_matrix_from_axis_angle_matches():
    rng = np.random.default_rng(9)
    for _ in range(300):
        axis = rng.normal(size=3)
        axis /= np.linalg.norm(axis)
        angle = rng.uniform(-3 * np.pi, 3 * np.pi)
        ours = rotation.matrix_from_axis_angle(np.concatenate([[angle], axis]))
        np.testing.assert_allclose(ours, np_matrix(Quaternion(axis, angle).to_matrix()), atol=ATOL)
        np.testing.assert_allclose(ours, np_matrix(Matrix.Rotation(angle, 3, axis)), atol=ATOL)


def test_axis_angle_from_matrix_matches_to_axis_angle():
    quats = random_quats(300, seed=10)
    mats = rotation.matrix_from_quat(quats)
    for m in mats:
        ours = rotation.axis_angle_from_matrix(m)
        axis, angle = Matrix(m.tolist()).to_quaternion().to_axis_angle()
        theirs = np.array([angle, *axis])
        back = np_matrix(Quaternion(ours[1:], ours[0]).to_matrix())
        np.testing.assert_allclose(back, m, atol=ATOL)
        if 1e-3 < angle < np.pi - 1e-3:  # single frames use Blender's form: identical numbers
            np.testing.assert_allclose(ours, theirs, atol=ATOL)
    # The identity: angle 0 about +Y, Blender's default axis.
    axis, angle = Quaternion().to_axis_angle()
    np.testing.assert_allclose(rotation.axis_angle_from_matrix(np.eye(3)), [angle, *axis], atol=0)


def test_character_rotation_is_blender_euler_yxz():
    rng = np.random.default_rng(11)
    for yaw, pitch, roll in rng.uniform(-180, 180, size=(100, 3)):
        expected = Euler(np.radians([pitch, roll, yaw]), "YXZ").to_matrix()
        np.testing.assert_allclose(
            rotation.character_rotation(yaw, pitch, roll), np_matrix(expected), atol=ATOL
        )


def test_character_basis_default_blender_character():
    """A default character faces -Y with +Z up: a +yaw turns its face toward world +X (its left)."""
    c = chain.character_basis((0, -1, 0), (0, 0, 1))
    world_turn = (
        Matrix(c.tolist()) @ Matrix(rotation.character_rotation(30, 0, 0).tolist()) @ Matrix(c.T.tolist())
    )
    face = world_turn @ mathutils.Vector((0, -1, 0))
    np.testing.assert_allclose(
        np.array(face), [np.sin(np.radians(30)), -np.cos(np.radians(30)), 0], atol=ATOL
    )
