"""File > Import > Head Motion File and File > Export > FLAME Pose: interchange formats in the UI.

Import reads a pose track, a Live Link Face take or a FLAME pose sequence (core/interop) and bakes the head
onto the panel's target like any track; Live Link blendshapes can go onto ARKit-named shape keys. Export
writes FLAME pose parameters (.npz or per-frame .json) of the head motion on the target, or of the motion the
panel would generate. Thin: the work is in core/interop, anim/bake, anim/shape_keys and anim/head_readback.
"""

from __future__ import annotations

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, StringProperty
from bpy_extras.io_utils import ExportHelper, ImportHelper

from ..anim.bake import bake_track, scene_fps
from ..core.interop import load_motion, motion_format
from ..core.interop.flame import export_flame

# What the operators take from the panel settings (one block, so a move of these helpers is a one-place change).
from ..properties.convert import bake_options, frame_range, target_object
from .bake_ops import panel_motion
from .base import report_errors


class HEADMOTION_OT_import_motion(bpy.types.Operator, ImportHelper):
    """Bake a motion file onto the head: Head Motion track (.csv/.json), Live Link Face take (.csv) or FLAME
    pose sequence (.npz/.json)"""

    bl_idname = "head_motion.import_motion"
    bl_label = "Import Motion File"
    bl_options = {"REGISTER", "UNDO"}

    filter_glob: StringProperty(default="*.csv;*.json;*.npz", options={"HIDDEN"})
    use_shape_keys: BoolProperty(
        name="Blendshapes to Shape Keys", default=True,
        description="Live Link Face takes: key the ARKit-named shape keys of the target's meshes (a new "
                    "shape-key action; the old one is kept)")
    flame_use_global: BoolProperty(
        name="FLAME Global Rotation", default=True,
        description="FLAME files: the head turns by the global rotation and the neck pose together (off: the "
                    "neck pose alone, when the global rotation is camera or body motion)")

    @classmethod
    def poll(cls, context):
        if target_object(context) is None:
            cls.poll_message_set("Select a character (armature) or object, or set the Target")
            return False
        return True

    def execute(self, context):
        scene = context.scene

        def run():
            obj = target_object(context)
            kind = motion_format(self.filepath)
            if kind == "flame":
                from ..core.interop.flame import load_flame

                data = load_flame(self.filepath, scene_fps(scene), self.flame_use_global)
            else:
                data = load_motion(self.filepath, scene_fps(scene))
            if kind == "live_link":  # timecoded takes start at the scene's first frame
                data.track.start_frame = scene.frame_start
            result = bake_track(obj, data.track, bake_options(obj, scene), scene=scene)
            message = (f"Head Motion: baked {kind.replace('_', ' ')} frames {result.frame_start}-{result.frame_end} "
                       f"onto {', '.join(result.joints)}")
            if self.use_shape_keys and data.blendshapes:
                from ..anim.shape_keys import bake_shape_keys, meshes_with_keys

                meshes = meshes_with_keys([obj], data.blendshapes)
                for mesh in meshes:
                    bake_shape_keys(mesh, data.blendshapes, data.track.fps, data.track.start_frame, scene)
                message += f"; blendshapes on {len(meshes)} mesh(es)" if meshes else "; no ARKit shape keys found"
            return " ".join([message, *result.notes])

        return report_errors(self, run)


class HEADMOTION_OT_export_flame(bpy.types.Operator, ExportHelper):
    """Save the head motion as FLAME pose parameters (rotation, neck_pose, eyes_pose ... per frame), for
    Gaussian-splat / FLAME head avatars"""

    bl_idname = "head_motion.export_flame"
    bl_label = "Export FLAME Pose"
    bl_options = {"REGISTER"}

    filename_ext = ".npz"
    filter_glob: StringProperty(default="*.npz;*.json", options={"HIDDEN"})
    source: EnumProperty(
        name="Motion",
        items=[("BAKED", "On the Target", "The head motion the target plays over the frame range"),
               ("GENERATED", "Generated", "The motion the panel's settings generate for the frame range")],
        default="BAKED")
    global_share: FloatProperty(
        name="Global Share", min=0.0, max=1.0, default=0.0,
        description="Part of the head turn put in FLAME's global rotation, which also turns the shoulders "
                    "(0: all in neck_pose, the shoulders stay)")
    fps: FloatProperty(name="Frame Rate", min=0.0, default=0.0,
                       description="Frames per second of the export (0: the scene's)")

    def execute(self, context):
        scene = context.scene

        def run():
            start, end = frame_range(scene)
            if self.source == "GENERATED":
                track = panel_motion(scene, start, end - start + 1)
            else:
                from ..anim.head_readback import head_track

                obj = target_object(context)
                rig = obj.head_motion if obj is not None else None
                track = head_track(obj, start, end, scene, rig.head_bone if rig else "",
                                   rig.facing if rig else "AUTO")
            path = export_flame(track, bpy.path.abspath(self.filepath), self.fps or None, self.global_share)
            return f"Head Motion: saved FLAME pose of {len(track)} frames to {path}"

        return report_errors(self, run)


def _menu_import(self, context):
    self.layout.operator(HEADMOTION_OT_import_motion.bl_idname,
                         text="Head Motion / Live Link Face / FLAME (.csv, .json, .npz)")


def _menu_export(self, context):
    self.layout.operator(HEADMOTION_OT_export_flame.bl_idname, text="FLAME Pose (.npz, .json)")


def menu_register() -> None:
    """Add the File > Import / Export entries (after the classes are registered)."""
    bpy.types.TOPBAR_MT_file_import.append(_menu_import)
    bpy.types.TOPBAR_MT_file_export.append(_menu_export)


def menu_unregister() -> None:
    bpy.types.TOPBAR_MT_file_import.remove(_menu_import)
    bpy.types.TOPBAR_MT_file_export.remove(_menu_export)


CLASSES: tuple[type, ...] = (HEADMOTION_OT_import_motion, HEADMOTION_OT_export_flame)
