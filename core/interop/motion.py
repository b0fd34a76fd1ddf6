"""MotionData: a head pose track plus the optional per-frame channels that interchange formats carry.

Formats such as Live Link Face CSV and FLAME pose sequences hold more than the head: eye rotations and
facial blendshapes. ``MotionData`` keeps them next to the :class:`~core.track.PoseTrack`, sample for
sample (same frame rate, same start frame, same length).

Units and axes: every angle is in DEGREES in the character frame of docs/conventions.md (right, forward,
up). ``eyes`` is an ``(N, 2, 2)`` array ``[eye][yaw, pitch]`` with eye 0 the character's own LEFT eye and
eye 1 its RIGHT eye; eye yaw > 0 looks toward the character's left, eye pitch > 0 looks up, both relative to
the head. ``blendshapes`` maps ARKit names (lower camel case, e.g. ``jawOpen``) to ``(N,)`` weights in 0..1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import SettingsError
from ..timing import resample_track
from ..track import PoseTrack


@dataclass(eq=False)
class MotionData:
    """A :class:`PoseTrack` with optional eye rotations and blendshape weights on the same samples."""

    track: PoseTrack
    eyes: np.ndarray | None = None
    blendshapes: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.track)
        if self.eyes is not None:
            self.eyes = np.asarray(self.eyes, dtype=np.float64)
            if self.eyes.shape != (n, 2, 2):
                raise SettingsError(f"eyes must have shape ({n}, 2, 2) = [eye][yaw, pitch], got {self.eyes.shape}.")
        shapes = {}
        for name, values in self.blendshapes.items():
            values = np.asarray(values, dtype=np.float64)
            if values.shape != (n,):
                raise SettingsError(f"blendshape '{name}' must have {n} values, got shape {values.shape}.")
            shapes[name] = values
        self.blendshapes = shapes

    def resampled(self, fps: float) -> MotionData:
        """The same motion at ``fps`` frames per second (linear), keeping the start frame and duration."""
        track = self.track
        if abs(float(track.fps) - float(fps)) <= 1e-9:
            return self
        new = resample_track(track, fps)
        t_src = np.arange(len(track)) / float(track.fps)
        t_new = np.arange(len(new)) / float(fps)

        def interp(values: np.ndarray) -> np.ndarray:
            flat = values.reshape(len(values), -1)
            out = np.stack([np.interp(t_new, t_src, flat[:, i]) for i in range(flat.shape[1])], axis=1)
            return out.reshape((len(t_new), *values.shape[1:]))

        eyes = None if self.eyes is None else interp(self.eyes)
        shapes = {name: np.interp(t_new, t_src, values) for name, values in self.blendshapes.items()}
        return MotionData(new, eyes, shapes)
