"""The head's turn between two frames from the skin itself: optical flow of the rigid face, fused with the landmark fit.

FaceMesh places its "rigid" points partly from the whole face, so an open mouth, raised brows or a blink move them by
about 1% of the eye distance and the fitted pose by 0.5-1.5 degrees (docs/decisions.md, "expression leak"). The skin
of the nose, the upper forehead, the cheekbones and the temples does not move with those expressions. So each frame
:class:`SkinFlow` follows those skin points from the previous frame with pyramidal Lucas-Kanade optical flow (points
that fail the forward-backward check, or whose flow disagrees with one rigid turn, are dropped), turns the flow into
the head's rotation between the two frames, and adds it to the previous fused pose. The landmark fit keeps the result
from drifting: every frame the fused pose is turned toward it by ``pull`` of their difference, and by more when the
head turns fast (``takeover_deg``: at that many degrees a frame the landmark fit takes over), so fast turns follow the
landmarks and still or slow heads follow the skin. When the flow fails, or the fused pose and the landmark fit part by
more than ``reset_deg``, the fused pose restarts from the landmark fit.

The rotation between two frames comes from two PnP fits with the same canonical 3D points (the previous frame's
landmark positions, and where the flow took them), so the canonical face's shape error is the same in both and
cancels to first order. Rotations are camera-from-face (3, 3) as in :mod:`core.video.head_pose`; angles in degrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .face_model import canonical_face
from .head_pose import PoseFit, camera_matrix, import_cv2

#: FaceMesh points followed by the flow: the nose and its bridge below the brows, the upper forehead (well above the
#: brows), the cheekbones and the temples. Not the lids, brows, eye corners (a blink pulls them), lips, jaw or the
#: forehead just above the brows (raised brows move it), which were measured to move with the rendered expressions.
FLOW_POINTS: tuple[int, ...] = (
    4, 1, 5, 195, 197, 19, 94, 2, 3, 248,  # nose midline
    198, 420, 129, 358, 131, 360, 49, 279, 48, 278, 115, 344, 220, 440, 45, 275, 51, 281,  # nose sides
    122, 351, 188, 412, 114, 343, 217, 437,  # nose bridge sides
    10, 151, 109, 338, 67, 297, 103, 332, 284,  # upper forehead
    116, 345, 117, 346, 118, 347, 119, 348, 120, 349, 121, 350, 111, 340, 123, 352, 143, 372,  # cheekbones
    50, 280, 101, 330, 100, 329, 47, 277, 126, 355,  # upper cheeks beside the nose
    127, 356, 162, 389, 234, 454, 93, 323,  # temples and the side of the face
)  # fmt: skip


@dataclass(frozen=True)
class SkinFlowSettings:
    """How the skin flow and the landmark fit are fused (see the module docs). ``pull``: fraction of the difference
    to the landmark fit taken each frame when the head is still (0 < pull <= 1; 1 = the landmark fit alone);
    ``takeover_deg``: head turn per frame (degrees) at which the landmark fit is taken whole; ``reset_deg``: the
    fused pose restarts from the landmark fit when they part by more; ``min_points``: fewer followed points
    restart it too; ``max_flow_error_px``: forward-backward disagreement (pixels) above which a point is dropped
    (``backward_check``: whether the flow is run back at all); ``window_px`` / ``levels``: Lucas-Kanade's window
    and pyramid levels above the image (a 2-level pyramid follows about 20 pixels a frame); ``margin_px``: the
    face region handed to the flow is the box of the followed points plus this margin."""

    pull: float = 0.05
    takeover_deg: float = 2.0
    reset_deg: float = 8.0
    min_points: int = 12
    max_flow_error_px: float = 0.3
    window_px: int = 11
    levels: int = 2
    backward_check: bool = True
    margin_px: int = 24


class _Frame(NamedTuple):
    """What the next frame needs of the previous one: its grey face region, that region's box (x0, y0, x1, y1) in
    pixels, the followed points (pixels, full image), the landmark fit and the image's shape."""

    region: np.ndarray
    box: tuple[int, int, int, int]
    points: np.ndarray
    fit: PoseFit
    shape: tuple[int, ...]


def _rotation_vector(rotation: np.ndarray) -> np.ndarray:
    """(3,) axis times angle (radians) of a (3, 3) rotation."""
    cv2 = import_cv2()
    return np.asarray(cv2.Rodrigues(np.ascontiguousarray(rotation, dtype=np.float64))[0], dtype=np.float64).ravel()


def _grey(region: np.ndarray) -> np.ndarray:
    """A contiguous single-channel copy of an image region: its green channel when it has colours (no colour
    conversion; the flow needs texture, not luminance)."""
    return np.array(region[:, :, 1] if region.ndim == 3 else region, dtype=np.uint8, order="C", copy=True)


def _rotation(vector: np.ndarray) -> np.ndarray:
    cv2 = import_cv2()
    return np.asarray(cv2.Rodrigues(np.asarray(vector, dtype=np.float64).reshape(3, 1))[0], dtype=np.float64)


