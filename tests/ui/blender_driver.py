"""Runs inside a real Blender window (started by tests/ui/conftest.py under Xvfb): drives the Head Motion UI.

Not a pytest module: Blender runs it with ``--python``. It enables the extension from this source tree (as
the other Blender tests do, tools/extension_dev.py), then runs each check as a generator stepped by
``bpy.app.timers``, so Blender's event loop runs between the steps: windows redraw, modal operators get
their timer events, simulated key presses (``--enable-event-simulate``, ``Window.event_simulate``) arrive.
Every check records ``{"ok": bool, "detail": ..., ...}`` in ``$HEAD_MOTION_UI_OUT/results.json``;
screenshots (read from the X server with ``xwd``, see :func:`screenshot`) are written beside it.
Blender quits when all checks ran.

Panel draws are observed two ways: every Head Motion panel class's ``draw`` is wrapped to count its calls
and record what it raised (the exception still propagates to Blender), and ``sys.excepthook`` (Blender
prints Python errors of draw callbacks through it) records every error printed while a state is drawn.
A canary panel that raises proves the detection works.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

import bpy

ROOT = Path(os.environ["HEAD_MOTION_UI_ROOT"])
OUT = Path(os.environ["HEAD_MOTION_UI_OUT"])
VIDEO = os.environ.get("HEAD_MOTION_UI_VIDEO", "")
SPEECH = ROOT / "samples" / "speech_sample.ogg"
# The compiled dependencies (onnxruntime, OpenCV, LiteRT) of the Python 3.13 venv of the trixie root.
VENV_SITE = Path(os.environ.get("HEAD_MOTION_UI_SITE", "/opt/venv/lib/python3.13/site-packages"))
if VENV_SITE.is_dir() and str(VENV_SITE) not in sys.path:
    sys.path.append(str(VENV_SITE))
sys.path.insert(0, str(ROOT / "tools"))
import extension_dev  # noqa: E402

RESULTS: dict[str, dict] = {}
ERRORS: list[str] = []  # Python errors Blender printed (sys.excepthook)
DRAWS: dict[str, int] = {}  # panel class name -> draw calls
DRAW_ERRORS: dict[str, list[str]] = {}
EXT = None


def _excepthook(kind, value, tb):
    ERRORS.append("".join(traceback.format_exception(kind, value, tb)))
    sys.__excepthook__(kind, value, tb)


sys.excepthook = _excepthook


# -- the window -----------------------------------------------------------------------------------------------

def window():
    return bpy.context.window_manager.windows[0]


def area(kind: str = "VIEW_3D"):
    return next(a for a in window().screen.areas if a.type == kind)


def region(kind: str, area_kind: str = "VIEW_3D"):
    return next(r for r in area(area_kind).regions if r.type == kind)


def override(area_kind: str = "VIEW_3D", region_kind: str = "WINDOW"):
    win = window()
    a = area(area_kind)
    return bpy.context.temp_override(window=win, screen=win.screen, area=a,
                                     region=next(r for r in a.regions if r.type == region_kind))


def redraw() -> None:
    """Draw the whole window now and swap it to the screen (what the user sees)."""
    with override():
        bpy.ops.wm.redraw_timer(type="DRAW_WIN_SWAP", iterations=1)


def _read_xwd(data: bytes):
    """Pixels of an XWD dump (``xwd -root``) as an (H, W, 3) uint8 array (32-bit TrueColor, as Xvfb -screen WxHx24)."""
    import numpy as np

    header = struct.unpack(">25I", data[:100])
    header_size, width, height, byte_order, bits_per_pixel, bytes_per_line, ncolors = (
        header[0], header[4], header[5], header[7], header[11], header[12], header[19])
    if bits_per_pixel != 32:
        raise RuntimeError(f"xwd: {bits_per_pixel} bits per pixel, expected 32")
    start = header_size + 12 * ncolors
    rows = np.frombuffer(data[start:start + bytes_per_line * height], np.uint8).reshape(height, bytes_per_line)
    px = rows[:, :width * 4].reshape(height, width, 4)
    return np.ascontiguousarray(px[:, :, [2, 1, 0]] if byte_order == 0 else px[:, :, [1, 2, 3]])


def screenshot(name: str, crop=None) -> dict:
    """Draw the window, read the screen from the X server (``xwd``), save ``OUT/name.png``; ``crop``: a region or
    (x, y, width, height) in window pixels from the bottom left. Returns facts about the picture.

    Blender's own ``screen.screenshot`` reads OpenGL's front buffer, which is black with Mesa's software
    driver on Xvfb; the X server has the real pixels.
    """
    import numpy as np
    from PIL import Image

    redraw()
    data = subprocess.run(["xwd", "-root", "-silent"], check=True, capture_output=True).stdout
    pixels = _read_xwd(data)
    win = window()
    if crop is not None:
        if not isinstance(crop, tuple):
            crop = (crop.x, crop.y, crop.width, crop.height)
        x, y, w, h = crop
        top = win.height - (y + h)
        pixels = pixels[top:top + h, x:x + w]
    path = OUT / f"{name}.png"
    Image.fromarray(pixels).save(path)
    return {"png": path.name, "size": [int(pixels.shape[1]), int(pixels.shape[0])],
            "distinct_colours": len(np.unique(pixels.reshape(-1, 3), axis=0)),
            "mean": float(pixels.mean())}


def show_sidebar():
    """Open the 3D Viewport's sidebar on the Head Motion tab (once the window has drawn it with its tabs)."""
    area().spaces.active.show_region_ui = True
    yield 0.3
    ui = region("UI")
    if ui.active_panel_category != "Head Motion":
        with override(region_kind="UI"):
            bpy.context.region.active_panel_category = "Head Motion"
        yield 0.2


