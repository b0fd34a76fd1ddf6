"""Tests of core.voice.features: per-video-frame log-mel / MFCC features, checked against librosa.

Tolerances: librosa is the reference at integer hops (``center=True``, ``pad_mode="constant"``). Our
features agree to < 1e-3 dB for log-mel and < 1e-2 for MFCC (measured: 4e-6 dB and 3e-5 - float32
output rounding); the mel filter banks agree to 1e-7 (librosa stores them as float32).
"""

from __future__ import annotations

import time
from pathlib import Path

import librosa
import numpy as np
import pytest
from speechlike import speech_like

from core.errors import SettingsError
from core.voice.decode import AudioClip, decode_audio, iter_audio_blocks
from core.voice.decoders import find_ffmpeg
from core.voice.features import (
    FEATURE_VERSION,
    AudioFeatureStream,
    FeatureConfig,
    audio_features,
    frame_count,
    iter_audio_features,
    mel_filterbank,
)
from core.voice.vad import speech_mask_from_audio

RATE = 16000
DEV_CLIP = Path(__file__).resolve().parents[3] / "shared" / "data" / "dev" / "mimictalk_German_20s.mp4"


@pytest.fixture(scope="module")
def audio() -> np.ndarray:
    """12.4 s of speech-like audio plus, when available, 20 s of a real speaker."""
    parts = [speech_like(RATE, snr_db=25.0).samples]
    if find_ffmpeg() is not None and DEV_CLIP.exists():
        parts.append(decode_audio(DEV_CLIP, RATE).samples.astype(np.float64))
    return np.concatenate(parts)


def librosa_logmel(y: np.ndarray, config: FeatureConfig, hop: int) -> np.ndarray:
    power = librosa.feature.melspectrogram(
        y=y, sr=config.sample_rate, n_fft=config.n_fft, hop_length=hop, window="hann", center=True,
        pad_mode="constant", power=2.0, n_mels=config.n_mels, fmin=config.fmin, fmax=config.fmax,
        htk=False, norm="slaney",
    )  # fmt: skip
    return librosa.power_to_db(power, ref=1.0, amin=config.amin, top_db=None).T


@pytest.mark.parametrize(
    ("config", "fps"),
    [
        (FeatureConfig(), 25.0),  # hop 640
        (FeatureConfig(), 50.0),  # hop 320
        (FeatureConfig(n_fft=512, n_mels=40, fmin=60.0, fmax=7600.0), 25.0),
        (FeatureConfig(sample_rate=22050, n_fft=2048, n_mels=128), 22050 / 882),  # hop 882
    ],
)
def test_log_mel_matches_librosa(audio, config, fps):
    y = audio if config.sample_rate == RATE else librosa.resample(audio, orig_sr=RATE, target_sr=config.sample_rate)
    ours = audio_features(y, config, fps)
    hop = round(config.sample_rate / fps)
    reference = librosa_logmel(y, config, hop)
    assert ours.dtype == np.float32 and ours.shape == (frame_count(len(y), config.sample_rate, fps), config.n_mels)
    assert len(reference) in (len(ours), len(ours) + 1)  # librosa adds a frame at the very end
    assert np.abs(ours - reference[: len(ours)]).max() < 1e-3


def test_mfcc_matches_librosa(audio):
    config = FeatureConfig(kind="mfcc", n_mfcc=20)
    ours = audio_features(audio, config, 25.0)
    reference = librosa.feature.mfcc(S=librosa_logmel(audio, config, 640).T, n_mfcc=20, dct_type=2, norm="ortho").T
    assert ours.shape[1] == config.dim == 20
    assert np.abs(ours - reference[: len(ours)]).max() < 1e-2


@pytest.mark.parametrize(
    ("n_fft", "n_mels", "fmin", "fmax"), [(1024, 80, 0.0, None), (512, 40, 60.0, 7600.0), (400, 64, 125.0, 3800.0)]
)
def test_mel_filterbank_matches_librosa(n_fft, n_mels, fmin, fmax):
    ours = mel_filterbank(RATE, n_fft, n_mels, fmin, fmax)
    reference = librosa.filters.mel(sr=RATE, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=False, norm="slaney")
    np.testing.assert_allclose(ours, reference, atol=1e-7)


