"""Video stage: face landmarks (mediapipe or LiteRT), head pose from landmarks, stabilising, the
estimation pipeline and its cache.

The public names are re-exported here: ``from core.video import EstimationSettings, estimate_video``.
"""

from .cache import cache_key, estimate_video_cached
from .estimation import CancelCallback, ProgressCallback, estimate_video
from .result import EstimationResult
from .settings import LANDMARK_BACKENDS, EstimationSettings

__all__ = [
    "LANDMARK_BACKENDS",
    "CancelCallback",
    "EstimationResult",
    "EstimationSettings",
    "ProgressCallback",
    "cache_key",
    "estimate_video",
    "estimate_video_cached",
]
