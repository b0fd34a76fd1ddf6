"""Per-frame head pose from landmarks: canonical face, PnP, angle convention, mirror, lip signals."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("cv2")

from core.errors import NoFaceError, SettingsError
from core.rotation import angle_between, character_rotation
from core.video.face_model import (
    CHARACTER_FROM_MODEL,
    LIP_KEYPOINTS,
    LOWER_LIP_INNER,
    MEDIAPIPE_PROCRUSTES_LANDMARKS,
    N_LANDMARKS,
    RIGID_LANDMARKS,
    canonical_face,
    interocular_distance_cm,
    model_points,
)
from core.video.head_pose import (
    DEFAULT_FOV_DEG,
    DEFAULT_PITCH_GAIN,
    DEFAULT_YAW_GAIN,
    FRONTAL,
    PoseFitSettings,
    angles_to_camera_rotation,
    camera_matrix,
    facing_camera,
    fit_angles,
    fit_pose,
    head_angles,
    lip_signals,
    project,
    turn_corrected,
)

SIZE = (512, 512)
#: FaceMesh's lip landmarks (mediapipe.solutions.face_mesh_connections.FACEMESH_LIPS).
LIPS = {0, 13, 14, 17, 37, 39, 40, 61, 78, 80, 81, 82, 84, 87, 88, 91, 95, 146, 178, 181, 185, 191, 267, 269,
        270, 291, 308, 310, 311, 312, 314, 317, 318, 321, 324, 375, 402, 405, 409, 415}  # fmt: skip
#: Jaw line and chin.
JAW = {132, 136, 138, 140, 148, 149, 150, 152, 169, 170, 171, 172, 175, 176, 361, 365, 367, 369, 377, 378, 379,
       394, 395, 396, 397, 400}  # fmt: skip
#: Eyebrows (both sides).
BROWS = {46, 52, 53, 55, 63, 65, 66, 70, 105, 107, 276, 282, 283, 285, 293, 295, 296, 300, 334, 336}


#: The geometric fit alone (no turn correction): exact projections of the canonical face read back exactly.
GEOMETRIC = PoseFitSettings(yaw_gain=1.0, pitch_gain=1.0)


def render(yaw, pitch, roll, fov_deg=DEFAULT_FOV_DEG, size=SIZE, face_fraction=0.55, offset=(0.0, 0.0), vertices=None):
    """Pixels (468, 2) of the canonical face turned by (yaw, pitch, roll) seen by a camera with ``fov_deg``."""
    k = camera_matrix(size, fov_deg)
    distance = k[0, 0] * 16.0 / (face_fraction * size[0])  # the 16 cm wide face spans face_fraction
    t = np.array([offset[0], offset[1], distance])
    points = canonical_face() if vertices is None else vertices
    return project(points, angles_to_camera_rotation(yaw, pitch, roll), t, k)


def random_poses(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform([-45.0, -30.0, -30.0], [45.0, 30.0, 30.0], size=(n, 3))


# -- the bundled face model ------------------------------------------------------------------------------


def test_canonical_face_is_bundled_with_documented_axes():
    v = canonical_face()
    assert v.shape == (N_LANDMARKS, 3) and v.dtype == np.float64 and not v.flags.writeable
    assert v[33, 0] < 0 < v[263, 0]  # person's right eye corner at -x: +x is the person's left
    assert v[10, 1] > v[4, 1] > v[152, 1]  # forehead above nose tip above chin: +y up
    assert np.argmax(v[:, 2]) in (1, 4)  # the nose tip sticks out most: +z out of the face
    assert 5.0 < interocular_distance_cm() < 8.0  # centimetres
    np.testing.assert_allclose(model_points([33, 263])[:, 0], [v[33, 0], v[263, 0]])
    np.testing.assert_array_equal(CHARACTER_FROM_MODEL @ CHARACTER_FROM_MODEL, np.eye(3))
    assert np.linalg.det(CHARACTER_FROM_MODEL) == pytest.approx(1.0)


def test_rigid_landmarks_avoid_lips_jaw_and_brows_and_are_symmetric():
    rigid = set(RIGID_LANDMARKS)
    assert len(rigid) == len(RIGID_LANDMARKS) >= 20
    assert not rigid & (LIPS | JAW | BROWS)
    v = canonical_face()
    mirrored = v[list(RIGID_LANDMARKS)] * [-1.0, 1.0, 1.0]
    nearest = np.min(np.linalg.norm(mirrored[:, None] - v[list(RIGID_LANDMARKS)][None], axis=2), axis=1)
    assert nearest.max() < 1e-4  # every rigid point has its mirror image in the set
    assert set(LIP_KEYPOINTS) <= LIPS
    assert len(MEDIAPIPE_PROCRUSTES_LANDMARKS) == 33


# -- PnP and the angle convention --------------------------------------------------------------------------


@pytest.mark.parametrize(("fov", "size"), [(DEFAULT_FOV_DEG, (512, 512)), (55.0, (640, 360))])
def test_synthetic_pnp_recovers_known_angles(fov, size):
    settings = PoseFitSettings(fov_deg=fov, yaw_gain=1.0, pitch_gain=1.0)
    previous = None
    for yaw, pitch, roll in random_poses(60, seed=int(fov)):
        landmarks = render(yaw, pitch, roll, fov, size, offset=(3.0, -2.0))
        for prev in (None, previous):  # from scratch and from the last frame's solution
            fit = fit_pose(landmarks, size, settings, prev)
            np.testing.assert_allclose(fit_angles(fit, settings), (yaw, pitch, roll), atol=0.5)
            assert fit.error_px < 0.01
        previous = fit


def test_synthetic_pnp_with_landmark_noise_stays_close():
    rng = np.random.default_rng(3)
    errors = []
    for yaw, pitch, roll in random_poses(40, seed=5):
        landmarks = render(yaw, pitch, roll) + rng.normal(0.0, 0.5, size=(N_LANDMARKS, 2))
        fit = fit_pose(landmarks, SIZE)
        truth = character_rotation(yaw, pitch, roll)
        errors.append(float(angle_between(truth, character_rotation(*fit_angles(fit, GEOMETRIC)))))
        assert 0.3 < fit.error_px < 1.0
    assert np.median(errors) < 1.0 and max(errors) < 3.0


def test_robust_weights_ignore_a_misplaced_landmark():
    """One rigid landmark 8% of the face's width off (a FaceMesh slip): the robust fit hardly moves."""
    rng = np.random.default_rng(11)
    plain_errors, robust_errors = [], []
    for yaw, pitch, roll in random_poses(20, seed=9):
        landmarks = render(yaw, pitch, roll) + rng.normal(0.0, 0.3, size=(N_LANDMARKS, 2))
        slipped = RIGID_LANDMARKS[rng.integers(len(RIGID_LANDMARKS))]
        landmarks[slipped] += rng.normal(0.0, 1.0, 2) * 0.08 * 0.55 * SIZE[0]
        truth = character_rotation(yaw, pitch, roll)
        for robust, errors in ((False, plain_errors), (True, robust_errors)):
            settings = PoseFitSettings(yaw_gain=1.0, pitch_gain=1.0, robust=robust)
            fit = fit_pose(landmarks, SIZE, settings)
            errors.append(float(angle_between(truth, character_rotation(*fit_angles(fit, settings)))))
    print(f"\none slipped landmark: plain {np.mean(plain_errors):.2f} deg, robust {np.mean(robust_errors):.2f} deg")
    assert np.mean(robust_errors) < 0.5 * np.mean(plain_errors)
    assert np.median(robust_errors) < 0.5


