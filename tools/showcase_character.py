"""The showcase's human character: MakeHuman's CC0 base mesh (head and shoulders), rigged for Head Motion.

Used by `make demo` (tools/demo.py); the batch CLI and the tests keep the small built-in sample character
(anim/sample_character.py). The mesh and joint positions are in samples/character/ (made by
tools/extract_showcase_character.py; source and licence in samples/README.md).

Bones (Rigify-style names the extension recognises): root → chest → neck → head, eye.L / eye.R and lid.T.L /
lid.T.R under the head, placed at MakeHuman's own joint positions (the lids at the eye centres). The skin is
weighted to chest, neck and head by smooth blends across two slanted planes (the chin and jaw go with the head,
the throat with the neck), the eyeballs to their eye bones. Blinks: a skin-coloured cap just outside each
eyeball, hidden behind the upper lid's skin at rest, turns down with its lid bone over the eye's opening
(the eye bake's default lid close angle shuts it). Materials: skin with a shirt below a smooth collar line (a
shader blend over a position attribute, so the edge does not follow the coarse mesh's faces), eyes with iris
and pupil.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import bmesh
import bpy
import numpy as np
from mathutils import Matrix, Vector

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "character"
MESH = SAMPLES / "human_bust.obj"
JOINTS = SAMPLES / "human_bust_joints.json"


def _read_obj(path: Path) -> tuple[np.ndarray, dict[str, list[list[int]]]]:
    verts, groups, group = [], {}, "body"
    for line in path.read_text().splitlines():
        if line.startswith("v "):
            verts.append([float(x) for x in line.split()[1:4]])
        elif line.startswith("g "):
            group = line.split()[1]
        elif line.startswith("f "):
            groups.setdefault(group, []).append([int(t) - 1 for t in line.split()[1:]])
    return np.array(verts), groups


def _smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _material(name: str, color, roughness: float = 0.5, subsurface: float = 0.0) -> bpy.types.Material:
    mat = bpy.data.materials.new(name)
    mat.diffuse_color = color
    if mat.node_tree is None:
        mat.use_nodes = True
    bsdf = next(n for n in mat.node_tree.nodes if n.type == "BSDF_PRINCIPLED")
    bsdf.inputs["Base Color"].default_value = color
    bsdf.inputs["Roughness"].default_value = roughness
    if subsurface and "Subsurface Weight" in bsdf.inputs:
        bsdf.inputs["Subsurface Weight"].default_value = subsurface
        bsdf.inputs["Subsurface Radius"].default_value = (0.01, 0.004, 0.002)
    return mat


#: The float point attribute holding each vertex's signed height above the collar plane (m): a linear function
#: of the position, so its interpolation across a face is exact and the shirt's edge is a smooth line.
COLLAR_ATTRIBUTE = "head_motion_collar"
#: Width (m) of the soft edge between skin and shirt.
COLLAR_EDGE = 0.002


def _skin_and_shirt(material: bpy.types.Material, shirt: bpy.types.Material) -> None:
    """Turn ``material`` (skin) into skin above the collar plane and ``shirt``'s colour below it, blended over
    :data:`COLLAR_EDGE` by the :data:`COLLAR_ATTRIBUTE` attribute."""
    nodes, links = material.node_tree.nodes, material.node_tree.links
    skin_bsdf = next(n for n in nodes if n.type == "BSDF_PRINCIPLED")
    out = next(n for n in nodes if n.type == "OUTPUT_MATERIAL")
    shirt_bsdf = nodes.new("ShaderNodeBsdfPrincipled")
    source = next(n for n in shirt.node_tree.nodes if n.type == "BSDF_PRINCIPLED")
    for socket in ("Base Color", "Roughness"):
        shirt_bsdf.inputs[socket].default_value = source.inputs[socket].default_value
    height = nodes.new("ShaderNodeAttribute")
    height.attribute_name = COLLAR_ATTRIBUTE
    edge = nodes.new("ShaderNodeMapRange")
    edge.interpolation_type = "SMOOTHSTEP"
    edge.inputs["From Min"].default_value = -COLLAR_EDGE / 2
    edge.inputs["From Max"].default_value = COLLAR_EDGE / 2
    mix = nodes.new("ShaderNodeMixShader")
    links.new(height.outputs["Fac"], edge.inputs["Value"])
    links.new(edge.outputs["Result"], mix.inputs["Fac"])  # 0 below the collar (shirt), 1 above (skin)
    links.new(shirt_bsdf.outputs["BSDF"], mix.inputs[1])
    links.new(skin_bsdf.outputs["BSDF"], mix.inputs[2])
    links.new(mix.outputs["Shader"], out.inputs["Surface"])


MATERIALS = (
    ("HeadMotionHuman_Skin", (0.72, 0.50, 0.40, 1.0), 0.45, 0.15),
    ("HeadMotionHuman_Shirt", (0.05, 0.08, 0.15, 1.0), 0.8, 0.0),
    ("HeadMotionHuman_Sclera", (0.85, 0.83, 0.80, 1.0), 0.15, 0.0),
    ("HeadMotionHuman_Iris", (0.20, 0.12, 0.06, 1.0), 0.2, 0.0),
    ("HeadMotionHuman_Pupil", (0.01, 0.01, 0.01, 1.0), 0.1, 0.0),
)
SKIN, SHIRT, SCLERA, IRIS, PUPIL = range(5)


def build_human_character(name: str = "HeadMotionHuman", scene: bpy.types.Scene | None = None,
                          skin_tone: tuple[float, float, float, float] | None = None) -> bpy.types.Object:
    """Create the character in ``scene`` (default: the current one) at the origin; returns the armature object."""
    scene = scene or bpy.context.scene
    joints = {k: Vector(v) for k, v in json.loads(JOINTS.read_text()).items()}
    verts, groups = _read_obj(MESH)

    arm_data = bpy.data.armatures.new(f"{name}_Armature")
    rig = bpy.data.objects.new(name, arm_data)
    scene.collection.objects.link(rig)
    view_layer = bpy.context.view_layer
    previous = view_layer.objects.active
    view_layer.objects.active = rig
    bpy.ops.object.mode_set(mode="EDIT")
    head, neck, chest, top = joints["head"], joints["neck"], joints["spine-1"], joints["head-2"]
    bones = (
        ("root", None, Vector((0, 0, 0)), Vector((0, 0.2, 0))),
        ("chest", "root", chest, neck),
        ("neck", "chest", neck, head),
        ("head", "neck", head, top),
        ("eye.L", "head", joints["l-eye"], joints["l-eye"] + Vector((0, -0.03, 0))),
        ("eye.R", "head", joints["r-eye"], joints["r-eye"] + Vector((0, -0.03, 0))),
        ("lid.T.L", "head", joints["l-eye"], joints["l-eye"] + Vector((0, -0.012, 0.008))),
        ("lid.T.R", "head", joints["r-eye"], joints["r-eye"] + Vector((0, -0.012, 0.008))),
    )
    for bone_name, parent, h, t in bones:
        eb = arm_data.edit_bones.new(bone_name)
        eb.head, eb.tail = h, t
        if parent:
            eb.parent = arm_data.edit_bones[parent]
            eb.use_connect = bone_name in {"neck", "head"}
        eb.use_deform = bone_name != "root"
    bpy.ops.object.mode_set(mode="OBJECT")
    view_layer.objects.active = previous
    for pb in rig.pose.bones:
        pb.rotation_mode = "QUATERNION"

    # Weights: chest / neck / head by smooth blends across two slanted planes (front lower than back).
    y, z = verts[:, 1], verts[:, 2]
    slant = 0.8 * (head.y - y)  # positive toward the face (-Y): the chin goes with the head
    head_w = _smoothstep(-0.025, 0.015, (z - head.z) + slant)
    neck_or_head = _smoothstep(-0.03, 0.02, (z - neck.z) + 0.5 * (neck.y - y))
    weights = {"head": head_w, "neck": neck_or_head * (1.0 - head_w), "chest": 1.0 - neck_or_head}

    mesh = bpy.data.meshes.new(f"{name}_Mesh")
    faces = [f for g in ("body", "eye.L", "eye.R") for f in groups[g]]
    mesh.from_pydata(verts.tolist(), [], faces)
    body = bpy.data.objects.new(f"{name}_Body", mesh)
    scene.collection.objects.link(body)
    vgroups = {g: body.vertex_groups.new(name=g) for g in ("chest", "neck", "head", "eye.L", "eye.R", "lid.T.L",
                                                           "lid.T.R")}
    eye_verts = {g: sorted({i for f in groups[g] for i in f}) for g in ("eye.L", "eye.R")}
    in_eye = np.zeros(len(verts), bool)
    for g, idx in eye_verts.items():
        vgroups[g].add(idx, 1.0, "REPLACE")
        in_eye[idx] = True
    for g, w in weights.items():
        for i in np.nonzero((w > 1e-3) & ~in_eye)[0]:
            vgroups[g].add([int(i)], float(w[i]), "REPLACE")

    # Materials by face: eyes (sclera, iris, pupil around each eye's forward axis), shirt below the collar.
    tones = list(MATERIALS)
    if skin_tone is not None:
        tones[SKIN] = (tones[SKIN][0], skin_tone, *tones[SKIN][2:])
    for mat_name, color, rough, sss in tones:
        mesh.materials.append(_material(f"{name}_{mat_name.split('_')[1]}", color, rough, sss))
    _skin_and_shirt(mesh.materials[SKIN], mesh.materials[SHIRT])
    collar = neck.z - 0.045
    above_collar = mesh.attributes.new(COLLAR_ATTRIBUTE, "FLOAT", "POINT")
    above_collar.data.foreach_set("value", (z - collar - 0.25 * (y - neck.y)).astype(np.float32))
    bm = bmesh.new()
    bm.from_mesh(mesh)
    bm.verts.ensure_lookup_table()
    eyes = set(eye_verts["eye.L"]) | set(eye_verts["eye.R"])
    eye_faces = []
    for f in bm.faces:  # skin and shirt share one material (the collar attribute); eyes have their own
        if all(v.index in eyes for v in f.verts):
            f.material_index = SCLERA
            eye_faces.append(f)
        else:
            f.material_index = SKIN
    # Finer eyeballs (new faces keep their material, new vertices their interpolated eye weights), then the
    # iris and pupil around each eye's forward axis (-Y).
    bmesh.ops.subdivide_edges(bm, edges=list({e for f in eye_faces for e in f.edges}), cuts=3, use_grid_fill=True)
    for f in bm.faces:
        if f.material_index != SCLERA:
            continue
        c = f.calc_center_median()
        centre = joints["l-eye"] if c.x > 0 else joints["r-eye"]
        angle = math.degrees((c - centre).angle(Vector((0, -1, 0)), 0.0))
        f.material_index = PUPIL if angle < 11 else IRIS if angle < 25 else SCLERA
    _add_lids(bm, {side: joints[f"{side.lower()}-eye"] for side in ("L", "R")}, eye_verts,
              {side: vgroups[f"lid.T.{side}"].index for side in ("L", "R")})
    bm.to_mesh(mesh)
    bm.free()
    for poly in mesh.polygons:
        poly.use_smooth = True
    body.parent = rig
    body.modifiers.new("Armature", "ARMATURE").object = rig
    subsurf = body.modifiers.new("Subdivision", "SUBSURF")
    subsurf.levels, subsurf.render_levels = 0, 1
    return rig


#: Upper-lid shells: this much (m) outside the eyeball, covering polar angles 0..LID_POLAR_DEG from the top at rest
#: (behind the skin of the upper lid); the lid bone turning down by the default lid close angle (55 degrees)
#: brings the shell's edge over the eye's opening.
LID_GAP, LID_POLAR_DEG = 0.0006, 60.0


def _add_lids(bm: bmesh.types.BMesh, centres: dict[str, Vector], eye_verts: dict[str, list[int]],
              groups: dict[str, int]) -> None:
    """A skin-coloured spherical cap over the top of each eyeball (``centres``: the eye joints by side "L"/"R";
    ``eye_verts``: the eyeball vertex indices by "eye.L"/"eye.R"), weighted fully to its lid bone (``groups``:
    vertex group index by side), with the collar attribute set to skin."""
    bm.verts.ensure_lookup_table()
    deform = bm.verts.layers.deform.verify()
    collar = bm.verts.layers.float.get(COLLAR_ATTRIBUTE)
    top = Vector((0.0, 0.0, 1.0))
    limit = math.radians(LID_POLAR_DEG)
    radii = {side: max((bm.verts[i].co - centre).length for i in eye_verts[f"eye.{side}"]) + LID_GAP
             for side, centre in centres.items()}
    for side, centre in centres.items():
        radius = radii[side]
        made = bmesh.ops.create_uvsphere(bm, u_segments=24, v_segments=16, radius=radius,
                                         matrix=Matrix.Translation(centre))
        cap = set(made["verts"])
        bmesh.ops.delete(bm, geom=[v for v in cap if (v.co - centre).angle(top, 0.0) > limit], context="VERTS")
        for v in (v for v in cap if v.is_valid):
            v[deform][groups[side]] = 1.0
            if collar is not None:
                v[collar] = 1.0  # skin
            for f in v.link_faces:
                f.material_index = SKIN


#: Skin tones of the characters side by side (linear RGBA).
SKIN_TONES = ((0.50, 0.32, 0.24, 1.0), (0.30, 0.17, 0.10, 1.0), (0.58, 0.40, 0.31, 1.0))


def _label(scene: bpy.types.Scene, text: str, location: Vector, size: float) -> bpy.types.Object:
    curve = bpy.data.curves.new(f"HeadMotionLabel_{text}", "FONT")
    curve.body = text
    curve.align_x = "CENTER"
    curve.size = size
    label = bpy.data.objects.new(curve.name, curve)
    scene.collection.objects.link(label)
    label.location = location
    label.rotation_euler = (math.radians(90), 0.0, 0.0)  # upright, facing the camera (-Y)
    mat = bpy.data.materials.get("HeadMotionLabel") or bpy.data.materials.new("HeadMotionLabel")
    if mat.node_tree is None:
        mat.use_nodes = True
    nodes = mat.node_tree.nodes
    if not any(n.type == "EMISSION" for n in nodes):
        for n in list(nodes):
            if n.type != "OUTPUT_MATERIAL":
                nodes.remove(n)
        emission = nodes.new("ShaderNodeEmission")
        emission.inputs["Strength"].default_value = 2.0
        out = next(n for n in nodes if n.type == "OUTPUT_MATERIAL")
        mat.node_tree.links.new(emission.outputs[0], out.inputs["Surface"])
    curve.materials.append(mat)
    return label


#: Distance between the characters in the row (m) and how far the outer ones stand behind the middle one (m).
SPACING, STAGGER = 0.36, 0.12
#: Height of the frame's bottom edge (m) in the middle character's plane: above the bust's cut (0.39 m), at the chest
FRAME_BOTTOM = 0.46


def arrange(rigs: list[bpy.types.Object]) -> None:
    """Stand the characters in a row along X, the middle one in front (like a group photo).

    Neighbours' shoulders overlap; the nearer character covers the farther one's, so no shirt cuts through
    another. Call before baking (the bake reads the rig's world position).
    """
    middle = (len(rigs) - 1) / 2
    for i, rig in enumerate(rigs):
        rig.location = ((i - middle) * SPACING, STAGGER * abs(i - middle), 0.0)
    bpy.context.view_layer.update()


def stage(scene: bpy.types.Scene, rigs: list[bpy.types.Object], labels: list[str]) -> bpy.types.Object:
    """Head-and-shoulders framing of the characters, three-point lighting, each one's label above its head.

    Returns the camera (16:9 frame from the chest up, wide enough for every head). The characters stand as
    :func:`arrange` puts them, facing -Y (see :func:`build_human_character`).
    """
    xs = [rig.location.x for rig in rigs]
    width = (max(xs) - min(xs)) + 0.30  # the row of heads; the outer shoulders may leave the frame
    height = width * 9 / 16
    centre = Vector(((min(xs) + max(xs)) / 2, 0.0, FRAME_BOTTOM + height / 2))
    cam_data = bpy.data.cameras.new("HeadMotionDemoCamera")
    cam_data.lens = 50
    cam_data.sensor_fit = "HORIZONTAL"
    camera = bpy.data.objects.new(cam_data.name, cam_data)
    scene.collection.objects.link(camera)
    distance = width / (2 * math.tan(cam_data.angle_x / 2))
    camera.location = centre + Vector((0.0, -distance, 0.0))  # level: the frame's edges are where asked
    camera.rotation_euler = (math.radians(90), 0.0, 0.0)
    scene.camera = camera
    heads = Vector((centre.x, 0.0, 0.74))
    for name, energy, offset, size in (("Key", 40.0, (1.2, -1.6, 1.1), 1.5), ("Fill", 12.0, (-1.6, -1.3, 0.3), 2.0),
                                       ("Rim", 45.0, (0.4, 1.4, 1.2), 1.0)):
        light_data = bpy.data.lights.new(f"HeadMotionDemo{name}", "AREA")
        light_data.energy = energy * max(1.0, width)
        light_data.size = size
        light = bpy.data.objects.new(light_data.name, light_data)
        scene.collection.objects.link(light)
        light.location = heads + Vector(offset)
        light.rotation_euler = (heads - light.location).to_track_quat("-Z", "Y").to_euler()
    scene.world = scene.world or bpy.data.worlds.new("HeadMotionDemoWorld")
    scene.world.color = (0.025, 0.03, 0.04)
    for rig, text in zip(rigs, labels, strict=True):
        _label(scene, text, Vector((rig.location.x, rig.location.y - 0.05, 0.905)), 0.024)
    return camera


def configure_render(scene: bpy.types.Scene, width: int, height: int, samples: int = 1) -> None:
    """Cycles on the CPU, ``samples`` per pixel and OpenImageDenoise: the cheapest settings that stay clean.

    Measured per 1280x720 frame of three characters (CPU seconds, bpy 5.0.1): one sample 3.4 with the light
    tree, 1.6 without it (three area lights need no tree); each further sample about 1.6-3.4; the denoiser
    2.5 at "Fast" quality with the fast prefilter, 5 at "High". The sampling pattern is the same every frame,
    so the denoised result does not flicker where nothing moves.
    """
    scene.render.engine = "CYCLES"
    cycles = scene.cycles
    cycles.device = "CPU"
    cycles.samples = samples
    cycles.use_adaptive_sampling = False
    cycles.use_light_tree = False
    cycles.use_animated_seed = False
    cycles.max_bounces = 1
    cycles.caustics_reflective = cycles.caustics_refractive = False
    cycles.use_denoising = True
    cycles.denoiser = "OPENIMAGEDENOISE"
    cycles.denoising_input_passes = "RGB_ALBEDO_NORMAL"
    cycles.denoising_prefilter = "FAST"
    if hasattr(cycles, "denoising_quality"):  # Blender 4.1+
        cycles.denoising_quality = "FAST"
    scene.render.use_persistent_data = True
    scene.render.use_motion_blur = False
    scene.render.resolution_x, scene.render.resolution_y = width, height
    scene.render.resolution_percentage = 100
    scene.render.film_transparent = False
    scene.view_settings.view_transform = "AgX" if "AgX" in [
        i.identifier for i in scene.view_settings.bl_rna.properties["view_transform"].enum_items] else "Filmic"


def set_subdivision(rigs: list[bpy.types.Object], levels: int) -> None:
    """Render subdivision of the characters' skin: 1 for stills, 0 keeps video frames cheap."""
    for rig in rigs:
        for child in rig.children:
            for modifier in child.modifiers:
                if modifier.type == "SUBSURF":
                    modifier.render_levels = levels
