#!/usr/bin/env bash
# Python 3.13 test environment (Blender 5.2 LTS: bpy 5.2.3, numpy 2); idempotent, offline after the first run.
#
#   tools/setup_py313.sh                     create/update .env313/ (nothing to do when it is up to date)
#   tools/setup_py313.sh run CMD [ARG...]    the same, then run CMD in the checkout under that Python
#                                            (e.g. `run python -m pytest -q tests/core`)
#
# Debian bookworm has no Python 3.13, so .env313/root is a Debian trixie root made with debootstrap
# (minbase + python3 + the shared libraries bpy, OpenCV and onnxruntime load), holding a venv in /opt/venv
# with requirements/test-py313.txt installed with --no-deps. Wheels are downloaded on the host into
# HEAD_MOTION_WHEELHOUSE/py313 (default ~/.cache/head-motion/wheelhouse/py313) and installed from there.
#
# `run` enters the root with chroot inside a private mount namespace (unshare): the checkout (and shared/
# beside it, when there is one) is bind-mounted at its own absolute path, /proc, /sys and /dev are bound in. The mounts belong to that namespace only, so
# they are invisible to the host and vanish when the command ends, however it ends (no leftover mounts).
# Needs root (debootstrap, chroot, mount); installs debootstrap with apt-get when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

SUITE=trixie
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# python3 (3.13 in trixie) and what bpy/OpenCV/onnxruntime link against (checked with ldd inside the root).
PACKAGES=python3,python3-venv,ca-certificates,libx11-6,libxrender1,libxxf86vm1,libxfixes3,libxi6,libxt6t64
PACKAGES+=,libxkbcommon0,libsm6,libgl1,libegl1,libwayland-client0
LOCK=requirements/test-py313.txt
ENV_DIR=.env313
ROOTFS=$ENV_DIR/root
VENV=/opt/venv                      # inside the root
WHEELHOUSE=${HEAD_MOTION_WHEELHOUSE:-$HOME/.cache/head-motion/wheelhouse}/py313
# Tags a Python 3.13 on trixie (glibc 2.41) accepts; pip on the host downloads for them.
PIP_TARGET=(--python-version 3.13 --implementation cp --abi cp313 --abi abi3 --abi none
    --platform manylinux_2_39_x86_64 --platform manylinux_2_34_x86_64 --platform manylinux_2_31_x86_64
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_24_x86_64
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform manylinux_2_5_x86_64
    --platform manylinux1_x86_64)

if [ "$(id -u)" != 0 ]; then
    echo "error: tools/setup_py313.sh needs root (debootstrap, chroot and mount)" >&2
    exit 1
fi
if [ "$(uname -m)" != x86_64 ]; then
    echo "error: the Python 3.13 environment is made for x86_64 only" >&2
    exit 1
fi

# Run a command in the root, in a private mount namespace holding the bind mounts it needs.
#   in_root "EXTRA BIND SPECS" CMD...   where each bind spec is HOST_PATH=PATH_IN_ROOT (space separated)
in_root() {
    local binds=$1
    shift
    unshare --mount --propagation private -- bash -euo pipefail -c '
        rootfs=$1 binds=$2
        shift 2
        for spec in $binds; do
            mkdir -p "$rootfs${spec#*=}"
            mount --bind "${spec%%=*}" "$rootfs${spec#*=}"
        done
        mount -t proc proc "$rootfs/proc"
        mount --rbind /sys "$rootfs/sys"
        mount --rbind /dev "$rootfs/dev"
        exec chroot "$rootfs" "$@"
    ' in_root "$(realpath "$ROOTFS")" "$binds" \
        env -i HOME=/root LANG=C.UTF-8 PATH="$VENV/bin:/usr/local/bin:/usr/bin:/bin" \
        PYTHONDONTWRITEBYTECODE="${PYTHONDONTWRITEBYTECODE:-1}" \
        ${CI:+CI="$CI"} TERM="${TERM:-dumb}" "$@"
}

host_pip() {
    local python
    for python in .venv/py311/bin/python python3 python; do
        if command -v "$python" >/dev/null 2>&1 && "$python" -m pip --version >/dev/null 2>&1; then
            "$python" -m pip --disable-pip-version-check -q "$@" 2>&1 | grep -v "is ignored: it is neither" || true
            return 0
        fi
    done
    echo "error: no pip on this machine to download the Python 3.13 wheels with" >&2
    return 1
}

