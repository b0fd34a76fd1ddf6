"""Tests of core.voice.decode: decoding real files of every supported format, resampling, streaming, errors.

The media files are generated once per session from the speech-like test signal: soundfile writes wav,
flac, ogg and mp3; an ffmpeg binary (imageio-ffmpeg's) writes m4a, raw aac, and mp4/mov/mkv/webm with a
tiny black video track.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from speechlike import speech_like

from core.errors import MediaError, SettingsError
from core.voice.decode import AudioClip, decode_audio, iter_audio_blocks
from core.voice.decoders import DecoderUnavailable, FfmpegDecoder, SoundfileDecoder, find_ffmpeg
from core.voice.resample import Resampler, resample
from core.voice.vad import speech_mask_from_audio

RATE = 16000
FFMPEG = find_ffmpeg()
needs_ffmpeg = pytest.mark.skipif(FFMPEG is None, reason="no ffmpeg binary (pip install imageio-ffmpeg)")
DEV = Path(__file__).resolve().parents[3] / "shared" / "data" / "dev"
DEV_CLIP = DEV / "mimictalk_Trump_10s.mp4"
_VIDEO = ["-f", "lavfi", "-i", "color=c=black:s=32x32:r=25"]
#: name -> (ffmpeg arguments between the inputs and the output, source wav)
_FFMPEG_JOBS = {
    "speech.m4a": (["-c:a", "aac", "-b:a", "128k"], "mono"),
    "speech.aac": (["-c:a", "aac", "-b:a", "128k", "-f", "adts"], "mono"),
    "speech.mp4": (["-shortest", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k"], "mono"),
    "speech.mov": (["-shortest", "-c:v", "mjpeg", "-c:a", "pcm_s16le"], "mono"),
    "stereo.mkv": (["-shortest", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "flac"], "stereo"),
    "speech.webm": (["-shortest", "-c:v", "libvpx", "-c:a", "libopus", "-b:a", "96k"], "mono"),
}
#: Lossy files: the least waveform correlation with the source after alignment, and the largest error
#: (RMS, relative to the signal's RMS). Measured: ogg 0.9965 / 0.084, mp3 0.9996 / 0.027, AAC and Opus
#: 1.0000 / 0.009.
LOSSY = {"speech.ogg": (0.99, 0.15), "speech.mp3": (0.99, 0.08), "speech.m4a": (0.995, 0.05),
         "speech.aac": (0.995, 0.05), "speech.mp4": (0.995, 0.05), "speech.webm": (0.995, 0.05)}  # fmt: skip


def _ffmpeg(*args: str) -> None:
    done = subprocess.run([FFMPEG, "-y", "-hide_banner", "-loglevel", "error", *args], capture_output=True)
    assert done.returncode == 0, done.stderr.decode(errors="replace")


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> dict[str, Path]:
    """Every test file, written once: {name: path}."""
    folder = tmp_path_factory.mktemp("media")
    signal = speech_like(RATE).samples.astype(np.float32)
    wobble = (0.05 * np.sin(2 * np.pi * 300.0 * np.arange(len(signal)) / RATE)).astype(np.float32)
    files = {name: folder / name for name in ("speech.wav", "speech.flac", "speech.ogg", "speech.mp3")}
    sf.write(files["speech.wav"], signal, RATE, subtype="PCM_16")
    sf.write(files["speech.flac"], signal, RATE, subtype="PCM_16")
    sf.write(files["speech.ogg"], signal, RATE, format="OGG", subtype="VORBIS")
    sf.write(files["speech.mp3"], signal, RATE, format="MP3", subtype="MPEG_LAYER_III")
    files["stereo.wav"] = folder / "stereo.wav"  # L - R cancels in the mono mix: the mix is the signal
    sf.write(files["stereo.wav"], np.column_stack([signal + wobble, signal - wobble]), RATE, subtype="FLOAT")
    clean = speech_like(44100, noise_db=None, fricatives=False).samples
    files["clean44k.wav"] = folder / "clean44k.wav"
    sf.write(files["clean44k.wav"], np.column_stack([clean, clean]), 44100, subtype="FLOAT")
    files["silent.wav"] = folder / "silent.wav"
    sf.write(files["silent.wav"], np.zeros(5 * RATE, dtype=np.float32), RATE, subtype="PCM_16")
    files["zero_length.wav"] = folder / "zero_length.wav"
    sf.write(files["zero_length.wav"], np.zeros(0, dtype=np.float32), RATE, subtype="PCM_16")
    files["empty.wav"] = folder / "empty.wav"
    files["empty.wav"].write_bytes(b"")
    noise = np.random.default_rng(7).integers(0, 256, 30000, dtype=np.uint8).tobytes()
    for name in ("corrupt.wav", "corrupt.mp3", "corrupt.m4a"):
        files[name] = folder / name
        files[name].write_bytes(noise)
    files["notes.txt"] = folder / "notes.txt"
    files["notes.txt"].write_text("not audio\n" * 100)
    if FFMPEG is not None:
        sources = {"mono": files["speech.wav"], "stereo": files["stereo.wav"]}
        for name, (args, source) in _FFMPEG_JOBS.items():
            files[name] = folder / name
            video = _VIDEO if "-shortest" in args else []
            _ffmpeg(*video, "-i", str(sources[source]), *args, str(files[name]))
        files["video_only.mp4"] = folder / "video_only.mp4"
        _ffmpeg(*_VIDEO, "-t", "2", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(files["video_only.mp4"]))
    return files


@pytest.fixture(scope="session")
def reference() -> np.ndarray:
    """The test signal as the 16-bit files hold it."""
    signal = speech_like(RATE).samples.astype(np.float32)
    return np.round(np.clip(signal, -1, 1) * 32768.0).astype(np.float32) / 32768.0


def _align(decoded: np.ndarray, ref: np.ndarray, max_lag: int = 3200) -> tuple[int, float, float]:
    """(lag in samples, correlation, relative RMS error) of ``decoded`` against ``ref`` at the best lag."""
    n = min(len(decoded), len(ref)) - 2 * max_lag
    target = ref[max_lag : max_lag + n]
    scores = np.correlate(decoded[: n + 2 * max_lag].astype(np.float64), target.astype(np.float64), "valid")
    lag = int(np.argmax(scores)) - max_lag
    part = decoded[max_lag + lag : max_lag + lag + n]
    corr = float(np.corrcoef(part, target)[0, 1])
    return lag, corr, float(np.sqrt(np.mean((part - target) ** 2) / np.mean(target**2)))


# -- lossless ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["speech.wav", "speech.flac", pytest.param("speech.mov", marks=needs_ffmpeg)],
)
def test_lossless_files_decode_to_the_written_samples(media, reference, name):
    clip = decode_audio(media[name])
    assert isinstance(clip, AudioClip) and clip.sample_rate == RATE and clip.samples.dtype == np.float32
    assert clip.source == str(media[name])
    assert len(clip) == len(reference) and clip.duration_s == pytest.approx(len(reference) / RATE)
    np.testing.assert_allclose(clip.samples, reference, atol=1.5 / 32768)


def test_stereo_is_mixed_to_the_mean_of_its_channels(media, reference):
    np.testing.assert_allclose(decode_audio(media["stereo.wav"]).samples, reference, atol=1.5 / 32768)


@needs_ffmpeg
def test_ffmpeg_mixes_stereo_like_soundfile(media):
    """stereo.mkv holds stereo.wav as FLAC: ffmpeg's mono mix must be (L + R) / 2 too, not (L + R) / sqrt 2."""
    through_ffmpeg = decode_audio(media["stereo.mkv"]).samples
    through_soundfile = decode_audio(media["stereo.wav"]).samples
    assert len(through_ffmpeg) == len(through_soundfile)
    np.testing.assert_allclose(through_ffmpeg, through_soundfile, atol=1.5 / 32768)


