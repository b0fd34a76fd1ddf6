"""A PoseGAN model file: its metadata (frame rate, audio-feature settings, normalisation), checks of the ONNX
graph's signature, and loading it into an onnxruntime session (:func:`load_model`, cached).

The model is an ``.onnx`` file plus metadata: a JSON file beside it (``default.onnx`` -> ``default.json``)
and/or the same JSON embedded in the ONNX file as the metadata property ``head_motion.posegan``. Two layouts:

* version 1 (the paper's U-Net): ``audio_features`` (batch, time, D) log-mel features and ``initial_pose``
  (batch, 3), both normalised -> ``poses`` (batch, time, 3), normalised;
* version 2 (the model that listens): ``audio_features`` (batch, time, P) prosody features
  (:mod:`core.voice.prosody`) and ``style`` (batch, S) style code -> ``poses`` (batch, time, 3),
  normalised; the output at a frame depends on ``context_frames`` frames of audio on each side.

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
from typing import Any, TypeVar

import numpy as np

from ..errors import ModelError, SettingsError
from ..voice.features import FeatureConfig, audio_features
from ..voice.prosody import ProsodyConfig, silence_row

_Config = TypeVar("_Config", FeatureConfig, ProsodyConfig)

#: Key of the metadata JSON inside the ONNX file (``metadata_props``).
METADATA_KEY = "head_motion.posegan"
MODEL_FORMAT = "head_motion.posegan"
#: Metadata layouts this version reads.
SUPPORTED_VERSIONS = (1, 2)
INPUT_FEATURES = "audio_features"
INPUT_POSE = "initial_pose"
INPUT_STYLE = "style"
OUTPUT_POSES = "poses"
_FEATURE = "PoseGAN head motion"
#: The initial pose given to the model is clipped to this many standard deviations of the training poses.
MAX_POSE_SIGMAS = 6.0
_CACHE_SIZE = 4


def default_model_path() -> str:
    """Path of the PoseGAN model shipped with the add-on: ``models/posegan/default.onnx`` of the package."""
    return str(Path(__file__).resolve().parents[2] / "models" / "posegan" / "default.onnx")


def _import_onnxruntime() -> Any:
    from .onnx_runtime import import_onnxruntime  # telemetry off (issue #15)

    return import_onnxruntime("PoseGAN")


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


def _real(data: dict, key: str, label: str, name: str, default: float, strict: bool) -> float:
    """The metadata number ``data[key]`` (``default`` when absent): finite and >= 0 (> 0 with ``strict``)."""
    try:
        value = float(data.get(key, default))
    except (TypeError, ValueError):
        value = float("nan")
    if not math.isfinite(value) or value < 0.0 or (strict and value == 0.0):
        bound = "> 0" if strict else ">= 0"
        raise ModelError(f"'{label}' in the metadata of PoseGAN model '{name}' must be a number {bound}.")
    return value


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
    Version 2 only (else None / 0): ``prosody_config`` (then ``feature_config`` is None),
    ``context_frames`` (audio frames each output frame depends on, each side), ``style_names``,
    ``style_default`` (S,) (the raw style statistics a code of 0 stands for: std yaw / pitch / roll in
    degrees, mean speed in deg/s, speech/silence speed ratio) and ``style_scale`` (code = log(value /
    default) / scale).
    """

    fps: float
    feature_config: FeatureConfig | None
    feature_mean: np.ndarray
    feature_std: np.ndarray
    pose_mean: np.ndarray
    pose_std: np.ndarray
    window_frames: int
    overlap_frames: int
    time_multiple: int
    post_sigma_frames: float
    raw: dict = field(default_factory=dict)
    version: int = 1
    prosody_config: ProsodyConfig | None = None
    context_frames: int = 0
    style_names: tuple[str, ...] = ()
    style_default: np.ndarray | None = None
    style_scale: float = 1.0

    @property
    def feature_dim(self) -> int:
        config: Any = self.prosody_config if self.prosody_config is not None else self.feature_config
        return int(config.dim)

    @property
    def sample_rate(self) -> int:
        """Sample rate (Hz) the model's audio features are computed at."""
        config: Any = self.prosody_config if self.prosody_config is not None else self.feature_config
        return int(config.sample_rate)

    @property
    def style_dim(self) -> int:
        return len(self.style_names)

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
            fps = float(data["fps"])
        except (KeyError, TypeError, ValueError):
            fps = float("nan")
        if not math.isfinite(fps) or fps <= 0.0:
            raise ModelError(f"The metadata of PoseGAN model '{name}' has no valid 'fps' (got {data.get('fps')!r}).")
        if data["version"] == 2:
            return cls._from_dict_v2(data, name, fps)
        config = _audio_config(data, "feature_config", FeatureConfig, name)
        dim = config.dim
        time_multiple = _integer(data, "time_multiple", name, 1, 1)
        window = _integer(data, "window_frames", name, 1, 256)
        window = -(-window // time_multiple) * time_multiple
        overlap = min(_integer(data, "overlap_frames", name, 0, 0), window // 2)
        sigma = _real(data, "post_sigma_frames", "post_sigma_frames", name, 0.0, strict=False)
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


    @classmethod
    def _from_dict_v2(cls, data: dict, name: str, fps: float) -> PoseGanMetadata:
        config = _audio_config(data, "prosody_config", ProsodyConfig, name)
        dim = config.dim
        style = data.get("style")
        if not isinstance(style, dict) or not isinstance(style.get("names"), list) or not style["names"]:
            raise ModelError(f"The metadata of PoseGAN model '{name}' lacks its 'style' description.")
        names = tuple(str(v) for v in style["names"])
        default = _vector(style, "default", len(names), name, positive=True)
        scale = _real(style, "scale", "style.scale", name, 1.0, strict=True)
        context = _integer(data, "context_frames", name, 0)
        window = _integer(data, "window_frames", name, 2 * context + 1)
        sigma = _real(data, "post_sigma_frames", "post_sigma_frames", name, 0.0, strict=False)
        return cls(
            fps=fps,
            feature_config=None,
            feature_mean=_vector(data, "feature_mean", dim, name),
            feature_std=_vector(data, "feature_std", dim, name, positive=True),
            pose_mean=_vector(data, "pose_mean", 3, name),
            pose_std=_vector(data, "pose_std", 3, name, positive=True),
            window_frames=window,
            overlap_frames=2 * context,
            time_multiple=1,
            post_sigma_frames=sigma,
            raw=dict(data),
            version=2,
            prosody_config=config,
            context_frames=context,
            style_names=names,
            style_default=default,
            style_scale=scale,
        )


def _audio_config(data: dict, key: str, kind: type[_Config], name: str) -> _Config:
    """The audio-feature settings stored under ``key`` in model ``name``'s metadata (``kind``: the settings class
    of that model version), checked against the metadata's ``feature_dim``; :class:`ModelError` otherwise."""
    raw = data.get(key)
    if not isinstance(raw, dict):
        raise ModelError(f"The metadata of PoseGAN model '{name}' lacks '{key}'.")
    try:
        config = kind.from_dict(raw)
    except (SettingsError, TypeError) as exc:
        raise ModelError(f"PoseGAN model '{name}' was made for other audio features: {exc}") from None
    if data.get("feature_dim", config.dim) != config.dim:
        raise ModelError(
            f"The metadata of PoseGAN model '{name}' is inconsistent: feature_dim {data.get('feature_dim')!r} "
            f"but its {key} gives {config.dim} values per frame."
        )
    return config


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
            if meta.prosody_config is not None:
                row = silence_row()
            else:
                row = audio_features(np.zeros(1, dtype=np.float32), meta.feature_config, meta.fps, n_frames=1)[0]
            self._silence = ((row - meta.feature_mean) / meta.feature_std).astype(np.float32)
        return self._silence

    def run_window(self, features: np.ndarray, initial_pose: np.ndarray) -> np.ndarray:
        """One window: normalised features (T, D), normalised initial pose (3,) -> normalised poses (T, 3).

        T must be a multiple of ``metadata.time_multiple``. Raises :class:`ModelError` if the model fails or
        returns NaN / infinite values.
        """
        if self.metadata.version != 1:
            raise ModelError(f"PoseGAN model '{self.name}' takes a style code, not an initial pose.", self.path)
        p = np.ascontiguousarray(initial_pose, dtype=np.float32).reshape(1, 3)
        return self._run(np.asarray(features)[None], {INPUT_POSE: p})[0]

    def run_windows(self, features: np.ndarray, style: np.ndarray) -> np.ndarray:
        """Version 2: normalised features (B, T, P) and a style code (S,) -> normalised poses (B, T, 3).

        Raises :class:`ModelError` if the model fails or returns NaN / infinite values."""
        shape = (len(features), self.metadata.style_dim)
        s = np.ascontiguousarray(np.broadcast_to(np.asarray(style, np.float32), shape))
        return self._run(features, {INPUT_STYLE: s})

    def _run(self, features: np.ndarray, extra: dict) -> np.ndarray:
        x = np.ascontiguousarray(features, dtype=np.float32)
        try:
            (out,) = self.session.run([OUTPUT_POSES], {INPUT_FEATURES: x, **extra})
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(f"PoseGAN model '{self.name}' failed to run: {_short(exc)}", self.path) from None
        out = np.asarray(out, dtype=np.float64)
        if out.shape != (x.shape[0], x.shape[1], 3):
            raise ModelError(
                f"PoseGAN model '{self.name}' returned poses of shape {out.shape}, expected "
                f"{(x.shape[0], x.shape[1], 3)}.",
                self.path,
            )
        if not np.isfinite(out).all():
            raise ModelError(
                f"PoseGAN model '{self.name}' produced NaN or infinite poses; the model file is damaged or was "
                "badly trained. Use another model (e.g. the default one).",
                self.path,
            )
        return out


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


def _check_signature(session: Any, name: str, path: str) -> tuple[int, int]:
    """Check the graph's inputs/outputs; return (layout version, D or 0 when the feature axis is symbolic)."""
    inputs = {i.name: i for i in session.get_inputs()}
    outputs = {o.name: o for o in session.get_outputs()}
    if set(inputs) == {INPUT_FEATURES, INPUT_STYLE} and OUTPUT_POSES in outputs:
        return 2, _check_v2(inputs, outputs, name, path)
    expected = (
        f"inputs '{INPUT_FEATURES}' (batch, time, D) and '{INPUT_POSE}' (batch, 3) (or '{INPUT_STYLE}' "
        f"(batch, S)), output '{OUTPUT_POSES}'"
    )
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
    return 1, _dim(feats.shape[2]) or 0


def _check_v2(inputs: dict, outputs: dict, name: str, path: str) -> int:
    feats, style, out = inputs[INPUT_FEATURES], inputs[INPUT_STYLE], outputs[OUTPUT_POSES]
    for item in (feats, style, out):
        if item.type != "tensor(float)":
            raise ModelError(f"'{name}': '{item.name}' must be a float32 tensor, got {item.type}.", path)
    ranks = (len(feats.shape), len(style.shape), len(out.shape))
    if ranks != (3, 2, 3) or _dim(out.shape[2]) not in (3, None):
        raise ModelError(
            f"'{name}' has the wrong input/output shapes ({INPUT_FEATURES} {feats.shape}, {INPUT_STYLE} "
            f"{style.shape}, {OUTPUT_POSES} {out.shape}); expected (batch, time, P), (batch, S) -> (batch, time, 3).",
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
    embedded: dict | None = None
    if embedded_text is not None:
        try:
            embedded = json.loads(embedded_text)
        except ValueError:
            raise ModelError(f"The metadata embedded in PoseGAN model '{name}' is not valid JSON.", str(path)) from None
    sidecar_path = path.with_suffix(".json")
    sidecar: dict | None = None
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
    if embedded is not None:
        return embedded
    assert sidecar is not None  # both None raised above
    return sidecar


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
    layout, dim = _check_signature(session, name, str(path))
    metadata = PoseGanMetadata.from_dict(_read_metadata(session, path), name)
    if layout != metadata.version:
        raise ModelError(
            f"The graph of PoseGAN model '{name}' has the inputs of layout {layout} but its metadata is version "
            f"{metadata.version}; the metadata does not belong to this model.",
            str(path),
        )
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
