"""Close-up stills of the eye layer on the sample character: eye contact while the head turns, a blink, a
look-away. Headless, on the bundled speech sample; writes ``<output>/eyes_demo.png`` (a contact sheet) and
``<output>/eyes_demo.blend``.

    PYTHONPATH=.venv/bpy-5.0.1 .venv/py311/bin/python tools/eyes_demo.py --output demo_output
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import extension_dev

ROOT = Path(__file__).resolve().parents[1]
SPEECH = ROOT / "samples" / "speech_sample.ogg"


def _pick_frames(result, track) -> dict[str, int]:
    """Frames worth showing: the head furthest left and right with eye contact, a shut blink, a look-away."""
    eyes = result.eyes
    contact = (~eyes.aversion) & (eyes.blink.max(axis=1) < 0.05)
    yaw = track.yaw
    start = track.start_frame
    frames = {
        "head left, eyes on camera": int(np.argmax(np.where(contact, yaw, -np.inf))),
        "head right, eyes on camera": int(np.argmin(np.where(contact, yaw, np.inf))),
        "blink": int(np.argmax(eyes.blink.mean(axis=1))),
    }
    if eyes.aversion.any():
        away = np.abs(eyes.yaw.mean(axis=1) + yaw) * eyes.aversion
        frames["look-away"] = int(np.argmax(away))
    return {label: start + f for label, f in frames.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="demo_output")
    parser.add_argument("--size", type=int, default=360)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args(argv)
    user_dir = extension_dev.use_private_user_dir("head_motion_eyes_demo_")
    import bpy
    from mathutils import Vector

    ext = extension_dev.enable_from_source(user_dir)
    api = importlib.import_module(f"{ext.__name__}.api")
    out = Path(args.output).resolve()
    out.mkdir(parents=True, exist_ok=True)
    bpy.ops.wm.read_homefile(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 25, 1.0
    rig = api.build_sample_character(scene=scene)
    clip = api.load_audio(SPEECH)
    track = api.motion_for_voice(clip, api.preset_settings("CONVERSATIONAL", seed=args.seed), scene, start_frame=1)
    scene.frame_start, scene.frame_end = 1, len(track)
    camera = bpy.data.objects.new("Listener", bpy.data.cameras.new("Listener"))
    scene.collection.objects.link(camera)
    camera.location = (0.0, -0.75, 1.7)
    camera.data.lens = 85.0
    camera.rotation_euler = (Vector((0.0, 0.0, 1.68)) - camera.location).to_track_quat("-Z", "Y").to_euler()
    scene.camera = camera
    light = bpy.data.objects.new("Key", bpy.data.lights.new("Key", "SUN"))
    scene.collection.objects.link(light)
    light.rotation_euler = (0.9, 0.2, -0.4)
    api.bake_track(rig, track, api.BakeOptions(neck_share=0.3), scene=scene)
    result = api.bake_eyes(rig, track, api.EyeBakeOptions(neck_share=0.3, settings=api.EyeSettings(seed=args.seed)),
                           scene=scene)
    scene.render.engine = "BLENDER_WORKBENCH"
    scene.display.shading.color_type = "MATERIAL"
    scene.render.resolution_x = scene.render.resolution_y = args.size
    stills = []
    for label, frame in _pick_frames(result, track).items():
        path = out / f"eyes_{label.split()[0].replace(',', '')}_{frame}.png"
        scene.frame_set(frame)
        scene.render.filepath = str(path)
        bpy.ops.render.render(write_still=True)
        stills.append((label, frame, path))
    image = [np.array(bpy.data.images.load(str(p)).pixels[:]).reshape(args.size, args.size, 4) for _, _, p in stills]
    sheet = bpy.data.images.new("EyesDemo", args.size * len(image), args.size)
    sheet.pixels = np.concatenate(image, axis=1).ravel().tolist()
    sheet.filepath_raw = str(out / "eyes_demo.png")
    sheet.file_format = "PNG"
    sheet.save()
    bpy.ops.wm.save_as_mainfile(filepath=str(out / "eyes_demo.blend"))
    print(f"Eyes demo: {result.blinks} blinks over {len(track)} frames on {result.rig.describe()}")
    for label, frame, _ in stills:
        print(f"  frame {frame:4d}: {label}")
    print(f"  wrote {out / 'eyes_demo.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
