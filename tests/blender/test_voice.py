"""A voice drives the motion: import, sound strip, frame range, pauses, accents, bad files."""

from __future__ import annotations

import itertools
from pathlib import Path

import bpy
import numpy as np
import pytest
from rigs import RIGS, angle_deg, build_rig, expected_world_delta, head_world_delta

ROOT = Path(__file__).resolve().parents[2]
SPEECH = ROOT / "samples" / "speech_sample.ogg"
DEV_CLIP = ROOT.parent / "shared" / "data" / "dev" / "mimictalk_Trump_10s.mp4"


def _strips(scene):
    editor = scene.sequence_editor
    if editor is None:
        return []
    return list(editor.strips_all if hasattr(editor, "strips_all") else editor.sequences_all)


def _head_speed(obj, bone, frames):
    angles = []
    for f in frames:
        bpy.context.scene.frame_set(f)
        angles.append(head_world_delta(obj, bone))
    return np.array([angle_deg(a, b) for a, b in itertools.pairwise(angles)])


def test_import_voice_adds_a_strip_and_sets_the_range(ext, empty_scene):
    assert bpy.ops.head_motion.import_voice(filepath=str(SPEECH), start_frame=10) == {"FINISHED"}
    n = int(np.ceil(17.4717 * 24))
    assert (empty_scene.frame_start, empty_scene.frame_end) == (10, 10 + n - 1)
    s = empty_scene.head_motion
    assert s.silence_source == "VOICE"
    strips = _strips(empty_scene)
    if not bpy.app.build_options.audaspace:  # e.g. the bpy 4.2 module: no sound strips possible
        assert strips == [] and s.voice_input == "FILE"
        assert s.voice_path == str(SPEECH) and s.voice_start_frame == 10
        return
    assert len(strips) == 1 and strips[0].type == "SOUND"
    strip = strips[0]
    assert (strip.content_start if hasattr(strip, "content_start") else strip.frame_start) == 10
    assert s.voice_input == "STRIP" and s.voice_strip == strips[0].name


def test_head_moves_while_talking_and_settles_in_pauses(ext, empty_scene):
    obj = build_rig(RIGS["rigify_roll"])
    bpy.context.view_layer.objects.active = obj
    bpy.ops.head_motion.import_voice(filepath=str(SPEECH), start_frame=1)
    s = empty_scene.head_motion
    s.preset, s.seed, s.use_accents = "CONVERSATIONAL", 2, False
    assert bpy.ops.head_motion.generate_bake() == {"FINISHED"}
    clip = ext.anim.audio.load_audio(SPEECH)
    n = empty_scene.frame_end
    speech = ext.core.voice.vad.speech_mask_from_audio(clip.samples, clip.sample_rate, 24.0, n_frames=n)
    speed = _head_speed(obj, "head", range(1, n + 1))
    talking, silent = speech[1:] > 0.5, speech[1:] < 0.5
    assert 0.5 < talking.mean() < 0.95
    assert speed[talking].mean() > 2.0 * speed[silent].mean()


def test_the_voice_strip_position_aligns_the_pauses(ext, empty_scene):
    obj = build_rig(RIGS["vrm"])
    bpy.context.view_layer.objects.active = obj
    bpy.ops.head_motion.import_voice(filepath=str(SPEECH), start_frame=120, set_frame_range=False)
    empty_scene.frame_start, empty_scene.frame_end = 1, 300
    empty_scene.head_motion.use_accents = False
    assert bpy.ops.head_motion.generate_bake() == {"FINISHED"}
    speed = _head_speed(obj, "J_Bip_C_Head", range(1, 301))
    assert speed[30:110].mean() < 0.5 * speed[140:290].mean()  # silent before the voice starts


