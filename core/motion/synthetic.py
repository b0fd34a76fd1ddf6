"""Synthetic head motion: smooth, non-repeating yaw/pitch/roll curves calmed during silence.

Model, per axis and independently for yaw, pitch and roll (all angles in DEGREES, times in SECONDS)::

    angle(t) = bias + intensity * weight(t) * (A(t) * sin(phase(t)) + jitter_deg * j(t))

* The time line is cut into movement segments of random duration (``segment_s``). At every segment
  boundary a new amplitude (uniform in ``amplitude_deg``) and a new period (log-uniform in
  ``period_s``) are drawn. Inside a segment, amplitude A and frequency f move from the values at its
  start to those at its end along a smootherstep easing of NORMALISED segment time u = 0..1, whose
  first and second derivatives vanish at u = 0 and 1; the phase is the exact integral of f. The curve
  therefore has continuous angle, velocity and acceleration everywhere, including the joins, and no
  fixed rhythm.
* ``j(t)`` is unit-std Gaussian noise low-passed at ``jitter_cutoff_hz`` (micro-movements), never
  white per-frame noise; it is built on its own time grid and is C2 as well.
* silence slows the motion's clock to ``silence_floor`` of its pace (time constant ``settle_s``), so the
  head holds its pose in a pause instead of swinging back; and ``weight(t)`` = ``silence_floor + (1 -
  silence_floor) * settle_weights(speech, rest_s)`` eases the amplitude toward the rest pose over
  longer pauses (time constant ``rest_s``), so the head settles toward
  its rest pose (``bias``) instead of snapping. ``speech=None`` means speaking throughout.

Everything above is a function of time in seconds, evaluated at ``t = i / fps``: the same seed gives
the same curve at 23.976, 25, 29.97 or 60 fps (only the sampling differs), and a longer clip starts
with exactly the motion of a shorter one. Random numbers come from ``numpy.random.default_rng`` seeded
with ``(seed, axis, stream)``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from ..checks import (
    MAX_AMPLITUDE_DEG,
    MAX_FACTOR,
    MAX_JITTER_DEG,
    MAX_PERIOD_S,
    MAX_SEED,
    MAX_TIME_CONSTANT_S,
    frame_count,
    frame_number,
    frame_rate,
    number,
)
from ..errors import SettingsError
from ..filters import bspline_cubic, gaussian_sigma_s, lowpass_noise
from ..track import PoseTrack
from .silence import settle_weights

#: Jitter knots per second = this x the jitter cut-off; the knots are joined by a cubic B-spline.
_KNOTS_PER_CUTOFF = 12.0
#: Shortest movement segment allowed (seconds): shorter ones make jerky motion and huge arrays.
MIN_SEGMENT_S = 0.1
#: Highest jitter cut-off allowed (Hz): faster "jitter" is not head motion.
MAX_JITTER_CUTOFF_HZ = 10.0
#: Bounds of the settings (degrees, seconds, factors) are those of :mod:`core.checks`; lengths are checked in
#: frames (:data:`core.checks.MAX_FRAMES`) before anything is allocated.

_AXES = ("yaw", "pitch", "roll")
# Random stream ids within one axis, so each quantity's draws do not depend on how many others were drawn.
_STREAM_SEGMENTS, _STREAM_AMPLITUDE, _STREAM_PERIOD, _STREAM_PHASE, _STREAM_JITTER = range(5)


@dataclass(frozen=True)
class AxisMotion:
    """Oscillation of one axis: ``amplitude_deg`` (degrees) and ``period_s`` (seconds) are (low, high)
    ranges sampled anew for every movement segment; ``bias_deg`` is the rest angle the axis moves around."""

    amplitude_deg: tuple[float, float]
    period_s: tuple[float, float]
    bias_deg: float = 0.0


@dataclass(frozen=True)
class SyntheticSettings:
    """Settings of :func:`generate_synthetic`; the defaults are the CONVERSATIONAL preset.

    ``segment_s``: (low, high) duration of one movement segment in seconds. ``jitter_deg``: std of the
    low-pass micro-movement in degrees, ``jitter_cutoff_hz`` its -3 dB cut-off. ``settle_s``: time
    constant (seconds) with which the motion slows down when speech stops (and picks up before it
    resumes). ``silence_floor``: pace and amplitude kept during silence (0..1): the movements run at this
    fraction of their speed, so the head holds its pose instead of swinging back. ``rest_s``: time
    constant (seconds) of the slower drift of the amplitude toward ``silence_floor``, i.e. of the ease
    toward the rest pose during long pauses. ``intensity``: scales amplitudes and jitter linearly (0 = rest
    pose only, 1 = as set). ``seed``: integer >= 0; same seed, same motion.
    """

    yaw: AxisMotion = field(default_factory=lambda: AxisMotion((1.2, 9.0), (1.8, 4.5)))
    pitch: AxisMotion = field(default_factory=lambda: AxisMotion((1.0, 5.0), (1.2, 3.5)))
    roll: AxisMotion = field(default_factory=lambda: AxisMotion((0.8, 4.5), (1.8, 4.5)))
    segment_s: tuple[float, float] = (1.5, 4.0)
    jitter_deg: float = 0.55
    jitter_cutoff_hz: float = 1.5
    settle_s: float = 0.25
    silence_floor: float = 0.1
    rest_s: float = 1.5
    intensity: float = 1.0
    seed: int = 0

    def validate(self) -> SyntheticSettings:
        """Raise :class:`SettingsError` naming the first bad field; return ``self``."""
        for name in _AXES:
            axis = getattr(self, name)
            if not isinstance(axis, AxisMotion):
                raise SettingsError(f"{name} must be an AxisMotion, got {type(axis).__name__}.")
            _check_range(axis.amplitude_deg, f"{name} amplitude (degrees)", 0.0, MAX_AMPLITUDE_DEG)
            _check_range(axis.period_s, f"{name} period (seconds)", 1e-3, MAX_PERIOD_S, strict=True)
            number(axis.bias_deg, f"{name} bias (degrees)", -MAX_AMPLITUDE_DEG, MAX_AMPLITUDE_DEG)
        _check_range(self.segment_s, "segment duration (seconds)", MIN_SEGMENT_S, MAX_TIME_CONSTANT_S)
        number(self.jitter_deg, "jitter (degrees)", minimum=0.0, maximum=MAX_JITTER_DEG)
        cutoff = number(self.jitter_cutoff_hz, "jitter cut-off (Hz)", minimum=0.0)
        if cutoff <= 0.0 or cutoff > MAX_JITTER_CUTOFF_HZ:
            raise SettingsError(f"jitter cut-off must be > 0 and <= {MAX_JITTER_CUTOFF_HZ} Hz, got {cutoff}.")
        number(self.settle_s, "settle time (seconds)", minimum=0.0, maximum=MAX_TIME_CONSTANT_S)
        number(self.rest_s, "rest time (seconds)", minimum=0.0, maximum=MAX_TIME_CONSTANT_S)
        floor = number(self.silence_floor, "silence floor", minimum=0.0)
        if floor > 1.0:
            raise SettingsError(f"silence floor is a fraction of the motion and must be <= 1, got {floor}.")
        number(self.intensity, "intensity", minimum=0.0, maximum=MAX_FACTOR)
        if (isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer))
                or not 0 <= self.seed <= MAX_SEED):
            raise SettingsError(f"seed must be an integer between 0 and {MAX_SEED}, got {self.seed!r}.")
        return self




def _check_range(value: tuple[float, float], name: str, minimum: float, maximum: float,
                 strict: bool = False) -> None:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise SettingsError(f"{name} must be a (low, high) pair, got {value!r}.")
    low = number(value[0], f"{name} low", minimum, maximum)
    high = number(value[1], f"{name} high", minimum, maximum)
    if strict and low <= 0.0:
        raise SettingsError(f"{name} low must be > 0, got {low}.")
    if low > high:
        raise SettingsError(f"{name} range is reversed: low {low} > high {high}.")


PRESETS: dict[str, SyntheticSettings] = {
    "CALM": SyntheticSettings(
        yaw=AxisMotion((0.5, 4.5), (3.0, 7.0)),
        pitch=AxisMotion((0.4, 2.5), (2.0, 5.0)),
        roll=AxisMotion((0.3, 2.2), (3.0, 7.0)),
        segment_s=(2.5, 6.0),
        jitter_deg=0.2,
        jitter_cutoff_hz=1.2,
        settle_s=0.35,
        rest_s=2.0,
    ),
    "CONVERSATIONAL": SyntheticSettings(),
    "ANIMATED": SyntheticSettings(
        yaw=AxisMotion((2.0, 13.0), (1.6, 4.0)),
        pitch=AxisMotion((1.2, 7.0), (1.0, 3.0)),
        roll=AxisMotion((1.0, 6.0), (1.6, 4.0)),
        segment_s=(1.0, 3.0),
        jitter_deg=0.5,
        jitter_cutoff_hz=2.0,
        settle_s=0.25,
        silence_floor=0.15,
    ),
    "LISTENING": SyntheticSettings(
        yaw=AxisMotion((0.3, 1.8), (3.0, 7.0)),
        pitch=AxisMotion((0.6, 3.0), (1.0, 2.5)),
        roll=AxisMotion((0.3, 1.5), (3.0, 7.0)),
        segment_s=(1.5, 4.0),
        jitter_deg=0.15,
        jitter_cutoff_hz=1.2,
        settle_s=0.35,
        rest_s=2.0,
    ),
}

PRESET_DESCRIPTIONS: dict[str, str] = {
    "CALM": "Slow, small movements of a composed speaker (about half the conversational motion).",
    "CONVERSATIONAL": "Everyday talking, tuned to real speakers: turns of a few degrees, nods, slight tilts.",
    "ANIMATED": "Lively, expressive speaker: larger and quicker turns, nods and tilts.",
    "LISTENING": "Attentive listener: mostly small nods, little turning or tilting.",
}

DEFAULT_PRESET = "CONVERSATIONAL"


def preset_settings(name: str, intensity: float = 1.0, seed: int = 0) -> SyntheticSettings:
    """Settings of preset ``name`` (a key of :data:`PRESETS`, any case) with ``intensity`` and ``seed``."""
    key = str(name).strip().upper()
    if key not in PRESETS:
        raise SettingsError(f"Unknown motion preset {name!r}; choose one of {', '.join(PRESETS)}.")
    return replace(PRESETS[key], intensity=intensity, seed=seed).validate()


def _plain(value):
    """``value`` with tuples as lists and numpy scalars as Python numbers, i.e. as JSON reads it back."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value.item() if isinstance(value, np.generic) else value


