"""What every Head Motion operator shares: error reporting that leaves the scene unchanged, and poll mixins."""

from __future__ import annotations

from collections.abc import Callable

import bpy

from ..core.errors import HeadMotionError
from ..properties.convert import target_object


def report_errors(operator: bpy.types.Operator, fn: Callable[[], str | None]) -> set[str]:
    """Run ``fn()``; report a HeadMotionError (or running out of memory) as an error and cancel (the scene is
    unchanged: errors happen before Blender data changes)."""
    try:
        message = fn()
    except HeadMotionError as exc:
        operator.report({"ERROR"}, str(exc))
        return {"CANCELLED"}
    except MemoryError:
        operator.report({"ERROR"}, "Head Motion: out of memory; the input is too long for this computer "
                        "(see README, Limits).")
        return {"CANCELLED"}
    if message:
        operator.report({"INFO"}, message)
    return {"FINISHED"}


class TargetPoll:
    """Poll mixin: the operator needs a target object (the panel's Target or the active object). Cooperative:
    a poll of a class after it in the MRO runs too."""

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if target_object(context) is None:
            cls.poll_message_set("Select a character (armature) or object, or set the Target")
            return False
        after = getattr(super(), "poll", None)
        return after(context) if after is not None else True
