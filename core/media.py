"""The media files Head Motion reads: one list of file extensions for voices (audio, or video with sound),
reference videos and pose tracks, used by the file browsers, the batch command and error messages. Any other
file is still tried by the decoders; these lists only decide what is offered and how errors are worded."""

from __future__ import annotations

#: Audio-only formats.
AUDIO_EXTENSIONS: tuple[str, ...] = (
    ".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".m4a", ".aac", ".wma",
)  # fmt: skip
#: Video containers (a voice can be taken from their sound; a reference video from their pictures).
VIDEO_EXTENSIONS: tuple[str, ...] = (".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi")
#: Everything a voice can be read from.
MEDIA_EXTENSIONS: tuple[str, ...] = AUDIO_EXTENSIONS + VIDEO_EXTENSIONS
#: Motion files: pose tracks (:mod:`core.track`), Live Link Face CSV, FLAME .npz/.json (:mod:`core.interop`).
TRACK_EXTENSIONS: tuple[str, ...] = (".csv", ".json", ".npz")


def extension(path: str) -> str:
    """The lower-case extension of ``path`` with its dot (``""`` when it has none)."""
    dot = path.rfind(".")
    return path[dot:].lower() if dot > max(path.rfind("/"), path.rfind("\\")) else ""
