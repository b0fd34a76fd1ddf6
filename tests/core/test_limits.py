"""Issue #15 item 1: every numeric input has documented bounds (core/checks.py), checked before anything is
allocated, with an error naming the value and its limit; memory follows the output, not a parameter."""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
import pytest

from core import checks
from core.errors import SettingsError, TrackError
from core.motion.builder import MotionSpec, build_motion
from core.motion.silence import settle_weights
from core.motion.style import Style, load_style, style_from_dict, style_to_dict
from core.motion.synthetic import AxisMotion, SyntheticSettings, generate_synthetic, preset_settings
from core.timing import resample_track
from core.track import PoseTrack
from core.voice.decode import AudioClip


def _style_file(tmp_path, **settings):
    data = style_to_dict(Style("big", SyntheticSettings()))
    for key, value in settings.items():
        if key in ("yaw", "pitch", "roll"):
            data["settings"][key].update(value)
        else:
            data["settings"][key] = value
    path = tmp_path / "style.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"rest_s": 1e6}, r"rest time \(seconds\) must be .*<= 60, got 1000000"),
        ({"settle_s": 1e6}, r"settle time \(seconds\) must be .*<= 60"),
        ({"yaw": {"amplitude_deg": [1.0, 1e9]}}, r"yaw amplitude \(degrees\) high must be .*<= 180"),
        ({"pitch": {"bias_deg": -1e4}}, r"pitch bias \(degrees\) must be .*>= -180"),
        ({"roll": {"period_s": [1.0, 1e7]}}, r"roll period \(seconds\) high must be .*<= 600"),
        ({"segment_s": [1.0, 1e6]}, r"segment duration \(seconds\) high must be .*<= 60"),
        ({"jitter_deg": 1e5}, r"jitter \(degrees\) must be .*<= 30"),
    ],
)
def test_style_files_out_of_bounds_are_refused(tmp_path, settings, named):
    with pytest.raises(SettingsError, match=named):
        load_style(_style_file(tmp_path, **settings))


def test_bounds_accept_their_limits():
    at_limit = SyntheticSettings(
        yaw=AxisMotion((0.0, checks.MAX_AMPLITUDE_DEG), (1.0, checks.MAX_PERIOD_S), checks.MAX_AMPLITUDE_DEG),
        settle_s=checks.MAX_TIME_CONSTANT_S, rest_s=checks.MAX_TIME_CONSTANT_S,
        jitter_deg=checks.MAX_JITTER_DEG, intensity=checks.MAX_FACTOR, seed=checks.MAX_SEED,
    )
    assert style_from_dict(style_to_dict(Style("x", at_limit))).settings.rest_s == checks.MAX_TIME_CONSTANT_S
    track = generate_synthetic(10, checks.MAX_FPS, at_limit)
    assert len(track) == 10


def test_long_time_constants_cost_memory_of_the_output_not_of_the_constant():
    """rest_s = settle_s = 60 s at 1000 fps on a 17 s clip: the filters must not grow with the constant."""
    settings = preset_settings("CONVERSATIONAL")
    big = SyntheticSettings(settle_s=checks.MAX_TIME_CONSTANT_S, rest_s=checks.MAX_TIME_CONSTANT_S)
    mask = (np.arange(17 * 25) % 100 < 60).astype(float)
    peaks = []
    for s in (settings, big):
        tracemalloc.start()
        generate_synthetic(len(mask), 25.0, s, speech=mask)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < 3 * peaks[0] + 1_000_000, peaks
    # the kernel collapses to the signal's length: 10 frames at 1000 fps with a 60 s constant
    tracemalloc.start()
    weights = settle_weights(np.r_[np.ones(5), np.zeros(5)], 1000.0, 60.0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 100_000 and weights.shape == (10,)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("# fps=1e-6\nframe,yaw_deg,pitch_deg,roll_deg\n1,0,0,0\n2,1,0,0\n", r"fps .*>= 1 and <= 1000, got '1e-6'"),
        ("# fps=1e9\nframe,yaw_deg,pitch_deg,roll_deg\n1,0,0,0\n", r"<= 1000"),
        ("# fps=25\nframe,yaw_deg,pitch_deg,roll_deg\n1,1000000,0,0\n", r"yaw is 1e\+06 degrees at frame 1; .*360"),
        ("# fps=25\nframe,yaw_deg,pitch_deg,roll_deg\n5000000,0,0,0\n", r"line 3: frame number .*1048574, got 5000000"),
        ("# fps=25\nframe,yaw_deg,pitch_deg,roll_deg\n1048574,0,0,0\n1048575,0,0,0\n", r"line 4: frame number"),
    ],
)
def test_track_files_out_of_bounds_are_refused(tmp_path, text, named):
    path = tmp_path / "t.csv"
    path.write_text(text)
    with pytest.raises(TrackError, match=named):
        PoseTrack.load(path)


