"""Head motion of a person in a video: FaceMesh landmarks -> PnP head pose -> clean, stable angle track.

Pipeline (:func:`estimate_video`)
    1. Decode every frame with OpenCV (``cv2.VideoCapture``, on a reader thread ahead of its use:
       :mod:`core.video.frames`) with its presentation time from the container (:mod:`core.video.timestamps`;
       evenly spaced at the file's frame rate where the container has none).
    2. Face landmarks of the followed face (:mod:`core.video.landmarks`; stale crops are processed again).
    3. :func:`core.video.head_pose.fit_pose` per frame (started from the previous frame's fit), plus the lip
       gap and lip keypoints (:func:`core.video.head_pose.lip_signals`): :mod:`core.video.measure`. A long
       file is measured in consecutive parts that depend on the file alone, on one thread per core
       (:mod:`core.video.segments`).
    4. Frames whose reprojection error is far above the clip's median are rejected.
    5. FaceMesh's under-reported out-of-plane turns are corrected (:func:`core.video.head_pose.turn_corrected`);
       every frame's rotation is taken relative to the neutral pose (:mod:`core.video.neutral`) and converted
       to yaw/pitch/roll (degrees, project convention), unwrapped in time.
    6. Hampel outlier rejection on the angles; missing and rejected frames are interpolated (``found`` keeps
       them marked; gaps longer than ``max_gap_frames`` are reported in ``warnings``).
    7. Stabiliser: zero-phase Gaussian (default), 1€, or none (:mod:`core.video.stabilize`).
    8. The eyes on the frames kept for the head (``found``): lid closure, blinks and gaze relative to the
       person's neutral (:func:`core.video.eye_signals.eye_signals`; the gaze is median-filtered there, not
       smoothed like the angles, so saccades stay sharp).

Settings are :class:`~core.video.settings.EstimationSettings`, the result an
:class:`~core.video.result.EstimationResult`; :mod:`core.video.cache` keeps results between runs. The
field-of-view default and other measured choices are in docs/decisions.md ("Video estimation").
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import MediaError, NoFaceError
from .eye_signals import eye_signals
from .head_pose import turn_corrected
from .landmarks import FaceTracker, Landmarker, open_video
from .measure import Raw
from .neutral import frame_text, neutral_rotation, relative_angles
from .result import EstimationResult
from .segments import measure_video
from .settings import EstimationSettings
from .stabilize import fill_gaps, find_gaps, hampel, stabilize
from .timestamps import container_times, frame_times, is_constant_rate, mean_rate

ProgressCallback = Callable[[int, int], None]
CancelCallback = Callable[[], bool]


def _measure(
    path: Path,
    settings: EstimationSettings,
    progress: ProgressCallback | None,
    cancel: CancelCallback | None,
    cpus: int | None = None,
) -> tuple[Raw, float, tuple[int, int], int]:
    capture, fps, total = open_video(path)  # file errors first: they are the user's to fix

    def make_tracker(threads: int) -> FaceTracker:
        return FaceTracker(Landmarker(settings, threads=threads), settings)

    try:
        raw = measure_video(str(path), capture, fps, total, make_tracker, settings.pose_fit_settings(), progress,
                            cancel, cpus)
    finally:
        capture.release()
    n = len(raw)
    if progress is not None and n:
        progress(n, n)
    return raw, fps, raw.size, n


def estimate_video(
    path: str | os.PathLike,
    settings: EstimationSettings | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelCallback | None = None,
    *,
    cpus: int | None = None,
) -> EstimationResult:
    """Measure the head motion of the person in the video at ``path`` (see the module docs).

    ``cpus``: the CPU count to plan the measuring threads for (``None``: this machine's); only the speed
    depends on it, the result depends on the file and ``settings`` alone (:mod:`core.video.segments`).

    ``progress(done_frames, total_frames)`` is called after every frame (every 0.05 s while parts run in
    parallel; ``total_frames`` is the container's estimate, never below ``done_frames``) and once at the end
    with equal numbers, on the calling thread. ``cancel()`` is polled as often; returning True raises
    :class:`~core.errors.Cancelled`.

    Raises :class:`~core.errors.MediaError` for a missing, unreadable, still-image or zero-length file,
    :class:`~core.errors.NoFaceError` when no face is found in any frame,
    :class:`~core.errors.MissingDependencyError` without OpenCV/MediaPipe, and
    :class:`~core.errors.SettingsError` for bad settings.
    """
    settings = (settings or EstimationSettings()).validate()
    path = Path(path)
    raw, fps, size, n = _measure(path, settings, progress, cancel, cpus)
    if n == 0:
        raise MediaError(f"'{path.name}' holds no video frames (zero length, or not a video).", str(path), "empty")
    if n == 1:
        raise MediaError(
            f"'{path.name}' is a still image (1 frame); head motion needs a video.", str(path), "unsupported"
        )
    warnings: list[str] = []
    stated = math.isfinite(fps) and fps > 0.0
    times = container_times(raw.msec)
    if times is None:
        if not stated:
            warnings.append(f"'{path.name}' does not state its frame rate; 25 fps was assumed.")
            fps = 25.0
        times = frame_times(raw.msec, fps)
    elif not (stated and is_constant_rate(times, fps)):
        fps = mean_rate(times)  # a variable frame rate: the frames' own times place them
    translation = np.array(raw.translation)
    rotations = np.array(raw.rotation)  # the geometric fits; NaN without a face
    fitted = np.isfinite(translation[:, 0])
    if fitted.any():
        rotations[fitted] = turn_corrected(
            rotations[fitted], translation[fitted], settings.yaw_gain, settings.pitch_gain
        )
    error = np.array(raw.error)
    detected = np.array(raw.detected, dtype=bool)
    found = np.isfinite(error)
    if not found.any():
        raise NoFaceError(
            f"No face was found in '{path.name}' ({n} frames). Use a video in which one person's face "
            "is clearly visible.",
            str(path),
            "no_face",
        )
    if raw.faces_seen > 1:
        warnings.append(f"Up to {raw.faces_seen} faces were seen; the head motion follows one of them.")

    # Frames whose landmarks fit the rigid face much worse than usual (occlusion, wrong face, motion blur).
    median_error = float(np.median(error[found]))
    limit = settings.max_error_ratio * max(median_error, 1e-6)
    bad_fit = found & (error > limit)
    if bad_fit.any():
        found &= ~bad_fit
        warnings.append(f"{int(bad_fit.sum())} frame(s) were rejected for a poor landmark fit (> {limit:.1f} px RMS).")
    if not found.any():
        raise NoFaceError(f"No usable face was found in '{path.name}'.", str(path), "no_face")

    neutral = neutral_rotation(rotations, found, settings.neutral, fps, warnings)
    angles = relative_angles(rotations, found, neutral, settings.mirror)

    spikes = hampel(angles, settings.hampel_half_window, settings.hampel_sigmas, settings.hampel_floor_deg)
    spikes &= found
    if spikes.any():
        found &= ~spikes
        warnings.append(f"{int(spikes.sum())} frame(s) were rejected as sudden jumps of the measured angles.")
        angles[spikes] = np.nan

    missing = int((~found).sum())
    if missing:
        long_gaps = [g for g in find_gaps(found) if g.length > settings.max_gap_frames]
        for gap in long_gaps[:5]:
            warnings.append(
                f"No usable face for {gap.length} frames ({gap.length / fps:.1f} s) from "
                f"{frame_text(gap.start, fps)}; the motion there is interpolated."
            )
        if len(long_gaps) > 5:
            warnings.append(f"... and {len(long_gaps) - 5} more long gap(s) without a usable face.")
    raw_angles = fill_gaps(angles, found)
    translation_filled = fill_gaps(translation, found)
    if settings.mirror:
        translation_filled[:, 0] *= -1.0
    lip_ok = found & np.isfinite(np.array(raw.lip_gap))
    lip_gap = fill_gaps(np.array(raw.lip_gap), lip_ok)
    lip_keypoints = fill_gaps(np.array(raw.lip_keypoints), lip_ok)

    def smooth(x: np.ndarray) -> np.ndarray:
        return stabilize(
            x,
            fps,
            settings.stabiliser,
            sigma_frames=settings.gaussian_sigma_frames,
            min_cutoff=settings.one_euro_min_cutoff_hz,
            beta=settings.one_euro_beta,
            d_cutoff=settings.one_euro_d_cutoff_hz,
            zero_phase=settings.one_euro_zero_phase,
        )

    stable = smooth(raw_angles)
    return EstimationResult(
        yaw=stable[:, 0],
        pitch=stable[:, 1],
        roll=stable[:, 2],
        raw_angles=raw_angles,
        translation=smooth(translation_filled),
        lip_gap=lip_gap,
        lip_keypoints=lip_keypoints,
        found=found,
        detected=detected,
        reprojection_error_px=error,
        fps=float(fps),
        times=times,
        image_size=size,
        neutral_rotation=neutral,
        warnings=warnings,
        settings=settings,
        source=str(path),
        eyes=eye_signals(np.array(raw.eye_points), found, fps, settings.mirror),
    )