def test_accents_change_the_motion_only_when_asked(ext, empty_scene):
    obj = build_rig(RIGS["rigify_roll"])
    bpy.context.view_layer.objects.active = obj
    bpy.ops.head_motion.import_voice(filepath=str(SPEECH), start_frame=1)
    s = empty_scene.head_motion
    s.use_accents, s.accent_intensity = True, 1.5
    bpy.ops.head_motion.generate_bake()
    frames = range(1, empty_scene.frame_end + 1)
    with_accents = []
    for f in frames:
        empty_scene.frame_set(f)
        with_accents.append(head_world_delta(obj, "head"))
    s.use_accents = False
    bpy.ops.head_motion.generate_bake()
    diffs = []
    for f, m in zip(frames, with_accents, strict=True):
        empty_scene.frame_set(f)
        diffs.append(angle_deg(head_world_delta(obj, "head"), m))
    assert 0.5 < max(diffs) < 6.0


@pytest.mark.skipif(not DEV_CLIP.exists(), reason="shared dev clips not present")
def test_video_sound_track_as_voice(ext, empty_scene):
    assert bpy.ops.head_motion.import_voice(filepath=str(DEV_CLIP), start_frame=1) == {"FINISHED"}
    assert abs(empty_scene.frame_end - 10.0 * 24) <= 24


@pytest.mark.parametrize("content, match", [(b"", "empty"), (b"RIFF\x00\x00junkjunkjunk" * 50, "damaged|cannot")])
def test_bad_voice_file_changes_nothing(ext, empty_scene, tmp_path, content, match):
    path = tmp_path / "voice.wav"
    path.write_bytes(content)
    before = (empty_scene.frame_start, empty_scene.frame_end, empty_scene.head_motion.voice_input)
    with pytest.raises(RuntimeError, match=f"(?i){match}"):
        bpy.ops.head_motion.import_voice(filepath=str(path), start_frame=1)
    assert (empty_scene.frame_start, empty_scene.frame_end, empty_scene.head_motion.voice_input) == before
    assert _strips(empty_scene) == []


@pytest.mark.parametrize("level", [0.0, 0.01])
def test_silent_or_noise_only_voice_changes_nothing(ext, empty_scene, tmp_path, level):
    import soundfile

    path = tmp_path / "silence.wav"
    noise = level * np.random.default_rng(0).standard_normal(16000 * 3)
    soundfile.write(path, noise.astype(np.float32), 16000)
    before = (empty_scene.frame_start, empty_scene.frame_end, empty_scene.head_motion.voice_input)
    with pytest.raises(RuntimeError, match="No speech found"):
        bpy.ops.head_motion.import_voice(filepath=str(path), start_frame=1)
    assert (empty_scene.frame_start, empty_scene.frame_end, empty_scene.head_motion.voice_input) == before
    assert _strips(empty_scene) == []
    obj = build_rig(RIGS["vrm"])
    bpy.context.view_layer.objects.active = obj
    s = empty_scene.head_motion
    s.voice_input, s.voice_path = "FILE", str(path)
    for operator in (bpy.ops.head_motion.generate_bake, bpy.ops.head_motion.generate_posegan):
        with pytest.raises(RuntimeError, match="No speech found"):
            operator()
    assert obj.animation_data is None


def test_missing_voice_file_on_generate(ext, empty_scene, tmp_path):
    obj = build_rig(RIGS["vrm"])
    bpy.context.view_layer.objects.active = obj
    s = empty_scene.head_motion
    s.voice_input, s.voice_path = "FILE", str(tmp_path / "gone.wav")
    with pytest.raises(RuntimeError, match="does not exist"):
        bpy.ops.head_motion.generate_bake()
    assert obj.animation_data is None


def test_head_turns_are_still_exact_with_a_voice(ext, empty_scene):
    # The voice shapes the track; the bake of that track stays exact.
    obj = build_rig(RIGS["cc_zxy"])
    clip = ext.anim.audio.load_audio(SPEECH)
    settings = ext.core.motion.synthetic.preset_settings("ANIMATED", seed=4)
    track = ext.api.motion_for_voice(clip, settings, empty_scene, start_frame=1)
    ext.anim.bake.bake_track(obj, track)
    for i in (0, 100, 300):
        empty_scene.frame_set(1 + i)
        yaw, pitch, roll = track.angles[i]
        assert angle_deg(head_world_delta(obj, "CC_Base_Head"), expected_world_delta(yaw, pitch, roll)) < 0.5
