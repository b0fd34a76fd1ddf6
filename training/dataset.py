"""PoseGAN dataset from talking videos: head poses (our estimator + the paper's Gaussian filter) and audio
features (core.voice.features, exactly as at inference), cut into fixed windows.

Per clip (:func:`extract_clip`)
    * poses: :func:`core.video.estimation.estimate_video_cached` with the stabiliser OFF (Hampel spike
      rejection and gap filling stay on), then the paper's Gaussian filter along time
      (:func:`core.filters.gaussian_smooth`, ``pose_sigma_s`` seconds) -> yaw/pitch/roll in degrees,
      relative to the clip's median head rotation. A video whose frame rate differs from the model's
      ``fps`` is resampled to it (Catmull-Rom in time), so every clip lives on the model's frame grid.
    * features: :func:`core.voice.decode.decode_audio` at the feature sample rate, then
      :func:`core.voice.features.audio_features` with one row per model frame.

Normalisation (:func:`fit_normalisation`, stored in the model's metadata)
    * poses are CENTRED PER CLIP (each clip is one speaker: subtracting the clip's mean pose puts every
      speaker's rest pose at 0, the paper's "centralised and unified under the same coordinate system in
      every small video set"), then divided by one per-axis scale, the std of the centred training
      poses. We do not divide by each speaker's own std: that would erase the amplitude that makes a
      motion style personal (a lively and a calm speaker would become the same).
    * features: per-dimension mean / std over all training frames.

Windows (:func:`make_windows`)
    The paper cuts 256-frame windows every 5 frames. 15 of our 17 dev clips are shorter than 256
    frames (106-500 frames, 25 fps), so training uses ``window`` frames (default 96 = 3.84 s, a multiple
    of the U-Net's 2^4 down-sampling) with stride 5; the generator is fully convolutional, so inference
    still runs 256-frame windows. Clips shorter than ``window`` are skipped (reported).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.filters import gaussian_smooth, interp_cubic  # noqa: E402
from core.video import EstimationSettings, estimate_video_cached  # noqa: E402
from core.voice.decode import decode_audio  # noqa: E402
from core.voice.features import FeatureConfig, audio_features, frame_count  # noqa: E402
from core.voice.prosody import ProsodyConfig, prosody_features, silence_row  # noqa: E402

AXES = ("yaw", "pitch", "roll")
DEFAULT_CACHE = Path(os.environ.get("HEAD_MOTION_CACHE", Path.home() / ".cache" / "head-motion")) / "posegan"
VIDEO_EXTENSIONS = (".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi")


@dataclass
class DataConfig:
    """How clips become training data. ``fps``: the model's frame rate; ``window`` / ``stride``: training
    window length and step in frames; ``pose_sigma_s``: the Gaussian filter on the poses (seconds);
    ``feature``: :class:`FeatureConfig` settings as a dict (``FeatureConfig.to_dict``)."""

    fps: float = 25.0
    window: int = 96
    stride: int = 5
    pose_sigma_s: float = 0.08
    feature: dict = field(default_factory=lambda: FeatureConfig().to_dict())
    inputs: str = "logmel"
    prosody: dict = field(default_factory=lambda: ProsodyConfig().to_dict())

    def feature_config(self) -> FeatureConfig:
        return FeatureConfig.from_dict(self.feature)

    def prosody_config(self) -> ProsodyConfig:
        return ProsodyConfig.from_dict(self.prosody)

    @property
    def sample_rate(self) -> int:
        return self.prosody_config().sample_rate if self.inputs == "prosody" else self.feature_config().sample_rate


@dataclass
class Clip:
    """One video: ``poses`` (n, 3) degrees (filtered, not centred), ``features`` (n, D) float32."""

    name: str
    poses: np.ndarray
    features: np.ndarray
    source_fps: float

    @property
    def n_frames(self) -> int:
        return len(self.poses)


def estimation_settings() -> EstimationSettings:
    """The estimator's settings for training data: defaults, except no stabiliser (the paper's Gaussian
    filter in :func:`extract_clip` does the smoothing)."""
    return EstimationSettings(stabiliser="none")


def _resample_poses(poses: np.ndarray, source_fps: float, fps: float, n_out: int) -> np.ndarray:
    if abs(source_fps - fps) < 1e-6 and len(poses) >= n_out:
        return poses[:n_out].copy()
    positions = np.arange(n_out) * (source_fps / fps)
    return np.column_stack([interp_cubic(poses[:, k], positions) for k in range(poses.shape[1])])


def extract_clip(path: str | os.PathLike, config: DataConfig, cache_dir: Path | None = DEFAULT_CACHE) -> Clip:
    """Poses and features of one talking video on the model's frame grid (see the module docs)."""
    path = Path(path)
    feature_config = config.feature_config()
    cache = None if cache_dir is None else Path(cache_dir) / "estimates"
    if cache is None:
        from core.video import estimate_video

        result = estimate_video(path, estimation_settings())
    else:
        result = estimate_video_cached(path, estimation_settings(), cache)
    source_fps = float(result.fps)
    raw = np.asarray(result.angles, dtype=np.float64)
    filtered = gaussian_smooth(raw, config.pose_sigma_s * source_fps)
    audio = decode_audio(str(path), config.sample_rate)
    n_video_s = len(raw) / source_fps
    n = min(math.floor(n_video_s * config.fps + 1e-6), frame_count(len(audio.samples), audio.sample_rate, config.fps))
    poses = _resample_poses(filtered, source_fps, config.fps, n)
    if config.inputs == "prosody":
        features = prosody_features(audio.samples, audio.sample_rate, config.fps, n, config.prosody_config())
    else:
        features = audio_features(audio.samples, feature_config, config.fps, n_frames=n)
    return Clip(path.stem, poses, features.astype(np.float32), source_fps)


