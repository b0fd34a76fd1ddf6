"""Run the voice, PoseGAN and video paths the way users run them (operators, API, batch command), for
``test_offline.py``, in a subprocess with a fresh HOME; never imported by pytest.

    HOME=<fresh> TMPDIR=<fresh> PYTHONPATH=<bpy root> python tests/blender/offline_probe.py OUT VOICE [VIDEO]

The extension runs from the CLI's default persistent user folder (under HOME), exactly as ``python -m
tools.cli`` does. It then waits HEAD_MOTION_PROBE_WAIT seconds (telemetry clients report after a few
seconds). The last stdout line is ``@@PROBE@@`` followed by a JSON report.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import cli  # noqa: E402
import extension_dev  # noqa: E402


def main() -> None:
    out, voice = Path(sys.argv[1]), sys.argv[2]
    video = sys.argv[3] if len(sys.argv) > 3 else None
    user = cli.default_user_dir()
    user.mkdir(parents=True, exist_ok=True)
    os.environ["BLENDER_USER_RESOURCES"] = str(user)
    import bpy

    ext = extension_dev.enable_from_source(user, "head_motion_cli", sync=True)
    report: dict = {"user": str(user)}
    for method, source in (("synthetic", voice), ("posegan", voice), ("video", video)):
        if source:
            report[f"batch_{method}"] = ext.batch.run(["--method", method, "--output", str(out / method), source])
    bpy.ops.wm.read_homefile(use_empty=True)
    rig = ext.api.build_sample_character()
    bpy.context.view_layer.objects.active = rig
    report["op_import_voice"] = sorted(bpy.ops.head_motion.import_voice(filepath=voice, start_frame=1))
    report["op_generate"] = sorted(bpy.ops.head_motion.generate_bake())
    report["op_posegan"] = sorted(bpy.ops.head_motion.generate_posegan())
    report["api_posegan_frames"] = len(ext.api.posegan_for_voice(voice))
    report["api_voice_frames"] = len(ext.api.motion_for_voice(voice))
    if video:
        report["api_video_frames"] = len(ext.api.estimate_video(video).to_pose_track())
    time.sleep(float(os.environ.get("HEAD_MOTION_PROBE_WAIT", "15")))
    print("@@PROBE@@" + json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
