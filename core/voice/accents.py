"""Speech accents: find stressed syllables in the audio and punctuate the head motion with small nods.

* :func:`onset_strength`: spectral flux per video frame. A 40-band log-mel spectrogram every 10 ms
  (32-ms Hann windows); the flux at step j is the mean over bands of the RISE in dB since step j - 2
  (20 ms earlier), negative changes ignored; a video frame takes the largest flux of the 10-ms steps
  nearest to it.
* :func:`accent_frames`: stressed syllables = peaks of ``onset x loudness`` inside speech, where the
  loudness is the largest band amplitude (100-4000 Hz) in the ``lookahead_s`` after the onset (the
  vowel that follows it). Both factors are divided by their 95th percentile over speech, so the result
  does not depend on the recording level. Peaks below ``threshold`` x the 90th percentile of all the
  peaks' scores are ignored (unstressed syllables); the rest are taken strongest first, at least
  ``min_spacing_s`` apart.
* :func:`add_accents`: at every accent a small nod (pitch down and back up) that rests for a moment at
  its lowest point (the apex) centred on the accent frame, sometimes with a tiny yaw flick of the same
  timing, and a brief slowing of the underlying motion ("a stop") around the accent. Together they give
  the head a speed minimum on the beat, which is what listeners perceive as motion in time with speech
  (and what the Beat Align Score of :mod:`core.metrics` rewards: about 0.6 -> 0.9 on the synthetic
  generator's motion with the default settings).

Frames are 0-based video-frame indices from the first audio sample (frame k at k / fps seconds), i.e.
indices into a :class:`~core.track.PoseTrack`'s arrays; angles are in degrees, durations in seconds.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..checks import positive_number
from ..errors import SettingsError
from ..track import PoseTrack
from .features import FrameStream, frame_count, mel_filterbank, power_to_db
from .source import clip_blocks
from .vad import VadConfig, band_energy_db, speech_mask_from_energy

#: Onset analysis: step and window (seconds), mel bands, flux lag (steps).
ONSET_HOP_S = 0.01
ONSET_WINDOW_S = 0.032
ONSET_MELS = 40
ONSET_LAG = 2
#: Log-mel values are floored this far below the clip's maximum (dB), so digital silence does not
#: make phrase starts look like enormous onsets.
ONSET_RANGE_DB = 80.0
#: Fraction of a nod (and of a yaw flick) spent moving toward the apex; the rest returns.
_ATTACK_FRACTION = 0.45




def _per_video_frame_max(values: np.ndarray, step_rate: float, fps: float, n_frames: int) -> np.ndarray:
    """Max of ``values`` (one per 1/step_rate s) over the steps nearest to each video frame (0 past the end).

    Frame k (time k / fps) covers the steps whose times fall within half a frame of it, and at least
    the single nearest step.
    """
    out = np.zeros(n_frames)
    if len(values) == 0 or n_frames == 0:
        return out
    ratio = step_rate / fps
    k = np.arange(n_frames, dtype=np.float64)
    nearest = np.floor(k * ratio + 0.5).astype(np.int64)
    lo = np.minimum(np.maximum(np.floor((k - 0.5) * ratio + 0.5).astype(np.int64), 0), nearest)
    hi = np.minimum(np.maximum(np.floor((k + 0.5) * ratio + 0.5).astype(np.int64), nearest + 1), len(values))
    valid = nearest < len(values)
    if not valid.any():
        return out
    lo, hi = lo[valid], hi[valid]
    width = int((hi - lo).max())
    index = lo[:, None] + np.arange(width)[None, :]
    gathered = np.where(index < hi[:, None], values[np.minimum(index, len(values) - 1)], -np.inf)
    out[valid] = gathered.max(axis=1)
    return out


def _then(pieces, last):
    """The items of ``pieces``, then ``last()`` (called only after ``pieces`` is exhausted)."""
    yield from pieces
    yield last()


def onset_strength(
    samples: Any, sample_rate: int | None = None, fps: float = 25.0, n_frames: int | None = None
) -> np.ndarray:
    """Spectral-flux onset strength per video frame (n_frames,), in dB of rise (>= 0).

    ``samples``: mono audio at ``sample_rate`` Hz, or a voice clip (:mod:`core.voice.source`), read block by
    block. ``n_frames`` defaults to ``ceil(duration * fps)``.
    """
    fps = positive_number(fps, "fps")
    blocks, n_samples, rate = clip_blocks(samples, sample_rate)
    total = frame_count(n_samples, rate, fps) if n_frames is None else int(n_frames)
    n_fft = max(16, round(ONSET_WINDOW_S * rate))
    bank = mel_filterbank(rate, n_fft, ONSET_MELS, 30.0, min(8000.0, rate / 2.0)).T
    stream = FrameStream(rate, 1.0 / ONSET_HOP_S, n_fft, lambda power: power_to_db(power @ bank))
    # Rows kept as int16 hundredths of a dB (80 bytes per 10 ms, 29 MB an hour; rounding <= 0.005 dB), then the
    # flux computed chunk by chunk: memory does not hold the log-mel rows in float64.
    logmel = np.empty((frame_count(n_samples, rate, 1.0 / ONSET_HOP_S), ONSET_MELS), dtype=np.int16)
    done = 0
    pieces = (stream.push(block) for block in blocks())
    for rows in _then(pieces, stream.finish):
        if done + len(rows) > len(logmel):  # (never: the count above is the stream's own)
            extra = np.empty((done + len(rows) - len(logmel), ONSET_MELS), np.int16)
            logmel = np.concatenate([logmel[:done], extra])
        logmel[done : done + len(rows)] = np.round(np.clip(rows, -327.0, 327.0) * 100.0)
        done += len(rows)
    logmel = logmel[:done]
    if len(logmel) == 0:
        return np.zeros(total)
    floor = int(logmel.max()) - round(ONSET_RANGE_DB * 100.0)
    flux = np.zeros(len(logmel))
    chunk = 1 << 14
    for start in range(ONSET_LAG, len(logmel), chunk):
        stop = min(start + chunk, len(logmel))
        now = np.maximum(logmel[start:stop], floor, dtype=np.float64)
        before = np.maximum(logmel[start - ONSET_LAG : stop - ONSET_LAG], floor, dtype=np.float64)
        flux[start:stop] = np.maximum(0.0, now - before).mean(axis=1) / 100.0
    return _per_video_frame_max(flux, 1.0 / ONSET_HOP_S, fps, total)


def accent_frames(
    samples: Any,
    sample_rate: int | None = None,
    fps: float = 25.0,
    speech_mask: np.ndarray | None = None,
    n_frames: int | None = None,
    min_spacing_s: float = 0.3,
    threshold: float = 0.5,
    lookahead_s: float = 0.15,
    vad_config: VadConfig | None = None,
) -> np.ndarray:
    """Video-frame indices (sorted int64) of stressed syllables.

    ``speech_mask`` (n_frames,) in [0, 1] limits accents to frames >= 0.5; ``None`` runs the energy VAD
    (:mod:`core.voice.vad`, ``vad_config``) on the same audio. ``min_spacing_s``: least time between two
    accents (seconds). ``threshold``: weakest accent kept, as a fraction of the 90th percentile of the
    scores of all peaks in speech (0 keeps every peak). ``lookahead_s``: how far after an onset its
    syllable's loudness is looked for (seconds). Silence (or no speech) gives an empty array.
    """
    fps = positive_number(fps, "fps")
    _, n_samples, rate = clip_blocks(samples, sample_rate)
    total = frame_count(n_samples, rate, fps) if n_frames is None else int(n_frames)
    for name, value in (("min_spacing_s", min_spacing_s), ("threshold", threshold), ("lookahead_s", lookahead_s)):
        if not math.isfinite(float(value)) or float(value) < 0.0:
            raise SettingsError(f"{name} must be a finite number >= 0, got {value!r}.")
    vad_config = (vad_config or VadConfig()).validate()
    energy_db = band_energy_db(samples, sample_rate, vad_config)
    if speech_mask is None:
        speech = speech_mask_from_energy(energy_db, fps, total, vad_config) >= 0.5
    else:
        mask = np.asarray(speech_mask, dtype=np.float64)
        if mask.shape != (total,):
            raise SettingsError(f"speech_mask needs one value per frame ({total}), got shape {mask.shape}.")
        speech = mask >= 0.5
    if total == 0 or not speech.any():
        return np.zeros(0, dtype=np.int64)

    onset = onset_strength(samples, sample_rate, fps, total)
    amplitude = _per_video_frame_max(10.0 ** (energy_db / 20.0), 1.0 / vad_config.hop_s, fps, total)
    ahead = max(1, round(lookahead_s * fps) + 1)
    padded = np.concatenate([amplitude, np.zeros(ahead - 1)])
    loudness = np.lib.stride_tricks.sliding_window_view(padded, ahead).max(axis=1)

    def normalised(values: np.ndarray) -> np.ndarray:
        scale = float(np.percentile(values[speech], 95.0))
        return values / scale if scale > 0.0 else np.zeros_like(values)

    score = normalised(onset) * normalised(loudness)
    score[~speech] = 0.0
    left = np.concatenate([[-np.inf], score[:-1]])
    right = np.concatenate([score[1:], [-np.inf]])
    peaks = np.flatnonzero((score > left) & (score >= right) & speech & (score > 0.0))
    if len(peaks) == 0:
        return np.zeros(0, dtype=np.int64)
    peaks = peaks[score[peaks] >= threshold * float(np.percentile(score[peaks], 90.0))]
    spacing = min_spacing_s * fps
    chosen: list[int] = []
    for index in peaks[np.argsort(-score[peaks], kind="stable")]:
        if all(abs(int(index) - other) >= spacing for other in chosen):
            chosen.append(int(index))
    return np.array(sorted(chosen), dtype=np.int64)


def _smootherstep(x: np.ndarray) -> np.ndarray:
    """0 -> 1 on x = 0..1 with zero velocity and acceleration at both ends (6x^5 - 15x^4 + 10x^3)."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * x * (x * (6.0 * x - 15.0) + 10.0)


