"""Tests of core.voice.vad: speech/silence per video frame from audio energy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from speechlike import speech_like

from core.errors import SettingsError
from core.voice.decode import decode_audio
from core.voice.decoders import find_ffmpeg
from core.voice.vad import (
    VadConfig,
    band_energy_db,
    speech_levels,
    speech_mask_from_audio,
    speech_mask_from_blocks,
)

RATE = 16000
ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT.parent / "shared" / "data" / "dev"
#: Development clips that contain real pauses (>= 0.3 s); the others are continuous speech.
DEV_WITH_PAUSES = ("mimictalk_German_20s.mp4", "mimictalk_Trump_10s.mp4", "voxceleb2_pcavs_Mouth_Source_681600002.mp4")


def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) frame indices of the speech runs (end exclusive)."""
    edges = np.diff(np.concatenate([[0], (mask > 0.5).astype(int), [0]]))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


@pytest.mark.parametrize("fps", [25.0, 29.97])
@pytest.mark.parametrize(
    "kind",
    [
        {},  # -20 dBFS speech, -65 dBFS noise
        {"level_db": -40.0},  # quiet recording
        {"snr_db": 10.0},  # noisy recording
        {"level_db": -40.0, "snr_db": 10.0},
        {"seed": 4, "snr_db": 15.0},
    ],
)
def test_phrases_and_pauses_are_found_within_two_frames(fps, kind):
    signal = speech_like(RATE, **kind)
    mask = speech_mask_from_audio(signal.samples, RATE, fps)
    assert mask.shape == (int(np.ceil(signal.samples.size / RATE * fps)),)
    assert set(np.unique(mask)) <= {0.0, 1.0}
    starts, ends = runs(mask)
    assert len(starts) == len(signal.phrases), (starts / fps, ends / fps)
    for (start_s, end_s), start, end in zip(signal.phrases, starts, ends, strict=True):
        assert abs(start - start_s * fps) <= 2.0
        assert abs(end - end_s * fps) <= 2.0


def test_quiet_and_loud_versions_give_the_same_mask():
    loud = speech_mask_from_audio(speech_like(RATE, level_db=-12.0, noise_db=-80.0).samples, RATE, 25.0)
    quiet = speech_mask_from_audio(speech_like(RATE, level_db=-42.0, noise_db=-110.0).samples, RATE, 25.0)
    np.testing.assert_array_equal(loud, quiet)


@pytest.mark.parametrize(
    "make",
    [
        lambda rng: np.zeros(10 * RATE),
        lambda rng: 0.3 * rng.standard_normal(10 * RATE),
        lambda rng: 1e-4 * rng.standard_normal(10 * RATE),
        lambda rng: (
            0.2 * np.sin(2 * np.pi * 220.0 * np.arange(10 * RATE) / RATE) + 1e-3 * rng.standard_normal(10 * RATE)
        ),
        lambda rng: np.cumsum(rng.standard_normal(10 * RATE)) * 1e-4,  # brown noise
    ],
    ids=["digital-silence", "loud-white-noise", "faint-white-noise", "hum", "brown-noise"],
)
def test_silence_and_constant_noise_hold_no_speech(make):
    samples = make(np.random.default_rng(0))
    mask = speech_mask_from_audio(samples, RATE, 25.0)
    assert mask.shape == (250,) and mask.mean() < 0.02
    assert not speech_levels(band_energy_db(samples, RATE)).has_speech or mask.sum() <= 5


def test_block_by_block_gives_exactly_the_one_shot_mask():
    samples = speech_like(RATE, snr_db=12.0).samples
    whole = speech_mask_from_audio(samples, RATE, 29.97)
    rng = np.random.default_rng(1)
    cuts = np.sort(rng.integers(0, len(samples), 40))
    blocks = np.split(samples, cuts)  # includes empty blocks
    np.testing.assert_array_equal(speech_mask_from_blocks(iter(blocks), RATE, 29.97), whole)


def test_n_frames_pads_with_silence_and_truncates():
    samples = speech_like(RATE).samples
    mask = speech_mask_from_audio(samples, RATE, 25.0)
    longer = speech_mask_from_audio(samples, RATE, 25.0, n_frames=len(mask) + 50)
    np.testing.assert_array_equal(longer[: len(mask)], mask)
    assert not longer[len(mask) :].any()
    np.testing.assert_array_equal(speech_mask_from_audio(samples, RATE, 25.0, n_frames=100), mask[:100])


