"""PoseGAN (Zhang et al., "3D Talking Face with Personalized Pose Dynamics"), head-pose part, in PyTorch.

Generator G(x, p): a CNN audio encoder, then a 1-D U-Net over time; the initial pose ``p`` is embedded
(a linear map to ``pose_embed`` channels, repeated over time) at the U-Net's INPUT and again at its
OUTPUT layer. Discriminator D(x, y): a CNN over the audio features and the pose sequence (plus its
frame-to-frame motion), giving one real/fake logit per patch of frames.

Shapes: audio ``x`` (B, T, D) normalised features, initial pose ``p`` (B, 3) and poses ``y`` (B, T, 3)
normalised (see :mod:`training.dataset`). T must be a multiple of ``2 ** levels`` (16); everything is
convolutional (BatchNorm in eval mode is a per-channel affine map), so any such T works at inference.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn


@dataclass
class ModelConfig:
    """Layer sizes. ``feature_dim``: D; ``audio_channels``: audio encoder width; ``channels``: U-Net widths
    at T, T/2, ..., T/2**levels; ``pose_embed``: channels of the initial-pose embedding; ``kernel``:
    temporal kernel size; ``disc_channels``: discriminator widths; ``dropout``: dropout probability on the
    audio encoding and the U-Net bottleneck while training (pix2pix-style noise and regularisation; off
    in eval mode, so the exported graph is deterministic)."""

    feature_dim: int = 80
    audio_channels: int = 64
    channels: tuple[int, ...] = (48, 64, 64, 96, 96)
    pose_embed: int = 16
    kernel: int = 5
    disc_channels: tuple[int, ...] = (64, 96, 128)
    dropout: float = 0.0

    @property
    def levels(self) -> int:
        return len(self.channels) - 1

    @property
    def time_multiple(self) -> int:
        return 2**self.levels

    def to_dict(self) -> dict:
        data = asdict(self)
        data["channels"] = list(self.channels)
        data["disc_channels"] = list(self.disc_channels)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> ModelConfig:
        values = dict(data)
        values["channels"] = tuple(values.get("channels", cls.channels))
        values["disc_channels"] = tuple(values.get("disc_channels", cls.disc_channels))
        return cls(**values)


def conv_block(c_in: int, c_out: int, kernel: int, stride: int = 1) -> nn.Sequential:
    """Conv1d + BatchNorm + LeakyReLU(0.2); stride 2 halves T (kernel 4, padding 1 for stride 2)."""
    if stride == 2:
        conv = nn.Conv1d(c_in, c_out, 4, stride=2, padding=1, bias=False)
    else:
        conv = nn.Conv1d(c_in, c_out, kernel, padding=kernel // 2, bias=False)
    return nn.Sequential(conv, nn.BatchNorm1d(c_out), nn.LeakyReLU(0.2))


class AudioEncoder(nn.Module):
    """Per-frame audio features (B, D, T) -> (B, audio_channels, T): 1x1 projection + two temporal convs."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        c = config.audio_channels
        self.net = nn.Sequential(
            conv_block(config.feature_dim, c, 1),
            conv_block(c, c, config.kernel),
            conv_block(c, c, config.kernel),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class Generator(nn.Module):
    """G(x, p) -> poses (B, T, 3); see the module docs."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        k, ch, e = config.kernel, config.channels, config.pose_embed
        self.encoder = AudioEncoder(config)
        self.pose_in = nn.Linear(3, e)
        self.pose_out = nn.Linear(3, e)
        self.stem = conv_block(config.audio_channels + e, ch[0], k)
        self.down = nn.ModuleList(
            nn.Sequential(conv_block(ch[i], ch[i + 1], k, stride=2), conv_block(ch[i + 1], ch[i + 1], k))
            for i in range(config.levels)
        )
        self.up = nn.ModuleList(conv_block(ch[i + 1] + ch[i], ch[i], k) for i in range(config.levels))
        self.upsample = nn.Upsample(scale_factor=2.0, mode="nearest")
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Sequential(
            nn.Conv1d(ch[0] + e, ch[0], k, padding=k // 2),
            nn.LeakyReLU(0.2),
            nn.Conv1d(ch[0], 3, 1),
        )

    def forward(self, x: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
        a = self.dropout(self.encoder(x.transpose(1, 2)))
        t = a.shape[2]
        emb_in = self.pose_in(p).unsqueeze(2).expand(-1, -1, t)
        h = self.stem(torch.cat([a, emb_in], dim=1))
        skips = [h]
        for block in self.down:
            h = block(h)
            skips.append(h)
        h = self.dropout(h)
        for i in reversed(range(self.config.levels)):
            h = self.up[i](torch.cat([self.upsample(h), skips[i]], dim=1))
        emb_out = self.pose_out(p).unsqueeze(2).expand(-1, -1, t)
        return self.head(torch.cat([h, emb_out], dim=1)).transpose(1, 2)


class Discriminator(nn.Module):
    """D(x, y) -> logits (B, T / 8): audio features + poses + their per-frame motion, strided convs."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        dc = config.disc_channels
        self.audio = nn.Sequential(nn.Conv1d(config.feature_dim, 32, 1), nn.LeakyReLU(0.2))
        layers: list[nn.Module] = [nn.Conv1d(32 + 6, dc[0], 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
        for i in range(1, len(dc)):
            layers += [nn.Conv1d(dc[i - 1], dc[i], 4, stride=2, padding=1), nn.BatchNorm1d(dc[i]), nn.LeakyReLU(0.2)]
        layers.append(nn.Conv1d(dc[-1], 1, 3, padding=1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        motion = torch.cat([torch.zeros_like(y[:, :1]), y[:, 1:] - y[:, :-1]], dim=1)
        h = torch.cat([self.audio(x.transpose(1, 2)), y.transpose(1, 2), motion.transpose(1, 2) * 5.0], dim=1)
        return self.net(h).squeeze(1)


def l2_losses(pred: torch.Tensor, real: torch.Tensor, p: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The paper's L_pose = ||p - y^_0||^2 + sum_t ||y_t - y^_t||^2 and L_motion = sum_t ||dy_t - dy^_t||^2,
    as means over frames and batch (sums divided by T, so the weights do not depend on the window)."""
    t = pred.shape[1]
    l_pose = ((pred - real) ** 2).sum(dim=2).mean() + ((pred[:, 0] - p) ** 2).sum(dim=1).mean() / t
    d_pred, d_real = pred[:, 1:] - pred[:, :-1], real[:, 1:] - real[:, :-1]
    l_motion = ((d_pred - d_real) ** 2).sum(dim=2).mean()
    return l_pose, l_motion


class ExportWrapper(nn.Module):
    """What the ONNX file holds: G in eval mode, inputs named as core/motion/posegan.py expects."""

    def __init__(self, generator: Generator):
        super().__init__()
        self.generator = generator

    def forward(self, audio_features: torch.Tensor, initial_pose: torch.Tensor) -> torch.Tensor:
        return self.generator(audio_features, initial_pose)
