"""Audio decoding: any audio or video file to a mono float32 clip at a chosen sample rate.

:func:`decode_audio` reads a whole file; :func:`iter_audio_blocks` streams it in fixed-length blocks with
bounded memory (an hour-long recording is never held in memory at once). Both:

* try a chain of **decoders** in order. A decoder is any callable ``decoder(path, sample_rate) ->
  (samples, rate)`` returning float samples shaped (n,) or (n, channels) at ANY rate ``rate`` in Hz (the
  requested ``sample_rate`` is only a hint), and raising :class:`DecoderUnavailable` when it cannot read
  the file, so the next decoder gets its turn. A decoder that can stream also has a method
  ``open_stream(path) -> (rate, iterator of blocks)``. The Blender layer puts its own decoder (built on
  Blender's ``aud`` module) in front of :func:`default_decoders`;
* mix to mono (mean of the channels) and resample to ``sample_rate`` with :class:`Resampler`, a numpy
  windowed-sinc resampler, so every decoder and every machine (inside Blender or not) produces the same
  samples for the same decoded audio: the audio features a model was trained on are the features it sees.

Default decoders (optional, NOT shipped inside the Blender extension, where ``aud`` decodes):

* :class:`SoundfileDecoder`: wav, flac, ogg (Vorbis/Opus), aiff, and mp3 with libsndfile >= 1.1;
* :class:`FfmpegDecoder`: any container ffmpeg reads (m4a, aac, mp4, mov, mkv, webm, ...), through an
  ``ffmpeg`` executable (``HEAD_MOTION_FFMPEG`` environment variable, else the binary of the Python package
  ``imageio-ffmpeg``, else ``ffmpeg`` on PATH) writing raw 32-bit float samples into a pipe.

The optional packages are imported by name through :mod:`importlib` inside the decoders: they are not
run-time dependencies of the extension (tools/runtime_deps.py scans the sources for imports).

Samples are float32 in [-1, 1]; rates in Hz; durations in seconds. Every failure is a
:class:`core.errors.MediaError` whose message names the file.
"""

from __future__ import annotations

import importlib
import math
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from .errors import MediaError, SettingsError

#: File types Head Motion expects to read (used to word error messages; any file is still tried).
MEDIA_EXTENSIONS = (
    ".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".m4a", ".aac", ".wma",
    ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi",
)  # fmt: skip
#: Environment variable naming an ffmpeg executable to use instead of the automatic search.
FFMPEG_ENV = "HEAD_MOTION_FFMPEG"

Decoder = Callable[[str, int], tuple[np.ndarray, int]]


class DecoderUnavailable(Exception):  # noqa: N818 - a signal to try the next decoder, not an error
    """Raised by a decoder that cannot read a file, so the next decoder is tried.

    ``kind`` tells why: ``"missing"`` (its library or program is not installed), ``"format"`` (it does
    not know the file's format), ``"corrupt"`` (a format it reads, but damaged data) or ``"no_audio"``
    (a readable container without an audio stream). ``reason`` is a short text for the error message.
    """

    def __init__(self, reason: str, kind: str = "format"):
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


@dataclass(eq=False)
class AudioClip:
    """Mono audio: ``samples`` float32 (n,) in [-1, 1] at ``sample_rate`` Hz, decoded from ``source``."""

    samples: np.ndarray
    sample_rate: int
    source: str = ""

    def __post_init__(self) -> None:
        self.samples = np.ascontiguousarray(self.samples, dtype=np.float32)
        if self.samples.ndim != 1:
            raise SettingsError(f"AudioClip samples must be mono (1-D), got shape {self.samples.shape}.")
        self.sample_rate = _check_rate(self.sample_rate, "sample_rate")

    @property
    def duration_s(self) -> float:
        """Length in seconds (samples / sample_rate)."""
        return len(self.samples) / float(self.sample_rate)

    def __len__(self) -> int:
        return int(self.samples.shape[0])


