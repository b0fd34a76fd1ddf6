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

from training.dataset import DataConfig  # noqa: E402
from training.export import build_metadata, export_onnx, onnx_forward  # noqa: E402
from training.model import (  # noqa: E402
    Generator,
    ModelConfig,
    coupling_losses,
    motion_losses,
    pause_amplitude_losses,
    skew_losses,
)
from training.train import DEFAULT_CHECKPOINT, load_checkpoint  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TOLERANCE = 1e-4


def _random_generator(seed: int = 0, offset: bool = False) -> Generator:
    torch.manual_seed(seed)
    config = ModelConfig(feature_dim=16, style_dim=5, channels=16, kernel=5, dilations=(1, 2, 4), dropout=0.3)
    generator = Generator(config)
    with torch.no_grad():  # a non-trivial style gain and offset, so the parity covers them
        generator.gain.weight.normal_(0.0, 0.3)
        generator.gain.bias.normal_(0.0, 0.3)
        if offset:
            generator.style_offset.normal_(0.0, 0.5)
    return generator.eval()


def _metadata(config: ModelConfig) -> dict:
    return build_metadata(
        config,
        {"fps": 25.0, "window": 100, "prosody": DataConfig().prosody},
        {"feature_mean": [0.0] * 16, "feature_std": [1.0] * 16, "pose_mean": [0.0] * 3, "pose_std": [1.0] * 3},
        {"names": ["a", "b", "c", "d", "e"], "default": [4.0, 2.5, 2.5, 10.0, 1.2], "scale": 0.5},
        {"window_frames": 256, "post_sigma_s": 0.04},
        {"source": "test"},
        {"config": {}},
    )


