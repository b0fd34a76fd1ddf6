"""Face landmarks per video frame: the landmark backend (mediapipe's FaceMesh, or the same networks on
LiteRT), choosing and following one face, and re-tracking frames whose crop was stale.

Landmarks are (478, 2) arrays in pixels. See docs/decisions.md ("Video estimation") for why stale crops are
processed twice.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import MediaError, MissingDependencyError
from .face_model import LEFT_EYE_OUTER, N_LANDMARKS, RIGHT_EYE_OUTER
from .head_pose import import_cv2
from .settings import EstimationSettings

FEATURE = "Video head-pose estimation"


class Landmarker:
    """Face landmarks per RGB frame, in pixels: mediapipe's FaceMesh (tracking mode, refined landmarks unless
    ``settings.refine_landmarks`` is off) where
    mediapipe is installed, else the same models run with LiteRT (:mod:`core.video.litert_face`; Python 3.13,
    where mediapipe has no wheel). ``process(rgb)`` returns one (n, 2) array per face found.

    ``max_faces`` overrides ``settings.max_faces``; ``static`` runs the face detector on every frame
    (no tracking), for the occasional frame looked at out of sequence; ``threads``: interpreter threads the
    LiteRT backend may use (mediapipe's FaceMesh uses one)."""

    def __init__(
        self, settings: EstimationSettings, max_faces: int | None = None, static: bool = False,
        threads: int | None = None,
    ) -> None:
        options: dict[str, Any] = {
            "max_num_faces": int(settings.max_faces if max_faces is None else max_faces),
            "min_detection_confidence": float(settings.min_detection_confidence),
            "min_tracking_confidence": float(settings.min_tracking_confidence),
        }
        face_mesh: Any = None
        if settings.landmarks != "litert":
            try:
                from mediapipe.python.solutions import face_mesh as mediapipe_face_mesh
            except ImportError:
                if settings.landmarks == "mediapipe":
                    raise MissingDependencyError("mediapipe", FEATURE) from None
            else:
                face_mesh = mediapipe_face_mesh
        if face_mesh is None:
            try:
                from .litert_face import LiteRtFaceMesh

                self._mesh = LiteRtFaceMesh(
                    static_image_mode=static, refine_landmarks=bool(settings.refine_landmarks), num_threads=threads,
                    **options,
                )
            except MissingDependencyError:
                missing = "mediapipe" if settings.landmarks == "auto" else "ai-edge-litert"
                raise MissingDependencyError(missing, FEATURE) from None
            self._mediapipe = False
        else:
            self._mesh = face_mesh.FaceMesh(
                static_image_mode=static, refine_landmarks=bool(settings.refine_landmarks), **options
            )
            self._mediapipe = True

    def process(self, rgb: np.ndarray) -> list[np.ndarray]:
        height, width = rgb.shape[:2]
        if self._mediapipe:
            return _face_landmarks(self._mesh.process(rgb), width, height)
        scale = np.array([width, height], dtype=np.float64)
        return [face[:, :2] * scale for face in self._mesh.process(rgb)]

    def close(self) -> None:
        self._mesh.close()


def open_video(path: Path) -> tuple[Any, float, int]:
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


#: How protobuf writes one ``NormalizedLandmark`` of a ``NormalizedLandmarkList`` holding x, y and z only: the
#: list's field 1 (tag 0x0A) with its length (15), then x (0x0D), y (0x15) and z (0x1D) as little-endian floats.
_LANDMARK_RECORD = np.dtype([("tag", "u1"), ("size", "u1"), ("x_tag", "u1"), ("x", "<f4"), ("y_tag", "u1"),
                             ("y", "<f4"), ("z_tag", "u1"), ("z", "<f4")])
_LANDMARK_TAGS = (0x0A, 15, 0x0D, 0x15, 0x1D)
#: Where those five bytes sit in a record (byte offsets).
_TAG_BYTES = [int(_LANDMARK_RECORD.fields[name][1]) for name in ("tag", "size", "x_tag", "y_tag", "z_tag")]  # type: ignore[index]


def _landmark_xy(face: Any) -> np.ndarray:
    """(n, 2) normalised x, y of one FaceMesh ``NormalizedLandmarkList``.

    Read from the message's serialised bytes (about 0.05 ms for 478 points, against 0.5 ms for a Python loop
    over ``face.landmark``); any other layout (a landmark with visibility or presence set) takes the loop."""
    data = face.SerializeToString()
    if len(data) % _LANDMARK_RECORD.itemsize == 0:
        tags = np.frombuffer(data, dtype=np.uint8).reshape(-1, _LANDMARK_RECORD.itemsize)[:, _TAG_BYTES]
        if bool(np.all(tags == _LANDMARK_TAGS)):
            records = np.frombuffer(data, dtype=_LANDMARK_RECORD)
            return np.column_stack([records["x"], records["y"]]).astype(np.float64)
    return np.array([(p.x, p.y) for p in face.landmark], dtype=np.float64)


def _face_landmarks(result: Any, width: int, height: int) -> list[np.ndarray]:
    scale = np.array([width, height], dtype=np.float64)
    return [_landmark_xy(face) * scale for face in result.multi_face_landmarks or []]


def same_face(face: np.ndarray, previous: np.ndarray) -> bool:
    """The face's centre lies within half the previous face's width of the previous face's centre."""
    centre = previous[:N_LANDMARKS].mean(axis=0)
    width = float(np.ptp(previous[:N_LANDMARKS, 0])) or 1.0
    return float(np.linalg.norm(face[:N_LANDMARKS].mean(axis=0) - centre)) < 0.5 * width


def _choose_face(faces: list[np.ndarray], previous: np.ndarray | None) -> np.ndarray | None:
    """The face to follow: the one nearest the previous face (when near enough), else the largest."""
    if not faces:
        return None
    if len(faces) == 1:
        return faces[0]
    sizes = [float(np.prod(f[:N_LANDMARKS].max(axis=0) - f[:N_LANDMARKS].min(axis=0))) for f in faces]
    if previous is not None:
        centre = previous[:N_LANDMARKS].mean(axis=0)
        dists = [float(np.linalg.norm(f[:N_LANDMARKS].mean(axis=0) - centre)) for f in faces]
        best = int(np.argmin(dists))
        if same_face(faces[best], previous):
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
    return _crops_change(_tracking_crop(before), _tracking_crop(after))


def _crops_change(before: tuple[np.ndarray, float, float], after: tuple[np.ndarray, float, float]) -> float:
    """:func:`_crop_change` of two crops of :func:`_tracking_crop`."""
    c0, s0, a0 = before
    c1, s1, a1 = after
    turn = abs((a1 - a0 + math.pi) % (2.0 * math.pi) - math.pi)
    return max(float(np.linalg.norm(c1 - c0)) / s0, abs(math.log(s1 / s0)), turn)



class FaceTracker:
    """FaceMesh in tracking mode following one face through consecutive RGB frames (module docs, step 2).

    Calling it with a frame returns that frame's (478, 2) landmarks in pixels, or ``None``. Counts the
    most faces seen in one frame (``faces_seen``) and the frames processed twice (``retracked``).

    One face at a time by default (``settings.max_faces`` = 1): FaceMesh looking for more faces than it
    tracks runs its face detector on every frame, which cost a quarter of the speed. When the one face
    it returns is not the face followed so far (the followed face was lost and another one found), that
    frame is looked at again by a second, two-face FaceMesh (``second_looks`` counts those frames), and
    the face nearest the followed one is kept; when there is none, the new face is followed from then on.
    """

    def __init__(self, landmarker: Landmarker, settings: EstimationSettings) -> None:
        self._mesh = landmarker
        self._settings = settings
        self._second: Landmarker | None = None  # the two-face FaceMesh, made on first need
        self.second_looks = 0
        self._threshold = settings.retrack_threshold
        self._previous: np.ndarray | None = None  # the last face followed (kept across losses)
        self._previous_crop: tuple[np.ndarray, float, float] | None = None  # its tracking crop
        self._tracked = False  # the previous frame had it: FaceMesh crops this frame from its landmarks
        self.faces_seen = 0
        self.retracked = 0

    def __call__(self, rgb: np.ndarray) -> np.ndarray | None:
        faces = self._mesh.process(rgb)
        self.faces_seen = max(self.faces_seen, len(faces))
        face = _choose_face(faces, self._previous)
        second = (
            self._settings.max_faces == 1 and face is not None and self._previous is not None
            and not same_face(face, self._previous)
        )
        if second:  # another face than the one followed: is the followed face still there?
            if self._second is None:
                self._second = Landmarker(self._settings, max_faces=2, static=True)
            others = self._second.process(rgb)
            self.second_looks += 1
            self.faces_seen = max(self.faces_seen, len(others))
            nearest = _choose_face(others, self._previous)
            face = nearest if nearest is not None else face
        crop = _tracking_crop(face) if face is not None and self._threshold is not None else None
        stale = (
            crop is not None
            and not second
            and (
                not self._tracked
                or self._previous_crop is None
                or _crops_change(self._previous_crop, crop) > float(self._threshold or 0.0)
            )
        )
        if stale:  # the crop FaceMesh used was not this face's: once more, from its own landmarks' crop
            again = _choose_face(self._mesh.process(rgb), face)
            if again is not None:
                face, crop = again, _tracking_crop(again)
            self.retracked += 1
        self._tracked = face is not None
        if face is not None:
            self._previous = face
            self._previous_crop = crop
        return face

    def close(self) -> None:
        self._mesh.close()
        if self._second is not None:
            self._second.close()
