"""Argument checks shared by every layer: numbers, whole numbers, sample rates, frame rates and frame numbers,
each raising an error a user can act on (it names the value, what was expected and what was given), and the
documented BOUNDS of every numeric input (files, panels, API, command line). Use these instead of writing
another validator.

The bounds exist so that memory and time stay proportional to the output: every input that sizes an
allocation (a frame rate, a duration, a time constant) is checked against them before anything is
allocated. Units: frames per second, scene frames, seconds, degrees, Hz (see each constant).
"""

from __future__ import annotations

import math

import numpy as np

from .errors import SettingsError

# -- bounds (the single list of limits; README "Limits" repeats them) --------------------------------------

#: Frame rates (frames per second) accepted for scenes, tracks and motion: Blender's scenes go down to 1 fps
#: (fps 1, fps_base 1) and slow-motion work rarely needs more than 1000.
MIN_FPS = 1.0
MAX_FPS = 1000.0
#: Highest scene frame number, as Blender's own limit (MAXFRAME); frame numbers lie in [-MAX_FRAME, MAX_FRAME].
MAX_FRAME = 1_048_574
#: Most frames one track, motion or bake may hold (about 11.6 h at 25 fps).
MAX_FRAMES = MAX_FRAME
#: Largest pose-track file read (bytes): MAX_FRAMES rows of about 100 characters fit in it.
MAX_TRACK_FILE_BYTES = 128 * 1024 * 1024
#: Longest voice (seconds) analysed in one piece: 3 hours.
MAX_VOICE_S = 3 * 3600.0
#: Largest angle (degrees, absolute) a pose track may hold: one full turn.
MAX_ANGLE_DEG = 360.0
#: Largest amplitude or bias (degrees) of the synthetic generator's settings.
MAX_AMPLITUDE_DEG = 180.0
#: Largest jitter (degrees, std) of the synthetic generator.
MAX_JITTER_DEG = 30.0
#: Longest time constant or movement segment (seconds): settle, rest, segment lengths.
MAX_TIME_CONSTANT_S = 60.0
#: Longest oscillation period (seconds) of the synthetic generator (after tempo).
MAX_PERIOD_S = 600.0
#: Largest intensity, per-axis scale, tempo or accent factor.
MAX_FACTOR = 10.0
#: Largest smoothing sigma or half-window (video frames) of the video stabilisers: a longer filter is no longer
#: smoothing, and its kernel would be allocated in full.
MAX_FILTER_FRAMES = 1000
#: Largest random seed (numpy's seeds are unbounded; 2**32 - 1 keeps files and panels portable).
MAX_SEED = 2**32 - 1


def _bounds_text(minimum: float | None, maximum: float | None, strict: bool) -> str:
    parts = []
    if minimum is not None:
        parts.append(f"{'>' if strict else '>='} {minimum:g}")
    if maximum is not None:
        parts.append(f"<= {maximum:g}")
    return " and ".join(parts)


def number(
    value: object,
    name: str,
    minimum: float | None = None,
    maximum: float | None = None,
    strict: bool = False,
    error: type[Exception] = SettingsError,
) -> float:
    """``value`` as a finite float within ``[minimum, maximum]`` (``(minimum, maximum]`` with ``strict``).

    Raises ``error`` (default :class:`~core.errors.SettingsError`) naming ``name`` otherwise. Booleans are
    not numbers here.
    """
    bounds = _bounds_text(minimum, maximum, strict)
    wanted = f"a finite number {bounds}".rstrip()
    if isinstance(value, bool):
        raise error(f"{name} must be {wanted}, got {value!r}.")
    try:
        result = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise error(f"{name} must be {wanted}, got {value!r}.") from None
    if (
        not math.isfinite(result)
        or (minimum is not None and (result < minimum or (strict and result == minimum)))
        or (maximum is not None and result > maximum)
    ):
        raise error(f"{name} must be {wanted}, got {value!r}.")
    return result


def positive_number(value: object, name: str, allow_zero: bool = False, maximum: float | None = None) -> float:
    """``value`` as a finite float > 0 (>= 0 with ``allow_zero``), at most ``maximum`` when given."""
    return number(value, name, minimum=0.0, maximum=maximum, strict=not allow_zero)


def whole_number(value: object, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as an int (a Python or numpy integer, not a bool) within ``[minimum, maximum]``."""
    bounds = _bounds_text(minimum, maximum, False)
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or (minimum is not None and value < minimum)
        or (maximum is not None and value > maximum)
    ):
        raise SettingsError(f"{name} must be an integer {bounds}, got {value!r}.".replace("  ", " "))
    return int(value)


def sample_rate(value: object, name: str = "sample_rate") -> int:
    """``value`` as a whole number of Hz > 0 (an integral float such as 16000.0 is accepted)."""
    wanted = f"{name} must be a whole number of Hz > 0, got {value!r}."
    if isinstance(value, bool):
        raise SettingsError(wanted)
    try:
        rate = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SettingsError(wanted) from None
    if not math.isfinite(rate) or rate <= 0 or rate != round(rate):
        raise SettingsError(wanted)
    return round(rate)


def frame_rate(value: object, name: str = "fps", error: type[Exception] = SettingsError) -> float:
    """``value`` as a frame rate in [:data:`MIN_FPS`, :data:`MAX_FPS`] frames per second."""
    return number(value, f"{name} (frames per second)", minimum=MIN_FPS, maximum=MAX_FPS, error=error)


def frame_number(value: object, name: str = "frame", error: type[Exception] = SettingsError) -> int:
    """``value`` as a scene frame number (an integer, or an integral float) in [-MAX_FRAME, MAX_FRAME]."""
    wanted = f"{name} must be a whole frame number between {-MAX_FRAME} and {MAX_FRAME}, got {value!r}."
    if isinstance(value, bool):
        raise error(wanted)
    if isinstance(value, (int, np.integer)):
        frame = int(value)
    else:
        try:
            as_float = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise error(wanted) from None
        if not math.isfinite(as_float) or as_float != round(as_float):
            raise error(wanted)
        frame = round(as_float)
    if not -MAX_FRAME <= frame <= MAX_FRAME:
        raise error(wanted)
    return frame


def frame_count(frames: object, name: str = "the number of frames", error: type[Exception] = SettingsError) -> int:
    """``frames`` as a whole number of frames in [1, :data:`MAX_FRAMES`]."""
    if isinstance(frames, (float, np.floating)) and math.isfinite(frames) and frames == round(frames):
        frames = round(frames)
    if isinstance(frames, bool) or not isinstance(frames, (int, np.integer)) or not 1 <= frames <= MAX_FRAMES:
        raise error(f"{name} must be a whole number of frames between 1 and {MAX_FRAMES}, got {frames!r}.")
    return int(frames)


def frames_for(duration_s: float, fps: float, name: str, error: type[Exception] = SettingsError) -> int:
    """Frames needed for ``duration_s`` seconds at ``fps`` (rounded up), checked against :data:`MAX_FRAMES`
    BEFORE anything that size is allocated; the error names the duration, the rate and the limit."""
    seconds = number(duration_s, f"{name} duration (seconds)", minimum=0.0, error=error)
    rate = frame_rate(fps, error=error)
    frames = seconds * rate
    if frames > MAX_FRAMES:
        raise error(
            f"{name} lasts {seconds:g} s: at {rate:g} fps that is {frames:.0f} frames, more than the "
            f"{MAX_FRAMES} frames one track may hold (about {MAX_FRAMES / rate / 3600.0:.1f} h at this rate)."
        )
    return max(1, math.ceil(frames - 1e-9))
