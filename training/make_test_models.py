"""Write the tiny ONNX models tests/core/test_posegan.py loads (the test venv has onnxruntime but not onnx).

    .venv/train/bin/python -m training.make_test_models      # rewrites tests/data/posegan_*.onnx

* ``posegan_wrong_shape.onnx``: right input names, but ``audio_features`` is 2-D (batch, D);
* ``posegan_wrong_names.onnx``: a 3-D input called ``x`` and no ``initial_pose``;
* ``posegan_nan.onnx``: PoseGAN's signature and valid embedded metadata (D = 80), but it returns NaN;
* ``posegan_no_metadata.onnx``: PoseGAN's signature, returns zeros, and has no metadata at all.
* ``posegan_v2_nan.onnx``: the version-2 signature (``audio_features`` (batch, time, 16) prosody,
  ``style`` (batch, 5)) and valid version-2 metadata, but it returns NaN;
* ``posegan_v2_wrong_shape.onnx``: version-2 input names, but ``style`` is 3-D;
* ``posegan_v2_mismatch.onnx``: the version-2 graph of ``posegan_v2_nan`` with version-1 metadata.
"""

from __future__ import annotations

import json
import sys

import onnx
from onnx import TensorProto, helper

from .dataset import ROOT

OUT = ROOT / "tests" / "data"
D = 80


def _model(nodes, inputs, outputs, initializers=(), metadata: dict | None = None) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "posegan_test", inputs, outputs, initializer=list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="head_motion.tests")
    model.ir_version = 8
    if metadata is not None:
        entry = model.metadata_props.add()
        entry.key, entry.value = "head_motion.posegan", json.dumps(metadata, sort_keys=True)
    onnx.checker.check_model(model)
    return model


def _signature_graph(fill: float):
    """poses = mean(audio_features, axis 2) * fill + initial_pose (broadcast over time)."""
    feats = helper.make_tensor_value_info("audio_features", TensorProto.FLOAT, ["batch", "time", D])
    pose = helper.make_tensor_value_info("initial_pose", TensorProto.FLOAT, ["batch", 3])
    out = helper.make_tensor_value_info("poses", TensorProto.FLOAT, ["batch", "time", 3])
    fill_t = helper.make_tensor("fill", TensorProto.FLOAT, [1, 1, 3], [fill] * 3)
    axis1 = helper.make_tensor("axis1", TensorProto.INT64, [1], [1])
    nodes = [
        helper.make_node("ReduceMean", ["audio_features"], ["m"], axes=[2], keepdims=1),
        helper.make_node("Mul", ["m", "fill"], ["scaled"]),
        helper.make_node("Unsqueeze", ["initial_pose", "axis1"], ["p"]),
        helper.make_node("Add", ["scaled", "p"], ["poses"]),
    ]
    return nodes, [feats, pose], [out], [fill_t, axis1]


def metadata_for_tests() -> dict:
    """Minimal valid metadata for D = 80 log-mel features at 25 fps."""
    sys.path.insert(0, str(ROOT))
    from core.voice.features import FeatureConfig

    return {
        "format": "head_motion.posegan",
        "version": 1,
        "fps": 25.0,
        "feature_config": FeatureConfig().to_dict(),
        "feature_dim": D,
        "feature_mean": [-40.0] * D,
        "feature_std": [20.0] * D,
        "pose_mean": [0.0, 0.0, 0.0],
        "pose_std": [4.0, 2.0, 3.0],
        "time_multiple": 16,
        "window_frames": 64,
        "overlap_frames": 16,
        "post_sigma_frames": 0.0,
    }


P = 16
S = 5