def test_angle_directions_match_the_image():
    """Independent of the inverse: how the rendered face moves in the (non-mirrored) image."""
    rest = render(0, 0, 0)
    nose, forehead, chin = 4, 10, 152  # eye corner: 33
    turned = render(20, 0, 0)  # toward the person's left = the image's right
    assert turned[nose, 0] - turned[forehead, 0] > rest[nose, 0] - rest[forehead, 0] + 10
    up = render(0, 20, 0)  # chin raised: the nose tip (sticking out) rises above the eye corners
    assert up[nose, 1] - up[33, 1] < rest[nose, 1] - rest[33, 1] - 5
    tilted = render(0, 0, 20)  # top of the head toward the person's right shoulder = the image's left
    assert tilted[forehead, 0] < tilted[chin, 0] - 10
    fit = fit_pose(rest, SIZE)
    np.testing.assert_allclose(fit.rotation, FRONTAL, atol=1e-6)
    for landmarks, axis in ((turned, 0), (up, 1), (tilted, 2)):
        angles = fit_angles(fit_pose(landmarks, SIZE), GEOMETRIC)
        assert angles[axis] == pytest.approx(20.0, abs=0.01)
        # with the default turn gains, turns away from the camera read larger; the in-plane tilt does not
        corrected = fit_angles(fit_pose(landmarks, SIZE))
        gain = (DEFAULT_YAW_GAIN, DEFAULT_PITCH_GAIN, 1.0)[axis]
        assert corrected[axis] == pytest.approx(20.0 / gain, abs=0.01)


