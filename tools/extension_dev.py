"""Run the extension from this source tree inside the bpy module, the way Blender runs installed extensions.

Used by the test suite and the demo: the files a build would ship (the manifest's exclude patterns
honoured) are copied into a local extension repository of a private user directory and enabled with
``bpy.ops.preferences.addon_enable``, so the code runs as ``bl_ext.<repo>.head_motion``.

Call :func:`use_private_user_dir` before ``import bpy``.
"""

from __future__ import annotations

import fnmatch
import importlib
import os
import shutil
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def exclude_patterns(root: Path = ROOT) -> list[str]:
    manifest = tomllib.loads((root / "blender_manifest.toml").read_text())
    return list(manifest.get("build", {}).get("paths_exclude_pattern", []))


def _excluded(rel: str, is_dir: bool, patterns: list[str]) -> bool:
    name = rel.rsplit("/", 1)[-1]
    for pattern in patterns:
        if pattern.endswith("/") and not is_dir:
            continue
        p = pattern.rstrip("/")
        if p.startswith("/"):
            if fnmatch.fnmatch(rel, p[1:]):
                return True
        elif fnmatch.fnmatch(name, p):
            return True
    return False


def extension_files(root: Path = ROOT) -> list[Path]:
    """Relative paths of every file a build of ``root`` ships."""
    patterns = exclude_patterns(root)
    out: list[Path] = []
    stack = [root]
    while stack:
        folder = stack.pop()
        for entry in sorted(folder.iterdir()):
            rel = entry.relative_to(root).as_posix()
            if _excluded(rel, entry.is_dir(), patterns):
                continue
            if entry.is_dir():
                stack.append(entry)
            else:
                out.append(entry.relative_to(root))
    return out


def copy_extension_source(root: Path, dest: Path, sync: bool = False) -> None:
    """Replace ``dest`` with the shipped files of ``root``.

    ``sync``: keep ``dest`` when it already holds the same files (same names, sizes and modification
    times, recorded in ``dest/.source-stamp``), so a persistent user folder is not rewritten on every run.
    """
    files = extension_files(root)
    stamp = "\n".join(f"{rel.as_posix()} {(root / rel).stat().st_size} {(root / rel).stat().st_mtime_ns}"
                      for rel in files)
    stamp_file = dest / ".source-stamp"
    if sync and stamp_file.is_file() and stamp_file.read_text() == stamp:
        return
    if dest.exists():
        shutil.rmtree(dest)
    for rel in files:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / rel, target)
    if sync:
        stamp_file.write_text(stamp)


def use_private_user_dir(prefix: str = "head_motion_user_") -> Path:
    """Point BLENDER_USER_RESOURCES at a new temporary directory (must run before ``import bpy``)."""
    user_dir = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["BLENDER_USER_RESOURCES"] = str(user_dir)
    return user_dir


def enable_from_source(user_dir: Path, repo_module: str = "head_motion_dev", root: Path = ROOT,
                       sync: bool = False):
    """Install the source as an extension in a local repository of ``user_dir``, enable it, return the module.

    ``sync``: reuse an up-to-date copy (a persistent user folder, see :func:`copy_extension_source`).
    """
    import bpy

    repo_dir = user_dir / "extensions" / repo_module
    copy_extension_source(root, repo_dir / "head_motion", sync=sync)
    repos = bpy.context.preferences.extensions.repos
    if not any(r.module == repo_module for r in repos):
        repos.new(name="Head Motion (source)", module=repo_module, custom_directory=str(repo_dir), source="USER")
    package = f"bl_ext.{repo_module}.head_motion"
    bpy.ops.preferences.addon_enable(module=package)
    return importlib.import_module(package)
