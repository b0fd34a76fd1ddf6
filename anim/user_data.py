"""Folders where Head Motion keeps user data: estimate caches and learned styles.

They live in the extension's user folder (``bpy.utils.extension_path_user``), never inside the installed
extension, so updates and reinstalls keep them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import bpy


def _package() -> str:
    return __package__.rsplit(".", 1)[0]


def user_folder(name: str) -> Path:
    """The folder ``name`` in the extension's user folder (created when missing)."""
    try:
        return Path(bpy.utils.extension_path_user(_package(), path=name, create=True))
    except (ValueError, AttributeError):  # not running as an extension (e.g. a plain add-on copy)
        return Path(bpy.utils.user_resource("CONFIG", path=f"head_motion/{name}", create=True))


def keep_library_caches_private() -> None:
    """Point the caches of libraries the video path imports into the extension's user folder.

    mediapipe imports matplotlib, which writes a font cache to ``~/.cache/matplotlib`` and creates
    ``~/.config/matplotlib`` on import; ``MPLCONFIGDIR`` (read when matplotlib is first imported) moves both
    to ``<user folder>/matplotlib``. Left alone when the user set it or matplotlib is already imported.
    """
    if "MPLCONFIGDIR" not in os.environ and "matplotlib" not in sys.modules:
        os.environ["MPLCONFIGDIR"] = str(user_folder("matplotlib"))


def styles_folder() -> Path:
    """Where learned and imported styles (``*.json``) are kept."""
    return user_folder("styles")


def style_names() -> list[str]:
    """Names of the saved styles, sorted."""
    return sorted(p.stem for p in styles_folder().glob("*.json"))


#: File names Windows reserves whatever the extension (CON.json cannot be created there).
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
#: Longest style file name (characters, without ".json").
MAX_STYLE_NAME = 100


def safe_style_name(name: str) -> str:
    """``name`` as a file name every system accepts: letters, digits, space, ``-_.()`` (others become ``_``),
    no leading/trailing dots or spaces, at most :data:`MAX_STYLE_NAME` characters, and never a name Windows
    reserves (``CON``, ``NUL``, ``COM1``… get a ``_`` appended)."""
    safe = "".join(c if c.isalnum() or c in " -_.()" else "_" for c in name)[:MAX_STYLE_NAME].strip(" .") or "style"
    if safe.split(".", 1)[0].strip().upper() in _RESERVED:
        safe += "_"
    return safe


def style_path(name: str) -> Path:
    """File of the style ``name`` (it may not exist)."""
    return styles_folder() / f"{safe_style_name(name)}.json"


def new_style_path(name: str, content: str | None = None) -> tuple[Path, bool]:
    """(file to save a new style called ``name`` in, whether it already holds exactly ``content``).

    Never an existing file with other content: a taken name gets `` (2)``, `` (3)``… appended."""
    base = safe_style_name(name)
    for index in range(1, 1000):
        path = styles_folder() / (f"{base}.json" if index == 1 else f"{base} ({index}).json")
        if not path.exists():
            return path, False
        if content is not None and path.read_text(encoding="utf-8") == content:
            return path, True
    raise FileExistsError(f"too many styles named '{base}'")
