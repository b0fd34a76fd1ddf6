"""Robust refinement of one frame's head pose: landmarks far off the fitted face lose weight (Huber).

Units and axes as in :mod:`core.video.head_pose`: model points in centimetres (canonical face), image points
in pixels, ``rotation`` camera-from-face (3, 3), ``translation`` camera coordinates of the model origin
(centimetres; OpenCV camera: x right, y down, z forward), ``k`` the (3, 3) pinhole intrinsics.
"""

from __future__ import annotations

import math

import numpy as np

#: :func:`robust_refine`: residuals beyond this many robust standard deviations lose weight (Huber).
HUBER_SIGMAS = 3.0
#: ... where the robust standard deviation is at least this (pixels): sub-pixel noise is not an outlier.
HUBER_FLOOR_PX = 0.3


def robust_refine(
    model: np.ndarray,
    image: np.ndarray,
    k: np.ndarray,
    rotation: np.ndarray,
    translation: np.ndarray,
    iterations: int = 4,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Camera-from-face pose refined with robust (Huber) weights by iteratively reweighted Gauss-Newton.

    ``model`` (K, 3) centimetres, ``image`` (K, 2) pixels, ``k`` the intrinsics, starting at ``rotation``
    (3, 3) / ``translation`` (3,). Each landmark's weight is 1 while its reprojection error is within
    :data:`HUBER_SIGMAS` robust standard deviations (1.4826 x the median error, at least
    :data:`HUBER_FLOOR_PX`) and falls as 1 / error beyond. Returns the new rotation and translation, or
    ``None`` when every landmark is within that at the start (most frames): the least-squares pose stands.
    """
    r = np.asarray(rotation, dtype=np.float64).copy()
    t = np.asarray(translation, dtype=np.float64).reshape(3).copy()
    f = np.array([k[0, 0], k[1, 1]])
    c = np.array([k[0, 2], k[1, 2]])
    n = len(model)
    jac_cam = np.zeros((n, 2, 3))
    skew = np.zeros((n, 3, 3))
    for iteration in range(iterations):
        turned = model @ r.T
        cam = turned + t
        z = cam[:, 2]
        residual = cam[:, :2] / z[:, None] * f + c - image
        error = np.sqrt(np.sum(residual * residual, axis=1))
        cut = HUBER_SIGMAS * max(1.4826 * _median(error), HUBER_FLOOR_PX)
        if float(error.max()) <= cut:
            if iteration == 0:
                return None  # every landmark has full weight: the least-squares pose stands
            break
        weight = np.where(error <= cut, 1.0, cut / np.maximum(error, 1e-12))
        jac_cam[:, 0, 0] = f[0] / z
        jac_cam[:, 0, 2] = -f[0] * cam[:, 0] / (z * z)
        jac_cam[:, 1, 1] = f[1] / z
        jac_cam[:, 1, 2] = -f[1] * cam[:, 1] / (z * z)
        # d(cam)/d(omega) for r <- exp([omega]x) r is -[r p]x
        skew[:, 0, 1], skew[:, 0, 2], skew[:, 1, 2] = turned[:, 2], -turned[:, 1], turned[:, 0]
        skew[:, 1, 0], skew[:, 2, 0], skew[:, 2, 1] = -turned[:, 2], turned[:, 1], -turned[:, 0]
        jac = np.concatenate([jac_cam @ skew, jac_cam], axis=2)  # (K, 2, 6)
        weighted = jac * weight[:, None, None]
        normal = np.einsum("kai,kaj->ij", weighted, jac)
        gradient = np.einsum("kai,ka->i", weighted, residual)
        try:
            step = -np.linalg.solve(normal + 1e-9 * np.eye(6), gradient)
        except np.linalg.LinAlgError:
            break
        r = _exp_so3(step[:3]) @ r
        t = t + step[3:]
        if float(np.abs(step).max()) < 1e-7:
            break
    return r, t


def _median(values: np.ndarray) -> float:
    """Median of a 1-D array (``np.median`` without its overhead: this runs once a frame)."""
    n = len(values)
    half = np.partition(values, (n - 1) // 2 if n % 2 else [n // 2 - 1, n // 2])
    return float(half[n // 2]) if n % 2 else 0.5 * float(half[n // 2 - 1] + half[n // 2])


def _exp_so3(vector: np.ndarray) -> np.ndarray:
    """Rotation matrix of a rotation vector (radians) by Rodrigues' formula."""
    angle = float(np.linalg.norm(vector))
    kx = np.array([[0.0, -vector[2], vector[1]], [vector[2], 0.0, -vector[0]], [-vector[1], vector[0], 0.0]])
    if angle < 1e-12:
        return np.eye(3) + kx
    kx /= angle
    return np.eye(3) + math.sin(angle) * kx + (1.0 - math.cos(angle)) * (kx @ kx)