def _torch_forward(generator: Generator, x: np.ndarray, s: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return generator(torch.from_numpy(x), torch.from_numpy(s)).numpy()


@pytest.mark.parametrize("t", [1, 16, 100, 512])
@pytest.mark.parametrize("offset", [False, True])
def test_random_generator_parity(tmp_path, t, offset):
    generator = _random_generator(offset=offset)
    path = export_onnx(generator, _metadata(generator.config), tmp_path / "g.onnx")
    rng = np.random.default_rng(t)
    x = rng.standard_normal((2, t, 16)).astype(np.float32)
    s = rng.standard_normal((2, 5)).astype(np.float32)
    error = np.abs(onnx_forward(path, x, s) - _torch_forward(generator, x, s)).max()
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
    assert model.metadata.version == 2 and model.metadata.feature_dim == 16
    assert model.metadata.context_frames == generator.config.context == (4 * 7) // 2


def test_output_depends_only_on_the_receptive_field():
    """Changing the input outside +-context frames leaves an output frame unchanged (seamless windows)."""
    generator = _random_generator()
    c = generator.config.context
    x = np.random.default_rng(0).standard_normal((1, 200, 16)).astype(np.float32)
    s = np.zeros((1, 5), dtype=np.float32)
    y = x.copy()
    y[0, 100 + c + 1 :] += 5.0
    y[0, : 100 - c] -= 5.0
    a, b = _torch_forward(generator, x, s), _torch_forward(generator, y, s)
    assert np.abs(a[0, 100] - b[0, 100]).max() < 1e-5
    assert np.abs(a[0, 100 + c + 1] - b[0, 100 + c + 1]).max() > 1e-3


def test_losses_are_finite_and_zero_for_identical_motion():
    rng = np.random.default_rng(0)
    real = torch.from_numpy(np.cumsum(rng.normal(0, 0.3, (4, 100, 3)), axis=1).astype(np.float32))
    terms = motion_losses(real, real)
    for name, value in terms.items():
        assert torch.isfinite(value), name
        if name != "decorrelation":
            assert float(value) < 1e-5, name


def test_the_axes_term_sees_axes_that_move_together():
    """Three axes that are one signal (every motion the same tilt) against real-like independent axes."""
    rng = np.random.default_rng(1)
    real = torch.from_numpy(np.cumsum(rng.normal(0, 0.3, (16, 100, 3)), axis=1).astype(np.float32))
    lockstep = real[:, :, :1].repeat(1, 1, 3) * torch.tensor([1.0, 0.6, 0.8])
    shuffled = torch.from_numpy(np.cumsum(rng.normal(0, 0.3, (16, 100, 3)), axis=1).astype(np.float32))
    for term in ("axes", "axes_mean"):
        together, apart = motion_losses(lockstep, real)[term], motion_losses(shuffled, real)[term]
        assert float(together) > 0.5 and float(apart) < 0.15, (term, float(together), float(apart))


def test_the_ratio_ceiling_sees_a_head_that_freezes_in_pauses():
    """Speech in the first half of each window, a pause in the second: a head 100x stiller in the pause is over a
    ceiling of 2.4, one 1.5x stiller is not; without a ceiling the term is absent."""
    rng = np.random.default_rng(2)
    speech = torch.zeros(8, 100)
    speech[:, :50] = 1.0
    loudness = torch.zeros(8, 100)

    def head(pause_step: float) -> torch.Tensor:
        steps = rng.normal(0, 1, (8, 100, 3)) * np.where(np.arange(100) < 50, 0.3, pause_step)[None, :, None]
        return torch.from_numpy(np.cumsum(steps, axis=1).astype(np.float32))

    target, ceiling = torch.full((8,), 1.6), torch.full((8,), 2.4)
    frozen = coupling_losses(head(0.003), loudness, speech, 0.45, target, ceiling)["coupling_ratio_ceiling"]
    lively = coupling_losses(head(0.2), loudness, speech, 0.45, target, ceiling)["coupling_ratio_ceiling"]
    assert float(frozen) > 2.0 and float(lively) == 0.0, (float(frozen), float(lively))
    assert "coupling_ratio_ceiling" not in coupling_losses(head(0.2), loudness, speech, 0.45, target)


def test_the_skew_term_sees_motion_that_always_leans_one_way():
    """Windows whose excursions all go the same way (rest, then a positive bump) against windows that lean either
    way at random: the same shapes, only the signs differ."""
    rng = np.random.default_rng(3)
    bump = np.exp(-0.5 * ((np.arange(100) - 50) / 8.0) ** 2)
    signs = rng.choice([-1.0, 1.0], size=(32, 1, 3))
    either = torch.from_numpy((signs * bump[None, :, None] + rng.normal(0, 0.02, (32, 100, 3))).astype(np.float32))
    one_way = either.abs()
    lean, balanced = skew_losses(one_way, either)["skew"], skew_losses(either, either)["skew"]
    assert float(lean) > 1.0 and float(balanced) < 1e-6, (float(lean), float(balanced))


def test_the_pause_amplitude_term_sees_an_amplitude_that_follows_the_speech_share():
    """Windows with 10-100 % speech; real motion of one amplitude throughout, a model whose amplitude grows with
    the share of speech (it only comes back to rest in pauses) against one that does not."""
    rng = np.random.default_rng(4)
    share = np.linspace(0.1, 1.0, 16)
    speech = torch.from_numpy((np.arange(100)[None, :] < 100 * share[:, None]).astype(np.float32))
    walk = np.cumsum(rng.normal(0, 0.3, (16, 100, 3)), axis=1)
    real = torch.from_numpy(walk.astype(np.float32))
    follows = torch.from_numpy((walk * share[:, None, None]).astype(np.float32))
    shuffled = torch.from_numpy((walk * rng.permutation(share)[:, None, None]).astype(np.float32))
    loss = {name: float(pause_amplitude_losses(gen, real, speech)["pause_amplitude"])
            for name, gen in (("follows", follows), ("shuffled", shuffled), ("real", real))}
    assert loss["follows"] > 0.5 and loss["shuffled"] < loss["follows"] and loss["real"] < 1e-6, loss


@pytest.mark.skipif(not DEFAULT_CHECKPOINT.is_file(), reason="no default checkpoint")
def test_default_model_matches_its_checkpoint_on_a_real_window():
    """The shipped ONNX model = the shipped checkpoint, on a window of real (dev-clip) prosody."""
    from core.motion.posegan import model_features
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

        audio = decode_audio(str(video), meta.sample_rate)
        features = model_features(audio.samples, model, 256)
    else:  # without the dev data: noise bursts
        rng = np.random.default_rng(1)
        samples = rng.standard_normal(meta.sample_rate * 11) * np.repeat(rng.random(22) > 0.4, meta.sample_rate // 2)
        features = model_features(samples, model, 256)
    x = ((features - meta.feature_mean) / meta.feature_std).astype(np.float32)[None]
    s = np.array([[0.5, -0.2, 0.1, 0.0, 0.3]], dtype=np.float32)
    onnx_out = onnx_forward(ROOT / "models" / "posegan" / "default.onnx", x, s)
    error = np.abs(onnx_out - _torch_forward(generator, x, s)).max()
    print(f"default model, real window: max |onnx - torch| = {error:.2e}")
    assert error < TOLERANCE
    # Two onnxruntime sessions: their thread counts change the last bits.
    np.testing.assert_allclose(model.run_windows(x, s[0]), onnx_out, atol=1e-5)
