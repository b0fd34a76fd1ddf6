# Shell functions shared by tools/setup_env.sh and training/setup_env.sh (source this file).
#
# Environments are built from a complete pinned lock file installed with --no-deps, from a wheelhouse kept
# outside the checkout, so a second clone on the same machine installs offline.

# Print a Python 3.11 interpreter (PYTHON first), or fail with a message.
find_python311() {
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

# build_venv VENV LOCK WHEELHOUSE: (re)create VENV from LOCK unless its stamp says it is up to date.
# Tries the wheelhouse offline first and downloads the pinned wheels into it only when something is missing.
build_venv() {
    local venv=$1 lock=$2 wheelhouse=$3
    local stamp
    stamp="$venv/.installed-$(sha256sum "$lock" | cut -c1-16)"
    [ -f "$stamp" ] && return 0
    local python
    python=$(find_python311)
    echo "setup: creating $venv with $python"
    mkdir -p "$wheelhouse" "$(dirname "$venv")"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    local pip=("$venv/bin/python" -m pip --disable-pip-version-check -q)
    if ! "${pip[@]}" install --no-index --no-deps --find-links "$wheelhouse" -r "$lock" >/dev/null 2>&1; then
        echo "setup: downloading pinned wheels into $wheelhouse"
        "${pip[@]}" download --no-deps --only-binary=:all: -d "$wheelhouse" -r "$lock" 2>&1 \
            | grep -v "is ignored: it is neither" || true
        "${pip[@]}" install --no-index --no-deps --find-links "$wheelhouse" -r "$lock"
    fi
    touch "$stamp"
}
