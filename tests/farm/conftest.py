"""Farm tests: the job definitions in farm/ run with their real tools (openjd-cli, node), no farm needed.

The batch command inside the jobs runs over the bpy module (``python -m tools.cli``) from this checkout;
``FARM_BPY`` picks the bpy version in ``.venv/bpy-<version>`` (default: the first of ``BPY_VERSIONS``). Its user
folder (``HEAD_MOTION_CLI_USER``) and the XDG cache and config folders (``XDG_CACHE_HOME``: Blender's
``thumbnails``), inherited by the jobs, are in a temporary directory, never the real ``~/.cache/head_motion/cli``
or ``~/.cache/thumbnails``.
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
BPY_VERSION = os.environ.get("FARM_BPY") or (os.environ.get("BPY_VERSIONS") or "5.0.1").split()[0]
BPY_DIR = ROOT / ".venv" / f"bpy-{BPY_VERSION}"

#: The batch command's user and cache folders for this session (see the module docs), removed at its end.
SCRATCH = Path(tempfile.mkdtemp(prefix="head_motion_tests_"))
os.environ["HEAD_MOTION_CLI_USER"] = str(SCRATCH / "cli_user")
os.environ["XDG_CACHE_HOME"] = str(SCRATCH / "cache")
os.environ["XDG_CONFIG_HOME"] = str(SCRATCH / "config")


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(SCRATCH, ignore_errors=True)
