"""The Flamenco job type farm/flamenco/head_motion.js, compiled by node against a stub of Flamenco's API."""

import shutil
import subprocess

from conftest import ROOT


def test_flamenco_job_type_emits_the_batch_commands():
    node = shutil.which("node")
    assert node, "node (Node.js 18+) is needed for the Flamenco job type test"
    done = subprocess.run([node, "--test", str(ROOT / "tests" / "farm" / "flamenco_stub.test.mjs")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "# pass 4" in done.stdout and "# fail 0" in done.stdout
