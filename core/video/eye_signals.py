"""Eyes of the person in a video: eyelid closure, blinks and gaze per frame, from FaceMesh landmarks with the
refined iris points (478 per frame), relative to the person's own neutral.

What the estimator passes (:func:`eye_signals`): ``landmarks`` (N, 478, 2) pixel coordinates of the followed face
per video frame (rows of frames without a face are ignored), ``found`` (N,) True where the face was found, the
video's ``fps`` and whether it is ``mirror``-ed (a selfie video). 468-point landmarks (no iris: e.g. the landmarks
unrefined) give closure and blinks, and no gaze (zeros, with a warning). The landmarks may also be just the eye
points (N, len(:data:`EYE_POINTS`), 2) as :func:`eye_points` picks them (what the video estimator keeps per frame;
NaN irises: none).

Signals (column 0 the person's LEFT eye, column 1 the RIGHT; FaceMesh indices):

* Aperture: mean distance of three upper/lower lid pairs divided by the eye's corner-to-corner width (left eye
  385/380, 386/374, 387/373 between corners 362/263; right eye 160/144, 159/145, 158/153 between 133/33), a ratio
  that does not change with the face's size or distance. The person's open level is a high percentile
  (:data:`OPEN_PERCENTILE`) over the found frames; closure = 1 - aperture / open level, clipped to 0..1.
* Blinks: both eyes' mean closure relative to the lids' local level (the most open aperture within
  :data:`LOCAL_WINDOW_S`; looking down lowers the lids for seconds, a blink only briefly) rises above
  :data:`BLINK_ON` and falls back below :data:`BLINK_OFF` within :data:`MAX_BLINK_S` (a longer closure is eyes
  kept shut, not a blink). Each blink is reported
  by its onset (the first frame above :data:`BLINK_OFF`), its most closed frame and its duration.
* Gaze: the iris centre (473 left, 468 right) relative to the eye's mid-corner point, along the corner axis (x)
  and across it (y), in eye widths; the person's neutral (median over open-eye frames) is subtracted and the
  offsets become angles as the iris moves on a sphere: ``asin(offset * W / R)`` with W/R = :data:`WIDTH_OVER_RADIUS`
  (eye fissure about 30 mm wide, eyeball radius about 12 mm). yaw > 0: toward the person's left; pitch > 0: up.
  The iris corner frame moves with the head, so head turns largely cancel out. Gaze is held through blinks and
  missing frames and filtered with a 3-frame median, which removes single-frame jitter but keeps saccades sharp.

Times are seconds, frames 0-based video frames, angles degrees.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..checks import positive_number
from ..errors import SettingsError
from ..eyes.track import EyeTrack
from .timestamps import resample_by_time

#: (upper, lower) lid landmark pairs and (inner, outer) corners, person's left eye then right eye.
LID_PAIRS = (((385, 380), (386, 374), (387, 373)), ((160, 144), (159, 145), (158, 153)))
CORNERS = ((362, 263), (133, 33))
IRIS_CENTRES = (473, 468)
#: Open level of the lids: this percentile of the aperture over found frames.
OPEN_PERCENTILE = 80.0
#: Blink hysteresis on the mean closure of both eyes (0 open .. 1 shut) and the longest blink (s).
BLINK_ON, BLINK_OFF = 0.45, 0.2
MAX_BLINK_S = 0.6
#: Half-width (s) of the window whose most open aperture is the lids' local level for blink detection.
LOCAL_WINDOW_S = 0.5
#: Eye fissure width over eyeball radius (about 30 mm / 12 mm): iris offset in widths -> sine of the angle.
WIDTH_OVER_RADIUS = 2.5
#: The landmarks the signals are made of (lids, corners, iris centres), in the order :func:`eye_points` keeps them.
EYE_POINTS: tuple[int, ...] = tuple(sorted(
    {i for eye in LID_PAIRS for pair in eye for i in pair} | {i for pair in CORNERS for i in pair} | set(IRIS_CENTRES)
))
_AT = {index: k for k, index in enumerate(EYE_POINTS)}  # landmark index -> column of eye_points()
_IRIS_COLUMNS = [_AT[i] for i in IRIS_CENTRES]


def eye_points(landmarks: np.ndarray) -> np.ndarray:
    """The :data:`EYE_POINTS` of FaceMesh landmarks (..., 468 or 478, >=2): (..., len(EYE_POINTS), 2), same units;
    the iris centres NaN when the landmarks have no iris points."""
    pts = np.asarray(landmarks, dtype=np.float64)[..., :2]
    if pts.shape[-2] >= 478:
        return pts[..., list(EYE_POINTS), :]
    out = np.full((*pts.shape[:-2], len(EYE_POINTS), 2), np.nan)
    mesh = [k for k, i in enumerate(EYE_POINTS) if i < pts.shape[-2]]
    out[..., mesh, :] = pts[..., [EYE_POINTS[k] for k in mesh], :]
    return out


@dataclass(eq=False)
class EyeSignals:
    """Per-video-frame eye signals: ``closure`` (N, 2) 0..1, ``yaw``/``pitch`` (N, 2) degrees, ``found`` (N,),
    blink ``onsets``/``peaks`` (frames) and ``durations_s``, ``fps``, ``warnings``."""

    closure: np.ndarray
    yaw: np.ndarray
    pitch: np.ndarray
    found: np.ndarray
    onsets: np.ndarray
    peaks: np.ndarray
    durations_s: np.ndarray
    fps: float
    warnings: list[str] = field(default_factory=list)

    def lids(self) -> np.ndarray:
        """(N, 2) lid closure for a bake, 0 open .. 1 shut: ``closure`` with each detected blink reaching a shut lid
        (FaceMesh reports a shut lid as about 0.5-0.65 closure): within a blink, per eye, ``c + (1 - m) (c / m)^2``
        with ``m`` the blink's most closed value, so its peak becomes 1 and its edges barely change."""
        lids = self.closure.copy()
        for onset, duration in zip(self.onsets, self.durations_s, strict=True):
            span = slice(int(onset), int(onset) + max(1, round(float(duration) * self.fps)))
            c = lids[span]
            peak = np.maximum(c.max(axis=0), 1e-6)
            lids[span] = c + np.clip(1.0 - peak, 0.0, None) * (c / peak) ** 2
        return lids

    def to_eye_track(self, start_frame: int = 1, fps: float | None = None, times: np.ndarray | None = None) -> EyeTrack:
        """The signals as an :class:`~core.eyes.track.EyeTrack` (resampled to ``fps`` when given, linear). ``times``:
        each video frame's presentation time (s): the track is then on the grid ``k / fps`` from the start of the
        file like :meth:`core.video.result.EstimationResult.to_pose_track` (frames placed by their times). The lids
        (``blink``) are :meth:`lids`."""
        n = len(self.closure)
        target_fps = float(self.fps if fps is None else positive_number(fps, "fps"))
        if times is None:
            src_t = np.arange(n) / self.fps
            t = np.arange(max(1, round(n * target_fps / self.fps))) / target_fps

            def resample(values: np.ndarray) -> np.ndarray:
                return np.column_stack([np.interp(t, src_t, values[:, i]) for i in range(values.shape[1])])
        else:  # the head track's own resampling (EstimationResult.on_grid), so both land on the same frames
            src_t = np.asarray(times, dtype=np.float64)

            def resample(values: np.ndarray) -> np.ndarray:
                return resample_by_time(values, src_t, target_fps)

        return EyeTrack(resample(self.yaw), resample(self.pitch), np.clip(resample(self.lids()), 0.0, 1.0),
                        target_fps, start_frame, blink_onsets_s=src_t[self.onsets],
                        blink_durations_s=self.durations_s, blink_kinds=("video",) * len(self.onsets),
                        meta={"source": "video"})


