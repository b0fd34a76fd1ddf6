"""Which eyes a bake from a reference video uses: the one rule behind the panel's "Eyes From" (Bake From Video with
the Eyes panel on) and the batch's ``--eyes --eyes-from video|generated``.

:func:`video_eyes` is called only when eyes are baked at all (Eyes panel on, ``--eyes``). It gives the person's
blinks and gaze measured in the video, as an :class:`~core.eyes.track.EyeTrack` on the head track's frames, when
the source is ``"VIDEO"`` and the estimate measured them (a face was seen); otherwise ``None``, meaning generated
eyes. Either way it says why, in notes that read the same in the panel's report and in ``summary.json``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import SettingsError
from ..eyes.track import EyeTrack
from .result import EstimationResult

#: Where a bake from a video takes the eyes from (panel "Eyes From" items, batch ``--eyes-from`` upper-cased).
EYE_SOURCES = ("VIDEO", "GENERATED")
#: The notes, one of these first (then the eye measurement's own warnings, when the video's eyes are used or
#: could not be).
FROM_VIDEO = "eyes from the video"
NOT_MEASURED = "generated eyes (the video's eyes were not measured)"
AS_CHOSEN = "generated eyes (Eyes From: Generated)"


@dataclass(frozen=True)
class VideoEyes:
    """The eyes to bake after a head bake from a video: ``track`` (the measured eyes; ``None`` = generate them)
    and ``notes`` for the report, the first saying where the eyes come from."""

    track: EyeTrack | None
    notes: tuple[str, ...]


def video_eyes(result: EstimationResult, source: str, start_frame: int, fps: float) -> VideoEyes:
    """The eyes for a bake of ``result`` placed at ``start_frame`` in a scene at ``fps`` (frames per second): with
    ``source`` ``"VIDEO"``, the measured ones (:meth:`EstimationResult.to_eye_track` with the arguments of the head's
    ``to_pose_track``, so both share frames) when the estimate has eyes and saw a face; else generated ones."""
    if source not in EYE_SOURCES:
        raise SettingsError(f"Eyes from must be one of {', '.join(EYE_SOURCES)}, got {source!r}.")
    if source == "GENERATED":
        return VideoEyes(None, (AS_CHOSEN,))
    signals = result.eyes
    if signals is None or not signals.found.any():
        return VideoEyes(None, (NOT_MEASURED, *(signals.warnings if signals is not None else ())))
    return VideoEyes(result.to_eye_track(start_frame=start_frame, fps=fps), (FROM_VIDEO, *signals.warnings))
