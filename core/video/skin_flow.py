"""The head's turn between two frames from the skin itself: optical flow of the rigid face, fused with the landmark fit.

FaceMesh places its "rigid" points partly from the whole face, so an open mouth, raised brows or a blink move them by
about 1% of the eye distance and the fitted pose by 0.5-1.5 degrees (docs/decisions.md, "expression leak"). The skin
of the nose, the upper forehead, the cheekbones and the temples does not move with those expressions. So each frame
:class:`SkinFlow` follows those skin points (:data:`FLOW_POINTS`, where the previous frame's landmarks put them) into
this frame with Lucas-Kanade optical flow, turns their motion into the head's rotation between the two frames, and
adds it to the previous fused pose. The landmark fit keeps the result from drifting: every frame the fused pose is
turned toward it by ``pull`` of their difference, and by more when the head turns fast (``takeover_deg``: at that
many degrees a frame the landmark fit is taken whole), so fast turns follow the landmarks and still or slow heads
follow the skin. When the flow fails, or the fused pose and the landmark fit part by more than ``reset_deg``, the
fused pose restarts from the landmark fit.

That pass runs forward in time, so right after a restart (the first frame, a fast turn) it rests on one frame's fit,
while later frames rest on an average of many. When a run of frames ends (:meth:`SkinFlow.finish`), the same fusion
runs backward over the run's recorded turns and fits (no new flow), and each frame takes the two passes' poses
weighted by how many fits each has averaged (the inverse of its fit average's variance): the start of a still
stretch leans on the frames after it, its end on the frames before, with no lag either way (``both_ways``).

The rotation between two frames is the small rigid motion (rotation vector and translation, camera frame) whose image
motion, linearised at where the previous landmark fit places the canonical 3D points, best explains the flow (least
squares; points whose flow it does not explain, skin moved by the face or a bad flow, are dropped once). Only the
canonical points' positions enter, through the projection's derivatives, so their shape error changes the turn by a
few percent of it, not by an offset. Rotations are camera-from-face (3, 3) as in :mod:`core.video.head_pose`; angles
in degrees. Measured in docs/decisions.md, "The head's turn from the skin's own motion".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .face_model import canonical_face
from .head_pose import PoseFit, camera_matrix, import_cv2

#: FaceMesh points followed by the flow: the nose and its bridge below the brows, the upper forehead (well above the
#: brows), the cheekbones and the temples. Not the lids, brows, eye corners (a blink pulls them), lips, jaw or the
#: forehead just above the brows (raised brows move it), which were measured to move with the rendered expressions.
FLOW_POINTS: tuple[int, ...] = (
    4, 1, 5, 195, 197, 19, 2,  # nose midline
    198, 420, 129, 358, 49, 279, 48, 278, 220, 440,  # nose sides
    10, 151, 109, 338, 67, 297,  # upper forehead
    116, 345, 117, 346, 118, 347, 123, 352, 111, 340, 143, 372,  # cheekbones
    127, 356, 234, 454, 93, 323,  # temples and the side of the face
)  # fmt: skip


@dataclass(frozen=True)
class SkinFlowSettings:
    """How the skin flow and the landmark fit are fused (see the module docs). ``pull``: fraction of the difference
    to the landmark fit taken each frame when the head is still (0 < pull <= 1; 1 = the landmark fit alone);
    ``takeover_deg``: head turn per frame (degrees) at which the landmark fit is taken whole; ``reset_deg``: the
    fused pose restarts from the landmark fit when they part by more; ``min_points``: fewer followed points
    restart it too (a point counts when the flow finds it; no backward flow: the rigid-motion fit drops the points
    that disagree, with the same results at half the cost); ``window_px`` / ``levels``: Lucas-Kanade's window and
    pyramid levels above the image (one level follows about 10 pixels a frame; faster turns go to the landmark fit
    anyway); ``margin_px``: the face region handed to the flow is the box of the followed points plus this margin;
    ``both_ways``: :meth:`SkinFlow.finish` gives the forward and backward passes combined (else the forward one)."""

    pull: float = 0.05
    takeover_deg: float = 2.0
    reset_deg: float = 8.0
    min_points: int = 12
    window_px: int = 11
    levels: int = 1
    margin_px: int = 24
    both_ways: bool = True


class _Frame(NamedTuple):
    """What the next frame needs of the previous one: its grey face region, that region's box (x0, y0, x1, y1) in
    pixels, the followed points (pixels, full image), the landmark fit and the image's shape."""

    region: np.ndarray
    box: tuple[int, int, int, int]
    points: np.ndarray
    fit: PoseFit
    shape: tuple[int, ...]


