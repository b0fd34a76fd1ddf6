"""Frame-rate helpers: converting pose tracks between frame rates, and frame rates as Blender stores them.

Frames are scene frames (integers); times are seconds. A track's first sample sits on its
``start_frame``; sample ``k`` of a track at ``fps`` is ``k / fps`` seconds after it.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .checks import MAX_FPS, MIN_FPS, frame_rate, frames_for
from .errors import SettingsError
from .track import PoseTrack


def resample_track(track: PoseTrack, fps: float) -> PoseTrack:
    """Linearly resample ``track`` to ``fps`` frames per second, keeping its start frame and duration.

    Sample times run from 0 to (N-1)/fps_src seconds inclusive; the new track has one sample per
    1/fps seconds inside that span (e.g. 250 samples at 25 fps -> 299 samples at 30 fps).
    """
    fps = frame_rate(fps, "the frame rate to resample to")
    track.validate()
    n = len(track)
    duration = (n - 1) / track.fps
    frames_for(duration, fps, f"The track ({n} frames at {track.fps:g} fps)")  # before allocating
    n_new = int(np.floor(duration * fps + 1e-9)) + 1
    t_src = np.arange(n) / track.fps
    t_new = np.arange(n_new) / fps
    angles = np.stack([np.interp(t_new, t_src, track.angles[:, i]) for i in range(3)], axis=1)
    speech = None if track.speech is None else np.interp(t_new, t_src, track.speech)
    meta = dict(track.meta)
    meta["resampled_from_fps"] = track.fps
    out = PoseTrack.from_angles(angles, fps, start_frame=track.start_frame, speech=speech, meta=meta)
    out.eyes = {name: np.interp(t_new, t_src, values) for name, values in track.eyes.items()}
    return out


def resample_signal(
    values: np.ndarray,
    src_fps: float,
    src_start_frame: float,
    fps: float,
    start_frame: int,
    n_frames: int,
    fill: float = 0.0,
) -> np.ndarray:
    """A per-frame signal sampled at ``fps`` for frames ``start_frame``… (``n_frames`` of them).

    ``values[k]`` belongs to the scene time of frame ``src_start_frame`` plus ``k / src_fps`` seconds (e.g.
    a mask per video frame of a video placed at ``src_start_frame``). Linear interpolation; frames outside
    the signal get ``fill``.
    """
    for rate, name in ((src_fps, "source fps"), (fps, "fps")):
        if not (np.isfinite(rate) and rate > 0):
            raise SettingsError(f"{name} must be a positive number, got {rate}.")
    values = np.asarray(values, dtype=np.float64)
    t_src = np.arange(len(values)) / src_fps
    t = (np.arange(n_frames) + (start_frame - src_start_frame)) / fps
    return np.interp(t, t_src, values, left=fill, right=fill)


#: Blender stores a scene's rate as ``fps / fps_base`` with ``fps`` an integer (1..32767).
BLENDER_MAX_FPS_INT = 32767


def blender_frame_rate(value: object, name: str = "fps") -> tuple[int, float]:
    """``value`` (a number, or text such as ``"23.976"``, ``"24000/1001"``, ``"29.97"``, ``"12.5"``) as
    Blender's exact ``(fps, fps_base)``.

    NTSC rates, given exactly (``24000/1001``) or rounded (23.976, 29.97, 59.94: within 0.001 of ``n / 1.001``
    for a whole n), become ``(n, 1.001)``, as Blender's own presets store them; other rates become the
    simplest fraction ``fps / fps_base`` equal to the value to 1e-6 (12.5 -> (25, 2.0)). The rate must lie
    in [:data:`MIN_FPS`, :data:`MAX_FPS`]; raises :class:`SettingsError` naming the value and the limits.
    """
    text = str(value).strip()
    wanted = (f"{name} must be a frame rate between {MIN_FPS:g} and {MAX_FPS:g} frames per second (e.g. 25, "
              f"23.976 or 24000/1001), got {text!r}.")
    try:
        exact = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise SettingsError(wanted) from None
    rate = float(exact)
    if not math.isfinite(rate) or not MIN_FPS <= rate <= MAX_FPS:
        raise SettingsError(wanted)
    ntsc = round(rate * 1.001)
    if exact.denominator != 1 and (exact == Fraction(ntsc * 1000, 1001) or abs(rate * 1.001 - ntsc) < 1e-3):
        return ntsc, 1.001
    simple = exact.limit_denominator(1000)
    if abs(float(simple) - rate) > 1e-6 * rate or simple.numerator > BLENDER_MAX_FPS_INT:
        raise SettingsError(f"{name} {text!r} cannot be stored exactly by Blender (fps / fps_base); round it, "
                            "e.g. to 3 decimals.")
    return simple.numerator, float(simple.denominator)
