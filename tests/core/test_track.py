"""Tests of core.track: PoseTrack construction, validation, scaling and CSV/JSON storage."""

import json

import numpy as np
import pytest

from core.errors import SettingsError, TrackError
from core.track import PoseTrack


def make_track(n: int = 50, fps: float = 29.97, start_frame: int = 1, speech: bool = True) -> PoseTrack:
    rng = np.random.default_rng(n)
    angles = rng.normal(0.0, 5.0, (n, 3)) * np.pi  # many significant digits
    mask = rng.uniform(0.0, 1.0, n) if speech else None
    return PoseTrack.from_angles(angles, fps, start_frame, mask, {"source": "test", "tags": ["a"]})


def assert_same(a: PoseTrack, b: PoseTrack) -> None:
    np.testing.assert_array_equal(a.angles, b.angles)  # exact: floats are written losslessly
    assert a.fps == b.fps
    assert a.start_frame == b.start_frame
    assert (a.speech is None) == (b.speech is None)
    if a.speech is not None:
        np.testing.assert_array_equal(a.speech, b.speech)
    assert a.meta == b.meta


# -- construction and views ---------------------------------------------------------------------------


def test_views_and_lengths():
    track = make_track(n=12, start_frame=101)
    assert len(track) == 12
    assert track.angles.shape == (12, 3)
    np.testing.assert_array_equal(track.angles[:, 1], track.pitch)
    assert track.frames.tolist() == list(range(101, 113))
    assert track.frames.dtype.kind == "i"
    assert track.duration_s == pytest.approx(12 / 29.97)
    assert track.yaw.dtype == np.float64
    assert track.validate() is track


def test_constructor_copies_inputs_to_float64():
    yaw = [1, 2, 3]
    track = PoseTrack(yaw, np.zeros(3, dtype=np.float32), (0, 0, 0), fps=24)
    assert track.yaw.dtype == track.pitch.dtype == track.roll.dtype == np.float64
    source = np.array([1.0, 2.0])
    track = PoseTrack(source, source, source, 25.0)
    source[0] = 99.0
    assert track.yaw[0] == 1.0


def test_from_angles_requires_n_by_3():
    with pytest.raises(TrackError, match=r"\(N, 3\)"):
        PoseTrack.from_angles(np.zeros((5, 2)), 25.0)
    with pytest.raises(TrackError):
        PoseTrack.from_angles([["a", "b", "c"]], 25.0)


def test_scaled_returns_a_new_scaled_track():
    track = make_track()
    double = track.scaled(2.0)
    assert double is not track
    np.testing.assert_allclose(double.angles, 2.0 * track.angles)
    np.testing.assert_array_equal(double.speech, track.speech)
    double.meta["tags"].append("b")
    assert track.meta["tags"] == ["a"]  # deep copy
    assert np.all(track.scaled(0.0).angles == 0.0)
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(SettingsError):
            track.scaled(bad)


# -- validation ---------------------------------------------------------------------------------------


def test_validate_zero_length():
    with pytest.raises(TrackError, match="empty"):
        PoseTrack(np.zeros(0), np.zeros(0), np.zeros(0), 25.0).validate()


def test_validate_mismatched_lengths():
    with pytest.raises(TrackError, match="yaw 5, pitch 4, roll 5"):
        PoseTrack(np.zeros(5), np.zeros(4), np.zeros(5), 25.0).validate()
    with pytest.raises(TrackError, match="speech 3"):
        PoseTrack(np.zeros(5), np.zeros(5), np.zeros(5), 25.0, speech=np.zeros(3)).validate()


@pytest.mark.parametrize("axis", ["yaw", "pitch", "roll"])
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_validate_names_axis_and_first_bad_frame(axis, value):
    track = make_track(n=20, start_frame=10)
    getattr(track, axis)[[7, 12]] = value
    with pytest.raises(TrackError, match=rf"{axis} is .* at frame 17 \(sample 7\); 2 bad"):
        track.validate()


@pytest.mark.parametrize("fps", [0.0, -25.0, float("nan"), float("inf"), "fast"])
def test_validate_fps(fps):
    track = make_track()
    track.fps = fps
    with pytest.raises(TrackError, match="fps"):
        track.validate()


