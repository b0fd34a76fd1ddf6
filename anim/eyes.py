"""The one way Head Motion writes eyes onto a character: eye bones, upper-lid bones and blink/gaze shape keys.

:func:`bake_eyes` reads (the rig's eyes, lids and shape keys, the head's motion, the gaze target's position per
frame), makes one call to :func:`core.eyes.generate_eyes` (plus the per-joint rotation maths of
:func:`core.rig.chain.chain_values` and the shape-key values of :mod:`core.eyes.channels`), and only then
writes keys, so any error leaves the scene unchanged. The rules are the head bake's (docs/conventions.md): New
Action keeps the original action (the eye channels go into the Head Motion action, or a copy is made), Replace
rewrites the eye channels in the range; shape keys get their own Head Motion action on the mesh's shape-key
datablock. :func:`clear_eyes` gives the shape keys their original actions back and the eye channels their
original keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import bpy
import numpy as np

from ..core import keyreduce
from ..core.errors import SettingsError, TargetError
from ..core.eyes import EyeTrack, GazeTarget, generate_eyes
from ..core.eyes.channels import find_upper_lids, shape_key_values, upper_lid_angles
from ..core.eyes.controls import control_offsets, slide_offsets, to_bone_space
from ..core.rig.chain import ChainJoint, chain_values
from ..core.timing import resample_track
from ..core.track import PoseTrack
from . import fcurves, restore
from .bake import channel_values, current_values, scene_fps
from .eye_controls import aim_objects, find_eye_aims, find_lid_slides, follows_head_note
from .eye_rig import (
    SHAPE_KEY_TOLERANCE,
    EyeBakeOptions,
    EyeRig,
    character_geometry,
    character_meshes,
    evaluated_head_track,
    eye_object_rest,
    find_eye_rig,
    gaze_object,
    target_points,
)
from .target import Joint, resolve_target, rotation_channel

__all__ = ["EyeBakeOptions", "EyeBakeResult", "EyeRig", "bake_eyes", "clear_eyes", "find_eye_rig", "plan_eyes"]

#: Custom property on an action: this Head Motion action was made by an eye bake (Clear Eyes may drop it).
EYES_ONLY_PROP = "head_motion_eyes_only"
#: Key reduction of eye channels starts from segments of this many frames (see :func:`_keep`).
KEY_SEED_FRAMES = 8


@dataclass
class EyeBakeResult:
    """What an eye bake wrote."""

    eyes: EyeTrack
    rig: EyeRig
    keys_written: int
    frame_start: int
    frame_end: int
    notes: list[str] = field(default_factory=list)

    @property
    def blinks(self) -> int:
        return self.eyes.blink_count


def _base_channels(id_data):
    """F-curves the eye keys are added to: the source of a Head Motion action, else the current action."""
    adt = id_data.animation_data
    current = adt.action if adt is not None else None
    slot = fcurves.current_slot_identifier(id_data)
    if restore.is_head_motion_action(current):
        source = restore.source_of(current)
        source_slot, _ = restore.source_slot(current, source)
        return fcurves.channels_in(source, source_slot)
    return fcurves.channels_in(current, slot)


def _keep(values: np.ndarray, tolerance: float | None, seeded: bool = True) -> np.ndarray:
    """Indices of the frames to key: all of them without a tolerance, else the ones linear interpolation needs to
    stay within ``tolerance`` (:func:`core.keyreduce.select_key_frames`). Eye angles need a key every few frames:
    ``seeded`` starts from segments of :data:`KEY_SEED_FRAMES` frames (several times faster, a few % fewer keys).
    Blink shape keys, flat between blinks, are reduced unseeded so that open eyes stay exactly at 0."""
    if tolerance is None:
        return np.arange(len(values))
    return keyreduce.select_key_frames(values, tolerance, seed_every=KEY_SEED_FRAMES if seeded else 0)


#: A joint's (N,) yaw, pitch and roll degrees per frame; None for an axis it does not turn about.
_Angles = tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]


def _joint_keys(obj: bpy.types.Object, joint: Joint, angles: _Angles, reduced: np.ndarray, frames: np.ndarray,
                basis: np.ndarray) -> tuple[str, np.ndarray, np.ndarray]:
    """(data path, key frames (K,), values (K, k)) of one eye or lid joint (a pose bone of ``obj``, or ``obj``
    itself): ``angles`` the (N,) yaw, pitch and roll degrees (None: 0) in the head's character frame per frame,
    composed on the joint's current rotation as the head bake does (:func:`anim.bake.current_values`), at the
    ``reduced`` frames, or every frame when the source action keys the channel (its keys are followed)."""
    base = _base_channels(obj)
    prop, count = rotation_channel(joint.rotation_mode)
    path = joint.data_path_prefix + prop
    keyed = any(fcurves.find_fcurve(base, path, i) is not None for i in range(count))
    rows = np.arange(len(frames)) if keyed else reduced
    adt = obj.animation_data
    action = adt.action if adt is not None else None
    state = restore.state_of(action) if restore.is_head_motion_action(action) else None
    current = current_values(obj, base, joint, frames[rows], state)
    at_rows = np.zeros((len(rows), 3))
    for axis, column in enumerate(angles):
        if column is not None:
            at_rows[:, axis] = column[rows]
    values, = chain_values(at_rows, basis, [ChainJoint(joint.rest_world, joint.rotation_mode, current)])
    return path, frames[rows], values


def _bone_keys(rig: EyeRig, options: EyeBakeOptions, eyes: EyeTrack,
               frames: np.ndarray) -> list[tuple[str, np.ndarray, np.ndarray, str]]:
    """(data path, key frames (K,), values (K, k), bone) of every eye and lid bone channel."""
    obj = rig.head.obj
    if obj.type != "ARMATURE":
        return []
    obj_rot = np.array(obj.matrix_world.to_quaternion().to_matrix())
    jobs: list[tuple[str, _Angles, np.ndarray]] = []
    tolerance = options.key_tolerance_deg
    if rig.eye_bones and not rig.eye_aims:
        keep = _keep(np.column_stack([eyes.yaw, eyes.pitch]), tolerance)  # one set of key frames for both eyes
        for i, bone in enumerate(rig.eye_bones):
            jobs.append((bone, (eyes.yaw[:, i], eyes.pitch[:, i], None), keep))
    if rig.lid_bones:
        lids = upper_lid_angles(eyes, options.settings.lid_follow, options.lid_close_deg)
        keep = _keep(lids, tolerance)
        for i, bone in enumerate(rig.lid_bones):
            jobs.append((bone, (None, lids[:, i], None), keep))
    out = []
    for bone, angles, reduced in jobs:
        rest = obj_rot @ np.array(obj.data.bones[bone].matrix_local.to_quaternion().to_matrix())
        joint = Joint(bone, rest, obj.pose.bones[bone].rotation_mode)
        out.append((*_joint_keys(obj, joint, angles, reduced, frames, rig.head.basis), bone))
    return out + _control_keys(rig, options, eyes, frames)


def _armature_axes(rig: EyeRig) -> np.ndarray:
    """(3, 3) the character's right, forward and up axes (columns) in the armature's space."""
    return np.array(rig.head.obj.matrix_world.to_quaternion().to_matrix()).T @ rig.head.basis


def _aim_pivots(rig: EyeRig, aim) -> np.ndarray:
    """(k, 3) rest positions (armature space) of the eye bones that aim at ``aim``'s control."""
    return np.array([rig.head.obj.data.bones[p].head_local for p in aim.pivots])