def test_head_angles_relative_to_a_neutral_pose():
    neutral = angles_to_camera_rotation(-30.0, 10.0, 5.0)
    # a turn applied about the neutral head's own axes reads back as that turn
    turn = CHARACTER_FROM_MODEL @ character_rotation(12.0, -7.0, 4.0) @ CHARACTER_FROM_MODEL
    rotation = neutral @ turn
    np.testing.assert_allclose(head_angles(rotation, neutral), (12.0, -7.0, 4.0), atol=1e-9)
    batch = np.stack([neutral, rotation])
    yaw, pitch, roll = head_angles(batch, neutral)
    np.testing.assert_allclose(np.column_stack([yaw, pitch, roll]), [[0, 0, 0], [12, -7, 4]], atol=1e-9)


def _mirror_permutation() -> np.ndarray:
    """Landmark i of a mirrored face is the mirror partner of landmark i (FaceMesh labels anatomy)."""
    v = canonical_face()
    mirrored = v * [-1.0, 1.0, 1.0]
    return np.argmin(np.linalg.norm(mirrored[:, None] - v[None], axis=2), axis=1)


def test_mirror_flips_yaw_and_roll_of_a_mirrored_video():
    partner = _mirror_permutation()
    assert (partner[partner] == np.arange(N_LANDMARKS)).all() and partner[33] == 263
    for yaw, pitch, roll in random_poses(10, seed=9):
        seen = render(yaw, pitch, roll)
        flipped = seen[partner] * [-1.0, 1.0] + [SIZE[0], 0.0]  # the image flipped left-right
        plain = fit_angles(fit_pose(flipped, SIZE), GEOMETRIC)
        np.testing.assert_allclose(plain, (-yaw, pitch, -roll), atol=0.5)
        settings = PoseFitSettings(mirror=True, yaw_gain=1.0, pitch_gain=1.0)
        np.testing.assert_allclose(
            fit_angles(fit_pose(flipped, SIZE, settings), settings), (yaw, pitch, roll), atol=0.5
        )
        # the turn correction is left-right symmetric: it commutes with mirroring
        corrected = fit_angles(fit_pose(seen, SIZE))
        mirrored = fit_angles(fit_pose(flipped, SIZE, PoseFitSettings(mirror=True)), PoseFitSettings(mirror=True))
        np.testing.assert_allclose(mirrored, corrected, atol=0.5)
    y, p, r = head_angles(angles_to_camera_rotation(10.0, 5.0, -3.0), mirror=True)
    np.testing.assert_allclose((y, p, r), (-10.0, 5.0, 3.0), atol=1e-9)


