"""PoseGAN inference: per-frame audio features -> head motion (yaw, pitch, roll in DEGREES), with ONNX Runtime.

The model (Zhang et al., "3D Talking Face with Personalized Pose Dynamics"; trained by ``training/``) is an
``.onnx`` file plus metadata: a JSON file beside it (``default.onnx`` -> ``default.json``) and/or the same
JSON embedded in the ONNX file as the metadata property ``head_motion.posegan``. The metadata holds the
model's frame rate, the :class:`~core.audio_features.FeatureConfig` it was trained with, and the
normalisation of its inputs and outputs. The graph takes ``audio_features`` (batch, time, D) and
``initial_pose`` (batch, 3), both normalised, and returns ``poses`` (batch, time, 3), normalised.

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

onnxruntime is imported inside the functions (an optional dependency bundled with the platform builds);
without it :class:`~core.errors.MissingDependencyError` is raised. Every problem with the model file is a
:class:`~core.errors.ModelError` whose message names the file.
"""

from __future__ import annotations

import json
import math
import os
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .audio_features import FeatureConfig, audio_features, frame_count
from .errors import MissingDependencyError, ModelError, SettingsError
from .filters import gaussian_smooth, interp_cubic
from .track import PoseTrack

#: Key of the metadata JSON inside the ONNX file (``metadata_props``).
METADATA_KEY = "head_motion.posegan"
MODEL_FORMAT = "head_motion.posegan"
#: Metadata layouts this version reads.
SUPPORTED_VERSIONS = (1,)
INPUT_FEATURES = "audio_features"
INPUT_POSE = "initial_pose"
OUTPUT_POSES = "poses"
_FEATURE = "PoseGAN head motion"
#: The initial pose given to the model is clipped to this many standard deviations of the training poses.
_MAX_POSE_SIGMAS = 6.0
_CACHE_SIZE = 4


def default_model_path() -> str:
    """Path of the PoseGAN model shipped with the add-on: ``models/posegan/default.onnx`` of the package."""
    return str(Path(__file__).resolve().parent.parent / "models" / "posegan" / "default.onnx")


def _import_onnxruntime() -> Any:
    try:
        import onnxruntime
    except ImportError:
        raise MissingDependencyError("onnxruntime", "PoseGAN") from None
    return onnxruntime


# -- metadata ----------------------------------------------------------------------------------------------


def _vector(data: dict, key: str, size: int, name: str, positive: bool = False) -> np.ndarray:
    try:
        values = np.asarray(data[key], dtype=np.float64)
    except KeyError:
        raise ModelError(f"The metadata of PoseGAN model '{name}' lacks '{key}'.") from None
    except (TypeError, ValueError):
        raise ModelError(f"'{key}' in the metadata of PoseGAN model '{name}' is not a list of numbers.") from None
    if values.shape != (size,) or not np.isfinite(values).all() or (positive and (values <= 0.0).any()):
        kind = "positive " if positive else ""
        raise ModelError(
            f"'{key}' in the metadata of PoseGAN model '{name}' must be {size} finite {kind}numbers, "
            f"got shape {values.shape}."
        )
    return values


def _integer(data: dict, key: str, name: str, minimum: int, default: int | None = None) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ModelError(
            f"'{key}' in the metadata of PoseGAN model '{name}' must be an integer >= {minimum}, got {value!r}."
        )
    return value


