"""Bake Eyes, Clear Eyes, Detect Eyes, and the eye bake that follows a head bake when the Eyes panel is on."""

from __future__ import annotations

import bpy

from ..anim.eyes import bake_eyes, clear_eyes, find_eye_rig, plan_eyes
from ..core.errors import HeadMotionError
from ..core.eyes import EyeTrack, generate_eyes
from ..core.eyes.files import load_eyes, with_eyes
from ..core.track import PoseTrack
from ..properties.convert import frame_range, target_object
from ..properties.eyes import eye_bake_options, eye_settings
from .base import TargetPoll, report_errors


def _summary(result) -> str:
    return (f"Eyes: {result.blinks} blinks, frames {result.frame_start}-{result.frame_end} on "
            f"{result.rig.describe()} ({result.keys_written} keys)")


def after_head_bake(scene: bpy.types.Scene, obj: bpy.types.Object, track: PoseTrack, source: str = "",
                    eye_track: EyeTrack | None = None) -> str:
    """When the Eyes panel is on, bake eyes for the head ``track`` just baked: ``eye_track`` when given (e.g. the
    eyes measured in a reference video), else the eyes stored in the pose-track file ``source``, if it has any,
    else generated ones; returns text for the report (empty when off). An eye problem does not undo the head
    bake: it is reported, with no eye change."""
    eyes = getattr(scene, "head_motion_eyes", None)
    if eyes is None or not eyes.enabled:
        return ""
    try:
        stored = eye_track if eye_track is not None else load_eyes(source, track) if source else None
        return " " + _summary(bake_eyes(obj, track, eye_bake_options(obj, scene), scene=scene, eye_track=stored))
    except HeadMotionError as exc:
        return f" Eyes not baked: {exc}"


def with_panel_eyes(scene: bpy.types.Scene, obj: bpy.types.Object | None, track: PoseTrack) -> tuple[PoseTrack, str]:
    """For Export Pose File: ``track`` with, when the Eyes panel is on, the eyes a bake of it would give ``obj``
    (:func:`anim.eyes.plan_eyes`: same rig, gaze target and settings, so they are the baked eyes), and text for the
    report. Without a target the eyes hold a point far straight ahead; an eye problem exports the head alone and
    says why."""
    panel = getattr(scene, "head_motion_eyes", None)
    if panel is None or not panel.enabled:
        return track, ""
    try:
        if obj is None:
            eyes, note = generate_eyes(track, eye_settings(scene)), " (no target: eyes on a point straight ahead)"
        else:
            _, eyes, _ = plan_eyes(obj, track, eye_bake_options(obj, scene), scene=scene)
            note = f" (as baked on '{obj.name}')"
        return with_eyes(track, eyes), f" with eyes, {eyes.blink_count} blinks{note}"
    except HeadMotionError as exc:
        return track, f" (head only; eyes not exported: {exc})"


class HEADMOTION_OT_bake_eyes(TargetPoll, bpy.types.Operator):
    """Bake blinks and gaze onto the eyes, following the head motion already on the character"""

    bl_idname = "head_motion.bake_eyes"
    bl_label = "Bake Eyes"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        scene = context.scene

        def run():
            obj = target_object(context)
            result = bake_eyes(obj, None, eye_bake_options(obj, scene), scene=scene, frame_range=frame_range(scene))
            return " ".join([_summary(result), *result.notes])

        return report_errors(self, run)


class HEADMOTION_OT_clear_eyes(TargetPoll, bpy.types.Operator):
    """Remove the baked eyes: shape keys and eye bones get their previous animation back"""

    bl_idname = "head_motion.clear_eyes"
    bl_label = "Clear Eyes"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        def run():
            obj = target_object(context)
            count = clear_eyes(obj)
            return f"Eyes: cleared on '{obj.name}' ({count} restored)"

        return report_errors(self, run)


class HEADMOTION_OT_detect_eyes(TargetPoll, bpy.types.Operator):
    """Find the eye bones, eyelid bones and blink/gaze shape keys of the target and show them"""

    bl_idname = "head_motion.detect_eyes"
    bl_label = "Detect Eyes"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        scene = context.scene

        def run():
            obj = target_object(context)
            options = eye_bake_options(obj, scene)
            options.eye_bones = ""
            rig = find_eye_rig(obj, options)
            if rig.eye_bones:
                scene.head_motion_eyes.eye_bones = ",".join(rig.eye_bones)
            return f"Eyes: found {rig.describe()}"

        return report_errors(self, run)


CLASSES: tuple[type, ...] = (HEADMOTION_OT_bake_eyes, HEADMOTION_OT_clear_eyes, HEADMOTION_OT_detect_eyes)
