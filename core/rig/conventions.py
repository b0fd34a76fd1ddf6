"""The table of known rig naming conventions: head, neck, eye and marker bone names of each rig family
(Rigify, Mixamo, VRM, Ready Player Me, Character Creator, Unreal/MetaHuman, 3ds Max Biped, Rokoko, DAZ,
Auto-Rig Pro, MMD, generic), and the words that rule a bone out as head, eye or neck.

Names are real bone names (canonicalised with :func:`core.rig.names.canonical`) or ``"re:<regex>"`` entries
matched against canonical names. To support a new rig family, add one :class:`Mapping` to :data:`MAPPINGS`
(the first listed wins ties) and a test with its real bone names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .names import canonical


@dataclass(frozen=True)
class Names:
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


def names(*entries: str) -> Names:
    """Real bone names (canonicalised here) or ``"re:<regex on canonical names>"`` entries."""
    literals = [canonical(e) for e in entries if not e.startswith("re:")]
    regexes = tuple(re.compile(e[3:]) for e in entries if e.startswith("re:"))
    order = tuple(e if e.startswith("re:") else canonical(e) for e in entries)
    return Names(frozenset(literals), regexes, order)


@dataclass(frozen=True)
class Mapping:
    """Head/neck/eye names of one rig family.

    ``namespace``: ``None`` = any; ``""`` = the head must have no namespace; otherwise a regular
    expression searched in the head's namespace. ``distinctive``: the head name alone identifies the
    family. ``fallback``: only a last resort (scored in :data:`TIER_FALLBACK`). ``shared``: its neck and
    eye names may also be tried for heads found through other mappings.
    """

    convention: str
    head: Names
    necks: Names
    eyes: tuple[tuple[str, str], ...] = ()
    markers: tuple[Names, ...] = ()
    namespace: str | None = None
    weight: float = 1.0
    distinctive: bool = False
    fallback: bool = False
    shared: bool = True


def eye_pairs(*pairs: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple((canonical(left), canonical(right)) for left, right in pairs)


def markers(*entries: str) -> tuple[Names, ...]:
    return tuple(names(e) for e in entries)


MAPPINGS: tuple[Mapping, ...] = (
    Mapping(
        "vrm",
        head=names("J_Bip_C_Head"),
        necks=names("J_Bip_C_Neck"),
        eyes=eye_pairs(("J_Adj_L_FaceEye", "J_Adj_R_FaceEye"), ("J_Bip_L_Eye", "J_Bip_R_Eye")),
        markers=markers(
            "J_Bip_C_Hips", "J_Bip_C_Spine", "J_Bip_C_Chest", "J_Bip_C_UpperChest",
            "J_Bip_L_Shoulder", "J_Bip_L_UpperArm", "J_Bip_L_UpperLeg", "J_Bip_L_Foot",
        ),
        distinctive=True,
    ),
    Mapping(
        "character_creator",
        head=names("CC_Base_Head"),
        necks=names("CC_Base_NeckTwist01", "CC_Base_NeckTwist02"),
        eyes=eye_pairs(("CC_Base_L_Eye", "CC_Base_R_Eye")),
        markers=markers(
            "CC_Base_BoneRoot", "CC_Base_Hip", "CC_Base_Pelvis", "CC_Base_Waist", "CC_Base_Spine01",
            "CC_Base_Spine02", "CC_Base_FacialBone", "CC_Base_JawRoot",
        ),
        distinctive=True,
    ),
    Mapping(
        "biped",
        head=names(r"re:bip\d*head"),
        necks=names(r"re:bip\d*neck\d*"),
        markers=markers(
            r"re:bip\d*", r"re:bip\d*pelvis", r"re:bip\d*spine", r"re:bip\d*spine1",
            r"re:bip\d*clavicle\.l", r"re:bip\d*thigh\.l", r"re:bip\d*headnub", r"re:bip\d*footsteps",
        ),
        distinctive=True,
    ),
    Mapping(
        "mixamo",
        head=names("Head"),
        necks=names("Neck", "Neck1"),
        eyes=eye_pairs(("LeftEye", "RightEye")),
        markers=markers(
            "Hips", "Spine", "Spine1", "Spine2", "LeftShoulder", "LeftArm", "LeftForeArm", "LeftUpLeg",
            "LeftToeBase", "HeadTop_End",
        ),
        namespace="mixamorig",
    ),
    Mapping(
        "readyplayerme",
        head=names("Head"),
        necks=names("Neck"),
        eyes=eye_pairs(("LeftEye", "RightEye")),
        markers=markers(
            "Hips", "Spine", "Spine1", "Spine2", "LeftUpLeg", "LeftToeBase", "HeadTop_End", "LeftEye",
            "LeftHandThumb1", "LeftToe_End",
        ),
        namespace="",
    ),
    Mapping(
        "rokoko",  # Rokoko Studio "Newton" character (FBX / BVH export)
        head=names("Head"),
        necks=names("Neck"),
        markers=markers(
            "Hips", "Spine1", "Spine2", "Spine3", "Spine4", "LeftThigh", "LeftShin", "LeftToe",
            "LeftForeArm", "RightShin",
        ),
    ),
    Mapping(
        "rokoko",  # Rokoko Studio Live default Blender actor
        head=names("head"),
        necks=names("neck"),
        markers=markers(
            "hip", "spine", "chest", "leftUpLeg", "leftLeg", "leftToe", "leftShoulder", "leftUpperArm",
            "leftLowerArm", "leftIndexProximal",
        ),
    ),
    Mapping(
        "unreal",  # UE4/UE5 mannequin and MetaHuman
        head=names("head"),
        necks=names("neck_01", "neck_02", "neck_03"),
        eyes=eye_pairs(("FACIAL_L_Eye", "FACIAL_R_Eye"), ("eye_l", "eye_r")),
        markers=markers(
            "root", "pelvis", "spine_01", "spine_02", "spine_03", "clavicle_l", "upperarm_l", "thigh_l",
            "calf_l", "ball_l", "ik_foot_root", "ik_hand_root",
        ),
    ),
    Mapping(
        "daz",  # Genesis 3 / Genesis 8
        head=names("head"),
        necks=names("neckLower", "neckUpper"),
        eyes=eye_pairs(("lEye", "rEye")),
        markers=markers(
            "hip", "pelvis", "abdomenLower", "abdomenUpper", "chestLower", "chestUpper", "lCollar",
            "lShldrBend", "lThighBend", "lowerJaw",
        ),
    ),
    Mapping(
        "daz",  # Genesis 9
        head=names("head"),
        necks=names("neck1", "neck2"),
        eyes=eye_pairs(("l_eye", "r_eye")),
        markers=markers(
            "hip", "pelvis", "spine1", "spine2", "spine3", "spine4", "l_shoulder", "l_upperarm",
            "l_thigh", "l_shin",
        ),
    ),
    Mapping(
        "autorigpro",  # controls first: c_head.x is what animators key
        head=names("c_head.x", "head.x"),
        necks=names("c_neck.x", "neck.x", "c_subneck_1.x", "c_subneck_2.x", "subneck_1.x", "subneck_2.x"),
        eyes=eye_pairs(("c_eye.l", "c_eye.r"), ("eye.l", "eye.r")),
        markers=markers(
            "c_traj", "c_pos", "c_root_master.x", "c_root.x", "root.x", "c_spine_01.x", "spine_01.x",
            "head_scale_fix.x", "c_jawbone.x", "c_skull_01.x",
        ),
        distinctive=True,
    ),
    Mapping(
        "rigify",  # generated rig: un-prefixed control bones
        head=names("head"),
        necks=names("neck"),
        eyes=eye_pairs(("eye.L", "eye.R"), ("ORG-eye.L", "ORG-eye.R"), ("DEF-eye.L", "DEF-eye.R")),
        markers=markers(
            "torso", "chest", "hips", "root", "ORG-spine.006", "DEF-spine.006", "MCH-ROT-head",
            "MCH-ROT-neck", "tweak_spine.004", "upper_arm_fk.L",
        ),
    ),
    Mapping(
        "rigify",  # deform (or ORG) bones only, e.g. a game export of a generated rig
        head=names("DEF-spine.006", "ORG-spine.006"),
        necks=names("DEF-spine.004", "DEF-spine.005", "ORG-spine.004", "ORG-spine.005"),
        eyes=eye_pairs(("DEF-eye.L", "DEF-eye.R"), ("ORG-eye.L", "ORG-eye.R"), ("eye.L", "eye.R")),
        markers=markers(
            "DEF-spine", "DEF-spine.001", "DEF-spine.002", "DEF-spine.003", "DEF-upper_arm.L",
            "DEF-thigh.L", "DEF-shin.L", "DEF-jaw",
        ),
        weight=0.7,
        distinctive=True,
        shared=False,
    ),
    Mapping(
        "vrm",  # VRM 1.0 humanoid bone names used as bone names
        head=names("head"),
        necks=names("neck"),
        eyes=eye_pairs(("leftEye", "rightEye")),
        markers=markers(
            "hips", "spine", "chest", "upperChest", "leftUpperArm", "leftLowerArm", "leftUpperLeg",
            "leftLowerLeg", "leftToes", "jaw",
        ),
    ),
    Mapping(
        "mmd",  # MikuMikuDance (Japanese names, as imported by mmd_tools)
        head=names("頭"),
        necks=names("首"),
        eyes=eye_pairs(("左目", "右目")),
        markers=markers("全ての親", "センター", "上半身", "上半身2", "下半身", "左肩", "左腕", "左足"),
        distinctive=True,
    ),
    Mapping(
        "generic",  # common names (Advanced Skeleton "Head_M", joints "head_jnt", ...)
        head=names("Head", "Head_M", "head_jnt", "Head_JNT", "C_Head", "Head_C", "J_Head", "HeadN"),
        necks=names(
            "Neck", "Neck_M", "NeckPart1_M", "NeckPart2_M", "Neck1", "Neck2", "neck_jnt", "C_Neck",
            "Neck_C", "J_Neck", "NeckN", "neck_01", "neck_02",
        ),
        eyes=eye_pairs(("Eye_L", "Eye_R"), ("LeftEye", "RightEye"), ("Eyeball_L", "Eyeball_R")),
        weight=0.9,
    ),
    Mapping(
        "rigify_metarig",  # only when nothing better matches
        head=names("spine.006"),
        necks=names("spine.004", "spine.005"),
        eyes=eye_pairs(("eye.L", "eye.R")),
        markers=markers(
            "spine", "spine.001", "spine.002", "spine.003", "face", "shoulder.L", "upper_arm.L", "pelvis.L",
        ),
        distinctive=True,
        fallback=True,
        shared=False,
    ),
)

# Words that disqualify a bone from being a head found by words (ends, helpers, face parts).
NOT_HEAD_WORDS = frozenset(
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
NOT_EYE_WORDS = frozenset(
    {
        "end", "top", "tip", "nub", "null", "lid", "lids", "eyelid", "brow", "brows", "eyebrow",
        "lash", "lashes", "target", "targets", "look", "lookat", "aim", "track", "ik", "fk", "mch",
        "tweak", "socket", "fix", "parent", "offset", "master", "common", "highlight", "spec",
    }
)
NOT_NECK_WORDS = frozenset(
    {
        "end", "top", "tip", "nub", "null", "ik", "target", "pole", "mch", "tweak", "helper",
        "socket", "fix", "rot",
    }
)
# Last word of an end/tip bone: "end", "nub", "HeadEnd" -> "headend", "headtop", "toetip", ...
END_WORD = re.compile(r"(head|top|tip|toe|finger|bone|jnt)?(end|nub|tip|top|null)")
# Words of the bones the character frame is read from (core/rig/frame.py): the torso below the neck, the
# feet and toes, and helpers whose positions say nothing about the body (controls, targets, ends).
TORSO_WORDS = frozenset(
    {"hips", "hip", "pelvis", "spine", "chest", "upperchest", "torso", "waist", "abdomen", "belly", "cog"}
)
FOOT_WORDS = frozenset({"foot", "ankle"})
TOE_WORDS = frozenset({"toe", "toes", "toebase", "ball"})
HELPER_WORDS = frozenset(
    {
        "end", "top", "tip", "nub", "null", "ik", "target", "pole", "mch", "tweak", "helper", "socket",
        "fix", "parent", "offset", "dummy", "proxy", "stretch", "follow", "pivot", "snap", "roll", "heel",
        "twist", "rot", "scale", "ref", "vis", "ctrl", "ctl", "ctr", "control",
    }
)
