"""The shipped-file listing lives in tools/extension_dev.py; re-exported here for the tests."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

from extension_dev import copy_extension_source, exclude_patterns, extension_files

__all__ = ["copy_extension_source", "exclude_patterns", "extension_files"]
