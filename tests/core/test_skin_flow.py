"""The skin-flow fusion (core.video.skin_flow) on rendered images of a textured head: real OpenCV optical flow on
pictures whose true pose is known, against landmark fits that are noisy, or that move when the picture does not (an
expression leaking into FaceMesh's points)."""

from __future__ import annotations

import numpy as np
import pytest

from core.video import head_pose
from core.video.face_model import canonical_face
from core.video.skin_flow import SkinFlow, SkinFlowSettings

cv2 = pytest.importorskip("cv2")

SIZE = (256, 256)
FOV_DEG = 20.0
DISTANCE_CM = 60.0
#: An ellipsoid head in face coordinates (centimetres; x the person's left, y up, z toward the camera at rest):
#: the least-squares ellipsoid through the canonical face's flow points (radii at most 16 cm), so the pictures'
#: relief is about the one the flow's canonical points assume.
CENTRE = np.array([0.0, 1.6, -9.9])
RADII = np.array([8.7, 16.0, 16.0])
WAVES = np.random.default_rng(7).normal(0.0, 1.2, (12, 3)), np.random.default_rng(8).uniform(0, 2 * np.pi, 12)


def camera_from_face(yaw: float, pitch: float, roll: float) -> np.ndarray:
    return head_pose.angles_to_camera_rotation(yaw, pitch, roll)


def render(rotation: np.ndarray, texture: bool = True) -> np.ndarray:
    """Grey image (uint8) of the textured ellipsoid head at ``rotation``, DISTANCE_CM in front of the camera."""
    k = head_pose.camera_matrix(SIZE, FOV_DEG)
    u, v = np.meshgrid(np.arange(SIZE[0]) + 0.5, np.arange(SIZE[1]) + 0.5)
    rays = np.stack([(u - k[0, 2]) / k[0, 0], (v - k[1, 2]) / k[1, 1], np.ones_like(u)], axis=-1)
    origin = rotation.T @ -np.array([0.0, 0.0, DISTANCE_CM]) - CENTRE  # camera centre, head-centred face axes
    direction = rays @ rotation  # (rotation.T @ ray) for every ray
    o, d = origin / RADII, direction / RADII
    a, b, c = (d * d).sum(-1), 2.0 * (d @ o), float(o @ o) - 1.0
    disc = b * b - 4.0 * a * c
    hit = disc > 0
    s = (-b - np.sqrt(np.where(hit, disc, 0.0))) / (2.0 * a)
    points = origin + s[..., None] * direction + CENTRE
    waves, phases = WAVES
    shade = np.sin(points @ waves.T + phases).sum(-1) if texture else np.zeros(u.shape)
    image = np.where(hit, 128.0 + 9.0 * shade, 30.0)
    return np.clip(image, 0, 255).astype(np.uint8)


def landmarks(rotation: np.ndarray) -> np.ndarray:
    """(468, 2) canonical face points projected at ``rotation`` (pixels)."""
    k = head_pose.camera_matrix(SIZE, FOV_DEG)
    return head_pose.project(canonical_face(), rotation, np.array([0.0, 0.0, DISTANCE_CM]), k)


def fit_at(yaw: float, pitch: float, roll: float) -> head_pose.PoseFit:
    return head_pose.PoseFit(camera_from_face(yaw, pitch, roll), np.array([0.0, 0.0, DISTANCE_CM]), 0.5)


def angles(rotation: np.ndarray) -> np.ndarray:
    return np.array(head_pose.head_angles(rotation), dtype=np.float64)


def run(truth: np.ndarray, fitted: np.ndarray, blank: set[int] = frozenset()) -> tuple[np.ndarray, SkinFlow]:
    """Forward-fused (yaw, pitch, roll) per frame for true angles ``truth`` (N, 3) seen in the pictures and landmark
    fits at ``fitted`` (N, 3); frames in ``blank`` have no texture (the flow cannot follow anything)."""
    forward, _, flow = run_both(truth, fitted, blank)
    return forward, flow


def run_both(
    truth: np.ndarray, fitted: np.ndarray, blank: set[int] = frozenset(), both_ways: bool = True
) -> tuple[np.ndarray, np.ndarray, SkinFlow]:
    """As :func:`run`: the forward angles per frame (what ``update`` returned) and the angles of ``finish()``."""
    flow = SkinFlow(SIZE, FOV_DEG, SkinFlowSettings(both_ways=both_ways))
    out = []
    for i, (true, fit) in enumerate(zip(truth, fitted, strict=True)):
        rotation = camera_from_face(*true)
        image = render(rotation, texture=i not in blank)
        out.append(angles(flow.update(image, landmarks(camera_from_face(*fit)), fit_at(*fit))))
    finished = np.array([angles(r) for r in flow.finish()])
    return np.array(out), finished, flow


def test_the_pictures_are_what_the_landmark_fit_would_read():
    """The fixture itself: the canonical points projected at the true pose fit back to it."""
    rotation = camera_from_face(10.0, -5.0, 3.0)
    fit = head_pose.fit_pose(landmarks(rotation), SIZE, head_pose.PoseFitSettings(fov_deg=FOV_DEG))
    assert np.allclose(angles(fit.rotation), [10.0, -5.0, 3.0], atol=1e-3)