def _smootherstep(u: np.ndarray) -> np.ndarray:
    """6u^5 - 15u^4 + 10u^3: eases 0 -> 1 over u in [0, 1] with zero slope and curvature at both ends."""
    return u * u * u * (10.0 + u * (-15.0 + 6.0 * u))


def _smootherstep_integral(u: np.ndarray) -> np.ndarray:
    """Integral of :func:`_smootherstep` from 0 to u (1/2 at u = 1)."""
    u2 = u * u
    return u2 * u2 * (2.5 + u * (-3.0 + u))


def _axis_oscillation(
    t: np.ndarray, axis: AxisMotion, segment_s: tuple[float, float], seed: tuple
) -> np.ndarray:
    """A(t) sin(phase(t)) in degrees at times ``t`` (seconds, >= 0, increasing) for one axis."""
    seg_lo, seg_hi = float(segment_s[0]), float(segment_s[1])
    n_seg = math.ceil((float(t[-1]) + seg_hi) / seg_lo) + 2
    rng = np.random.default_rng([*seed, _STREAM_SEGMENTS])
    first_offset = rng.random()
    durations = rng.uniform(seg_lo, seg_hi, n_seg)
    # Start inside the first segment so the axes (and seeds) do not all change course at t = 0.
    bounds = np.concatenate([[0.0], np.cumsum(durations)]) - first_offset * durations[0]
    amp = np.random.default_rng([*seed, _STREAM_AMPLITUDE]).uniform(*axis.amplitude_deg, n_seg + 1)
    log_p = np.log(np.asarray(axis.period_s, dtype=np.float64))
    freq = np.exp(-np.random.default_rng([*seed, _STREAM_PERIOD]).uniform(log_p[0], log_p[1], n_seg + 1))
    phase0 = np.random.default_rng([*seed, _STREAM_PHASE]).uniform(0.0, 2.0 * math.pi)

    # Cycles completed at each boundary: integral of f over a whole segment is d * (f0 + f1) / 2.
    cycles_at = np.concatenate([[0.0], np.cumsum(durations * 0.5 * (freq[:-1] + freq[1:]))])

    # Segment index of every frame (t is increasing, so a repeat of per-segment counts suffices).
    first = np.searchsorted(t, bounds[1:-1], side="right")
    k = np.repeat(np.arange(n_seg), np.diff(np.concatenate([[0], first, [len(t)]])))
    u = t - bounds[k]
    u *= (1.0 / durations)[k]
    np.clip(u, 0.0, 1.0, out=u)
    # Phase (in cycles): f eases from f0 to f1, its integral uses the integral of the easing.
    cycles = _smootherstep_integral(u)
    cycles *= (durations * np.diff(freq))[k]
    cycles += u * (durations * freq[:-1])[k]
    cycles += cycles_at[k]
    cycles *= 2.0 * math.pi
    cycles += phase0
    motion = np.sin(cycles, out=cycles)
    amplitude = _smootherstep(u)
    amplitude *= np.diff(amp)[k]
    amplitude += amp[:-1][k]
    motion *= amplitude
    return motion


