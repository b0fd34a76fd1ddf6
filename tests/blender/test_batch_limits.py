"""Issue #15 through the batch command (``python -m tools.cli``, the handler ``blender -c head_motion`` runs):
distinct outputs, no silent overwrite, exact frame rates, bounded inputs, an unwritable output folder,
no tracebacks for user errors, a persistent CLI user folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import bpy
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str, user: Path, env_extra: dict | None = None, timeout: float = 300):
    env = dict(os.environ)
    env.pop("BLENDER_USER_RESOURCES", None)
    env["HEAD_MOTION_CLI_USER"] = str(user)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "tools.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def _track(ext, path: Path, frames: int = 30, seed: int = 0) -> Path:
    synthetic = ext.core.motion.synthetic
    path.parent.mkdir(parents=True, exist_ok=True)
    synthetic.generate_synthetic(frames, 25.0, synthetic.preset_settings("CALM", seed=seed)).save(path)
    return path


def _no_traceback(done):
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr


def test_same_names_in_different_folders_and_one_file_twice(ext, tmp_path):
    a = _track(ext, tmp_path / "in" / "a" / "take.csv", 30, seed=1)
    b = _track(ext, tmp_path / "in" / "b" / "take.csv", 40, seed=2)
    out = tmp_path / "out"
    done = _cli("--method", "track", "--output", str(out), str(a), str(b), str(a), user=tmp_path / "user")
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["inputs"], summary["succeeded"], summary["skipped"], summary["failed"]) == (3, 2, 1, 0)
    blends = [r["blend"] for r in summary["results"]]
    assert blends[0] == str(out / "a" / "take.blend") and blends[1] == str(out / "b" / "take.blend")
    assert "same file" in summary["results"][2]["skipped"]
    frames = []
    for blend in blends[:2]:
        bpy.ops.wm.open_mainfile(filepath=blend)
        frames.append(bpy.context.scene.frame_end - bpy.context.scene.frame_start + 1)
    assert frames == [30, 40]  # each file holds its own input's motion, neither overwrote the other

    # a second run skips existing outputs (no silent overwrite); --overwrite replaces them
    before = (out / "a" / "take.blend").stat().st_mtime_ns
    again = _cli("--method", "track", "--output", str(out), str(a), str(b), user=tmp_path / "user")
    assert again.returncode == 0 and again.stdout.count("skipped") >= 2, again.stdout
    assert (out / "a" / "take.blend").stat().st_mtime_ns == before
    forced = _cli("--method", "track", "--overwrite", "--output", str(out), str(a), str(b), user=tmp_path / "user")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert (out / "a" / "take.blend").stat().st_mtime_ns != before


def test_same_stem_with_different_extensions_in_one_folder(ext, tmp_path):
    folder = tmp_path / "in"
    _track(ext, folder / "take.csv", 30)
    path = folder / "take.json"
    ext.core.track.PoseTrack.load(folder / "take.csv").save(path)
    out = tmp_path / "out"
    done = _cli("--method", "track", "--output", str(out), str(folder), user=tmp_path / "user")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (out / "take.csv.blend").is_file() and (out / "take.json.blend").is_file()


@pytest.mark.parametrize(("fps", "stored"), [("23.976", (24, 1.001)), ("24000/1001", (24, 1.001)),
                                             ("29.97", (30, 1.001)), ("12.5", (25, 2.0))])
def test_exact_fractional_frame_rates(ext, tmp_path, fps, stored):
    track = _track(ext, tmp_path / "take.csv", 25)
    out = tmp_path / "out"
    done = _cli("--method", "track", "--fps", fps, "--output", str(out), str(track), user=tmp_path / "user")
    assert done.returncode == 0, done.stdout + done.stderr
    bpy.ops.wm.open_mainfile(filepath=str(out / "take.blend"))
    render = bpy.context.scene.render
    assert (render.fps, round(render.fps_base, 6)) == stored


@pytest.mark.parametrize("fps", ["0", "0.4", "nan", "1e9", "-24", "fast"])
def test_bad_frame_rates_stop_before_any_work(ext, tmp_path, fps):
    track = _track(ext, tmp_path / "take.csv", 10)
    out = tmp_path / "out"
    done = _cli("--method", "track", "--fps", fps, "--output", str(out), str(track), user=tmp_path / "user")
    assert done.returncode == 2
    assert "--fps must be a frame rate between 1 and 1000" in done.stderr and repr(fps) in done.stderr
    _no_traceback(done)
    assert not out.exists()


def test_unwritable_output_stops_before_any_work(ext, tmp_path):
    track = _track(ext, tmp_path / "take.csv", 10)
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    for args in (["--output", str(blocker / "out")],
                 ["--output", str(tmp_path / "out"), "--summary", str(blocker / "summary.json")]):
        done = _cli("--method", "track", *args, str(track), user=tmp_path / "user")
        assert done.returncode == 2, done.stdout + done.stderr
        assert "cannot write to the output folder" in done.stderr and "a_file" in done.stderr
        assert "baked" not in done.stdout  # no input was processed
        _no_traceback(done)


def test_out_of_bounds_values_are_clear_errors(ext, tmp_path):
    user = tmp_path / "user"
    bad_track = tmp_path / "slow.csv"
    bad_track.write_text("# fps=1e-6\nframe,yaw_deg,pitch_deg,roll_deg\n1,0,0,0\n2,1,0,0\n")
    far = tmp_path / "far.csv"
    far.write_text("# fps=25\nframe,yaw_deg,pitch_deg,roll_deg\n1,1000000,0,0\n")
    out = tmp_path / "out"
    done = _cli("--method", "track", "--output", str(out), str(bad_track), str(far), user=user)
    assert done.returncode == 1
    _no_traceback(done)
    errors = [r["error"] for r in json.loads((out / "summary.json").read_text())["results"]]
    assert "fps" in errors[0] and "1000" in errors[0] and "1e-6" in errors[0]
    assert "yaw is 1e+06 degrees" in errors[1] and "360" in errors[1]

    style = tmp_path / "style.json"
    styles = ext.core.motion.style
    data = styles.style_to_dict(styles.Style("slow", ext.core.motion.synthetic.SyntheticSettings()))
    data["settings"]["rest_s"] = 1e6
    style.write_text(json.dumps(data))
    voice = ROOT / "samples" / "speech_sample.ogg"
    for args, named in ((["--style", str(style)], "rest time (seconds) must be"),
                        (["--intensity", "1e9"], "intensity must be"), (["--tempo", "0"], "tempo must be"),
                        (["--neck-share", "nan"], "Neck share must be")):
        done = _cli("--method", "synthetic", *args, "--output", str(tmp_path / "o2"), str(voice), user=user)
        assert done.returncode == 2 and named in done.stderr, done.stdout + done.stderr
        _no_traceback(done)
        assert not (tmp_path / "o2").exists()
    done = _cli("--method", "video", "--fov", "1e9", "--output", str(tmp_path / "o3"), str(voice), user=user)
    assert done.returncode == 2 and "field of view must be" in done.stderr, done.stdout + done.stderr
    _no_traceback(done)


def test_cli_user_folder_is_persistent_and_nothing_is_left_in_tmp(ext, tmp_path):
    track = _track(ext, tmp_path / "take.csv", 10)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    cache_home = tmp_path / "cache"
    env = {"TMPDIR": str(tmp), "XDG_CACHE_HOME": str(cache_home)}
    for run in range(2):
        environ = dict(os.environ, **env)
        environ.pop("BLENDER_USER_RESOURCES", None)
        environ.pop("HEAD_MOTION_CLI_USER", None)
        done = subprocess.run([sys.executable, "-m", "tools.cli", "--method", "track", "--overwrite", "--output",
                               str(tmp_path / "out"), str(track)], cwd=ROOT, env=environ, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        assert list(tmp.iterdir()) == []  # no user folder left behind in the temp directory
        user = cache_home / "head_motion" / "cli"
        assert (user / "extensions" / "head_motion_cli" / "head_motion" / "batch.py").is_file()
        stamp = (user / "extensions" / "head_motion_cli" / "head_motion" / ".source-stamp").stat().st_mtime_ns
        if run == 0:
            first = stamp
    assert stamp == first  # the second run reused the installed copy

    chosen = tmp_path / "chosen"
    done = _cli("--cache", str(chosen), "--method", "track", "--overwrite", "--output", str(tmp_path / "out"),
                str(track), user=tmp_path / "ignored")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (chosen / "extensions" / "head_motion_cli").is_dir() and not (tmp_path / "ignored").exists()
