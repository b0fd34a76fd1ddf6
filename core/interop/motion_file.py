"""Open any motion file Head Motion reads, telling the format from the extension and the contents.

* ``.csv``: a Head Motion pose track (``frame,yaw_deg,...``) or a Live Link Face take (first column
  ``Timecode``), told apart by the header line;
* ``.json``: a Head Motion pose track (``"format": "head_motion.pose_track"``) or a FLAME sequence
  (``"format": "head_motion.flame_sequence"``);
* ``.npz``: FLAME pose parameters (``rotation`` / ``neck_pose`` ...).

Angles come back in degrees in the character frame (docs/conventions.md). ``fps`` means: for files that
state no frame rate (track CSV without ``# fps=``, FLAME npz without ``fps``), their frame rate; for Live
Link Face takes, which are timed by timecode, the frame rate to sample them at (default: the capture rate).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import TrackError
from ..track import JSON_FORMAT as TRACK_JSON_FORMAT
from ..track import PoseTrack
from . import flame, livelink
from .motion import MotionData

#: Extensions :func:`load_motion` reads.
MOTION_EXTENSIONS: tuple[str, ...] = (".csv", ".json", ".npz")


def motion_format(path: str | os.PathLike) -> str:
    """``"track"``, ``"live_link"`` or ``"flame"``: what the file at ``path`` holds."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npz":
        return "flame"
    if suffix not in MOTION_EXTENSIONS:
        raise TrackError(f"Unsupported motion file '{path}': use .csv, .json (pose track, Live Link Face, FLAME) "
                         "or .npz (FLAME).")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise TrackError(f"Cannot read motion file '{path}': {getattr(exc, 'strerror', None) or exc}.") from None
    if suffix == ".csv":
        header = next((ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")), "")
        return "live_link" if livelink.is_live_link_header(header) else "track"
    try:
        kind = json.loads(text).get("format") if text.strip() else None
    except (ValueError, AttributeError):
        kind = None
    return "flame" if kind == flame.JSON_FORMAT else "track"


def load_motion(path: str | os.PathLike, fps: float | None = None) -> MotionData:
    """The motion in ``path`` (any format above) with its extra channels (eyes, blendshapes)."""
    kind = motion_format(path)
    if kind == "flame":
        return flame.load_flame(path, fps)
    if kind == "live_link":
        return livelink.load_live_link(path, fps)
    return MotionData(PoseTrack.load(path, fps))


def load_motion_file(path: str | os.PathLike, fps: float | None = None) -> PoseTrack:
    """The head pose track in ``path`` (any format above)."""
    return load_motion(path, fps).track


__all__ = ["MOTION_EXTENSIONS", "TRACK_JSON_FORMAT", "load_motion", "load_motion_file", "motion_format"]
