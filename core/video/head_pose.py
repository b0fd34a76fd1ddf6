"""Head pose of one video frame from 2D face landmarks (PnP against MediaPipe's canonical face).

Two steps: :func:`fit_pose` finds the rigid pose of the canonical face that best explains the
landmarks (the geometric fit: used for tracking, reprojection errors and the lip signals);
:func:`turn_corrected` then undoes FaceMesh's known under-reporting of out-of-plane turns (see
"Turn gains" below) to give the head's rotation. :func:`fit_angles` does both.

Frames and axes
===============

Camera (OpenCV)
    ``x`` right in the image, ``y`` DOWN, ``z`` forward along the viewing direction; pixels
    ``u = fx * x / z + cx``, ``v = fy * y / z + cy`` with square pixels and the principal point at the
    image centre. The focal length comes from the horizontal field of view:
    ``fx = fy = (width / 2) / tan(fov / 2)``.

Face model
    :mod:`core.video.face_model`: centimetres, +x toward the person's LEFT, +y up, +z out of the face.

Fit result
    ``rotation`` is camera-from-face: a model point ``p`` is at ``rotation @ p + translation`` in
    camera coordinates (centimetres, nominal: the scale of the canonical face). A face looking
    straight into a camera that is not mirrored has ``rotation = FRONTAL = diag(1, -1, -1)``: model +x
    (person's left) lies toward the image's right, +y (up) toward -y, +z (out of the face) toward
    the camera (-z).

Head angles (degrees, the project's convention, see :mod:`core.rotation`)
    The head's rotation ``A`` in model axes is ``FRONTAL.T @ rotation`` (absolute: relative to
    looking straight into the camera) or ``neutral.T @ rotation`` (relative to a neutral pose, turned
    about the neutral head's own axes). In character axes it is
    ``H = CHARACTER_FROM_MODEL @ A @ CHARACTER_FROM_MODEL`` and
    ``(yaw, pitch, roll) = character_angles(H)``: yaw > 0 turns the face toward the person's own
    left (in a non-mirrored video the nose moves toward the image's RIGHT), pitch > 0 raises the chin,
    roll > 0 tilts the top of the head toward the person's own right shoulder (toward the image's
    LEFT). ``mirror=True`` (selfie videos, flipped left/right) conjugates ``H`` by the reflection of
    the right axis, which negates yaw and roll and keeps pitch.

Turn gains (:data:`DEFAULT_YAW_GAIN`, :data:`DEFAULT_PITCH_GAIN`)
    FaceMesh places the landmarks of a turned face partly where a less turned face would have them
    (a learned prior toward the frontal view; the far side of a turned face is guessed, not seen), so
    the fitted turns AWAY FROM THE CAMERA come out too small, while the in-plane rotation (tilt in the
    image) is measured correctly. Measured on Cycles renders of five real faces (photo-textured
    FaceMesh meshes, ``tests/support/face_scene.py``: the astronaut photo and four frames of the dev
    clips) at known poses (|yaw| <= 45, |pitch| <= 30, |roll| <= 30; 43 videos of 4-5 pose sets,
    20/40/60-degree cameras told their true field of view, 256 and 512 px): the fitted left-right turn
    is 0.90x the true one (per face 0.87-0.98, per field of view 0.93 / 0.90 / 0.87 at 20 / 40 / 60
    degrees), the up-down turn 0.84x (per face 0.80-0.88, per field of view 0.80 / 0.84 / 0.87), the
    in-plane roll 0.99-1.01x. On real talking-head clips MEASURED.md found the same pattern against a
    3DMM fitter (0.84 / 0.73). The defaults 0.89 / 0.84 minimise the mean yaw + pitch error over all
    43 videos; fitted without any one face they stay within 0.87-0.90 / 0.83-0.85, and the left-out
    face's errors change by less than 0.1 degree (0.4 for the one face whose yaw FaceMesh hardly
    under-reports, 0.98x, and which the default gains therefore over-correct).

    Re-checked after the rigid set changed to MediaPipe's basis without its jaw points, on renders with
    expressions (``tests/blender/test_expression_ground_truth.py``): without correction the astronaut
    face's yaw / pitch read 0.86x / 0.83x, with the defaults 0.97x / 0.98x; re-fitted on five faces
    (``tools/calibrate_turn_gains.py --quick``) the best gains are 0.89 / 0.84 again, so they stay.

    :func:`turn_corrected` divides the out-of-plane part by these gains. Relative to a face looking at
    the lens (:func:`facing_camera`), the fitted rotation is split into a twist about the face's own
    forward axis (the in-plane tilt, kept) followed by a swing: the shortest turn of the forward axis
    away from the line of sight, about an axis perpendicular to it. The swing's rotation vector is
    divided by the yaw gain along the lens-facing face's up axis (the image's vertical for a centred
    face) and by the pitch gain along its left-right axis. Gains of 1 disable the correction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from ..errors import MissingDependencyError, NoFaceError, SettingsError
from ..rotation import character_angles
from .face_model import (
    CHARACTER_FROM_MODEL,
    LEFT_EYE_INNER,
    LEFT_EYE_OUTER,
    LIP_KEYPOINTS,
    LOWER_LIP_INNER,
    N_LANDMARKS,
    RIGHT_EYE_INNER,
    RIGHT_EYE_OUTER,
    RIGID_LANDMARKS,
    UPPER_LIP_INNER,
    canonical_face,
    interocular_distance_cm,
)
from .robust import robust_refine

#: Default horizontal field of view in degrees (focal length = 2.84 x the image width): where the rigid
#: fit's reprojection error on the dev clips (talking-head crops) is lowest. See the module docs of
#: :mod:`core.video.estimation` for the measurements and the gains when the real camera differs.
DEFAULT_FOV_DEG = 20.0

#: FaceMesh + PnP's measured turn gains (fitted / true out-of-plane turn; see the module docs): the
#: fitted swing about the face's up axis (left-right turns) and about its left-right axis (nodding) is
#: divided by them. Calibrated on rendered ground truth (three faces, several pose sets and fields of
#: view; ``tests/blender/test_estimation_accuracy.py``).
DEFAULT_YAW_GAIN = 0.89
DEFAULT_PITCH_GAIN = 0.84

#: Camera-from-face rotation of a face looking straight into the camera (see the module docstring).
FRONTAL = np.diag([1.0, -1.0, -1.0])

#: Reflection of the character's right axis: conjugating by it mirrors a head rotation left/right.
_MIRROR = np.diag([-1.0, 1.0, 1.0])

_FEATURE = "Video head-pose estimation"


def import_cv2() -> Any:
    """Import OpenCV lazily; raise :class:`MissingDependencyError` when it is not installed."""
    try:
        import cv2
    except ImportError:
        raise MissingDependencyError("opencv-contrib-python-headless", _FEATURE) from None
    return cv2


@dataclass
class PoseFitSettings:
    """How one frame's landmarks are turned into a head pose.

    ``fov_deg``: horizontal field of view of the camera in degrees (0 < fov < 180); it sets the
    focal length. A too wide value shrinks the recovered yaw/pitch (roll hardly changes).
    ``rigid_landmarks``: FaceMesh indices fitted with PnP (at least 6).
    ``mirror``: the video is mirrored left/right (a selfie view): yaw and roll change sign. The fit
    itself is always in camera coordinates; :func:`fit_angles` applies the mirroring.
    ``yaw_gain`` / ``pitch_gain``: FaceMesh's measured under-reporting of left-right / up-down turns
    away from the camera (fitted / true, in [0.5, 2]; 1 = no correction), undone by
    :func:`turn_corrected` (see the module docs).
    ``robust``: after the least-squares fit, landmarks far off the fitted face lose weight
    (:func:`robust_refine`), so one misplaced landmark does not turn the head.
    ``skin_flow``: in a run of frames, the head's turn from one frame to the next follows the skin of the rigid
    face (optical flow, :mod:`core.video.skin_flow`) and is pulled toward this fit, so expressions that move
    FaceMesh's points do not turn the head; :func:`fit_pose` itself fits one frame and ignores it.
    """

    fov_deg: float = DEFAULT_FOV_DEG
    rigid_landmarks: tuple[int, ...] = RIGID_LANDMARKS
    mirror: bool = False
    yaw_gain: float = DEFAULT_YAW_GAIN
    pitch_gain: float = DEFAULT_PITCH_GAIN
    robust: bool = True
    skin_flow: bool = True

    def validate(self) -> PoseFitSettings:
        """Raise :class:`SettingsError` when a value is out of range; return ``self``."""
        fov = float(self.fov_deg)
        if not math.isfinite(fov) or not 0.0 < fov < 180.0:
            raise SettingsError(f"The field of view must be between 0 and 180 degrees, got {self.fov_deg!r}.")
        idx = tuple(int(i) for i in self.rigid_landmarks)
        if len(set(idx)) < 6 or min(idx) < 0 or max(idx) >= N_LANDMARKS:
            raise SettingsError(f"Give at least 6 distinct rigid landmark indices in 0..{N_LANDMARKS - 1}.")
        for name in ("yaw_gain", "pitch_gain"):
            try:
                gain = float(getattr(self, name))
            except (TypeError, ValueError):
                raise SettingsError(f"{name} must be a number, got {getattr(self, name)!r}.") from None
            if not 0.5 <= gain <= 2.0:
                raise SettingsError(f"{name} must lie between 0.5 and 2, got {getattr(self, name)!r}.")
        return self


class PoseFit(NamedTuple):
    """One frame's fit: unpacks as ``(rotation, translation, error_px)``.

    ``rotation`` (3, 3) camera-from-face, ``translation`` (3,) camera coordinates of the model origin
    in centimetres, ``error_px`` the RMS reprojection error of the rigid landmarks in pixels.
    """

    rotation: np.ndarray
    translation: np.ndarray
    error_px: float


def focal_length_px(width: float, fov_deg: float) -> float:
    """Focal length in pixels of a camera ``width`` pixels wide with horizontal field of view ``fov_deg``."""
    return 0.5 * float(width) / math.tan(math.radians(0.5 * float(fov_deg)))


def camera_matrix(image_size: tuple[int, int], fov_deg: float) -> np.ndarray:
    """(3, 3) intrinsics for an image ``(width, height)`` in pixels: square pixels, centred principal point."""
    width, height = float(image_size[0]), float(image_size[1])
    if not (width > 0 and height > 0):
        raise SettingsError(f"The image size must be positive, got {image_size!r}.")
    f = focal_length_px(width, fov_deg)
    return np.array([[f, 0.0, 0.5 * width], [0.0, f, 0.5 * height], [0.0, 0.0, 1.0]])


def project(points: np.ndarray, rotation: np.ndarray, translation: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Pixels (N, 2) of model points (N, 3) seen by a pinhole camera ``k`` with the given pose."""
    cam = np.asarray(points, dtype=np.float64) @ np.asarray(rotation).T + np.asarray(translation).reshape(1, 3)
    return cam[:, :2] / cam[:, 2:3] * np.array([k[0, 0], k[1, 1]]) + np.array([k[0, 2], k[1, 2]])


