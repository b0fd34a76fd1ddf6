"""decode_audio_streamed (issue #15 item 4): the whole mono clip from a block stream, equal to decode_audio,
allocated once when the stream says its length, refused before allocation past the voice limit."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import soundfile as sf

from core.errors import MediaError
from core.voice.decode import decode_audio, decode_audio_streamed
from core.voice.decoders import SoundfileDecoder


class _Unsized(SoundfileDecoder):
    """soundfile's stream without its length (as the ffmpeg decoder's): the result grows by doubling."""

    def open_stream(self, path):
        rate, blocks = super().open_stream(path)
        return rate, iter(blocks)


@pytest.fixture(scope="module")
def stereo_48k(tmp_path_factory):
    rng = np.random.default_rng(1)
    t = np.arange(48000 * 120) / 48000
    left = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(len(t))
    data = np.stack([left, 0.5 * left], axis=1).astype(np.float32)
    path = tmp_path_factory.mktemp("audio") / "stereo.flac"
    sf.write(path, data, 48000, subtype="PCM_24")
    return path


@pytest.mark.parametrize("decoder", [SoundfileDecoder(), _Unsized()], ids=["sized", "growing"])
def test_streamed_decode_equals_the_whole_decode(stereo_48k, decoder):
    whole = decode_audio(stereo_48k, 16000, [SoundfileDecoder()])
    streamed = decode_audio_streamed(stereo_48k, 16000, [decoder])
    assert streamed.sample_rate == 16000 and len(streamed) == len(whole) == 120 * 16000
    assert np.max(np.abs(streamed.samples - whole.samples)) < 1e-5


def test_streamed_decode_holds_the_result_not_the_file(stereo_48k):
    tracemalloc.start()
    clip = decode_audio_streamed(stereo_48k, 16000, [SoundfileDecoder()])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    file_samples = 120 * 48000 * 2 * 4  # the 48 kHz stereo float32 samples (46 MB)
    assert clip.samples.nbytes == 120 * 16000 * 4  # 7.7 MB
    assert peak < file_samples / 2, peak


def test_too_long_is_refused_from_the_length_before_allocating(stereo_48k):
    tracemalloc.start()
    with pytest.raises(MediaError, match=r"lasts 2\.0 minutes; voices may last at most 0\.1 minutes") as info:
        decode_audio_streamed(stereo_48k, 16000, [SoundfileDecoder()], max_seconds=6.0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert info.value.reason == "too_long" and peak < 1_000_000
    with pytest.raises(MediaError, match="voices may last at most"):  # no length known: stops while streaming
        decode_audio_streamed(stereo_48k, 16000, [_Unsized()], max_seconds=6.0)
