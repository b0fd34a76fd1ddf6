"""The third-party distributions Head Motion imports at run time inside Blender, measured rather than guessed.

A subprocess of the test venv's Python (started with ``-S``, so no ``.pth`` hooks run — Blender adds the
extension wheels to ``sys.path`` the same way) imports what the extension's features import. There is
one closure per Python the zips are built for (:data:`FLAVOURS`; the running Python picks its own):

* video head-pose estimation: on Python 3.11 (Blender 4.2-5.0) ``import mediapipe`` +
  ``mediapipe.solutions.face_mesh``; on Python 3.13 (Blender 5.1+, where mediapipe has no wheel)
  ``core.video.litert_face`` on LiteRT (``ai_edge_litert``). One face mesh is built and run on a blank frame so
  lazily imported modules are caught too,
* ``import cv2`` (video decoding),
* ``import onnxruntime`` (PoseGAN inference),
* every absolute third-party import found in the shipped extension sources (AST scan, including
  imports inside functions), so a new dependency in the add-on code shows up here.

Every module loaded by those imports is mapped to its distribution (``importlib.metadata``), and the
distributions Blender bundles with its own Python (:data:`BLENDER_BUNDLED`) are removed. The result is
what the flavour's pin file (``tools/runtime_wheels.txt``, ``tools/runtime_wheels_py313.txt``) must list
(``make build`` ships exactly that list as wheels).

    python tools/runtime_deps.py            # print the closure (distribution==version, importing modules)
    python tools/runtime_deps.py --check    # exit 1 when the pin file differs
    python tools/runtime_deps.py --write    # rewrite the pins of the pin file

Run it with the Python of the flavour: ``.venv/py311/bin/python`` or ``tools/setup_py313.sh run python``.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import site
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Distributions Blender 4.2-5.0 ship in their bundled Python (`<blender>/<ver>/python/lib/python3.11/
# site-packages`): an extension must not bundle them (Blender's own copy is imported first anyway).
BLENDER_BUNDLED = frozenset(
    {
        "autopep8",
        "certifi",
        "charset-normalizer",
        "cython",
        "idna",
        "numpy",
        "pycodestyle",
        "requests",
        "urllib3",
        "zstandard",
    }
)

# Modules Blender itself provides (not distributions): never looked up in the venv.
BLENDER_MODULES = frozenset(
    {
        "addon_utils",
        "animsys_refactor",
        "aud",
        "bgl",
        "bl_app_override",
        "bl_app_template_utils",
        "bl_console_utils",
        "bl_ext",
        "bl_i18n_utils",
        "bl_keymap_utils",
        "bl_math",
        "bl_operators",
        "bl_previews_utils",
        "bl_rna_utils",
        "bl_text_utils",
        "bl_ui",
        "bl_ui_utils",
        "blf",
        "bmesh",
        "bpy",
        "bpy_extras",
        "bpy_restrict_state",
        "bpy_types",
        "freestyle",
        "gpu",
        "gpu_extras",
        "idprop",
        "imbuf",
        "keyingsets_utils",
        "mathutils",
        "nodeitems_utils",
        "rna_info",
        "rna_keymap_ui",
        "rna_prop_ui",
        "rna_xml",
        "MaterialX",
        "OpenImageIO",
        "PyOpenColorIO",
        "openvdb",
        "oslquery",
        "pxr",
    }
)

# What the features import (see the module docstring). Runs in the probe subprocess.
_MEDIAPIPE_IMPORTS = """
import mediapipe
face_mesh = mediapipe.solutions.face_mesh
import cv2
import onnxruntime
import numpy as np
with face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1, refine_landmarks=True) as mesh:
    mesh.process(np.zeros((64, 64, 3), np.uint8))
"""
_LITERT_IMPORTS = """
import sys
sys.path.insert(0, ROOT)
import cv2
import onnxruntime
import numpy as np
from core.video.litert_face import LiteRtFaceMesh
with LiteRtFaceMesh(static_image_mode=True) as mesh:
    mesh.process(np.zeros((64, 64, 3), np.uint8))