def _axis_jitter(t: np.ndarray, cutoff_hz: float, seed: tuple) -> np.ndarray:
    """Unit-std low-pass noise at times ``t`` (seconds), defined on a time grid independent of fps.

    Gaussian low-pass knots (:func:`lowpass_noise`) at ``_KNOTS_PER_CUTOFF x cutoff`` per second are
    joined by a cubic B-spline, which keeps acceleration continuous (C2) and barely filters further
    (power x 0.91 at the cut-off). The result is rescaled by the B-spline's variance for Gaussian-
    correlated knots, so its std is 1 (within ~0.1 %, whatever the sub-knot position).
    """
    rate = _KNOTS_PER_CUTOFF * cutoff_hz
    n_knots = math.ceil(float(t[-1]) * rate) + 4
    knots = lowpass_noise(n_knots, rate, cutoff_hz, np.random.default_rng([*seed, _STREAM_JITTER]))
    # Knot correlation at lag d: exp(-d^2 / (4 sigma^2)); B-spline weights at a knot: (1, 4, 1) / 6.
    sigma_knots = gaussian_sigma_s(cutoff_hz) * rate
    rho1, rho2 = (math.exp(-(d * d) / (4.0 * sigma_knots**2)) for d in (1.0, 2.0))
    variance = (18.0 + 16.0 * rho1 + 2.0 * rho2) / 36.0
    jitter = bspline_cubic(knots, t * rate + 1.0)
    jitter *= 1.0 / math.sqrt(variance)
    return jitter


