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

from ..core.motion import synthetic
from ..core.motion.posegan import DEFAULT_INTENSITY

FACING_ITEMS = [
    ("AUTO", "Auto", ("Read from the skeleton: up along the spine and neck, forward from the eyes, feet, "
                      "left/right bones or the face mesh (Detect Head & Neck shows what was used)")),
    ("-Y", "-Y", "The character looks toward world -Y (Blender's front view)"),
    ("+Y", "+Y", "The character looks toward world +Y"),
    ("-X", "-X", "The character looks toward world -X"),
    ("+X", "+X", "The character looks toward world +X"),
]

BAKE_MODE_ITEMS = [
    (
        "NEW_ACTION",
        "New Action",
        ("Bake into a copy of the current action (or a new one); the original action is kept untouched "
        "and can be reassigned at any time"),
    ),
    (
        "REPLACE",
        "Replace in Current Action",
        "Overwrite the head/neck rotation keys of the current action inside the frame range",
    ),
]

SILENCE_ITEMS = [
    ("NONE", "None", "Move all the time"),
    ("VOICE", "Voice", "Settle the head in the pauses of the voice (voice-activity detection on the audio)"),
    ("VIDEO", "Video Lips", ("Settle the head when the lips of the person in the reference video stop moving "
     "(analyse the video first)")),
    (
        "CHANNEL",
        "Animation Channel",
        "Settle the head when an existing lip-sync channel (jaw bone rotation, mouth shape key…) stops moving",
    ),
]


VOICE_ITEMS = [
    ("NONE", "None", "No voice: motion from the preset alone"),
    ("FILE", "File", "An audio or video file (its sound track)"),
    ("STRIP", "Sound Strip", "A sound strip already in the scene's sequencer"),
]


STABILISER_ITEMS = [
    ("gaussian", "Gaussian", "Zero-phase Gaussian temporal filter (PoseGAN paper); removes estimator jitter"),
    ("one_euro", "One Euro", "Adaptive low-pass: smooth when slow, responsive when fast"),
    ("none", "None", "Raw per-frame estimates"),
]


def _style_search(_self, _context, edit_text) -> list[str]:
    from ..anim.user_data import style_names

    return [name for name in style_names() if edit_text.lower() in name.lower()]


def _preset_items(_self, _context) -> list[tuple[str, str, str]]:
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
    style: StringProperty(
        name="Style",
        description="A learned speaker style (Reference Video > Learn Style); empty: use the preset",
        default="",
        search=_style_search,
    )
    style_name: StringProperty(name="Style Name", description="Name to save a learned style under",
                               default="My Speaker")
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
    voice_input: EnumProperty(name="Voice", description="Recording of the character's voice",
                              items=VOICE_ITEMS, default="NONE")
    voice_path: StringProperty(name="Voice File", description="Audio or video file with the voice",
                               subtype="FILE_PATH", default="")
    voice_start_frame: IntProperty(name="Starts At", description="Frame where the voice file starts playing",
                                   default=1)
    voice_strip: StringProperty(name="Sound Strip", description="Sound strip with the voice", default="")
    use_accents: BoolProperty(
        name="Speech Accents",
        description="Add small nods on stressed syllables, timed so the head pauses on the beat",
        default=True,
    )
    accent_intensity: FloatProperty(name="Accent Strength", description="Strength of the accent nods",
                                    default=1.0, min=0.0, soft_max=2.0, max=4.0)
    posegan_model: StringProperty(
        name="Model",
        description="PoseGAN model (.onnx, e.g. one personalised with training/personalize.py); empty: the bundled "
        "default model",
        subtype="FILE_PATH",
        default="",
    )
    posegan_intensity: FloatProperty(
        name="PoseGAN Intensity",
        description="Scales the model's motion (1 = the amplitude of real speakers, or of the selected Style)",
        default=DEFAULT_INTENSITY, min=0.0, soft_max=3.0, max=5.0,
    )
    video_path: StringProperty(name="Video", description="Reference video of a person talking",
                               subtype="FILE_PATH", default="")
    video_fov: FloatProperty(
        name="Field of View",
        description="Horizontal field of view of the camera that filmed the video, in degrees (about 20 for "
        "cropped or telephoto talking-head footage, 60-70 for webcams and phones)",
        default=20.0, min=5.0, max=120.0,
    )
    video_mirror: BoolProperty(name="Mirror", description="The video is mirrored (selfie view)", default=False)
    video_stabiliser: EnumProperty(name="Stabiliser", items=STABILISER_ITEMS, default="gaussian")
    video_smoothing: FloatProperty(name="Smoothing", description="Gaussian filter sigma, in video frames",
                                   default=1.5, min=0.0, max=10.0)
    video_neutral_frame: IntProperty(
        name="Neutral Frame",
        description="Video frame (0-based) where the head is in its neutral pose; -1: the median pose",
        default=-1, min=-1,
    )
    video_start_frame: IntProperty(name="Start Frame", description="Scene frame of the video's first frame",
                                   default=1)
    video_show_reference: BoolProperty(name="Show Video",
                                       description="Show the video on a plane beside the character", default=True)
    video_use_sound: BoolProperty(name="Use Video Sound",
                                  description="Add the video's sound as a strip and use it as the voice", default=True)
    silence_source: EnumProperty(name="Silence", description="What makes the head settle",
                                 items=SILENCE_ITEMS, default="VOICE")
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
