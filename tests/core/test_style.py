"""Tests of core.motion.style: learning generator settings from a track, on synthetic and real speakers; style files."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from core.errors import SettingsError, TrackError
from core.filters import lowpass_noise, moving_average
from core.metrics import mean_speed, speech_silence_motion_ratio
from core.motion.style import FORMAT, Style, StyleStats, load_style, save_style, style_from_dict, style_to_dict
from core.motion.style_fit import MIN_DURATION_S, VIDEO_NOISE_DEG, estimator_noise_deg, fit_style
from core.motion.synthetic import PRESETS, AxisMotion, SyntheticSettings, generate_synthetic
from core.track import PoseTrack

FPS = 25.0
AXES = ("yaw", "pitch", "roll")
#: Very different from the presets: yaw barely turns, roll tilts a lot and slowly, pitch in between.
CUSTOM = SyntheticSettings(
    yaw=AxisMotion((0.3, 1.5), (1.0, 2.5)),
    pitch=AxisMotion((1.0, 4.0), (2.0, 5.0)),
    roll=AxisMotion((4.0, 12.0), (3.0, 8.0)),
    segment_s=(2.0, 5.0),
    jitter_deg=0.25,
)
SOURCES = {"ANIMATED": PRESETS["ANIMATED"], "CUSTOM": CUSTOM}

DEV = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "dev"
if not DEV.is_dir():
    DEV = Path("/work/shared/data/dev")
BIG_MOVER = "voxceleb2_pcavs_Audio_Source_741400104.mp4"  # 12 s, yaw std ~13 degrees
CALM_SPEAKER = "mimictalk_Trump_10s.mp4"  # 10 s, yaw std ~0.8 degrees
PAUSING_SPEAKER = "voxceleb2_pcavs_Input_00098.mp4"  # 10 s, about half of it silent
REAL_CLIPS = (BIG_MOVER, CALM_SPEAKER, PAUSING_SPEAKER)
needs_clips = pytest.mark.skipif(
    not all((DEV / name).is_file() for name in REAL_CLIPS), reason="development clips (shared/data/dev) not available"
)


def synthetic(settings: SyntheticSettings, seconds: float, seed: int, speech: np.ndarray | None = None) -> PoseTrack:
    return generate_synthetic(round(seconds * FPS), FPS, dataclasses.replace(settings, seed=seed), speech)


def tiled(mask: np.ndarray, n: int) -> np.ndarray:
    """``mask`` played forward, backward, forward ... to ``n`` frames (how a style meets new audio)."""
    reps = -(-n // len(mask))
    return np.concatenate([mask if i % 2 == 0 else mask[::-1] for i in range(reps)])[:n]


def phrase_mask(seconds: float, seed: int) -> np.ndarray:
    """Speech mask of phrases of 2-6 s separated by pauses of 0.5-3 s, with 0.2 s ramps."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * FPS)) / FPS
    mask, start = np.zeros(len(t)), 0.0
    while start < seconds:
        length = rng.uniform(2.0, 6.0)
        mask[(t >= start) & (t < start + length)] = 1.0
        start += length + rng.uniform(0.5, 3.0)
    return np.clip(moving_average(mask, 5), 0.0, 1.0)


def period_ranges_overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


@pytest.fixture(scope="module")
def fitted():
    """Each synthetic source (120 s) and the style learned from it."""
    out = {}
    for name, settings in SOURCES.items():
        source = synthetic(settings, 120.0, seed=3)
        out[name] = (source, fit_style(source, name=name))
    return out


# -- (a) round trip on synthetic tracks ---------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SOURCES))
def test_round_trip_reproduces_std_speed_and_frequency_band(fitted, name):
    source, style = fitted[name]
    truth = SOURCES[name]
    regenerated = [synthetic(style.settings, 120.0, seed) for seed in (101, 102, 103)]
    std = np.mean([track.angles.std(axis=0) for track in regenerated], axis=0)
    np.testing.assert_allclose(std, source.angles.std(axis=0), rtol=0.2)
    speed = np.mean([mean_speed(track, FPS) for track in regenerated])
    assert speed == pytest.approx(mean_speed(source, FPS), rel=0.25)
    for axis in AXES:
        fitted_periods = getattr(style.settings, axis).period_s
        assert period_ranges_overlap(fitted_periods, getattr(truth, axis).period_s), (axis, fitted_periods)
        assert getattr(style.settings, axis).bias_deg == 0.0
    # the calibration itself (32 runs of 60 s) reproduces the source closely
    np.testing.assert_allclose(style.stats.fitted_std_deg, source.angles.std(axis=0), rtol=0.05)
    assert style.stats.fitted_mean_speed_deg_s == pytest.approx(mean_speed(source, FPS), rel=0.05)
    assert style.settings.seed == 0 and style.settings.intensity == 1.0 and style.name == name


