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
