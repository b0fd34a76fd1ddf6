"""PoseGAN in Blender: the operator, a user model file, the batch method and the API."""

from __future__ import annotations

import json
from pathlib import Path

import bpy
import numpy as np
import pytest
from rigs import RIGS, angle_deg, build_rig, expected_world_delta, head_world_delta
from test_batch import _cli, _write_voices

ROOT = Path(__file__).resolve().parents[2]
SPEECH = ROOT / "samples" / "speech_sample.ogg"


def test_operator_needs_a_voice_then_bakes(ext, empty_scene):
    obj = build_rig(RIGS["rigify_roll"])
    bpy.context.view_layer.objects.active = obj
    assert not bpy.ops.head_motion.generate_posegan.poll()
    bpy.ops.head_motion.import_voice(filepath=str(SPEECH), start_frame=1)
    assert bpy.ops.head_motion.generate_posegan() == {"FINISHED"}
    n = empty_scene.frame_end
    track = ext.api.posegan_for_voice(SPEECH, intensity=empty_scene.head_motion.posegan_intensity, n_frames=n)
    assert len(track) == n and np.all(np.isfinite(track.angles)) and track.angles.std(axis=0).max() > 0.3
    for i in (0, n // 3, n - 1):
        empty_scene.frame_set(1 + i)
        yaw, pitch, roll = track.angles[i]
        assert angle_deg(head_world_delta(obj, "head"), expected_world_delta(yaw, pitch, roll)) < 0.5


def test_bad_model_file_changes_nothing(ext, empty_scene, tmp_path):
    obj = build_rig(RIGS["vrm"])
    bpy.context.view_layer.objects.active = obj
    bpy.ops.head_motion.import_voice(filepath=str(SPEECH), start_frame=1)
    model = tmp_path / "model.onnx"
    model.write_text("this is not a model")
    empty_scene.head_motion.posegan_model = str(model)
    with pytest.raises(RuntimeError, match=r"model\.onnx"):
        bpy.ops.head_motion.generate_posegan()
    assert obj.animation_data is None


def test_batch_posegan_method(ext, tmp_path):
    voices = _write_voices(tmp_path, 2)
    out = tmp_path / "out"
    done = _cli("--method", "posegan", "--intensity", "2", "--output", str(out), *map(str, voices))
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["succeeded"] == 2 and all(r["frames"] == [1, 100] for r in summary["results"])
