"""Starts a real Blender window once for the UI tests and hands its results to them.

`make test-ui` runs this inside the Debian trixie root (tools/setup_py313.sh) where tools/ui_setup.sh
installed Debian's Blender 4.3.2 (Python 3.13) and Xvfb. The session fixture starts Xvfb (it picks a free
display itself, ``-displayfd``), then ``blender --enable-event-simulate`` on it with tests/ui/blender_driver.py,
which enables the extension from this source tree in a private user folder, drives the UI and writes
``build/ui/results.json`` and the screenshots; each test here asserts one of its results. Blender's console
output is kept in ``build/ui/blender.log``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(os.environ.get("HEAD_MOTION_UI_OUT", ROOT / "build" / "ui"))
VIDEO = ROOT.parent / "shared" / "data" / "dev" / "mimictalk_Trump_10s.mp4"
SCREEN = (1600, 1200)
TIMEOUT_S = 480


def _start_xvfb() -> tuple[subprocess.Popen, str]:
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24", "-nolisten", "tcp",
         "+extension", "GLX", "-noreset"],
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        display = pipe.readline().strip()
    if not display:
        xvfb.kill()
        raise RuntimeError("Xvfb did not start")
    return xvfb, f":{display}"


@pytest.fixture(scope="session")
def ui():
    """The results of one Blender window session: {check name: result dict}, plus the log text."""
    blender = shutil.which("blender")
    if blender is None:
        pytest.fail("no `blender` here: run the UI tests with `make test-ui` (Blender 4.3 in the trixie root)")
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    user_dir = Path(tempfile.mkdtemp(prefix="head_motion_ui_user_"))
    xvfb, display = _start_xvfb()
    env = dict(os.environ, DISPLAY=display, BLENDER_USER_RESOURCES=str(user_dir), HEAD_MOTION_UI_ROOT=str(ROOT),
               HEAD_MOTION_UI_OUT=str(OUT), HEAD_MOTION_UI_VIDEO=str(VIDEO) if VIDEO.exists() else "")
    # HEAD_MOTION_UI_ONLY="check names…" runs only those checks (development; the tests of the others fail)
    log_path = OUT / "blender.log"
    started = time.perf_counter()
    try:
        with open(log_path, "w") as log:
            proc = subprocess.run(
                [blender, "--factory-startup", "-noaudio", "--enable-event-simulate",
                 "-p", "0", "0", str(SCREEN[0]), str(SCREEN[1]),
                 "--python", str(ROOT / "tests" / "ui" / "blender_driver.py")],
                env=env, stdout=log, stderr=subprocess.STDOUT, timeout=TIMEOUT_S, check=False)
    finally:
        xvfb.terminate()
        xvfb.wait()
        shutil.rmtree(user_dir, ignore_errors=True)
    log_text = log_path.read_text(errors="replace")
    results_path = OUT / "results.json"
    if not results_path.exists():
        pytest.fail(f"Blender wrote no results (exit {proc.returncode}); log:\n{log_text[-4000:]}")
    results = json.loads(results_path.read_text())
    results["_log"] = log_text
    results["_exit"] = proc.returncode
    results["_seconds"] = time.perf_counter() - started
    print(f"\nBlender window session: {results['_seconds']:.0f} s, exit {proc.returncode}, artefacts in {OUT}")
    return results
