"""Headless batch processing for pipeline TDs.

Registered as a Blender command (Blender 4.2+)::

    blender -b -c head_motion --method synthetic --output out/ voice1.wav takes/

and reachable over the bpy module as ``python -m tools.cli …`` (same handler, same arguments). For
every input file it opens the rig (``--rig file.blend``, or the built-in sample character), makes a pose
track with the chosen method, bakes it through the one bake path, and saves ``<output>/<input
stem>.blend`` (distinct inputs get distinct files, see :mod:`batch_outputs`; an existing file is skipped
unless ``--overwrite``). It checks the arguments and that ``--output`` is writable before any work, keeps
going past a bad input, writes a JSON summary, and exits with status 1 when any input failed (2 for bad
arguments or an unwritable output folder). User errors are reported without a Python traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import bpy

from .anim.bake import BakeOptions, bake_track, scene_fps
from .anim.compat import register_cli_command
from .anim.sample_character import build_sample_character
from .anim.target import bone_infos
from .batch_outputs import Planned, check_writable, plan_outputs
from .core.errors import HeadMotionError, SettingsError, TargetError
from .core.interop import export_flame, load_motion, load_motion_file
from .core.media import MEDIA_EXTENSIONS, TRACK_EXTENSIONS, VIDEO_EXTENSIONS
from .core.motion.builder import MotionSpec, build_motion
from .core.motion.synthetic import PRESETS
from .core.rig.matching import match_head_and_neck
from .core.timing import blender_frame_rate
from .core.track import PoseTrack
from .core.video.eye_choice import VideoEyes, video_eyes

TRACK_SUFFIXES = set(TRACK_EXTENSIONS)
AUDIO_SUFFIXES = set(MEDIA_EXTENSIONS)
VIDEO_SUFFIXES = set(VIDEO_EXTENSIONS)


@dataclass
class Motion:
    """What a method made of one input: the head ``track``, and for a video with ``--eyes`` the eyes to bake
    (:func:`core.video.eye_choice.video_eyes`: the measured ones or generated, with the notes saying which)."""

    track: PoseTrack
    video_eyes: VideoEyes | None = None


@dataclass
class Method:
    """A way to turn one input file into a pose track (and maybe eyes) for ``scene``."""

    suffixes: set[str]
    make_track: Callable[[Path, bpy.types.Scene, argparse.Namespace], Motion]
    help: str


def _track_from_file(path: Path, scene: bpy.types.Scene, args: argparse.Namespace) -> Motion:
    return Motion(load_motion_file(path, fps=scene_fps(scene)))  # track CSV/JSON, Live Link Face CSV, FLAME npz/JSON


def motion_spec(args: argparse.Namespace, method: str) -> MotionSpec:
    """The MotionSpec the command line describes (the same options as the panel and the API)."""
    style = None
    if args.style:
        from .core.motion.style import load_style

        style = load_style(args.style)
    return MotionSpec(
        method=method, preset=args.preset, style=style, intensity=args.intensity, seed=args.seed,
        axis_scale=(args.yaw_scale, args.pitch_scale, args.roll_scale), tempo=args.tempo,
        use_silence=not args.no_silence, accent_intensity=args.accents,
        posegan_model=str(args.model) if args.model else None,
    ).validate()


def _motion_for_audio(method: str) -> Callable[[Path, bpy.types.Scene, argparse.Namespace], Motion]:
    def make(path: Path, scene: bpy.types.Scene, args: argparse.Namespace) -> Motion:
        from .anim import audio

        spec = motion_spec(args, method)
        return Motion(build_motion(spec, scene_fps(scene), scene.frame_start, None, audio.load_voice(path)))

    return make


def _video_estimate(path: Path, scene: bpy.types.Scene, args: argparse.Namespace) -> Motion:
    from .anim.video import cache_dir
    from .core.video import EstimationSettings, estimate_video_cached

    settings = EstimationSettings(fov_deg=args.fov, mirror=args.mirror, landmarks=args.landmarks)
    result = estimate_video_cached(path, settings, cache_dir())
    start, fps = scene.frame_start, scene_fps(scene)
    eyes = video_eyes(result, args.eyes_from.upper(), start, fps) if args.eyes else None  # as the panel's Eyes From
    return Motion(result.to_pose_track(start_frame=start, fps=fps), eyes)


METHODS: dict[str, Method] = {
    "synthetic": Method(AUDIO_SUFFIXES, _motion_for_audio("synthetic"),
                        "synthetic motion that follows the voice's speech and pauses (audio or video files)"),
    "posegan": Method(AUDIO_SUFFIXES, _motion_for_audio("posegan"),
                      "PoseGAN audio-to-pose model (--model, --intensity)"),
    "track": Method(TRACK_SUFFIXES, _track_from_file,
                    "bake motion files: pose tracks (.csv/.json), Live Link Face .csv, FLAME .npz/.json"),
    "video": Method(VIDEO_SUFFIXES, _video_estimate, "head pose estimated from reference videos of a person"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="blender -b -c head_motion",
        description="Bake natural head motion onto a rig for every input file.",
    )
    parser.add_argument("inputs", nargs="+", type=Path, help="input files, or folders (searched for known types)")
    parser.add_argument("--method", choices=sorted(METHODS), default="synthetic",
                        help="; ".join(f"{k}: {m.help}" for k, m in METHODS.items()))
    parser.add_argument("--output", type=Path, required=True, help="folder for the output .blend files")
    parser.add_argument("--rig", type=Path, help=".blend with the character (default: built-in sample character)")
    parser.add_argument("--target", help="object to animate in --rig (default: the armature whose head is found)")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="CONVERSATIONAL")
    parser.add_argument("--style", type=Path, help="style file (.json, from Learn Style) instead of --preset")
    parser.add_argument("--intensity", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--accents", type=float, default=1.0, help="speech accent intensity (0 = off)")
    parser.add_argument("--yaw-scale", type=float, default=1.0, help="scale of left/right turns (synthetic)")
    parser.add_argument("--pitch-scale", type=float, default=1.0, help="scale of nods (synthetic)")
    parser.add_argument("--roll-scale", type=float, default=1.0, help="scale of side tilts (synthetic)")
    parser.add_argument("--tempo", type=float, default=1.0, help="speed of the movements (2 = twice as fast)")
    parser.add_argument("--no-silence", action="store_true", help="keep moving in the voice's pauses")
    parser.add_argument("--fps", type=_fps_argument,
                        help="frame rate of the built-in sample character's scene, 1-1000, exact for NTSC rates "
                             "(23.976 or 24000/1001 -> fps 24, fps_base 1.001; default 25; --rig keeps its own)")
    parser.add_argument("--neck-share", type=float, default=0.3)
    parser.add_argument("--mode", choices=["NEW_ACTION", "REPLACE"], default="NEW_ACTION")
    parser.add_argument("--model", type=Path, help="posegan method: .onnx model (default: the bundled one)")
    parser.add_argument("--fov", type=float, default=20.0, help="video method: camera field of view, degrees")
    parser.add_argument("--mirror", action="store_true", help="video method: the videos are mirrored (selfie)")
    parser.add_argument("--landmarks", choices=["auto", "mediapipe", "litert"], default="auto",
                        help="video method: face-landmark backend (auto: mediapipe where installed, else LiteRT)")
    parser.add_argument("--no-sound", action="store_true", help="do not add the input's sound as a strip")
    parser.add_argument("--preview", action="store_true",
                        help="also render <output>/<input stem>.mp4 (Cycles CPU, small, with sound)")
    parser.add_argument("--eyes", action="store_true",
                        help="also bake blinks and gaze (eye bones, lid bones, blink/gaze shape keys)")
    parser.add_argument("--eye-target", help="object in --rig the eyes keep contact with (default: the scene camera)")
    parser.add_argument("--eyes-from", choices=("video", "generated"), default="video",
                        help="video method with --eyes: the person's blinks and gaze measured in the video (default; "
                             "generated when the video's eyes were not measured) or generated eyes")
    parser.add_argument("--summary", type=Path, help="JSON summary path (default: <output>/summary.json)")
    parser.add_argument("--export-flame", action="store_true",
                        help="also write <output>/<input stem>.flame.npz (FLAME pose parameters of the baked motion)")
    parser.add_argument("--flame-global-share", type=float, default=0.0,
                        help="--export-flame: part of the head turn put in FLAME's global rotation (0-1)")
    parser.add_argument("--skip-existing", action="store_true",
                        help="farm re-runs: skip inputs whose outputs are newer than the input and --rig, replace "
                        "older outputs (without it existing outputs are always skipped unless --overwrite)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace existing output files (default: skip inputs whose .blend already exists)")
    return parser


def _fps_argument(text: str) -> tuple[int, float]:
    try:
        return blender_frame_rate(text, "--fps")
    except SettingsError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def collect_inputs(paths: list[Path], suffixes: set[str]) -> list[Path]:
    """Files in ``paths``; folders are searched (not recursively) for ``suffixes``, sorted by name."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in suffixes))
        else:
            out.append(path)
    return out


