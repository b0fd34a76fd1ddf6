"""Tests of core.rig (names and matching): canonical names and head/neck/eye detection on realistic rigs.

Rigs are written as text, one bone per line: ``child <- parent`` (a root bone has no arrow). Lines
holding ``{S}`` are written once per side with ``{S}`` replaced by the rig's left and right markers
(``{SU}``: the same marker in upper case, for rigs that mix ``clavicle_l`` and ``FACIAL_L_Eye``).
"""

from __future__ import annotations

import pytest

from core.rig.matching import (
    TIER_EXACT,
    TIER_FALLBACK,
    TIER_STRUCTURE,
    TIER_WORD,
    head_candidates,
    match_head_and_neck,
)
from core.rig.names import BoneInfo, RigMatch, canonical, parse_name


def rig(text: str, sides: tuple[str, str] = ("L", "R")) -> list[BoneInfo]:
    """Bones from ``child <- parent`` lines; ``{S}``/``{SU}`` lines are expanded for both sides."""
    bones: list[BoneInfo] = []
    for raw in text.strip().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        for side in sides if "{S" in line else ("",):
            expanded = line.replace("{SU}", side.upper()).replace("{S}", side)
            if " <- " in expanded:
                name, parent = expanded.split(" <- ")
                bones.append(BoneInfo(name.strip(), parent.strip()))
            else:
                bones.append(BoneInfo(expanded.strip(), None))
    names = [b.name for b in bones]
    assert len(names) == len(set(names)), "test rig has duplicate names"
    return bones


def ancestors(bones: list[BoneInfo], name: str) -> list[str]:
    parents = {b.name: b.parent for b in bones}
    out = []
    parent = parents[name]
    while parent is not None:
        out.append(parent)
        parent = parents.get(parent)
    return out


def check(
    bones: list[BoneInfo],
    head: str | None,
    necks: list[str],
    eyes: tuple[str, str] | None,
    convention: str,
) -> RigMatch:
    match = match_head_and_neck(bones)
    assert (match.head, match.necks, match.eyes, match.convention) == (head, necks, eyes, convention)
    if head is not None:
        # The neck chain is made of ancestors of the head, ordered torso -> head.
        up = ancestors(bones, head)
        assert all(n in up for n in match.necks)
        assert [n for n in reversed(up) if n in match.necks] == match.necks
        # Input order does not matter.
        again = match_head_and_neck(list(reversed(bones)))
        assert (again.head, again.necks, again.eyes) == (match.head, match.necks, match.eyes)
        assert head_candidates(bones)[0][0] == head
    return match


# --------------------------------------------------------------------------------------------------
# Realistic rigs

RIGIFY_GENERATED = """
root
torso <- root
MCH-torso.parent <- root
hips <- torso
chest <- torso
MCH-pivot <- torso
tweak_spine <- hips
ORG-spine <- tweak_spine
tweak_spine.001 <- MCH-spine.001
MCH-spine.001 <- hips
ORG-spine.001 <- ORG-spine
tweak_spine.002 <- MCH-spine.002
MCH-spine.002 <- chest
ORG-spine.002 <- ORG-spine.001
tweak_spine.003 <- chest
ORG-spine.003 <- ORG-spine.002
MCH-ROT-neck <- ORG-spine.003
neck <- MCH-ROT-neck
MCH-ROT-head <- neck
head <- MCH-ROT-head
MCH-STR-neck <- neck
MCH-spine.005 <- MCH-STR-neck
tweak_spine.004 <- neck
tweak_spine.005 <- MCH-spine.005
ORG-spine.004 <- ORG-spine.003
ORG-spine.005 <- ORG-spine.004
ORG-spine.006 <- ORG-spine.005
DEF-spine <- root
DEF-spine.001 <- DEF-spine
DEF-spine.002 <- DEF-spine.001
DEF-spine.003 <- DEF-spine.002
DEF-spine.004 <- DEF-spine.003
DEF-spine.005 <- DEF-spine.004
DEF-spine.006 <- DEF-spine.005
ORG-face <- ORG-spine.006
MCH-eyes_parent <- ORG-face
eyes <- MCH-eyes_parent
eye.{S} <- eyes
MCH-eye.{S} <- ORG-face
ORG-eye.{S} <- MCH-eye.{S}
DEF-eye.{S} <- ORG-eye.{S}
ORG-ear.{S} <- ORG-face
DEF-ear.{S} <- ORG-ear.{S}
ear.{S} <- ORG-face
ORG-lid.T.{S} <- ORG-face
lid.T.{S} <- ORG-face
brow.T.{S} <- ORG-face
ORG-jaw <- ORG-face
jaw_master <- ORG-face
jaw <- jaw_master
DEF-jaw <- ORG-jaw
nose <- ORG-face
ORG-shoulder.{S} <- ORG-spine.003
shoulder.{S} <- ORG-spine.003
DEF-shoulder.{S} <- ORG-shoulder.{S}
MCH-upper_arm_parent.{S} <- ORG-shoulder.{S}
upper_arm_fk.{S} <- MCH-upper_arm_parent.{S}
forearm_fk.{S} <- upper_arm_fk.{S}
hand_fk.{S} <- forearm_fk.{S}
MCH-upper_arm_ik_swing.{S} <- MCH-upper_arm_parent.{S}
upper_arm_ik.{S} <- MCH-upper_arm_ik_swing.{S}
hand_ik.{S} <- root
upper_arm_ik_target.{S} <- root
ORG-upper_arm.{S} <- ORG-shoulder.{S}
ORG-forearm.{S} <- ORG-upper_arm.{S}
ORG-hand.{S} <- ORG-forearm.{S}
DEF-upper_arm.{S} <- DEF-shoulder.{S}
DEF-forearm.{S} <- DEF-upper_arm.{S}
DEF-hand.{S} <- DEF-forearm.{S}
MCH-thigh_parent.{S} <- hips
thigh_fk.{S} <- MCH-thigh_parent.{S}
shin_fk.{S} <- thigh_fk.{S}
foot_fk.{S} <- shin_fk.{S}
foot_ik.{S} <- root
thigh_ik_target.{S} <- root
ORG-thigh.{S} <- ORG-spine
DEF-thigh.{S} <- DEF-spine
DEF-shin.{S} <- DEF-thigh.{S}
"""

