"""MediaPipe FaceMesh's landmark pipeline re-implemented on LiteRT (``ai-edge-litert``), no mediapipe needed.

mediapipe publishes no wheel for Python 3.13 (Blender 5.2), so this module runs the same two TFLite
networks FaceMesh runs, bundled in ``models/face/`` (copied from the mediapipe 0.10.21 wheel by
``tools/extract_face_tflite.py``; Apache-2.0), and does in numpy + OpenCV what FaceMesh's CPU graph
(``face_landmark_front_cpu``) does around them:

1. **Detection** (``face_detection_short_range_cpu`` -> ``FaceDetectionShortRange``): the frame is
   letterboxed (keep aspect ratio, zero border) to 128x128 RGB in [-1, 1], BlazeFace gives 896 anchor
   regressions (16 values: box + 6 keypoints) and logits, decoded against SSD anchors and merged with
   weighted non-maximum suppression.
2. **Detection -> ROI** (``face_detection_front_detection_to_roi``): the box, turned so the line from
   the right eye keypoint (0) to the left one (1) is horizontal, made square on its long side and
   enlarged 1.5x.
3. **Landmarks** (``face_landmark_cpu``): the rotated ROI is warped to 192x192 RGB in [0, 1]
   (replicated border), the mesh network gives 468 (x, y, z) points in crop pixels and a face-presence
   logit; points are projected back into normalised image coordinates.
4. **Tracking** (``face_landmark_landmarks_to_roi`` + ``PreviousLoopbackCalculator``): the next frame's
   ROI comes from this frame's landmarks (their bounding box, turned by the line through landmarks 33 and
   263, square, 1.5x); detection runs only while fewer faces are tracked than ``max_num_faces``, and its
   ROIs that overlap a tracked one (IoU > 0.5, ``AssociationNormRectCalculator``) are dropped. A face is
   lost when its presence score is below ``min_tracking_confidence``.

Constants come from MediaPipe's graphs and calculator options (mediapipe v0.10.x,
``mediapipe/modules/face_detection/face_detection_short_range.pbtxt``, ``face_detection.pbtxt``,
``mediapipe/modules/face_landmark/face_landmark_front_cpu.pbtxt`` (also shipped in the wheel as
``face_landmark_front_cpu.binarypb``), ``face_detection_front_detection_to_roi.pbtxt``,
``face_landmark_landmarks_to_roi.pbtxt``, ``face_landmark_cpu.pbtxt``) and from
``ssd_anchors_calculator.cc`` / ``tensors_to_detections_calculator.cc`` / ``detections_to_rects_calculator.cc``
/ ``rect_transformation_calculator.cc`` / ``landmark_projection_calculator.cc`` /
``image_to_tensor_converter_opencv.cc``; each is noted where it is defined.

5. **Attention refinement** (``face_landmark_with_attention`` + ``tensors_to_face_landmarks_with_attention``,
   what ``refine_landmarks=True`` adds): the attention model crops a 48x48 feature map around the lips and
   each eye, predicts those regions' points from the crops, and their x, y replace the mesh's (z kept).
   The model does the cropping with three MediaPipe custom operators LiteRT does not have, so
   ``tools/extract_face_tflite.py`` cuts it around them into ``face_landmark_attention_mesh.tflite``
   (image -> mesh, face flag, feature map) and ``face_landmark_attention_heads.tflite`` (crops -> region
   and iris points), with the operators' options in ``face_landmark_attention.json``;
   :func:`~core.video.litert_ops.crop_matrix`, :func:`crop_features` and :func:`transform_points` are those
   operators in numpy (MediaPipe's ``landmarks_to_transform_matrix.cc`` v2, ``transform_tensor_bilinear.cc`` v2,
   ``transform_landmarks.cc`` v2). Each eye crop also gives that eye's iris (centre, then 4 points on its
   rim): they become landmarks 468-472 (the person's right eye) and 473-477 (left), at the mean depth of their
   eye's contour, as in ``FaceMesh(refine_landmarks=True)``'s 478 points.

With ``landmark_model`` set to the mediapipe wheel's plain ``face_landmark.tflite`` (no refinement) this
reproduces ``FaceMesh(refine_landmarks=False)``.

numpy is the only module-level dependency; OpenCV and the TFLite interpreter (``ai_edge_litert``, else
``tflite_runtime``, else ``tensorflow.lite``) are imported when a :class:`LiteRtFaceMesh` is made.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import MissingDependencyError
from .litert_ops import crop_features, crop_matrix, transform_points

_FEATURE = "Video estimation on Python 3.13"
MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "face"
DETECTION_MODEL = "face_detection_short_range.tflite"
MESH_MODEL = "face_landmark_attention_mesh.tflite"
HEADS_MODEL = "face_landmark_attention_heads.tflite"
ATTENTION_CONFIG = "face_landmark_attention.json"

# --- face_detection_short_range.pbtxt -------------------------------------------------------------
DETECTION_SIZE = 128  # ImageToTensorCalculator output_tensor_width/height; SsdAnchors input_size_*
# SsdAnchorsCalculatorOptions: num_layers 4, min_scale 0.1484375, max_scale 0.75, anchor_offset 0.5,
# strides [8, 16, 16, 16], aspect_ratios [1.0], fixed_anchor_size true, interpolated_scale_aspect_ratio
# 1.0 (so 2 anchors per cell and layer; consecutive layers of one stride share a grid): 16x16x2 + 8x8x6 =
# 896 anchors, each (x_centre, y_centre) in [0, 1] with width = height = 1 (fixed size).
ANCHOR_STRIDES = (8, 16, 16, 16)
ANCHOR_OFFSET = 0.5
ANCHORS_PER_LAYER = 2
# TensorsToDetectionsCalculatorOptions: num_boxes 896, num_coords 16, box_coord_offset 0,
# keypoint_coord_offset 4, num_keypoints 6, num_values_per_keypoint 2, sigmoid_score true,
# score_clipping_thresh 100, reverse_output_order true (x before y), x/y/w/h_scale 128.
NUM_BOXES = 896
NUM_KEYPOINTS = 6
SCORE_CLIP = 100.0
BOX_SCALE = 128.0
# NonMaxSuppressionCalculatorOptions: min_suppression_threshold 0.3, overlap_type INTERSECTION_OVER_UNION,
# algorithm WEIGHTED.
NMS_IOU = 0.3

# --- face_detection_front_detection_to_roi.pbtxt ----------------------------------------------------
# DetectionsToRectsCalculatorOptions: rotation_vector_start_keypoint_index 0 (right eye),
# rotation_vector_end_keypoint_index 1 (left eye), rotation_vector_target_angle_degrees 0.
# RectTransformationCalculatorOptions: scale_x 1.5, scale_y 1.5, square_long true.
DETECTION_ROTATION_KEYPOINTS = (0, 1)
ROI_SCALE = 1.5

# --- face_landmark_landmarks_to_roi.pbtxt ------------------------------------------------------------
# LandmarksToDetectionCalculator (bounding box of all landmarks), DetectionsToRectsCalculatorOptions:
# rotation_vector_start_keypoint_index 33, rotation_vector_end_keypoint_index 263 (outer eye corners),
# target angle 0; RectTransformationCalculatorOptions: scale 1.5, square_long true.
LANDMARK_ROTATION_POINTS = (33, 263)

# --- face_landmark_front_cpu.pbtxt: AssociationNormRectCalculator min_similarity_threshold 0.5 ------------
ASSOCIATION_IOU = 0.5

# --- face_landmark_cpu.pbtxt ---------------------------------------------------------------------
LANDMARK_SIZE = 192  # ImageToTensorCalculator 192x192, output_tensor_float_range [0, 1]
NUM_LANDMARKS = 468  # TensorsToLandmarksCalculatorOptions num_landmarks 468, input_image_width/height 192
NUM_REFINED = 478  # the mesh and the two irises (refine_landmarks=True)


@dataclass
class _Rect:
    """A rotated rectangle in normalised image coordinates (MediaPipe's ``NormalizedRect``).

    ``x``, ``y``: centre, ``w``, ``h``: size (fractions of the image width / height), ``rotation``: radians,
    clockwise in the image (y down)."""

    x: float
    y: float
    w: float
    h: float
    rotation: float


#: Modules providing a TFLite ``Interpreter``, tried in order. Imported through importlib: the cp311 zips
#: use mediapipe and do not ship any of them (tools/runtime_deps.py counts only plain imports).
_INTERPRETER_MODULES = ("ai_edge_litert.interpreter", "tflite_runtime.interpreter", "tensorflow.lite")


def _import_interpreter() -> Any:
    """The TFLite ``Interpreter`` class: ai_edge_litert, else tflite_runtime, else tensorflow.lite."""
    import importlib

    for name in _INTERPRETER_MODULES:
        try:
            return importlib.import_module(name).Interpreter
        except (ImportError, AttributeError):
            continue
    raise MissingDependencyError("ai-edge-litert", _FEATURE)


def ssd_anchors() -> np.ndarray:
    """The 896 anchor centres of the short-range BlazeFace, (896, 2) x, y in [0, 1] of the 128x128 input.

    Same order as MediaPipe's ``SsdAnchorsCalculator``: layers of equal stride are merged into one grid,
    then row by row, cell by cell, ``ANCHORS_PER_LAYER`` anchors per merged layer."""
    anchors = []
    layer = 0
    while layer < len(ANCHOR_STRIDES):
        last = layer
        while last < len(ANCHOR_STRIDES) and ANCHOR_STRIDES[last] == ANCHOR_STRIDES[layer]:
            last += 1
        per_cell = ANCHORS_PER_LAYER * (last - layer)
        cells = math.ceil(DETECTION_SIZE / ANCHOR_STRIDES[layer])
        ys, xs = np.meshgrid(np.arange(cells), np.arange(cells), indexing="ij")
        centres = np.stack([(xs + ANCHOR_OFFSET) / cells, (ys + ANCHOR_OFFSET) / cells], axis=-1).reshape(-1, 2)
        anchors.append(np.repeat(centres, per_cell, axis=0))
        layer = last
    result = np.concatenate(anchors).astype(np.float64)
    assert result.shape == (NUM_BOXES, 2)
    return result


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of box ``a`` (4,) with boxes ``b`` (n, 4), both (xmin, ymin, xmax, ymax)."""
    lo = np.maximum(a[:2], b[:, :2])
    hi = np.minimum(a[2:], b[:, 2:])
    inter = np.prod(np.clip(hi - lo, 0.0, None), axis=1)
    area_a = np.prod(a[2:] - a[:2])
    area_b = np.prod(b[:, 2:] - b[:, :2], axis=1)
    union = area_a + area_b - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def weighted_nms(
    boxes: np.ndarray, keypoints: np.ndarray, scores: np.ndarray, iou: float = NMS_IOU
) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """MediaPipe's WEIGHTED non-maximum suppression (``NonMaxSuppressionCalculator::WeightedNonMaxSuppression``).

    ``boxes``: (n, 4) xmin, ymin, xmax, ymax; ``keypoints``: (n, 6, 2); ``scores``: (n,). Returns
    (box, keypoints, score) per face, best first; box and keypoints are score-weighted means over the
    candidates overlapping the best remaining one by more than ``iou``, the score is the best one's."""
    order = np.argsort(-scores, kind="stable")
    out = []
    while order.size:
        best = order[0]
        overlap = _iou(boxes[best], boxes[order])
        group = order[overlap > iou]
        weights = scores[group][:, None]
        total = float(weights.sum())
        box = (boxes[group] * weights).sum(axis=0) / total
        kps = (keypoints[group] * weights[:, :, None]).sum(axis=0) / total
        out.append((box, kps, float(scores[best])))
        order = order[overlap <= iou]
    return out


def _normalize_radians(angle: float) -> float:
    return angle - 2.0 * math.pi * math.floor((angle + math.pi) / (2.0 * math.pi))


def _rect_from_box(box: np.ndarray, start: np.ndarray, end: np.ndarray, width: int, height: int) -> _Rect:
    """``DetectionsToRectsCalculator`` + ``RectTransformationCalculator`` (scale 1.5, square_long).

    ``box``: xmin, ymin, xmax, ymax normalised; ``start``/``end``: the rotation keypoints, normalised."""
    rotation = _normalize_radians(0.0 - math.atan2(-(end[1] - start[1]) * height, (end[0] - start[0]) * width))
    w = float(box[2] - box[0])
    h = float(box[3] - box[1])
    long_side = max(w * width, h * height)
    return _Rect(
        x=float(box[0] + box[2]) / 2.0,
        y=float(box[1] + box[3]) / 2.0,
        w=long_side / width * ROI_SCALE,
        h=long_side / height * ROI_SCALE,
        rotation=rotation,
    )


def _rect_from_landmarks(points: np.ndarray, width: int, height: int) -> _Rect:
    """The tracking ROI from one face's normalised landmarks (n, >=2) (``face_landmark_landmarks_to_roi``)."""
    xy = points[:, :2]
    box = np.concatenate([xy.min(axis=0), xy.max(axis=0)])
    i, j = LANDMARK_ROTATION_POINTS
    return _rect_from_box(box, xy[i], xy[j], width, height)


def _axis_box(rect: _Rect) -> np.ndarray:
    """The rect's unrotated box (xmin, ymin, xmax, ymax), as ``AssociationNormRectCalculator`` compares them."""
    return np.array([rect.x - rect.w / 2, rect.y - rect.h / 2, rect.x + rect.w / 2, rect.y + rect.h / 2])


class LiteRtFaceMesh:
    """FaceMesh-like face landmarks on LiteRT: ``process(rgb)`` -> list of (478, 3) arrays per face ((468, 3)
    without refinement).

    Landmarks are in MediaPipe's normalised coordinates: x / image width, y / image height (both in
    [0, 1] inside the image), z depth at the scale of x (negative toward the camera). Tracking across
    calls like ``FaceMesh(static_image_mode=False)``; ``static_image_mode=True`` detects every frame.

    ``max_num_faces``: faces looked for; ``min_detection_confidence``: BlazeFace score threshold in [0, 1];
    ``min_tracking_confidence``: face-presence threshold in [0, 1] below which a face is dropped (and,
    tracked, lost); ``num_threads``: interpreter threads (default: up to 4, the CPU count)."""

    def __init__(
        self,
        static_image_mode: bool = False,
        max_num_faces: int = 1,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        refine_landmarks: bool = True,
        num_threads: int | None = None,
        model_dir: Path | str = MODEL_DIR,
        landmark_model: Path | str | None = None,
        attention_config: dict[str, Any] | None = None,
    ) -> None:
        interpreter_class = _import_interpreter()
        from .head_pose import import_cv2

        self._cv2 = import_cv2()
        threads = int(num_threads) if num_threads else max(1, min(4, os.cpu_count() or 1))
        folder = Path(model_dir)
        refine = bool(refine_landmarks) and landmark_model is None
        models = [folder / DETECTION_MODEL, Path(landmark_model) if landmark_model else folder / MESH_MODEL]
        if refine:
            models.append(folder / HEADS_MODEL)
            if attention_config is None:
                models.append(folder / ATTENTION_CONFIG)
        for model in models:
            if not model.is_file():
                raise FileNotFoundError(f"The face model '{model}' is missing (tools/extract_face_tflite.py).")

        def interpreter(path: Path) -> Any:
            made = interpreter_class(model_path=str(path), num_threads=threads)
            made.allocate_tensors()
            return made

        self._detector = interpreter(models[0])
        self._landmarker = interpreter(models[1])
        self._det_input = self._detector.get_input_details()[0]["index"]
        outputs = {int(np.prod(d["shape"])): d["index"] for d in self._detector.get_output_details()}
        self._det_boxes = outputs[NUM_BOXES * 16]
        self._det_scores = outputs[NUM_BOXES]
        self._lm_input = self._landmarker.get_input_details()[0]["index"]
        details = self._landmarker.get_output_details()
        named = {d["name"]: d["index"] for d in details}
        sized = {int(np.prod(d["shape"])): d["index"] for d in reversed(details)}  # first of each size wins
        self._lm_points = named.get("output_mesh_identity", sized[NUM_LANDMARKS * 3])
        self._lm_presence = named.get("conv_faceflag", sized[1])
        self._heads = None
        self._config: dict[str, Any] | None = None
        self._region_indices: dict[str, np.ndarray] = {}  # region -> the landmarks its points replace or are
        self._iris_depth: dict[str, np.ndarray] = {}  # iris -> the eye contour landmarks whose mean depth it takes
        if refine:
            if attention_config is None:
                attention_config = json.loads((folder / ATTENTION_CONFIG).read_text())
            self._config = attention_config
            regions = [r for r in attention_config["regions"] if "mesh_indices" in r]
            self._region_indices = {r["name"]: np.asarray(r["mesh_indices"], dtype=np.int64) for r in regions}
            irises = [r for r in regions if "iris_indices" in r]
            self._region_indices.update({r["name"] + "_iris": np.asarray(r["iris_indices"]) for r in irises})
            self._iris_depth = {r["name"] + "_iris": np.asarray(r["iris_depth_indices"]) for r in irises}
            self._heads = interpreter(models[2])
            self._lm_named = named
            self._heads_in = {d["name"]: d["index"] for d in self._heads.get_input_details()}
            self._heads_out = {d["name"]: d["index"] for d in self._heads.get_output_details()}
        self._anchors = ssd_anchors()
        self.static_image_mode = bool(static_image_mode)
        self.max_num_faces = max(1, int(max_num_faces))
        self.min_detection_confidence = float(min_detection_confidence)
        self.min_tracking_confidence = float(min_tracking_confidence)
        self._tracked: list[_Rect] = []
        self.last_presence: list[float] = []  # face-presence score of each face returned by the last call

    # -- context manager / FaceMesh surface -------------------------------------------------------

    def close(self) -> None:
        """Drop the interpreters (the object cannot be used afterwards)."""
        self._detector = None
        self._landmarker = None
        self._heads = None
        self._tracked = []

    def reset(self) -> None:
        """Forget the tracked faces: the next frame starts with detection."""
        self._tracked = []

    def __enter__(self) -> LiteRtFaceMesh:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the pipeline -------------------------------------------------------------------------------

    def _warp(self, rgb: np.ndarray, rect: _Rect, size: int, border: int) -> np.ndarray:
        """The rotated rect of ``rgb`` resampled to (size, size, 3) uint8 (``image_to_tensor_converter_opencv``:
        the rect's corners from ``cv::boxPoints`` mapped onto the output's, bilinear)."""
        cv2 = self._cv2
        height, width = rgb.shape[:2]
        box = ((rect.x * width, rect.y * height), (rect.w * width, rect.h * height), math.degrees(rect.rotation))
        src = cv2.boxPoints(box).astype(np.float32)  # bottom-left, top-left, top-right, bottom-right
        dst = np.array([[0, size], [0, 0], [size, 0]], dtype=np.float32)
        matrix = cv2.getAffineTransform(src[:3], dst)
        return cv2.warpAffine(rgb, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=border, borderValue=0)

    def _detect(self, rgb: np.ndarray) -> list[_Rect]:
        """Face ROIs from BlazeFace on the whole frame, best first, at most ``max_num_faces``."""
        height, width = rgb.shape[:2]
        side = max(width, height)
        # Letterbox: the square ROI (long side) about the image centre, zero border (keep_aspect_ratio true,
        # BORDER_ZERO), then [0, 255] -> [-1, 1] (output_tensor_float_range -1..1).
        frame = _Rect(0.5, 0.5, side / width, side / height, 0.0)
        crop = self._warp(rgb, frame, DETECTION_SIZE, self._cv2.BORDER_CONSTANT)
        tensor = (crop.astype(np.float32) * (2.0 / 255.0) - 1.0)[None]
        self._detector.set_tensor(self._det_input, tensor)
        self._detector.invoke()
        raw = self._detector.get_tensor(self._det_boxes).reshape(NUM_BOXES, 16).astype(np.float64)
        logits = self._detector.get_tensor(self._det_scores).reshape(NUM_BOXES).astype(np.float64)
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -SCORE_CLIP, SCORE_CLIP)))
        keep = scores >= self.min_detection_confidence
        if not keep.any():
            return []
        raw, scores, anchors = raw[keep], scores[keep], self._anchors[keep]
        centre = raw[:, 0:2] / BOX_SCALE + anchors
        half = raw[:, 2:4] / BOX_SCALE / 2.0
        boxes = np.concatenate([centre - half, centre + half], axis=1)
        keypoints = raw[:, 4:16].reshape(-1, NUM_KEYPOINTS, 2) / BOX_SCALE + anchors[:, None, :]
        # Letterbox removal (DetectionProjection): letterbox [0, 1] -> image [0, 1].
        scale = np.array([side / width, side / height])
        offset = 0.5 - 0.5 * scale
        rects = []
        for box, kps, _score in weighted_nms(boxes, keypoints, scores)[: self.max_num_faces]:
            box = np.concatenate([box[:2] * scale + offset, box[2:] * scale + offset])
            kps = kps * scale + offset
            i, j = DETECTION_ROTATION_KEYPOINTS
            rects.append(_rect_from_box(box, kps[i], kps[j], width, height))
        return rects

    def _landmarks(self, rgb: np.ndarray, rect: _Rect) -> tuple[np.ndarray, float, dict[str, np.ndarray]]:
        """(478, 3) normalised landmarks of the face in ``rect`` ((468, 3) without the iris heads), its presence
        score in [0, 1] and the refined regions' points (name -> (n, 2) normalised; empty without refinement)."""
        crop = self._warp(rgb, rect, LANDMARK_SIZE, self._cv2.BORDER_REPLICATE)
        tensor = (crop.astype(np.float32) * (1.0 / 255.0))[None]
        self._landmarker.set_tensor(self._lm_input, tensor)
        self._landmarker.invoke()
        raw = self._landmarker.get_tensor(self._lm_points).reshape(NUM_LANDMARKS, 3).astype(np.float64)
        logit = float(self._landmarker.get_tensor(self._lm_presence).reshape(-1)[0])
        presence = 1.0 / (1.0 + math.exp(-max(-SCORE_CLIP, min(SCORE_CLIP, logit))))
        regions = self._refined_regions() if self._heads is not None else {}
        if self._iris_depth:
            raw = np.concatenate([raw, np.zeros((NUM_REFINED - NUM_LANDMARKS, 3))])
        for name, points in regions.items():
            indices = self._region_indices.get(name)
            if indices is not None:  # LandmarksRefinementCalculator: x, y replaced (or added), z kept
                raw[indices, :2] = points
        for name, depth in self._iris_depth.items():  # an iris: at the mean depth of its eye's contour
            raw[self._region_indices[name], 2] = raw[depth, 2].mean()
        # TensorsToLandmarks (/ 192) then LandmarkProjection: rotate about the crop centre, scale, shift.
        out = self._project(raw, rect)
        return out, presence, {name: self._project(points, rect)[:, :2] for name, points in regions.items()}

    def _refined_regions(self) -> dict[str, np.ndarray]:
        """The attention heads on the mesh model's last run: each region's points in 192x192 crop pixels."""
        assert self._config is not None and self._heads is not None
        features = self._landmarker.get_tensor(self._lm_named[self._config["features"]])[0].astype(np.float64)
        back = {}
        for region in self._config["regions"]:
            mesh = self._landmarker.get_tensor(self._lm_named[region["mesh_source"]]).reshape(-1, 3)
            matrix = crop_matrix(mesh, region)
            crop = crop_features(features, matrix, region["crop_size"])
            self._heads.set_tensor(self._heads_in[region["crop"]], crop[None].astype(np.float32))
            self._heads.set_tensor(self._heads_in[region["matrix"]], matrix[None].astype(np.float32))
        self._heads.invoke()
        for region in self._config["regions"]:
            matrix = self._heads.get_tensor(self._heads_out[region["back_matrix"]])[0]
            for name, key in ((region["name"], "points"), (region["name"] + "_iris", "iris_points")):
                if key in region:
                    points = self._heads.get_tensor(self._heads_out[region[key]]).reshape(-1, 2)
                    back[name] = transform_points(points.astype(np.float64), matrix)
        return back

    @staticmethod
    def _project(raw: np.ndarray, rect: _Rect) -> np.ndarray:
        """Crop pixels (n, 2 or 3) of the 192x192 landmark input -> normalised image coordinates."""
        local = np.asarray(raw, dtype=np.float64) / LANDMARK_SIZE
        dx, dy = local[:, 0] - 0.5, local[:, 1] - 0.5
        c, s = math.cos(rect.rotation), math.sin(rect.rotation)
        out = np.empty_like(local)
        out[:, 0] = (c * dx - s * dy) * rect.w + rect.x
        out[:, 1] = (s * dx + c * dy) * rect.h + rect.y
        if local.shape[1] > 2:
            out[:, 2] = local[:, 2] * rect.w
        return out

    def process(self, rgb: np.ndarray) -> list[np.ndarray]:
        """Face landmarks of one RGB frame (H, W, 3) uint8: a list of (478, 3) float64 arrays ((468, 3) without
        refinement) in normalised image coordinates (see the class), one per face found; empty when there is
        none."""
        if self._detector is None:
            raise RuntimeError("LiteRtFaceMesh is closed.")
        image = np.ascontiguousarray(rgb)
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"Expected an RGB image (H, W, 3), got shape {image.shape}.")
        height, width = image.shape[:2]
        tracked = [] if self.static_image_mode else list(self._tracked)
        rects = list(tracked)
        if len(tracked) < self.max_num_faces:
            detected = self._detect(image)
            # AssociationNormRectCalculator: a tracked ROI replaces the detections it overlaps.
            kept = [
                d
                for d in detected
                if all(_iou(_axis_box(d), _axis_box(t)[None])[0] <= ASSOCIATION_IOU for t in tracked)
            ]
            rects = kept + tracked
        faces, presences, next_rects = [], [], []
        for rect in rects:
            points, presence, _regions = self._landmarks(image, rect)
            if presence < self.min_tracking_confidence:
                continue
            faces.append(points)
            presences.append(presence)
            next_rects.append(_rect_from_landmarks(points, width, height))
        self._tracked = next_rects[: self.max_num_faces]
        self.last_presence = presences
        return faces

    def region_points(self, rgb: np.ndarray) -> dict[str, np.ndarray]:
        """The refined regions' points (name -> (n, 2) normalised image coordinates) of the first face
        detected in ``rgb`` (no tracking); empty when there is no face or no refinement."""
        rects = self._detect(np.ascontiguousarray(rgb))
        return self._landmarks(np.ascontiguousarray(rgb), rects[0])[2] if rects else {}