def test_audio_clip_input_and_other_sample_rates():
    signal = speech_like(44100)
    mask = speech_mask_from_audio(signal.samples, 44100, 25.0)
    starts, _ = runs(mask)
    assert len(starts) == len(signal.phrases)
    clip = decode_audio(ROOT / "samples" / "speech_sample.ogg", RATE)
    assert speech_mask_from_audio(clip, fps=25.0).shape == (int(np.ceil(clip.duration_s * 25.0)),)


def test_the_bundled_speech_sample_has_its_four_pauses():
    """samples/speech_sample.ogg was synthesised with breaks of 0.9, 1.2, 0.6 and 1.5 s."""
    clip = decode_audio(ROOT / "samples" / "speech_sample.ogg", RATE)
    fps = 25.0
    starts, ends = runs(speech_mask_from_audio(clip, fps=fps))
    pauses = (starts[1:] - ends[:-1]) / fps
    long_pauses = pauses[pauses >= 0.55]
    np.testing.assert_allclose(long_pauses, [0.9, 1.2, 0.6, 1.5], atol=0.3)


@pytest.mark.skipif(find_ffmpeg() is None or not DEV.exists(), reason="needs ffmpeg and the development clips")
def test_real_recordings_have_a_plausible_speech_fraction():
    fractions = {}
    for path in sorted(DEV.glob("*.mp4")):
        clip = decode_audio(path, RATE)
        fractions[path.name] = speech_mask_from_audio(clip, fps=25.0).mean()
    assert len(fractions) >= 10
    assert min(fractions.values()) >= 0.5, fractions  # talking heads talk
    for name in DEV_WITH_PAUSES:
        assert 0.5 <= fractions[name] <= 0.98, (name, fractions[name])
    assert sum(f <= 0.98 for f in fractions.values()) >= 0.7 * len(fractions), fractions


def test_levels_of_a_recording():
    signal = speech_like(RATE, level_db=-20.0, snr_db=10.0)
    levels = speech_levels(band_energy_db(signal.samples, RATE))
    assert levels.has_speech
    assert levels.floor < levels.low < levels.high < levels.peak
    assert -40.0 < levels.floor < -28.0 and -20.0 < levels.peak < -8.0  # band level of -30 dB noise / -20 dB speech


def test_band_level_of_a_sine_is_its_mean_square():
    t = np.arange(RATE) / RATE
    levels = band_energy_db(0.5 * np.sin(2 * np.pi * 1000.0 * t), RATE)
    np.testing.assert_allclose(levels[5:-5], 10 * np.log10(0.125), atol=0.05)
    outside = band_energy_db(0.5 * np.sin(2 * np.pi * 6000.0 * t), RATE)
    assert outside[5:-5].max() < -60.0  # 6 kHz lies outside the 100-4000 Hz band


def test_settings_are_checked():
    samples = np.zeros(RATE)
    for bad in (
        VadConfig(band_hz=(4000.0, 100.0)),
        VadConfig(hop_s=0.0),
        VadConfig(floor_percentile=99.0, peak_percentile=50.0),
        VadConfig(low_fraction=0.8, high_fraction=0.5),
        VadConfig(min_pause_s=-1.0),
    ):
        with pytest.raises(SettingsError):
            speech_mask_from_audio(samples, RATE, 25.0, config=bad)
    with pytest.raises(SettingsError):
        speech_mask_from_audio(samples, None, 25.0)
    with pytest.raises(SettingsError):
        speech_mask_from_audio(samples, RATE, 0.0)
    with pytest.raises(SettingsError):
        speech_mask_from_audio(np.full(10, np.nan), RATE, 25.0)


def test_min_durations_bridge_short_pauses_and_drop_clicks():
    rng = np.random.default_rng(2)
    x = 1e-4 * rng.standard_normal(6 * RATE)
    t = np.arange(6 * RATE) / RATE
    tone = 0.3 * np.sin(2 * np.pi * 500.0 * t)
    for start, end in ((1.0, 2.0), (2.15, 3.0), (4.5, 4.55)):  # 0.15 s pause, then a 50 ms click
        inside = (t >= start) & (t < end)
        x[inside] += tone[inside]
    fps = 100.0
    starts, ends = runs(speech_mask_from_audio(x, RATE, fps))
    assert len(starts) == 1
    assert abs(starts[0] - 100) <= 2 and abs(ends[0] - 300) <= 2
    keep_all = VadConfig(min_pause_s=0.0, min_speech_s=0.0)
    starts, _ = runs(speech_mask_from_audio(x, RATE, fps, config=keep_all))
    assert len(starts) == 3
