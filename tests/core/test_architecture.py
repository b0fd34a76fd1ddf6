"""Architecture rules that keep core/ usable without Blender."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BLENDER_MODULES = {"bpy", "mathutils", "bmesh", "aud", "bpy_extras", "gpu", "bl_math"}
#: Optional heavy libraries: core may only import them inside functions (lazily).
LAZY_ONLY = {"mediapipe", "librosa", "onnxruntime", "cv2", "soundfile", "scipy", "torch"}


def _imports(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    top_level = set(map(id, tree.body))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name.split(".")[0], 0, id(node) in top_level
        elif isinstance(node, ast.ImportFrom):
            yield node, (node.module or "").split(".")[0], node.level, id(node) in top_level


def test_core_imports_no_blender_module_and_only_relative_project_imports():
    files = sorted((ROOT / "core").rglob("*.py"))
    assert files
    for path in files:
        for node, module, level, _ in _imports(path):
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            assert module not in BLENDER_MODULES, f"{where} imports {module}"
            if level == 0:
                assert module not in {"core", "head_motion", "anim", "operators", "ui"}, (
                    f"{where}: use relative imports inside core/")


def test_optional_libraries_are_imported_lazily():
    for path in sorted((ROOT / "core").rglob("*.py")):
        for node, module, _, top in _imports(path):
            if module in LAZY_ONLY:
                assert not top, f"{path.relative_to(ROOT)}:{node.lineno} imports {module} at module level"


def test_core_package_imports_in_a_plain_python_without_bpy():
    code = (
        "import importlib, pkgutil, sys; sys.path.insert(0, sys.argv[1]); import core; "
        "[importlib.import_module('core.' + m.name) for m in pkgutil.iter_modules(core.__path__)]; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{sorted(BLENDER_MODULES | LAZY_ONLY)!r}); print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