@dataclass(frozen=True, eq=False)
class PoseGanMetadata:
    """What a PoseGAN model needs besides its graph. Angles in degrees, rates in frames per second.

    ``fps``: the frame rate the model was trained at. ``feature_config``: the audio features it expects
    (D = ``feature_config.dim`` values per frame). ``feature_mean`` / ``feature_std`` (D,): input
    normalisation. ``pose_mean`` / ``pose_std`` (3,): output de-normalisation (yaw, pitch, roll; the mean
    is the rest pose). ``window_frames`` / ``overlap_frames``: windows the clip is cut into.
    ``time_multiple``: window lengths must be multiples of it. ``post_sigma_frames``: final Gaussian
    smoothing (model frames). ``raw``: the whole metadata dict (data summary, training facts, ...).
    """

    fps: float
    feature_config: FeatureConfig
    feature_mean: np.ndarray
    feature_std: np.ndarray
    pose_mean: np.ndarray
    pose_std: np.ndarray
    window_frames: int
    overlap_frames: int
    time_multiple: int
    post_sigma_frames: float
    raw: dict = field(default_factory=dict)

    @property
    def feature_dim(self) -> int:
        return int(self.feature_config.dim)

    @classmethod
    def from_dict(cls, data: Any, name: str = "model") -> PoseGanMetadata:
        """Validate ``data`` (the parsed metadata JSON); raise :class:`ModelError` naming the problem."""
        if not isinstance(data, dict):
            raise ModelError(f"The metadata of PoseGAN model '{name}' is not a JSON object.")
        if data.get("format") != MODEL_FORMAT:
            raise ModelError(
                f"'{name}' is not a Head Motion PoseGAN model (metadata format {data.get('format')!r}, "
                f"expected {MODEL_FORMAT!r})."
            )
        if data.get("version") not in SUPPORTED_VERSIONS:
            raise ModelError(
                f"PoseGAN model '{name}' has metadata version {data.get('version')!r}; this Head Motion reads "
                f"version(s) {', '.join(map(str, SUPPORTED_VERSIONS))}. Update Head Motion or re-export the model."
            )
        try:
            fps = float(data.get("fps"))
        except (TypeError, ValueError):
            fps = float("nan")
        if not math.isfinite(fps) or fps <= 0.0:
            raise ModelError(f"The metadata of PoseGAN model '{name}' has no valid 'fps' (got {data.get('fps')!r}).")
        raw_config = data.get("feature_config")
        if not isinstance(raw_config, dict):
            raise ModelError(f"The metadata of PoseGAN model '{name}' lacks 'feature_config'.")
        try:
            config = FeatureConfig.from_dict(raw_config)
        except (SettingsError, TypeError) as exc:
            raise ModelError(f"PoseGAN model '{name}' was made for other audio features: {exc}") from None
        dim = config.dim
        if data.get("feature_dim", dim) != dim:
            raise ModelError(
                f"The metadata of PoseGAN model '{name}' is inconsistent: feature_dim {data.get('feature_dim')!r} "
                f"but its feature_config gives {dim} values per frame."
            )
        time_multiple = _integer(data, "time_multiple", name, 1, 1)
        window = _integer(data, "window_frames", name, 1, 256)
        window = -(-window // time_multiple) * time_multiple
        overlap = min(_integer(data, "overlap_frames", name, 0, 0), window // 2)
        try:
            sigma = float(data.get("post_sigma_frames", 0.0))
        except (TypeError, ValueError):
            sigma = float("nan")
        if not math.isfinite(sigma) or sigma < 0.0:
            raise ModelError(f"'post_sigma_frames' in the metadata of PoseGAN model '{name}' must be a number >= 0.")
        return cls(
            fps=fps,
            feature_config=config,
            feature_mean=_vector(data, "feature_mean", dim, name),
            feature_std=_vector(data, "feature_std", dim, name, positive=True),
            pose_mean=_vector(data, "pose_mean", 3, name),
            pose_std=_vector(data, "pose_std", 3, name, positive=True),
            window_frames=window,
            overlap_frames=overlap,
            time_multiple=time_multiple,
            post_sigma_frames=sigma,
            raw=dict(data),
        )


# -- the model ---------------------------------------------------------------------------------------------


def _dim(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class PoseGanModel:
    """A loaded PoseGAN model (see :func:`load_model`): an ONNX Runtime session + its metadata."""

    def __init__(self, session: Any, metadata: PoseGanMetadata, path: str):
        self.session = session
        self.metadata = metadata
        self.path = path
        self._silence: np.ndarray | None = None

    @property
    def name(self) -> str:
        return os.path.basename(self.path) or self.path

    def silence_row(self) -> np.ndarray:
        """Normalised feature row of digital silence (pads a clip shorter than one window)."""
        if self._silence is None:
            meta = self.metadata
            row = audio_features(np.zeros(1, dtype=np.float32), meta.feature_config, meta.fps, n_frames=1)[0]
            self._silence = ((row - meta.feature_mean) / meta.feature_std).astype(np.float32)
        return self._silence

    def run_window(self, features: np.ndarray, initial_pose: np.ndarray) -> np.ndarray:
        """One window: normalised features (T, D), normalised initial pose (3,) -> normalised poses (T, 3).

        T must be a multiple of ``metadata.time_multiple``. Raises :class:`ModelError` if the model fails or
        returns NaN / infinite values.
        """
        x = np.ascontiguousarray(features, dtype=np.float32)[None]
        p = np.ascontiguousarray(initial_pose, dtype=np.float32).reshape(1, 3)
        try:
            (out,) = self.session.run([OUTPUT_POSES], {INPUT_FEATURES: x, INPUT_POSE: p})
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(f"PoseGAN model '{self.name}' failed to run: {_short(exc)}", self.path) from None
        out = np.asarray(out, dtype=np.float64)
        if out.shape != (1, x.shape[1], 3):
            raise ModelError(
                f"PoseGAN model '{self.name}' returned poses of shape {out.shape}, expected {(1, x.shape[1], 3)}.",
                self.path,
            )
        if not np.isfinite(out).all():
            raise ModelError(
                f"PoseGAN model '{self.name}' produced NaN or infinite poses; the model file is damaged or was "
                "badly trained. Use another model (e.g. the default one).",
                self.path,
            )
        return out[0]


def _short(exc: BaseException, limit: int = 200) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _looks_like_text(head: bytes) -> bool:
    if not head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\r\n\t" for ch in text[:256])


def _check_signature(session: Any, name: str, path: str) -> int:
    """Check the graph's inputs/outputs; return D (or 0 when the feature axis is symbolic)."""
    inputs = {i.name: i for i in session.get_inputs()}
    outputs = {o.name: o for o in session.get_outputs()}
    expected = f"inputs '{INPUT_FEATURES}' (batch, time, D) and '{INPUT_POSE}' (batch, 3), output '{OUTPUT_POSES}'"
    if set(inputs) != {INPUT_FEATURES, INPUT_POSE} or OUTPUT_POSES not in outputs:
        raise ModelError(
            f"'{name}' is an ONNX model but not a PoseGAN head-motion model: it has inputs {sorted(inputs)} and "
            f"outputs {sorted(outputs)}; expected {expected}.",
            path,
        )
    feats, pose, out = inputs[INPUT_FEATURES], inputs[INPUT_POSE], outputs[OUTPUT_POSES]
    for item in (feats, pose, out):
        if item.type != "tensor(float)":
            raise ModelError(f"'{name}': '{item.name}' must be a float32 tensor, got {item.type}.", path)
    ok = (
        len(feats.shape) == 3
        and len(pose.shape) == 2
        and _dim(pose.shape[1]) in (3, None)
        and len(out.shape) == 3
        and _dim(out.shape[2]) in (3, None)
    )
    if not ok:
        raise ModelError(
            f"'{name}' has the wrong input/output shapes ({INPUT_FEATURES} {feats.shape}, {INPUT_POSE} "
            f"{pose.shape}, {OUTPUT_POSES} {out.shape}); expected {expected}.",
            path,
        )
    return _dim(feats.shape[2]) or 0


def _read_metadata(session: Any, path: Path) -> dict:
    name = path.name
    embedded_text = None
    try:
        embedded_text = session.get_modelmeta().custom_metadata_map.get(METADATA_KEY)
    except Exception:  # a model without metadata properties
        embedded_text = None
    embedded = None
    if embedded_text is not None:
        try:
            embedded = json.loads(embedded_text)
        except ValueError:
            raise ModelError(f"The metadata embedded in PoseGAN model '{name}' is not valid JSON.", str(path)) from None
    sidecar_path = path.with_suffix(".json")
    sidecar = None
    if sidecar_path.is_file():
        try:
            sidecar = json.loads(sidecar_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ModelError(
                f"The metadata file '{sidecar_path.name}' of PoseGAN model '{name}' cannot be read: {_short(exc)}",
                str(path),
            ) from None
    if embedded is None and sidecar is None:
        raise ModelError(
            f"PoseGAN model '{name}' has no metadata: put its '{sidecar_path.name}' beside it (the training "
            "scripts write both files), or re-export it with training/.",
            str(path),
        )
    if embedded is not None and sidecar is not None and embedded != sidecar:
        raise ModelError(
            f"The metadata file '{sidecar_path.name}' does not belong to PoseGAN model '{name}' (it differs from "
            "the metadata inside the model). Copy the .onnx and .json files of one model together.",
            str(path),
        )
    return embedded if embedded is not None else sidecar


_cache: OrderedDict[tuple, PoseGanModel] = OrderedDict()


def load_model(path: str | os.PathLike | None = None, use_cache: bool = True) -> PoseGanModel:
    """Load and validate a PoseGAN model (default: :func:`default_model_path`).

    Raises :class:`ModelError` for a missing, empty, damaged or non-ONNX file, a graph with other inputs or
    outputs than PoseGAN's, and missing, invalid or mismatched metadata; :class:`MissingDependencyError`
    without onnxruntime. Loaded models are cached by path, size and modification time.
    """
    path = Path(default_model_path() if path is None else os.fspath(path))
    name = path.name or str(path)
    try:
        stat = path.stat()
    except OSError:
        raise ModelError(f"The PoseGAN model file '{path}' does not exist or cannot be read.", str(path)) from None
    if not path.is_file():
        raise ModelError(f"'{path}' is not a file; choose a PoseGAN .onnx model file.", str(path))
    sidecar = path.with_suffix(".json")
    sidecar_stamp = sidecar.stat().st_mtime_ns if sidecar.is_file() else None
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, sidecar_stamp)
    if use_cache and key in _cache:
        _cache.move_to_end(key)
        return _cache[key]
    if stat.st_size == 0:
        raise ModelError(f"The PoseGAN model file '{name}' is empty.", str(path))
    ort = _import_onnxruntime()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"The PoseGAN model file '{name}' cannot be read: {_short(exc)}", str(path)) from None
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    try:
        session = ort.InferenceSession(data, sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        if _looks_like_text(data[:512]):
            hint = "it is a text file" + (
                " (JSON: choose the .onnx file, not its metadata)" if data.lstrip()[:1] in (b"{", b"[") else ""
            )
        else:
            hint = "the file is damaged or in another format"
        raise ModelError(f"'{name}' is not a valid ONNX model ({hint}): {_short(exc, 120)}", str(path)) from None
    dim = _check_signature(session, name, str(path))
    metadata = PoseGanMetadata.from_dict(_read_metadata(session, path), name)
    if dim and dim != metadata.feature_dim:
        raise ModelError(
            f"PoseGAN model '{name}' takes {dim} audio values per frame but its metadata describes "
            f"{metadata.feature_dim}; the metadata does not belong to this model.",
            str(path),
        )
    model = PoseGanModel(session, metadata, str(path))
    if use_cache:
        _cache[key] = model
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return model


# -- generation --------------------------------------------------------------------------------------------


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

    ``features``: (n_frames, D) from :func:`core.audio_features.audio_features` with the model's
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
    p0 = np.clip((start - rest) / scale / meta.pose_std, -_MAX_POSE_SIGMAS, _MAX_POSE_SIGMAS)
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
        from .audio_io import resample

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