def test_mismatched_field_of_view_scales_yaw_and_pitch():
    """Fitting with a wider field of view than the camera's shrinks yaw/pitch; roll stays (documented gains)."""
    truth, wide, narrow = [], [], []
    for yaw, pitch, roll in random_poses(40, seed=11) * [0.7, 0.7, 0.7]:
        landmarks = render(yaw, pitch, roll, fov_deg=20.0)
        truth.append((yaw, pitch, roll))
        wide_settings = PoseFitSettings(fov_deg=53.13, yaw_gain=1.0, pitch_gain=1.0)  # f = image width
        narrow_settings = PoseFitSettings(fov_deg=12.6, yaw_gain=1.0, pitch_gain=1.0)
        wide.append(fit_angles(fit_pose(landmarks, SIZE, wide_settings), wide_settings))
        narrow.append(fit_angles(fit_pose(landmarks, SIZE, narrow_settings), narrow_settings))
    truth = np.array(truth)

    def gains(est):
        return np.array([np.polyfit(truth[:, i], np.array(est)[:, i], 1)[0] for i in range(3)])

    g_wide, g_narrow = gains(wide), gains(narrow)
    assert 0.7 < g_wide[0] < 0.9 and 0.85 < g_wide[1] < 1.0 and abs(g_wide[2] - 1.0) < 0.05
    assert 1.0 < g_narrow[0] < 1.1 and 1.0 <= g_narrow[1] < 1.05 and abs(g_narrow[2] - 1.0) < 0.05


def test_fit_pose_rejects_bad_input():
    good = render(0, 0, 0)
    with pytest.raises(SettingsError):
        fit_pose(good[:100], SIZE)
    with pytest.raises(SettingsError):
        fit_pose(good, SIZE, PoseFitSettings(fov_deg=0.0))
    with pytest.raises(SettingsError):
        fit_pose(good, SIZE, PoseFitSettings(rigid_landmarks=(1, 2, 3)))
    for bad_gain in ({"yaw_gain": 0.2}, {"pitch_gain": 3.0}, {"yaw_gain": float("nan")}, {"pitch_gain": "x"}):
        with pytest.raises(SettingsError):
            fit_pose(good, SIZE, PoseFitSettings(**bad_gain))
    bad = good.copy()
    bad[RIGID_LANDMARKS[0]] = np.nan
    with pytest.raises(NoFaceError):
        fit_pose(bad, SIZE)
    with_iris = np.vstack([good, np.zeros((10, 2))])  # (478, 2) as with refine_landmarks=True
    assert fit_pose(with_iris, SIZE).error_px < 0.01


# -- turn correction ---------------------------------------------------------------------------------------


def test_turn_correction_scales_turns_away_from_the_camera_only():
    t = np.array([0.0, 0.0, 60.0])
    for yaw, pitch, roll in random_poses(30, seed=21):
        rotation = angles_to_camera_rotation(yaw, pitch, roll)
        np.testing.assert_allclose(turn_corrected(rotation, t, 1.0, 1.0), rotation, atol=1e-12)
        corrected = turn_corrected(rotation, t, 0.8, 0.7)
        assert abs(np.linalg.det(corrected) - 1.0) < 1e-9
        np.testing.assert_allclose(turn_corrected(corrected, t, 1 / 0.8, 1 / 0.7), rotation, atol=1e-9)  # inverse
        # the face's forward axis turns further from the line of sight, in the same direction
        forward, fixed = rotation @ [0.0, 0.0, 1.0], corrected @ [0.0, 0.0, 1.0]
        away, away_fixed = np.arccos(-forward[2]), np.arccos(-fixed[2])
        assert away_fixed > away
        if away > 0.05:
            side, side_fixed = forward[:2] / np.linalg.norm(forward[:2]), fixed[:2] / np.linalg.norm(fixed[:2])
            assert side @ side_fixed > 0.9
    # single axes: yaw and pitch are divided by their gains, roll (in the image plane) is kept
    for angles, expected in (((20.0, 0.0, 0.0), (25.0, 0.0, 0.0)), ((0.0, 14.0, 0.0), (0.0, 20.0, 0.0)),
                             ((0.0, 0.0, 25.0), (0.0, 0.0, 25.0)), ((-16.0, 0.0, 0.0), (-20.0, 0.0, 0.0))):  # fmt: skip
        corrected = turn_corrected(angles_to_camera_rotation(*angles), t, 0.8, 0.7)
        np.testing.assert_allclose(head_angles(corrected), expected, atol=1e-9)
    # batches give the frames' own results
    rotations = np.stack([angles_to_camera_rotation(*a) for a in random_poses(5, seed=2)])
    shifts = np.array([[x, -x, 50.0] for x in range(5)])
    batch = turn_corrected(rotations, shifts)
    for r, s, b in zip(rotations, shifts, batch, strict=True):
        np.testing.assert_allclose(turn_corrected(r, s), b, atol=1e-12)


