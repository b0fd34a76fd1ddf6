"""What an eye bake acts on, read from Blender: the eye bones, upper-lid bones, eye objects and eye shape keys of a
character (:func:`find_eye_rig`), their rest geometry in the character frame, the gaze target's position per frame,
and the head's evaluated motion. Reads only; :mod:`anim.eyes` computes and writes the keys."""

from __future__ import annotations

from dataclasses import dataclass, field

import bpy
import numpy as np

from ..core.errors import SettingsError, TargetError
from ..core.eyes import EyeSettings
from ..core.eyes.channels import ShapeKeyMatch, find_upper_lids, match_shape_keys
from ..core.rig.conventions import NOT_EYE_WORDS
from ..core.rig.names import parse_name
from ..core.rotation import character_angles
from ..core.track import PoseTrack
from .bake import BAKE_MODES
from .eye_controls import AimControl, LidSlide, find_eye_aims, find_lid_slides
from .target import Target, resolve_target

#: Default key reduction of eye and lid angles (degrees) and of shape-key values (0..1): eyes hold still between
#: saccades and blinks are brief, so most frames need no key.
KEY_TOLERANCE_DEG = 0.2
SHAPE_KEY_TOLERANCE = 0.01

@dataclass
class EyeBakeOptions:
    """How to bake the eyes (angles in degrees).

    settings: the generator's :class:`~core.eyes.EyeSettings` (gaze mode, rates, aversion, intensity, seed).
    target: object the eyes keep contact with in TARGET mode; None = the scene camera when ``use_camera``, else
        a point far straight ahead.
    eye_bones: "left,right" bone names overriding detection. blink_key: a shape key that closes both eyes.
    use_bones / use_lids / use_shape_keys: which kinds of eye controls to bake when found.
    lid_close_deg: how far an upper-lid bone turns down at a full blink.
    key_tolerance_deg: keep only the keys linear interpolation needs to stay within this many degrees of the eye
        and lid angles (shape keys: within :data:`SHAPE_KEY_TOLERANCE`); None keys every frame.
    mode, head_bone, neck_bones, neck_share, facing: as the head bake's :class:`~anim.bake.BakeOptions`.
    """

    settings: EyeSettings = field(default_factory=EyeSettings)
    target: bpy.types.Object | None = None
    use_camera: bool = True
    eye_bones: str = ""
    blink_key: str = ""
    use_bones: bool = True
    use_lids: bool = True
    use_shape_keys: bool = True
    lid_close_deg: float = 55.0
    key_tolerance_deg: float | None = KEY_TOLERANCE_DEG
    mode: str = "NEW_ACTION"
    head_bone: str = ""
    neck_bones: str = ""
    neck_share: float = 0.0
    facing: str = "AUTO"

    def validate(self) -> None:
        self.settings.validate()
        if self.mode not in BAKE_MODES:
            raise SettingsError(f"Unknown bake mode '{self.mode}'; use one of {', '.join(BAKE_MODES)}.")
        if not (0.0 <= self.lid_close_deg <= 90.0):
            raise SettingsError(f"Lid closing angle must be 0-90 degrees, got {self.lid_close_deg}.")


@dataclass
class EyeRig:
    """The eye controls found on a character."""

    head: Target
    eye_bones: tuple[str, str] | None = None
    lid_bones: tuple[str, str] | None = None
    eye_objects: tuple[bpy.types.Object, bpy.types.Object] | None = None
    shape_keys: list[tuple[bpy.types.Object, ShapeKeyMatch]] = field(default_factory=list)
    #: The controls the eye bones aim at (:mod:`anim.eye_controls`): then they, not the eye bones, get keys.
    eye_aims: list[AimControl] | None = None
    #: Upper-lid controls moved by location (a generated Rigify face), used instead of ``lid_bones``.
    lid_slides: tuple[LidSlide, LidSlide] | None = None

    def eye_pivots(self) -> tuple[str, str] | None:
        """(left, right) bones the eyeballs turn with: the eye bones, or the bones that aim at the controls."""
        if not self.eye_aims:
            return self.eye_bones
        pivots = {eye: pivot for aim in self.eye_aims for pivot, eye in zip(aim.pivots, aim.eyes, strict=True)}
        return pivots[0], pivots[1]

    def describe(self) -> str:
        parts = []
        if self.eye_aims:
            controls = "/".join(aim.control for aim in self.eye_aims)
            parts.append(f"eye controls {controls} (aimed at by {'/'.join(self.eye_pivots() or ())})")
        elif self.eye_bones:
            parts.append(f"eye bones {self.eye_bones[0]}/{self.eye_bones[1]}")
        if self.lid_slides:
            parts.append(f"lid controls {self.lid_slides[0].upper}/{self.lid_slides[1].upper}")
        if self.lid_bones:
            parts.append(f"lid bones {self.lid_bones[0]}/{self.lid_bones[1]}")
        if self.eye_objects:
            parts.append(f"eye objects {self.eye_objects[0].name}/{self.eye_objects[1].name}")
        for mesh, match in self.shape_keys:
            parts.append(f"{len(match.keys)} {match.family} shape keys on {mesh.name}")
        return ", ".join(parts)


