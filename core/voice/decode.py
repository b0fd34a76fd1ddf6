"""Audio decoding: any audio or video file to a mono float32 clip at a chosen sample rate.

:func:`decode_audio` reads a whole file; :func:`iter_audio_blocks` streams it in fixed-length blocks with
bounded memory (an hour-long recording is never held in memory at once); :func:`decode_audio_streamed` gives
:func:`decode_audio`'s result (the whole mono clip at ``sample_rate``) from that stream, so memory is the result
plus one block: a 48 kHz stereo file is never held whole. All three:

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

import math
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..checks import MAX_VOICE_S
from ..checks import sample_rate as checked_rate
from ..errors import MediaError, SettingsError
from ..media import MEDIA_EXTENSIONS
from ..media import extension as _extension
from .decoders import Decoder, DecoderUnavailable, decoder_name, default_decoders
from .resample import Resampler, resample
from .source import BLOCK_SAMPLES


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
        self.sample_rate = checked_rate(self.sample_rate, "sample_rate")

    @property
    def duration_s(self) -> float:
        """Length in seconds (samples / sample_rate)."""
        return len(self.samples) / float(self.sample_rate)

    def __len__(self) -> int:
        return int(self.samples.shape[0])

    def blocks(self) -> Iterator[np.ndarray]:
        """The samples as views of :data:`core.voice.source.BLOCK_SAMPLES` samples (the voice-clip protocol)."""
        for start in range(0, len(self.samples), BLOCK_SAMPLES):
            yield self.samples[start : start + BLOCK_SAMPLES]




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
    sample_rate = checked_rate(sample_rate, "sample_rate")
    path = _check_file(os.fspath(path))
    name, (samples, rate) = _first_that_reads(path, decoders, lambda decoder: decoder(path, sample_rate))
    data = _mono(samples, path, name)
    if len(data) == 0:
        raise _zero_length(path)
    rate = checked_rate(rate, f"sample rate returned by decoder '{name}'")
    if rate != sample_rate:
        data = resample(data, rate, sample_rate)
    return AudioClip(np.clip(data, -1.0, 1.0), sample_rate, path)


def _first_that_reads(path: str, decoders: Sequence[Decoder] | None, read: Callable[[Decoder], Any]) -> tuple[str, Any]:
    """(name, ``read(decoder)``) for the first decoder of the chain (default :func:`default_decoders`) that
    reads ``path``; a :class:`MediaError` saying why each one could not when none does."""
    failures: list[tuple[str, DecoderUnavailable]] = []
    for decoder in default_decoders() if decoders is None else list(decoders):
        name = decoder_name(decoder)
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
    sample_rate = checked_rate(sample_rate, "sample_rate")
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
    rate = checked_rate(rate, f"sample rate returned by decoder '{name}'")
    return _stream(source, path, name, rate, sample_rate, block_n)


def decode_audio_streamed(
    path: str | os.PathLike,
    sample_rate: int = 16000,
    decoders: Sequence[Decoder] | None = None,
    max_seconds: float = MAX_VOICE_S,
) -> AudioClip:
    """:func:`decode_audio`'s clip, decoded, mixed to mono and resampled block by block.

    Memory: the mono result plus one block. A stream that says how long it is (an iterable with a
    ``frames`` attribute: samples at the decoder's rate, as Blender's and soundfile's streams do) fills one
    array allocated up front; otherwise the array grows by doubling. A recording longer than
    ``max_seconds`` (default :data:`core.checks.MAX_VOICE_S`) raises :class:`MediaError` before its samples
    are allocated (or as soon as the stream passes the limit).
    """
    sample_rate = checked_rate(sample_rate, "sample_rate")
    path = _check_file(os.fspath(path))
    expected, blocks = decoded_blocks(path, sample_rate, decoders, max_seconds)
    capacity = 60 * sample_rate if expected is None else expected + 20 * sample_rate
    out = np.empty(capacity, dtype=np.float32)
    n = 0
    for block in blocks:
        end = n + len(block)
        if end > len(out):
            grown = np.empty(max(2 * len(out), end), dtype=np.float32)
            grown[:n] = out[:n]
            out = grown
        out[n:end] = block
        n = end
    return AudioClip(out[:n], sample_rate, path)


def decoded_blocks(
    path: str | os.PathLike,
    sample_rate: int = 16000,
    decoders: Sequence[Decoder] | None = None,
    max_seconds: float = MAX_VOICE_S,
) -> tuple[int | None, Iterator[np.ndarray]]:
    """(about how many samples, the mono float32 blocks of 10 s at ``sample_rate`` Hz) of the audio of ``path``:
    what :func:`decode_audio_streamed` collects. The count is None when the decoder's stream does not say
    how long it is. The file is opened, and a recording longer than ``max_seconds`` refused with a
    :class:`MediaError`, by this call when the stream says its length, else while iterating.
    """
    sample_rate = checked_rate(sample_rate, "sample_rate")
    path = _check_file(os.fspath(path))
    block_n = 10 * sample_rate

    def open_stream(decoder: Decoder) -> tuple[int, Iterable[np.ndarray]]:
        if hasattr(decoder, "open_stream"):
            return decoder.open_stream(path)
        whole, rate = decoder(path, sample_rate)
        return rate, iter([whole])

    name, (rate, source) = _first_that_reads(path, decoders, open_stream)
    rate = checked_rate(rate, f"sample rate returned by decoder '{name}'")
    limit = math.floor(float(max_seconds) * sample_rate)

    def too_long(seconds: float) -> MediaError:
        close = getattr(source, "close", None)
        if close is not None:
            close()
        return MediaError(f"'{path}' lasts {seconds / 60.0:.1f} minutes; voices may last at most "
                          f"{max_seconds / 60.0:g} minutes. Cut the recording into parts.", path, "too_long")

    frames = getattr(source, "frames", None)
    expected = None
    if isinstance(frames, (int, np.integer)) and frames > 0:
        if frames / rate > max_seconds:
            raise too_long(float(frames) / rate)
        expected = math.ceil(frames * sample_rate / rate)

    def blocks() -> Iterator[np.ndarray]:
        n = 0
        for block in _stream(source, path, name, rate, sample_rate, block_n):
            n += len(block)
            if n > limit:
                raise too_long(n / sample_rate)
            yield block

    return expected, blocks()


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
