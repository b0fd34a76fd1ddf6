"""Every Blender-version difference Head Motion deals with, in one place. Each probe says which versions it
serves; the rest of the extension calls these functions and never tests versions or attributes itself.

Supported: Blender 4.2 LTS to 5.x (the bpy module 4.2.23, 5.0.1 and 5.2.3 are tested).
"""

from __future__ import annotations

from typing import Any

import bpy


def has_slotted_actions() -> bool:
    """Blender 4.4+: actions have slots, layers, strips and channelbags (4.2-4.3: F-curves on the action;
    5.0 removed ``Action.fcurves``)."""
    return hasattr(bpy.types, "ActionSlot")


def slot_handle(slot: Any) -> int | None:
    """The number that identifies an action slot within its action for good (Blender 4.4+: ``handle``; it
    stays when the slot is renamed); None where the slot has none."""
    handle = getattr(slot, "handle", None)
    return int(handle) if handle is not None else None


def channelbag(action: bpy.types.Action, slot: Any, create: bool) -> Any:
    """The channelbag of ``slot`` in ``action`` (Blender 4.4+), created with the action's first layer and keyframe
    strip when ``create``; None when absent. Uses ``bpy_extras.anim_utils`` where that Blender has it (4.4+ for
    reading; its ``ensure`` variant where present), else the layer/strip API directly."""
    from bpy_extras import anim_utils

    if create:
        ensure = getattr(anim_utils, "action_ensure_channelbag_for_slot", None)
        if ensure is not None:
            return ensure(action, slot)
        if len(action.layers) == 0:
            action.layers.new("Layer")
        layer = action.layers[0]
        if len(layer.strips) == 0:
            layer.strips.new(type="KEYFRAME")
        return layer.strips[0].channelbag(slot, ensure=True)
    get = getattr(anim_utils, "action_get_channelbag_for_slot", None)
    if get is not None:
        return get(action, slot)
    if len(action.layers) == 0 or len(action.layers[0].strips) == 0:
        return None
    return action.layers[0].strips[0].channelbag(slot)


def new_fcurve(channels: Any, data_path: str, index: int, group: str) -> Any:
    """A new F-curve in a channelbag (4.4+: ``group_name``) or on a legacy action (4.2-4.3: ``action_group``)."""
    if has_slotted_actions():
        return channels.fcurves.new(data_path, index=index, group_name=group)
    return channels.fcurves.new(data_path, index=index, action_group=group)


def id_type(id_data: bpy.types.ID) -> str:
    """The ID type used for action slots (``id_type`` exists on every ID in 4.4+); ``"OBJECT"`` otherwise."""
    return id_data.id_type if hasattr(id_data, "id_type") else "OBJECT"


def all_strips_property(editor: bpy.types.SequenceEditor) -> str:
    """Name of the sequencer's collection of every strip: ``strips_all`` in 5.0+, ``sequences_all`` before."""
    return "strips_all" if hasattr(editor, "strips_all") else "sequences_all"


def top_strips(editor: bpy.types.SequenceEditor) -> Any:
    """The sequencer's top-level strips collection (``strips`` in 5.0+, ``sequences`` before)."""
    return editor.strips if hasattr(editor, "strips") else editor.sequences


def strip_content_start(strip: Any) -> float:
    """Frame where a strip's content starts: ``content_start`` in 5.1+ (``frame_start`` is deprecated there and
    goes in 6.0), ``frame_start`` before."""
    return float(strip.content_start if hasattr(strip, "content_start") else strip.frame_start)


def set_media_type(image_settings: Any, media_type: str) -> None:
    """Blender 5.0+ chooses ``"IMAGE"`` or ``"VIDEO"`` output before the file format; earlier versions have no
    such setting."""
    if hasattr(image_settings, "media_type"):
        image_settings.media_type = media_type


def register_cli_command(name: str, handler: Any) -> Any:
    """Register ``blender -c name`` (Blender 4.2+; the bpy module of some builds lacks it: returns None)."""
    register = getattr(bpy.utils, "register_cli_command", None)
    return register(name, handler) if register is not None else None
