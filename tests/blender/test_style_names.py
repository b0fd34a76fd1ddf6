"""Issue #15 item 5: importing a style never replaces another one, and style files get names every system
accepts (Windows' reserved names included), through the Import Style operator."""

from __future__ import annotations

import json

import bpy
import pytest


def _style_file(ext, folder, name, preset="ANIMATED", file_name="style.json"):
    styles = ext.core.motion.style
    style = styles.Style(name, ext.core.motion.synthetic.preset_settings(preset))
    path = folder / file_name
    styles.save_style(style, path)
    return path


def test_import_never_overwrites_a_style_of_the_same_name(ext, empty_scene, tmp_path):
    user_data = ext.anim.user_data
    learned = user_data.style_path("Speaker A")
    for old in user_data.styles_folder().glob("Speaker A*.json"):
        old.unlink()
    _style_file(ext, learned.parent, "Speaker A", "CALM", learned.name)  # as Learn Style saves it
    before = learned.read_text()

    other = _style_file(ext, tmp_path, "Speaker A", "ANIMATED")
    assert bpy.ops.head_motion.import_style(filepath=str(other)) == {"FINISHED"}
    assert learned.read_text() == before  # the learned style is untouched
    assert empty_scene.head_motion.style == "Speaker A (2)"
    imported = json.loads(user_data.style_path("Speaker A (2)").read_text())
    assert imported["settings"]["yaw"]["amplitude_deg"] == [2.0, 13.0]  # ANIMATED's, not CALM's

    # importing the same file again adds nothing and selects the copy already there
    assert bpy.ops.head_motion.import_style(filepath=str(other)) == {"FINISHED"}
    assert empty_scene.head_motion.style == "Speaker A (2)"
    assert not user_data.style_path("Speaker A (3)").exists()


@pytest.mark.parametrize(("name", "stem"), [("CON", "CON_"), ("nul", "nul_"), ("Com1", "Com1_"), ("LPT9", "LPT9_"),
                                            ("aux.backup", "aux.backup_"), ("../../evil", "_.._evil"),
                                            ("  trailing. ", "trailing"), ("CONSOLE", "CONSOLE")])
def test_style_file_names_are_safe_everywhere(ext, empty_scene, tmp_path, name, stem):
    user_data = ext.anim.user_data
    path = user_data.style_path(name)
    assert path.parent == user_data.styles_folder() and path.stem == stem
    if path.exists():
        path.unlink()
    source = _style_file(ext, tmp_path, name)
    assert bpy.ops.head_motion.import_style(filepath=str(source)) == {"FINISHED"}
    assert path.is_file() and empty_scene.head_motion.style == stem
    path.unlink()
