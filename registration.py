"""The one list of classes Head Motion registers, in dependency order."""

from __future__ import annotations

import bpy

from . import batch
from .operators import audio_ops, bake_ops, eye_ops, interop_ops, rig_ops, video_ops
from .properties import eyes as eye_properties
from .properties import groups as properties
from .ui import eyes_panel, panel

_CLASSES: tuple[type, ...] = (
    *properties.CLASSES,
    *eye_properties.CLASSES,
    *rig_ops.CLASSES,
    *bake_ops.CLASSES,
    *audio_ops.CLASSES,
    *video_ops.CLASSES,
    *interop_ops.CLASSES,
    *eye_ops.CLASSES,
    *panel.CLASSES,
    *eyes_panel.CLASSES,
)


def register() -> None:
    for cls in _CLASSES:
        bpy.utils.register_class(cls)
    properties.attach()
    interop_ops.menu_register()
    eye_properties.attach()
    batch.register()


def unregister() -> None:
    batch.unregister()
    interop_ops.menu_unregister()
    eye_properties.detach()
    properties.detach()
    for cls in reversed(_CLASSES):
        bpy.utils.unregister_class(cls)


def registered_classes() -> tuple[type, ...]:
    """Every class :func:`register` registers (used by the tests)."""
    return _CLASSES