def _click(x: int, y: int, ctrl: bool = False) -> None:
    win = window()
    win.event_simulate(type="MOUSEMOVE", value="NOTHING", x=x, y=y)
    win.event_simulate(type="LEFTMOUSE", value="PRESS", x=x, y=y, ctrl=ctrl)
    win.event_simulate(type="LEFTMOUSE", value="RELEASE", x=x, y=y, ctrl=ctrl)


# -- what the scene holds -------------------------------------------------------------------------------------

def _rna_values(struct_) -> dict:
    out = {}
    for prop in struct_.bl_rna.properties:
        if prop.identifier in {"rna_type", "name"} or prop.type == "COLLECTION":
            continue
        value = getattr(struct_, prop.identifier, None)
        if prop.type == "POINTER":
            value = getattr(value, "name", None) if value is not None else None
        elif hasattr(value, "__len__") and not isinstance(value, str):
            value = [round(v, 6) if isinstance(v, float) else v for v in value]
        elif isinstance(value, float):
            value = round(value, 6)
        out[prop.identifier] = value
    return out


def _fcurves(action):
    curves = list(getattr(action, "fcurves", []) or [])
    for layer in getattr(action, "layers", []) or []:
        for strip in layer.strips:
            for bag in getattr(strip, "channelbags", []):
                curves.extend(bag.fcurves)
    return curves


def snapshot() -> dict:
    """Everything the Head Motion operators may change, as plain data (compared before/after)."""
    scene = bpy.context.scene
    snap: dict = {"scene": {"frame_start": scene.frame_start, "frame_end": scene.frame_end,
                            "head_motion": _rna_values(scene.head_motion)}}
    snap["counts"] = {kind: sorted(i.name for i in getattr(bpy.data, kind))
                      for kind in ("objects", "actions", "sounds", "images", "materials", "meshes")}
    objects = {}
    for obj in bpy.data.objects:
        entry = {"location": [round(v, 6) for v in obj.location], "parent": getattr(obj.parent, "name", None),
                 "action": None, "head_motion": _rna_values(obj.head_motion)}
        if obj.animation_data is not None and obj.animation_data.action is not None:
            entry["action"] = obj.animation_data.action.name
        if obj.pose is not None:
            entry["pose"] = {pb.name: [round(v, 6) for v in (*pb.rotation_quaternion, *pb.rotation_euler)]
                             for pb in obj.pose.bones}
        objects[obj.name] = entry
    snap["objects"] = objects
    actions = {}
    for action in bpy.data.actions:
        keys = hashlib.sha256()
        n = 0
        for fc in _fcurves(action):
            keys.update(f"{fc.data_path}[{fc.array_index}]".encode())
            for kp in fc.keyframe_points:
                keys.update(struct.pack("<2d", *kp.co))
                n += 1
        actions[action.name] = {"keys": n, "hash": keys.hexdigest()[:16]}
    snap["actions"] = actions
    editor = scene.sequence_editor
    strips = []
    if editor is not None:
        all_strips = getattr(editor, "strips_all", None) or editor.sequences_all
        strips = sorted((s.name, s.type, int(s.frame_start)) for s in all_strips)
    snap["strips"] = strips
    return snap