RIGIFY_DEFORM_ONLY = """
root
DEF-spine <- root
DEF-spine.001 <- DEF-spine
DEF-spine.002 <- DEF-spine.001
DEF-spine.003 <- DEF-spine.002
DEF-spine.004 <- DEF-spine.003
DEF-spine.005 <- DEF-spine.004
DEF-spine.006 <- DEF-spine.005
DEF-jaw <- DEF-spine.006
DEF-eye.{S} <- DEF-spine.006
DEF-ear.{S} <- DEF-spine.006
DEF-shoulder.{S} <- DEF-spine.003
DEF-upper_arm.{S} <- DEF-shoulder.{S}
DEF-forearm.{S} <- DEF-upper_arm.{S}
DEF-hand.{S} <- DEF-forearm.{S}
DEF-thigh.{S} <- DEF-spine
DEF-shin.{S} <- DEF-thigh.{S}
DEF-foot.{S} <- DEF-shin.{S}
DEF-toe.{S} <- DEF-foot.{S}
"""

RIGIFY_METARIG = """
spine
spine.001 <- spine
spine.002 <- spine.001
spine.003 <- spine.002
spine.004 <- spine.003
spine.005 <- spine.004
spine.006 <- spine.005
face <- spine.006
nose <- face
lip.T.{S} <- face
jaw <- face
chin <- jaw
ear.{S} <- face
lid.T.{S} <- face
brow.B.{S} <- face
eye.{S} <- face
forehead.{S} <- face
temple.{S} <- face
shoulder.{S} <- spine.003
upper_arm.{S} <- shoulder.{S}
forearm.{S} <- upper_arm.{S}
hand.{S} <- forearm.{S}
breast.{S} <- spine.003
pelvis.{S} <- spine
thigh.{S} <- spine
shin.{S} <- thigh.{S}
foot.{S} <- shin.{S}
toe.{S} <- foot.{S}
heel.02.{S} <- foot.{S}
"""

MIXAMO = """
mixamorig:Hips
mixamorig:Spine <- mixamorig:Hips
mixamorig:Spine1 <- mixamorig:Spine
mixamorig:Spine2 <- mixamorig:Spine1
mixamorig:Neck <- mixamorig:Spine2
mixamorig:Head <- mixamorig:Neck
mixamorig:HeadTop_End <- mixamorig:Head
mixamorig:{S}Eye <- mixamorig:Head
mixamorig:{S}Shoulder <- mixamorig:Spine2
mixamorig:{S}Arm <- mixamorig:{S}Shoulder
mixamorig:{S}ForeArm <- mixamorig:{S}Arm
mixamorig:{S}Hand <- mixamorig:{S}ForeArm
mixamorig:{S}HandThumb1 <- mixamorig:{S}Hand
mixamorig:{S}HandThumb2 <- mixamorig:{S}HandThumb1
mixamorig:{S}HandThumb3 <- mixamorig:{S}HandThumb2
mixamorig:{S}HandThumb4 <- mixamorig:{S}HandThumb3
mixamorig:{S}HandIndex1 <- mixamorig:{S}Hand
mixamorig:{S}HandIndex2 <- mixamorig:{S}HandIndex1
mixamorig:{S}HandIndex3 <- mixamorig:{S}HandIndex2
mixamorig:{S}HandIndex4 <- mixamorig:{S}HandIndex3
mixamorig:{S}UpLeg <- mixamorig:Hips
mixamorig:{S}Leg <- mixamorig:{S}UpLeg
mixamorig:{S}Foot <- mixamorig:{S}Leg
mixamorig:{S}ToeBase <- mixamorig:{S}Foot
mixamorig:{S}Toe_End <- mixamorig:{S}ToeBase
"""

READY_PLAYER_ME = """
Hips
Spine <- Hips
Spine1 <- Spine
Spine2 <- Spine1
Neck <- Spine2
Head <- Neck
HeadTop_End <- Head
{S}Eye <- Head
{S}Shoulder <- Spine2
{S}Arm <- {S}Shoulder
{S}ForeArm <- {S}Arm
{S}Hand <- {S}ForeArm
{S}HandThumb1 <- {S}Hand
{S}HandThumb2 <- {S}HandThumb1
{S}HandThumb3 <- {S}HandThumb2
{S}HandThumb4 <- {S}HandThumb3
{S}HandIndex1 <- {S}Hand
{S}HandIndex2 <- {S}HandIndex1
{S}UpLeg <- Hips
{S}Leg <- {S}UpLeg
{S}Foot <- {S}Leg
{S}ToeBase <- {S}Foot
{S}Toe_End <- {S}ToeBase
"""

