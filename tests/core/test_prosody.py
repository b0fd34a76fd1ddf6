"""Prosody features (core/voice/prosody.py): loudness, onsets, voicing / pitch, speech timing, band shape."""

from __future__ import annotations

import numpy as np
import pytest
from speechlike import speech_like

from core.errors import SettingsError
from core.voice.prosody import PROSODY_NAMES, ProsodyConfig, prosody_features, silence_row

RATE = ProsodyConfig().sample_rate
FPS = 25.0
COL = {name: k for k, name in enumerate(PROSODY_NAMES)}


def _frames(samples: np.ndarray) -> int:
    return int(len(samples) / RATE * FPS)


def _tone(f0: float, seconds: float, level: float = 0.1) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return level * sum(np.sin(2 * np.pi * f0 * h * t) / h for h in range(1, 6))


def test_shape_and_finite_values():
    signal = speech_like(RATE, 0)
    x = prosody_features(signal.samples, RATE, FPS, _frames(signal.samples))
    assert x.shape == (_frames(signal.samples), len(PROSODY_NAMES)) and x.dtype == np.float32
    assert np.isfinite(x).all()
    assert silence_row().shape == (len(PROSODY_NAMES),)


def test_speech_mask_and_runs_follow_the_phrases():
    signal = speech_like(RATE, 1)
    x = prosody_features(signal.samples, RATE, FPS, _frames(signal.samples))
    t = np.arange(len(x)) / FPS
    inside = np.zeros(len(x), dtype=bool)
    for a, b in signal.phrases:
        inside |= (t > a + 0.2) & (t < b - 0.2)
    pause = np.zeros(len(x), dtype=bool)
    for a, b in signal.pauses:
        pause |= (t > a + 0.2) & (t < b - 0.2)
    assert x[inside, COL["speech"]].mean() > 0.9 and x[pause, COL["speech"]].mean() < 0.1
    assert (x[inside, COL["run_length"]] > 0).mean() > 0.9 and (x[pause, COL["run_length"]] < 0).mean() > 0.9
    assert (x[:, COL["run_elapsed"]] > 0).all() and (x[:, COL["run_left"]] > 0).all()
    # Louder in speech than in the pauses; onsets mostly in speech.
    assert x[inside, COL["loudness"]].mean() > x[pause, COL["loudness"]].mean() + 1.0
    assert x[inside, COL["onset"]].mean() > x[pause, COL["onset"]].mean()


def test_level_invariance():
    """Per-clip normalisation: the same speech 20 dB quieter gives (nearly) the same features."""
    signal = speech_like(RATE, 2, noise_db=None)
    n = _frames(signal.samples)
    loud = prosody_features(signal.samples, RATE, FPS, n)
    quiet = prosody_features(signal.samples * 0.1, RATE, FPS, n)
    np.testing.assert_allclose(quiet[:, COL["loudness"]], loud[:, COL["loudness"]], atol=0.02)
    np.testing.assert_allclose(quiet[:, COL["speech"]], loud[:, COL["speech"]])


def test_voicing_and_pitch_of_harmonic_tones():
    """Two thirds at 120 Hz, then 240 Hz: voiced, pitch 0 then +1 octave relative to the clip's median."""
    samples = np.concatenate([_tone(120.0, 4.0), _tone(240.0, 2.0)])
    x = prosody_features(samples, RATE, FPS, _frames(samples))
    low, high = x[10:90], x[110:140]
    assert low[:, COL["voicing"]].mean() > 0.8 and high[:, COL["voicing"]].mean() > 0.8
    assert abs(np.median(low[:, COL["pitch"]])) < 0.05
    assert abs(np.median(high[:, COL["pitch"]]) - 1.0) < 0.1
    noise = np.random.default_rng(0).standard_normal(RATE * 3) * 0.1
    assert prosody_features(noise, RATE, FPS, 75)[:, COL["voicing"]].mean() < 0.5


def test_silence_is_a_long_pause():
    x = prosody_features(np.zeros(RATE * 2), RATE, FPS, 50)
    assert (x[:, COL["loudness"]] == -3.0).all() and (x[:, COL["speech"]] == 0.0).all()
    assert (x[:, COL["voicing"]] == 0.0).all() and (x[:, COL["onset"]] == 0.0).all()


def test_bad_inputs():
    with pytest.raises(SettingsError, match="mono"):
        prosody_features(np.zeros((100, 2)), RATE, FPS, 4)
    with pytest.raises(SettingsError, match="Hz"):
        prosody_features(np.zeros(RATE), 44100, FPS, 4)
    with pytest.raises(SettingsError, match="NaN"):
        prosody_features(np.full(RATE, np.nan), RATE, FPS, 4)
    with pytest.raises(SettingsError):
        prosody_features(np.zeros(RATE), RATE, FPS, 0)
    with pytest.raises(SettingsError, match="version"):
        ProsodyConfig.from_dict({**ProsodyConfig().to_dict(), "prosody_version": 0})