def diff(a: dict, b: dict, path: str = "") -> list[str]:
    """Where two snapshots differ (paths), empty when equal."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b), key=str):
            if key not in a or key not in b:
                out.append(f"{path}/{key}: {'added' if key not in a else 'removed'}")
            else:
                out.extend(diff(a[key], b[key], f"{path}/{key}"))
        return out
    return [] if a == b else [f"{path}: {a!r} -> {b!r}"[:300]]


# -- scene states ---------------------------------------------------------------------------------------------

def select_only(obj) -> None:
    view_layer = bpy.context.view_layer
    for o in view_layer.objects:
        o.select_set(False)
    if obj is not None:
        obj.select_set(True)
    view_layer.objects.active = obj


def new_scene():
    """The factory startup file (cube, camera, light), 24 fps, the sidebar open on the Head Motion tab."""
    # No context override here: the file load frees the screen and areas an override would restore.
    bpy.ops.wm.read_homefile(app_template="")
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.frame_start, scene.frame_end = 1, 120
    yield 0.3
    yield from show_sidebar()


def sample_character(name: str = "Character"):
    rig = EXT.api.build_sample_character(name=name)
    bpy.context.view_layer.update()
    return rig


def undo_push(message: str) -> None:
    with override():
        bpy.ops.ed.undo_push(message=message)


def undo() -> None:
    with override():
        bpy.ops.ed.undo()


def statusbar_rect() -> tuple[int, int, int, int]:
    """The status bar at the bottom of the window (a global area, not in ``screen.areas``): below the lowest area."""
    win = window()
    return (0, 0, win.width, min(a.y for a in win.screen.areas))


def modal_running() -> list:
    return [op for op in window().modal_operators if op.bl_idname.startswith("HEAD_MOTION_OT")]


# -- the checks -----------------------------------------------------------------------------------------------

def check(fn):
    """Register a check: a generator yielding seconds to wait, returning a result dict."""
    CHECKS.append(fn)
    return fn


CHECKS: list = []


def _panel_classes():
    return [c for c in EXT.registration.registered_classes() if issubclass(c, bpy.types.Panel)]


def _observed(original, name: str):
    # Exactly (self, context): Blender passes as many arguments as the method's code declares.
    def draw(self, context):
        DRAWS[name] = DRAWS.get(name, 0) + 1
        try:
            original(self, context)
        except Exception:
            DRAW_ERRORS.setdefault(name, []).append(traceback.format_exc())
            raise

    return draw


def _instrument_panels() -> None:
    """Count each Head Motion panel's draws and keep what they raise (the error still reaches Blender)."""
    for cls in _panel_classes():
        cls.draw = _observed(cls.draw, cls.__name__)


def _open_all_subpanels():
    """Ctrl+click on the Head Motion header toggles all its sub-panels (Blender's panel shortcut): click until
    the closed-by-default ones (PoseGAN, Reference Video, Silence) draw. Returns whether they did."""
    ui = region("UI")
    closed = ("HEADMOTION_PT_posegan", "HEADMOTION_PT_video", "HEADMOTION_PT_silence")
    x = ui.x + ui.width // 3
    y = ui.y + ui.height - 14  # the first panel's header, at the top of the sidebar
    for _ in range(3):
        before = {n: DRAWS.get(n, 0) for n in closed}
        redraw()
        if all(DRAWS.get(n, 0) > before[n] for n in closed):
            return True
        _click(x, y, ctrl=True)
        yield 0.3
    return False