def _open_rig(args: argparse.Namespace) -> bpy.types.Object:
    if args.rig is None:
        bpy.ops.wm.read_homefile(use_empty=True)
        bpy.context.scene.render.fps, bpy.context.scene.render.fps_base = args.fps or (25, 1.0)
        return build_sample_character()
    if not args.rig.is_file():
        raise TargetError(f"Rig file not found: {args.rig}")
    bpy.ops.wm.open_mainfile(filepath=str(args.rig), load_ui=False)
    if args.target:
        obj = bpy.data.objects.get(args.target)
        if obj is None:
            raise TargetError(f"'{args.rig.name}' has no object named '{args.target}'.")
        return obj
    for obj in bpy.data.objects:
        if obj.type == "ARMATURE" and obj.library is None and match_head_and_neck(bone_infos(obj.data)).head:
            return obj
    raise TargetError(f"No armature with a recognisable head bone in '{args.rig.name}'; pass --target.")


def process_one(path: Path, args: argparse.Namespace, blend: Path | None = None) -> dict:
    """Bake one input and save its .blend (default ``<output>/<stem>.blend``); returns its summary entry
    (raises on failure)."""
    if not path.is_file():
        raise SettingsError(f"Input not found: {path}")
    obj = _open_rig(args)
    scene = bpy.context.scene
    motion = METHODS[args.method].make_track(path, scene, args)
    track = motion.track
    options = BakeOptions(mode=args.mode, neck_share=args.neck_share, facing=obj.head_motion.facing
                          if hasattr(obj, "head_motion") else "AUTO")
    result = bake_track(obj, track, options, scene=scene)
    scene.frame_start, scene.frame_end = result.frame_start, result.frame_end
    notes: list[str] = []
    blinks = _bake_eyes(obj, motion, options, scene, args, notes, path) if args.eyes else None
    if args.method != "track" and not args.no_sound:
        from .anim.audio import place_audio

        try:
            place_audio(scene, path, result.frame_start, None, add_strip=True, set_frame_range=False)
        except RuntimeError as exc:  # e.g. a video without sound
            notes.append(f"no sound strip: {exc}")
    blend = (blend or args.output / f"{path.stem}.blend").resolve()
    try:
        blend.parent.mkdir(parents=True, exist_ok=True)
        _save_without_thumbnail(blend)
    except (OSError, RuntimeError) as exc:  # Blender reports write failures as RuntimeError
        raise SettingsError(f"Cannot save '{blend}': {getattr(exc, 'strerror', None) or exc}".strip()) from None
    flame_file = None
    if args.export_flame:  # a motion file's eyes (Live Link, FLAME) go along; otherwise the baked track
        motion = load_motion(path, fps=scene_fps(scene)) if args.method == "track" else track
        flame_file = str(export_flame(motion, blend.with_suffix(".flame.npz"),
                                      fps=scene_fps(scene), global_share=args.flame_global_share))
    preview = None
    if args.preview:
        from .anim import preview as render

        if obj.type == "ARMATURE":
            render.frame_characters(scene, [obj], result.joints[-1])
        if scene.camera is None:
            notes.append("no preview: the rig file has no camera and the target is not an armature")
        else:
            render.configure_render(scene, width=384, height=216, samples=4)
            preview = str(render.render_video(scene, blend.with_suffix(".mp4")))
    return {
        "flame": flame_file,
        "preview": preview,
        "notes": notes + result.notes,
        "blend": str(blend),
        "target": obj.name,
        "joints": result.joints,
        "action": result.action.name,
        "frames": [result.frame_start, result.frame_end],
        "fps": scene_fps(scene),
        "keys": result.keys_written,
        "blinks": blinks,
    }


