"""The batch command end to end, run the way a pipeline runs it (``python -m tools.cli`` over bpy)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import bpy
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("BLENDER_USER_RESOURCES", None)
    assert "head_motion_tests_" in env["HEAD_MOTION_CLI_USER"]  # conftest: a temporary CLI user folder
    return subprocess.run([sys.executable, "-m", "tools.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def _write_tracks(ext, folder: Path, n: int) -> list[Path]:
    paths = []
    for i in range(n):
        synthetic = ext.core.motion.synthetic
        track = synthetic.generate_synthetic(50 + 10 * i, 25.0, synthetic.preset_settings("CONVERSATIONAL", seed=i))
        path = folder / f"take_{i}.csv"
        track.save(path)
        paths.append(path)
    return paths


def test_batch_over_a_folder_continues_past_a_corrupt_file(ext, tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    _write_tracks(ext, inputs, 4)
    (inputs / "take_9_corrupt.csv").write_text("frame,yaw_deg,pitch_deg,roll_deg\n1,0,nan-ish,0\n")
    (inputs / "notes.txt").write_text("not an input")
    out = tmp_path / "out"
    done = _cli("--method", "track", "--output", str(out), str(inputs))
    assert done.returncode == 1, done.stdout + done.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["inputs"] == 5 and summary["succeeded"] == 4 and summary["failed"] == 1
    bad = [r for r in summary["results"] if not r["ok"]]
    assert bad[0]["input"].endswith("take_9_corrupt.csv") and "take_9_corrupt.csv" in bad[0]["error"]
    for result in summary["results"]:
        if result["ok"]:
            assert Path(result["blend"]).is_file()
            assert result["joints"] == ["neck", "head"]
    # The saved file holds the baked motion on the sample character.
    blend = out / "take_2.blend"
    bpy.ops.wm.open_mainfile(filepath=str(blend))
    rig = bpy.data.objects["HeadMotionSample"]
    assert rig.animation_data.action.name == "HeadMotionSample_HeadMotion"
    assert (bpy.context.scene.frame_start, bpy.context.scene.frame_end) == (1, 70)  # 70 frames at 25 fps


def test_batch_on_a_user_rig_file(ext, empty_scene, tmp_path):
    from rigs import RIGS, build_rig

    build_rig(RIGS["mixamo_yup"])
    empty_scene.render.fps = 30
    rig_file = tmp_path / "rig.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(rig_file))
    [track] = _write_tracks(ext, tmp_path, 1)
    out = tmp_path / "out"
    done = _cli("--method", "track", "--rig", str(rig_file), "--neck-share", "0", "--output", str(out), str(track))
    assert done.returncode == 0, done.stdout + done.stderr
    entry = json.loads((out / "summary.json").read_text())["results"][0]
    assert entry["target"] == "mixamo_yup" and entry["joints"] == ["mixamorig:Head"]
    assert entry["fps"] == 30.0
    assert entry["frames"][1] - entry["frames"][0] + 1 == int(np.floor(49 / 25 * 30 + 1e-9)) + 1  # resampled


def _write_voices(folder: Path, n: int) -> list[Path]:
    """``n`` short voice files cut from the bundled speech sample (wav, flac, ogg in turn)."""
    import soundfile

    speech, rate = soundfile.read(ROOT / "samples" / "speech_sample.ogg", dtype="float32")
    paths = []
    for i in range(n):
        piece = speech[int(i * 2.5 * rate): int((i * 2.5 + 4.0) * rate)]
        path = folder / f"voice_{i}{('.wav', '.flac', '.ogg')[i % 3]}"
        soundfile.write(path, piece, rate)
        paths.append(path)
    return paths


def test_batch_of_voices_with_a_corrupt_file(ext, tmp_path):
    inputs = tmp_path / "voices"
    inputs.mkdir()
    _write_voices(inputs, 4)
    (inputs / "voice_9.mp3").write_bytes(b"ID3" + bytes(range(256)) * 40)
    out = tmp_path / "out"
    done = _cli("--method", "synthetic", "--preset", "ANIMATED", "--seed", "3", "--output", str(out), str(inputs))
    assert done.returncode == 1, done.stdout + done.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["inputs"], summary["succeeded"], summary["failed"]) == (5, 4, 1)
    [bad] = [r for r in summary["results"] if not r["ok"]]
    assert bad["input"].endswith("voice_9.mp3") and "voice_9.mp3" in bad["error"]
    for result in summary["results"]:
        if result["ok"]:
            assert result["frames"][1] - result["frames"][0] + 1 == 100  # 4 s at the sample rig's 25 fps
            assert Path(result["blend"]).is_file()


def test_batch_preview_render(ext, tmp_path):
    [voice] = _write_voices(tmp_path, 1)
    out = tmp_path / "out"
    done = _cli("--method", "synthetic", "--preview", "--fps", "12", "--output", str(out), str(voice))
    assert done.returncode == 0, done.stdout + done.stderr
    entry = json.loads((out / "summary.json").read_text())["results"][0]
    import cv2

    video = cv2.VideoCapture(entry["preview"])
    assert video.get(cv2.CAP_PROP_FRAME_COUNT) == 48 and video.get(cv2.CAP_PROP_FRAME_WIDTH) == 384
    video.release()


@pytest.mark.parametrize("args, code", [(["--help"], 0), (["--method", "nope", "--output", "x", "a.csv"], 2)])
def test_batch_usage(args, code):
    done = _cli(*args)
    assert done.returncode == code, done.stdout + done.stderr


def test_blender_command_is_registered(ext):
    assert ext.batch._cli_handle is not None
