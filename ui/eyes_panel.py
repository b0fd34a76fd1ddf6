"""The "Eyes" sub-panel of the Head Motion tab: enable, eyes from the video or generated (Bake From Video), gaze
target, blink rate, aversion, intensity, what to drive (eye bones, lid bones, shape keys), detect, bake and clear."""

from __future__ import annotations

import bpy

from ..properties.convert import target_object
from .panel import _HeadMotionPanel


class HEADMOTION_PT_eyes(_HeadMotionPanel, bpy.types.Panel):
    bl_label = "Eyes"
    bl_parent_id = "HEADMOTION_PT_main"
    bl_options = {"DEFAULT_CLOSED"}

    def draw_header(self, context):
        self.layout.prop(context.scene.head_motion_eyes, "enabled", text="")

    def draw(self, context):
        layout = self.layout
        layout.use_property_split = True
        s = context.scene.head_motion_eyes
        layout.prop(s, "video_eyes")
        layout.prop(s, "preset")
        layout.prop(s, "gaze_mode")
        row = layout.row()
        row.active = s.gaze_mode == "TARGET"
        row.prop(s, "target")
        if s.gaze_mode == "TARGET" and s.target is None:
            layout.label(text=f"Looking at: {context.scene.camera.name if context.scene.camera else 'straight ahead'}",
                         icon="CAMERA_DATA")
        layout.prop(s, "blink_rate")
        layout.prop(s, "aversion", slider=True)
        layout.prop(s, "intensity", slider=True)
        layout.prop(s, "micro_saccades")
        layout.prop(s, "seed")
        col = layout.column(heading="Drive")
        col.prop(s, "use_bones")
        col.prop(s, "use_lids")
        col.prop(s, "use_shape_keys")
        obj = target_object(context)
        if obj is not None and obj.type == "ARMATURE":
            layout.prop(s, "eye_bones")
            layout.prop(s, "lid_close")
        layout.prop(s, "blink_key")
        layout.operator("head_motion.detect_eyes", icon="HIDE_OFF")
        row = layout.row(align=True)
        row.operator("head_motion.bake_eyes", icon="ANIM")
        row.operator("head_motion.clear_eyes", icon="X")


CLASSES: tuple[type, ...] = (HEADMOTION_PT_eyes,)
