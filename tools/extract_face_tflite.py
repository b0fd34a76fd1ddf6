"""Copy MediaPipe's face detection and face landmark TFLite models into ``models/face/``.

The LiteRT landmark backend (``core/video/litert_face.py``, used where mediapipe has no wheel, e.g. Python
3.13) runs the same networks MediaPipe FaceMesh(refine_landmarks=True) runs, taken from the installed
mediapipe 0.10.21 wheel (Apache-2.0, (c) The MediaPipe Authors):

* ``mediapipe/modules/face_detection/face_detection_short_range.tflite`` (BlazeFace short range, 128x128),
  copied unchanged;
* ``mediapipe/modules/face_landmark/face_landmark_with_attention.tflite`` (the attention mesh, 192x192),
  split in two around its three MediaPipe custom operators (Landmarks2TransformMatrix,
  TransformTensorBilinear, TransformLandmarks), which LiteRT does not have and which
  ``core/video/litert_face.py`` computes in numpy between the two parts:

  - ``face_landmark_attention_mesh.tflite``: the image to the 468-point mesh, the face flag, the
    mesh scaled to feature-map units that each region's crop is computed from, and the 48x48 feature map
    the regions are cropped from;
  - ``face_landmark_attention_heads.tflite``: the three 16x16 feature crops (lips, left eye, right eye)
    and their crop matrices to each region's landmarks in crop units (each eye crop also gives its iris's
    5 points) and the matrices that map them back;
  - ``face_landmark_attention.json``: the custom operators' options (read from the model's flexbuffers)
    per region, the mesh indices each region's points replace and the indices (468-477) of the iris
    points, verified here against FaceMesh itself, and the eye contour whose mean depth is each iris's
    (the wheel's ``face_mesh_connections``).

  Same weights and operators as the original, cut at tensors; nothing is retrained or changed.

Usage (from the repository root, in the Python 3.11 venv that has mediapipe):

    .venv/py311/bin/python tools/extract_face_tflite.py [--check]

``--check`` only verifies that the files in ``models/face/`` are what this tool writes (exit status 1 if not).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEST = ROOT / "models" / "face"
sys.path.insert(0, str(ROOT))
MODELS = {
    "face_detection_short_range.tflite": "modules/face_detection/face_detection_short_range.tflite",
}
ATTENTION_SOURCE = "modules/face_landmark/face_landmark_with_attention.tflite"
MESH_TARGET = "face_landmark_attention_mesh.tflite"
HEADS_TARGET = "face_landmark_attention_heads.tflite"
CONFIG_TARGET = "face_landmark_attention.json"
#: The regions refined by the attention model: name, the heads' output tensor of its points in crop
#: units, and the order of its Landmarks2TransformMatrix / TransformTensorBilinear / TransformLandmarks.
REGIONS = (
    ("lips", "reshape_1"),
    ("left_eye", "reshape_3"),
    ("right_eye", "reshape_6"),
)
FEATURES = "p_re_lu_3"


def _load(data: bytes):
    from ai_edge_litert import schema_py_generated as schema

    return schema.ModelT.InitFromObj(schema.Model.GetRootAs(data, 0))


def _pack(model) -> bytes:
    import flatbuffers

    builder = flatbuffers.Builder(0)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def extract_subgraph(data: bytes, inputs: list[str], outputs: list[str]) -> bytes:
    """The model cut to the operators that compute ``outputs`` from ``inputs`` (tensor names), keeping only
    the tensors and weight buffers those operators use; inputs may be intermediate tensors."""
    model = _load(data)
    graph = model.subgraphs[0]
    index = {t.name.decode(): k for k, t in enumerate(graph.tensors)}
    inputs_idx = [index[name] for name in inputs]
    outputs_idx = [index[name] for name in outputs]
    producer = {t: k for k, op in enumerate(graph.operators) for t in op.outputs}
    needed: set[int] = set()
    stack = list(outputs_idx)
    while stack:
        tensor = stack.pop()
        if tensor in inputs_idx or tensor not in producer or producer[tensor] in needed:
            continue
        needed.add(producer[tensor])
        stack.extend(i for i in graph.operators[producer[tensor]].inputs if i >= 0)
    operators = [op for k, op in enumerate(graph.operators) if k in needed]
    used = sorted({t for op in operators for t in [*op.inputs, *op.outputs] if t >= 0} | set(inputs_idx))
    produced = {t for op in operators for t in op.outputs} | set(inputs_idx)
    for t in used:
        buffer = model.buffers[graph.tensors[t].buffer]
        if t not in produced and (buffer.data is None or len(buffer.data) == 0):
            raise SystemExit(f"error: tensor {graph.tensors[t].name!r} is neither an input, computed nor constant")
    # Renumber the kept tensors and give each constant its own buffer (buffer 0 stays the empty one).
    remap = {old: new for new, old in enumerate(used)}
    buffers = [model.buffers[0]]
    tensors = []
    for old in used:
        tensor = graph.tensors[old]
        if tensor.buffer and model.buffers[tensor.buffer].data is not None and len(model.buffers[tensor.buffer].data):
            buffers.append(model.buffers[tensor.buffer])
            tensor.buffer = len(buffers) - 1
        else:
            tensor.buffer = 0
        tensors.append(tensor)
    for op in operators:
        op.inputs = [remap[t] if t >= 0 else t for t in op.inputs]
        op.outputs = [remap[t] for t in op.outputs]
        if op.intermediates is not None and len(op.intermediates):
            raise SystemExit("error: operators with intermediates are not handled")
    graph.tensors = tensors
    graph.operators = operators
    graph.inputs = [remap[t] for t in inputs_idx]
    graph.outputs = [remap[t] for t in outputs_idx]
    model.buffers = buffers
    model.signatureDefs = []
    model.metadata = [m for m in (model.metadata or []) if m.buffer == 0] or None
    return _pack(model)


def custom_operators(data: bytes) -> dict[str, list[dict]]:
    """Each custom operator of the model in graph order: {name: [{"inputs", "outputs", "options"}, ...]}
    with tensor names and the flexbuffer options decoded."""
    from flatbuffers import flexbuffers

    model = _load(data)
    graph = model.subgraphs[0]
    name = [t.name.decode() for t in graph.tensors]
    found: dict[str, list[dict]] = {}
    for op in graph.operators:
        code = model.operatorCodes[op.opcodeIndex].customCode
        if not code:
            continue
        options = flexbuffers.Loads(bytes(op.customOptions)) if op.customOptions is not None else {}
        found.setdefault(code.decode(), []).append(
            {"inputs": [name[t] for t in op.inputs], "outputs": [name[t] for t in op.outputs], "options": options}
        )
    return found


def attention_config(data: bytes) -> dict:
    """The regions' crop settings from the attention model's custom operators (see the module docs)."""
    ops = custom_operators(data)
    matrices, crops = ops["Landmarks2TransformMatrix"], ops["TransformTensorBilinear"]
    transforms = ops["TransformLandmarks"]
    regions = []
    for (region, points), matrix in zip(REGIONS, matrices, strict=False):
        crop = next(c for c in crops if c["inputs"][1] == matrix["outputs"][0])
        back = next(t for t in transforms if t["inputs"][0] == points)
        # Other points mapped back by the same matrix: the iris predicted from the same eye crop.
        extra = [t["inputs"][0] for t in transforms if t["inputs"][1] == back["inputs"][1] and t is not back]
        options = matrix["options"]
        regions.append(
            {
                "name": region,
                "mesh_source": matrix["inputs"][0],
                "matrix": matrix["outputs"][0],
                "crop": crop["outputs"][0],
                "points": points,
                "back_matrix": back["inputs"][1],
                "left_rotation_idx": int(options["left_rotation_idx"]),
                "right_rotation_idx": int(options["right_rotation_idx"]),
                "target_rotation_radians": float(options["target_rotation_radians"]),
                "subset_idxs": [int(i) for i in options["subset_idxs"]],
                "scale": [float(options["scale_x"]), float(options["scale_y"])],
                "crop_size": [int(crop["options"]["output_width"]), int(crop["options"]["output_height"])],
                "features": crop["inputs"][0],
                **({"iris_points": extra[0]} if extra else {}),
            }
        )
    return {"mesh": "output_mesh_identity", "face_flag": "conv_faceflag", "features": FEATURES, "regions": regions}


def split_attention_model(data: bytes) -> tuple[bytes, bytes, dict]:
    """(mesh model, heads model, config) from the attention model (see the module docs)."""
    config = attention_config(data)
    regions = config["regions"]
    mesh = extract_subgraph(
        data, ["input_1"], [config["mesh"], config["face_flag"], *[r["mesh_source"] for r in regions], FEATURES]
    )
    heads = extract_subgraph(
        data,
        [r["crop"] for r in regions] + [r["matrix"] for r in regions],
        [r["points"] for r in regions] + [r["iris_points"] for r in regions if "iris_points" in r]
        + [r["back_matrix"] for r in regions],
    )
    return mesh, heads, config


#: The keys :func:`refinement_indices` adds to a region (not part of the model's operators).
FOUND_KEYS = ("mesh_indices", "iris_indices", "iris_depth_indices")


def _match(points: np.ndarray, reference: np.ndarray, first: int, width: int, name: str) -> list[int]:
    """The index (from ``first``) of the one ``reference`` point each of ``points`` equals (normalised)."""
    distance = np.linalg.norm(points[:, None, :] - reference[None, :, :], axis=2)
    nearest = distance.argmin(axis=1)
    worst = float(distance[np.arange(len(points)), nearest].max() * width)
    if worst > 0.5 or len(set(nearest.tolist())) != len(points):
        raise SystemExit(f"error: {name}: refined points do not match FaceMesh (off by {worst:.2f} px)")
    print(f"{name}: {len(points)} points are FaceMesh landmarks {first}+ (within {worst:.3f} px)")
    return [int(i) + first for i in nearest]


def refinement_indices(config: dict, model_dir: Path) -> dict:
    """The mesh index each region's point replaces and the index (468-477) of each iris point, found by running
    FaceMesh(refine_landmarks=True) and the split models on the same crops: each refined point must equal
    exactly one of FaceMesh's outputs. An iris's depth is the mean depth of its eye's contour (the eye in
    ``face_mesh_connections`` holding the region's corner points)."""
    from mediapipe.python.solutions import face_mesh, face_mesh_connections
    from skimage import data as images

    from core.video.litert_face import LiteRtFaceMesh

    image = np.ascontiguousarray(images.astronaut()[:, :, :3])
    with face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=True) as mesh:
        reference = mesh.process(image).multi_face_landmarks[0]
    reference = np.array([(p.x, p.y) for p in reference.landmark])
    with LiteRtFaceMesh(static_image_mode=True, model_dir=model_dir, attention_config=config) as ours:
        regions = ours.region_points(image)
    contours = [
        sorted({i for edge in getattr(face_mesh_connections, name) for i in edge})
        for name in ("FACEMESH_LEFT_EYE", "FACEMESH_RIGHT_EYE")
    ]
    width = image.shape[1]
    for region in config["regions"]:
        region["mesh_indices"] = _match(regions[region["name"]], reference[:468], 0, width, region["name"])
        if "iris_points" in region:
            iris = regions[region["name"] + "_iris"]
            region["iris_indices"] = _match(iris, reference[468:], 468, width, region["name"] + " iris")
            corner = region["left_rotation_idx"]
            region["iris_depth_indices"] = next(c for c in contours if corner in c)
    return config


