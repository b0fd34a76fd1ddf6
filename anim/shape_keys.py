"""Bake per-frame blendshape weights (e.g. ARKit's 52 from Live Link Face) onto a mesh's shape keys.

Non-destructive: the weights go into a NEW action on the mesh's shape-key datablock (a copy of its current
shape-key action when it has one, so other keys stay animated); the previous action is kept and can be
assigned back. Shape keys are matched to blendshape names case-insensitively (``jawOpen`` animates a key named
``jawOpen`` or ``JawOpen``). Weights are unitless (0..1) and resampled linearly to the scene's frame rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import bpy
import numpy as np

from ..core.errors import SettingsError, TargetError
from . import fcurves
from .bake import scene_fps


@dataclass
class ShapeKeyBakeResult:
    """What :func:`bake_shape_keys` wrote."""

    action: bpy.types.Action
    previous_action: bpy.types.Action | None
    keys: list[str]
    frame_start: int
    frame_end: int
    unmatched: list[str] = field(default_factory=list)


def matching_keys(obj: bpy.types.Object, names) -> dict[str, str]:
    """{blendshape name: shape key name} for the ``names`` that ``obj`` has a shape key for."""
    shape_keys = getattr(getattr(obj, "data", None), "shape_keys", None)
    if shape_keys is None:
        return {}
    by_lower = {kb.name.lower(): kb.name for kb in shape_keys.key_blocks[1:]}  # [0] is the basis
    return {name: by_lower[name.lower()] for name in names if name.lower() in by_lower}


def meshes_with_keys(objects, names) -> list[bpy.types.Object]:
    """The mesh objects among ``objects`` (and their children) with a shape key for any of ``names``."""
    found, seen = [], set()
    stack = list(objects)
    while stack:
        obj = stack.pop(0)
        if obj is None or obj.name in seen:
            continue
        seen.add(obj.name)
        if obj.type == "MESH" and matching_keys(obj, names):
            found.append(obj)
        stack.extend(obj.children)
    return found


def bake_shape_keys(obj: bpy.types.Object, weights: dict[str, np.ndarray], fps: float, start_frame: int,
                    scene: bpy.types.Scene | None = None, action_name: str = "") -> ShapeKeyBakeResult:
    """Key the shape keys of ``obj`` named like ``weights`` (one value per frame at ``fps`` from
    ``start_frame``) into a new shape-key action. Raises TargetError (nothing changed) without any match."""
    scene = scene or bpy.context.scene
    if obj is None or obj.type != "MESH":
        raise TargetError("Blendshapes go onto a mesh with shape keys; the target is not a mesh.")
    if obj.library is not None or obj.data.library is not None:
        raise TargetError(f"'{obj.name}' is linked; make a library override to animate its shape keys.")
    if not (np.isfinite(fps) and fps > 0):
        raise SettingsError(f"Frame rate must be a positive number, got {fps}.")
    matches = matching_keys(obj, weights)
    if not matches:
        raise TargetError(f"'{obj.name}' has no shape key named like the blendshapes "
                          f"(e.g. {', '.join(sorted(weights)[:3])}).")
    n = len(next(iter(weights.values())))
    out_fps = scene_fps(scene)
    t_src = np.arange(n) / float(fps)
    n_out = int(np.floor((n - 1) / float(fps) * out_fps + 1e-9)) + 1
    t_out = np.arange(n_out) / out_fps
    frames = start_frame + np.arange(n_out, dtype=np.float64)
    values = {key: np.clip(np.interp(t_out, t_src, np.asarray(weights[name], dtype=np.float64)), 0.0, 1.0)
              for name, key in matches.items()}
    if not all(np.isfinite(v).all() for v in values.values()):
        raise SettingsError("Blendshape weights must be finite numbers.")

    key_data = obj.data.shape_keys
    adt = key_data.animation_data
    previous = adt.action if adt is not None else None
    slot = fcurves.current_slot_identifier(key_data)
    action = previous.copy() if previous is not None else bpy.data.actions.new("ShapeKeys")
    action.name = action_name or f"{obj.name}_HeadMotionShapes"
    action.use_fake_user = False
    if previous is not None:
        previous.use_fake_user = True  # keep the user's animation when the new action replaces it
    fcurves.assign_action(key_data, action, slot)
    channels = fcurves.channels_for(key_data, create=True)
    for key, vals in values.items():
        path = f'key_blocks["{bpy.utils.escape_identifier(key)}"].value'
        fcurves.write_keys(fcurves.ensure_fcurve(channels, path, 0, "Shape Keys"), frames, vals)
    return ShapeKeyBakeResult(action, previous, sorted(values), int(frames[0]), int(frames[-1]),
                              sorted(set(weights) - set(matches)))