def test_an_expression_that_moves_only_the_landmark_fit_hardly_turns_the_head():
    """The picture stands still; the landmark fit reads 1.5 deg more pitch for 10 frames (an open mouth)."""
    n = 30
    truth = np.zeros((n, 3))
    fitted = truth.copy()
    fitted[10:20, 1] += 1.5
    fused, _ = run(truth, fitted)
    assert np.abs(fused[10:20, 1]).max() < 0.75  # the landmark fit moved 1.5 deg
    assert np.abs(fused[10:20, 1]).mean() < 0.45  # 5% of the difference a frame: 0.36 deg
    assert np.abs(fused[25:, 1]).max() < np.abs(fused[19, 1])  # and it settles back when the fit does


def test_the_landmark_jitter_is_not_followed():
    """A still head; the landmark fits jitter by 0.5 deg (std) around its pose."""
    n = 60
    truth = np.zeros((n, 3))
    fitted = truth + np.random.default_rng(3).normal(0.0, 0.5, (n, 3))
    fused, flow = run(truth, fitted)
    assert flow.resets == 1
    steps, fit_steps = np.abs(np.diff(fused, axis=0)), np.abs(np.diff(fitted, axis=0))
    assert steps.mean() < 0.1 * fit_steps.mean()
    assert np.abs(fused[30:]).max() < 0.5  # the first fit's error (up to 1.3 deg here) is averaged away


def test_a_turn_seen_in_the_picture_is_followed_before_the_landmark_fit_shows_it():
    """The head turns 1.5 deg of yaw in 5 frames while the landmark fit still reads the old pose (a lagging fit);
    without the flow the fused pose would stay at 0."""
    n = 16
    yaw = np.concatenate([np.zeros(8), np.linspace(0.3, 1.5, 5), np.full(n - 13, 1.5)])
    truth = np.column_stack([yaw, np.zeros(n), np.zeros(n)])
    fused, _ = run(truth, np.zeros((n, 3)))
    assert fused[12, 0] > 0.5  # 0.75 here: the flow reads the turn (a little under: the ellipsoid is not the face)
    assert np.abs(fused[12, 1:]).max() < 0.3


def test_a_lasting_difference_is_taken_from_the_landmark_fit():
    """The flow only bridges short changes: when the landmark fit stays 2 deg off the picture, the fused pose
    moves to it (drift correction; the pull is 5% a frame when the head is still)."""
    n = 80
    truth = np.zeros((n, 3))
    fitted = truth.copy()
    fitted[10:, 0] = 2.0
    fused, _ = run(truth, fitted)
    assert fused[12, 0] < 0.5
    assert fused[-1, 0] > 1.8


def test_the_fused_pose_restarts_from_the_landmark_fit_where_the_flow_finds_nothing():
    n = 14
    truth = np.zeros((n, 3))
    fitted = truth.copy()
    fitted[:, 2] = np.where(np.arange(n) >= 5, 1.0, 0.0)  # the fit reads 1 deg of roll from frame 5 on
    fused, flow = run(truth, fitted, blank={8})
    assert fused[7, 2] < 0.5  # followed the still picture until then
    assert fused[8, 2] == pytest.approx(1.0, abs=1e-9)  # no texture: the landmark fit
    assert flow.resets == 3  # the first frame, the blank one and the one after it (nothing to follow from)
    flow.reset()
    rotation = camera_from_face(0.0, 0.0, 0.0)
    out = flow.update(render(rotation), landmarks(rotation), fit_at(0.0, 0.0, 3.0))
    assert angles(out)[2] == pytest.approx(3.0, abs=1e-9)  # after reset(): the landmark fit


def test_both_ways_a_first_frames_error_is_averaged_with_the_frames_after():
    """A still head whose first landmark fit reads 1.5 deg of yaw too many (a first frame's crop): forward, the fused
    pose keeps most of it for the first frames; both ways, those frames lean on the backward pass, which has averaged
    the fits after them (the rest frame of a video is often its first)."""
    n = 30
    truth = np.zeros((n, 3))
    fitted = truth.copy()
    fitted[0, 0] = 1.5
    forward, both, flow = run_both(truth, fitted)
    assert forward[1, 0] > 1.2  # 1.43 here
    assert np.abs(both[:3, 0]).max() < 0.3  # 0.18 here
    assert np.abs(both[:, 1:]).max() < 0.1
    assert flow.finish() == []  # finish() ended the run


def test_both_ways_a_turn_is_kept_without_lag_and_off_gives_the_forward_pass():
    n = 16
    yaw = np.concatenate([np.zeros(8), np.linspace(0.3, 1.5, 5), np.full(n - 13, 1.5)])
    truth = np.column_stack([yaw, np.zeros(n), np.zeros(n)])
    forward, both, _ = run_both(truth, np.zeros((n, 3)))
    assert both[12, 0] - both[7, 0] > 0.5  # the picture's turn, which the fit does not show, is followed both ways
    assert np.abs(np.diff(both[:8, 0])).max() < 0.02  # and the still frames before it stay still (no lead)
    forward_off, finished_off, _ = run_both(truth, np.zeros((n, 3)), both_ways=False)
    assert np.array_equal(finished_off, forward_off) and np.allclose(forward_off, forward)


def test_both_ways_a_frame_the_flow_cannot_follow_splits_the_backward_pass_too():
    """The landmark fit reads 2 deg of yaw from frame 8 on, where a blank frame stops the flow: the frames before it
    keep the picture's pose both ways (the backward pass does not carry the later fits across the break)."""
    n = 16
    truth = np.zeros((n, 3))
    fitted = truth.copy()
    fitted[8:, 0] = 2.0
    _, both, _ = run_both(truth, fitted, blank={8})
    assert np.abs(both[:8, 0]).max() < 0.05
    assert both[8, 0] == pytest.approx(2.0, abs=1e-9)  # no texture either way: the landmark fit