def _up_to_date(path: Path, blend: Path, args: argparse.Namespace) -> bool:
    """Whether this input's outputs exist and are newer than the input and the rig file (``--skip-existing``)."""
    outputs = [blend]
    outputs += [blend.with_suffix(".flame.npz")] if args.export_flame else []
    outputs += [blend.with_suffix(".mp4")] if args.preview else []
    sources = [path] + ([args.rig] if args.rig is not None and args.rig.is_file() else [])
    newest = max(p.stat().st_mtime for p in sources)
    return all(p.is_file() and p.stat().st_mtime >= newest for p in outputs)


def _bake_eyes(obj: bpy.types.Object, motion: Motion, options: BakeOptions, scene: bpy.types.Scene,
               args: argparse.Namespace, notes: list[str], path: Path) -> int:
    """``--eyes``: bake eyes for the head track of ``motion``: a video's eyes as chosen by ``--eyes-from`` (the
    measured :class:`~core.eyes.track.EyeTrack` itself, so its blinks are the ones counted), a pose-track file's eye
    columns, else generated ones; returns the number of blinks (0 with a note when the rig has no eyes)."""
    from .anim.eyes import EyeBakeOptions, bake_eyes
    from .core.eyes import EyeSettings
    from .core.eyes.files import load_eyes

    target = None
    if args.eye_target:
        target = bpy.data.objects.get(args.eye_target)
        if target is None:
            raise TargetError(f"--eye-target: there is no object named '{args.eye_target}'.")
    eye_options = EyeBakeOptions(settings=EyeSettings(seed=args.seed), target=target, mode=options.mode,
                                 neck_share=options.neck_share, facing=options.facing)
    track = motion.track
    if motion.video_eyes is not None:
        stored = motion.video_eyes.track
        notes.extend(motion.video_eyes.notes)
    else:
        stored = load_eyes(path, track) if track.eyes else None
    try:
        baked = bake_eyes(obj, track, eye_options, scene=scene, eye_track=stored)
    except TargetError as exc:
        notes.append(f"eyes not baked: {exc}")
        return 0
    notes.extend(baked.notes)
    return baked.blinks


