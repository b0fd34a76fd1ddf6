"""EXPERIMENT (issue #16): head pose from a 3DMM parameter regressor instead of the FaceMesh rigid fit.

    .venv/train/bin/python tools/tddfa_experiment.py [--weights DIR] [--onnx PATH] [--cache DIR]
    .venv/py311/bin/python tools/tddfa_experiment.py --no-export --skip-truth --dev N  # needs MediaPipe

The regressor is 3DDFA_V2's MobileNet-V1 (width 0.5, 120 x 120 input; Guo et al., ECCV 2020, MIT licence,
trained on 300W-LP); its checkpoint ``weights/mb05_120x120.pth`` and parameter statistics
``configs/param_mean_std_62d_120x120.pkl`` are read from ``--weights`` (extract them from the upstream
repository first; see docs/decisions.md). The network is defined here (only the layer names follow the
checkpoint's), exported to ONNX (``--onnx``), checked against torch and timed with onnxruntime.

Per frame: a square crop around the face (the side sqrt(2) times the larger side of the box of a 68-point-like
subset of the tracker's FaceMesh landmarks, :data:`ROI_POINTS`), resized to 120 x 120 (BGR, (v - 127.5) / 128);
the first 12 de-normalised outputs are a 3 x 4 weak-perspective camera whose rows 1 and 2 (x right, y up
in the crop) give the rotation. The model axes (x the person's left, y up, z out of the face) are those of
:mod:`core.video.face_model`, so camera-from-face = facing_camera(ray through the crop centre) @ R: the
network sees "frontal" as looking along the line of sight to the face. Angles are then
:func:`core.video.head_pose.head_angles` relative to the rest frame, no turn gains, no smoothing.

Scores on the rendered expression ground truth of ``tools/measure_expression_leak.py`` (its cache) are those of
that tool: key-pose MAE, jitter between the two identical neutral frames, mean |change| neutral -> expression;
for crops from the jaw-line box (with and without the line-of-sight turn), from the rigid points only, held at
each key pose's neutral frame (an oracle), for the estimator itself and for the mean of its and the 3DMM angles.
``--dev N``: on the first N dev clips, agreement with :func:`core.video.estimate_video` (defaults).
"""

from __future__ import annotations

import argparse
import pickle
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZE = 120
FOV_DEG = 40.0  # the rendered ground truth's camera
HOLD, N_EXPRESSIONS = 2, 4
EXPRESSIONS = ("mouth_open", "brows_up", "smile", "blink")
#: FaceMesh points standing in for the 68-point layout's jaw line (temple to temple under the chin) and brows:
#: the box 3DDFA's landmark crop is built from (its forehead is not in the box).
ROI_POINTS = (
    127, 234, 93, 132, 58, 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397, 288, 361, 323,
    454, 356, 70, 63, 105, 66, 107, 336, 296, 334, 293, 300,
)  # fmt: skip
#: Channels of each depthwise-separable block after the first convolution (full width) and its stride.
BLOCKS = (
    ("dw2_1", 64, 1), ("dw2_2", 128, 2), ("dw3_1", 128, 1), ("dw3_2", 256, 2), ("dw4_1", 256, 1),
    ("dw4_2", 512, 2), ("dw5_1", 512, 1), ("dw5_2", 512, 1), ("dw5_3", 512, 1), ("dw5_4", 512, 1),
    ("dw5_5", 512, 1), ("dw5_6", 1024, 2), ("dw6", 1024, 1),
)  # fmt: skip


