#!/usr/bin/env bash
# Reproduce the default PoseGAN model: set up .venv/train, train on ../shared/data/dev with the default
# config (fixed seeds, 2 threads), export models/posegan/default.onnx + .json and
# training/checkpoints/default.pt, then evaluate on the held-out clips. Extra arguments go to training.train.
set -euo pipefail
cd "$(dirname "$0")/.."
training/setup_env.sh
.venv/train/bin/python -m training.train --config training/configs/default.json "$@"
.venv/train/bin/python -m training.evaluate --model models/posegan/default.onnx