def _draw_state(name: str, crop_sidebar: bool = True):
    """Draw the window in the current state; what drew, what failed, a screenshot of the sidebar."""
    DRAWS.clear()
    DRAW_ERRORS.clear()
    del ERRORS[:]
    yield 0.2
    redraw()
    redraw()
    shot = screenshot(f"sidebar_{name}", region("UI") if crop_sidebar else None)
    return {"drawn": dict(DRAWS), "draw_errors": {k: v[-1] for k, v in DRAW_ERRORS.items()},
            "printed_errors": list(ERRORS), "screenshot": shot}


def _state_result(state: dict, expected: set[str]) -> dict:
    missing = sorted(expected - set(state["drawn"]))
    ok = not state["draw_errors"] and not state["printed_errors"] and not missing
    return {"ok": ok, "missing": missing, **state}


@check
def canary_detects_draw_errors():
    """A panel whose draw raises is caught by both detectors (so a passing state is not a blind spot)."""

    class HEADMOTION_PT_ui_test_canary(bpy.types.Panel):
        bl_label = "Canary"
        bl_space_type, bl_region_type, bl_category = "VIEW_3D", "UI", "Head Motion"

        def draw(self, context):
            DRAWS["canary"] = DRAWS.get("canary", 0) + 1
            raise ValueError("canary panel: deliberate draw error")

    yield from new_scene()
    bpy.utils.register_class(HEADMOTION_PT_ui_test_canary)
    try:
        state = yield from _draw_state("canary")
    finally:
        bpy.utils.unregister_class(HEADMOTION_PT_ui_test_canary)
    caught = any("deliberate draw error" in e for e in state["printed_errors"])
    return {"ok": caught and state["drawn"].get("canary", 0) > 0, **state}


def _state_check(name: str, setup, expected_extra: set[str], open_all: bool = True):
    yield from new_scene()
    setup()
    if open_all:
        opened = yield from _open_all_subpanels()
    else:
        opened = True
    state = yield from _draw_state(name)
    base = {"HEADMOTION_PT_main", "HEADMOTION_PT_motion", "HEADMOTION_PT_voice", "HEADMOTION_PT_bake",
            "HEADMOTION_PT_posegan", "HEADMOTION_PT_video", "HEADMOTION_PT_silence"}
    result = _state_result(state, base | expected_extra)
    result["opened_all"] = opened
    result["ok"] = result["ok"] and opened
    return result


@check
def panels_no_target():
    def setup():
        select_only(None)

    return (yield from _state_check("no_target", setup, set()))


@check
def panels_armature():
    def setup():
        select_only(sample_character())
        s = bpy.context.scene.head_motion
        s.silence_source = "CHANNEL"  # its extra fields draw too
        s.use_scene_range = False
        s.voice_input = "FILE"

    return (yield from _state_check("armature", setup, {"HEADMOTION_PT_rig"}))


@check
def panels_mesh():
    def setup():
        select_only(bpy.data.objects["Cube"])

    return (yield from _state_check("mesh", setup, {"HEADMOTION_PT_rig"}))


@check
def panels_linked_rig():
    def setup():
        # A character saved in another file and linked in (read-only data, as in a studio pipeline).
        library = Path(tempfile.mkdtemp(prefix="head_motion_ui_lib_")) / "character.blend"
        rig = sample_character("LinkedCharacter")
        bpy.data.libraries.write(str(library), {rig, *(o for o in bpy.data.objects if o.parent == rig)})
        for obj in [rig, *rig.children]:
            bpy.data.objects.remove(obj)
        with bpy.data.libraries.load(str(library), link=True) as (src, dst):
            dst.objects = list(src.objects)
        for obj in dst.objects:
            bpy.context.scene.collection.objects.link(obj)
        linked = bpy.data.objects["LinkedCharacter"]
        assert linked.library is not None
        select_only(linked)
        bpy.context.scene.head_motion.target = linked

    result = yield from _state_check("linked_rig", setup, {"HEADMOTION_PT_rig"})
    with override():
        polled = bpy.ops.head_motion.generate_bake.poll()
    before = snapshot()
    with override():
        try:
            outcome = sorted(bpy.ops.head_motion.generate_bake())
        except RuntimeError as exc:  # reported as an error: Blender raises it to the Python caller
            outcome = [f"error: {str(exc).strip()}"]
    changed = diff(before, snapshot())
    result.update(bake_on_linked=outcome, changed_by_bake=changed)
    result["ok"] = result["ok"] and polled is not None and not changed
    return result


