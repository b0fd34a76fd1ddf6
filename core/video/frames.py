"""A video's frames decoded ahead of their use: RGB images and their presentation times from a reader thread.

OpenCV's decoder and colour conversion release the GIL, and so does FaceMesh while it runs, so decoding the
next frames on a second thread while the landmarks of this one are found overlaps the two on a machine
with two cores (``FrameReader``). Images are (H, W, 3) uint8 RGB, read-only; times are the container's
presentation times in milliseconds (``CAP_PROP_POS_MSEC`` after each read; see
:mod:`core.video.timestamps`).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

#: Frames decoded ahead at most (a 512 x 512 RGB frame is 0.75 MB).
AHEAD = 8


class FrameReader:
    """Iterate ``(rgb, msec)`` over a ``cv2.VideoCapture``'s frames, decoded by a reader thread.

    Use as a context manager: leaving it (also early, on cancel or error) stops the thread; the capture is
    the caller's to release afterwards. An exception raised while decoding is raised again in the caller.
    ``grabbed``: the capture's current frame was grabbed (``grab()``) but not yet retrieved; it comes first.
    """

    def __init__(self, capture: Any, ahead: int = AHEAD, grabbed: bool = False) -> None:
        self._capture = capture
        self._grabbed = grabbed
        self._queue: queue.Queue[tuple[np.ndarray, float] | BaseException | None] = queue.Queue(maxsize=ahead)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name="head-motion-video-reader", daemon=True)

    def _put(self, item: tuple[np.ndarray, float] | BaseException | None) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _read(self) -> None:
        from .head_pose import import_cv2

        try:
            cv2 = import_cv2()
            grabbed = self._grabbed
            while not self._stop.is_set():
                ok, frame = self._capture.retrieve() if grabbed else self._capture.read()
                grabbed = False
                if not ok or frame is None:
                    break
                msec = float(self._capture.get(cv2.CAP_PROP_POS_MSEC))
                rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
                rgb.flags.writeable = False
                if not self._put((rgb, msec)):
                    return
        except BaseException as exc:  # handed to the caller's thread
            self._put(exc)
            return
        self._put(None)

    def __enter__(self) -> FrameReader:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def __iter__(self) -> Iterator[tuple[np.ndarray, float]]:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
