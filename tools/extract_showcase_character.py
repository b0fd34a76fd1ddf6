"""Cut the showcase character (samples/character/) out of MakeHuman's CC0 base mesh.

    python tools/extract_showcase_character.py base.obj

``base.obj`` is MakeHuman's base mesh (``base/3dobjs/base.obj`` of github.com/markandre13/makehuman.js,
assets licensed CC0 1.0 there, LICENSE.ASSETS.md; the same mesh as makehumancommunity/makehuman-assets).
Writes ``samples/character/human_bust.obj``: the body above the waist (face with eyelids, lips, ears) and the
two eyeballs, converted from MakeHuman's decimetres, Y up, facing +Z to Blender's metres, Z up, facing -Y,
with groups ``body``, ``eye.L``, ``eye.R``; and ``samples/character/human_bust_joints.json``: the joint
positions (MakeHuman's ``joint-*`` helper groups, averaged) the armature is built from.
"""

from __future__ import annotations

import collections
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "samples" / "character"
CUT_Y_DM = 3.9  # keep faces whose every vertex is above this height (MakeHuman decimetres): chest and up
JOINTS = ("spine-1", "neck", "head", "head-2", "l-eye", "r-eye", "l-clavicle", "r-clavicle", "jaw")


def to_blender(v: np.ndarray) -> np.ndarray:
    """MakeHuman (dm, Y up, facing +Z) -> Blender (m, Z up, facing -Y)."""
    return np.stack([v[..., 0], -v[..., 2], v[..., 1]], axis=-1) * 0.1


def main(argv: list[str]) -> int:
    src = Path(argv[0])
    verts, groups, group = [], collections.defaultdict(list), None
    for line in src.read_text().splitlines():
        if line.startswith("v "):
            verts.append([float(x) for x in line.split()[1:4]])
        elif line.startswith("g "):
            group = line.split()[1]
        elif line.startswith("f "):
            groups[group].append([int(t.split("/")[0]) - 1 for t in line.split()[1:]])
    v = np.array(verts)
    parts = {"body": [f for f in groups["body"] if min(v[i, 1] for i in f) > CUT_Y_DM],
             "eye.L": groups["helper-l-eye"], "eye.R": groups["helper-r-eye"]}
    used = sorted({i for faces in parts.values() for f in faces for i in f})
    index = {old: new for new, old in enumerate(used)}
    out_v = to_blender(v[used])
    lines = ["# Head Motion showcase character: the upper body of MakeHuman's base mesh (CC0 1.0),",
             "# cut by tools/extract_showcase_character.py; metres, Z up, facing -Y. See samples/README.md."]
    lines += [f"v {x:.5f} {y:.5f} {z:.5f}" for x, y, z in out_v]
    for name, faces in parts.items():
        lines.append(f"g {name}")
        lines += ["f " + " ".join(str(index[i] + 1) for i in f) for f in faces]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "human_bust.obj").write_text("\n".join(lines) + "\n")
    joints = {}
    for name in JOINTS:
        idx = sorted({i for f in groups[f"joint-{name}"] for i in f})
        joints[name] = [round(float(c), 5) for c in to_blender(v[idx].mean(axis=0))]
    (OUT / "human_bust_joints.json").write_text(json.dumps(joints, indent=1) + "\n")
    print(f"{len(out_v)} vertices, {sum(len(f) for f in parts.values())} faces -> {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
