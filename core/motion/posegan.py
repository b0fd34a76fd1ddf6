"""PoseGAN inference: per-frame audio features -> head motion (yaw, pitch, roll in DEGREES), with ONNX Runtime.

The model (Zhang et al., "3D Talking Face with Personalized Pose Dynamics"; trained by ``training/``) is
loaded by :mod:`core.motion.posegan_model`.

Generation (:func:`generate_pose`)
    The clip is cut into windows of ``window_frames`` (256) frames that overlap by ``overlap_frames``
    (32); the last window is moved back to end on the last frame, and a clip shorter than one window is
    padded with rows of silence. Windows run in order: each one starts from the pose the previous one
    reached at its first frame (the paper's initial-pose conditioning; the first window starts from the
    rest pose or ``initial_pose``, onto which its first ``overlap_frames`` are eased), and the overlap is
    cross-faded (raised cosine) so the joins are seamless. A light Gaussian (``post_sigma_frames``, as the
    paper filters its poses) smooths the result. ``intensity`` scales the motion about the rest pose.

Frame rates (:func:`posegan_track`)
    The features are computed at the MODEL's frame rate (their hop is tied to the frame rate, so this is
    the only way to give the model the features it was trained on), and the generated poses are then
    resampled to the scene's frame rate with Catmull-Rom interpolation in time.
"""

from __future__ import annotations

import math
import os

import numpy as np

from ..errors import SettingsError
from ..filters import gaussian_smooth, interp_cubic
from ..track import PoseTrack
from ..voice.features import audio_features, frame_count
from .posegan_model import MAX_POSE_SIGMAS, PoseGanModel, load_model


def _as_model(model: PoseGanModel | str | os.PathLike | None) -> PoseGanModel:
    return model if isinstance(model, PoseGanModel) else load_model(model)


def window_starts(n_frames: int, window: int, overlap: int) -> list[int]:
    """First frames of the windows covering ``n_frames``: every ``window - overlap`` frames, the last one
    moved back to end on the last frame (so only a clip shorter than one window needs padding)."""
    if n_frames <= window:
        return [0]
    hop = max(1, window - overlap)
    starts = list(range(0, n_frames - window, hop))
    starts.append(n_frames - window)
    return starts


def _check_intensity(intensity: float) -> float:
    try:
        value = float(intensity)
    except (TypeError, ValueError):
        raise SettingsError(f"intensity must be a number >= 0, got {intensity!r}.") from None
    if not math.isfinite(value) or value < 0.0:
        raise SettingsError(f"intensity must be a finite number >= 0, got {intensity!r}.")
    return value


def generate_pose(
    features: np.ndarray,
    model: PoseGanModel | str | os.PathLike | None = None,
    initial_pose: np.ndarray | None = None,
    intensity: float = 1.0,
) -> np.ndarray:
    """Head motion for audio features: (n_frames, 3) float64 [yaw, pitch, roll] in DEGREES, one row per row
    of ``features``.

    ``features``: (n_frames, D) from :func:`core.voice.features.audio_features` with the model's
    ``feature_config`` at the model's ``fps`` (n_frames >= 1). ``model``: a :class:`PoseGanModel` or a
    path (default model if None). ``initial_pose``: [yaw, pitch, roll] degrees the motion starts from
    (default: the model's rest pose). ``intensity``: scale of the motion about the rest pose (1 = as
    learned, 0 = still). See the module docs for the windowing. Deterministic.
    """
    model = _as_model(model)
    meta = model.metadata
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != meta.feature_dim:
        raise SettingsError(
            f"PoseGAN model '{model.name}' needs audio features of shape (n_frames, {meta.feature_dim}), got {x.shape}."
        )
    n = int(x.shape[0])
    if n < 1:
        raise SettingsError("PoseGAN needs at least 1 frame of audio features.")
    if not np.isfinite(x).all():
        raise SettingsError("The audio features hold NaN or infinite values.")
    scale = _check_intensity(intensity)
    rest = meta.pose_mean
    if initial_pose is None:
        start = rest.copy()
    else:
        start = np.asarray(initial_pose, dtype=np.float64).reshape(-1)
        if start.shape != (3,) or not np.isfinite(start).all():
            raise SettingsError(
                f"initial_pose must be 3 finite angles [yaw, pitch, roll] in degrees, got {initial_pose!r}."
            )
    if scale == 0.0:
        return np.tile(start, (n, 1))
    # The model runs at intensity 1; its start is chosen so that the SCALED motion starts at ``start``.
    p0 = np.clip((start - rest) / scale / meta.pose_std, -MAX_POSE_SIGMAS, MAX_POSE_SIGMAS)
    xn = ((x - meta.feature_mean) / meta.feature_std).astype(np.float32)

    window, overlap = meta.window_frames, meta.overlap_frames
    if n < window:
        xn = np.concatenate([xn, np.tile(model.silence_row(), (window - n, 1))])
    out = np.empty((max(n, window), 3))
    filled = 0
    for k, s in enumerate(window_starts(n, window, overlap)):
        p = p0 if k == 0 else out[s]
        y = model.run_window(xn[s : s + window], p)
        if k == 0:
            # The model is conditioned on p, but only loosely (the paper weighs frame 0 like any other): ease
            # its first frames onto the requested start so the motion starts exactly there.
            ease = min(max(overlap, 1), window)
            fade = 0.5 + 0.5 * np.cos(np.pi * np.arange(ease) / ease)
            y[:ease] += fade[:, None] * (p0 - y[0])
            out[:window] = y
        else:
            shared = filled - s  # frames already generated by the previous window(s)
            w = 0.5 - 0.5 * np.cos(np.pi * np.arange(1, shared + 1) / (shared + 1))
            out[s:filled] = (1.0 - w[:, None]) * out[s:filled] + w[:, None] * y[:shared]
            out[filled : s + window] = y[shared:]
        filled = s + window
    out = out[:n]
    if meta.post_sigma_frames > 0.0 and n > 1:
        out = gaussian_smooth(out, meta.post_sigma_frames)
    return rest + scale * (out * meta.pose_std)


