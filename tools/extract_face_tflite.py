"""Copy MediaPipe's face detection and face landmark TFLite models into ``models/face/``.

The LiteRT landmark backend (``core/litert_face.py``, used where mediapipe has no wheel, e.g. Python
3.13) runs the same two networks MediaPipe FaceMesh runs, taken from the installed mediapipe 0.10.21
wheel (Apache-2.0, (c) The MediaPipe Authors):

* ``mediapipe/modules/face_detection/face_detection_short_range.tflite`` (BlazeFace short range, 128x128)
* ``mediapipe/modules/face_landmark/face_landmark_with_attention.tflite`` (the 468-point mesh model behind
  ``refine_landmarks=True``, 192x192), written as ``face_landmark_attention_mesh.tflite`` PRUNED to its
  ``output_mesh_identity`` and ``conv_faceflag`` outputs: its lips/eyes/iris heads need MediaPipe's custom
  TFLite ops (Landmarks2TransformMatrix, TransformTensorBilinear, TransformLandmarks), which LiteRT does
  not have; the mesh and face-flag outputs do not depend on them (same weights, same ops, fewer nodes).

Usage (from the repository root, in the Python 3.11 venv that has mediapipe):

    .venv/py311/bin/python tools/extract_face_tflite.py [--check]

``--check`` only verifies that the files in ``models/face/`` match the wheel's (exit status 1 if not).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEST = ROOT / "models" / "face"
MODELS = {
    "face_detection_short_range.tflite": "modules/face_detection/face_detection_short_range.tflite",
}
ATTENTION_SOURCE = "modules/face_landmark/face_landmark_with_attention.tflite"
ATTENTION_TARGET = "face_landmark_attention_mesh.tflite"
KEEP_OUTPUTS = (b"output_mesh_identity", b"conv_faceflag")


def prune_attention_model(data: bytes) -> bytes:
    """The attention face-mesh model keeping only the operators its mesh and face-flag outputs need."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(data, 0))
    graph = model.subgraphs[0]
    outputs = [t for t in graph.outputs if graph.tensors[t].name in KEEP_OUTPUTS]
    if len(outputs) != len(KEEP_OUTPUTS):
        raise SystemExit("error: the attention model has not the expected outputs")
    producer = {t: k for k, op in enumerate(graph.operators) for t in op.outputs}
    needed: set[int] = set()
    stack = list(outputs)
    while stack:
        tensor = stack.pop()
        if tensor in producer and producer[tensor] not in needed:
            needed.add(producer[tensor])
            stack.extend(i for i in graph.operators[producer[tensor]].inputs if i >= 0)
    graph.operators = [op for k, op in enumerate(graph.operators) if k in needed]
    graph.outputs = outputs
    builder = flatbuffers.Builder(0)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


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
    pruned = prune_attention_model((package / ATTENTION_SOURCE).read_bytes())
    target = DEST / ATTENTION_TARGET
    if args.check:
        same = target.exists() and target.read_bytes() == pruned
        print(f"{'ok' if same else 'DIFFERS'}  {ATTENTION_TARGET}")
        return status | (0 if same else 1)
    target.write_bytes(pruned)
    print(
        f"{ATTENTION_TARGET}  {len(pruned)} bytes  sha256 {sha256(target)}  (source sha256 "
        f"{sha256(package / ATTENTION_SOURCE)})"
    )
    return status


if __name__ == "__main__":
    sys.exit(main())
