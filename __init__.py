"""Head Motion: natural head movement for talking avatars.

Entry point of the Blender extension. Blender imports this package (as ``bl_ext.<repo>.head_motion``)
and calls :func:`register` / :func:`unregister`. Everything heavy is imported lazily by the
features that need it, so registering never fails because an optional library is missing.
"""

from . import api, registration  # noqa: F401  (api: public scripting entry point)


def register() -> None:
    registration.register()


def unregister() -> None:
    registration.unregister()
