"""The default audio decoders outside Blender (optional, not shipped in the extension, where ``aud`` decodes):
:class:`SoundfileDecoder` (wav, flac, ogg, aiff, mp3 with libsndfile >= 1.1) and :class:`FfmpegDecoder` (any
container an ``ffmpeg`` executable reads: ``HEAD_MOTION_FFMPEG``, else ``imageio-ffmpeg``'s binary, else
``ffmpeg`` on PATH), each raising :class:`DecoderUnavailable` for a file it cannot read.

The optional packages are imported by name through :mod:`importlib` inside the decoders: they are not
run-time dependencies of the extension (tools/runtime_deps.py scans the sources for imports).
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..errors import MediaError
from ..media import MEDIA_EXTENSIONS
from ..media import extension as _extension

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




def _import_optional(name: str) -> Any:
    """Import an optional package by name, or raise DecoderUnavailable(kind="missing")."""
    try:
        return importlib.import_module(name)
    except (ImportError, OSError) as exc:  # OSError: a wrapper whose shared library is missing
        raise DecoderUnavailable(f"the Python package '{name}' is not installed ({exc})", "missing") from None


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

        return int(handle.samplerate), SizedBlocks(blocks(), handle.frames)


class SizedBlocks:
    """An iterator of decoded blocks that also says how long the stream is: ``frames`` samples (per channel,
    at the decoder's rate), so :func:`core.voice.decode.decode_audio_streamed` allocates its result once and
    refuses a too-long recording before decoding it."""

    def __init__(self, blocks: Iterator[np.ndarray], frames: int):
        self._blocks = blocks
        self.frames = int(frames)

    def __iter__(self) -> Iterator[np.ndarray]:
        return self._blocks

    def __next__(self) -> np.ndarray:
        return next(self._blocks)

    def close(self) -> None:
        close = getattr(self._blocks, "close", None)
        if close is not None:
            close()


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
                stdout = proc.stdout
                if stdout is None:  # never: stdout is a pipe
                    raise MediaError(f"Cannot read '{path}': ffmpeg gave no output pipe.", path)
                try:
                    while True:
                        chunk = stdout.read(self._CHUNK_BYTES)
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
                    stdout.close()

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


def decoder_name(decoder: Any) -> str:
    return str(getattr(decoder, "name", None) or getattr(decoder, "__name__", None) or type(decoder).__name__)
