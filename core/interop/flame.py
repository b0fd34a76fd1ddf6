"""FLAME pose parameters: export a head motion to, and import it from, FLAME pose sequences.

FLAME (the head model that GaussianAvatars-style Gaussian-splat avatars are rigged to) poses its head with
axis-angle rotation vectors (RADIANS, ``axis * angle``, right-hand rule) per frame:

* ``rotation`` (T, 3): the global (root) joint; it turns the whole mesh, shoulders and neck included;
* ``neck_pose`` (T, 3): the neck joint; it turns the head relative to the shoulders;
* ``jaw_pose`` (T, 3), ``eyes_pose`` (T, 6: left eye then right eye, each relative to the head);
* ``translation`` (T, 3) and ``expr`` (T, 100) expression coefficients.

A joint's rotation is expressed in its parent's frame, which at rest is FLAME's model frame, so the
head's rotation in the model frame is ``R(rotation) @ R(neck_pose)``.

Axes: FLAME's model frame is Y-up with the face looking along +Z, so +X is the character's own LEFT. In the
character frame of docs/conventions.md (right r, forward f, up u) that is ``r = -X``, ``f = +Z``, ``u = +Y``:
``R_flame = M @ R_character @ M.T`` with ``M`` = :data:`FLAME_FROM_CHARACTER` (columns r, f, u in FLAME
coordinates). Hence yaw is a turn about +Y, pitch (chin up) a NEGATIVE turn about +X, roll (top of the head
toward the character's right) a positive turn about +Z.

Files: ``.npz`` in the layout of GaussianAvatars' ``flame_param.npz`` / motion files (the six arrays above
as float32, which is what their loaders keep, plus ``fps`` and ``start_frame`` as 0-d float64/int64
arrays), or ``.json`` (``"format": "head_motion.flame_sequence"``, one object per frame with the pose
arrays as lists; ``expr`` is omitted because it is all zero).
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np

from ..errors import SettingsError, TrackError
from ..rotation import character_angles, character_rotation, matrix_from_axis_angle, quat_from_matrix
from ..track import PoseTrack
from .motion import MotionData

#: Columns r, f, u (character right, forward, up) in FLAME model coordinates (+X left, +Y up, +Z forward).
FLAME_FROM_CHARACTER = np.array([[-1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
JSON_FORMAT = "head_motion.flame_sequence"
JSON_VERSION = 1
N_EXPR = 100
#: Pose arrays and their widths per frame, in the order files list them.
POSE_KEYS = {"rotation": 3, "neck_pose": 3, "jaw_pose": 3, "eyes_pose": 6, "translation": 3}


# -- rotations ---------------------------------------------------------------------------------------------


def rotvec_from_matrix(m: np.ndarray) -> np.ndarray:
    """(N, 3) rotation vectors (axis * angle, radians, angle in [0, pi]) of (N, 3, 3) rotation matrices."""
    q = quat_from_matrix(np.asarray(m, dtype=np.float64).reshape(-1, 3, 3))
    q = np.where(q[:, :1] < 0.0, -q, q)
    w, v = q[:, 0], q[:, 1:]
    s = np.linalg.norm(v, axis=1)
    angle = 2.0 * np.arctan2(s, w)
    scale = np.where(s > 1e-300, angle / np.where(s > 1e-300, s, 1.0), 2.0 / np.maximum(w, 1e-300))
    return v * scale[:, None]


def matrix_from_rotvec(v: np.ndarray) -> np.ndarray:
    """(N, 3, 3) rotation matrices of (N, 3) rotation vectors (axis * angle, radians)."""
    v = np.asarray(v, dtype=np.float64).reshape(-1, 3)
    angle = np.linalg.norm(v, axis=1)
    return matrix_from_axis_angle(np.column_stack([angle, v])).reshape(-1, 3, 3)


def to_flame(r_character: np.ndarray) -> np.ndarray:
    """Rotations in character coordinates -> the same rotations in FLAME coordinates."""
    m = FLAME_FROM_CHARACTER
    return m @ r_character @ m.T


def from_flame(r_flame: np.ndarray) -> np.ndarray:
    """Rotations in FLAME coordinates -> the same rotations in character coordinates."""
    m = FLAME_FROM_CHARACTER
    return m.T @ r_flame @ m


# -- export ------------------------------------------------------------------------------------------------


def flame_params(motion: MotionData | PoseTrack, fps: float | None = None, global_share: float = 0.0,
                 n_expr: int = N_EXPR) -> dict[str, np.ndarray]:
    """FLAME pose arrays (float64) for every frame of ``motion``, resampled to ``fps`` when given.

    ``global_share`` (0-1) is the part of the head rotation put into ``rotation`` (the global joint, which
    also turns the shoulders); the rest goes into ``neck_pose``, so ``R(rotation) @ R(neck_pose)`` is always
    the whole head rotation. 0 (default) keeps the shoulders still, 1 turns the whole bust. Eyes are written
    when ``motion`` has them; ``jaw_pose``, ``translation`` and ``expr`` are zeros. Also returns ``fps``
    and ``start_frame`` (0-d arrays).
    """
    data = motion if isinstance(motion, MotionData) else MotionData(motion)
    data.track.validate()
    if fps is not None:
        data = data.resampled(float(fps))
    if not 0.0 <= float(global_share) <= 1.0:
        raise SettingsError(f"The global share must be between 0 and 1, got {global_share}.")
    if int(n_expr) < 0:
        raise SettingsError(f"The number of expression coefficients must be >= 0, got {n_expr}.")
    track = data.track
    head = character_rotation(track.yaw, track.pitch, track.roll).reshape(-1, 3, 3)
    share = float(global_share)
    root = character_rotation(track.yaw * share, track.pitch * share, track.roll * share).reshape(-1, 3, 3)
    neck = np.swapaxes(root, 1, 2) @ head
    n = len(track)
    eyes = np.zeros((n, 6))
    if data.eyes is not None:
        for i in range(2):
            r_eye = character_rotation(data.eyes[:, i, 0], data.eyes[:, i, 1], 0.0).reshape(-1, 3, 3)
            eyes[:, 3 * i: 3 * i + 3] = rotvec_from_matrix(to_flame(r_eye))
    return {
        "rotation": rotvec_from_matrix(to_flame(root)),
        "neck_pose": rotvec_from_matrix(to_flame(neck)),
        "jaw_pose": np.zeros((n, 3)),
        "eyes_pose": eyes,
        "translation": np.zeros((n, 3)),
        "expr": np.zeros((n, int(n_expr))),
        "fps": np.array(float(track.fps)),
        "start_frame": np.array(int(track.start_frame), dtype=np.int64),
    }


def save_flame(params: dict[str, np.ndarray], path: str | os.PathLike) -> Path:
    """Write :func:`flame_params` output as ``.npz`` (float32 arrays) or per-frame ``.json``."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".npz":
            arrays = {k: np.asarray(params[k], dtype=np.float32) for k in (*POSE_KEYS, "expr")}
            arrays["fps"] = np.array(float(params["fps"]))
            arrays["start_frame"] = np.array(int(params["start_frame"]), dtype=np.int64)
            with open(path, "wb") as handle:
                np.savez(handle, **arrays)
        elif suffix == ".json":
            start = int(params["start_frame"])
            frames = [
                {"frame": start + i, **{k: np.asarray(params[k][i], dtype=np.float64).tolist() for k in POSE_KEYS}}
                for i in range(len(params["rotation"]))
            ]
            doc = {"format": JSON_FORMAT, "version": JSON_VERSION, "fps": float(params["fps"]),
                   "start_frame": start, "n_expr": int(np.shape(params["expr"])[1]), "frames": frames}
            path.write_text(json.dumps(doc, allow_nan=False) + "\n", encoding="utf-8")
        else:
            raise TrackError(f"Cannot write FLAME parameters to '{path}': use a .npz or .json extension.")
    except OSError as exc:
        raise TrackError(f"Cannot write FLAME parameters '{path}': {exc.strerror or exc}.") from None
    return path