def build_network(width: float = 0.5, outputs: int = 62):
    """MobileNet-V1 at ``width``: 3x3/2 convolution, the :data:`BLOCKS`, global mean, a linear layer."""
    import torch
    from torch import nn

    def conv_bn(cin: int, cout: int, kernel: int, stride: int, groups: int = 1) -> tuple[nn.Module, nn.Module]:
        conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2, groups=groups, bias=False)
        return conv, nn.BatchNorm2d(cout)

    class Separable(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int) -> None:
            super().__init__()
            self.conv_dw, self.bn_dw = conv_bn(cin, cin, 3, stride, groups=cin)
            self.conv_sep, self.bn_sep = conv_bn(cin, cout, 1, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = torch.relu(self.bn_dw(self.conv_dw(x)))
            return torch.relu(self.bn_sep(self.conv_sep(x)))

    class Regressor(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            channels = int(32 * width)
            self.conv1, self.bn1 = conv_bn(3, channels, 3, 2)
            self.names = [name for name, _, _ in BLOCKS]
            for name, cout, stride in BLOCKS:
                setattr(self, name, Separable(channels, int(cout * width), stride))
                channels = int(cout * width)
            self.fc = nn.Linear(channels, outputs)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = torch.relu(self.bn1(self.conv1(x)))
            for name in self.names:
                x = getattr(self, name)(x)
            return self.fc(x.mean(dim=(2, 3)))

    return Regressor()


def load_network(checkpoint: Path):
    """The network with the checkpoint's weights ('module.' prefix dropped, ``fc_param`` -> ``fc``; the
    checkpoint's extra landmark head ``fc_lm`` is not used), in eval mode."""
    import torch

    state = torch.load(checkpoint, map_location="cpu", weights_only=False)["state_dict"]
    net = build_network()
    wanted = net.state_dict()
    renamed = {}
    for key, value in state.items():
        key = key.removeprefix("module.").replace("fc_param.", "fc.")
        if key in wanted:
            renamed[key] = value
    missing = set(wanted) - set(renamed)
    if missing:
        raise KeyError(f"checkpoint lacks {sorted(missing)}")
    net.load_state_dict(renamed)
    return net.eval()


def export(net, path: Path) -> float:
    """Write ONNX (input ``image`` (N, 3, 120, 120), output ``params`` (N, 62)); max |onnx - torch|."""
    import onnxruntime as ort
    import torch

    dummy = torch.zeros(1, 3, SIZE, SIZE)
    torch.onnx.export(
        net, (dummy,), str(path), input_names=["image"], output_names=["params"],
        dynamic_axes={"image": {0: "n"}, "params": {0: "n"}}, opset_version=17, dynamo=False,
    )  # fmt: skip
    x = torch.from_numpy(np.random.default_rng(0).uniform(-1, 1, (4, 3, SIZE, SIZE)).astype(np.float32))
    with torch.no_grad():
        expected = net(x).numpy()
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"image": x.numpy()})[0]
    return float(np.abs(got - expected).max() / max(np.abs(expected).max(), 1e-12))


