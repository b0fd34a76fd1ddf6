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


#: Folders of the extension whose modules must stay small (one job each).
LAYERS = ("core", "anim", "operators", "ui", "properties")
MAX_LINES = 500
MAX_CORE_TOP_LEVEL = 12


def test_relative_imports_in_core_never_leave_core():
    """core/ never imports the Blender side: no relative import climbs above core/ (to anim, operators, ui...)."""
    for path in sorted((ROOT / "core").rglob("*.py")):
        depth = len(path.relative_to(ROOT / "core").parts)  # core/x.py: 1; core/voice/x.py: 2
        for node, module, level, _ in _imports(path):
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            assert level <= depth, f"{where} imports '{'.' * level}{module}', outside core/"


def test_no_module_is_over_500_lines():
    too_long = []
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            lines = len(path.read_text().splitlines())
            if lines > MAX_LINES:
                too_long.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert not too_long, "split these modules (one job each): " + ", ".join(too_long)


def test_core_is_grouped_by_stage_with_a_small_top_level():
    top = sorted(p.name for p in (ROOT / "core").glob("*.py"))
    assert len(top) <= MAX_CORE_TOP_LEVEL, f"core/ has {len(top)} top-level modules: {top}"
    for stage in ("voice", "motion", "video", "rig"):
        assert (ROOT / "core" / stage / "__init__.py").is_file(), f"core/{stage}/ is a package"


def test_every_core_module_says_what_it_holds():
    for path in sorted((ROOT / "core").rglob("*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text()))
        assert doc and len(doc) > 20, f"{path.relative_to(ROOT)} has no docstring saying what it holds"


def test_panels_depend_on_settings_not_on_operators():
    for path in sorted((ROOT / "ui").rglob("*.py")):
        for node, module, _, _ in _imports(path):
            target = (node.module or "") if isinstance(node, ast.ImportFrom) else module
            assert not target.startswith("operators"), f"{path.relative_to(ROOT)}:{node.lineno} imports operators"


def test_blender_version_probes_live_in_compat():
    """Version differences are probed in anim/compat.py only (hasattr on bpy types, bpy.app.version)."""
    probes = []
    for layer in ("anim", "operators", "ui", "properties"):
        for path in sorted((ROOT / layer).rglob("*.py")):
            if path.name == "compat.py":
                continue
            text = path.read_text()
            for needle in ("bpy.app.version", "hasattr(bpy.", "hasattr(editor", "hasattr(strip",
                           "hasattr(render", "hasattr(scene.render", "hasattr(id_data"):
                if needle in text:
                    probes.append(f"{path.relative_to(ROOT)}: {needle}")
    for path in (ROOT / "batch.py", ROOT / "api.py"):
        if "hasattr(bpy." in path.read_text():
            probes.append(f"{path.name}: hasattr(bpy.")
    assert not probes, "move these version probes to anim/compat.py: " + ", ".join(probes)
