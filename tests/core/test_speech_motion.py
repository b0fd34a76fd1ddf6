"""Voice-driven synthetic motion: alignment, lengths, and motion that follows speech and pauses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from speechlike import speech_like

from core.errors import MediaError, SettingsError
from core.motion.speech import SpeechMotionOptions, align_clip, frames_for_audio, motion_from_audio
from core.motion.synthetic import preset_settings
from core.voice.decode import AudioClip, decode_audio

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT.parent / "shared" / "data" / "dev"


def test_align_clip_drops_or_prepends_audio():
    clip = AudioClip(np.arange(1, 16001, dtype=np.float32) / 16000, 16000)
    after = align_clip(clip, 25.0, audio_start_frame=1, start_frame=26)  # bake starts after the voice ended
    assert len(after) == 1 and after.samples[0] == 0.0
    earlier = align_clip(clip, 25.0, audio_start_frame=26, start_frame=1)  # voice starts 1 s after the bake
    assert len(earlier) == 32000 and not earlier.samples[:16000].any()
    half = align_clip(clip, 25.0, audio_start_frame=1, start_frame=13.5)
    assert len(half) == 8000 and half.samples[0] == clip.samples[8000]
    assert align_clip(clip, 25.0, 5, 5) is clip


def test_lengths_and_speech_override():
    voice = speech_like(16000, seed=3)
    clip = AudioClip(voice.samples.astype(np.float32), 16000)
    seconds = len(voice.samples) / 16000
    assert frames_for_audio(clip, 25.0) == int(np.ceil(seconds * 25.0))
    assert frames_for_audio(clip, 29.97) == int(np.ceil(seconds * 29.97))
    settings = preset_settings("CONVERSATIONAL", seed=1)
    track = motion_from_audio(clip, 25.0, settings, SpeechMotionOptions(accent_intensity=0), n_frames=100)
    assert len(track) == 100 and track.speech.shape == (100,)
    mask = np.r_[np.ones(50), np.zeros(50)]
    forced = motion_from_audio(clip, 25.0, settings, SpeechMotionOptions(accent_intensity=0), n_frames=100,
                               speech=mask)
    assert np.array_equal(forced.speech, mask)
    with pytest.raises(SettingsError, match="100"):
        motion_from_audio(clip, 25.0, settings, n_frames=100, speech=np.ones(99))
    with pytest.raises(SettingsError):
        SpeechMotionOptions(accent_intensity=-1).validate()


@pytest.mark.parametrize("level", [0.0, 0.05])
def test_silent_or_noise_only_audio_is_refused(level):
    noise = AudioClip((level * np.random.default_rng(0).standard_normal(16000 * 3)).astype(np.float32), 16000,
                      "noise.wav")
    with pytest.raises(MediaError, match=r"No speech found in 'noise\.wav'"):
        motion_from_audio(noise, 25.0, preset_settings("CALM"))


def _clips():
    paths = [ROOT / "samples" / "speech_sample.ogg", *sorted(DEV.glob("*.mp4"))]
    return [decode_audio(p, 16000) for p in paths if p.exists()]


@pytest.fixture(scope="module")
def clips():
    found = _clips()
    if len(found) < 2:
        pytest.skip("speech clips not present")
    return found


def test_head_moves_more_while_talking_than_in_pauses(clips):
    """Pooled over the sample voice and the dev clips: mean head speed speaking vs silent."""
    speaking, silent = [], []
    for seed, clip in enumerate(clips):
        track = motion_from_audio(clip, 25.0, preset_settings("CONVERSATIONAL", seed=seed),
                                  SpeechMotionOptions(accent_intensity=1.0))
        speed = np.linalg.norm(np.diff(track.angles, axis=0), axis=1) * 25.0
        talking = track.speech[1:] > 0.5
        speaking.append(speed[talking])
        silent.append(speed[~talking])
        assert 0.5 <= track.speech.mean() <= 1.0
    ratio = np.concatenate(speaking).mean() / np.concatenate(silent).mean()
    assert ratio > 1.7, ratio
