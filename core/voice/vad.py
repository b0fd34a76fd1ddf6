"""Speech / silence per video frame from the audio itself (energy voice-activity detection).

Algorithm (all levels in dB relative to a full-scale signal's mean square, times in seconds):

1. **Band energy.** Every ``hop_s`` (10 ms) a Hann window of ``window_s`` (32 ms) gives the mean-square
   level of the 100-4000 Hz band (``band_hz``; speech lives there, hum and hiss mostly do not).
2. **Adaptive levels.** The ``floor_percentile`` (5 %) of all band levels estimates the noise floor, the
   ``peak_percentile`` (97 %) the level of loud speech. If the two are less than ``min_range_db`` apart
   (constant noise, silence, hum) or the peak is below ``min_level_db`` (digital silence), there is no
   speech at all. The floor is taken as at most ``max_span_db`` below the peak, so a noiseless (digitally
   silent) background does not drag the thresholds down into reverb tails.
3. **Hysteresis.** Speech starts where the level rises above ``high = floor + high_fraction * span`` and
   lasts while it stays above ``low = floor + low_fraction * span`` (span = peak - floor): every run
   above ``low`` that reaches ``high`` somewhere is speech.
4. **Durations.** Pauses shorter than ``min_pause_s`` between speech are bridged (gaps between syllables
   and words are not silence for the head), then speech bursts shorter than ``min_speech_s`` (clicks,
   thumps) are dropped, then speech is widened by ``pad_s`` on both sides.
5. **Video frames.** Frame k (time k / fps) takes the decision at the nearest 10-ms step; frames past the
   end of the audio are silent.

The result is a 0/1 float mask per video frame (1 = speech); smooth it with
:func:`core.motion.silence.settle_weights`. Step 1 needs only a window of audio at a time: for long files feed
blocks to :func:`speech_mask_from_blocks` (memory: the 100-values-per-second level track), which returns
exactly what :func:`speech_mask_from_audio` returns for the whole signal.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..checks import number, positive_number
from ..errors import SettingsError
from .features import FrameStream, frame_count
from .source import clip_blocks

#: Level (dB) given to a band with no energy at all.
SILENCE_DB = -120.0


@dataclass(frozen=True)
class VadConfig:
    """Settings of the energy voice-activity detector (see the module docstring for the algorithm).

    ``band_hz``: (low, high) Hz of the band whose level is measured. ``window_s`` / ``hop_s``: analysis
    window and step in seconds. ``floor_percentile`` / ``peak_percentile``: percentiles (0-100) of the
    band levels taken as noise floor and speech level. ``min_range_db``: least peak-floor distance (dB)
    for any speech to be found. ``min_level_db``: least speech level (dBFS mean square). ``max_span_db``:
    the floor is taken as at most this far below the peak. ``high_fraction`` / ``low_fraction``: the
    hysteresis thresholds as fractions of the floor-to-peak span (0 = floor, 1 = peak). ``min_speech_s``,
    ``min_pause_s``, ``pad_s``: durations in seconds.
    """

    band_hz: tuple[float, float] = (100.0, 4000.0)
    window_s: float = 0.032
    hop_s: float = 0.01
    floor_percentile: float = 5.0
    peak_percentile: float = 97.0
    min_range_db: float = 10.0
    min_level_db: float = -70.0
    max_span_db: float = 50.0
    high_fraction: float = 0.45
    low_fraction: float = 0.3
    min_speech_s: float = 0.12
    min_pause_s: float = 0.3
    pad_s: float = 0.0

    def validate(self) -> VadConfig:
        """Raise :class:`SettingsError` naming the first bad field; return ``self``."""
        try:
            low_hz, high_hz = (float(v) for v in self.band_hz)
        except (TypeError, ValueError):
            raise SettingsError(f"band_hz must be a (low, high) pair of Hz, got {self.band_hz!r}.") from None
        if not (math.isfinite(low_hz) and math.isfinite(high_hz) and 0.0 <= low_hz < high_hz):
            raise SettingsError(f"band_hz must satisfy 0 <= low < high, got {self.band_hz!r}.")
        for name in ("window_s", "hop_s"):
            positive_number(getattr(self, name), name)
        for name in ("floor_percentile", "peak_percentile"):
            value = number(getattr(self, name), name)
            if not 0.0 <= value <= 100.0:
                raise SettingsError(f"{name} must lie in 0..100, got {value}.")
        if self.floor_percentile >= self.peak_percentile:
            raise SettingsError("floor_percentile must be below peak_percentile.")
        for name in ("min_range_db", "max_span_db", "min_speech_s", "min_pause_s", "pad_s"):
            if number(getattr(self, name), name) < 0.0:
                raise SettingsError(f"{name} must be >= 0, got {getattr(self, name)}.")
        number(self.min_level_db, "min_level_db")
        low, high = number(self.low_fraction, "low_fraction"), number(self.high_fraction, "high_fraction")
        if not 0.0 <= low <= high <= 1.0:
            raise SettingsError(f"need 0 <= low_fraction <= high_fraction <= 1, got {low}, {high}.")
        return self




@dataclass(frozen=True)
class SpeechLevels:
    """Levels (dB) found in a recording: noise ``floor``, speech ``peak``, hysteresis ``low`` / ``high``.

    ``has_speech`` is False when the recording's levels are too flat or too low for any speech.
    """

    floor: float
    peak: float
    low: float
    high: float
    has_speech: bool


def band_energy_stream(sample_rate: int, config: VadConfig | None = None) -> FrameStream:
    """A :class:`~core.voice.features.FrameStream` giving the band level in dB per ``config.hop_s`` step
    (step 1 of the algorithm) for audio at ``sample_rate`` Hz pushed block by block."""
    config = (config or VadConfig()).validate()
    n_fft = max(16, round(config.window_s * sample_rate))
    bins_hz = np.arange(n_fft // 2 + 1) * (sample_rate / n_fft)
    band = (bins_hz >= config.band_hz[0]) & (bins_hz <= config.band_hz[1])
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n_fft) / n_fft)
    scale = 2.0 / (n_fft * float(np.sum(window**2)))  # power sum -> mean square (a sine of amplitude A: A^2/2)

    def reduce(power: np.ndarray) -> np.ndarray:
        mean_square = power[:, band].sum(axis=1) * scale
        return 10.0 * np.log10(np.maximum(mean_square, 10.0 ** (SILENCE_DB / 10.0)))

    return FrameStream(sample_rate, 1.0 / config.hop_s, n_fft, reduce)


def mono_samples(audio: Any, sample_rate: int | None) -> tuple[np.ndarray, int]:
    """(samples, rate) of an AudioClip, or of a 1-D sample array at ``sample_rate`` Hz; checked."""
    rate = getattr(audio, "sample_rate", None)
    samples = np.asarray(audio.samples if rate is not None else audio)
    if not np.issubdtype(samples.dtype, np.floating):
        samples = samples.astype(np.float64)
    if rate is None:
        if sample_rate is None:
            raise SettingsError("sample_rate (Hz) is required when passing a sample array.")
        rate = sample_rate
    rate = positive_number(rate, "sample_rate")
    if samples.ndim != 1:
        raise SettingsError(f"audio samples must be mono (1-D), got shape {samples.shape}.")
    for start in range(0, samples.size, 1 << 20):  # in slices: no mask as long as the audio
        if not np.isfinite(samples[start : start + (1 << 20)]).all():
            raise SettingsError("audio samples hold NaN or infinite values.")
    return samples, int(rate)


def band_energy_db(audio: object, sample_rate: int | None = None, config: VadConfig | None = None) -> np.ndarray:
    """Band level in dB per ``config.hop_s`` step (step j centred on j * hop_s seconds) of a voice clip
    (:mod:`core.voice.source`) or a 1-D sample array at ``sample_rate`` Hz, read block by block."""
    config = (config or VadConfig()).validate()
    blocks, _, rate = clip_blocks(audio, sample_rate)
    stream = band_energy_stream(rate, config)
    pieces = [stream.push(block) for block in blocks()]
    return np.concatenate([*pieces, stream.finish()])


def speech_levels(energy_db: np.ndarray, config: VadConfig | None = None) -> SpeechLevels:
    """Noise floor, speech level and hysteresis thresholds (dB) of a band-level track."""
    config = (config or VadConfig()).validate()
    e = np.asarray(energy_db, dtype=np.float64)
    if e.size == 0:
        return SpeechLevels(SILENCE_DB, SILENCE_DB, SILENCE_DB, SILENCE_DB, False)
    floor, peak = (float(v) for v in np.percentile(e, [config.floor_percentile, config.peak_percentile]))
    floor = max(floor, peak - config.max_span_db)
    span = peak - floor
    has_speech = span >= config.min_range_db and peak >= config.min_level_db
    return SpeechLevels(
        floor, peak, floor + config.low_fraction * span, floor + config.high_fraction * span, has_speech
    )


def _runs(flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of the runs of True in a 1-D bool array (end exclusive)."""
    edges = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def speech_steps(energy_db: np.ndarray, config: VadConfig | None = None) -> np.ndarray:
    """Speech decision (bool) per analysis step of a band-level track (steps 3-4 of the algorithm)."""
    config = (config or VadConfig()).validate()
    e = np.asarray(energy_db, dtype=np.float64)
    levels = speech_levels(e, config)
    speech = np.zeros(len(e), dtype=bool)
    if not levels.has_speech:
        return speech
    starts, ends = _runs(e > levels.low)
    if len(starts) == 0:
        return speech
    reaches_high = np.maximum.reduceat(e, starts) > levels.high  # the gaps after a run are all <= low
    starts, ends = starts[reaches_high], ends[reaches_high]
    if len(starts) == 0:
        return speech
    rate = 1.0 / config.hop_s
    min_pause = config.min_pause_s * rate
    keep_gap = (starts[1:] - ends[:-1]) >= min_pause  # bridge shorter pauses
    starts = starts[np.concatenate([[True], keep_gap])]
    ends = ends[np.concatenate([keep_gap, [True]])]
    long_enough = (ends - starts) >= config.min_speech_s * rate
    starts, ends = starts[long_enough], ends[long_enough]
    pad = round(config.pad_s * rate)
    for start, end in zip(starts, ends, strict=True):
        speech[max(0, start - pad) : end + pad] = True
    return speech