def _video_ready() -> str | None:
    if not VIDEO or not Path(VIDEO).is_file():
        return f"no development clip at {VIDEO or '(HEAD_MOTION_UI_VIDEO unset)'}"
    return None


def _video_scene():
    yield from new_scene()
    bpy.data.objects.remove(bpy.data.objects["Cube"])
    rig = sample_character()
    select_only(rig)
    s = bpy.context.scene.head_motion
    s.video_path = VIDEO
    s.style_name = "UI Test Speaker"
    undo_push("Head Motion UI test: video scene")
    return rig


def _clear_video_cache() -> None:
    """Remove every cached video estimate (``*.npz``) from the extension's user folder (this session's own)."""
    for entry in EXT.anim.video.cache_dir().glob("*.npz"):
        entry.unlink()


class _ProgressGate:
    """Records every progress report ``(done, total)`` of the video jobs (``_VideoJob._on_progress``) and holds the
    job's worker once, at its first report with ``done >= at * total`` (``done < total`` too unless ``last``), until
    :meth:`release` (at most :data:`HOLD_S`). So the window sees the job running at that point on any machine: the
    clip's 250 frames may be estimated in well under a second on a fast one, before the event loop has drawn a frame.
    The estimation itself runs unchanged; only its progress report waits. :meth:`close` puts the method back."""

    HOLD_S = 60.0

    def __init__(self, at: float, last: bool = False) -> None:
        self.reports: list[list[int]] = []
        self.held = threading.Event()  # set while (and after) the worker waits
        self._open = threading.Event()
        self._cls = EXT.operators.video_ops._VideoJob
        self._original = self._cls.__dict__["_on_progress"]
        gate = self

        def on_progress(job, done: int, total: int) -> None:
            gate._original(job, done, total)
            gate.reports.append([done, total])
            if not gate._open.is_set() and done > 0 and done >= at * total and (last or done < total):
                gate.held.set()
                gate._open.wait(gate.HOLD_S)
                gate._open.set()

        self._cls._on_progress = on_progress

    def release(self) -> None:
        self._open.set()

    def close(self) -> None:
        self._open.set()
        self._cls._on_progress = self._original


def _invoke_video(op: str = "bake_video"):
    with override():
        return sorted(getattr(bpy.ops.head_motion, op)("INVOKE_DEFAULT"))


@check
def video_bake_esc_cancels():
    """Esc in the middle of the threaded Bake From Video: stops it, nothing in the scene changes."""
    if (why := _video_ready()) is not None:
        return {"ok": False, "skipped": why}
    yield from _video_scene()
    yield 0.2
    _clear_video_cache()  # an estimate cached by an earlier check would finish at once
    before = snapshot()
    gate = _ProgressGate(at=0.0)  # the job waits at its first frames done until Esc is pressed, however fast it is
    try:
        started = _invoke_video()
        progress = []
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < 120:
            ops = modal_running()
            if not ops:
                break
            held = gate.held.is_set()  # before reading: a held job's progress stands still
            progress.append(list(getattr(ops[0], "_progress", (0, 1))))
            if held:
                break
            yield 0.02
        at_esc = progress[-1] if progress else None
        job = modal_running()[0] if modal_running() else None
        mouse = (region("WINDOW").x + 200, region("WINDOW").y + 200)  # over the 3D view, as a user presses Esc
        window().event_simulate(type="MOUSEMOVE", value="NOTHING", x=mouse[0], y=mouse[1])
        window().event_simulate(type="ESC", value="PRESS", x=mouse[0], y=mouse[1])
        window().event_simulate(type="ESC", value="RELEASE", x=mouse[0], y=mouse[1])
        t_esc = time.perf_counter()
        yield 0.05
        seen = bool(job is not None and job._cancel.is_set()) if modal_running() else None
    finally:
        gate.close()
    while modal_running() and time.perf_counter() - t_esc < 30:
        yield 0.1
    stopped_after = time.perf_counter() - t_esc
    yield 0.3
    shot = screenshot("bake_video_after_esc")
    changed = diff(before, snapshot())
    mid_way = at_esc is not None and 0 < at_esc[0] < at_esc[1]
    ok = started == ["RUNNING_MODAL"] and mid_way and not modal_running() and not changed and stopped_after < 10
    return {"ok": ok, "invoke": started, "progress_at_esc": at_esc, "esc_reached_operator": seen,
            "stopped_after_s": round(stopped_after, 2),
            "changed": changed, "screenshot": shot}


