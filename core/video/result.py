"""The result of a video estimation (:class:`EstimationResult`): per-frame angles, lips, eyes, found flags and
warnings, its conversion to a :class:`~core.track.PoseTrack` (and the eyes to an :class:`~core.eyes.track.EyeTrack`
on the same frames), and its ``.npz`` storage (no pickles)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..eyes.track import EyeTrack
from ..track import PoseTrack
from .eye_signals import EyeSignals
from .settings import EstimationSettings
from .timestamps import grid_times, resample_by_time

#: Bumped whenever the estimator's results change, so older cache files are recomputed.
#: 3: per-frame presentation times (``times``), one face by default, rigid-point fit with robust weights.
#: 4: the eyes (``eyes``: closure, blinks, gaze per frame).
#: 5: the skin flow (``skin_flow``), fused both ways over each run of frames.
CACHE_VERSION = 5
#: The :class:`~core.video.eye_signals.EyeSignals` arrays kept in cache files (as ``eyes_<name>``).
_EYE_ARRAYS = ("closure", "yaw", "pitch", "found", "onsets", "peaks", "durations_s")


@dataclass(eq=False)
class EstimationResult:
    """Head motion measured in a video, one sample per video frame.

    ``yaw``, ``pitch``, ``roll``: (N,) degrees, relative to the neutral pose, stabilised, with gaps
    filled. ``raw_angles``: (N, 3) the same before stabilisation. ``translation``: (N, 3) position of the
    head (model origin) in camera coordinates, centimetres of the canonical face (x right, y down,
    z away from the camera; x negated when mirrored), gaps filled, stabilised like the angles.
    ``lip_gap``: (N,) inner lip gap / inter-ocular distance; ``lip_keypoints``: (N, 4, 2) (see
    :class:`core.video.head_pose.LipSignals`), both gap-filled, not smoothed. ``found``: (N,) True where a face
    was seen AND accepted (False = interpolated). ``detected``: (N,) True where FaceMesh saw a face.
    ``reprojection_error_px``: (N,) NaN without a face. ``fps``: frames per second of the file (its
    mean rate when the frames are not evenly spaced); ``times``: (N,) each frame's presentation time in
    seconds from the start of the file (:mod:`core.video.timestamps`);
    ``image_size``: (width, height) pixels; ``neutral_rotation``: camera-from-face rotation of the
    neutral pose (turn-corrected, :func:`core.video.head_pose.turn_corrected`); ``warnings``: messages for the
    user. ``eyes``: the person's eyelid closure, blinks and gaze per video frame
    (:func:`core.video.eye_signals.eye_signals` on the followed face's landmarks, relative to the person's
    neutral, on the frames ``found`` marks; its own ``warnings``), ``None`` when not measured.
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
    times: np.ndarray
    image_size: tuple[int, int]
    neutral_rotation: np.ndarray
    warnings: list[str] = field(default_factory=list)
    settings: EstimationSettings = field(default_factory=EstimationSettings)
    source: str = ""
    eyes: EyeSignals | None = None

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
        """Per-frame speech weight in [0, 1] from the lip gap (:func:`core.motion.silence.speech_from_lip_signal`)."""
        from ..motion.silence import speech_from_lip_signal

        return speech_from_lip_signal(self.lip_gap, self.fps, **kwargs)

    def on_grid(self, values: np.ndarray, fps: float | None = None) -> np.ndarray:
        """Per-video-frame ``values`` (N, ...) put onto the regular grid ``k / fps`` seconds from the start
        of the file by the frames' presentation times (:func:`core.video.timestamps.resample_by_time`);
        ``fps`` defaults to the video's. Sample ``k`` belongs to the scene frame ``start + k`` of a video
        (and its sound) placed at frame ``start`` of a scene at ``fps``."""
        return resample_by_time(values, self.times, self.fps if fps is None else float(fps))

    def to_pose_track(
        self, start_frame: int = 1, speech: bool | np.ndarray | None = None, fps: float | None = None
    ) -> PoseTrack:
        """The angles as a :class:`~core.track.PoseTrack` on the frame grid of ``fps`` (default: the video's),
        placed by the frames' presentation times (:meth:`on_grid`); sample 0 (the start of the file, where
        its sound starts) at ``start_frame``.

        ``speech``: ``None``/``False`` for none, ``True`` to derive it from the lips
        (:meth:`speech_mask`), or an explicit (N,) per-video-frame array.
        """
        rate = self.fps if fps is None else float(fps)
        if speech is True:
            mask = self.on_grid(self.speech_mask(), rate)
        elif speech is None or speech is False:
            mask = None
        else:
            mask = np.clip(self.on_grid(np.asarray(speech, dtype=np.float64), rate), 0.0, 1.0)
        meta = {
            "source": "video",
            "video": os.path.basename(self.source),
            "missing_fraction": round(self.missing_fraction, 6),
            "settings": self.settings.to_dict(),
            "video_fps": self.fps,
        }
        angles = self.on_grid(self.angles, rate)
        return PoseTrack(angles[:, 0], angles[:, 1], angles[:, 2], rate, start_frame, mask, meta).validate()

    def to_eye_track(self, start_frame: int = 1, fps: float | None = None) -> EyeTrack | None:
        """The eyes as an :class:`~core.eyes.track.EyeTrack` on the same frames as :meth:`to_pose_track` with the
        same arguments (``fps`` default: the video's); ``None`` when the eyes were not measured."""
        if self.eyes is None:
            return None
        rate = self.fps if fps is None else float(fps)
        return self.eyes.to_eye_track(start_frame, rate, times=self.times)

    def grid_times(self, fps: float | None = None) -> np.ndarray:
        """Times in seconds of the samples of :meth:`on_grid` / :meth:`to_pose_track`."""
        return grid_times(self.times, self.fps if fps is None else float(fps))

    # -- cache files ------------------------------------------------------------------------------------

    _ARRAYS = (
        "yaw", "pitch", "roll", "raw_angles", "translation", "lip_gap", "lip_keypoints", "found", "detected",
        "reprojection_error_px", "neutral_rotation", "times",
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
        arrays = {k: getattr(self, k) for k in self._ARRAYS}
        if self.eyes is not None:
            meta["eyes"] = {"fps": self.eyes.fps, "warnings": list(self.eyes.warnings)}
            arrays.update({f"eyes_{k}": getattr(self.eyes, k) for k in _EYE_ARRAYS})
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as handle:
            np.savez(handle, meta=np.array(json.dumps(meta)), **arrays)
        os.replace(tmp, path)

    @classmethod
    def load_npz(cls, path: str | os.PathLike) -> EstimationResult:
        """Read a result written by :meth:`save_npz` (raises ``ValueError``/``OSError``/``KeyError`` if bad)."""
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("version") != CACHE_VERSION:
                raise ValueError(f"cache version {meta.get('version')} != {CACHE_VERSION}")
            arrays = {k: data[k] for k in cls._ARRAYS}
            eyes = None
            if "eyes" in meta:
                eyes = EyeSignals(**{k: data[f"eyes_{k}"] for k in _EYE_ARRAYS}, fps=float(meta["eyes"]["fps"]),
                                  warnings=list(meta["eyes"]["warnings"]))
        return cls(
            **arrays,
            fps=float(meta["fps"]),
            image_size=(int(meta["image_size"][0]), int(meta["image_size"][1])),
            warnings=list(meta["warnings"]),
            settings=EstimationSettings.from_dict(meta["settings"]),
            source=str(meta["source"]),
            eyes=eyes,
        )

