"""Eyes stored with the head in one pose-track file: an :class:`EyeTrack` to and from the optional eye columns of
:class:`~core.track.PoseTrack` (:data:`~core.track.GAZE_COLUMNS`, :data:`~core.track.BLINK_COLUMNS`).

In a CSV pose track they are the columns ``eye_yaw_l_deg,eye_yaw_r_deg,eye_pitch_l_deg,eye_pitch_r_deg`` and
``blink_l,blink_r``; in a JSON pose track the optional ``"eyes"`` object with the same number of frames::

    "eyes": {"yaw_deg": [[left, right], ...], "pitch_deg": [[left, right], ...], "blink": [[left, right], ...]}

(degrees in the head's character frame, yaw > 0 toward the character's left, pitch > 0 up; blink is lid closure
0..1). Readers that do not know them ignore the JSON ``"eyes"``; values are written exactly (shortest repr), so
:func:`load_eyes` gives back the angles and closures :func:`with_eyes` stored.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import TrackError
from ..track import BLINK_COLUMNS, GAZE_COLUMNS, PoseTrack
from .gaze import runs
from .track import EyeTrack


def with_eyes(head: PoseTrack, eyes: EyeTrack) -> PoseTrack:
    """A copy of ``head`` carrying ``eyes`` (same number of frames) in its eye columns, both groups (gaze and
    blinks); :meth:`PoseTrack.save` writes them to CSV or JSON."""
    if len(eyes) != len(head):
        raise TrackError(f"The eye track has {len(eyes)} frames, the head track {len(head)}.")
    eyes.validate()
    columns = (eyes.yaw[:, 0], eyes.yaw[:, 1], eyes.pitch[:, 0], eyes.pitch[:, 1], eyes.blink[:, 0], eyes.blink[:, 1])
    out = head.copy()
    out.eyes = {name: np.array(values, dtype=np.float64)
                for name, values in zip(GAZE_COLUMNS + BLINK_COLUMNS, columns, strict=True)}
    return out


def save_with_eyes(path: str | os.PathLike, head: PoseTrack, eyes: EyeTrack) -> None:
    """Write ``head`` as a pose-track JSON file with ``eyes`` in its optional ``"eyes"`` object."""
    path = Path(path)
    if path.suffix.lower() != ".json":
        raise TrackError(f"Head and eyes are saved together in a .json pose track, got '{path}'.")
    with_eyes(head, eyes).save(path)


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