@check
def video_bake_progress_and_undo():
    """The threaded Bake From Video shows growing progress in the status bar, finishes and bakes; Undo restores;
    a second bake of the same video is instant (cache)."""
    if (why := _video_ready()) is not None:
        return {"ok": False, "skipped": why}
    rig = yield from _video_scene()
    opened = yield from _open_all_subpanels()  # Reference Video (closed by default) draws while the job runs
    with override():
        bpy.ops.view3d.view_axis(type="FRONT")
        bpy.ops.view3d.view_selected()
    yield 0.2
    _clear_video_cache()  # the first bake must read the video, whatever earlier checks left in the cache
    before = snapshot()
    status_idle = _statusbar_pixels("statusbar_idle")
    # The job waits at its first report of 20 % done or more (the last one, 100 %, on a machine too fast to report
    # in between) while the window is looked at, then goes on: what is asserted is what the job reported and what
    # the window showed, not how many times this loop happened to catch the job running.
    gate = _ProgressGate(at=0.2, last=True)
    try:
        t0 = time.perf_counter()
        started = _invoke_video()
        seen, shot, running, status_busy = [], None, None, None
        while modal_running() and time.perf_counter() - t0 < 300:
            done, total = getattr(modal_running()[0], "_progress", (0, 1))
            if not seen or seen[-1] != [done, total]:
                seen.append([done, total])
            if shot is None and gate.held.is_set():
                yield 0.2  # two ticks of the job's timer: the status bar shows where it stands
                DRAWS.clear()
                DRAW_ERRORS.clear()
                del ERRORS[:]
                done, total = getattr(modal_running()[0], "_progress", (0, 1))
                shot = screenshot("bake_in_progress")
                status_busy = _statusbar_pixels("statusbar_busy")
                running = {"drawn": dict(DRAWS), "draw_errors": {k: v[-1] for k, v in DRAW_ERRORS.items()},
                           "printed_errors": list(ERRORS), "progress": [done, total]}
                gate.release()
            yield 0.02
        first_s = time.perf_counter() - t0
    finally:
        gate.close()
    progress = gate.reports
    yield 0.2
    rig = bpy.data.objects["Character"]
    after = snapshot()
    changed = diff(before, after)
    action = rig.animation_data.action if rig.animation_data else None
    keys = after["actions"].get(action.name, {}).get("keys", 0) if action else 0
    growing = len(progress) >= 3 and all(b[0] >= a[0] for a, b in itertools.pairwise(progress))
    viewport = _viewport_picture(rig)

    undo()
    yield 0.3
    undone = diff(before, snapshot())

    # Second bake: the estimate is cached (same file, same settings).
    recorder = _ProgressGate(at=float("inf"))  # records, never holds
    try:
        t1 = time.perf_counter()
        second = _invoke_video()
        second_progress = []
        while modal_running() and time.perf_counter() - t1 < 60:
            second_progress.append(list(getattr(modal_running()[0], "_progress", (0, 1))))
            yield 0.05
        second_s = time.perf_counter() - t1
    finally:
        recorder.close()
    # A cache hit never reads frames: the job reports once, every frame done (core.video.cache), where reading the
    # video reports frame by frame (or every 0.05 s) and once more at the end; the window never shows a part done.
    frames_read = any(0 < done < total for done, total in second_progress) or not (
        len(recorder.reports) == 1 and recorder.reports[0][0] == recorder.reports[0][1] > 0)
    second_snap = snapshot()
    same_keys = second_snap["actions"] == after["actions"]
    ok = (opened and started == ["RUNNING_MODAL"] and growing and progress[-1][0] > 0 and keys > 0 and shot is not None
          and not undone and not frames_read and same_keys)
    return {"ok": ok, "invoke": started, "progress_samples": len(progress), "progress_first_last": [
        progress[0], progress[-1]] if progress else None, "window_samples": len(seen),
        "first_bake_s": round(first_s, 2),
        "keys": keys, "changed_by_bake": len(changed), "undo_leftovers": undone,
        "second": second, "second_bake_s": round(second_s, 3), "second_reports": recorder.reports,
        "second_read_frames": frames_read,
        "second_same_keys": same_keys,
        "screenshot": shot, "viewport": viewport, "while_running": running,
        "status_text_seen": status_busy is not None and _differs(status_idle, status_busy)}


