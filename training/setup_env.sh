#!/usr/bin/env bash
# Create the PoseGAN training environment .venv/train from training/requirements.txt; idempotent.
#
# Separate from .venv/py311 (the add-on's test environment, which has onnxruntime but no torch).
# Wheels are cached in a wheelhouse outside the checkout (HEAD_MOTION_WHEELHOUSE, default
# ~/.cache/head-motion/wheelhouse), so a second setup on the same machine installs offline.
# A stamp file keyed by the requirements' hash makes a repeated run a no-op (well under a second).
set -euo pipefail
cd "$(dirname "$0")/.."

WHEELHOUSE=${HEAD_MOTION_WHEELHOUSE:-$HOME/.cache/head-motion/wheelhouse}/train-py311
LOCK=training/requirements.txt
VENV=.venv/train

find_python() {
    for candidate in "${PYTHON:-}" python3.11 python3 python; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "error: Python 3.11 is required; set PYTHON=/path/to/python3.11" >&2
    return 1
}

pip_install() {
    "$VENV/bin/python" -m pip --disable-pip-version-check -q install --no-index --no-deps \
        --find-links "$WHEELHOUSE" -r "$LOCK"
}

stamp="$VENV/.installed-$(sha256sum "$LOCK" | cut -c1-16)"
if [ -f "$stamp" ]; then
    exit 0
fi
python=$(find_python)
echo "setup: creating $VENV with $python"
mkdir -p "$WHEELHOUSE" .venv
rm -rf "$VENV"
"$python" -m venv "$VENV"
if ! pip_install >/dev/null 2>&1; then
    echo "setup: downloading pinned wheels into $WHEELHOUSE"
    "$VENV/bin/python" -m pip --disable-pip-version-check -q download --no-deps --only-binary=:all: \
        -d "$WHEELHOUSE" -r "$LOCK" 2>&1 | grep -v "is ignored: it is neither" || true
    pip_install
fi
"$VENV/bin/python" -c "import torch, onnx, onnxruntime; assert torch.__version__.startswith('2.13.0'), torch.__version__"
touch "$stamp"
echo "setup: $VENV ready"
