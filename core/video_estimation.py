"""Head motion of a person in a video: FaceMesh landmarks -> PnP head pose -> clean, stable angle track.

Pipeline (:func:`estimate_video`)
    1. Decode every frame with OpenCV (``cv2.VideoCapture``); the frame rate is the file's.
    2. MediaPipe FaceMesh in tracking mode (``static_image_mode=False``, ``refine_landmarks=True``, several
       faces; or the same networks and graph on LiteRT, :mod:`core.litert_face`, where mediapipe is not
       installed, see ``EstimationSettings.landmarks``): when more than one face is seen, the one closest to the
       previous frame's face is followed (the largest one at the start or after losing it). FaceMesh crops each
       frame where the PREVIOUS frame's landmarks were (or where its face detector found the face, on the first
       frame and after a loss), and its landmarks lean toward that crop: when the crop was stale (a new
       detection, or the face's tracking crop moved by more than ``retrack_threshold`` of its size, or turned in
       the image by more than that many radians, since the previous frame) the same frame is processed again
       from its own landmarks' crop. On the dev clips that is 0.7% of the frames besides the first ones (at most
       5% in one clip); it matters after fast turns and for the first frame, which is often the neutral pose (on
       rendered ground truth with 15-degree steps between frames it cut the pitch error from 3.3 to 2.7
       degrees).
    3. :func:`core.head_pose.fit_pose` per frame (started from the previous frame's fit), plus the lip
       gap and lip keypoints (:func:`core.head_pose.lip_signals`).
    4. Frames whose reprojection error is far above the clip's median are rejected.
    5. FaceMesh's under-reported out-of-plane turns are corrected
       (:func:`core.head_pose.turn_corrected`, gains ``yaw_gain`` / ``pitch_gain``). The neutral pose
       is the geodesic median rotation of the accepted frames (or a chosen frame);
       every frame's head rotation is taken RELATIVE to it, as a rotation (``neutral.T @ R``, about
       the neutral head's own axes), then converted to yaw/pitch/roll (degrees, project convention,
       see :mod:`core.head_pose`) and unwrapped so no angle jumps by 360 degrees.
    6. Hampel outlier rejection on the angles; missing and rejected frames are interpolated
       (linearly in the angles; ``found`` keeps them marked, gaps longer than ``max_gap_frames`` are
       reported in ``warnings``).
    7. Stabiliser: zero-phase Gaussian (default), 1€, or none (:mod:`core.stabilize`).

Field of view
    The focal length is set from ``fov_deg`` (horizontal). A too wide value shrinks yaw (and a little
    pitch); roll hardly changes. On the 17 dev clips (talking-head crops) the rigid fit's median
    reprojection error, averaged over the clips, is lowest at 20 degrees (within 2% from 12.6 to 25;
    +6% at 30 and +54% at 53 degrees, i.e. focal length = image width, where yaw comes out 0.83x as
    large), so 20 degrees is the default: talking-head footage is usually a crop of a wider frame, so
    its effective field of view is narrow. For uncropped webcam or phone footage (60-70 degrees) set
    the real value: with the default, yaw reads about 1.15x too large when the face fills 30% of the
    frame width and 1.3x when it fills 55% (exact canonical face, synthetic projections). On rendered
    ground truth (five faces about 40% of the frame wide, :mod:`core.head_pose` "Turn gains"), told
    the camera's true field of view, the turn-corrected estimate is right at 20, 40 and 60 degrees
    (slopes 0.95-1.04 for yaw and pitch; mean absolute errors 1.6-2.1 / 1.7-2.0 / 0.8-1.0 degrees
    yaw / pitch / roll); told 20 degrees for a 40 (60) degree camera, yaw reads 1.10x (1.16x) too large.

Caching
    :func:`estimate_video_cached` stores results as ``.npz`` keyed by the file's path, size and
    modification time and by the settings, so baking again with the same settings is instant.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import Cancelled, MediaError, MissingDependencyError, NoFaceError, SettingsError
from .face_model import LEFT_EYE_OUTER, LIP_KEYPOINTS, N_LANDMARKS, RIGHT_EYE_OUTER, RIGID_LANDMARKS
from .head_pose import (
    DEFAULT_FOV_DEG,
    DEFAULT_PITCH_GAIN,
    DEFAULT_YAW_GAIN,
    PoseFit,
    PoseFitSettings,
    fit_pose,
    head_rotation,
    import_cv2,
    lip_signals,
    turn_corrected,
)
from .rotation import character_angles, matrix_from_axis_angle, matrix_from_quat, quat_from_matrix
from .stabilize import STABILIZERS, fill_gaps, find_gaps, hampel, stabilize
from .track import PoseTrack

ProgressCallback = Callable[[int, int], None]
CancelCallback = Callable[[], bool]

#: Bumped whenever the estimator's results change, so older cache files are recomputed.
CACHE_VERSION = 2
_FEATURE = "Video head-pose estimation"
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
    (:func:`core.stabilize.one_euro`, beta in Hz per deg/s; the defaults cut jitter 20x and keep
    98% of a 1 Hz and 74% of a 2 Hz 5-degree nod).
    ``neutral``: ``"median"`` (geodesic median of all accepted frames) or a 0-based frame index.
    ``max_error_ratio``: frames whose reprojection error exceeds this multiple of the clip's median
    are rejected. ``hampel_half_window`` (frames) / ``hampel_sigmas`` / ``hampel_floor_deg``: spike
    rejection on the angles. ``max_faces``: faces FaceMesh looks for (the tracked one is chosen among
    them). ``min_detection_confidence`` / ``min_tracking_confidence``: FaceMesh thresholds in [0, 1].
    ``landmarks``: the face-landmark backend, ``"auto"`` (mediapipe's FaceMesh where mediapipe is
    installed, else the same networks on LiteRT), ``"mediapipe"`` or ``"litert"`` (:mod:`core.litert_face`).
    ``retrack_threshold``: a frame is processed by FaceMesh again when its face was just (re)detected or
    its tracking crop changed by more than this since the previous frame (fraction of the crop's size
    for the shift and the size change, radians for the in-plane turn; see the module docs); ``None``
    never does. ``yaw_gain`` / ``pitch_gain``: FaceMesh's under-reporting of turns away from the camera
    that is undone (:class:`core.head_pose.PoseFitSettings`; 1 = none).
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
    max_faces: int = 2
    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    rigid_landmarks: tuple[int, ...] = RIGID_LANDMARKS
    landmarks: str = "auto"
    retrack_threshold: float | None = 0.05
    yaw_gain: float = DEFAULT_YAW_GAIN
    pitch_gain: float = DEFAULT_PITCH_GAIN

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
        for name, minimum in (("max_gap_frames", 0), ("hampel_half_window", 1), ("max_faces", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
                raise SettingsError(f"{name} must be a whole number >= {minimum}, got {value!r}.")
        for name in ("gaussian_sigma_frames", "one_euro_beta", "hampel_floor_deg"):
            _number(getattr(self, name), name, minimum=0.0)
        for name in ("one_euro_min_cutoff_hz", "one_euro_d_cutoff_hz", "hampel_sigmas"):
            _number(getattr(self, name), name, minimum=0.0, strict=True)
        _number(self.max_error_ratio, "max_error_ratio", minimum=1.0)
        if self.landmarks not in LANDMARK_BACKENDS:
            choices = ", ".join(LANDMARK_BACKENDS)
            raise SettingsError(f"Unknown landmarks backend {self.landmarks!r}; use one of {choices}.")
        if self.retrack_threshold is not None:
            _number(self.retrack_threshold, "retrack_threshold", minimum=0.0)
        for name in ("min_detection_confidence", "min_tracking_confidence"):
            value = _number(getattr(self, name), name, minimum=0.0)
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


def _number(value: Any, name: str, minimum: float, strict: bool = False) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{name} must be a number, got {value!r}.") from None
    if not math.isfinite(value) or value < minimum or (strict and value == minimum):
        raise SettingsError(f"{name} must be a finite number {'>' if strict else '>='} {minimum}, got {value!r}.")
    return value


@dataclass(eq=False)
class EstimationResult:
    """Head motion measured in a video, one sample per video frame.

    ``yaw``, ``pitch``, ``roll``: (N,) degrees, relative to the neutral pose, stabilised, with gaps
    filled. ``raw_angles``: (N, 3) the same before stabilisation. ``translation``: (N, 3) position of the
    head (model origin) in camera coordinates, centimetres of the canonical face (x right, y down,
    z away from the camera; x negated when mirrored), gaps filled, stabilised like the angles.
    ``lip_gap``: (N,) inner lip gap / inter-ocular distance; ``lip_keypoints``: (N, 4, 2) (see
    :class:`core.head_pose.LipSignals`), both gap-filled, not smoothed. ``found``: (N,) True where a face
    was seen AND accepted (False = interpolated). ``detected``: (N,) True where FaceMesh saw a face.
    ``reprojection_error_px``: (N,) NaN without a face. ``fps``: frames per second of the file;
    ``image_size``: (width, height) pixels; ``neutral_rotation``: camera-from-face rotation of the
    neutral pose (turn-corrected, :func:`core.head_pose.turn_corrected`); ``warnings``: messages for the
    user.
    """

    yaw: np.ndarray
    pitch: np.ndarray
    roll: np.ndarray
    raw_angles: np.ndarray
    translation: np.ndarray
    lip_gap: np.ndarray
    lip_keypoints: np.ndarray
    found: np.ndarray
    detected: np.ndarray
    reprojection_error_px: np.ndarray
    fps: float
    image_size: tuple[int, int]
    neutral_rotation: np.ndarray
    warnings: list[str] = field(default_factory=list)
    settings: EstimationSettings = field(default_factory=EstimationSettings)
    source: str = ""

    @property
    def n_frames(self) -> int:
        """Number of video frames (samples)."""
        return int(self.yaw.shape[0])

    @property
    def angles(self) -> np.ndarray:
        """(N, 3) [yaw, pitch, roll] in degrees (stabilised)."""
        return np.column_stack([self.yaw, self.pitch, self.roll])

    @property
    def missing_fraction(self) -> float:
        """Fraction of frames without an accepted face (0..1)."""
        return float(np.mean(~self.found)) if self.n_frames else 1.0

    def speech_mask(self, **kwargs: Any) -> np.ndarray:
        """Per-frame speech weight in [0, 1] from the lip gap (:func:`core.silence.speech_from_lip_signal`)."""
        from .silence import speech_from_lip_signal

        return speech_from_lip_signal(self.lip_gap, self.fps, **kwargs)

    def to_pose_track(self, start_frame: int = 1, speech: bool | np.ndarray | None = None) -> PoseTrack:
        """The angles as a :class:`~core.track.PoseTrack` at the video's fps, first sample at ``start_frame``.

        ``speech``: ``None``/``False`` for none, ``True`` to derive it from the lips
        (:meth:`speech_mask`), or an explicit (N,) array.
        """
        if speech is True:
            mask = self.speech_mask()
        elif speech is None or speech is False:
            mask = None
        else:
            mask = np.asarray(speech, dtype=np.float64)
        meta = {
            "source": "video",
            "video": os.path.basename(self.source),
            "missing_fraction": round(self.missing_fraction, 6),
            "settings": self.settings.to_dict(),
        }
        return PoseTrack(self.yaw, self.pitch, self.roll, self.fps, start_frame, mask, meta).validate()

    # -- cache files ------------------------------------------------------------------------------------

    _ARRAYS = (
        "yaw", "pitch", "roll", "raw_angles", "translation", "lip_gap", "lip_keypoints", "found", "detected",
        "reprojection_error_px", "neutral_rotation",
    )  # fmt: skip

    def save_npz(self, path: str | os.PathLike) -> None:
        """Write the result to ``path`` (.npz, no pickles), atomically."""
        meta = {
            "version": CACHE_VERSION,
            "fps": self.fps,
            "image_size": list(self.image_size),
            "warnings": list(self.warnings),
            "settings": self.settings.to_dict(),
            "source": self.source,
        }
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as handle:
            np.savez(handle, meta=np.array(json.dumps(meta)), **{k: getattr(self, k) for k in self._ARRAYS})
        os.replace(tmp, path)

    @classmethod
    def load_npz(cls, path: str | os.PathLike) -> EstimationResult:
        """Read a result written by :meth:`save_npz` (raises ``ValueError``/``OSError``/``KeyError`` if bad)."""
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("version") != CACHE_VERSION:
                raise ValueError(f"cache version {meta.get('version')} != {CACHE_VERSION}")
            arrays = {k: data[k] for k in cls._ARRAYS}
        return cls(
            **arrays,
            fps=float(meta["fps"]),
            image_size=(int(meta["image_size"][0]), int(meta["image_size"][1])),
            warnings=list(meta["warnings"]),
            settings=EstimationSettings.from_dict(meta["settings"]),
            source=str(meta["source"]),
        )


# --------------------------------------------------------------------------------------------------
# Rotation helpers
# --------------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------------
# Decoding and landmarks
# --------------------------------------------------------------------------------------------------


class _Landmarker:
    """Face landmarks per RGB frame, in pixels: mediapipe's FaceMesh (tracking mode, refined landmarks) where
    mediapipe is installed, else the same models run with LiteRT (:mod:`core.litert_face`; Python 3.13,
    where mediapipe has no wheel). ``process(rgb)`` returns one (n, 2) array per face found."""

    def __init__(self, settings: EstimationSettings) -> None:
        options = {
            "max_num_faces": int(settings.max_faces),
            "min_detection_confidence": float(settings.min_detection_confidence),
            "min_tracking_confidence": float(settings.min_tracking_confidence),
        }
        face_mesh = None
        if settings.landmarks != "litert":
            try:
                from mediapipe.python.solutions import face_mesh
            except ImportError:
                if settings.landmarks == "mediapipe":
                    raise MissingDependencyError("mediapipe", _FEATURE) from None
        if face_mesh is None:
            try:
                from .litert_face import LiteRtFaceMesh

                self._mesh = LiteRtFaceMesh(static_image_mode=False, **options)
            except MissingDependencyError:
                missing = "mediapipe" if settings.landmarks == "auto" else "ai-edge-litert"
                raise MissingDependencyError(missing, _FEATURE) from None
            self._mediapipe = False
        else:
            self._mesh = face_mesh.FaceMesh(static_image_mode=False, refine_landmarks=True, **options)
            self._mediapipe = True

    def process(self, rgb: np.ndarray) -> list[np.ndarray]:
        height, width = rgb.shape[:2]
        if self._mediapipe:
            return _face_landmarks(self._mesh.process(rgb), width, height)
        scale = np.array([width, height], dtype=np.float64)
        return [face[:, :2] * scale for face in self._mesh.process(rgb)]

    def close(self) -> None:
        self._mesh.close()


def _open_video(path: Path) -> tuple[Any, float, int]:
    cv2 = import_cv2()
    if not path.exists():
        raise MediaError(f"The video file '{path}' does not exist.", str(path), "missing")
    if not path.is_file():
        raise MediaError(f"'{path}' is not a file.", str(path), "missing")
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        capture.release()
        raise MediaError(f"'{path}' cannot be read as a video (unknown or damaged format).", str(path), "corrupt")
    fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    return capture, fps, max(total, 0)


def _face_landmarks(result: Any, width: int, height: int) -> list[np.ndarray]:
    faces = []
    for face in result.multi_face_landmarks or []:
        pts = np.array([(p.x, p.y) for p in face.landmark], dtype=np.float64)
        faces.append(pts * np.array([width, height], dtype=np.float64))
    return faces


def _choose_face(faces: list[np.ndarray], previous: np.ndarray | None) -> np.ndarray | None:
    """The face to follow: the one nearest the previous face (when near enough), else the largest."""
    if not faces:
        return None
    if len(faces) == 1:
        return faces[0]
    sizes = [float(np.prod(f[:N_LANDMARKS].max(axis=0) - f[:N_LANDMARKS].min(axis=0))) for f in faces]
    if previous is not None:
        centre = previous[:N_LANDMARKS].mean(axis=0)
        width = float(np.ptp(previous[:N_LANDMARKS, 0])) or 1.0
        dists = [float(np.linalg.norm(f[:N_LANDMARKS].mean(axis=0) - centre)) for f in faces]
        best = int(np.argmin(dists))
        if dists[best] < 0.5 * width:
            return faces[best]
    return faces[int(np.argmax(sizes))]


def _tracking_crop(face: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Centre (2,), size and in-plane angle (radians) of the crop FaceMesh tracks a face with.

    Like MediaPipe's landmarks-to-ROI step: the landmarks' bounding box in the frame of the line through
    the outer eye corners, its centre, its longer side and that line's angle.
    """
    pts = face[:N_LANDMARKS]
    eye_line = pts[LEFT_EYE_OUTER] - pts[RIGHT_EYE_OUTER]
    angle = math.atan2(float(eye_line[1]), float(eye_line[0]))
    c, s = math.cos(angle), math.sin(angle)
    axes = np.array([[c, -s], [s, c]])
    local = (pts - pts.mean(axis=0)) @ axes
    low, high = local.min(axis=0), local.max(axis=0)
    centre = pts.mean(axis=0) + axes @ (0.5 * (low + high))
    return centre, float(max(np.max(high - low), 1e-9)), angle


