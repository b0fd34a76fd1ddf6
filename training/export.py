"""Export a trained PoseGAN generator (version 2) to ONNX + metadata JSON (what core/motion/posegan.py loads).

The ONNX graph maps normalised inputs to normalised outputs:

* ``audio_features`` float32 (batch, time, P): prosody features (core.voice.prosody) normalised with the
  metadata's ``feature_mean`` / ``feature_std``; ``time`` is dynamic;
* ``style`` float32 (batch, S): the style code (0 = the default style; see core.motion.posegan.style_code);
* ``poses`` float32 (batch, time, 3): normalised yaw, pitch, roll (degrees = value * pose_std + pose_mean).

An output frame depends on ``context_frames`` frames of input on each side. The metadata (a dict, see
:func:`build_metadata`) is written twice: as ``<model>.json`` beside the model (readable, diffable) and
inside the ONNX file as the metadata property ``head_motion.posegan`` (so a lone .onnx file still works).
core/motion/posegan.py refuses a model whose two copies disagree.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import torch

from .model import ExportWrapper, Generator, ModelConfig

METADATA_KEY = "head_motion.posegan"
FORMAT = "head_motion.posegan"
FORMAT_VERSION = 2
OPSET = 17


def build_metadata(
    model_config: ModelConfig,
    data_config: dict,
    normalisation: dict,
    style: dict,
    inference: dict,
    data_summary: dict,
    training: dict,
) -> dict:
    """The metadata dict core/motion/posegan.py validates (``format``/``version`` first)."""
    fps = float(data_config["fps"])
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "fps": fps,
        "prosody_config": data_config["prosody"],
        "feature_dim": int(model_config.feature_dim),
        **normalisation,
        "style": style,
        "pose_axes": ["yaw", "pitch", "roll"],
        "pose_unit": "degrees",
        "inputs": {"audio_features": ["batch", "time", int(model_config.feature_dim)],
                   "style": ["batch", int(model_config.style_dim)]},
        "outputs": {"poses": ["batch", "time", 3]},
        "context_frames": int(model_config.context),
        "window_frames": int(inference["window_frames"]),
        "post_sigma_frames": round(float(inference["post_sigma_s"]) * fps, 4),
        "train_window_frames": int(data_config["window"]),
        "model_config": model_config.to_dict(),
        "data": data_summary,
        "training": training,
    }


def export_onnx(generator: Generator, metadata: dict, path: str | Path) -> Path:
    """Write ``path`` (.onnx, metadata embedded) and ``path.with_suffix('.json')``; return the .onnx path."""
    import onnx

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wrapper = ExportWrapper(generator).eval()
    t = 2 * int(metadata["context_frames"]) + 8
    x = torch.zeros(1, t, int(metadata["feature_dim"]))
    p = torch.zeros(1, len(metadata["style"]["names"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapper,
            (x, p),
            str(path),
            dynamo=False,
            input_names=["audio_features", "style"],
            output_names=["poses"],
            dynamic_axes={
                "audio_features": {0: "batch", 1: "time"},
                "style": {0: "batch"},
                "poses": {0: "batch", 1: "time"},
            },
            opset_version=OPSET,
            do_constant_folding=True,
        )
    model = onnx.load(str(path))
    text = json.dumps(metadata, sort_keys=True)
    entry = model.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, text
    model.producer_name = "head_motion.training"
    model.doc_string = "PoseGAN head-motion generator v2 (Head Motion): prosody + style -> poses (normalised)."
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    path.with_suffix(".json").write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n")
    return path


def onnx_forward(path: str | Path, x: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Run the exported graph with onnxruntime (for the parity checks)."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"audio_features": x.astype(np.float32), "style": s.astype(np.float32)})[0]
