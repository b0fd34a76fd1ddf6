"""Blender side of audio: Blender's own decoder (``aud``), the decoded voice (kept once per file, on disk),
sound strips.

Decoding tries Blender's ``aud`` first (real Blender and the bpy 5.0 module; it reads every format
Blender's FFmpeg reads), then the core fallbacks (soundfile, an ffmpeg binary). Nothing here changes the
scene until the caller asks (:func:`place_audio`), so a failed import or bake leaves it as it was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bpy
import numpy as np

from ..core.errors import MediaError, SettingsError
from ..core.voice.decode import AudioClip, decode_audio_streamed, decoded_blocks
from ..core.voice.decoders import DecoderUnavailable, SizedBlocks, default_decoders
from ..core.voice.source import StoredClip, store_blocks
from . import compat
from .user_data import user_folder

#: Sample rate (Hz) audio is analysed at.
ANALYSIS_RATE = 16000


class AudDecoder:
    """Decode with Blender's ``aud`` module, at the file's own rate and channels.

    Mixing to mono and resampling are left to :mod:`core.voice.decode`, so features computed inside Blender
    are the very ones computed for training. ``open_stream`` reads 10-second pieces, which keeps the
    memory of long files bounded.
    """

    name = "blender-aud"
    block_s = 10.0

    def _open(self, path: str) -> tuple[Any, int, int]:
        try:
            import aud
        except ImportError:
            raise DecoderUnavailable("this Blender build has no audio module (aud)", kind="missing") from None
        sound = aud.Sound(path)
        try:
            # Probing raises a Python error for unreadable files; reading their data would abort Blender.
            rate, _channels = sound.specs
            length = sound.length
        except Exception as exc:  # aud raises its own error type
            raise DecoderUnavailable(f"Blender cannot read it ({exc})", kind="format") from None
        return sound, int(rate), int(length)

    def __call__(self, path: str, sample_rate: int) -> tuple[np.ndarray, int]:
        sound, rate, length = self._open(path)
        if length <= 0:
            return np.zeros((0, 1), dtype=np.float32), rate
        return np.asarray(sound.data(), dtype=np.float32), rate

    def open_stream(self, path: str) -> tuple[int, Any]:
        """(rate, iterable of (n, channels) blocks, with ``frames``: the length in samples) — see
        core.voice.decode's decoder protocol."""
        sound, rate, length = self._open(path)

        def blocks() -> Iterator[np.ndarray]:
            step = self.block_s
            start = 0.0
            while start * rate < length:
                piece = np.asarray(sound.limit(start, start + step).data(), dtype=np.float32)
                if len(piece) == 0:
                    return
                yield piece
                start += step

        return rate, SizedBlocks(blocks(), length)


def decoders() -> list:
    """Blender's decoder first, then the core fallbacks."""
    return [AudDecoder(), *default_decoders()]


def load_audio(path: str | os.PathLike, sample_rate: int = ANALYSIS_RATE) -> AudioClip:
    """Decode the sound of an audio or video file to mono at ``sample_rate`` (MediaError if impossible).

    Streamed (:func:`~core.voice.decode.decode_audio_streamed`): the file's own samples (e.g. 48 kHz stereo)
    are never held whole, only the mono result."""
    return decode_audio_streamed(bpy.path.abspath(str(path)), sample_rate, decoders())


_voice_cache: dict[tuple, StoredClip] = {}


def load_voice(path: str | os.PathLike) -> StoredClip:
    """The voice of an audio or video file at the analysis rate, decoded once per file and kept on disk.

    The mono 16 kHz samples are written block by block to an unnamed temporary file in the extension's
    user folder (``voice_cache``; 230 MB for an hour, deleted when the next voice replaces it or Blender
    exits) and the analyses read it back one block at a time, so memory never holds the recording, the
    48 kHz stereo file or the mono voice whole. The last voice is kept (keyed by the file's resolved path,
    size and modification time), so Import Voice and Generate decode it once."""
    resolved = Path(bpy.path.abspath(str(path))).resolve()
    try:
        stat = resolved.stat()
    except OSError:
        return _store(resolved)  # raises the decoder's clear "does not exist" error
    key = (str(resolved), stat.st_size, stat.st_mtime_ns)
    clip = _voice_cache.get(key)
    if clip is None:
        clip = _store(resolved)
        for old in _voice_cache.values():
            old.close()
        _voice_cache.clear()
        _voice_cache[key] = clip
    return clip


def _store(path: Path) -> StoredClip:
    _, blocks = decoded_blocks(path, ANALYSIS_RATE, decoders())  # opens (or refuses) the file before any write
    # The cache owns the file (closing it deletes it), so no context manager.
    file = tempfile.TemporaryFile(prefix="voice-", suffix=".f32", dir=user_folder("voice_cache"))  # noqa: SIM115
    try:
        return store_blocks(blocks, file, ANALYSIS_RATE, str(path))
    except BaseException:
        file.close()
        raise


def _strips(scene: bpy.types.Scene) -> list[Any]:
    editor = scene.sequence_editor
    if editor is None:
        return []
    return list(getattr(editor, compat.all_strips_property(editor)))


def sound_strips(scene: bpy.types.Scene) -> list:
    """The scene's sound strips (Blender 4.2-5.x)."""
    return [s for s in _strips(scene) if s.type == "SOUND"]


def strip_source(scene: bpy.types.Scene, name: str) -> tuple[Path, float]:
    """(file, frame where its first sample plays) of the sound strip ``name``."""
    strip = next((s for s in sound_strips(scene) if s.name == name), None)
    if strip is None:
        raise SettingsError(f"The scene has no sound strip named '{name}'.")
    if strip.sound is None or not strip.sound.filepath:
        raise MediaError(f"The sound strip '{name}' has no sound file.")
    path = Path(bpy.path.abspath(strip.sound.filepath, library=strip.sound.library))
    return path, compat.strip_content_start(strip)


def can_play_sound() -> bool:
    """False in Blender builds without audio (e.g. the bpy 4.2 module): no sound strips there."""
    return bool(bpy.app.build_options.audaspace)


def place_audio(scene: bpy.types.Scene, path: str | os.PathLike, start_frame: int, n_frames: int | None,
                add_strip: bool = True, set_frame_range: bool = True) -> Any:
    """Add a sound strip for ``path`` at ``start_frame`` and/or set the scene range to ``n_frames``.

    Returns the new strip, or None (not asked for, or a Blender built without audio, where sound strips
    cannot exist). Call only after everything that can fail has succeeded.
    """
    strip = None
    if add_strip and can_play_sound():
        editor = scene.sequence_editor or scene.sequence_editor_create()
        strips = compat.top_strips(editor)
        channel = 1 + max((s.channel for s in _strips(scene)), default=0)
        strip = strips.new_sound(Path(path).stem, filepath=str(path), channel=channel, frame_start=start_frame)
    if set_frame_range and n_frames:
        scene.frame_start, scene.frame_end = start_frame, start_frame + n_frames - 1
    return strip
