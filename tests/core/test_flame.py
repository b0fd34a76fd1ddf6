"""core.interop.flame: FLAME pose export/import, the npz/JSON layouts, the axis conversion, resampling."""

import json

import numpy as np
import pytest

from core.errors import SettingsError, TrackError
from core.interop import MotionData, flame, load_motion, load_motion_file, motion_format
from core.track import PoseTrack


def head_track(n: int = 60, fps: float = 25.0, start_frame: int = 1) -> PoseTrack:
    t = np.arange(n) / fps
    yaw = 35.0 * np.sin(2 * np.pi * 0.3 * t) + 3.0
    pitch = 18.0 * np.sin(2 * np.pi * 0.5 * t + 1.0)
    roll = 12.0 * np.cos(2 * np.pi * 0.4 * t)
    return PoseTrack(yaw, pitch, roll, fps, start_frame, meta={"source": "test"})


def with_eyes(track: PoseTrack) -> MotionData:
    t = np.arange(len(track)) / track.fps
    eyes = np.zeros((len(track), 2, 2))
    eyes[:, 0, 0] = 15.0 * np.sin(t)
    eyes[:, 1, 0] = 14.0 * np.sin(t)
    eyes[:, :, 1] = -8.0 * np.cos(t)[:, None]
    return MotionData(track, eyes)


# A FLAME-style head mesh built here: Y up, face looking along +Z, the character's left ear on +X.
NOSE = np.array([0.0, 0.0, 0.1])
TOP = np.array([0.0, 0.12, 0.0])
LEFT_EAR = np.array([0.08, 0.0, 0.0])


def posed(params: dict, frame: int, vertex: np.ndarray) -> np.ndarray:
    """``vertex`` of the head after FLAME's global and neck rotations (joints at the origin)."""
    r = flame.matrix_from_rotvec(params["rotation"][frame : frame + 1])[0]
    n = flame.matrix_from_rotvec(params["neck_pose"][frame : frame + 1])[0]
    return r @ n @ vertex


@pytest.mark.parametrize("global_share", [0.0, 0.4, 1.0])
def test_npz_round_trip_is_within_1e4_degrees(tmp_path, global_share):
    data = with_eyes(head_track(start_frame=11))
    path = flame.export_flame(data, tmp_path / "flame_param.npz", global_share=global_share)
    back = flame.load_flame(path)
    assert back.track.fps == 25.0 and back.track.start_frame == 11 and len(back.track) == 60
    assert np.abs(back.track.angles - data.track.angles).max() < 1e-4
    assert np.abs(back.eyes - data.eyes).max() < 1e-4
    assert load_motion_file(path).angles == pytest.approx(back.track.angles)


def test_npz_has_the_gaussian_avatars_layout(tmp_path):
    path = flame.export_flame(head_track(n=40), tmp_path / "motion.npz")
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    shapes = {"rotation": (40, 3), "neck_pose": (40, 3), "jaw_pose": (40, 3), "eyes_pose": (40, 6),
              "translation": (40, 3), "expr": (40, 100)}
    for key, shape in shapes.items():
        assert arrays[key].shape == shape and arrays[key].dtype == np.float32, key
    for key in ("jaw_pose", "eyes_pose", "translation", "expr"):
        assert not arrays[key].any(), f"{key} should be zeros: the track has nothing for it"
    assert not arrays["rotation"].any()  # global share 0: the shoulders stay, the neck carries the head
    assert float(arrays["fps"]) == 25.0 and int(arrays["start_frame"]) == 1


