"""`make demo`: the showcase, headless, on bundled input.

From the bundled speech sample (samples/speech_sample.ogg) it builds the sample character once per
available method, generates head motion with each method, bakes it through the extension's one bake
path, bakes eyes onto them (blinks, eye contact with the camera, look-aways), adds the voice as a sound
strip, saves ``<output>/head_motion_demo.blend``, writes a PNG plot of yaw/pitch/roll over time with the
silences shaded, and renders ``head_motion_demo.mp4``: all methods side by side in one 1280x720 frame, each
labelled, with the voice (Cycles on the CPU, one sample per pixel denoised by OpenImageDenoise), plus one
frame of it as ``head_motion_demo_frame.png``. It prints the time each stage took.

Methods: "synthetic" (voice-driven synthetic motion with speech accents) always; "posegan" when a model
is installed in models/posegan; "video" (head pose estimated from a reference talking-head video) when
the development clips in ../shared/data/dev are present (they are not redistributed with the project).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import extension_dev
from plot_track import plot_tracks

ROOT = Path(__file__).resolve().parents[1]
SPEECH = ROOT / "samples" / "speech_sample.ogg"
REFERENCE_VIDEO = ROOT.parent / "shared" / "data" / "dev" / "mimictalk_German_20s.mp4"
#: Length of the video (s): 125 frames at 25 fps render in about 4 minutes on 2 cores (docs/decisions.md).
SHOT_SECONDS = 5.0
#: The frame written as the still (the README picture): mid-sentence, eyes open.
STILL_FRAME = 50


def _module(ext, name: str):
    return importlib.import_module(f"{ext.__name__}.{name}")


def make_tracks(ext, scene, seed: int) -> dict:
    """{method label: PoseTrack} for every method available here, all for the speech sample's frames."""
    audio = _module(ext, "anim.audio")
    clip = audio.load_audio(SPEECH)
    settings = ext.api.preset_settings("CONVERSATIONAL", seed=seed)
    tracks = {"Synthetic (voice + accents)": ext.api.motion_for_voice(clip, settings, scene, start_frame=1)}
    n = len(next(iter(tracks.values())))
    speech = tracks["Synthetic (voice + accents)"].speech
    posegan_model = ROOT / "models" / "posegan" / "default.onnx"
    if posegan_model.exists():
        posegan = _module(ext, "core.motion.posegan")
        track = posegan.posegan_track(clip.samples, clip.sample_rate, ext.api.scene_fps(scene), posegan_model,
                                      posegan.DEFAULT_INTENSITY, 1)  # the panel's default
        track.speech = speech[: len(track)] if len(track) <= len(speech) else None
        tracks["PoseGAN (audio model)"] = track
    if REFERENCE_VIDEO.exists():
        estimation = _module(ext, "core.video")
        result = estimation.estimate_video(REFERENCE_VIDEO, estimation.EstimationSettings())
        track = result.to_pose_track(start_frame=1)
        track.speech = None
        tracks["Reference video (estimated)"] = track
    for label, track in tracks.items():
        track.meta["demo_label"] = label
        if len(track) > n:  # the video is longer than the voice: keep the shot's length
            tracks[label] = ext.api.PoseTrack.from_angles(track.angles[:n], track.fps, 1, None, track.meta)
    return tracks


def skipped() -> list[tuple[str, str]]:
    """Methods this run could not show, and why."""
    out = []
    if not (ROOT / "models" / "posegan" / "default.onnx").exists():
        out.append(("PoseGAN (audio model)", "no model in models/posegan"))
    if not REFERENCE_VIDEO.exists():
        out.append(("Reference video (estimated)", f"{REFERENCE_VIDEO} not found (dev clips are not bundled)"))
    return out