def export_flame(motion: MotionData | PoseTrack, path: str | os.PathLike, fps: float | None = None,
                 global_share: float = 0.0) -> Path:
    """:func:`flame_params` then :func:`save_flame`; returns the path written."""
    return save_flame(flame_params(motion, fps, global_share), path)


# -- import ------------------------------------------------------------------------------------------------


def _pose_array(values, key: str, width: int, n: int | None, path: Path) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TrackError(f"FLAME file '{path}': '{key}' is not numeric.") from None
    if arr.ndim == 1 and arr.shape[0] == width and n in (None, 1):
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] != width or (n is not None and arr.shape[0] != n):
        want = f"({'T' if n is None else n}, {width})"
        raise TrackError(f"FLAME file '{path}': '{key}' must have shape {want}, got {arr.shape}.")
    bad = ~np.isfinite(arr).all(axis=1)
    if bad.any():
        raise TrackError(f"FLAME file '{path}': '{key}' is not finite at frame index {int(np.argmax(bad))}.")
    return arr


def motion_from_flame(arrays: dict, fps: float, start_frame: int = 1, use_global: bool = True,
                      path: str | os.PathLike = "", meta: dict | None = None) -> MotionData:
    """Head (and eye) motion from FLAME pose arrays; see the module docstring for axes.

    The head rotation is ``R(rotation) @ R(neck_pose)`` (``use_global``) or ``R(neck_pose)`` alone (when
    the global rotation is camera or body motion you do not want on the head). At least one of
    ``rotation`` / ``neck_pose`` must be present.
    """
    path = Path(path)
    present = [k for k in ("rotation", "neck_pose") if k in arrays]
    if not present:
        raise TrackError(f"FLAME file '{path}' has neither 'rotation' nor 'neck_pose'.")
    poses: dict[str, np.ndarray] = {}
    for key in present:
        poses[key] = _pose_array(arrays[key], key, 3, len(poses[present[0]]) if poses else None, path)
    n = len(poses[present[0]])
    if n == 0:
        raise TrackError(f"FLAME file '{path}' holds no frames.")
    head = np.broadcast_to(np.eye(3), (n, 3, 3))
    if use_global and "rotation" in poses:
        head = matrix_from_rotvec(poses["rotation"])
    if "neck_pose" in poses:
        head = head @ matrix_from_rotvec(poses["neck_pose"])
    yaw, pitch, roll = character_angles(from_flame(head))
    track = PoseTrack(yaw, pitch, roll, float(fps), int(start_frame), meta=dict(meta or {}))
    eyes = None
    if "eyes_pose" in arrays:
        raw = _pose_array(arrays["eyes_pose"], "eyes_pose", 6, n, path)
        if np.any(raw != 0.0):
            eyes = np.zeros((n, 2, 2))
            for i in range(2):
                e_yaw, e_pitch, _ = character_angles(from_flame(matrix_from_rotvec(raw[:, 3 * i: 3 * i + 3])))
                eyes[:, i, 0], eyes[:, i, 1] = e_yaw, e_pitch
    try:
        track.validate()
    except TrackError as exc:
        raise TrackError(f"FLAME file '{path}': {exc}") from None
    return MotionData(track, eyes)


