"""The scripting API (``head_motion.api``) end to end in real Blender."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import bpy
import numpy as np
import pytest
from rigs import RIGS, angle_deg, build_rig, expected_world_delta, head_world_delta

ROOT = Path(__file__).resolve().parents[2]
SPEECH = ROOT / "samples" / "speech_sample.ogg"
CLIP = ROOT.parent / "shared" / "data" / "dev" / "voxceleb2_pcavs_Input_00010.mp4"


def test_voice_to_baked_head(ext, empty_scene, tmp_path):
    api = ext.api
    rig = api.build_sample_character()
    track = api.motion_for_voice(SPEECH, api.preset_settings("CALM", seed=5), start_frame=11)
    assert track.start_frame == 11 and track.fps == 24.0 and len(track) == int(np.ceil(17.4717 * 24))
    assert track.speech is not None and 0.5 < track.speech.mean() < 0.95
    path = tmp_path / "voice.json"
    api.save_track(track, path)
    again = api.load_track(path)
    result = api.bake_track(rig, again, api.BakeOptions(neck_share=0.25))
    assert result.joints == ["neck", "head"] and result.frame_start == 11
    empty_scene.frame_set(11 + 200)
    yaw, pitch, roll = track.angles[200]
    assert angle_deg(head_world_delta(rig, "head"), expected_world_delta(yaw, pitch, roll)) < 0.5
    assert api.clear_bake(rig) is None and rig.animation_data.action is None


@pytest.mark.skipif(not CLIP.exists(), reason="shared dev clips not present")
@pytest.mark.skipif(
    importlib.util.find_spec("mediapipe") is None and importlib.util.find_spec("ai_edge_litert") is None,
    reason="no face-landmark backend (mediapipe or ai-edge-litert)",
)
def test_video_estimate_and_style(ext, empty_scene):
    api = ext.api
    seen = []
    result = api.estimate_video(CLIP, progress=lambda done, total: seen.append(done), use_cache=False)
    assert seen and seen[-1] == result.n_frames and result.missing_fraction < 0.02
    style = api.learn_style(result, name="clip")
    assert style.name == "clip" and style.stats.std_deg is not None
    track = api.generate_synthetic(600, 25.0, style.settings_for(1.0, 3))
    obj = build_rig(RIGS["vrm"])
    api.bake_track(obj, result.to_pose_track(start_frame=1))
    assert obj.animation_data.action is not None and len(track) == 600


def test_api_errors_are_head_motion_errors(ext, empty_scene, tmp_path):
    api = ext.api
    with pytest.raises(api.MediaError, match="does not exist"):
        api.motion_for_voice(tmp_path / "nothing.wav")
    with pytest.raises(api.TargetError):
        api.bake_track(None, api.generate_synthetic(10, 24.0))
    assert issubclass(api.MediaError, api.HeadMotionError) and bpy.context.scene == empty_scene
