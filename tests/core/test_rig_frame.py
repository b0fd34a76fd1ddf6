"""core.rig.frame: up and forward from bone positions, whatever the bones' directions, with the evidence named."""

import numpy as np
import pytest

from core.rig.frame import RestBone, axis_label, character_frame

# A Z-up character facing -Y (x = its left), leaning forward 8° from hips to head.
LEAN = np.tan(np.radians(8.0))
CHAIN = [("hips", None, 0.95), ("spine", "hips", 1.1), ("chest", "spine", 1.3), ("neck", "chest", 1.45),
         ("head", "neck", 1.58)]


def _pos(x, height, forward=0.0):
    return (x, -(forward + LEAN * (height - 0.95)), height)


def _rig(tail_dir=(1.0, 0.0, 0.0), eyes=False, feet=False, arms=False, names=None):
    """Bones with heads at body positions and tails all along ``tail_dir`` (sideways by default)."""
    names = names or {}
    out = []

    def add(name, parent, head):
        tail = tuple(np.add(head, np.multiply(tail_dir, 0.1)))
        out.append(RestBone(names.get(name, name), names.get(parent, parent) if parent else None, head, tail))

    for name, parent, height in CHAIN:
        add(name, parent, _pos(0.0, height))
    if eyes:
        add("eye.L", "head", _pos(0.03, 1.68, 0.08))
        add("eye.R", "head", _pos(-0.03, 1.68, 0.08))
    for side, sign in (("L", 1.0), ("R", -1.0)):
        if feet:
            add(f"thigh.{side}", "hips", _pos(sign * 0.09, 0.95))
            add(f"foot.{side}", f"thigh.{side}", (sign * 0.09, 0.02, 0.08))
            add(f"toe.{side}", f"foot.{side}", (sign * 0.09, -0.1, 0.01))
        if arms:
            add(f"upper_arm.{side}", "chest", _pos(sign * 0.2, 1.4))
    return out


def test_up_from_the_spine_is_snapped_despite_the_lean_and_sideways_bones():
    frame = character_frame(_rig(eyes=True), "head", ("eye.L", "eye.R"))
    assert np.allclose(frame.up, [0, 0, 1]) and frame.up_kind == "spine"
    assert "'hips' → 'head'" in frame.up_from
    assert np.allclose(frame.forward, [0, -1, 0]) and frame.forward_kind == "eyes"


@pytest.mark.parametrize("evidence", ["eyes", "toes", "sides"])
@pytest.mark.parametrize("tail_dir", [(1, 0, 0), (-1, 0, 0), (0, 0, 1), (0, 1, 0), (0.3, -0.8, 0.5)])
def test_every_kind_of_evidence_whatever_the_bone_directions(evidence, tail_dir):
    rig = _rig(tail_dir, eyes=evidence == "eyes", feet=evidence == "toes", arms=evidence == "sides")
    frame = character_frame(rig, "head", ("eye.L", "eye.R") if evidence == "eyes" else None)
    assert frame.forward_kind == evidence
    assert np.allclose(frame.up, [0, 0, 1]) and np.allclose(frame.forward, [0, -1, 0])


def test_eyes_level_with_the_head_joint_use_left_and_right():
    rig = [b for b in _rig() if b.name != "head"]
    rig.append(RestBone("head", "neck", _pos(0.0, 1.68, 0.08), _pos(0.0, 1.8, 0.08)))
    rig += [RestBone("eye.L", "head", _pos(0.03, 1.68, 0.08), _pos(0.03, 1.68, 0.1)),
            RestBone("eye.R", "head", _pos(-0.03, 1.68, 0.08), _pos(-0.03, 1.68, 0.1))]
    frame = character_frame(rig, "head", ("eye.L", "eye.R"))
    assert "left" in frame.forward_from and np.allclose(frame.forward, [0, -1, 0])


def test_a_y_up_skeleton_in_its_own_space():
    def yup(v):  # Z-up (x, y, z) -> Y-up (x, z, -y): what an FBX/glTF Y-up armature holds
        return (v[0], v[2], -v[1])

    rig = [RestBone(b.name, b.parent, yup(b.head), yup(b.tail)) for b in _rig(feet=True)]
    frame = character_frame(rig, "head")
    assert np.allclose(frame.up, [0, 1, 0]) and np.allclose(frame.forward, [0, 0, 1])
    assert frame.forward_kind == "toes"
    bare = [b for b in rig if "." not in b.name]
    assumed = character_frame(bare, "head")
    assert assumed.forward_kind == "assumed" and np.allclose(assumed.forward, [0, 0, 1])


def test_face_points_in_front_of_the_head():
    rng = np.random.default_rng(1)
    centre = np.array(_pos(0.0, 1.68, 0.04))
    points = centre + rng.normal(scale=0.06, size=(200, 3))
    frame = character_frame(_rig(), "head", face_points=points)
    assert frame.forward_kind == "face" and np.allclose(frame.forward, [0, -1, 0])
    assert character_frame(_rig(), "head").forward_kind == "assumed"


def test_without_torso_names_the_chain_still_gives_up_and_a_lone_head_its_direction():
    names = {"hips": "Bone", "spine": "Bone.001", "chest": "Bone.002", "neck": "Bone.003"}
    frame = character_frame(_rig(names=names), "head")
    assert frame.up_kind == "chain" and np.allclose(frame.up, [0, 0, 1])
    lone = character_frame([RestBone("head", None, (0, 0, 0), (0, 0.2, 0))], "head")
    assert lone.up_kind == "head bone" and np.allclose(lone.up, [0, 1, 0])
    assert np.allclose(lone.forward, [0, 0, 1])


def test_unsnapped_directions_stay_as_they_are_and_labels():
    tilt = np.radians(40.0)
    rotate = np.array([[1, 0, 0], [0, np.cos(tilt), -np.sin(tilt)], [0, np.sin(tilt), np.cos(tilt)]])
    rig = [RestBone(b.name, b.parent, tuple(rotate @ b.head), tuple(rotate @ b.tail)) for b in _rig(eyes=True)]
    frame = character_frame(rig, "head", ("eye.L", "eye.R"))
    expected_up = rotate @ np.array([0.0, -LEAN, 1.0]) / np.hypot(LEAN, 1.0)
    assert np.allclose(frame.up, expected_up, atol=1e-9) and abs(frame.forward @ frame.up) < 1e-12
    assert axis_label([0, 0, 2]) == "+Z" and axis_label([0, -1, 0]) == "-Y"
    assert axis_label(frame.up).startswith("(")