def generate_synthetic(
    n_frames: int,
    fps: float,
    settings: SyntheticSettings | None = None,
    speech: np.ndarray | None = None,
    start_frame: int = 1,
) -> PoseTrack:
    """Generate ``n_frames`` frames of head motion at ``fps`` frames per second.

    ``settings`` defaults to the CONVERSATIONAL preset. ``speech`` is an optional per-frame weight in
    [0, 1] (1 = speaking; e.g. from :func:`core.motion.silence.speech_from_lip_signal`); None = speaking
    throughout. Returns a :class:`PoseTrack` (degrees) starting at ``start_frame`` that carries the
    speech mask and, in ``meta``, the settings used. Raises :class:`SettingsError` for n_frames < 1,
    fps <= 0 or non-finite, invalid settings, or a speech mask of the wrong length or range.
    """
    settings = SyntheticSettings() if settings is None else settings
    if not isinstance(settings, SyntheticSettings):
        raise SettingsError(f"settings must be SyntheticSettings, got {type(settings).__name__}.")
    settings.validate()
    n_frames = frame_count(n_frames)
    fps = frame_rate(fps)
    start_frame = frame_number(start_frame, "start_frame")
    mask = None
    if speech is not None:
        try:
            mask = np.array(speech, dtype=np.float64)
        except (TypeError, ValueError):
            raise SettingsError("The speech mask must be a sequence of numbers between 0 and 1.") from None
        if mask.shape != (n_frames,):
            raise SettingsError(
                f"The speech mask needs one value per frame ({n_frames}), got shape {mask.shape}."
            )

    t = np.arange(n_frames, dtype=np.float64) / fps
    scale = float(settings.intensity)
    if mask is None:
        gain = np.full(n_frames, scale)
    else:
        # Silence slows the motion's own clock (the head holds its pose instead of swinging back to
        # rest, which would itself be motion) and, more slowly, shrinks it toward the rest pose.
        floor = float(settings.silence_floor)
        pace = floor + (1.0 - floor) * settle_weights(mask, fps, settings.settle_s)  # validates the mask
        t = np.concatenate([[0.0], np.cumsum(0.5 * (pace[1:] + pace[:-1]))]) / fps
        gain = scale * (floor + (1.0 - floor) * settle_weights(mask, fps, settings.rest_s))

    angles = {}
    for index, name in enumerate(_AXES):
        axis: AxisMotion = getattr(settings, name)
        seed = (int(settings.seed), index)
        motion = _axis_oscillation(t, axis, settings.segment_s, seed)
        if settings.jitter_deg > 0.0:
            motion += float(settings.jitter_deg) * _axis_jitter(t, float(settings.jitter_cutoff_hz), seed)
        angles[name] = float(axis.bias_deg) + gain * motion

    meta = {"source": "synthetic", "settings": _plain(asdict(settings))}
    return PoseTrack(angles["yaw"], angles["pitch"], angles["roll"], fps, int(start_frame), mask, meta)
