"""What a New-Action bake remembers about the character, and how Clear gives it back.

A New-Action bake writes into an action of Head Motion's own and stores on it, as custom properties that
survive renames and save/reload:

* :data:`SOURCE_PROP`: the user's original action itself (an ID pointer, so it is found again whatever its
  name and it keeps a user while a bake refers to it); absent when the object had no action.
* :data:`STATE_PROP`: a JSON string with the pre-bake state: whether the object had an action, the slot it
  used (identifier and handle, Blender 4.4+), the original's fake-user flag, and for every baked joint its
  rotation mode and the static values of all three rotation properties (quaternion, Euler, axis-angle;
  radians), and for a control keyed by location (an eye or lid control, :mod:`anim.eye_controls`) its location.

While a bake refers to it, the original gets a fake user, so it survives a save even when nothing else uses
it. Several bakes in a row keep the state of the first (the user's), adding joints baked for the first time.
:func:`restore` (Clear) puts back the action (or none), the slot, the modes and values, and the fake-user
flag, and deletes the baked action when nothing else uses it.

Files baked by earlier versions name the original in :data:`LEGACY_SOURCE_PROP`; they are still cleared.
"""

from __future__ import annotations

import json
from typing import Any

import bpy

from . import compat, fcurves

#: ID pointer to the user's original action.
SOURCE_PROP = "head_motion_source"
#: JSON pre-bake state (see the module docstring).
STATE_PROP = "head_motion_state"
#: Earlier versions: the original action's name, and its slot identifier.
LEGACY_SOURCE_PROP = "head_motion_source_action"
LEGACY_SLOT_PROP = "head_motion_source_slot"

_PROPS = (SOURCE_PROP, STATE_PROP, LEGACY_SOURCE_PROP, LEGACY_SLOT_PROP)
_ROTATION_PROPS = ("rotation_quaternion", "rotation_euler", "rotation_axis_angle")
#: Key of the object itself (not a bone) in the state's joints.
OBJECT_KEY = ""


def is_head_motion_action(action: bpy.types.Action | None) -> bool:
    """True for an action written by a New-Action bake (this version or an earlier one)."""
    return action is not None and (STATE_PROP in action or LEGACY_SOURCE_PROP in action)


def _owner(obj: bpy.types.Object, key: str) -> Any:
    if key == OBJECT_KEY:
        return obj
    return obj.pose.bones.get(key) if obj.pose is not None else None


def _joint_state(owner: Any, located: bool = False) -> dict[str, Any]:
    state: dict[str, Any] = {"mode": owner.rotation_mode}
    for prop in (*_ROTATION_PROPS, *(("location",) if located else ())):
        state[prop] = [float(v) for v in getattr(owner, prop)]
    return state


def _legacy_source(action: bpy.types.Action) -> bpy.types.Action | None:
    name = action.get(LEGACY_SOURCE_PROP)
    return bpy.data.actions.get(name) if isinstance(name, str) and name else None


def source_of(action: bpy.types.Action) -> bpy.types.Action | None:
    """The user's original action a Head Motion action was made from (None: the object had none)."""
    source = action.get(SOURCE_PROP)
    if isinstance(source, bpy.types.Action):
        return source
    return _legacy_source(action)


def state_of(action: bpy.types.Action) -> dict[str, Any] | None:
    """The pre-bake state stored on a Head Motion action (None for earlier versions' actions)."""
    text = action.get(STATE_PROP)
    return json.loads(text) if isinstance(text, str) else None


def source_slot(action: bpy.types.Action, source: bpy.types.Action | None) -> tuple[str | None, int | None]:
    """(identifier, handle) of the slot the object used in ``source`` before the bake that made ``action``.
    The identifier is looked up again from the handle, so a slot renamed since is still found."""
    state = state_of(action) or {}
    handle = state.get("slot_handle")
    slot = state.get("slot") or action.get(LEGACY_SLOT_PROP)
    if source is not None and handle is not None and compat.has_slotted_actions():
        for candidate in source.slots:
            if compat.slot_handle(candidate) == handle:
                return candidate.identifier, handle
    return (slot if isinstance(slot, str) else None), handle


def _slot_of(obj: bpy.types.Object) -> tuple[str | None, int | None]:
    adt = obj.animation_data
    slot = adt.action_slot if adt is not None and compat.has_slotted_actions() else None
    return (slot.identifier, compat.slot_handle(slot)) if slot is not None else (None, None)


def _fake_user(action: bpy.types.Action | None) -> bool | None:
    """The fake-user flag to give back on Clear; None for no action or a linked one (a library's actions are
    never dropped on save, and cannot be changed here)."""
    return bool(action.use_fake_user) if action is not None and action.library is None else None