def test_validate_speech_range_start_frame_and_dimensions():
    track = make_track()
    track.speech[3] = 1.5
    with pytest.raises(TrackError, match="speech"):
        track.validate()
    track = make_track()
    track.start_frame = 1.5
    with pytest.raises(TrackError, match="start_frame"):
        track.validate()
    with pytest.raises(TrackError, match="1-D"):
        PoseTrack(np.zeros((4, 2)), np.zeros(4), np.zeros(4), 25.0).validate()


# -- files --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".json", ".CSV"])
@pytest.mark.parametrize("speech", [True, False])
def test_round_trip_is_exact(tmp_path, suffix, speech):
    track = make_track(n=40, fps=29.97, start_frame=-5, speech=speech)
    path = tmp_path / f"track{suffix}"
    track.save(path)
    assert_same(track, PoseTrack.load(path))
    assert_same(track, PoseTrack.load(str(path)))  # str paths too


def test_csv_layout(tmp_path):
    path = tmp_path / "t.csv"
    make_track(n=3, fps=29.97, start_frame=7).save(path)
    lines = path.read_text().splitlines()
    assert lines[0] == "# fps=29.97"
    assert lines[1].startswith("# meta={")
    assert lines[2] == "frame,yaw_deg,pitch_deg,roll_deg,speech"
    assert [line.split(",")[0] for line in lines[3:]] == ["7", "8", "9"]


def test_json_layout(tmp_path):
    path = tmp_path / "t.json"
    make_track(n=3, fps=23.976, start_frame=2, speech=False).save(path)
    data = json.loads(path.read_text())
    assert data["format"] == "head_motion.pose_track" and data["version"] == 1
    assert data["fps"] == 23.976 and data["start_frame"] == 2 and data["speech"] is None
    assert len(data["yaw_deg"]) == len(data["pitch_deg"]) == len(data["roll_deg"]) == 3


def test_csv_without_fps_needs_an_fps_argument(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("frame,yaw_deg,pitch_deg,roll_deg\n1,1.5,0,0\n2,2.5,0,0\n")
    with pytest.raises(TrackError, match="frame rate"):
        PoseTrack.load(path)
    track = PoseTrack.load(path, fps=24.0)
    assert track.fps == 24.0 and track.yaw.tolist() == [1.5, 2.5] and track.speech is None
    path.write_text("# fps=30\nframe,yaw_deg,pitch_deg,roll_deg\n1,1.5,0,0\n")
    assert PoseTrack.load(path, fps=24.0).fps == 30.0  # the file's own rate wins


def test_unsupported_extension(tmp_path):
    with pytest.raises(TrackError, match=r"\.csv or \.json"):
        make_track().save(tmp_path / "t.txt")
    (tmp_path / "t.txt").write_text("x")
    with pytest.raises(TrackError, match=r"\.csv or \.json"):
        PoseTrack.load(tmp_path / "t.txt")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("# fps=25\n", "no header"),
        ("# fps=25\nframe,yaw_deg,pitch_deg,roll_deg\n", "no frames"),
        ("# fps=25\nframe,yaw,pitch,roll\n1,0,0,0\n", "expected header"),
        ("# fps=abc\nframe,yaw_deg,pitch_deg,roll_deg\n1,0,0,0\n", "fps .*finite number"),
        ("# fps=25\nframe,yaw_deg,pitch_deg,roll_deg\n1,0,0,0\n3,0,0,0\n", "consecutive"),
        ("# fps=25\nframe,yaw_deg,pitch_deg,roll_deg\n1,0,0\n", "expected 4 values"),
        ("# fps=25\nframe,yaw_deg,pitch_deg,roll_deg\n1,0,x,0\n", "non-numeric"),
        ("# fps=25\nframe,yaw_deg,pitch_deg,roll_deg\n1.5,0,0,0\n", "not an integer"),
        ("# fps=25\nframe,yaw_deg,pitch_deg,roll_deg\n1,0,nan,0\n", "pitch is nan"),
        ("# fps=0\nframe,yaw_deg,pitch_deg,roll_deg\n1,0,0,0\n", "fps"),
        ("# fps=25\nframe,yaw_deg,pitch_deg,roll_deg,speech\n1,0,0,0,2\n", "speech"),
        ("# fps=25\n# meta=[1]\nframe,yaw_deg,pitch_deg,roll_deg\n1,0,0,0\n", "JSON object"),
    ],
)
def test_malformed_csv_names_file_and_problem(tmp_path, text, problem):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(TrackError, match=problem) as info:
        PoseTrack.load(path)
    assert "bad.csv" in str(info.value)


