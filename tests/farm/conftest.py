"""Farm tests: the job definitions in farm/ run with their real tools (openjd-cli, node), no farm needed.

The batch command inside the jobs runs over the bpy module (``python -m tools.cli``) from this checkout;
``FARM_BPY`` picks the bpy version in ``.venv/bpy-<version>`` (default: the first of ``BPY_VERSIONS``).
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
BPY_VERSION = os.environ.get("FARM_BPY") or (os.environ.get("BPY_VERSIONS") or "5.0.1").split()[0]
BPY_DIR = ROOT / ".venv" / f"bpy-{BPY_VERSION}"