def _crop_change(before: np.ndarray, after: np.ndarray) -> float:
    """How far the tracking crop moved between two landmark sets: the largest of the centre shift and the
    size change (fractions of the crop size, the size as a log ratio) and the in-plane turn (radians)."""
    c0, s0, a0 = _tracking_crop(before)
    c1, s1, a1 = _tracking_crop(after)
    turn = abs((a1 - a0 + math.pi) % (2.0 * math.pi) - math.pi)
    return max(float(np.linalg.norm(c1 - c0)) / s0, abs(math.log(s1 / s0)), turn)


# --------------------------------------------------------------------------------------------------
# The pipeline
# --------------------------------------------------------------------------------------------------


@dataclass
class _Raw:
    """Per-frame measurements before clean-up."""

    rotation: list[np.ndarray] = field(default_factory=list)
    translation: list[np.ndarray] = field(default_factory=list)
    error: list[float] = field(default_factory=list)
    lip_gap: list[float] = field(default_factory=list)
    lip_keypoints: list[np.ndarray] = field(default_factory=list)
    detected: list[bool] = field(default_factory=list)
    faces_seen: int = 0
    retracked: int = 0

    def add_missing(self, detected: bool = False) -> None:
        self.rotation.append(np.full((3, 3), np.nan))
        self.translation.append(np.full(3, np.nan))
        self.error.append(np.nan)
        self.lip_gap.append(np.nan)
        self.lip_keypoints.append(np.full((len(LIP_KEYPOINTS), 2), np.nan))
        self.detected.append(detected)


