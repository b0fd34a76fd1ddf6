"""`make bench`: performance benchmarks, each printed as a ratio against a baseline measured in the same run.

Run with the bpy module on PYTHONPATH (the Makefile does). Every benchmark prints its timing, its
baseline, the ratio, and whether the project's target holds; the exit status is non-zero when a target
is missed. ``--only NAME`` runs one benchmark.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "data" / "dev"
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tests" / "blender"))
import extension_dev  # noqa: E402

USER_DIR = extension_dev.use_private_user_dir("head_motion_bench_")
import bpy  # noqa: E402
import numpy as np  # noqa: E402

EXT = extension_dev.enable_from_source(USER_DIR, "head_motion_bench")
for _module in ("voice.decode", "voice.features", "voice.vad", "metrics", "motion.speech", "motion.synthetic", "video",
                "motion.posegan"):
    importlib.import_module(f"{EXT.__name__}.core.{_module}")


@dataclass
class Result:
    """One benchmark line: what was measured, the baseline measured in the same run, and the target."""

    name: str
    seconds: float
    baseline_name: str
    baseline_seconds: float
    target: str
    ok: bool
    unit: str = "ms"
    higher_is_better: bool = False

    def line(self) -> str:
        value, base = self.seconds, self.baseline_seconds
        num, den = (value, base) if self.higher_is_better else (base, value)
        ratio = num / den if den > 0 else float("inf")
        verdict = "ok" if self.ok else "MISSED"
        scale = 1000.0 if self.unit == "ms" else 1.0
        fmt = "10.3f" if self.unit == "" else "10.1f"
        return (f"{self.name:<36} {value * scale:{fmt}} {self.unit:<4} baseline {self.baseline_name:<30} "
                f"{base * scale:{fmt}} {self.unit:<4} ratio {ratio:8.2f}x   target {self.target}: {verdict}")


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _fresh_rig():
    from rigs import RIGS, build_rig

    bpy.ops.wm.read_homefile(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 30, 1.0
    return build_rig(RIGS["rigify_roll"]), scene


def bench_bake() -> Result:
    """Bake 18,000 frames (10 min at 30 fps) vs a keyframe_insert loop over the same frames."""
    n = 18_000
    synthetic = EXT.core.motion.synthetic
    track = synthetic.generate_synthetic(n, 30.0, synthetic.preset_settings("CONVERSATIONAL"))

    def ours():
        obj, _ = _fresh_rig()
        EXT.anim.bake.bake_track(obj, track)

    seconds = best_of(ours)
    obj, _ = _fresh_rig()
    pb = obj.pose.bones["head"]
    quats = EXT.core.rotation.quat_from_matrix(EXT.core.rotation.character_rotation(*track.angles.T))
    t0 = time.perf_counter()
    for frame, q in enumerate(quats, start=1):
        pb.rotation_quaternion = q
        pb.keyframe_insert("rotation_quaternion", frame=frame)
    baseline = time.perf_counter() - t0
    return Result("bake 18,000 frames", seconds, "keyframe_insert loop", baseline,
                  ">= 50x faster and < 1 s", baseline / seconds >= 50 and seconds < 1.0)


def bench_generate() -> Result:
    """Generate one hour of synthetic motion at 30 fps vs numpy drawing the same number of random samples."""
    n = 30 * 3600
    settings = EXT.core.motion.synthetic.preset_settings("CONVERSATIONAL")
    seconds = best_of(lambda: EXT.core.motion.synthetic.generate_synthetic(n, 30.0, settings))
    rng = np.random.default_rng(0)
    baseline = best_of(lambda: np.sin(rng.standard_normal((n, 3))))
    return Result("generate 1 hour (108,000 frames)", seconds, "numpy sin(randn) same size", baseline,
                  "< 0.2 s", seconds < 0.2)


def _speech_clip(seconds: float):
    """The bundled speech sample at 16 kHz, repeated to ``seconds``."""
    clip = EXT.anim.audio.load_audio(ROOT / "samples" / "speech_sample.ogg")
    reps = int(np.ceil(seconds * clip.sample_rate / len(clip.samples)))
    samples = np.tile(clip.samples, reps)[: int(seconds * clip.sample_rate)]
    return EXT.core.voice.decode.AudioClip(samples, clip.sample_rate, "speech_sample x" + str(reps))


def bench_audio() -> Result:
    """10 minutes of audio -> per-frame features + speech mask, vs librosa's mel spectrogram alone."""
    import librosa

    clip = _speech_clip(600.0)
    fps = 25.0
    config = EXT.core.voice.features.FeatureConfig()

    def ours():
        EXT.core.voice.features.audio_features(clip.samples, config, fps)
        EXT.core.voice.vad.speech_mask_from_audio(clip.samples, clip.sample_rate, fps)

    seconds = best_of(ours, 2)
    baseline = best_of(lambda: librosa.feature.melspectrogram(
        y=clip.samples, sr=clip.sample_rate, n_fft=config.n_fft, hop_length=int(clip.sample_rate / fps),
        n_mels=config.n_mels), 2)
    return Result("10 min audio -> features + mask", seconds, "librosa melspectrogram only", baseline,
                  "< 5 s", seconds < 5.0)


