"""Per-frame measurements of a run of consecutive video frames: the followed face's landmarks -> rigid fit -> lips.

:func:`measure_run` reads frames from one ``cv2.VideoCapture`` (decoded ahead on a reader thread,
:mod:`core.video.frames`), follows one face with one FaceMesh (:class:`core.video.landmarks.FaceTracker`) and
appends to a :class:`Raw` per frame: the camera-from-face rotation (3, 3) and translation (3,, centimetres) of
:func:`core.video.head_pose.fit_pose` (started from the previous frame's fit; the rotation fused with the skin's
optical flow by :class:`core.video.skin_flow.SkinFlow` when the settings' ``skin_flow`` is on, both ways once a run
of frames with a face ends), the RMS reprojection error (pixels), the lip gap and keypoints
(:func:`core.video.head_pose.lip_signals`), the eye landmarks (:func:`core.video.eye_signals.eye_points`) and the
container's presentation time (milliseconds).
:mod:`core.video.segments` runs several of them on consecutive parts of one video.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import NoFaceError
from .eye_signals import EYE_POINTS, eye_points
from .face_model import LIP_KEYPOINTS
from .frames import FrameReader
from .head_pose import PoseFit, PoseFitSettings, fit_pose, lip_signals
from .landmarks import FaceTracker
from .skin_flow import SkinFlow


@dataclass
class Raw:
    """Per-frame measurements before clean-up (NaN where a frame has no usable face).

    ``first_face`` / ``last_face``: the first and last landmarks (478, 2) followed in the run (``None``
    without any), which :mod:`core.video.segments` compares where two runs meet. ``reached_end``: the run
    ended at the end of the file (not at a boundary or a stop)."""

    rotation: list[np.ndarray] = field(default_factory=list)
    translation: list[np.ndarray] = field(default_factory=list)
    error: list[float] = field(default_factory=list)
    lip_gap: list[float] = field(default_factory=list)
    lip_keypoints: list[np.ndarray] = field(default_factory=list)
    eye_points: list[np.ndarray] = field(default_factory=list)  # (len(EYE_POINTS), 2) pixels, NaN: none
    detected: list[bool] = field(default_factory=list)
    msec: list[float] = field(default_factory=list)  # the container's presentation time of each frame
    size: tuple[int, int] = (0, 0)  # (width, height) in pixels
    faces_seen: int = 0
    retracked: int = 0
    first_face: np.ndarray | None = None
    last_face: np.ndarray | None = None
    reached_end: bool = False

    def __len__(self) -> int:
        return len(self.error)

    def add_missing(self, detected: bool = False) -> None:
        self.rotation.append(np.full((3, 3), np.nan))
        self.translation.append(np.full(3, np.nan))
        self.error.append(np.nan)
        self.lip_gap.append(np.nan)
        self.lip_keypoints.append(np.full((len(LIP_KEYPOINTS), 2), np.nan))
        self.eye_points.append(np.full((len(EYE_POINTS), 2), np.nan))
        self.detected.append(detected)

    def extend(self, other: Raw) -> None:
        """Append the frames of ``other``, a run that follows this one in the file."""
        for name in ("rotation", "translation", "error", "lip_gap", "lip_keypoints", "eye_points", "detected",
                     "msec"):
            getattr(self, name).extend(getattr(other, name))
        if len(other):
            self.size = other.size
        self.faces_seen = max(self.faces_seen, other.faces_seen)
        self.retracked += other.retracked
        if self.first_face is None:
            self.first_face = other.first_face
        if other.last_face is not None:
            self.last_face = other.last_face
        self.reached_end = other.reached_end


def measure_run(
    capture: Any,
    tracker: FaceTracker,
    fit_settings: PoseFitSettings,
    raw: Raw,
    stop: Callable[[float], bool],
    done: Callable[[], None] | None = None,
    grabbed: bool = False,
) -> None:
    """Measure ``capture``'s frames from where it stands into ``raw`` until the file ends (``raw.reached_end``)
    or ``stop(msec)`` (called with each frame's presentation time before it is measured) returns True.
    ``done()`` is called after every measured frame; ``grabbed``: the capture's current frame was grabbed and
    not yet retrieved, and is the first (:class:`core.video.frames.FrameReader`). The capture is the caller's
    to release."""
    previous_fit: PoseFit | None = None
    flow: SkinFlow | None = None
    with FrameReader(capture, grabbed=grabbed) as frames:
        for rgb, msec in frames:
            if stop(msec):
                break
            raw.msec.append(msec)
            height, width = rgb.shape[:2]
            raw.size = (int(width), int(height))
            if flow is None and fit_settings.skin_flow:
                flow = SkinFlow(raw.size, fit_settings.fov_deg)
            face = tracker(rgb)
            if face is None:
                _finish_flow(flow, raw)
                raw.add_missing()
                previous_fit = None
            else:
                previous_fit = _measure_face(face, raw, fit_settings, previous_fit, rgb, flow)
            if done is not None:
                done()
        else:
            raw.reached_end = True
    _finish_flow(flow, raw)
    raw.faces_seen, raw.retracked = tracker.faces_seen, tracker.retracked


def _measure_face(
    face: np.ndarray, raw: Raw, fit_settings: PoseFitSettings, previous: PoseFit | None, rgb: np.ndarray,
    flow: SkinFlow | None,
) -> PoseFit | None:
    """Fit one frame's face and append its measurements (the rotation fused with the skin flow when ``flow``); the
    landmark fit, or ``None`` when it gives no pose."""
    if raw.first_face is None:
        raw.first_face = face
    raw.last_face = face
    try:
        fit = fit_pose(face, raw.size, fit_settings, previous)
    except NoFaceError:
        _finish_flow(flow, raw)
        raw.add_missing(detected=True)
        return None
    lips = lip_signals(face, fit, raw.size, fit_settings)
    raw.rotation.append(fit.rotation if flow is None else flow.update(rgb, face, fit))
    raw.translation.append(fit.translation)
    raw.error.append(fit.error_px)
    raw.lip_gap.append(lips.gap)
    raw.lip_keypoints.append(lips.keypoints)
    raw.eye_points.append(eye_points(face))
    raw.detected.append(True)
    return fit


def _finish_flow(flow: SkinFlow | None, raw: Raw) -> None:
    """End the skin flow's run of frames: their rotations, the last ones in ``raw``, become the ones fused both ways
    (:meth:`core.video.skin_flow.SkinFlow.finish`)."""
    if flow is None:
        return
    rotations = flow.finish()
    if rotations:
        raw.rotation[len(raw.rotation) - len(rotations) :] = rotations