EXPECTED_MEDIAPIPE = "0.10.21"


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare models/face/ with the wheel")
    args = parser.parse_args(argv)
    try:
        import mediapipe
    except ImportError:
        print("error: mediapipe is not installed (use .venv/py311/bin/python)", file=sys.stderr)
        return 2
    version = getattr(mediapipe, "__version__", "?")
    if version != EXPECTED_MEDIAPIPE:
        print(f"warning: mediapipe {version}, expected {EXPECTED_MEDIAPIPE}", file=sys.stderr)
    package = Path(mediapipe.__file__).resolve().parent
    DEST.mkdir(parents=True, exist_ok=True)
    status = 0
    for name, relative in MODELS.items():
        source = package / relative
        target = DEST / name
        if args.check:
            same = target.exists() and sha256(target) == sha256(source)
            print(f"{'ok' if same else 'DIFFERS'}  {name}")
            status |= 0 if same else 1
            continue
        shutil.copyfile(source, target)
        print(f"{name}  {target.stat().st_size} bytes  sha256 {sha256(target)}")
    mesh, heads, config = split_attention_model((package / ATTENTION_SOURCE).read_bytes())
    if args.check:
        for name, data in ((MESH_TARGET, mesh), (HEADS_TARGET, heads)):
            same = (DEST / name).exists() and (DEST / name).read_bytes() == data
            print(f"{'ok' if same else 'DIFFERS'}  {name}")
            status |= 0 if same else 1
        # The operators' options (the mesh indices are checked against FaceMesh when written).
        written = json.loads((DEST / CONFIG_TARGET).read_text()) if (DEST / CONFIG_TARGET).exists() else {}
        for region in written.get("regions", []):
            for key in FOUND_KEYS:
                region.pop(key, None)
        same = {k: v for k, v in written.items() if k != "source"} == config
        print(f"{'ok' if same else 'DIFFERS'}  {CONFIG_TARGET}")
        return status | (0 if same else 1)
    (DEST / MESH_TARGET).write_bytes(mesh)
    (DEST / HEADS_TARGET).write_bytes(heads)
    config = refinement_indices(config, DEST)
    config["source"] = f"mediapipe {version} {ATTENTION_SOURCE} sha256 {sha256(package / ATTENTION_SOURCE)}"
    (DEST / CONFIG_TARGET).write_text(json.dumps(config, indent=1) + "\n")
    for name in (MESH_TARGET, HEADS_TARGET, CONFIG_TARGET):
        print(f"{name}  {(DEST / name).stat().st_size} bytes  sha256 {sha256(DEST / name)}")
    return status


if __name__ == "__main__":
    sys.exit(main())
