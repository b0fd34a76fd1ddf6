"""core.rig.chain.chain_rotations: the head turns by exactly the requested rotation, whether or not it
inherits the neck's rotation (ChainJoint.inherits)."""

import numpy as np
import pytest

from core.rig.chain import ChainJoint, chain_rotations, chain_values, character_basis, to_matrices
from core.rotation import character_rotation, matrix_from_quat


def _random_rotation(rng):
    q = rng.normal(size=4)
    return matrix_from_quat(q / np.linalg.norm(q))


@pytest.mark.parametrize("inherits", [1.0, 0.0])
@pytest.mark.parametrize("mode", ["QUATERNION", "ZXY", "AXIS_ANGLE"])
def test_head_world_rotation_with_and_without_inheriting_the_neck(inherits, mode):
    rng = np.random.default_rng(3)
    basis = character_basis((0.0, -1.0, 0.0), (0.0, 0.0, 1.0))
    angles = np.array([[30.0, -10.0, 5.0], [-20.0, 15.0, -8.0]])
    rest = {"QUATERNION": [1.0, 0, 0, 0], "ZXY": [0.0, 0, 0], "AXIS_ANGLE": [0.0, 0, 1, 0]}[mode]
    current = np.tile(rest, (len(angles), 1))
    neck_rest, head_rest = _random_rotation(rng), _random_rotation(rng)
    joints = [ChainJoint(neck_rest, mode, current), ChainJoint(head_rest, mode, current, inherits)]
    (_, neck_local), (_, head_local) = chain_rotations(angles, basis, joints, neck_share=0.4)
    for i, (yaw, pitch, roll) in enumerate(angles):
        neck_world = neck_rest @ neck_local[i] @ neck_rest.T
        head_world = head_rest @ head_local[i] @ head_rest.T
        if inherits:
            head_world = neck_world @ head_world
        np.testing.assert_allclose(head_world, basis @ character_rotation(yaw, pitch, roll) @ basis.T, atol=1e-9)
        np.testing.assert_allclose(neck_world, basis @ character_rotation(*(0.4 * angles[i])) @ basis.T,
                                   atol=1e-9)
    assert np.allclose(to_matrices(current, mode), np.eye(3))


def test_quaternion_joints_match_the_matrix_route_and_chain_values():
    """Quaternion joints are computed in quaternions (character_quaternion, conjugation by the rest frame); the
    result is the matrix route's (local_delta + compose) to rounding, starting in the hemisphere of the current
    keys, and chain_values gives the same values without the matrices."""
    from core.rig.chain import character_quaternion, compose, local_delta
    from core.rotation import quat_from_matrix

    rng = np.random.default_rng(7)
    angles = rng.uniform(-80.0, 80.0, (200, 3))
    np.testing.assert_allclose(matrix_from_quat(character_quaternion(angles)),
                               character_rotation(*angles.T), atol=1e-12)
    basis = character_basis(rng.normal(size=3), rng.normal(size=3))
    rest = _random_rotation(rng)
    current = -quat_from_matrix(np.stack([_random_rotation(rng) for _ in range(len(angles))]))  # w <= 0 keys
    joints = [ChainJoint(_random_rotation(rng), "QUATERNION", current),
              ChainJoint(rest, "QUATERNION", current, 0.5)]
    (_, _), (values, matrices) = chain_rotations(angles, basis, joints, neck_share=0.3)
    k = basis.T @ rest
    world = np.swapaxes(character_rotation(*(0.5 * 0.3 * angles).T), 1, 2) @ character_rotation(*angles.T)
    expected, expected_matrices = compose(local_delta(k, world), current, "QUATERNION")
    np.testing.assert_allclose(values, expected, atol=1e-12)
    np.testing.assert_allclose(matrices, expected_matrices, atol=1e-12)
    assert float(values[0] @ current[0]) > 0.0  # starts in the hemisphere of the existing keys
    np.testing.assert_allclose(chain_values(angles, basis, joints, 0.3)[1], values, atol=0.0)
