"""Packaging: the linux-x64 zip ``make build`` makes for this Python is valid, installs, enables and brings
its wheels (Python 3.11: the Blender 4.2-5.0 zip with mediapipe; Python 3.13: the Blender 5.1+ zip with
LiteRT).

The zip is built offline (wheels from the ``make env`` wheelhouse) with ``tools/build_extension.py``, i.e.
with Blender's own ``blender_ext.py build`` and ``validate`` of the Blender under test. It is then
installed with ``bpy.ops.extensions.package_install_files`` in a *subprocess*
(``packaging_probe.py``): a fresh, empty ``BLENDER_USER_RESOURCES`` and a Python started with ``-S``
whose ``PYTHONPATH`` holds only ``bpy`` and the distributions Blender bundles (numpy, requests, ...), the
way Blender's own Python looks. So mediapipe (or ai_edge_litert), cv2 and onnxruntime can only be
imported from the wheels the zip installed, and a wheel missing from the pin file fails here. This process (where
``conftest.py`` enabled the extension from source) is left untouched.
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path, PurePosixPath

import bpy
import pytest
from packaging.utils import canonicalize_name, parse_wheel_filename

ROOT = Path(__file__).resolve().parents[2]
BLENDER_EXT = "bpy/[0-9]*.[0-9]*/scripts/addons_core/bl_pkg/cli/blender_ext.py"
# .venv/bpy-<version>: the folder holding the bpy package (bpy.__file__ is bpy/<ver>/scripts/modules/bpy/...).
BPY_ROOT = next(p for p in Path(bpy.__file__).parents if any(p.glob(BLENDER_EXT)))
PROBE = Path(__file__).with_name("packaging_probe.py")
PLATFORM = "linux-x64"
FORBIDDEN_TOP = {"tests", "tools", "training", "benchmarks", "farm", "docs", "dist", "build", "requirements",
                 "demo_output"}


def _load_tool(name: str):
    spec = importlib.util.spec_from_file_location(f"_head_motion_{name}", ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


runtime_deps = _load_tool("runtime_deps")
extension_files = runtime_deps.extension_files
FLAVOUR = runtime_deps.current_flavour()
#: Modules that must import from the installed wheels, and the landmark backend the zip's estimator runs.
PROBE_IMPORTS, BACKEND = {
    (3, 11): (("mediapipe", "cv2", "onnxruntime", "matplotlib"), "mediapipe"),
    (3, 13): (("ai_edge_litert", "cv2", "onnxruntime"), "litert"),
}[FLAVOUR.python]


def _blender_ext() -> Path:
    return next(BPY_ROOT.glob(BLENDER_EXT))


def _operator_idnames() -> set[str]:
    """``bl_idname`` of every operator class in the shipped sources (``head_motion.*``)."""
    found = {"head_motion.generate_bake"}
    for rel in extension_files(ROOT):
        if rel.suffix != ".py":
            continue
        for node in ast.walk(ast.parse((ROOT / rel).read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "bl_idname" for t in node.targets)
                and isinstance(node.value, ast.Constant)
                and str(node.value.value).startswith("head_motion.")
            ):
                found.add(node.value.value)
    return found


def _blender_python_shim(dest: Path) -> None:
    """Symlink ``bpy`` and the venv's copies of what Blender bundles (numpy, ...) into ``dest``, nothing else."""
    dest.mkdir(parents=True)
    (dest / "bpy").symlink_to(BPY_ROOT / "bpy", target_is_directory=True)
    for name in sorted(FLAVOUR.bundled):
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        tops = {PurePosixPath(str(f)).parts[0] for f in dist.files or () if not str(f).startswith("..")}
        for top in sorted(tops - {"__pycache__"}):
            source = Path(dist.locate_file(top))
            if source.exists() and not (dest / top).exists():
                (dest / top).symlink_to(source, target_is_directory=source.is_dir())


@pytest.fixture(scope="module")
def workdir():
    path = Path(tempfile.mkdtemp(prefix="head_motion_packaging_"))
    yield path
    shutil.rmtree(path, ignore_errors=True)  # the installed extension alone is ~0.5 GB


