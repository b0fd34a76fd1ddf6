"""The 3D reference face for video head-pose estimation: MediaPipe's canonical face geometry.

The 468 vertices of MediaPipe's canonical face model (Apache-2.0, © The MediaPipe Authors) are
bundled as ``models/face/canonical_face_468.npy`` (float32, written once by
``tools/extract_face_model.py``). Vertex ``i`` corresponds to FaceMesh landmark ``i``.

Model frame (checked on the data: landmark 33, the person's RIGHT outer eye corner, has x < 0;
the forehead 10 has y > 0; the nose tip 4 has the largest z)
    units centimetres; +x toward the person's LEFT, +y up, +z out of the face (the direction the
    face looks). In the character frame ``(r, f, u)`` of :mod:`core.rotation` that is
    ``x = -r``, ``y = u``, ``z = f`` (see :data:`CHARACTER_FROM_MODEL`).

The file is loaded lazily (numpy only) from ``<extension>/models/face/`` on first use and cached.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from ..errors import HeadMotionError

MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "face"
CANONICAL_FACE_FILE = MODEL_DIR / "canonical_face_468.npy"
N_LANDMARKS = 468

#: FaceMesh landmark indices used below (person's left/right, not the image's).
NOSE_TIP = 4
RIGHT_EYE_OUTER, RIGHT_EYE_INNER = 33, 133
LEFT_EYE_OUTER, LEFT_EYE_INNER = 263, 362
UPPER_LIP_INNER, LOWER_LIP_INNER = 13, 14
UPPER_LIP_OUTER, LOWER_LIP_OUTER = 0, 17
MOUTH_RIGHT, MOUTH_LEFT = 61, 291

#: Lip keypoints reported per frame for silence detection (the seed's upper/lower lip keypoints):
#: inner upper, inner lower, outer upper, outer lower lip (all on the midline).
LIP_KEYPOINTS: tuple[int, ...] = (UPPER_LIP_INNER, LOWER_LIP_INNER, UPPER_LIP_OUTER, LOWER_LIP_OUTER)

#: The landmark set of MediaPipe's own geometry pipeline (its "procrustes basis", 33 points); it also
#: holds jaw and lower-cheek points (132/361, 136/365, 147/376, 205/425) that move when the mouth opens.
MEDIAPIPE_PROCRUSTES_LANDMARKS: tuple[int, ...] = (
    4, 6, 10, 33, 54, 67, 117, 119, 121, 127, 129, 132, 133, 136, 143, 147, 198, 205,
    263, 284, 297, 346, 348, 350, 356, 358, 361, 362, 365, 372, 376, 420, 425,
)  # fmt: skip

#: The jaw and lower-cheek points of :data:`MEDIAPIPE_PROCRUSTES_LANDMARKS`: they move with the mouth.
JAW_AND_LOWER_CHEEK: tuple[int, ...] = (132, 361, 136, 365, 147, 376, 205, 425)

#: Landmarks that move with the skull, not with speech or expression, used for the PnP fit: MediaPipe's
#: own rigid basis without its jaw and lower-cheek points (25 points, mirror-symmetric): forehead (10,
#: 54/284, 67/297), nose bridge and nose (6, 4, 198/420, 129/358), eye corners (33/263, 133/362),
#: temples (127/356) and cheekbones (143/372, 117/346, 119/348, 121/350). No lips, jaw, brows or lids.
#: Chosen on the dev clips against a plain FaceMesh + PnP (the 33 points) and on rendered ground truth
#: with expressions (docs/decisions.md, "Rigid points"): it agrees with the plain estimator as well as
#: the previous 40-point set, its pitch follows the lips less (|r| with the lip gap 0.19 vs 0.22 for
#: the 33 points) and its rendered-truth roll error is the lowest of the sets tried.
RIGID_LANDMARKS: tuple[int, ...] = tuple(i for i in MEDIAPIPE_PROCRUSTES_LANDMARKS if i not in JAW_AND_LOWER_CHEEK)

#: Change of basis from model to character coordinates: ``v_char = CHARACTER_FROM_MODEL @ v_model``
#: (x = -r, y = u, z = f). It is its own inverse and transpose; a rotation ``A`` in model coordinates
#: is ``CHARACTER_FROM_MODEL @ A @ CHARACTER_FROM_MODEL`` in character coordinates.
CHARACTER_FROM_MODEL = np.array([[-1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])


@functools.lru_cache(maxsize=1)
def _load(path: str) -> np.ndarray:
    try:
        vertices = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise HeadMotionError(
            f"The 3D reference face '{path}' is missing or unreadable ({exc}); reinstall Head Motion."
        ) from None
    if vertices.shape != (N_LANDMARKS, 3) or not np.all(np.isfinite(vertices)):
        raise HeadMotionError(
            f"The 3D reference face '{path}' is damaged (shape {vertices.shape}); reinstall Head Motion."
        )
    out = vertices.astype(np.float64)
    out.setflags(write=False)
    return out


def canonical_face() -> np.ndarray:
    """The 468 canonical face vertices, (468, 3) float64 in centimetres, model frame (read-only)."""
    return _load(str(CANONICAL_FACE_FILE))


def model_points(indices: tuple[int, ...] | list[int] | np.ndarray = RIGID_LANDMARKS) -> np.ndarray:
    """Canonical positions (K, 3) in centimetres of the given landmark indices (a copy)."""
    idx = np.asarray(indices, dtype=np.int64)
    if idx.ndim != 1 or idx.size == 0 or idx.min() < 0 or idx.max() >= N_LANDMARKS:
        raise HeadMotionError(f"Landmark indices must be a non-empty list of 0..{N_LANDMARKS - 1}.")
    return canonical_face()[idx].copy()


def interocular_distance_cm() -> float:
    """Distance in centimetres between the two eye centres (mean of each eye's corners) of the model."""
    v = canonical_face()
    right = 0.5 * (v[RIGHT_EYE_OUTER] + v[RIGHT_EYE_INNER])
    left = 0.5 * (v[LEFT_EYE_OUTER] + v[LEFT_EYE_INNER])
    return float(np.linalg.norm(left - right))