def session(path: Path, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def time_per_frame(path: Path, threads: int, n: int = 300) -> float:
    """Median milliseconds of one 120 x 120 frame through onnxruntime with ``threads`` threads."""
    s = session(path, threads)
    x = np.random.default_rng(1).uniform(-1, 1, (1, 3, SIZE, SIZE)).astype(np.float32)
    for _ in range(20):
        s.run(None, {"image": x})
    times = []
    for _ in range(n):
        start = time.perf_counter()
        s.run(None, {"image": x})
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def roi_box(landmarks: np.ndarray) -> np.ndarray:
    """(x0, y0, x1, y1) pixels: a square centred on the :data:`ROI_POINTS` box, side sqrt(2) x its larger side."""
    p = landmarks[list(ROI_POINTS)]
    low, high = p.min(axis=0), p.max(axis=0)
    centre, side = 0.5 * (low + high), np.sqrt(2.0) * float((high - low).max())
    return np.array([*(centre - side / 2), *(centre + side / 2)])


def crop(bgr: np.ndarray, box: np.ndarray) -> np.ndarray:
    """The network's input (1, 3, 120, 120) float32: ``box`` cut out of ``bgr`` (zeros outside), resized."""
    import cv2

    x0, y0, x1, y1 = (round(float(v)) for v in box)
    h, w = bgr.shape[:2]
    out = np.zeros((y1 - y0, x1 - x0, 3), dtype=np.uint8)
    sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = bgr[sy0:sy1, sx0:sx1]
    out = cv2.resize(out, (SIZE, SIZE), interpolation=cv2.INTER_LINEAR)
    return ((out.astype(np.float32) - 127.5) / 128.0).transpose(2, 0, 1)[None]


def camera_rotation(params: np.ndarray) -> np.ndarray:
    """(N, 3, 3) rotations of the weak-perspective cameras (the first 12 parameters, de-normalised): rows 1 and
    2 normalised, row 3 their cross product, then the nearest rotation (SVD)."""
    p = params[:, :12].reshape(-1, 3, 4)[:, :, :3]
    r1 = p[:, 0] / np.linalg.norm(p[:, 0], axis=1, keepdims=True)
    r2 = p[:, 1] / np.linalg.norm(p[:, 1], axis=1, keepdims=True)
    m = np.stack([r1, r2, np.cross(r1, r2)], axis=1)
    u, _, vt = np.linalg.svd(m)
    return u @ vt


class Regressor3dmm:
    """Frames and FaceMesh landmarks in, camera-from-face rotations (camera axes x right, y down, z forward)."""

    def __init__(self, onnx: Path, weights: Path, threads: int = 1) -> None:
        self.session = session(onnx, threads)
        with open(weights / "param_mean_std_62d_120x120.pkl", "rb") as f:
            stats = pickle.load(f)
        self.mean, self.std = np.asarray(stats["mean"]), np.asarray(stats["std"])

    def rotation(self, bgr: np.ndarray, box: np.ndarray, k: np.ndarray, ray: bool = True) -> np.ndarray:
        """Camera-from-face rotation (3, 3) of the face in ``box`` (pixels, :func:`roi_box`); ``ray``: turned to
        the line of sight through the box centre (else as if the face were on the optical axis)."""
        from core.video import head_pose

        params = self.session.run(None, {"image": crop(bgr, box)})[0] * self.std + self.mean
        r = camera_rotation(params)[0]
        if not ray:
            return head_pose.FRONTAL @ r
        centre = np.array([0.5 * (box[0] + box[2]), 0.5 * (box[1] + box[3]), 1.0])
        return head_pose.facing_camera(np.linalg.solve(k, centre)) @ r


def rigid_boxes(landmarks: np.ndarray) -> np.ndarray:
    """(N, 4) crops from the estimator's rigid landmarks only (no jaw, lips or brows): their box's centre and
    larger side mapped to :func:`roi_box`'s by offsets and a ratio measured on the first frame."""
    from core.video.face_model import RIGID_LANDMARKS

    p = landmarks[:, list(RIGID_LANDMARKS)]
    centre = 0.5 * (p.min(axis=1) + p.max(axis=1))
    side = (p.max(axis=1) - p.min(axis=1)).max(axis=1)
    first = roi_box(landmarks[0])
    ratio = (first[2] - first[0]) / side[0]
    shift = (0.5 * (first[:2] + first[2:]) - centre[0]) / side[0]
    c = centre + shift * side[:, None]
    half = 0.5 * ratio * side[:, None]
    return np.hstack([c - half, c + half])


def roi_boxes(landmarks: np.ndarray, mode: str, key_frames: np.ndarray | None = None) -> np.ndarray:
    """(N, 4) crops: ``jaw`` :func:`roi_box` per frame, ``rigid`` :func:`rigid_boxes`, ``held`` (ground truth
    only) each key pose's neutral-frame jaw box kept through its expression frames (the crop cannot leak)."""
    if mode == "rigid":
        return rigid_boxes(landmarks)
    boxes = np.array([roi_box(face) for face in landmarks])
    if mode == "held":
        assert key_frames is not None
        for key in key_frames:
            boxes[key + 1 : key + 1 + HOLD * N_EXPRESSIONS] = boxes[key]
    return boxes


def frames(video: Path):
    import cv2

    capture = cv2.VideoCapture(str(video))
    try:
        while True:
            ok, bgr = capture.read()
            if not ok:
                return
            yield bgr
    finally:
        capture.release()


def text(values) -> str:
    return " / ".join(f"{v:.2f}" for v in np.asarray(values))


def scores(angles: np.ndarray, data: dict, signed: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Key-pose MAE (3,), jitter between the identical neutral frames (3,), mean |change| (E, 3) (``signed``: the
    mean change); degrees."""
    keys = data["key_frames"]
    shown = np.stack([keys + HOLD * (e + 1) for e in range(N_EXPRESSIONS)], axis=1)
    mae = np.abs(angles[keys] - data["keys"]).mean(axis=0)
    jitter = np.abs(angles[keys] - angles[keys - 1]).mean(axis=0)
    change = angles[shown] - angles[keys][:, None]
    return mae, jitter, (change if signed else np.abs(change)).mean(axis=0)


def current_angles(data: dict) -> np.ndarray:
    """The estimator's angles from the cached landmarks (as tools/measure_expression_leak.py: fit told the field
    of view, default turn gains, relative to the rest frame, no smoothing)."""
    from core.video import head_pose

    settings = head_pose.PoseFitSettings(fov_deg=FOV_DEG)
    size = (256, 256)
    fits, fit = [], None
    for face in data["landmarks"]:
        fit = head_pose.fit_pose(face, size, settings, fit)
        fits.append(fit)
    r = head_pose.turn_corrected(np.array([f.rotation for f in fits]), np.array([f.translation for f in fits]))
    return np.column_stack(head_pose.head_angles(r, r[data["key_frames"][0]]))


def ground_truth(model: Regressor3dmm, cache: Path) -> None:
    from core.video import head_pose

    variants = (("jaw", True), ("jaw", False), ("rigid", True), ("held", True))
    rows: dict[str, list] = {}
    for truth in sorted(cache.glob("*.npz")):
        data = dict(np.load(truth))
        data["landmarks"] = np.load(f"{truth.with_suffix('')}_mediapipe.npy")
        keys = data["key_frames"]
        k = head_pose.camera_matrix((256, 256), FOV_DEG)
        images = list(frames(truth.with_suffix(".avi")))
        tracks = {}
        for mode, ray in variants:
            boxes = roi_boxes(data["landmarks"], mode, keys)
            r = np.array([model.rotation(bgr, box, k, ray) for bgr, box in zip(images, boxes, strict=True)])
            tracks[f"3dmm {mode}{'' if ray else ' no-ray'}"] = np.column_stack(head_pose.head_angles(r, r[keys[0]]))
        tracks["current"] = current_angles(data)
        tracks["mean(3dmm jaw, current)"] = 0.5 * (tracks["3dmm jaw"] + tracks["current"])
        a = tracks["3dmm jaw"][keys]
        pairs = [f"{text(t)} | {text(v)}" for t, v in zip(data["keys"][1:6], a[1:6], strict=True)]
        print(f"{truth.stem}: truth | 3DMM (jaw crop) at the single-axis key poses: {pairs}")
        for name, angles in tracks.items():
            mae, jitter, change = scores(angles, data)
            rows.setdefault(name, []).append((mae, jitter, change))
            rows.setdefault(name + " signed", []).append(scores(angles, data, signed=True))
            per = "; ".join(f"{e} {text(change[i])}" for i, e in enumerate(EXPRESSIONS))
            print(f"  {name:24s} MAE {text(mae)} | jitter {text(jitter)} | change {text(change.mean(axis=0))} ({per})")
    print("mean over the faces (deg yaw / pitch / roll):")
    for name, r in rows.items():
        change = np.mean([c for _, _, c in r], axis=0)
        per = "; ".join(f"{e} {text(change[i])}" for i, e in enumerate(EXPRESSIONS))
        print(
            f"  {name:31s} MAE {text(np.mean([m for m, _, _ in r], axis=0))} | jitter "
            f"{text(np.mean([j for _, j, _ in r], axis=0))} | change {text(change.mean(axis=0))} ({per})"
        )


def dev_agreement(model: Regressor3dmm, clips: list[Path], max_frames: int) -> None:
    """Pearson r and std ratio per axis of the 3DMM track against estimate_video's, and frame-to-frame noise."""
    import cv2

    from core.video import EstimationSettings, estimate_video, head_pose
    from core.video.landmarks import FaceTracker, Landmarker

    for clip in clips:
        with tempfile.TemporaryDirectory() as tmp:
            short = Path(tmp) / "clip.avi"
            writer, size = None, (0, 0)
            for i, bgr in enumerate(frames(clip)):
                if i >= max_frames:
                    break
                if writer is None:
                    size = (bgr.shape[1], bgr.shape[0])
                    writer = cv2.VideoWriter(str(short), cv2.VideoWriter_fourcc(*"FFV1"), 25, size)
                writer.write(bgr)
            assert writer is not None
            writer.release()
            result = estimate_video(short, EstimationSettings())
            settings = EstimationSettings()
            tracker = FaceTracker(Landmarker(settings), settings)
            k = head_pose.camera_matrix(size, settings.fov_deg)
            rotations, found = [], []
            try:
                for bgr in frames(short):
                    face = tracker(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
                    found.append(face is not None)
                    rotations.append(model.rotation(bgr, roi_box(face), k) if face is not None else np.eye(3))
            finally:
                tracker.close()
        found_mask = np.array(found) & result.found
        rotations = np.array(rotations)
        ours = np.column_stack(head_pose.head_angles(rotations, rotations[int(np.argmax(found_mask))]))
        ref = np.column_stack([result.yaw, result.pitch, result.roll])
        raw = result.raw_angles
        ours, ref, raw = ours[found_mask], ref[found_mask], raw[found_mask]
        r = [np.corrcoef(ours[:, i], ref[:, i])[0, 1] for i in range(3)]
        ratio = ours.std(axis=0) / np.maximum(ref.std(axis=0), 1e-9)
        noise = [np.median(np.abs(np.diff(x, 2, axis=0)), axis=0) for x in (ours, raw, ref)]
        print(
            f"{clip.name} ({len(ours)} frames): r {text(r)} | std ratio 3DMM/estimator {text(ratio)} | "
            f"std estimator {text(ref.std(axis=0))} | median |2nd difference| 3DMM {text(noise[0])}, "
            f"estimator raw {text(noise[1])}, smoothed {text(noise[2])}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weights", type=Path, default=Path("/tmp/hm/tddfa"))
    parser.add_argument("--onnx", type=Path, default=Path("/tmp/hm/tddfa_mb05.onnx"))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/head_motion_expression_leak"))
    parser.add_argument("--dev", type=int, default=0, help="number of dev clips to compare on (0: none)")
    parser.add_argument("--dev-frames", type=int, default=250)
    parser.add_argument("--skip-truth", action="store_true")
    parser.add_argument("--no-export", action="store_true", help="use the ONNX file already there (no torch)")
    args = parser.parse_args()
    if not args.no_export:
        net = load_network(args.weights / "mb05_120x120.pth")
        print(f"ONNX parity: max |onnx - torch| / max |torch| = {export(net, args.onnx):.2e}")
    for threads in (1, 2):
        print(f"onnxruntime, {threads} thread(s): {time_per_frame(args.onnx, threads):.2f} ms per 120x120 frame")
    model = Regressor3dmm(args.onnx, args.weights)
    if not args.skip_truth:
        ground_truth(model, args.cache)
    if args.dev:
        dev = sorted((ROOT.parent / "shared" / "data" / "dev").glob("*.mp4"))[: args.dev]
        dev_agreement(model, dev, args.dev_frames)


if __name__ == "__main__":
    main()