def _statusbar_pixels(name: str):
    """The status bar (where the progress text shows) as pixels, saved as OUT/name.png."""
    import numpy as np
    from PIL import Image

    screenshot(name, statusbar_rect())
    return np.asarray(Image.open(OUT / f"{name}.png"))


def _differs(a, b) -> bool:
    """The status bar's left half (the text) changed in more than 1% of its pixels."""
    w = a.shape[1] // 2
    return bool((abs(a[:, :w].astype(int) - b[:, :w].astype(int)).sum(axis=2) > 30).mean() > 0.01)


def _viewport_picture(rig):
    """The baked character in the viewport (head turned), with the timeline's keys: OUT/viewport_result.png."""
    scene = bpy.context.scene
    select_only(rig)
    yaws = []
    for frame in range(scene.frame_start, scene.frame_end + 1, 5):
        scene.frame_set(frame)
        q = rig.pose.bones["head"].matrix.to_quaternion()
        yaws.append((abs(q.to_euler().z), frame))
    scene.frame_set(max(yaws)[1])
    space = area().spaces.active
    space.shading.type = "SOLID"
    space.shading.color_type = "MATERIAL"
    space.shading.light = "STUDIO"
    reference = bpy.data.objects.get("HeadMotionReference")
    if reference is not None:  # the development clips are not ours to publish: no frame of them in the pictures
        reference.hide_set(True)
    with override():
        bpy.ops.view3d.view_axis(type="FRONT")
        bpy.ops.view3d.view_selected()
        bpy.ops.view3d.zoom(delta=1)
    select_only(rig)
    with override():
        bpy.ops.object.mode_set(mode="POSE")  # the timeline shows the head's keys
        bpy.ops.pose.select_all(action="DESELECT")
    rig.data.bones["head"].select = True
    rig.data.bones.active = rig.data.bones["head"]
    shot = screenshot("viewport_result")
    with override():
        bpy.ops.object.mode_set(mode="OBJECT")
    return shot


def _operator_undo(name: str, run, expect_change: bool = True):
    """Run an operator in the window; Undo must bring back exactly the scene before it.

    Operators run as a button or shortcut runs them: in the window's context with an undo step pushed when
    they finish (``bpy.ops.…("EXEC_DEFAULT", True)``: the ``undo`` argument; a script's plain ``bpy.ops`` call
    pushes none) or, for the modal video jobs, invoked and finished through the event loop."""
    before = snapshot()
    outcome = yield from run()
    after = snapshot()
    changed = diff(before, after)
    undo()
    yield 0.3
    leftovers = diff(before, snapshot())
    ok = bool(changed) == expect_change and not leftovers
    return {"ok": ok, "operator": name, "outcome": outcome, "changed": changed[:8], "undo_leftovers": leftovers}


def _press(operator, **props):
    """A ``run`` for :func:`_operator_undo`: ``operator`` as its button runs it (the window's context, one undo
    step pushed when it finishes)."""

    def run():
        with override():
            yield 0
            return sorted(operator("EXEC_DEFAULT", True, **props))

    return run


def _character_scene():
    """A new scene holding the sample character, selected, with an undo step pushed."""
    yield from new_scene()
    select_only(sample_character())
    undo_push("Head Motion UI test: character")
    yield 0.2