def list_videos(folder: str | os.PathLike) -> list[Path]:
    """Video files directly inside ``folder``, sorted by name."""
    return sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in VIDEO_EXTENSIONS)


def load_clips(paths: list[Path], config: DataConfig, cache_dir: Path | None = DEFAULT_CACHE) -> list[Clip]:
    """:func:`extract_clip` for every path, with the results cached as ``.npz`` (keyed by file + settings)."""
    clips = []
    key = hashlib.sha256(json.dumps(asdict(config), sort_keys=True).encode()).hexdigest()[:12]
    for path in paths:
        stat = Path(path).stat()
        cached = None
        if cache_dir is not None:
            tag = hashlib.sha256(f"{Path(path).resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{key}".encode())
            cached = Path(cache_dir) / f"clip-{Path(path).stem[:40]}-{tag.hexdigest()[:16]}.npz"
            if cached.is_file():
                data = np.load(cached)
                clips.append(Clip(Path(path).stem, data["poses"], data["features"], float(data["source_fps"])))
                continue
        clip = extract_clip(path, config, cache_dir)
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            np.savez(cached, poses=clip.poses, features=clip.features, source_fps=clip.source_fps)
        clips.append(clip)
    return clips


@dataclass
class Normalisation:
    """Per-clip centring + global scales (see the module docs). Arrays are float64 lists in JSON."""

    feature_mean: np.ndarray
    feature_std: np.ndarray
    pose_std: np.ndarray

    def to_dict(self) -> dict:
        return {
            "feature_mean": [float(v) for v in self.feature_mean],
            "feature_std": [float(v) for v in self.feature_std],
            "pose_mean": [0.0, 0.0, 0.0],
            "pose_std": [float(v) for v in self.pose_std],
            "pose_centring": "per clip (speaker): the clip's mean pose is subtracted before scaling",
        }

    @classmethod
    def from_dict(cls, data: dict) -> Normalisation:
        return cls(
            np.asarray(data["feature_mean"], dtype=np.float64),
            np.asarray(data["feature_std"], dtype=np.float64),
            np.asarray(data["pose_std"], dtype=np.float64),
        )

    def features(self, features: np.ndarray) -> np.ndarray:
        return ((features - self.feature_mean) / self.feature_std).astype(np.float32)

    def poses(self, poses: np.ndarray) -> np.ndarray:
        """Centre ``poses`` (n, 3) degrees on their own mean and scale: the normalised training target."""
        return ((poses - poses.mean(axis=0)) / self.pose_std).astype(np.float32)


def fit_normalisation(clips: list[Clip]) -> Normalisation:
    """Feature mean/std over all frames; pose scale = std of the per-clip centred poses, per axis."""
    features = np.concatenate([c.features for c in clips]).astype(np.float64)
    centred = np.concatenate([c.poses - c.poses.mean(axis=0) for c in clips])
    return Normalisation(
        features.mean(axis=0), np.maximum(features.std(axis=0), 1e-3), np.maximum(centred.std(axis=0), 0.05)
    )


def make_windows(clips: list[Clip], norm: Normalisation, window: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """All ``window``-frame windows every ``stride`` frames: features (W, window, D), poses (W, window, 3),
    both normalised. Clips shorter than ``window`` give none."""
    xs, ys = [], []
    for clip in clips:
        x, y = norm.features(clip.features), norm.poses(clip.poses)
        for start in range(0, clip.n_frames - window + 1, stride):
            xs.append(x[start : start + window])
            ys.append(y[start : start + window])
    if not xs:
        raise ValueError(f"no clip is at least {window} frames long")
    return np.stack(xs), np.stack(ys)


def summary(clips: list[Clip], fps: float) -> list[dict]:
    """Per-clip facts for the metadata / model card."""
    return [
        {
            "name": c.name,
            "frames": int(c.n_frames),
            "seconds": round(c.n_frames / fps, 2),
            "source_fps": c.source_fps,
            "std_deg": [round(float(v), 3) for v in c.poses.std(axis=0)],
        }
        for c in clips
    ]


def make_context_windows(
    clips: list[Clip], norm: Normalisation, window: int, stride: int, context: int, codes: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Version-2 training windows: features (W, window + 2 context, P) with ``context`` frames of audio on
    each side (silence rows beyond the clip, as at inference), poses (W, window, 3) normalised and the
    clip's style code (W, S) from ``codes`` (clip name -> code). Clips shorter than ``window`` give none."""
    pad = norm.features(silence_row()[None])[0]
    xs, ys, ss = [], [], []
    for clip in clips:
        x, y = norm.features(clip.features), norm.poses(clip.poses)
        xp = np.concatenate([np.tile(pad, (context, 1)), x, np.tile(pad, (context, 1))])
        for start in range(0, clip.n_frames - window + 1, stride):
            xs.append(xp[start : start + window + 2 * context])
            ys.append(y[start : start + window])
            ss.append(codes[clip.name])
    if not xs:
        raise ValueError(f"no clip is at least {window} frames long")
    return np.stack(xs), np.stack(ys), np.stack(ss).astype(np.float32)
