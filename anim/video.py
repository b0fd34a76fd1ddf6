"""Blender side of reference videos: where estimates are cached, and the video shown beside the character.

The estimation itself is pure (``core.video.estimation``); this module only knows Blender: the user
cache folder of the extension and a textured plane that plays the video in sync with the scene, so the
animator can scrub and compare the baked head with the reference.
"""

from __future__ import annotations

from pathlib import Path

import bpy

from ..core.errors import Cancelled, MediaError
from ..core.video import EstimationResult, EstimationSettings, estimate_video_cached
from .user_data import keep_library_caches_private, user_folder

#: Name of the plane object showing the reference video.
REFERENCE_NAME = "HeadMotionReference"


def cache_dir() -> Path:
    """Folder for cached estimates, in the extension's user folder (never inside the extension itself).

    Every video path asks for it before estimating, so it also keeps the landmark libraries' own caches in
    the user folder (:func:`~anim.user_data.keep_library_caches_private`)."""
    keep_library_caches_private()
    return user_folder("video_cache")


def cached_estimate(path: str, settings: EstimationSettings) -> EstimationResult | None:
    """The cached estimate of ``path`` with ``settings``, or None when the video was not analysed yet.

    Never starts the (long) analysis: that runs in the cancellable operators.
    """
    try:
        return estimate_video_cached(path, settings, cache_dir(), cancel=lambda: True)
    except Cancelled:
        return None


def show_reference(
    scene: bpy.types.Scene,
    video_path: str,
    n_frames: int,
    start_frame: int,
    beside: bpy.types.Object | None = None,
    mirror: bool = False,
    height: float = 0.6,
) -> bpy.types.Object:
    """Show the video on a plane (replacing an earlier one) that plays frames ``start_frame``… in sync.

    The plane stands upright facing -Y (toward Blender's front view), to the character's left side
    (world +X of ``beside``), at head height; ``mirror`` flips it horizontally.
    """
    try:
        image = bpy.data.images.load(str(video_path), check_existing=True)
    except RuntimeError as exc:
        raise MediaError(f"Blender cannot open the video '{video_path}' to show it: {exc}", video_path) from None
    image.source = "MOVIE"
    width, h = image.size[:] if image.size[0] > 0 else (1, 1)
    aspect = width / max(h, 1)

    old = bpy.data.objects.get(REFERENCE_NAME)
    if old is not None:
        bpy.data.objects.remove(old)
    mesh = bpy.data.meshes.new(REFERENCE_NAME)
    half_w, half_h = 0.5 * height * aspect, 0.5 * height
    mesh.from_pydata([(-half_w, 0, -half_h), (half_w, 0, -half_h), (half_w, 0, half_h), (-half_w, 0, half_h)],
                     [], [(0, 1, 2, 3)])
    uv = mesh.uv_layers.new(name="UVMap")
    for loop, (u, v) in zip(uv.data, ((0, 0), (1, 0), (1, 1), (0, 1)), strict=True):
        loop.uv = (1 - u, v) if mirror else (u, v)
    plane = bpy.data.objects.new(REFERENCE_NAME, mesh)
    scene.collection.objects.link(plane)

    material = bpy.data.materials.new(REFERENCE_NAME)
    if material.node_tree is None:  # Blender < 5.0 creates materials without nodes
        material.use_nodes = True
    nodes, links = material.node_tree.nodes, material.node_tree.links
    nodes.clear()
    tex = nodes.new("ShaderNodeTexImage")
    tex.image = image
    tex.image_user.frame_duration = n_frames
    tex.image_user.frame_start = start_frame
    tex.image_user.use_auto_refresh = True
    emission = nodes.new("ShaderNodeEmission")
    out = nodes.new("ShaderNodeOutputMaterial")
    links.new(tex.outputs["Color"], emission.inputs["Color"])
    links.new(emission.outputs["Emission"], out.inputs["Surface"])
    mesh.materials.append(material)

    if beside is not None:
        origin = beside.matrix_world.translation
        plane.location = (origin.x + 0.5 + half_w, origin.y, _top(beside) - half_h)
    return plane


def _top(obj: bpy.types.Object) -> float:
    """Highest world Z of an armature's bones or a mesh's vertices (origin + 1.6 otherwise)."""
    if obj.type == "ARMATURE" and len(obj.data.bones):
        return max((obj.matrix_world @ b.tail_local).z for b in obj.data.bones)
    if obj.type == "MESH" and len(obj.data.vertices):
        return max((obj.matrix_world @ v.co).z for v in obj.data.vertices)
    return obj.matrix_world.translation.z + 1.6
