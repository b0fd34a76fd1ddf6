"""Measuring one video in consecutive parts, on as many threads as the machine has cores, with a result that
depends only on the file.

FaceMesh works on one core per call and each frame's landmarks start from the previous frame's, so one run
of a video uses one core. :func:`measure_video` splits a long file into :func:`part_count` consecutive parts
and measures each with its own ``cv2.VideoCapture`` and FaceMesh (:func:`core.video.measure.measure_run`);
the cost is one seek, one face detection and one re-tracked frame at the start of each part. A short file
(fewer than ``MIN_PART_FRAMES`` frames a part) is measured in one run.

Same file, same result, on any machine
    How many parts there are and where they start depend only on the file (the frame count its container
    states, and where a seek lands), never on the CPU count: every part begins with a fresh face detection,
    so the landmarks of its first frames depend on where it starts, and a laptop and a farm node must bake
    the same motion. The CPU count decides only how many threads measure the parts (:func:`thread_count`;
    each takes the next part not yet begun, in file order) and how many interpreter threads each landmark
    backend may use.

Where the parts meet
    Part ``i > 0`` starts where a seek to its nominal first frame (``CAP_PROP_POS_FRAMES``) lands: a thread
    of its own seeks, grabs that frame and notes its presentation time; the part is measured from that frame
    on, with that capture. Part ``i`` measures its frames up to the next part's start, so the parts tile the
    file by time whichever frame the seeks landed on (variable frame rates included). A part whose seek reads
    nothing, lands before half its nominal start time or not after the previous part's start measures
    nothing, and the part before it goes on. The seeks wait for nothing, so a part that needs a later
    part's start before its own end (only a frame past half the next part's nominal start time does) waits
    at most for one seek, and any number of threads, one included, measures the parts.

When the file is measured again in one run
    Every part that starts must measure at least its first frame, the joined parts must have strictly
    increasing times, the last part must reach the end of the file, and the face followed at the end of a
    part must be the one followed at the start of the next (:func:`core.video.landmarks.same_face`).
    Otherwise (a container without usable times, a part that started with another person's face) the whole
    file is measured again in one run, as a short file is.

Progress and cancelling
    ``progress`` and ``cancel`` are called on the calling thread: before every frame in one run, every
    :data:`POLL_S` seconds while parts are measured; a cancel stops every part at its next frame (a seek
    under way finishes first).
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import Cancelled
from .head_pose import PoseFitSettings, import_cv2
from .landmarks import FaceTracker, same_face
from .measure import Raw, measure_run

#: A part has at least this many frames (about 6 s at 25 fps): a shorter one saves less than its start costs.
MIN_PART_FRAMES = 150
#: Parts of one video at most (a power of two, so that 1, 2 or 4 threads share them evenly).
MAX_PARTS = 4
#: Interpreter threads one landmark backend is given at most (the LiteRT backend; mediapipe's uses one).
MAX_INTERPRETER_THREADS = 4
#: How often (seconds) the calling thread reports progress and asks whether to cancel while parts run.
POLL_S = 0.05

ProgressCallback = Callable[[int, int], None]
CancelCallback = Callable[[], bool]
TrackerFactory = Callable[[int], FaceTracker]  # interpreter threads a landmark backend may use -> tracker


def part_count(total_frames: int) -> int:
    """Parts a video of ``total_frames`` (its container's estimate) is measured in: the largest power of two
    that is at most :data:`MAX_PARTS` and leaves each part :data:`MIN_PART_FRAMES` frames, at least 1.
    It depends on the file only."""
    most = max(1, min(MAX_PARTS, int(total_frames) // MIN_PART_FRAMES))
    return 1 << (most.bit_length() - 1)


def cpu_count() -> int:
    """This machine's CPU count (at least 1)."""
    return os.cpu_count() or 1


def thread_count(parts: int, cpus: int | None = None) -> int:
    """Threads that measure ``parts`` parts on a machine with ``cpus`` CPUs (``None``: this machine's): one
    per CPU, at most one per part, at least 1. Only the speed depends on it."""
    return max(1, min(int(parts), int(cpus) if cpus else cpu_count()))


def measure_video(
    path: str,
    capture: Any,
    fps: float,
    total: int,
    make_tracker: TrackerFactory,
    fit_settings: PoseFitSettings,
    progress: ProgressCallback | None,
    cancel: CancelCallback | None,
    cpus: int | None = None,
) -> Raw:
    """The per-frame measurements of the video at ``path`` (see the module docs). ``capture`` is opened at its
    first frame (the caller releases it); ``fps`` and ``total`` are what the container states. ``cpus``: the
    CPU count to plan threads for (``None``: this machine's); the measurements do not depend on it.
    ``progress`` and ``cancel`` are called on the calling thread (module docs). Raises :class:`Cancelled`
    when ``cancel()`` returns True."""
    with _opencv_single_threaded():
        cpus = max(1, int(cpus)) if cpus else cpu_count()
        parts = part_count(total) if math.isfinite(fps) and fps > 0.0 else 1
        if parts > 1:
            starts = [_Start(round(i * total / parts), fps) for i in range(parts)]
            raw = _parallel(path, capture, total, starts, cpus, make_tracker, fit_settings, progress, cancel)
            if raw is not None:
                return raw
            capture = import_cv2().VideoCapture(str(path))
            try:
                return _one_run(capture, total, cpus, make_tracker, fit_settings, progress, cancel, path)
            finally:
                capture.release()
        return _one_run(capture, total, cpus, make_tracker, fit_settings, progress, cancel, path)


@contextmanager
def _opencv_single_threaded() -> Iterator[None]:
    """OpenCV's own thread pool is set to one thread while the frames are measured, and set back after: its
    per-call threads (the skin flow's Lucas-Kanade, colour conversions) only contend with this module's threads,
    which already run the parts side by side (measured: the flow's cost per frame halves)."""
    cv2 = import_cv2()
    before = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(before)


def _cancelled(path: str) -> Cancelled:
    return Cancelled(f"Head-motion estimation of '{os.path.basename(path)}' was cancelled.")


def _one_run(
    capture: Any,
    total: int,
    cpus: int,
    make_tracker: TrackerFactory,
    fit_settings: PoseFitSettings,
    progress: ProgressCallback | None,
    cancel: CancelCallback | None,
    path: str,
) -> Raw:
    raw = Raw()
    tracker = make_tracker(min(MAX_INTERPRETER_THREADS, cpus))

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


class _Start:
    """Where a part starts: its nominal first frame, and what a seek there found (module docs), published
    once. ``msec``: the presentation time of the frame the seek grabbed (``inf``: none, or not plausible);
    ``capture``: positioned on that grabbed frame (``None`` without one). Part 0 starts at the first frame."""

    def __init__(self, first: int, fps: float) -> None:
        self.first = first
        self.bound_msec = 500.0 * first / fps  # half the nominal start time: a seek landing earlier went astray
        self.msec = -math.inf if first == 0 else math.inf
        self.capture: Any = None
        self._found = threading.Event()
        if first == 0:
            self._found.set()

    def find(self, path: str) -> None:
        """Seek a capture of its own to the nominal first frame and grab it; publish what it found."""
        cv2 = import_cv2()
        capture = cv2.VideoCapture(str(path))
        try:
            if capture.isOpened() and capture.set(cv2.CAP_PROP_POS_FRAMES, self.first) and capture.grab():
                msec = float(capture.get(cv2.CAP_PROP_POS_MSEC))
                if msec >= self.bound_msec:
                    self.msec, self.capture = msec, capture
        finally:
            if self.capture is None:
                capture.release()
            self._found.set()

    def wait(self, stopping: threading.Event) -> bool:
        """Wait until found (True) or until ``stopping`` is set (False)."""
        while not self._found.wait(POLL_S):
            if stopping.is_set():
                return False
        return True


def _start_of(starts: list[_Start], i: int, stopping: threading.Event) -> float | None:
    """The presentation time (ms) part ``i`` starts at, ``inf`` when it measures nothing (module docs),
    ``None`` when ``stopping`` was set while a seek it depends on was under way."""
    latest = -math.inf  # the start of the latest part before that measures anything
    for k in range(1, i + 1):
        if not starts[k].wait(stopping):
            return None
        if starts[k].msec > latest and math.isfinite(starts[k].msec):
            latest = starts[k].msec
        elif k == i:
            return math.inf
    return starts[i].msec


def _parallel(
    path: str,
    capture: Any,
    total: int,
    starts: list[_Start],
    cpus: int,
    make_tracker: TrackerFactory,
    fit_settings: PoseFitSettings,
    progress: ProgressCallback | None,
    cancel: CancelCallback | None,
) -> Raw | None:
    """The parts starting at ``starts`` measured on :func:`thread_count` threads and joined; ``None`` when
    they do not join up (module docs)."""
    count = len(starts)
    workers = thread_count(count, cpus)
    interpreter_threads = max(1, min(MAX_INTERPRETER_THREADS, cpus // workers))
    trackers = [make_tracker(interpreter_threads) for _ in range(count)]  # here: a missing library raises at once
    raws = [Raw() for _ in range(count)]
    stopping = threading.Event()
    errors: list[BaseException] = []
    taken = iter(range(count))
    lock = threading.Lock()

    def end_of(i: int) -> float | None:
        """Where part ``i`` ends: the next measured part's start (``inf``: the end of the file)."""
        for later in range(i + 1, count):
            msec = _start_of(starts, later, stopping)
            if msec is None or math.isfinite(msec):
                return msec
        return math.inf

    def measure_part(i: int) -> None:
        begin = _start_of(starts, i, stopping)
        if begin is None or not begin < math.inf:
            return
        raw, end = raws[i], [math.inf if i == count - 1 else None]
        nearest_end = math.inf if i == count - 1 else starts[i + 1].bound_msec  # no later part starts earlier

        def stop(msec: float) -> bool:
            if stopping.is_set():
                return True
            if end[0] is None and msec >= nearest_end:
                end[0] = end_of(i)
                if end[0] is None:
                    return True
            return end[0] is not None and msec >= end[0]

        measure_run(capture if i == 0 else starts[i].capture, trackers[i], fit_settings, raw, stop, grabbed=i > 0)

    def run(work: Callable[..., None], *args: Any) -> None:
        try:
            work(*args)
        except BaseException as exc:  # raised again on the calling thread
            errors.append(exc)
            stopping.set()

    def measure_parts() -> None:
        while not stopping.is_set():
            with lock:
                i = next(taken, None)
            if i is None:
                return
            measure_part(i)

    threads = [threading.Thread(target=run, args=(start.find, path), name="head-motion-video-seek", daemon=True)
               for start in starts[1:]]
    threads += [threading.Thread(target=run, args=(measure_parts,), name="head-motion-video-part", daemon=True)
                for _ in range(workers)]
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
        for start in starts[1:]:
            if start.capture is not None:
                start.capture.release()
    if cancelled:
        raise _cancelled(path)
    if errors:
        raise errors[0]
    measured = [i == 0 or _start_of(starts, i, stopping) not in (None, math.inf) for i in range(count)]
    return _joined([raw for raw, used in zip(raws, measured, strict=True) if used])


def _joined(raws: list[Raw]) -> Raw | None:
    """The measured parts' measurements in one :class:`Raw`, or ``None`` when they do not join up (module
    docs)."""
    joined = Raw()
    for raw in raws:
        if not len(raw):
            return None
        if len(joined):
            if raw.msec[0] <= joined.msec[-1]:
                return None
            if joined.last_face is not None and raw.first_face is not None and not same_face(
                raw.first_face, joined.last_face
            ):
                return None
        joined.extend(raw)
    return joined if joined.reached_end else None
