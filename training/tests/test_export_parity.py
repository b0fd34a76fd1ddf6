"""ONNX export parity: the exported graph computes what the PyTorch generator computes (run in .venv/train).

training/run_tests.sh          # sets up .venv/train if needed, then runs these tests
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from training.export import build_metadata, export_onnx, onnx_forward  # noqa: E402
from training.model import Discriminator, Generator, ModelConfig  # noqa: E402
from training.train import DEFAULT_CHECKPOINT, load_checkpoint  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TOLERANCE = 1e-4


def _random_generator(seed: int = 0) -> Generator:
    torch.manual_seed(seed)
    config = ModelConfig(feature_dim=80, audio_channels=24, channels=(16, 24, 24, 32, 32), pose_embed=8, dropout=0.3)
    generator = Generator(config)
    # Non-trivial BatchNorm statistics, so the parity covers the eval-mode affine maps.
    with torch.no_grad():
        for module in generator.modules():
            if isinstance(module, torch.nn.BatchNorm1d):
                module.running_mean.normal_(0.0, 0.5)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.normal_(1.0, 0.2)
                module.bias.normal_(0.0, 0.2)
    return generator.eval()


def _metadata(config: ModelConfig) -> dict:
    from core.voice.features import FeatureConfig

    return build_metadata(
        config,
        {"fps": 25.0, "window": 96},
        FeatureConfig().to_dict(),
        {"feature_mean": [0.0] * 80, "feature_std": [1.0] * 80, "pose_mean": [0.0] * 3, "pose_std": [1.0] * 3},
        {"window_frames": 256, "overlap_frames": 32, "post_sigma_s": 0.04},
        {"source": "test"},
        {"config": {}},
    )


def _torch_forward(generator: Generator, x: np.ndarray, p: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return generator(torch.from_numpy(x), torch.from_numpy(p)).numpy()


@pytest.mark.parametrize("t", [16, 96, 256, 512])
def test_random_generator_parity(tmp_path, t):
    generator = _random_generator()
    path = export_onnx(generator, _metadata(generator.config), tmp_path / "g.onnx")
    rng = np.random.default_rng(t)
    x = rng.standard_normal((2, t, 80)).astype(np.float32)
    p = rng.standard_normal((2, 3)).astype(np.float32)
    error = np.abs(onnx_forward(path, x, p) - _torch_forward(generator, x, p)).max()
    print(f"T={t}: max |onnx - torch| = {error:.2e}")
    assert error < TOLERANCE


def test_export_writes_matching_metadata(tmp_path):
    import onnx

    generator = _random_generator()
    path = export_onnx(generator, _metadata(generator.config), tmp_path / "g.onnx")
    embedded = {p.key: p.value for p in onnx.load(str(path)).metadata_props}["head_motion.posegan"]
    assert json.loads(embedded) == json.loads(path.with_suffix(".json").read_text())
    from core.motion.posegan_model import load_model

    model = load_model(path, use_cache=False)
    assert model.metadata.feature_dim == 80 and model.metadata.window_frames == 256


@pytest.mark.skipif(not DEFAULT_CHECKPOINT.is_file(), reason="no default checkpoint")
def test_default_model_matches_its_checkpoint_on_a_real_window():
    """The shipped ONNX model = the shipped checkpoint, on a window of real (dev-clip) audio features."""
    from core.motion.posegan_model import load_model

    checkpoint = load_checkpoint(DEFAULT_CHECKPOINT)
    generator = Generator(ModelConfig.from_dict(checkpoint["model_config"]))
    generator.load_state_dict(checkpoint["generator"])
    generator.eval()
    model = load_model(ROOT / "models" / "posegan" / "default.onnx", use_cache=False)
    meta = model.metadata
    assert checkpoint["metadata"] == meta.raw, "default.onnx was not exported from training/checkpoints/default.pt"
    video = ROOT.parent / "shared" / "data" / "dev" / "mimictalk_German_20s.mp4"
    if video.is_file():
        from core.voice.decode import decode_audio
        from core.voice.features import audio_features

        audio = decode_audio(str(video), meta.feature_config.sample_rate)
        features = audio_features(audio.samples, meta.feature_config, meta.fps)[:256]
    else:  # without the dev data: speech-band noise
        features = np.random.default_rng(1).normal(-50.0, 15.0, (256, meta.feature_dim))
    x = ((features - meta.feature_mean) / meta.feature_std).astype(np.float32)[None]
    p = np.array([[0.5, -0.2, 0.1]], dtype=np.float32)
    onnx_out = onnx_forward(ROOT / "models" / "posegan" / "default.onnx", x, p)
    error = np.abs(onnx_out - _torch_forward(generator, x, p)).max()
    print(f"default model, real window: max |onnx - torch| = {error:.2e}")
    assert error < TOLERANCE
    # Two onnxruntime sessions: their thread counts change the last bits.
    np.testing.assert_allclose(model.run_window(x[0], p[0]), onnx_out[0], atol=1e-5)


def test_discriminator_runs_on_generated_poses():
    generator = _random_generator()
    discriminator = Discriminator(generator.config).eval()
    x = torch.randn(3, 96, 80)
    with torch.no_grad():
        logits = discriminator(x, generator(x, torch.zeros(3, 3)))
    assert logits.shape == (3, 96 // 8)
