"""Eyes stored with the head in one pose-track file: the optional ``"eyes"`` object of a pose-track JSON file.

A Head Motion pose-track JSON file (:mod:`core.track`) may carry, next to ``yaw_deg``/``pitch_deg``/``roll_deg``,
an optional ``"eyes"`` object with the same number of frames::

    "eyes": {"yaw_deg": [[left, right], ...], "pitch_deg": [[left, right], ...], "blink": [[left, right], ...]}

(degrees in the head's character frame, yaw > 0 toward the character's left, pitch > 0 up; blink is lid closure
0..1). The pose-track reader ignores keys it does not know, so such files stay readable as head tracks; CSV pose
tracks have no eye columns (their reader accepts only the head columns and ``speech``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ..errors import TrackError
from ..track import PoseTrack
from .gaze import runs
from .track import EyeTrack


def save_with_eyes(path: str | os.PathLike, head: PoseTrack, eyes: EyeTrack) -> None:
    """Write ``head`` as a pose-track JSON file with ``eyes`` in its optional ``"eyes"`` object."""
    path = Path(path)
    if path.suffix.lower() != ".json":
        raise TrackError(f"Head and eyes are saved together in a .json pose track, got '{path}'.")
    if len(eyes) != len(head):
        raise TrackError(f"The eye track has {len(eyes)} frames, the head track {len(head)}.")
    eyes.validate()
    head.save(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["eyes"] = {"yaw_deg": eyes.yaw.tolist(), "pitch_deg": eyes.pitch.tolist(), "blink": eyes.blink.tolist()}
    path.write_text(json.dumps(data, allow_nan=False) + "\n", encoding="utf-8")


def load_eyes(path: str | os.PathLike, head: PoseTrack | None = None) -> EyeTrack | None:
    """The eyes stored in a pose-track file (CSV eye columns or the JSON ``"eyes"`` object), or None when it has
    none. A missing group (gaze or blinks) is 0 (eyes ahead, open). ``head``: the file's head track (default:
    read it)."""
    head = head or PoseTrack.load(Path(path))
    if not head.eyes:
        return None
    n, cols = len(head), head.eyes
    zero = np.zeros(n)
    yaw = np.column_stack([cols.get("eye_yaw_l_deg", zero), cols.get("eye_yaw_r_deg", zero)])
    pitch = np.column_stack([cols.get("eye_pitch_l_deg", zero), cols.get("eye_pitch_r_deg", zero)])
    blink = np.column_stack([cols.get("blink_l", zero), cols.get("blink_r", zero)])
    starts, ends = runs(blink.mean(axis=1) > 0.5)  # the blinks in the closure curve
    return EyeTrack(yaw, pitch, blink, head.fps, head.start_frame, blink_onsets_s=starts / head.fps,
                    blink_durations_s=(ends - starts) / head.fps, blink_kinds=("file",) * len(starts),
                    meta={"source": str(path), "columns": list(head.eye_groups())}).validate()
