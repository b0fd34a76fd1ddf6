"""core.rig.chain.chain_rotations: the head turns by exactly the requested rotation, whether or not it
inherits the neck's rotation (ChainJoint.inherits)."""

import numpy as np
import pytest

from core.rig.chain import ChainJoint, chain_rotations, character_basis, to_matrices
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