setup() {
    mkdir -p "$ENV_DIR" "$WHEELHOUSE"
    exec 9>"$ENV_DIR/.lock"
    flock 9                          # two setups at once would fight over the same root

    # 1. The Debian trixie root (remade when the package list changes).
    local root_stamp
    root_stamp="$ENV_DIR/.root-$(echo "$SUITE $PACKAGES" | sha256sum | cut -c1-16)"
    if [ ! -f "$root_stamp" ]; then
        if ! command -v debootstrap >/dev/null 2>&1; then
            echo "setup-py313: installing debootstrap"
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
        fi
        echo "setup-py313: creating $ROOTFS (Debian $SUITE with Python 3.13, debootstrap)"
        rm -rf --one-file-system "$ROOTFS" "$ENV_DIR"/.root-*
        # In its own mount namespace, so nothing debootstrap mounts outlives it, even when it fails.
        if ! unshare --mount --propagation private -- debootstrap --variant=minbase --include="$PACKAGES" \
                "$SUITE" "$ROOTFS" "$MIRROR" >"$ENV_DIR/debootstrap.log" 2>&1; then
            tail -n 30 "$ENV_DIR/debootstrap.log" >&2
            echo "error: debootstrap failed (full log: $ENV_DIR/debootstrap.log)" >&2
            exit 1
        fi
        rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb
        touch "$root_stamp"
    fi

    # 2. The venv in the root, from the wheelhouse (downloaded on the host when a wheel is missing).
    local venv_stamp
    venv_stamp="$ROOTFS$VENV/.installed-$(sha256sum "$LOCK" | cut -c1-16)"
    if [ ! -f "$venv_stamp" ]; then
        local install=(python -m pip --disable-pip-version-check -q install --no-index --no-deps
            --find-links /wheelhouse -r /lock/test-py313.txt)
        local binds
        binds="$(realpath "$WHEELHOUSE")=/wheelhouse $(realpath requirements)=/lock"
        echo "setup-py313: creating $ROOTFS$VENV"
        rm -rf "${ROOTFS:?}$VENV"
        in_root "" /usr/bin/python3 -m venv "$VENV"
        if ! in_root "$binds" "${install[@]}" >/dev/null 2>&1; then
            echo "setup-py313: downloading pinned Python 3.13 wheels into $WHEELHOUSE"
            host_pip download --no-deps --only-binary=:all: "${PIP_TARGET[@]}" -d "$WHEELHOUSE" -r "$LOCK"
            in_root "$binds" "${install[@]}"
        fi
        touch "$venv_stamp"
    fi

    # 3. strace in the root, for tests/blender/test_offline.py (optional: the test skips without it). Tried once.
    if [ ! -x "$ROOTFS/usr/bin/strace" ] && [ ! -f "$ENV_DIR/.strace-tried" ]; then
        echo "setup-py313: installing strace in $ROOTFS (for the offline test)"
        if ! in_root "" env DEBIAN_FRONTEND=noninteractive bash -c 'apt-get update -qq && apt-get install -y -qq strace' \
                >"$ENV_DIR/strace.log" 2>&1; then
            echo "setup-py313: could not install strace (log: $ENV_DIR/strace.log); the offline test will skip"
        fi
        rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb
        touch "$ENV_DIR/.strace-tried"
    fi
}

setup
if [ "${1:-}" = run ]; then
    shift
    repo=$(realpath .)
    binds="$repo=$repo"
    # shared/ beside the checkout holds the development clips some tests use (absent: they skip).
    [ -d ../shared ] && binds+=" $(realpath ../shared)=$(realpath ../shared)"
    # The wheelhouses (the packaging test builds the Python 3.13 zip offline from them).
    wheelhouse_root=$(realpath "$(dirname "$WHEELHOUSE")")
    binds+=" $wheelhouse_root=/wheelhouse"
    in_root "$binds" env HEAD_MOTION_WHEELHOUSE=/wheelhouse bash -c 'cd "$1" && shift && exec "$@"' run "$repo" "$@"
fi
