"""Find the head bone, its neck chain and the eye bones of an armature from bone names and parents.

Names are first reduced to a *canonical* form (:func:`canonical`): the namespace is dropped, the
name is split into lower-case words (separators and camelCase), an L/R side marker is pulled out of
the words and appended as ``.l`` / ``.r``, and the words are joined without separators (:mod:`core.rig.names`).

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
from dataclasses import dataclass, replace
from functools import lru_cache

from .conventions import END_WORD, MAPPINGS, NOT_EYE_WORDS, NOT_HEAD_WORDS, NOT_NECK_WORDS, Mapping, Names
from .names import DUPLICATE_SUFFIX, BoneInfo, NameParts, RigMatch, canonical, parse_name

__all__ = [
    "TIER_EXACT",
    "TIER_FALLBACK",
    "TIER_STRUCTURE",
    "TIER_WORD",
    "BoneInfo",
    "RigMatch",
    "head_candidates",
    "match_head_and_neck",
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
    stripped = DUPLICATE_SUFFIX.sub("", name)
    if stripped != name:
        keys.append((canonical(stripped), _DUPLICATE_FACTOR))
    return tuple(keys)


class _Rig:
    """Bones indexed by name, with parent/children links (first occurrence of a name wins)."""

    def __init__(self, bones: Iterable[BoneInfo]):
        self.bones: dict[str, _Bone] = {}
        for info in bones:
            if info.name in self.bones:
                continue
            parts = parse_name(info.name)
            self.bones[info.name] = _Bone(
                info.name, info.parent, len(self.bones), parts, _bone_keys(info.name, parts)
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

    def marker_ratio(self, markers: Sequence[Names]) -> float:
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


def _best_factor(bone: _Bone, names: Names) -> float:
    """Largest key factor of ``bone`` matching ``names`` (0.0 when none matches)."""
    return max((factor for key, factor in bone.keys if names.matches(key)), default=0.0)


def _word_neck(bone: _Bone) -> bool:
    words = set(bone.parts.words)
    return "neck" in words and not words & NOT_NECK_WORDS and bone.parts.side is None


def _find_necks(rig: _Rig, head: str, mapping: Mapping | None) -> list[str]:
    """Neck bones among the ancestors of ``head``, ordered torso -> head."""
    ancestors = [rig.bones[name] for name in rig.ancestors(head)]
    tries: list[Names] = []
    if mapping is not None:
        tries.append(mapping.necks)
    tries.extend(m.necks for m in MAPPINGS if m.shared and m is not mapping)
    for names in tries:
        found = [b.name for b in ancestors if _best_factor(b, names) > 0.0]
        if found:
            return found[::-1]
    return [b.name for b in ancestors if _word_neck(b)][::-1]


def _pick(rig: _Rig, names: list[str], below_head: set[str]) -> str:
    return min(names, key=lambda n: (n not in below_head, rig.bones[n].index))


def _find_eyes(rig: _Rig, head: str | None, mapping: Mapping | None) -> tuple[str, str] | None:
    below_head = rig.descendants(head) if head is not None else set()
    pairs: list[tuple[str, str]] = list(mapping.eyes) if mapping is not None else []
    pairs.extend(p for m in MAPPINGS if m.shared and m is not mapping for p in m.eyes)
    for left_key, right_key in pairs:
        lefts, rights = rig.by_key.get(left_key, []), rig.by_key.get(right_key, [])
        if lefts and rights:
            return _pick(rig, lefts, below_head), _pick(rig, rights, below_head)
    # Word fallback: a left/right pair of bones with an "eye" word and the same other words.
    groups: dict[tuple[str, ...], dict[str, list[str]]] = {}
    for bone in rig.bones.values():
        word_set = set(bone.parts.words)
        if bone.parts.side and word_set & {"eye", "eyeball"} and not word_set & NOT_EYE_WORDS:
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
    mapping: Mapping | None
    necks: list[str] | None = None  # precomputed (structure tier)


def _band(tier: tuple[float, float], quality: float) -> float:
    low, high = tier
    return low + (high - low) * min(max(quality, 0.0), 1.0)


def _namespace_ok(mapping: Mapping, namespace: str) -> bool:
    if mapping.namespace is None:
        return True
    if mapping.namespace == "":
        return namespace == ""
    return re.search(mapping.namespace, namespace) is not None


def _mapping_candidates(rig: _Rig) -> list[_Candidate]:
    out: list[_Candidate] = []
    for mapping in MAPPINGS:
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
        if "head" not in words or words & NOT_HEAD_WORDS or bone.parts.side is not None:
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
    return bool(words) and END_WORD.fullmatch(words[-1]) is not None


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
    if set(rig.bones[head].parts.words) & NOT_HEAD_WORDS:
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

    The answer depends only on ``bones``; the last few are remembered (a bake and the eye bake that follows it
    match the same armature), and each call returns its own copy.
    """
    found = _match(tuple(bones))
    return replace(found, necks=list(found.necks))


@lru_cache(maxsize=16)
def _match(bones: tuple[BoneInfo, ...]) -> RigMatch:
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
