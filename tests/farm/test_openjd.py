"""The Open Job Description template farm/openjd/head_motion.yaml, checked and run for real with openjd-cli.

``openjd run`` executes the template locally with the same session runtime (openjd-sessions) that farm
workers use: the Bake step's tasks (one per input and shot) run the batch command over the bpy module, then
the Merge step writes summary.json.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from conftest import BPY_DIR, ROOT

from core.interop import ARKIT_BLENDSHAPES
from core.motion.synthetic import generate_synthetic, preset_settings

OPENJD = Path(sys.executable).with_name("openjd")
TEMPLATE = ROOT / "farm" / "openjd" / "head_motion.yaml"


def _run(*args, timeout=600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "BLENDER_USER_RESOURCES"}
    env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{BPY_DIR}"  # for python -m tools.cli (the bpy module)
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout, env=env)


def _live_link_csv(path: Path, seconds: float = 1.0, rate: int = 60) -> Path:
    header = ["Timecode", "BlendShapeCount", *ARKIT_BLENDSHAPES, "HeadYaw", "HeadPitch", "HeadRoll"]
    rows = [",".join(header)]
    for k in range(int(seconds * rate) + 1):
        t = k / rate
        head = [np.sin(2 * np.pi * t) * 20 / 180, 5 / 180, 0.0]
        rows.append(",".join([f"10:00:{k // rate:02d}:{k % rate:02d}.000", "55",
                              *["0.1"] * len(ARKIT_BLENDSHAPES), *map(repr, head)]))
    path.write_text("\n".join(rows) + "\n")
    return path


def _cli_env_launcher() -> str:
    return f"env PYTHONPATH={ROOT}:{BPY_DIR} {sys.executable} -m tools.cli"


def test_template_passes_openjd_check():
    done = _run(OPENJD, "check", TEMPLATE)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passes validation checks" in done.stdout


def test_openjd_run_bakes_two_inputs_and_merges_the_summaries(tmp_path):
    assert BPY_DIR.is_dir(), f"{BPY_DIR} missing: run tools/setup_env.sh"
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    generate_synthetic(40, 25.0, preset_settings("CALM", seed=1)).save(inputs / "take_a.csv")
    _live_link_csv(inputs / "take_b_iphone.csv")
    # The shot: the sample character saved in a .blend by the batch command itself (25 fps).
    shots = tmp_path / "shots"
    made = _run(sys.executable, "-m", "tools.cli", "--method", "track", "--output", shots, inputs / "take_a.csv")
    assert made.returncode == 0, made.stdout + made.stderr
    (shots / "take_a.blend").rename(shots / "sh010.blend")
    out = tmp_path / "out"
    job = [OPENJD, "run", TEMPLATE, "--step", "Merge", "--run-dependencies",
           "-p", json.dumps({"Inputs": [str(inputs / "take_a.csv"), str(inputs / "take_b_iphone.csv")],
                             "Shots": [str(shots / "sh010.blend")]}),
           "-p", f"OutputDir={out}", "-p", f"ScriptsDir={ROOT / 'farm'}", "-p", f"Python={sys.executable}",
           "-p", f"Launcher={_cli_env_launcher()}", "-p", "Method=track", "-p", "ExportFlame=yes",
           "-p", "NeckShare=0"]
    done = _run(*job)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    shot_out = out / "sh010"
    for name in ("take_a", "take_b_iphone"):
        assert (shot_out / f"{name}.blend").stat().st_size > 0
        assert (shot_out / f"{name}.flame.npz").is_file()
        assert json.loads((shot_out / "summaries" / f"{name}.json").read_text())["results"][0]["ok"]
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["inputs"], summary["succeeded"], summary["failed"], summary["skipped"]) == (2, 2, 0, 0)
    assert summary["method"] == "track"
    by_input = {Path(r["input"]).name: r for r in summary["results"]}
    assert {r["shot"] for r in summary["results"]} == {"sh010"}
    assert by_input["take_a.csv"]["frames"] == [1, 40]
    assert by_input["take_b_iphone.csv"]["frames"] == [1, 26]  # 1 s of 60 fps timecode at the shot's 25 fps
    assert by_input["take_b_iphone.csv"]["joints"] == ["head"]
    with np.load(shot_out / "take_b_iphone.flame.npz") as npz:
        assert npz["neck_pose"].shape == (26, 3) and float(npz["fps"]) == 25.0
        assert np.degrees(npz["neck_pose"][:, 0]).max() < -4.9  # HeadPitch 5/180 -> 5 degrees chin up: -X turn

    # Re-running the job is idempotent: both tasks see up-to-date outputs and skip.
    before = {p.name: p.stat().st_mtime_ns for p in shot_out.glob("*.blend")}
    again = _run(*job)
    assert again.returncode == 0, again.stdout[-4000:] + again.stderr[-4000:]
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["succeeded"], summary["skipped"]) == (2, 2)
    assert {p.name: p.stat().st_mtime_ns for p in shot_out.glob("*.blend")} == before