sys.path.remove(ROOT)
"""


@dataclass(frozen=True)
class Flavour:
    """One set of zips: the Python its wheels are for and the Blender versions that embed it.

    ``blender_min`` / ``blender_max``: the manifest's range (``blender_max`` is the first version NOT
    supported; None: open); ``label``: what the zip names carry; ``bundled``: distributions that Blender
    ships in its own Python (never shipped by us); ``unavailable``: third-party modules the sources import
    that have no wheel for this Python (their features fall back or report the missing library)."""

    python: tuple[int, int]
    pins: Path
    lock: Path
    feature_imports: str
    blender_min: str
    blender_max: str | None
    label: str
    bundled: frozenset[str]
    unavailable: frozenset[str] = frozenset()

    @property
    def tag(self) -> str:
        """The CPython ABI tag of its wheels (``cp311``)."""
        return f"cp{self.python[0]}{self.python[1]}"


FLAVOURS: dict[tuple[int, int], Flavour] = {
    (3, 11): Flavour(
        python=(3, 11),
        pins=ROOT / "tools" / "runtime_wheels.txt",
        lock=ROOT / "requirements" / "test-py311.txt",
        feature_imports=_MEDIAPIPE_IMPORTS,
        blender_min="4.2.0",
        blender_max="5.1.0",
        label="blender4.2-5.0",
        bundled=BLENDER_BUNDLED,
    ),
    (3, 13): Flavour(
        python=(3, 13),
        pins=ROOT / "tools" / "runtime_wheels_py313.txt",
        lock=ROOT / "requirements" / "test-py313.txt",
        feature_imports=_LITERT_IMPORTS,
        blender_min="5.1.0",
        blender_max=None,
        label="blender5.1-up",
        # Blender 5.1+ bundles cattrs (and its attrs) besides what 4.2-5.0 bundle (bpy 5.2.3's requirements).
        bundled=BLENDER_BUNDLED | {"cattrs", "attrs"},
        unavailable=frozenset({"mediapipe"}),
    ),
}


def current_flavour() -> Flavour:
    """The flavour of the running Python."""
    try:
        return FLAVOURS[sys.version_info[:2]]
    except KeyError:
        version = ".".join(map(str, sys.version_info[:2]))
        raise SystemExit(f"runtime_deps: no zips are built for Python {version}") from None

_PROBE = r"""
import importlib, importlib.metadata as md, json, os, sys
cfg = json.loads(sys.argv[1])
sys.path.extend(cfg["site_packages"])
baseline = set(sys.modules)
exec(compile(cfg["feature_imports"], "<feature imports>", "exec"), {"ROOT": cfg["root"]})
for name in cfg["extra_modules"]:
    importlib.import_module(name)

top_to_dists = md.packages_distributions()
site_roots = tuple(os.path.realpath(p) + os.sep for p in cfg["site_packages"])
owner_cache = {}

def owners(dist_name):
    if dist_name not in owner_cache:
        files = md.distribution(dist_name).files or ()
        owner_cache[dist_name] = {os.path.realpath(f.locate()) for f in files}
    return owner_cache[dist_name]

found, unknown = {}, []
for name in sorted(set(sys.modules) - baseline):
    top = name.partition(".")[0]
    if top in sys.stdlib_module_names:
        continue
    path = getattr(sys.modules[name], "__file__", None)
    if not path or not os.path.realpath(path).startswith(site_roots):
        continue  # built in, frozen, or created at run time (e.g. Cython's shared `_cython_3_*`)
    candidates = top_to_dists.get(top, [])
    if len(candidates) > 1:  # a namespace package shared by several distributions (e.g. `google`)
        candidates = [d for d in candidates if os.path.realpath(path) in owners(d)]
    if len(candidates) != 1:
        unknown.append(name)
        continue
    dist = md.distribution(candidates[0])
    entry = found.setdefault(dist.metadata["Name"], {"version": dist.version, "modules": []})
    if top not in entry["modules"]:
        entry["modules"].append(top)
print("@@RESULT@@" + json.dumps({"distributions": found, "unknown": unknown}))
"""


def canonical(name: str) -> str:
    """PEP 503 normalised distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path: Path) -> dict[str, tuple[str, str]]:
    """``{canonical name: (name as written, version)}`` from a ``name==version`` requirements file."""
    pins: dict[str, tuple[str, str]] = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep or not version.strip():
            raise ValueError(f"{path}: expected name==version, got {raw!r}")
        pins[canonical(name.strip())] = (name.strip(), version.strip())
    return pins


def extension_files(root: Path = ROOT) -> list[Path]:
    """The files a build of ``root`` ships (``tools/extension_dev.extension_files``), relative to ``root``."""
    tools = str(Path(__file__).resolve().parent)
    added = tools not in sys.path
    if added:
        sys.path.insert(0, tools)
    try:
        import extension_dev
    finally:
        if added:
            sys.path.remove(tools)
    return extension_dev.extension_files(root)


def source_imports(root: Path = ROOT) -> list[str]:
    """Absolute third-party top-level modules imported anywhere in the shipped extension sources."""
    names: set[str] = set()
    for rel in extension_files(root):
        if rel.suffix != ".py":
            continue
        tree = ast.parse((root / rel).read_text(encoding="utf-8"), filename=str(rel))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.partition(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.partition(".")[0])
    return sorted(
        n for n in names if n not in sys.stdlib_module_names and n not in BLENDER_MODULES and n != "__future__"
    )


