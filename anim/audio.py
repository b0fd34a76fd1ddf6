"""Blender side of audio: Blender's own decoder (``aud``), sound strips, and head motion from a voice.

Decoding tries Blender's ``aud`` first (real Blender and the bpy 5.0 module; it reads every format
Blender's FFmpeg reads), then the core fallbacks (soundfile, an ffmpeg binary). Nothing here changes the
scene until the caller asks (:func:`place_audio`), so a failed import or bake leaves it as it was.
"""

from __future__ import annotations

import os
from pathlib import Path

import bpy
import numpy as np

from ..core.errors import MediaError, SettingsError
from ..core.motion.speech import SpeechMotionOptions, align_clip, motion_from_audio
from ..core.motion.synthetic import SyntheticSettings
from ..core.track import PoseTrack
from ..core.voice.decode import AudioClip, decode_audio
from ..core.voice.decoders import DecoderUnavailable, default_decoders
from .bake import scene_fps

#: Sample rate (Hz) audio is analysed at.
ANALYSIS_RATE = 16000


class AudDecoder:
    """Decode with Blender's ``aud`` module, at the file's own rate and channels.

    Mixing to mono and resampling are left to :mod:`core.voice.decode`, so features computed inside Blender
    are the very ones computed for training. ``open_stream`` reads 30-second pieces, which keeps the
    memory of long files bounded.
    """

    name = "blender-aud"
    block_s = 30.0

    def _open(self, path: str):
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

    def open_stream(self, path: str):
        """(rate, iterator of (n, channels) blocks) — see core.voice.decode's decoder protocol."""
        sound, rate, length = self._open(path)

        def blocks():
            step = self.block_s
            start = 0.0
            while start * rate < length:
                piece = np.asarray(sound.limit(start, start + step).data(), dtype=np.float32)
                if len(piece) == 0:
                    return
                yield piece
                start += step

        return rate, blocks()


def decoders() -> list:
    """Blender's decoder first, then the core fallbacks."""
    return [AudDecoder(), *default_decoders()]


def load_audio(path: str | os.PathLike, sample_rate: int = ANALYSIS_RATE) -> AudioClip:
    """Decode the sound of an audio or video file to mono at ``sample_rate`` (MediaError if impossible)."""
    return decode_audio(bpy.path.abspath(str(path)), sample_rate, decoders())


def all_strips_property(editor: bpy.types.SequenceEditor) -> str:
    """Name of the sequencer's collection of every strip (``strips_all`` in 5.0+, ``sequences_all`` before)."""
    return "strips_all" if hasattr(editor, "strips_all") else "sequences_all"


def _strips(scene: bpy.types.Scene):
    editor = scene.sequence_editor
    if editor is None:
        return []
    return list(getattr(editor, all_strips_property(editor)))


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
    # Blender 5.1+ names it content_start and deprecates frame_start (to be removed in 6.0).
    start = strip.content_start if hasattr(strip, "content_start") else strip.frame_start
    return path, float(start)


def motion_for_audio(
    clip: AudioClip,
    scene: bpy.types.Scene,
    settings: SyntheticSettings,
    start_frame: int,
    n_frames: int | None = None,
    audio_start_frame: float | None = None,
    options: SpeechMotionOptions | None = None,
    speech: np.ndarray | None = None,
) -> PoseTrack:
    """Head motion that follows the voice in ``clip``, for frames ``start_frame``… at the scene's fps.

    ``audio_start_frame``: the frame where the clip's first sample plays (default ``start_frame``);
    ``n_frames``: the track length (default: to the end of the audio); ``speech``: a per-frame mask that
    replaces the voice-activity detection.
    """
    fps = scene_fps(scene)
    first = float(start_frame if audio_start_frame is None else audio_start_frame)
    aligned = align_clip(clip, fps, first, start_frame)
    return motion_from_audio(aligned, fps, settings, options, start_frame=start_frame, n_frames=n_frames,
                             speech=speech)


def posegan_for_audio(
    clip: AudioClip,
    scene: bpy.types.Scene,
    start_frame: int,
    n_frames: int | None = None,
    audio_start_frame: float | None = None,
    model_path: str | None = None,
    intensity: float = 1.0,
) -> PoseTrack:
    """PoseGAN head motion for the voice in ``clip`` (see :func:`motion_for_audio` for the frame arguments).

    ``model_path``: an .onnx PoseGAN model (default: the bundled one). Frames past the end of the voice
    hold the last pose.
    """
    from ..core.motion.posegan import posegan_track
    from ..core.motion.speech import require_speech
    from ..core.voice.vad import speech_mask_from_audio

    fps = scene_fps(scene)
    require_speech(speech_mask_from_audio(clip.samples, clip.sample_rate, fps), clip)
    first = float(start_frame if audio_start_frame is None else audio_start_frame)
    aligned = align_clip(clip, fps, first, start_frame)
    track = posegan_track(aligned.samples, aligned.sample_rate, fps, model_path or None, intensity, start_frame)
    if n_frames is not None and n_frames != len(track):
        angles = track.angles[:n_frames]
        if len(angles) < n_frames:
            angles = np.concatenate([angles, np.repeat(angles[-1:], n_frames - len(angles), axis=0)])
        track = PoseTrack.from_angles(angles, track.fps, start_frame, None, track.meta)
    return track


def can_play_sound() -> bool:
    """False in Blender builds without audio (e.g. the bpy 4.2 module): no sound strips there."""
    return bool(bpy.app.build_options.audaspace)


def place_audio(scene: bpy.types.Scene, path: str | os.PathLike, start_frame: int, n_frames: int | None,
                add_strip: bool = True, set_frame_range: bool = True):
    """Add a sound strip for ``path`` at ``start_frame`` and/or set the scene range to ``n_frames``.

    Returns the new strip, or None (not asked for, or a Blender built without audio, where sound strips
    cannot exist). Call only after everything that can fail has succeeded.
    """
    strip = None
    if add_strip and can_play_sound():
        editor = scene.sequence_editor or scene.sequence_editor_create()
        strips = editor.strips if hasattr(editor, "strips") else editor.sequences
        channel = 1 + max((s.channel for s in _strips(scene)), default=0)
        strip = strips.new_sound(Path(path).stem, filepath=str(path), channel=channel, frame_start=start_frame)
    if set_frame_range and n_frames:
        scene.frame_start, scene.frame_end = start_frame, start_frame + n_frames - 1
    return strip
