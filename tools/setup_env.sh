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

find_python() {
    for candidate in "${PYTHON:-}" python3.11 python3 python; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "error: Python 3.11 is required (Blender 4.2-5.0 embed Python 3.11); set PYTHON=/path/to/python3.11" >&2
    return 1
}

pip_quiet() { "$VENV/bin/python" -m pip --disable-pip-version-check -q "$@" 2>&1 | grep -v "is ignored: it is neither" || true; }

mkdir -p "$WHEELHOUSE" .venv
stamp="$VENV/.installed-$(sha256sum "$LOCK" | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    python=$(find_python)
    echo "setup: creating $VENV with $python"
    rm -rf "$VENV"
    "$python" -m venv "$VENV"
    if ! "$VENV/bin/python" -m pip --disable-pip-version-check -q install --no-index --no-deps \
            --find-links "$WHEELHOUSE" -r "$LOCK" >/dev/null 2>&1; then
        echo "setup: downloading pinned wheels into $WHEELHOUSE"
        pip_quiet download --no-deps --only-binary=:all: -d "$WHEELHOUSE" -r "$LOCK"
        "$VENV/bin/python" -m pip --disable-pip-version-check -q install --no-index --no-deps \
            --find-links "$WHEELHOUSE" -r "$LOCK"
    fi
    touch "$stamp"
fi

for version in $BPY_VERSIONS; do
    target=.venv/bpy-$version
    [ -f "$target/.installed" ] && continue
    if ! ls "$WHEELHOUSE"/bpy-"$version"-*.whl >/dev/null 2>&1; then
        echo "setup: downloading bpy $version"
        pip_quiet download --no-deps --only-binary=:all: -d "$WHEELHOUSE" "bpy==$version"
    fi
    echo "setup: installing bpy $version into $target"
    rm -rf "$target"
    "$VENV/bin/python" -m pip --disable-pip-version-check -q install --no-index --no-deps \
        --target "$target" "$WHEELHOUSE"/bpy-"$version"-*.whl
    touch "$target/.installed"
done
