"""Run the extension inside real Blender (the ``bpy`` module), enabled the way users enable it.

Before ``bpy`` is imported, ``BLENDER_USER_RESOURCES`` points at a fresh temporary directory, so no
user configuration leaks in and nothing is written to the real user folders. The source tree is copied
(minus what the manifest excludes from builds) into a local extension repository there and enabled with
``bpy.ops.preferences.addon_enable``: the code runs as ``bl_ext.head_motion_tests.head_motion``, exactly
as an installed extension does (see tools/extension_dev.py).

Two more variables, inherited by the subprocesses the tests start, point into another fresh temporary directory:
``HEAD_MOTION_CLI_USER``, the user folder of the batch command (``python -m tools.cli`` sets its own
``BLENDER_USER_RESOURCES`` to it) instead of its persistent default ``~/.cache/head_motion/cli``; and
``XDG_CACHE_HOME``, where Blender makes its ``thumbnails`` folders on start and, from 5.2, writes a thumbnail for
every file it saves; and ``XDG_CONFIG_HOME`` (matplotlib makes its folder there when a test imports mediapipe
itself; the extension's own video paths move it into its user folder first). Tests about those defaults set their
own environment. Both directories are removed when the
session ends.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import extension_dev  # noqa: E402

REPO_MODULE = "head_motion_tests"
PACKAGE = f"bl_ext.{REPO_MODULE}.head_motion"
_USER_DIR = extension_dev.use_private_user_dir()
_SCRATCH = Path(tempfile.mkdtemp(prefix="head_motion_tests_"))
os.environ["HEAD_MOTION_CLI_USER"] = str(_SCRATCH / "cli_user")
os.environ["XDG_CACHE_HOME"] = str(_SCRATCH / "cache")
os.environ["XDG_CONFIG_HOME"] = str(_SCRATCH / "config")

import bpy  # noqa: E402  (must come after BLENDER_USER_RESOURCES is set)

EXT = extension_dev.enable_from_source(_USER_DIR, REPO_MODULE)


@pytest.fixture(scope="session")
def ext():
    """The enabled extension package (``bl_ext.head_motion_tests.head_motion``)."""
    return EXT


@pytest.fixture
def empty_scene():
    """A fresh empty file (add-ons stay enabled), 24 fps, frames 1-250."""
    bpy.ops.wm.read_homefile(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps = 24
    scene.render.fps_base = 1.0
    scene.frame_start, scene.frame_end = 1, 250
    return scene


_EXIT_STATUS = [0]


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_USER_DIR, ignore_errors=True)
    shutil.rmtree(_SCRATCH, ignore_errors=True)
    _EXIT_STATUS[0] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """Leave without the bpy module's interpreter teardown: after a full run, the bpy 4.2.23 module can crash
    while Python unloads it (exit 139 after every test passed and the summary was printed). The results are
    final here, so the process exits with pytest's own status. Blender's session folder (``bpy.app.tempdir``,
    ``/tmp/blender_*``), which its teardown would remove, is removed first."""
    shutil.rmtree(bpy.app.tempdir, ignore_errors=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_EXIT_STATUS[0])