VROID_VRM0 = """
Root
J_Bip_C_Hips <- Root
J_Bip_C_Spine <- J_Bip_C_Hips
J_Bip_C_Chest <- J_Bip_C_Spine
J_Bip_C_UpperChest <- J_Bip_C_Chest
J_Bip_C_Neck <- J_Bip_C_UpperChest
J_Bip_C_Head <- J_Bip_C_Neck
J_Adj_{S}_FaceEye <- J_Bip_C_Head
J_Sec_Hair1_01 <- J_Bip_C_Head
J_Sec_Hair2_01 <- J_Sec_Hair1_01
J_Sec_{S}_Bust1 <- J_Bip_C_UpperChest
J_Sec_{S}_Bust2 <- J_Sec_{S}_Bust1
J_Bip_{S}_Shoulder <- J_Bip_C_UpperChest
J_Bip_{S}_UpperArm <- J_Bip_{S}_Shoulder
J_Bip_{S}_LowerArm <- J_Bip_{S}_UpperArm
J_Bip_{S}_Hand <- J_Bip_{S}_LowerArm
J_Bip_{S}_Index1 <- J_Bip_{S}_Hand
J_Bip_{S}_Index2 <- J_Bip_{S}_Index1
J_Bip_{S}_Index3 <- J_Bip_{S}_Index2
J_Bip_{S}_Index3_end <- J_Bip_{S}_Index3
J_Bip_{S}_UpperLeg <- J_Bip_C_Hips
J_Bip_{S}_LowerLeg <- J_Bip_{S}_UpperLeg
J_Bip_{S}_Foot <- J_Bip_{S}_LowerLeg
J_Bip_{S}_ToeBase <- J_Bip_{S}_Foot
J_Bip_{S}_ToeBase_end <- J_Bip_{S}_ToeBase
"""

VRM1_HUMANOID = """
hips
spine <- hips
chest <- spine
upperChest <- chest
neck <- upperChest
head <- neck
jaw <- head
{S}Eye <- head
{S}Shoulder <- upperChest
{S}UpperArm <- {S}Shoulder
{S}LowerArm <- {S}UpperArm
{S}Hand <- {S}LowerArm
{S}IndexProximal <- {S}Hand
{S}IndexIntermediate <- {S}IndexProximal
{S}IndexDistal <- {S}IndexIntermediate
{S}UpperLeg <- hips
{S}LowerLeg <- {S}UpperLeg
{S}Foot <- {S}LowerLeg
{S}Toes <- {S}Foot
"""

CHARACTER_CREATOR = """
CC_Base_BoneRoot
CC_Base_Hip <- CC_Base_BoneRoot
CC_Base_Pelvis <- CC_Base_Hip
CC_Base_{S}_Thigh <- CC_Base_Pelvis
CC_Base_{S}_ThighTwist01 <- CC_Base_{S}_Thigh
CC_Base_{S}_Calf <- CC_Base_{S}_Thigh
CC_Base_{S}_CalfTwist01 <- CC_Base_{S}_Calf
CC_Base_{S}_Foot <- CC_Base_{S}_Calf
CC_Base_{S}_ToeBase <- CC_Base_{S}_Foot
CC_Base_Waist <- CC_Base_Hip
CC_Base_Spine01 <- CC_Base_Waist
CC_Base_Spine02 <- CC_Base_Spine01
CC_Base_NeckTwist01 <- CC_Base_Spine02
CC_Base_NeckTwist02 <- CC_Base_NeckTwist01
CC_Base_Head <- CC_Base_NeckTwist02
CC_Base_FacialBone <- CC_Base_Head
CC_Base_JawRoot <- CC_Base_FacialBone
CC_Base_Tongue01 <- CC_Base_JawRoot
CC_Base_Teeth02 <- CC_Base_JawRoot
CC_Base_UpperJaw <- CC_Base_FacialBone
CC_Base_Teeth01 <- CC_Base_UpperJaw
CC_Base_{S}_Eye <- CC_Base_FacialBone
CC_Base_{S}_Clavicle <- CC_Base_Spine02
CC_Base_{S}_Upperarm <- CC_Base_{S}_Clavicle
CC_Base_{S}_UpperarmTwist01 <- CC_Base_{S}_Upperarm
CC_Base_{S}_Forearm <- CC_Base_{S}_Upperarm
CC_Base_{S}_ForearmTwist01 <- CC_Base_{S}_Forearm
CC_Base_{S}_Hand <- CC_Base_{S}_Forearm
CC_Base_{S}_Index1 <- CC_Base_{S}_Hand
CC_Base_{S}_Breast <- CC_Base_Spine02
"""

METAHUMAN = """
root
pelvis <- root
spine_01 <- pelvis
spine_02 <- spine_01
spine_03 <- spine_02
spine_04 <- spine_03
spine_05 <- spine_04
neck_01 <- spine_05
neck_02 <- neck_01
head <- neck_02
FACIAL_C_FacialRoot <- head
FACIAL_C_Jaw <- FACIAL_C_FacialRoot
FACIAL_C_TeethLower <- FACIAL_C_Jaw
FACIAL_{SU}_Eye <- FACIAL_C_FacialRoot
FACIAL_{SU}_EyelidUpperA <- FACIAL_C_FacialRoot
FACIAL_{SU}_Ear <- FACIAL_C_FacialRoot
FACIAL_C_ForeheadIn <- FACIAL_C_FacialRoot
clavicle_{S} <- spine_05
upperarm_{S} <- clavicle_{S}
upperarm_twist_01_{S} <- upperarm_{S}
lowerarm_{S} <- upperarm_{S}
lowerarm_twist_01_{S} <- lowerarm_{S}
hand_{S} <- lowerarm_{S}
index_01_{S} <- hand_{S}
thigh_{S} <- pelvis
thigh_twist_01_{S} <- thigh_{S}
calf_{S} <- thigh_{S}
foot_{S} <- calf_{S}
ball_{S} <- foot_{S}
ik_foot_root <- root
ik_foot_{S} <- ik_foot_root
ik_hand_root <- root
ik_hand_gun <- ik_hand_root
ik_hand_{S} <- ik_hand_gun
"""

