"""The neutral head rotation of a clip (geodesic median of its frames, or a chosen frame) and every frame's
yaw/pitch/roll relative to it (degrees, project convention, unwrapped in time)."""

from __future__ import annotations

import numpy as np

from ..errors import SettingsError
from ..rotation import character_angles, matrix_from_axis_angle, matrix_from_quat, quat_from_matrix
from .head_pose import head_rotation


def _log_rotations(rotations: np.ndarray) -> np.ndarray:
    """Rotation vectors (N, 3) (axis x angle in radians) of rotation matrices (N, 3, 3)."""
    q = quat_from_matrix(rotations)
    q = q * np.where(q[:, :1] < 0.0, -1.0, 1.0)
    sin_half = np.linalg.norm(q[:, 1:], axis=1)
    angle = 2.0 * np.arctan2(sin_half, q[:, 0])
    scale = np.where(sin_half > 1e-12, angle / np.maximum(sin_half, 1e-300), 2.0)
    return q[:, 1:] * scale[:, None]


def _exp_rotation(vector: np.ndarray) -> np.ndarray:
    angle = float(np.linalg.norm(vector))
    if angle < 1e-15:
        return np.eye(3)
    return matrix_from_axis_angle(np.concatenate([[angle], vector / angle]))


def median_rotation(rotations: np.ndarray, iterations: int = 50) -> np.ndarray:
    """Geodesic median (3, 3) of rotations (N, 3, 3): the rotation with the least summed angle to them.

    Weiszfeld iterations in the tangent space, started from the normalised element-wise median
    quaternion. Robust: a few wrong frames do not move it, unlike a mean.
    """
    rots = np.asarray(rotations, dtype=np.float64)
    q = quat_from_matrix(rots)
    q = q * np.where(q @ q[0] < 0.0, -1.0, 1.0)[:, None]
    start = np.median(q, axis=0)
    start /= np.linalg.norm(start)
    current = matrix_from_quat(start)
    for _ in range(iterations):
        v = _log_rotations(np.swapaxes(current, -1, -2)[None] @ rots)
        dist = np.linalg.norm(v, axis=1)
        weights = 1.0 / np.maximum(dist, 1e-9)
        step = (weights[:, None] * v).sum(axis=0) / weights.sum()
        current = current @ _exp_rotation(step)
        if np.linalg.norm(step) < 1e-10:
            break
    return current


def relative_angles(rotations: np.ndarray, valid: np.ndarray, neutral: np.ndarray, mirror: bool) -> np.ndarray:
    """(N, 3) yaw/pitch/roll degrees relative to ``neutral``, NaN where not valid, unwrapped in time."""
    out = np.full((len(rotations), 3), np.nan)
    if valid.any():
        yaw, pitch, roll = character_angles(head_rotation(rotations[valid], neutral, mirror))
        angles = np.column_stack([yaw, pitch, roll])
        out[valid] = np.unwrap(angles, period=360.0, axis=0)
    return out


def frame_text(index: int, fps: float) -> str:
    return f"frame {index + 1} ({index / fps:.2f} s)"



def neutral_rotation(
    rotations: np.ndarray, found: np.ndarray, neutral: str | int, fps: float, warnings: list[str]
) -> np.ndarray:
    if neutral == "median":
        return median_rotation(rotations[found])
    index = int(neutral)
    n = len(rotations)
    if index >= n:
        raise SettingsError(f"The neutral frame index {index} is beyond the video's {n} frames.")
    if not found[index]:
        candidates = np.flatnonzero(found)
        nearest = int(candidates[np.argmin(np.abs(candidates - index))])
        warnings.append(
            f"The neutral {frame_text(index, fps)} has no usable face; {frame_text(nearest, fps)} was used."
        )
        index = nearest
    return rotations[index].copy()

