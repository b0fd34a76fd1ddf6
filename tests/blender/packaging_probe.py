"""Install a built Head Motion zip into a fresh Blender user directory and report what works (run by
``test_packaging.py`` in a subprocess, never imported by pytest).

    BLENDER_USER_RESOURCES=<empty dir> PYTHONPATH=<bpy root>:<blender python shim> \
        python -S tests/blender/packaging_probe.py ZIP [--op head_motion.generate_bake ...]

``BLENDER_USER_RESOURCES`` must point at a fresh directory before ``bpy`` is imported. The caller runs this
with ``-S`` and a ``PYTHONPATH`` holding only Blender (``bpy``) and the distributions Blender bundles
(numpy, ...), like Blender's own Python: every other import must come from the wheels the extension
installed. The last stdout line is ``@@PROBE@@`` followed by a JSON report.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from pathlib import Path

REPORT: dict = {"errors": {}}


def _attempt(key: str, fn):
    try:
        value = fn()
    except Exception:
        REPORT["errors"][key] = traceback.format_exc(limit=-8)
        return None
    REPORT[key] = value
    return value


def _module_file(name: str):
    import importlib

    module = importlib.import_module(name)
    return str(Path(module.__file__).resolve())


def _face_landmarks(module: str):
    """The installed extension's face-landmark backend runs (on a blank frame: no face): its name."""
    import importlib

    import numpy as np

    video = importlib.import_module(f"{module}.core.video")
    landmarks = importlib.import_module(f"{module}.core.video.landmarks")
    landmarker = landmarks.Landmarker(video.EstimationSettings())
    try:
        assert landmarker.process(np.zeros((64, 64, 3), np.uint8)) == []
        return "mediapipe" if landmarker._mediapipe else "litert"
    finally:
        landmarker.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("zip", type=Path)
    parser.add_argument("--op", action="append", default=[], help="operator idname that must exist")
    parser.add_argument("--import", dest="imports", action="append", default=[], help="module to import")
    args = parser.parse_args()

    user_dir = Path(os.environ["BLENDER_USER_RESOURCES"]).resolve()
    REPORT["user_dir"] = str(user_dir)
    REPORT["user_dir_was_empty"] = not user_dir.exists() or not any(user_dir.iterdir())

    import bpy  # after BLENDER_USER_RESOURCES is set (by the caller's environment)

    REPORT["blender_version"] = list(bpy.app.version)
    repos = bpy.context.preferences.extensions.repos
    REPORT["repos"] = [
        {"module": r.module, "name": r.name, "remote": bool(r.use_remote_url), "directory": r.directory} for r in repos
    ]
    # `user_default` ("User Default") is the local repository of a fresh 4.2 and 5.0 alike; fall back to any
    # local repository so a renamed default still installs (the report says which one was used).
    local = [r for r in repos if not r.use_remote_url and getattr(r, "source", "USER") != "SYSTEM"]
    repo = next((r for r in local if r.module == "user_default"), local[0] if local else None)
    if repo is None:
        REPORT["errors"]["repo"] = "no local user repository"
        print("@@PROBE@@" + json.dumps(REPORT))
        return 1
    REPORT["repo_module"] = repo.module
    REPORT["addon_module"] = module = f"bl_ext.{repo.module}.head_motion"

    _attempt(
        "install_result",
        lambda: sorted(
            bpy.ops.extensions.package_install_files(
                filepath=str(args.zip.resolve()), repo=repo.module, enable_on_install=True
            )
        ),
    )
    REPORT["addons"] = sorted(bpy.context.preferences.addons.keys())
    REPORT["enabled"] = module in bpy.context.preferences.addons
    _attempt("package_file", lambda: _module_file(module))
    _attempt(
        "extensions_site_packages",
        lambda: str(Path(bpy.utils.user_resource("EXTENSIONS", path=".local")).resolve()),
    )

    ops = {}
    for idname in args.op:
        category, _, name = idname.partition(".")
        entry = {"exists": hasattr(getattr(bpy.ops, category), name)}
        if entry["exists"]:
            try:
                entry["rna_type"] = getattr(getattr(bpy.ops, category), name).get_rna_type().identifier
            except Exception as ex:
                entry["rna_error"] = repr(ex)
        ops[idname] = entry
    REPORT["operators"] = ops
    REPORT["registered_head_motion_ops"] = sorted(dir(bpy.ops.head_motion))
    REPORT["scene_property"] = hasattr(bpy.types.Scene, "head_motion")
    _attempt("scene_settings_type", lambda: type(bpy.context.scene.head_motion).__name__)

    REPORT["module_files"] = {}
    for name in args.imports:
        _attempt(f"import:{name}", lambda name=name: _module_file(name))
        if f"import:{name}" in REPORT:
            REPORT["module_files"][name] = REPORT.pop(f"import:{name}")
    _attempt("face_landmarks", lambda: _face_landmarks(module))
    REPORT["sys_path"] = sys.path
    print("@@PROBE@@" + json.dumps(REPORT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
