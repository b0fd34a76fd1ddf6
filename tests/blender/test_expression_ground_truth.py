"""Ground truth with expressions: the head pose must not move when only the face's expression does.

The astronaut face of ``tests/support/face_scene.py`` (a photo-textured FaceMesh mesh rendered by Cycles,
256 x 256, a 40-degree camera) turns through one seed's key poses (the frontal rest pose, the single-axis
extremes yaw ±45, pitch ±30, roll ±30 and 23 random combinations). At every key pose it holds still with
a neutral face for two frames, then opens the mouth, raises the brows, smiles and closes the eyes
(``face_scene.EXPRESSIONS``, shape keys that move only the lips and jaw, brows, mouth corners and lids),
two frames each. The video (lossless FFV1) goes through the real pipeline, ``estimate_video``, per
installed landmark backend, told the true field of view, with no stabiliser or spike rejection (the motion turns
sharply at every key pose), twice: with the default neutral (the geodesic median of the clip's poses, what the
panel, the batch and the API use unless a neutral frame is chosen; the true angles are then measured from the
median of the true rotations) and with the frontal key pose's second neutral frame as the chosen neutral frame.

Measured and printed: per-axis mean absolute error against the rendered angles at the key poses (neutral faces,
and all expression frames), and the change of the estimate from a key pose's neutral face to the second frame of
each expression (the head does not move). The issue's goals are an error of at most 1.5 degrees per axis and an
expression-only change of at most 0.3 degrees; both are the limits at the default neutral (here about 1.37 /
1.37 / 0.86 degrees, and a change of 0.08 / 0.16 / 0.05). The change holds because the estimator follows the
skin's optical flow between frames (``skin_flow``, on by default, fused both ways; core/video/skin_flow.py), which
an expression does not move (FaceMesh's landmarks alone: 0.68 / 1.09 / 0.32). From the chosen rest frame the error
is 1.41 / 1.93 / 1.18 degrees: that one frame's reading is in every angle, and this face's rest frame reads its
pitch about 2 degrees off the other poses' mean error (docs/decisions.md); its limits are regression limits.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import bpy
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support import face_scene

FOV_DEG = 40.0
SIZE = 256
FPS = 25
HOLD = 2
SEED = 20240521
AXES = ("yaw", "pitch", "roll")
#: Limits (degrees): mean absolute error per axis at the key poses (neutral and expression frames) from the default
#: neutral (the issue's goal) and from the frontal rest frame (regression limits), and the mean expression-only
#: change per axis (the issue's goal).
MAX_MAE_DEG = (1.5, 1.5, 1.5)
MAX_REST_FRAME_MAE_DEG = (1.8, 2.3, 1.5)
MAX_EXPRESSION_CHANGE_DEG = (0.3, 0.3, 0.3)

BACKENDS = {"mediapipe": "mediapipe.python.solutions.face_mesh", "litert": "ai_edge_litert.interpreter"}


@pytest.fixture(scope="module")
def rendered(ext, tmp_path_factory):
    """Render the poses and expressions once: (video, key poses, frame of each key's neutral face, every frame's
    true angles)."""
    import cv2

    core = ext.core
    started = time.perf_counter()
    bpy.ops.wm.read_homefile(use_empty=True)
    photo = face_scene.astronaut_photo()
    face_model = core.video.face_model
    geometry = face_scene.face_geometry(photo, face_model.canonical_face(), face_model.RIGID_LANDMARKS)
    scene = face_scene.build_scene(bpy.context.scene, photo, geometry, fov_deg=FOV_DEG, size=SIZE)
    face_scene.add_expressions(scene, geometry)
    keys, _ = face_scene.key_poses((SEED,))
    angles, key_frames = face_scene.with_inbetweens(core.rotation, keys)
    angles, names, key_frames = face_scene.with_expressions(angles, key_frames, HOLD)
    folder = tmp_path_factory.mktemp("face_expressions")
    frames = face_scene.render_poses(scene, angles, folder, names)
    bpy.ops.wm.read_homefile(use_empty=True)

    video = folder / "expressions.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"FFV1"), FPS, (SIZE, SIZE))
    for path in frames:
        image = cv2.imread(str(path))
        assert image is not None and image.shape == (SIZE, SIZE, 3), path
        writer.write(image)
    writer.release()
    print(f"\nexpressions ground truth: {len(frames)} frames, render {time.perf_counter() - started:.1f} s")
    return video, keys, key_frames, angles


def _mae(errors: np.ndarray) -> str:
    return " / ".join(f"{v:.2f}" for v in np.abs(errors).mean(axis=0))


@pytest.fixture(scope="module", params=sorted(BACKENDS))
def measured(request, ext, rendered):
    """Per neutral ("median": the estimator's default, "rest": the frontal key pose): (errors at neutral key
    frames (K, 3), errors at expression frames (K * 4, 3), changes (K, 4, 3))."""
    pytest.importorskip(BACKENDS[request.param])
    out = {neutral: _measure(ext, rendered, request.param, skin_flow=True, neutral=neutral)
           for neutral in ("median", "rest")}
    print(f"\n{request.param}: MAE at neutral faces; at expression frames (deg, yaw / pitch / roll)")
    for neutral, label in (("median", "default neutral (the clip's median pose)"), ("rest", "the frontal rest frame")):
        neutral_errors, expression_errors, _ = out[neutral]
        errors = np.concatenate([neutral_errors, expression_errors])
        print(f"  from {label}: {_mae(neutral_errors)}; {_mae(expression_errors)}; "
              f"max |error| " + " / ".join(f"{v:.2f}" for v in np.abs(errors).max(axis=0)))
    changes = out["median"][2]
    for e, name in enumerate(face_scene.EXPRESSIONS):
        mean = np.abs(changes[:, e]).mean(axis=0)
        print(f"  {name:10s} pose change mean " + " / ".join(f"{v:.2f}" for v in mean)
              + f", max {np.abs(changes[:, e]).max():.2f} deg")
    return out


def _measure(ext, rendered, backend: str, skin_flow: bool, neutral: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Estimate the video with ``neutral`` "median" (the default) or "rest" (the frontal key pose's second neutral
    frame); the true angles are measured from the same reference (the median of the true rotations, or frontal)."""
    video, keys, key_frames, true_angles = rendered
    estimation = ext.core.video
    settings = estimation.EstimationSettings(
        fov_deg=FOV_DEG, neutral=int(key_frames[0]) if neutral == "rest" else "median", stabiliser="none",
        max_gap_frames=0, hampel_sigmas=1e9, landmarks=backend, skin_flow=skin_flow,
    )
    result = estimation.estimate_video(video, settings)
    assert result.found.all(), result.warnings
    angles = result.raw_angles
    if neutral == "median":
        keys = face_scene.from_median_pose(estimation, true_angles)[key_frames]
    shown = [key_frames + HOLD * (e + 1) for e in range(len(face_scene.EXPRESSIONS))]  # 2nd frame of each
    neutral_errors = angles[key_frames] - keys
    expression_errors = np.concatenate([angles[f] - keys for f in shown])
    changes = np.stack([angles[f] - angles[key_frames] for f in shown], axis=1)
    return neutral_errors, expression_errors, changes


