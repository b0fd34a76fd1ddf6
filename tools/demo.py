"""`make demo`: the showcase, headless, on bundled input.

From the bundled speech sample (samples/speech_sample.ogg) it builds the sample character once per
available method, generates head motion with each method, bakes it through the extension's one bake
path, bakes eyes onto them (blinks, eye contact with the camera, look-aways), adds the voice as a sound
strip, saves ``<output>/head_motion_demo.blend``, renders a short preview video with sound (Cycles on the
CPU, small resolution) and writes a PNG plot of yaw/pitch/roll over time with the silences shaded.

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="demo_output", help="folder for the results")
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--size", type=int, default=360, help="preview height in pixels (width is 16:9)")
    parser.add_argument("--character", choices=("human", "sample"), default="human",
                        help="human: MakeHuman's CC0 head and shoulders (samples/character); sample: the built-in one")
    parser.add_argument("--samples", type=int, default=2, help="Cycles samples per pixel (denoised)")
    parser.add_argument("--still-size", type=int, default=720, help="height of the labelled still frame")
    parser.add_argument("--preview-seconds", type=float, default=5.0, help="length of the preview video")
    parser.add_argument("--no-render", action="store_true", help="skip the preview video")
    args = parser.parse_args(argv)

    user_dir = extension_dev.use_private_user_dir("head_motion_demo_")
    import bpy

    ext = extension_dev.enable_from_source(user_dir)
    bpy.context.preferences.filepaths.save_version = 0  # no .blend1 backups in the output
    audio = _module(ext, "anim.audio")
    preview = _module(ext, "anim.preview")
    out = Path(args.output).resolve()
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    bpy.ops.wm.read_homefile(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = args.fps, 1.0
    tracks = make_tracks(ext, scene, args.seed)
    n_frames = len(next(iter(tracks.values())))
    audio.place_audio(scene, SPEECH, 1, n_frames, add_strip=True, set_frame_range=True)

    rigs, lines = [], []
    spacing = 0.55 if args.character == "sample" else 0.44
    if args.character == "human":
        import showcase_character
    for i, (label, track) in enumerate(tracks.items()):
        name = f"HeadMotion_{label.split()[0]}"
        if args.character == "human":
            tone = showcase_character.SKIN_TONES[i % len(showcase_character.SKIN_TONES)]
            rig = showcase_character.build_human_character(name=name, skin_tone=tone)
        else:
            rig = ext.api.build_sample_character(name=name)
        rig.location.x = (i - (len(tracks) - 1) / 2) * spacing
        bpy.context.view_layer.update()
        result = ext.api.bake_track(rig, track, ext.api.BakeOptions(neck_share=0.3), scene=scene)
        std = track.angles.std(axis=0)
        lines.append(f"  {label:<28} -> {rig.name}: {result.keys_written} keys, std yaw/pitch/roll "
                     f"{std[0]:.1f}/{std[1]:.1f}/{std[2]:.1f} deg")
        rigs.append(rig)
        track.save(out / f"track_{rig.name.split('_', 1)[1].lower()}.csv")

    width = 2 * round(args.size * 8 / 9)  # 16:9, even (H.264 needs even sizes)
    if args.character == "human":
        showcase_character.stage(scene, rigs, list(tracks))
        showcase_character.configure_render(scene, width, args.size, args.samples)
    else:
        preview.frame_characters(scene, rigs, "head")
    for rig, track in zip(rigs, tracks.values(), strict=True):  # eyes: eye contact with the camera, blinks
        try:
            eyes = ext.api.bake_eyes(rig, track, ext.api.EyeBakeOptions(neck_share=0.3), scene=scene)
        except ext.api.HeadMotionError as exc:
            lines.append(f"  {'eyes of ' + rig.name:<28} -> not baked: {exc}")
            continue
        lines.append(f"  {'eyes of ' + rig.name:<28} -> {eyes.blinks} blinks, {eyes.rig.describe()}")
        preview.configure_render(scene, width=width, height=args.size, samples=4)
    blend = out / "head_motion_demo.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(blend))
    plot = plot_tracks(list(tracks.values()), out / "head_motion_demo_plot.png",
                       title="Head Motion demo: yaw / pitch / roll (silences shaded)")
    still = None
    if args.character == "human" and args.still_size:
        t_still = time.perf_counter()
        scene.render.resolution_x, scene.render.resolution_y = 2 * round(args.still_size * 8 / 9), args.still_size
        scene.cycles.samples = max(args.samples, 8)
        still = preview.render_still(scene, out / "head_motion_demo_frame.png", min(scene.frame_end, 2 * args.fps))
        print(f"  still     : {time.perf_counter() - t_still:.1f} s")
        scene.render.resolution_x, scene.render.resolution_y = width, args.size
        scene.cycles.samples = args.samples
    video = None
    if not args.no_render and args.character == "human" and args.size < 720:
        showcase_character.set_subdivision(rigs, 0)  # small frames: the base mesh alone is smooth enough
    if not args.no_render:
        scene.frame_end = min(scene.frame_end, round(args.preview_seconds * args.fps))
        video = preview.render_video(scene, out / "head_motion_demo_preview.mp4")

    print("Head Motion demo")
    print(f"  voice     : {SPEECH.relative_to(ROOT)} ({n_frames} frames at {args.fps} fps)")
    print("\n".join(lines))
    for label, why in skipped():
        print(f"  {label:<28} -> skipped: {why}")
    print(f"  wrote     : {blend}")
    print(f"  wrote     : {plot}")
    if still is not None:
        print(f"  wrote     : {still}")
    if video is not None:
        print(f"  wrote     : {video}")
    print(f"  took      : {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
