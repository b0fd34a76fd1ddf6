"""Measuring one video on parallel threads: consecutive parts, each with its own decoder and FaceMesh.

FaceMesh works on one core per call and each frame's landmarks start from the previous frame's, so one run
of a video uses one core. :func:`measure_video` splits a long file into ``worker_count`` consecutive parts
and measures each on its own thread with its own ``cv2.VideoCapture`` and FaceMesh
(:func:`core.video.measure.measure_run`); the cost is one face detection and re-tracked frame at the start
of each part. A short file (fewer than ``MIN_PART_FRAMES`` frames a part) is measured in one run.

Where the parts meet
    Worker ``i > 0`` seeks to its nominal first frame (``CAP_PROP_POS_FRAMES``), reads a frame and
    publishes its presentation time; worker ``i - 1`` measures the frames before that time and stops, so
    the parts tile the file by time whichever frame the seek landed on (variable frame rates included).
    A worker whose seek lands before half its nominal start time, or that reads nothing, measures nothing,
    and the worker before it goes on.

When the file is measured again in one run
    The joined parts must have strictly increasing times, the last part must reach the end of the file,
    and the face followed at the end of a part must be the one followed at the start of the next
    (:func:`core.video.landmarks.same_face`). Otherwise (a container without usable times, a part that
    started with another person's face) the whole file is measured again in one run, as with one worker.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from typing import Any

from ..errors import Cancelled
from .head_pose import PoseFitSettings, import_cv2
from .landmarks import FaceTracker, same_face
from .measure import Raw, measure_run

#: A part has at least this many frames (about 6 s at 25 fps): a shorter one saves less than its start costs.
MIN_PART_FRAMES = 150
#: Threads used by default: the CPU count, at most this.
MAX_WORKERS = 4
#: How often (seconds) the calling thread reports progress and asks whether to cancel while workers run.
POLL_S = 0.05

ProgressCallback = Callable[[int, int], None]
CancelCallback = Callable[[], bool]
TrackerFactory = Callable[[int], FaceTracker]  # interpreter threads a landmark backend may use -> tracker


def worker_count(workers: int, total_frames: int) -> int:
    """Threads for a video of ``total_frames`` (the container's estimate): ``workers`` (0 = the CPU count, at
    most :data:`MAX_WORKERS`), but at most one per :data:`MIN_PART_FRAMES` frames, and at least 1."""
    wanted = int(workers) if workers > 0 else min(MAX_WORKERS, os.cpu_count() or 1)
    return max(1, min(wanted, int(total_frames) // MIN_PART_FRAMES))


class _Start:
    """A part's first presentation time (milliseconds), published once by its worker; ``inf`` when the part
    measures nothing."""

    def __init__(self) -> None:
        self._set = threading.Event()
        self.msec = math.inf

    def publish(self, msec: float) -> None:
        if not self._set.is_set():
            self.msec = float(msec)
            self._set.set()

    def known(self) -> bool:
        return self._set.is_set()

    def wait(self, stopping: threading.Event) -> bool:
        """Wait until published (True) or until ``stopping`` is set (False)."""
        while not self._set.wait(POLL_S):
            if stopping.is_set():
                return False
        return True


def measure_video(
    path: str,
    capture: Any,
    fps: float,
    total: int,
    workers: int,
    make_tracker: TrackerFactory,
    fit_settings: PoseFitSettings,
    progress: ProgressCallback | None,
    cancel: CancelCallback | None,
) -> Raw:
    """The per-frame measurements of the video at ``path`` (see the module docs). ``capture`` is opened at its
    first frame (the caller releases it); ``fps`` and ``total`` are what the container states. ``progress``
    and ``cancel`` are called on the calling thread: before every frame in one run, every :data:`POLL_S`
    seconds while parts run in parallel. Raises :class:`Cancelled` when ``cancel()`` returns True."""
    count = worker_count(workers, total) if math.isfinite(fps) and fps > 0.0 else 1
    if count > 1:
        raw = _parallel(path, capture, fps, total, count, make_tracker, fit_settings, progress, cancel)
        if raw is not None:
            return raw
        capture = import_cv2().VideoCapture(str(path))
        try:
            return _one_run(capture, total, make_tracker, fit_settings, progress, cancel, path)
        finally:
            capture.release()
    return _one_run(capture, total, make_tracker, fit_settings, progress, cancel, path)


def _cancelled(path: str) -> Cancelled:
    return Cancelled(f"Head-motion estimation of '{os.path.basename(path)}' was cancelled.")


def _one_run(
    capture: Any,
    total: int,
    make_tracker: TrackerFactory,
    fit_settings: PoseFitSettings,
    progress: ProgressCallback | None,
    cancel: CancelCallback | None,
    path: str,
) -> Raw:
    raw = Raw()
    tracker = make_tracker(min(MAX_WORKERS, os.cpu_count() or 1))

    def stop(_msec: float) -> bool:
        if cancel is not None and cancel():
            raise _cancelled(path)
        return False

    def done() -> None:
        if progress is not None:
            progress(len(raw), max(total, len(raw)))

    try:
        measure_run(capture, tracker, fit_settings, raw, stop, done)
    finally:
        tracker.close()
    return raw


def _parallel(
    path: str,
    capture: Any,
    fps: float,
    total: int,
    count: int,
    make_tracker: TrackerFactory,
    fit_settings: PoseFitSettings,
    progress: ProgressCallback | None,
    cancel: CancelCallback | None,
) -> Raw | None:
    """The parts measured on ``count`` threads and joined; ``None`` when they do not join up (module docs)."""
    cv2 = import_cv2()
    first_frames = [round(i * total / count) for i in range(count)]
    threads_each = max(1, (os.cpu_count() or 1) // count)
    trackers = [make_tracker(threads_each) for _ in range(count)]  # here: a missing library raises at once
    raws = [Raw() for _ in range(count)]
    starts = [_Start() for _ in range(count)]
    stopping = threading.Event()
    errors: list[BaseException] = []

    def next_start(i: int, block: bool) -> float | None:
        """The first time of the next part that measures anything (``inf``: none); ``None`` while unknown."""
        for later in starts[i + 1:]:
            if not later.known() and not (block and later.wait(stopping)):
                return None
            if math.isfinite(later.msec):
                return later.msec
        return math.inf

    def work(i: int) -> None:
        own = capture if i == 0 else cv2.VideoCapture(str(path))
        raw, limit = raws[i], [math.inf if i == count - 1 else None]
        part_frames = (first_frames[i + 1] if i + 1 < count else total) - first_frames[i]

        def stop(msec: float) -> bool:
            if stopping.is_set():
                return True
            if i > 0 and not raw.msec:  # this part's first frame: where the previous part ends
                if not msec >= 500.0 * first_frames[i] / fps:  # the seek went nowhere plausible
                    return True
                starts[i].publish(msec)
            if limit[0] is None:
                limit[0] = next_start(i, block=len(raw) >= part_frames // 2)
            return limit[0] is not None and msec >= limit[0]

        try:
            if i == 0 or (own.isOpened() and own.set(cv2.CAP_PROP_POS_FRAMES, first_frames[i])):
                measure_run(own, trackers[i], fit_settings, raw, stop)
        except BaseException as exc:  # raised again on the calling thread
            errors.append(exc)
            stopping.set()
        finally:
            starts[i].publish(math.inf)
            if i > 0:
                own.release()

    threads = [threading.Thread(target=work, args=(i,), name=f"head-motion-video-part-{i}", daemon=True)
               for i in range(count)]
    cancelled = False
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(POLL_S)
                if not cancelled and cancel is not None and cancel():
                    cancelled = True
                    stopping.set()
                if progress is not None:
                    done = sum(len(r) for r in raws)
                    progress(done, max(total, done))
    finally:
        stopping.set()
        for thread in threads:
            thread.join()
        for tracker in trackers:
            tracker.close()
    if cancelled:
        raise _cancelled(path)
    if errors:
        raise errors[0]
    return _joined(raws)


def _joined(raws: list[Raw]) -> Raw | None:
    """The parts' measurements in one :class:`Raw`, or ``None`` when they do not join up (module docs)."""
    joined = Raw()
    for raw in raws:
        if not len(raw):
            continue
        if len(joined):
            if raw.msec[0] <= joined.msec[-1]:
                return None
            if joined.last_face is not None and raw.first_face is not None and not same_face(
                raw.first_face, joined.last_face
            ):
                return None
        joined.extend(raw)
    return joined if joined.reached_end else None
