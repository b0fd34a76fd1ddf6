"""Bake From Video: estimation through the operator, reference plane, sound, cache, bad videos."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import bpy
import numpy as np
import pytest
from rigs import RIGS, angle_deg, build_rig, expected_world_delta, head_world_delta

DEV = Path(__file__).resolve().parents[3] / "shared" / "data" / "dev"
CLIP = DEV / "voxceleb2_pcavs_Pose_Source_00473.mp4"
pytestmark = pytest.mark.skipif(not CLIP.exists(), reason="shared dev clips not present")
needs_landmarks = pytest.mark.skipif(
    importlib.util.find_spec("mediapipe") is None and importlib.util.find_spec("ai_edge_litert") is None,
    reason="no face-landmark backend (mediapipe or ai-edge-litert)",
)


def _prepare(scene, rig_name="rigify_roll"):
    obj = build_rig(RIGS[rig_name])
    bpy.context.view_layer.objects.active = obj
    s = scene.head_motion
    s.video_path, s.video_start_frame = str(CLIP), 1
    return obj


@needs_landmarks
def test_bake_from_video_follows_the_estimate(ext, empty_scene):
    empty_scene.render.fps = 25
    obj = _prepare(empty_scene)
    assert bpy.ops.head_motion.bake_video() == {"FINISHED"}
    settings = ext.properties.convert.estimation_settings(empty_scene)
    result = ext.core.video.estimate_video_cached(CLIP, settings, ext.anim.video.cache_dir())
    assert result.n_frames > 100 and result.missing_fraction < 0.02
    track = result.to_pose_track(start_frame=1)
    assert (empty_scene.frame_start, empty_scene.frame_end) == (1, result.n_frames)
    for i in (0, result.n_frames // 2, result.n_frames - 1):
        empty_scene.frame_set(1 + i)
        yaw, pitch, roll = track.angles[i]
        assert angle_deg(head_world_delta(obj, "head"), expected_world_delta(yaw, pitch, roll)) < 0.5
    assert np.abs(track.angles).max() > 2.0  # the person really moves
    plane = bpy.data.objects[ext.anim.video.REFERENCE_NAME]
    image = plane.active_material.node_tree.nodes["Image Texture"].image
    assert image.source == "MOVIE" and Path(image.filepath).name == CLIP.name
    if bpy.app.build_options.audaspace:
        assert empty_scene.head_motion.voice_input == "STRIP"


@needs_landmarks
def test_second_bake_uses_the_cache(ext, empty_scene):
    empty_scene.render.fps = 25
    _prepare(empty_scene, "vrm")
    empty_scene.head_motion.video_show_reference = False
    bpy.ops.head_motion.bake_video()
    started = time.perf_counter()
    assert bpy.ops.head_motion.bake_video() == {"FINISHED"}
    assert time.perf_counter() - started < 1.0
    assert any(ext.anim.video.cache_dir().glob("*.npz"))


@pytest.mark.parametrize("kind", ["missing", "garbage", pytest.param("no_face", marks=needs_landmarks)])
def test_bad_videos_change_nothing(ext, empty_scene, tmp_path, kind):
    obj = _prepare(empty_scene)
    path = tmp_path / "bad.mp4"
    if kind == "garbage":
        path.write_bytes(np.random.default_rng(0).bytes(20000))
    elif kind == "no_face":
        import cv2

        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25, (128, 128))
        for i in range(30):
            writer.write(np.full((128, 128, 3), 40 + i, dtype=np.uint8))
        writer.release()
    empty_scene.head_motion.video_path = str(path)
    n_objects, n_actions = len(bpy.data.objects), len(bpy.data.actions)
    with pytest.raises(RuntimeError, match=r"(?i)face|exist|read|video"):
        bpy.ops.head_motion.bake_video()
    assert obj.animation_data is None
    assert (len(bpy.data.objects), len(bpy.data.actions)) == (n_objects, n_actions)


@needs_landmarks
def test_learn_style_then_generate_in_that_style(ext, empty_scene):
    empty_scene.render.fps = 25
    obj = _prepare(empty_scene)
    s = empty_scene.head_motion
    s.style_name = "Test Speaker"
    assert bpy.ops.head_motion.learn_style() == {"FINISHED"}
    path = ext.anim.user_data.style_path("Test Speaker")
    assert path.exists() and s.style == "Test Speaker"
    style = ext.core.motion.style.load_style(path)
    empty_scene.frame_start, empty_scene.frame_end = 1, 1500
    assert bpy.ops.head_motion.generate_bake() == {"FINISHED"}
    settings = ext.properties.convert.motion_spec(empty_scene).synthetic_settings()
    track = ext.core.motion.synthetic.generate_synthetic(1500, 25.0, settings)
    std = track.angles.std(axis=0)
    assert np.all(std > 0.5 * np.asarray(style.stats.std_deg)) and np.all(std < 2.0 * np.asarray(style.stats.std_deg))
    assert obj.animation_data.action is not None
    s.style = "No Such Style"
    with pytest.raises(RuntimeError, match=r"No saved style named .No Such Style."):
        bpy.ops.head_motion.generate_bake()


def test_import_style_file(ext, empty_scene, tmp_path):
    style = ext.core.motion.style.Style("Imported", ext.core.motion.synthetic.preset_settings("ANIMATED"),
                                 ext.core.motion.style.StyleStats())
    path = tmp_path / "mine.json"
    ext.core.motion.style.save_style(style, path)
    assert bpy.ops.head_motion.import_style(filepath=str(path)) == {"FINISHED"}
    assert empty_scene.head_motion.style == "Imported"
    assert "Imported" in ext.anim.user_data.style_names()
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(RuntimeError, match=r"bad\.json"):
        bpy.ops.head_motion.import_style(filepath=str(bad))


@needs_landmarks
def test_silence_from_the_video_lips(ext, empty_scene):
    empty_scene.render.fps = 25
    obj = _prepare(empty_scene, "vrm")
    s = empty_scene.head_motion
    s.silence_source, s.video_show_reference, s.video_use_sound = "VIDEO", False, False
    s.video_path = str(DEV / "mimictalk_Trump_10s.mp4")  # not analysed by any other test
    with pytest.raises(RuntimeError, match="analyse the video first"):
        bpy.ops.head_motion.generate_bake()
    assert obj.animation_data is None
    bpy.ops.head_motion.learn_style()  # analyses (and caches) the video
    s.style = ""
    empty_scene.frame_start, empty_scene.frame_end = 1, 250
    settings = ext.properties.convert.estimation_settings(empty_scene)
    speech = ext.anim.inputs.video_lip_speech(empty_scene, settings, 1, 250)
    assert speech.shape == (250,) and 0.3 < speech.mean() < 1.0
    assert bpy.ops.head_motion.generate_bake() == {"FINISHED"}