def _control_keys(rig: EyeRig, options: EyeBakeOptions, eyes: EyeTrack,
                  frames: np.ndarray) -> list[tuple[str, np.ndarray, np.ndarray, str]]:
    """(data path, key frames (K,), locations (K, 3), bone) of the eye and lid controls moved by location
    (:mod:`anim.eye_controls`): aim controls placed so the eyes turn by the track's angles, sliding upper lids
    closed by its blinks, each added to the control's current location."""
    obj = rig.head.obj
    jobs = []
    if rig.eye_aims:
        basis = _armature_axes(rig)
        keep = _keep(np.column_stack([eyes.yaw, eyes.pitch]), options.key_tolerance_deg)
        for aim in (a for a in rig.eye_aims if a.target is None):
            offsets = control_offsets(eyes.yaw, eyes.pitch, aim.eyes, _aim_pivots(rig, aim), aim.point(obj), basis)
            jobs.append((aim.control, offsets, keep))
    if rig.lid_slides:
        closure = np.clip(eyes.blink, 0.0, 1.0)
        tolerance = None if options.key_tolerance_deg is None else SHAPE_KEY_TOLERANCE
        keep = _keep(closure, tolerance, seeded=False)
        for i, slide in enumerate(rig.lid_slides):
            upper, lower = (np.array(obj.data.bones[n].head_local) for n in (slide.upper, slide.lower))
            jobs.append((slide.upper, slide_offsets(closure[:, i], upper, lower), keep))
    out: list[tuple[str, np.ndarray, np.ndarray, str]] = []
    if not jobs:
        return out
    base = _base_channels(obj)
    adt = obj.animation_data
    state = restore.state_of(adt.action) if adt is not None and restore.is_head_motion_action(adt.action) else None
    for bone, offsets, reduced in jobs:
        path = f'pose.bones["{bpy.utils.escape_identifier(bone)}"].location'
        keyed = any(fcurves.find_fcurve(base, path, i) is not None for i in range(3))
        rows = np.arange(len(frames)) if keyed else reduced
        local = to_bone_space(offsets[rows], np.array(obj.data.bones[bone].matrix_local.to_3x3()))
        current = channel_values(obj, base, bone, "location", (0.0, 0.0, 0.0), frames[rows], state)
        out.append((path, frames[rows], current + local, bone))
    return out


