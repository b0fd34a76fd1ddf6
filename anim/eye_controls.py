"""Eye and lid controls a rig moves by location (reads only): aim targets its eye bones track, and sliding upper
lids. The maths is :mod:`core.eyes.controls`; :mod:`anim.eyes` writes the keys.

An eye bone found by name is driven through an aim control when a tracking constraint (Damped Track, Track To,
Locked Track; enabled, influence over one half) links it to another bone of the same armature: either the found
bone tracks a control (a hand-made rig's ``eye.L`` tracking ``eye_target.L``), or another bone tracks the found
bone (Rigify's generated ``MCH-eye.L`` tracking the control ``eye.L``). Rotation keys on such a bone would do
nothing; the control is moved instead. Both eyes may track one shared control (then it is placed where the eyes'
gaze lines meet). The control may also be another object (an Empty "eye target", parented anywhere): it is keyed
by its own location, placed frame by frame after the head's motion (:func:`aim_objects` finds them for Clear).
A bone of another armature is refused (:class:`TargetError`).

Sliding lids: a generated Rigify face (``ORG-lid.T.L`` exists) closes its eye by moving the upper lid's middle
control (``lid.T.L.002``) down to the lower lid's (``lid.B.L.002``); its rotation does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import bpy
import numpy as np

from ..core.errors import TargetError

__all__ = ["AimControl", "LidSlide", "aim_objects", "find_eye_aims", "find_lid_slides", "follows_head_note"]

#: Constraints that aim a bone at a target.
TRACKING = frozenset({"DAMPED_TRACK", "TRACK_TO", "LOCKED_TRACK"})
#: Generated Rigify face: (upper middle control, lower middle control, marker bone) per side, left eye first.
RIGIFY_LID_SLIDES = (("lid.T.L.002", "lid.B.L.002", "ORG-lid.T.L"), ("lid.T.R.002", "lid.B.R.002", "ORG-lid.T.R"))
#: Rigify's "Eyes Follow" switch on the eye controls' parent (1 = they move with the head).
EYES_FOLLOW_PROP = "eyes_follow"


@dataclass(frozen=True)
class AimControl:
    """A control bone ``control`` that the eye bones ``pivots`` (one, or both eyes sharing it) aim at; ``eyes``: the
    eye of each pivot (0 the character's left, 1 its right); ``head_tail``: where along the control the tracking
    aims (0 its head, 1 its tail). ``target``: the control when it is another object (``control`` is its name)."""

    control: str
    pivots: tuple[str, ...]
    eyes: tuple[int, ...]
    head_tail: float = 0.0
    target: bpy.types.Object | None = None

    def point(self, obj: bpy.types.Object) -> np.ndarray:
        """The tracked point at rest, armature space."""
        bone = obj.data.bones[self.control]
        head, tail = np.array(bone.head_local), np.array(bone.tail_local)
        return head + self.head_tail * (tail - head)


@dataclass(frozen=True)
class LidSlide:
    """An upper-lid control moved by location (``upper``) and the lower-lid control it closes onto (``lower``)."""

    upper: str
    lower: str


def _tracking(constraint) -> bool:
    return (constraint.type in TRACKING and not constraint.mute and constraint.influence > 0.5
            and constraint.target is not None)


def _aim_of(obj: bpy.types.Object, bone: str) -> AimControl | None:
    """The control the eye bone ``bone`` is aimed with (for its eye alone), or None when it is turned directly."""
    for constraint in obj.pose.bones[bone].constraints:
        if not _tracking(constraint):
            continue
        target = constraint.target
        if target is obj and constraint.subtarget in obj.data.bones:
            return AimControl(constraint.subtarget, (bone,), (0,), float(constraint.head_tail))
        if target is not obj and not (target.type == "ARMATURE" and constraint.subtarget):
            return AimControl(target.name, (bone,), (0,), 0.0, target)
        raise TargetError(
            f"The eye bone '{bone}' aims at '{constraint.subtarget or target.name}' of '{target.name}' "
            f"({constraint.name} constraint), which the eye bake cannot move. Aim the eyes at a bone of the same "
            "armature or at an object (e.g. an Empty), or turn the constraint off.")
    for other in obj.pose.bones:
        for constraint in other.constraints:
            if _tracking(constraint) and constraint.target is obj and constraint.subtarget == bone:
                return AimControl(bone, (other.name,), (0,), float(constraint.head_tail))
    return None


def aim_objects(obj: bpy.types.Object) -> list[bpy.types.Object]:
    """Objects (not bones) the bones of the armature ``obj`` aim at with tracking constraints."""
    found: list[bpy.types.Object] = []
    for bone in obj.pose.bones if obj.pose is not None else ():
        for constraint in bone.constraints:
            target = getattr(constraint, "target", None)
            if constraint.type in TRACKING and target is not None and target is not obj and target not in found:
                found.append(target)
    return found


def find_eye_aims(obj: bpy.types.Object, pair: tuple[str, str]) -> list[AimControl] | None:
    """The aim controls of the eye bones ``pair`` (left, right) of the armature ``obj``: one per eye, or one shared;
    None when the eyes are turned directly. Raises TargetError when only one eye has a control, or an eye aims at
    another object."""
    left, right = (_aim_of(obj, bone) for bone in pair)
    if left is None and right is None:
        return None
    if left is None or right is None:
        raise TargetError(f"Only one of the eye bones {pair[0]}/{pair[1]} aims at a control; give both eyes the "
                          "same kind of control.")
    if (left.control, left.target) == (right.control, right.target):
        return [replace(left, pivots=(left.pivots[0], right.pivots[0]), eyes=(0, 1))]
    return [left, replace(right, eyes=(1,))]


def find_lid_slides(obj: bpy.types.Object) -> tuple[LidSlide, LidSlide] | None:
    """(left, right) sliding upper-lid controls of a generated Rigify face, or None."""
    bones = obj.data.bones
    if not all(upper in bones and lower in bones and marker in bones for upper, lower, marker in RIGIFY_LID_SLIDES):
        return None
    (upper_l, lower_l, _), (upper_r, lower_r, _) = RIGIFY_LID_SLIDES
    return LidSlide(upper_l, lower_l), LidSlide(upper_r, lower_r)


def follows_head_note(obj: bpy.types.Object, aims: list[AimControl]) -> str:
    """A note when an aim control's parent chain has Rigify's "Eyes Follow" below 1: the controls are placed as if
    they moved with the head, so the eyes then miss their target by the part of the head's motion not followed."""
    for aim in aims:
        bone = obj.pose.bones[aim.control] if aim.target is None else None
        while bone is not None:
            follow = bone.get(EYES_FOLLOW_PROP)
            if isinstance(follow, (int, float)) and follow < 0.999:
                return (f"'{bone.name}' has Eyes Follow {follow:.2f}: the eye controls are placed as if they moved "
                        "with the head; set it to 1 for exact eye contact.")
            bone = bone.parent
    return ""
