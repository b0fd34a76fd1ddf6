"""``python -m tools.cli …``: the batch command over the bpy module.

Blender itself runs the batch as ``blender -b -c head_motion …``; the bpy module cannot run ``-c``
commands, so this entry point enables the extension from this source tree (in a private user directory)
and calls the very same handler, ``batch.run``. Run from the repository root with the bpy module
importable (``make cli ARGS="…"`` does both).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import extension_dev


def main(argv: list[str] | None = None) -> int:
    user_dir = extension_dev.use_private_user_dir("head_motion_cli_")
    import bpy  # noqa: F401  (imported after BLENDER_USER_RESOURCES is set)

    ext = extension_dev.enable_from_source(user_dir, "head_motion_cli")
    return ext.batch.run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
