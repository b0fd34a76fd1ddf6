"""The one way Head Motion writes a pose track onto a character.

:func:`bake_track` is used by every operator, the batch CLI and the scripting API. It computes every key
first: it reads the joints' current rotations, makes one call to :func:`core.rig.chain.chain_rotations` (the
maths, pure numpy), and only then writes Blender data, so any error leaves the scene unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import bpy
import numpy as np

from ..core import keyreduce, rotation
from ..core.errors import SettingsError, TargetError
from ..core.rig.chain import ChainJoint, chain_rotations, to_matrices
from ..core.timing import resample_track
from ..core.track import PoseTrack
from . import fcurves, restore
from .target import Joint, Target, resolve_target, rotation_channel

BAKE_MODES = ("NEW_ACTION", "REPLACE")

@dataclass
class BakeOptions:
    """How to bake. Angles in degrees.

    mode: "NEW_ACTION" bakes into a copy of the current action (or a new action) and keeps the original
        untouched; "REPLACE" overwrites the rotation keys of the joints inside the frame range.
    head_bone / neck_bones: override bone detection (empty: detect). neck_bones: comma-separated.
    neck_share: fraction (0-1) of the rotation carried by the neck bones, split evenly among them.
    facing: "AUTO" or a world axis "-Y", "+Y", "-X", "+X".
    key_tolerance_deg: None writes a key on every frame; a value keeps only the keys needed so the
        baked rotation stays within this many degrees of the track at every frame.
    action_name: name of the new action (default "<object>_HeadMotion").
    """

    mode: str = "NEW_ACTION"
    head_bone: str = ""
    neck_bones: str = ""
    neck_share: float = 0.0
    facing: str = "AUTO"
    key_tolerance_deg: float | None = None
    action_name: str = ""

    def validate(self) -> None:
        if self.mode not in BAKE_MODES:
            raise SettingsError(f"Unknown bake mode '{self.mode}'; use one of {', '.join(BAKE_MODES)}.")
        if not (0.0 <= self.neck_share <= 1.0):
            raise SettingsError(f"Neck share must be between 0 and 1, got {self.neck_share}.")
        if self.key_tolerance_deg is not None and not (self.key_tolerance_deg > 0.0):
            raise SettingsError(f"Key tolerance must be > 0 degrees, got {self.key_tolerance_deg}.")


@dataclass
class BakeResult:
    """What a bake wrote."""

    action: bpy.types.Action
    previous_action: bpy.types.Action | None
    joints: list[str]
    frame_start: int
    frame_end: int
    keys_written: int
    convention: str
    notes: list[str] = field(default_factory=list)
    frame: str = ""  # the character frame used and where it came from (Target.frame)


@dataclass
class _JointKeys:
    joint: Joint
    data_path: str
    values: np.ndarray  # (N, channels) in Blender units (radians / quaternion components)
    matrices: np.ndarray  # (N, 3, 3) local rotations the values encode


def scene_fps(scene: bpy.types.Scene) -> float:
    """Frames per second of ``scene`` (e.g. 29.97 for 30 / 1.001)."""
    return scene.render.fps / scene.render.fps_base


_REST_VALUES = {"QUATERNION": (1.0, 0.0, 0.0, 0.0), "AXIS_ANGLE": (0.0, 0.0, 1.0, 0.0)}


def current_values(obj, base_channels, joint: Joint, frames: np.ndarray, state: dict | None) -> np.ndarray:
    """(N, k) rotation values the bake is added to, per frame (:func:`channel_values` of the joint's rotation)."""
    prop, _ = rotation_channel(joint.rotation_mode)
    rest = _REST_VALUES.get(joint.rotation_mode, (0.0, 0.0, 0.0))
    return channel_values(obj, base_channels, joint.bone, prop, rest, frames, state)


def channel_values(obj, base_channels, bone: str | None, prop: str, rest: tuple[float, ...], frames: np.ndarray,
                   state: dict | None) -> np.ndarray:
    """(N, k) values of the pose bone ``bone``'s (the object's, for None) property ``prop`` (k = ``len(rest)``
    channels) that a bake adds to, per frame.

    A channel keyed in the base action gives its keyed values. An unkeyed channel gives the static pose
    value from before the first bake (``state``, see :mod:`anim.restore`) or else the property's value,
    unless the object's active action animates it (then the property only holds that animation's evaluated
    value, and the ``rest`` value is used).
    """
    owner = obj.pose.bones[bone] if bone else obj
    path = (f'pose.bones["{bpy.utils.escape_identifier(bone)}"].' if bone else "") + prop
    count = len(rest)
    stored = restore.static_value(state, bone or restore.OBJECT_KEY, prop) if state else None
    active = fcurves.channels_for(obj, create=False)
    animated = any(fcurves.find_fcurve(active, path, i) is not None for i in range(count))
    if stored is not None:
        static = np.array(stored, dtype=np.float64)
    else:
        static = np.array(rest if animated else getattr(owner, prop), dtype=np.float64)
    cols = [fcurves.evaluate(fcurves.find_fcurve(base_channels, path, i), frames, static[i]) for i in range(count)]
    return np.stack(cols, axis=1)


def compute_keys(target: Target, track: PoseTrack, channels, neck_share: float = 0.0,
                 state: dict | None = None) -> list[_JointKeys]:
    """All rotation keys of a bake, computed without changing Blender data: read each joint's current
    values, one call to :func:`core.rig.chain.chain_rotations`, nothing written. ``state``: the pre-bake
    state of a New-Action bake (:func:`anim.restore.capture`)."""
    frames = track.frames.astype(np.float64)
    joints = [
        ChainJoint(joint.rest_world, joint.rotation_mode, current_values(target.obj, channels, joint, frames, state),
                   joint.inherits)
        for joint in target.joints
    ]
    rotations = chain_rotations(track.angles, target.basis, joints, neck_share)
    out = []
    for joint, (values, matrices) in zip(target.joints, rotations, strict=True):
        prop, _ = rotation_channel(joint.rotation_mode)
        out.append(_JointKeys(joint, joint.data_path_prefix + prop, values, matrices))
    return out


def _write_reduced(curves, keys: _JointKeys, frames: np.ndarray, tolerance_deg: float) -> int:
    """Write only the keys needed to stay within ``tolerance_deg``; returns the number of keys per channel.

    Starts from a linear-interpolation reduction of the channel values, writes Bezier keys, measures the
    true rotation error of the evaluated curves against the wanted rotations, and adds a key at the worst
    frame of every stretch that is still too far off, until none is.
    """
    keep = keyreduce.select_key_frames(keys.values, np.radians(tolerance_deg) / 2.0)
    while True:
        for i, fc in enumerate(curves):
            fcurves.write_keys(fc, frames[keep], keys.values[keep, i], replace_range=(frames[0], frames[-1]))
        evaluated = np.stack([fcurves.evaluate(fc, frames, 0.0) for fc in curves], axis=1)
        error = rotation.angle_between(to_matrices(evaluated, keys.joint.rotation_mode), keys.matrices)
        worst = keyreduce.worst_of_each_run(error, tolerance_deg)
        if len(worst) == 0:
            return len(keep)
        if np.isin(worst, keep).all():  # below float precision: keep every frame
            keep = np.arange(len(frames))
            continue
        keep = keyreduce.add_frames(keep, worst)


def _base_action(obj: bpy.types.Object, mode: str) -> tuple[bpy.types.Action | None, str | None,
                                                      bpy.types.Action | None]:
    """(action, slot identifier, earlier bake) for the animation the bake is added to.

    Normally the object's current action (earlier bake: None). For a New-Action bake over an earlier Head
    Motion bake it is that bake's source action (found by reference, whatever its name now), so baking again
    replaces the generated motion instead of stacking it; the earlier bake is returned third.
    """
    adt = obj.animation_data
    current = adt.action if adt is not None else None
    slot_identifier = fcurves.current_slot_identifier(obj)
    if mode == "NEW_ACTION" and restore.is_head_motion_action(current):
        source = restore.source_of(current)
        return source, restore.source_slot(current, source)[0], current
    return current, slot_identifier, None


def _makes_new_action(obj: bpy.types.Object, mode: str) -> bool:
    adt = obj.animation_data
    return mode == "NEW_ACTION" or adt is None or adt.action is None


def _prepare_action(obj: bpy.types.Object, options: BakeOptions, base: bpy.types.Action | None,
                    slot_identifier: str | None, state: dict | None) -> bpy.types.Action:
    """The action to write into (assigned to ``obj``), creating or copying it as the mode asks. A new action
    records ``base`` and the pre-bake ``state`` (:func:`anim.restore.mark`)."""
    adt = obj.animation_data
    current = adt.action if adt is not None else None
    if not _makes_new_action(obj, options.mode):
        if current.library is not None:
            raise TargetError(f"The action '{current.name}' is linked and cannot be changed; use New Action.")
        return current
    action = base.copy() if base is not None else bpy.data.actions.new("HeadMotion")
    action.name = options.action_name or f"{obj.name}_HeadMotion"
    restore.mark(action, base, state or {})
    handle = (state or {}).get("slot_handle") if base is not None else None
    fcurves.assign_action(obj, action, slot_identifier, handle)
    return action


def bake_track(obj: bpy.types.Object | None, track: PoseTrack, options: BakeOptions | None = None,
               scene: bpy.types.Scene | None = None) -> BakeResult:
    """Bake ``track`` onto ``obj`` (armature head/neck bones, or the object itself).

    The track is resampled to the scene's frame rate when they differ; it starts at
    ``track.start_frame``. Raises a :class:`core.errors.HeadMotionError` subclass, with nothing changed,
    for bad input (empty/NaN track, no head bone, linked data, bad options).
    """
    options = options or BakeOptions()
    options.validate()
    track.validate()
    scene = scene or bpy.context.scene
    fps = scene_fps(scene)
    if abs(track.fps - fps) > 1e-6:
        track = resample_track(track, fps)
    target = resolve_target(obj, options.head_bone, options.neck_bones, options.facing,
                            use_necks=options.neck_share > 0.0)
    if options.neck_share > 0.0 and not target.necks:
        target.notes.append("No neck bone found: the head carries the whole rotation.")
    frames = track.frames.astype(np.float64)
    base, slot_identifier, earlier = _base_action(obj, options.mode)
    state = None
    if _makes_new_action(obj, options.mode):
        state = restore.capture(obj, [j.bone or restore.OBJECT_KEY for j in target.joints], earlier)
    keys = compute_keys(target, track, fcurves.channels_in(base, slot_identifier), options.neck_share, state)

    previous = obj.animation_data.action if obj.animation_data is not None else None
    action = _prepare_action(obj, options, base, slot_identifier, state)
    channels = fcurves.channels_for(obj, create=True)
    written = 0
    for jk in keys:
        curves = [fcurves.ensure_fcurve(channels, jk.data_path, i, jk.joint.group) for i in range(jk.values.shape[1])]
        if options.key_tolerance_deg is None:
            for i, fc in enumerate(curves):
                fcurves.write_keys(fc, frames, jk.values[:, i])
            written += len(frames) * len(curves)
        else:
            written += _write_reduced(curves, jk, frames, options.key_tolerance_deg) * len(curves)
    if target.obj.type == "ARMATURE":
        for jk in keys:
            target.obj.pose.bones[jk.joint.bone].rotation_mode = jk.joint.rotation_mode
    return BakeResult(
        action=action,
        previous_action=previous,
        joints=[jk.joint.bone or target.obj.name for jk in keys],
        frame_start=int(frames[0]),
        frame_end=int(frames[-1]),
        keys_written=written,
        convention=target.convention,
        notes=target.notes,
        frame=target.frame,
    )


def clear_bake(obj: bpy.types.Object) -> bpy.types.Action | None:
    """Undo a New-Action bake: give ``obj`` back the action (or none), slot, rotation modes and rotation
    values it had before the first bake, and delete the baked copy when nothing else uses it.

    Returns the restored action (None when the object had none). Raises TargetError when the current
    action was not made by Head Motion (a Replace bake is undone with Blender's Undo).
    """
    adt = obj.animation_data if obj is not None else None
    action = adt.action if adt is not None else None
    if not restore.is_head_motion_action(action):
        raise TargetError("The active action was not made by Head Motion; nothing to clear (use Undo).")
    return restore.restore(obj, action)