UE4_MANNEQUIN = """
root
pelvis <- root
spine_01 <- pelvis
spine_02 <- spine_01
spine_03 <- spine_02
neck_01 <- spine_03
head <- neck_01
clavicle_{S} <- spine_03
upperarm_{S} <- clavicle_{S}
lowerarm_{S} <- upperarm_{S}
hand_{S} <- lowerarm_{S}
thigh_{S} <- pelvis
calf_{S} <- thigh_{S}
foot_{S} <- calf_{S}
ball_{S} <- foot_{S}
ik_foot_root <- root
ik_hand_root <- root
"""

BIPED = """
Bip01
Bip01 Footsteps <- Bip01
Bip01 Pelvis <- Bip01
Bip01 Spine <- Bip01 Pelvis
Bip01 {S} Thigh <- Bip01 Spine
Bip01 {S} Calf <- Bip01 {S} Thigh
Bip01 {S} Foot <- Bip01 {S} Calf
Bip01 {S} Toe0 <- Bip01 {S} Foot
Bip01 {S} Toe0Nub <- Bip01 {S} Toe0
Bip01 Spine1 <- Bip01 Spine
Bip01 Spine2 <- Bip01 Spine1
Bip01 Neck <- Bip01 Spine2
Bip01 Head <- Bip01 Neck
Bip01 HeadNub <- Bip01 Head
Bip01 {S} Clavicle <- Bip01 Neck
Bip01 {S} UpperArm <- Bip01 {S} Clavicle
Bip01 {S} Forearm <- Bip01 {S} UpperArm
Bip01 {S} Hand <- Bip01 {S} Forearm
Bip01 {S} Finger0 <- Bip01 {S} Hand
Bip01 {S} Finger0Nub <- Bip01 {S} Finger0
"""

BIPED_001_TWO_NECKS = BIPED.replace("Bip01", "Bip001").replace(
    "Bip001 Head <- Bip001 Neck", "Bip001 Neck1 <- Bip001 Neck\nBip001 Head <- Bip001 Neck1"
)

ROKOKO_NEWTON = """
Reference
Hips <- Reference
{S}Thigh <- Hips
{S}Shin <- {S}Thigh
{S}Foot <- {S}Shin
{S}Toe <- {S}Foot
{S}ToeEnd <- {S}Toe
Spine1 <- Hips
Spine2 <- Spine1
Spine3 <- Spine2
Spine4 <- Spine3
Neck <- Spine4
Head <- Neck
HeadEnd <- Head
{S}Shoulder <- Spine4
{S}Arm <- {S}Shoulder
{S}ForeArm <- {S}Arm
{S}Hand <- {S}ForeArm
{S}FingerIndex1 <- {S}Hand
"""

ROKOKO_BLENDER_ACTOR = """
hip
{S}UpLeg <- hip
{S}Leg <- {S}UpLeg
{S}Foot <- {S}Leg
{S}Toe <- {S}Foot
spine <- hip
chest <- spine
{S}Shoulder <- chest
{S}UpperArm <- {S}Shoulder
{S}LowerArm <- {S}UpperArm
{S}Hand <- {S}LowerArm
{S}IndexProximal <- {S}Hand
neck <- chest
head <- neck
"""

DAZ_GENESIS8 = """
hip
pelvis <- hip
{S}ThighBend <- pelvis
{S}ThighTwist <- {S}ThighBend
{S}Shin <- {S}ThighTwist
{S}Foot <- {S}Shin
{S}Toe <- {S}Foot
abdomenLower <- hip
abdomenUpper <- abdomenLower
chestLower <- abdomenUpper
chestUpper <- chestLower
{S}Pectoral <- chestLower
{S}Collar <- chestUpper
{S}ShldrBend <- {S}Collar
{S}ShldrTwist <- {S}ShldrBend
{S}ForearmBend <- {S}ShldrTwist
{S}ForearmTwist <- {S}ForearmBend
{S}Hand <- {S}ForearmTwist
{S}Thumb1 <- {S}Hand
neckLower <- chestUpper
neckUpper <- neckLower
head <- neckUpper
upperTeeth <- head
lowerJaw <- head
lowerTeeth <- lowerJaw
tongue01 <- lowerJaw
{S}Eye <- head
{S}Ear <- head
upperFaceRig <- head
{S}BrowInner <- upperFaceRig
{S}EyelidUpper <- upperFaceRig
lowerFaceRig <- head
{S}LipCorner <- lowerFaceRig
"""

DAZ_GENESIS9 = """
hip
pelvis <- hip
{S}_thigh <- pelvis
{S}_shin <- {S}_thigh
{S}_foot <- {S}_shin
spine1 <- hip
spine2 <- spine1
spine3 <- spine2
spine4 <- spine3
{S}_shoulder <- spine4
{S}_upperarm <- {S}_shoulder
{S}_forearm <- {S}_upperarm
{S}_hand <- {S}_forearm
neck1 <- spine4
neck2 <- neck1
head <- neck2
{S}_eye <- head
{S}_ear <- head
lower_jaw <- head
"""

