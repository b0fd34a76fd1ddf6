"""Speech/silence mask from a lip signal, and the "settle" weight that calms the head in silence.

Following the seed method: lips that do not move mean the speaker is silent. The per-frame speed of a
lip signal is thresholded (1 = lips moving = speaking), short pauses are bridged, and the binary mask
is smoothed with a moving average so it ramps between 0 and 1. :func:`settle_weights` then turns such
a mask into a smooth weight on the head motion, so the head eases toward its rest pose when the
speaker stops instead of snapping.

Units: ``fps`` in frames per second, every duration (``*_s``) in seconds; masks and weights are
per-frame floats in [0, 1] where 1 means speaking.
"""

from __future__ import annotations

import math

import numpy as np

from ..checks import positive_number
from ..errors import SettingsError, TrackError
from ..filters import causal_filter, moving_average

#: Adaptive threshold = ADAPTIVE_FRACTION x the ADAPTIVE_PERCENTILE-th percentile of the lip speed.
#: A high percentile (not the maximum) ignores single-frame detector glitches, and still lands inside
#: speech when only a few percent of the clip is speech.
ADAPTIVE_PERCENTILE = 99.0
ADAPTIVE_FRACTION = 0.15

#: Width of the soft maximum joining the release and attack responses in :func:`settle_weights`.
_SOFT_MAX_WIDTH = 0.05


def _check_fps(fps: float) -> float:
    return positive_number(fps, "fps")


def _check_seconds(value: float, name: str) -> float:
    value = float(value)
    if not math.isfinite(value) or value < 0.0:
        raise SettingsError(f"{name} must be a finite number of seconds >= 0, got {value!r}.")
    return value


def lip_speed(signal: np.ndarray, fps: float) -> np.ndarray:
    """Per-frame speed of a lip signal in signal units per SECOND (so independent of the frame rate).

    ``signal`` has time on axis 0: (N,) such as the lip gap per frame, or (N, K, ...) such as lip
    keypoints; the speed is the Euclidean norm of the central-difference derivative over all
    non-time axes. Pass a quantity that does not move with the head (e.g. the lip gap divided by the
    face size), otherwise head motion reads as speech.
    """
    fps = _check_fps(fps)
    x = np.asarray(signal, dtype=np.float64)
    if x.ndim == 0 or x.shape[0] == 0:
        raise TrackError("The lip signal is empty: it needs one value (or one set of keypoints) per frame.")
    x = x.reshape(x.shape[0], -1)
    bad = ~np.isfinite(x).all(axis=1)
    if bad.any():
        raise TrackError(
            f"The lip signal holds NaN/inf values, first at frame index {int(np.argmax(bad))}; "
            "fill gaps (e.g. by interpolation) before detecting silence."
        )
    if x.shape[0] < 2:
        return np.zeros(x.shape[0])
    velocity = np.gradient(x, axis=0)
    return np.sqrt(np.sum(velocity * velocity, axis=1)) * fps


def adaptive_threshold(speed: np.ndarray) -> float:
    """Speed threshold scaled to the signal: a fraction of a high percentile of ``speed``.

    Returns 0 for an all-zero speed (a constant lip signal), so a strict ``speed > threshold``
    comparison then marks every frame silent without any division.
    """
    speed = np.asarray(speed, dtype=np.float64)
    if speed.size == 0:
        return 0.0
    return ADAPTIVE_FRACTION * float(np.percentile(speed, ADAPTIVE_PERCENTILE))


def _close_gaps(mask: np.ndarray, width: int) -> np.ndarray:
    """Morphological closing of a 0/1 mask: bridges runs of zeros shorter than ``width`` frames."""
    if width < 2:
        return mask
    dilated = (moving_average(mask, width) > 1e-9).astype(np.float64)
    return (moving_average(dilated, width) > 1.0 - 1e-9).astype(np.float64)


