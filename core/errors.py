"""Exceptions with messages a user can act on.

Every error the add-on reports to a user derives from :class:`HeadMotionError`; operators catch it,
report its message and cancel without changing the scene.
"""


class HeadMotionError(Exception):
    """Base class of all errors Head Motion reports to the user."""


class TrackError(HeadMotionError, ValueError):
    """A pose track is empty, has mismatched lengths, or holds NaN/inf values."""


class SettingsError(HeadMotionError, ValueError):
    """Generation or bake settings are out of range (e.g. zero-length frame range, fps <= 0)."""


class TargetError(HeadMotionError):
    """The bake target is missing or unusable (no armature, no head bone, linked data)."""


class MissingDependencyError(HeadMotionError, ImportError):
    """An optional library needed by one feature is not installed."""

    def __init__(self, package: str, feature: str):
        super().__init__(
            f"{feature} needs the Python package '{package}', which is not installed. "
            "Install the Head Motion build for your platform (it bundles it), or install the package "
            "into Blender's Python."
        )
        self.package = package
        self.feature = feature


class MediaError(HeadMotionError):
    """An audio or video file cannot be used: missing, empty, without audio, damaged, or in a format
    that no available decoder reads.

    ``path`` is the file concerned; ``reason`` is one of ``"missing"``, ``"empty"``, ``"no_audio"``,
    ``"corrupt"`` or ``"unsupported"`` (for callers that react differently to each; the message is
    what the user sees).
    """

    def __init__(self, message: str, path: str = "", reason: str = ""):
        super().__init__(message)
        self.path = path
        self.reason = reason


class NoFaceError(MediaError):
    """No usable face was found in a video (or in one frame's landmarks)."""


class Cancelled(HeadMotionError):  # noqa: N818 - an outcome the user chose, not a failure
    """Long work (e.g. video estimation) was stopped by the user before it finished."""


class ModelError(HeadMotionError):
    """A learned model (e.g. a PoseGAN .onnx file) cannot be used: missing, damaged, not an ONNX model,
    made for other inputs, without or with inconsistent metadata, or producing invalid values.

    ``path`` is the model file concerned.
    """

    def __init__(self, message: str, path: str = ""):
        super().__init__(message)
        self.path = path