AUTO_RIG_PRO = """
c_pos
c_traj <- c_pos
c_root_master.x <- c_traj
c_root.x <- c_root_master.x
root.x <- c_root.x
c_spine_01.x <- c_root_master.x
c_spine_02.x <- c_spine_01.x
c_spine_03.x <- c_spine_02.x
c_neck.x <- c_spine_03.x
head_scale_fix.x <- c_neck.x
c_head.x <- head_scale_fix.x
c_skull_01.x <- c_head.x
c_jawbone.x <- c_head.x
c_eye_offset.{S} <- c_head.x
c_eye.{S} <- c_eye_offset.{S}
c_eyelid_top.{S} <- c_eye_offset.{S}
c_eye_target.x <- c_traj
c_eye_target.{S} <- c_eye_target.x
spine_01.x <- root.x
spine_02.x <- spine_01.x
spine_03.x <- spine_02.x
neck.x <- spine_03.x
head.x <- neck.x
jawbone.x <- head.x
c_shoulder.{S} <- c_spine_03.x
c_arm_fk.{S} <- c_shoulder.{S}
c_forearm_fk.{S} <- c_arm_fk.{S}
c_hand_fk.{S} <- c_forearm_fk.{S}
c_hand_ik.{S} <- c_traj
c_thigh_fk.{S} <- c_root.x
c_leg_fk.{S} <- c_thigh_fk.{S}
c_foot_fk.{S} <- c_leg_fk.{S}
c_foot_ik.{S} <- c_traj
"""

ADVANCED_SKELETON = """
Root_M
Spine1_M <- Root_M
Chest_M <- Spine1_M
Neck_M <- Chest_M
NeckPart1_M <- Neck_M
Head_M <- NeckPart1_M
HeadEnd_M <- Head_M
Jaw_M <- Head_M
Eye_{S} <- Head_M
Scapula_{S} <- Chest_M
Shoulder_{S} <- Scapula_{S}
Elbow_{S} <- Shoulder_{S}
Wrist_{S} <- Elbow_{S}
Hip_{S} <- Root_M
Knee_{S} <- Hip_{S}
Ankle_{S} <- Knee_{S}
Toes_{S} <- Ankle_{S}
"""

MMD = """
全ての親
センター <- 全ての親
下半身 <- センター
{S}足 <- 下半身
{S}ひざ <- {S}足
{S}足首 <- {S}ひざ
上半身 <- センター
上半身2 <- 上半身
首 <- 上半身2
頭 <- 首
両目 <- 頭
{S}目 <- 頭
{S}肩 <- 上半身2
{S}腕 <- {S}肩
{S}ひじ <- {S}腕
{S}手首 <- {S}ひじ
"""


# --------------------------------------------------------------------------------------------------
# Conventions


def test_rigify_generated_prefers_control_bones():
    bones = rig(RIGIFY_GENERATED)
    match = check(bones, "head", ["neck"], ("eye.L", "eye.R"), "rigify")
    assert match.score == pytest.approx(1.0)
    ranked = dict(head_candidates(bones))
    assert ranked["DEF-spine.006"] < ranked["head"]
    assert not {"MCH-ROT-head", "tweak_spine.005", "MCH-spine.005", "jaw", "eye.L"} & set(ranked)


def test_rigify_generated_without_control_eyes_uses_org_eyes():
    bones = [b for b in rig(RIGIFY_GENERATED) if b.name not in ("eye.L", "eye.R")]
    check(bones, "head", ["neck"], ("ORG-eye.L", "ORG-eye.R"), "rigify")


def test_rigify_deform_only_export():
    check(
        rig(RIGIFY_DEFORM_ONLY),
        "DEF-spine.006",
        ["DEF-spine.004", "DEF-spine.005"],
        ("DEF-eye.L", "DEF-eye.R"),
        "rigify",
    )


def test_rigify_metarig_is_a_fallback():
    match = check(
        rig(RIGIFY_METARIG), "spine.006", ["spine.004", "spine.005"], ("eye.L", "eye.R"), "rigify_metarig"
    )
    assert TIER_FALLBACK[0] <= match.score <= TIER_FALLBACK[1]


def test_rigify_metarig_loses_to_a_real_head_bone():
    bones = [*rig(RIGIFY_METARIG), BoneInfo("head", "spine.005"), BoneInfo("neck", "spine.004")]
    match = match_head_and_neck(bones)
    assert match.head == "head"


def test_mixamo():
    match = check(
        rig(MIXAMO, ("Left", "Right")),
        "mixamorig:Head",
        ["mixamorig:Neck"],
        ("mixamorig:LeftEye", "mixamorig:RightEye"),
        "mixamo",
    )
    assert match.score == pytest.approx(1.0)
    assert "mixamorig:HeadTop_End" not in dict(head_candidates(rig(MIXAMO, ("Left", "Right"))))


@pytest.mark.parametrize("prefix", ["mixamorig1:", "mixamorig12:", "Armature|mixamorig:", "mixamorig_"])
def test_mixamo_namespace_variants(prefix):
    bones = rig(MIXAMO.replace("mixamorig:", prefix), ("Left", "Right"))
    check(bones, f"{prefix}Head", [f"{prefix}Neck"], (f"{prefix}LeftEye", f"{prefix}RightEye"), "mixamo")


