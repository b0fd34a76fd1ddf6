"""Importing onnxruntime with its telemetry off: the one place the add-on imports the ONNX runtime.

onnxruntime 1.31 (the pinned, bundled build) starts a telemetry client when the module is imported: it
writes ``~/.cache/Microsoft/DeveloperTools/.onnxruntime/{deviceid,onnxruntime.db}`` and looks up its
collector host in DNS within seconds. ``onnxruntime.disable_telemetry_events()`` does not stop either; the
environment variable ``ORT_DISABLE_TELEMETRY=1`` does, but only when it is set before the first import
(the runtime reads it once, while its shared library initialises). :func:`import_onnxruntime` therefore
sets it, imports the module, and also calls ``disable_telemetry_events()``. Measured with strace and a
fresh HOME (docs/decisions.md); ``tests/blender/test_offline.py`` keeps it so.

No units; no numpy.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from ..errors import MissingDependencyError

#: Environment settings applied before onnxruntime is imported.
PRIVATE_ENVIRONMENT = {"ORT_DISABLE_TELEMETRY": "1"}


def import_onnxruntime(feature: str = "PoseGAN") -> Any:
    """The ``onnxruntime`` module with telemetry disabled; MissingDependencyError naming ``feature`` when absent.

    If another add-on imported onnxruntime before this call, the runtime has already read its environment:
    the flag is still set for later processes and ``disable_telemetry_events()`` is still called, but only an
    import after this call is guaranteed silent (``imported_before_us`` tells).
    """
    global imported_before_us
    if "onnxruntime" not in sys.modules:
        os.environ.update(PRIVATE_ENVIRONMENT)
    elif imported_before_us is None:
        imported_before_us = os.environ.get("ORT_DISABLE_TELEMETRY") != "1"
        os.environ.update(PRIVATE_ENVIRONMENT)
    try:
        import onnxruntime
    except ImportError:
        raise MissingDependencyError("onnxruntime", feature) from None
    if imported_before_us is None:
        imported_before_us = False
    disable = getattr(onnxruntime, "disable_telemetry_events", None)
    if disable is not None:
        disable()
    return onnxruntime


#: True when onnxruntime was already imported (by someone else, without the flag) before our first import.
imported_before_us: bool | None = None
