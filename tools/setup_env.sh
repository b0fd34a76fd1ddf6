#!/usr/bin/env bash
# Create the development/test environments from pinned wheels; idempotent and offline after the first run.
#
#   .venv/py311          Python 3.11 venv with requirements/test-py311.txt (installed with --no-deps)
#   .venv/bpy-<version>  Blender as a Python module, one folder per version, put on PYTHONPATH by the tests
#
# Wheels are kept in a wheelhouse outside the checkout (HEAD_MOTION_WHEELHOUSE, default
# ~/.cache/head-motion/wheelhouse) so fresh clones on the same machine install without downloading.
set -euo pipefail
cd "$(dirname "$0")/.."

BPY_VERSIONS=${BPY_VERSIONS:-"5.0.1 4.2.23"}
WHEELHOUSE=${HEAD_MOTION_WHEELHOUSE:-$HOME/.cache/head-motion/wheelhouse}/py311
LOCK=requirements/test-py311.txt
VENV=.venv/py311

source tools/venv_lib.sh
build_venv "$VENV" "$LOCK" "$WHEELHOUSE"

for version in $BPY_VERSIONS; do
    target=.venv/bpy-$version
    [ -f "$target/.installed" ] && continue
    if ! ls "$WHEELHOUSE"/bpy-"$version"-*.whl >/dev/null 2>&1; then
        echo "setup: downloading bpy $version"
        "$VENV/bin/python" -m pip --disable-pip-version-check -q download --no-deps --only-binary=:all: \
            -d "$WHEELHOUSE" "bpy==$version" 2>&1 | grep -v "is ignored: it is neither" || true
    fi
    echo "setup: installing bpy $version into $target"
    rm -rf "$target"
    "$VENV/bin/python" -m pip --disable-pip-version-check -q install --no-index --no-deps \
        --target "$target" "$WHEELHOUSE"/bpy-"$version"-*.whl
    touch "$target/.installed"
done

command -v node >/dev/null 2>&1 || echo "setup: note: node (Node.js 18+) not found; make test-farm needs it for the Flamenco job type test"
# strace: tests/blender/test_offline.py traces the extension's system calls to prove it never goes online and
# writes nowhere but the output and user folders (it skips, saying so, where strace is missing).
if ! command -v strace >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        echo "setup: installing strace (for the offline test)"
        apt-get install -y -q strace >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q strace >/dev/null 2>&1; } \
            || echo "setup: could not install strace; tests/blender/test_offline.py will skip"
    elif command -v apt-get >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo -n apt-get install -y -q strace >/dev/null 2>&1 || echo "setup: could not install strace; the offline test will skip"
    else
        echo "setup: strace not found (install it, e.g. apt-get install strace); tests/blender/test_offline.py will skip"
    fi
fi