def character_meshes(obj: bpy.types.Object) -> list[bpy.types.Object]:
    """Meshes that belong to ``obj``: children, or deformed by it through an Armature modifier."""
    out = []
    for candidate in bpy.data.objects:
        if candidate.type != "MESH" or candidate is obj:
            continue
        deformed = any(m.type == "ARMATURE" and m.object is obj for m in candidate.modifiers)
        if candidate.parent is obj or deformed or (obj.type == "MESH" and candidate is obj):
            out.append(candidate)
    if obj.type == "MESH":
        out.insert(0, obj)
    return out


def find_eye_rig(obj: bpy.types.Object | None, options: EyeBakeOptions) -> EyeRig:
    """The eye bones, lid bones and eye shape keys of ``obj``; TargetError when it has none (or they are linked)."""
    head = resolve_target(obj, options.head_bone, options.neck_bones, options.facing,
                          use_necks=options.neck_share > 0.0)
    rig = EyeRig(head)
    if obj.type == "ARMATURE":
        names = [b.name for b in obj.data.bones]
        if options.eye_bones.strip():
            pair = [n.strip() for n in options.eye_bones.split(",")]
            if len(pair) != 2 or any(n not in obj.data.bones for n in pair):
                raise TargetError(f"Eye bones: give two bones of '{obj.name}' as 'left,right', got "
                                  f"'{options.eye_bones}'.")
            rig.eye_bones = (pair[0], pair[1])
        elif options.use_bones:
            rig.eye_bones = head.eyes  # the bone matcher's eyes, found with the head
        if rig.eye_bones is not None:
            rig.eye_aims = find_eye_aims(obj, rig.eye_bones)
        if options.use_lids:
            rig.lid_slides = find_lid_slides(obj)
            rig.lid_bones = None if rig.lid_slides else find_upper_lids(names)
    if options.use_bones and rig.eye_bones is None:
        rig.eye_objects = find_eye_objects(obj, rig.head.head.bone)
    if options.use_shape_keys or options.blink_key:
        for mesh in character_meshes(obj):
            key = mesh.data.shape_keys
            if key is None:
                continue
            match = match_shape_keys([kb.name for kb in key.key_blocks], options.blink_key)
            if match is None:
                continue
            if mesh.data.library is not None or key.library is not None or mesh.library is not None:
                raise TargetError(f"The shape keys of '{mesh.name}' are linked from a library and cannot be "
                                  "animated here. Make the mesh local or a library override first.")
            rig.shape_keys.append((mesh, match))
        if options.blink_key and not rig.shape_keys:
            raise TargetError(f"No mesh of '{obj.name}' has a shape key named '{options.blink_key}'.")
    if not (rig.eye_bones or rig.lid_bones or rig.lid_slides or rig.eye_objects or rig.shape_keys):
        raise TargetError(
            f"No eyes found on '{obj.name}': no eye bones (e.g. eye.L/eye.R, LeftEye/RightEye), no eyelid bones and "
            "no blink or gaze shape keys (e.g. eyeBlinkLeft, Eye_Blink_L, blink). Name the eye bones in the Eyes "
            "panel or choose a blink shape key.")
    return rig


def find_eye_objects(obj: bpy.types.Object, head_bone: str | None) -> tuple[bpy.types.Object, bpy.types.Object] | None:
    """(left, right) eye objects: children of ``obj`` (of its head bone, for an armature) named with an eye word
    and a side (``Eye_L``, ``LeftEye``, ``eyeball.R``…); None when there is no such pair."""
    found: dict[str, list[bpy.types.Object]] = {"l": [], "r": []}
    for child in obj.children:
        if obj.type == "ARMATURE" and not (child.parent_type == "BONE" and child.parent_bone == head_bone):
            continue
        parts = parse_name(child.name)
        words = set(parts.words)
        if parts.side in found and words & {"eye", "eyeball", "eyes"} and not words & NOT_EYE_WORDS:
            found[parts.side].append(child)
    if not (found["l"] and found["r"]):
        return None
    pair = min(found["l"], key=lambda o: len(o.name)), min(found["r"], key=lambda o: len(o.name))
    for eye in pair:
        if eye.library is not None:
            raise TargetError(f"The eye object '{eye.name}' is linked from a library and cannot be animated here.")
    return pair


def eye_object_rest(eye: bpy.types.Object) -> tuple[np.ndarray, np.ndarray]:
    """(rest rotation B (3, 3), rest position (3,)) in world space of an eye object whose parent (or parent bone)
    is at rest: its own rotation L then shows in the world as ``B @ L``."""
    from mathutils import Matrix

    parent = eye.parent
    if parent.type == "ARMATURE" and eye.parent_type == "BONE":
        bone = parent.data.bones[eye.parent_bone]
        frame = parent.matrix_world @ bone.matrix_local @ Matrix.Translation((0.0, bone.length, 0.0))
    else:
        frame = parent.matrix_world
    frame = frame @ eye.matrix_parent_inverse
    rotation = np.array(frame.to_quaternion().to_matrix(), dtype=np.float64)
    return rotation, np.array(frame @ eye.location, dtype=np.float64)


