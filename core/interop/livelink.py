"""Live Link Face CSV (iPhone ARKit capture): parsing, timecode to frames, sign conventions.

File layout (one take, one row per captured frame)::

    Timecode,BlendShapeCount,EyeBlinkLeft,...,TongueOut,HeadYaw,HeadPitch,HeadRoll,LeftEyeYaw,LeftEyePitch,
    LeftEyeRoll,RightEyeYaw,RightEyePitch,RightEyeRoll
    17:21:43:12.345,61,0.02,...

* ``Timecode`` is ``HH:MM:SS:FF.sss`` (``;`` before the frames for drop-frame): FF frames of the capture
  rate plus a sub-frame fraction. The capture rate is not in the file: it is taken from where FF wraps to
  0 as the second changes, else 60 (the app's rate), or given as ``timecode_fps``. A plain number is read
  as a frame count at ``timecode_fps`` (60 when not given).
* The 52 ARKit blendshape weights (0..1) are kept as extra per-frame data under ARKit's own lower camel
  case names (``EyeBlinkLeft`` -> ``eyeBlinkLeft``); Left/Right are the performer's own sides.
* Head and eye angles are stored divided by 180: a value of 1 is 180 DEGREES (Epic's ARKit face support
  maps Unreal rotator angles -180..180 to -1..1 and negates yaw and roll of an unmirrored face). Our
  conventions (docs/conventions.md, docs/interop.md): ``yaw = 180 * HeadYaw`` (> 0 turns to the
  performer's left), ``pitch = 180 * HeadPitch`` (> 0 chin up), ``roll = 180 * HeadRoll`` (> 0 top of the
  head toward the performer's right); eye yaw/pitch likewise. :class:`LiveLinkOptions` flips any sign for
  captures made otherwise (e.g. mirrored).

The head angles are measured against the phone, not a neutral pose: hold the phone level and straight.
Rows are resampled (linearly, on their timecodes) to the requested frame rate.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import SettingsError, TrackError
from ..track import PoseTrack
from .motion import MotionData

#: The 52 ARKit blendshapes, as Live Link Face names its CSV columns.
ARKIT_BLENDSHAPES: tuple[str, ...] = (
    "EyeBlinkLeft", "EyeLookDownLeft", "EyeLookInLeft", "EyeLookOutLeft", "EyeLookUpLeft", "EyeSquintLeft",
    "EyeWideLeft", "EyeBlinkRight", "EyeLookDownRight", "EyeLookInRight", "EyeLookOutRight", "EyeLookUpRight",
    "EyeSquintRight", "EyeWideRight", "JawForward", "JawRight", "JawLeft", "JawOpen", "MouthClose",
    "MouthFunnel", "MouthPucker", "MouthRight", "MouthLeft", "MouthSmileLeft", "MouthSmileRight",
    "MouthFrownLeft", "MouthFrownRight", "MouthDimpleLeft", "MouthDimpleRight", "MouthStretchLeft",
    "MouthStretchRight", "MouthRollLower", "MouthRollUpper", "MouthShrugLower", "MouthShrugUpper",
    "MouthPressLeft", "MouthPressRight", "MouthLowerDownLeft", "MouthLowerDownRight", "MouthUpperUpLeft",
    "MouthUpperUpRight", "BrowDownLeft", "BrowDownRight", "BrowInnerUp", "BrowOuterUpLeft", "BrowOuterUpRight",
    "CheekPuff", "CheekSquintLeft", "CheekSquintRight", "NoseSneerLeft", "NoseSneerRight", "TongueOut",
)  # fmt: skip
HEAD_COLUMNS = ("HeadYaw", "HeadPitch", "HeadRoll")
EYE_COLUMNS = (("LeftEyeYaw", "LeftEyePitch"), ("RightEyeYaw", "RightEyePitch"))
#: Capture rates a timecode's frame field can count in, for telling the rate from where it wraps.
_RATES = (24.0, 25.0, 30.0, 48.0, 50.0, 60.0, 100.0, 120.0)


@dataclass
class LiveLinkOptions:
    """How Live Link values become degrees: ``degrees = sign * degrees_per_unit * value``."""

    degrees_per_unit: float = 180.0
    yaw_sign: float = 1.0
    pitch_sign: float = 1.0
    roll_sign: float = 1.0
    timecode_fps: float | None = None


def arkit_name(column: str) -> str:
    """ARKit's own name of a Live Link column (``EyeBlinkLeft`` -> ``eyeBlinkLeft``)."""
    return column[:1].lower() + column[1:]


def is_live_link_header(line: str) -> bool:
    """True when a CSV header line is Live Link Face's (first column ``Timecode``)."""
    return line.split(",", 1)[0].strip().lower() == "timecode"


def _parse_timecode(text: str) -> tuple[float, float | None, int | None]:
    """(whole seconds, frames incl. sub-frame, FF) of ``HH:MM:SS:FF.sss``; (0, frames, None) for a number."""
    parts = text.replace(";", ":").split(":")
    if len(parts) == 1:
        return 0.0, float(parts[0]), None
    if len(parts) != 4:
        raise ValueError(text)
    h, m, s = (int(p) for p in parts[:3])
    frames = float(parts[3])
    if not (0 <= m < 60 and 0 <= s < 60 and h >= 0 and frames >= 0.0):
        raise ValueError(text)
    return float(h * 3600 + m * 60 + s), frames, math.floor(frames)


def _timecode_rate(seconds: np.ndarray, ff: list[int | None]) -> float:
    """The capture rate: one more than the largest FF just before a second changes (a standard rate)."""
    last: list[int] = []
    for i in range(len(ff) - 1):
        value = ff[i]
        if value is not None and seconds[i + 1] > seconds[i]:
            last.append(value)
    top = max(last) if last else max((f for f in ff if f is not None), default=59)
    for rate in _RATES:
        if top < rate and (last or rate >= 60.0):
            return rate
    return float(top + 1)


