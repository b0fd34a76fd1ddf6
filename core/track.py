"""PoseTrack: per-frame head rotation angles, with CSV / JSON storage.

Angles are in DEGREES, one value per frame: yaw > 0 turns the face toward the character's own left,
pitch > 0 raises the chin (looks up), roll > 0 tilts the top of the head toward the character's own
right shoulder. The order in which they are composed into a rotation is decided by the caller.
``speech`` (optional) is a per-frame weight in [0, 1], 1 = speaking.

File formats (chosen by extension, ``.csv`` or ``.json``):

CSV::

    # fps=29.97
    # meta={"source": "synthetic"}        (optional, JSON on one line)
    frame,yaw_deg,pitch_deg,roll_deg[,speech]
    1,0.5,-1.25,0.0[,1.0]
    ...

Frame numbers must be consecutive; the first one is the track's ``start_frame``. Optional eye columns may follow,
in any order, as whole groups: gaze ``eye_yaw_l_deg,eye_yaw_r_deg,eye_pitch_l_deg,eye_pitch_r_deg`` (degrees in the
head's character frame, per eye, l = the character's left eye; yaw > 0 toward the character's left, pitch > 0 up)
and blinks ``blink_l,blink_r`` (lid closure, 0 open .. 1 shut). :attr:`PoseTrack.eyes` holds them by name.

JSON::

    {"format": "head_motion.pose_track", "version": 1, "fps": 29.97, "start_frame": 1,
     "yaw_deg": [...], "pitch_deg": [...], "roll_deg": [...], "speech": [...] or null, "meta": {...},
     "eyes": {"yaw_deg": [[l, r], ...], "pitch_deg": [[l, r], ...], "blink": [[l, r], ...]}}   (optional)

(in ``"eyes"``, ``yaw_deg`` and ``pitch_deg`` go together; either group may be left out). Readers of version 1
without eye support ignore ``"eyes"``; files without eye data load as before.

Floats are written with Python's shortest exact representation, so a round trip is exact.
"""

from __future__ import annotations

import copy
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .checks import MAX_ANGLE_DEG, MAX_FRAME, MAX_FRAMES, MAX_TRACK_FILE_BYTES, frame_number, frame_rate
from .errors import SettingsError, TrackError

JSON_FORMAT = "head_motion.pose_track"
JSON_VERSION = 1
_AXES = ("yaw", "pitch", "roll")
_CSV_COLUMNS = ("frame", "yaw_deg", "pitch_deg", "roll_deg")
#: Optional eye columns (see the module docstring), each group all or none, and their JSON ``"eyes"`` keys.
GAZE_COLUMNS = ("eye_yaw_l_deg", "eye_yaw_r_deg", "eye_pitch_l_deg", "eye_pitch_r_deg")
BLINK_COLUMNS = ("blink_l", "blink_r")
_EYE_GROUPS = {"gaze": GAZE_COLUMNS, "blink": BLINK_COLUMNS}
_JSON_EYES = {"yaw_deg": GAZE_COLUMNS[:2], "pitch_deg": GAZE_COLUMNS[2:], "blink": BLINK_COLUMNS}


def _as_array(values: Any, name: str) -> np.ndarray:
    try:
        return np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TrackError(f"{name} must be a sequence of numbers ({exc}).") from None