def accent_bump(
    t: np.ndarray, apex: float, duration: float, hold: float = 0.0, attack_fraction: float = _ATTACK_FRACTION
) -> np.ndarray:
    """0..1..0 bump over ``duration`` (same units as ``t``), equal to 1 for ``hold`` around ``apex``.

    Rises over ``attack_fraction`` of the moving time (duration - hold), holds, and falls over the rest;
    rise and fall are smootherstep curves, so the bump and its first two derivatives are continuous (no
    kinks, no jerks) and its speed is zero around the apex. Exactly 0 outside its span.
    """
    hold = min(max(hold, 0.0), duration)
    moving = duration - hold
    rise = attack_fraction * moving
    fall = moving - rise
    top_start, top_end = apex - 0.5 * hold, apex + 0.5 * hold
    before = _smootherstep((t - (top_start - rise)) / rise) if rise > 0 else (t >= top_start).astype(float)
    after = _smootherstep(((top_end + fall) - t) / fall) if fall > 0 else (t <= top_end).astype(float)
    return np.where(t < top_start, before, np.where(t > top_end, after, 1.0))


def add_accents(
    track: PoseTrack,
    frames: np.ndarray,
    intensity: float = 1.0,
    seed: int = 0,
    nod_deg: tuple[float, float] = (1.5, 3.0),
    nod_s: tuple[float, float] = (0.3, 0.4),
    hold_s: float = 0.08,
    yaw_probability: float = 0.3,
    yaw_deg: tuple[float, float] = (0.4, 1.2),
    stop_strength: float = 0.6,
    stop_s: float = 0.5,
) -> PoseTrack:
    """A copy of ``track`` with a nod (and sometimes a yaw flick) on every accent frame.

    ``frames``: 0-based indices into the track (frames outside it are ignored). For each accent, in order:

    * a nod: pitch goes DOWN by uniform ``nod_deg`` x ``intensity`` degrees and back, over uniform
      ``nod_s`` seconds (shortened so that neighbouring nods never overlap), staying down for ``hold_s``
      seconds centred on the accent (the "post-stroke hold" of a beat gesture);
    * with probability ``yaw_probability``, a yaw flick of uniform ``yaw_deg`` x ``intensity`` degrees in a
      random direction with the same timing;
    * a stop: within ``stop_s`` seconds centred on the accent the existing motion is eased toward its pose
      at the accent, by up to ``stop_strength`` x min(intensity, 1) (0 = no stop, 1 = the head halts on the
      beat); the motion catches up on either side, so nothing drifts.

    Random numbers come from ``numpy.random.default_rng(seed)``: same inputs and seed, same result.
    ``intensity = 0`` (or no accent inside the track) returns an unchanged copy. ``meta["accents"]``
    records the count, intensity and seed.
    """
    track.validate()
    fps = positive_number(track.fps, "fps")
    intensity = float(intensity)
    if not math.isfinite(intensity) or intensity < 0.0:
        raise SettingsError(f"intensity must be a finite number >= 0, got {intensity!r}.")
    for name, pair in (("nod_deg", nod_deg), ("nod_s", nod_s), ("yaw_deg", yaw_deg)):
        if len(pair) != 2 or not all(math.isfinite(float(v)) and float(v) >= 0.0 for v in pair) or pair[0] > pair[1]:
            raise SettingsError(f"{name} must be a (low, high) pair of numbers >= 0, got {pair!r}.")
    for name, value in (("yaw_probability", yaw_probability), ("stop_strength", stop_strength)):
        if not 0.0 <= float(value) <= 1.0:
            raise SettingsError(f"{name} must lie in 0..1, got {value!r}.")
    for name, value in (("hold_s", hold_s), ("stop_s", stop_s)):
        if not math.isfinite(float(value)) or float(value) < 0.0:
            raise SettingsError(f"{name} must be a finite number of seconds >= 0, got {value!r}.")
    raw = np.asarray(frames)
    whole = np.issubdtype(raw.dtype, np.integer) or bool(np.all(np.isfinite(raw)) and np.all(raw == np.round(raw)))
    if raw.size and not whole:
        raise SettingsError("accent frames must be whole frame indices.")
    n = len(track)
    accents = np.unique(raw.astype(np.int64).reshape(-1))
    accents = accents[(accents >= 0) & (accents < n)]
    out = track.copy()
    out.meta["accents"] = {"count": len(accents), "intensity": intensity, "seed": int(seed)}
    if intensity == 0.0 or len(accents) == 0:
        return out

    rng = np.random.default_rng(int(seed))
    t = np.arange(n, dtype=np.float64)
    angles = out.angles
    stop = float(stop_strength) * min(intensity, 1.0)
    stop_half = 0.5 * float(stop_s) * fps
    pitch_offset = np.zeros(n)
    yaw_offset = np.zeros(n)
    gaps = np.diff(accents).astype(np.float64)
    room = np.minimum(np.concatenate([[np.inf], gaps]), np.concatenate([gaps, [np.inf]]))
    for index, apex in enumerate(accents.tolist()):
        depth, length, flick, flick_deg, flick_sign = (
            rng.uniform(*nod_deg),
            rng.uniform(*nod_s),
            rng.random(),
            rng.uniform(*yaw_deg),
            rng.choice([-1, 1]),
        )  # always all five draws: one accent's choices never shift another's
        if stop > 0.0 and stop_half > 0.0:
            lo, hi = max(0, math.floor(apex - stop_half)), min(n, math.ceil(apex + stop_half) + 1)
            weight = stop * accent_bump(t[lo:hi], float(apex), 2.0 * stop_half, attack_fraction=0.5)
            angles[lo:hi] += weight[:, None] * (angles[apex] - angles[lo:hi])
        duration = min(length * fps, room[index])
        lo, hi = max(0, math.floor(apex - duration)), min(n, math.ceil(apex + duration) + 1)
        bump = accent_bump(t[lo:hi], float(apex), duration, min(hold_s * fps, 0.5 * duration))
        pitch_offset[lo:hi] -= intensity * depth * bump
        if flick < yaw_probability:
            yaw_offset[lo:hi] += intensity * flick_sign * flick_deg * bump
    out.yaw = angles[:, 0] + yaw_offset
    out.pitch = angles[:, 1] + pitch_offset
    out.roll = angles[:, 2].copy()
    return out