def _voice_memory(minutes: float, path: str, voice: Path) -> dict:
    """benchmarks/voice_memory.py in its own process (the path users run, peak over Blender's baseline)."""
    import json
    import subprocess

    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "voice_memory.py"), str(minutes), "--path", path,
                           "--file", str(voice)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _bench_voice_memory(minutes: float) -> Result:
    """Import Voice + Generate & Bake (the operators) on ``minutes`` of 48 kHz stereo: peak memory over the
    baseline of Blender with the extension loaded; the batch/API path (api.build_motion) is printed too."""
    import tempfile

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import voice_memory

    with tempfile.TemporaryDirectory(prefix="head_motion_bench_voice_") as tmp:
        voice = Path(tmp) / "voice.flac"
        voice_memory.write_voice(voice, minutes * 60.0)
        api = _voice_memory(minutes, "api", voice)
        operator = _voice_memory(minutes, "operator", voice)
    whole = minutes * 60 * 48000 * 2 * 4 / 2**20  # MB the 48 kHz stereo float32 samples alone would take
    print(f"  ({minutes:g} min of 48 kHz stereo: operators {operator['over_baseline_mb']:.0f} MB in "
          f"{operator['seconds']:.1f} s, api.build_motion {api['over_baseline_mb']:.0f} MB in {api['seconds']:.1f} s, "
          f"over Blender's own {operator['baseline_mb']:.0f} MB)")
    peak = max(api["over_baseline_mb"], operator["over_baseline_mb"])
    return Result(f"voice {minutes:g} min 48k stereo: peak", peak, "48k stereo float32 samples", whole,
                  "< 300 MB", peak < 300.0, unit="MB")


def bench_voice_memory_10() -> Result:
    return _bench_voice_memory(10.0)


def bench_voice_memory_60() -> Result:
    return _bench_voice_memory(60.0)


def bench_beat_align() -> Result:
    """Beat Align Score (audio onsets vs head-speed minima, sigma 3 frames) without and with accents."""
    import librosa

    fps = 25.0
    clips = [ROOT / "samples" / "speech_sample.ogg", *sorted(DEV.glob("*.mp4"))[:8]]
    settings = EXT.core.motion.synthetic.preset_settings("CONVERSATIONAL", seed=1)
    scores = {0.0: [], 1.0: []}
    for path in clips:
        clip = EXT.anim.audio.load_audio(path)
        hop = int(clip.sample_rate / fps)
        onsets = librosa.onset.onset_detect(y=clip.samples, sr=clip.sample_rate, hop_length=hop, units="frames")
        for accents in scores:
            options = EXT.core.motion.speech.SpeechMotionOptions(accent_intensity=accents)
            track = EXT.core.motion.speech.motion_from_audio(clip, fps, settings, options)
            onsets_in = onsets[onsets < len(track)]
            scores[accents].append(EXT.core.metrics.beat_align_score(onsets_in, track.angles, sigma_frames=3))
    without, with_ = float(np.mean(scores[0.0])), float(np.mean(scores[1.0]))
    print(f"  (Beat Align over {len(clips)} clips, librosa onsets: without accents {without:.3f}, "
          f"with accents {with_:.3f})")
    return Result("Beat Align with accents (score)", with_, "without accents", without,
                  "higher with accents", with_ > without, unit="", higher_is_better=True)


def bench_video() -> Result:
    """End-to-end estimation (decode + landmarks + fit + filter) on a 512x512 clip vs decoding alone."""
    import cv2

    clip = DEV / "mimictalk_German_20s.mp4"
    settings = EXT.core.video.EstimationSettings()
    t0 = time.perf_counter()
    result = EXT.core.video.estimate_video(clip, settings)
    seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    capture = cv2.VideoCapture(str(clip))
    while capture.read()[0]:
        pass
    capture.release()
    decode = time.perf_counter() - t0
    n = result.n_frames
    print(f"  ({n} frames of 512x512: estimation {n / seconds:.0f} frames/s, decoding alone {n / decode:.0f})")
    return Result("video estimation 512x512 (s/frame)", seconds / n, "decoding only", decode / n,
                  ">= 30 frames/s", n / seconds >= 30.0)


def bench_posegan() -> Result:
    """10 minutes of audio features -> PoseGAN poses (excluding feature extraction) vs the synthetic generator."""
    posegan = EXT.core.motion.posegan
    model = posegan.load_model()
    fps = float(model.metadata.fps)
    n = int(600 * fps)
    features = np.random.default_rng(0).standard_normal((n, model.metadata.feature_dim)).astype(np.float32)
    seconds = best_of(lambda: posegan.generate_pose(features, model), 2)
    settings = EXT.core.motion.synthetic.preset_settings("CONVERSATIONAL")
    baseline = best_of(lambda: EXT.core.motion.synthetic.generate_synthetic(n, fps, settings), 2)
    return Result("PoseGAN 10 min features -> poses", seconds, "synthetic generator same length", baseline,
                  "< 3 s", seconds < 3.0)


BENCHMARKS: dict[str, Callable[[], Result]] = {
    "generate": bench_generate,
    "bake": bench_bake,
    "audio": bench_audio,
    "voice_memory_10min": bench_voice_memory_10,
    "voice_memory_60min": bench_voice_memory_60,
    "beat_align": bench_beat_align,
    "video": bench_video,
    "posegan": bench_posegan,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(BENCHMARKS), action="append")
    args = parser.parse_args(argv)
    names = args.only or list(BENCHMARKS)
    print(f"Head Motion benchmarks on Blender {bpy.app.version_string}")
    results = []
    for name in names:
        result = BENCHMARKS[name]()
        print(result.line(), flush=True)
        results.append(result)
    missed = [r.name for r in results if not r.ok]
    summary = f"{len(results) - len(missed)} of {len(results)} targets met"
    print(summary + (f"; missed: {', '.join(missed)}" if missed else ""))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
