"""Shared pieces of the eye-bake tests: a turning head track with speech and pauses, and a scene camera."""

from __future__ import annotations

import bpy
import numpy as np

FPS = 24


def head_track(ext, n: int = 96):
    """``n`` frames at :data:`FPS` of a head turning +-20 deg yaw (5 pitch, 3 roll) with phrases and pauses."""
    t = np.arange(n) / FPS
    angles = np.column_stack([20.0 * np.sin(2 * np.pi * t / 2.0), 5.0 * np.sin(2 * np.pi * t / 1.7),
                              3.0 * np.sin(2 * np.pi * t / 3.1)])
    speech = (np.sin(2 * np.pi * t / 2.5) > -0.3).astype(float)
    return ext.core.track.PoseTrack.from_angles(angles, FPS, 1, speech)


def camera(scene: bpy.types.Scene, location=(0.4, -2.2, 1.75)) -> bpy.types.Object:
    """A camera at ``location`` made the scene's camera (the default gaze target)."""
    cam = bpy.data.objects.new("Cam", bpy.data.cameras.new("Cam"))
    scene.collection.objects.link(cam)
    cam.location = location
    scene.camera = cam
    return cam