def test_a_44k_stereo_file_is_resampled_to_match_the_same_signal_made_at_16k(media):
    clip = decode_audio(media["clean44k.wav"], RATE)
    made_at_16k = speech_like(RATE, noise_db=None, fricatives=False).samples
    assert len(clip) == len(made_at_16k)
    error = clip.samples - made_at_16k
    assert np.sqrt(np.mean(error**2) / np.mean(made_at_16k**2)) < 2e-4  # measured 3.5e-5
    assert np.abs(error).max() < 2e-4


# -- lossy ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "speech.ogg",
        "speech.mp3",
        *(pytest.param(n, marks=needs_ffmpeg) for n in ("speech.m4a", "speech.aac", "speech.mp4", "speech.webm")),
    ],
)
def test_lossy_files_decode_to_the_same_audio(media, reference, name):
    clip = decode_audio(media[name])
    assert clip.sample_rate == RATE and np.abs(clip.samples).max() <= 1.0
    lag, corr, error = _align(clip.samples, reference)
    min_corr, max_error = LOSSY[name]
    assert corr > min_corr and error < max_error, (lag, corr, error)
    if name == "speech.aac":  # raw ADTS has no trim information: the encoder's 1024-sample priming remains
        assert 0 <= lag <= 2112 and abs(len(clip) - len(reference) - lag) <= 2048
    else:  # containers with gapless information are sample-aligned
        assert lag == 0 and abs(len(clip) - len(reference)) <= 0.01 * RATE
    ref_env = np.sqrt(np.mean(reference[: len(reference) // 160 * 160].reshape(-1, 160) ** 2, axis=1))
    got = clip.samples[lag : lag + len(reference)]
    got_env = np.sqrt(np.mean(got[: len(got) // 160 * 160].reshape(-1, 160) ** 2, axis=1))
    n = min(len(ref_env), len(got_env))
    assert np.corrcoef(ref_env[:n], got_env[:n])[0, 1] > 0.99  # 10-ms loudness envelopes


@needs_ffmpeg
def test_real_mp4_clip_with_aac_audio_decodes():
    if not DEV_CLIP.exists():
        pytest.skip(f"development clip {DEV_CLIP} not available")
    clip = decode_audio(DEV_CLIP, RATE)
    assert clip.sample_rate == RATE and clip.duration_s == pytest.approx(10.0, abs=0.05)
    assert 0.01 < np.sqrt(np.mean(clip.samples**2)) < 0.5


# -- streaming --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "rate"),
    [
        ("speech.wav", RATE),
        ("clean44k.wav", RATE),
        ("speech.ogg", 22050),
        pytest.param("speech.mp4", RATE, marks=needs_ffmpeg),
    ],
)
def test_streamed_blocks_equal_the_whole_decode(media, name, rate):
    whole = decode_audio(media[name], rate).samples
    blocks = list(iter_audio_blocks(media[name], rate, block_s=0.7))
    size = round(0.7 * rate)
    assert all(len(b) == size for b in blocks[:-1]) and 0 < len(blocks[-1]) <= size
    assert all(b.dtype == np.float32 for b in blocks)
    streamed = np.concatenate(blocks)
    assert len(streamed) == len(whole)
    np.testing.assert_allclose(streamed, whole, atol=2e-6)


def test_streaming_a_plain_decoder_callable_cuts_its_output_into_blocks(media):
    def fake(path, sample_rate):
        return np.ones((8000, 2), dtype=np.float32) * 0.25, 8000

    blocks = list(iter_audio_blocks(media["speech.wav"], 8000, block_s=0.3, decoders=[fake]))
    assert [len(b) for b in blocks] == [2400, 2400, 2400, 800]
    np.testing.assert_allclose(np.concatenate(blocks)[100:-100], 0.25, atol=1e-6)


@pytest.mark.parametrize("name", ["speech.wav", pytest.param("speech.mp4", marks=needs_ffmpeg)])
def test_streaming_can_stop_early(media, name):
    stream = iter_audio_blocks(media[name], RATE, block_s=1.0)
    assert len(next(stream)) == RATE
    stream.close()  # closes the decoder's file / stops its ffmpeg process
    unused = iter_audio_blocks(media[name], RATE)  # opened (and checked) but never read
    del unused


# -- decoder chain ----------------------------------------------------------------------------------------


def test_decoders_are_tried_in_order_and_a_custom_one_can_come_first(media):
    calls = []

    def unavailable(path, sample_rate):
        calls.append("unavailable")
        raise DecoderUnavailable("not my format")

    def custom(path, sample_rate):
        calls.append("custom")
        t = np.arange(8000) / 8000
        return np.column_stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 440 * t)]) * 0.5, 8000

    clip = decode_audio(media["speech.wav"], RATE, decoders=[unavailable, custom, SoundfileDecoder()])
    assert calls == ["unavailable", "custom"]
    assert len(clip) == RATE  # 1 s at 8 kHz resampled to 16 kHz
    t = np.arange(RATE) / RATE
    np.testing.assert_allclose(clip.samples[500:-500], 0.5 * np.sin(2 * np.pi * 440 * t)[500:-500], atol=2e-3)


def test_decoder_results_are_clipped_to_full_scale(media):
    clip = decode_audio(media["speech.wav"], 100, decoders=[lambda p, r: (np.array([0.5, 2.0, -3.0]), 100)])
    np.testing.assert_array_equal(clip.samples, np.float32([0.5, 1.0, -1.0]))


def test_missing_ffmpeg_is_reported_with_a_hint(media):
    chain = [SoundfileDecoder(), FfmpegDecoder(executable="/nonexistent/ffmpeg")]
    path = media.get("speech.m4a", media["corrupt.m4a"])
    with pytest.raises(MediaError) as info:
        decode_audio(path, decoders=chain)
    if path == media["speech.m4a"]:
        assert info.value.reason == "unsupported"
    assert "ffmpeg" in str(info.value) and str(path) in str(info.value)


# -- errors -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason", "words"),
    [
        ("corrupt.wav", "corrupt", "damaged"),
        ("corrupt.mp3", "corrupt", "damaged"),
        ("corrupt.m4a", "corrupt", "damaged"),
        ("empty.wav", "empty", "empty (0 bytes)"),
        ("zero_length.wav", "empty", "no audio samples"),
        ("notes.txt", "unsupported", "'.txt' files are not supported"),
        pytest.param("video_only.mp4", "no_audio", "no audio track", marks=needs_ffmpeg),
    ],
)
def test_unusable_files_raise_media_error_naming_the_file(media, name, reason, words):
    for call in (lambda p: decode_audio(p), lambda p: list(iter_audio_blocks(p))):
        with pytest.raises(MediaError) as info:
            call(media[name])
        assert info.value.reason == reason
        assert words in str(info.value) and str(media[name]) in str(info.value)
        assert info.value.path == str(media[name])


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(MediaError, match="does not exist") as info:
        decode_audio(tmp_path / "nowhere.wav")
    assert info.value.reason == "missing"
    with pytest.raises(MediaError, match="is a folder"):
        decode_audio(tmp_path)


def test_silent_file_decodes_and_holds_no_speech(media):
    clip = decode_audio(media["silent.wav"])
    assert clip.duration_s == pytest.approx(5.0) and not clip.samples.any()
    mask = speech_mask_from_audio(clip, fps=25.0)
    assert mask.shape == (125,) and not mask.any()


def test_bad_arguments_are_settings_errors(media):
    with pytest.raises(SettingsError):
        decode_audio(media["speech.wav"], sample_rate=0)
    with pytest.raises(SettingsError):
        iter_audio_blocks(media["speech.wav"], RATE, block_s=0.0)
    with pytest.raises(SettingsError):
        AudioClip(np.zeros((3, 2)), RATE)


# -- resampler --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate_in", "rate_out"), [(44100, 16000), (48000, 16000), (22050, 16000), (8000, 16000), (16000, 48000)]
)
def test_resampler_keeps_tones_in_the_pass_band(rate_in, rate_out):
    t_in = np.arange(2 * rate_in) / rate_in
    tones = ((1000.0, 0.5), (3000.5, 0.3))
    x = sum(a * np.sin(2 * np.pi * f * t_in) for f, a in tones)
    y = resample(x, rate_in, rate_out)
    assert len(y) == 2 * rate_out and y.dtype == np.float32
    t_out = np.arange(len(y)) / rate_out
    expected = sum(a * np.sin(2 * np.pi * f * t_out) for f, a in tones)
    inner = slice(rate_out // 10, -rate_out // 10)
    assert np.abs(y[inner] - expected[inner]).max() < 1e-4


@pytest.mark.parametrize("rate_in", [44100, 48000])
def test_resampler_removes_what_the_lower_rate_cannot_hold(rate_in):
    t = np.arange(rate_in) / rate_in
    y = resample(np.sin(2 * np.pi * 9000.0 * t), rate_in, 16000)  # above the 8 kHz Nyquist frequency
    assert 20 * np.log10(np.sqrt(np.mean(y[1600:-1600] ** 2) * 2)) < -70


def test_resampler_gives_the_same_output_for_any_block_sizes():
    x = np.random.default_rng(3).standard_normal(50000).astype(np.float32) * 0.1
    whole = resample(x, 44100, 16000)
    rng = np.random.default_rng(4)
    resampler = Resampler(44100, 16000)
    pieces, start = [], 0
    while start < len(x):
        size = int(rng.integers(0, 5000))
        pieces.append(resampler.process(x[start : start + size]))
        start += size
    pieces.append(resampler.process(np.zeros(0), final=True))
    np.testing.assert_allclose(np.concatenate(pieces), whole, atol=1e-6)
    assert resampler.expected_length(len(x)) == len(whole) == -(-len(x) * 16000 // 44100)
    with pytest.raises(SettingsError):
        resampler.process(x)


def test_resampler_identity_and_odd_rates():
    x = np.linspace(-1, 1, 101).astype(np.float32)
    np.testing.assert_array_equal(resample(x, 16000, 16000), x)
    y = resample(np.ones(44056), 44056, 16000)  # ratio with too many phases: approximated, still flat
    assert len(y) == 16000
    np.testing.assert_allclose(y[200:-200], 1.0, atol=1e-4)