class _FaceTracker:
    """FaceMesh in tracking mode following one face through consecutive RGB frames (module docs, step 2).

    Calling it with a frame returns that frame's (478, 2) landmarks in pixels, or ``None``. Counts the
    most faces seen in one frame (``faces_seen``) and the frames processed twice (``retracked``).
    """

    def __init__(self, landmarker: _Landmarker, settings: EstimationSettings) -> None:
        self._mesh = landmarker
        self._threshold = settings.retrack_threshold
        self._previous: np.ndarray | None = None  # the last face followed (kept across losses)
        self._tracked = False  # the previous frame had it: FaceMesh crops this frame from its landmarks
        self.faces_seen = 0
        self.retracked = 0

    def __call__(self, rgb: np.ndarray) -> np.ndarray | None:
        faces = self._mesh.process(rgb)
        self.faces_seen = max(self.faces_seen, len(faces))
        face = _choose_face(faces, self._previous)
        stale = (
            face is not None
            and self._threshold is not None
            and (not self._tracked or _crop_change(self._previous, face) > self._threshold)
        )
        if stale:  # the crop FaceMesh used was not this face's: once more, from its own landmarks' crop
            again = _choose_face(self._mesh.process(rgb), face)
            face = again if again is not None else face
            self.retracked += 1
        self._tracked = face is not None
        if face is not None:
            self._previous = face
        return face

    def close(self) -> None:
        self._mesh.close()


