"""Eyes for the built-in sample character: eyeballs with dark irises that turn with the eye bones, and upper
eyelids on lid bones (``lid.T.L`` / ``lid.T.R``, Rigify-style names) that close for blinks.

Called by :func:`anim.sample_character.build_sample_character` after the body is built. The eye centres are
the eye bones' heads (metres, armature space, Z up, facing -Y). At rest the lids cover the top of the eyeballs;
turning a lid bone down by about 55 degrees (the default lid close angle) about the character's right axis
shuts it over the iris.
"""

from __future__ import annotations

import math

import bmesh
import bpy
from mathutils import Matrix, Vector

#: Eyeball and lid radii (m); a lid covers polar angles 0..LID_POLAR_DEG from the top at rest.
EYE_RADIUS = 0.016
LID_RADIUS = 0.0192
LID_POLAR_DEG = 68.0


def _eye_material(name: str, color) -> bpy.types.Material:
    mat = bpy.data.materials.new(name)
    mat.diffuse_color = color
    if mat.node_tree is None:  # Blender < 5.0 creates materials without nodes
        mat.use_nodes = True
    bsdf = next((n for n in mat.node_tree.nodes if n.type == "BSDF_PRINCIPLED"), None)
    if bsdf is not None:
        bsdf.inputs["Base Color"].default_value = color
    return mat


def add_sample_eyes(rig: bpy.types.Object, body: bpy.types.Object, skin_index: int, eye_index: int) -> None:
    """Add lid bones to ``rig`` and eyeball/iris/lid geometry to ``body`` (weighted to the eye and lid bones).

    ``skin_index``/``eye_index``: material slots of the skin and of the existing (dark) eye spheres; the eye
    spheres become the white eyeballs and a dark iris material is added.
    """
    arm = rig.data
    view_layer = bpy.context.view_layer
    previous = view_layer.objects.active
    view_layer.objects.active = rig
    bpy.ops.object.mode_set(mode="EDIT")
    for side in ("L", "R"):
        eye = arm.edit_bones[f"eye.{side}"]
        lid = arm.edit_bones.new(f"lid.T.{side}")
        lid.head = eye.head.copy()
        lid.tail = eye.head + Vector((0.0, -0.012, 0.008))
        lid.parent = arm.edit_bones["head"]
    bpy.ops.object.mode_set(mode="OBJECT")
    view_layer.objects.active = previous
    for side in ("L", "R"):
        rig.pose.bones[f"lid.T.{side}"].rotation_mode = "QUATERNION"

    mesh = body.data
    body.data.materials[eye_index].diffuse_color = (0.92, 0.92, 0.9, 1.0)
    bsdf = next((n for n in mesh.materials[eye_index].node_tree.nodes if n.type == "BSDF_PRINCIPLED"), None)
    if bsdf is not None:
        bsdf.inputs["Base Color"].default_value = (0.92, 0.92, 0.9, 1.0)
    mesh.materials.append(_eye_material(f"{body.name}_Iris", (0.05, 0.08, 0.12, 1.0)))
    iris_index = len(mesh.materials) - 1
    groups = {name: body.vertex_groups.new(name=name).index for name in ("eye.L", "eye.R", "lid.T.L", "lid.T.R")}
    head_group = body.vertex_groups["head"].index
    bm = bmesh.new()
    bm.from_mesh(mesh)
    deform = bm.verts.layers.deform.verify()
    # The existing eye spheres move from the head to their eye bones.
    for face in bm.faces:
        if face.material_index == eye_index:
            for v in face.verts:
                side = "L" if v.co.x > 0 else "R"
                if head_group in v[deform]:
                    del v[deform][head_group]
                v[deform][groups[f"eye.{side}"]] = 1.0
    for side, x in (("L", 0.035), ("R", -0.035)):
        centre = Matrix.Translation(Vector((x, -0.09, 1.7)))
        before = set(bm.verts)
        made = bmesh.ops.create_uvsphere(bm, u_segments=12, v_segments=6, radius=EYE_RADIUS * 0.45,
                                         matrix=centre @ Matrix.Translation((0.0, -EYE_RADIUS * 0.92, 0.0))
                                         @ Matrix.Diagonal((1.0, 0.45, 1.0, 1.0)))
        for v in made["verts"]:
            v[deform][groups[f"eye.{side}"]] = 1.0
        for f in {f for v in made["verts"] for f in v.link_faces}:
            f.material_index = iris_index
        made = bmesh.ops.create_uvsphere(bm, u_segments=16, v_segments=12, radius=LID_RADIUS, matrix=centre)
        lid_verts = [v for v in made["verts"] if v not in before]
        top = Vector((0.0, 0.0, 1.0))
        limit = math.radians(LID_POLAR_DEG + 1.0)
        cut = [v for v in lid_verts if (v.co - centre.translation).angle(top, 0.0) > limit]
        bmesh.ops.delete(bm, geom=cut, context="VERTS")
        for v in (v for v in lid_verts if v.is_valid):
            v[deform][groups[f"lid.T.{side}"]] = 1.0
            for f in v.link_faces:
                f.material_index = skin_index
    bm.to_mesh(mesh)
    bm.free()