def _fill(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """``values`` (N, k) with the rows where ``valid`` is False interpolated from the valid ones (held at ends)."""
    out = values.copy()
    idx = np.flatnonzero(valid)
    if len(idx) == 0:
        return np.zeros_like(values)
    x = np.arange(len(values))
    for c in range(values.shape[1]):
        out[:, c] = np.interp(x, idx, values[idx, c])
    return out


def _median3(values: np.ndarray) -> np.ndarray:
    if len(values) < 3:
        return values
    padded = np.concatenate([values[:1], values, values[-1:]])
    return np.median(np.stack([padded[:-2], padded[1:-1], padded[2:]]), axis=0)


def blink_events(closure: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(onset frames, most-closed frames, durations in s) of the blinks in a mean closure signal (N,)."""
    above_off = closure > BLINK_OFF
    padded = np.concatenate([[False], above_off, [False]]).astype(np.int8)
    change = np.flatnonzero(np.diff(padded))
    onsets, peaks, durations = [], [], []
    for start, end in zip(change[0::2], change[1::2], strict=True):
        segment = closure[start:end]
        if segment.max() > BLINK_ON and (end - start) / fps <= MAX_BLINK_S:
            onsets.append(start)
            peaks.append(start + int(np.argmax(segment)))
            durations.append((end - start) / fps)
    return np.array(onsets, dtype=np.int64), np.array(peaks, dtype=np.int64), np.array(durations, dtype=np.float64)


def eye_signals(landmarks: np.ndarray, found: np.ndarray, fps: float, mirror: bool = False) -> EyeSignals:
    """Closure, blinks and gaze per frame from FaceMesh landmarks (see the module docstring for the inputs)."""
    fps = positive_number(fps, "fps")
    pts = np.asarray(landmarks, dtype=np.float64)
    found = np.asarray(found, dtype=bool)
    if pts.ndim != 3 or pts.shape[1] not in (468, 478, len(EYE_POINTS)) or pts.shape[2] < 2 or len(pts) != len(found):
        raise SettingsError(f"Eye signals need (N, 468 or 478, 2) landmarks (or their eye points) and N found flags, "
                            f"got {pts.shape} and {found.shape}.")
    pts = pts[:, :, :2] if pts.shape[1] == len(EYE_POINTS) else eye_points(pts)
    n = len(pts)
    warnings: list[str] = []
    lids = [k for k in range(len(EYE_POINTS)) if k not in _IRIS_COLUMNS]
    found = found & np.isfinite(pts[:, lids]).all(axis=(1, 2))
    eyes = (1, 0) if mirror else (0, 1)  # a mirrored image shows the person's left eye where the right one is
    aperture = np.zeros((n, 2))
    width = np.ones((n, 2))
    for column, eye in enumerate(eyes):
        inner, outer = _AT[CORNERS[eye][0]], _AT[CORNERS[eye][1]]
        width[:, column] = np.maximum(np.linalg.norm(pts[:, outer] - pts[:, inner], axis=1), 1e-6)
        gaps = [np.linalg.norm(pts[:, _AT[up]] - pts[:, _AT[lo]], axis=1) for up, lo in LID_PAIRS[eye]]
        aperture[:, column] = np.mean(gaps, axis=0) / width[:, column]
    if not found.any():
        warnings.append("No face was found, so the eyes could not be measured.")
        zeros = np.zeros((n, 2))
        empty = np.zeros(0)
        return EyeSignals(zeros, zeros.copy(), zeros.copy(), found, empty.astype(np.int64), empty.astype(np.int64),
                          empty, fps, warnings)
    open_level = np.percentile(aperture[found], OPEN_PERCENTILE, axis=0)
    filled = _fill(aperture, found)
    closure = np.clip(1.0 - filled / np.maximum(open_level, 1e-6), 0.0, 1.0)
    # Blinks are dips below the lids' local level: looking down lowers the lids for seconds, a blink does not.
    half = max(1, round(LOCAL_WINDOW_S * fps))
    padded = np.pad(filled, ((half, half), (0, 0)), mode="edge")
    local_open = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1, axis=0).max(axis=-1)
    relative = np.clip(1.0 - filled / np.maximum(local_open, 1e-6), 0.0, 1.0).mean(axis=1)
    onsets, peaks, durations = blink_events(relative, fps)
    in_blink = np.zeros(n, dtype=bool)
    for start, length in zip(onsets, np.round(durations * fps).astype(np.int64), strict=True):
        in_blink[max(0, start - 1):start + length + 1] = True

    yaw = np.zeros((n, 2))
    pitch = np.zeros((n, 2))
    if not np.isfinite(pts[found][:, _IRIS_COLUMNS]).all():
        warnings.append("The landmarks have no iris points: gaze is not measured (blinks are).")
    else:
        for column, eye in enumerate(eyes):
            inner, outer = _AT[CORNERS[eye][0]], _AT[CORNERS[eye][1]]
            mid = 0.5 * (pts[:, inner] + pts[:, outer])
            # Unit axis toward the person's left: outer -> inner for the right eye, inner -> outer for the left.
            axis = (pts[:, outer] - pts[:, inner]) if eye == 0 else (pts[:, inner] - pts[:, outer])
            axis /= np.linalg.norm(axis, axis=1, keepdims=True).clip(1e-6)
            if mirror:
                axis = -axis
            up = np.column_stack([axis[:, 1], -axis[:, 0]])  # image y points down
            if mirror:
                up = -up
            rel = (pts[:, _AT[IRIS_CENTRES[eye]]] - mid) / width[:, column:column + 1]
            yaw[:, column] = np.einsum("ij,ij->i", rel, axis)
            pitch[:, column] = np.einsum("ij,ij->i", rel, up)
        usable = found & ~in_blink & (relative < BLINK_OFF)
        if usable.sum() < 3:
            usable = found
        offsets = np.stack([yaw, pitch], axis=-1)
        offsets = _fill(offsets.reshape(n, 4), usable).reshape(n, 2, 2)
        offsets -= np.median(offsets[usable], axis=0)
        angles = np.degrees(np.arcsin(np.clip(offsets * WIDTH_OVER_RADIUS, -1.0, 1.0)))
        angles = _median3(angles.reshape(n, 4)).reshape(n, 2, 2)
        yaw, pitch = angles[..., 0], angles[..., 1]
    return EyeSignals(closure, yaw, pitch, found, onsets, peaks, durations, fps, warnings)