def test_round_trip_keeps_the_proportions_of_the_axes(fitted):
    _, style = fitted["CUSTOM"]
    high = [getattr(style.settings, axis).amplitude_deg[1] for axis in AXES]
    assert high[0] < high[1] < high[2]  # yaw tiny, roll large, as in the source
    assert high[2] == pytest.approx(CUSTOM.roll.amplitude_deg[1], rel=0.25)
    assert high[0] == pytest.approx(CUSTOM.yaw.amplitude_deg[1], rel=0.35)
    # roll's slow tilts stay slower than yaw's quick turns
    assert np.sqrt(np.prod(style.settings.roll.period_s)) > 1.5 * np.sqrt(np.prod(style.settings.yaw.period_s))


def test_short_track_gives_a_usable_style():
    source = synthetic(PRESETS["ANIMATED"], 12.0, seed=8)
    style = fit_style(source)
    regenerated = [synthetic(style.settings, 60.0, seed) for seed in (1, 2, 3)]
    std = np.mean([track.angles.std(axis=0) for track in regenerated], axis=0)
    np.testing.assert_allclose(std, source.angles.std(axis=0), rtol=0.3)
    speed = np.mean([mean_speed(track, FPS) for track in regenerated])
    assert speed == pytest.approx(mean_speed(source, FPS), rel=0.3)
    assert style.stats.duration_s == pytest.approx(12.0)


def test_silence_floor_is_learned_from_the_speech_mask():
    mask = phrase_mask(120.0, seed=5)
    source = synthetic(dataclasses.replace(PRESETS["CONVERSATIONAL"], silence_floor=0.3), 120.0, 4, mask)
    style = fit_style(source)  # the mask comes with the track
    assert 0.2 <= style.settings.silence_floor <= 0.45
    source_ratio = speech_silence_motion_ratio(source, mask, FPS)
    regenerated = [synthetic(style.settings, 120.0, seed, mask) for seed in (11, 12, 13)]
    ratio = np.mean([speech_silence_motion_ratio(track, mask, FPS) for track in regenerated])
    assert ratio == pytest.approx(source_ratio, rel=0.2)
    assert style.stats.speech_silence_ratio == pytest.approx(source_ratio)
    # without the mask nothing is learned about silence: the base's floor stays
    always_speaking = fit_style(source, speech=np.ones(len(source)))
    assert always_speaking.settings.silence_floor == PRESETS["CONVERSATIONAL"].silence_floor


def test_estimator_noise_is_not_learned_as_jitter():
    source = synthetic(PRESETS["ANIMATED"], 120.0, seed=4)
    rng = np.random.default_rng(1)
    noise = np.column_stack([lowpass_noise(len(source), FPS, 2.2, rng) for _ in AXES]) * VIDEO_NOISE_DEG
    noisy = PoseTrack.from_angles(source.angles + noise, FPS, meta={"source": "video"})
    clean_jitter = fit_style(source).settings.jitter_deg
    discounted = fit_style(noisy)  # video tracks: VIDEO_NOISE_DEG discounted by default
    assert discounted.stats.noise_deg == (VIDEO_NOISE_DEG,) * 3
    assert discounted.settings.jitter_deg == pytest.approx(clean_jitter, rel=0.05)
    learned_noise = fit_style(noisy, noise_deg=0.0)
    assert learned_noise.settings.jitter_deg > 1.05 * discounted.settings.jitter_deg


def test_estimator_noise_measured_from_raw_angles():
    rng = np.random.default_rng(2)
    slow = synthetic(PRESETS["CALM"], 20.0, seed=1).angles
    raw = slow + 0.3 * rng.standard_normal(slow.shape)
    noise = estimator_noise_deg(raw, 1.5)
    np.testing.assert_allclose(noise, 0.3 / np.sqrt(2.0 * np.sqrt(np.pi) * 1.5), rtol=0.1)
    np.testing.assert_allclose(estimator_noise_deg(raw, 0.0), 0.3, rtol=0.1)


