"""Peak memory of the voice path users run, for a long 48 kHz stereo recording; run in its own process.

    PYTHONPATH=<bpy> python benchmarks/voice_memory.py MINUTES [--path api|operator|posegan] [--file F]

Writes MINUTES of the bundled speech sample, repeated, as 48 kHz stereo FLAC (or uses ``--file``), starts
Blender (the bpy module) with the extension enabled from this source tree, warms up (imports, one short
voice), records Blender's own baseline (resident memory, VmRSS), resets the peak (``/proc/self/clear_refs``)
and runs the path users run on the long file:

* ``api``: ``api.build_motion(MotionSpec(), voice=path)`` (what the batch command runs: decode, voice
  activity, accents, synthetic motion);
* ``operator``: Import Voice, then Generate & Bake onto the sample character;
* ``posegan``: ``api.posegan_for_voice(path)``.

Prints one JSON line: baseline and peak (VmHWM) in MB, their difference, seconds.
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("minutes", type=float)
    parser.add_argument("--path", choices=["api", "operator", "posegan"], default="api")
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
        api.build_motion(api.MotionSpec(), voice=short)
        if args.path == "posegan":
            api.posegan_for_voice(short)
        if args.path == "operator":
            bpy.ops.head_motion.import_voice(filepath=str(short), start_frame=1)
            bpy.ops.head_motion.generate_bake()
            bpy.ops.head_motion.clear()
        baseline = _status("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) starts again from VmRSS
        started = time.perf_counter()
        if args.path == "api":
            frames = len(api.build_motion(api.MotionSpec(), voice=voice))
        elif args.path == "posegan":
            frames = len(api.posegan_for_voice(voice))
        else:
            assert bpy.ops.head_motion.import_voice(filepath=str(voice), start_frame=1) == {"FINISHED"}
            assert bpy.ops.head_motion.generate_bake() == {"FINISHED"}
            frames = bpy.context.scene.frame_end - bpy.context.scene.frame_start + 1
        seconds = time.perf_counter() - started
        peak = _status("VmHWM")
    print(json.dumps({"minutes": args.minutes, "path": args.path, "frames": frames, "baseline_mb": baseline,
                      "peak_mb": peak, "over_baseline_mb": peak - baseline, "seconds": seconds}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
