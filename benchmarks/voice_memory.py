"""Peak memory of the voice path users run, for a long 48 kHz stereo recording; run in its own process.

    PYTHONPATH=<bpy> python benchmarks/voice_memory.py MINUTES [--path PATH] [--file F]

Writes MINUTES of the bundled speech sample, repeated, as 48 kHz stereo FLAC (or uses ``--file``), starts
Blender (the bpy module) with the extension enabled from this source tree, warms up (imports, one short
voice), records Blender's own baseline (resident memory, VmRSS), resets the peak (``/proc/self/clear_refs``)
and runs the path users run on the long file:

* ``api``: ``api.build_motion(MotionSpec(), voice=path)`` (decode, voice activity, accents, synthetic
  motion; ``api.motion_for_voice`` is the same call);
* ``posegan``: ``api.posegan_for_voice(path)``;
* ``operator``: Import Voice, then Generate & Bake (synthetic) onto the sample character;
* ``operator-posegan``: Import Voice, then Generate From Voice (PoseGAN) onto the sample character;
* ``batch`` / ``batch-posegan``: the batch command's handler (``batch.run``, what ``blender -c head_motion``
  and ``python -m tools.cli`` call) on the file, ``--method synthetic`` / ``posegan``, saving a .blend.

The warm-up runs the same path on a 5 s voice, so the baseline holds what any first run loads (the
PoseGAN model, ONNX Runtime, the sample character). Prints one JSON line: baseline and peak (VmHWM) in MB
(MiB), their difference, seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import extension_dev  # noqa: E402


def write_voice(path: Path, seconds: float, rate: int = 48000) -> None:
    """``seconds`` of the speech sample repeated, 48 kHz stereo 16-bit FLAC, written block by block."""
    import numpy as np
    import soundfile

    speech, src_rate = soundfile.read(ROOT / "samples" / "speech_sample.ogg", dtype="float32")
    n = round(len(speech) * rate / src_rate)
    piece = np.interp(np.arange(n) * (src_rate / rate), np.arange(len(speech)), speech).astype(np.float32)
    stereo = np.stack([piece, 0.8 * piece], axis=1)
    total = int(seconds * rate)
    with soundfile.SoundFile(path, "w", rate, 2, "PCM_16", format="FLAC") as out:
        written = 0
        while written < total:
            block = stereo[: total - written]
            out.write(block)
            written += len(block)


def _status(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError(key)


def run_path(path: str, ext, voice: Path, out: Path) -> int:
    """Run the user path ``path`` (see the module docs) on ``voice``; the number of frames made."""
    import bpy

    api = ext.api
    if path == "api":
        return len(api.build_motion(api.MotionSpec(), voice=voice))
    if path == "posegan":
        return len(api.posegan_for_voice(voice))
    if path.startswith("batch"):
        method = "posegan" if path.endswith("posegan") else "synthetic"
        assert ext.batch.run(["--method", method, "--output", str(out), "--overwrite", str(voice)]) == 0
        first, last = json.loads((out / "summary.json").read_text())["results"][0]["frames"]
        return last - first + 1
    assert bpy.ops.head_motion.import_voice(filepath=str(voice), start_frame=1) == {"FINISHED"}
    generate = bpy.ops.head_motion.generate_posegan if path.endswith("posegan") else bpy.ops.head_motion.generate_bake
    assert generate() == {"FINISHED"}
    return bpy.context.scene.frame_end - bpy.context.scene.frame_start + 1


PATHS = ("api", "posegan", "operator", "operator-posegan", "batch", "batch-posegan")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("minutes", type=float)
    parser.add_argument("--path", choices=PATHS, default="api")
    parser.add_argument("--file", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="head_motion_voice_bench_") as tmp:
        voice = args.file or Path(tmp) / "voice.flac"
        if args.file is None:
            write_voice(voice, args.minutes * 60.0)
        user = Path(tmp) / "user"
        os.environ["BLENDER_USER_RESOURCES"] = str(user)
        import bpy

        ext = extension_dev.enable_from_source(user, "head_motion_voice_bench")
        api = ext.api
        short = Path(tmp) / "short.flac"
        write_voice(short, 5.0)
        bpy.ops.wm.read_homefile(use_empty=True)
        rig = api.build_sample_character()
        bpy.context.view_layer.objects.active = rig
        out = Path(tmp) / "out"
        run_path(args.path, ext, short, out)  # warm-up: the same path on 5 s
        if args.path.startswith("operator"):
            bpy.ops.head_motion.clear()
        baseline = _status("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) starts again from VmRSS
        started = time.perf_counter()
        frames = run_path(args.path, ext, voice, out)
        seconds = time.perf_counter() - started
        peak = _status("VmHWM")
    print(json.dumps({"minutes": args.minutes, "path": args.path, "frames": frames, "baseline_mb": baseline,
                      "peak_mb": peak, "over_baseline_mb": peak - baseline, "seconds": seconds}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
