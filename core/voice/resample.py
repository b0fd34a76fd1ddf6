"""Resampling of mono float audio to another rate: a numpy windowed-sinc (Kaiser) polyphase resampler that
works block by block (:class:`Resampler`) or on a whole array (:func:`resample`), so every decoder and every
machine produce the same samples. Rates in Hz."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..checks import sample_rate
from ..errors import SettingsError

#: Kaiser-windowed sinc: zero crossings of the sinc on each side, pass band as a fraction of the lower
#: Nyquist frequency, Kaiser beta (~75 dB stop band). At 16 kHz output: flat to ~6.5 kHz, -6 dB at 7.4 kHz,
#: stop band from ~8.2 kHz, so nothing above 8.8 kHz aliases below 7.2 kHz.
RESAMPLE_ZERO_CROSSINGS = 24
RESAMPLE_PASSBAND = 0.92
RESAMPLE_BETA = 7.5
#: Most filter phases used; a rate ratio needing more is approximated by the nearest ratio that does
#: not (relative rate error < 1e-6 for any rate in 4-384 kHz; standard rates are exact).
_MAX_PHASES = 1024
#: Rows of input processed per matrix product (bounds the temporary memory to a few MB).
_RESAMPLE_ROWS = 4096
#: A row of the matrix product spans at least this many filter lengths of input (speed trade-off).
_ROW_SPAN = 1


def _resample_ratio(rate_in: int, rate_out: int) -> tuple[int, int]:
    """(L, M): L output samples for every M input samples, L <= _MAX_PHASES."""
    ratio = Fraction(rate_in, rate_out).limit_denominator(_MAX_PHASES)  # = M / L
    return ratio.denominator, ratio.numerator


class Resampler:
    """Band-limited resampling from ``rate_in`` to ``rate_out`` Hz, whole signals or block by block.

    Output sample n lies at input position p = n * rate_in / rate_out (so sample 0 of both streams is the
    same instant) and is a Kaiser-windowed sinc interpolation of the inputs around p, low-pass filtered
    below the lower of the two Nyquist frequencies (see ``RESAMPLE_*``). Before the first and after the
    last input sample the signal is taken as zero. A whole signal of n samples gives
    ``ceil(n * rate_out / rate_in)`` samples.

    Feed blocks with :meth:`process`; the last call passes ``final=True``. The concatenated outputs are
    the same whatever the block sizes (to float32 rounding). Polyphase implementation: the filter is
    tabulated for the L output phases of the rational ratio L / M, and groups of outputs are computed
    as one matrix product per batch of input rows.

    ``whole_chunks``: compute the rows in the batches a whole-signal :func:`resample` uses (from the
    first row, ``_RESAMPLE_ROWS`` at a time), holding back up to one batch until it is complete, so the
    streamed output equals :func:`resample` of the whole signal bit for bit (a matrix product's rounding
    can depend on its batch).
    """

    def __init__(self, rate_in: int, rate_out: int, whole_chunks: bool = False):
        self.whole_chunks = bool(whole_chunks)
        self.rate_in = sample_rate(rate_in, "input sample rate")
        self.rate_out = sample_rate(rate_out, "output sample rate")
        self._identity = self.rate_in == self.rate_out
        self._n_in = 0
        self._n_out = 0
        self._done = False
        if self._identity:
            return
        up, down = _resample_ratio(self.rate_in, self.rate_out)  # `up` outputs for every `down` inputs
        cutoff = RESAMPLE_PASSBAND * min(1.0, up / down)  # fraction of the INPUT Nyquist frequency
        half = math.ceil(RESAMPLE_ZERO_CROSSINGS / cutoff)
        taps = 2 * half
        phase = np.arange(up)
        base = (phase * down) // up  # whole input samples from q * down to output q * up + r
        frac = ((phase * down) % up) / up  # and the fractional part
        t = np.arange(-half + 1, half + 1)[None, :] - frac[:, None]  # tap offsets in input samples
        window = np.i0(RESAMPLE_BETA * np.sqrt(np.clip(1.0 - (t / half) ** 2, 0.0, 1.0))) / np.i0(RESAMPLE_BETA)
        table = cutoff * np.sinc(cutoff * t) * window
        table /= table.sum(axis=1, keepdims=True)  # exact unit gain at 0 Hz for every phase
        # One "row" of `groups` input periods (groups * down inputs) makes groups * up outputs from a window
        # of `width` inputs: out[q * up + r] = sum_j table[r, j] * xp[q * down + base[r] + j], where xp is
        # the input delayed by half - 1 zeros. Rows are computed as a matrix product with `matrix`.
        groups = max(1, math.ceil(_ROW_SPAN * taps / down))
        width = groups * down + taps - 1
        matrix = np.zeros((width, groups * up), dtype=np.float32)
        for g in range(groups):
            for r in range(up):
                start = g * down + int(base[r])
                matrix[start : start + taps, g * up + r] = table[r]
        self._up, self._down, self._groups, self._width = up, down, groups, width
        self._stride = groups * down
        self._matrix = matrix
        self._buf = np.zeros(half - 1, dtype=np.float32)  # xp from index 0: the leading zeros
        self._buf_start = 0  # xp index of _buf[0]
        self._row = 0  # next row to compute
        self._pad = half - 1

    def expected_length(self, n_in: int) -> int:
        """Number of output samples for ``n_in`` input samples."""
        if self._identity:
            return int(n_in)
        return -((-int(n_in) * self._up) // self._down)

    def process(self, block: np.ndarray, final: bool = False) -> np.ndarray:
        """Resample the next block (1-D float); returns the float32 output samples now complete."""
        if self._done:
            raise SettingsError("Resampler.process called again after the final block.")
        x = np.asarray(block, dtype=np.float32).reshape(-1)
        self._n_in += len(x)
        self._done = bool(final)
        if self._identity:
            self._n_out += len(x)
            return x.copy()
        self._buf = np.concatenate([self._buf, x]) if len(x) else self._buf
        available = self._buf_start + len(self._buf)  # xp samples present
        if final:
            total = self.expected_length(self._n_in)
            if total <= self._n_out:
                return np.zeros(0, dtype=np.float32)
            last_row = (total - 1) // (self._groups * self._up)
            need = last_row * self._stride + self._width
            if need > available:
                self._buf = np.concatenate([self._buf, np.zeros(need - available, dtype=np.float32)])
            stop = last_row + 1
        else:
            stop = max(self._row, (available - self._width) // self._stride + 1)
            if self.whole_chunks:
                stop = max(self._row, stop // _RESAMPLE_ROWS * _RESAMPLE_ROWS)
        pieces = []
        while self._row < stop:
            rows = min(stop - self._row, _RESAMPLE_ROWS)
            offset = self._row * self._stride - self._buf_start
            view = np.lib.stride_tricks.as_strided(
                self._buf[offset:],
                shape=(rows, self._width),
                strides=(self._stride * self._buf.itemsize, self._buf.itemsize),
                writeable=False,
            )
            pieces.append((np.ascontiguousarray(view) @ self._matrix).reshape(-1))
            self._row += rows
        keep_from = self._row * self._stride - self._buf_start
        if keep_from > 0:
            self._buf = self._buf[keep_from:].copy()
            self._buf_start += keep_from
        out = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
        if final:
            out = out[: self.expected_length(self._n_in) - self._n_out]
        self._n_out += len(out)
        return out


def resample(samples: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Resample a whole 1-D signal from ``rate_in`` to ``rate_out`` Hz (see :class:`Resampler`); float32."""
    return Resampler(rate_in, rate_out).process(samples, final=True)


