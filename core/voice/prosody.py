"""Prosody features per video frame (what drives head motion in speech): loudness, onsets, voicing and
pitch, speech / pause timing and a coarse spectral shape, NORMALISED PER CLIP (so a quiet and a loud
recording, a low and a high voice give comparable values). numpy only; the PoseGAN model's input.

One row per model frame k, analysed in a Hann window of ``window`` samples (default 512 = 64 ms at
8 kHz: prosody needs no more bandwidth, and half the rate halves the cost) centred on sample
round(k * sample_rate / fps) (as :mod:`core.voice.features`); one zero-padded FFT per frame gives both
the spectrum and the autocorrelation. Columns
(:data:`PROSODY_NAMES`, all dimensionless):

 0 ``loudness``      frame level in dB relative to the clip's loud level (95th percentile), / 20 dB,
                     clipped to [-3, 0.5]
 1 ``loudness_slow`` the same, Gaussian-smoothed over ``slow_s`` seconds
 2 ``loudness_rise`` time derivative of the smoothed loudness, / its std over the clip
 3 ``onset``         spectral flux (positive log-mel increase), log(1 + flux / clip median flux in speech)
 4 ``voicing``       peak of the normalised autocorrelation at pitch lags (70-400 Hz), 0..1
 5 ``pitch``         log2(F0 / the clip's median voiced F0) in octaves, clipped to +-1, 0 when unvoiced
 6 ``pitch_rise``    time derivative of the smoothed pitch (octaves per second / 4), 0 when unvoiced
 7 ``speech``        0/1 speech mask (:func:`core.voice.vad.speech_mask_from_audio`)
 8 ``speech_slow``   the mask smoothed over ``slow_s`` seconds
 9 ``run_elapsed``   log(1 + seconds since the current speech or pause run began)
10 ``run_left``      log(1 + seconds until it ends)
11 ``run_length``    log(1 + run length in seconds), positive for speech, negative for pauses
12-15 ``band_*``     level of 4 bands (0-0.5, 0.5-1.2, 1.2-2.4, 2.4-4 kHz) minus the frame level, / 10 dB,
                     minus the clip's mean over speech frames

A silent clip gives finite values (loudness -3, no speech, one long pause).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from ..errors import SettingsError
from ..filters import gaussian_smooth
from .features import frame_centres, hann_window, mel_filterbank, power_to_db
from .vad import band_energy_stream, speech_mask_from_energy

PROSODY_VERSION = 2
PROSODY_NAMES = (
    "loudness",
    "loudness_slow",
    "loudness_rise",
    "onset",
    "voicing",
    "pitch",
    "pitch_rise",
    "speech",
    "speech_slow",
    "run_elapsed",
    "run_left",
    "run_length",
    "band_low",
    "band_mid",
    "band_high",
    "band_air",
)
_BANDS_HZ = ((0.0, 500.0), (500.0, 1200.0), (1200.0, 2400.0), (2400.0, 4000.0))
_CHUNK = 1024  # frames analysed at once (bounds memory for long clips)
_PUSH = 1 << 20  # samples :func:`prosody_features` pushes at a time


@dataclass(frozen=True)
class ProsodyConfig:
    """``sample_rate`` (Hz) the audio must have; ``window`` analysis window (samples); ``fmin_hz`` /
    ``fmax_hz`` pitch search range; ``voicing_threshold`` autocorrelation peak above which a frame is
    voiced; ``octave_pick``: the pitch is the shortest lag whose autocorrelation reaches this fraction of
    the highest peak (avoids octave errors); ``slow_s`` smoothing of the slow columns (seconds);
    ``n_mels`` bands of the onset flux."""

    sample_rate: int = 8000
    window: int = 512
    fmin_hz: float = 70.0
    fmax_hz: float = 400.0
    voicing_threshold: float = 0.45
    octave_pick: float = 0.85
    slow_s: float = 0.5
    n_mels: int = 24

    @property
    def dim(self) -> int:
        return len(PROSODY_NAMES)

    def to_dict(self) -> dict:
        return {**asdict(self), "prosody_version": PROSODY_VERSION, "names": list(PROSODY_NAMES)}

    @classmethod
    def from_dict(cls, data: dict) -> ProsodyConfig:
        values = dict(data)
        version = values.pop("prosody_version", PROSODY_VERSION)
        names = values.pop("names", list(PROSODY_NAMES))
        if version != PROSODY_VERSION or list(names) != list(PROSODY_NAMES):
            raise SettingsError(
                f"prosody features of version {version} are not computed by this Head Motion (version "
                f"{PROSODY_VERSION}); use a model made for this version."
            )
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise SettingsError(f"unknown prosody settings: {sorted(unknown)}.")
        config = cls(**values)
        if not (0 < config.fmin_hz < config.fmax_hz < config.sample_rate / 2) or config.window < 64:
            raise SettingsError(f"invalid prosody settings: {config}.")
        return config


class _FrameAnalysis:
    """The per-frame analysis of :class:`ProsodyStream`: level (dB), log-mel (dB), band levels (dB), voicing
    and F0 (Hz) of a batch of windows, in float64."""

    def __init__(self, config: ProsodyConfig):
        rate, window = config.sample_rate, config.window
        self.config = config
        self.n_fft = 2 * window  # zero-padded: the autocorrelation is not circular
        self.hann = hann_window(window)
        self.hann_ac = np.fft.irfft(np.abs(np.fft.rfft(self.hann, self.n_fft)) ** 2)[:window]
        self.lag_lo = max(2, math.floor(rate / config.fmax_hz))
        self.lag_hi = min(window - 1, math.ceil(rate / config.fmin_hz))
        self.mel = mel_filterbank(rate, self.n_fft, config.n_mels)
        freqs = np.arange(self.n_fft // 2 + 1) * (rate / self.n_fft)
        band_masks = np.stack([(freqs >= lo) & (freqs <= hi) for lo, hi in _BANDS_HZ]).astype(np.float64)
        self.band_masks = band_masks / np.maximum(band_masks.sum(axis=1, keepdims=True), 1.0)
        self.mean_hann = float(np.mean(self.hann**2))

    def rows(self, frames: np.ndarray, out: dict, k: slice) -> None:
        """Analyse ``frames`` (m, window) float64 (changed in place) into rows ``k`` of ``out``."""
        config, window = self.config, self.config.window
        frames -= frames.mean(axis=1, keepdims=True)
        windowed = frames * self.hann
        power = np.abs(np.fft.rfft(windowed, self.n_fft, axis=1)) ** 2
        spectrum = power / window
        out["level"][k] = power_to_db(np.einsum("ij,ij->i", windowed, windowed) / window / self.mean_hann)
        out["mel"][k] = power_to_db(spectrum @ self.mel.T)
        out["bands"][k] = power_to_db(spectrum @ self.band_masks.T)
        ac = np.fft.irfft(power, axis=1)[:, :window]
        lag_lo, lag_hi = self.lag_lo, self.lag_hi
        norm = ac[:, :1] * (self.hann_ac[None, lag_lo:lag_hi] / self.hann_ac[0])
        ratio = ac[:, lag_lo:lag_hi] / np.maximum(norm, 1e-12)
        ratio[ac[:, 0] <= 1e-10] = 0.0
        # The shortest lag within 85 % of the best peak: multiples of the period peak as high (octave errors).
        peak = ratio.max(axis=1, keepdims=True)
        best = np.argmax(ratio >= config.octave_pick * peak, axis=1)
        out["voicing"][k] = np.clip(peak[:, 0], 0.0, 1.0)
        out["f0"][k] = config.sample_rate / (best + lag_lo)


class ProsodyStream:
    """Prosody features of audio arriving block by block: :meth:`push` mono samples at
    ``config.sample_rate`` Hz, then :meth:`finish` returns the (``n_frames``, 16) float32 features, equal
    (bit for bit) to :func:`prosody_features` of the concatenated samples whatever the block sizes.

    Frames are analysed ``_CHUNK`` at a time, always in the same chunks (frames 0..1023, 1024..2047, ...)
    as soon as the samples of a chunk's windows have arrived; samples before the next chunk's first
    window are dropped. Memory: the per-frame values (about 0.3 KB a frame: 22 MB for an hour at 25 fps)
    plus one chunk of samples (``_CHUNK`` frames, 41 s at 25 fps) in float64, never the whole signal.
    """

    def __init__(self, fps: float, n_frames: int, config: ProsodyConfig | None = None):
        self.config = config or ProsodyConfig()
        if isinstance(fps, bool) or not (isinstance(fps, (int, float)) and math.isfinite(fps) and fps > 0):
            raise SettingsError(f"fps must be a finite number > 0, got {fps!r}.")
        self.fps = float(fps)
        self.n = int(n_frames)
        if self.n < 1:
            raise SettingsError("prosody features need at least 1 frame.")
        self._analysis = _FrameAnalysis(self.config)
        self._centres = frame_centres(np.arange(self.n), self.config.sample_rate, self.fps)
        self._vad = band_energy_stream(self.config.sample_rate)
        self._energy: list[np.ndarray] = []
        self._buf = np.zeros(0)
        self._buf_start = 0  # sample index of _buf[0]
        self._received = 0
        self._next = 0  # first frame of the next chunk
        self._finished = False
        self._out = {k: np.empty(self.n) for k in ("level", "voicing", "f0")}
        self._out["mel"] = np.empty((self.n, self.config.n_mels))
        self._out["bands"] = np.empty((self.n, len(_BANDS_HZ)))

    def push(self, samples: np.ndarray) -> None:
        """Add the next mono samples (1-D, finite) and analyse every chunk of frames they complete."""
        if self._finished:
            raise SettingsError("ProsodyStream.push called after finish().")
        x = np.asarray(samples)
        if x.ndim != 1:
            raise SettingsError(f"audio samples must be mono (1-D), got shape {x.shape}.")
        if not np.isfinite(x).all():
            raise SettingsError("The audio holds NaN or infinite samples.")
        self._energy.append(self._vad.push(x.astype(np.float32)))
        self._buf = np.concatenate([self._buf, x.astype(np.float64)])
        self._received += len(x)
        self._analyse(final=False)

    def _analyse(self, final: bool) -> None:
        half, window = self.config.window // 2, self.config.window
        while self._next < self.n:
            k = slice(self._next, min(self.n, self._next + _CHUNK))
            centres = self._centres[k]
            lo, hi = int(centres[0]) - half, int(centres[-1]) - half + window  # samples the windows span
            if hi > self._received and not final:
                break
            # The windows' samples, zero before the first sample and after the last one received.
            span = np.zeros(hi - lo)
            first, last = max(lo, self._buf_start), min(hi, self._buf_start + len(self._buf))
            if last > first:
                span[first - lo : last - lo] = self._buf[first - self._buf_start : last - self._buf_start]
            frames = span[(centres - half - lo)[:, None] + np.arange(window)[None, :]]
            self._analysis.rows(frames, self._out, k)
            self._next = k.stop
            if self._next < self.n:
                keep = int(self._centres[self._next]) - half
                drop = min(max(0, keep - self._buf_start), len(self._buf))
                self._buf = self._buf[drop:]
                self._buf_start += drop

    def finish(self) -> np.ndarray:
        """The (n_frames, 16) float32 features; frames past the last sample see silence."""
        if self._finished:
            raise SettingsError("ProsodyStream.finish called twice.")
        self._finished = True
        self._analyse(final=True)
        self._buf = np.zeros(0)
        energy = np.concatenate([*self._energy, self._vad.finish()])
        speech = speech_mask_from_energy(energy, self.fps, self.n)
        return _columns(self._out, speech, self.n, self.fps, self.config)


def _runs(mask: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seconds since the current run (of equal mask values) began, until it ends, and its length."""
    n = len(mask)
    change = np.flatnonzero(np.diff(mask) != 0) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [n]])
    run = np.repeat(np.arange(len(starts)), ends - starts)
    k = np.arange(n)
    elapsed = (k - starts[run] + 0.5) / fps
    left = (ends[run] - k - 0.5) / fps
    return elapsed, left, (ends - starts)[run] / fps


