"""Where the batch command writes: one distinct output per input, never a silent overwrite.

Pure path logic (no Blender), used by :mod:`batch`:

* :func:`plan_outputs` gives every input its own ``.blend`` path under ``--output``. Inputs keep their
  folder structure relative to the deepest folder holding all of them (``a/take.wav`` and ``b/take.wav`` ->
  ``a/take.blend`` and ``b/take.blend``; one folder of inputs -> ``take.blend`` as before); inputs that
  would still share a name (``take.wav`` and ``take.mp4``) keep their extension (``take.wav.blend``). The
  same file given twice is processed once.
* :func:`check_writable` makes sure ``--output`` can be written before any work starts.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Planned:
    """One input, its output ``.blend`` (absolute) and, for a duplicate, the input it repeats."""

    input: Path
    blend: Path
    duplicate_of: Path | None = None


def _key(path: Path) -> str:
    try:
        return os.path.normcase(str(path.resolve()))
    except OSError:
        return os.path.normcase(os.path.abspath(path))


def plan_outputs(inputs: list[Path], output: Path) -> list[Planned]:
    """A distinct ``.blend`` under ``output`` for every distinct input (see the module docs)."""
    output = Path(os.path.abspath(output))
    seen: dict[str, Path] = {}
    unique: list[Path] = []
    for path in inputs:
        key = _key(path)
        if key not in seen:
            seen[key] = path
            unique.append(path)
    absolute = {path: Path(os.path.abspath(path)) for path in unique}
    parents = [str(p.parent) for p in absolute.values()]
    try:
        root = Path(os.path.commonpath(parents)) if parents else output
    except ValueError:  # different drives (Windows): keep the whole path below the drive
        root = None

    def relative(path: Path) -> Path:
        full = absolute[path]
        if root is not None:
            return full.relative_to(root)
        return Path(*full.parts[1:])

    stems: dict[str, list[Path]] = {}
    for path in unique:
        rel = relative(path)
        stems.setdefault(os.path.normcase(str(rel.with_suffix(""))), []).append(path)
    blends: dict[Path, Path] = {}
    for group in stems.values():
        for path in group:
            rel = relative(path)
            name = rel.name + ".blend" if len(group) > 1 else rel.stem + ".blend"
            blends[path] = output / rel.parent / name
    planned: list[Planned] = []
    for path in inputs:
        first = seen[_key(path)]
        planned.append(Planned(path, blends[first], None if first is path else first))
    return planned


def check_writable(folder: Path) -> str | None:
    """None when files can be created in ``folder`` (created if missing), else why not (for the user)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return f"cannot write to the output folder '{folder}': {exc.strerror or exc}"
    return None
