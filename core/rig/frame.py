"""The character frame of a skeleton: which way is up and which way the character faces, in the skeleton's
own space, read from the rest *positions* of its bones, with a note of the evidence used.

Input: every bone's rest head position (and tail, for one last resort) in one space — armature space in
Blender, any unit — its name and parent; the head bone; the eye bones when known; optionally points of a face
mesh. Bone directions and rolls are not used for the frame (importers without "automatic bone orientation"
make bones point along their local X or Z, sideways or forward), except the head bone's own direction when the
head has no ancestors at all.

* **Up**: from the lowest torso bone (hips, pelvis, spine, chest... by name) among the head's ancestors to the
  head; without torso names, from the head's farthest ancestor; with no ancestor, the head bone's direction.
* **Forward**, the first that is available: the eyes (their midpoint in front of the head joint, or else the
  left → right eye axis); the toes (foot → toe of each leg); the body's left/right bone pairs (character's right
  = right bone - left bone, forward = up x right); a face mesh (its points' centroid in front of the head
  joint); else the usual convention for that up axis (-Y for Z-up rigs, +Z for Y-up ones).
* Both are made perpendicular (up wins) and snapped to the nearest coordinate axis when within
  :data:`SNAP_DEG` of it: rigs are modelled axis-aligned in their own space, and a spine or neck leaning
  forward must not tilt the frame.

Vectors are unit 3-vectors in the input space; the right axis is ``forward x up`` (see
:func:`core.rig.chain.character_basis`). Pure numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from .conventions import FOOT_WORDS, HELPER_WORDS, TOE_WORDS, TORSO_WORDS
from .names import parse_name

#: Up and forward directions within this many degrees of a coordinate axis are snapped onto it.
SNAP_DEG = 30.0
#: A horizontal offset counts as evidence when longer than this fraction of the skeleton's size.
_MIN_FRACTION = 1e-3
_AXES = ("X", "Y", "Z")


@dataclass(frozen=True)
class RestBone:
    """A bone's rest pose as the frame needs it: name, parent name (None for a root), head and tail
    positions in the skeleton's space."""

    name: str
    parent: str | None
    head: tuple[float, float, float]
    tail: tuple[float, float, float]


@dataclass(frozen=True)
class CharacterFrame:
    """Up and forward (unit, perpendicular) in the skeleton's space and the evidence each came from.

    ``up_kind``: ``"spine"``, ``"chain"`` (ancestors without torso names) or ``"head bone"``;
    ``forward_kind``: ``"eyes"``, ``"toes"``, ``"sides"``, ``"face"`` or ``"assumed"``. ``up_from`` and
    ``forward_from`` say it in words, naming the bones.
    """

    up: np.ndarray
    forward: np.ndarray
    up_kind: str
    up_from: str
    forward_kind: str
    forward_from: str


def axis_label(v: npt.ArrayLike, tolerance_deg: float = 1.0) -> str:
    """``"+Z"``, ``"-Y"``... for a direction within ``tolerance_deg`` of an axis, else its rounded components."""
    v = np.asarray(v, dtype=np.float64)
    i = int(np.argmax(np.abs(v)))
    n = float(np.linalg.norm(v))
    if n > 0 and abs(v[i]) / n >= np.cos(np.radians(tolerance_deg)):
        return f"{'+' if v[i] > 0 else '-'}{_AXES[i]}"
    return "(" + ", ".join(f"{c / n:.2f}" for c in v) + ")"


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _snap(v: np.ndarray) -> np.ndarray:
    """``v`` normalised, or the coordinate axis nearest to it when within :data:`SNAP_DEG`."""
    v = _unit(v)
    i = int(np.argmax(np.abs(v)))
    if abs(v[i]) >= np.cos(np.radians(SNAP_DEG)):
        out = np.zeros(3)
        out[i] = np.sign(v[i])
        return out
    return v


def _flat(v: np.ndarray, up: np.ndarray) -> np.ndarray:
    """``v`` without its component along ``up``."""
    return v - up * float(np.dot(v, up))


