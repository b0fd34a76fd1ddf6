"""The Head Motion UI in a real Blender window (Blender 4.3 under Xvfb): panels, the threaded video bake, Esc,
Undo, the cache. The window is driven by tests/ui/blender_driver.py (see there for how); these tests assert
what it measured. Screenshots: build/ui/*.png."""

from __future__ import annotations

import re

import pytest


def _result(ui, name: str) -> dict:
    result = ui.get(name)
    assert result is not None, f"the window session did not run {name} (exit {ui['_exit']}):\n{ui['_log'][-3000:]}"
    if "skipped" in result:
        pytest.fail(f"{name}: {result['skipped']}")  # CI has the development clips (../shared): not a skip
    assert "exception" not in result, result["exception"]
    return result


def test_window_session_ran(ui):
    env = ui["_environment"]
    assert env["blender"].startswith("4.3"), env
    assert "_runner" not in ui, ui["_runner"]
    assert ui["_exit"] == 0, ui["_log"][-3000:]
    assert env["window"][0] >= 1280, env


def test_draw_errors_are_detected(ui):
    """The canary panel raises in draw: both detectors must see it, or a passing panel test proves nothing."""
    r = _result(ui, "canary_detects_draw_errors")
    assert r["ok"], r


@pytest.mark.parametrize("state", ["no_target", "armature", "mesh", "linked_rig"])
def test_every_panel_draws(ui, state):
    r = _result(ui, f"panels_{state}")
    assert not r["draw_errors"], r["draw_errors"]
    assert not r["printed_errors"], r["printed_errors"]
    assert not r["missing"], f"panels that never drew: {r['missing']} (drawn: {r['drawn']})"
    assert r["opened_all"], "the closed sub-panels could not be opened"
    shot = r["screenshot"]
    assert shot["distinct_colours"] > 50, f"blank screenshot {shot}"
    assert r["ok"], r


def test_linked_rig_bake_is_refused_without_change(ui):
    r = _result(ui, "panels_linked_rig")
    assert r["bake_on_linked"] != ["FINISHED"], r["bake_on_linked"]
    assert not r["changed_by_bake"], r["changed_by_bake"]


def test_panels_draw_while_a_job_runs(ui):
    r = _result(ui, "video_bake_progress_and_undo")
    running = r["while_running"]
    assert running is not None, f"the job was never seen running 20% done: {r}"
    assert not running["draw_errors"] and not running["printed_errors"], running
    assert "HEADMOTION_PT_video" in running["drawn"], running["drawn"]


def test_video_bake_shows_progress_and_finishes(ui):
    r = _result(ui, "video_bake_progress_and_undo")
    assert r["invoke"] == ["RUNNING_MODAL"], r  # threaded: the UI stays live
    assert r["progress_samples"] >= 3, r  # the job's own reports, whatever the window happened to catch
    first, last = r["progress_first_last"]
    assert last[0] > first[0] and last[0] == last[1], r
    assert r["status_text_seen"], r
    assert r["keys"] > 0, r


def test_esc_cancels_mid_way_and_changes_nothing(ui):
    r = _result(ui, "video_bake_esc_cancels")
    assert r["invoke"] == ["RUNNING_MODAL"], r
    done, total = r["progress_at_esc"]
    assert 0 < done < total, r
    assert r["esc_reached_operator"] is not False, "the simulated Esc never reached the running operator"
    assert r["stopped_after_s"] < 10, r
    assert not r["changed"], r["changed"]
    assert r["ok"], r


def test_second_bake_of_the_same_video_is_instant(ui):
    r = _result(ui, "video_bake_progress_and_undo")
    assert r["second"] in (["FINISHED"], ["RUNNING_MODAL"]), r
    assert r["second_same_keys"], r
    # Observed, not timed (a fast machine estimates the clip in about the time the bake itself takes): the job
    # reported once, all frames done, as a cache hit does; reading the video reports frame by frame.
    assert not r["second_read_frames"], f"the second bake read the video again (no cache hit): {r}"
    (done, total), = r["second_reports"]
    assert done == total > 0, r


@pytest.mark.parametrize("check", ["video_bake_progress_and_undo", "undo_generate_bake", "undo_clear",
                                   "undo_import_voice", "undo_learn_style"])
def test_undo_restores_the_scene(ui, check):
    r = _result(ui, check)
    if "changed" in r:
        assert r["changed"], f"{r.get('operator', check)} changed nothing: {r}"
    else:
        assert r["changed_by_bake"], r
    assert not r["undo_leftovers"], r["undo_leftovers"]


def test_readme_pictures_have_pixels(ui):
    r = _result(ui, "readme_panel_picture")
    assert r["ok"], r
    video = _result(ui, "video_bake_progress_and_undo")
    for shot in (r["screenshot"], r["window"], video["viewport"]):
        assert shot["distinct_colours"] > 200 and shot["mean"] > 20, shot


def test_no_python_error_in_the_console(ui):
    """Any traceback Blender printed (other than the canary's) fails the run."""
    blocks = re.split(r"(?=Traceback \(most recent call last\))", ui["_log"])
    errors = [b[:1500] for b in blocks[1:] if "deliberate draw error" not in b]
    assert not errors, "\n".join(errors)
