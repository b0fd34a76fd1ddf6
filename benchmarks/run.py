"""`make bench`: performance benchmarks, each printed as a ratio against a baseline measured in the same run.

Run with the bpy module on PYTHONPATH (the Makefile does). Every benchmark prints its timing, its
baseline, the ratio, and whether the project's target holds; the exit status is non-zero when a target
is missed. ``--only NAME`` runs one benchmark.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tests" / "blender"))
import extension_dev  # noqa: E402

USER_DIR = extension_dev.use_private_user_dir("head_motion_bench_")
import bpy  # noqa: E402
import numpy as np  # noqa: E402

EXT = extension_dev.enable_from_source(USER_DIR, "head_motion_bench")


@dataclass
class Result:
    name: str
    seconds: float
    baseline_name: str
    baseline_seconds: float
    target: str
    ok: bool

    def line(self) -> str:
        ratio = self.baseline_seconds / self.seconds if self.seconds > 0 else float("inf")
        verdict = "ok" if self.ok else "MISSED"
        return (f"{self.name:<34} {self.seconds * 1000:10.1f} ms   baseline {self.baseline_name:<28} "
                f"{self.baseline_seconds * 1000:10.1f} ms   ratio {ratio:8.1f}x   target {self.target}: {verdict}")


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _fresh_rig():
    from rigs import RIGS, build_rig

    bpy.ops.wm.read_homefile(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 30, 1.0
    return build_rig(RIGS["rigify_roll"]), scene


def bench_bake() -> Result:
    """Bake 18,000 frames (10 min at 30 fps) vs a keyframe_insert loop over the same frames."""
    n = 18_000
    track = EXT.core.synthetic.generate_synthetic(n, 30.0, EXT.core.synthetic.preset_settings("CONVERSATIONAL"))

    def ours():
        obj, _ = _fresh_rig()
        EXT.anim.bake.bake_track(obj, track)

    seconds = best_of(ours)
    obj, _ = _fresh_rig()
    pb = obj.pose.bones["head"]
    quats = EXT.core.rotation.quat_from_matrix(EXT.core.rotation.character_rotation(*track.angles.T))
    t0 = time.perf_counter()
    for frame, q in enumerate(quats, start=1):
        pb.rotation_quaternion = q
        pb.keyframe_insert("rotation_quaternion", frame=frame)
    baseline = time.perf_counter() - t0
    return Result("bake 18,000 frames", seconds, "keyframe_insert loop", baseline,
                  ">= 50x faster and < 1 s", baseline / seconds >= 50 and seconds < 1.0)


def bench_generate() -> Result:
    """Generate one hour of synthetic motion at 30 fps vs numpy drawing the same number of random samples."""
    n = 30 * 3600
    settings = EXT.core.synthetic.preset_settings("CONVERSATIONAL")
    seconds = best_of(lambda: EXT.core.synthetic.generate_synthetic(n, 30.0, settings))
    rng = np.random.default_rng(0)
    baseline = best_of(lambda: np.sin(rng.standard_normal((n, 3))))
    return Result("generate 1 hour (108,000 frames)", seconds, "numpy sin(randn) same size", baseline,
                  "< 0.2 s", seconds < 0.2)


BENCHMARKS: dict[str, Callable[[], Result]] = {"generate": bench_generate, "bake": bench_bake}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(BENCHMARKS), action="append")
    args = parser.parse_args(argv)
    names = args.only or list(BENCHMARKS)
    print(f"Head Motion benchmarks on Blender {bpy.app.version_string}")
    results = []
    for name in names:
        result = BENCHMARKS[name]()
        print(result.line(), flush=True)
        results.append(result)
    missed = [r.name for r in results if not r.ok]
    summary = f"{len(results) - len(missed)} of {len(results)} targets met"
    print(summary + (f"; missed: {', '.join(missed)}" if missed else ""))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
