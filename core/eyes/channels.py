"""What a rig's eyes are driven by: the blink and gaze shape-key names of the rig families, the eyelid bone
names, and the per-frame values an :class:`~core.eyes.track.EyeTrack` gives each of them.

Shape-key values are 0..1: blink keys take the lid closure; gaze keys take the eye angle divided by the eye's
range (``eye_range_deg``: horizontal, down, up, degrees). "In"/"out" are toward/away from the nose: the left
eye looks out when it turns to the character's left (yaw > 0). Lid bones get angles in degrees about the
character's right axis (> 0 raises the lid): the lid follows the eye's vertical gaze and closes by
``lid_close_deg`` at a full blink. Names are compared without case, separators or a namespace prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..rig.names import parse_name
from .track import EyeTrack

#: Channels a shape key can drive: blink per eye or both, and gaze per eye (up, down, in, out) or both eyes
#: together (up, down, left, right: the character's left/right).
CHANNELS = (
    "blink_l", "blink_r", "blink",
    "up_l", "down_l", "in_l", "out_l", "up_r", "down_r", "in_r", "out_r",
    "up", "down", "left", "right",
)

#: family -> channel -> accepted shape-key names.
SHAPE_KEY_FAMILIES: dict[str, dict[str, tuple[str, ...]]] = {
    "arkit": {  # Apple ARKit's 52 blend shapes (also Ready Player Me, MetaHuman-style ARKit exports)
        "blink_l": ("eyeBlinkLeft", "eyeBlink_L"), "blink_r": ("eyeBlinkRight", "eyeBlink_R"),
        "up_l": ("eyeLookUpLeft", "eyeLookUp_L"), "down_l": ("eyeLookDownLeft", "eyeLookDown_L"),
        "in_l": ("eyeLookInLeft", "eyeLookIn_L"), "out_l": ("eyeLookOutLeft", "eyeLookOut_L"),
        "up_r": ("eyeLookUpRight", "eyeLookUp_R"), "down_r": ("eyeLookDownRight", "eyeLookDown_R"),
        "in_r": ("eyeLookInRight", "eyeLookIn_R"), "out_r": ("eyeLookOutRight", "eyeLookOut_R"),
    },
    "vrm": {  # VRM 1.0 expressions, VRM 0.x blend shape presets, VRoid Studio mesh keys
        "blink": ("blink", "Fcl_EYE_Close"), "blink_l": ("blinkLeft", "Blink_L", "Fcl_EYE_Close_L"),
        "blink_r": ("blinkRight", "Blink_R", "Fcl_EYE_Close_R"),
        "up": ("lookUp",), "down": ("lookDown",), "left": ("lookLeft",), "right": ("lookRight",),
    },
    "character_creator": {  # Character Creator 3/4 (CC_Base_Body)
        "blink_l": ("Eye_Blink_L",), "blink_r": ("Eye_Blink_R",), "blink": ("Eye_Blink",),
        "up_l": ("Eye_L_Look_Up",), "down_l": ("Eye_L_Look_Down",), "out_l": ("Eye_L_Look_L",),
        "in_l": ("Eye_L_Look_R",), "up_r": ("Eye_R_Look_Up",), "down_r": ("Eye_R_Look_Down",),
        "in_r": ("Eye_R_Look_L",), "out_r": ("Eye_R_Look_R",),
    },
    "generic": {
        "blink_l": ("Blink_L", "Blink.L", "BlinkLeft", "EyeBlink_L", "eyes_closed_L"),
        "blink_r": ("Blink_R", "Blink.R", "BlinkRight", "EyeBlink_R", "eyes_closed_R"),
        "blink": ("Blink", "EyesClosed", "Eyes_Closed", "eyes_close", "Blink_Both"),
    },
}


def _key(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.split(":")[-1].lower())


@dataclass(frozen=True)
class ShapeKeyMatch:
    """Shape keys found on one mesh: ``keys`` channel -> key name, ``family`` the first family that matched."""

    keys: dict[str, str]
    family: str

    @property
    def has_blink(self) -> bool:
        return any(c in self.keys for c in ("blink_l", "blink_r", "blink"))


def match_shape_keys(names: list[str], custom_blink: str = "") -> ShapeKeyMatch | None:
    """The eye shape keys among ``names`` (a mesh's shape keys), or None when there are none.

    ``custom_blink``: a user-chosen key that closes both eyes (wins over the tables).
    """
    by_key = {_key(n): n for n in names}

    def hits(channels: dict[str, tuple[str, ...]]) -> int:
        return sum(any(_key(c) in by_key for c in candidates) for candidates in channels.values())

    ranked = sorted(SHAPE_KEY_FAMILIES.items(), key=lambda item: -hits(item[1]))  # stable: table order on ties
    keys: dict[str, str] = {}
    family = ranked[0][0] if hits(ranked[0][1]) else ""
    for _fam, channels in ranked:
        for channel, candidates in channels.items():
            found = next((by_key[_key(c)] for c in candidates if _key(c) in by_key), None)
            if channel not in keys and found is not None:
                keys[channel] = found
    if custom_blink:
        if custom_blink not in names:
            return None
        keys = {c: k for c, k in keys.items() if not c.startswith("blink")}
        keys["blink"] = custom_blink
        family = family or "custom"
    if {"blink_l", "blink_r"} <= keys.keys():
        keys.pop("blink", None)
    return ShapeKeyMatch(keys, family) if keys else None


def shape_key_values(eyes: EyeTrack, match: ShapeKeyMatch,
                     eye_range_deg: tuple[float, float, float]) -> dict[str, np.ndarray]:
    """Key name -> (N,) values in 0..1 for every matched key."""
    horizontal, down, up = (float(v) for v in eye_range_deg)
    yaw, pitch = eyes.yaw, eyes.pitch
    mean_yaw, mean_pitch = yaw.mean(axis=1), pitch.mean(axis=1)
    source = {
        "blink_l": eyes.blink[:, 0], "blink_r": eyes.blink[:, 1], "blink": eyes.blink.mean(axis=1),
        "up_l": pitch[:, 0] / up, "down_l": -pitch[:, 0] / down, "out_l": yaw[:, 0] / horizontal,
        "in_l": -yaw[:, 0] / horizontal, "up_r": pitch[:, 1] / up, "down_r": -pitch[:, 1] / down,
        "out_r": -yaw[:, 1] / horizontal, "in_r": yaw[:, 1] / horizontal,
        "up": mean_pitch / up, "down": -mean_pitch / down, "left": mean_yaw / horizontal,
        "right": -mean_yaw / horizontal,
    }
    return {name: np.clip(source[channel], 0.0, 1.0) for channel, name in match.keys.items()}


#: Words that make a bone an upper eyelid (with a "lid"/"eyelid" word and a side).
_UPPER_WORDS = {"upper", "up", "top", "t", "upr", "u"}


def find_upper_lids(bone_names: list[str]) -> tuple[str, str] | None:
    """(left, right) upper-eyelid bones, e.g. Rigify ``lid.T.L``, ``CC_Base_L_UpperLid``, ``UpperLid_L``, or None.

    A bone qualifies with a lid word (``lid``, ``eyelid``, ``upperlid``), an upper word (``upper``, ``top``,
    ``T``) unless the lid word includes it, an L/R side, and no ``end``/``tip``/numbered-segment suffix.
    """
    found: dict[str, list[str]] = {"l": [], "r": []}
    for name in bone_names:
        parts = parse_name(name)
        words = set(parts.words)
        side = parts.side
        if side not in found or words & {"end", "tip", "nub", "b", "bottom", "lower", "lo", "low"}:
            continue
        lid = words & {"lid", "eyelid", "lids"} or any(w in ("upperlid", "uplid", "upperlids") for w in words)
        upper = words & _UPPER_WORDS or any(w.startswith("upper") for w in words)
        if lid and upper and not re.search(r"\.\d{3}$", name):
            found[side].append(name)
    if found["l"] and found["r"]:
        return min(found["l"], key=len), min(found["r"], key=len)
    return None


def upper_lid_angles(eyes: EyeTrack, lid_follow: float, lid_close_deg: float) -> np.ndarray:
    """(N, 2) upper-lid rotation in degrees about the character's right axis (> 0 raises the lid)."""
    return eyes.upper_lid(lid_follow) - lid_close_deg * eyes.blink