class _Skeleton:
    def __init__(self, bones: Sequence[RestBone]):
        self.bones = {b.name: b for b in bones}
        self.order = {b.name: i for i, b in enumerate(bones)}
        self.parts = {b.name: parse_name(b.name) for b in bones}
        heads = np.array([b.head for b in bones], dtype=np.float64).reshape(-1, 3)
        self._ancestors: dict[str, list[str]] = {}
        self.size = float(np.linalg.norm(heads.max(axis=0) - heads.min(axis=0))) if len(heads) else 0.0

    def pos(self, name: str) -> np.ndarray:
        return np.array(self.bones[name].head, dtype=np.float64)

    def ancestors(self, name: str) -> list[str]:
        """Parent first, up to the root (cycles in bad data are cut); cached."""
        cached = self._ancestors.get(name)
        if cached is None:
            cached = []
            parent = self.bones[name].parent
            while parent in self.bones and parent not in cached and parent != name:
                cached.append(parent)
                parent = self.bones[parent].parent
            self._ancestors[name] = cached
        return cached

    def words(self, name: str) -> set[str]:
        return set(self.parts[name].words)

    def helper(self, name: str) -> bool:
        return bool(self.words(name) & HELPER_WORDS)

    def significant(self, v: np.ndarray) -> bool:
        return float(np.linalg.norm(v)) > max(_MIN_FRACTION * self.size, 1e-9)


def _up(sk: _Skeleton, head: str) -> tuple[np.ndarray, str, str]:
    """(up, kind, words) from the spine/neck chain below ``head``."""
    ancestors = sk.ancestors(head)
    torso = [a for a in ancestors if sk.words(a) & TORSO_WORDS and not sk.helper(a)]
    for kind, candidates in (("spine", torso[::-1]), ("chain", ancestors[::-1])):
        for base in candidates:  # lowest (nearest the root) first
            v = sk.pos(head) - sk.pos(base)
            if sk.significant(v):
                return _snap(v), kind, f"the spine/neck chain ('{base}' → '{head}')"
    bone = sk.bones[head]
    v = np.array(bone.tail, dtype=np.float64) - np.array(bone.head, dtype=np.float64)
    if np.linalg.norm(v) < 1e-12:
        v = np.array([0.0, 0.0, 1.0])
    return _snap(v), "head bone", f"the head bone '{head}' (no bones below it)"


def _from_eyes(sk: _Skeleton, head: str, eyes: tuple[str, str] | None, up: np.ndarray):
    if eyes is None or eyes[0] not in sk.bones or eyes[1] not in sk.bones:
        return None
    left, right = sk.pos(eyes[0]), sk.pos(eyes[1])
    across = _flat(right - left, up)
    ahead = _flat(0.5 * (left + right) - sk.pos(head), up)
    if sk.significant(ahead) and np.linalg.norm(ahead) > 0.25 * np.linalg.norm(across):
        return ahead, f"the eyes ('{eyes[0]}', '{eyes[1]}') in front of the head"
    if sk.significant(across):
        return np.cross(up, across), f"the eyes ('{eyes[0]}' left, '{eyes[1]}' right)"
    return None


def _from_toes(sk: _Skeleton, up: np.ndarray):
    total = np.zeros(3)
    used: list[str] = []
    for foot in sk.bones:
        if not (sk.parts[foot].side and sk.words(foot) & FOOT_WORDS) or sk.helper(foot):
            continue
        toes = [b for b in sk.bones if foot in sk.ancestors(b) and sk.words(b) & TOE_WORDS and not sk.helper(b)]
        if toes:
            toe = min(toes, key=lambda b: sk.order[b])
            step = _flat(sk.pos(toe) - sk.pos(foot), up)
            if sk.significant(step):
                total += _unit(step)
                used.append(f"'{foot}' → '{toe}'")
    if used and sk.significant(total):
        return total, "the feet (" + ", ".join(used[:2]) + ")"
    return None


