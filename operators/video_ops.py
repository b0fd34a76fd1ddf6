"""Bake From Video: estimate the head pose of a person in a reference video and bake it onto the head.

In the UI the estimation runs in a worker thread (pure core code, no Blender data touched there) while a
modal timer shows progress in the status bar and the cursor; ESC cancels cleanly. In background mode
(``blender -b``, the bpy module) the same steps run synchronously. Results are cached per video file and
settings, so baking again is instant.
"""

from __future__ import annotations

import threading

import bpy

from ..anim import audio, video
from ..anim.bake import bake_track
from ..core.errors import Cancelled, HeadMotionError, MediaError
from ..core.video_estimation import EstimationResult, EstimationSettings, estimate_video_cached
from . import common


def estimation_settings(scene: bpy.types.Scene) -> EstimationSettings:
    """EstimationSettings from the panel."""
    s = scene.head_motion
    return EstimationSettings(
        fov_deg=s.video_fov,
        mirror=s.video_mirror,
        stabiliser=s.video_stabiliser,
        gaussian_sigma_frames=s.video_smoothing,
        neutral="median" if s.video_neutral_frame < 0 else int(s.video_neutral_frame),
    )


def finish_video_bake(context: bpy.types.Context, result: EstimationResult) -> str:
    """Bake an estimate onto the target, then add the sound strip and the reference plane; returns a report."""
    scene = context.scene
    s = scene.head_motion
    obj = common.target_object(context)
    track = result.to_pose_track(start_frame=s.video_start_frame)
    baked = bake_track(obj, track, common.bake_options(obj, scene), scene=scene)  # raises before any change
    notes = list(result.warnings[:2])
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


class HEADMOTION_OT_bake_video(bpy.types.Operator):
    """Measure the head motion of the person in the reference video (mediapipe face landmarks) and bake it onto
    the head; ESC cancels"""

    bl_idname = "head_motion.bake_video"
    bl_label = "Bake From Video"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        if common.target_object(context) is None:
            cls.poll_message_set("Select a character (armature) or object, or set the Target")
            return False
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

    def execute(self, context):
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
            return common.report_errors(self, lambda: self._run_now(context, path, settings))
        self._thread = threading.Thread(target=self._estimate, args=(path, settings), daemon=True)
        self._thread.start()
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.1, window=context.window)
        wm.progress_begin(0, 100)
        wm.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def _run_now(self, context, path: str, settings: EstimationSettings) -> str:
        result = estimate_video_cached(path, settings, self._cache)
        return finish_video_bake(context, result)

    def _status(self, context, text: str | None) -> None:
        if context.workspace is not None:
            context.workspace.status_text_set(text)

    def _stop(self, context) -> None:
        wm = context.window_manager
        wm.event_timer_remove(self._timer)
        wm.progress_end()
        self._status(context, None)

    def modal(self, context, event):
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
        return common.report_errors(self, lambda: finish_video_bake(context, self._result))

    def cancel(self, context):
        self._cancel.set()
        self._thread.join()
        self._stop(context)


CLASSES: tuple[type, ...] = (HEADMOTION_OT_bake_video,)