def _aim_object_keys(rig: EyeRig, options: EyeBakeOptions, eyes: EyeTrack, frames: np.ndarray,
                     scene: bpy.types.Scene) -> list[tuple[bpy.types.Object, np.ndarray, np.ndarray]]:
    """(object, key frames (K,), locations (K, 3)) of the objects the eyes aim at (an Empty "eye target"). Each is
    put, frame by frame, where the eye (or, shared, both eyes) looks: along the aiming bone's rest Y axis turned by
    the track's angles, at its present distance from the eye, carried by the head's evaluated motion (the scene is
    evaluated at every frame, after the head bake), then expressed in the object's parent space."""
    aims = [a for a in rig.eye_aims or () if a.target is not None]
    if not aims:
        return []
    from mathutils import Vector

    obj = rig.head.obj
    bones = obj.data.bones
    basis = _armature_axes(rig)
    head_rest_inv = bones[rig.head.head.bone].matrix_local.inverted()
    current = scene.frame_current
    targets = []
    for aim in aims:
        pivots = _aim_pivots(rig, aim)
        aim_dir = np.mean([np.array(bones[p].matrix_local.to_3x3().col[1]) for p in aim.pivots], axis=0)
        pivot_world = obj.matrix_world @ obj.pose.bones[aim.pivots[0]].head
        distance = max(float((aim.target.matrix_world.translation - pivot_world).length), 1e-3)
        point = pivots.mean(axis=0) + distance * aim_dir / np.linalg.norm(aim_dir)
        offsets = control_offsets(eyes.yaw, eyes.pitch, aim.eyes, pivots, point, basis)
        targets.append((aim.target, point + offsets, distance, np.empty((len(frames), 3))))
    for i, frame in enumerate(frames):
        scene.frame_set(int(frame))
        head = obj.matrix_world @ obj.pose.bones[rig.head.head.bone].matrix @ head_rest_inv  # armature rest -> world
        for target, rest_points, _, out in targets:
            parent_space = target.matrix_world @ target.matrix_basis.inverted()
            local = parent_space.inverted() @ (head @ Vector(rest_points[i]))
            out[i] = np.array(local) - np.array(target.delta_location)
    scene.frame_set(current)
    result = []
    for target, _, distance, locations in targets:
        tolerance = None if options.key_tolerance_deg is None else distance * np.radians(options.key_tolerance_deg)
        keep = _keep(locations, tolerance, seeded=False)
        result.append((target, frames[keep], locations[keep]))
    return result


def _object_keys(rig: EyeRig, options: EyeBakeOptions, eyes: EyeTrack,
                 frames: np.ndarray) -> list[tuple[bpy.types.Object, str, np.ndarray, np.ndarray]]:
    """(eye object, data path, key frames (K,), values (K, k)) of the eye objects' own rotation channels."""
    if not rig.eye_objects:
        return []
    keep = _keep(np.column_stack([eyes.yaw, eyes.pitch]), options.key_tolerance_deg)
    out = []
    for i, eye in enumerate(rig.eye_objects):
        joint = Joint(None, eye_object_rest(eye)[0], eye.rotation_mode)
        out.append((eye, *_joint_keys(eye, joint, (eyes.yaw[:, i], eyes.pitch[:, i], None), keep, frames,
                                      rig.head.basis)))
    return out