@dataclass(eq=False)
class PoseTrack:
    """Head rotation per frame: ``yaw``, ``pitch``, ``roll`` in degrees (float64 arrays of equal length).

    ``fps`` is frames per second, ``start_frame`` the scene frame number of the first sample,
    ``speech`` an optional per-frame weight in [0, 1] (1 = speaking), ``meta`` free JSON-serialisable
    information (source, settings, ...), ``eyes`` optional eye columns by name (:data:`GAZE_COLUMNS` in degrees,
    :data:`BLINK_COLUMNS` lid closure 0..1; each group whole or absent). Arrays are copied to float64 on
    construction; call :meth:`validate` to check the contents.
    """

    yaw: np.ndarray
    pitch: np.ndarray
    roll: np.ndarray
    fps: float
    start_frame: int = 1
    speech: np.ndarray | None = None
    meta: dict = field(default_factory=dict)
    eyes: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.yaw = _as_array(self.yaw, "yaw")
        self.pitch = _as_array(self.pitch, "pitch")
        self.roll = _as_array(self.roll, "roll")
        if self.speech is not None:
            self.speech = _as_array(self.speech, "speech")
        if self.meta is None:
            self.meta = {}
        self.eyes = {name: _as_array(values, name) for name, values in (self.eyes or {}).items()}

    def eye_groups(self) -> tuple[str, ...]:
        """Which optional eye groups the track carries: ``"gaze"``, ``"blink"``, both or none."""
        return tuple(group for group, names in _EYE_GROUPS.items() if names[0] in self.eyes)

    # -- construction and views -------------------------------------------------------------------

    @classmethod
    def from_angles(
        cls,
        angles: np.ndarray,
        fps: float,
        start_frame: int = 1,
        speech: np.ndarray | None = None,
        meta: dict | None = None,
    ) -> PoseTrack:
        """Build a track from an (N, 3) array of [yaw, pitch, roll] in degrees."""
        a = _as_array(angles, "angles")
        if a.ndim != 2 or a.shape[1] != 3:
            raise TrackError(f"angles must have shape (N, 3) = [yaw, pitch, roll] per frame, got {a.shape}.")
        return cls(a[:, 0], a[:, 1], a[:, 2], fps, start_frame, speech, dict(meta or {}))

    def __len__(self) -> int:
        return int(self.yaw.shape[0]) if self.yaw.ndim else 0

    @property
    def angles(self) -> np.ndarray:
        """(N, 3) array of [yaw, pitch, roll] in degrees (a copy)."""
        return np.column_stack([self.yaw, self.pitch, self.roll])

    @property
    def frames(self) -> np.ndarray:
        """Integer scene frame numbers, ``start_frame .. start_frame + N - 1``."""
        return np.arange(self.start_frame, self.start_frame + len(self), dtype=np.int64)

    @property
    def duration_s(self) -> float:
        """Length of the track in seconds (N / fps)."""
        return len(self) / float(self.fps)

    # -- checks and transforms ----------------------------------------------------------------------

    def validate(self) -> PoseTrack:
        """Raise :class:`TrackError` unless the track is usable; return ``self`` for chaining."""
        frame_rate(self.fps, "the track's fps", error=TrackError)
        if isinstance(self.start_frame, bool) or not isinstance(self.start_frame, (int, np.integer)):
            raise TrackError(f"start_frame must be an integer frame number, got {self.start_frame!r}.")
        frame_number(self.start_frame, "start_frame", error=TrackError)
        columns = {name: getattr(self, name) for name in _AXES}
        if self.speech is not None:
            columns["speech"] = self.speech
        unknown = sorted(set(self.eyes) - set(GAZE_COLUMNS) - set(BLINK_COLUMNS))
        if unknown:
            every = ", ".join(GAZE_COLUMNS + BLINK_COLUMNS)
            raise TrackError(f"Unknown eye column '{unknown[0]}'; eye columns are {every}.")
        for group, names in _EYE_GROUPS.items():
            present = [name for name in names if name in self.eyes]
            if present and len(present) != len(names):
                raise TrackError(f"The {group} eye columns go together ({', '.join(names)}); "
                                 f"got {', '.join(present)}.")
        columns.update(self.eyes)
        for name, values in columns.items():
            if values.ndim != 1:
                raise TrackError(f"{name} must be 1-D (one value per frame), got shape {values.shape}.")
        lengths = {name: len(values) for name, values in columns.items()}
        if len(set(lengths.values())) > 1:
            detail = ", ".join(f"{name} {n}" for name, n in lengths.items())
            raise TrackError(f"The track's columns have different numbers of frames: {detail}.")
        if len(self) == 0:
            raise TrackError("The pose track is empty (zero frames).")
        if len(self) > MAX_FRAMES or self.start_frame + len(self) - 1 > MAX_FRAME:
            raise TrackError(
                f"The track runs from frame {self.start_frame} for {len(self)} frames; tracks hold at most "
                f"{MAX_FRAMES} frames and end by frame {MAX_FRAME}."
            )
        for name, values in columns.items():
            bad = ~np.isfinite(values)
            if bad.any():
                index = int(np.argmax(bad))
                raise TrackError(
                    f"{name} is {values[index]} (not a finite number) at frame {self.start_frame + index} "
                    f"(sample {index}); {int(bad.sum())} bad value(s) in total."
                )
        for name in _AXES:
            values = getattr(self, name)
            big = np.abs(values) > MAX_ANGLE_DEG
            if big.any():
                index = int(np.argmax(big))
                raise TrackError(
                    f"{name} is {values[index]:g} degrees at frame {self.start_frame + index}; angles must lie "
                    f"within +-{MAX_ANGLE_DEG:g} degrees."
                )
        if self.speech is not None and (self.speech.min() < 0.0 or self.speech.max() > 1.0):
            raise TrackError("speech values must lie between 0 (silent) and 1 (speaking).")
        for name in BLINK_COLUMNS:
            if name in self.eyes and (self.eyes[name].min() < 0.0 or self.eyes[name].max() > 1.0):
                raise TrackError(f"{name} (lid closure) must lie between 0 (open) and 1 (shut).")
        for name in GAZE_COLUMNS:
            if name in self.eyes and np.abs(self.eyes[name]).max() > 90.0:
                raise TrackError(f"{name} must lie within +-90 degrees.")
        return self

    def copy(self) -> PoseTrack:
        """Deep copy (arrays and meta)."""
        return PoseTrack(
            self.yaw.copy(),
            self.pitch.copy(),
            self.roll.copy(),
            self.fps,
            self.start_frame,
            None if self.speech is None else self.speech.copy(),
            copy.deepcopy(self.meta),
            {name: values.copy() for name, values in self.eyes.items()},
        )

    def scaled(self, intensity: float) -> PoseTrack:
        """New track with every angle multiplied by ``intensity`` (about the zero pose; >= 0)."""
        factor = float(intensity)
        if not math.isfinite(factor) or factor < 0.0:
            raise SettingsError(f"intensity must be a finite number >= 0, got {intensity!r}.")
        out = self.copy()
        out.yaw *= factor
        out.pitch *= factor
        out.roll *= factor
        return out

    # -- files ----------------------------------------------------------------------------------------

    def save(self, path: str | os.PathLike) -> None:
        """Write the track as CSV or JSON, chosen by the extension of ``path`` (.csv / .json)."""
        path = Path(path)
        kind = _file_kind(path)
        self.validate()
        try:
            meta_json = json.dumps(self.meta, allow_nan=False) if self.meta else ""
        except (TypeError, ValueError) as exc:
            msg = f"Cannot save '{path}': the track's meta is not JSON-serialisable ({exc})."
            raise TrackError(msg) from None
        text = self._to_csv(meta_json) if kind == "csv" else self._to_json()
        try:
            with open(path, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        except OSError as exc:
            raise TrackError(f"Cannot write pose track '{path}': {exc.strerror or exc}.") from None

    def _to_csv(self, meta_json: str) -> str:
        lines = [f"# fps={float(self.fps)!r}"]
        if meta_json:
            lines.append(f"# meta={meta_json}")
        eye_names = [name for name in GAZE_COLUMNS + BLINK_COLUMNS if name in self.eyes]
        header = list(_CSV_COLUMNS) + (["speech"] if self.speech is not None else []) + eye_names
        lines.append(",".join(header))
        cols = [self.yaw, self.pitch, self.roll] + ([self.speech] if self.speech is not None else [])
        cols += [self.eyes[name] for name in eye_names]
        rows = zip(self.frames.tolist(), *(c.tolist() for c in cols), strict=True)
        lines.extend(",".join([str(row[0])] + [repr(v) for v in row[1:]]) for row in rows)
        return "\n".join(lines) + "\n"

    def _to_json(self) -> str:
        data = {
            "format": JSON_FORMAT,
            "version": JSON_VERSION,
            "fps": float(self.fps),
            "start_frame": int(self.start_frame),
            "yaw_deg": self.yaw.tolist(),
            "pitch_deg": self.pitch.tolist(),
            "roll_deg": self.roll.tolist(),
            "speech": None if self.speech is None else self.speech.tolist(),
            "meta": self.meta,
        }
        if self.eyes:
            data["eyes"] = {key: np.column_stack([self.eyes[a], self.eyes[b]]).tolist()
                            for key, (a, b) in _JSON_EYES.items() if a in self.eyes}
        return json.dumps(data, allow_nan=False) + "\n"

    @classmethod
    def load(cls, path: str | os.PathLike, fps: float | None = None) -> PoseTrack:
        """Read a track written by :meth:`save` (CSV or JSON by extension) and validate it.

        ``fps`` is only a fallback for CSV files without a ``# fps=`` line; a frame rate stored in the
        file always wins.
        """
        path = Path(path)
        kind = _file_kind(path)
        try:
            size = path.stat().st_size
            if size > MAX_TRACK_FILE_BYTES:
                raise TrackError(f"Pose track '{path}' is {size / 2**20:.0f} MB; track files may be at most "
                                 f"{MAX_TRACK_FILE_BYTES // 2**20} MB ({MAX_FRAMES} frames).")
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise TrackError(f"Cannot read pose track '{path}': {reason}.") from None
        track = _parse_csv(text, path, fps) if kind == "csv" else _parse_json(text, path)
        try:
            return track.validate()
        except TrackError as exc:
            raise TrackError(f"Pose track '{path}': {exc}") from None


def _file_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise TrackError(f"Unsupported pose track file '{path}': use a .csv or .json extension.")
    return suffix[1:]


def _parse_csv(text: str, path: Path, fps: float | None) -> PoseTrack:
    def fail(line_no: int, problem: str) -> TrackError:
        return TrackError(f"Malformed pose track CSV '{path}', line {line_no}: {problem}")

    file_fps: float | None = None
    meta: dict = {}
    header: list[str] | None = None
    frames: list[int] = []
    rows: list[list[float]] = []
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            key, sep, value = line[1:].strip().partition("=")
            key = key.strip().lower()
            if sep and key == "fps":
                try:
                    file_fps = frame_rate(value.strip(), "fps", error=TrackError)
                except TrackError as exc:
                    raise fail(line_no, str(exc)) from None
            elif sep and key == "meta":
                try:
                    meta = json.loads(value)
                except ValueError as exc:
                    raise fail(line_no, f"meta is not valid JSON ({exc}).") from None
                if not isinstance(meta, dict):
                    raise fail(line_no, "meta must be a JSON object.")
            continue
        cells = [c.strip() for c in line.split(",")]
        if header is None:
            header = [c.lower() for c in cells]
            optional = header[len(_CSV_COLUMNS):]
            known = ("speech", *GAZE_COLUMNS, *BLINK_COLUMNS)
            if (tuple(header[:len(_CSV_COLUMNS)]) != _CSV_COLUMNS or len(set(optional)) != len(optional)
                    or not set(optional) <= set(known)):
                raise fail(line_no, f"expected header '{','.join(_CSV_COLUMNS)}' followed by optional columns of "
                                    f"{', '.join(known)}; got '{line}'.")
            continue
        if len(cells) != len(header):
            raise fail(line_no, f"expected {len(header)} values, got {len(cells)}.")
        try:
            frame = frame_number(int(cells[0]), "frame number", error=TrackError)
        except ValueError as exc:
            problem = str(exc) if isinstance(exc, TrackError) else f"frame number {cells[0]!r} is not an integer."
            raise fail(line_no, problem) from None
        if frames and frame != frames[-1] + 1:
            raise fail(line_no, f"frame numbers must be consecutive: expected {frames[-1] + 1}, got {frame}.")
        try:
            values = [float(c) for c in cells[1:]]
        except ValueError:
            raise fail(line_no, f"non-numeric value in '{line}'.") from None
        frames.append(frame)
        rows.append(values)
    if header is None:
        raise TrackError(f"Malformed pose track CSV '{path}': no header line '{','.join(_CSV_COLUMNS)}'.")
    if not rows:
        raise TrackError(f"Pose track '{path}' holds no frames.")
    if file_fps is None:
        if fps is None:
            raise TrackError(
                f"Pose track CSV '{path}' does not state its frame rate (no '# fps=' line); "
                "pass the frame rate explicitly."
            )
        file_fps = float(fps)
    data = np.array(rows, dtype=np.float64)
    named = {name: data[:, i] for i, name in enumerate(header[4:], start=3)}
    speech = named.pop("speech", None)
    return PoseTrack(data[:, 0], data[:, 1], data[:, 2], file_fps, frames[0], speech, meta, named)


def _parse_json(text: str, path: Path) -> PoseTrack:
    def fail(problem: str) -> TrackError:
        return TrackError(f"Malformed pose track JSON '{path}': {problem}")

    try:
        data = json.loads(text)
    except ValueError as exc:
        raise fail(f"not valid JSON ({exc}).") from None
    if not isinstance(data, dict) or data.get("format") != JSON_FORMAT:
        raise fail(f'not a Head Motion pose track (missing "format": "{JSON_FORMAT}").')
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise fail(f"invalid version {version!r}.")
    if version > JSON_VERSION:
        raise fail(
            f"version {version} is newer than this Head Motion reads ({JSON_VERSION}); update the add-on."
        )
    for key in ("fps", "yaw_deg", "pitch_deg", "roll_deg"):
        if key not in data:
            raise fail(f"missing key '{key}'.")
    fps = data["fps"]
    if isinstance(fps, bool) or not isinstance(fps, (int, float)):
        raise fail(f"fps must be a number, got {fps!r}.")
    try:
        frame_rate(fps, "fps", error=TrackError)
    except TrackError as exc:
        raise fail(str(exc)) from None
    start_frame = data.get("start_frame", 1)
    if isinstance(start_frame, bool) or not isinstance(start_frame, int):
        raise fail(f"start_frame must be an integer, got {start_frame!r}.")
    try:
        frame_number(start_frame, "start_frame", error=TrackError)
    except TrackError as exc:
        raise fail(str(exc)) from None
    columns: dict[str, np.ndarray] = {}
    for key in ("yaw_deg", "pitch_deg", "roll_deg", "speech"):
        values = data.get(key)
        if key == "speech" and values is None:
            continue
        if not isinstance(values, list) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in values
        ):
            raise fail(f"'{key}' must be a list of numbers.")
        columns[key] = np.array(values, dtype=np.float64)
    meta = data.get("meta") or {}
    if not isinstance(meta, dict):
        raise fail("'meta' must be an object.")
    yaw, pitch, roll = columns["yaw_deg"], columns["pitch_deg"], columns["roll_deg"]
    return PoseTrack(yaw, pitch, roll, float(fps), start_frame, columns.get("speech"), meta,
                     _json_eyes(data.get("eyes"), fail))


def _json_eyes(eyes: Any, fail) -> dict[str, np.ndarray]:
    """The eye columns of a JSON file's optional ``"eyes"`` object ([left, right] pairs per frame)."""
    if eyes is None:
        return {}
    if not isinstance(eyes, dict):
        raise fail("'eyes' must be an object.")
    out = {}
    for key, (left, right) in _JSON_EYES.items():
        if key not in eyes:
            continue
        try:
            pairs = np.array(eyes[key], dtype=np.float64)
        except (TypeError, ValueError):
            raise fail(f"'eyes.{key}' must be a list of [left, right] number pairs.") from None
        if pairs.ndim != 2 or pairs.shape[1] != 2:
            raise fail(f"'eyes.{key}' must be a list of [left, right] number pairs.")
        out[left], out[right] = pairs[:, 0], pairs[:, 1]
    return out