def _stated_fps(value, fps: float | None, path: Path) -> float:
    if value is not None:
        try:
            return float(np.asarray(value, dtype=np.float64).reshape(()))
        except (TypeError, ValueError):
            raise TrackError(f"FLAME file '{path}': 'fps' must be a number.") from None
    if fps is None:
        raise TrackError(f"FLAME file '{path}' does not state its frame rate; pass the frame rate explicitly.")
    return float(fps)


def load_flame(path: str | os.PathLike, fps: float | None = None, use_global: bool = True) -> MotionData:
    """Read a FLAME pose sequence (``.npz`` or our ``.json``). ``fps`` is used when the file has none."""
    path = Path(path)
    meta = {"source": "flame", "file": path.name}
    if path.suffix.lower() == ".npz":
        try:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
        except FileNotFoundError:
            raise TrackError(f"FLAME file not found: '{path}'.") from None
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
            raise TrackError(f"Cannot read FLAME file '{path}': not a readable .npz ({exc}).") from None
        rate = _stated_fps(arrays.get("fps"), fps, path)
        start = int(np.asarray(arrays.get("start_frame", 1)).reshape(())) if "start_frame" in arrays else 1
        return motion_from_flame(arrays, rate, start, use_global, path, meta)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise TrackError(f"Cannot read FLAME file '{path}': {getattr(exc, 'strerror', None) or exc}.") from None
    if not isinstance(doc, dict) or doc.get("format") != JSON_FORMAT:
        raise TrackError(f"'{path}' is not a FLAME sequence (missing \"format\": \"{JSON_FORMAT}\").")
    frames = doc.get("frames")
    if not isinstance(frames, list) or not frames or not all(isinstance(f, dict) for f in frames):
        raise TrackError(f"FLAME file '{path}': 'frames' must be a non-empty list of objects.")
    arrays = {}
    for key in POSE_KEYS:
        if any(key in f for f in frames):
            missing = next((i for i, f in enumerate(frames) if key not in f), None)
            if missing is not None:
                raise TrackError(f"FLAME file '{path}': frame index {missing} has no '{key}'.")
            arrays[key] = [f[key] for f in frames]
    start = doc.get("start_frame", frames[0].get("frame", 1))
    if isinstance(start, bool) or not isinstance(start, int):
        raise TrackError(f"FLAME file '{path}': start_frame must be an integer, got {start!r}.")
    return motion_from_flame(arrays, _stated_fps(doc.get("fps"), fps, path), start, use_global, path, meta)
