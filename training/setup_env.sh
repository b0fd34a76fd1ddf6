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

source tools/venv_lib.sh
stamp="$VENV/.installed-$(sha256sum "$LOCK" | cut -c1-16)"
[ -f "$stamp" ] && exit 0
build_venv "$VENV" "$LOCK" "$WHEELHOUSE"
if ! "$VENV/bin/python" -c "import torch, onnx, onnxruntime; assert torch.__version__.startswith('2.13.0'), torch.__version__"
then
    rm -f "$stamp"
    exit 1
fi
echo "setup: $VENV ready"
