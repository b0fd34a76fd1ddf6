"""Bake From Video: estimate the head pose of a person in a reference video and bake it onto the head.

In the UI the estimation runs in a worker thread (pure core code, no Blender data touched there) while a
modal timer shows progress in the status bar and the cursor; ESC cancels cleanly. In background mode
(``blender -b``, the bpy module) the same steps run synchronously. Results are cached per video file and
settings, so baking again is instant.
"""

from __future__ import annotations

import threading
from pathlib import Path

import bpy
from bpy.props import StringProperty
from bpy_extras.io_utils import ImportHelper

from ..anim import audio, video
from ..anim.bake import bake_track, scene_fps
from ..core.errors import Cancelled, HeadMotionError, MediaError
from ..core.video import EstimationResult, EstimationSettings, estimate_video_cached
from ..core.video.eye_choice import video_eyes
from ..properties.convert import bake_options, estimation_settings, target_object
from .base import TargetPoll, report_errors
from .eye_ops import after_head_bake


def finish_video_bake(context: bpy.types.Context, result: EstimationResult) -> str:
    """Bake an estimate onto the target, then add the sound strip and the reference plane; returns a report."""
    scene = context.scene
    s = scene.head_motion
    obj = target_object(context)
    track = result.to_pose_track(start_frame=s.video_start_frame, fps=scene_fps(scene))
    baked = bake_track(obj, track, bake_options(obj, scene), scene=scene)  # raises before any change
    notes = list(result.warnings[:2])
    panel = getattr(scene, "head_motion_eyes", None)
    if panel is not None and panel.enabled:  # the video's eyes or generated ones, by the one rule (docs/eyes.md)
        chosen = video_eyes(result, panel.video_eyes, s.video_start_frame, scene_fps(scene))
        eyes = after_head_bake(scene, obj, track, eye_track=chosen.track).strip()
        notes.append("; ".join([eyes, *chosen.notes]))
    if s.video_use_sound:
        try:
            clip = audio.load_audio(s.video_path)
        except MediaError as exc:
            notes.append(f"no sound used ({exc})")
        else:
            n_frames = baked.frame_end - baked.frame_start + 1
            strip = audio.place_audio(scene, bpy.path.abspath(s.video_path), s.video_start_frame, n_frames,
                                      add_strip=True, set_frame_range=True)
            if strip is not None:
                s.voice_input, s.voice_strip = "STRIP", strip.name
            else:
                s.voice_input, s.voice_path, s.voice_start_frame = "FILE", s.video_path, s.video_start_frame
            del clip
    if s.video_show_reference:
        try:
            video.show_reference(scene, bpy.path.abspath(s.video_path), result.n_frames, s.video_start_frame,
                                 beside=obj, mirror=s.video_mirror)
        except HeadMotionError as exc:
            notes.append(str(exc))
    missing = 100.0 * result.missing_fraction
    text = (f"Head Motion: baked {result.n_frames} video frames ({missing:.1f}% without a face) onto "
            f"{', '.join(baked.joints)} in '{baked.action.name}'")
    return " ".join([text, *notes])


def learn_style_from(context: bpy.types.Context, result: EstimationResult) -> str:
    """Fit a style to an estimate, save it under the panel's style name and select it; returns a report."""
    from ..anim.user_data import style_path
    from ..core.motion.style import save_style
    from ..core.motion.style_fit import style_from_estimate

    s = context.scene.head_motion
    name = s.style_name.strip() or "My Speaker"
    style = style_from_estimate(result, name)
    path = style_path(name)
    replaced = path.exists()
    save_style(style, path)
    s.style = path.stem
    std = style.stats.std_deg
    note = "; it replaced the earlier style of that name" if replaced else ""
    return (f"Head Motion: learned style '{path.stem}' from {result.n_frames} video frames "
            f"(std yaw/pitch/roll {std[0]:.1f}/{std[1]:.1f}/{std[2]:.1f} deg); it is now selected in Motion{note}")


