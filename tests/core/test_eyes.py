"""The eye generator: blink statistics over 10 minutes of speech, the saccadic main sequence, target gaze that
holds while the head turns (vestibulo-ocular reflex), free gaze that leads head turns, determinism, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from speechlike import speech_like

from core.errors import SettingsError, TrackError
from core.eyes import EyeSettings, EyeTrack, GazeTarget, eye_preset, generate_eyes
from core.eyes.gaze import direction, phrases
from core.motion.speech import SpeechMotionOptions, motion_from_audio
from core.motion.synthetic import preset_settings
from core.rotation import character_rotation
from core.track import PoseTrack
from core.voice.decode import AudioClip

FPS = 25.0


@pytest.fixture(scope="module")
def ten_minutes():
    """Head motion for about 10 minutes of speech-like audio (49 different 12.4 s recordings in a row)."""
    parts = [speech_like(16000, seed=s).samples for s in range(49)]
    clip = AudioClip(np.concatenate(parts).astype(np.float32), 16000)
    options = SpeechMotionOptions(accent_intensity=0.0)
    return motion_from_audio(clip, FPS, preset_settings("CONVERSATIONAL", seed=2), options)


def _angle_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    cos = np.sum(a * b, axis=-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def test_blink_statistics_over_ten_minutes_of_speech(ten_minutes):
    track = ten_minutes
    assert track.duration_s > 600
    eyes = generate_eyes(track, EyeSettings(seed=3))
    minutes = track.duration_s / 60.0
    rate = eyes.blink_count / minutes
    assert 15.0 <= rate <= 30.0, rate
    assert np.all((eyes.blink_durations_s >= 0.1) & (eyes.blink_durations_s <= 0.4))
    starts, ends = phrases(track.speech, FPS)
    pauses = np.concatenate([starts, ends])
    shifts = eyes.saccade_onsets_s[eyes.saccade_amplitudes_deg > 2.0]
    landmarks = np.sort(np.concatenate([pauses, shifts]))
    nearest = np.min(np.abs(eyes.blink_onsets_s[:, None] - landmarks[None, :]), axis=1)
    assert np.mean(nearest <= 0.3) > 0.6, np.mean(nearest <= 0.3)
    # Every blink shuts the eye on at least one frame; the lids are open between blinks.
    frame_of = np.rint(eyes.blink_onsets_s * FPS).astype(int)
    assert eyes.blink.max() == 1.0 and np.count_nonzero(eyes.blink[:, 0] == 1.0) >= eyes.blink_count
    assert np.median(eyes.blink[:, 0]) == 0.0 and len(frame_of) == eyes.blink_count


def test_blink_shape_measured_on_the_curve():
    fps = 1000.0
    n = int(60 * fps)
    head = PoseTrack(np.zeros(n), np.zeros(n), np.zeros(n), fps, speech=np.ones(n))
    eyes = generate_eyes(head, EyeSettings(seed=5, double_blink=0.0))
    closed = eyes.blink[:, 0] > 0.01
    padded = np.concatenate([[False], closed, [False]]).astype(np.int8)
    change = np.flatnonzero(np.diff(padded))
    starts, ends = change[0::2], change[1::2]
    assert len(starts) == eyes.blink_count > 10
    durations = (ends - starts) / fps
    assert np.all((durations > 0.1) & (durations < 0.4)), durations
    for s, e in zip(starts, ends, strict=True):
        curve = eyes.blink[s:e, 0]
        shut = np.flatnonzero(curve >= 0.99)
        assert shut[0] < (e - s) - shut[-1]  # closing is faster than opening


def test_saccades_follow_the_main_sequence():
    fps = 1000.0
    n = int(120 * fps)
    speech = (np.sin(np.arange(n) / fps * 2 * np.pi / 7.0) > -0.3).astype(float)
    head = PoseTrack(np.zeros(n), np.zeros(n), np.zeros(n), fps, speech=speech)
    eyes = generate_eyes(head, EyeSettings(seed=1, aversion=1.0, micro_saccades=False, aversion_deg=(3.0, 25.0)))
    gaze = np.column_stack([eyes.yaw.mean(axis=1), eyes.pitch.mean(axis=1)])
    speed = np.linalg.norm(np.diff(gaze, axis=0), axis=1) * fps
    moving = np.concatenate([[False], speed > 5.0, [False]]).astype(np.int8)
    change = np.flatnonzero(np.diff(moving))
    measured = 0
    for s, e in zip(change[0::2], change[1::2], strict=True):
        peak = speed[s:e].max()
        fast = np.flatnonzero(speed[s:e] > 0.05 * peak)
        duration = (fast[-1] - fast[0] + 1) / fps
        amplitude = np.linalg.norm(gaze[min(e + 1, n - 1)] - gaze[max(s - 1, 0)])
        expected = 0.021 + 0.0022 * amplitude
        assert abs(duration / expected - 1.0) < 0.2, (amplitude, duration, expected)
        measured += 1
    assert measured >= 20


def _neck_fk(angles, eyes, necks, share):
    """Eye centres per frame, written out joint by joint (independent of the generator's vectorised form)."""
    out = np.zeros((len(angles), 2, 3))
    pivots = [*necks, np.zeros(3)]
    for f, a in enumerate(angles):
        p = np.array(pivots[0], dtype=float)
        for i in range(1, len(pivots)):
            r = character_rotation(*(share * i / len(necks) * a))
            p = p + r @ (pivots[i] - pivots[i - 1])
        out[f] = p + (character_rotation(*a) @ eyes.T).T
    return out


@pytest.mark.parametrize("share", [0.0, 0.3])
def test_target_gaze_holds_while_the_head_turns(share):
    fps = 30.0
    n = int(60 * fps)
    t = np.arange(n) / fps
    angles = np.column_stack([20.0 * np.sin(2 * np.pi * t / 3.0), 6.0 * np.sin(2 * np.pi * t / 2.3),
                              4.0 * np.sin(2 * np.pi * t / 5.0)])
    speech = (np.sin(2 * np.pi * t / 6.0) > -0.2).astype(float)
    head = PoseTrack.from_angles(angles, fps, speech=speech)
    eyes_rest = np.array([[0.033, 0.09, 0.11], [-0.033, 0.09, 0.11]])
    necks = np.array([[0.0, -0.01, -0.15], [0.0, 0.0, -0.07]])
    target_point = np.array([0.4, 1.8, 0.05])
    target = GazeTarget(target_point, eyes_rest, necks, share)
    eyes = generate_eyes(head, EyeSettings(seed=4), target)
    positions = _neck_fk(angles, eyes_rest, necks, share)
    head_rot = character_rotation(angles[:, 0], angles[:, 1], angles[:, 2])
    for e in range(2):
        local = direction(np.column_stack([eyes.yaw[:, e], eyes.pitch[:, e]]))
        world = np.einsum("nij,nj->ni", head_rot, local)
        error = _angle_deg(world, target_point - positions[:, e])
        contact = ~eyes.aversion
        assert contact.mean() > 0.5
        assert error[contact].max() < 1.0, error[contact].max()
        assert error[~contact].max() > 3.0  # the aversions do look away
    assert np.ptp(eyes.yaw[:, 0]) > 30.0  # the eyes counter-rotate the +/-20 degree head turns


def test_free_gaze_leads_head_turns():
    fps = 100.0
    n = int(6 * fps)
    t = np.arange(n) / fps
    yaw = 30.0 * np.clip((t - 2.0) / 0.6, 0.0, 1.0) ** 2 * (3 - 2 * np.clip((t - 2.0) / 0.6, 0.0, 1.0))
    head = PoseTrack(yaw, np.zeros(n), np.zeros(n), fps, speech=np.zeros(n))
    eyes = generate_eyes(head, EyeSettings(seed=0, gaze_mode="FREE", aversion=0.0, micro_saccades=False))
    world_yaw = yaw + eyes.yaw.mean(axis=1)
    assert np.argmax(world_yaw > 15.0) < np.argmax(yaw > 15.0)
    assert abs(world_yaw[-1] - 30.0) < 1.0
    assert eyes.saccade_amplitudes_deg.max() > 7.0


def test_deterministic_and_seeded(ten_minutes):
    short = ten_minutes.copy()
    a = generate_eyes(short, EyeSettings(seed=7))
    b = generate_eyes(short, EyeSettings(seed=7))
    c = generate_eyes(short, EyeSettings(seed=8))
    assert np.array_equal(a.yaw, b.yaw) and np.array_equal(a.blink, b.blink)
    assert not np.array_equal(a.blink, c.blink)


def test_intensity_zero_holds_the_target_and_presets_differ(ten_minutes):
    still = generate_eyes(ten_minutes, EyeSettings(intensity=0.0, seed=1))
    head_rot = character_rotation(ten_minutes.yaw, ten_minutes.pitch, ten_minutes.roll)
    local = direction(np.column_stack([still.yaw[:, 0], still.pitch[:, 0]]))
    world = np.einsum("nij,nj->ni", head_rot, local)
    assert _angle_deg(world, np.array([[0.0, 1.0, 0.0]])).max() < 0.1
    calm = generate_eyes(ten_minutes, eye_preset("CALM"))
    nervous = generate_eyes(ten_minutes, eye_preset("NERVOUS"))
    assert nervous.blink_count > 1.4 * calm.blink_count


def test_bad_input_is_reported(tmp_path):
    head = PoseTrack(np.zeros(50), np.zeros(50), np.zeros(50), 25.0)
    with pytest.raises(SettingsError, match="target sits at the eyes"):
        generate_eyes(head, target=GazeTarget(np.array([0.0, 0.09, 0.1])))
    with pytest.raises(SettingsError, match="blink rate"):
        EyeSettings(blink_rate=-1).validate()
    with pytest.raises(SettingsError, match="gaze mode"):
        EyeSettings(gaze_mode="SIDEWAYS").validate()
    with pytest.raises(SettingsError, match="eye preset"):
        eye_preset("SLEEPY")
    with pytest.raises(SettingsError, match="one position per frame"):
        generate_eyes(head, target=GazeTarget(np.zeros((3, 3))))
    with pytest.raises(TrackError):
        generate_eyes(PoseTrack(np.zeros(3), np.zeros(3), np.array([0, np.nan, 0]), 25.0))


def test_eye_track_file_round_trip(tmp_path):
    head = PoseTrack(np.zeros(200), np.zeros(200), np.zeros(200), 24.0, start_frame=11)
    eyes = generate_eyes(head, EyeSettings(seed=2))
    path = tmp_path / "eyes.json"
    eyes.save(path)
    back = EyeTrack.load(path)
    assert back.start_frame == 11 and np.array_equal(back.yaw, eyes.yaw) and np.array_equal(back.blink, eyes.blink)
    assert back.blink_kinds == eyes.blink_kinds and np.array_equal(back.aversion, eyes.aversion)
    (tmp_path / "bad.json").write_text('{"format": "something else"}')
    with pytest.raises(TrackError, match="not a Head Motion eye track"):
        EyeTrack.load(tmp_path / "bad.json")


def test_fast_head_matrices_match_character_rotation():
    from core.eyes.gaze import head_matrices, rotate

    rng = np.random.default_rng(0)
    angles = rng.uniform(-60, 60, (500, 3))
    reference = character_rotation(angles[:, 0], angles[:, 1], angles[:, 2])
    fast = head_matrices(angles)  # (3, 3, N), float32 sines and cosines
    assert np.allclose(fast.transpose(2, 0, 1), reference, atol=1e-6)
    v = rng.normal(size=(500, 3))
    assert np.allclose(rotate(fast, v.T).T, np.einsum("nij,nj->ni", reference, v), atol=1e-5)
    assert np.allclose(rotate(fast, v.T, transpose=True).T, np.einsum("nji,nj->ni", reference, v), atol=1e-5)


def test_pose_track_json_carries_optional_eyes(tmp_path):
    from core.eyes.files import load_eyes, save_with_eyes

    head = PoseTrack(np.linspace(0, 10, 80), np.zeros(80), np.zeros(80), 25.0, start_frame=3)
    eyes = generate_eyes(head, EyeSettings(seed=1))
    path = tmp_path / "take.json"
    save_with_eyes(path, head, eyes)
    again = PoseTrack.load(path)  # still a plain head track for every reader
    assert np.array_equal(again.yaw, head.yaw)
    back = load_eyes(path)
    assert back is not None and back.start_frame == 3 and np.array_equal(back.blink, eyes.blink)
    closed = np.zeros((80, 2))
    closed[[10, 11, 40]] = 1.0  # two blinks: frames 10-11 and frame 40
    save_with_eyes(path, head, EyeTrack(eyes.yaw, eyes.pitch, closed, 25.0, 3))
    counted = load_eyes(path)
    assert counted is not None and counted.blink_count == 2
    assert np.allclose(counted.blink_onsets_s, [10 / 25, 40 / 25])
    assert np.allclose(counted.blink_durations_s, [0.08, 0.04])
    head.save(tmp_path / "plain.json")
    head.save(tmp_path / "plain.csv")
    assert load_eyes(tmp_path / "plain.json") is None and load_eyes(tmp_path / "plain.csv") is None
    with pytest.raises(TrackError, match="frames"):
        save_with_eyes(path, head, generate_eyes(PoseTrack(np.zeros(5), np.zeros(5), np.zeros(5), 25.0)))


def test_fast_gaze_angles_match_the_arc_tangent_forms():
    from core.eyes.gaze import angles_of, look_angles, turned

    rng = np.random.default_rng(3)
    ahead = rng.normal(size=(400, 3)) + np.array([0.0, 3.0, 0.0])
    anywhere = rng.normal(size=(400, 3))  # backward and sideways directions take atan2
    offsets = rng.uniform(-25, 25, (400, 2))
    for vectors in (ahead, anywhere):
        assert np.allclose(look_angles(vectors.T).T, angles_of(vectors), atol=1e-9)
        wanted = direction(angles_of(vectors) + offsets)
        assert np.allclose(turned(vectors.T, offsets.T).T, wanted, atol=1e-6)
    straight_up = np.array([[0.0], [0.0], [1.0]])
    assert np.allclose(turned(straight_up, np.zeros((2, 1))).ravel(), [0.0, 0.0, 1.0])


@pytest.mark.parametrize("suffix", ["csv", "json"])
def test_with_eyes_round_trips_exactly_through_csv_and_json(tmp_path, suffix):
    """with_eyes puts an EyeTrack into a head track's eye columns; saved as CSV or JSON and loaded back, the eyes
    are the same numbers (shortest exact repr), and the head is unchanged."""
    from core.eyes.files import load_eyes, with_eyes

    head = PoseTrack(np.linspace(-5, 10, 90), np.linspace(2, -3, 90), np.zeros(90), 30.0, start_frame=7)
    eyes = generate_eyes(head, EyeSettings(seed=4))
    track = with_eyes(head, eyes)
    assert track.eye_groups() == ("gaze", "blink") and not head.eyes  # a copy; the input is left as it was
    path = tmp_path / f"take.{suffix}"
    track.save(path)
    again = PoseTrack.load(path)
    assert np.array_equal(again.yaw, head.yaw) and again.start_frame == 7
    back = load_eyes(path, again)
    assert back is not None and back.start_frame == 7
    for name in ("yaw", "pitch", "blink"):
        assert np.array_equal(getattr(back, name), getattr(eyes, name)), name
    assert back.blink_count == eyes.blink_count