def _world_point(obj: bpy.types.Object, local) -> np.ndarray:
    return np.array(obj.matrix_world @ local, dtype=np.float64)


def character_geometry(rig: EyeRig) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(origin (3,) world, basis C, eyes (2, 3), necks (k, 3) in character coordinates) at rest."""
    obj, basis = rig.head.obj, rig.head.basis
    if obj.type == "ARMATURE":
        bones = obj.data.bones
        head = bones[rig.head.head.bone]
        origin = _world_point(obj, head.head_local)
        pivots = rig.eye_pivots()
        if pivots:
            eyes = np.array([_world_point(obj, bones[n].head_local) for n in pivots])
        elif rig.eye_objects:
            eyes = np.array([eye_object_rest(eye)[1] for eye in rig.eye_objects])
        else:
            size = float(np.linalg.norm(_world_point(obj, head.tail_local) - origin)) or 0.2
            eyes = origin + (basis @ np.array([[0.14, 0.4, 0.45], [-0.14, 0.4, 0.45]]).T).T * size
        necks = np.array([_world_point(obj, bones[j.bone].head_local) for j in rig.head.necks]).reshape(-1, 3)
    else:
        origin = np.array(obj.matrix_world.translation, dtype=np.float64)
        eyes = origin + (basis @ np.array([[0.03, 0.1, 0.05], [-0.03, 0.1, 0.05]]).T).T
        necks = np.zeros((0, 3))
    to_char = basis.T
    return origin, basis, (to_char @ (eyes - origin).T).T, (to_char @ (necks - origin).T).T


def gaze_object(options: EyeBakeOptions, scene: bpy.types.Scene, rig: EyeRig) -> bpy.types.Object | None:
    target = options.target or (scene.camera if options.use_camera else None)
    if target is None or options.settings.gaze_mode != "TARGET":
        return None
    own = {rig.head.obj, *(m for m, _ in rig.shape_keys), *(a.target for a in rig.eye_aims or () if a.target)}
    walker = target
    while walker is not None:
        if walker in own:
            raise TargetError(f"The gaze target '{target.name}' is part of the character '{rig.head.obj.name}'; "
                              "choose another object (e.g. the camera or an empty in front of the character).")
        walker = walker.parent
    return target


def _is_animated(obj: bpy.types.Object) -> bool:
    walker = obj
    while walker is not None:
        adt = walker.animation_data
        if (adt is not None and (adt.action is not None or len(adt.drivers) or len(adt.nla_tracks))) or len(
                walker.constraints):
            return True
        walker = walker.parent
    return False


def _still_world_matrix(obj: bpy.types.Object):
    """World matrix of an object that nothing animates, from its own transform (``matrix_basis``, deltas
    included) and its object parents' (``parent × parent inverse × basis`` up the chain), or None when a parent
    is a bone or vertices. Unlike ``matrix_world`` it is never stale (a new object's is until the depsgraph
    runs), and it needs no depsgraph evaluation of the scene."""
    matrix = obj.matrix_basis
    walker = obj
    while walker.parent is not None:
        if walker.parent_type != "OBJECT":
            return None
        matrix = walker.parent.matrix_basis @ walker.matrix_parent_inverse @ matrix
        walker = walker.parent
    return matrix


def target_points(target: bpy.types.Object, frames: np.ndarray, scene: bpy.types.Scene) -> np.ndarray:
    """World position of ``target``: (N, 3) per frame when it moves (evaluated frame by frame), (3,) when nothing
    animates it (the generator takes either)."""
    if not _is_animated(target):
        world = _still_world_matrix(target)
        if world is None:  # parented to a bone or vertices: let the depsgraph place it
            world = target.evaluated_get(bpy.context.evaluated_depsgraph_get()).matrix_world
        return np.array(world.translation, dtype=np.float64)
    current = scene.frame_current
    out = np.empty((len(frames), 3))
    for i, frame in enumerate(frames):
        scene.frame_set(int(frame))
        out[i] = np.array(target.matrix_world.translation)
    scene.frame_set(current)
    return out


def evaluated_head_track(rig: EyeRig, frames: np.ndarray, scene: bpy.types.Scene, fps: float) -> PoseTrack:
    """The head's rotation per frame as the scene evaluates it (any motion source already baked), as angles."""
    obj, basis = rig.head.obj, rig.head.basis
    current = scene.frame_current
    rest = rig.head.head.rest_world
    world = np.empty((len(frames), 3, 3))
    for i, frame in enumerate(frames):
        scene.frame_set(int(frame))
        if obj.type == "ARMATURE":
            posed = obj.matrix_world @ obj.pose.bones[rig.head.head.bone].matrix
        else:
            posed = obj.matrix_world
        world[i] = np.array(posed.to_quaternion().to_matrix())
    scene.frame_set(current)
    delta = np.einsum("ij,njk,kl->nil", basis.T, world @ rest.T, basis)
    yaw, pitch, roll = character_angles(delta)
    return PoseTrack(yaw, pitch, roll, fps, int(frames[0]))