def speech_mask_from_energy(
    energy_db: np.ndarray, fps: float, n_frames: int, config: VadConfig | None = None
) -> np.ndarray:
    """0/1 speech mask (n_frames,) per video frame from a band-level track (one value per ``hop_s``)."""
    config = (config or VadConfig()).validate()
    fps = positive_number(fps, "fps")
    if isinstance(n_frames, bool) or not isinstance(n_frames, (int, np.integer)) or n_frames < 0:
        raise SettingsError(f"n_frames must be an integer >= 0, got {n_frames!r}.")
    steps = speech_steps(energy_db, config)
    nearest = np.floor(np.arange(int(n_frames)) / (fps * config.hop_s) + 0.5).astype(np.int64)
    mask = np.zeros(int(n_frames))
    inside = nearest < len(steps)
    mask[inside] = steps[nearest[inside]]
    return mask


def speech_mask_from_audio(
    audio: object,
    sample_rate: int | None = None,
    fps: float = 25.0,
    n_frames: int | None = None,
    config: VadConfig | None = None,
) -> np.ndarray:
    """Speech mask per video frame (n_frames,), 1.0 = speech, 0.0 = silence, from mono audio.

    ``audio``: a voice clip (:mod:`core.voice.source`: an AudioClip, a clip kept in a file...) or a 1-D sample
    array at ``sample_rate`` Hz, read block by block. Frame k
    is the video frame at k / ``fps`` seconds from the first sample; ``n_frames`` defaults to
    ``ceil(duration * fps)``. A silent or constant-noise recording gives all zeros.
    """
    config = (config or VadConfig()).validate()
    blocks, n, rate = clip_blocks(audio, sample_rate)
    fps = positive_number(fps, "fps")
    total = frame_count(n, rate, fps) if n_frames is None else n_frames
    return speech_mask_from_blocks(blocks(), rate, fps, total, config)


def speech_mask_from_blocks(
    blocks: Iterable[np.ndarray],
    sample_rate: int,
    fps: float = 25.0,
    n_frames: int | None = None,
    config: VadConfig | None = None,
) -> np.ndarray:
    """:func:`speech_mask_from_audio` of audio arriving in blocks (e.g. :func:`core.voice.decode.iter_audio_blocks`).

    Only the band-level track (100 values per second) is kept, so memory does not grow with the
    audio; the mask equals the one-shot result for the concatenated blocks.
    """
    config = (config or VadConfig()).validate()
    rate = int(positive_number(sample_rate, "sample_rate"))
    fps = positive_number(fps, "fps")
    stream = band_energy_stream(rate, config)
    pieces = []
    received = 0
    for block in blocks:
        samples, _ = mono_samples(block, rate)
        received += len(samples)
        pieces.append(stream.push(samples))
    pieces.append(stream.finish())
    total = frame_count(received, rate, fps) if n_frames is None else n_frames
    return speech_mask_from_energy(np.concatenate(pieces), fps, total, config)