def _as_landmarks(landmarks_px: np.ndarray) -> np.ndarray:
    pts = np.asarray(landmarks_px, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[0] < N_LANDMARKS or pts.shape[1] < 2:
        raise SettingsError(f"Landmarks must have shape (468 or 478, 2) in pixels, got {pts.shape}.")
    return pts[:, :2]


def _plausible(rotation: np.ndarray, translation: np.ndarray) -> bool:
    """The face is in front of the camera and turned toward it (its +z axis points at -z)."""
    return bool(np.all(np.isfinite(rotation)) and translation[2] > 0.0 and rotation[2, 2] < 0.0)


def fit_pose(
    landmarks_px: np.ndarray,
    image_size: tuple[int, int],
    settings: PoseFitSettings | None = None,
    previous: PoseFit | None = None,
) -> PoseFit:
    """Camera-from-face pose of one frame by PnP on the rigid landmarks.

    ``landmarks_px``: (468, 2) or (478, 2) FaceMesh landmarks in pixels (extra columns such as z are
    ignored); ``image_size`` = (width, height) in pixels. With ``previous`` (the last frame's fit) the
    Levenberg-Marquardt solver starts from it (``solvePnPRefineLM``, which stops when it has converged:
    0.04 ms against 0.4 ms for ``SOLVEPNP_ITERATIVE`` with an extrinsic guess, which always takes its 20
    steps), so consecutive frames stay on the same solution; without it, or when that result is
    implausible or fits much worse than the previous frame (more than 2x its error + 0.5 px), the
    global ``SOLVEPNP_SQPNP`` solution refined with Levenberg-Marquardt is used (the better of the two).
    The result is in camera coordinates: no mirroring is applied here (see :func:`head_rotation`).

    Raises :class:`NoFaceError` when the landmarks are not finite or give no plausible pose.
    """
    cv2 = import_cv2()
    settings = (settings or PoseFitSettings()).validate()
    pts = _as_landmarks(landmarks_px)
    idx = np.asarray(settings.rigid_landmarks, dtype=np.int64)
    image = np.ascontiguousarray(pts[idx])
    if not np.all(np.isfinite(image)):
        raise NoFaceError("The face landmarks of this frame are not finite numbers.")
    obj = np.ascontiguousarray(canonical_face()[idx])
    k = camera_matrix(image_size, settings.fov_deg)

    def rms(rotation: np.ndarray, translation: np.ndarray) -> float:
        residual = project(obj, rotation, translation, k) - image
        return float(np.sqrt(np.mean(np.sum(residual * residual, axis=1))))

    best: PoseFit | None = None
    if previous is not None and _plausible(previous.rotation, previous.translation):
        rvec0 = cv2.Rodrigues(np.asarray(previous.rotation, dtype=np.float64))[0]
        tvec0 = np.asarray(previous.translation, dtype=np.float64).reshape(3, 1).copy()
        rvec, tvec = cv2.solvePnPRefineLM(obj, image, k, None, rvec0, tvec0)
        rotation, translation = cv2.Rodrigues(rvec)[0], tvec.reshape(3)
        if _plausible(rotation, translation):
            best = PoseFit(rotation, translation, rms(rotation, translation))
        # Keep the tracked solution unless it fits clearly worse than the last frame (a local minimum
        # after a fast turn); then the global solver decides.
        if best is not None and best.error_px <= 2.0 * previous.error_px + 0.5:
            return _robust(best, obj, image, k, settings, rms)
    ok, rvec, tvec = cv2.solvePnP(obj, image, k, None, flags=cv2.SOLVEPNP_SQPNP)
    if ok:
        rvec, tvec = cv2.solvePnPRefineLM(obj, image, k, None, rvec, tvec)
        rotation, translation = cv2.Rodrigues(rvec)[0], tvec.reshape(3)
        if _plausible(rotation, translation):
            fresh = PoseFit(rotation, translation, rms(rotation, translation))
            if best is None or fresh.error_px < best.error_px:
                best = fresh
    if best is None:
        raise NoFaceError("The face landmarks of this frame give no plausible head pose (PnP failed).")
    return _robust(best, obj, image, k, settings, rms)


def _robust(
    fit: PoseFit, obj: np.ndarray, image: np.ndarray, k: np.ndarray, settings: PoseFitSettings, rms: Any
) -> PoseFit:
    """``fit`` refined by :func:`robust_refine` when the settings ask for it, some landmark lies far off and
    the result is plausible."""
    if not settings.robust:
        return fit
    refined = robust_refine(obj, image, k, fit.rotation, fit.translation)
    if refined is None or not _plausible(*refined):
        return fit
    return PoseFit(refined[0], refined[1], rms(*refined))


def _minimal_rotation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, 3, 3) shortest-arc rotations taking unit vectors ``a`` (N, 3) to unit vectors ``b`` (N, 3)."""
    v = np.cross(a, b)
    c = np.einsum("ij,ij->i", a, b)
    k = np.zeros((len(v), 3, 3))
    k[:, 0, 1], k[:, 0, 2], k[:, 1, 2] = -v[:, 2], v[:, 1], -v[:, 0]
    k[:, 1, 0], k[:, 2, 0], k[:, 2, 1] = v[:, 2], -v[:, 1], v[:, 0]
    return np.eye(3) + k + (k @ k) / np.maximum(1.0 + c, 1e-12)[:, None, None]


def facing_camera(translation: np.ndarray) -> np.ndarray:
    """Camera-from-face rotation(s) of a face at ``translation`` looking straight at the camera.

    :data:`FRONTAL` turned by the shortest arc that points the face's forward axis along the line of
    sight to the camera centre (so a face off the image centre is "frontal" when it looks at the lens).
    ``translation``: (3,) or (N, 3) camera coordinates of the face; returns (3, 3) or (N, 3, 3).
    """
    t = np.asarray(translation, dtype=np.float64)
    single = t.ndim == 1
    t = t.reshape(-1, 3)
    toward_camera = -t / np.maximum(np.linalg.norm(t, axis=1, keepdims=True), 1e-300)
    forward = np.broadcast_to(FRONTAL @ np.array([0.0, 0.0, 1.0]), t.shape)
    out = _minimal_rotation(forward, toward_camera) @ FRONTAL
    return out[0] if single else out


def turn_corrected(
    rotation: np.ndarray,
    translation: np.ndarray,
    yaw_gain: float = DEFAULT_YAW_GAIN,
    pitch_gain: float = DEFAULT_PITCH_GAIN,
) -> np.ndarray:
    """Camera-from-face rotation(s) with FaceMesh's under-reported out-of-plane turn undone.

    ``rotation`` (3, 3) or (N, 3, 3) fitted camera-from-face rotations, ``translation`` (3,) or (N, 3)
    the fitted positions. Relative to :func:`facing_camera`, each rotation is split into a swing (turn
    of the face's forward axis away from the line of sight) and a twist about the forward axis; the
    swing's rotation vector is divided by ``yaw_gain`` about the face's up axis and by ``pitch_gain``
    about its left-right axis, the twist is kept (see the module docs). Gains of 1 return the input.
    """
    from ..rotation import matrix_from_quat, quat_from_matrix, quat_multiply

    r = np.asarray(rotation, dtype=np.float64)
    single = r.ndim == 2
    r = r.reshape(-1, 3, 3)
    t = np.asarray(translation, dtype=np.float64).reshape(-1, 3)
    if float(yaw_gain) == 1.0 and float(pitch_gain) == 1.0:
        return r[0].copy() if single else r.copy()
    ref = facing_camera(t)
    q = quat_from_matrix(np.swapaxes(ref, -1, -2) @ r)  # (w, x, y, z) of the turn in model axes
    twist = np.zeros_like(q)
    twist[:, 0], twist[:, 3] = q[:, 0], q[:, 3]
    twist /= np.maximum(np.linalg.norm(twist, axis=1, keepdims=True), 1e-12)
    swing = quat_multiply(q, twist * np.array([1.0, -1.0, -1.0, -1.0]))  # q = swing * twist
    swing *= np.where(swing[:, :1] < 0.0, -1.0, 1.0)
    sin_half = np.linalg.norm(swing[:, 1:], axis=1)
    angle = 2.0 * np.arctan2(sin_half, swing[:, 0])
    vector = swing[:, 1:] * (angle / np.maximum(sin_half, 1e-300))[:, None]
    vector = np.where(sin_half[:, None] > 1e-12, vector, 2.0 * swing[:, 1:])
    vector *= np.array([1.0 / float(pitch_gain), 1.0 / float(yaw_gain), 0.0])
    new_angle = np.linalg.norm(vector, axis=1)
    half = 0.5 * new_angle
    scale = np.where(new_angle > 1e-12, np.sin(half) / np.maximum(new_angle, 1e-300), 0.5)
    new_swing = np.column_stack([np.cos(half), vector * scale[:, None]])
    out = ref @ matrix_from_quat(quat_multiply(new_swing, twist))
    return out[0] if single else out


def head_rotation(camera_from_face: np.ndarray, neutral: np.ndarray | None = None, mirror: bool = False) -> np.ndarray:
    """Head rotation(s) in character coordinates (``r, f, u``) from camera-from-face rotations.

    ``camera_from_face``: (3, 3) or (N, 3, 3). ``neutral``: camera-from-face rotation of the rest pose;
    the result is then the turn away from it about the neutral head's own axes
    (``neutral.T @ rotation``); ``None`` measures from :data:`FRONTAL` (looking into the camera).
    ``mirror`` flips left and right (yaw and roll change sign). Same shape as the input.
    """
    r = np.asarray(camera_from_face, dtype=np.float64)
    ref = FRONTAL if neutral is None else np.asarray(neutral, dtype=np.float64)
    turn = np.swapaxes(ref, -1, -2) @ r
    h = CHARACTER_FROM_MODEL @ turn @ CHARACTER_FROM_MODEL
    if mirror:
        h = _MIRROR @ h @ _MIRROR
    return h


def head_angles(
    camera_from_face: np.ndarray, neutral: np.ndarray | None = None, mirror: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(yaw, pitch, roll)`` in degrees of :func:`head_rotation` (0-d arrays for one frame, (N,) for N)."""
    return character_angles(head_rotation(camera_from_face, neutral, mirror))


def fit_angles(
    fit: PoseFit, settings: PoseFitSettings | None = None, neutral: np.ndarray | None = None
) -> tuple[float, float, float]:
    """``(yaw, pitch, roll)`` in degrees of one frame's fit: turn-corrected (:func:`turn_corrected` with
    the settings' gains), mirrored when ``settings.mirror``. ``neutral``: a turn-corrected rotation."""
    settings = settings or PoseFitSettings()
    rotation = turn_corrected(fit.rotation, fit.translation, settings.yaw_gain, settings.pitch_gain)
    yaw, pitch, roll = head_angles(rotation, neutral, bool(settings.mirror))
    return float(yaw), float(pitch), float(roll)


def angles_to_camera_rotation(
    yaw: float, pitch: float, roll: float, neutral: np.ndarray | None = None, mirror: bool = False
) -> np.ndarray:
    """Inverse of :func:`head_angles` for one frame: the camera-from-face rotation (3, 3)."""
    from ..rotation import character_rotation

    h = character_rotation(yaw, pitch, roll)
    if mirror:
        h = _MIRROR @ h @ _MIRROR
    ref = FRONTAL if neutral is None else np.asarray(neutral, dtype=np.float64)
    return ref @ (CHARACTER_FROM_MODEL @ h @ CHARACTER_FROM_MODEL)


class LipSignals(NamedTuple):
    """Lip measurements of one frame that do not move with the head.

    ``gap``: distance between the inner upper (13) and lower (14) lip, divided by the face's
    inter-ocular distance (both in centimetres at the lips' depth, so head turns do not change it;
    about 0 closed, 0.3-0.6 wide open). ``keypoints`` (4, 2): the lip keypoints of
    :data:`core.video.face_model.LIP_KEYPOINTS` (inner upper, inner lower, outer upper, outer lower) as
    offsets from where the rigid head pose puts the closed-mouth canonical lips, in inter-ocular units,
    along the eye line (person's left = +, before mirroring) and down the face (+ = down).
    """

    gap: float
    keypoints: np.ndarray


def lip_signals(
    landmarks_px: np.ndarray, fit: PoseFit, image_size: tuple[int, int], settings: PoseFitSettings | None = None
) -> LipSignals:
    """Lip gap and head-independent lip keypoints of one frame (see :class:`LipSignals`)."""
    settings = settings or PoseFitSettings()
    pts = _as_landmarks(landmarks_px)
    k = camera_matrix(image_size, settings.fov_deg)
    model = canonical_face()
    lips = np.asarray(LIP_KEYPOINTS)
    cam = model[lips] @ fit.rotation.T + fit.translation
    px_per_cm = k[0, 0] / np.mean(cam[:, 2])  # image scale at the lips' depth
    unit = px_per_cm * interocular_distance_cm()  # pixels per inter-ocular distance
    gap = float(np.linalg.norm(pts[UPPER_LIP_INNER] - pts[LOWER_LIP_INNER]) / unit)
    right_eye = 0.5 * (pts[RIGHT_EYE_OUTER] + pts[RIGHT_EYE_INNER])
    left_eye = 0.5 * (pts[LEFT_EYE_OUTER] + pts[LEFT_EYE_INNER])
    across = left_eye - right_eye
    across /= max(float(np.linalg.norm(across)), 1e-9)
    down = np.array([-across[1], across[0]])  # image y points down: +90 degrees from the eye line
    offsets = (pts[lips] - project(model[lips], fit.rotation, fit.translation, k)) / unit
    keypoints = np.column_stack([offsets @ across, offsets @ down])
    return LipSignals(gap, keypoints)
