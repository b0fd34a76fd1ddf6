"""The one motion builder (core.motion.builder): the panel's, batch's and API's options make the motion they say."""

from __future__ import annotations

import numpy as np
import pytest
from speechlike import speech_like

from core.errors import MediaError, SettingsError
from core.motion.builder import MotionSpec, build_motion
from core.motion.speech import SpeechMotionOptions, motion_from_audio
from core.motion.style import Style, StyleStats
from core.motion.synthetic import generate_synthetic, preset_settings
from core.voice.decode import AudioClip

FPS = 25.0


@pytest.fixture(scope="module")
def voice() -> AudioClip:
    return AudioClip(speech_like(16000, seed=5).samples.astype(np.float32), 16000, "speech-like")


def test_synthetic_without_a_voice_is_the_generator_with_the_spec_settings():
    spec = MotionSpec(preset="ANIMATED", seed=7, intensity=0.8)
    track = build_motion(spec, FPS, start_frame=10, n_frames=300)
    expected = generate_synthetic(300, FPS, preset_settings("ANIMATED", intensity=0.8, seed=7), start_frame=10)
    np.testing.assert_allclose(track.angles, expected.angles)
    assert track.start_frame == 10


def test_with_a_voice_it_is_the_voice_driven_motion(voice):
    spec = MotionSpec(seed=2, accent_intensity=0.5)
    track = build_motion(spec, FPS, voice=voice)
    expected = motion_from_audio(voice, FPS, preset_settings("CONVERSATIONAL", seed=2),
                                 SpeechMotionOptions(accent_intensity=0.5))
    np.testing.assert_allclose(track.angles, expected.angles)


def test_per_axis_scales_and_tempo_shape_the_motion():
    base = build_motion(MotionSpec(seed=3), FPS, n_frames=3000).angles
    scaled = build_motion(MotionSpec(seed=3, axis_scale=(2.0, 0.0, 1.0)), FPS, n_frames=3000).angles
    assert scaled[:, 1].std() < 0.5 * base[:, 1].std()  # pitch oscillation off (only the jitter remains)
    assert scaled[:, 0].std() > 1.5 * base[:, 0].std()
    fast = build_motion(MotionSpec(seed=3, tempo=2.0), FPS, n_frames=3000).angles
    speed = lambda a: np.abs(np.diff(a, axis=0)).mean()  # noqa: E731
    assert speed(fast) > 1.4 * speed(base)


def test_bad_specs_are_refused_with_the_value_named(voice):
    with pytest.raises(SettingsError, match="tempo"):
        build_motion(MotionSpec(tempo=0.0), FPS, n_frames=10)
    with pytest.raises(SettingsError, match="preset"):
        build_motion(MotionSpec(preset="NOPE"), FPS, n_frames=10)
    with pytest.raises(SettingsError, match="voice"):
        build_motion(MotionSpec(method="posegan"), FPS, n_frames=10)
    with pytest.raises(SettingsError, match="number of frames"):
        build_motion(MotionSpec(), FPS)
    silent = AudioClip(np.zeros(32000, dtype=np.float32), 16000, "silence")
    with pytest.raises(MediaError, match="No speech"):
        build_motion(MotionSpec(method="posegan"), FPS, voice=silent)


def test_posegan_follows_a_learned_style(voice):
    pytest.importorskip("onnxruntime")
    plain = build_motion(MotionSpec(method="posegan"), FPS, voice=voice).angles
    lively = Style("lively", preset_settings("CONVERSATIONAL"),
                   StyleStats(std_deg=(8.0, 5.0, 4.0), mean_speed_deg_s=20.0, speech_silence_ratio=1.6))
    styled = build_motion(MotionSpec(method="posegan", style=lively), FPS, voice=voice).angles
    assert styled.shape == plain.shape
    assert styled[:, 0].std() > 1.3 * plain[:, 0].std()
    np.testing.assert_allclose(styled.std(axis=0), (8.0, 5.0, 4.0), rtol=0.1)
