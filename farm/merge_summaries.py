"""Merge the per-task summaries of a farm job into one ``summary.json`` (the job's last step).

Each farm task runs the Head Motion batch command on one input and one shot, with
``--summary <output>/<shot>/summaries/<input>.json``. This script reads every such file under the output
folder and writes ``<output>/summary.json``: the batch summary's shape (``inputs``, ``succeeded``,
``failed``, ``results``) over all tasks, each result with its ``shot``, plus ``skipped`` (inputs left as
they were because their outputs were up to date) and ``unreadable`` (summaries that could not be read).

    python farm/merge_summaries.py OUTPUT_DIR

    blender -b --factory-startup --python farm/merge_summaries.py -- OUTPUT_DIR   (workers without Python)

Exit status 0 when every task succeeded, 1 when any failed or a summary could not be read, 2 when there
is nothing to merge. Plain Python 3 (no Blender, no third-party packages).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def merge(output: Path) -> dict:
    """The merged summary of every ``<output>/*/summaries/*.json``."""
    results, unreadable, methods = [], [], set()
    for path in sorted(output.glob("*/summaries/*.json")):
        try:
            summary = json.loads(path.read_text(encoding="utf-8"))
            entries = summary["results"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            unreadable.append({"summary": str(path), "error": f"{type(exc).__name__}: {exc}"})
            continue
        methods.add(summary.get("method"))
        for entry in entries:
            results.append({"shot": path.parent.parent.name, "task_summary": str(path), **entry})
    failed = [r for r in results if not r.get("ok")]
    return {
        "method": methods.pop() if len(methods) == 1 else sorted(m for m in methods if m),
        "inputs": len(results),
        "succeeded": len(results) - len(failed),
        "failed": len(failed),
        "skipped": sum(1 for r in results if r.get("skipped")),
        "unreadable": unreadable,
        "results": results,
    }


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[0], "\nusage: merge_summaries.py OUTPUT_DIR", file=sys.stderr)
        return 2
    output = Path(argv[0])
    summary = merge(output)
    if not summary["results"] and not summary["unreadable"]:
        print(f"merge_summaries: no task summaries under {output}/*/summaries/", file=sys.stderr)
        return 2
    (output / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    for entry in summary["results"]:
        if not entry.get("ok"):
            print(f"merge_summaries: FAILED {entry['shot']}/{Path(entry['input']).name}: {entry.get('error')}")
    for bad in summary["unreadable"]:
        print(f"merge_summaries: unreadable {bad['summary']}: {bad['error']}")
    print(f"merge_summaries: {summary['succeeded']} of {summary['inputs']} tasks ok "
          f"({summary['skipped']} up to date); {output / 'summary.json'}")
    return 0 if summary["failed"] == 0 and not summary["unreadable"] else 1


if __name__ == "__main__":  # also runs in Blender: blender -b --python merge_summaries.py -- OUTPUT_DIR
    sys.exit(main(sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else sys.argv[1:]))
