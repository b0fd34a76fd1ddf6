"""Extract MediaPipe's canonical face geometry (468 vertices) into ``models/face/canonical_face_468.npy``.

The 3D reference face used by the video pose estimator (``core/video/face_model.py``) is MediaPipe's
"canonical face model" (Apache-2.0, © The MediaPipe Authors). Its vertex ``i`` is FaceMesh landmark
``i``; units are centimetres; axes: +x toward the person's LEFT, +y up, +z out of the face (toward a
camera the face looks at).

The Python wheel of ``mediapipe`` 0.10.x does not ship the geometry files (its
``mediapipe/modules/face_geometry/data`` folder holds only ``__init__.py``), so this tool reads them
from whichever source is given, in this order of preference:

* a path on the command line:
    - ``canonical_face_model.obj`` (``v x y z`` lines),
    - ``geometry_pipeline_metadata*.pbtxt`` (text proto: ``vertex_buffer`` = x, y, z, u, v per vertex),
    - ``geometry_pipeline_metadata*.binarypb`` (binary proto, parsed with the installed mediapipe's
      ``geometry_pipeline_metadata_pb2``),
    - Google's npm package ``@mediapipe/face_mesh`` as a tarball (``npm pack @mediapipe/face_mesh``),
      whose packed assets contain ``geometry_pipeline_metadata_landmarks.binarypb``;
* otherwise the installed ``mediapipe`` package is searched for any of the files above.

The output was produced with::

    npm pack @mediapipe/face_mesh@0.4.1657299874
    .venv/py311/bin/python tools/extract_face_model.py mediapipe-face_mesh-0.4.1657299874.tgz

and checked against the ``.pbtxt`` of the MediaPipe repository (identical to its 6 printed decimals).
The procrustes landmark weights found in the metadata are printed for reference.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import tarfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "models" / "face" / "canonical_face_468.npy"
N_VERTICES = 468
_METADATA_NAME = "geometry_pipeline_metadata_landmarks.binarypb"


def _from_obj(text: str) -> np.ndarray:
    rows = [line.split()[1:4] for line in text.splitlines() if line.startswith("v ")]
    return np.array(rows, dtype=np.float64)


def _from_pbtxt(text: str) -> tuple[np.ndarray, dict[int, float]]:
    values = [float(v) for v in re.findall(r"vertex_buffer:\s*([-+0-9.eE]+)", text)]
    weights = {int(i): float(w) for i, w in re.findall(r"landmark_id:\s*(\d+)\s+weight:\s*([-+0-9.eE]+)", text)}
    return np.array(values, dtype=np.float64).reshape(-1, 5)[:, :3], weights


def _from_binarypb(data: bytes) -> tuple[np.ndarray, dict[int, float]]:
    from mediapipe.modules.face_geometry.protos import geometry_pipeline_metadata_pb2

    meta = geometry_pipeline_metadata_pb2.GeometryPipelineMetadata()
    meta.ParseFromString(data)
    buffer = np.array(meta.canonical_mesh.vertex_buffer, dtype=np.float64)
    if meta.canonical_mesh.vertex_type != 0:  # 0 = VERTEX_PT: x, y, z, u, v
        raise ValueError(f"unexpected vertex type {meta.canonical_mesh.vertex_type} (expected VERTEX_PT)")
    weights = {int(b.landmark_id): float(b.weight) for b in meta.procrustes_landmark_basis}
    return buffer.reshape(-1, 5)[:, :3], weights


def _from_npm_tarball(path: Path) -> tuple[np.ndarray, dict[int, float]]:
    """Read the metadata out of ``@mediapipe/face_mesh``'s packed assets (offsets from the loader script)."""
    with tarfile.open(path) as tar:
        loader = tar.extractfile("package/face_mesh_solution_packed_assets_loader.js").read().decode()
        packed = tar.extractfile("package/face_mesh_solution_packed_assets.data").read()
    match = re.search(
        r'"filename":\s*"[^"]*' + re.escape(_METADATA_NAME) + r'",\s*"start":\s*(\d+),\s*"end":\s*(\d+)', loader
    )
    if match is None:
        raise ValueError(f"{path}: no {_METADATA_NAME} listed in the packed assets")
    start, end = int(match.group(1)), int(match.group(2))
    return _from_binarypb(packed[start:end])


def read_source(path: Path) -> tuple[np.ndarray, dict[int, float]]:
    """Vertices (N, 3) and procrustes weights {landmark: weight} (may be empty) from one source file."""
    name = path.name.lower()
    if name.endswith((".tgz", ".tar.gz")):
        return _from_npm_tarball(path)
    if name.endswith(".obj"):
        return _from_obj(path.read_text()), {}
    if name.endswith(".pbtxt"):
        return _from_pbtxt(path.read_text())
    if name.endswith(".binarypb"):
        return _from_binarypb(path.read_bytes())
    raise ValueError(f"{path}: unsupported source (use .obj, .pbtxt, .binarypb or the npm .tgz)")


def find_in_mediapipe() -> Path | None:
    """A geometry file inside the installed ``mediapipe`` package, or None."""
    try:
        import mediapipe
    except ImportError:
        return None
    base = Path(mediapipe.__file__).resolve().parent
    for pattern in ("canonical_face_model.obj", "geometry_pipeline_metadata_landmarks.pbtxt", _METADATA_NAME):
        hits = sorted(base.rglob(pattern))
        if hits:
            return hits[0]
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", nargs="?", type=Path, help="obj / pbtxt / binarypb / npm tarball")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    source = args.source or find_in_mediapipe()
    if source is None:
        print(
            "The installed mediapipe package holds no face geometry file. Pass one, e.g. the tarball from "
            "'npm pack @mediapipe/face_mesh@0.4.1657299874'.",
            file=sys.stderr,
        )
        return 2
    vertices, weights = read_source(source)
    if vertices.shape != (N_VERTICES, 3) or not np.isfinite(vertices).all():
        print(f"{source}: expected {N_VERTICES} finite vertices, got shape {vertices.shape}", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()  # write via a buffer: np.save would add ".npy" to a name without it
    np.save(buffer, vertices.astype(np.float32))
    args.output.write_bytes(buffer.getvalue())
    print(f"wrote {args.output} ({N_VERTICES} vertices, cm) from {source}")
    if weights:
        print("procrustes landmark weights:", json.dumps(weights))
    return 0


if __name__ == "__main__":
    sys.exit(main())