def _check_rate(rate: Any, name: str) -> int:
    if isinstance(rate, bool):
        raise SettingsError(f"{name} must be a whole number of Hz > 0, got {rate!r}.")
    try:
        value = float(rate)
    except (TypeError, ValueError):
        raise SettingsError(f"{name} must be a whole number of Hz > 0, got {rate!r}.") from None
    if not math.isfinite(value) or value <= 0 or value != round(value):
        raise SettingsError(f"{name} must be a whole number of Hz > 0, got {rate!r}.")
    return round(value)


# -- resampling --------------------------------------------------------------------------------------------

#: Kaiser-windowed sinc: zero crossings of the sinc on each side, pass band as a fraction of the lower
#: Nyquist frequency, Kaiser beta (~75 dB stop band). At 16 kHz output: flat to ~6.5 kHz, -6 dB at 7.4 kHz,
#: stop band from ~8.2 kHz, so nothing above 8.8 kHz aliases below 7.2 kHz.
RESAMPLE_ZERO_CROSSINGS = 24
RESAMPLE_PASSBAND = 0.92
RESAMPLE_BETA = 7.5
#: Most filter phases used; a rate ratio needing more is approximated by the nearest ratio that does
#: not (relative rate error < 1e-6 for any rate in 4-384 kHz; standard rates are exact).
_MAX_PHASES = 1024
#: Rows of input processed per matrix product (bounds the temporary memory to a few MB).
_RESAMPLE_ROWS = 4096
#: A row of the matrix product spans at least this many filter lengths of input (speed trade-off).
_ROW_SPAN = 1


def _resample_ratio(rate_in: int, rate_out: int) -> tuple[int, int]:
    """(L, M): L output samples for every M input samples, L <= _MAX_PHASES."""
    ratio = Fraction(rate_in, rate_out).limit_denominator(_MAX_PHASES)  # = M / L
    return ratio.denominator, ratio.numerator


