"""farm/merge_summaries.py: per-task batch summaries merged into one summary.json, failures reported."""

import json
import subprocess
import sys

from conftest import ROOT

SCRIPT = ROOT / "farm" / "merge_summaries.py"


def _task_summary(folder, shot, name, **entry):
    path = folder / shot / "summaries" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    ok = entry.get("ok", True)
    path.write_text(json.dumps({"method": "synthetic", "inputs": 1, "succeeded": int(ok), "failed": int(not ok),
                                "results": [{"input": f"/in/{name}.wav", **entry}]}))


def test_failed_and_unreadable_tasks_are_listed_and_fail_the_merge(tmp_path):
    _task_summary(tmp_path, "sh010", "a", ok=True, blend="/out/sh010/a.blend")
    _task_summary(tmp_path, "sh010", "b", ok=True, skipped=True, blend="/out/sh010/b.blend")
    _task_summary(tmp_path, "sh020", "a", ok=False, error="voice_a.wav: no audio stream")
    (tmp_path / "sh020" / "summaries" / "c.json").write_text("{ truncated")
    done = subprocess.run([sys.executable, SCRIPT, tmp_path], capture_output=True, text=True)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED sh020/a.wav: voice_a.wav: no audio stream" in done.stdout
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert (summary["inputs"], summary["succeeded"], summary["failed"], summary["skipped"]) == (3, 2, 1, 1)
    assert summary["method"] == "synthetic"
    assert [r["shot"] for r in summary["results"]] == ["sh010", "sh010", "sh020"]
    assert len(summary["unreadable"]) == 1 and summary["unreadable"][0]["summary"].endswith("c.json")


def test_all_ok_exits_0_and_nothing_to_merge_exits_2(tmp_path):
    _task_summary(tmp_path, "sh010", "a", ok=True)
    ok = subprocess.run([sys.executable, SCRIPT, "--", tmp_path], capture_output=True, text=True)  # Blender style
    assert ok.returncode == 0, ok.stdout + ok.stderr
    empty = subprocess.run([sys.executable, SCRIPT, tmp_path / "nothing"], capture_output=True, text=True)
    assert empty.returncode == 2 and "no task summaries" in empty.stderr
