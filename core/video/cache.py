"""Cache of video estimations: ``.npz`` results keyed by the file's resolved path, size and modification time
and by the settings, so estimating the same video again with the same settings is instant."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..errors import MediaError
from .estimation import CancelCallback, ProgressCallback, estimate_video
from .result import CACHE_VERSION, EstimationResult
from .settings import EstimationSettings


def cache_key(path: str | os.PathLike, settings: EstimationSettings) -> str:
    """Cache key of a video file + settings: its resolved path, size, modification time and settings."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        raise MediaError(f"The video file '{path}' does not exist or cannot be read.", str(path), "missing") from None
    text = json.dumps(
        [CACHE_VERSION, str(path.resolve()), stat.st_size, stat.st_mtime_ns, settings.to_dict()], sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def estimate_video_cached(
    path: str | os.PathLike,
    settings: EstimationSettings | None,
    cache_dir: str | os.PathLike,
    progress: ProgressCallback | None = None,
    cancel: CancelCallback | None = None,
) -> EstimationResult:
    """:func:`estimate_video` with a cache of ``.npz`` files in ``cache_dir`` (created when needed).

    A result computed before for the same file (same path, size and modification time) and the same
    settings is loaded instead of decoding the video again. Unreadable cache files are recomputed; a
    cache folder that cannot be written only loses the caching.
    """
    settings = (settings or EstimationSettings()).validate()
    cache_dir = Path(cache_dir)
    key = cache_key(path, settings)
    cached = cache_dir / f"{Path(path).stem[:40]}-{key}.npz"
    if cached.is_file():
        try:
            result = EstimationResult.load_npz(cached)
        except (OSError, ValueError, KeyError, TypeError):
            pass
        else:
            if progress is not None:
                progress(result.n_frames, result.n_frames)
            return result
    result = estimate_video(path, settings, progress, cancel)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        result.save_npz(cached)
    except OSError:
        pass
    return result
