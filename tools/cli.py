"""``python -m tools.cli …``: the batch command over the bpy module.

Blender itself runs the batch as ``blender -b -c head_motion …``; the bpy module cannot run ``-c``
commands, so this entry point enables the extension from this source tree and calls the very same
handler, ``batch.run``. Run from the repository root with the bpy module importable (``make cli ARGS="…"``
does both).

The extension runs from a PERSISTENT user folder, as Blender's own user folder is: cached video estimates
and learned styles are reused between runs. ``--cache DIR`` chooses it (default: the environment variable
``HEAD_MOTION_CLI_USER``, else ``$XDG_CACHE_HOME/head_motion/cli`` — ``~/.cache/head_motion/cli`` — on
Linux and macOS, ``%LOCALAPPDATA%\\head_motion\\cli`` on Windows). Nothing is written anywhere else but the
batch's ``--output``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import extension_dev


def default_user_dir() -> Path:
    """The CLI's persistent user folder (see the module docs)."""
    if os.environ.get("HEAD_MOTION_CLI_USER"):
        return Path(os.environ["HEAD_MOTION_CLI_USER"])
    if os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "head_motion" / "cli"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "head_motion" / "cli"


def split_cache_option(argv: list[str]) -> tuple[Path | None, list[str]]:
    """(the ``--cache`` folder or None, the other arguments); ``--cache DIR`` and ``--cache=DIR`` both work."""
    rest: list[str] = []
    cache: Path | None = None
    items = iter(argv)
    for item in items:
        if item == "--cache":
            value = next(items, None)
            if value is None:
                raise SystemExit("head_motion: --cache needs a folder")
            cache = Path(value)
        elif item.startswith("--cache="):
            cache = Path(item.split("=", 1)[1])
        else:
            rest.append(item)
    return cache, rest


def main(argv: list[str] | None = None) -> int:
    cache, args = split_cache_option(sys.argv[1:] if argv is None else argv)
    user_dir = (cache or default_user_dir()).expanduser().resolve()
    try:
        user_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"head_motion: cannot use the user folder {user_dir}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    os.environ["BLENDER_USER_RESOURCES"] = str(user_dir)
    import bpy  # noqa: F401  (imported after BLENDER_USER_RESOURCES is set)

    ext = extension_dev.enable_from_source(user_dir, "head_motion_cli", sync=True)
    return ext.batch.run(args)


if __name__ == "__main__":
    sys.exit(main())
