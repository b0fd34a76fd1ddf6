"""F-curve access that works on both action APIs, and bulk keyframe writes.

Blender 4.2 keeps F-curves directly on the action (``Action.fcurves``). Blender 4.4 introduced slotted
actions (layers → strips → channelbags per slot) and Blender 5.0 removed ``Action.fcurves``. Everything
in Head Motion goes through :func:`channels_for`, which returns an object with an ``fcurves``
collection for the slot the object uses, whichever API is present.

Keyframes are written in bulk with ``keyframe_points.add`` + ``foreach_set`` (a per-frame
``keyframe_insert`` loop is ~1000× slower on long clips).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import bpy
import numpy as np

from . import compat
from .compat import has_slotted_actions

#: Keyframe attributes kept when existing keys outside the baked range are rewritten.
_FLOAT2_ATTRS = ("co", "handle_left", "handle_right")
_ENUM_ATTRS = ("interpolation", "handle_left_type", "handle_right_type", "easing", "type")
_FLOAT_ATTRS = ("amplitude", "back", "period")
_BOOL_ATTRS = ("select_control_point", "select_left_handle", "select_right_handle")
#: Keyframe enums (interpolation, handle types, easing, type) are stored as one byte each: ``foreach_set`` /
#: ``foreach_get`` with uint8 buffers copy them in bulk, other integer types go item by item (about 10x slower).
_ENUM_DTYPE = np.uint8


def assign_action(id_data: bpy.types.ID, action: bpy.types.Action, slot_identifier: str | None = None,
                  slot_handle: int | None = None, pick_slot: bool = True) -> None:
    """Make ``action`` the active action of ``id_data`` and, on slotted actions, give it a slot.

    ``slot_handle`` / ``slot_identifier`` name the slot to reuse (e.g. the slot the object used in the action
    this one was copied from; the handle first, since it survives renaming the slot); otherwise a suitable
    existing slot is taken or a new one is created — unless ``pick_slot`` is False: then the object is left
    with no slot (as it was before a bake, for Clear).
    """
    adt = id_data.animation_data or id_data.animation_data_create()
    adt.action = action
    if not has_slotted_actions():
        return
    if slot_handle is not None:
        for slot in action.slots:
            if compat.slot_handle(slot) == slot_handle:
                adt.action_slot = slot
                return
    if slot_identifier:
        for slot in action.slots:
            if slot.identifier == slot_identifier:
                adt.action_slot = slot
                return
    if not pick_slot:
        adt.action_slot = None
        return
    if adt.action_slot is None:
        id_type = compat.id_type(id_data)
        suitable = [s for s in action.slots if s.target_id_type in {id_type, "UNSPECIFIED"}]
        adt.action_slot = suitable[0] if suitable else action.slots.new(id_type=id_type, name=id_data.name)


def current_slot_identifier(id_data: bpy.types.ID) -> str | None:
    """Identifier of the slot ``id_data`` animates through, or None (legacy API or no slot)."""
    adt = id_data.animation_data
    if adt is None or not has_slotted_actions() or adt.action_slot is None:
        return None
    return adt.action_slot.identifier


def channels_for(id_data: bpy.types.ID, create: bool = True) -> Any:
    """The container whose ``.fcurves`` animate ``id_data`` in its active action.

    Legacy API: the action itself. Slotted API: the channelbag of the assigned slot in the first layer's
    keyframe strip (created when ``create``). Returns None when there is nothing (and not ``create``).
    """
    adt = id_data.animation_data
    if adt is None or adt.action is None:
        return None
    action = adt.action
    if not has_slotted_actions():
        return action
    slot = adt.action_slot
    if slot is None:
        if not create:
            return None
        assign_action(id_data, action)
        slot = adt.action_slot
    return compat.channelbag(action, slot, create)


def channels_in(action: bpy.types.Action | None, slot_identifier: str | None) -> Any:
    """Read-only view of the F-curves of ``action`` for the slot named ``slot_identifier`` (or None).

    Legacy API: the action itself. Slotted API: the channelbag of that slot, or None when the action has no
    keys for it.
    """
    if action is None:
        return None
    if not has_slotted_actions():
        return action
    slot = next((s for s in action.slots if s.identifier == slot_identifier), None)
    if slot is None:
        return None
    return compat.channelbag(action, slot, create=False)


def find_fcurve(channels, data_path: str, index: int) -> Any:
    """The F-curve for ``data_path[index]`` in ``channels`` (None when absent or no channels)."""
    if channels is None:
        return None
    return channels.fcurves.find(data_path, index=index)


def ensure_fcurve(channels, data_path: str, index: int, group: str) -> Any:
    """Find or create the F-curve for ``data_path[index]``, grouped under ``group`` when created."""
    fcurve = channels.fcurves.find(data_path, index=index)
    if fcurve is not None:
        return fcurve
    return compat.new_fcurve(channels, data_path, index, group)


def evaluate(fcurve, frames: np.ndarray, default: float) -> np.ndarray:
    """Values of ``fcurve`` at ``frames`` (float64), or ``default`` everywhere when it is None."""
    if fcurve is None:
        return np.full(len(frames), float(default))
    return np.fromiter((fcurve.evaluate(float(f)) for f in frames), dtype=np.float64, count=len(frames))


@dataclass
class _KeyBlock:
    """Every attribute of a run of keyframes, as numpy arrays, so keys can be rewritten in bulk."""

    values: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.values["co"]) // 2

    @classmethod
    def read(cls, points) -> _KeyBlock:
        n = len(points)
        values: dict[str, np.ndarray] = {}
        for name in _FLOAT2_ATTRS:
            values[name] = np.empty(2 * n, dtype=np.float32)
        for name in _ENUM_ATTRS:
            values[name] = np.empty(n, dtype=_ENUM_DTYPE)
        for name in _FLOAT_ATTRS:
            values[name] = np.empty(n, dtype=np.float32)
        for name in _BOOL_ATTRS:
            values[name] = np.empty(n, dtype=bool)
        for name, buf in values.items():
            points.foreach_get(name, buf)
        return cls(values)

    def select(self, keep: np.ndarray) -> _KeyBlock:
        out = {}
        for name, buf in self.values.items():
            out[name] = buf.reshape(len(keep), 2)[keep].ravel() if name in _FLOAT2_ATTRS else buf[keep]
        return _KeyBlock(out)


def write_keys(
    fcurve,
    frames: np.ndarray,
    values: np.ndarray,
    replace_range: tuple[float, float] | None = None,
    interpolation: str = "BEZIER",
) -> None:
    """Write one key per ``frames[i]`` with ``values[i]``, ``interpolation`` "BEZIER" (auto-clamped handles) or
    "LINEAR" (vector handles).

    Existing keys outside ``replace_range`` (inclusive, in frames; default: the span of ``frames``) are
    kept with every attribute unchanged; existing keys inside it are replaced. Linear keys skip writing handle
    positions (``update`` places them; linear interpolation does not use them), which saves about half the
    writing time of long curves. Their handles are Vector handles (pointing a third of the way to the
    neighbouring keys): switching such a curve to Bezier interpolation leaves its shape, and so the accuracy a
    key reduction gave it, unchanged, and ``update`` places them about 4x faster than auto-clamped ones.
    """
    frames = np.asarray(frames, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    lo, hi = replace_range if replace_range is not None else (float(frames[0]), float(frames[-1]))
    points = fcurve.keyframe_points
    old = _KeyBlock.read(points) if len(points) else None
    if old is not None:
        old_frames = old.values["co"].reshape(-1, 2)[:, 0]
        old = old.select((old_frames < lo - 1e-4) | (old_frames > hi + 1e-4))
    points.clear()
    n_old = len(old) if old is not None else 0
    n_new = len(frames)
    points.add(n_old + n_new)
    co = np.empty((n_new, 2), dtype=np.float32)
    co[:, 0] = frames
    co[:, 1] = values
    properties = bpy.types.Keyframe.bl_rna.properties
    mode = properties["interpolation"].enum_items[interpolation].value
    handle = properties["handle_left_type"].enum_items["VECTOR" if interpolation == "LINEAR" else "AUTO_CLAMPED"].value
    handle_types = np.full(n_new, handle, dtype=_ENUM_DTYPE)
    new = {"co": co.ravel(), "interpolation": np.full(n_new, mode, dtype=_ENUM_DTYPE),
           "handle_left_type": handle_types, "handle_right_type": handle_types}
    if interpolation != "LINEAR" or n_old:
        new.update({"handle_left": co.ravel(), "handle_right": co.ravel()})
    for name, buf in new.items():
        if old is not None and n_old:
            buf = np.concatenate([old.values[name], buf])
        points.foreach_set(name, buf)
    if old is not None and n_old:
        for name in ("easing", "type", *_FLOAT_ATTRS, *_BOOL_ATTRS):
            tail = np.zeros(n_new, dtype=old.values[name].dtype)
            if name == "type":
                tail[:] = bpy.types.Keyframe.bl_rna.properties["type"].enum_items["KEYFRAME"].value
            points.foreach_set(name, np.concatenate([old.values[name], tail]))
    fcurve.update()
