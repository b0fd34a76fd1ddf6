"""The "Head Motion" tab of the 3D Viewport sidebar (N panel).

One parent panel with the target, then sub-panels per step: Rig, Motion, Voice, PoseGAN,
Reference Video, Silence, Bake. A feature adds its sub-panel with ``bl_parent_id = "HEADMOTION_PT_main"``.
"""

from __future__ import annotations

import bpy

from ..anim.compat import all_strips_property
from ..properties.convert import target_object


def _toggle_row(layout, data, toggle: str, value: str, heading: str, text: str | None = None) -> None:
    """A row headed ``heading``: the ``toggle`` checkbox, then ``value``, greyed out while the toggle is off."""
    row = layout.row(heading=heading)
    row.prop(data, toggle, text="")
    sub = row.row()
    sub.active = getattr(data, toggle)
    label = {} if text is None else {"text": text}
    sub.prop(data, value, **label)


class _HeadMotionPanel:
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Head Motion"


class HEADMOTION_PT_main(_HeadMotionPanel, bpy.types.Panel):
    bl_label = "Head Motion"

    def draw(self, context) -> None:
        layout = self.layout
        settings = context.scene.head_motion
        layout.prop(settings, "target")
        obj = target_object(context)
        if obj is None:
            layout.label(text="Select a character or object", icon="INFO")
        elif settings.target is None:
            layout.label(text=f"Using active object: {obj.name}", icon="OBJECT_DATA")


class HEADMOTION_PT_rig(_HeadMotionPanel, bpy.types.Panel):
    bl_label = "Rig"
    bl_parent_id = "HEADMOTION_PT_main"

    @classmethod
    def poll(cls, context) -> bool:
        return target_object(context) is not None

    def draw(self, context) -> None:
        layout = self.layout
        layout.use_property_split = True
        obj = target_object(context)
        rig = obj.head_motion
        if obj.type == "ARMATURE":
            layout.prop_search(rig, "head_bone", obj.data, "bones", text="Head Bone")
            layout.prop(rig, "neck_bones")
            layout.prop(rig, "neck_share", slider=True)
            layout.operator("head_motion.detect_bones", icon="BONE_DATA")
        layout.prop(rig, "facing")


class HEADMOTION_PT_motion(_HeadMotionPanel, bpy.types.Panel):
    bl_label = "Motion"
    bl_parent_id = "HEADMOTION_PT_main"

    def draw(self, context) -> None:
        layout = self.layout
        layout.use_property_split = True
        s = context.scene.head_motion
        row = layout.row()
        row.active = not s.style
        row.prop(s, "preset")
        layout.prop(s, "style", icon="USER")
        layout.prop(s, "intensity", slider=True)
        layout.prop(s, "seed")
        col = layout.column(align=True)
        col.prop(s, "yaw_scale", slider=True)
        col.prop(s, "pitch_scale", slider=True)
        col.prop(s, "roll_scale", slider=True)
        layout.prop(s, "tempo")


class HEADMOTION_PT_voice(_HeadMotionPanel, bpy.types.Panel):
    bl_label = "Voice"
    bl_parent_id = "HEADMOTION_PT_main"

    def draw(self, context) -> None:
        layout = self.layout
        layout.use_property_split = True
        scene = context.scene
        s = scene.head_motion
        layout.operator("head_motion.import_voice", icon="SOUND")
        layout.prop(s, "voice_input")
        if s.voice_input == "FILE":
            layout.prop(s, "voice_path")
            layout.prop(s, "voice_start_frame")
        elif s.voice_input == "STRIP":
            editor = scene.sequence_editor
            if editor is not None:
                layout.prop_search(s, "voice_strip", editor, all_strips_property(editor), text="Sound Strip")
            else:
                layout.label(text="The scene has no sound strips", icon="INFO")
        col = layout.column()
        col.active = s.voice_input != "NONE"
        _toggle_row(col, s, "use_accents", "accent_intensity", "Speech Accents", text="")


class HEADMOTION_PT_posegan(_HeadMotionPanel, bpy.types.Panel):
    bl_label = "PoseGAN"
    bl_parent_id = "HEADMOTION_PT_main"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context) -> None:
        layout = self.layout
        layout.use_property_split = True
        s = context.scene.head_motion
        layout.prop(s, "posegan_model")
        layout.prop(s, "style", icon="USER")  # the Motion panel's Style: PoseGAN moves like that speaker too
        layout.prop(s, "posegan_intensity", slider=True)
        layout.use_property_split = False
        layout.operator("head_motion.generate_posegan", icon="OUTLINER_DATA_SPEAKER")


class HEADMOTION_PT_video(_HeadMotionPanel, bpy.types.Panel):
    bl_label = "Reference Video"
    bl_parent_id = "HEADMOTION_PT_main"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context) -> None:
        layout = self.layout
        layout.use_property_split = True
        s = context.scene.head_motion
        layout.prop(s, "video_path")
        layout.prop(s, "video_start_frame")
        layout.prop(s, "video_fov")
        layout.prop(s, "video_mirror")
        layout.prop(s, "video_stabiliser")
        if s.video_stabiliser == "gaussian":
            layout.prop(s, "video_smoothing")
        layout.prop(s, "video_neutral_frame")
        layout.prop(s, "video_use_sound")
        layout.prop(s, "video_show_reference")
        layout.use_property_split = False
        layout.operator("head_motion.bake_video", icon="FILE_MOVIE")
        row = layout.row(align=True)
        row.prop(s, "style_name", text="")
        row.operator("head_motion.learn_style", icon="USER")
        layout.operator("head_motion.import_style", icon="IMPORT")


class HEADMOTION_PT_silence(_HeadMotionPanel, bpy.types.Panel):
    bl_label = "Silence"
    bl_parent_id = "HEADMOTION_PT_main"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context) -> None:
        layout = self.layout
        layout.use_property_split = True
        s = context.scene.head_motion
        layout.prop(s, "silence_source")
        if s.silence_source == "CHANNEL":
            layout.prop(s, "silence_object")
            layout.prop(s, "silence_data_path")
            layout.prop(s, "silence_index")


class HEADMOTION_PT_bake(_HeadMotionPanel, bpy.types.Panel):
    bl_label = "Bake"
    bl_parent_id = "HEADMOTION_PT_main"

    def draw(self, context) -> None:
        layout = self.layout
        layout.use_property_split = True
        s = context.scene.head_motion
        layout.prop(s, "use_scene_range")
        if not s.use_scene_range:
            col = layout.column(align=True)
            col.prop(s, "frame_start")
            col.prop(s, "frame_end")
        layout.prop(s, "bake_mode")
        _toggle_row(layout, s, "use_key_reduction", "key_tolerance", "Reduce Keys")
        layout.use_property_split = False
        layout.operator("head_motion.generate_bake", icon="ANIM")
        row = layout.row(align=True)
        row.operator("head_motion.bake_file", icon="IMPORT")
        row.operator("head_motion.export_track", icon="EXPORT")
        layout.operator("head_motion.clear", icon="X")


CLASSES: tuple[type, ...] = (
    HEADMOTION_PT_main,
    HEADMOTION_PT_rig,
    HEADMOTION_PT_motion,
    HEADMOTION_PT_voice,
    HEADMOTION_PT_posegan,
    HEADMOTION_PT_video,
    HEADMOTION_PT_silence,
    HEADMOTION_PT_bake,
)