def parse_live_link(text: str, path: str | os.PathLike = "", fps: float | None = None, start_frame: int = 1,
                    options: LiveLinkOptions | None = None) -> MotionData:
    """Parse a Live Link Face CSV into head angles, eye angles and blendshapes at ``fps``.

    ``fps``: output frame rate (default: the timecode's capture rate). Raises :class:`TrackError` naming
    the file and line for a missing column, a wrong number of values, a bad timecode or number, or
    timecodes that do not increase.
    """
    options = options or LiveLinkOptions()
    name = Path(path) if path else "<text>"

    def fail(line_no: int, problem: str) -> TrackError:
        return TrackError(f"Malformed Live Link Face CSV '{name}', line {line_no}: {problem}")

    lines = [(i, raw.strip()) for i, raw in enumerate(text.splitlines(), start=1) if raw.strip()]
    if not lines or not is_live_link_header(lines[0][1]):
        raise TrackError(f"'{name}' is not a Live Link Face CSV (its first column must be 'Timecode').")
    header = [c.strip() for c in lines[0][1].split(",")]
    index = {c.lower(): i for i, c in enumerate(header)}
    missing = [c for c in HEAD_COLUMNS if c.lower() not in index]
    if missing:
        raise fail(lines[0][0], f"no {', '.join(missing)} column (a Live Link Face take has HeadYaw, HeadPitch, "
                                "HeadRoll; enable head rotation in the app).")
    shape_cols = [(arkit_name(c), index[c.lower()]) for c in ARKIT_BLENDSHAPES if c.lower() in index]
    eye_cols = [[index.get(c.lower()) for c in pair] for pair in EYE_COLUMNS]
    has_eyes = all(i is not None for pair in eye_cols for i in pair)
    numeric = [i for i, c in enumerate(header) if i != 0]
    seconds, frames, ffs, rows = [], [], [], []
    for line_no, line in lines[1:]:
        cells = [c.strip() for c in line.split(",")]
        if len(cells) != len(header):
            raise fail(line_no, f"expected {len(header)} values, got {len(cells)}.")
        try:
            sec, frame, ff = _parse_timecode(cells[0])
        except ValueError:
            raise fail(line_no, f"timecode {cells[0]!r} is not HH:MM:SS:FF.sss or a frame number.") from None
        try:
            values = np.array([float(cells[i]) for i in numeric], dtype=np.float64)
        except ValueError:
            bad = next(header[i] for i in numeric if not _is_number(cells[i]))
            raise fail(line_no, f"{bad} value {cells[header.index(bad)]!r} is not a number.") from None
        if not np.isfinite(values).all():
            bad = header[numeric[int(np.argmax(~np.isfinite(values)))]]
            raise fail(line_no, f"{bad} is not a finite number.")
        seconds.append(sec)
        frames.append(frame)
        ffs.append(ff)
        rows.append((line_no, values))
    if not rows:
        raise TrackError(f"Live Link Face CSV '{name}' holds no frames (only a header).")
    sec_arr = np.array(seconds)
    rate = float(options.timecode_fps) if options.timecode_fps else _timecode_rate(sec_arr, ffs)
    times = sec_arr + np.array(frames) / rate
    times -= times[0]
    steps = np.diff(times)
    if (steps <= 0).any():
        k = int(np.argmax(steps <= 0)) + 1
        raise fail(rows[k][0], f"timecode {lines[k + 1][1].split(',')[0].strip()!r} does not come after the "
                               "previous row's (rows must be in time order, one per captured frame).")
    out_fps = float(fps) if fps is not None else rate
    if not (math.isfinite(out_fps) and out_fps > 0):
        raise SettingsError(f"Frame rate must be a positive number, got {fps}.")
    data = np.stack([v for _, v in rows])  # columns follow ``numeric``
    col = {header[i].lower(): k for k, i in enumerate(numeric)}
    n_out = int(np.floor(times[-1] * out_fps + 1e-9)) + 1
    t_out = np.arange(n_out) / out_fps

    def column(name_: str) -> np.ndarray:
        return np.interp(t_out, times, data[:, col[name_.lower()]])

    scale = float(options.degrees_per_unit)
    yaw = options.yaw_sign * scale * column("HeadYaw")
    pitch = options.pitch_sign * scale * column("HeadPitch")
    roll = options.roll_sign * scale * column("HeadRoll")
    meta = {"source": "live_link_face", "file": Path(path).name if path else "", "timecode_fps": rate}
    track = PoseTrack(yaw, pitch, roll, out_fps, int(start_frame), meta=meta)
    eyes = None
    if has_eyes:
        eyes = np.zeros((n_out, 2, 2))
        for e, (c_yaw, c_pitch) in enumerate(EYE_COLUMNS):
            eyes[:, e, 0] = options.yaw_sign * scale * column(c_yaw)
            eyes[:, e, 1] = options.pitch_sign * scale * column(c_pitch)
    shapes = {arkit: np.interp(t_out, times, data[:, numeric.index(i)]) for arkit, i in shape_cols}
    return MotionData(track.validate(), eyes, shapes)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def load_live_link(path: str | os.PathLike, fps: float | None = None, start_frame: int = 1,
                   options: LiveLinkOptions | None = None) -> MotionData:
    """Read a Live Link Face CSV file; see :func:`parse_live_link`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise TrackError(f"Cannot read Live Link Face CSV '{path}': {getattr(exc, 'strerror', None) or exc}.") from None
    return parse_live_link(text, path, fps, start_frame, options)