def test_mixamo_without_eyes():
    bones = [b for b in rig(MIXAMO, ("Left", "Right")) if "Eye" not in b.name]
    check(bones, "mixamorig:Head", ["mixamorig:Neck"], None, "mixamo")


def test_ready_player_me():
    check(rig(READY_PLAYER_ME, ("Left", "Right")), "Head", ["Neck"], ("LeftEye", "RightEye"), "readyplayerme")


def test_vroid_vrm0():
    check(
        rig(VROID_VRM0),
        "J_Bip_C_Head",
        ["J_Bip_C_Neck"],
        ("J_Adj_L_FaceEye", "J_Adj_R_FaceEye"),
        "vrm",
    )


def test_vrm0_with_bip_eyes():
    text = VROID_VRM0.replace("J_Adj_{S}_FaceEye", "J_Bip_{S}_Eye")
    check(rig(text), "J_Bip_C_Head", ["J_Bip_C_Neck"], ("J_Bip_L_Eye", "J_Bip_R_Eye"), "vrm")


def test_vrm1_humanoid_names():
    check(rig(VRM1_HUMANOID, ("left", "right")), "head", ["neck"], ("leftEye", "rightEye"), "vrm")


def test_character_creator():
    check(
        rig(CHARACTER_CREATOR),
        "CC_Base_Head",
        ["CC_Base_NeckTwist01", "CC_Base_NeckTwist02"],
        ("CC_Base_L_Eye", "CC_Base_R_Eye"),
        "character_creator",
    )


def test_metahuman():
    check(
        rig(METAHUMAN, ("l", "r")),
        "head",
        ["neck_01", "neck_02"],
        ("FACIAL_L_Eye", "FACIAL_R_Eye"),
        "unreal",
    )


def test_ue4_mannequin_has_no_eyes():
    check(rig(UE4_MANNEQUIN, ("l", "r")), "head", ["neck_01"], None, "unreal")


def test_unreal_game_eyes():
    bones = [*rig(UE4_MANNEQUIN, ("l", "r")), BoneInfo("eye_r", "head"), BoneInfo("eye_l", "head")]
    check(bones, "head", ["neck_01"], ("eye_l", "eye_r"), "unreal")


def test_3ds_max_biped():
    check(rig(BIPED), "Bip01 Head", ["Bip01 Neck"], None, "biped")
    assert "Bip01 HeadNub" not in dict(head_candidates(rig(BIPED)))


def test_3ds_max_biped_001_with_two_neck_links():
    check(rig(BIPED_001_TWO_NECKS), "Bip001 Head", ["Bip001 Neck", "Bip001 Neck1"], None, "biped")


def test_rokoko_newton():
    check(rig(ROKOKO_NEWTON, ("Left", "Right")), "Head", ["Neck"], None, "rokoko")


def test_rokoko_blender_actor():
    check(rig(ROKOKO_BLENDER_ACTOR, ("left", "right")), "head", ["neck"], None, "rokoko")


def test_daz_genesis8():
    check(rig(DAZ_GENESIS8, ("l", "r")), "head", ["neckLower", "neckUpper"], ("lEye", "rEye"), "daz")


def test_daz_genesis9():
    check(rig(DAZ_GENESIS9, ("l", "r")), "head", ["neck1", "neck2"], ("l_eye", "r_eye"), "daz")


def test_auto_rig_pro_prefers_controls():
    bones = rig(AUTO_RIG_PRO, ("l", "r"))
    check(bones, "c_head.x", ["c_neck.x"], ("c_eye.l", "c_eye.r"), "autorigpro")
    ranked = [name for name, _ in head_candidates(bones)]
    assert ranked.index("c_head.x") < ranked.index("head.x")


def test_auto_rig_pro_deform_only():
    bones = [b for b in rig(AUTO_RIG_PRO, ("l", "r")) if not b.name.startswith("c_")]
    bones = [BoneInfo(b.name, b.parent if not (b.parent or "").startswith("c_") else None) for b in bones]
    check(bones, "head.x", ["neck.x"], None, "autorigpro")


def test_advanced_skeleton():
    check(rig(ADVANCED_SKELETON), "Head_M", ["Neck_M", "NeckPart1_M"], ("Eye_L", "Eye_R"), "generic")


def test_mmd_japanese_names():
    check(rig(MMD, ("左", "右")), "頭", ["首"], ("左目", "右目"), "mmd")


def test_plain_head_neck_rig_is_generic():
    bones = rig(
        """
        Armature_Root
        Pelvis <- Armature_Root
        Spine <- Pelvis
        Neck <- Spine
        Head <- Neck
        Eye_{S} <- Head
        """
    )
    match = check(bones, "Head", ["Neck"], ("Eye_L", "Eye_R"), "generic")
    assert TIER_EXACT[0] <= match.score <= TIER_EXACT[1]


# --------------------------------------------------------------------------------------------------
# Case, separators, duplicates, word and structure tiers


@pytest.mark.parametrize(
    ("head", "neck"),
    [("HEAD", "NECK"), ("head", "neck"), ("Head", "Neck"), ("He_ad", "Ne-ck"), (" Head ", "neck ")],
)
def test_case_and_separators_are_ignored(head, neck):
    bones = [BoneInfo("Hips"), BoneInfo("Spine", "Hips"), BoneInfo(neck, "Spine"), BoneInfo(head, neck)]
    match = match_head_and_neck(bones)
    assert (match.head, match.necks) == (head, [neck])
    assert match.score >= TIER_EXACT[0]