def _measure(
    path: Path,
    settings: EstimationSettings,
    progress: ProgressCallback | None,
    cancel: CancelCallback | None,
) -> tuple[_Raw, float, tuple[int, int], int]:
    cv2 = import_cv2()
    capture, fps, total = _open_video(path)  # file errors first: they are the user's to fix
    try:
        landmarker = _Landmarker(settings)
    except MissingDependencyError:
        capture.release()
        raise
    fit_settings = settings.pose_fit_settings()
    raw = _Raw()
    size = (0, 0)
    previous_fit: PoseFit | None = None
    tracker = _FaceTracker(landmarker, settings)
    try:
        while True:
            if cancel is not None and cancel():
                raise Cancelled(f"Head-motion estimation of '{path.name}' was cancelled.")
            ok, frame = capture.read()
            if not ok or frame is None:
                break
            height, width = frame.shape[:2]
            size = (int(width), int(height))
            rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            rgb.flags.writeable = False
            face = tracker(rgb)
            if face is None:
                raw.add_missing()
                previous_fit = None
            else:
                try:
                    fit = fit_pose(face, size, fit_settings, previous_fit)
                except NoFaceError:
                    raw.add_missing(detected=True)
                    previous_fit = None
                else:
                    lips = lip_signals(face, fit, size, fit_settings)
                    raw.rotation.append(fit.rotation)
                    raw.translation.append(fit.translation)
                    raw.error.append(fit.error_px)
                    raw.lip_gap.append(lips.gap)
                    raw.lip_keypoints.append(lips.keypoints)
                    raw.detected.append(True)
                    previous_fit = fit
            if progress is not None:
                done = len(raw.error)
                progress(done, max(total, done))
    finally:
        tracker.close()
        capture.release()
    raw.faces_seen, raw.retracked = tracker.faces_seen, tracker.retracked
    n = len(raw.error)
    if progress is not None and n:
        progress(n, n)
    return raw, fps, size, n


