"""Issue #15 item 1 through the operators and the API inside Blender: values beyond the documented bounds
(core/checks.py) are clear errors naming the value and its limit, and the scene is unchanged."""

from __future__ import annotations

import json

import bpy
import pytest
from rigs import RIGS, build_rig


def _rig(scene):
    obj = build_rig(RIGS["rigify_roll"])
    bpy.context.view_layer.objects.active = obj
    scene.head_motion.target = obj
    return obj


def _style_data(ext, **settings):
    styles = ext.core.motion.style
    data = styles.style_to_dict(styles.Style("Huge", ext.core.motion.synthetic.SyntheticSettings()))
    data["settings"].update(settings)
    return data


def test_import_style_refuses_out_of_bounds_values(ext, empty_scene, tmp_path):
    before = set(ext.anim.user_data.style_names())
    for settings, named in (({"rest_s": 1e6}, r"rest time \(seconds\) must be .*<= 60"),
                            ({"settle_s": 1e6}, r"settle time \(seconds\) must be .*<= 60")):
        path = tmp_path / "huge.json"
        path.write_text(json.dumps(_style_data(ext, **settings)))
        with pytest.raises(RuntimeError, match=named):
            bpy.ops.head_motion.import_style(filepath=str(path))
    data = _style_data(ext)
    data["settings"]["yaw"]["amplitude_deg"] = [1.0, 1e9]
    path.write_text(json.dumps(data))
    with pytest.raises(RuntimeError, match=r"yaw amplitude \(degrees\) high must be .*<= 180, got 1000000000"):
        bpy.ops.head_motion.import_style(filepath=str(path))
    assert set(ext.anim.user_data.style_names()) == before and empty_scene.head_motion.style == ""


def test_a_tampered_saved_style_cannot_bake(ext, empty_scene):
    obj = _rig(empty_scene)
    path = ext.anim.user_data.style_path("Tampered")
    data = _style_data(ext)
    data["settings"]["pitch"]["amplitude_deg"] = [1.0, 1e9]
    path.write_text(json.dumps(data))
    empty_scene.head_motion.style = "Tampered"
    try:
        with pytest.raises(RuntimeError, match=r"pitch amplitude \(degrees\) high must be .*<= 180"):
            bpy.ops.head_motion.generate_bake()
    finally:
        path.unlink()
    assert obj.animation_data is None or obj.animation_data.action is None


@pytest.mark.parametrize(("text", "named"), [
    ("# fps=1e-6\nframe,yaw_deg,pitch_deg,roll_deg\n1,0,0,0\n2,1,0,0\n", r"fps .*>= 1 and <= 1000, got '1e-6'"),
    ("# fps=25\nframe,yaw_deg,pitch_deg,roll_deg\n1,1000000,0,0\n", r"yaw is 1e\+06 degrees .*360"),
    ("# fps=25\nframe,yaw_deg,pitch_deg,roll_deg\n5000000,0,0,0\n", r"frame number .*1048574, got 5000000"),
])
def test_bake_file_refuses_out_of_bounds_tracks(ext, empty_scene, tmp_path, text, named):
    obj = _rig(empty_scene)
    path = tmp_path / "track.csv"
    path.write_text(text)
    with pytest.raises(RuntimeError, match=named):
        bpy.ops.head_motion.bake_file(filepath=str(path))
    assert obj.animation_data is None or obj.animation_data.action is None
    with pytest.raises(ext.api.TrackError, match=named):
        ext.api.load_track(str(path))


def test_scene_frame_rates_outside_the_bounds(ext, empty_scene):
    obj = _rig(empty_scene)
    empty_scene.render.fps, empty_scene.render.fps_base = 1, 1000.0  # 0.001 fps
    with pytest.raises(RuntimeError, match=r"fps .*>= 1 and <= 1000"):
        bpy.ops.head_motion.generate_bake()
    empty_scene.render.fps, empty_scene.render.fps_base = 30000, 1.0
    with pytest.raises(ext.api.SettingsError, match=r"fps .*<= 1000, got 30000"):
        ext.api.build_motion(ext.api.MotionSpec(), n_frames=10)
    assert obj.animation_data is None or obj.animation_data.action is None


def test_api_bounds(ext, empty_scene):
    api = ext.api
    with pytest.raises(api.SettingsError, match=r"n_frames .*between 1 and 1048574"):
        api.build_motion(api.MotionSpec(), n_frames=10**9)
    with pytest.raises(api.SettingsError, match="intensity"):
        api.build_motion(api.MotionSpec(intensity=1e9), n_frames=10)
    settings = api.preset_settings("CALM")
    with pytest.raises(api.SettingsError, match="rest time"):
        api.generate_synthetic(100, 25.0, ext.core.motion.synthetic.SyntheticSettings(rest_s=1e6))
    assert len(api.generate_synthetic(100, 25.0, settings)) == 100
