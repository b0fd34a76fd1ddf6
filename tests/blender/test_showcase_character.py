"""The showcase of `make demo` (tools/showcase_character.py) on every bpy version: the human character is found
and baked like any rig, its shirt edge is the smooth collar attribute, and the frame shows every head and label
without the bust's cut."""

from __future__ import annotations

import math

import bpy
import numpy as np
import pytest
import showcase_character as showcase
from bpy_extras.object_utils import world_to_camera_view
from mathutils import Vector

LABELS = ["Synthetic", "PoseGAN", "Reference video"]


@pytest.fixture
def showcase_scene(empty_scene):
    rigs = [showcase.build_human_character(name=f"Showcase{i}", skin_tone=tone)
            for i, tone in enumerate(showcase.SKIN_TONES)]
    showcase.arrange(rigs)
    camera = showcase.stage(empty_scene, rigs, LABELS)
    return empty_scene, rigs, camera


def _body(rig: bpy.types.Object) -> bpy.types.Object:
    return next(child for child in rig.children if child.type == "MESH")


def test_the_character_is_found_and_baked_like_any_rig(ext, showcase_scene):
    _scene, rigs, _camera = showcase_scene
    rig = rigs[1]
    target = ext.api.resolve_target(rig, use_necks=True)
    assert target.head.bone == "head"
    assert [j.bone for j in target.necks] == ["neck"]
    assert target.eyes == ("eye.L", "eye.R")
    track = ext.api.generate_synthetic(48, 24.0, ext.api.preset_settings("CONVERSATIONAL"))
    ext.api.bake_track(rig, track, ext.api.BakeOptions(neck_share=0.25))
    frame = int(np.argmax(np.abs(track.yaw))) + 1
    bpy.context.scene.frame_set(frame)
    head = rig.pose.bones["head"].matrix.to_quaternion()
    chest = rig.pose.bones["chest"].matrix.to_quaternion()
    rest_head = rig.data.bones["head"].matrix_local.to_quaternion()
    assert math.degrees(head.rotation_difference(rest_head).angle) > 1.0
    assert math.degrees(chest.rotation_difference(rig.data.bones["chest"].matrix_local.to_quaternion()).angle) < 1e-3


def test_the_lids_blink(ext, showcase_scene):
    """The eye bake finds the lid bones; at the frame a blink is most shut the lids have turned down over the
    eyes (the skin-coloured cap covers the opening from about 50 degrees; the default close angle is 55)."""
    _scene, rigs, _camera = showcase_scene
    rig = rigs[0]
    track = ext.api.generate_synthetic(240, 24.0, ext.api.preset_settings("CONVERSATIONAL"))
    result = ext.api.bake_eyes(rig, track)
    assert tuple(result.rig.lid_bones) == ("lid.T.L", "lid.T.R") and result.blinks >= 1
    shut = int(np.argmax(result.eyes.blink.mean(axis=1)))
    bpy.context.scene.frame_set(result.frame_start + shut)
    for side in ("L", "R"):
        lid = rig.pose.bones[f"lid.T.{side}"]
        turned = lid.matrix.to_quaternion().rotation_difference(rig.data.bones[lid.name].matrix_local.to_quaternion())
        assert math.degrees(turned.angle) > 45.0, (side, math.degrees(turned.angle))
        down = rig.matrix_world @ lid.tail - rig.matrix_world @ lid.head
        assert down.z < 0.0, down  # turned down over the eye, not up


def test_shirt_edge_is_the_collar_attribute_not_the_faces(showcase_scene):
    _scene, rigs, _camera = showcase_scene
    mesh = _body(rigs[0]).data
    height = np.empty(len(mesh.vertices), np.float32)
    mesh.attributes[showcase.COLLAR_ATTRIBUTE].data.foreach_get("value", height)
    assert height.min() < -0.05 and height.max() > 0.2  # the shirt below the line, the head above it
    used = {mesh.materials[p.material_index].name for p in mesh.polygons}
    assert f"{rigs[0].name}_Shirt" not in used  # no face is shirt by itself: the shader draws the edge
    skin = mesh.materials[showcase.SKIN].node_tree
    attribute = next(n for n in skin.nodes if n.type == "ATTRIBUTE")
    assert attribute.attribute_name == showcase.COLLAR_ATTRIBUTE
    output = next(n for n in skin.nodes if n.type == "OUTPUT_MATERIAL")
    assert output.inputs["Surface"].links[0].from_node.type == "MIX_SHADER"


def test_the_frame_shows_every_head_and_label_but_not_the_cut(showcase_scene):
    scene, rigs, camera = showcase_scene
    bpy.context.view_layer.update()

    def view(point) -> Vector:
        return world_to_camera_view(scene, camera, Vector(point))

    for rig in rigs:
        for bone in ("head", "eye.L", "eye.R"):
            for end in ("head", "tail"):
                p = view(rig.matrix_world @ getattr(rig.pose.bones[bone], end))
                assert 0.0 < p.x < 1.0 and 0.0 < p.y < 1.0, (rig.name, bone, end, p)
        cut = [v.co for v in _body(rig).data.vertices if v.co.z < 0.395]
        assert cut, "the bust has no cut edge below 0.395 m"
        lowest_seen = max(view(rig.matrix_world @ co).y for co in cut)
        assert lowest_seen < 0.0, (rig.name, lowest_seen)  # the cut stays below the frame
    labels = [o for o in scene.objects if o.type == "FONT"]
    assert len(labels) == len(rigs)
    for label in labels:
        corners = [view(label.matrix_world @ Vector(c)) for c in label.bound_box]
        assert all(0.0 < c.x < 1.0 and 0.0 < c.y < 1.0 for c in corners), (label.name, corners)
