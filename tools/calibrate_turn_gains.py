"""Measure FaceMesh's under-reported head turns on rendered ground truth: the video estimator's turn gains.

``core.video.head_pose.DEFAULT_YAW_GAIN`` / ``DEFAULT_PITCH_GAIN`` come from this script. Run it (bpy importable)
after changing MediaPipe, the landmark set or the tracker:

    PYTHONPATH=.venv/bpy-5.0.1 .venv/py311/bin/python tools/calibrate_turn_gains.py [--cache DIR] [--quick]

Each face (the astronaut photo of ``tests/support/face_scene.py``, and frames of the dev clips in
``../shared/data/dev`` when they are there) is rendered with Cycles through the key poses of several seeds
(``face_scene.key_poses``) with 40-degree cameras, plus 20 and 60 degrees for two seeds, and a 512 px video
of one seed; FaceMesh follows it with the pipeline's own tracker (``core.video.landmarks.FaceTracker``)
and the canonical face is fitted (``core.video.head_pose.fit_pose``, told the true field of view). Printed: the
slope of fitted vs true yaw/pitch/roll (no correction) per face and per field of view, the gains that
minimise the mean yaw + pitch key-pose error over all videos (angles relative to the frontal first frame,
as in ``tests/blender/test_estimation_accuracy.py``), the gains fitted without each face and that face's
errors with them, and every video's errors with the current defaults. Landmarks are cached per video in
``--cache`` (default /tmp/head_motion_turn_gains), so a second run only refits. The full set (43 videos)
renders in about 15 minutes on 2 cores; ``--quick`` renders one seed at 40 degrees per face (5 videos).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

DEV = ROOT.parent / "shared" / "data" / "dev"
if not DEV.is_dir():
    DEV = Path("/work/shared/data/dev")
#: Near-frontal, closed-mouth frames of the dev clips used as further face photos (clip, frame index).
DEV_FACES = (
    ("mimictalk_German_20s.mp4", 351),
    ("mimictalk_Trump_10s.mp4", 21),
    ("voxceleb2_pcavs_Pose_Source_796100172.mp4", 138),
    ("voxceleb2_pcavs_Pose_Source_731200067.mp4", 76),
)
SEEDS = (20240521, 1, 2, 3)
AXES = ("yaw", "pitch", "roll")


def video_frame_photo(clip: Path, index: int):
    """A frame of a video as a face photo (``face_scene.FacePhoto``) with its FaceMesh landmarks."""
    import cv2
    from mediapipe.python.solutions import face_mesh
    from support import face_scene

    capture = cv2.VideoCapture(str(clip))
    capture.set(cv2.CAP_PROP_POS_FRAMES, index)
    ok, bgr = capture.read()
    capture.release()
    if not ok:
        raise RuntimeError(f"cannot read frame {index} of {clip}")
    image = np.ascontiguousarray(bgr[:, :, ::-1])
    with face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1, refine_landmarks=True) as mesh:
        result = mesh.process(image)
    landmarks = np.array([(p.x, p.y, p.z) for p in result.multi_face_landmarks[0].landmark])
    return face_scene.FacePhoto(image, landmarks)


def render_and_track(photo, seed: int, fov: float, size: int, folder: Path) -> dict:
    """Render one video of ``seed``'s key poses and track it; the arrays the fits need."""
    import bpy
    import cv2
    from support import face_scene

    from core import rotation
    from core.video import EstimationSettings, face_model
    from core.video.landmarks import FaceTracker, Landmarker

    bpy.ops.wm.read_homefile(use_empty=True)
    geometry = face_scene.face_geometry(photo, face_model.canonical_face(), face_model.RIGID_LANDMARKS)
    # the face keeps its size in the frame (about 40% of the width) whatever the field of view
    distance = 0.55 * math.tan(math.radians(20.0)) / math.tan(math.radians(0.5 * fov))
    scene = face_scene.build_scene(bpy.context.scene, photo, geometry, fov_deg=fov, size=size, distance=distance)
    keys, _ = face_scene.key_poses((seed,))
    angles, key_frames = face_scene.with_inbetweens(rotation, keys)
    frames = face_scene.render_poses(scene, angles, folder)
    settings = EstimationSettings()
    tracker = FaceTracker(Landmarker(settings), settings)
    landmarks = []
    try:
        for path in frames:
            face = tracker(cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB))
            landmarks.append(np.full((478, 2), np.nan) if face is None else face)
            path.unlink()
    finally:
        tracker.close()
    bpy.ops.wm.read_homefile(use_empty=True)
    return {"angles": angles, "keys": keys, "key_frames": key_frames, "landmarks": np.array(landmarks),
            "fov": fov, "size": size}  # fmt: skip


def geometric_fits(data: dict) -> tuple[np.ndarray, np.ndarray]:
    """Camera-from-face rotations and translations of every frame (gains 1), like the pipeline's fits."""
    from core.video import head_pose

    settings = head_pose.PoseFitSettings(fov_deg=float(data["fov"]), yaw_gain=1.0, pitch_gain=1.0)
    size = (int(data["size"]), int(data["size"]))
    rotations, translations, previous = [], [], None
    for face in data["landmarks"]:
        previous = head_pose.fit_pose(face, size, settings, previous)
        rotations.append(previous.rotation)
        translations.append(previous.translation)
    return np.array(rotations), np.array(translations)


