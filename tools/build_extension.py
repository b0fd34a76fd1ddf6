"""Build the installable Head Motion extension: one zip per Blender Python and platform, with its wheels.

    python tools/build_extension.py --bpy .venv/bpy-5.0.1 --dist dist [--python 3.11 3.13] \
        [--platforms linux-x64 windows-x64 macos-arm64] [--offline] [--wheelhouse DIR] [--build-dir DIR]

Blender 4.2-5.0 embed Python 3.11 and Blender 5.1+ Python 3.13 (numpy 2), and compiled wheels are made for
one Python, so there are two sets of zips (``runtime_deps.FLAVOURS``), named
``head_motion-<version>-blender4.2-5.0-<platform>.zip`` (mediapipe for the face landmarks; manifest
``blender_version_min = "4.2.0"``, ``blender_version_max = "5.1.0"``, the first version NOT supported) and
``head_motion-<version>-blender5.1-up-<platform>.zip`` (LiteRT for the face landmarks, ``core/video/litert_face.py``;
``blender_version_min = "5.1.0"``, no maximum). For each set:

1. For each platform, find a wheel of every pin in the set's pin file (``tools/runtime_wheels.txt``,
   ``tools/runtime_wheels_py313.txt``: the run-time import closure, see ``tools/runtime_deps.py``) for that
   Python in the wheelhouses: the per-platform download cache (``--wheelhouse``, default
   ``$HEAD_MOTION_WHEELHOUSE/platforms``, i.e. ``~/.cache/head-motion/wheelhouse/platforms``) and the test
   wheelhouse (``.../wheelhouse/py311`` that ``make env`` fills, ``.../py313`` that
   ``tools/setup_py313.sh`` fills; linux-x64). Missing ones are downloaded with ``pip download --no-deps
   --only-binary=:all:`` for that platform and Python, unless ``--offline``; a wheel still missing is an
   error.
2. Stage ``build/extension/<set>``: the files the manifest ships (``tools/extension_dev.extension_files``),
   ``wheels/*.whl``, and a manifest with the Blender range, ``platforms`` and ``wheels`` filled in.
3. Run Blender's own ``blender_ext.py build --split-platforms`` (from the ``--bpy`` Blender) — one zip per
   platform that holds only that platform's wheels — and ``blender_ext.py validate`` on every zip.
4. Print each zip's size and wheel count.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

from packaging import tags
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from runtime_deps import FLAVOURS, Flavour, extension_files, read_pins  # noqa: E402

WHEELHOUSE_ROOT = Path(os.environ.get("HEAD_MOTION_WHEELHOUSE", Path.home() / ".cache" / "head-motion" / "wheelhouse"))


def test_wheelhouse(flavour: Flavour) -> Path:
    """The wheelhouse the test environment of ``flavour`` is installed from (linux-x64 + pure wheels):
    ``py311`` (tools/setup_env.sh), ``py313`` (tools/setup_py313.sh)."""
    return WHEELHOUSE_ROOT / f"py{flavour.python[0]}{flavour.python[1]}"


DEFAULT_PLATFORMS = ("linux-x64", "windows-x64", "macos-arm64")


def _macos(arch: str, newest: int = 14) -> list[str]:
    # onnxruntime 1.31 ships macOS wheels for 14.0+ only (arm64 only); Blender 4.2 itself needs 11.2+.
    out = [f"macosx_{major}_0_{a}" for major in range(newest, 10, -1) for a in (arch, "universal2")]
    return out + [f"macosx_10_{minor}_{a}" for minor in range(16, 8, -1) for a in (arch, "universal2")]


# Wheel platform tags each Blender platform accepts, most preferred first.
PLATFORM_TAGS: dict[str, list[str]] = {
    # Blender 4.2+ official Linux builds need glibc 2.28 (Rocky 8): manylinux_2_28 and older.
    "linux-x64": [f"manylinux_2_{minor}_x86_64" for minor in range(28, 16, -1)] + ["manylinux2014_x86_64"],
    "linux-arm64": [f"manylinux_2_{minor}_aarch64" for minor in range(28, 16, -1)] + ["manylinux2014_aarch64"],
    "windows-x64": ["win_amd64"],
    "windows-arm64": ["win_arm64"],
    "macos-arm64": _macos("arm64"),
    "macos-x64": _macos("x86_64"),
}


class BuildError(RuntimeError):
    pass


@functools.cache
def supported_tags(platform: str, python: tuple[int, int] = (3, 11)) -> tuple[tags.Tag, ...]:
    """The wheel tags CPython ``python`` accepts on ``platform``, most preferred first."""
    plats = PLATFORM_TAGS[platform]
    abi = f"cp{python[0]}{python[1]}"
    return (
        *tags.cpython_tags(python, abis=[abi], platforms=plats),
        *tags.compatible_tags(python, abi, plats),
    )


def find_wheel(
    name: str, version: str, platform: str, dirs: list[Path], prefer: set[str], python: tuple[int, int] = (3, 11)
) -> Path | None:
    """The best wheel of ``name==version`` for ``platform`` and ``python`` in ``dirs`` (``prefer``: names
    already staged)."""
    rank = {tag: i for i, tag in enumerate(supported_tags(platform, python))}
    want_name, want_version = canonicalize_name(name), Version(version)
    best: tuple[tuple[int, int], Path] | None = None
    for folder in dirs:
        if not folder.is_dir():
            continue
        for path in folder.glob("*.whl"):
            try:
                wname, wversion, _, wtags = parse_wheel_filename(path.name)
            except ValueError:
                continue
            if wname != want_name or wversion != want_version:
                continue
            ranks = [rank[t] for t in wtags if t in rank]
            if not ranks:
                continue
            key = (0 if path.name in prefer else 1, min(ranks))
            if best is None or key < best[0]:
                best = (key, path)
    return best[1] if best else None


def pip_download(pins: list[str], platform: str, dest: Path, flavour: Flavour) -> None:
    """Download ``pins`` for ``platform`` and the flavour's Python into ``dest``; what cannot be found is
    reported by the caller."""
    dest.mkdir(parents=True, exist_ok=True)
    base = [
        sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "-q", "--no-deps",
        "--only-binary=:all:", "--python-version", ".".join(map(str, flavour.python)), "--implementation", "cp",
        "--abi", flavour.tag, "--abi", "abi3", "--abi", "none",
        *(arg for tag in PLATFORM_TAGS[platform] for arg in ("--platform", tag)),
        "-d", str(dest),
    ]  # fmt: skip
    print(f"downloading {len(pins)} wheel(s) for {platform}: {' '.join(pins)}", flush=True)
    if subprocess.run([*base, *pins], capture_output=True, text=True, check=False).returncode == 0:
        return
    for pin in pins:  # pip gives up on the whole batch when one pin has no wheel: get the others one by one
        proc = subprocess.run([*base, pin], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            errors = [line for line in proc.stderr.splitlines() if line.startswith("ERROR:")]
            print(f"  {platform}: pip found no wheel for {pin}: {errors[0] if errors else proc.stderr[-300:]}")


def collect_wheels(
    platforms: list[str], flavour: Flavour, wheelhouse: Path, offline: bool
) -> dict[str, list[Path]]:
    """``{platform: [wheel paths]}``, one wheel per pin of ``flavour``; raises :class:`BuildError` listing
    every gap."""
    pins = read_pins(flavour.pins)
    chosen: dict[str, list[Path]] = {}
    staged: set[str] = set()
    missing: list[str] = []
    for platform in platforms:
        dirs = [wheelhouse / platform, test_wheelhouse(flavour)]

        def lookup(name, version, platform=platform, dirs=dirs):
            return find_wheel(name, version, platform, dirs, staged, flavour.python)

        absent = [f"{n}=={v}" for n, v in pins.values() if lookup(n, v) is None]
        if absent and not offline:
            pip_download(absent, platform, wheelhouse / platform, flavour)
        wheels = []
        for name, version in pins.values():
            path = lookup(name, version)
            if path is None:
                missing.append(f"{platform}: {name}=={version}")
                continue
            wheels.append(path)
            staged.add(path.name)
        chosen[platform] = wheels
    if missing:
        hint = " (run without --offline to download them)" if offline else ""
        raise BuildError(f"no {flavour.tag} wheel found for\n  " + "\n  ".join(missing) + hint)
    share_multi_platform_wheels(chosen, flavour.python)
    return chosen


def installs_on(wheel: Path, platform: str, python: tuple[int, int] = (3, 11)) -> bool:
    return not parse_wheel_filename(wheel.name)[3].isdisjoint(supported_tags(platform, python))


def share_multi_platform_wheels(chosen: dict[str, list[Path]], python: tuple[int, int] = (3, 11)) -> None:
    """Where a wheel chosen for one platform installs on another too (macOS ``universal2``), use it there as
    well: Blender puts every wheel whose tags match a platform into that platform's zip, so two different
    wheels of one distribution must never both match. Replacements only go towards wheels that cover more of
    the platforms (then the larger name), so this terminates."""
    platforms = list(chosen)

    def order(wheel: Path):
        return (sum(installs_on(wheel, p, python) for p in platforms), wheel.name)

    changed = True
    while changed:
        changed = False
        for platform, wheels in chosen.items():
            for i, wheel in enumerate(wheels):
                name = parse_wheel_filename(wheel.name)[0]
                for other in {w for ws in chosen.values() for w in ws}:
                    if (
                        parse_wheel_filename(other.name)[0] == name
                        and order(other) > order(wheel)
                        and installs_on(other, platform, python)
                    ):
                        wheels[i] = wheel = other
                        changed = True


def blender_ext_path(bpy_root: Path) -> Path:
    """``blender_ext.py`` of the Blender at ``bpy_root`` (the folder holding ``bpy/``, or ``bpy/`` itself)."""
    for base in (bpy_root, bpy_root / "bpy"):
        found = sorted(base.glob("[0-9]*.[0-9]*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
        if found:
            return found[-1]
    raise BuildError(f"no Blender found at {bpy_root} (expected bpy/<version>/scripts/addons_core/bl_pkg)")


def load_blender_ext(path: Path):
    spec = importlib.util.spec_from_file_location("_head_motion_blender_ext", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_platform_split(blender_ext, chosen: dict[str, list[Path]]) -> None:
    """Blender assigns wheels to platforms by their tags: every zip must get exactly the wheels chosen for it."""
    union = sorted({f"./wheels/{p.name}" for wheels in chosen.values() for p in wheels})
    for platform, wheels in chosen.items():
        got = set(blender_ext.paths_filter_wheels_by_platform(union, platform))
        want = {f"./wheels/{p.name}" for p in wheels}
        if got != want:
            raise BuildError(
                f"{platform}: Blender would bundle {sorted(got - want)} besides / {sorted(want - got)} instead of "
                "the chosen wheels (a wheel of one platform matches another's tags)"
            )


def staged_manifest(source: str, platforms: list[str], wheels: list[str], flavour: Flavour) -> str:
    """``source`` with the flavour's Blender range (``blender_version_min`` replaced, ``blender_version_max``
    added when it has one) and top-level ``platforms`` and ``wheels`` inserted before the first table."""
    data = tomllib.loads(source)
    if "platforms" in data or "wheels" in data or "blender_version_max" in data:
        raise BuildError("the source blender_manifest.toml must not set platforms/wheels/blender_version_max "
                         "(the build fills them)")
    if Version(data["blender_version_min"]) > Version(FLAVOURS[(3, 11)].blender_min):
        raise BuildError("blender_version_min of the source manifest is above the oldest Blender built for")

    def toml_list(items):
        return "[\n" + "".join(f'  "{item}",\n' for item in items) + "]\n"

    lines = [
        f'blender_version_min = "{flavour.blender_min}"  # set by tools/build_extension.py\n'
        if line.startswith("blender_version_min") else line
        for line in source.splitlines(keepends=True)
    ]  # fmt: skip
    at = next((i for i, line in enumerate(lines) if line.lstrip().startswith("[")), len(lines))
    python = ".".join(map(str, flavour.python))
    generated = [
        "# Filled in by tools/build_extension.py.\n",
        f"# {flavour.tag} wheels inside: for the Blender versions that embed Python {python}.\n",
    ]
    if flavour.blender_max:
        generated.append(f'blender_version_max = "{flavour.blender_max}"\n')
    generated += [f"platforms = {toml_list(platforms)}", f"wheels = {toml_list(wheels)}\n"]
    text = "".join(lines[:at]) + "".join(generated) + "".join(lines[at:])
    parsed = tomllib.loads(text)
    assert parsed["platforms"] == platforms and parsed["wheels"] == wheels
    assert parsed["blender_version_min"] == flavour.blender_min
    assert parsed.get("blender_version_max") == flavour.blender_max
    return text


def stage(build_dir: Path, chosen: dict[str, list[Path]], platforms: list[str], flavour: Flavour) -> None:
    if build_dir.exists():
        shutil.rmtree(build_dir)
    for rel in extension_files(ROOT):
        if rel.as_posix() == "blender_manifest.toml":
            continue
        target = build_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
    (build_dir / "wheels").mkdir(parents=True)
    names: list[str] = []
    for wheels in chosen.values():
        for path in wheels:
            if path.name in names:
                continue
            names.append(path.name)
            target = build_dir / "wheels" / path.name
            try:
                os.link(path, target)
            except OSError:
                shutil.copy2(path, target)
    manifest = staged_manifest(
        (ROOT / "blender_manifest.toml").read_text(encoding="utf-8"),
        platforms,
        [f"./wheels/{n}" for n in names],
        flavour,
    )
    (build_dir / "blender_manifest.toml").write_text(manifest, encoding="utf-8")


def run_tool(blender_ext: Path, *args: str) -> str:
    proc = subprocess.run([sys.executable, str(blender_ext), *args], capture_output=True, text=True, check=False)
    output = proc.stdout + proc.stderr
    if proc.returncode != 0 or "FATAL_ERROR" in output or "ERROR:" in output:
        raise BuildError(f"blender_ext.py {args[0]} failed (exit {proc.returncode}):\n{output}")
    return output


def build(args: argparse.Namespace) -> list[Path]:
    for platform in args.platforms:
        if platform not in PLATFORM_TAGS:
            raise BuildError(f"unknown platform {platform!r} (known: {', '.join(PLATFORM_TAGS)})")
    manifest = tomllib.loads((ROOT / "blender_manifest.toml").read_text(encoding="utf-8"))
    tool = blender_ext_path(args.bpy)
    print(f"Blender extension tool: {tool}")
    args.dist.mkdir(parents=True, exist_ok=True)
    zips = []
    for python in args.python:
        flavour = FLAVOURS[python]
        chosen = collect_wheels(args.platforms, flavour, args.wheelhouse, args.offline)
        check_platform_split(load_blender_ext(tool), chosen)
        staging = args.build_dir / flavour.label
        stage(staging, chosen, args.platforms, flavour)
        # Blender's tool names the zips <id>-<version>-<platform>.zip: build into a folder of their own, then
        # name them after the Blender versions they are for.
        out = args.build_dir / f"{flavour.label}-zips"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        run_tool(tool, "build", "--source-dir", str(staging), "--output-dir", str(out), "--split-platforms")
        stem = f"{manifest['id']}-{manifest['version']}"
        for platform in args.platforms:
            suffix = platform.replace("-", "_") + ".zip"
            built = out / f"{stem}-{suffix}"
            if not built.is_file():
                raise BuildError(f"blender_ext.py build did not write {built}")
            path = args.dist / f"{stem}-{flavour.label}-{suffix}"
            path.unlink(missing_ok=True)
            shutil.move(built, path)
            run_tool(tool, "validate", str(path))
            zips.append(path)
    return zips


def report(zips: list[Path]) -> None:
    print()
    print(f"{'zip':<50} {'size (MB)':>9} {'wheels':>6}  largest wheels (MB)")
    for path in zips:
        with zipfile.ZipFile(path) as zf:
            wheels = sorted(
                ((i.filename.removeprefix("wheels/"), i.file_size) for i in zf.infolist()
                 if i.filename.startswith("wheels/") and i.filename.endswith(".whl")),
                key=lambda item: -item[1],
            )  # fmt: skip
        top = ", ".join(f"{name.split('-')[0]} {size / 1e6:.1f}" for name, size in wheels[:4])
        print(f"{path.name:<50} {path.stat().st_size / 1e6:>9.1f} {len(wheels):>6}  {top}")
    print("validated: " + ", ".join(p.name for p in zips))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bpy", type=Path, required=True, help="folder holding Blender's bpy module (.venv/bpy-X)")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="where the zips go (default: dist)")
    parser.add_argument("--platforms", nargs="+", default=list(DEFAULT_PLATFORMS), metavar="PLATFORM",
                        help=f"Blender platforms (default: {' '.join(DEFAULT_PLATFORMS)}; known: "
                        f"{' '.join(PLATFORM_TAGS)})")  # fmt: skip
    parser.add_argument("--python", nargs="+", default=[".".join(map(str, v)) for v in FLAVOURS], metavar="X.Y",
                        help="Blender Pythons to build for (default: %(default)s; 3.11 = Blender 4.2-5.0, "
                        "3.13 = Blender 5.1+)")  # fmt: skip
    parser.add_argument("--offline", action="store_true", help="use only the wheelhouses, never download")
    parser.add_argument("--wheelhouse", type=Path, default=WHEELHOUSE_ROOT / "platforms",
                        help="per-platform wheel cache (default: %(default)s)")  # fmt: skip
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build" / "extension",
                        help="staging folder, replaced on every run (default: build/extension)")  # fmt: skip
    args = parser.parse_args(argv)
    args.platforms = list(dict.fromkeys(args.platforms))
    try:
        args.python = list(dict.fromkeys(tuple(int(part) for part in v.split(".")) for v in args.python))
    except ValueError:
        parser.error(f"--python takes versions such as 3.11, got {args.python}")
    for python in args.python:
        if python not in FLAVOURS:
            parser.error(f"no zips are built for Python {'.'.join(map(str, python))} (known: 3.11, 3.13)")
    try:
        zips = build(args)
    except BuildError as ex:
        print(f"build_extension: error: {ex}", file=sys.stderr)
        return 1
    report(zips)
    return 0


if __name__ == "__main__":
    sys.exit(main())