def speech_from_lip_signal(
    signal: np.ndarray,
    fps: float,
    threshold: float | None = None,
    smooth_s: float = 0.2,
    hold_s: float = 0.3,
) -> np.ndarray:
    """Per-frame speech mask (N,) in [0, 1], 1 = speaking, from a lip signal.

    Steps: lip speed per second (:func:`lip_speed`); speaking where speed > ``threshold`` (signal units
    per second; ``None`` = :func:`adaptive_threshold`, which works for any signal scale); silent
    gaps shorter than ``hold_s`` seconds are bridged (the lips pass through still points within a
    syllable and between words); finally a centred moving average of ``smooth_s`` seconds turns the
    0/1 mask into ramps. A constant signal gives all zeros; a single frame gives [0].

    The adaptive threshold assumes the clip holds some speech: on a clip of pure silence it scales
    down to the tracking noise. Pass an explicit ``threshold`` when that can happen.
    """
    fps = _check_fps(fps)
    smooth_s = _check_seconds(smooth_s, "smooth_s")
    hold_s = _check_seconds(hold_s, "hold_s")
    speed = lip_speed(signal, fps)
    if threshold is None:
        limit = adaptive_threshold(speed)
    else:
        limit = float(threshold)
        if not math.isfinite(limit) or limit < 0.0:
            raise SettingsError(f"threshold must be a finite speed >= 0, got {threshold!r}.")
    mask = (speed > limit).astype(np.float64)
    mask = _close_gaps(mask, round(hold_s * fps) + 1)
    mask = moving_average(mask, max(1, round(smooth_s * fps)))
    return np.clip(mask, 0.0, 1.0)


def _settle_kernel(tau_frames: float, n_frames: int | None = None) -> np.ndarray:
    """Causal kernel of two cascaded first-order lags of tau/2 each: h(t) ~ t exp(-2 t / tau).

    Its step response starts with zero slope (no kink) and is ~60 % of the way after ``tau``;
    sampled at frame centres, cut after 6 tau, normalised to sum 1. For a signal of ``n_frames``
    frames the taps from ``n_frames - 1`` on all weigh the held first value, so they are summed into
    that one tap (in closed form): the kernel's memory follows the signal, not ``tau``.
    """
    if tau_frames < 0.25:
        return np.ones(1)
    last = math.ceil(6.0 * tau_frames)  # taps 0..last
    if n_frames is None or last < n_frames:
        t = np.arange(last + 1, dtype=np.float64) + 0.5
        kernel = t * np.exp(-2.0 * t / tau_frames)
        return kernel / kernel.sum()
    q = math.exp(-2.0 / tau_frames)

    def tail(k: int) -> float:  # sum over j >= k of (j + 0.5) q^(j + 0.5)
        return q ** (k + 0.5) * ((k + 0.5) / (1.0 - q) + q / (1.0 - q) ** 2)

    keep = max(1, int(n_frames))
    t = np.arange(keep, dtype=np.float64) + 0.5
    kernel = t * np.exp(-2.0 * t / tau_frames)
    kernel[-1] = tail(keep - 1) - tail(last + 1)
    return kernel / (tail(0) - tail(last + 1))


def settle_weights(
    speech: np.ndarray, fps: float, settle_s: float, attack_s: float | None = None
) -> np.ndarray:
    """Smooth per-frame motion weight (N,) in [0, 1] from a speech mask (N,) in [0, 1].

    When speech stops the weight eases toward 0 with time constant ``settle_s`` seconds (release,
    causal: the head keeps moving a moment, then calms). Before speech resumes it rises with time
    constant ``attack_s`` (default ``settle_s / 2``), anticipating the onset the way people start to
    move just before they talk (the clip is processed offline, so the future is known). The two
    responses are joined by a soft maximum, so the weight and its slope stay continuous. A constant
    mask passes unchanged; ``settle_s = 0`` and ``attack_s = 0`` return a copy of the mask.
    """
    fps = _check_fps(fps)
    settle_s = _check_seconds(settle_s, "settle_s")
    attack_s = settle_s / 2.0 if attack_s is None else _check_seconds(attack_s, "attack_s")
    w = np.asarray(speech, dtype=np.float64)
    if w.ndim != 1:
        raise SettingsError(f"the speech mask must be 1-D (one value per frame), got shape {w.shape}.")
    if not np.isfinite(w).all() or (w.size and (w.min() < 0.0 or w.max() > 1.0)):
        raise SettingsError("speech mask values must be finite and between 0 (silent) and 1 (speaking).")
    if settle_s * fps < 0.25 and attack_s * fps < 0.25:  # both kernels are a single tap
        return w.copy()
    release = causal_filter(w, _settle_kernel(settle_s * fps, len(w)))
    attack = causal_filter(w, _settle_kernel(attack_s * fps, len(w)), reverse=True)
    diff = release - attack
    # Soft maximum: between (a + b) / 2 and max(a, b), equal to both when a == b; C-infinity.
    soft = 0.5 * (release + attack + np.sqrt(diff * diff + _SOFT_MAX_WIDTH**2) - _SOFT_MAX_WIDTH)
    return np.clip(soft, 0.0, 1.0)