def _signature_graph_v2(fill: float, style_rank: int = 2):
    """poses = mean(audio_features, axis 2) * fill (+ mean(style) * fill), broadcast to 3 angles."""
    feats = helper.make_tensor_value_info("audio_features", TensorProto.FLOAT, ["batch", "time", P])
    style_shape = ["batch", S] if style_rank == 2 else ["batch", "time", S]
    style = helper.make_tensor_value_info("style", TensorProto.FLOAT, style_shape)
    out = helper.make_tensor_value_info("poses", TensorProto.FLOAT, ["batch", "time", 3])
    fill_t = helper.make_tensor("fill", TensorProto.FLOAT, [1, 1, 3], [fill] * 3)
    nodes = [
        helper.make_node("ReduceMean", ["audio_features"], ["m"], axes=[2], keepdims=1),
        helper.make_node("ReduceMean", ["style"], ["ms"], keepdims=1),
        helper.make_node("Mul", ["m", "fill"], ["scaled"]),
        helper.make_node("Add", ["scaled", "ms"], ["poses"]) if style_rank == 3 else
        helper.make_node("Mul", ["scaled", "one"], ["poses"]),
    ]
    inits = [fill_t, helper.make_tensor("one", TensorProto.FLOAT, [1], [1.0])]
    return nodes, [feats, style], [out], inits


def metadata_for_tests_v2() -> dict:
    """Minimal valid version-2 metadata (16 prosody features, 5 style statistics) at 25 fps."""
    sys.path.insert(0, str(ROOT))
    from core.voice.prosody import ProsodyConfig

    return {
        "format": "head_motion.posegan",
        "version": 2,
        "fps": 25.0,
        "prosody_config": ProsodyConfig().to_dict(),
        "feature_dim": P,
        "feature_mean": [0.0] * P,
        "feature_std": [1.0] * P,
        "pose_mean": [0.0, 0.0, 0.0],
        "pose_std": [4.0, 2.0, 3.0],
        "style": {"names": ["a", "b", "c", "d", "e"], "default": [4.0, 2.5, 2.5, 10.0, 1.2], "scale": 0.5},
        "context_frames": 8,
        "window_frames": 64,
        "post_sigma_frames": 0.0,
    }


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    # 2-D audio features: poses = Identity of a (batch, 3) slice -> wrong ranks everywhere.
    feats2d = helper.make_tensor_value_info("audio_features", TensorProto.FLOAT, ["batch", D])
    pose = helper.make_tensor_value_info("initial_pose", TensorProto.FLOAT, ["batch", 3])
    out2d = helper.make_tensor_value_info("poses", TensorProto.FLOAT, ["batch", 3])
    wrong_shape = _model(
        [
            helper.make_node("Add", ["initial_pose", "zero"], ["poses"]),
            helper.make_node("Identity", ["audio_features"], ["unused"]),
        ],
        [feats2d, pose],
        [out2d],
        [helper.make_tensor("zero", TensorProto.FLOAT, [1, 3], [0.0, 0.0, 0.0])],
    )
    onnx.save(wrong_shape, str(OUT / "posegan_wrong_shape.onnx"))

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "time", D])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "time", D])
    onnx.save(_model([helper.make_node("Identity", ["x"], ["y"])], [x], [y]), str(OUT / "posegan_wrong_names.onnx"))

    nodes, inputs, outputs, inits = _signature_graph(float("nan"))
    onnx.save(_model(nodes, inputs, outputs, inits, metadata_for_tests()), str(OUT / "posegan_nan.onnx"))
    nodes, inputs, outputs, inits = _signature_graph(0.0)
    onnx.save(_model(nodes, inputs, outputs, inits), str(OUT / "posegan_no_metadata.onnx"))
    nodes, inputs, outputs, inits = _signature_graph_v2(float("nan"))
    onnx.save(_model(nodes, inputs, outputs, inits, metadata_for_tests_v2()), str(OUT / "posegan_v2_nan.onnx"))
    nodes, inputs, outputs, inits = _signature_graph_v2(0.0, style_rank=3)
    onnx.save(_model(nodes, inputs, outputs, inits, metadata_for_tests_v2()), str(OUT / "posegan_v2_wrong_shape.onnx"))
    nodes, inputs, outputs, inits = _signature_graph_v2(0.0)
    onnx.save(_model(nodes, inputs, outputs, inits, metadata_for_tests()), str(OUT / "posegan_v2_mismatch.onnx"))
    for path in sorted(OUT.glob("posegan_*.onnx")):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
