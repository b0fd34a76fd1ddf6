"""Stream one hour of audio through decode → features → speech mask; print time and peak memory.

Run as its own process (``python benchmarks/long_audio.py``) so its peak RSS is its own. Plain Python,
no Blender: the same core code runs inside Blender.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.voice.decode import decode_audio, iter_audio_blocks  # noqa: E402
from core.voice.features import FeatureConfig, iter_audio_features  # noqa: E402
from core.voice.vad import speech_mask_from_blocks  # noqa: E402

FPS = 30.0
SECONDS = 3600


def write_hour(path: Path, rate: int = 16000) -> None:
    """One hour of the speech sample repeated, as 16-bit mono WAV, written piece by piece."""
    piece = decode_audio(ROOT / "samples" / "speech_sample.ogg", rate).samples
    pcm = (np.clip(piece, -1, 1) * 32767).astype("<i2").tobytes()
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        written = 0
        while written < SECONDS * rate:
            out.writeframes(pcm)
            written += len(piece)


def peak_rss_mb() -> float:
    """Peak resident memory of this process (VmHWM; unlike ru_maxrss it starts afresh at exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hour.wav"
        write_hour(path)
        before = peak_rss_mb()
        started = time.perf_counter()
        config = FeatureConfig()
        n_rows = 0
        for rows in iter_audio_features(iter_audio_blocks(path, config.sample_rate, 10.0), config, FPS):
            n_rows += len(rows)
        mask = speech_mask_from_blocks(iter_audio_blocks(path, 16000, 10.0), 16000, FPS)
        seconds = time.perf_counter() - started
        peak = peak_rss_mb()
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak, "rss_before_mb": before,
                      "feature_rows": n_rows, "speech_fraction": float(mask.mean())}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
