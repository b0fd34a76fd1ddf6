"""Tests of core.voice.accents: onset strength, stressed-syllable detection, and accent nods on a pose track."""

from __future__ import annotations

import numpy as np
import pytest
from speechlike import speech_like

from core.errors import SettingsError
from core.metrics import beat_align_score, speed_minima
from core.motion.synthetic import SyntheticSettings, generate_synthetic
from core.track import PoseTrack
from core.voice.accents import accent_bump, accent_frames, add_accents, onset_strength
from core.voice.vad import speech_mask_from_audio

RATE = 16000


def nearest_distance(frames: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """For each of ``frames``, the distance (frames) to the nearest of ``targets``."""
    return np.array([np.abs(targets - f).min() for f in frames]) if len(targets) else np.full(len(frames), np.inf)


def still_track(n: int, fps: float = 25.0) -> PoseTrack:
    return PoseTrack.from_angles(np.zeros((n, 3)), fps)


# -- onsets and accents -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fps", [25.0, 29.97])
def test_onset_strength_peaks_on_syllable_onsets(fps):
    signal = speech_like(RATE)
    onsets = onset_strength(signal.samples, RATE, fps)
    assert onsets.shape == (int(np.ceil(len(signal.samples) / RATE * fps)),) and onsets.min() >= 0.0
    starts = np.array([s.start for s in signal.syllables]) * fps
    strongest = np.argsort(-onsets)[:20]
    assert np.mean(nearest_distance(strongest, starts) <= 2.0) >= 0.9


@pytest.mark.parametrize("fps", [25.0, 29.97])
@pytest.mark.parametrize("kind", [{}, {"level_db": -40.0}, {"snr_db": 10.0}, {"seed": 3}, {"seed": 7, "snr_db": 15.0}])
def test_accents_are_the_stressed_syllables(fps, kind):
    signal = speech_like(RATE, **kind)
    frames = accent_frames(signal.samples, RATE, fps)
    assert frames.dtype == np.int64 and np.all(np.diff(frames) >= 0.3 * fps)
    stressed = signal.stressed_onsets * fps
    precision = np.mean(nearest_distance(frames, stressed) <= 2.0)
    recall = np.mean(nearest_distance(stressed, frames.astype(float)) <= 2.0)
    # measured: precision 0.9-1.0, recall 0.82-1.0 (stressed syllables 0.28 s apart cannot both be kept)
    assert precision >= 0.8 and recall >= 0.75, (precision, recall)
    mask = speech_mask_from_audio(signal.samples, RATE, fps)
    assert mask[frames].min() == 1.0  # only inside speech


def test_accents_follow_the_given_speech_mask_and_spacing():
    signal = speech_like(RATE)
    fps = 25.0
    n = int(np.ceil(len(signal.samples) / RATE * fps))
    first_phrase_only = np.zeros(n)
    first_phrase_only[: round(3.0 * fps)] = 1.0
    frames = accent_frames(signal.samples, RATE, fps, speech_mask=first_phrase_only)
    assert len(frames) > 0 and frames.max() < 3.0 * fps
    sparse = accent_frames(signal.samples, RATE, fps, min_spacing_s=1.0)
    assert np.all(np.diff(sparse) >= 25)
    every_peak = accent_frames(signal.samples, RATE, fps, threshold=0.0)
    assert len(every_peak) > len(accent_frames(signal.samples, RATE, fps))


def test_silence_and_noise_have_no_accents():
    rng = np.random.default_rng(0)
    for samples in (np.zeros(5 * RATE), 0.05 * rng.standard_normal(5 * RATE)):
        assert len(accent_frames(samples, RATE, 25.0)) == 0
    assert len(accent_frames(np.zeros(0), RATE, 25.0)) == 0
    with pytest.raises(SettingsError):
        accent_frames(np.zeros(RATE), RATE, 25.0, speech_mask=np.ones(3))


# -- accent nods ------------------------------------------------------------------------------------------


def test_bump_is_smooth_and_holds_its_apex():
    t = np.linspace(0.0, 20.0, 20001)
    bump = accent_bump(t, apex=10.0, duration=8.0, hold=2.0)
    assert bump.max() == 1.0 and np.all(bump[(t >= 9.0) & (t <= 11.0)] == 1.0)
    assert np.all(bump[(t < 10.0 - 0.45 * 6.0 - 1.0) | (t > 10.0 + 0.55 * 6.0 + 1.0)] == 0.0)
    step = t[1] - t[0]
    velocity = np.gradient(bump, step)
    acceleration = np.gradient(velocity, step)
    assert np.abs(np.diff(velocity)).max() < 1e-3  # no jumps in velocity ...
    assert np.abs(np.diff(acceleration)).max() < 0.05  # ... nor in acceleration


def test_nods_go_down_by_the_set_depth_with_the_apex_on_the_accent():
    fps = 25.0
    frames = np.array([20, 60, 100])
    out = add_accents(still_track(150, fps), frames, seed=3, yaw_probability=0.0)
    assert np.all(out.pitch <= 0.0) and np.all(out.yaw == 0.0) and np.all(out.roll == 0.0)
    for f in frames:
        assert 1.5 <= -out.pitch[f] <= 3.0 and out.pitch[f] == out.pitch[f - 10 : f + 11].min()
        moving = np.flatnonzero(out.pitch[f - 15 : f + 16] < 0.0)
        assert 0.3 * fps - 2 <= len(moving) <= 0.4 * fps + 2  # 0.3-0.4 s long
    assert out.meta["accents"] == {"count": 3, "intensity": 1.0, "seed": 3}
    half = add_accents(still_track(150, fps), frames, intensity=0.5, seed=3, yaw_probability=0.0)
    np.testing.assert_allclose(half.pitch, 0.5 * out.pitch)


def test_yaw_flicks_are_occasional_and_small():
    frames = np.arange(10, 2000, 12)
    out = add_accents(still_track(2010), frames, seed=1, yaw_probability=0.3)
    flicked = np.abs(out.yaw[frames]) > 0.0
    assert 0.2 < flicked.mean() < 0.4
    assert np.abs(out.yaw).max() <= 1.2 and np.abs(out.yaw[frames][flicked]).min() >= 0.4
    assert (out.yaw[frames] > 0).any() and (out.yaw[frames] < 0).any()


def test_same_seed_same_motion_other_seed_other_motion():
    base = generate_synthetic(300, 25.0)
    frames = np.array([30, 45, 90, 130, 200, 260])
    a = add_accents(base, frames, seed=11)
    b = add_accents(base, frames, seed=11)
    c = add_accents(base, frames, seed=12)
    np.testing.assert_array_equal(a.angles, b.angles)
    assert not np.array_equal(a.angles, c.angles)
    np.testing.assert_array_equal(base.angles, generate_synthetic(300, 25.0).angles)  # input untouched


def test_intensity_zero_and_frames_outside_the_track_change_nothing():
    base = generate_synthetic(100, 25.0)
    for out in (add_accents(base, [10, 50], intensity=0.0), add_accents(base, [-5, 100, 400])):
        np.testing.assert_array_equal(out.angles, base.angles)
        assert out.fps == base.fps and out.start_frame == base.start_frame
    with pytest.raises(SettingsError):
        add_accents(base, [1.5])
    with pytest.raises(SettingsError):
        add_accents(base, [10], intensity=-1.0)
    with pytest.raises(SettingsError):
        add_accents(base, [10], stop_strength=2.0)


def test_the_head_slows_down_on_the_accents():
    """On a moving head, the smoothed speed has a local minimum at (or next to) most accents."""
    fps = 25.0
    hits, scores_before, scores_after = [], [], []
    for speech_seed in (0, 3):
        signal = speech_like(RATE, seed=speech_seed)
        mask = speech_mask_from_audio(signal.samples, RATE, fps)
        frames = accent_frames(signal.samples, RATE, fps, speech_mask=mask)
        for motion_seed in (0, 1, 2):
            base = generate_synthetic(len(mask), fps, SyntheticSettings(seed=motion_seed), speech=mask)
            out = add_accents(base, frames, seed=motion_seed)
            minima = speed_minima(out.angles)
            hits.extend(nearest_distance(frames, minima) <= 1.0)
            scores_before.append(beat_align_score(frames, base.angles))
            scores_after.append(beat_align_score(frames, out.angles))
            assert out.meta["accents"]["count"] == len(frames)
    assert np.mean(hits) >= 0.6
    # measured: BAS 0.61 -> 0.91 on average; a speed minimum within 1 frame of 83 % of the accents
    assert np.mean(scores_after) >= np.mean(scores_before) + 0.2 and np.mean(scores_after) >= 0.75


def test_other_frame_rates():
    fps = 29.97
    signal = speech_like(RATE)
    frames = accent_frames(signal.samples, RATE, fps)
    base = generate_synthetic(int(np.ceil(len(signal.samples) / RATE * fps)), fps)
    out = add_accents(base, frames)
    assert len(out) == len(base) and out.fps == fps
    out.validate()
