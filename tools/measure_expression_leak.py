"""Measure how the video estimator's head pose follows the face's expression on rendered ground truth, and what a
linear expression-leak compensation could remove (issue #16; docs/decisions.md, "expression leak").

    PYTHONPATH=.venv/bpy-5.0.1 .venv/py311/bin/python tools/measure_expression_leak.py [--cache DIR]
        [--landmarks mediapipe|litert|v2|v2-image --task face_landmarker.task]

Faces: the four dev-clip photos of ``tools/calibrate_turn_gains.py`` (key poses of seed 1) and the astronaut of
``tests/blender/test_expression_ground_truth.py`` (that test's seed and poses; within 0.05 degrees of the test,
which measures the video in two parts). Each is rendered with Cycles like that test (256 px, 40-degree camera),
every key pose held with a neutral face for two frames, then with each of ``face_scene.EXPRESSIONS`` for two
frames; the lossless video and the landmarks of the pipeline's tracker are kept in ``--cache`` (default
/tmp/head_motion_expression_leak; about a minute a face on 2 cores the first time). Every frame is fitted as the
pipeline fits it (``fit_pose`` told the true field of view, default turn gains, angles relative to the frontal key
pose's second neutral frame, no smoothing).

Printed per face (degrees, yaw / pitch / roll):

* the key-pose MAE, the change between the two identical neutral frames of each key pose (the tracker's own
  jitter: a floor for any expression-only change measured on single frames) and the mean |change| from a key
  pose's neutral frame to the second frame of each expression, with its signed mean (the part common to all poses);
* the rest frame's absolute reading against the other key poses' mean absolute error (where the astronaut's pitch
  bias comes from), and the MAE once each face's median error is removed;
* a linear leak model: expression signals measured in the face's own plane (:func:`expression_signals`) and the
  rotation-vector change of the geometric fit between a key pose's neutral and expression frames, fitted by ridge
  least squares (optionally with each signal times the frame's fitted pitch and yaw), applied as
  ``R @ exp(-C @ (s - median(s)))`` before the turn gains. Leave-one-dev-face-out, then the astronaut with the
  model of the four dev faces, then fitted on the astronaut itself (what the model could do at best on it);
* with ``--subsets``: the fits without whole groups of the rigid landmarks (:data:`RIGID_GROUPS`);
* with ``--pipeline`` (instead of the rest): the real pipeline's key-pose MAE per face, from the rest frame and from
  the estimator's default neutral (the clip's median pose), :func:`pipeline_report`.

``--landmarks v2`` / ``v2-image``: MediaPipe's newer Face Landmarker ("Face Mesh V2", 478 points, the same mesh
topology) instead of the pipeline's FaceMesh, through mediapipe's tasks API in its VIDEO mode (its own tracking)
or IMAGE mode (the detector on every frame); ``--task`` is the path of its ``face_landmarker.task`` bundle (not in
this repository: Google's float16/1 release, Apache-2.0, SHA-256 64184e22...0bc9ff). Frames where it finds no
face take the previous frame's landmarks. An experiment only (docs/decisions.md, "Face Landmarker V2").
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tools"))

from calibrate_turn_gains import DEV, DEV_FACES, video_frame_photo  # noqa: E402

TRAIN_SEED = 1
ASTRONAUT_SEED = 20240521  # the seed of tests/blender/test_expression_ground_truth.py
FOV_DEG = 40.0
SIZE = 256
HOLD = 2
N_EXPRESSIONS = 4
#: Expression signals (canonical-face centimetres, face plane: x the person's left, y up), see expression_signals.
SIGNALS = ("lip_gap", "chin_drop", "lids_left", "lids_right", "brows", "mouth_width", "corners_up")
BROWS = (70, 63, 105, 66, 107, 300, 293, 334, 296, 336)  # upper edge of both brows
LIDS = (((385, 380), (386, 374), (387, 373)), ((160, 144), (159, 145), (158, 153)))  # (upper, lower), left eye first
POINTS = (13, 14, 152, *[i for eye in LIDS for pair in eye for i in pair], *BROWS, 291, 61)


def render(photo, seed: int, video: Path) -> dict:
    """Render ``seed``'s key poses with expressions to the lossless ``video``; the ground-truth arrays."""
    import bpy
    import cv2
    from support import face_scene

    from core import rotation
    from core.video import face_model

    bpy.ops.wm.read_homefile(use_empty=True)
    geometry = face_scene.face_geometry(photo, face_model.canonical_face(), face_model.RIGID_LANDMARKS)
    scene = face_scene.build_scene(bpy.context.scene, photo, geometry, fov_deg=FOV_DEG, size=SIZE)
    face_scene.add_expressions(scene, geometry)
    keys, _ = face_scene.key_poses((seed,))
    angles, key_frames = face_scene.with_inbetweens(rotation, keys)
    angles, names, key_frames = face_scene.with_expressions(angles, key_frames, HOLD)
    folder = video.with_suffix("")
    frames = face_scene.render_poses(scene, angles, folder, names)
    bpy.ops.wm.read_homefile(use_empty=True)
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"FFV1"), 25, (SIZE, SIZE))
    for path in frames:
        writer.write(cv2.imread(str(path)))
        path.unlink()
    writer.release()
    folder.rmdir()
    return {"angles": angles, "keys": keys, "key_frames": key_frames}


