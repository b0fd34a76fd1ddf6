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

Version 2 models (prosody in, style code in; :func:`generate_pose` dispatches on the model)
    The output at a frame is a deterministic function of ``context_frames`` frames of prosody on each
    side, so the clip is padded with that many rows of silence (:func:`core.voice.prosody.silence_row`) at
    both ends and cut into windows whose outer ``context_frames`` frames are only context: the kept parts
    equal one run over the whole clip (exactly seamless, any length), and all windows run as one batch.
    The first ``EASE_FRAMES`` frames are eased from ``initial_pose`` onto the generated motion.
    ``style`` (:func:`style_code`) selects a personal style; None = the model's default (training median).
    The style code shapes the motion's dynamics (speed, pauses); when the style gives a std per axis, the
    generated track is also scaled to that std (clips of >= 1 s), before ``intensity``, as a real head moves
    over a stretch of the clip's length (:func:`duration_factor`: a 2 s line moves about half as much as a
    long take of the same speaker).

Frame rates (:func:`posegan_track`)
    The features are computed at the MODEL's frame rate (their hop is tied to the frame rate, so this is
    the only way to give the model the features it was trained on), and the generated poses are then
    resampled to the scene's frame rate with Catmull-Rom interpolation in time.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from ..errors import SettingsError
from ..filters import gaussian_smooth, interp_cubic
from ..track import PoseTrack
from ..voice.features import AudioFeatureStream, FeatureConfig, frame_count
from ..voice.prosody import ProsodyStream
from ..voice.resample import Resampler
from ..voice.source import VoiceClip, clip_blocks
from .posegan_model import MAX_POSE_SIGMAS, PoseGanModel, load_model

#: The intensity the panel, the batch command and the API use by default (1 = the model's amplitude).
DEFAULT_INTENSITY = 1.0
#: Frames over which a version-2 model's motion is eased in from the initial pose.
EASE_FRAMES = 32
#: Style statistics a style code is made of, in order (see :func:`style_stats_from_track`).
STYLE_NAMES = ("std_yaw_deg", "std_pitch_deg", "std_roll_deg", "mean_speed_deg_s", "speech_silence_ratio")
#: Seconds: over a stretch of T seconds a real speaker's head moves with a std of about
#: ``1 - exp(-T / AMPLITUDE_TIME_CONSTANT_S)`` times that of a long take (measured on the 16 training and
#: validation clips of 10-60 s, windows of 1-10 s, mean over axes: mean absolute error 0.03).
AMPLITUDE_TIME_CONSTANT_S = 2.75
#: Seconds: a style's reference is taken as at least this long (the shortest track a style is learned from,
#: :data:`core.motion.style_fit.MIN_DURATION_S`), so a style scales a long clip up by at most ~1.5x.
MIN_REFERENCE_S = 3.0


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


def style_stats_from_track(angles: np.ndarray, fps: float, speech_mask: np.ndarray | None = None) -> np.ndarray:
    """Style statistics (:data:`STYLE_NAMES`) of a head-pose track (n, 3) in degrees at ``fps``: std per
    axis (degrees), mean angular speed (deg/s) and mean speed in speech / in silence (NaN without a usable
    ``speech_mask``, one value per frame). Measured as in training: after a Gaussian of 0.08 s."""
    from ..metrics import mean_speed, speech_silence_motion_ratio

    a = np.asarray(angles, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] != 3 or len(a) < 3 or not np.isfinite(a).all():
        raise SettingsError(f"a style needs a finite (n >= 3, 3) track of angles in degrees, got shape {a.shape}.")
    fps = float(fps)
    a = gaussian_smooth(a, 0.08 * fps)
    ratio = float("nan")
    if speech_mask is not None:
        ratio = speech_silence_motion_ratio(a, np.asarray(speech_mask, dtype=np.float64), fps)
    return np.array([*a.std(axis=0), mean_speed(a, fps), ratio], dtype=np.float64)


def duration_factor(seconds: float, reference_s: float | None = None) -> float:
    """How much of a style's std a clip of ``seconds`` shows: ``g(seconds) / g(reference_s)`` with
    ``g(T) = 1 - exp(-T / AMPLITUDE_TIME_CONSTANT_S)``; ``reference_s`` is the length of the track the std was
    measured on (None: a long take, g = 1; at least :data:`MIN_REFERENCE_S`). A short line moves less than a
    long one (real speakers: a 2 s stretch about half the std of a whole minute), and a std measured on a short
    reference is a long take's under-estimate."""
    def g(t: float) -> float:
        return 1.0 - math.exp(-max(float(t), 0.0) / AMPLITUDE_TIME_CONSTANT_S)

    if reference_s is None or not math.isfinite(reference_s):
        return g(seconds)
    return g(seconds) / g(max(float(reference_s), MIN_REFERENCE_S))