def _relative_angles(rotations: np.ndarray, valid: np.ndarray, neutral: np.ndarray, mirror: bool) -> np.ndarray:
    """(N, 3) yaw/pitch/roll degrees relative to ``neutral``, NaN where not valid, unwrapped in time."""
    out = np.full((len(rotations), 3), np.nan)
    if valid.any():
        yaw, pitch, roll = character_angles(head_rotation(rotations[valid], neutral, mirror))
        angles = np.column_stack([yaw, pitch, roll])
        out[valid] = np.unwrap(angles, period=360.0, axis=0)
    return out


def _frame_text(index: int, fps: float) -> str:
    return f"frame {index + 1} ({index / fps:.2f} s)"


def estimate_video(
    path: str | os.PathLike,
    settings: EstimationSettings | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelCallback | None = None,
) -> EstimationResult:
    """Measure the head motion of the person in the video at ``path`` (see the module docs).

    ``progress(done_frames, total_frames)`` is called after every decoded frame (``total_frames`` is
    the container's estimate, never below ``done_frames``) and once at the end with equal numbers.
    ``cancel()`` is polled before every frame; returning True raises :class:`~core.errors.Cancelled`.

    Raises :class:`~core.errors.MediaError` for a missing, unreadable, still-image or zero-length file,
    :class:`~core.errors.NoFaceError` when no face is found in any frame,
    :class:`~core.errors.MissingDependencyError` without OpenCV/MediaPipe, and
    :class:`~core.errors.SettingsError` for bad settings.
    """
    settings = (settings or EstimationSettings()).validate()
    path = Path(path)
    raw, fps, size, n = _measure(path, settings, progress, cancel)
    if n == 0:
        raise MediaError(f"'{path.name}' holds no video frames (zero length, or not a video).", str(path), "empty")
    if n == 1:
        raise MediaError(
            f"'{path.name}' is a still image (1 frame); head motion needs a video.", str(path), "unsupported"
        )
    warnings: list[str] = []
    if not (math.isfinite(fps) and fps > 0.0):
        warnings.append(f"'{path.name}' does not state its frame rate; 25 fps was assumed.")
        fps = 25.0
    translation = np.array(raw.translation)
    rotations = np.array(raw.rotation)  # the geometric fits; NaN without a face
    fitted = np.isfinite(translation[:, 0])
    if fitted.any():
        rotations[fitted] = turn_corrected(
            rotations[fitted], translation[fitted], settings.yaw_gain, settings.pitch_gain
        )
    error = np.array(raw.error)
    detected = np.array(raw.detected, dtype=bool)
    found = np.isfinite(error)
    if not found.any():
        raise NoFaceError(
            f"No face was found in '{path.name}' ({n} frames). Use a video in which one person's face "
            "is clearly visible.",
            str(path),
            "no_face",
        )
    if raw.faces_seen > 1:
        warnings.append(f"Up to {raw.faces_seen} faces were seen; the head motion follows one of them.")

    # Frames whose landmarks fit the rigid face much worse than usual (occlusion, wrong face, motion blur).
    median_error = float(np.median(error[found]))
    limit = settings.max_error_ratio * max(median_error, 1e-6)
    bad_fit = found & (error > limit)
    if bad_fit.any():
        found &= ~bad_fit
        warnings.append(f"{int(bad_fit.sum())} frame(s) were rejected for a poor landmark fit (> {limit:.1f} px RMS).")
    if not found.any():
        raise NoFaceError(f"No usable face was found in '{path.name}'.", str(path), "no_face")

    neutral = _neutral_rotation(rotations, found, settings.neutral, fps, warnings)
    angles = _relative_angles(rotations, found, neutral, settings.mirror)

    spikes = hampel(angles, settings.hampel_half_window, settings.hampel_sigmas, settings.hampel_floor_deg)
    spikes &= found
    if spikes.any():
        found &= ~spikes
        warnings.append(f"{int(spikes.sum())} frame(s) were rejected as sudden jumps of the measured angles.")
        angles[spikes] = np.nan

    missing = int((~found).sum())
    if missing:
        long_gaps = [g for g in find_gaps(found) if g.length > settings.max_gap_frames]
        for gap in long_gaps[:5]:
            warnings.append(
                f"No usable face for {gap.length} frames ({gap.length / fps:.1f} s) from "
                f"{_frame_text(gap.start, fps)}; the motion there is interpolated."
            )
        if len(long_gaps) > 5:
            warnings.append(f"... and {len(long_gaps) - 5} more long gap(s) without a usable face.")
    raw_angles = fill_gaps(angles, found)
    translation_filled = fill_gaps(translation, found)
    if settings.mirror:
        translation_filled[:, 0] *= -1.0
    lip_ok = found & np.isfinite(np.array(raw.lip_gap))
    lip_gap = fill_gaps(np.array(raw.lip_gap), lip_ok)
    lip_keypoints = fill_gaps(np.array(raw.lip_keypoints), lip_ok)

    def smooth(x: np.ndarray) -> np.ndarray:
        return stabilize(
            x,
            fps,
            settings.stabiliser,
            sigma_frames=settings.gaussian_sigma_frames,
            min_cutoff=settings.one_euro_min_cutoff_hz,
            beta=settings.one_euro_beta,
            d_cutoff=settings.one_euro_d_cutoff_hz,
            zero_phase=settings.one_euro_zero_phase,
        )

    stable = smooth(raw_angles)
    return EstimationResult(
        yaw=stable[:, 0],
        pitch=stable[:, 1],
        roll=stable[:, 2],
        raw_angles=raw_angles,
        translation=smooth(translation_filled),
        lip_gap=lip_gap,
        lip_keypoints=lip_keypoints,
        found=found,
        detected=detected,
        reprojection_error_px=error,
        fps=float(fps),
        image_size=size,
        neutral_rotation=neutral,
        warnings=warnings,
        settings=settings,
        source=str(path),
    )


