"""Bone names taken apart: namespace, lower-case words and an L/R side (:func:`parse_name`), and the
*canonical* form the rig matcher compares (:func:`canonical`), plus the records the matcher reads and
returns (:class:`BoneInfo`, :class:`RigMatch`).

Canonical names drop the namespace, split the name into lower-case words (separators and camelCase), pull
an L/R side marker out of the words and append it as ``.l`` / ``.r``, and join the words::

    "mixamorig:LeftEye" -> "eye.l"      "J_Bip_L_Eye" -> "jbipeye.l"    "eye.L" -> "eye.l"
    "Bip01 Head"        -> "bip01head"  "c_head.x"    -> "cheadx"       "HeadTop_End" -> "headtopend"

Pure Python; the Blender side fills :class:`BoneInfo` from ``armature.data.bones``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

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
DUPLICATE_SUFFIX = re.compile(r"\.\d{3,}$")
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


@lru_cache(maxsize=16384)
def parse_name(name: str) -> NameParts:
    """Split a bone name into namespace, lower-case words and L/R side.

    The namespace is everything up to the last ``:`` or ``|`` (``"mixamorig1:Head"``,
    ``"Armature|Head"``), or a leading ``mixamorig`` word written without a colon
    (``"mixamorigHead"``). Words are split at separators (space ``_ - . : |``), camelCase and digit
    boundaries. One side word (``L``, ``R``, ``Left``, ``Right``, anywhere, case-insensitive) becomes
    the side; so does a ``left``/``right`` prefix glued to a word (``"LEFTEYE"``). Results are remembered (a
    pure function of the name; :class:`NameParts` is immutable): a 700-bone rig is parsed once per session.
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