def test_turn_correction_is_relative_to_looking_at_the_lens():
    t = np.array([12.0, -6.0, 50.0])  # a face off the image centre
    facing = facing_camera(t)
    np.testing.assert_allclose(facing @ [0.0, 0.0, 1.0], -t / np.linalg.norm(t), atol=1e-12)
    np.testing.assert_allclose(facing_camera(np.array([0.0, 0.0, 5.0])), FRONTAL, atol=1e-12)
    np.testing.assert_allclose(turn_corrected(facing, t, 0.7, 0.6), facing, atol=1e-12)  # nothing to correct
    # a turn relative to looking at the lens is corrected like the same turn of a centred face
    turn = CHARACTER_FROM_MODEL @ character_rotation(18.0, -9.0, 6.0) @ CHARACTER_FROM_MODEL
    off_centre = turn_corrected(facing @ turn, t, 0.9, 0.8)
    centred = turn_corrected(FRONTAL @ turn, np.array([0.0, 0.0, 50.0]), 0.9, 0.8)
    np.testing.assert_allclose(facing.T @ off_centre, FRONTAL.T @ centred, atol=1e-12)


def test_default_fit_angles_undo_the_default_gains():
    """Landmarks of a face turned by the gains' fraction of a pose read back as the full pose."""
    for yaw, pitch, roll in random_poses(20, seed=8):
        rotation = angles_to_camera_rotation(yaw, pitch, roll)
        t = np.array([0.0, 0.0, 200.0])
        under = turn_corrected(rotation, t, 1.0 / DEFAULT_YAW_GAIN, 1.0 / DEFAULT_PITCH_GAIN)  # what FaceMesh shows
        k = camera_matrix(SIZE, DEFAULT_FOV_DEG)
        landmarks = project(canonical_face(), under, t, k)
        fit = fit_pose(landmarks, SIZE)
        np.testing.assert_allclose(fit_angles(fit), (yaw, pitch, roll), atol=0.05)


# -- lip signals ----------------------------------------------------------------------------------------------


def test_lip_gap_grows_with_the_mouth_opening_and_ignores_head_turns():
    v = canonical_face().copy()
    closed = []
    opened = []
    v_open = v.copy()
    v_open[LOWER_LIP_INNER, 1] -= 1.0  # lower inner lip 1 cm down
    for yaw, pitch in ((0.0, 0.0), (30.0, 0.0), (-25.0, 10.0)):
        for verts, out in ((v, closed), (v_open, opened)):
            landmarks = render(yaw, pitch, 0.0, vertices=verts)
            fit = fit_pose(landmarks, SIZE)
            out.append(lip_signals(landmarks, fit, SIZE))
    base = abs(v[13, 1] - v[14, 1]) / interocular_distance_cm()  # seen from the front
    for c, o in zip(closed, opened, strict=True):
        assert c.gap == pytest.approx(base, rel=0.08, abs=0.005)
        assert o.gap - c.gap == pytest.approx(1.0 / interocular_distance_cm(), rel=0.12)
        assert c.keypoints.shape == (4, 2)
        np.testing.assert_allclose(c.keypoints, 0.0, atol=1e-6)  # closed canonical mouth: no offset
        assert o.keypoints[1, 1] > 0.1  # the lower inner lip moved down the face
        np.testing.assert_allclose(np.delete(o.keypoints, 1, axis=0), 0.0, atol=0.02)


def test_missing_opencv_is_reported(monkeypatch):
    import sys

    from core.errors import MissingDependencyError

    monkeypatch.setitem(sys.modules, "cv2", None)  # makes `import cv2` fail
    with pytest.raises(MissingDependencyError, match="opencv"):
        fit_pose(render(0, 0, 0), SIZE)
