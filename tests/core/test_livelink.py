"""core.interop.livelink: Live Link Face CSV parsing, timecode -> frames, sign conventions, bad rows."""

import numpy as np
import pytest

from core.errors import TrackError
from core.interop import ARKIT_BLENDSHAPES, LiveLinkOptions, load_motion, load_motion_file, motion_format
from core.interop.livelink import parse_live_link

HEADER = ["Timecode", "BlendShapeCount", *ARKIT_BLENDSHAPES, "HeadYaw", "HeadPitch", "HeadRoll",
          "LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll", "RightEyeYaw", "RightEyePitch", "RightEyeRoll"]


def timecode(k: int, rate: int, start_s: int = 17 * 3600 + 21 * 60 + 58) -> str:
    s = start_s + k // rate
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}:{k % rate:02d}.{(k * 37) % 1000:03d}"


def take(n: int = 150, rate: int = 60, subframe: bool = False):
    """A synthetic take: (csv text, head angles in degrees (n, 3), eye angles (n, 2, 2), jawOpen)."""
    t = np.arange(n) / rate
    head = np.column_stack([20 * np.sin(2 * np.pi * 0.5 * t), 10 * np.cos(2 * np.pi * 0.7 * t), 6 * np.sin(t)])
    eyes = np.stack([np.column_stack([12 * np.sin(3 * t), -5 * np.cos(t)])] * 2, axis=1)
    jaw = 0.5 + 0.5 * np.sin(2 * np.pi * 2 * t)
    lines = [",".join(HEADER)]
    for k in range(n):
        shapes = [0.0] * len(ARKIT_BLENDSHAPES)
        shapes[ARKIT_BLENDSHAPES.index("JawOpen")] = jaw[k]
        tc = timecode(k, rate) if subframe else timecode(k, rate).rsplit(".", 1)[0] + ".000"
        values = [*shapes, *(head[k] / 180.0), eyes[k, 0, 0] / 180, eyes[k, 0, 1] / 180, 0.0,
                  eyes[k, 1, 0] / 180, eyes[k, 1, 1] / 180, 0.0]
        lines.append(",".join([tc, "61", *(repr(float(v)) for v in values)]))
    return "\n".join(lines) + "\n", head, eyes, jaw


def test_head_eyes_and_blendshapes_at_the_capture_rate(tmp_path):
    text, head, eyes, jaw = take()
    path = tmp_path / "MySlate_7_iPhone.csv"
    path.write_text(text)
    assert motion_format(path) == "live_link"
    data = load_motion(path)
    assert data.track.fps == 60.0 and len(data.track) == 150 and data.track.start_frame == 1
    np.testing.assert_allclose(data.track.angles, head, atol=1e-9)  # value * 180 degrees, documented signs
    np.testing.assert_allclose(data.eyes, eyes, atol=1e-9)
    assert len(data.blendshapes) == 52 and "jawOpen" in data.blendshapes and "eyeBlinkLeft" in data.blendshapes
    np.testing.assert_allclose(data.blendshapes["jawOpen"], jaw, atol=1e-12)
    assert data.track.meta["source"] == "live_link_face" and data.track.meta["timecode_fps"] == 60.0


def test_timecode_to_frames_at_the_scene_fps(tmp_path):
    text, head, _, _ = take(n=121)  # 2 s at 60 fps
    path = tmp_path / "take.csv"
    path.write_text(text)
    track = load_motion_file(path, fps=24.0)
    assert track.fps == 24.0 and len(track) == 49
    np.testing.assert_allclose(track.yaw[::2], head[::5, 0], atol=1e-9)  # shared instants every 1/12 s


def test_capture_rate_is_read_from_where_the_frame_field_wraps():
    text, head, _, _ = take(n=75, rate=30)
    data = parse_live_link(text)
    assert data.track.fps == 30.0 and len(data.track) == 75
    np.testing.assert_allclose(data.track.yaw, head[:, 0], atol=1e-9)
    forced = parse_live_link(text, options=LiveLinkOptions(timecode_fps=60.0))
    assert forced.track.fps == 60.0


def test_subframe_fractions_time_the_rows():
    text, _, _, _ = take(n=90, subframe=True)
    data = parse_live_link(text, fps=60.0)
    assert data.track.fps == 60.0 and 89 <= len(data.track) <= 91


def test_sign_options_flip_axes():
    text, head, _, _ = take(n=20)
    flipped = parse_live_link(text, options=LiveLinkOptions(yaw_sign=-1.0, roll_sign=-1.0))
    np.testing.assert_allclose(flipped.track.yaw, -head[:, 0], atol=1e-9)
    np.testing.assert_allclose(flipped.track.pitch, head[:, 1], atol=1e-9)
    np.testing.assert_allclose(flipped.track.roll, -head[:, 2], atol=1e-9)


def test_a_take_without_eye_columns_has_no_eyes():
    lines = ["Timecode,BlendShapeCount,JawOpen,HeadYaw,HeadPitch,HeadRoll",
             "00:00:01:00.000,1,0.1,0.1,0,0", "00:00:01:01.000,1,0.2,0.05,0,0"]
    data = parse_live_link("\n".join(lines))
    assert data.eyes is None and list(data.blendshapes) == ["jawOpen"]
    assert data.track.yaw.tolist() == pytest.approx([18.0, 9.0])


@pytest.mark.parametrize("change, message", [
    (lambda rows: rows.__setitem__(3, rows[3].rsplit(",", 1)[0]), r"line 4: expected 63 values, got 62"),
    (lambda rows: rows.__setitem__(5, "17:21:xx:04.000" + rows[5][15:]), r"line 6: timecode '17:21:xx:04.000'"),
    (lambda rows: rows.__setitem__(2, rows[2].replace(",61,", ",61,abc,", 1).rsplit(",", 1)[0]),
     r"line 3: EyeBlinkLeft value 'abc' is not a number"),
    (lambda rows: rows.__setitem__(7, rows[5]), r"line 8: timecode .* does not come after"),
    (lambda rows: rows.__setitem__(4, rows[4].replace(",61,", ",61,nan,", 1).rsplit(",", 1)[0]),
     r"line 5: EyeBlinkLeft is not a finite number"),
])
def test_malformed_rows_name_the_file_and_line(tmp_path, change, message):
    text, _, _, _ = take(n=10)
    rows = text.splitlines()
    change(rows)
    path = tmp_path / "broken.csv"
    path.write_text("\n".join(rows))
    with pytest.raises(TrackError, match="broken.csv.*" + message):
        load_motion_file(path)


def test_missing_head_columns_and_empty_takes(tmp_path):
    with pytest.raises(TrackError, match="line 1: no HeadYaw, HeadPitch, HeadRoll column"):
        parse_live_link("Timecode,BlendShapeCount,JawOpen\n00:00:00:00.000,1,0.5\n", "x.csv")
    with pytest.raises(TrackError, match="holds no frames"):
        parse_live_link(",".join(HEADER) + "\n", "y.csv")
