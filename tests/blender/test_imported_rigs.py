"""Rigs made by Blender's own tools, which this project did not design: skeletons round-tripped through the
FBX importer (with and without automatic bone orientation: bones then point along their joint's axis,
sideways) and the glTF importer (each bone heuristic), and a generated Rigify human, whose head does not
inherit the neck's rotation (head follow). The head turns as asked with the right signs in every rotation
mode, with a neck share, and Clear gives the pose back."""

from __future__ import annotations

from dataclasses import replace

import bpy
import numpy as np
import pytest
from rigs import FBX_RIGS, assert_head_turns, build_rig

MODES = ("QUATERNION", "XYZ", "ZXY", "AXIS_ANGLE")


def _enable(module: str) -> None:
    if module not in bpy.context.preferences.addons:
        bpy.ops.preferences.addon_enable(module=module)


def _exported(spec_name: str, fmt: str, tmp_path) -> str:
    """A rig of ``FBX_RIGS`` with bones along its chain, exported to FBX (joints' X along the bones, as Maya and
    Unreal skeletons are) or binary glTF."""
    _enable("io_scene_fbx" if fmt == "fbx" else "io_scene_gltf2")
    bpy.ops.wm.read_homefile(use_empty=True)
    spec = replace(FBX_RIGS[spec_name], bone_axis="", bone_roll_deg=0.0, head_roll_deg=0.0, neck_roll_deg=0.0)
    obj = build_rig(spec)
    obj.select_set(True)
    path = str(tmp_path / f"{spec_name}.{fmt}")
    if fmt == "fbx":
        bpy.ops.export_scene.fbx(filepath=path, use_selection=True, add_leaf_bones=False, bake_anim=False,
                                 primary_bone_axis="X", secondary_bone_axis="-Y")
    else:
        bpy.ops.export_scene.gltf(filepath=path, export_format="GLB", use_selection=True, export_animations=False)
    return path


def _imported(path: str, fmt: str, **options) -> bpy.types.Object:
    bpy.ops.wm.read_homefile(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    (bpy.ops.import_scene.fbx if fmt == "fbx" else bpy.ops.import_scene.gltf)(filepath=path, **options)
    return next(o for o in bpy.data.objects if o.type == "ARMATURE")


@pytest.mark.parametrize("options", [{"automatic_bone_orientation": False}, {"automatic_bone_orientation": True}])
@pytest.mark.parametrize("spec_name", ["daz_fbx_x", "unreal_fbx_negx"])
def test_fbx_import(ext, empty_scene, tmp_path, spec_name, options):
    path = _exported(spec_name, "fbx", tmp_path)
    for mode in MODES:
        rig = _imported(path, "fbx", **options)
        head = FBX_RIGS[spec_name].head
        if not options["automatic_bone_orientation"]:  # the case: the head bone points sideways
            bone = rig.data.bones[head]
            assert abs((bone.tail_local - bone.head_local).normalized().z) < 0.1
        for pb in rig.pose.bones:
            pb.rotation_mode = mode
        assert_head_turns(ext, bpy.context.scene, rig, head, neck_share=0.4)


@pytest.mark.parametrize("heuristic", ["BLENDER", "TEMPERANCE", "FORTUNE"])
def test_gltf_import(ext, empty_scene, tmp_path, heuristic):
    path = _exported("unreal_fbx_negx", "glb", tmp_path)
    for mode in MODES:
        rig = _imported(path, "glb", bone_heuristic=heuristic)
        for pb in rig.pose.bones:
            pb.rotation_mode = mode
        assert_head_turns(ext, bpy.context.scene, rig, "head", neck_share=0.4)


def test_generated_rigify_human(ext, empty_scene):
    _enable("rigify")
    bpy.ops.object.armature_human_metarig_add()
    bpy.ops.pose.rigify_generate()
    rig = bpy.context.active_object
    target = ext.anim.target.resolve_target(rig, use_necks=True)
    assert [j.bone for j in target.joints] == ["neck", "head"]
    assert target.joints[1].inherits == 0.0  # Rigify's head follows the torso, not the neck
    for mode in MODES:
        for name in ("neck", "head"):
            rig.pose.bones[name].rotation_mode = mode
        bpy.context.view_layer.update()
        before = [np.array(pb.matrix) for pb in rig.pose.bones]
        assert_head_turns(ext, empty_scene, rig, "head", neck_share=0.4)
        assert ext.anim.bake.clear_bake(rig) is None and rig.animation_data.action is None
        empty_scene.frame_set(3)
        after = [np.array(pb.matrix) for pb in rig.pose.bones]
        assert max(np.abs(a - b).max() for a, b in zip(before, after, strict=True)) < 1e-5
