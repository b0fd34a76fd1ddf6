"""MediaPipe's three custom operations of the attention face-mesh model, in numpy: the crop matrix from
landmarks (Landmarks2TransformMatrix), the bilinear crop of a feature map (TransformTensorBilinear) and mapping
points back (TransformLandmarks). :mod:`core.video.litert_face` runs the model in two parts around them;
their options come from ``models/face/face_landmark_attention.json``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def crop_matrix(points: np.ndarray, region: dict[str, Any]) -> np.ndarray:
    """MediaPipe's ``Landmarks2TransformMatrix`` (v2): the (4, 4) matrix taking a region's crop pixels to
    the units of ``points`` (n, >=2; the mesh scaled to the feature map).

    The crop is turned by the line from the ``left_rotation_idx`` point to the ``right_rotation_idx`` one
    (to ``target_rotation_radians``), covers the turned bounding box of the ``subset_idxs`` points times
    ``scale``, and is ``crop_size`` pixels: matrix = shift(centre) @ rotate(-angle) @ scale(box / size) @
    shift(-size / 2)."""
    xy = np.asarray(points, dtype=np.float64)[:, :2]
    left, right = xy[region["left_rotation_idx"]], xy[region["right_rotation_idx"]]
    angle = region["target_rotation_radians"] - math.atan2(right[1] - left[1], right[0] - left[0])
    c, s = math.cos(angle), math.sin(angle)
    turned = xy[region["subset_idxs"]] @ np.array([[c, s], [-s, c]])  # rows rotated by +angle
    lo, hi = turned.min(axis=0), turned.max(axis=0)
    mid = (lo + hi) / 2.0
    centre = np.array([c * mid[0] + s * mid[1], -s * mid[0] + c * mid[1]])  # rotated back by -angle
    width, height = region["crop_size"]
    sx = region["scale"][0] * (hi[0] - lo[0]) / width
    sy = region["scale"][1] * (hi[1] - lo[1]) / height
    matrix = np.eye(4)
    matrix[:2, :2] = np.array([[c, s], [-s, c]]) @ np.diag([sx, sy])
    matrix[:2, 3] = centre - matrix[:2, :2] @ np.array([width / 2.0, height / 2.0])
    return matrix


def crop_features(features: np.ndarray, matrix: np.ndarray, size: tuple[int, int] | list[int]) -> np.ndarray:
    """MediaPipe's ``TransformTensorBilinear`` (v2): ``features`` (H, W, C) sampled bilinearly at the
    ``size`` (width, height) crop that ``matrix`` maps into it (pixel centres, zero outside): (h, w, C)."""
    height, width = features.shape[:2]
    out_w, out_h = int(size[0]), int(size[1])
    # Pixel centres: sample at matrix @ (x + 0.5, y + 0.5) - 0.5.
    centres_y, centres_x = np.arange(out_h) + 0.5, np.arange(out_w) + 0.5
    ys, xs = np.meshgrid(centres_y, centres_x, indexing="ij")
    tx = matrix[0, 0] * xs + matrix[0, 1] * ys + matrix[0, 3] - 0.5
    ty = matrix[1, 0] * xs + matrix[1, 1] * ys + matrix[1, 3] - 0.5
    inside = (tx >= 0.0) & (tx <= width - 1) & (ty >= 0.0) & (ty <= height - 1)
    x0, y0 = np.floor(tx).astype(np.int64), np.floor(ty).astype(np.int64)
    fx, fy = (tx - x0)[..., None], (ty - y0)[..., None]
    padded = np.zeros((height + 1, width + 1, features.shape[2]), dtype=np.float64)
    padded[:height, :width] = features
    x0c, y0c = np.clip(x0, 0, width - 1), np.clip(y0, 0, height - 1)
    top = padded[y0c, x0c] * (1.0 - fx) + padded[y0c, x0c + 1] * fx
    bottom = padded[y0c + 1, x0c] * (1.0 - fx) + padded[y0c + 1, x0c + 1] * fx
    return np.where(inside[..., None], top * (1.0 - fy) + bottom * fy, 0.0)


def transform_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """MediaPipe's ``TransformLandmarks`` (v2): (n, 2) points mapped by the 2D part of ``matrix``."""
    return np.asarray(points, dtype=np.float64) @ matrix[:2, :2].T + matrix[:2, 3]
