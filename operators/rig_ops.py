"""Rig helpers: detect the head and neck bones of the target, and report the character frame found."""

from __future__ import annotations

import bpy

from ..anim.target import bone_infos, resolve_target
from ..core.errors import TargetError
from ..core.rig.matching import match_head_and_neck
from ..properties.convert import target_object


class HEADMOTION_OT_detect_bones(bpy.types.Operator):
    """Find the head and neck bones by name (Rigify, Mixamo, VRM, Ready Player Me, CC, Unreal…), fill them in,
    and report which way the character faces and where that was read from"""

    bl_idname = "head_motion.detect_bones"
    bl_label = "Detect Head & Neck"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context) -> bool:
        obj = target_object(context)
        if obj is None or obj.type != "ARMATURE":
            cls.poll_message_set("The target must be an armature")
            return False
        return True

    def execute(self, context) -> set[str]:
        obj = target_object(context)
        match = match_head_and_neck(bone_infos(obj.data))
        if not match.head:
            self.report({"ERROR"}, f"No head bone recognised in '{obj.name}': pick it by hand.")
            return {"CANCELLED"}
        try:
            target = resolve_target(obj, match.head, list(match.necks), obj.head_motion.facing, use_necks=True)
        except TargetError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        obj.head_motion.head_bone = match.head
        obj.head_motion.neck_bones = ", ".join(match.necks)
        necks = ", ".join(match.necks) or "none"
        self.report({"INFO"}, f"Head Motion: head '{match.head}', neck {necks} ({match.convention}); {target.frame}")
        return {"FINISHED"}


CLASSES: tuple[type, ...] = (HEADMOTION_OT_detect_bones,)