def closure(flavour: Flavour | None = None, python: str = sys.executable) -> dict[str, dict]:
    """``{distribution: {"version", "modules", "bundled_by_blender"}}`` for the run-time imports of
    ``flavour`` (default: the running Python's), measured with ``python``."""
    flavour = flavour or current_flavour()
    cfg = {
        "site_packages": site.getsitepackages(),
        "feature_imports": flavour.feature_imports,
        "extra_modules": [m for m in source_imports() if m not in flavour.unavailable],
        "root": str(ROOT),
    }
    proc = subprocess.run(
        [python, "-S", "-c", _PROBE, json.dumps(cfg)],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")},
        check=False,
    )
    marker = [line for line in proc.stdout.splitlines() if line.startswith("@@RESULT@@")]
    if proc.returncode != 0 or not marker:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"runtime_deps: the import probe failed (exit {proc.returncode})")
    result = json.loads(marker[-1].removeprefix("@@RESULT@@"))
    if result["unknown"]:
        raise SystemExit(f"runtime_deps: modules owned by no single distribution: {result['unknown']}")
    dists = result["distributions"]
    for name, entry in dists.items():
        entry["bundled_by_blender"] = canonical(name) in flavour.bundled
    return dict(sorted(dists.items(), key=lambda item: canonical(item[0])))


def expected_pins(dists: dict[str, dict]) -> dict[str, tuple[str, str]]:
    return {
        canonical(name): (name, entry["version"]) for name, entry in dists.items() if not entry["bundled_by_blender"]
    }


def compare(
    expected: dict[str, tuple[str, str]], listed: dict[str, tuple[str, str]], flavour: Flavour | None = None
) -> list[str]:
    """Human-readable differences between the measured closure and a pin file (empty when equal)."""
    flavour = flavour or current_flavour()
    pins, lock_path = flavour.pins, flavour.lock
    problems = []
    for key in sorted(expected.keys() - listed.keys()):
        problems.append(f"missing from {pins.name}: {expected[key][0]}=={expected[key][1]}")
    for key in sorted(listed.keys() - expected.keys()):
        problems.append(f"listed but not imported at run time: {listed[key][0]}=={listed[key][1]}")
    for key in sorted(expected.keys() & listed.keys()):
        if expected[key][1] != listed[key][1]:
            problems.append(f"version of {listed[key][0]}: listed {listed[key][1]}, installed {expected[key][1]}")
    lock = read_pins(lock_path)
    for key, (name, version) in sorted(listed.items()):
        if key not in lock:
            problems.append(f"{name} is not pinned in {lock_path.relative_to(ROOT)}")
        elif lock[key][1] != version:
            problems.append(f"{name}=={version} but {lock_path.relative_to(ROOT)} pins {lock[key][1]}")
    for key in sorted(listed.keys() & flavour.bundled):
        problems.append(f"{listed[key][0]} is bundled with Blender and must not be shipped")
    return problems


def write_pins(expected: dict[str, tuple[str, str]], path: Path) -> None:
    """Replace the pins of ``path`` (its leading comment block is kept)."""
    header = []
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                break
            header.append(line)
    body = [f"{name}=={version}" for _, (name, version) in sorted(expected.items())]
    path.write_text("\n".join([*header, *body]) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 when the pin file differs")
    mode.add_argument("--write", action="store_true", help="rewrite the pins of the pin file")
    parser.add_argument("--json", action="store_true", help="print the closure as JSON")
    args = parser.parse_args(argv)

    flavour = current_flavour()
    pins = flavour.pins
    dists = closure(flavour)
    if args.json:
        print(json.dumps(dists, indent=2))
    else:
        print(f"Run-time import closure (Python {flavour.python[0]}.{flavour.python[1]}, {flavour.label} zips):")
        for name, entry in dists.items():
            note = "  [bundled with Blender: not shipped]" if entry["bundled_by_blender"] else ""
            pin = f"{name}=={entry['version']}"
            print(f"  {pin:<44} imports {', '.join(sorted(entry['modules']))}{note}")
    expected = expected_pins(dists)
    if args.write:
        write_pins(expected, pins)
        print(f"wrote {len(expected)} pins to {pins.relative_to(ROOT)}")
        return 0
    if args.check:
        problems = compare(expected, read_pins(pins), flavour)
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        if problems:
            return 1
        print(f"{pins.relative_to(ROOT)}: matches the run-time closure ({len(expected)} wheels)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