@pytest.mark.parametrize("fps", [29.97, 30000 / 1001, 23.976, 60.0])
def test_fractional_frame_rates_centre_each_window_on_the_frame_time(audio, fps):
    config = FeatureConfig()
    ours = audio_features(audio, config, fps)
    assert len(ours) == int(np.ceil(len(audio) / RATE * fps - 1e-9))
    padded = np.pad(audio, config.n_fft // 2)
    for k in (0, 1, 7, len(ours) // 2, len(ours) - 1):
        centre = int(np.floor(k * RATE / fps + 0.5))  # sample at k / fps seconds
        window = padded[centre : centre + config.n_fft]
        single = librosa.feature.melspectrogram(
            y=window, sr=RATE, n_fft=config.n_fft, hop_length=config.n_fft, center=False, n_mels=config.n_mels
        )
        expected = librosa.power_to_db(single, ref=1.0, amin=config.amin, top_db=None)[:, 0]
        assert np.abs(ours[k] - expected).max() < 1e-3, k


def test_block_by_block_equals_one_shot(audio):
    config = FeatureConfig(kind="mfcc")
    whole = audio_features(audio, config, 29.97)
    rng = np.random.default_rng(5)
    blocks = np.split(audio, np.sort(rng.integers(0, len(audio), 60)))
    stream = AudioFeatureStream(config, 29.97)
    rows = [stream.push(b) for b in blocks] + [stream.finish()]
    np.testing.assert_allclose(np.concatenate(rows), whole, atol=1e-4)
    chunks = list(iter_audio_features(iter(blocks), config, 29.97))
    np.testing.assert_allclose(np.concatenate(chunks), whole, atol=1e-4)


def test_features_of_a_streamed_file_equal_those_of_the_decoded_file(tmp_path):
    sf = pytest.importorskip("soundfile")
    path = tmp_path / "speech.flac"
    sf.write(path, speech_like(44100).samples, 44100, subtype="PCM_24")
    whole = audio_features(decode_audio(path, RATE), FeatureConfig(), 25.0)
    streamed = np.concatenate(list(iter_audio_features(iter_audio_blocks(path, RATE, block_s=1.3), fps=25.0)))
    np.testing.assert_allclose(streamed, whole, atol=0.01)  # float32 rounding of the resampler, in quiet bands


def test_n_frames_pads_with_silence_or_truncates(audio):
    config = FeatureConfig()
    base = audio_features(audio, config, 25.0)
    longer = audio_features(audio, config, 25.0, n_frames=len(base) + 30)
    np.testing.assert_array_equal(longer[: len(base)], base)
    np.testing.assert_allclose(longer[-10:], -100.0)  # 10 log10(amin): beyond the audio is silence
    np.testing.assert_array_equal(audio_features(audio, config, 25.0, n_frames=50), base[:50])
    stream = AudioFeatureStream(config, 25.0, n_frames=50)
    assert len(stream.push(audio)) == 50 and len(stream.finish()) == 0


def test_clips_at_other_rates_are_resampled():
    signal = speech_like(44100, noise_db=None, fricatives=False)
    from_clip = audio_features(AudioClip(signal.samples, 44100), FeatureConfig(), 25.0)
    at_16k = audio_features(speech_like(RATE, noise_db=None, fricatives=False).samples, FeatureConfig(), 25.0)
    assert from_clip.shape == at_16k.shape
    loud = at_16k > -50.0  # where there is signal (below, float32 rounding dominates)
    assert np.abs(from_clip - at_16k)[loud].max() < 0.05


def test_config_round_trip_and_checks():
    config = FeatureConfig(kind="mfcc", n_mfcc=13, fmin=50.0)
    stored = config.to_dict()
    assert stored["feature_version"] == FEATURE_VERSION
    assert FeatureConfig.from_dict(stored) == config
    with pytest.raises(SettingsError, match="version"):
        FeatureConfig.from_dict({**stored, "feature_version": FEATURE_VERSION + 1})
    with pytest.raises(SettingsError, match="unknown"):
        FeatureConfig.from_dict({**stored, "hop": 160})
    for bad in (
        FeatureConfig(kind="spectrogram"),
        FeatureConfig(fmin=5000.0, fmax=4000.0),
        FeatureConfig(fmax=9000.0),
        FeatureConfig(kind="mfcc", n_mfcc=100),
        FeatureConfig(n_fft=8),
    ):
        with pytest.raises(SettingsError):
            audio_features(np.zeros(RATE), bad, 25.0)
    with pytest.raises(SettingsError):
        audio_features(np.zeros(RATE), FeatureConfig(), fps=0.0)
    with pytest.raises(SettingsError):
        audio_features(np.zeros((RATE, 2)), FeatureConfig(), fps=25.0)
    assert audio_features(np.zeros(0), FeatureConfig(), 25.0).shape == (0, 80)


def test_ten_minutes_of_audio_take_well_under_five_seconds():
    """Features + speech mask for 10 min of 16-kHz audio (measured ~0.6 s on 2 cores)."""
    ten_minutes = np.resize(speech_like(RATE, snr_db=20.0).samples.astype(np.float32), 600 * RATE)
    start = time.perf_counter()
    features = audio_features(ten_minutes, FeatureConfig(), 29.97)
    mask = speech_mask_from_audio(ten_minutes, RATE, 29.97)
    elapsed = time.perf_counter() - start
    assert features.shape == (17982, 80) and mask.shape == (17982,)
    assert elapsed < 5.0, f"{elapsed:.2f} s"
