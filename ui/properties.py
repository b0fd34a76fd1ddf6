"""Settings stored in the .blend file.

* ``Scene.head_motion`` (:class:`HEADMOTION_PG_settings`): what to generate and how to bake it —
  these travel with the shot.
* ``Object.head_motion`` (:class:`HEADMOTION_PG_rig`): per-character facts — which bones are the
  head and neck and which way the character faces — so one scene can hold several characters.

Angles are in degrees, times in seconds, frames in scene frames.
"""

from __future__ import annotations

import bpy
from bpy.props import (
    BoolProperty,
    EnumProperty,
    FloatProperty,
    IntProperty,
    PointerProperty,
    StringProperty,
)

from ..core import synthetic

FACING_ITEMS = [
    ("AUTO", "Auto", "Detect from eye bones or the rig's rest pose (default: -Y, Blender's front view)"),
    ("-Y", "-Y", "The character looks toward world -Y (Blender's front view)"),
    ("+Y", "+Y", "The character looks toward world +Y"),
    ("-X", "-X", "The character looks toward world -X"),
    ("+X", "+X", "The character looks toward world +X"),
]

BAKE_MODE_ITEMS = [
    (
        "NEW_ACTION",
        "New Action",
        "Bake into a copy of the current action (or a new one); the original action is kept untouched "
        "and can be reassigned at any time",
    ),
    (
        "REPLACE",
        "Replace in Current Action",
        "Overwrite the head/neck rotation keys of the current action inside the frame range",
    ),
]

SILENCE_ITEMS = [
    ("NONE", "None", "Move all the time"),
    (
        "CHANNEL",
        "Animation Channel",
        "Settle the head when an existing lip-sync channel (jaw bone rotation, mouth shape key…) stops moving",
    ),
]


def _preset_items(_self, _context):
    return [
        (name, name.title(), synthetic.PRESET_DESCRIPTIONS.get(name, ""))
        for name in synthetic.PRESETS
    ]


class HEADMOTION_PG_rig(bpy.types.PropertyGroup):
    """Per-object rig settings (``Object.head_motion``)."""

    head_bone: StringProperty(
        name="Head Bone",
        description="Bone that receives the head rotation. Empty: detect it from the bone names",
        default="",
    )
    neck_bones: StringProperty(
        name="Neck Bones",
        description="Comma-separated neck bones, torso side first. Empty: detect them (ancestors of the head)",
        default="",
    )
    neck_share: FloatProperty(
        name="Neck Share",
        description="Fraction of the rotation carried by the neck bones; the head carries the rest, "
        "so the head's total rotation is unchanged",
        default=0.0,
        min=0.0,
        max=1.0,
        subtype="FACTOR",
    )
    facing: EnumProperty(name="Facing", description="Direction the character looks in its rest pose",
                         items=FACING_ITEMS, default="AUTO")


class HEADMOTION_PG_settings(bpy.types.PropertyGroup):
    """Per-scene generation and bake settings (``Scene.head_motion``)."""

    target: PointerProperty(
        name="Target",
        description="Character armature (or any object) that receives the head motion. "
        "Empty: the active object",
        type=bpy.types.Object,
    )
    preset: EnumProperty(name="Preset", description="Style of motion", items=_preset_items)
    intensity: FloatProperty(
        name="Intensity",
        description="Scales every motion amplitude (1 = the preset as designed)",
        default=1.0,
        min=0.0,
        soft_max=2.0,
        max=5.0,
    )
    seed: IntProperty(name="Seed", description="Random seed: same seed, same motion", default=0, min=0)
    yaw_scale: FloatProperty(name="Yaw", description="Scale of left/right turns", default=1.0, min=0.0,
                             soft_max=3.0, subtype="FACTOR")
    pitch_scale: FloatProperty(name="Pitch", description="Scale of nods", default=1.0, min=0.0,
                               soft_max=3.0, subtype="FACTOR")
    roll_scale: FloatProperty(name="Roll", description="Scale of side tilts", default=1.0, min=0.0,
                              soft_max=3.0, subtype="FACTOR")
    tempo: FloatProperty(
        name="Tempo",
        description="Speed of the movements (2 = twice as fast, 0.5 = half as fast)",
        default=1.0,
        min=0.1,
        max=5.0,
    )
    silence_source: EnumProperty(name="Silence", description="What makes the head settle",
                                 items=SILENCE_ITEMS, default="NONE")
    silence_object: PointerProperty(
        name="Lip Object",
        description="Object whose animation channel follows the lips (armature with a jaw bone, or a mesh "
        "whose shape keys are animated)",
        type=bpy.types.Object,
    )
    silence_data_path: StringProperty(
        name="Channel",
        description='Data path of the lip channel, e.g. pose.bones["jaw"].rotation_euler or '
        'key_blocks["MouthOpen"].value (on the shape keys)',
        default="",
    )
    silence_index: IntProperty(name="Index", description="Array index of the channel", default=0, min=0)
    use_scene_range: BoolProperty(name="Scene Range", description="Bake over the scene's frame range",
                                  default=True)
    frame_start: IntProperty(name="Start", description="First frame to bake", default=1)
    frame_end: IntProperty(name="End", description="Last frame to bake (inclusive)", default=250)
    bake_mode: EnumProperty(name="Bake Into", items=BAKE_MODE_ITEMS, default="NEW_ACTION")
    use_key_reduction: BoolProperty(
        name="Reduce Keys",
        description="Keep only the keys needed to stay within the tolerance (editable curves) instead of "
        "a key on every frame",
        default=False,
    )
    key_tolerance: FloatProperty(
        name="Tolerance",
        description="Largest allowed deviation of the reduced curves, in degrees",
        default=0.1,
        min=0.001,
        max=10.0,
    )


CLASSES: tuple[type, ...] = (HEADMOTION_PG_rig, HEADMOTION_PG_settings)


def attach() -> None:
    """Add the pointer properties to Scene and Object (after the classes are registered)."""
    bpy.types.Scene.head_motion = PointerProperty(type=HEADMOTION_PG_settings)
    bpy.types.Object.head_motion = PointerProperty(type=HEADMOTION_PG_rig)


def detach() -> None:
    """Remove what :func:`attach` added."""
    for owner in (bpy.types.Scene, bpy.types.Object):
        if hasattr(owner, "head_motion"):
            del owner.head_motion