class _VideoJob:
    """Estimate the panel's reference video, in a worker thread with progress and ESC in the UI, then
    ``finish(context, result)`` on the main thread (synchronously in background mode)."""

    bl_options = {"REGISTER", "UNDO"}

    @staticmethod
    def finish(context: bpy.types.Context, result: EstimationResult) -> str:
        raise NotImplementedError

    @classmethod
    def poll(cls, context) -> bool:
        if not context.scene.head_motion.video_path:
            cls.poll_message_set("Choose a reference video first")
            return False
        return True

    def _estimate(self, path: str, settings: EstimationSettings) -> None:
        """Worker: pure core code only (no Blender data)."""
        try:
            self._result = estimate_video_cached(path, settings, self._cache, progress=self._on_progress,
                                                 cancel=self._cancel.is_set)
        except BaseException as exc:  # handed to the main thread, reported there
            self._error = exc

    def _on_progress(self, done: int, total: int) -> None:
        self._progress = (done, max(total, 1))

    def execute(self, context) -> set[str]:
        scene = context.scene
        path = bpy.path.abspath(scene.head_motion.video_path)
        self._result, self._error, self._progress = None, None, (0, 1)
        self._cancel = threading.Event()
        self._cache = video.cache_dir()
        try:
            settings = estimation_settings(scene).validate()
        except HeadMotionError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        if bpy.app.background or context.window is None:
            return report_errors(
                self, lambda: self.finish(context, estimate_video_cached(path, settings, self._cache)))
        self._thread = threading.Thread(target=self._estimate, args=(path, settings), daemon=True)
        self._thread.start()
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.1, window=context.window)
        wm.progress_begin(0, 100)
        wm.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def _status(self, context, text: str | None) -> None:
        if context.workspace is not None:
            context.workspace.status_text_set(text)

    def _stop(self, context) -> None:
        wm = context.window_manager
        wm.event_timer_remove(self._timer)
        wm.progress_end()
        self._status(context, None)

    def modal(self, context, event) -> set[str]:
        if event.type == "ESC" and event.value == "PRESS":
            self._cancel.set()
        if event.type != "TIMER":
            return {"RUNNING_MODAL"} if event.type == "ESC" else {"PASS_THROUGH"}
        done, total = self._progress
        percent = 100.0 * done / total
        context.window_manager.progress_update(percent)
        self._status(context, f"Head Motion: reading the video… {done}/{total} frames ({percent:.0f}%)  ESC: cancel")
        if self._thread.is_alive():
            return {"RUNNING_MODAL"}
        self._stop(context)
        if isinstance(self._error, Cancelled):
            self.report({"WARNING"}, "Head Motion: video estimation cancelled; nothing was changed.")
            return {"CANCELLED"}
        if self._error is not None:
            if isinstance(self._error, HeadMotionError):
                self.report({"ERROR"}, str(self._error))
                return {"CANCELLED"}
            raise self._error
        return report_errors(self, lambda: self.finish(context, self._result))

    def cancel(self, context) -> None:
        self._cancel.set()
        self._thread.join()
        self._stop(context)


class HEADMOTION_OT_bake_video(TargetPoll, _VideoJob, bpy.types.Operator):
    """Measure the head motion of the person in the reference video (mediapipe face landmarks) and bake it onto
    the head; ESC cancels"""

    bl_idname = "head_motion.bake_video"
    bl_label = "Bake From Video"
    finish = staticmethod(finish_video_bake)


class HEADMOTION_OT_learn_style(_VideoJob, bpy.types.Operator):
    """Learn the speaker's style of motion from the reference video and save it as a style, so any voice gets
    new, non-repeating motion in that style; ESC cancels"""

    bl_idname = "head_motion.learn_style"
    bl_label = "Learn Style"
    finish = staticmethod(learn_style_from)


class HEADMOTION_OT_import_style(bpy.types.Operator, ImportHelper):
    """Add a style file (.json, saved by Learn Style) to your styles and select it"""

    bl_idname = "head_motion.import_style"
    bl_label = "Import Style"
    bl_options = {"REGISTER", "UNDO"}

    filter_glob: StringProperty(default="*.json", options={"HIDDEN"})

    def execute(self, context) -> set[str]:
        def run() -> str:
            from ..anim.user_data import new_style_path
            from ..core.motion.style import load_style, save_style, style_text

            style = load_style(self.filepath)  # validates before anything is written
            name = style.name or Path(self.filepath).stem
            path, same = new_style_path(name, style_text(style))  # never replaces another style
            if not same:
                save_style(style, path)
            context.scene.head_motion.style = path.stem
            if same:
                return f"Head Motion: style '{path.stem}' was already added; selected it"
            renamed = f" (a different style is already called '{name}')" if path.stem != name else ""
            return f"Head Motion: style '{path.stem}' added and selected{renamed}"

        return report_errors(self, run)


CLASSES: tuple[type, ...] = (HEADMOTION_OT_bake_video, HEADMOTION_OT_learn_style, HEADMOTION_OT_import_style)
