"""Voices read block by block: a clip kept in a file instead of memory, shifted clips, and the blocks of any clip.

Every voice analysis (voice activity, accents, PoseGAN features) reads its audio as a sequence of mono
float32 blocks of :data:`BLOCK_SAMPLES` samples (the last one shorter), never as one array, so a voice need
not be held in memory. A *voice clip* is anything with ``sample_rate`` (Hz), ``source`` (file name),
``duration_s`` (seconds), ``len()`` (samples) and ``blocks()``:

* :class:`~core.voice.decode.AudioClip`: samples in memory (its blocks are views);
* :class:`StoredClip`: float32 samples in a binary file (e.g. an unnamed temporary file in the
  extension's user folder), written once by :func:`store_blocks` and read one block at a time;
* :class:`ShiftedClip`: another clip delayed by leading zeros or advanced by dropping its first samples.

:func:`clip_blocks` gives (blocks, length, rate) for a clip or a plain sample array. Blocks of one length,
whatever the clip, make the analyses (which batch their work per pushed slice) give the same values bit for
bit for the same samples.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, Protocol

import numpy as np

from ..checks import sample_rate as checked_rate
from ..errors import MediaError, SettingsError

#: Samples per block (a multiple of the analyses' own slices: 65.5 s at 16 kHz, 4 MB of float32).
BLOCK_SAMPLES = 1 << 20


class VoiceClip(Protocol):
    """What the voice analyses need of a clip (see the module docs)."""

    sample_rate: int
    source: str

    @property
    def duration_s(self) -> float: ...

    def __len__(self) -> int: ...

    def blocks(self) -> Iterator[np.ndarray]: ...


def _reblock(pieces: Iterable[np.ndarray], size: int) -> Iterator[np.ndarray]:
    """``pieces`` concatenated and cut again into blocks of ``size`` samples (the last one shorter)."""
    pending: list[np.ndarray] = []
    count = 0
    for piece in pieces:
        while len(piece):
            take = min(size - count, len(piece))
            pending.append(piece[:take])
            count += take
            piece = piece[take:]
            if count == size:
                yield pending[0] if len(pending) == 1 else np.concatenate(pending)
                pending, count = [], 0
    if count:
        yield pending[0] if len(pending) == 1 else np.concatenate(pending)


class StoredClip:
    """Mono float32 samples at ``sample_rate`` Hz kept in the binary ``file`` (open for reading, the
    samples from byte 0): memory holds one block at a time. ``source``: the file the voice came from."""

    def __init__(self, file: Any, n_samples: int, sample_rate: int, source: str = ""):
        self.file = file
        self.n_samples = int(n_samples)
        self.sample_rate = checked_rate(sample_rate, "sample_rate")
        self.source = source

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.n_samples / float(self.sample_rate)

    def __len__(self) -> int:
        return self.n_samples

    def blocks(self) -> Iterator[np.ndarray]:
        """The samples, :data:`BLOCK_SAMPLES` at a time (float32), read from the file."""
        for start in range(0, self.n_samples, BLOCK_SAMPLES):
            block = np.empty(min(BLOCK_SAMPLES, self.n_samples - start), dtype=np.float32)
            self.file.seek(4 * start)
            if self.file.readinto(block.data.cast("B")) != block.nbytes:
                raise MediaError(f"The decoded voice of '{self.source}' could not be read back.", self.source)
            yield block

    def close(self) -> None:
        """Close the file (an unnamed temporary file is then deleted)."""
        self.file.close()


def store_blocks(
    blocks: Iterable[np.ndarray], file: IO[bytes], sample_rate: int, source: str = ""
) -> StoredClip:
    """Write mono ``blocks`` (float32) into ``file`` from byte 0 and return them as a :class:`StoredClip`.
    A full disk raises :class:`MediaError`."""
    n = 0
    file.seek(0)
    try:
        for block in blocks:
            data = np.ascontiguousarray(block, dtype=np.float32)
            file.write(data.tobytes())
            n += len(data)
        file.flush()
    except OSError as exc:
        raise MediaError(f"Cannot keep the decoded voice of '{source}': {exc.strerror or exc}.", source) from None
    return StoredClip(file, n, sample_rate, source)


class ShiftedClip:
    """``clip`` delayed by ``shift`` samples of silence (``shift`` > 0) or advanced by dropping its first
    ``-shift`` samples (at least one sample remains: silence when all are dropped)."""

    def __init__(self, clip: Any, shift: int):
        self.clip = clip
        self.shift = int(shift)
        self.sample_rate = clip.sample_rate
        self.source = clip.source

    def __len__(self) -> int:
        return max(1, len(self.clip) + self.shift)

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return len(self) / float(self.sample_rate)

    def blocks(self) -> Iterator[np.ndarray]:
        """The shifted samples, :data:`BLOCK_SAMPLES` at a time."""
        return _reblock(self._pieces(), BLOCK_SAMPLES)

    def _pieces(self) -> Iterator[np.ndarray]:
        if len(self.clip) + self.shift <= 0:
            yield np.zeros(1, dtype=np.float32)
            return
        for start in range(0, self.shift, BLOCK_SAMPLES):
            yield np.zeros(min(BLOCK_SAMPLES, self.shift - start), dtype=np.float32)
        skip = max(0, -self.shift)
        for block in self.clip.blocks():
            if skip >= len(block):
                skip -= len(block)
                continue
            yield block[skip:]
            skip = 0


def clip_blocks(audio: Any, sample_rate: int | None = None) -> tuple[Callable[[], Iterator[np.ndarray]], int, int]:
    """(a function returning the blocks, number of samples, rate in Hz) of a voice clip, or of a 1-D sample
    array at ``sample_rate`` Hz (cut into :data:`BLOCK_SAMPLES` views). Non-finite samples raise
    :class:`SettingsError` as the blocks are read."""
    if hasattr(audio, "blocks") and hasattr(audio, "sample_rate"):
        source = audio.blocks
        rate = int(audio.sample_rate)
        n = len(audio)
    else:
        samples = np.asarray(audio)
        if not np.issubdtype(samples.dtype, np.floating):
            samples = samples.astype(np.float64)
        if samples.ndim != 1:
            raise SettingsError(f"audio samples must be mono (1-D), got shape {samples.shape}.")
        if sample_rate is None:
            raise SettingsError("sample_rate (Hz) is required when passing a sample array.")
        rate_value = float(sample_rate)
        if not math.isfinite(rate_value) or rate_value <= 0.0:
            raise SettingsError(f"sample_rate must be a number of Hz > 0, got {sample_rate!r}.")
        rate, n = int(rate_value), len(samples)

        def source() -> Iterator[np.ndarray]:
            for start in range(0, n, BLOCK_SAMPLES):
                yield samples[start : start + BLOCK_SAMPLES]

    def checked() -> Iterator[np.ndarray]:
        for block in source():
            if block.ndim != 1:
                raise SettingsError(f"audio samples must be mono (1-D), got shape {block.shape}.")
            if not np.isfinite(block).all():
                raise SettingsError("audio samples hold NaN or infinite values.")
            yield block

    return checked, n, rate