class _Step(NamedTuple):
    """One frame of a run as the backward pass needs it: the flow's turn from the previous frame (``None`` where there
    is none) and its size (degrees), the landmark fit's rotation, the forward fused rotation, and the variance of the
    forward pose's average of fits (in units of one fit's variance: 1 right after a restart)."""

    turn: np.ndarray | None
    speed: float
    fit: np.ndarray
    forward: np.ndarray
    variance: float


def _rotation_vector(rotation: np.ndarray) -> np.ndarray:
    """(3,) axis times angle (radians) of a (3, 3) rotation. (:mod:`core.video.neutral` has batch versions of this
    and :func:`_rotation` in numpy; for one matrix a frame, OpenCV's Rodrigues is several times faster.)"""
    cv2 = import_cv2()
    return np.asarray(cv2.Rodrigues(np.ascontiguousarray(rotation, dtype=np.float64))[0], dtype=np.float64).ravel()


def _grey(region: np.ndarray) -> np.ndarray:
    """A contiguous single-channel copy of an image region: its green channel when it has colours (no colour
    conversion; the flow needs texture, not luminance; OpenCV copies the channel 6x faster than numpy)."""
    if region.ndim == 3:
        return np.asarray(import_cv2().extractChannel(region, 1), dtype=np.uint8)
    return np.array(region, dtype=np.uint8, order="C", copy=True)