def capture(obj: bpy.types.Object, joint_keys: list[str], earlier: bpy.types.Action | None,
            located: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The pre-bake state to store, read before anything changes.

    ``joint_keys``: bone names of the joints about to be baked (:data:`OBJECT_KEY` for the object); those in
    ``located`` are keyed by location (their location is stored too).
    ``earlier``: the object's current action when it is a Head Motion action (a bake over a bake): its state
    is kept, since the current values are the earlier bake's, and only joints it did not bake are read now.
    """
    adt = obj.animation_data
    current = adt.action if adt is not None else None
    state = state_of(earlier) if earlier is not None else None
    if state is None:
        if earlier is not None:  # an earlier version's bake: its source and slot are all that is known
            source = _legacy_source(earlier)
            slot = earlier.get(LEGACY_SLOT_PROP)
            state = {"had_action": source is not None,
                     "slot": slot if isinstance(slot, str) else None, "slot_handle": None,
                     "source_fake_user": _fake_user(source)}
        else:
            slot, handle = _slot_of(obj)
            state = {"had_action": current is not None,
                     "slot": slot, "slot_handle": handle,
                     "source_fake_user": _fake_user(current)}
        state["joints"] = {}
    state["version"] = 1
    for key in joint_keys:
        owner = _owner(obj, key)
        if key not in state["joints"] and owner is not None:
            state["joints"][key] = _joint_state(owner, key in located)
    return state


def static_value(state: dict[str, Any], key: str, prop: str) -> list[float] | None:
    """The pre-bake static value of a joint's rotation (or stored location) property (None when not stored)."""
    joint = state.get("joints", {}).get(key)
    return joint.get(prop) if joint is not None else None


def mark(action: bpy.types.Action, source: bpy.types.Action | None, state: dict[str, Any]) -> None:
    """Store the source and state on the new Head Motion ``action`` and protect the source with a fake user."""
    for prop in _PROPS:
        if prop in action:
            del action[prop]
    if source is not None:
        action[SOURCE_PROP] = source
        if source.library is None:
            source.use_fake_user = True
    action[STATE_PROP] = json.dumps(state, sort_keys=True)
    action.use_fake_user = False


def _others_refer_to(source: bpy.types.Action, cleared: bpy.types.Action) -> bool:
    """Does a Head Motion action still in use (other than ``cleared``) refer to ``source``?"""
    return any(
        a != cleared and a.users > 0 and is_head_motion_action(a) and source_of(a) == source
        for a in bpy.data.actions
    )


def remember_joints(obj: bpy.types.Object, action: bpy.types.Action, joint_keys: list[str],
                    located: frozenset[str] = frozenset()) -> None:
    """Add the rotation ``joint_keys`` have now (and the location of those in ``located``) to the pre-bake state of
    the Head Motion ``action`` when a later bake keys them in the same action (the eyes after the head), so Clear
    gives them back too; joints the state already holds keep their first values."""
    state = state_of(action)
    if state is None:
        return
    joints = state.setdefault("joints", {})
    for key in joint_keys:
        owner = _owner(obj, key)
        if owner is None:
            continue
        if key not in joints:
            joints[key] = _joint_state(owner, key in located)
        elif key in located and "location" not in joints[key]:
            joints[key]["location"] = [float(v) for v in owner.location]
    action[STATE_PROP] = json.dumps(state, sort_keys=True)


def restore_joints(obj: bpy.types.Object, state: dict[str, Any], keys: list[str] | None = None) -> None:
    """Rotation modes and values (and stored locations) of the joints in ``state`` (only ``keys`` when given) as
    before the first bake."""
    for key, joint in state.get("joints", {}).items():
        if keys is not None and key not in keys:
            continue
        owner = _owner(obj, key)
        if owner is None:
            continue
        owner.rotation_mode = joint["mode"]
        for prop in (*_ROTATION_PROPS, "location"):
            if prop in joint:
                setattr(owner, prop, joint[prop])


def restore(obj: bpy.types.Object, action: bpy.types.Action) -> bpy.types.Action | None:
    """Give ``obj`` back what it had before the bake that made ``action`` (its current Head Motion action).

    Returns the restored original action (None when the object had none).
    """
    adt = obj.animation_data
    source = source_of(action)
    state = state_of(action) or {}
    if source is not None:
        slot, handle = source_slot(action, source)
        had_no_slot = "slot" in state and slot is None and handle is None
        fcurves.assign_action(obj, source, slot, handle, pick_slot=not had_no_slot)
    else:
        adt.action = None
    restore_joints(obj, state)
    if source is not None and state.get("source_fake_user") is not None and not _others_refer_to(source, action):
        source.use_fake_user = bool(state["source_fake_user"])
    if action.users == 0:
        bpy.data.actions.remove(action)
    return source