class Resampler:
    """Band-limited resampling from ``rate_in`` to ``rate_out`` Hz, whole signals or block by block.

    Output sample n lies at input position p = n * rate_in / rate_out (so sample 0 of both streams is the
    same instant) and is a Kaiser-windowed sinc interpolation of the inputs around p, low-pass filtered
    below the lower of the two Nyquist frequencies (see ``RESAMPLE_*``). Before the first and after the
    last input sample the signal is taken as zero. A whole signal of n samples gives
    ``ceil(n * rate_out / rate_in)`` samples.

    Feed blocks with :meth:`process`; the last call passes ``final=True``. The concatenated outputs are
    the same whatever the block sizes (to float32 rounding). Polyphase implementation: the filter is
    tabulated for the L output phases of the rational ratio L / M, and groups of outputs are computed
    as one matrix product per batch of input rows.
    """

    def __init__(self, rate_in: int, rate_out: int):
        self.rate_in = _check_rate(rate_in, "input sample rate")
        self.rate_out = _check_rate(rate_out, "output sample rate")
        self._identity = self.rate_in == self.rate_out
        self._n_in = 0
        self._n_out = 0
        self._done = False
        if self._identity:
            return
        up, down = _resample_ratio(self.rate_in, self.rate_out)  # `up` outputs for every `down` inputs
        cutoff = RESAMPLE_PASSBAND * min(1.0, up / down)  # fraction of the INPUT Nyquist frequency
        half = math.ceil(RESAMPLE_ZERO_CROSSINGS / cutoff)
        taps = 2 * half
        phase = np.arange(up)
        base = (phase * down) // up  # whole input samples from q * down to output q * up + r
        frac = ((phase * down) % up) / up  # and the fractional part
        t = np.arange(-half + 1, half + 1)[None, :] - frac[:, None]  # tap offsets in input samples
        window = np.i0(RESAMPLE_BETA * np.sqrt(np.clip(1.0 - (t / half) ** 2, 0.0, 1.0))) / np.i0(RESAMPLE_BETA)
        table = cutoff * np.sinc(cutoff * t) * window
        table /= table.sum(axis=1, keepdims=True)  # exact unit gain at 0 Hz for every phase
        # One "row" of `groups` input periods (groups * down inputs) makes groups * up outputs from a window
        # of `width` inputs: out[q * up + r] = sum_j table[r, j] * xp[q * down + base[r] + j], where xp is
        # the input delayed by half - 1 zeros. Rows are computed as a matrix product with `matrix`.
        groups = max(1, math.ceil(_ROW_SPAN * taps / down))
        width = groups * down + taps - 1
        matrix = np.zeros((width, groups * up), dtype=np.float32)
        for g in range(groups):
            for r in range(up):
                start = g * down + int(base[r])
                matrix[start : start + taps, g * up + r] = table[r]
        self._up, self._down, self._groups, self._width = up, down, groups, width
        self._stride = groups * down
        self._matrix = matrix
        self._buf = np.zeros(half - 1, dtype=np.float32)  # xp from index 0: the leading zeros
        self._buf_start = 0  # xp index of _buf[0]
        self._row = 0  # next row to compute
        self._pad = half - 1

    def expected_length(self, n_in: int) -> int:
        """Number of output samples for ``n_in`` input samples."""
        if self._identity:
            return int(n_in)
        return -((-int(n_in) * self._up) // self._down)

    def process(self, block: np.ndarray, final: bool = False) -> np.ndarray:
        """Resample the next block (1-D float); returns the float32 output samples now complete."""
        if self._done:
            raise SettingsError("Resampler.process called again after the final block.")
        x = np.asarray(block, dtype=np.float32).reshape(-1)
        self._n_in += len(x)
        self._done = bool(final)
        if self._identity:
            self._n_out += len(x)
            return x.copy()
        self._buf = np.concatenate([self._buf, x]) if len(x) else self._buf
        available = self._buf_start + len(self._buf)  # xp samples present
        if final:
            total = self.expected_length(self._n_in)
            if total <= self._n_out:
                return np.zeros(0, dtype=np.float32)
            last_row = (total - 1) // (self._groups * self._up)
            need = last_row * self._stride + self._width
            if need > available:
                self._buf = np.concatenate([self._buf, np.zeros(need - available, dtype=np.float32)])
            stop = last_row + 1
        else:
            stop = max(self._row, (available - self._width) // self._stride + 1)
        pieces = []
        while self._row < stop:
            rows = min(stop - self._row, _RESAMPLE_ROWS)
            offset = self._row * self._stride - self._buf_start
            view = np.lib.stride_tricks.as_strided(
                self._buf[offset:],
                shape=(rows, self._width),
                strides=(self._stride * self._buf.itemsize, self._buf.itemsize),
                writeable=False,
            )
            pieces.append((np.ascontiguousarray(view) @ self._matrix).reshape(-1))
            self._row += rows
        keep_from = self._row * self._stride - self._buf_start
        if keep_from > 0:
            self._buf = self._buf[keep_from:].copy()
            self._buf_start += keep_from
        out = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
        if final:
            out = out[: self.expected_length(self._n_in) - self._n_out]
        self._n_out += len(out)
        return out


def resample(samples: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Resample a whole 1-D signal from ``rate_in`` to ``rate_out`` Hz (see :class:`Resampler`); float32."""
    return Resampler(rate_in, rate_out).process(samples, final=True)


# -- decoders ----------------------------------------------------------------------------------------------


def _import_optional(name: str) -> Any:
    """Import an optional package by name, or raise DecoderUnavailable(kind="missing")."""
    try:
        return importlib.import_module(name)
    except (ImportError, OSError) as exc:  # OSError: a wrapper whose shared library is missing
        raise DecoderUnavailable(f"the Python package '{name}' is not installed ({exc})", "missing") from None


def _extension(path: str) -> str:
    return os.path.splitext(path)[1].lower()


class SoundfileDecoder:
    """Reads what libsndfile reads (wav, flac, ogg, aiff, mp3 with libsndfile >= 1.1) via ``soundfile``."""

    name = "soundfile"
    #: Extensions libsndfile reads; a failure on one of them means damaged data, not an unknown format.
    NATIVE = frozenset({".wav", ".wave", ".flac", ".ogg", ".oga", ".aif", ".aiff", ".aifc", ".caf", ".w64"})
    _BLOCK = 65536

    def _module(self) -> tuple[Any, frozenset]:
        sf = _import_optional("soundfile")
        native = self.NATIVE
        version = tuple(int(p) for p in re.findall(r"\d+", getattr(sf, "__libsndfile_version__", "0"))[:2])
        if version >= (1, 1):
            native = native | {".mp3"}
        return sf, native

    def _fail(self, exc: Exception, path: str, native: frozenset) -> DecoderUnavailable:
        text = str(exc).split("\n")[-1].strip() or type(exc).__name__
        text = text.replace(f"Error opening {path!r}: ", "")
        return DecoderUnavailable(text, "corrupt" if _extension(path) in native else "format")

    def __call__(self, path: str, sample_rate: int) -> tuple[np.ndarray, int]:
        sf, native = self._module()
        try:
            data, rate = sf.read(path, dtype="float32", always_2d=True)
        except (RuntimeError, ValueError, TypeError, OSError, EOFError) as exc:
            raise self._fail(exc, path, native) from None
        return data, int(rate)

    def open_stream(self, path: str) -> tuple[int, Iterator[np.ndarray]]:
        """Open ``path`` now (raising DecoderUnavailable if it can't); return (rate, block iterator)."""
        sf, native = self._module()
        try:
            handle = sf.SoundFile(path)
        except (RuntimeError, ValueError, TypeError, OSError, EOFError) as exc:
            raise self._fail(exc, path, native) from None

        def blocks() -> Iterator[np.ndarray]:
            with handle:
                while True:
                    try:
                        data = handle.read(self._BLOCK, dtype="float32", always_2d=True)
                    except (RuntimeError, ValueError, OSError, EOFError) as exc:
                        raise MediaError(
                            f"Cannot read '{path}': the data is damaged part-way through ({exc}).", path, "corrupt"
                        ) from None
                    if len(data) == 0:
                        return
                    yield data

        return int(handle.samplerate), blocks()


def find_ffmpeg() -> str | None:
    """Path of an ffmpeg executable: $HEAD_MOTION_FFMPEG, imageio-ffmpeg's bundled binary, or PATH."""
    configured = os.environ.get(FFMPEG_ENV)
    if configured:
        return configured
    try:
        module = importlib.import_module("imageio_ffmpeg")
        exe = module.get_ffmpeg_exe()
        if exe and os.path.isfile(exe):
            return exe
    except (ImportError, OSError, RuntimeError):
        pass
    return shutil.which("ffmpeg")


_AUDIO_STREAM = re.compile(r"Stream #\d+:\d+.*?: Audio: .*?(\d+) Hz")


class FfmpegDecoder:
    """Reads any container ffmpeg reads (m4a, aac, mp4, mov, mkv, webm, mp3, ...) through an ffmpeg program.

    The first audio stream is decoded at its own sample rate, mixed to mono by ffmpeg and piped as raw
    32-bit floats (resampling to the requested rate is left to :class:`Resampler`, like every decoder).
    The mix is normalised (``-rematrix_maxval 1``), so stereo becomes (L + R) / 2 exactly as with the
    other decoders; surround layouts get ffmpeg's standard down-mix, scaled to avoid clipping.
    ``executable`` overrides :func:`find_ffmpeg`.

    Raw ADTS ``.aac`` files carry no trimming information, so their audio starts late by the encoder's
    priming delay (1024 samples with ffmpeg's encoder, 2112 with Apple's); AAC in mp4/m4a/mov/mkv is
    trimmed exactly.
    """

    name = "ffmpeg"
    _CHUNK_BYTES = 4 * 65536

    def __init__(self, executable: str | None = None):
        self.executable = executable

    def _exe(self) -> str:
        exe = self.executable or find_ffmpeg()
        if not exe:
            raise DecoderUnavailable(
                "no ffmpeg program found (install the Python package 'imageio-ffmpeg', put ffmpeg on PATH, "
                f"or set {FFMPEG_ENV})",
                "missing",
            )
        return exe

    def _run(self, args: list[str], **kwargs: Any) -> subprocess.CompletedProcess:
        try:
            return subprocess.run(args, capture_output=True, check=False, creationflags=_NO_WINDOW, **kwargs)
        except OSError as exc:
            raise DecoderUnavailable(f"cannot run ffmpeg '{args[0]}' ({exc.strerror or exc})", "missing") from None

    def probe(self, path: str) -> int:
        """Sample rate (Hz) of the first audio stream of ``path``; DecoderUnavailable if none or unreadable."""
        done = self._run([self._exe(), "-hide_banner", "-nostdin", "-i", _ffmpeg_url(path)])
        log = done.stderr.decode("utf-8", "replace")
        match = _AUDIO_STREAM.search(log)
        if match:
            return int(match.group(1))
        if re.search(r"Input #\d+", log):
            if re.search(r"Stream #\d+:\d+", log):
                raise DecoderUnavailable("the file has no audio track", "no_audio")
            raise DecoderUnavailable("the file holds no streams", "corrupt")
        kind = "corrupt" if _extension(path) in MEDIA_EXTENSIONS else "format"
        raise DecoderUnavailable(_last_line(log, path) or "ffmpeg could not open the file", kind)

    def _command(self, path: str, rate: int) -> list[str]:
        return [
            self._exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", _ffmpeg_url(path),
            "-map", "0:a:0", "-rematrix_maxval", "1", "-ac", "1", "-ar", str(rate),
            "-f", "f32le", "-acodec", "pcm_f32le", "pipe:1",
        ]  # fmt: skip

    def __call__(self, path: str, sample_rate: int) -> tuple[np.ndarray, int]:
        rate = self.probe(path)
        done = self._run(self._command(path, rate))
        if done.returncode != 0:
            reason = _last_line(done.stderr.decode("utf-8", "replace"), path) or f"ffmpeg exit {done.returncode}"
            raise DecoderUnavailable(reason, "corrupt")
        usable = len(done.stdout) // 4 * 4
        return np.frombuffer(done.stdout[:usable], dtype="<f4").astype(np.float32), rate

    def open_stream(self, path: str) -> tuple[int, Iterator[np.ndarray]]:
        """Probe ``path`` now (raising DecoderUnavailable if unreadable); return (rate, float32 blocks).

        ffmpeg itself starts on the first ``next()`` and is stopped when the iterator ends or is closed,
        so an iterator that is never used leaves no process behind.
        """
        rate = self.probe(path)
        command = self._command(path, rate)

        def blocks() -> Iterator[np.ndarray]:
            with tempfile.TemporaryFile() as log:  # a file: a full stderr pipe would block ffmpeg
                try:
                    proc = subprocess.Popen(
                        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, creationflags=_NO_WINDOW
                    )
                except OSError as exc:
                    raise MediaError(
                        f"Cannot read '{path}': cannot run ffmpeg ({exc.strerror or exc}).", path
                    ) from None
                rest = b""
                try:
                    while True:
                        chunk = proc.stdout.read(self._CHUNK_BYTES)
                        if not chunk:
                            break
                        data = rest + chunk
                        usable = len(data) // 4 * 4
                        rest = data[usable:]
                        if usable:
                            yield np.frombuffer(data[:usable], dtype="<f4").astype(np.float32)
                    code = proc.wait()
                    if code != 0:
                        log.seek(0)
                        reason = _last_line(log.read().decode("utf-8", "replace"), path) or f"ffmpeg exit {code}"
                        raise MediaError(f"Cannot read '{path}': the data is damaged ({reason}).", path, "corrupt")
                finally:
                    if proc.poll() is None:
                        proc.kill()
                        proc.wait()
                    proc.stdout.close()

        return rate, blocks()


_NO_WINDOW = getattr(subprocess, "CREATE_NO_WINDOW", 0)  # no console window flashing up on Windows


def _ffmpeg_url(path: str) -> str:
    """``file:`` URL so that names with ':' are never taken for a protocol, and '-' not for stdin."""
    return "file:" + path


def _last_line(log: str, path: str) -> str:
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    if not lines:
        return ""
    text = lines[-1]
    for prefix in (f"file:{path}: ", f"{path}: ", "file:"):
        text = text.removeprefix(prefix)
    return text


def default_decoders() -> list[Decoder]:
    """The decoder chain used when none is given: soundfile, then ffmpeg."""
    return [SoundfileDecoder(), FfmpegDecoder()]


def _decoder_name(decoder: Any) -> str:
    return str(getattr(decoder, "name", None) or getattr(decoder, "__name__", None) or type(decoder).__name__)


# -- decoding ----------------------------------------------------------------------------------------------


def _check_file(path: str) -> str:
    path = os.fspath(path)
    if not os.path.exists(path):
        raise MediaError(f"Audio file '{path}' does not exist.", path, "missing")
    if os.path.isdir(path):
        raise MediaError(f"'{path}' is a folder, not an audio or video file.", path, "missing")
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise MediaError(f"Cannot read '{path}': {exc.strerror or exc}.", path, "missing") from None
    if size == 0:
        raise MediaError(f"Audio file '{path}' is empty (0 bytes).", path, "empty")
    return path


def _failure(path: str, failures: list[tuple[str, DecoderUnavailable]]) -> MediaError:
    """The MediaError that sums up why no decoder could read ``path``."""
    ext = _extension(path) or "(no extension)"
    details = "; ".join(f"{name}: {exc.reason}" for name, exc in failures) or "no decoder was given"
    kinds = {exc.kind for _, exc in failures}
    known = ", ".join(e.lstrip(".") for e in MEDIA_EXTENSIONS)
    if ext not in MEDIA_EXTENSIONS:  # (ffmpeg reads a text file as "tty" video without audio...)
        return MediaError(
            f"Cannot read '{path}': '{ext}' files are not supported. Use an audio or video file ({known}). [{details}]",
            path,
            "unsupported",
        )
    if "no_audio" in kinds:
        return MediaError(f"'{path}' has no audio track.", path, "no_audio")
    if "corrupt" in kinds:
        return MediaError(
            f"Cannot read '{path}': the file is damaged or is not really a {ext} file. [{details}]", path, "corrupt"
        )
    return MediaError(
        f"Cannot read '{path}': no available decoder reads {ext} files. Reading them needs ffmpeg (the Python "
        f"package 'imageio-ffmpeg' or ffmpeg on PATH). [{details}]",
        path,
        "unsupported",
    )


def _mono(samples: Any, path: str, decoder: str) -> np.ndarray:
    data = np.asarray(samples)
    if data.ndim == 2:
        channels = data.shape[1]
        data = (
            data[:, 0]
            if channels == 1
            else data.astype(np.float32, copy=False) @ np.full(channels, 1.0 / channels, np.float32)
        )
    elif data.ndim != 1:
        raise MediaError(f"Decoder '{decoder}' returned audio of shape {data.shape} for '{path}'.", path, "corrupt")
    data = np.asarray(data, dtype=np.float32)
    if not np.isfinite(data).all():
        raise MediaError(f"Cannot read '{path}': the audio holds NaN/infinite values.", path, "corrupt")
    return data


def _zero_length(path: str) -> MediaError:
    return MediaError(f"'{path}' contains no audio samples (zero length).", path, "empty")


def decode_audio(
    path: str | os.PathLike, sample_rate: int = 16000, decoders: Sequence[Decoder] | None = None
) -> AudioClip:
    """Decode the audio of ``path`` (audio or video file) to a mono float32 :class:`AudioClip`.

    ``sample_rate`` (Hz) is the rate of the result; ``decoders`` is the chain to try in order (default
    :func:`default_decoders`). Raises :class:`MediaError` when the file is missing or empty, holds no
    audio or zero samples, is damaged, or no decoder reads its format. The whole file is held in memory:
    stream long recordings with :func:`iter_audio_blocks` instead.
    """
    sample_rate = _check_rate(sample_rate, "sample_rate")
    path = _check_file(os.fspath(path))
    name, (samples, rate) = _first_that_reads(path, decoders, lambda decoder: decoder(path, sample_rate))
    data = _mono(samples, path, name)
    if len(data) == 0:
        raise _zero_length(path)
    rate = _check_rate(rate, f"sample rate returned by decoder '{name}'")
    if rate != sample_rate:
        data = resample(data, rate, sample_rate)
    return AudioClip(np.clip(data, -1.0, 1.0), sample_rate, path)


def _first_that_reads(path: str, decoders: Sequence[Decoder] | None, read: Callable[[Decoder], Any]) -> tuple[str, Any]:
    """(name, ``read(decoder)``) for the first decoder of the chain (default :func:`default_decoders`) that
    reads ``path``; a :class:`MediaError` saying why each one could not when none does."""
    failures: list[tuple[str, DecoderUnavailable]] = []
    for decoder in default_decoders() if decoders is None else list(decoders):
        name = _decoder_name(decoder)
        try:
            return name, read(decoder)
        except DecoderUnavailable as exc:
            failures.append((name, exc))
    raise _failure(path, failures)


def iter_audio_blocks(
    path: str | os.PathLike,
    sample_rate: int = 16000,
    block_s: float = 10.0,
    decoders: Sequence[Decoder] | None = None,
) -> Iterator[np.ndarray]:
    """Stream the audio of ``path`` as mono float32 blocks of ``block_s`` seconds at ``sample_rate`` Hz.

    Every block has ``round(block_s * sample_rate)`` samples except the last (shorter, never empty); the
    blocks concatenated equal :func:`decode_audio`'s samples (to float32 rounding). Memory stays bounded
    by the block size for decoders with ``open_stream`` (soundfile, ffmpeg); a plain decoder callable is
    read whole and then cut into blocks. The file is opened, and open errors are raised, by this call;
    damage found later is raised (as :class:`MediaError`) while iterating.
    """
    sample_rate = _check_rate(sample_rate, "sample_rate")
    block_s = float(block_s)
    if not math.isfinite(block_s) or block_s <= 0.0:
        raise SettingsError(f"block_s must be a number of seconds > 0, got {block_s!r}.")
    block_n = max(1, round(block_s * sample_rate))
    path = _check_file(os.fspath(path))

    def open_stream(decoder: Decoder) -> tuple[int, Iterable[np.ndarray]]:
        if hasattr(decoder, "open_stream"):
            return decoder.open_stream(path)
        whole, rate = decoder(path, sample_rate)
        return rate, iter([whole])

    name, (rate, source) = _first_that_reads(path, decoders, open_stream)
    rate = _check_rate(rate, f"sample rate returned by decoder '{name}'")
    return _stream(source, path, name, rate, sample_rate, block_n)


def _stream(
    source: Iterable[np.ndarray], path: str, name: str, rate: int, sample_rate: int, block_n: int
) -> Iterator[np.ndarray]:
    resampler = Resampler(rate, sample_rate)
    pending: list[np.ndarray] = []
    pending_n = 0
    total = 0

    def cut(final: bool) -> Iterator[np.ndarray]:
        nonlocal pending, pending_n
        if pending_n < block_n and not (final and pending_n):
            return
        data = np.concatenate(pending) if len(pending) > 1 else pending[0]
        whole = len(data) if final else len(data) // block_n * block_n
        for start in range(0, whole, block_n):
            yield np.clip(data[start : start + block_n], -1.0, 1.0)
        rest = data[whole:]
        pending, pending_n = ([rest], len(rest)) if len(rest) else ([], 0)

    try:
        for block in source:
            data = _mono(block, path, name)
            total += len(data)
            out = resampler.process(data)
            if len(out):
                pending.append(out)
                pending_n += len(out)
                yield from cut(final=False)
        if total == 0:
            raise _zero_length(path)
        out = resampler.process(np.zeros(0, dtype=np.float32), final=True)
        if len(out):
            pending.append(out)
            pending_n += len(out)
        yield from cut(final=True)
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()
