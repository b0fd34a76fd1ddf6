"""Synthetic head motion driven by a voice: speech/silence from the audio, accents on stressed syllables.

One pure function, used by the Blender operator, the batch CLI and the scripting API alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import MediaError, SettingsError
from ..track import PoseTrack
from ..voice.accents import accent_frames, add_accents
from ..voice.decode import AudioClip
from ..voice.source import ShiftedClip, VoiceClip
from ..voice.vad import speech_mask_from_audio
from .synthetic import SyntheticSettings, generate_synthetic


@dataclass(frozen=True)
class SpeechMotionOptions:
    """How audio shapes the motion.

    use_silence: settle the head while the voice is silent (energy voice-activity detection).
    accent_intensity: strength of the nods on stressed syllables (0 = none, 1 = default).
    """

    use_silence: bool = True
    accent_intensity: float = 1.0

    def validate(self) -> None:
        if not (np.isfinite(self.accent_intensity) and self.accent_intensity >= 0.0):
            raise SettingsError(f"Accent intensity must be >= 0, got {self.accent_intensity}.")


def frames_for_audio(clip: VoiceClip, fps: float) -> int:
    """Number of whole scene frames the audio covers at ``fps`` (at least 1)."""
    return max(1, int(np.ceil(clip.duration_s * fps - 1e-9)))


def require_speech(speech: np.ndarray, clip: VoiceClip) -> None:
    """Raise MediaError when the voice-activity mask of ``clip`` finds no speech at all."""
    if not np.any(np.asarray(speech) > 0.5):
        name = clip.source or "the audio"
        raise MediaError(
            f"No speech found in '{name}': the recording is silent or holds only noise. "
            "Choose a recording of the voice.",
            clip.source,
            "no_speech",
        )


def align_clip(clip: Any, fps: float, audio_start_frame: float, start_frame: float) -> Any:
    """``clip`` (a voice clip, :mod:`core.voice.source`) shifted so its first sample plays at ``start_frame``
    instead of ``audio_start_frame``.

    Audio before ``start_frame`` is dropped; a clip starting later is preceded by silence. Frames at
    ``fps`` frames per second. An :class:`AudioClip` gives an AudioClip; any other clip a
    :class:`~core.voice.source.ShiftedClip` that reads it block by block (nothing is copied).
    """
    if not (np.isfinite(fps) and fps > 0):
        raise SettingsError(f"fps must be > 0, got {fps}.")
    shift = round(abs(start_frame - audio_start_frame) / fps * clip.sample_rate)
    if start_frame != audio_start_frame and not isinstance(clip, AudioClip):
        return ShiftedClip(clip, shift if start_frame < audio_start_frame else -shift)
    if start_frame > audio_start_frame:
        samples = clip.samples[shift:]
    elif start_frame < audio_start_frame:
        samples = np.concatenate([np.zeros(shift, dtype=np.float32), clip.samples])
    else:
        return clip
    if len(samples) == 0:
        samples = np.zeros(1, dtype=np.float32)
    return AudioClip(samples, clip.sample_rate, clip.source)


def motion_from_audio(
    clip: VoiceClip,
    fps: float,
    settings: SyntheticSettings,
    options: SpeechMotionOptions | None = None,
    start_frame: int = 1,
    n_frames: int | None = None,
    speech: np.ndarray | None = None,
) -> PoseTrack:
    """Head motion for ``clip`` at ``fps``, starting on ``start_frame``.

    The track covers the audio (``n_frames`` overrides the length); its ``speech`` holds the per-frame
    voice-activity mask (1 = speaking) so callers can plot or reuse it. ``speech`` (per frame, 0..1)
    replaces the voice-activity mask, e.g. with one from a lip-sync channel. Raises MediaError when the
    voice-activity detection finds no speech in the (aligned) clip.
    """
    options = options or SpeechMotionOptions()
    options.validate()
    n = n_frames if n_frames is not None else frames_for_audio(clip, fps)
    if speech is None:
        speech = speech_mask_from_audio(clip, fps=fps, n_frames=n)
        require_speech(speech, clip)
    elif len(speech) != n:
        raise SettingsError(f"The speech mask has {len(speech)} frames; the motion needs {n}.")
    track = generate_synthetic(n, fps, settings, speech=speech if options.use_silence else None,
                               start_frame=start_frame)
    if options.accent_intensity > 0.0:
        frames = accent_frames(clip, fps=fps, speech_mask=speech, n_frames=n)
        frames = frames[frames < n]
        track = add_accents(track, frames, intensity=options.accent_intensity, seed=settings.seed)
    track.speech = np.asarray(speech, dtype=np.float64)
    track.meta["audio_source"] = clip.source
    return track
