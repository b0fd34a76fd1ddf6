"""The Eyes settings stored in .blend files (``Scene.head_motion_eyes``) and their conversion to
:class:`~anim.eyes.EyeBakeOptions`. Reads only."""

from __future__ import annotations

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, IntProperty, PointerProperty, StringProperty

from ..anim.eyes import EyeBakeOptions
from ..core.eyes import EYE_PRESETS, EyeSettings, eye_preset

_PRESET_ITEMS = [(name, name.title(), f"{name.title()} eyes") for name in EYE_PRESETS]
_GAZE_ITEMS = [
    ("TARGET", "Eye Contact", ("Keep the eyes on the target (the scene camera by default) while the head moves, "
                               "looking away now and then")),
    ("FREE", "Free", "The gaze follows the head, leading its turns, and looks away now and then"),
]
_VIDEO_EYES_ITEMS = [
    ("VIDEO", "Video", ("Bake From Video bakes the person's own blinks and gaze, measured in the video (relative "
                        "to their neutral); generated eyes when the video's eyes could not be measured")),
    ("GENERATED", "Generated", ("Bake From Video generates blinks and gaze for the video's head motion, as for a "
                                "voice (preset, gaze mode, blink rate...)")),
]


class HEADMOTION_PG_eyes(bpy.types.PropertyGroup):
    """Per-scene eye settings (``Scene.head_motion_eyes``)."""

    enabled: BoolProperty(name="Eyes", description="Bake blinks and gaze with every head-motion bake",
                          default=False)
    preset: EnumProperty(name="Preset", description="Eye behaviour", items=_PRESET_ITEMS, default="CONVERSATIONAL")
    gaze_mode: EnumProperty(name="Gaze", description="Where the eyes look", items=_GAZE_ITEMS, default="TARGET")
    video_eyes: EnumProperty(name="Eyes From", description="Where Bake From Video takes the eyes from",
                             items=_VIDEO_EYES_ITEMS, default="VIDEO")
    target: PointerProperty(name="Look At", description="Object the eyes keep contact with. Empty: the scene camera",
                            type=bpy.types.Object)
    blink_rate: FloatProperty(name="Blink Rate", description="Blinks per minute while speaking (about 26 in "
                              "conversation; the rate in silence is scaled with it)", default=26.0, min=0.0,
                              max=60.0)
    aversion: FloatProperty(name="Gaze Aversion", description="How often the speaker looks away at the start of "
                            "a phrase", default=0.5, min=0.0, max=1.0, subtype="FACTOR")
    intensity: FloatProperty(name="Intensity", description="Size of look-aways and micro-saccades", default=1.0,
                             min=0.0, max=2.0)
    micro_saccades: BoolProperty(name="Micro-saccades", description="Tiny gaze jumps between fixations",
                                 default=True)
    seed: IntProperty(name="Seed", description="Random seed of the eyes", default=0, min=0)
    use_bones: BoolProperty(name="Eye Bones", description="Rotate the eye bones", default=True)
    use_lids: BoolProperty(name="Lid Bones", description="Rotate upper-eyelid bones for blinks and gaze",
                           default=True)
    use_shape_keys: BoolProperty(name="Shape Keys", description="Drive blink and gaze shape keys (ARKit, VRM, "
                                 "Character Creator names)", default=True)
    eye_bones: StringProperty(name="Eye Bones", description="'left,right' eye bones. Empty: detect them",
                              default="")
    blink_key: StringProperty(name="Blink Key", description="A shape key that closes both eyes (empty: detect "
                              "blink keys by name)", default="")
    lid_close: FloatProperty(name="Lid Close", description="How far lid bones turn down for a blink (degrees)",
                             default=55.0, min=0.0, max=90.0)


def eye_settings(scene: bpy.types.Scene) -> EyeSettings:
    """The generator's EyeSettings from the Eyes panel (preset, rates, aversion, intensity, gaze mode, seed)."""
    s = scene.head_motion_eyes
    base = eye_preset(s.preset)
    return eye_preset(s.preset, blink_rate=s.blink_rate,
                      rest_blink_rate=s.blink_rate * base.rest_blink_rate / max(base.blink_rate, 1e-6),
                      aversion=s.aversion, intensity=s.intensity, micro_saccades=bool(s.micro_saccades),
                      gaze_mode=s.gaze_mode, seed=int(s.seed))


def eye_bake_options(obj: bpy.types.Object, scene: bpy.types.Scene) -> EyeBakeOptions:
    """EyeBakeOptions from the Eyes panel, the bake mode and the object's rig settings."""
    s = scene.head_motion_eyes
    settings = eye_settings(scene)
    rig = obj.head_motion
    return EyeBakeOptions(
        settings=settings, target=s.target, eye_bones=s.eye_bones, blink_key=s.blink_key, use_bones=s.use_bones,
        use_lids=s.use_lids, use_shape_keys=s.use_shape_keys, lid_close_deg=s.lid_close,
        mode=scene.head_motion.bake_mode, head_bone=rig.head_bone, neck_bones=rig.neck_bones,
        neck_share=rig.neck_share, facing=rig.facing,
    )


CLASSES: tuple[type, ...] = (HEADMOTION_PG_eyes,)


def attach() -> None:
    bpy.types.Scene.head_motion_eyes = PointerProperty(type=HEADMOTION_PG_eyes)


def detach() -> None:
    scene_type = bpy.types.Scene
    if getattr(scene_type, "head_motion_eyes", None) is not None:
        del scene_type.head_motion_eyes