def test_json_track_bounds(tmp_path):
    base = {"format": "head_motion.pose_track", "version": 1, "fps": 25.0, "start_frame": 1,
            "yaw_deg": [0.0], "pitch_deg": [0.0], "roll_deg": [0.0]}
    for change, named in (({"fps": 1e-6}, "fps"), ({"start_frame": 5_000_000}, "start_frame"),
                          ({"roll_deg": [-400.0]}, "roll is -400")):
        path = tmp_path / "t.json"
        path.write_text(json.dumps({**base, **change}))
        with pytest.raises(TrackError, match=named):
            PoseTrack.load(path)


def test_resampling_is_checked_before_allocating():
    track = PoseTrack.from_angles(np.zeros((2, 3)), fps=1.0)  # 1 s long
    with pytest.raises(SettingsError, match=r"<= 1000, got 1000000000"):
        resample_track(track, 1e9)
    long = PoseTrack.from_angles(np.zeros((40_000, 3)), fps=1.0)  # 11 h at 1 fps -> 40 M frames at 1000 fps
    tracemalloc.start()
    with pytest.raises(SettingsError, match="1048574 frames one track may hold"):
        resample_track(long, 1000.0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 5_000_000


def test_builder_bounds():
    spec = MotionSpec()
    for kwargs, named in (
        ({"fps": 1e9}, r"fps .*<= 1000"),
        ({"fps": 0.4}, r"fps .*>= 1"),
        ({"fps": float("nan")}, r"fps .*finite"),
        ({"n_frames": 10**9}, r"n_frames .*between 1 and 1048574"),
        ({"start_frame": 10**8}, r"start_frame .*1048574"),
    ):
        args = {"fps": 25.0, "n_frames": 10, **kwargs}
        with pytest.raises(SettingsError, match=named):
            build_motion(spec, **args)
    for change, named in (({"seed": 2**40}, "seed"), ({"tempo": 1e-9}, "tempo"), ({"intensity": 1e9}, "intensity"),
                          ({"axis_scale": (1e9, 1.0, 1.0)}, "yaw scale")):
        with pytest.raises(SettingsError, match=named):
            build_motion(MotionSpec(**change), 25.0, n_frames=10)


def test_voice_far_from_the_motion_is_refused_before_padding():
    clip = AudioClip(np.zeros(1600, np.float32), 16000, "v.wav")
    tracemalloc.start()
    with pytest.raises(SettingsError, match="one voice may cover"):
        build_motion(MotionSpec(), 25.0, start_frame=1, voice=clip, voice_start_frame=1_000_000)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 5_000_000


def test_frame_checks_name_value_and_limit():
    assert checks.frame_number(12.0) == 12
    assert checks.frame_count(3.0) == 3
    wanted = r"frame must be a whole frame number between -1048574 and 1048574, got 1\.5"
    with pytest.raises(SettingsError, match=wanted):
        checks.frame_number(1.5)
    with pytest.raises(SettingsError, match=r"fps .*got inf"):
        checks.frame_rate(float("inf"))
    assert checks.frames_for(10.0, 23.976, "clip") == 240


def test_video_filter_lengths_are_bounded():
    from core.video import EstimationSettings

    for change, named in (({"gaussian_sigma_frames": 1e9}, r"gaussian_sigma_frames .*<= 1000"),
                          ({"hampel_half_window": 10**9}, r"hampel_half_window .*between 1 and 1000"),
                          ({"max_gap_frames": 10**9}, r"max_gap_frames .*between 0 and 1048574")):
        with pytest.raises(SettingsError, match=named):
            EstimationSettings(**change).validate()
    EstimationSettings(gaussian_sigma_frames=1000.0, hampel_half_window=1000).validate()