def _from_sides(sk: _Skeleton, up: np.ndarray):
    by_words: dict[tuple[str, ...], dict[str, str]] = {}
    for name, parts in sk.parts.items():
        if parts.side and not sk.helper(name):
            by_words.setdefault(parts.words, {}).setdefault(parts.side, name)
    across = np.zeros(3)
    pairs = [(s["l"], s["r"]) for s in by_words.values() if "l" in s and "r" in s]
    for left, right in pairs:
        across += _flat(sk.pos(right) - sk.pos(left), up)
    if pairs and sk.significant(across):
        return np.cross(up, across), f"{len(pairs)} left/right bone pairs (e.g. '{pairs[0][0]}', '{pairs[0][1]}')"
    return None


def _from_face(sk: _Skeleton, head: str, face_points: npt.ArrayLike | None, up: np.ndarray):
    if face_points is None:
        return None
    points = np.asarray(face_points, dtype=np.float64).reshape(-1, 3)
    if len(points) < 8:
        return None
    centroid = points.mean(axis=0)
    radius = float(np.linalg.norm(points - centroid, axis=1).max())
    ahead = _flat(centroid - sk.pos(head), up)
    if np.linalg.norm(ahead) > 0.05 * radius and sk.significant(ahead):
        return ahead, f"the face mesh ({len(points)} points in front of '{head}')"
    return None


def _assumed(up: np.ndarray) -> np.ndarray:
    if abs(up[1]) > max(abs(up[0]), abs(up[2])):
        return np.array([0.0, 0.0, 1.0])  # Y-up (FBX / glTF): faces +Z
    return np.array([0.0, -1.0, 0.0])  # Z-up (Blender) or anything else: faces -Y


def character_frame(
    bones: Sequence[RestBone],
    head: str,
    eyes: tuple[str, str] | None = None,
    face_points: npt.ArrayLike | None = None,
) -> CharacterFrame:
    """Up and forward of the character whose skeleton is ``bones`` (see the module docstring).

    ``head``: the head bone's name (it must be in ``bones``). ``eyes``: (left, right) eye bones, character's
    left first. ``face_points``: (N, 3) positions of a face/head mesh in the same space, or None. Without face
    points the answer is remembered for the last few skeletons (a bake and the eye bake after it ask for the same
    one); its vectors are read-only.
    """
    if face_points is None:
        return _cached_frame(tuple(bones), head, eyes)
    return _character_frame(bones, head, eyes, face_points)


@lru_cache(maxsize=8)
def _cached_frame(bones: tuple[RestBone, ...], head: str, eyes: tuple[str, str] | None) -> CharacterFrame:
    frame = _character_frame(bones, head, eyes, None)
    frame.up.flags.writeable = False
    frame.forward.flags.writeable = False
    return frame


def _character_frame(bones: Sequence[RestBone], head: str, eyes: tuple[str, str] | None,
                     face_points: npt.ArrayLike | None) -> CharacterFrame:
    sk = _Skeleton(bones)
    if head not in sk.bones:
        raise KeyError(f"no bone named '{head}'")
    up, up_kind, up_from = _up(sk, head)
    found = None
    forward_kind = "assumed"
    for kind, evidence in (
        ("eyes", lambda: _from_eyes(sk, head, eyes, up)),
        ("toes", lambda: _from_toes(sk, up)),
        ("sides", lambda: _from_sides(sk, up)),
        ("face", lambda: _from_face(sk, head, face_points, up)),
    ):
        found = evidence()
        if found is not None:
            forward_kind = kind
            break
    if found is None:
        forward = _assumed(up)
        forward_from = "the usual front for that up axis (no eyes, feet, left/right bones or face mesh found)"
    else:
        forward, forward_from = _snap(found[0]), found[1]
    forward = _flat(forward, up)
    if np.linalg.norm(forward) < 1e-6:  # snapped onto up: keep the unsnapped evidence, or the convention
        forward = _flat(found[0] if found is not None else np.array([0.0, -1.0, 0.0]), up)
        if np.linalg.norm(forward) < 1e-6:
            forward = _flat(np.array([1.0, 0.0, 0.0]), up)
    return CharacterFrame(up, _unit(forward), up_kind, up_from, forward_kind, forward_from)