class Video:
    def __init__(self, name: str, face: str, fov: float, data: dict) -> None:
        self.name, self.face, self.fov, self.data = name, face, fov, data
        self.rotations, self.translations = geometric_fits(data)

    def angles(self, yaw_gain: float, pitch_gain: float) -> np.ndarray:
        from core.video import head_pose

        rotations = head_pose.turn_corrected(self.rotations, self.translations, yaw_gain, pitch_gain)
        return np.column_stack(head_pose.head_angles(rotations, rotations[0]))

    def mae(self, yaw_gain: float, pitch_gain: float) -> np.ndarray:
        errors = self.angles(yaw_gain, pitch_gain)[self.data["key_frames"]] - self.data["keys"]
        return np.abs(errors).mean(axis=0)


def slopes(videos: list[Video]) -> np.ndarray:
    est = np.vstack([v.angles(1.0, 1.0) for v in videos])
    true = np.vstack([v.data["angles"] for v in videos])
    return np.array([np.polyfit(true[:, i], est[:, i], 1)[0] for i in range(3)])


def best_gains(videos: list[Video]) -> tuple[float, float]:
    """Yaw and pitch gains (0.01 steps) minimising the mean yaw + pitch key-pose MAE over the videos."""
    best = (math.inf, 1.0, 1.0)
    for yaw_gain in np.arange(0.80, 1.001, 0.01):
        for pitch_gain in np.arange(0.70, 1.001, 0.01):
            m = np.array([v.mae(yaw_gain, pitch_gain) for v in videos])
            score = float(m[:, 0].mean() + m[:, 1].mean())
            if score < best[0]:
                best = (score, round(float(yaw_gain), 2), round(float(pitch_gain), 2))
    return best[1], best[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/head_motion_turn_gains"))
    parser.add_argument("--quick", action="store_true", help="one seed at 40 degrees per face")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)

    from support import face_scene

    from core.video import head_pose

    faces = {"astronaut": face_scene.astronaut_photo}
    for clip, index in DEV_FACES:
        if (DEV / clip).is_file():
            faces[f"{Path(clip).stem}@{index}"] = lambda c=clip, i=index: video_frame_photo(DEV / c, i)
    configs = []
    for face in faces:
        seeds = SEEDS[:1] if args.quick else SEEDS
        configs += [(face, seed, 40.0, 256) for seed in seeds]
        if not args.quick:
            configs += [(face, seed, fov, 256) for seed in SEEDS[:2] for fov in (20.0, 60.0)]
            if face == "astronaut":
                configs.append((face, SEEDS[1], 40.0, 512))
    videos = []
    photos = {}
    for face, seed, fov, size in configs:
        name = f"{face.replace('@', '-')}_{seed}_{fov:g}_{size}"
        cached = args.cache / f"{name}.npz"
        if not cached.is_file():
            if face not in photos:
                photos[face] = faces[face]()
            data = render_and_track(photos[face], seed, fov, size, args.cache / name)
            np.savez(cached, **data)
            print(f"rendered {name}: {len(data['angles'])} frames", flush=True)
        videos.append(Video(name, face, fov, dict(np.load(cached))))

    print("\nslope of fitted vs true yaw / pitch / roll (no correction):")
    for face in faces:
        print(f"  face {face:48s} {slopes([v for v in videos if v.face == face]).round(3)}")
    for fov in sorted({v.fov for v in videos}):
        print(f"  field of view {fov:4g} degrees {'':30s} {slopes([v for v in videos if v.fov == fov]).round(3)}")
    gains = best_gains(videos)
    print(f"\nbest gains over all {len(videos)} videos: yaw {gains[0]:.2f}, pitch {gains[1]:.2f}")
    if len(faces) > 1:
        for face in faces:
            left_out = [v for v in videos if v.face == face]
            own = best_gains([v for v in videos if v.face != face])
            m = np.array([v.mae(*own) for v in left_out]).mean(axis=0)
            print(f"  without {face:44s} gains {own[0]:.2f} / {own[1]:.2f}: its MAE {m.round(2)}")
    defaults = (head_pose.DEFAULT_YAW_GAIN, head_pose.DEFAULT_PITCH_GAIN)
    print(f"\nkey-pose MAE yaw / pitch / roll with the defaults {defaults[0]} / {defaults[1]} (before: gains 1):")
    maes = []
    for v in videos:
        maes.append(v.mae(*defaults))
        print(f"  {v.name:56s} {maes[-1].round(2)}  ({v.mae(1.0, 1.0).round(2)})")
    maes = np.array(maes)
    print(f"  {'mean':56s} {maes.mean(axis=0).round(2)}; worst {maes.max(axis=0).round(2)}")


if __name__ == "__main__":
    main()