def posegan_track(
    samples: np.ndarray,
    sample_rate: int,
    fps: float,
    model_path: str | os.PathLike | None = None,
    intensity: float = 1.0,
    start_frame: int = 1,
    initial_pose: np.ndarray | None = None,
) -> PoseTrack:
    """Head motion for mono audio ``samples`` (1-D, ``sample_rate`` Hz) as a :class:`PoseTrack` at ``fps``.

    One frame per scene frame whose time k / fps lies inside the audio (``ceil(duration * fps)``). The
    features are computed exactly as in training, at the model's frame rate; the poses are resampled to
    ``fps`` when it differs (see the module docs). ``model_path`` defaults to :func:`default_model_path`.
    """
    model = load_model(model_path)
    meta = model.metadata
    x = np.asarray(samples)
    if x.ndim != 1:
        raise SettingsError(f"audio samples must be mono (1-D), got shape {x.shape}.")
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer)) or sample_rate <= 0:
        raise SettingsError(f"sample_rate must be a whole number of Hz > 0, got {sample_rate!r}.")
    try:
        fps = float(fps)
    except (TypeError, ValueError):
        raise SettingsError(f"fps must be a number > 0, got {fps!r}.") from None
    if not math.isfinite(fps) or fps <= 0.0:
        raise SettingsError(f"fps must be a finite number > 0, got {fps!r}.")
    if isinstance(start_frame, bool) or not isinstance(start_frame, (int, np.integer)):
        raise SettingsError(f"start_frame must be an integer frame number, got {start_frame!r}.")
    n_scene = frame_count(len(x), sample_rate, fps)
    if n_scene < 1:
        raise SettingsError("The audio is empty: PoseGAN needs at least one frame of sound.")
    rate = meta.feature_config.sample_rate
    if int(sample_rate) != rate:
        from ..voice.resample import resample

        x = resample(x, int(sample_rate), rate)
    same_rate = abs(fps - meta.fps) <= 1e-9 * meta.fps
    # Model frames inside the audio; a scene frame past the last one (less than a model frame) holds its pose.
    n_model = n_scene if same_rate else max(1, frame_count(len(x), rate, meta.fps))
    feats = audio_features(x, meta.feature_config, meta.fps, n_frames=n_model)
    poses = generate_pose(feats, model, initial_pose=initial_pose, intensity=intensity)
    if not same_rate:
        positions = np.arange(n_scene) * (meta.fps / fps)
        poses = np.column_stack([interp_cubic(poses[:, k], positions) for k in range(3)])
    meta_out = {"source": "posegan", "model": model.name, "model_fps": meta.fps, "intensity": float(intensity)}
    return PoseTrack.from_angles(poses, fps, int(start_frame), meta=meta_out)