def _write(fcurve, key_frames: np.ndarray, values: np.ndarray, span: tuple[float, float], linear: bool) -> None:
    """Keys at ``key_frames`` over ``span``; with ``linear`` (reduced keys) they interpolate linearly, so the curve
    stays within the reduction's tolerance between keys (Bezier handles can swing past it)."""
    fcurves.write_keys(fcurve, key_frames, values, span, "LINEAR" if linear else "BEZIER")


def _prepare(id_data, mode: str, name: str, joints: list[str], located: frozenset[str] = frozenset()) -> None:
    """Give ``id_data`` the action the eye keys go into (New Action: a Head Motion action, copied if needed), with
    the rotation ``joints`` (bone names, or :data:`anim.restore.OBJECT_KEY`) have now (and the location of the
    ``located`` ones) in its pre-bake state."""
    adt = id_data.animation_data
    current = adt.action if adt is not None else None
    baked = restore.is_head_motion_action(current)
    if current is not None and current.library is not None and (mode == "REPLACE" or baked):
        raise TargetError(f"The action '{current.name}' is linked and cannot be changed; use New Action.")
    if mode == "REPLACE" and current is not None:
        return
    if baked:
        restore.remember_joints(id_data, current, joints, located)  # the eyes join the head action: Clear restores both
        return
    state = restore.capture(id_data, joints, None, located)  # read before anything changes: action, slot, fake user
    slot = fcurves.current_slot_identifier(id_data)
    action = current.copy() if current is not None else bpy.data.actions.new(name)
    action.name = name
    restore.mark(action, current, state)  # the original by reference, kept with a fake user until Clear
    action[EYES_ONLY_PROP] = True
    fcurves.assign_action(id_data, action, slot, state.get("slot_handle"))


def _check_writable(rig: EyeRig, mode: str) -> None:
    aimed = [aim.target for aim in rig.eye_aims or () if aim.target is not None]
    for id_data in [rig.head.obj, *(rig.eye_objects or ()), *aimed, *(m.data.shape_keys for m, _ in rig.shape_keys)]:
        adt = id_data.animation_data
        action = adt.action if adt is not None else None
        baked = restore.is_head_motion_action(action)
        if action is not None and action.library is not None and (mode == "REPLACE" or baked):
            raise TargetError(f"The action '{action.name}' of '{id_data.name}' is linked and cannot be changed; "
                              "use New Action.")


def plan_eyes(obj: bpy.types.Object | None, head_track: PoseTrack | None = None,
              options: EyeBakeOptions | None = None, scene: bpy.types.Scene | None = None,
              speech: np.ndarray | None = None, frame_range: tuple[int, int] | None = None,
              eye_track: EyeTrack | None = None) -> tuple[EyeRig, EyeTrack, list[str]]:
    """(rig, eyes, notes): everything :func:`bake_eyes` reads and generates (same arguments), nothing written. The
    eyes are those the bake would key, on the head track's frames (Export Pose File writes them)."""
    options = options or EyeBakeOptions()
    options.validate()
    scene = scene or bpy.context.scene
    fps = scene_fps(scene)
    rig = find_eye_rig(obj, options)
    notes: list[str] = []
    if head_track is None:
        first, last = frame_range or (scene.frame_start, scene.frame_end)
        if last < first:
            raise SettingsError(f"The frame range {first}-{last} is empty.")
        head_track = evaluated_head_track(rig, np.arange(first, last + 1, dtype=np.float64), scene, fps)
        share = 0.0
    else:
        head_track.validate()
        if abs(head_track.fps - fps) > 1e-6:
            head_track = resample_track(head_track, fps)
        share = options.neck_share if rig.head.necks else 0.0
    frames = head_track.frames.astype(np.float64)
    origin, basis, eyes_c, necks_c = character_geometry(rig)
    target_obj = gaze_object(options, scene, rig)
    if target_obj is not None:
        points = (basis.T @ (target_points(target_obj, frames, scene) - origin).T).T
        gaze_target = GazeTarget(points, eyes_c, necks_c if share > 0 else np.zeros((0, 3)), share)
    else:
        gaze_target = None
        if options.settings.gaze_mode == "TARGET":
            notes.append("No gaze target (no scene camera): the eyes hold a point far straight ahead.")
    if speech is not None and len(speech) != len(head_track):
        raise SettingsError(f"The speech mask has {len(speech)} frames; the eyes need {len(head_track)}.")
    if eye_track is None:
        eyes = generate_eyes(head_track, options.settings, gaze_target, speech)
    else:
        eyes = _fit_track(eye_track.validate(), fps, head_track)
    if rig.eye_aims:
        note = follows_head_note(rig.head.obj, rig.eye_aims)
        notes += [note] if note else []
    return rig, eyes, notes


