# Head Motion: every target sets itself up (Python 3.11 + make is all a machine needs).
#   make test   lint (ruff, mypy) + core tests (no Blender) + Blender tests on every bpy version in BPY_VERSIONS
#   make test-py313  core + Blender tests on Python 3.13 + bpy 5.2.3 (Blender 5.2 LTS), in .env313/
#                    (.ci/run runs all three: make test, make test-py313, make test-ui)
#   make test-ui     the sidebar panels, the threaded video bake, Esc and Undo in a real Blender 4.3 window (Xvfb)
#   make ui-images   make test-ui, then the README's UI pictures from its screenshots
#   make demo   build the sample character, bake head motion, write demo_output/
#   make build  installable extension zips in dist/: per platform, for Blender 4.2-5.0 and for Blender 5.1+
#   make bench  performance benchmarks (ratios against baselines measured in the same run)
#   make cli ARGS="..."  the batch command (same as blender -b -c head_motion ...) over the bpy module
#   make train  retrain the bundled PoseGAN model (reproducible; torch in .venv/train)
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

BPY_VERSIONS ?= 5.0.1 4.2.23
DEMO_BPY ?= 5.0.1
PY := .venv/py311/bin/python
PYTEST := $(PY) -m pytest -q
export BPY_VERSIONS
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: env lint test test-core test-blender test-farm test-train test-py313 test-ui ui-images train demo build bench cli clean

env:
	@tools/setup_env.sh

lint: env
	@$(PY) -m ruff check .
	@echo "ruff: clean"
	@$(PY) -m mypy

test-core: env
	@echo "== core tests (no Blender)"
	@$(PYTEST) tests/core

# The importer round trips (test_imported_rigs.py) run in a Blender process of their own: bpy 4.2.23's glTF importer
# crashed twice (segmentation fault in its own mode switch) after the rest of the suite had run in the same process,
# never alone (docs/decisions.md, "importer tests in a process of their own").
IMPORTER_TESTS = tests/blender/test_imported_rigs.py

test-blender: env
	@for v in $(BPY_VERSIONS); do \
		echo "== Blender tests on bpy $$v"; \
		PYTHONPATH=.venv/bpy-$$v $(PYTEST) tests/blender --ignore=$(IMPORTER_TESTS) || exit 1; \
		PYTHONPATH=.venv/bpy-$$v $(PYTEST) $(IMPORTER_TESTS) || exit 1; \
	done

# Farm job definitions (farm/): openjd check + openjd run of the Open Job Description template, and the
# Flamenco job type compiled by node against a stub of Flamenco's API.
test-farm: env
	@echo "== farm tests (openjd-cli, node; bpy $(firstword $(BPY_VERSIONS)))"
	@FARM_BPY=$(firstword $(BPY_VERSIONS)) $(PYTEST) tests/farm

test-train:
	@echo "== training tests (PoseGAN ONNX export parity, torch in .venv/train)"
	@training/run_tests.sh

test: lint test-core test-blender test-farm test-train

# Blender 5.2 LTS: Python 3.13, bpy 5.2.3, numpy 2, in a Debian trixie root (.env313/, tools/setup_py313.sh;
# needs root). mediapipe has no cp313 wheel: video estimation runs on LiteRT there (core/video/litert_face.py), and
# only the tests that compare against mediapipe itself skip.
test-py313:
	@tools/setup_py313.sh
	@echo "== core tests on Python 3.13 (numpy 2)"
	@tools/setup_py313.sh run python -m pytest -q tests/core
	@echo "== Blender tests on bpy 5.2.3 (Python 3.13)"
	@tools/setup_py313.sh run python -m pytest -q tests/blender --ignore=$(IMPORTER_TESTS)
	@tools/setup_py313.sh run python -m pytest -q $(IMPORTER_TESTS)

# The UI in a real Blender window: Debian trixie's Blender 4.3.2 (Python 3.13) under Xvfb, installed with apt into
# the trixie root above (tools/ui_setup.sh; first time about 5 minutes, then offline), driven by
# tests/ui/blender_driver.py; screenshots and results in build/ui/. `make ui-images` turns them into the README's.
test-ui:
	@tools/ui_setup.sh
	@echo "== UI tests in a Blender 4.3 window (Xvfb)"
	@tools/setup_py313.sh run python -m pytest -q tests/ui

ui-images: test-ui
	@tools/setup_py313.sh run python tools/ui_readme_images.py

train:
	@training/train.sh

demo: env
	@PYTHONPATH=.venv/bpy-$(DEMO_BPY) $(PY) tools/demo.py --output demo_output

build: env
	@$(PY) tools/build_extension.py --bpy .venv/bpy-$(DEMO_BPY) --dist dist

cli: env
	@PYTHONPATH=.venv/bpy-$(DEMO_BPY) $(PY) -m tools.cli $(ARGS)

bench: env
	@PYTHONPATH=.venv/bpy-$(DEMO_BPY) $(PY) benchmarks/run.py

clean:
	rm -rf dist build demo_output .pytest_cache .ruff_cache