def test_the_skin_flow_is_what_holds_the_pose(ext, rendered, measured):
    """With ``skin_flow`` off (FaceMesh's landmark fit alone) the expressions move the pose at least twice as much
    (0.68 / 1.09 / 0.32 degrees here against 0.08 / 0.16 / 0.05)."""
    backend = next(b for b, module in sorted(BACKENDS.items()) if importlib.util.find_spec(module.split(".")[0]))
    alone = np.abs(_measure(ext, rendered, backend, skin_flow=False, neutral="median")[2]).mean(axis=(0, 1))
    fused = np.abs(measured["median"][2]).mean(axis=(0, 1))
    print(f"\nexpression-only change, landmark fit alone ({backend}): " + " / ".join(f"{v:.2f}" for v in alone))
    assert np.all(alone > 2.0 * fused), (alone, fused)


@pytest.mark.parametrize("axis", range(3), ids=AXES)
@pytest.mark.parametrize(("neutral", "limits"), [("median", MAX_MAE_DEG), ("rest", MAX_REST_FRAME_MAE_DEG)])
def test_known_rotations_are_recovered_whatever_the_expression(measured, neutral, limits, axis):
    """At the estimator's default neutral (the clip's median pose, as the panel, the batch and the API use it), the
    issue's goal: MAE at most 1.5 degrees per axis. With the frontal key pose chosen as the neutral frame, that one
    frame's reading error is in every angle: regression limits (this face's rest frame reads its pitch ~2 degrees
    off the other poses' mean error)."""
    neutral_errors, expression_errors, _ = measured[neutral]
    for errors in (neutral_errors, expression_errors):
        mae = float(np.abs(errors[:, axis]).mean())
        assert mae <= limits[axis], f"{AXES[axis]} from the {neutral} neutral: MAE {mae:.2f} deg"


@pytest.mark.parametrize("axis", range(3), ids=AXES)
def test_expressions_alone_hardly_move_the_pose(measured, axis):
    changes = measured["median"][2]
    mean = float(np.abs(changes[..., axis]).mean())
    assert mean <= MAX_EXPRESSION_CHANGE_DEG[axis], f"{AXES[axis]}: mean expression-only change {mean:.2f} deg"