def _robust_scale(values: np.ndarray, weight: np.ndarray) -> float:
    chosen = values[weight > 0.5] if (weight > 0.5).sum() >= 10 else values
    return float(max(np.std(chosen), 1e-6))


def prosody_features(
    samples: np.ndarray, sample_rate: int, fps: float, n_frames: int, config: ProsodyConfig | None = None
) -> np.ndarray:
    """(n_frames, 16) float32 prosody features (see the module docs) of mono ``samples`` at ``sample_rate``
    Hz, which must equal ``config.sample_rate`` (resample first). Frame k is at k / ``fps`` seconds."""
    config = config or ProsodyConfig()
    x = np.asarray(samples)
    if x.ndim != 1:
        raise SettingsError(f"audio samples must be mono (1-D), got shape {x.shape}.")
    if int(sample_rate) != config.sample_rate:
        raise SettingsError(f"prosody features need {config.sample_rate} Hz audio, got {sample_rate} Hz.")
    stream = ProsodyStream(fps, n_frames, config)
    for start in range(0, len(x), _PUSH):
        stream.push(x[start : start + _PUSH])
    return stream.finish()


def _columns(a: dict, speech: np.ndarray, n: int, fps: float, config: ProsodyConfig) -> np.ndarray:
    """The feature columns (see the module docs) from the per-frame analysis ``a`` and the speech mask."""
    slow = config.slow_s * fps
    level = a["level"]
    ref = float(np.percentile(level, 95))
    loud = np.clip((level - ref) / 20.0, -3.0, 0.5) if ref > -100.0 else np.full(n, -3.0)
    loud_slow = gaussian_smooth(loud, slow) if n > 1 else loud.copy()
    smooth = gaussian_smooth(loud, 1.5) if n > 1 else loud.copy()
    rise = np.gradient(smooth) if n > 1 else np.zeros(n)
    rise = rise / _robust_scale(rise, np.ones(n))

    mel = np.maximum(a["mel"], ref - 80.0, out=a["mel"])
    flux = np.zeros(n)
    for start in range(1, n, _CHUNK):  # in chunks: no temporary as large as the log-mel rows
        stop = min(n, start + _CHUNK)
        flux[start:stop] = np.maximum(mel[start:stop] - mel[start - 1 : stop - 1], 0.0).mean(axis=1)
    voiced_speech = speech > 0.5
    base = np.median(flux[voiced_speech]) if voiced_speech.sum() >= 10 else np.median(flux)
    onset = np.log1p(flux / max(float(base), 1e-3)) if ref > -100.0 else np.zeros(n)

    voicing = a["voicing"] * (loud > -1.5)
    voiced = voicing >= config.voicing_threshold
    if voiced.sum() >= 5:
        pitch = np.clip(np.log2(a["f0"] / np.median(a["f0"][voiced])), -1.0, 1.0) * voiced
    else:
        pitch = np.zeros(n)
    pitch_smooth = gaussian_smooth(pitch, 1.5) if n > 1 else pitch
    pitch_rise = (np.gradient(pitch_smooth) * fps / 4.0 if n > 1 else np.zeros(n)) * voiced

    elapsed, left, length = _runs(speech, float(fps))
    sign = np.where(speech > 0.5, 1.0, -1.0)
    bands = (np.maximum(a["bands"], ref - 80.0) - np.maximum(level, ref - 80.0)[:, None]) / 10.0
    weights = speech > 0.5
    centre = bands[weights].mean(axis=0) if weights.sum() >= 10 else bands.mean(axis=0)
    bands = np.clip(bands - centre, -4.0, 4.0)

    columns = [
        loud,
        loud_slow,
        np.clip(rise, -5.0, 5.0),
        np.clip(onset, 0.0, 5.0),
        voicing,
        pitch,
        np.clip(pitch_rise, -3.0, 3.0),
        speech,
        gaussian_smooth(speech, slow) if n > 1 else speech.copy(),
        np.log1p(elapsed),
        np.log1p(left),
        sign * np.log1p(length),
    ]
    out = np.column_stack(columns + [bands[:, j] for j in range(bands.shape[1])])
    return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)


def silence_row() -> np.ndarray:
    """(16,) float32 prosody of a frame deep inside a long pause: pads a clip beyond its ends (the model
    sees the same padding in training and at inference)."""
    row = np.zeros(len(PROSODY_NAMES), dtype=np.float32)
    row[0] = row[1] = -3.0
    row[9] = row[10] = math.log1p(5.0)
    row[11] = -math.log1p(10.0)
    return row
