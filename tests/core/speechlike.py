"""A deterministic speech-like test signal with known phrases, pauses and stressed syllables.

Not speech, but built like it: phrases of syllables (harmonic "vowels" on a falling pitch contour with
formant-shaped spectra, some starting with a short fricative hiss), raised-cosine syllable envelopes,
short gaps between syllables, long pauses between phrases, and some STRESSED syllables (louder, higher
pitch). Every random choice is drawn before synthesis and in continuous time, so the same seed gives the
same signal at any sample rate (apart from the optional white noise).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

#: (start, end) seconds of the phrases; everything else is pause (background noise only).
PHRASES = ((0.40, 2.60), (3.40, 6.10), (6.80, 9.30), (10.30, 11.60))
DURATION_S = 12.4
#: (F1, F2, F3) formant frequencies in Hz of a few vowels.
_VOWELS = ((730, 1090, 2440), (270, 2290, 3010), (530, 1840, 2480), (570, 840, 2410), (440, 1020, 2240))
_STRESS_GAIN_DB = 8.0


@dataclass(frozen=True)
class Syllable:
    start: float
    end: float
    vowel: int
    stressed: bool
    fricative: bool


@dataclass(frozen=True)
class SpeechLike:
    """``samples`` float64 at ``sample_rate`` Hz; ``phrases`` and ``syllables`` in seconds."""

    samples: np.ndarray
    sample_rate: int
    phrases: tuple[tuple[float, float], ...]
    syllables: tuple[Syllable, ...]

    @property
    def stressed_onsets(self) -> np.ndarray:
        """Start times (s) of the stressed syllables."""
        return np.array([s.start for s in self.syllables if s.stressed])

    @property
    def pauses(self) -> list[tuple[float, float]]:
        """(start, end) seconds of the pauses between phrases (not the leading/trailing silence)."""
        return [(a[1], b[0]) for a, b in zip(self.phrases[:-1], self.phrases[1:], strict=True)]


def _syllables(seed: int) -> tuple[Syllable, ...]:
    rng = np.random.default_rng(seed)
    out = []
    for start, end in PHRASES:
        t = start
        index = 0
        while t < end - 0.08:
            length = rng.uniform(0.14, 0.26)
            stop = min(end, t + length)
            if end - stop < 0.12:  # no stub syllable at the end: stretch this one to the phrase end
                stop = end
            stressed = bool(index % 3 == 1 and rng.random() < 0.8) or (index > 2 and rng.random() < 0.15)
            out.append(Syllable(t, stop, int(rng.integers(len(_VOWELS))), stressed, bool(rng.random() < 0.3)))
            t = stop + rng.uniform(0.03, 0.07)
            index += 1
    return tuple(out)


def _envelope(t: np.ndarray, start: float, end: float, attack: float = 0.025, release: float = 0.04):
    rise = np.clip((t - start) / attack, 0.0, 1.0)
    fall = np.clip((end - t) / release, 0.0, 1.0)
    return np.sin(0.5 * np.pi * np.minimum(rise, fall)) ** 2


def speech_like(
    sample_rate: int = 16000,
    seed: int = 0,
    level_db: float = -20.0,
    noise_db: float | None = -65.0,
    snr_db: float | None = None,
    fricatives: bool = True,
) -> SpeechLike:
    """Speech-like signal, RMS over the phrases ``level_db`` dBFS, plus white noise.

    The noise RMS is ``noise_db`` dBFS, or ``level_db - snr_db`` when ``snr_db`` is given (SNR = speech
    power during the phrases over noise power); ``noise_db=None`` and ``snr_db=None`` give no noise.
    ``fricatives=False`` leaves out the hiss (random samples, so it differs between sample rates).
    """
    return _cached(int(sample_rate), int(seed), float(level_db), noise_db, snr_db, bool(fricatives))


@lru_cache(maxsize=16)
def _cached(sample_rate, seed, level_db, noise_db, snr_db, fricatives) -> SpeechLike:
    syllables = _syllables(seed)
    rng = np.random.default_rng(seed + 1000)
    n = round(DURATION_S * sample_rate)
    t = np.arange(n) / sample_rate
    x = np.zeros(n)
    nyquist = 0.45 * sample_rate
    for syl in syllables:
        i0, i1 = int(syl.start * sample_rate), min(n, int(np.ceil(syl.end * sample_rate)) + 1)
        ts = t[i0:i1]
        env = _envelope(ts, syl.start, syl.end)
        phrase_pos = (syl.start - 0.4) % 3.0 / 3.0
        f0 = 175.0 - 50.0 * phrase_pos + (35.0 if syl.stressed else 0.0)
        length = max(syl.end - syl.start, 1e-3)
        u = (ts - syl.start) / length
        # pitch f0 * (1 + 0.08 sin(pi u) - 0.05 u), integrated exactly (the same at every sample rate)
        cycles = f0 * (ts - syl.start + 0.08 * length / np.pi * (1.0 - np.cos(np.pi * u)) - 0.025 * length * u * u)
        phase = 2.0 * np.pi * cycles + rng.uniform(0, 2 * np.pi)
        formants = np.array(_VOWELS[syl.vowel], dtype=np.float64)
        harmonics = np.arange(1, int(min(4000.0, nyquist) // (f0 * 1.1)) + 1)
        freqs = harmonics * f0
        gains = sum(1.0 / (1.0 + ((freqs - f) / (80.0 + 0.06 * f)) ** 2) for f in formants) / np.sqrt(harmonics)
        voiced = np.sin(np.outer(phase, harmonics)) @ gains
        gain = 10.0 ** (_STRESS_GAIN_DB / 20.0) if syl.stressed else 1.0
        x[i0:i1] += gain * env * voiced / np.sqrt(np.sum(gains**2))
        if fricatives and syl.fricative:  # 40 ms of hiss (2-4 kHz) at the syllable start
            j1 = min(i1, i0 + round(0.04 * sample_rate))
            spectrum = np.fft.rfft(rng.standard_normal(j1 - i0))
            f = np.fft.rfftfreq(j1 - i0, 1.0 / sample_rate)
            spectrum[(f < 2000.0) | (f > min(4000.0, nyquist))] = 0.0
            hiss = np.fft.irfft(spectrum, j1 - i0)
            hiss *= 0.3 / max(1e-9, float(np.sqrt(np.mean(hiss**2))))
            x[i0:j1] += hiss * np.hanning(j1 - i0)
    in_phrase = np.zeros(n, dtype=bool)
    for start, end in PHRASES:
        in_phrase |= (t >= start) & (t < end)
    x *= 10.0 ** (level_db / 20.0) / np.sqrt(np.mean(x[in_phrase] ** 2))
    if snr_db is not None:
        noise_db = level_db - snr_db
    if noise_db is not None:
        x += np.random.default_rng(seed + 2000).standard_normal(n) * 10.0 ** (noise_db / 20.0)
    x.setflags(write=False)
    return SpeechLike(x, sample_rate, PHRASES, syllables)