def bake_eyes(obj: bpy.types.Object | None, head_track: PoseTrack | None = None,
              options: EyeBakeOptions | None = None, scene: bpy.types.Scene | None = None,
              speech: np.ndarray | None = None, frame_range: tuple[int, int] | None = None,
              eye_track: EyeTrack | None = None) -> EyeBakeResult:
    """Generate eyes for ``obj`` and bake them (or bake ``eye_track``, e.g. measured in a reference video by
    :mod:`core.video.eye_signals`, instead of generating one).

    ``head_track``: the head motion just baked (its frames, fps and speech mask are used); None reads the head's
    motion from the scene (whatever was baked or animated) over ``frame_range`` (default the scene's range).
    ``speech``: per-frame speaking weight overriding the track's. Raises a HeadMotionError with nothing changed
    for bad input (no eyes, linked shape keys, a gaze target on the character, bad settings).
    """
    options = options or EyeBakeOptions()
    rig, eyes, notes = plan_eyes(obj, head_track, options, scene, speech, frame_range, eye_track)
    frames = eyes.frames.astype(np.float64)
    bone_keys = _bone_keys(rig, options, eyes, frames)
    object_keys = _object_keys(rig, options, eyes, frames)
    object_keys += [(target, "location", key_frames, values) for target, key_frames, values
                    in _aim_object_keys(rig, options, eyes, frames, scene or bpy.context.scene)]
    key_values = [(mesh.data.shape_keys, shape_key_values(eyes, match, options.settings.eye_range_deg))
                  for mesh, match in rig.shape_keys]
    if any(not np.isfinite(v).all() for _, _, v, _ in bone_keys) or any(
            not np.isfinite(v).all() for _, _, _, v in object_keys):
        raise SettingsError("The eye rotations could not be computed (not finite); nothing was changed.")
    _check_writable(rig, options.mode)

    written = 0
    linear = options.key_tolerance_deg is not None
    if bone_keys:
        located = frozenset(k[3] for k in bone_keys if k[0].endswith(".location"))
        _prepare(rig.head.obj, options.mode, f"{rig.head.obj.name}_HeadMotion", [k[3] for k in bone_keys], located)
        channels = fcurves.channels_for(rig.head.obj, create=True)
        span = (float(frames[0]), float(frames[-1]))
        for path, key_frames, values, group in bone_keys:
            for i in range(values.shape[1]):
                _write(fcurves.ensure_fcurve(channels, path, i, group), key_frames, values[:, i], span, linear)
            written += values.shape[1] * len(key_frames)
    for eye, path, key_frames_, values in object_keys:
        located = frozenset({restore.OBJECT_KEY}) if path == "location" else frozenset()
        _prepare(eye, options.mode, f"{eye.name}_HeadMotionEyes", [restore.OBJECT_KEY], located)
        channels = fcurves.channels_for(eye, create=True)
        for c in range(values.shape[1]):
            _write(fcurves.ensure_fcurve(channels, path, c, "Object Transforms"), key_frames_, values[:, c],
                   (float(frames[0]), float(frames[-1])), linear)
        written += values.shape[1] * len(key_frames_)
    for key, values in key_values:
        _prepare(key, options.mode, f"{key.user.name}_HeadMotionEyes", [])
        channels = fcurves.channels_for(key, create=True)
        for name, value in values.items():
            path = f'key_blocks["{bpy.utils.escape_identifier(name)}"].value'
            keep = _keep(value, None if options.key_tolerance_deg is None else SHAPE_KEY_TOLERANCE, seeded=False)
            _write(fcurves.ensure_fcurve(channels, path, 0, "Eyes"), frames[keep], value[keep],
                   (float(frames[0]), float(frames[-1])), linear)
            written += len(keep)
    return EyeBakeResult(eyes, rig, written, int(frames[0]), int(frames[-1]), notes + rig.head.notes)