def test_blender_duplicate_suffix_is_tolerated_with_a_penalty():
    plain = [BoneInfo("Hips"), BoneInfo("Neck", "Hips"), BoneInfo("Head", "Neck")]
    dup = [BoneInfo("Hips"), BoneInfo("Neck.001", "Hips"), BoneInfo("Head.001", "Neck.001")]
    a, b = match_head_and_neck(plain), match_head_and_neck(dup)
    assert (b.head, b.necks) == ("Head.001", ["Neck.001"])
    assert b.score < a.score


def test_plain_name_beats_duplicate():
    bones = [
        BoneInfo("Hips"),
        BoneInfo("Neck", "Hips"),
        BoneInfo("Head.001", "Neck"),
        BoneInfo("Head", "Neck"),
    ]
    assert match_head_and_neck(bones).head == "Head"


def test_word_tier_for_unusual_names():
    bones = [
        BoneInfo("root"),
        BoneInfo("torso-bone", "root"),
        BoneInfo("neck-bone", "torso-bone"),
        BoneInfo("head-bone", "neck-bone"),
        BoneInfo("head-bone_end", "head-bone"),
    ]
    match = check(bones, "head-bone", ["neck-bone"], None, "generic")
    assert TIER_WORD[0] <= match.score <= TIER_WORD[1]


def test_word_tier_prefers_short_names_and_skips_helpers():
    bones = [
        BoneInfo("root"),
        BoneInfo("MCH-head_socket", "root"),
        BoneInfo("head_ik_target", "root"),
        BoneInfo("char_neck_jnt", "root"),
        BoneInfo("char_head_jnt", "char_neck_jnt"),
        BoneInfo("char_head_jnt_end", "char_head_jnt"),
        BoneInfo("char_head_twist_jnt", "char_head_jnt"),
    ]
    match = match_head_and_neck(bones)
    assert (match.head, match.necks, match.convention) == ("char_head_jnt", ["char_neck_jnt"], "generic")
    assert set(dict(head_candidates(bones))) <= {"char_head_jnt"}


def test_structure_fallback_without_any_head_name():
    bones = rig(
        """
        pelvis
        thigh.{S} <- pelvis
        shin.{S} <- thigh.{S}
        foot.{S} <- shin.{S}
        lumbar <- pelvis
        thorax <- lumbar
        clavicle.{S} <- thorax
        arm.{S} <- clavicle.{S}
        forearm.{S} <- arm.{S}
        hand.{S} <- forearm.{S}
        cervical <- thorax
        skull <- cervical
        eyeball.{S} <- skull
        mandible <- skull
        """
    )
    match = check(bones, "skull", ["cervical"], ("eyeball.L", "eyeball.R"), "structure")
    assert TIER_STRUCTURE[0] <= match.score <= TIER_STRUCTURE[1]


def test_structure_fallback_with_unnamed_bones_uses_shapes():
    # Bone names as Blender makes them; legs and arms are recognised as mirrored pairs by shape.
    bones = [
        BoneInfo("Bone"),
        BoneInfo("Bone.001", "Bone"),
        BoneInfo("Bone.002", "Bone.001"),
        BoneInfo("Bone.003", "Bone.002"),
        BoneInfo("Bone.004", "Bone"),
        BoneInfo("Bone.005", "Bone.004"),
        BoneInfo("Bone.006", "Bone.005"),
        BoneInfo("Bone.007", "Bone"),  # spine
        BoneInfo("Bone.008", "Bone.007"),  # chest
        BoneInfo("Bone.009", "Bone.008"),  # arm 1: upper arm, forearm, hand, finger
        BoneInfo("Bone.010", "Bone.009"),
        BoneInfo("Bone.011", "Bone.010"),
        BoneInfo("Bone.012", "Bone.011"),
        BoneInfo("Bone.013", "Bone.008"),  # arm 2
        BoneInfo("Bone.014", "Bone.013"),
        BoneInfo("Bone.015", "Bone.014"),
        BoneInfo("Bone.016", "Bone.015"),
        BoneInfo("Bone.017", "Bone.008"),  # neck
        BoneInfo("Bone.018", "Bone.017"),  # head
        BoneInfo("Bone.018_end", "Bone.018"),  # tip
    ]
    match = check(bones, "Bone.018", ["Bone.017"], None, "structure")
    assert match.score <= TIER_STRUCTURE[1]


def test_structure_head_with_face_branches():
    bones = [
        BoneInfo("a"),
        BoneInfo("b", "a"),  # leg 1
        BoneInfo("c", "b"),
        BoneInfo("c2", "c"),
        BoneInfo("d", "a"),  # leg 2
        BoneInfo("e", "d"),
        BoneInfo("e2", "e"),
        BoneInfo("f", "a"),  # spine
        BoneInfo("arm1", "f"),
        BoneInfo("forearm1", "arm1"),
        BoneInfo("hand1", "forearm1"),
        BoneInfo("arm2", "f"),
        BoneInfo("forearm2", "arm2"),
        BoneInfo("hand2", "forearm2"),
        BoneInfo("g", "f"),  # neck
        BoneInfo("h", "g"),  # head
        BoneInfo("i", "h"),  # face bones
        BoneInfo("j", "h"),
        BoneInfo("k", "h"),
    ]
    check(bones, "h", ["g"], None, "structure")


# --------------------------------------------------------------------------------------------------
# Negative cases


