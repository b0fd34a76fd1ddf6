"""Frame-rate helpers: converting pose tracks between frame rates.

Frames are scene frames (integers); times are seconds. A track's first sample sits on its
``start_frame``; sample ``k`` of a track at ``fps`` is ``k / fps`` seconds after it.
"""

from __future__ import annotations

import numpy as np

from .errors import SettingsError
from .track import PoseTrack


def resample_track(track: PoseTrack, fps: float) -> PoseTrack:
    """Linearly resample ``track`` to ``fps`` frames per second, keeping its start frame and duration.

    Sample times run from 0 to (N-1)/fps_src seconds inclusive; the new track has one sample per
    1/fps seconds inside that span (e.g. 250 samples at 25 fps -> 299 samples at 30 fps).
    """
    if not (np.isfinite(fps) and fps > 0):
        raise SettingsError(f"Frame rate must be a positive number, got {fps}.")
    track.validate()
    n = len(track)
    duration = (n - 1) / track.fps
    n_new = int(np.floor(duration * fps + 1e-9)) + 1
    t_src = np.arange(n) / track.fps
    t_new = np.arange(n_new) / fps
    angles = np.stack([np.interp(t_new, t_src, track.angles[:, i]) for i in range(3)], axis=1)
    speech = None if track.speech is None else np.interp(t_new, t_src, track.speech)
    meta = dict(track.meta)
    meta["resampled_from_fps"] = track.fps
    return PoseTrack.from_angles(angles, fps, start_frame=track.start_frame, speech=speech, meta=meta)
