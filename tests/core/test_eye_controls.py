"""The maths of eyes moved through controls (core/eyes/controls.py): aim controls turned about the eye, a shared
control at the eyes' fixation point, sliding lids, and armature offsets as a bone's location."""

from __future__ import annotations

import numpy as np

from core.eyes.controls import FAR_FACTOR, aim_offsets, fixation_offsets, slide_offsets, to_bone_space, turn
from core.rotation import character_rotation

#: A Blender character frame in armature space: right = -X, forward = -Y, up = +Z (columns).
BASIS = np.array([[-1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 1.0]]).T
EYES = np.array([[0.032, -0.09, 1.68], [-0.032, -0.09, 1.68]])  # left eye at +X (the character's left)


def _look_angles(direction_char: np.ndarray) -> tuple[float, float]:
    """Yaw/pitch (deg) of a character-frame direction (yaw > 0 toward the left, i.e. -x; pitch > 0 up)."""
    x, y, z = direction_char
    return float(np.degrees(np.arctan2(-x, y))), float(np.degrees(np.arctan2(z, np.hypot(x, y))))


def test_an_aim_control_turns_about_the_eye_and_keeps_its_distance():
    pivot = EYES[0]
    point = pivot + np.array([0.0, -0.3, 0.0])  # 0.3 m straight ahead
    yaw, pitch = np.array([0.0, 30.0, -10.0, 5.0]), np.array([0.0, 0.0, 20.0, -15.0])
    offsets = aim_offsets(yaw, pitch, pivot, point, BASIS)
    assert np.allclose(offsets[0], 0.0)
    placed = point + offsets
    assert np.allclose(np.linalg.norm(placed - pivot, axis=1), 0.3)
    for k in range(len(yaw)):
        direction = BASIS.T @ (placed[k] - pivot)
        assert np.allclose(_look_angles(direction), (yaw[k], pitch[k]), atol=1e-9)
    assert placed[1, 0] > pivot[0]  # yaw > 0 turns toward the character's left (+X here)


def test_a_shared_control_sits_where_the_gaze_lines_meet():
    point = np.array([0.0, -0.39, 1.68])  # rest: 0.3 m ahead of the eyes' middle
    targets = np.array([[0.4, -2.5, 1.9], [-0.2, -0.8, 1.5], [0.0, -1.2, 1.68]])
    yaw, pitch = np.zeros((3, 2)), np.zeros((3, 2))
    for k, target in enumerate(targets):
        for e in range(2):
            yaw[k, e], pitch[k, e] = _look_angles(BASIS.T @ (target - EYES[e]))
    placed = point + fixation_offsets(yaw, pitch, EYES, point, BASIS)
    assert np.allclose(placed, targets, atol=1e-9)


def test_parallel_or_diverging_gaze_puts_a_shared_control_far_ahead():
    point = np.array([0.0, -0.39, 1.68])
    yaw = np.array([[0.0, 0.0], [10.0, 10.0], [2.0, -2.0]])  # parallel ahead, parallel left, diverging
    placed = point + fixation_offsets(yaw, np.zeros((3, 2)), EYES, point, BASIS)
    middle = EYES.mean(axis=0)
    distances = np.linalg.norm(placed - middle, axis=1)
    assert np.allclose(distances, FAR_FACTOR * 0.3, rtol=1e-3)
    assert placed[1, 0] > 0.0  # looking left: the control is to the character's left


def test_sliding_lids_and_bone_space():
    upper, lower = np.array([0.05, -0.14, 1.90]), np.array([0.05, -0.14, 1.88])
    offsets = slide_offsets(np.array([0.0, 0.5, 1.0]), upper, lower)
    assert np.allclose(upper + offsets[2], lower) and np.allclose(offsets[0], 0.0)
    assert np.allclose(offsets[1], 0.5 * (lower - upper))
    rest = character_rotation(30.0, 10.0, -5.0)  # any bone rest orientation (columns: the bone's axes)
    local = to_bone_space(offsets, rest)
    assert np.allclose(local @ rest.T, offsets)  # back to armature space


def test_turn_is_the_character_rotation_without_roll():
    rng = np.random.default_rng(4)
    yaw, pitch, vector = rng.uniform(-60, 60, 50), rng.uniform(-40, 40, 50), rng.normal(size=3)
    expected = character_rotation(yaw, pitch, np.zeros(50)) @ vector
    assert np.allclose(turn(yaw, pitch, vector), expected, atol=1e-12)