def test_empty_armature():
    match = match_head_and_neck([])
    assert match == RigMatch(head=None, necks=[], eyes=None, convention="none", score=0.0)
    assert head_candidates([]) == []


def test_simple_chain_has_no_head():
    bones = [BoneInfo("Bone"), BoneInfo("Bone.001", "Bone"), BoneInfo("Bone.002", "Bone.001")]
    assert match_head_and_neck(bones).head is None


@pytest.mark.parametrize(
    "names",
    [
        ["HeadTop_End"],
        ["root", "HeadTop_End", "head_nub", "Bip01 HeadNub", "headEnd", "head_end", "Head_Tip"],
        ["mixamorig:HeadTop_End", "mixamorig:LeftEye", "mixamorig:RightEye"],
        ["jaw", "lowerJaw", "head_jaw", "eye.L", "eye.R", "lid.T.L", "brow.T.L", "ear.L", "head_twist"],
        ["MCH-ROT-head", "MCH-head_socket", "tweak_head", "head_ik", "head_target", "head_look"],
    ],
)
def test_end_face_and_helper_bones_are_never_heads(names):
    bones = [BoneInfo(names[0])] + [BoneInfo(n, names[0]) for n in names[1:]]
    match = match_head_and_neck(bones)
    assert match.head is None or (match.convention == "structure" and match.score <= TIER_STRUCTURE[1])
    assert not set(dict(head_candidates(bones))) & (set(names) - {match.head})


def test_end_bone_does_not_win_structurally():
    bones = [BoneInfo("root"), BoneInfo("HeadTop_End", "root")]
    assert match_head_and_neck(bones).head is None


def test_eye_bones_need_both_sides():
    bones = [*rig(UE4_MANNEQUIN, ("l", "r")), BoneInfo("eye_l", "head")]
    assert match_head_and_neck(bones).eyes is None


def test_cycles_and_dangling_parents_do_not_hang():
    bones = [
        BoneInfo("a", "b"),
        BoneInfo("b", "a"),
        BoneInfo("Neck", "missing"),
        BoneInfo("Head", "Neck"),
    ]
    match = match_head_and_neck(bones)
    assert (match.head, match.necks) == ("Head", ["Neck"])


def test_duplicate_names_keep_first():
    bones = [BoneInfo("Neck"), BoneInfo("Head", "Neck"), BoneInfo("Head", None)]
    assert match_head_and_neck(bones).necks == ["Neck"]


# --------------------------------------------------------------------------------------------------
# Names and candidates


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("mixamorig:LeftEye", "eye.l"),
        ("LeftEye", "eye.l"),
        ("eye.L", "eye.l"),
        ("eye_l", "eye.l"),
        ("lEye", "eye.l"),
        ("EyeRight", "eye.r"),
        ("LEFTEYE", "eye.l"),
        ("J_Bip_L_Eye", "jbipeye.l"),
        ("J_Adj_R_FaceEye", "jadjfaceeye.r"),
        ("CC_Base_L_Eye", "ccbaseeye.l"),
        ("FACIAL_R_Eye", "facialeye.r"),
        ("ORG-eye.L", "orgeye.l"),
        ("Bip01 Head", "bip01head"),
        ("Bip01 L Clavicle", "bip01clavicle.l"),
        ("c_head.x", "cheadx"),
        ("HeadTop_End", "headtopend"),
        ("DEF-spine.006", "defspine006"),
        ("Armature|mixamorig:Neck", "neck"),
        ("mixamorigHead", "head"),
        ("neck_01", "neck01"),
        ("Head_M", "headm"),
        ("頭", "頭"),
        ("L", "l"),
    ],
)
def test_canonical(name, expected):
    assert canonical(name) == expected


def test_parse_name_parts():
    parts = parse_name("mixamorig1:LeftHandIndex1")
    assert (parts.namespace, parts.words, parts.side) == ("mixamorig1", ("hand", "index", "1"), "l")
    assert parse_name("Armature|Head").namespace == "armature"
    assert parse_name("Head").namespace == ""


def test_head_candidates_are_ranked_and_unique():
    bones = [*rig(RIGIFY_GENERATED), BoneInfo("Head.001", "neck"), BoneInfo("head-proxy-bone", "neck")]
    ranked = head_candidates(bones)
    names = [n for n, _ in ranked]
    scores = [s for _, s in ranked]
    assert names[0] == "head"
    assert len(names) == len(set(names))
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert {"Head.001", "DEF-spine.006"} <= set(names)


def test_performance_on_a_large_rig():
    import time

    bones = rig(RIGIFY_GENERATED)
    bones += [BoneInfo(f"ORG-hair.{i:03d}", "ORG-face") for i in range(800)]
    start = time.perf_counter()
    match = match_head_and_neck(bones)
    elapsed = time.perf_counter() - start
    assert match.head == "head"
    assert elapsed < 1.0


def test_remembered_matches_are_copies():
    """A repeated match (the eye bake after the head bake) gives the same answer, and changing one answer's neck
    list does not change the next one's."""
    bones = [BoneInfo("spine"), BoneInfo("neck", "spine"), BoneInfo("head", "neck"), BoneInfo("eye.L", "head"),
             BoneInfo("eye.R", "head")]
    first = match_head_and_neck(bones)
    first.necks.append("spine")
    again = match_head_and_neck(list(bones))
    assert again.necks == ["neck"] and again.head == "head" and again.eyes == ("eye.L", "eye.R")
    assert again is not first
