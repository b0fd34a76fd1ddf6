"""Issue #15 item 2: no network traffic and no files outside the output folder and the extension's user
folder, for the voice, PoseGAN and video paths through the operators, the API and the batch command.

``offline_probe.py`` runs in a subprocess with a fresh HOME and TMPDIR under ``strace -f``; the test fails
on any connection or datagram to a non-loopback address, on any host-name look-up (the resolver reading
/etc/resolv.conf or /etc/hosts, network or not), on any file opened for
writing outside the allowed folders, and on any new file under HOME or TMPDIR outside them. strace is
installed by ``tools/setup_env.sh`` (``make env``) and ``tools/setup_py313.sh``; without it the test skips
with that message.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).with_name("offline_probe.py")
VOICE = ROOT / "samples" / "speech_sample.ogg"
VIDEO = Path(__file__).resolve().parents[3] / "shared" / "data" / "dev" / "voxceleb2_pcavs_Pose_Source_00473.mp4"
STRACE = shutil.which("strace")

pytestmark = pytest.mark.skipif(
    STRACE is None, reason="strace is not installed (make env / make test-py313 install it where they can)")

_SOCKET_CALL = re.compile(r"^\d+\s+(connect|sendto|sendmsg|sendmmsg)\((.*)$")
_OPEN_CALL = re.compile(r'^\d+\s+(?:open|openat|creat)\((?:AT_FDCWD, |\d+<[^>]*>, )?"([^"]+)", ([A-Z_|]+)')
_PATH_CALL = re.compile(r'^\d+\s+(mkdir|mkdirat|rename|renameat2?|link|linkat|symlink|symlinkat)\((.*)$')
_LOOPBACK = ("127.", "::1", "0.0.0.0")
TRACED = ("connect,sendto,sendmsg,sendmmsg,open,openat,creat,mkdir,mkdirat,rename,renameat,renameat2,link,linkat,"
          "symlink,symlinkat")


def _network_events(lines: list[str]) -> list[str]:
    bad = []
    for line in lines:
        match = _SOCKET_CALL.match(line)
        if not match:
            continue
        args = match.group(2)
        if "AF_INET" in args:
            addresses = re.findall(r'inet_(?:addr|pton)\((?:AF_INET6, )?"([^"]+)"', args)
            if not addresses or any(not a.startswith(_LOOPBACK) for a in addresses):
                bad.append(line)
    # a host-name look-up reads the resolver's configuration first (even when it finds no network)
    bad += [line for line in lines if re.search(r'"/etc/(resolv\.conf|hosts|gai\.conf)"', line)]
    return bad


def _allowed(path: str, roots: list[str]) -> bool:
    path = os.path.normpath(path if os.path.isabs(path) else os.path.join(ROOT, path))
    return path.startswith(("/dev/", "/proc/", "/sys/")) or any(
        path == root or path.startswith(root + os.sep) for root in roots)





def _write_events(lines: list[str], roots: list[str]) -> list[str]:
    bad = []
    for line in lines:
        if "= -1 " in line or line.rstrip().endswith("<unfinished ...>"):
            continue  # failed calls create nothing
        match = _OPEN_CALL.match(line)
        if match:
            path, flags = match.groups()
            if re.search(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC", flags) and not _allowed(path, roots):
                bad.append(line)
            continue
        match = _PATH_CALL.match(line)
        if match:
            paths = re.findall(r'"([^"]+)"', match.group(2))
            ancestor = match.group(1).startswith("mkdir") and any(r.startswith(paths[-1] + os.sep) for r in roots)
            if paths and not ancestor and not _allowed(paths[-1], roots):  # the created / destination path
                bad.append(line)
    return bad


def _files(folder: Path) -> set[str]:
    return {str(p) for p in folder.rglob("*") if p.is_file()}


def test_no_network_and_no_stray_files(tmp_path):
    home, tmp, out = tmp_path / "home", tmp_path / "tmp", tmp_path / "out"
    for folder in (home, tmp, out):
        folder.mkdir()
    log = tmp_path / "strace.log"
    env = {k: v for k, v in os.environ.items()
           if k not in ("BLENDER_USER_RESOURCES", "HEAD_MOTION_CLI_USER", "XDG_CACHE_HOME", "XDG_CONFIG_HOME",
                        "XDG_DATA_HOME", "ORT_DISABLE_TELEMETRY")}
    env.update(HOME=str(home), TMPDIR=str(tmp), PYTHONDONTWRITEBYTECODE="1")
    args = [str(out), str(VOICE)] + ([str(VIDEO)] if VIDEO.exists() else [])
    done = subprocess.run(
        [STRACE, "-f", "-qq", "-s", "256", "-o", str(log),
         "-e", f"trace={TRACED}",
         sys.executable, str(PROBE), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=570)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1].removeprefix("@@PROBE@@"))
    assert all(report[k] == 0 for k in report if k.startswith("batch_")), report
    assert report["op_posegan"] == ["FINISHED"] and report["api_posegan_frames"] > 100, report
    if VIDEO.exists():
        assert report["api_video_frames"] > 10, report

    user = report["user"]
    assert user.startswith(str(home)), user  # the CLI's persistent user folder, under HOME
    lines = log.read_text(errors="replace").splitlines()
    assert _network_events(lines) == []
    roots = [str(out), user]
    session_temp = re.compile(r'mkdir\("(' + re.escape(str(tmp)) + r'/blender_\w+)"')
    blender = [*(m.group(1) for m in session_temp.finditer("\n".join(lines))), str(home / ".cache" / "thumbnails")]
    assert _write_events(lines, roots + blender) == []
    # Blender's own start-up (any session, with or without this extension) creates its session temp folder
    # (TMPDIR/blender_*, removed at exit) and empty freedesktop thumbnail folders; nothing else may appear.
    stray = {f for f in _files(home) | _files(tmp) if not _allowed(f, roots)}
    assert stray == set()
