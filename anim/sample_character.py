"""A small built-in character for the demo, the batch CLI and tests: a head/neck armature and a mesh.

The character stands at the origin, Z up, facing -Y (Blender's front view), about 1.8 units tall.
Bones: root → hips → spine → chest → neck → head, with eye.L/eye.R children of the head (Rigify-style
names), and upper-lid bones lid.T.L/lid.T.R (:mod:`anim.sample_eyes`). The mesh is a stylised bust (body,
neck, head with a nose, eyeballs with irises and eyelids, so rotation and blinks read clearly), parented to the
armature with vertex groups, so it follows the head.
"""

from __future__ import annotations

import bmesh
import bpy
from mathutils import Matrix, Vector

#: (name, parent, head, tail) in armature space, metres.
BONES = (
    ("root", None, (0, 0, 0), (0, 0.3, 0)),
    ("hips", "root", (0, 0, 0.95), (0, 0, 1.1)),
    ("spine", "hips", (0, 0, 1.1), (0, 0, 1.3)),
    ("chest", "spine", (0, 0, 1.3), (0, 0, 1.45)),
    ("neck", "chest", (0, 0, 1.45), (0, -0.01, 1.56)),
    ("head", "neck", (0, -0.01, 1.56), (0, -0.01, 1.8)),
    ("eye.L", "head", (0.035, -0.09, 1.7), (0.035, -0.12, 1.7)),
    ("eye.R", "head", (-0.035, -0.09, 1.7), (-0.035, -0.12, 1.7)),
)


#: (name, RGBA base colour) of the sample's materials, indexed by ``material_index``.
MATERIALS = (
    ("HeadMotionSample_Shirt", (0.18, 0.25, 0.38, 1.0)),
    ("HeadMotionSample_Skin", (0.80, 0.58, 0.46, 1.0)),
    ("HeadMotionSample_Eyes", (0.03, 0.03, 0.04, 1.0)),
)
SHIRT, SKIN, EYES = range(3)


def _add_part(bm: bmesh.types.BMesh, deform, group: int, make, matrix: Matrix, material: int = SKIN) -> None:
    before_verts, before_faces = set(bm.verts), set(bm.faces)
    make(bm, matrix)
    for v in set(bm.verts) - before_verts:
        v[deform][group] = 1.0
    for f in set(bm.faces) - before_faces:
        f.material_index = material


def _material(name: str, color: tuple[float, float, float, float]) -> bpy.types.Material:
    mat = bpy.data.materials.new(name)
    mat.diffuse_color = color
    if mat.node_tree is None:  # Blender < 5.0 creates materials without nodes
        mat.use_nodes = True
    bsdf = next((n for n in mat.node_tree.nodes if n.type == "BSDF_PRINCIPLED"), None)
    if bsdf is not None:
        bsdf.inputs["Base Color"].default_value = color
        bsdf.inputs["Roughness"].default_value = 0.6
    return mat


def build_sample_character(name: str = "HeadMotionSample", scene: bpy.types.Scene | None = None) -> bpy.types.Object:
    """Create the sample character in ``scene`` (default: the current one); returns the armature object."""
    scene = scene or bpy.context.scene
    arm_data = bpy.data.armatures.new(f"{name}_Armature")
    rig = bpy.data.objects.new(name, arm_data)
    scene.collection.objects.link(rig)

    # Edit bones need edit mode; do it without operators' context requirements where possible.
    view_layer = bpy.context.view_layer
    previous_active = view_layer.objects.active
    view_layer.objects.active = rig
    bpy.ops.object.mode_set(mode="EDIT")
    for bone_name, parent, head, tail in BONES:
        eb = arm_data.edit_bones.new(bone_name)
        eb.head, eb.tail = Vector(head), Vector(tail)
        if parent:
            eb.parent = arm_data.edit_bones[parent]
            eb.use_connect = bone_name in {"spine", "chest", "neck", "head"}
        eb.use_deform = bone_name != "root"
    bpy.ops.object.mode_set(mode="OBJECT")
    view_layer.objects.active = previous_active
    for pb in rig.pose.bones:
        pb.rotation_mode = "QUATERNION"

    mesh = bpy.data.meshes.new(f"{name}_Mesh")
    body = bpy.data.objects.new(f"{name}_Body", mesh)
    scene.collection.objects.link(body)
    groups = {g: body.vertex_groups.new(name=g).index for g in ("chest", "neck", "head")}
    bm = bmesh.new()
    deform = bm.verts.layers.deform.verify()
    sphere = bmesh.ops.create_uvsphere
    _add_part(bm, deform, groups["chest"],
              lambda b, m: sphere(b, u_segments=24, v_segments=12, radius=1.0, matrix=m),
              Matrix.Translation((0, 0, 1.25)) @ Matrix.Diagonal((0.24, 0.14, 0.25, 1)), SHIRT)
    _add_part(bm, deform, groups["neck"],
              lambda b, m: bmesh.ops.create_cone(b, segments=16, radius1=0.055, radius2=0.05, depth=0.16,
                                                 cap_ends=True, matrix=m),
              Matrix.Translation((0, -0.005, 1.52)))
    _add_part(bm, deform, groups["head"],
              lambda b, m: sphere(b, u_segments=32, v_segments=16, radius=1.0, matrix=m),
              Matrix.Translation((0, -0.01, 1.68)) @ Matrix.Diagonal((0.085, 0.1, 0.12, 1)))
    _add_part(bm, deform, groups["head"],
              lambda b, m: bmesh.ops.create_cone(b, segments=12, radius1=0.018, radius2=0.0, depth=0.05,
                                                 cap_ends=True, matrix=m),
              Matrix.Translation((0, -0.12, 1.66)) @ Matrix.Rotation(1.5708, 4, "X"))
    for x in (0.035, -0.035):
        _add_part(bm, deform, groups["head"],
                  lambda b, m: sphere(b, u_segments=12, v_segments=6, radius=0.016, matrix=m),
                  Matrix.Translation((x, -0.09, 1.7)), EYES)
    bm.to_mesh(mesh)
    bm.free()
    for mat_name, color in MATERIALS:
        mesh.materials.append(_material(mat_name, color))
    for poly in mesh.polygons:
        poly.use_smooth = True
    body.parent = rig
    from .sample_eyes import add_sample_eyes

    add_sample_eyes(rig, body, SKIN, EYES)
    modifier = body.modifiers.new("Armature", "ARMATURE")
    modifier.object = rig
    return rig