class SkinFlow:
    """Fused camera-from-face rotation per frame of one run of consecutive frames (see the module docs).

    ``update(image, face, fit)`` with each frame's image (RGB, H x W x 3, or grey, H x W; uint8), its FaceMesh
    landmarks (pixels, (468 or 478, 2)) and landmark fit (:func:`core.video.head_pose.fit_pose`) returns the fused
    rotation (3, 3); ``reset()`` after a frame without a face. ``resets`` counts the restarts from the landmark fit
    (the first frame included)."""

    def __init__(self, image_size: tuple[int, int], fov_deg: float, settings: SkinFlowSettings | None = None) -> None:
        self.settings = settings or SkinFlowSettings()
        self._k = camera_matrix(image_size, fov_deg)
        self._model = np.ascontiguousarray(canonical_face()[list(FLOW_POINTS)])
        self._previous: _Frame | None = None
        self._fused: np.ndarray | None = None
        self.resets = 0

    def reset(self) -> None:
        self._previous = None
        self._fused = None

    def update(self, image: np.ndarray, face: np.ndarray, fit: PoseFit) -> np.ndarray:
        face = np.asarray(face, dtype=np.float64)[:, :2]
        previous = self._previous
        turn = None if previous is None or self._fused is None else self._turn(previous, image)
        self._previous = self._crop(image, face, fit)
        if turn is None:
            self.resets += 1
            self._fused = np.array(fit.rotation, dtype=np.float64)
            return self._fused.copy()
        fused = turn @ self._fused
        difference = _rotation_vector(fused.T @ fit.rotation)
        if np.degrees(np.linalg.norm(difference)) > self.settings.reset_deg:
            self.resets += 1
            self._fused = np.array(fit.rotation, dtype=np.float64)
            return self._fused.copy()
        speed = np.degrees(np.linalg.norm(_rotation_vector(turn)))
        pull = min(1.0, self.settings.pull + speed / self.settings.takeover_deg)
        self._fused = fused @ _rotation(pull * difference)
        return self._fused.copy()

    def _crop(self, image: np.ndarray, face: np.ndarray, fit: PoseFit) -> _Frame:
        """What the next frame needs of this one: the grey face region (the box of the flow points plus a margin),
        its corner, the flow points (pixels) and the fit."""
        points = face[list(FLOW_POINTS)]
        height, width = image.shape[:2]
        low = np.floor(points.min(axis=0)).astype(int) - self.settings.margin_px
        high = np.ceil(points.max(axis=0)).astype(int) + self.settings.margin_px
        x0, y0 = int(max(low[0], 0)), int(max(low[1], 0))
        x1, y1 = int(min(high[0], width)), int(min(high[1], height))
        return _Frame(_grey(image[y0:y1, x0:x1]), (x0, y0, x1, y1), points, fit, image.shape)

    def _turn(self, previous: _Frame, image: np.ndarray) -> np.ndarray | None:
        """Camera-frame rotation of the face from the previous frame to this one (``None`` when the flow fails)."""
        cv2 = import_cv2()
        s = self.settings
        before, (x0, y0, x1, y1), points, before_fit, shape = previous
        if shape != image.shape or before.size == 0:
            return None
        after = _grey(image[y0:y1, x0:x1])
        corner = np.array([x0, y0], dtype=np.float64)
        start = np.ascontiguousarray(points - corner, dtype=np.float32)
        lk = {"winSize": (s.window_px, s.window_px), "maxLevel": s.levels,
              "criteria": (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01)}  # fmt: skip
        moved, found, _ = cv2.calcOpticalFlowPyrLK(before, after, start, None, **lk)
        good = found.ravel() == 1
        if s.backward_check:
            back, found_back, _ = cv2.calcOpticalFlowPyrLK(after, before, moved, None, **lk)
            good &= (found_back.ravel() == 1) & (np.linalg.norm(back - start, axis=1) < s.max_flow_error_px)
        if int(good.sum()) < s.min_points:
            return None
        flow = moved.astype(np.float64) - start.astype(np.float64)
        # the model points where the previous fit puts them (camera coordinates, centimetres)
        placed = self._model @ np.asarray(before_fit.rotation, dtype=np.float64).T
        placed += np.asarray(before_fit.translation, dtype=np.float64)
        jacobian = self._motion_jacobian(placed)
        for _ in range(2):
            motion = np.linalg.lstsq(jacobian[good].reshape(-1, 6), flow[good].ravel(), rcond=None)[0]
            # points whose flow is not the rigid motion (skin moved by the face, a bad flow) are dropped once
            residual = np.linalg.norm(flow - jacobian @ motion, axis=1)
            limit = max(0.3, 3.0 * float(np.median(residual[good])))
            keep = good & (residual < limit)
            if keep.sum() == good.sum() or keep.sum() < s.min_points:
                break
            good = keep
        return _rotation(motion[:3])

    def _motion_jacobian(self, placed: np.ndarray) -> np.ndarray:
        """(N, 2, 6) change of each point's image position (pixels) per small camera-frame rotation (radians, the
        rotation vector's x, y, z) and translation (centimetres) of the face, at the points' camera coordinates
        ``placed`` (N, 3)."""
        f = float(self._k[0, 0])
        x, y, z = placed[:, 0], placed[:, 1], placed[:, 2]
        projection = np.zeros((len(placed), 2, 3))
        projection[:, 0, 0] = f / z
        projection[:, 0, 2] = -f * x / (z * z)
        projection[:, 1, 1] = f / z
        projection[:, 1, 2] = -f * y / (z * z)
        motion = np.zeros((len(placed), 3, 6))
        # d(w x P)/dw = -[P]x
        motion[:, 0, 1], motion[:, 0, 2] = z, -y
        motion[:, 1, 0], motion[:, 1, 2] = -z, x
        motion[:, 2, 0], motion[:, 2, 1] = y, -x
        motion[:, :, 3:] = np.eye(3)
        return projection @ motion