def _product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` of two (3, 3) matrices without BLAS (see :meth:`SkinFlow._turn`)."""
    return np.einsum("ij,jk->ik", a, b)


def _union(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def _within(region: np.ndarray, region_box: tuple[int, int, int, int], box: tuple[int, int, int, int]) -> np.ndarray:
    """The part of ``region`` (covering ``region_box``) inside ``box`` (a view; rows contiguous)."""
    x, y = box[0] - region_box[0], box[1] - region_box[1]
    return region[y : y + box[3] - box[1], x : x + box[2] - box[0]]


def _rotation(vector: np.ndarray) -> np.ndarray:
    """(3, 3) rotation of a rotation vector (axis times angle, radians)."""
    cv2 = import_cv2()
    return np.asarray(cv2.Rodrigues(np.asarray(vector, dtype=np.float64).reshape(3, 1))[0], dtype=np.float64)


class SkinFlow:
    """Fused camera-from-face rotation per frame of one run of consecutive frames (see the module docs).

    ``update(image, face, fit)`` with each frame's image (RGB, H x W x 3, or grey, H x W; uint8), its FaceMesh
    landmarks (pixels, (468 or 478, 2)) and landmark fit (:func:`core.video.head_pose.fit_pose`) returns the forward
    fused rotation (3, 3); ``finish()`` ends the run (before a frame without a face, and at the end) and returns the
    rotations of its frames fused both ways; ``reset()`` ends it without them. ``resets`` counts the restarts from
    the landmark fit (the first frame included)."""

    def __init__(self, image_size: tuple[int, int], fov_deg: float, settings: SkinFlowSettings | None = None) -> None:
        self.settings = settings or SkinFlowSettings()
        self._k = camera_matrix(image_size, fov_deg)
        self._model = np.ascontiguousarray(canonical_face()[list(FLOW_POINTS)])
        self._index = np.array(FLOW_POINTS)
        cv2 = import_cv2()
        s = self.settings
        self._lk = {"winSize": (s.window_px, s.window_px), "maxLevel": s.levels,
                    "criteria": (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01)}  # fmt: skip
        self._previous: _Frame | None = None
        self._fused: np.ndarray | None = None
        self._steps: list[_Step] = []  # the run so far, for the backward pass
        self.resets = 0

    def reset(self) -> None:
        """End the run of frames (the next frame restarts from its landmark fit) and forget it."""
        self._previous = None
        self._fused = None
        self._steps = []

    def finish(self) -> list[np.ndarray]:
        """End the run of frames followed since the last reset or finish (as :meth:`reset`) and return its frames'
        fused rotations (3, 3), in order: the forward and backward passes combined (module docs), or the forward
        pass's rotations when ``both_ways`` is off."""
        steps = self._steps
        self.reset()
        if not self.settings.both_ways:
            return [step.forward for step in steps]
        out: list[np.ndarray] = []
        after: np.ndarray | None = None  # the backward pose of the frame after
        variance = 1.0
        link: _Step | None = None  # the frame after, whose turn leads back to this one
        for step in reversed(steps):
            after, variance = self._backward(step, link, after, variance)
            share = step.variance / (step.variance + variance)  # of the backward pose: the better-averaged pass leads
            out.append(_product(step.forward, _rotation(share * _rotation_vector(_product(step.forward.T, after)))))
            link = step
        out.reverse()
        return out

    def _backward(
        self, step: _Step, link: _Step | None, after: np.ndarray | None, variance: float
    ) -> tuple[np.ndarray, float]:
        """The backward pass at ``step``: the frame after's backward pose turned back by that frame's flow turn and
        pulled toward this frame's fit as the forward pass pulls, with its fit-average variance; the fit itself
        (variance 1) where there is no turn to follow or the two part by more than ``reset_deg``."""
        if link is None or link.turn is None or after is None:
            return step.fit, 1.0
        return self._fuse(_product(link.turn.T, after), step.fit, link.speed, variance) or (step.fit, 1.0)

    def _fuse(
        self, moved: np.ndarray, fit: np.ndarray, speed: float, variance: float
    ) -> tuple[np.ndarray, float] | None:
        """One step of either pass: ``moved`` (the neighbouring frame's fused pose carried over by the flow's turn of
        ``speed`` degrees) pulled toward this frame's landmark fit rotation ``fit``, and the variance of the fit
        average after it (``variance`` before); ``None`` when the two part by more than ``reset_deg``."""
        difference = _rotation_vector(_product(moved.T, fit))
        if math.degrees(math.sqrt(float(difference @ difference))) > self.settings.reset_deg:
            return None
        pull = min(1.0, self.settings.pull + speed / self.settings.takeover_deg)
        return _product(moved, _rotation(pull * difference)), (1.0 - pull) ** 2 * variance + pull * pull

    def update(self, image: np.ndarray, face: np.ndarray, fit: PoseFit) -> np.ndarray:
        points = np.asarray(face, dtype=np.float64)[self._index, :2]
        box = self._box(points, image.shape)
        before = self._fused
        previous = self._previous if before is not None else None
        if previous is not None and previous.shape != image.shape:
            previous = None
        # one grey copy of the region both frames' boxes cover: the flow's "after" and the next frame's "before"
        both = box if previous is None else _union(box, previous.box)
        region = _grey(image[both[1] : both[3], both[0] : both[2]])
        turn = None if previous is None else self._turn(previous, _within(region, both, previous.box))
        self._previous = _Frame(_within(region, both, box), box, points, fit, image.shape)
        if turn is None or before is None:
            return self._restart(fit, None, 0.0)
        step = _rotation_vector(turn)
        speed = math.degrees(math.sqrt(float(step @ step)))
        rotation = np.asarray(fit.rotation, dtype=np.float64)
        fused = self._fuse(_product(turn, before), rotation, speed, self._steps[-1].variance)
        if fused is None:
            return self._restart(fit, turn, speed)
        self._fused, variance = fused
        self._steps.append(_Step(turn, speed, rotation, self._fused, variance))
        return self._fused.copy()

    def _restart(self, fit: PoseFit, turn: np.ndarray | None, speed: float) -> np.ndarray:
        """The fused pose starts again from the landmark fit (the flow's ``turn`` kept for the backward pass)."""
        self.resets += 1
        self._fused = np.array(fit.rotation, dtype=np.float64)
        self._steps.append(_Step(turn, speed, self._fused, self._fused, 1.0))
        return self._fused.copy()

    def _box(self, points: np.ndarray, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
        """The face region the flow looks at: the box (x0, y0, x1, y1) of the followed points plus the margin, within
        the image."""
        height, width = shape[:2]
        margin = self.settings.margin_px
        (x0, y0), (x1, y1) = points.min(axis=0).tolist(), points.max(axis=0).tolist()
        return (max(math.floor(x0) - margin, 0), max(math.floor(y0) - margin, 0),
                min(math.ceil(x1) + margin, width), min(math.ceil(y1) + margin, height))  # fmt: skip

    def _turn(self, previous: _Frame, after: np.ndarray) -> np.ndarray | None:
        """Camera-frame rotation of the face from the previous frame to this one, from this frame's grey region in
        the previous frame's box (``None`` when the flow fails)."""
        cv2 = import_cv2()
        s = self.settings
        before, (x0, y0, _, _), points, before_fit, _ = previous
        if before.size == 0:
            return None
        start = (points - (x0, y0)).astype(np.float32)
        lk = self._lk
        moved, found, _ = cv2.calcOpticalFlowPyrLK(before, after, start, None, **lk)
        good = found.ravel() == 1
        if int(good.sum()) < s.min_points:
            return None
        flow = moved.astype(np.float64) - start.astype(np.float64)
        # The model points where the previous fit puts them (camera coordinates, centimetres). einsum and OpenCV, not
        # numpy's BLAS, for these small products and the 6 x 6 solve: each BLAS call wakes OpenBLAS's threads, which
        # then spin on the other core (measured: twice the CPU time of the flow).
        placed = np.einsum("ij,kj->ik", self._model, np.asarray(before_fit.rotation, dtype=np.float64))
        placed += np.asarray(before_fit.translation, dtype=np.float64)
        jacobian = self._motion_jacobian(placed)
        for _ in range(2):
            a, b = jacobian[good].reshape(-1, 6), flow[good].ravel()
            normal, right = np.einsum("ij,ik->jk", a, a), np.einsum("ij,i->j", a, b)
            ok, solution = cv2.solve(normal, right, flags=cv2.DECOMP_CHOLESKY)
            if not ok:
                return None
            motion = solution.ravel()
            # points whose flow is not the rigid motion (skin moved by the face, a bad flow) are dropped once
            residual = np.linalg.norm(flow - np.einsum("nij,j->ni", jacobian, motion), axis=1)
            kept = residual[good].tolist()
            kept.sort()
            limit = max(0.3, 3.0 * kept[len(kept) // 2])
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
        f_over_z = f / placed[:, 2]
        a, b = placed[:, 0] / placed[:, 2], placed[:, 1] / placed[:, 2]
        # u = f x / z, v = f y / z, moved by dP = w x P + t
        out = np.zeros((len(placed), 2, 6))
        out[:, 0, 0] = -f * a * b
        out[:, 0, 1] = f * (1.0 + a * a)
        out[:, 0, 2] = -f * b
        out[:, 0, 3] = f_over_z
        out[:, 0, 5] = -a * f_over_z
        out[:, 1, 0] = -f * (1.0 + b * b)
        out[:, 1, 1] = f * a * b
        out[:, 1, 2] = f * a
        out[:, 1, 4] = f_over_z
        out[:, 1, 5] = -b * f_over_z
        return out