def _fit_track(eyes: EyeTrack, fps: float, head: PoseTrack) -> EyeTrack:
    """``eyes`` on the head track's frames (resampled linearly to ``fps``; held past its ends); ``eyes`` itself when
    it already is (same fps, first frame and length, as a track planned for this head track is)."""
    if len(eyes) == len(head) and eyes.start_frame == head.start_frame and abs(eyes.fps - fps) <= 1e-9 * fps:
        return eyes
    src = eyes.start_frame + np.arange(len(eyes)) * fps / eyes.fps
    frames = head.frames.astype(np.float64)

    def at(values: np.ndarray) -> np.ndarray:
        return np.column_stack([np.interp(frames, src, values[:, i]) for i in range(values.shape[1])])

    shift = (eyes.start_frame - head.start_frame) / fps
    return EyeTrack(at(eyes.yaw), at(eyes.pitch), np.clip(at(eyes.blink), 0.0, 1.0), fps, head.start_frame,
                    blink_onsets_s=eyes.blink_onsets_s + shift, blink_durations_s=eyes.blink_durations_s,
                    blink_kinds=eyes.blink_kinds, meta=dict(eyes.meta))


def clear_eyes(obj: bpy.types.Object) -> int:
    """Undo eye bakes on ``obj``: shape keys get their original actions back, an armature action made only by
    the eye bake is dropped, and eye/lid channels in a head-and-eyes action get their source keys back.
    Returns the number of datablocks restored; TargetError when there was nothing to clear."""
    from .bake import clear_bake

    restored = 0
    for eye in [*obj.children, *(aim_objects(obj) if obj.type == "ARMATURE" else ())]:
        adt = eye.animation_data
        if adt is not None and adt.action is not None and adt.action.get(EYES_ONLY_PROP):
            clear_bake(eye)
            restored += 1
    for mesh in character_meshes(obj):
        key = mesh.data.shape_keys
        adt = key.animation_data if key is not None else None
        if adt is not None and adt.action is not None and restore.is_head_motion_action(adt.action):
            clear_bake(key)
            restored += 1
    adt = obj.animation_data
    action = adt.action if adt is not None else None
    if action is not None and action.get(EYES_ONLY_PROP):
        clear_bake(obj)
        restored += 1
    elif action is not None and restore.is_head_motion_action(action) and obj.type == "ARMATURE":
        base = _base_channels(obj)
        channels = fcurves.channels_for(obj, create=False)
        bones = []
        for bone, prop, count in _eye_channels(obj):
            bones.append(bone)
            path = f'pose.bones["{bpy.utils.escape_identifier(bone)}"].{prop}'
            for i in range(count):
                mine = fcurves.find_fcurve(channels, path, i)
                if mine is None:
                    continue
                source = fcurves.find_fcurve(base, path, i)
                if source is None:
                    channels.fcurves.remove(mine)
                else:
                    co = np.empty(2 * len(source.keyframe_points), dtype=np.float32)
                    source.keyframe_points.foreach_get("co", co)
                    co = co.reshape(-1, 2)
                    fcurves.write_keys(mine, co[:, 0], co[:, 1], replace_range=(-1e9, 1e9))
                restored += 1
        restore.restore_joints(obj, restore.state_of(action) or {}, bones)
    if not restored:
        raise TargetError(f"'{obj.name}' has no baked eyes to clear.")
    return restored


def _eye_channels(obj: bpy.types.Object) -> list[tuple[str, str, int]]:
    """(bone, property, channel count) of every eye and lid channel an eye bake keys on the armature ``obj``: the
    eye bones' rotation or their aim controls' location, the lid bones' rotation or the sliding lids' location."""
    pair = resolve_target(obj).eyes  # the same checks as a bake (an armature that can be edited), the same eyes
    try:
        aims = find_eye_aims(obj, pair) if pair else None
    except TargetError:  # an eye aiming at another object: its rotation is what a bake would have keyed
        aims = None
    out = []
    if aims:  # bone controls (object controls have actions of their own: clear_eyes clears those)
        out += [(aim.control, "location", 3) for aim in aims if aim.target is None]
    elif pair:
        out += [(bone, *rotation_channel(obj.pose.bones[bone].rotation_mode)) for bone in pair]
    slides = find_lid_slides(obj)
    lids = None if slides else find_upper_lids([b.name for b in obj.data.bones])
    out += [(slide.upper, "location", 3) for slide in slides or ()]
    out += [(bone, *rotation_channel(obj.pose.bones[bone].rotation_mode)) for bone in lids or ()]
    return out