GOOD_JSON = {
    "format": "head_motion.pose_track",
    "version": 1,
    "fps": 25.0,
    "start_frame": 1,
    "yaw_deg": [0.0, 1.0],
    "pitch_deg": [0.0, 1.0],
    "roll_deg": [0.0, 1.0],
    "speech": None,
    "meta": {},
}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"format": "other"}, "not a Head Motion pose track"),
        ({"version": 2}, "newer"),
        ({"version": "1"}, "invalid version"),
        ({"fps": None}, "fps must be a number"),
        ({"fps": -1}, "fps"),
        ({"yaw_deg": "abc"}, "'yaw_deg' must be a list of numbers"),
        ({"roll_deg": [0.0, "x"]}, "'roll_deg' must be a list of numbers"),
        ({"pitch_deg": [0.0]}, "different numbers of frames"),
        ({"speech": [0.5, 0.5, 0.5]}, "speech 3"),
        ({"start_frame": 1.5}, "start_frame"),
        ({"meta": [1]}, "'meta' must be an object"),
        ({"yaw_deg": [], "pitch_deg": [], "roll_deg": []}, "empty"),
    ],
)
def test_malformed_json_names_file_and_problem(tmp_path, change, problem):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**GOOD_JSON, **change}))
    with pytest.raises(TrackError, match=problem) as info:
        PoseTrack.load(path)
    assert "bad.json" in str(info.value)


def test_json_missing_key_and_broken_json(tmp_path):
    path = tmp_path / "bad.json"
    data = dict(GOOD_JSON)
    del data["roll_deg"]
    path.write_text(json.dumps(data))
    with pytest.raises(TrackError, match="missing key 'roll_deg'"):
        PoseTrack.load(path)
    path.write_text("{not json")
    with pytest.raises(TrackError, match="not valid JSON"):
        PoseTrack.load(path)
    path.write_text(json.dumps({**GOOD_JSON, "yaw_deg": [float("nan"), 0.0]}))  # NaN literal
    with pytest.raises(TrackError, match=r"yaw is nan .* at frame 1 "):
        PoseTrack.load(path)


def test_missing_file_and_unwritable_path(tmp_path):
    with pytest.raises(TrackError, match="Cannot read"):
        PoseTrack.load(tmp_path / "missing.json")
    with pytest.raises(TrackError, match="Cannot write"):
        make_track().save(tmp_path / "no_such_dir" / "t.csv")


def test_save_refuses_invalid_tracks_and_unserialisable_meta(tmp_path):
    track = make_track()
    track.roll[0] = np.nan
    with pytest.raises(TrackError, match="roll"):
        track.save(tmp_path / "t.json")
    track = make_track()
    track.meta["object"] = object()
    with pytest.raises(TrackError, match="meta"):
        track.save(tmp_path / "t.json")
    assert not (tmp_path / "t.json").exists()


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_optional_eye_columns_round_trip_and_old_files_load(tmp_path, suffix):
    from core.track import BLINK_COLUMNS, GAZE_COLUMNS

    n = 40
    rng = np.random.default_rng(4)
    eyes = {name: rng.uniform(-20, 20, n) for name in GAZE_COLUMNS}
    eyes.update({name: rng.uniform(0, 1, n) for name in BLINK_COLUMNS})
    track = PoseTrack(rng.normal(size=n), rng.normal(size=n), rng.normal(size=n), 25.0, 5, eyes=eyes)
    path = tmp_path / f"take{suffix}"
    track.save(path)
    back = PoseTrack.load(path)
    assert back.eye_groups() == ("gaze", "blink")
    for name, values in eyes.items():
        np.testing.assert_array_equal(back.eyes[name], values)
    blink_only = PoseTrack(track.yaw, track.pitch, track.roll, 25.0, 5,
                           eyes={name: eyes[name] for name in BLINK_COLUMNS})
    blink_only.save(path)
    assert PoseTrack.load(path).eye_groups() == ("blink",)
    plain = PoseTrack(track.yaw, track.pitch, track.roll, 25.0, 5)
    plain.save(path)
    assert PoseTrack.load(path).eyes == {}
    with pytest.raises(TrackError, match="go together"):
        PoseTrack(track.yaw, track.pitch, track.roll, 25.0, eyes={"blink_l": eyes["blink_l"]}).validate()
