"""Audio features for PoseGAN, one row per VIDEO frame, identical for training and inference.

Row ``k`` describes the audio around time ``t_k = k / fps`` seconds (the start of video frame k, counted
from the first audio sample): a Hann window of ``n_fft`` samples centred on sample ``round(t_k * rate)``,
the signal taken as zero outside the clip. This is librosa's ``center=True`` framing with ``pad_mode=
"constant"`` when ``rate / fps`` is a whole number of samples (16 kHz at 25 fps: hop 640), and it stays
exact for fractional hops (29.97 fps: 533.87 samples), where no fixed-hop STFT lines up with the video.

Per window: power spectrum ``|rfft|^2`` -> Slaney mel filter bank (librosa's default ``htk=False,
norm="slaney"``) -> ``10 log10(max(amin, power))`` in dB (librosa ``power_to_db`` with ``ref=1``,
``top_db=None``: a fixed floor rather than one relative to the clip's maximum, so a row depends only on
its own window) -> optionally an orthonormal DCT-II (MFCC). No state crosses rows, so features computed
block by block (:class:`AudioFeatureStream`) equal the one-shot result.

:class:`FrameStream` is the shared framing engine (also used by :mod:`core.voice.vad` and
:mod:`core.voice.accents` at their own frame rates). Rates are in Hz, times in seconds, levels in dB.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..checks import positive_number, whole_number
from ..errors import SettingsError

#: Bumped whenever the feature definition changes, so a model can refuse features it was not trained on.
FEATURE_VERSION = 1
#: Frames transformed per FFT batch (bounds temporary memory to ~ chunk x n_fft x 16 bytes).
_CHUNK_FRAMES = 1024
#: Samples appended to the working buffer at a time (bounds the float64 copy of a long input).
_PUSH_SAMPLES = 1 << 18

_KINDS = ("logmel", "mfcc")






@dataclass(frozen=True)
class FeatureConfig:
    """Definition of the per-frame audio features (store it with a trained model).

    ``sample_rate``: rate (Hz) the audio is decoded at. ``n_fft``: window and FFT length in samples (64 ms
    at 16 kHz). ``n_mels``: mel bands between ``fmin`` and ``fmax`` Hz (``None`` = sample_rate / 2).
    ``kind``: ``"logmel"`` (n_mels values in dB per frame) or ``"mfcc"`` (the first ``n_mfcc`` orthonormal
    DCT-II coefficients of the log-mel values). ``amin``: power floor before the log (1e-10 = -100 dB).
    The hop is not a setting: it is ``sample_rate / fps`` of the video the features are made for.
    """

    sample_rate: int = 16000
    n_fft: int = 1024
    n_mels: int = 80
    fmin: float = 0.0
    fmax: float | None = None
    kind: str = "logmel"
    n_mfcc: int = 20
    amin: float = 1e-10

    def validate(self) -> FeatureConfig:
        """Raise :class:`SettingsError` naming the first bad field; return ``self``."""
        rate = whole_number(self.sample_rate, "sample_rate (Hz)", 1)
        n_fft = whole_number(self.n_fft, "n_fft (samples)", 16)
        n_mels = whole_number(self.n_mels, "n_mels", 1)
        fmin = float(self.fmin)
        fmax = self.top_hz
        if not (math.isfinite(fmin) and 0.0 <= fmin < fmax <= rate / 2.0):
            raise SettingsError(f"need 0 <= fmin < fmax <= sample_rate / 2 = {rate / 2.0} Hz, got {fmin}, {fmax}.")
        if n_mels > n_fft // 2 + 1:
            raise SettingsError(f"n_mels ({n_mels}) cannot exceed the {n_fft // 2 + 1} FFT bins of n_fft {n_fft}.")
        if self.kind not in _KINDS:
            raise SettingsError(f"kind must be one of {_KINDS}, got {self.kind!r}.")
        if self.kind == "mfcc":
            n_mfcc = whole_number(self.n_mfcc, "n_mfcc", 1)
            if n_mfcc > n_mels:
                raise SettingsError(f"n_mfcc ({n_mfcc}) cannot exceed n_mels ({n_mels}).")
        positive_number(self.amin, "amin")
        return self

    @property
    def top_hz(self) -> float:
        """Upper edge of the mel bank in Hz (``fmax``, or the Nyquist frequency)."""
        try:
            return float(self.sample_rate) / 2.0 if self.fmax is None else float(self.fmax)
        except (TypeError, ValueError):
            raise SettingsError(f"fmax must be a number of Hz or None, got {self.fmax!r}.") from None

    @property
    def dim(self) -> int:
        """Values per frame: n_mels (logmel) or n_mfcc (mfcc)."""
        return int(self.n_mfcc if self.kind == "mfcc" else self.n_mels)

    def to_dict(self) -> dict:
        """JSON-serialisable settings, with ``feature_version``."""
        return {**asdict(self), "feature_version": FEATURE_VERSION}

    @classmethod
    def from_dict(cls, data: dict) -> FeatureConfig:
        """Inverse of :meth:`to_dict`; refuses features of another ``feature_version``."""
        values = dict(data)
        version = values.pop("feature_version", FEATURE_VERSION)
        if version != FEATURE_VERSION:
            raise SettingsError(
                f"audio features of version {version} are not computed by this Head Motion (version "
                f"{FEATURE_VERSION}); use a model made for this version."
            )
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise SettingsError(f"unknown audio feature settings: {sorted(unknown)}.")
        return cls(**values).validate()


# -- building blocks ---------------------------------------------------------------------------------------


def hann_window(n: int) -> np.ndarray:
    """Periodic Hann window of ``n`` samples (the FFT convention, as ``scipy.signal.get_window("hann")``)."""
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)


#: Slaney's mel scale: linear below 1 kHz (3 mels per 200 Hz), logarithmic above (27 mels per 6.4x).
_MEL_LINEAR_HZ = 200.0 / 3.0
_MEL_BREAK_HZ = 1000.0
_MEL_BREAK = _MEL_BREAK_HZ / _MEL_LINEAR_HZ
_MEL_LOG_STEP = math.log(6.4) / 27.0


def hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    """Frequencies (Hz) to Slaney mels."""
    f = np.asarray(hz, dtype=np.float64)
    linear = f / _MEL_LINEAR_HZ
    above = _MEL_BREAK + np.log(np.maximum(f, _MEL_BREAK_HZ) / _MEL_BREAK_HZ) / _MEL_LOG_STEP
    return np.where(f >= _MEL_BREAK_HZ, above, linear)


def mel_to_hz(mel: np.ndarray | float) -> np.ndarray:
    """Slaney mels to frequencies (Hz)."""
    m = np.asarray(mel, dtype=np.float64)
    linear = m * _MEL_LINEAR_HZ
    above = _MEL_BREAK_HZ * np.exp(_MEL_LOG_STEP * (np.maximum(m, _MEL_BREAK) - _MEL_BREAK))
    return np.where(m >= _MEL_BREAK, above, linear)


def mel_filterbank(
    sample_rate: int, n_fft: int, n_mels: int, fmin: float = 0.0, fmax: float | None = None
) -> np.ndarray:
    """(n_mels, n_fft // 2 + 1) triangular mel filters, Slaney scale and area normalisation.

    Band i rises from centre frequency i to i + 1 and falls to i + 2 of ``n_mels + 2`` points spaced
    evenly in mels from ``fmin`` to ``fmax`` Hz; each triangle is scaled by 2 / (its width in Hz), so every
    band has the same area (librosa ``filters.mel`` with ``htk=False, norm="slaney"``).
    """
    fmax = float(sample_rate) / 2.0 if fmax is None else float(fmax)
    bins_hz = np.arange(n_fft // 2 + 1) * (float(sample_rate) / n_fft)
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins_hz[None, :] - lower) / (centre - lower)
    falling = (upper - bins_hz[None, :]) / (upper - centre)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return weights * (2.0 / (upper - lower))


def power_to_db(power: np.ndarray, amin: float = 1e-10) -> np.ndarray:
    """10 log10(max(amin, power)): power (any shape) in dB relative to 1 (full-scale units squared)."""
    return 10.0 * np.log10(np.maximum(power, amin))


def dct_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_in, n_out) orthonormal DCT-II basis: ``x @ dct_matrix(n, k)`` = the first k coefficients of x."""
    n = np.arange(n_in)[:, None]
    k = np.arange(n_out)[None, :]
    basis = np.cos(np.pi * k * (2 * n + 1) / (2.0 * n_in)) * math.sqrt(2.0 / n_in)
    basis[:, 0] /= math.sqrt(2.0)
    return basis


def frame_count(n_samples: int, sample_rate: float, frame_rate: float) -> int:
    """Frames whose time k / frame_rate falls inside a clip of ``n_samples`` (= ceil(duration * rate))."""
    return max(0, math.ceil(n_samples * float(frame_rate) / float(sample_rate) - 1e-9))


def frame_centres(k: np.ndarray, sample_rate: float, frame_rate: float) -> np.ndarray:
    """Sample index (int64) at the centre of frames ``k``: round(k * sample_rate / frame_rate)."""
    return np.floor(np.asarray(k, dtype=np.float64) * (float(sample_rate) / float(frame_rate)) + 0.5).astype(np.int64)


class FrameStream:
    """Hann-windowed power spectra centred on frame times k / ``frame_rate``, fed block by block.

    ``reduce`` maps a batch of power spectra (m, n_fft // 2 + 1), float64, to the per-frame values wanted
    (m, D). :meth:`push` takes the next samples and returns the rows of every frame whose window is now
    complete; :meth:`finish` pads with zeros and returns the rest, up to ``n_frames`` frames in all
    (default: :func:`frame_count` of the samples received). ``limit`` caps the frames computed by
    :meth:`push` (so a stream never returns rows beyond a known ``n_frames``). Memory: one window plus
    one block.
    """

    def __init__(
        self,
        sample_rate: float,
        frame_rate: float,
        n_fft: int,
        reduce: Callable[[np.ndarray], np.ndarray],
        limit: int | None = None,
    ):
        self.sample_rate = positive_number(sample_rate, "sample rate (Hz)")
        self.frame_rate = positive_number(frame_rate, "frame rate (fps)")
        self.n_fft = whole_number(n_fft, "n_fft (samples)", 2)
        self._reduce = reduce
        self._limit = None if limit is None else whole_number(limit, "n_frames", 0)
        self._half = self.n_fft // 2
        self._window = hann_window(self.n_fft)
        self._offsets = np.arange(self.n_fft)
        self._buf = np.zeros(self._half)  # the zeros before the first sample
        self._buf_start = -self._half  # sample index of _buf[0]
        self._received = 0
        self._next = 0  # next frame to compute
        self._finished = False

    @property
    def frames_done(self) -> int:
        """Frames returned so far."""
        return self._next

    def _centres(self, k: np.ndarray) -> np.ndarray:
        return frame_centres(k, self.sample_rate, self.frame_rate)

    def _ready(self) -> int:
        """Number of frames (from 0) whose windows lie inside the samples received."""
        reach = self._received - (self.n_fft - self._half)  # a frame is ready when its centre <= reach
        if reach < 0:
            return 0
        step = self.sample_rate / self.frame_rate
        count = max(0, math.ceil((reach + 0.5) / step) - 1)
        while self._centres(np.array([count]))[0] <= reach:
            count += 1
        while count > 0 and self._centres(np.array([count - 1]))[0] > reach:
            count -= 1
        return count

    def _compute(self, stop: int) -> np.ndarray:
        pieces = []
        while self._next < stop:
            k = np.arange(self._next, min(stop, self._next + _CHUNK_FRAMES))
            starts = self._centres(k) - self._half - self._buf_start
            windows = self._buf[starts[:, None] + self._offsets] * self._window
            spectrum = np.fft.rfft(windows, axis=1)
            power = spectrum.real**2 + spectrum.imag**2
            pieces.append(np.asarray(self._reduce(power), dtype=np.float64))
            self._next = int(k[-1]) + 1
        if pieces:
            out = np.concatenate(pieces)
        else:
            out = np.asarray(self._reduce(np.zeros((0, self.n_fft // 2 + 1))), dtype=np.float64)
        # Drop the samples no later frame needs.
        first_needed = int(self._centres(np.array([self._next]))[0]) - self._half
        drop = min(first_needed - self._buf_start, len(self._buf))
        if drop > 0:
            self._buf = self._buf[drop:]
            self._buf_start += drop
        return out

    def push(self, block: np.ndarray) -> np.ndarray:
        """Add the next samples (1-D); return rows (m, D) for the frames completed by them."""
        if self._finished:
            raise SettingsError("FrameStream.push called after finish().")
        x = np.asarray(block).reshape(-1)
        pieces = []
        for start in range(0, len(x), _PUSH_SAMPLES):  # slices: the working copy stays small
            self._buf = np.concatenate([self._buf, x[start : start + _PUSH_SAMPLES].astype(np.float64)])
            self._received += min(_PUSH_SAMPLES, len(x) - start)
            stop = self._ready()
            if self._limit is not None:
                stop = min(stop, self._limit)
            pieces.append(self._compute(max(stop, self._next)))
        return np.concatenate(pieces) if pieces else self._compute(self._next)

    def finish(self, n_frames: int | None = None) -> np.ndarray:
        """Rows of the remaining frames up to ``n_frames`` in all (zeros after the last sample)."""
        if self._finished:
            raise SettingsError("FrameStream.finish called twice.")
        self._finished = True
        if n_frames is None:
            n_frames = self._limit if self._limit is not None else self.frame_count
        total = whole_number(n_frames, "n_frames", 0)
        if total < self._next:
            raise SettingsError(f"n_frames ({total}) is less than the {self._next} frames already returned.")
        if total > self._next:
            need = int(self._centres(np.array([total - 1]))[0]) - self._half + self.n_fft
            have = self._buf_start + len(self._buf)
            if need > have:
                self._buf = np.concatenate([self._buf, np.zeros(need - have)])
        return self._compute(total)

    @property
    def frame_count(self) -> int:
        """Default number of frames for the samples received so far (:func:`frame_count`)."""
        return frame_count(self._received, self.sample_rate, self.frame_rate)


# -- features ----------------------------------------------------------------------------------------------


def _feature_reducer(config: FeatureConfig) -> Callable[[np.ndarray], np.ndarray]:
    bank = mel_filterbank(config.sample_rate, config.n_fft, config.n_mels, config.fmin, config.fmax).T
    dct = dct_matrix(config.n_mels, config.n_mfcc) if config.kind == "mfcc" else None
    amin = float(config.amin)

    def reduce(power: np.ndarray) -> np.ndarray:
        logmel = power_to_db(power @ bank, amin)
        return logmel if dct is None else logmel @ dct

    return reduce


class AudioFeatureStream:
    """Per-video-frame features computed block by block (same rows as :func:`audio_features`).

    ``push(samples)`` returns the rows (m, D) float32 completed by the new samples (at
    ``config.sample_rate``); ``finish()`` returns the remaining rows up to ``n_frames`` (default: one per
    video frame of the audio received, ``ceil(duration * fps)``).
    """

    def __init__(self, config: FeatureConfig, fps: float, n_frames: int | None = None):
        self.config = (config or FeatureConfig()).validate()
        self.fps = positive_number(fps, "fps")
        self._frames = FrameStream(
            self.config.sample_rate, self.fps, self.config.n_fft, _feature_reducer(self.config), limit=n_frames
        )

    def push(self, samples: np.ndarray) -> np.ndarray:
        return self._frames.push(samples).astype(np.float32)

    def finish(self, n_frames: int | None = None) -> np.ndarray:
        return self._frames.finish(n_frames).astype(np.float32)


def _samples_at(audio: Any, sample_rate: int) -> np.ndarray:
    """Samples of ``audio`` (an AudioClip, resampled if needed, or a 1-D array at ``sample_rate``)."""
    rate = getattr(audio, "sample_rate", None)
    if rate is not None:
        samples = np.asarray(audio.samples)
        if int(rate) != int(sample_rate):
            from .decode import resample

            samples = resample(samples, int(rate), int(sample_rate))
    else:
        samples = np.asarray(audio)
    if samples.ndim != 1:
        raise SettingsError(f"audio samples must be mono (1-D), got shape {samples.shape}.")
    for start in range(0, samples.size, 1 << 20):  # in slices: no mask as long as the audio
        if not np.isfinite(samples[start : start + (1 << 20)]).all():
            raise SettingsError("audio samples hold NaN or infinite values.")
    return samples


def audio_features(
    samples: np.ndarray, config: FeatureConfig | None = None, fps: float = 25.0, n_frames: int | None = None
) -> np.ndarray:
    """Features (n_frames, config.dim) float32, row k for the audio around time k / ``fps`` seconds.

    ``samples``: mono audio at ``config.sample_rate`` Hz (1-D array), or an :class:`core.voice.decode.AudioClip`
    (resampled if its rate differs). ``n_frames`` defaults to ``ceil(duration * fps)``; rows past the end
    of the audio describe silence.
    """
    config = (config or FeatureConfig()).validate()
    x = _samples_at(samples, config.sample_rate)
    stream = AudioFeatureStream(config, fps, n_frames)
    # Pushed in slices and written into one array: memory is the result plus one slice's rows.
    def pieces() -> Iterator[np.ndarray]:
        for start in range(0, len(x), 1 << 20):
            yield stream.push(x[start : start + (1 << 20)])
        yield stream.finish(n_frames)

    total = int(n_frames) if n_frames is not None else frame_count(len(x), config.sample_rate, fps)
    out = np.empty((total, config.dim), dtype=np.float32)
    done = 0
    for rows in pieces():
        if done + len(rows) > len(out):  # (never: the count above is the stream's own)
            out = np.concatenate([out[:done], np.empty((done + len(rows) - len(out), out.shape[1]), out.dtype)])
        out[done : done + len(rows)] = rows
        done += len(rows)
    return out[:done]


def iter_audio_features(
    blocks: Iterable[np.ndarray], config: FeatureConfig | None = None, fps: float = 25.0, n_frames: int | None = None
) -> Iterator[np.ndarray]:
    """Features of audio arriving in blocks (e.g. :func:`core.voice.decode.iter_audio_blocks`), as row chunks.

    Concatenated, the chunks equal :func:`audio_features` of the concatenated blocks.
    """
    stream = AudioFeatureStream(config or FeatureConfig(), fps, n_frames)
    for block in blocks:
        rows = stream.push(block)
        if len(rows):
            yield rows
    rows = stream.finish(n_frames)
    if len(rows):
        yield rows