# -- (b) real speakers ----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def real_styles():
    """Each real clip estimated once (about 6 s in all) and the style learned with its lip speech mask."""
    pytest.importorskip("cv2")
    if importlib.util.find_spec("mediapipe") is None and importlib.util.find_spec("ai_edge_litert") is None:
        pytest.skip("no face-landmark backend (mediapipe or ai-edge-litert)")
    from core.video import estimate_video

    out = {}
    for name in REAL_CLIPS:
        track = estimate_video(DEV / name).to_pose_track(speech=True)
        out[name] = (track, fit_style(track, name=Path(name).stem))
    return out


@needs_clips
@pytest.mark.parametrize("clip", REAL_CLIPS)
def test_style_of_a_real_speaker_reproduces_its_motion(real_styles, clip):
    track, style = real_styles[clip]
    n = round(180.0 * FPS)
    generated = generate_synthetic(n, track.fps, style.settings_for(1.0, seed=5), tiled(track.speech, n))
    std, target = generated.angles.std(axis=0), track.angles.std(axis=0)
    print(f"{clip}: std {np.round(target, 2)} -> {np.round(std, 2)}, speed {mean_speed(track, FPS):.1f} -> "
          f"{mean_speed(generated, FPS):.1f} deg/s, floor {style.settings.silence_floor:.2f}, "
          f"jitter {style.settings.jitter_deg:.2f} deg")
    np.testing.assert_allclose(std, target, rtol=0.3)
    assert mean_speed(generated, FPS) == pytest.approx(mean_speed(track, FPS), rel=0.3)
    assert style.stats.noise_deg == (VIDEO_NOISE_DEG,) * 3  # estimated tracks say so in their meta
    assert style.stats.duration_s == pytest.approx(track.duration_s)


@needs_clips
def test_big_moving_speaker_gets_larger_turns_than_a_calm_one(real_styles):
    big = real_styles[BIG_MOVER][1].settings.yaw.amplitude_deg
    calm = real_styles[CALM_SPEAKER][1].settings.yaw.amplitude_deg
    assert big[1] > 5.0 * calm[1]
    assert np.mean(big) > 5.0 * np.mean(calm)


# -- (c) non-repeating motion ---------------------------------------------------------------------------------


def test_learned_style_gives_different_non_repeating_motion(fitted):
    _, style = fitted["ANIMATED"]
    a = generate_synthetic(round(600 * FPS), FPS, style.settings_for(seed=1))
    b = generate_synthetic(round(600 * FPS), FPS, style.settings_for(seed=2))
    assert np.abs(a.angles - b.angles).max() > 5.0
    for x in a.angles.T:
        x = x - x.mean()
        spectrum = np.abs(np.fft.rfft(x, 2 * len(x))) ** 2
        acf = np.fft.irfft(spectrum)[: len(x)] / np.dot(x, x)
        lags = slice(round(5 * FPS), round(300 * FPS))  # beyond one movement, up to half the track
        assert np.abs(acf[lags]).max() < 0.3


def test_settings_for_sets_intensity_and_seed(fitted):
    _, style = fitted["CUSTOM"]
    settings = style.settings_for(0.5, seed=9)
    assert (settings.intensity, settings.seed) == (0.5, 9)
    assert dataclasses.replace(settings, intensity=1.0, seed=0) == style.settings
    with pytest.raises(SettingsError, match="seed"):
        style.settings_for(1.0, seed=-1)


# -- (d) files --------------------------------------------------------------------------------------------------