def test_axes_against_a_flame_head_mesh():
    # One frame per pure angle: +30 yaw, +20 pitch, +15 roll.
    track = PoseTrack([30.0, 0.0, 0.0], [0.0, 20.0, 0.0], [0.0, 0.0, 15.0], 25.0)
    for share in (0.0, 1.0):
        params = flame.flame_params(track, global_share=share)
        nose = posed(params, 0, NOSE)
        assert nose[0] == pytest.approx(0.1 * np.sin(np.radians(30)))  # toward the character's left (+X)
        assert nose[1] == pytest.approx(0.0, abs=1e-12)
        nose = posed(params, 1, NOSE)
        assert nose[1] == pytest.approx(0.1 * np.sin(np.radians(20)))  # chin up: the nose rises
        top = posed(params, 2, TOP)
        assert top[0] == pytest.approx(-0.12 * np.sin(np.radians(15)))  # toward the character's right (-X)
        ear = posed(params, 2, LEFT_EAR)
        assert ear[1] > 0.0  # tilting right lifts the left ear
    # Yaw is a turn about +Y, pitch a negative turn about +X, roll a positive turn about +Z.
    params = flame.flame_params(track)
    np.testing.assert_allclose(params["neck_pose"][0], [0.0, np.radians(30), 0.0], atol=1e-12)
    np.testing.assert_allclose(params["neck_pose"][1], [-np.radians(20), 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(params["neck_pose"][2], [0.0, 0.0, np.radians(15)], atol=1e-12)


def test_global_share_splits_rotation_and_neck_pose():
    track = head_track(n=20)
    whole = flame.flame_params(track, global_share=1.0)
    assert not np.abs(whole["neck_pose"]).max() > 1e-12
    half = flame.flame_params(track, global_share=0.5)
    assert np.abs(half["rotation"]).max() > 0.05 and np.abs(half["neck_pose"]).max() > 0.05
    for frame in (0, 7, 19):
        np.testing.assert_allclose(posed(half, frame, NOSE), posed(whole, frame, NOSE), atol=1e-12)
    with pytest.raises(SettingsError, match="global share"):
        flame.flame_params(track, global_share=1.5)


def test_neck_only_import_ignores_the_global_rotation(tmp_path):
    path = flame.export_flame(head_track(n=10), tmp_path / "m.npz", global_share=1.0)
    neck_only = flame.load_flame(path, use_global=False)
    assert np.abs(neck_only.track.angles).max() < 1e-6


def test_resampled_to_a_chosen_fps(tmp_path):
    track = head_track(n=51, fps=25.0)
    params = flame.flame_params(track, fps=30.0)
    assert len(params["rotation"]) == 61 and float(params["fps"]) == 30.0  # 2 s at 30 fps
    back = flame.motion_from_flame(params, 30.0)
    assert back.track.yaw[0] == pytest.approx(track.yaw[0]) and back.track.yaw[-1] == pytest.approx(track.yaw[-1])
    np.testing.assert_allclose(back.track.yaw[::6], track.yaw[::5], atol=1e-9)  # shared instants


def test_json_per_frame_round_trip(tmp_path):
    data = with_eyes(head_track(n=12, start_frame=5))
    path = flame.export_flame(data, tmp_path / "seq.json", global_share=0.3)
    doc = json.loads(path.read_text())
    assert doc["format"] == "head_motion.flame_sequence" and len(doc["frames"]) == 12
    assert doc["frames"][0]["frame"] == 5 and len(doc["frames"][0]["eyes_pose"]) == 6
    assert motion_format(path) == "flame"
    back = load_motion(path)
    assert back.track.start_frame == 5
    np.testing.assert_allclose(back.track.angles, data.track.angles, atol=1e-9)


def test_formats_are_told_apart(tmp_path):
    track = head_track(n=8)
    track.save(tmp_path / "t.json")
    track.save(tmp_path / "t.csv")
    assert motion_format(tmp_path / "t.json") == "track" and motion_format(tmp_path / "t.csv") == "track"
    np.testing.assert_array_equal(load_motion_file(tmp_path / "t.csv").angles, track.angles)
    with pytest.raises(TrackError, match="Unsupported motion file"):
        load_motion_file(tmp_path / "t.bvh")


def _npz(path, **arrays):
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)
    return path


def test_bad_flame_files_give_clear_errors(tmp_path):
    ok = np.zeros((4, 3), dtype=np.float32)
    with pytest.raises(TrackError, match="neither 'rotation' nor 'neck_pose'"):
        flame.load_flame(_npz(tmp_path / "a.npz", jaw_pose=ok, fps=np.array(25.0)))
    with pytest.raises(TrackError, match=r"'neck_pose' must have shape \(4, 3\)"):
        flame.load_flame(_npz(tmp_path / "b.npz", rotation=ok, neck_pose=np.zeros((4, 4)), fps=np.array(25.0)))
    bad = ok.copy()
    bad[2, 1] = np.nan
    with pytest.raises(TrackError, match="'rotation' is not finite at frame index 2"):
        flame.load_flame(_npz(tmp_path / "c.npz", rotation=bad, fps=np.array(25.0)))
    with pytest.raises(TrackError, match="does not state its frame rate"):
        flame.load_flame(_npz(tmp_path / "d.npz", rotation=ok))
    assert flame.load_flame(tmp_path / "d.npz", fps=24.0).track.fps == 24.0
    (tmp_path / "e.npz").write_bytes(b"not a zip at all")
    with pytest.raises(TrackError, match=r"e\.npz.*not a readable \.npz"):
        load_motion_file(tmp_path / "e.npz", fps=25.0)
    with pytest.raises(TrackError, match="not found"):
        flame.load_flame(tmp_path / "missing.npz")