def _save_without_thumbnail(blend: Path) -> None:
    """Save a copy of the file at ``blend`` without a preview image: Blender 5.2 renders one in background mode
    and also writes it to ``~/.cache/thumbnails``, outside the output folder (issue #15). The user's preference
    is restored afterwards."""
    paths = bpy.context.preferences.filepaths
    preview, paths.file_preview_type = paths.file_preview_type, "NONE"
    try:
        bpy.ops.wm.save_as_mainfile(filepath=str(blend), copy=True)
    finally:
        paths.file_preview_type = preview


def _check_arguments(args: argparse.Namespace) -> str | None:
    """Why the arguments cannot work (checked once, before any input is processed), or None."""
    try:
        for method in {args.method} & {"synthetic", "posegan"}:
            motion_spec(args, method)
        BakeOptions(mode=args.mode, neck_share=args.neck_share).validate()
        if args.method == "video":
            from .core.video import EstimationSettings

            EstimationSettings(fov_deg=args.fov, mirror=args.mirror, landmarks=args.landmarks).validate()
    except HeadMotionError as exc:
        return str(exc)
    return None


def _process_planned(item: Planned, args: argparse.Namespace) -> dict:
    entry: dict = {"input": str(item.input), "blend": str(item.blend)}
    if item.duplicate_of is not None:
        entry.update(ok=True, skipped=f"the same file as {item.duplicate_of}, already processed")
        return entry
    outputs = (item.blend, item.blend.with_suffix(".mp4") if args.preview else None,
               item.blend.with_suffix(".flame.npz") if args.export_flame else None)
    existing = [p for p in outputs if p and p.exists()]
    stale = (bool(existing) and args.skip_existing and item.input.is_file()  # a farm re-run after a change
             and not _up_to_date(item.input, item.blend, args))
    if existing and not args.overwrite and not stale:
        entry.update(ok=True, skipped=f"'{existing[0]}' exists (use --overwrite to replace it)")
        return entry
    try:
        entry.update(process_one(item.input, args, item.blend))
        entry["ok"] = True
    except HeadMotionError as exc:
        entry.update(ok=False, error=str(exc))
    except MemoryError:
        entry.update(ok=False, error="out of memory (the input is too long for this machine)")
    except Exception as exc:  # keep the batch going; report the unexpected failure with its trace
        entry.update(ok=False, error=f"{type(exc).__name__}: {exc}", trace=traceback.format_exc())
    return entry


