"""Quick preview renders of a baked head: camera and light framing the head, Cycles on the CPU.

Used by the demo and the batch CLI's ``--preview``. Small resolution and few samples keep it at a fraction
of a second per frame on a laptop CPU; the video is H.264 with the scene's sound strips as AAC when
Blender was built with FFmpeg and audio.
"""

from __future__ import annotations

from pathlib import Path

import bpy
from mathutils import Vector

from . import compat


def frame_characters(scene: bpy.types.Scene, rigs: list[bpy.types.Object], head_bone: str) -> bpy.types.Object:
    """Add a camera in front of the characters' heads (they face -Y) and a key and a fill light.

    The camera looks at the middle of the heads from far enough to see them all (a 16:9 frame); returns it.
    """
    heads = []
    for rig in rigs:
        bone = rig.data.bones[head_bone]
        head, tail = rig.matrix_world @ bone.head_local, rig.matrix_world @ bone.tail_local
        heads.append(head + (tail - head) * 0.45)
    target = sum(heads, Vector()) / len(heads)
    spread = max((h - target).length for h in heads)
    distance = max(1.0, 2.3 * spread + 1.0)
    cam_data = bpy.data.cameras.new("HeadMotionPreviewCamera")
    cam_data.lens = 50
    camera = bpy.data.objects.new("HeadMotionPreviewCamera", cam_data)
    scene.collection.objects.link(camera)
    camera.location = target + Vector((0.0, -distance, 0.08 * distance))
    camera.rotation_euler = (target - camera.location).to_track_quat("-Z", "Y").to_euler()
    scene.camera = camera
    for name, energy, offset in (("Key", 120.0, (1.0, -1.5, 1.5)), ("Fill", 35.0, (-1.5, -1.0, 0.5))):
        light_data = bpy.data.lights.new(f"HeadMotionPreview{name}", "AREA")
        light_data.energy = energy * max(1.0, spread + 0.5)
        light_data.size = 1.0 + spread
        light = bpy.data.objects.new(light_data.name, light_data)
        scene.collection.objects.link(light)
        light.location = target + Vector(offset) * max(1.0, spread + 0.5)
        light.rotation_euler = (target - light.location).to_track_quat("-Z", "Y").to_euler()
    if scene.world is None:
        scene.world = bpy.data.worlds.new("HeadMotionPreviewWorld")
    scene.world.color = (0.05, 0.05, 0.06)
    return camera


def configure_render(scene: bpy.types.Scene, width: int = 256, height: int = 256, samples: int = 8) -> None:
    """Cycles on the CPU at ``width``×``height`` pixels with ``samples`` samples, no denoiser."""
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = samples
    scene.cycles.use_denoising = False
    scene.cycles.max_bounces = 2
    scene.render.resolution_x, scene.render.resolution_y = width, height
    scene.render.resolution_percentage = 100
    scene.render.film_transparent = False


def render_video(scene: bpy.types.Scene, path: Path, with_sound: bool = True) -> Path:
    """Render the scene's frame range to an MP4 (H.264, AAC sound when ``with_sound``); returns the file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    render = scene.render
    compat.set_media_type(render.image_settings, "VIDEO")
    render.image_settings.file_format = "FFMPEG"
    render.ffmpeg.format = "MPEG4"
    render.ffmpeg.codec = "H264"
    render.ffmpeg.constant_rate_factor = "MEDIUM"
    render.ffmpeg.audio_codec = "AAC" if with_sound and bpy.app.build_options.audaspace else "NONE"
    render.use_file_extension = False
    render.filepath = str(path)
    bpy.ops.render.render(animation=True, scene=scene.name)
    return path


def render_still(scene: bpy.types.Scene, path: Path, frame: int) -> Path:
    """Render one frame to a PNG."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    scene.frame_set(frame)
    compat.set_media_type(scene.render.image_settings, "IMAGE")
    scene.render.image_settings.file_format = "PNG"
    scene.render.filepath = str(path)
    bpy.ops.render.render(write_still=True, scene=scene.name)
    return path
