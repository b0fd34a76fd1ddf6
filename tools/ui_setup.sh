#!/usr/bin/env bash
# The window test environment of `make test-ui`: Debian trixie's Blender 4.3.2 (Python 3.13) and a virtual
# X display, installed with apt into the Debian trixie root of tools/setup_py313.sh (.env313/root).
# Idempotent: nothing is downloaded when the packages are installed already (about 1 s).
#
#   blender          Blender 4.3.2 built by Debian against the root's Python 3.13 (so the venv's cp313
#                    onnxruntime, OpenCV and LiteRT wheels load in it)
#   xvfb             the X server without a screen the window is drawn on (llvmpipe, OpenGL 4.5)
#   x11-apps         xwd: reads the window's pixels from the X server for the screenshots
#   libgl1-mesa-dri  Mesa's software OpenGL (llvmpipe)
#
# The .deb files are kept beside the wheelhouse (HEAD_MOTION_WHEELHOUSE, default
# ~/.cache/head-motion/wheelhouse/apt-trixie), so a new root on the same machine installs them without
# downloading. First install (measured here): the root grows by 1.3 GB, 5 min 20 s, mostly the download.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(blender xvfb x11-apps libgl1-mesa-dri)

tools/setup_py313.sh
# shellcheck disable=SC2016
tools/setup_py313.sh run bash -euo pipefail -c '
    packages=("$@")
    if dpkg-query -W -f "\${Status}\n" "${packages[@]}" 2>/dev/null | grep -qv "install ok installed" \
            || [ "$(dpkg-query -W -f "\${Status}\n" "${packages[@]}" 2>/dev/null | wc -l)" != "${#packages[@]}" ]; then
        echo "setup-ui: installing ${packages[*]} into the Debian trixie root (apt)"
        cache=/wheelhouse/apt-trixie
        mkdir -p "$cache/partial"
        start=$SECONDS
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            -o DPkg::Lock::Timeout=600 -o Dir::Cache::archives="$cache" "${packages[@]}" >/tmp/setup-ui-apt.log 2>&1 \
            || { tail -n 30 /tmp/setup-ui-apt.log >&2; exit 1; }
        echo "setup-ui: installed in $((SECONDS - start)) s ($(blender --version 2>/dev/null | head -n 1))"
    fi
' setup-ui "${PACKAGES[@]}"