@pytest.fixture(scope="module")
def built(workdir):
    """(build process, zip path) for an offline linux-x64 build of this Python's zip with this Blender's tool."""
    python = ".".join(map(str, FLAVOUR.python))
    cmd = [
        sys.executable, str(ROOT / "tools" / "build_extension.py"), "--bpy", str(BPY_ROOT),
        "--dist", str(workdir / "dist"), "--build-dir", str(workdir / "build"),
        "--platforms", PLATFORM, "--python", python, "--offline",
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    manifest = tomllib.loads((ROOT / "blender_manifest.toml").read_text(encoding="utf-8"))
    name = f"{manifest['id']}-{manifest['version']}-{FLAVOUR.label}-{PLATFORM.replace('-', '_')}.zip"
    return proc, workdir / "dist" / name


@pytest.fixture(scope="module")
def zip_path(built):
    proc, path = built
    assert proc.returncode == 0, f"build failed:\n{proc.stdout}\n{proc.stderr}"
    assert path.is_file()
    return path


@pytest.fixture(scope="module")
def probe(zip_path, workdir):
    """The JSON report of packaging_probe.py after installing the zip into a fresh user directory."""
    user_dir = workdir / "user"
    shim = workdir / "blender_python"
    _blender_python_shim(shim)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME", "PYTHONSTARTUP", "PYTHONPATH")}
    env["BLENDER_USER_RESOURCES"] = str(user_dir)
    env["PYTHONPATH"] = str(shim)
    cmd = [sys.executable, "-S", str(PROBE), str(zip_path)]
    cmd += [arg for op in sorted(_operator_idnames()) for arg in ("--op", op)]
    cmd += [arg for name in PROBE_IMPORTS for arg in ("--import", name)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=workdir, timeout=600, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("@@PROBE@@")]
    assert proc.returncode == 0 and lines, f"probe failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    report = json.loads(lines[-1].removeprefix("@@PROBE@@"))
    report["_output"] = proc.stdout[-4000:] + proc.stderr[-4000:]
    return report


def test_runtime_wheels_match_the_import_closure():
    measured = runtime_deps.expected_pins(runtime_deps.closure())
    problems = runtime_deps.compare(measured, runtime_deps.read_pins(FLAVOUR.pins))
    stale = f"{FLAVOUR.pins.name} is stale (python tools/runtime_deps.py --write):\n"
    assert not problems, stale + "\n".join(problems)


def test_build_validates_with_blenders_tool(built, zip_path):
    proc, _ = built
    assert f"validated: {zip_path.name}" in proc.stdout
    check = subprocess.run(
        [sys.executable, str(_blender_ext()), "validate", str(zip_path)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Success" in check.stdout


def test_zip_ships_the_sources_and_the_runtime_wheels_only(zip_path):
    with zipfile.ZipFile(zip_path) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
        manifest = tomllib.loads(zf.read("blender_manifest.toml").decode())
    for name in names:
        parts = PurePosixPath(name).parts
        assert parts[0] not in FORBIDDEN_TOP, name
        assert not parts[0].startswith("."), name  # .venv, .git, .ci, ...
        assert "__pycache__" not in parts and not name.endswith(".pyc"), name

    wheels = sorted(n for n in names if n.startswith("wheels/"))
    sources = set(names) - set(wheels) - {"blender_manifest.toml"}
    assert sources == {p.as_posix() for p in extension_files(ROOT)} - {"blender_manifest.toml"}

    shipped = {}
    for wheel in wheels:
        name, version, _, _ = parse_wheel_filename(PurePosixPath(wheel).name)
        assert name not in shipped, f"two wheels of {name}"
        shipped[name] = str(version)
    pins = runtime_deps.read_pins(FLAVOUR.pins)
    assert shipped == {canonicalize_name(n): v for n, v in pins.values()}
    assert not {canonicalize_name(n) for n in FLAVOUR.bundled} & shipped.keys()
    for wheel in wheels:  # every compiled wheel is for this Python
        abis = {t.abi for t in parse_wheel_filename(PurePosixPath(wheel).name)[3]}
        assert abis <= {FLAVOUR.tag, "abi3", "none"}, wheel

    assert manifest["blender_version_min"] == FLAVOUR.blender_min
    assert manifest.get("blender_version_max") == FLAVOUR.blender_max
    assert manifest["build"]["generated"]["platforms"] == [PLATFORM]
    assert sorted(manifest["build"]["generated"]["wheels"]) == sorted(f"./{w}" for w in wheels)


def test_installs_enabled_into_a_fresh_user_directory(probe):
    assert probe["user_dir_was_empty"], probe
    assert probe.get("install_result") == ["FINISHED"], probe["errors"].get("install_result", probe["_output"])
    assert probe["repo_module"] == "user_default", probe["repos"]
    assert probe["addon_module"] == "bl_ext.user_default.head_motion"
    assert probe["enabled"], (probe["addons"], probe["_output"])
    package = Path(probe["package_file"])
    assert package.is_relative_to(Path(probe["user_dir"]) / "extensions" / "user_default" / "head_motion")


def test_operators_and_properties_are_registered(probe):
    missing = {op: entry for op, entry in probe["operators"].items() if not entry.get("exists")}
    assert not missing, (missing, probe["registered_head_motion_ops"])
    for op, entry in probe["operators"].items():
        assert entry.get("rna_type", "").endswith("_OT_" + op.split(".", 1)[1]), (op, entry)
    assert probe["scene_property"]
    assert probe.get("scene_settings_type"), probe["errors"]


def test_bundled_wheels_import_from_the_installed_extension(probe):
    python = "python" + ".".join(map(str, FLAVOUR.python))
    site_packages = Path(probe["extensions_site_packages"]) / "lib" / python / "site-packages"
    assert site_packages.is_relative_to(Path(probe["user_dir"]))
    for name in PROBE_IMPORTS:
        assert name in probe["module_files"], probe["errors"].get(f"import:{name}", probe["_output"])
        assert Path(probe["module_files"][name]).is_relative_to(site_packages), (name, probe["module_files"][name])
    assert probe.get("face_landmarks") == BACKEND, probe["errors"].get("face_landmarks", probe["_output"])
