"""The one motion builder: a :class:`MotionSpec` (what motion to make) plus the inputs (a voice, a speech
mask) -> a :class:`~core.track.PoseTrack`. The Blender panel, the batch command and the scripting API all
describe motion with a :class:`MotionSpec` and call :func:`build_motion`, so they offer the same options and
make the same motion from the same inputs.

Units: angles in degrees, frames in scene frames at ``fps`` frames per second, times in seconds.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..checks import (
    MAX_FACTOR,
    MAX_SEED,
    MAX_VOICE_S,
    frame_count,
    frame_number,
    frame_rate,
    frames_for,
    number,
    whole_number,
)
from ..errors import SettingsError
from ..track import PoseTrack
from ..voice.source import VoiceClip
from .speech import SpeechMotionOptions, align_clip, motion_from_audio, require_speech
from .style import Style
from .synthetic import PRESETS, SyntheticSettings, generate_synthetic, preset_settings

#: Motion sources a :class:`MotionSpec` can name.
METHODS: tuple[str, ...] = ("synthetic", "posegan")


@dataclass(frozen=True)
class MotionSpec:
    """What motion to make, in the same terms everywhere (panel, batch, API).

    method: ``"synthetic"`` (the generator, shaped by the voice when there is one) or ``"posegan"`` (the
        learned audio-to-pose model; needs a voice).
    preset: synthetic preset name (:data:`core.motion.synthetic.PRESETS`), used when ``style`` is None.
    style: a learned :class:`~core.motion.style.Style`: replaces the preset of the synthetic generator, and
        conditions PoseGAN on that speaker's motion statistics (no training).
    settings: explicit generator settings (replace the preset and the style; ``intensity`` and ``seed`` are then
        the ones in them).
    intensity: motion amplitude (0 = rest pose, 1 = as the preset/style/model defines it).
    seed: random seed of the synthetic generator (>= 0).
    axis_scale: extra amplitude factors for yaw, pitch and roll (synthetic).
    tempo: speed factor of the synthetic motion (2 = twice as fast; periods are divided by it).
    use_silence: settle the head in the voice's pauses.
    accent_intensity: strength of the nods on stressed syllables (0 = none).
    posegan_model: path of a PoseGAN ``.onnx`` model (None: the bundled one).
    """

    method: str = "synthetic"
    preset: str = "CONVERSATIONAL"
    style: Style | None = None
    settings: SyntheticSettings | None = None
    intensity: float = 1.0
    seed: int = 0
    axis_scale: tuple[float, float, float] = (1.0, 1.0, 1.0)
    tempo: float = 1.0
    use_silence: bool = True
    accent_intensity: float = 1.0
    posegan_model: str | None = None

    def validate(self) -> MotionSpec:
        """Raise :class:`~core.errors.SettingsError` for a value out of range; return ``self``."""
        if self.method not in METHODS:
            raise SettingsError(f"Unknown motion method {self.method!r}; use one of {', '.join(METHODS)}.")
        if self.style is None and self.settings is None and str(self.preset).strip().upper() not in PRESETS:
            raise SettingsError(f"Unknown motion preset {self.preset!r}; choose one of {', '.join(PRESETS)}.")
        number(self.intensity, "intensity", minimum=0.0, maximum=MAX_FACTOR)
        number(self.tempo, "tempo", minimum=0.1, maximum=MAX_FACTOR)
        number(self.accent_intensity, "accent intensity", minimum=0.0, maximum=MAX_FACTOR)
        whole_number(self.seed, "seed", 0, MAX_SEED)
        if len(self.axis_scale) != 3:
            raise SettingsError(f"axis_scale needs three factors (yaw, pitch, roll), got {self.axis_scale!r}.")
        for axis, value in zip(("yaw", "pitch", "roll"), self.axis_scale, strict=True):
            number(value, f"{axis} scale", minimum=0.0, maximum=MAX_FACTOR)
        return self

    def synthetic_settings(self) -> SyntheticSettings:
        """The generator settings: the style's or the preset's, with intensity, seed, per-axis scales and tempo."""
        if self.settings is not None:
            base = self.settings.validate()
        elif self.style is not None:
            base = self.style.settings_for(self.intensity, self.seed)
        else:
            base = preset_settings(self.preset, intensity=self.intensity, seed=self.seed)

        def scaled(axis, factor: float):
            lo, hi = axis.amplitude_deg
            plo, phi = axis.period_s
            return dataclasses.replace(axis, amplitude_deg=(lo * factor, hi * factor),
                                       period_s=(plo / self.tempo, phi / self.tempo))

        yaw, pitch, roll = (float(v) for v in self.axis_scale)
        return dataclasses.replace(
            base, yaw=scaled(base.yaw, yaw), pitch=scaled(base.pitch, pitch), roll=scaled(base.roll, roll)
        ).validate()


def build_motion(
    spec: MotionSpec,
    fps: float,
    start_frame: int = 1,
    n_frames: int | None = None,
    voice: VoiceClip | None = None,
    voice_start_frame: float | None = None,
    speech: np.ndarray | None = None,
) -> PoseTrack:
    """The head motion ``spec`` describes, for frames ``start_frame``… at ``fps``.

    ``voice``: the voice whose first sample plays at ``voice_start_frame`` (default ``start_frame``); with a
    voice the track covers it unless ``n_frames`` is given, without one ``n_frames`` is required.
    ``speech``: a per-frame speaking mask (0..1, ``n_frames`` long) that replaces the voice's own voice-activity
    mask (e.g. from a lip-sync channel or the reference video's lips). Raises
    :class:`~core.errors.SettingsError` for bad settings and :class:`~core.errors.MediaError` for a voice
    without speech.
    """
    spec.validate()
    fps = frame_rate(fps)
    start_frame = frame_number(start_frame, "start_frame")
    if n_frames is not None:
        n_frames = frame_count(n_frames, "n_frames")
    if voice is not None:
        first = float(start_frame if voice_start_frame is None else frame_number(voice_start_frame,
                                                                                  "voice_start_frame"))
        padded_s = voice.duration_s + max(0.0, first - start_frame) / fps
        if padded_s > MAX_VOICE_S:
            raise SettingsError(
                f"The voice starts {first - start_frame:g} frames after the motion and lasts "
                f"{voice.duration_s:g} s: {padded_s:g} s in all, more than the {MAX_VOICE_S:g} s one voice may cover."
            )
        frames_for(padded_s, fps, "The voice")
        voice = align_clip(voice, fps, first, start_frame)
    if spec.method == "posegan":
        if voice is None:
            raise SettingsError("PoseGAN makes motion from a voice: give it a voice (Voice panel, --method "
                                "posegan with audio inputs, or the voice argument).")
        return _posegan(spec, fps, start_frame, n_frames, voice)
    settings = spec.synthetic_settings()
    if voice is None:
        if n_frames is None:
            raise SettingsError("Motion without a voice needs a number of frames.")
        mask = speech if spec.use_silence else None
        return generate_synthetic(n_frames, fps, settings, speech=mask, start_frame=start_frame)
    options = SpeechMotionOptions(use_silence=spec.use_silence, accent_intensity=spec.accent_intensity)
    return motion_from_audio(voice, fps, settings, options, start_frame=start_frame, n_frames=n_frames,
                             speech=speech)


def _posegan(spec: MotionSpec, fps: float, start_frame: int, n_frames: int | None, voice: VoiceClip) -> PoseTrack:
    from ..voice.vad import speech_mask_from_audio
    from .posegan import posegan_track

    require_speech(speech_mask_from_audio(voice, fps=fps), voice)
    track = posegan_track(voice, voice.sample_rate, fps, spec.posegan_model or None, spec.intensity,
                          start_frame, style=spec.style)
    if n_frames is not None and n_frames != len(track):  # past the end of the voice: hold the last pose
        angles = track.angles[:n_frames]
        if len(angles) < n_frames:
            angles = np.concatenate([angles, np.repeat(angles[-1:], n_frames - len(angles), axis=0)])
        track = PoseTrack.from_angles(angles, track.fps, start_frame, None, track.meta)
    return track