class Stages:
    """Wall-clock and CPU seconds of each stage of the run, printed as a breakdown at the end."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float]] = []
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def done(self, name: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        self.rows.append((name, wall - self._wall, cpu - self._cpu))
        self._wall, self._cpu = wall, cpu

    def report(self) -> list[str]:
        total_wall, total_cpu = sum(r[1] for r in self.rows), sum(r[2] for r in self.rows)
        lines = [f"  {name:<28} {wall:7.1f} s wall {cpu:7.1f} s CPU" for name, wall, cpu in self.rows]
        return [*lines, f"  {'total':<28} {total_wall:7.1f} s wall {total_cpu:7.1f} s CPU"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="demo_output", help="folder for the results")
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--size", type=int, default=720, help="video height in pixels (width is 16:9)")
    parser.add_argument("--character", choices=("human", "sample"), default="human",
                        help="human: MakeHuman's CC0 head and shoulders (samples/character); sample: the built-in one")
    parser.add_argument("--samples", type=int, default=1, help="Cycles samples per pixel (denoised)")
    parser.add_argument("--seconds", type=float, default=SHOT_SECONDS, help="length of the video (s)")
    parser.add_argument("--no-render", action="store_true", help="skip the video and the still frame")
    args = parser.parse_args(argv)

    stages = Stages()
    user_dir = extension_dev.use_private_user_dir("head_motion_demo_")
    import bpy

    ext = extension_dev.enable_from_source(user_dir)
    bpy.context.preferences.filepaths.save_version = 0  # no .blend1 backups in the output
    audio = _module(ext, "anim.audio")
    preview = _module(ext, "anim.preview")
    out = Path(args.output).resolve()
    out.mkdir(parents=True, exist_ok=True)
    bpy.ops.wm.read_homefile(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = args.fps, 1.0
    stages.done("start Blender, extension")

    tracks = make_tracks(ext, scene, args.seed)
    n_frames = len(next(iter(tracks.values())))
    audio.place_audio(scene, SPEECH, 1, n_frames, add_strip=True, set_frame_range=True)
    stages.done("motion (voice, model, video)")

    rigs, lines = [], []
    if args.character == "human":
        import showcase_character
    for i, label in enumerate(tracks):
        name = f"HeadMotion_{label.split()[0]}"
        if args.character == "human":
            tone = showcase_character.SKIN_TONES[i % len(showcase_character.SKIN_TONES)]
            rigs.append(showcase_character.build_human_character(name=name, skin_tone=tone))
        else:
            rig = ext.api.build_sample_character(name=name)
            rig.location.x = (i - (len(tracks) - 1) / 2) * 0.55
            rigs.append(rig)
    if args.character == "human":
        showcase_character.arrange(rigs)
    bpy.context.view_layer.update()
    stages.done("build characters")

    for rig, (label, track) in zip(rigs, tracks.items(), strict=True):
        result = ext.api.bake_track(rig, track, ext.api.BakeOptions(neck_share=0.3), scene=scene)
        std = track.angles.std(axis=0)
        lines.append(f"  {label:<28} -> {rig.name}: {result.keys_written} keys, std yaw/pitch/roll "
                     f"{std[0]:.1f}/{std[1]:.1f}/{std[2]:.1f} deg")
        track.save(out / f"track_{rig.name.split('_', 1)[1].lower()}.csv")
    width, height = 2 * round(args.size * 8 / 9), args.size  # 16:9, even (H.264 needs even sizes)
    if args.character == "human":
        showcase_character.stage(scene, rigs, list(tracks))
        showcase_character.configure_render(scene, width, height, args.samples)
    else:
        preview.frame_characters(scene, rigs, "head")
        preview.configure_render(scene, width=width, height=height, samples=max(args.samples, 4))
    for rig, track in zip(rigs, tracks.values(), strict=True):  # eyes: eye contact with the camera, blinks
        try:
            eyes = ext.api.bake_eyes(rig, track, ext.api.EyeBakeOptions(neck_share=0.3), scene=scene)
        except ext.api.HeadMotionError as exc:
            lines.append(f"  {'eyes of ' + rig.name:<28} -> not baked: {exc}")
            continue
        lines.append(f"  {'eyes of ' + rig.name:<28} -> {eyes.blinks} blinks, {eyes.rig.describe()}")
    stages.done("bake head and eyes")

    blend = out / "head_motion_demo.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(blend))
    plot = plot_tracks(list(tracks.values()), out / "head_motion_demo_plot.png",
                       title="Head Motion demo: yaw / pitch / roll (silences shaded)")
    stages.done("save .blend, plot")

    still = video = None
    if not args.no_render:
        still = preview.render_still(scene, out / "head_motion_demo_frame.png", min(scene.frame_end, STILL_FRAME))
        stages.done("render still frame")
        scene.frame_start, scene.frame_end = 1, min(scene.frame_end, round(args.seconds * args.fps))
        video = preview.render_video(scene, out / "head_motion_demo.mp4")
        rendered = scene.frame_end - scene.frame_start + 1
        stages.done(f"render video ({rendered} frames)")

    print("Head Motion demo")
    print(f"  voice     : {SPEECH.relative_to(ROOT)} ({n_frames} frames at {args.fps} fps)")
    print("\n".join(lines))
    for label, why in skipped():
        print(f"  {label:<28} -> skipped: {why}")
    for path in (blend, plot, still, video):
        if path is not None:
            print(f"  wrote     : {path}")
    if video is not None:
        print(f"  video     : {width}x{height}, {rendered} frames ({rendered / args.fps:.1f} s) with the voice, "
              f"Cycles {args.samples} sample(s) per pixel + OpenImageDenoise")
    print("Time per stage:")
    print("\n".join(stages.report()))
    if video is not None:
        wall = stages.rows[-1][1]
        print(f"  {'render per video frame':<28} {wall / rendered:7.2f} s wall")
    return 0


if __name__ == "__main__":
    sys.exit(main())
