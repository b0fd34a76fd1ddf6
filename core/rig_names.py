"""Find the head bone, its neck chain and the eye bones of an armature from bone names and parents.

Pure Python; the Blender side fills :class:`BoneInfo` from ``armature.data.bones``.

How matching works
==================

Names are first reduced to a *canonical* form (:func:`canonical`): the namespace is dropped, the
name is split into lower-case words (separators and camelCase), an L/R side marker is pulled out of
the words and appended as ``.l`` / ``.r``, and the words are joined without separators::

    "mixamorig:LeftEye" -> "eye.l"      "J_Bip_L_Eye" -> "jbipeye.l"    "eye.L" -> "eye.l"
    "Bip01 Head"        -> "bip01head"  "c_head.x"    -> "cheadx"       "HeadTop_End" -> "headtopend"

Every known rig mapping (Rigify, Mixamo, VRM, Ready Player Me, Character Creator, Unreal/MetaHuman,
3ds Max Biped, Rokoko, DAZ, Auto-Rig Pro, MMD, generic) lists the real names of its head, neck and
eye bones plus a few *marker* bones typical of the rig. Each mapping whose head name matches a bone
is scored (:data:`TIER_EXACT`): did its neck names turn up among the head's ancestors, were its
eyes found, what fraction of its markers exist, does the namespace agree (``mixamorig:``). The
best-scoring (mapping, bone) pair wins; ties go to the mapping listed first.

When no mapping matches, lower tiers follow: the Rigify metarig (``spine.006``), then any bone with
a ``head`` word that is not an end/helper/face bone (``"head-bone"``, ``"Char_Head_jnt"``), then the
armature's structure (:data:`TIER_STRUCTURE`). Scores lie in ``[0, 1]``; each tier has its own band,
so a score says how the head was found.

Decisions worth knowing
-----------------------
* Matching ignores case and separators: ``"HEAD"``, ``"head"`` and ``"He_ad"`` are all ``head``.
* A Blender duplicate suffix is tolerated with a small penalty: ``"Head.001"`` matches ``Head``
  unless a plain ``Head`` exists. (Rigify's ``spine.006`` is a real name and is matched as such.)
* ``"head-bone"``, ``"Head_jnt"``, ``"DEF-head"``: matched by the word tier (convention
  ``'generic'``); ``MCH-``/``tweak`` helpers never are.
* End, leaf and helper bones (``HeadTop_End``, ``head_nub``, ``Bip01 HeadNub``, ``*_end``), face
  bones (jaw, eye, lid, ear, brow, ...) and twist/IK/target helpers are never chosen as head, by
  name or by structure.
* The neck chain only holds ancestors of the head (walking up parents through helper bones), ordered
  from the torso towards the head. It may be empty (e.g. a rig whose neck control is not a parent of
  its head control).
* Eyes are ``(left, right)`` from the character's point of view (``eye.L`` is the character's left).
  Eye bones below the head are preferred, but not required (Rigify's eye targets are not children
  of ``head``).
* A specific convention (e.g. ``'readyplayerme'``) is only reported when the rig shows evidence of
  it (a distinctive head name, its namespace or a quarter of its marker bones); otherwise a rig
  that merely has ``Head``/``Neck`` is reported as ``'generic'``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "TIER_EXACT",
    "TIER_FALLBACK",
    "TIER_STRUCTURE",
    "TIER_WORD",
    "BoneInfo",
    "NameParts",
    "RigMatch",
    "canonical",
    "head_candidates",
    "match_head_and_neck",
    "parse_name",
]

#: Score bands ``(low, high)`` of the four ways a head is found; higher bands are more trustworthy.
TIER_EXACT = (0.5, 1.0)
TIER_FALLBACK = (0.35, 0.5)
TIER_WORD = (0.2, 0.35)
TIER_STRUCTURE = (0.05, 0.15)

#: Score multiplier for a name matched only after dropping a Blender duplicate suffix (``.001``).
_DUPLICATE_FACTOR = 0.9
#: Score multiplier per position in a mapping's head list (the first name listed is preferred).
_PATTERN_ORDER_STEP = 0.02
#: Minimum fraction of marker bones for a non-distinctive mapping to claim its convention.
_MIN_MARKER_EVIDENCE = 0.25


# --------------------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True)
class BoneInfo:
    """What the matcher needs to know about one bone.

    Attributes:
        name: the bone's name, exactly as in Blender.
        parent: the parent bone's name, or ``None`` for a root bone.
        deform: the bone's *Deform* flag (informational; control rigs keep it off on controls).
        length: the bone's length in armature units (informational, ``0.0`` when unknown).
    """

    name: str
    parent: str | None = None
    deform: bool = True
    length: float = 0.0


@dataclass
class RigMatch:
    """Result of :func:`match_head_and_neck`.

    Attributes:
        head: name of the head bone, or ``None`` when nothing plausible was found.
        necks: neck bones, all ancestors of ``head``, ordered from the one nearest the torso to the one
            nearest the head; empty when none was recognised.
        eyes: ``(left, right)`` eye bone names (character's left first), or ``None``.
        convention: rig family: ``'rigify'``, ``'rigify_metarig'``, ``'mixamo'``, ``'vrm'``,
            ``'readyplayerme'``, ``'character_creator'``, ``'unreal'``, ``'biped'``, ``'rokoko'``,
            ``'daz'``, ``'autorigpro'``, ``'mmd'``, ``'generic'``, ``'structure'`` (found from the
            hierarchy only) or ``'none'``.
        score: confidence in ``[0, 1]``; see the ``TIER_*`` bands.
    """

    head: str | None
    necks: list[str] = field(default_factory=list)
    eyes: tuple[str, str] | None = None
    convention: str = "none"
    score: float = 0.0


@dataclass(frozen=True)
class NameParts:
    """A bone name taken apart by :func:`parse_name`.

    Attributes:
        namespace: lower-case namespace (``"mixamorig"`` of ``"mixamorig:Head"``), ``""`` if none.
        words: lower-case words of the name without namespace and side marker.
        side: ``"l"``, ``"r"`` or ``None``.
    """

    namespace: str
    words: tuple[str, ...]
    side: str | None

    @property
    def key(self) -> str:
        """The canonical form: words joined, then ``.l``/``.r`` when the name has a side."""
        base = "".join(self.words)
        return f"{base}.{self.side}" if self.side else base


# --------------------------------------------------------------------------------------------------
# Canonical names

_SEPARATORS = re.compile(r"[\s_\-.:|]+")
# Upper-case run before a capitalised word ("LEye" -> "L", "Eye"), capitalised or lower-case word,
# upper-case run, digits, and runs of non-ASCII characters (MMD names such as "頭").
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+|[^\x00-\x7f]+")
_DUPLICATE_SUFFIX = re.compile(r"\.\d{3,}$")
_SIDE_WORDS = {"l": "l", "left": "l", "r": "r", "right": "r"}
_GLUED_SIDES = (("left", "l"), ("right", "r"))


def _split_namespace(name: str) -> tuple[str, str]:
    cut = max(name.rfind(":"), name.rfind("|"))
    if 0 <= cut < len(name) - 1:
        return name[:cut].lower(), name[cut + 1 :]
    return "", name


def _words(text: str) -> list[str]:
    words: list[str] = []
    for chunk in _SEPARATORS.split(text):
        words.extend(word.lower() for word in _WORDS.findall(chunk))
    return words


def _take_side(words: list[str]) -> tuple[list[str], str | None]:
    if len(words) < 2:
        return words, None
    # A separate side word; the last one wins ("J_Bip_L_Eye", "eye.L", "Left Eye").
    for i in range(len(words) - 1, -1, -1):
        side = _SIDE_WORDS.get(words[i])
        if side is not None:
            return words[:i] + words[i + 1 :], side
    return words, None


def _take_glued_side(words: list[str]) -> tuple[list[str], str | None]:
    # All-caps or all-lower names cannot be split by case: "LEFTEYE" -> ["lefteye"].
    for i, word in enumerate(words):
        for prefix, side in _GLUED_SIDES:
            rest = word[len(prefix) :]
            if word.startswith(prefix) and len(rest) >= 2 and rest.isalpha():
                return [*words[:i], rest, *words[i + 1 :]], side
    return words, None


def parse_name(name: str) -> NameParts:
    """Split a bone name into namespace, lower-case words and L/R side.

    The namespace is everything up to the last ``:`` or ``|`` (``"mixamorig1:Head"``,
    ``"Armature|Head"``), or a leading ``mixamorig`` word written without a colon
    (``"mixamorigHead"``). Words are split at separators (space ``_ - . : |``), camelCase and digit
    boundaries. One side word (``L``, ``R``, ``Left``, ``Right``, anywhere, case-insensitive) becomes
    the side; so does a ``left``/``right`` prefix glued to a word (``"LEFTEYE"``).
    """
    namespace, local = _split_namespace(name)
    words = _words(local)
    if len(words) > 1 and words[0] == "mixamorig":
        cut = 2 if len(words) > 2 and words[1].isdigit() else 1
        namespace = (namespace + "|" if namespace else "") + "".join(words[:cut])
        words = words[cut:]
    words, side = _take_side(words)
    if side is None:
        words, side = _take_glued_side(words)
    return NameParts(namespace, tuple(words), side)


def canonical(name: str) -> str:
    """Canonical form of a bone name: lower-case, no namespace, no separators, side as a suffix.

    ``"mixamorig:LeftEye"``, ``"LeftEye"``, ``"eye.L"``, ``"eye_l"`` and ``"lEye"`` all give
    ``"eye.l"``; ``"J_Bip_L_Eye"`` gives ``"jbipeye.l"``; ``"Bip01 Head"`` gives ``"bip01head"``.
    The ``.`` before the side can never come from the name itself, since separators are removed.
    """
    return parse_name(name).key


# --------------------------------------------------------------------------------------------------
# Known rig mappings


@dataclass(frozen=True)
class _Names:
    """A set of canonical names plus regular expressions (full match on canonical names)."""

    literals: frozenset[str]
    regexes: tuple[re.Pattern[str], ...] = ()
    order: tuple[str, ...] = ()

    def matches(self, key: str) -> bool:
        return key in self.literals or any(rx.fullmatch(key) for rx in self.regexes)

    def position(self, key: str) -> int:
        """Index of the entry that matches ``key`` (for "prefer the first listed" scoring)."""
        for i, entry in enumerate(self.order):
            if entry == key or (entry.startswith("re:") and re.fullmatch(entry[3:], key)):
                return i
        return len(self.order)


def _names(*entries: str) -> _Names:
    """Real bone names (canonicalised here) or ``"re:<regex on canonical names>"`` entries."""
    literals = [canonical(e) for e in entries if not e.startswith("re:")]
    regexes = tuple(re.compile(e[3:]) for e in entries if e.startswith("re:"))
    order = tuple(e if e.startswith("re:") else canonical(e) for e in entries)
    return _Names(frozenset(literals), regexes, order)


@dataclass(frozen=True)
class _Mapping:
    """Head/neck/eye names of one rig family.

    ``namespace``: ``None`` = any; ``""`` = the head must have no namespace; otherwise a regular
    expression searched in the head's namespace. ``distinctive``: the head name alone identifies the
    family. ``fallback``: only a last resort (scored in :data:`TIER_FALLBACK`). ``shared``: its neck and
    eye names may also be tried for heads found through other mappings.
    """

    convention: str
    head: _Names
    necks: _Names
    eyes: tuple[tuple[str, str], ...] = ()
    markers: tuple[_Names, ...] = ()
    namespace: str | None = None
    weight: float = 1.0
    distinctive: bool = False
    fallback: bool = False
    shared: bool = True


def _eyes(*pairs: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple((canonical(left), canonical(right)) for left, right in pairs)


def _markers(*entries: str) -> tuple[_Names, ...]:
    return tuple(_names(e) for e in entries)


_MAPPINGS: tuple[_Mapping, ...] = (
    _Mapping(
        "vrm",
        head=_names("J_Bip_C_Head"),
        necks=_names("J_Bip_C_Neck"),
        eyes=_eyes(("J_Adj_L_FaceEye", "J_Adj_R_FaceEye"), ("J_Bip_L_Eye", "J_Bip_R_Eye")),
        markers=_markers(
            "J_Bip_C_Hips", "J_Bip_C_Spine", "J_Bip_C_Chest", "J_Bip_C_UpperChest",
            "J_Bip_L_Shoulder", "J_Bip_L_UpperArm", "J_Bip_L_UpperLeg", "J_Bip_L_Foot",
        ),
        distinctive=True,
    ),
    _Mapping(
        "character_creator",
        head=_names("CC_Base_Head"),
        necks=_names("CC_Base_NeckTwist01", "CC_Base_NeckTwist02"),
        eyes=_eyes(("CC_Base_L_Eye", "CC_Base_R_Eye")),
        markers=_markers(
            "CC_Base_BoneRoot", "CC_Base_Hip", "CC_Base_Pelvis", "CC_Base_Waist", "CC_Base_Spine01",
            "CC_Base_Spine02", "CC_Base_FacialBone", "CC_Base_JawRoot",
        ),
        distinctive=True,
    ),
    _Mapping(
        "biped",
        head=_names(r"re:bip\d*head"),
        necks=_names(r"re:bip\d*neck\d*"),
        markers=_markers(
            r"re:bip\d*", r"re:bip\d*pelvis", r"re:bip\d*spine", r"re:bip\d*spine1",
            r"re:bip\d*clavicle\.l", r"re:bip\d*thigh\.l", r"re:bip\d*headnub", r"re:bip\d*footsteps",
        ),
        distinctive=True,
    ),
    _Mapping(
        "mixamo",
        head=_names("Head"),
        necks=_names("Neck", "Neck1"),
        eyes=_eyes(("LeftEye", "RightEye")),
        markers=_markers(
            "Hips", "Spine", "Spine1", "Spine2", "LeftShoulder", "LeftArm", "LeftForeArm", "LeftUpLeg",
            "LeftToeBase", "HeadTop_End",
        ),
        namespace="mixamorig",
    ),
    _Mapping(
        "readyplayerme",
        head=_names("Head"),
        necks=_names("Neck"),
        eyes=_eyes(("LeftEye", "RightEye")),
        markers=_markers(
            "Hips", "Spine", "Spine1", "Spine2", "LeftUpLeg", "LeftToeBase", "HeadTop_End", "LeftEye",
            "LeftHandThumb1", "LeftToe_End",
        ),
        namespace="",
    ),
    _Mapping(
        "rokoko",  # Rokoko Studio "Newton" character (FBX / BVH export)
        head=_names("Head"),
        necks=_names("Neck"),
        markers=_markers(
            "Hips", "Spine1", "Spine2", "Spine3", "Spine4", "LeftThigh", "LeftShin", "LeftToe",
            "LeftForeArm", "RightShin",
        ),
    ),
    _Mapping(
        "rokoko",  # Rokoko Studio Live default Blender actor
        head=_names("head"),
        necks=_names("neck"),
        markers=_markers(
            "hip", "spine", "chest", "leftUpLeg", "leftLeg", "leftToe", "leftShoulder", "leftUpperArm",
            "leftLowerArm", "leftIndexProximal",
        ),
    ),
    _Mapping(
        "unreal",  # UE4/UE5 mannequin and MetaHuman
        head=_names("head"),
        necks=_names("neck_01", "neck_02", "neck_03"),
        eyes=_eyes(("FACIAL_L_Eye", "FACIAL_R_Eye"), ("eye_l", "eye_r")),
        markers=_markers(
            "root", "pelvis", "spine_01", "spine_02", "spine_03", "clavicle_l", "upperarm_l", "thigh_l",
            "calf_l", "ball_l", "ik_foot_root", "ik_hand_root",
        ),
    ),
    _Mapping(
        "daz",  # Genesis 3 / Genesis 8
        head=_names("head"),
        necks=_names("neckLower", "neckUpper"),
        eyes=_eyes(("lEye", "rEye")),
        markers=_markers(
            "hip", "pelvis", "abdomenLower", "abdomenUpper", "chestLower", "chestUpper", "lCollar",
            "lShldrBend", "lThighBend", "lowerJaw",
        ),
    ),
    _Mapping(
        "daz",  # Genesis 9
        head=_names("head"),
        necks=_names("neck1", "neck2"),
        eyes=_eyes(("l_eye", "r_eye")),
        markers=_markers(
            "hip", "pelvis", "spine1", "spine2", "spine3", "spine4", "l_shoulder", "l_upperarm",
            "l_thigh", "l_shin",
        ),
    ),
    _Mapping(
        "autorigpro",  # controls first: c_head.x is what animators key
        head=_names("c_head.x", "head.x"),
        necks=_names("c_neck.x", "neck.x", "c_subneck_1.x", "c_subneck_2.x", "subneck_1.x", "subneck_2.x"),
        eyes=_eyes(("c_eye.l", "c_eye.r"), ("eye.l", "eye.r")),
        markers=_markers(
            "c_traj", "c_pos", "c_root_master.x", "c_root.x", "root.x", "c_spine_01.x", "spine_01.x",
            "head_scale_fix.x", "c_jawbone.x", "c_skull_01.x",
        ),
        distinctive=True,
    ),
    _Mapping(
        "rigify",  # generated rig: un-prefixed control bones
        head=_names("head"),
        necks=_names("neck"),
        eyes=_eyes(("eye.L", "eye.R"), ("ORG-eye.L", "ORG-eye.R"), ("DEF-eye.L", "DEF-eye.R")),
        markers=_markers(
            "torso", "chest", "hips", "root", "ORG-spine.006", "DEF-spine.006", "MCH-ROT-head",
            "MCH-ROT-neck", "tweak_spine.004", "upper_arm_fk.L",
        ),
    ),
    _Mapping(
        "rigify",  # deform (or ORG) bones only, e.g. a game export of a generated rig
        head=_names("DEF-spine.006", "ORG-spine.006"),
        necks=_names("DEF-spine.004", "DEF-spine.005", "ORG-spine.004", "ORG-spine.005"),
        eyes=_eyes(("DEF-eye.L", "DEF-eye.R"), ("ORG-eye.L", "ORG-eye.R"), ("eye.L", "eye.R")),
        markers=_markers(
            "DEF-spine", "DEF-spine.001", "DEF-spine.002", "DEF-spine.003", "DEF-upper_arm.L",
            "DEF-thigh.L", "DEF-shin.L", "DEF-jaw",
        ),
        weight=0.7,
        distinctive=True,
        shared=False,
    ),
    _Mapping(
        "vrm",  # VRM 1.0 humanoid bone names used as bone names
        head=_names("head"),
        necks=_names("neck"),
        eyes=_eyes(("leftEye", "rightEye")),
        markers=_markers(
            "hips", "spine", "chest", "upperChest", "leftUpperArm", "leftLowerArm", "leftUpperLeg",
            "leftLowerLeg", "leftToes", "jaw",
        ),
    ),
    _Mapping(
        "mmd",  # MikuMikuDance (Japanese names, as imported by mmd_tools)
        head=_names("頭"),
        necks=_names("首"),
        eyes=_eyes(("左目", "右目")),
        markers=_markers("全ての親", "センター", "上半身", "上半身2", "下半身", "左肩", "左腕", "左足"),
        distinctive=True,
    ),
    _Mapping(
        "generic",  # common names (Advanced Skeleton "Head_M", joints "head_jnt", ...)
        head=_names("Head", "Head_M", "head_jnt", "Head_JNT", "C_Head", "Head_C", "J_Head", "HeadN"),
        necks=_names(
            "Neck", "Neck_M", "NeckPart1_M", "NeckPart2_M", "Neck1", "Neck2", "neck_jnt", "C_Neck",
            "Neck_C", "J_Neck", "NeckN", "neck_01", "neck_02",
        ),
        eyes=_eyes(("Eye_L", "Eye_R"), ("LeftEye", "RightEye"), ("Eyeball_L", "Eyeball_R")),
        weight=0.9,
    ),
    _Mapping(
        "rigify_metarig",  # only when nothing better matches
        head=_names("spine.006"),
        necks=_names("spine.004", "spine.005"),
        eyes=_eyes(("eye.L", "eye.R")),
        markers=_markers(
            "spine", "spine.001", "spine.002", "spine.003", "face", "shoulder.L", "upper_arm.L", "pelvis.L",
        ),
        distinctive=True,
        fallback=True,
        shared=False,
    ),
)

# Words that disqualify a bone from being a head found by words (ends, helpers, face parts).
_NOT_HEAD_WORDS = frozenset(
    {
        "end", "top", "tip", "nub", "null", "jaw", "jawbone", "eye", "eyes", "eyeball", "eyelid",
        "lid", "lids", "ear", "ears", "brow", "brows", "eyebrow", "lash", "lashes", "nose", "lip",
        "lips", "mouth", "teeth", "tooth", "tongue", "cheek", "chin", "hair", "twist", "ik", "fk",
        "target", "pole", "mch", "tweak", "helper", "socket", "look", "lookat", "aim", "track",
        "fix", "scale", "rot", "parent", "offset", "ref", "dummy", "proxy", "stretch", "follow",
        "pivot", "snap", "hat", "helmet", "glasses", "jiggle", "spring", "dyn", "mask",
    }
)
# Words that disqualify an eye bone (lids, targets, helpers) or a neck bone found by words.
_NOT_EYE_WORDS = frozenset(
    {
        "end", "top", "tip", "nub", "null", "lid", "lids", "eyelid", "brow", "brows", "eyebrow",
        "lash", "lashes", "target", "targets", "look", "lookat", "aim", "track", "ik", "fk", "mch",
        "tweak", "socket", "fix", "parent", "offset", "master", "common", "highlight", "spec",
    }
)
_NOT_NECK_WORDS = frozenset(
    {
        "end", "top", "tip", "nub", "null", "ik", "target", "pole", "mch", "tweak", "helper",
        "socket", "fix", "rot",
    }
)
# Last word of an end/tip bone: "end", "nub", "HeadEnd" -> "headend", "headtop", "toetip", ...
_END_WORD = re.compile(r"(head|top|tip|toe|finger|bone|jnt)?(end|nub|tip|top|null)")


# --------------------------------------------------------------------------------------------------
# Internal bone records


@dataclass
class _Bone:
    name: str
    parent: str | None
    index: int
    parts: NameParts
    keys: tuple[tuple[str, float], ...]  # (canonical key, score factor)


def _bone_keys(name: str, parts: NameParts) -> tuple[tuple[str, float], ...]:
    keys = [(parts.key, 1.0)]
    stripped = _DUPLICATE_SUFFIX.sub("", name)
    if stripped != name:
        keys.append((canonical(stripped), _DUPLICATE_FACTOR))
    return tuple(keys)


class _Rig:
    """Bones indexed by name, with parent/children links (first occurrence of a name wins)."""

    def __init__(self, bones: Iterable[BoneInfo]):
        self.bones: dict[str, _Bone] = {}
        for bone in bones:
            if bone.name in self.bones:
                continue
            parts = parse_name(bone.name)
            self.bones[bone.name] = _Bone(
                bone.name, bone.parent, len(self.bones), parts, _bone_keys(bone.name, parts)
            )
        self.children: dict[str, list[str]] = {name: [] for name in self.bones}
        for bone in self.bones.values():
            if bone.parent in self.bones and bone.parent != bone.name:
                self.children[bone.parent].append(bone.name)
        self.by_key: dict[str, list[str]] = {}
        for bone in self.bones.values():
            for key, _ in bone.keys:
                self.by_key.setdefault(key, []).append(bone.name)
        self.all_keys: frozenset[str] = frozenset(self.by_key)

    def parent_of(self, name: str) -> str | None:
        parent = self.bones[name].parent
        return parent if parent in self.bones else None

    def ancestors(self, name: str) -> list[str]:
        """Ancestors from the parent up to the root (cycles in bad data are cut)."""
        seen = {name}
        out: list[str] = []
        parent = self.parent_of(name)
        while parent is not None and parent not in seen:
            out.append(parent)
            seen.add(parent)
            parent = self.parent_of(parent)
        return out

    def descendants(self, name: str) -> set[str]:
        out: set[str] = set()
        stack = list(self.children[name])
        while stack:
            child = stack.pop()
            if child not in out:
                out.add(child)
                stack.extend(self.children[child])
        return out

    def marker_ratio(self, markers: Sequence[_Names]) -> float:
        if not markers:
            return 0.0
        found = 0
        for marker in markers:
            if marker.literals & self.all_keys or (
                marker.regexes and any(marker.matches(k) for k in self.all_keys)
            ):
                found += 1
        return found / len(markers)


# --------------------------------------------------------------------------------------------------
# Neck chain and eyes


def _best_factor(bone: _Bone, names: _Names) -> float:
    """Largest key factor of ``bone`` matching ``names`` (0.0 when none matches)."""
    return max((factor for key, factor in bone.keys if names.matches(key)), default=0.0)


def _word_neck(bone: _Bone) -> bool:
    words = set(bone.parts.words)
    return "neck" in words and not words & _NOT_NECK_WORDS and bone.parts.side is None


def _find_necks(rig: _Rig, head: str, mapping: _Mapping | None) -> list[str]:
    """Neck bones among the ancestors of ``head``, ordered torso -> head."""
    ancestors = [rig.bones[name] for name in rig.ancestors(head)]
    tries: list[_Names] = []
    if mapping is not None:
        tries.append(mapping.necks)
    tries.extend(m.necks for m in _MAPPINGS if m.shared and m is not mapping)
    for names in tries:
        found = [b.name for b in ancestors if _best_factor(b, names) > 0.0]
        if found:
            return found[::-1]
    return [b.name for b in ancestors if _word_neck(b)][::-1]


def _pick(rig: _Rig, names: list[str], below_head: set[str]) -> str:
    return min(names, key=lambda n: (n not in below_head, rig.bones[n].index))


def _find_eyes(rig: _Rig, head: str | None, mapping: _Mapping | None) -> tuple[str, str] | None:
    below_head = rig.descendants(head) if head is not None else set()
    pairs: list[tuple[str, str]] = list(mapping.eyes) if mapping is not None else []
    pairs.extend(p for m in _MAPPINGS if m.shared and m is not mapping for p in m.eyes)
    for left_key, right_key in pairs:
        lefts, rights = rig.by_key.get(left_key, []), rig.by_key.get(right_key, [])
        if lefts and rights:
            return _pick(rig, lefts, below_head), _pick(rig, rights, below_head)
    # Word fallback: a left/right pair of bones with an "eye" word and the same other words.
    groups: dict[tuple[str, ...], dict[str, list[str]]] = {}
    for bone in rig.bones.values():
        words = set(bone.parts.words)
        if bone.parts.side and words & {"eye", "eyeball"} and not words & _NOT_EYE_WORDS:
            groups.setdefault(bone.parts.words, {}).setdefault(bone.parts.side, []).append(bone.name)
    best: tuple[tuple[bool, int, int], tuple[str, str]] | None = None
    for words, sides in groups.items():
        if "l" in sides and "r" in sides:
            left, right = _pick(rig, sides["l"], below_head), _pick(rig, sides["r"], below_head)
            rank = (left not in below_head, len(words), rig.bones[left].index)
            if best is None or rank < best[0]:
                best = (rank, (left, right))
    return best[1] if best else None


# --------------------------------------------------------------------------------------------------
# Scoring


@dataclass
class _Candidate:
    head: str
    score: float
    convention: str
    mapping: _Mapping | None
    necks: list[str] | None = None  # precomputed (structure tier)


def _band(tier: tuple[float, float], quality: float) -> float:
    low, high = tier
    return low + (high - low) * min(max(quality, 0.0), 1.0)


def _namespace_ok(mapping: _Mapping, namespace: str) -> bool:
    if mapping.namespace is None:
        return True
    if mapping.namespace == "":
        return namespace == ""
    return re.search(mapping.namespace, namespace) is not None


def _mapping_candidates(rig: _Rig) -> list[_Candidate]:
    out: list[_Candidate] = []
    for mapping in _MAPPINGS:
        markers = rig.marker_ratio(mapping.markers)
        for bone in rig.bones.values():
            factor = _best_factor(bone, mapping.head)
            if factor <= 0.0:
                continue
            position = min(mapping.head.position(k) for k, _ in bone.keys)
            necks = _find_necks(rig, bone.name, mapping)
            own_necks = any(_best_factor(rig.bones[n], mapping.necks) > 0 for n in necks)
            eyes = _find_eyes(rig, bone.name, mapping)
            own_eyes = eyes is not None and any(
                (canonical(eyes[0]), canonical(eyes[1])) == pair for pair in mapping.eyes
            )
            ns_ok = _namespace_ok(mapping, bone.parts.namespace)
            quality = 0.4 * own_necks + 0.1 * own_eyes + 0.35 * markers + 0.15 * ns_ok
            quality *= mapping.weight * factor * (1.0 - _PATTERN_ORDER_STEP * position)
            tier = TIER_FALLBACK if mapping.fallback else TIER_EXACT
            evidence = (
                mapping.distinctive
                or markers >= _MIN_MARKER_EVIDENCE
                or (mapping.namespace and ns_ok)
            )
            convention = mapping.convention if evidence else "generic"
            out.append(_Candidate(bone.name, _band(tier, quality), convention, mapping))
    return out


def _word_candidates(rig: _Rig) -> list[_Candidate]:
    out: list[_Candidate] = []
    for bone in rig.bones.values():
        words = set(bone.parts.words)
        if "head" not in words or words & _NOT_HEAD_WORDS or bone.parts.side is not None:
            continue
        extra = len(bone.parts.words) - 1
        necks = _find_necks(rig, bone.name, None)
        eyes = _find_eyes(rig, bone.name, None)
        quality = 0.5 * bool(necks) + 0.2 * (eyes is not None) + 0.3 / (1 + extra)
        if words & {"def", "org"}:
            quality *= 0.8
        out.append(_Candidate(bone.name, _band(TIER_WORD, quality), "generic", None))
    return out


def _is_end_like(bone: _Bone) -> bool:
    words = bone.parts.words
    return bool(words) and _END_WORD.fullmatch(words[-1]) is not None


def _structure_candidate(rig: _Rig) -> _Candidate | None:
    """Head from the hierarchy: follow the spine (the unpaired branch) from the root past the last
    branch that splits into a mirrored pair of limbs (arms); the head is the first bone after it that
    branches (face bones) or else the end of that chain (skipping an end/tip bone)."""
    roots = [n for n in rig.bones if rig.parent_of(n) is None]
    if not roots:
        return None
    size: dict[str, int] = {}
    signature: dict[str, int] = {}
    shapes: dict[tuple[int, ...], int] = {}
    # Iterative post-order over the trees below the roots (subtree sizes and shape signatures).
    for root in roots:
        stack: list[tuple[str, bool]] = [(root, False)]
        while stack:
            node, done = stack.pop()
            if done:
                kids = rig.children[node]
                size[node] = 1 + sum(size[k] for k in kids)
                shape = tuple(sorted(signature[k] for k in kids))
                signature[node] = shapes.setdefault(shape, len(shapes))
            elif node not in size:
                stack.append((node, True))
                stack.extend((k, False) for k in rig.children[node] if k not in size)
    node = max(roots, key=lambda n: size[n])
    path = [node]
    last_limb_branch = -1
    while rig.children[node]:
        kids = rig.children[node]
        paired = _mirrored_children(rig, kids, signature)
        if any(size[k] >= 3 for k in paired):
            last_limb_branch = len(path) - 1
        central = [k for k in kids if k not in paired]
        if not central:
            break
        node = max(central, key=lambda n: size[n])
        path.append(node)
    if last_limb_branch < 0:
        return None
    segment = path[last_limb_branch + 1 :]
    head_at = next((i for i, n in enumerate(segment) if len(rig.children[n]) >= 2), None)
    if head_at is None:
        head_at = len(segment) - 1
        if head_at >= 0 and _is_end_like(rig.bones[segment[head_at]]):
            head_at -= 1
    if head_at < 0:
        return None
    head = segment[head_at]
    if set(rig.bones[head].parts.words) & _NOT_HEAD_WORDS:
        return None  # the hierarchy points at a face or helper bone: not plausible
    quality = 0.5 * (head_at > 0) + 0.5 * (len(rig.children[head]) >= 2)
    return _Candidate(head, _band(TIER_STRUCTURE, quality), "structure", None, segment[:head_at])


def _mirrored_children(rig: _Rig, kids: list[str], signature: dict[str, int]) -> set[str]:
    """Children that form left/right pairs, by side markers or, failing that, identical shapes."""
    paired: set[str] = set()
    by_base: dict[tuple[str, ...], dict[str, str]] = {}
    for kid in kids:
        parts = rig.bones[kid].parts
        if parts.side:
            by_base.setdefault(parts.words, {})[parts.side] = kid
    for sides in by_base.values():
        if len(sides) == 2:
            paired.update(sides.values())
    by_shape: dict[int, list[str]] = {}
    for kid in kids:
        if kid not in paired:
            by_shape.setdefault(signature[kid], []).append(kid)
    for group in by_shape.values():
        if len(group) == 2:
            paired.update(group)
    return paired


def _all_candidates(rig: _Rig) -> list[_Candidate]:
    """Every candidate, in tie-break order: mappings (as listed), words, structure."""
    found = _mapping_candidates(rig)
    found += _word_candidates(rig)
    structural = _structure_candidate(rig)
    if structural is not None:
        found.append(structural)
    return found


def _best(candidates: list[_Candidate]) -> _Candidate | None:
    best: _Candidate | None = None
    for cand in candidates:  # stable: earlier mappings and earlier bones win ties
        if best is None or cand.score > best.score + 1e-12:
            best = cand
    return best


# --------------------------------------------------------------------------------------------------
# Public API


def match_head_and_neck(bones: Sequence[BoneInfo]) -> RigMatch:
    """Find the head bone, its neck chain and the eyes of an armature.

    Args:
        bones: every bone of the armature (any order); names must be unique, as in Blender.

    Returns:
        A :class:`RigMatch`. ``head`` is ``None`` (``convention='none'``, ``score=0``) when no bone is
        plausible; ``eyes`` may still be set then.
    """
    rig = _Rig(bones)
    best = _best(_all_candidates(rig))
    if best is None:
        return RigMatch(head=None, eyes=_find_eyes(rig, None, None))
    necks = best.necks if best.necks is not None else _find_necks(rig, best.head, best.mapping)
    return RigMatch(
        head=best.head,
        necks=necks,
        eyes=_find_eyes(rig, best.head, best.mapping),
        convention=best.convention,
        score=round(best.score, 4),
    )


def head_candidates(bones: Sequence[BoneInfo]) -> list[tuple[str, float]]:
    """Every plausible head bone with its best score, best first (for a dropdown or an error message).

    Ties keep the order of :func:`match_head_and_neck`'s preference, so the first entry is the bone it
    would choose. End, helper and face bones never appear.
    """
    rig = _Rig(bones)
    scores: dict[str, float] = {}
    order: dict[str, int] = {}  # position of the candidate that gave the best score
    for position, cand in enumerate(_all_candidates(rig)):
        if cand.head not in scores or cand.score > scores[cand.head] + 1e-12:
            scores[cand.head] = cand.score
            order[cand.head] = position
    ranked = sorted(scores, key=lambda n: (-scores[n], order[n]))
    return [(name, round(scores[name], 4)) for name in ranked]