@check
def undo_generate_bake():
    yield from _character_scene()
    return (yield from _operator_undo("Generate & Bake", _press(bpy.ops.head_motion.generate_bake)))


@check
def undo_clear():
    yield from new_scene()
    select_only(sample_character())
    with override():
        bpy.ops.head_motion.generate_bake("EXEC_DEFAULT", True)
    yield 0.2
    return (yield from _operator_undo("Clear", _press(bpy.ops.head_motion.clear)))


@check
def undo_import_voice():
    yield from _character_scene()
    return (yield from _operator_undo("Import Voice", _press(bpy.ops.head_motion.import_voice, filepath=str(SPEECH))))


@check
def undo_learn_style():
    if (why := _video_ready()) is not None:
        return {"ok": False, "skipped": why}
    yield from _video_scene()
    yield 0.2

    def run():
        started = _invoke_video("learn_style")
        t0 = time.perf_counter()
        while modal_running() and time.perf_counter() - t0 < 300:
            yield 0.1
        return started

    return (yield from _operator_undo("Learn Style", run))


@check
def readme_panel_picture():
    """The sidebar as a user first sees it, on a character with a voice: OUT/panel.png."""
    yield from new_scene()
    rig = sample_character()
    select_only(rig)
    with override():
        bpy.ops.head_motion.detect_bones()
        bpy.ops.head_motion.import_voice(filepath=str(SPEECH))
    if VIDEO:
        bpy.context.scene.head_motion.video_path = VIDEO
    # The sub-panels as a user first meets them: PoseGAN, Reference Video and Silence closed.
    opened = True
    state = yield from _draw_state("panel")
    ui = region("UI")
    full = screenshot("window_panel")
    shot = screenshot("panel", ui)
    return {"ok": opened and not state["draw_errors"] and not state["printed_errors"], "screenshot": shot,
            "window": full, "sidebar": [ui.x, ui.y, ui.width, ui.height]}


# -- runner ---------------------------------------------------------------------------------------------------

def _write() -> None:
    (OUT / "results.json").write_text(json.dumps(RESULTS, indent=1, default=str))


def _runner():
    global EXT
    t_all = time.perf_counter()
    user_dir = Path(os.environ["BLENDER_USER_RESOURCES"])
    EXT = extension_dev.enable_from_source(user_dir, "head_motion_ui")
    _instrument_panels()
    bpy.context.preferences.view.show_splash = False
    RESULTS["_environment"] = {"ok": True, "blender": bpy.app.version_string, "python": sys.version.split()[0],
                               "extension": EXT.__name__, "video": VIDEO,
                               "window": [window().width, window().height],
                               "gpu": __import__("gpu").platform.renderer_get()}
    yield 0.5
    only = os.environ.get("HEAD_MOTION_UI_ONLY", "").split()
    for fn in CHECKS:
        if only and fn.__name__ not in only:
            continue
        t0 = time.perf_counter()
        print(f"ui-test: {fn.__name__} …", flush=True)
        try:
            result = yield from fn()
        except Exception:
            result = {"ok": False, "exception": traceback.format_exc()}
        while modal_running():  # never leave a job running into the next check
            window().event_simulate(type="ESC", value="PRESS")
            yield 0.2
        result["seconds"] = round(time.perf_counter() - t0, 2)
        RESULTS[fn.__name__] = result
        print(f"ui-test: {fn.__name__}: {'ok' if result.get('ok') else 'FAILED'} ({result['seconds']} s)", flush=True)
        _write()
    RESULTS["_environment"]["total_s"] = round(time.perf_counter() - t_all, 1)
    _write()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    steps = _runner()

    def tick():
        try:
            wait = next(steps)
        except StopIteration:
            with override():
                bpy.ops.wm.quit_blender()
            return None
        except Exception:
            RESULTS["_runner"] = {"ok": False, "exception": traceback.format_exc()}
            _write()
            os._exit(3)
        return max(float(wait or 0.0), 0.01)

    bpy.app.timers.register(tick, first_interval=1.0, persistent=True)


main()
