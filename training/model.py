"""The PoseGAN generator that listens (version 2), in PyTorch, and its motion-statistics losses.

Generator G(x, s) -> poses (B, T, 3), normalised (degrees / pose_std):

* ``x`` (B, T, P): per-frame prosody features (:mod:`core.voice.prosody`, normalised per dimension);
* ``s`` (B, S): a style code (log std per axis, log mean speed, log speech/silence ratio of the
  speaker's poses relative to the training median, see :mod:`core.motion.posegan`), 0 = default style.

A 1x1 input projection of [x, s] to ``channels``, then residual blocks of dilated temporal convolutions
(kernel ``kernel``, dilations ``dilations``; receptive field :attr:`ModelConfig.receptive_field` frames),
a 1x1 head to 3 angles, and an explicit style gain: the output is multiplied per axis by exp(A s + b)
(A, b learned), so the style code scales the amplitude directly as well as shaping the motion through
the network. No normalisation layers and no noise input: the output is a deterministic function of the
audio context (non-causal, +-``receptive_field // 2`` frames), so chained windows that carry that much
context are exactly seamless (see core/motion/posegan.py).

Why not the paper's U-Net + L2: trained on ~7 minutes of speech, an L2 regressor collapses to the calm
mean (head motion is only partly predictable from audio). The losses here match the STATISTICS of real
motion given the audio (:func:`motion_losses`): per-window value distribution (sorted values), speed
envelope over time (log speed, which follows loudness in real speech), speed distribution, spectrum and
jerkiness, plus a decorrelation term so different speech gives different motion, and a small L2 term; two more
terms measure how much the axes move together (the correlation of each pair of axes). :func:`coupling_losses` ties
the head's speed to the voice (hinges on the speed-loudness r and the speech/pause speed ratio, and, where a config
sets one, a ceiling on that ratio).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn


@dataclass
class ModelConfig:
    """``feature_dim``: P; ``style_dim``: S; ``channels``: width; ``kernel``: temporal kernel;
    ``dilations``: one residual block per dilation; ``dropout``: on the input projection while training."""

    feature_dim: int = 16
    style_dim: int = 5
    channels: int = 48
    kernel: int = 5
    dilations: tuple[int, ...] = (1, 2, 4, 8, 16)
    dropout: float = 0.1

    @property
    def receptive_field(self) -> int:
        return 1 + (self.kernel - 1) * sum(self.dilations)

    @property
    def context(self) -> int:
        """Frames of audio needed on each side of an output frame."""
        return self.receptive_field // 2

    def to_dict(self) -> dict:
        data = asdict(self)
        data["dilations"] = list(self.dilations)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> ModelConfig:
        values = {k: v for k, v in dict(data).items() if k in cls.__dataclass_fields__}
        values["dilations"] = tuple(values.get("dilations", cls.dilations))
        return cls(**values)


class Block(nn.Module):
    """h + W1(lrelu(Wd(lrelu(h)))): one dilated temporal conv with a residual connection."""

    def __init__(self, channels: int, kernel: int, dilation: int):
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, kernel, padding=dilation * (kernel // 2), dilation=dilation)
        self.mix = nn.Conv1d(channels, channels, 1)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return h + self.mix(F.leaky_relu(self.conv(F.leaky_relu(h, 0.2)), 0.2))


class Generator(nn.Module):
    """G(x, s) -> poses (B, T, 3); see the module docs."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        c = config.channels
        self.inp = nn.Conv1d(config.feature_dim + config.style_dim, c, 1)
        self.blocks = nn.ModuleList(Block(c, config.kernel, d) for d in config.dilations)
        self.head = nn.Conv1d(c, 3, 1)
        self.gain = nn.Linear(config.style_dim, 3)
        nn.init.zeros_(self.gain.weight)
        nn.init.zeros_(self.gain.bias)
        self.dropout = nn.Dropout(config.dropout)
        # Added to the style input (a personalised model: its person's code; see training.personalize).
        self.register_buffer("style_offset", torch.zeros(config.style_dim))

    def forward(self, x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        t = x.shape[1]
        s = s + self.style_offset
        style = s.unsqueeze(2).expand(-1, -1, t)
        h = self.dropout(self.inp(torch.cat([x.transpose(1, 2), style], dim=1)))
        for block in self.blocks:
            h = block(h)
        out = self.head(F.leaky_relu(h, 0.2))
        return (out * torch.exp(self.gain(s)).unsqueeze(2)).transpose(1, 2)


class ExportWrapper(nn.Module):
    """What the ONNX file holds: G in eval mode, inputs named as core/motion/posegan_model.py expects."""

    def __init__(self, generator: Generator):
        super().__init__()
        self.generator = generator

    def forward(self, audio_features: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        return self.generator(audio_features, style)


# -- losses ------------------------------------------------------------------------------------------------


def _smooth(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gaussian smoothing along dim 1 of (B, T, C) (replicate padding)."""
    radius = max(1, int(3 * sigma))
    k = torch.exp(-0.5 * (torch.arange(-radius, radius + 1, dtype=x.dtype) / sigma) ** 2)
    k = (k / k.sum()).view(1, 1, -1).repeat(x.shape[2], 1, 1)
    h = F.pad(x.transpose(1, 2), (radius, radius), mode="replicate")
    return F.conv1d(h, k, groups=x.shape[2]).transpose(1, 2)


def _speed(y: torch.Tensor) -> torch.Tensor:
    """Angular speed per frame (B, T-1, 1) of poses in degrees (norm of the per-frame change)."""
    return torch.sqrt(((y[:, 1:] - y[:, :-1]) ** 2).sum(dim=2, keepdim=True) + 1e-8)


def _cos2(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean over batch and axes of the squared cosine similarity along time of (B, T, 3) tracks."""
    num = (a * b).sum(dim=1)
    den = torch.sqrt((a * a).sum(dim=1) * (b * b).sum(dim=1) + 1e-6)
    return ((num / den) ** 2).mean()


def _pearson(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Pearson r along dim 1 of (B, T) tensors -> (B,)."""
    a = a - a.mean(dim=1, keepdim=True)
    b = b - b.mean(dim=1, keepdim=True)
    return (a * b).sum(dim=1) / torch.sqrt((a * a).sum(dim=1) * (b * b).sum(dim=1) + 1e-8)


def coupling_losses(
    gen: torch.Tensor, loudness: torch.Tensor, speech: torch.Tensor, target_r: float, target_ratio: torch.Tensor,
    ceiling_ratio: torch.Tensor | None = None,
) -> dict:
    """Prosody coupling of generated poses (B, T, 3) degrees: hinge losses that ask for a head speed that
    correlates with the loudness (Pearson r >= ``target_r``, speed and linear loudness both smoothed) and
    that is ``target_ratio`` (B,) times faster in speech than in pauses (windows with >= 8 frames of each);
    with ``ceiling_ratio`` (B,) also a hinge on a ratio above it (``coupling_ratio_ceiling``: a head that
    freezes in every pause is as unlike a person as one that ignores them).
    ``loudness``: (B, T) the prosody loudness column (dB / 20); ``speech``: (B, T) 0/1 mask."""
    sg = _smooth(_speed(gen), 2.0)[:, :, 0]
    loud = _smooth((10.0 ** loudness[:, 1:]).unsqueeze(2), 2.0)[:, :, 0]
    varied = (loud.std(dim=1) > 1e-3).float()
    r = _pearson(sg, loud)
    terms = {"coupling_r": (F.relu(target_r - r) * varied).sum() / varied.sum().clamp_min(1.0)}
    mask = (speech[:, 1:] > 0.5).float()
    n_speech, n_pause = mask.sum(dim=1), (1.0 - mask).sum(dim=1)
    usable = ((n_speech >= 8) & (n_pause >= 8)).float()
    in_speech = (sg * mask).sum(dim=1) / n_speech.clamp_min(1.0)
    in_pause = (sg * (1.0 - mask)).sum(dim=1) / n_pause.clamp_min(1.0)
    log_speech, log_pause = torch.log(in_speech + 1e-4), torch.log(in_pause + 1e-4)
    ratio_gap = F.relu(torch.log(target_ratio) - log_speech + log_pause)
    terms["coupling_ratio"] = (ratio_gap * usable).sum() / usable.sum().clamp_min(1.0)
    if ceiling_ratio is not None:
        over = F.relu(log_speech - log_pause - torch.log(ceiling_ratio))
        terms["coupling_ratio_ceiling"] = (over * usable).sum() / usable.sum().clamp_min(1.0)
    return terms


def pause_amplitude_losses(gen: torch.Tensor, real: torch.Tensor, speech: torch.Tensor) -> dict:
    """How much a window's amplitude depends on its share of speech, generated against real: per axis, the
    Pearson r over the batch between the window's speech fraction and its log std (poses (B, T, 3) in
    degrees, ``speech`` (B, T) 0/1 mask), and the mean absolute difference of the two r's (``pause_amplitude``).

    The spread of a real head's angles over a window hardly depends on how much of the window is speech
    (training windows: r 0.11 / -0.26 / 0.05); a model that comes back to rest in every pause makes every
    pause-rich clip calm and every unbroken monologue lively
    (the shipped model: r 0.45 / -0.09 / 0.48), an amplitude that says nothing about the speaker. With weight 1
    (four seeds) r falls to 0.18-0.32 / -0.28 to -0.41 / 0.19-0.26, but W does not improve; not used by the
    default config."""
    fraction = speech.mean(dim=1)
    if float(fraction.std()) < 1e-3:
        return {"pause_amplitude": gen.new_zeros(())}
    batch = fraction.unsqueeze(0).expand(3, -1)
    log_gen = torch.log(gen.std(dim=1) + 0.05).transpose(0, 1)
    log_real = torch.log(real.std(dim=1) + 0.05).transpose(0, 1)
    r_gen, r_real = _pearson(batch, log_gen), _pearson(batch, log_real)
    return {"pause_amplitude": (r_gen - r_real).abs().mean()}


def skew_losses(gen: torch.Tensor, real: torch.Tensor) -> dict:
    """Which way a window's angles lean, generated against real: per axis, the batch mean of each window's
    skewness (third standardised moment of the angles, poses (B, T, 3) in degrees), and the mean absolute
    difference of the two means over the axes (``skew``). Real speakers lean either way (yaw and roll are
    mirrored in training); the shipped model's whole-clip tracks all lean one way (training clips: skewness
    +0.40 / +0.37 / +0.53, real +0.23 / +0.03 / +0.08), which costs W on every speaker who leans the other way.
    Measured over four seeds, the term does not remove that lean reliably (a seed's whole-clip skew is -0.8 to
    +0.6 on each axis, with or without it); not used by the default config."""
    def skewness(y: torch.Tensor) -> torch.Tensor:
        c = y - y.mean(dim=1, keepdim=True)
        return (c**3).mean(dim=1) / ((c**2).mean(dim=1) + 1e-3) ** 1.5

    return {"skew": (skewness(gen).mean(0) - skewness(real).mean(0)).abs().mean()}


def motion_losses(gen: torch.Tensor, real: torch.Tensor, gen_other: torch.Tensor | None = None) -> dict:
    """Loss terms for generated and real poses in DEGREES, (B, T, 3) each (see the module docs).

    ``gen_other``: the generator's output for other audio of the same batch (time-reversed features), whose
    similarity to ``gen`` is penalised with the batch-rolled pairs.
    """
    gc = gen - gen.mean(dim=1, keepdim=True)
    rc = real - real.mean(dim=1, keepdim=True)
    terms = {}
    # Per-window distribution of the values per axis: sorted values (1-D Wasserstein), in degrees.
    terms["values"] = (torch.sort(gc, dim=1).values - torch.sort(rc, dim=1).values).abs().mean()
    # Spread of the window means across the batch (slow drift), in degrees.
    gm, rm = gen.mean(dim=1), real.mean(dim=1)
    terms["drift"] = (torch.sqrt((gm**2).mean(0) + 1e-6) - torch.sqrt((rm**2).mean(0) + 1e-6)).abs().mean()
    # Speed envelope over time: log of the smoothed speed, frame by frame.
    sg, sr = _smooth(_speed(gen), 2.0), _smooth(_speed(real), 2.0)
    terms["envelope"] = (torch.log(sg + 0.05) - torch.log(sr + 0.05)).abs().mean()
    # Speed distribution over the batch (deg/frame).
    terms["speed_dist"] = (torch.sort(sg.flatten()).values - torch.sort(sr.flatten()).values).abs().mean() * 5.0
    # Power spectrum per axis (batch mean), log, low frequencies weighted as the rest.
    window = torch.hann_window(gen.shape[1], periodic=False, dtype=gen.dtype).view(1, -1, 1)
    pg = (torch.fft.rfft(gc * window, dim=1).abs() ** 2).mean(0)
    pr = (torch.fft.rfft(rc * window, dim=1).abs() ** 2).mean(0)
    terms["spectrum"] = (torch.log(pg[1:] + 1e-2) - torch.log(pr[1:] + 1e-2)).abs().mean()
    # Jerkiness: mean absolute acceleration per axis, log ratio.
    ag = (gen[:, 2:] - 2 * gen[:, 1:-1] + gen[:, :-2]).abs().mean(dim=(0, 1))
    ar = (real[:, 2:] - 2 * real[:, 1:-1] + real[:, :-2]).abs().mean(dim=(0, 1))
    terms["jerk"] = (torch.log(ag + 1e-3) - torch.log(ar + 1e-3)).abs().mean()
    # Different audio -> different motion: the other windows of the batch, and the reversed audio.
    dec = _cos2(gen, torch.roll(gen, 1, dims=0))
    if gen_other is not None:
        dec = 0.5 * (dec + _cos2(gen, gen_other))
    terms["decorrelation"] = dec
    # The axes move apart as a real head's do: per window, the Pearson r of each pair of axes (yaw-pitch, yaw-roll,
    # pitch-roll); the batch mean of its square ("axes") and of itself ("axes_mean") against the real windows' (real
    # speakers: |r| about 0.4 in a window, of either sign, so about 0 on average).
    pairs = ((0, 1), (0, 2), (1, 2))
    rg = torch.stack([_pearson(gen[:, :, i], gen[:, :, j]) for i, j in pairs], dim=1)
    rr = torch.stack([_pearson(real[:, :, i], real[:, :, j]) for i, j in pairs], dim=1)
    terms["axes"] = ((rg**2).mean(0) - (rr**2).mean(0)).abs().mean()
    terms["axes_mean"] = (rg.mean(0) - rr.mean(0)).abs().mean()
    terms["l2"] = ((gc - rc) ** 2).mean() / (rc.pow(2).mean() + 1e-6)
    return terms