def _style_seconds(style: object) -> float | None:
    """The length (seconds) of the track a style's statistics were measured on, where it says (a learned
    :class:`core.motion.style.Style`'s ``duration_s``); None otherwise."""
    seconds = getattr(getattr(style, "stats", style), "duration_s", None)
    return float(seconds) if isinstance(seconds, (int, float)) and math.isfinite(seconds) and seconds > 0 else None


def style_code(style: object, model: PoseGanModel | str | os.PathLike | None = None) -> np.ndarray:
    """The style code (S,) a version-2 model takes, from ``style`` (see :func:`style_stats`).

    code = log(value / model default) / scale, clipped to +-3 (a style far outside the training speakers is
    extrapolated only so far); a missing statistic gives 0 (the default).
    """
    model = _as_model(model)
    meta = model.metadata
    raw = style_stats(style, model)
    usable = np.isfinite(raw) & (raw > 0.0)
    code = np.zeros(meta.style_dim)
    default = meta.style_default if meta.style_default is not None else np.ones(meta.style_dim)
    code[usable] = np.log(raw[usable] / default[usable]) / meta.style_scale
    return np.clip(code, -3.0, 3.0)


def style_stats(style: object, model: PoseGanModel | str | os.PathLike | None = None) -> np.ndarray:
    """The raw style statistics (S,) of ``style`` for a version-2 model (NaN where not given):

    * None: zeros, the model's default style (the median of its training speakers);
    * a :class:`core.motion.style.Style` or :class:`~core.motion.style.StyleStats` (e.g. from "Learn Style"):
      its ``std_deg``, ``mean_speed_deg_s`` and ``speech_silence_ratio`` (missing ones stay default);
    * an array of the 5 statistics of :data:`STYLE_NAMES` (e.g. :func:`style_stats_from_track`; NaN = default).
    """
    model = _as_model(model)
    meta = model.metadata
    if meta.version != 2:
        raise SettingsError(f"PoseGAN model '{model.name}' has no style input (a version-{meta.version} model).")
    if style is None:
        return np.full(meta.style_dim, np.nan)
    stats: Any = getattr(style, "stats", style)
    if hasattr(stats, "std_deg"):
        std = stats.std_deg if stats.std_deg is not None else (None, None, None)
        values = [*std, stats.mean_speed_deg_s, stats.speech_silence_ratio]
        raw = np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    else:
        try:
            raw = np.asarray(style, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            raise SettingsError(f"not a style: {style!r}.") from None
    if raw.shape != (meta.style_dim,):
        raise SettingsError(f"a style needs {meta.style_dim} statistics ({', '.join(STYLE_NAMES)}), got {raw.shape}.")
    return raw


def _generate_v2(
    x: np.ndarray, model: PoseGanModel, start: np.ndarray, scale: float, code: np.ndarray, target_std: np.ndarray
) -> np.ndarray:
    meta = model.metadata
    n, context = len(x), meta.context_frames
    xn = ((x - meta.feature_mean) / meta.feature_std).astype(np.float32)
    pad = np.tile(model.silence_row(), (context, 1))
    xp = np.concatenate([pad, xn, pad])
    keep = max(1, meta.window_frames - 2 * context)
    starts = list(range(0, n, keep))
    length = min(meta.window_frames, n + 2 * context)
    windows = []
    for s in starts:
        w = xp[s : s + length]
        if len(w) < length:
            w = np.concatenate([w, np.tile(model.silence_row(), (length - len(w), 1))])
        windows.append(w)
    out = np.empty((n, 3))
    batch = 16
    for b in range(0, len(windows), batch):
        ys = model.run_windows(np.stack(windows[b : b + batch]), code)
        for j, y in enumerate(ys):
            s = starts[b + j]
            out[s : min(n, s + keep)] = y[context : context + min(keep, n - s)]
    if meta.post_sigma_frames > 0.0 and n > 1:
        out = gaussian_smooth(out, meta.post_sigma_frames)
    rest = meta.pose_mean
    poses = out * meta.pose_std
    # A chosen style's std per axis (at this clip length) is its amplitude: the model gives the timing, the style
    # the size.
    for k in range(3):
        std = poses[:, k].std()
        if np.isfinite(target_std[k]) and target_std[k] > 0.0 and std > 1e-6 and n >= 25:
            poses[:, k] = (poses[:, k] - poses[:, k].mean()) * (target_std[k] / std)
    poses *= scale
    ease = min(EASE_FRAMES, n)
    fade = 0.5 + 0.5 * np.cos(np.pi * np.arange(ease) / ease)
    poses[:ease] += fade[:, None] * ((start - rest) - poses[0])
    return rest + poses


def generate_pose(
    features: np.ndarray,
    model: PoseGanModel | str | os.PathLike | None = None,
    initial_pose: np.ndarray | None = None,
    intensity: float = DEFAULT_INTENSITY,
    style: object = None,
) -> np.ndarray:
    """Head motion for audio features: (n_frames, 3) float64 [yaw, pitch, roll] in DEGREES, one row per row
    of ``features``.

    ``features``: (n_frames, D) from :func:`core.voice.features.audio_features` with the model's
    ``feature_config`` at the model's ``fps`` (n_frames >= 1). ``model``: a :class:`PoseGanModel` or a
    path (default model if None). ``initial_pose``: [yaw, pitch, roll] degrees the motion starts from
    (default: the model's rest pose). ``intensity``: scale of the motion about the rest pose (1 = as
    learned, 0 = still). ``style``: see :func:`style_code` (version-2 models only; None = default). See the
    module docs for the windowing. Deterministic.
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
    if meta.version == 2:
        code = style_code(style, model)  # validates the style even at intensity 0
        if scale == 0.0:
            return np.tile(start, (n, 1))
        target_std = style_stats(style, model)[:3] * duration_factor(n / meta.fps, _style_seconds(style))
        return _generate_v2(x, model, start, scale, code, target_std)
    if style is not None:
        raise SettingsError(f"PoseGAN model '{model.name}' has no style input (a version-1 model).")
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
    samples: np.ndarray | VoiceClip,
    sample_rate: int,
    fps: float,
    model_path: str | os.PathLike | None = None,
    intensity: float = DEFAULT_INTENSITY,
    start_frame: int = 1,
    initial_pose: np.ndarray | None = None,
    style: object = None,
) -> PoseTrack:
    """Head motion for mono audio ``samples`` (1-D, ``sample_rate`` Hz, or a voice clip of that rate, read
    block by block: :mod:`core.voice.source`) as a :class:`PoseTrack` at ``fps``.

    One frame per scene frame whose time k / fps lies inside the audio (``ceil(duration * fps)``). The
    features are computed exactly as in training, at the model's frame rate; the poses are resampled to
    ``fps`` when it differs (see the module docs). ``model_path`` defaults to :func:`default_model_path`.
    ``style``: a learned :class:`core.motion.style.Style` (or what :func:`style_code` takes) for a
    version-2 model; None = the model's default style.
    """
    model = load_model(model_path)
    meta = model.metadata
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
    _, n_samples, rate_in = clip_blocks(samples, sample_rate)
    if rate_in != sample_rate:
        raise SettingsError(f"The voice's sample rate is {rate_in} Hz, not the {sample_rate} Hz given.")
    n_scene = frame_count(n_samples, sample_rate, fps)
    if n_scene < 1:
        raise SettingsError("The audio is empty: PoseGAN needs at least one frame of sound.")
    rate = meta.sample_rate
    same_rate = abs(fps - meta.fps) <= 1e-9 * meta.fps
    # Model frames inside the audio; a scene frame past the last one (less than a model frame) holds its pose.
    n_model = n_scene if same_rate else max(1, frame_count(Resampler(int(sample_rate), rate).expected_length(n_samples),
                                                           rate, meta.fps))
    feats = model_features(samples, model, n_model, int(sample_rate))
    poses = generate_pose(feats, model, initial_pose=initial_pose, intensity=intensity, style=style)
    if not same_rate:
        positions = np.arange(n_scene) * (meta.fps / fps)
        poses = np.column_stack([interp_cubic(poses[:, k], positions) for k in range(3)])
    meta_out = {"source": "posegan", "model": model.name, "model_fps": meta.fps, "intensity": float(intensity)}
    if style is not None:
        meta_out["style"] = getattr(style, "name", "custom")
    return PoseTrack.from_angles(poses, fps, int(start_frame), meta=meta_out)


def model_features(
    samples: np.ndarray | VoiceClip, model: PoseGanModel, n_frames: int, sample_rate: int | None = None
) -> np.ndarray:
    """The features ``model`` takes for mono ``samples``: prosody (version 2) or log-mel (version 1),
    ``n_frames`` rows at the model's frame rate.

    ``samples``: a 1-D array at ``sample_rate`` Hz (default: the model's rate) or a voice clip
    (:mod:`core.voice.source`, its own rate). The samples are resampled to the
    model's rate and analysed block by block (:class:`~core.voice.resample.Resampler` in whole-signal
    batches, :class:`~core.voice.prosody.ProsodyStream`), so neither the resampled signal nor a float64
    copy of it is ever held whole; the features equal those of the whole resampled signal (bit for bit for
    version 2, to float32 rounding for version 1's log-mel).
    """
    meta = model.metadata
    blocks, _, rate_in = clip_blocks(samples, meta.sample_rate if sample_rate is None else sample_rate)
    stream: Any = (ProsodyStream(meta.fps, n_frames, meta.prosody_config) if meta.prosody_config is not None
                   else AudioFeatureStream(meta.feature_config or FeatureConfig(), meta.fps, n_frames))
    resampler = None if rate_in == meta.sample_rate else Resampler(rate_in, meta.sample_rate, whole_chunks=True)
    rows = []
    for block in blocks():
        if resampler is not None:
            block = resampler.process(block)
        if len(block):
            rows.append(stream.push(block))
    if resampler is not None:
        rows.append(stream.push(resampler.process(np.zeros(0, dtype=np.float32), final=True)))
    rows.append(stream.finish())
    return np.concatenate([r for r in rows if r is not None])