def track(video: Path, landmarks: str) -> np.ndarray:
    """(N, 478, 2) landmarks (pixels; NaN without a face) of ``video``'s frames, from the pipeline's tracker."""
    import cv2

    from core.video import EstimationSettings
    from core.video.landmarks import FaceTracker, Landmarker

    settings = EstimationSettings(landmarks=landmarks)
    tracker = FaceTracker(Landmarker(settings), settings)
    capture = cv2.VideoCapture(str(video))
    out = []
    try:
        while True:
            ok, bgr = capture.read()
            if not ok:
                break
            face = tracker(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            out.append(np.full((478, 2), np.nan) if face is None else face)
    finally:
        capture.release()
        tracker.close()
    return np.array(out)


def track_v2(video: Path, task: Path, image_mode: bool) -> np.ndarray:
    """(N, 478, 2) landmarks (pixels) of ``video``'s frames from MediaPipe's Face Landmarker bundle ``task``."""
    import cv2
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    mode = vision.RunningMode.IMAGE if image_mode else vision.RunningMode.VIDEO
    options = vision.FaceLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(task)), running_mode=mode)
    landmarker = vision.FaceLandmarker.create_from_options(options)
    capture = cv2.VideoCapture(str(video))
    out: list[np.ndarray] = []
    try:
        while True:
            ok, bgr = capture.read()
            if not ok:
                break
            image = mp.Image(image_format=mp.ImageFormat.SRGB, data=cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            found = landmarker.detect(image) if image_mode else landmarker.detect_for_video(image, 40 * len(out))
            if found.face_landmarks:
                scale = np.array(bgr.shape[1::-1], dtype=np.float64)
                out.append(np.array([(p.x, p.y) for p in found.face_landmarks[0]]) * scale)
            else:
                out.append(out[-1] if out else np.full((478, 2), np.nan))
    finally:
        capture.release()
        landmarker.close()
    return np.array(out)


def load(cache: Path, landmarks: str, task: Path | None = None) -> dict[str, dict]:
    """Every face's ground truth and landmarks (rendered and tracked when not in ``cache``)."""
    from support import face_scene

    faces = {f"{Path(clip).stem}@{index}": (lambda c=clip, i=index: video_frame_photo(DEV / c, i), TRAIN_SEED)
             for clip, index in DEV_FACES if (DEV / clip).is_file()}  # fmt: skip
    faces["astronaut"] = (face_scene.astronaut_photo, ASTRONAUT_SEED)
    out = {}
    for face, (photo, seed) in faces.items():
        stem = cache / f"{face.replace('@', '-')}_{seed}"
        truth, tracked = stem.with_suffix(".npz"), Path(f"{stem}_{landmarks}.npy")
        if not truth.is_file():
            np.savez(truth, **render(photo(), seed, stem.with_suffix(".avi")))
        if not tracked.is_file():
            video = stem.with_suffix(".avi")
            if landmarks.startswith("v2"):
                if task is None:
                    raise SystemExit("--landmarks v2 needs --task (the path of face_landmarker.task)")
                np.save(tracked, track_v2(video, task, image_mode=landmarks == "v2-image"))
            else:
                np.save(tracked, track(video, landmarks))
        out[face] = {**dict(np.load(truth)), "landmarks": np.load(tracked), "video": stem.with_suffix(".avi")}
    return out


def face_plane_offsets(
    points_px: np.ndarray, rotation: np.ndarray, translation: np.ndarray, k: np.ndarray
) -> np.ndarray:
    """(len(POINTS), 2) offsets (canonical centimetres, face plane x left / y up) of the :data:`POINTS` landmarks
    from where the fitted pose puts the canonical points: each pixel offset solved through the projection's 2x2
    Jacobian with respect to the point's model x and y."""
    from core.video.face_model import canonical_face

    cam = canonical_face()[list(POINTS)] @ rotation.T + translation
    z = cam[:, 2]
    f = np.array([k[0, 0], k[1, 1]])
    ratio = cam[:, :2] / z[:, None]
    offset = points_px[list(POINTS)] - (ratio * f + k[:2, 2])
    jac = (rotation[None, :2, :2] - ratio[:, :, None] * rotation[None, 2:3, :2]) * (f[None, :, None] / z[:, None, None])
    return np.linalg.solve(jac, offset[:, :, None])[:, :, 0]


def expression_signals(
    points_px: np.ndarray, rotation: np.ndarray, translation: np.ndarray, k: np.ndarray
) -> np.ndarray:
    """(len(SIGNALS),) of one frame: lip gap (13 over 14), chin drop (152), mean lid opening per eye (left, right),
    brows' height, mouth width (291 - 61 across), mouth corners' height; canonical centimetres in the face plane."""
    y = face_plane_offsets(points_px, rotation, translation, k)
    x, y = y[:, 0], y[:, 1]
    lids = [np.mean(y[3 + 6 * e : 9 + 6 * e : 2] - y[4 + 6 * e : 9 + 6 * e : 2]) for e in range(2)]
    return np.array([y[0] - y[1], -y[2], *lids, np.mean(y[15:25]), x[25] - x[26], 0.5 * (y[25] + y[26])])


def rotation_vectors(rotations: np.ndarray) -> np.ndarray:
    from core.rotation import quat_from_matrix

    q = quat_from_matrix(rotations)
    q *= np.where(q[:, :1] < 0.0, -1.0, 1.0)
    sin_half = np.linalg.norm(q[:, 1:], axis=1)
    return q[:, 1:] * (2.0 * np.arctan2(sin_half, q[:, 0]) / np.maximum(sin_half, 1e-300))[:, None]


class Video:
    """One face's geometric fits (gains 1), expression signals and expression-only samples."""

    def __init__(self, data: dict, rigid: tuple[int, ...] | None = None) -> None:
        from core.video import head_pose

        self.data = data
        settings = head_pose.PoseFitSettings(fov_deg=FOV_DEG, yaw_gain=1.0, pitch_gain=1.0)
        if rigid is not None:
            settings.rigid_landmarks = rigid
        k = head_pose.camera_matrix((SIZE, SIZE), FOV_DEG)
        rotations, translations, signals, fit = [], [], [], None
        for face in data["landmarks"]:
            fit = head_pose.fit_pose(face, (SIZE, SIZE), settings, fit)
            rotations.append(fit.rotation)
            translations.append(fit.translation)
            signals.append(expression_signals(face, fit.rotation, fit.translation, k))
        self.rotations, self.translations, self.signals = np.array(rotations), np.array(translations), np.array(signals)
        self.keys = data["key_frames"]
        self.shown = np.stack([self.keys + HOLD * (e + 1) for e in range(N_EXPRESSIONS)], axis=1)  # (K, E)
        fitted = np.column_stack(head_pose.head_angles(self.rotations))
        self.pose = np.radians(fitted[:, :2])  # fitted yaw, pitch (radians) for the interaction terms

    def features(self, interactions: bool) -> np.ndarray:
        s = self.signals
        return np.hstack([s, s * self.pose[:, :1], s * self.pose[:, 1:]]) if interactions else s

    def samples(self, interactions: bool) -> tuple[np.ndarray, np.ndarray]:
        """Feature changes (K*E, F) and rotation-vector changes (K*E, 3, radians, face axes) neutral -> expression."""
        f, neutral, shown = self.features(interactions), np.repeat(self.keys, N_EXPRESSIONS), self.shown.ravel()
        turns = np.swapaxes(self.rotations[neutral], -1, -2) @ self.rotations[shown]
        return f[shown] - f[neutral], rotation_vectors(turns)

    def angles(self, coefficients: np.ndarray | None = None, interactions: bool = False, absolute: bool = False):
        """(N, 3) degrees as the pipeline gives them (relative to the frontal neutral frame unless ``absolute``)."""
        from core.rotation import matrix_from_axis_angle
        from core.video import head_pose

        rotations = self.rotations
        if coefficients is not None:
            f = self.features(interactions)
            leak = -(f - np.median(f, axis=0)) @ coefficients.T
            rotations = rotations @ matrix_from_axis_angle(np.column_stack([np.linalg.norm(leak, axis=1), leak]))
        rotations = head_pose.turn_corrected(rotations, self.translations)
        return np.column_stack(head_pose.head_angles(rotations, None if absolute else rotations[self.keys[0]]))

    def scores(self, coefficients: np.ndarray | None = None, interactions: bool = False):
        """Key-pose MAE (3,), identical-frame jitter (3,), mean |change| (E, 3) and signed mean change (E, 3)."""
        a = self.angles(coefficients, interactions)
        change = a[self.shown] - a[self.keys][:, None]
        mae = np.abs(a[self.keys] - self.data["keys"]).mean(axis=0)
        jitter = np.abs(a[self.keys] - a[self.keys - 1]).mean(axis=0)
        return mae, jitter, np.abs(change).mean(axis=0), change.mean(axis=0)


def fit_leak(videos: list[Video], interactions: bool, ridge: float = 1e-3) -> np.ndarray:
    """Ridge least squares ``dr = C @ df`` over the videos' samples (no intercept): C (3, F)."""
    pairs = [v.samples(interactions) for v in videos]
    x, y = np.vstack([p[0] for p in pairs]), np.vstack([p[1] for p in pairs])
    return np.linalg.solve(x.T @ x + ridge * len(x) * np.eye(x.shape[1]), x.T @ y).T


def text(values: np.ndarray) -> str:
    return " / ".join(f"{v:.2f}" for v in values)


def report(videos: dict[str, Video]) -> None:
    from support import face_scene

    names = face_scene.EXPRESSIONS
    print(
        "per face, deg yaw / pitch / roll: key-pose MAE | jitter between identical neutral frames | "
        "expression-only change, mean |.| (signed mean)"
    )
    for name, v in videos.items():
        mae, jitter, change, signed = v.scores()
        print(f"  {name}: MAE {text(mae)} | jitter {text(jitter)}")
        for e, expression in enumerate(names):
            print(f"      {expression:10s} {text(change[e])} ({text(signed[e])})")
    print(
        "rest (frontal) frame: absolute reading | mean absolute error of the other key poses | MAE without the "
        "face's median error"
    )
    for name, v in videos.items():
        a = v.angles(absolute=True)[v.keys]
        error = a - v.data["keys"]
        print(
            f"  {name}: {text(a[0])} | {text(error[1:].mean(axis=0))} | "
            f"{text(np.abs(error - np.median(error, axis=0)).mean(axis=0))}"
        )
    dev = [n for n in videos if n != "astronaut"]
    for interactions in (False, True):
        label = "signals and signals x fitted yaw, pitch" if interactions else "signals"
        print(f"linear leak model on {label}: mean |change| over the expressions, before -> after")
        for name in dev:
            c = fit_leak([videos[n] for n in dev if n != name], interactions)
            print(
                f"  {name} (model of the other dev faces): {text(videos[name].scores()[2].mean(axis=0))} -> "
                f"{text(videos[name].scores(c, interactions)[2].mean(axis=0))}"
            )
        if "astronaut" in videos:
            v = videos["astronaut"]
            for origin, c in (
                ("the dev faces", fit_leak([videos[n] for n in dev], interactions)),
                ("itself (best case)", fit_leak([v], interactions)),
            ):
                mae, _, change, _ = v.scores(c, interactions)
                per = "; ".join(f"{e} {text(change[i])}" for i, e in enumerate(names))
                print(f"  astronaut (model of {origin}): MAE {text(mae)}, change {text(change.mean(axis=0))} ({per})")


def pipeline_report(data: dict[str, dict], landmarks: str) -> None:
    """The real pipeline (``estimate_video``: skin flow, both ways; told the field of view; no stabiliser or spike
    rejection, as the test) on every face's video: the MAE at the key poses (neutral and expression frames, |yaw| <=
    45) and the mean signed error, from the frontal key pose chosen as the neutral frame and from the default neutral
    (the clip's median pose; the true angles then measured from the median of the true rotations); and the mean
    |change| from each key pose's neutral frame to the second frame of each expression."""
    from support import face_scene

    from core import video
    from core.video import EstimationSettings, estimate_video

    print("the pipeline, per face, deg yaw / pitch / roll: key-pose MAE (mean signed error)")
    maes: dict[str, list[np.ndarray]] = {"rest": [], "median": []}
    changes: list[np.ndarray] = []
    for name, d in data.items():
        angles, key_frames = d["angles"], d["key_frames"].astype(int)
        shown = np.concatenate([key_frames + HOLD * e for e in range(N_EXPRESSIONS + 1)])
        estimates = {}
        for neutral, truth in (("rest", angles), ("median", face_scene.from_median_pose(video, angles))):
            settings = EstimationSettings(
                fov_deg=FOV_DEG, neutral=int(key_frames[0]) if neutral == "rest" else "median", stabiliser="none",
                max_gap_frames=0, hampel_sigmas=1e9, landmarks=landmarks,
            )
            estimates[neutral] = estimate_video(d["video"], settings).raw_angles
            error = (estimates[neutral] - truth)[shown]
            error = error[np.abs(angles[shown, 0]) <= 45.0 + 1e-6]
            maes[neutral].append(np.abs(error).mean(axis=0))
            print(f"  {name} from the {neutral:6s} neutral: {text(maes[neutral][-1])} ({text(error.mean(axis=0))})")
        estimate = estimates["median"]  # the expression-only change as the test takes it
        change = np.stack([estimate[key_frames + HOLD * (e + 1)] - estimate[key_frames] for e in range(N_EXPRESSIONS)])
        changes.append(np.abs(change).mean(axis=1))
        print("      expression-only change, mean |.| by expression: " + "; ".join(
            f"{e} {text(c)}" for e, c in zip(face_scene.EXPRESSIONS, changes[-1], strict=True)))
    for neutral, values in maes.items():
        print(f"  mean over the faces from the {neutral} neutral: {text(np.mean(values, axis=0))}")
    print("  mean expression-only change over the faces: " + "; ".join(
        f"{e} {text(c)}" for e, c in zip(face_scene.EXPRESSIONS, np.mean(changes, axis=0), strict=True)))


#: The estimator's rigid landmarks by place on the face (``--subsets`` fits without whole groups).
RIGID_GROUPS = {
    "nose": (4, 6, 129, 358, 198, 420, 121, 350),
    "forehead": (10, 67, 297, 54, 284),
    "eye corners": (33, 133, 263, 362),
    "under the eyes": (117, 119, 346, 348, 143, 372),
    "temples": (127, 356),
}


def rigid_subsets(data: dict[str, dict]) -> None:
    """Every union of at least two :data:`RIGID_GROUPS`: mean MAE and change over the dev faces, the astronaut's."""
    import itertools

    rows = []
    for size in range(2, len(RIGID_GROUPS) + 1):
        for groups in itertools.combinations(RIGID_GROUPS, size):
            rigid = tuple(i for g in groups for i in RIGID_GROUPS[g])
            scores = {name: Video(d, rigid).scores() for name, d in data.items()}
            dev = [s for name, s in scores.items() if name != "astronaut"]
            mae, change = np.mean([s[0] for s in dev], axis=0), np.mean([s[2].mean(axis=0) for s in dev], axis=0)
            astronaut = scores.get("astronaut")
            tail = (
                ""
                if astronaut is None
                else (f" | astronaut MAE {text(astronaut[0])}, change {text(astronaut[2].mean(axis=0))}")
            )
            rows.append(
                (
                    float(change.sum() + 0.5 * mae.sum()),
                    f"{' + '.join(groups)}: dev faces MAE {text(mae)}, change {text(change)}{tail}",
                )
            )
    print("rigid landmark groups, best first by the dev faces' change + MAE / 2 (deg yaw / pitch / roll):")
    for _, row in sorted(rows):
        print("  " + row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/head_motion_expression_leak"))
    parser.add_argument("--landmarks", choices=("mediapipe", "litert", "v2", "v2-image"), default="mediapipe")
    parser.add_argument("--task", type=Path, help="face_landmarker.task for --landmarks v2 / v2-image")
    parser.add_argument("--subsets", action="store_true", help="also fit without groups of the rigid landmarks")
    parser.add_argument("--pipeline", action="store_true",
                        help="only the real pipeline's MAE from the rest frame and from the default (median) neutral")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    data = load(args.cache, args.landmarks, args.task)
    if args.pipeline:
        if args.landmarks.startswith("v2"):
            raise SystemExit("--pipeline runs the estimator's own landmark backends (mediapipe, litert)")
        pipeline_report(data, args.landmarks)
        return
    report({name: Video(d) for name, d in data.items()})
    if args.subsets:
        rigid_subsets(data)


if __name__ == "__main__":
    main()