def _write_summary(summary: dict, path: Path) -> str | None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(summary, indent=2))
    except OSError as exc:
        return f"cannot write the summary '{path}': {exc.strerror or exc}"
    return None


def run(argv: list[str]) -> int:
    """Handler of ``blender -c head_motion``: process every input, return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help (0) and on bad arguments (2)
        return int(exc.code or 0)
    inputs = collect_inputs(args.inputs, METHODS[args.method].suffixes)
    if not inputs:
        print("head_motion: no input files found")
        return 2
    problem = _check_arguments(args)
    if problem is None:
        problem = check_writable(args.output)
    if problem is None and args.summary is not None:
        problem = check_writable(args.summary.parent)
    if problem is not None:
        print(f"head_motion: {problem}", file=sys.stderr)
        return 2
    entries = []
    for item in plan_outputs(inputs, args.output):
        started = time.perf_counter()
        entry = _process_planned(item, args)
        entry["seconds"] = round(time.perf_counter() - started, 3)
        status = "ok" if entry["ok"] else f"FAILED: {entry['error']}"
        if entry.get("skipped"):
            status = f"skipped: {entry['skipped']}"
        print(f"head_motion: {item.input}: {status}", flush=True)
        entries.append(entry)
    failed = [e for e in entries if not e["ok"]]
    skipped = [e for e in entries if e.get("skipped")]
    summary = {"method": args.method, "inputs": len(entries), "succeeded": len(entries) - len(failed) - len(skipped),
               "skipped": len(skipped), "failed": len(failed), "results": entries}
    if args.eyes:
        summary["blinks"] = sum(e.get("blinks") or 0 for e in entries)
    summary_path = args.summary or args.output / "summary.json"
    problem = _write_summary(summary, summary_path)
    if problem is not None:
        print(f"head_motion: {problem}", file=sys.stderr)
        return 1
    print(f"head_motion: {summary['succeeded']} of {len(entries)} inputs baked, {len(skipped)} skipped; "
          f"summary: {summary_path}")
    return 1 if failed else 0


_cli_handle = None


def register() -> None:
    """Register ``blender -c head_motion`` (Blender 4.2+)."""
    global _cli_handle
    _cli_handle = register_cli_command("head_motion", run)


def unregister() -> None:
    global _cli_handle
    if _cli_handle is not None:
        bpy.utils.unregister_cli_command(_cli_handle)
        _cli_handle = None
