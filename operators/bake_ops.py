"""Generate & Bake, Bake From File, and Clear."""

from __future__ import annotations

import bpy
from bpy.props import StringProperty
from bpy_extras.io_utils import ExportHelper, ImportHelper

from ..anim import inputs
from ..anim.audio import load_voice
from ..anim.bake import bake_track, clear_bake, scene_fps
from ..core.motion.builder import build_motion
from ..core.track import PoseTrack
from ..properties.convert import bake_options, estimation_settings, frame_range, motion_spec, target_object
from .base import TargetPoll, report_errors
from .eye_ops import after_head_bake, with_panel_eyes


def panel_motion(scene: bpy.types.Scene, start: int, n_frames: int, method: str = "synthetic") -> PoseTrack:
    """The motion the panels describe for frames ``start``…: read the inputs, one call to the motion builder."""
    spec = motion_spec(scene, method)
    speech = inputs.speech_override(scene, estimation_settings(scene), start, n_frames)
    voice = inputs.voice_source(scene)
    clip = load_voice(voice[0]) if voice is not None else None
    return build_motion(spec, scene_fps(scene), start, n_frames, clip, voice[1] if voice else None, speech)


def _summary(result) -> str:
    text = (
        f"Head Motion: baked frames {result.frame_start}-{result.frame_end} onto "
        f"{', '.join(result.joints)} in action '{result.action.name}' ({result.keys_written} keys)"
    )
    return " ".join([text, *result.notes])


def _bake_generated(operator: bpy.types.Operator, context, make_track) -> set[str]:
    """Make a track for the bake range with ``make_track(scene, start, n_frames)`` and bake it on the target."""
    scene = context.scene

    def run() -> str:
        obj = target_object(context)
        start, end = frame_range(scene)
        track = make_track(scene, start, end - start + 1)
        result = bake_track(obj, track, bake_options(obj, scene), scene=scene)
        return _summary(result) + after_head_bake(scene, obj, track)

    return report_errors(operator, run)


class HEADMOTION_OT_generate_bake(TargetPoll, bpy.types.Operator):
    """Generate natural head motion for the frame range and bake it as rotation keys on the head"""

    bl_idname = "head_motion.generate_bake"
    bl_label = "Generate & Bake"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context) -> set[str]:
        return _bake_generated(self, context, panel_motion)


class HEADMOTION_OT_generate_posegan(TargetPoll, bpy.types.Operator):
    """Generate head motion from the voice with the PoseGAN model (audio to head pose, learned from real
    speakers) and bake it"""

    bl_idname = "head_motion.generate_posegan"
    bl_label = "Generate From Voice (PoseGAN)"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context) -> bool:
        if not super().poll(context):
            return False
        if context.scene.head_motion.voice_input == "NONE":
            cls.poll_message_set("Import a voice first (Voice panel)")
            return False
        return True

    def execute(self, context) -> set[str]:
        return _bake_generated(self, context, lambda scene, start, n: panel_motion(scene, start, n, "posegan"))


class HEADMOTION_OT_bake_file(TargetPoll, bpy.types.Operator, ImportHelper):
    """Bake a pose track file (CSV or JSON, yaw/pitch/roll in degrees) onto the head"""

    bl_idname = "head_motion.bake_file"
    bl_label = "Bake Pose File"
    bl_options = {"REGISTER", "UNDO"}

    filter_glob: StringProperty(default="*.csv;*.json", options={"HIDDEN"})

    def execute(self, context) -> set[str]:
        scene = context.scene

        def run() -> str:
            obj = target_object(context)
            track = PoseTrack.load(self.filepath)
            result = bake_track(obj, track, bake_options(obj, scene), scene=scene)
            return _summary(result) + after_head_bake(scene, obj, track, self.filepath)

        return report_errors(self, run)


class HEADMOTION_OT_export_track(bpy.types.Operator, ExportHelper):
    """Generate the motion the panel describes and save it as a pose track file instead of baking it (with the
    eyes the Eyes panel would bake, when it is on)"""

    bl_idname = "head_motion.export_track"
    bl_label = "Export Pose File"
    bl_options = {"REGISTER"}

    filename_ext = ".csv"
    filter_glob: StringProperty(default="*.csv;*.json", options={"HIDDEN"})

    def execute(self, context) -> set[str]:
        scene = context.scene

        def run() -> str:
            start, end = frame_range(scene)
            track, eyes = with_panel_eyes(scene, target_object(context), panel_motion(scene, start, end - start + 1))
            track.save(self.filepath)
            return f"Head Motion: saved {len(track)} frames to {self.filepath}{eyes}"

        return report_errors(self, run)


class HEADMOTION_OT_clear(bpy.types.Operator):
    """Remove the baked Head Motion action and give the object back the action it had before"""

    bl_idname = "head_motion.clear"
    bl_label = "Clear Head Motion"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context) -> bool:
        obj = target_object(context)
        if obj is None or obj.animation_data is None or obj.animation_data.action is None:
            cls.poll_message_set("The target has no action")
            return False
        return True

    def execute(self, context) -> set[str]:
        def run() -> str:
            obj = target_object(context)
            restored = clear_bake(obj)
            if restored is None:
                return f"Head Motion: removed the baked action from '{obj.name}'"
            return f"Head Motion: '{obj.name}' uses '{restored.name}' again"

        return report_errors(self, run)


CLASSES: tuple[type, ...] = (
    HEADMOTION_OT_generate_bake,
    HEADMOTION_OT_generate_posegan,
    HEADMOTION_OT_bake_file,
    HEADMOTION_OT_export_track,
    HEADMOTION_OT_clear,
)

