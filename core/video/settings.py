"""Settings of the video head-pose estimator (:func:`core.video.estimation.estimate_video`): field of view,
stabiliser, spike rejection, face-landmark backend, turn gains; validation and a digest for cache keys.

Units: degrees, frames and hertz as named. Why the defaults are what they are is measured in
docs/decisions.md ("Video estimation").
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..checks import MAX_FILTER_FRAMES, MAX_FRAMES, number
from ..errors import SettingsError
from .face_model import RIGID_LANDMARKS
from .head_pose import DEFAULT_FOV_DEG, DEFAULT_PITCH_GAIN, DEFAULT_YAW_GAIN, PoseFitSettings
from .stabilize import STABILIZERS

#: Face-landmark backends of :class:`EstimationSettings` (``landmarks``).
LANDMARK_BACKENDS: tuple[str, ...] = ("auto", "mediapipe", "litert")


@dataclass
class EstimationSettings:
    """Settings of :func:`estimate_video`. Units: degrees, frames, hertz as named.

    ``fov_deg``: horizontal field of view of the camera (see the module docs). ``mirror``: the video
    is a mirrored (selfie) view; yaw and roll change sign. ``max_gap_frames``: longer runs of frames
    without a usable face are reported in the warnings (all gaps are interpolated so the track stays
    continuous). ``stabiliser``: ``"gaussian"`` | ``"one_euro"`` | ``"none"``;
    ``gaussian_sigma_frames``: its standard deviation in frames (1.5 = 60 ms at 25 fps: -3 dB at 2.2 Hz;
    white noise's frame-to-frame jitter drops 7x, a 1 Hz nod keeps 93% and a 2 Hz one 75% of its
    amplitude; scale it with the frame rate); ``one_euro_*``: 1€ parameters
    (:func:`core.video.stabilize.one_euro`, beta in Hz per deg/s; the defaults cut jitter 20x and keep
    98% of a 1 Hz and 74% of a 2 Hz 5-degree nod).
    ``neutral``: ``"median"`` (geodesic median of all accepted frames) or a 0-based frame index.
    ``max_error_ratio``: frames whose reprojection error exceeds this multiple of the clip's median
    are rejected. ``hampel_half_window`` (frames) / ``hampel_sigmas`` / ``hampel_floor_deg``: spike
    rejection on the angles. ``max_faces``: faces FaceMesh looks for (the tracked one is chosen among
    them); with 1 (the default) a second face is looked for only when the followed face is lost
    (:class:`core.video.landmarks.FaceTracker`).
    ``min_detection_confidence`` / ``min_tracking_confidence``: FaceMesh thresholds in [0, 1].
    ``landmarks``: the face-landmark backend, ``"auto"`` (mediapipe's FaceMesh where mediapipe is
    installed, else the same networks on LiteRT), ``"mediapipe"`` or ``"litert"`` (:mod:`core.video.litert_face`).
    ``retrack_threshold``: a frame is processed by FaceMesh again when its face was just (re)detected or
    its tracking crop changed by more than this since the previous frame (fraction of the crop's size
    for the shift and the size change, radians for the in-plane turn; see the module docs); ``None``
    never does. ``yaw_gain`` / ``pitch_gain``: FaceMesh's under-reporting of turns away from the camera
    that is undone (:class:`core.video.head_pose.PoseFitSettings`; 1 = none). ``robust_fit``: landmarks far
    off the fitted face lose weight (:func:`core.video.head_pose.robust_refine`). ``refine_landmarks``:
    FaceMesh's attention model, which places the lips and eyes better (the lip signals, hence the speech
    mask from the lips, follow the mouth markedly better) at about 10% more landmark time. ``skin_flow``: the
    head's turn between frames follows the skin of the nose, forehead and cheekbones (optical flow), pulled toward
    the landmark fit (:mod:`core.video.skin_flow`): an open mouth, raised brows or a blink no longer turn the head,
    and still heads hold still; off, every frame is the landmark fit alone.
    How many threads measure a long video is no setting: it changes only the speed, never the result
    (:mod:`core.video.segments`).
    """

    fov_deg: float = DEFAULT_FOV_DEG
    mirror: bool = False
    max_gap_frames: int = 12
    stabiliser: str = "gaussian"
    gaussian_sigma_frames: float = 1.5
    one_euro_min_cutoff_hz: float = 1.0
    one_euro_beta: float = 0.1
    one_euro_d_cutoff_hz: float = 1.0
    one_euro_zero_phase: bool = True
    neutral: str | int = "median"
    max_error_ratio: float = 3.0
    hampel_half_window: int = 5
    hampel_sigmas: float = 4.0
    hampel_floor_deg: float = 1.0
    max_faces: int = 1
    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    rigid_landmarks: tuple[int, ...] = RIGID_LANDMARKS
    landmarks: str = "auto"
    retrack_threshold: float | None = 0.05
    yaw_gain: float = DEFAULT_YAW_GAIN
    pitch_gain: float = DEFAULT_PITCH_GAIN
    robust_fit: bool = True
    refine_landmarks: bool = True
    skin_flow: bool = True

    def validate(self) -> EstimationSettings:
        """Raise :class:`SettingsError` when a value is out of range; return ``self``."""
        self.pose_fit_settings().validate()
        if self.stabiliser not in STABILIZERS:
            raise SettingsError(f"Unknown stabiliser {self.stabiliser!r}; use one of {', '.join(STABILIZERS)}.")
        if isinstance(self.neutral, str):
            if self.neutral != "median":
                raise SettingsError(f"neutral must be 'median' or a frame index, got {self.neutral!r}.")
        elif isinstance(self.neutral, bool) or not isinstance(self.neutral, (int, np.integer)) or self.neutral < 0:
            raise SettingsError(f"neutral must be 'median' or a frame index >= 0, got {self.neutral!r}.")
        for name, minimum, maximum in (("max_gap_frames", 0, MAX_FRAMES), ("hampel_half_window", 1, MAX_FILTER_FRAMES),
                                       ("max_faces", 1, 100)):
            value = getattr(self, name)
            if (isinstance(value, bool) or not isinstance(value, (int, np.integer))
                    or not minimum <= value <= maximum):
                raise SettingsError(f"{name} must be a whole number between {minimum} and {maximum}, got {value!r}.")
        number(self.gaussian_sigma_frames, "gaussian_sigma_frames", minimum=0.0, maximum=MAX_FILTER_FRAMES)
        for name in ("one_euro_beta", "hampel_floor_deg"):
            number(getattr(self, name), name, minimum=0.0)
        for name in ("one_euro_min_cutoff_hz", "one_euro_d_cutoff_hz", "hampel_sigmas"):
            number(getattr(self, name), name, minimum=0.0, strict=True)
        number(self.max_error_ratio, "max_error_ratio", minimum=1.0)
        if self.landmarks not in LANDMARK_BACKENDS:
            choices = ", ".join(LANDMARK_BACKENDS)
            raise SettingsError(f"Unknown landmarks backend {self.landmarks!r}; use one of {choices}.")
        if self.retrack_threshold is not None:
            number(self.retrack_threshold, "retrack_threshold", minimum=0.0)
        for name in ("min_detection_confidence", "min_tracking_confidence"):
            value = number(getattr(self, name), name, minimum=0.0)
            if value > 1.0:
                raise SettingsError(f"{name} must lie between 0 and 1, got {value!r}.")
        return self

    def pose_fit_settings(self) -> PoseFitSettings:
        """The per-frame :class:`PoseFitSettings` these settings imply."""
        return PoseFitSettings(
            fov_deg=self.fov_deg,
            rigid_landmarks=tuple(self.rigid_landmarks),
            mirror=self.mirror,
            yaw_gain=self.yaw_gain,
            pitch_gain=self.pitch_gain,
            robust=bool(self.robust_fit),
            skin_flow=bool(self.skin_flow),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable copy (tuples become lists)."""
        data = dataclasses.asdict(self)
        data["rigid_landmarks"] = [int(i) for i in self.rigid_landmarks]
        if not isinstance(self.neutral, str):
            data["neutral"] = int(self.neutral)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EstimationSettings:
        """Inverse of :meth:`to_dict` (unknown keys are ignored)."""
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        if "rigid_landmarks" in values:
            values["rigid_landmarks"] = tuple(int(i) for i in values["rigid_landmarks"])
        return cls(**values)

    def digest(self) -> str:
        """Short hash of the settings (for cache keys)."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]