def test_style_file_round_trip(fitted, tmp_path):
    _, style = fitted["CUSTOM"]
    path = tmp_path / "custom.json"
    save_style(style, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == FORMAT and data["version"] == 1 and data["name"] == "CUSTOM"
    assert set(data) == {"format", "version", "name", "settings", "stats"}
    assert "seed" not in data["settings"] and "intensity" not in data["settings"]
    assert load_style(path) == style  # exact: floats are written in their shortest exact form
    assert style_from_dict(style_to_dict(style)) == style


def test_minimal_style_dict_fills_defaults():
    data = {
        "format": FORMAT,
        "version": 1,
        "settings": {axis: {"amplitude_deg": [1, 2], "period_s": [2, 4]} for axis in AXES},
    }
    style = style_from_dict(data)
    assert style.name == "" and style.stats == StyleStats()
    assert style.settings.yaw == AxisMotion((1.0, 2.0), (2.0, 4.0), 0.0)
    assert style.settings.jitter_deg == SyntheticSettings().jitter_deg


def _valid() -> dict:
    style = Style("x", PRESETS["CALM"], StyleStats(std_deg=(1.0, 2.0, 3.0), fps=25.0))
    return style_to_dict(style)


def _broken(change) -> dict:
    data = _valid()
    change(data)
    return data


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not a Head Motion style"),
        (json.dumps({**_valid(), "format": "head_motion.pose_track"}), "not a Head Motion style"),
        (json.dumps({**_valid(), "version": 2}), "newer"),
        (json.dumps({**_valid(), "version": "1"}), "version"),
        (json.dumps(_broken(lambda d: d.pop("settings"))), "missing 'settings'"),
        (json.dumps(_broken(lambda d: d["settings"]["yaw"].pop("period_s"))), "yaw is missing 'period_s'"),
        (json.dumps(_broken(lambda d: d["settings"]["roll"].update(amplitude_deg=[5, 1]))), "reversed"),
        (json.dumps(_broken(lambda d: d["settings"]["pitch"].update(amplitude_deg="big"))), "pitch.amplitude_deg"),
        (json.dumps(_broken(lambda d: d["settings"].update(silence_floor=2.0))), "silence floor"),
        (json.dumps(_broken(lambda d: d["settings"].update(jitter_deg=None))), "jitter_deg"),
        (json.dumps(_broken(lambda d: d["stats"].update(std_deg=[1, 2]))), "std_deg"),
        (json.dumps({**_valid(), "name": 3}), "name"),
    ],
)
def test_malformed_style_files_are_rejected_with_the_file_name(tmp_path, content, message):
    path = tmp_path / "style.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SettingsError, match=message) as info:
        load_style(path)
    assert "style.json" in str(info.value)


def test_missing_style_file_is_reported(tmp_path):
    with pytest.raises(SettingsError, match=r"Cannot read style file .*absent\.json"):
        load_style(tmp_path / "absent.json")


# -- (e) bad input ------------------------------------------------------------------------------------------------


def test_too_short_track_is_rejected():
    track = synthetic(PRESETS["ANIMATED"], MIN_DURATION_S - 0.1, seed=1)
    with pytest.raises(TrackError, match="at least 3 s"):
        fit_style(track)


def test_invalid_tracks_and_settings_are_rejected():
    track = synthetic(PRESETS["CALM"], 10.0, seed=1)
    broken = track.copy()
    broken.pitch[7] = np.nan
    with pytest.raises(TrackError, match="pitch"):
        fit_style(broken)
    with pytest.raises(TrackError, match="speech mask"):
        fit_style(track, speech=np.ones(len(track) - 1))
    with pytest.raises(TrackError, match="speech mask"):
        fit_style(track, speech=np.full(len(track), 2.0))
    still = PoseTrack.from_angles(np.zeros((250, 3)), FPS)
    with pytest.raises(TrackError, match="barely moves"):
        fit_style(still)
    with pytest.raises(TrackError, match="PoseTrack"):
        fit_style(track.angles)
    with pytest.raises(TrackError, match="frame rate"):
        fit_style(PoseTrack.from_angles(track.angles[:40], 4.0))
    with pytest.raises(SettingsError, match="noise_deg"):
        fit_style(track, noise_deg=-0.1)
    with pytest.raises(SettingsError, match="base"):
        fit_style(track, base="CALM")


def test_a_still_axis_gets_no_amplitude():
    source = synthetic(dataclasses.replace(CUSTOM, yaw=AxisMotion((0.0, 0.0), (1.0, 2.0)), jitter_deg=0.0), 30.0, 2)
    style = fit_style(source)
    assert style.settings.yaw.amplitude_deg == (0.0, 0.0)
    assert style.settings.roll.amplitude_deg[1] > 4.0


def test_a_mask_without_speech_learns_the_motion_as_seen():
    source = synthetic(PRESETS["LISTENING"], 30.0, seed=6)
    silent = fit_style(source, speech=np.zeros(len(source)))
    plain = fit_style(source)
    assert silent.settings == plain.settings
    assert silent.stats.speech_silence_ratio is None
