#!/usr/bin/env bash
# Set up .venv/train (idempotent; ~1 min the first time with a warm wheel cache) and run the training tests
# (ONNX export parity). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
training/setup_env.sh
PYTHONDONTWRITEBYTECODE=1 .venv/train/bin/python -m pytest -q -p no:cacheprovider --confcutdir=training \
    training/tests "$@"
