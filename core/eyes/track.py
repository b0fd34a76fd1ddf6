"""EyeTrack: per-frame eye-in-head angles and lid closure for both eyes, the blink and saccade events behind
them, and its JSON file.

Angles are DEGREES in the head's character frame, column 0 the character's left eye, column 1 the right eye:
``yaw`` > 0 turns the eye toward the character's left, ``pitch`` > 0 looks up (0, 0 = the eye's rest, looking
straight ahead). ``blink`` is lid closure, 0 = open, 1 = shut. Frames are scene frames from ``start_frame`` at
``fps``; event times are seconds from the first frame.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import TrackError

JSON_FORMAT = "head_motion.eye_track"
JSON_VERSION = 1


@dataclass(eq=False)
class EyeTrack:
    """Eyes per frame. ``yaw``, ``pitch``, ``blink``: (N, 2) float64 [left, right]; ``aversion`` (N,) bool, True
    while the gaze is deliberately off the target (look-aways and their saccades). Events: ``blink_onsets_s``,
    ``blink_durations_s``, ``blink_kinds`` (why: ``pause``, ``gaze``, ``head``, ``random``, ``double``),
    ``saccade_onsets_s`` and ``saccade_amplitudes_deg`` (gaze shifts; micro-saccades excluded)."""

    yaw: np.ndarray
    pitch: np.ndarray
    blink: np.ndarray
    fps: float
    start_frame: int = 1
    aversion: np.ndarray | None = None
    blink_onsets_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    blink_durations_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    blink_kinds: tuple[str, ...] = ()
    saccade_onsets_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    saccade_amplitudes_deg: np.ndarray = field(default_factory=lambda: np.zeros(0))
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("yaw", "pitch", "blink"):
            setattr(self, name, np.asarray(getattr(self, name), dtype=np.float64).reshape(-1, 2))
        n = len(self.yaw)
        self.aversion = np.zeros(n, dtype=bool) if self.aversion is None else np.asarray(self.aversion, dtype=bool)
        for name in ("blink_onsets_s", "blink_durations_s", "saccade_onsets_s", "saccade_amplitudes_deg"):
            setattr(self, name, np.asarray(getattr(self, name), dtype=np.float64).reshape(-1))
        self.blink_kinds = tuple(str(k) for k in self.blink_kinds)

    def __len__(self) -> int:
        return len(self.yaw)

    @property
    def frames(self) -> np.ndarray:
        """Scene frame numbers ``start_frame .. start_frame + N - 1``."""
        return np.arange(self.start_frame, self.start_frame + len(self), dtype=np.int64)

    @property
    def blink_count(self) -> int:
        """Number of blinks (a double blink counts two)."""
        return len(self.blink_onsets_s)

    def upper_lid(self, lid_follow: float = 0.8) -> np.ndarray:
        """(N, 2) vertical gaze the upper lids follow, degrees (``lid_follow`` x eye pitch; upper lids follow
        vertical gaze, Becker & Fuchs 1988)."""
        return lid_follow * self.pitch

    def validate(self) -> EyeTrack:
        """Raise :class:`~core.errors.TrackError` unless the columns agree in length and are finite."""
        n = len(self.yaw)
        if n == 0:
            raise TrackError("The eye track is empty (zero frames).")
        for name in ("pitch", "blink"):
            if len(getattr(self, name)) != n:
                raise TrackError(f"The eye track's {name} has {len(getattr(self, name))} frames, yaw has {n}.")
        if self.aversion is None or len(self.aversion) != n:
            raise TrackError("The eye track's aversion mask does not match its frames.")
        for name in ("yaw", "pitch", "blink"):
            values = getattr(self, name)
            if not np.isfinite(values).all():
                raise TrackError(f"The eye track's {name} holds values that are not finite numbers.")
        if self.blink.min() < 0.0 or self.blink.max() > 1.0:
            raise TrackError("Eye blink (lid closure) must lie between 0 (open) and 1 (shut).")
        if not (np.isfinite(self.fps) and self.fps > 0):
            raise TrackError(f"The eye track's fps must be > 0, got {self.fps!r}.")
        return self

    def save(self, path: str | os.PathLike) -> None:
        """Write the track as JSON (``.json``)."""
        path = Path(path)
        if path.suffix.lower() != ".json":
            raise TrackError(f"Eye tracks are saved as .json, got '{path}'.")
        self.validate()
        data = {
            "format": JSON_FORMAT, "version": JSON_VERSION, "fps": float(self.fps),
            "start_frame": int(self.start_frame),
            "yaw_deg": self.yaw.tolist(), "pitch_deg": self.pitch.tolist(), "blink": self.blink.tolist(),
            "aversion": self.aversion.astype(int).tolist() if self.aversion is not None else None,
            "blinks": {"onset_s": self.blink_onsets_s.tolist(), "duration_s": self.blink_durations_s.tolist(),
                       "kind": list(self.blink_kinds)},
            "saccades": {"onset_s": self.saccade_onsets_s.tolist(),
                         "amplitude_deg": self.saccade_amplitudes_deg.tolist()},
            "meta": self.meta,
        }
        try:
            path.write_text(json.dumps(data, allow_nan=False) + "\n", encoding="utf-8")
        except OSError as exc:
            raise TrackError(f"Cannot write eye track '{path}': {exc.strerror or exc}.") from None

    @classmethod
    def load(cls, path: str | os.PathLike) -> EyeTrack:
        """Read a track written by :meth:`save` and validate it."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise TrackError(f"Cannot read eye track '{path}': {exc}.") from None
        if not isinstance(data, dict) or data.get("format") != JSON_FORMAT:
            raise TrackError(f"'{path}' is not a Head Motion eye track (missing \"format\": \"{JSON_FORMAT}\").")
        try:
            blinks, saccades = data.get("blinks") or {}, data.get("saccades") or {}
            track = cls(
                data["yaw_deg"], data["pitch_deg"], data["blink"], float(data["fps"]), int(data.get("start_frame", 1)),
                data.get("aversion"), blinks.get("onset_s", []), blinks.get("duration_s", []),
                tuple(blinks.get("kind", [])), saccades.get("onset_s", []), saccades.get("amplitude_deg", []),
                dict(data.get("meta") or {}),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise TrackError(f"Malformed eye track '{path}': {exc}.") from None
        try:
            return track.validate()
        except TrackError as exc:
            raise TrackError(f"Eye track '{path}': {exc}") from None
