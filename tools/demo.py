"""`make demo`: the main job, headless, on bundled input.

Builds the sample character, generates Conversational head motion, bakes it onto the head/neck bones
through the extension's own bake path, and saves ``<output>/head_motion_demo.blend``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import extension_dev


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="demo_output", help="folder for the results")
    parser.add_argument("--seconds", type=float, default=12.0, help="length of the shot")
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    user_dir = extension_dev.use_private_user_dir("head_motion_demo_")
    import bpy

    ext = extension_dev.enable_from_source(user_dir)
    out = Path(args.output).resolve()
    out.mkdir(parents=True, exist_ok=True)

    bpy.ops.wm.read_homefile(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = args.fps, 1.0
    n_frames = round(args.seconds * args.fps)
    scene.frame_start, scene.frame_end = 1, n_frames
    rig = ext.api.build_sample_character()
    rig.head_motion.neck_share = 0.3

    settings = ext.core.synthetic.preset_settings("CONVERSATIONAL", seed=args.seed)
    track = ext.core.synthetic.generate_synthetic(n_frames, float(args.fps), settings, start_frame=1)
    options = ext.anim.bake.BakeOptions(neck_share=rig.head_motion.neck_share)
    result = ext.anim.bake.bake_track(rig, track, options, scene=scene)
    track.save(out / "head_motion_demo_track.csv")

    blend = out / "head_motion_demo.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(blend))
    std = track.angles.std(axis=0)
    print("Head Motion demo")
    print(f"  character : {rig.name} (bones detected as {result.convention}), joints {', '.join(result.joints)}")
    print(f"  motion    : Conversational preset, seed {args.seed}, {n_frames} frames at {args.fps} fps")
    print(f"  std (deg) : yaw {std[0]:.2f}  pitch {std[1]:.2f}  roll {std[2]:.2f}")
    print(f"  action    : {result.action.name}, {result.keys_written} keys, frames "
          f"{result.frame_start}-{result.frame_end}")
    print(f"  wrote     : {blend}")
    print(f"  wrote     : {out / 'head_motion_demo_track.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
