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


def style_path(name: str) -> Path:
    """File of the style ``name`` (it may not exist)."""
    safe = "".join(c if c.isalnum() or c in " -_." else "_" for c in name).strip() or "style"
    return styles_folder() / f"{safe}.json"