def _neutral_rotation(
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
            f"The neutral {_frame_text(index, fps)} has no usable face; {_frame_text(nearest, fps)} was used."
        )
        index = nearest
    return rotations[index].copy()


# --------------------------------------------------------------------------------------------------
# Cache
# --------------------------------------------------------------------------------------------------


def cache_key(path: str | os.PathLike, settings: EstimationSettings) -> str:
    """Cache key of a video file + settings: its resolved path, size, modification time and settings."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        raise MediaError(f"The video file '{path}' does not exist or cannot be read.", str(path), "missing") from None
    text = json.dumps(
        [CACHE_VERSION, str(path.resolve()), stat.st_size, stat.st_mtime_ns, settings.to_dict()], sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def estimate_video_cached(
    path: str | os.PathLike,
    settings: EstimationSettings | None,
    cache_dir: str | os.PathLike,
    progress: ProgressCallback | None = None,
    cancel: CancelCallback | None = None,
) -> EstimationResult:
    """:func:`estimate_video` with a cache of ``.npz`` files in ``cache_dir`` (created when needed).

    A result computed before for the same file (same path, size and modification time) and the same
    settings is loaded instead of decoding the video again. Unreadable cache files are recomputed; a
    cache folder that cannot be written only loses the caching.
    """
    settings = (settings or EstimationSettings()).validate()
    cache_dir = Path(cache_dir)
    key = cache_key(path, settings)
    cached = cache_dir / f"{Path(path).stem[:40]}-{key}.npz"
    if cached.is_file():
        try:
            result = EstimationResult.load_npz(cached)
        except (OSError, ValueError, KeyError, TypeError):
            pass
        else:
            if progress is not None:
                progress(result.n_frames, result.n_frames)
            return result
    result = estimate_video(path, settings, progress, cancel)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        result.save_npz(cached)
    except OSError:
        pass
    return result
