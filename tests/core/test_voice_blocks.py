"""Voices analysed block by block (issue #15, long audio in bounded memory): on real speech, the features and
tracks computed from blocks (a clip kept in a file, shifted clips, streamed resampling, ProsodyStream) equal
the ones computed from the whole array in memory, bit for bit."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest

from core.motion.builder import MotionSpec, build_motion
from core.motion.posegan import model_features
from core.motion.posegan_model import load_model
from core.voice.accents import accent_frames
from core.voice.decode import AudioClip, decode_audio
from core.voice.prosody import ProsodyStream, prosody_features
from core.voice.resample import Resampler, resample
from core.voice.source import ShiftedClip, store_blocks
from core.voice.vad import speech_mask_from_audio

ROOT = Path(__file__).resolve().parents[2]
DEV = Path("/work/shared/data/dev")


@pytest.fixture(scope="module")
def speech() -> AudioClip:
    """Real speech at 16 kHz, about 100 s (more than one chunk of every analysis): the bundled sample and,
    when present, the development recordings, one after the other."""
    paths = [ROOT / "samples" / "speech_sample.ogg", *sorted(DEV.glob("*.mp4"))[:4]]
    parts = []
    for path in paths:
        try:
            parts.append(decode_audio(path, 16000).samples)
        except Exception:  # a recording this machine cannot decode (no ffmpeg): the others suffice
            continue
    samples = np.concatenate(parts)
    samples = np.tile(samples, int(np.ceil(100 * 16000 / len(samples))))[: 100 * 16000]
    return AudioClip(samples, 16000, "speech")


def _stored(clip: AudioClip) -> object:
    """``clip`` written into an unnamed temporary file, in uneven blocks, and read back block by block."""
    pieces = (clip.samples[i : i + 77_777] for i in range(0, len(clip), 77_777))
    return store_blocks(pieces, tempfile.TemporaryFile(), clip.sample_rate, clip.source)


def test_streamed_resampling_in_whole_signal_batches_equals_the_whole_resampling(speech):
    whole = resample(speech.samples, 16000, 8000)
    resampler = Resampler(16000, 8000, whole_chunks=True)
    sizes = np.random.default_rng(0).integers(1, 200_000, 100)
    parts, start = [], 0
    for size in sizes:
        parts.append(resampler.process(speech.samples[start : start + size]))
        start += size
        if start >= len(speech):
            break
    parts.append(resampler.process(speech.samples[start:], final=True))
    assert np.array_equal(np.concatenate(parts), whole)


@pytest.mark.parametrize("block", [1, 997, 8000, 333_333])
def test_prosody_stream_equals_the_whole_array_computation(speech, block):
    x = resample(speech.samples, 16000, 8000)
    n = int(np.ceil(len(x) / 8000 * 25))
    whole = prosody_features(x, 8000, 25.0, n)
    stream = ProsodyStream(25.0, n)
    if block == 1:  # one sample at a time over the first 2 s, then the rest at once
        for i in range(16000):
            stream.push(x[i : i + 1])
        stream.push(x[16000:])
    else:
        for i in range(0, len(x), block):
            stream.push(x[i : i + block])
    assert n > 2 * 1024 and np.array_equal(stream.finish(), whole)


def test_posegan_features_of_a_16k_clip_equal_those_of_the_whole_8k_signal(speech):
    model = load_model()
    x = resample(speech.samples, 16000, 8000)
    meta = model.metadata
    n = int(np.ceil(len(x) / meta.sample_rate * meta.fps))
    whole = prosody_features(x, meta.sample_rate, meta.fps, n, meta.prosody_config)
    assert np.array_equal(model_features(_stored(speech), model, n), whole)
    assert np.array_equal(model_features(speech.samples, model, n, 16000), whole)


def test_voice_analyses_of_a_stored_clip_equal_those_of_the_array(speech):
    stored = _stored(speech)
    assert len(stored) == len(speech) and stored.duration_s == speech.duration_s
    assert np.array_equal(np.concatenate(list(stored.blocks())), speech.samples)
    for fps in (24.0, 30.0):
        mask = speech_mask_from_audio(speech.samples, 16000, fps)
        assert np.array_equal(speech_mask_from_audio(stored, fps=fps), mask) and mask.any() and not mask.all()
        accents = accent_frames(speech.samples, 16000, fps, speech_mask=mask)
        assert len(accents) > 50 and np.array_equal(accent_frames(stored, fps=fps, speech_mask=mask), accents)


@pytest.mark.parametrize("method", ["synthetic", "posegan"])
@pytest.mark.parametrize("voice_start", [1, 38, -12])  # same frame, the voice starts later, earlier
def test_tracks_from_a_stored_clip_equal_tracks_from_memory(speech, method, voice_start):
    stored = _stored(speech)
    spec = MotionSpec(method=method)
    for fps in (25.0, 29.97):
        in_memory = build_motion(spec, fps, 1, None, speech, voice_start_frame=voice_start)
        from_file = build_motion(spec, fps, 1, None, stored, voice_start_frame=voice_start)
        assert np.array_equal(from_file.angles, in_memory.angles), (method, voice_start, fps)
        assert from_file.meta == in_memory.meta


def test_a_shifted_clip_reads_the_shifted_samples_in_even_blocks():
    samples = np.arange(1, 3_000_001, dtype=np.float32)
    clip = AudioClip(samples, 16000, "ramp")
    later = ShiftedClip(clip, 1_500_000)
    blocks = list(later.blocks())
    assert [len(b) for b in blocks[:-1]] == [1 << 20] * (len(blocks) - 1)
    joined = np.concatenate(blocks)
    assert len(later) == len(joined) == 4_500_000 and not joined[:1_500_000].any()
    assert np.array_equal(joined[1_500_000:], samples)
    earlier = ShiftedClip(clip, -2_000_000)
    assert np.array_equal(np.concatenate(list(earlier.blocks())), samples[2_000_000:])
    gone = ShiftedClip(clip, -5_000_000)
    assert len(gone) == 1 and np.array_equal(np.concatenate(list(gone.blocks())), [0.0])
