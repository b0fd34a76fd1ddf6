"""The one eye generator: a head track (+ its speech mask) and :class:`EyeSettings` -> :class:`EyeTrack`.

Inputs are the ones head motion uses: the head's yaw/pitch/roll per frame (degrees, any motion source:
synthetic, PoseGAN, reference video, track file), its per-frame speech weight (0..1), and, for target gaze, a
:class:`GazeTarget` (target and eye positions in the character frame, metres or any one unit, origin at the head
pivot at rest). The generator is seeded and deterministic; everything runs vectorised over frames.

Per frame: the gaze point is the target (TARGET mode; without a :class:`GazeTarget` a point far straight ahead)
or a fixation that leads the head's facing direction (FREE mode); aversion and micro-saccade offsets (degrees,
rendered with main-sequence saccades) turn it about the point between the eyes; each eye then looks at it from
its position on the moving head, which is the vestibulo-ocular reflex (the eyes counter-rotate the head). Eye
angles are limited to ``eye_range_deg``. Blinks are timed on phrase ends, gaze shifts and head turns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..checks import number
from ..errors import SettingsError
from ..track import PoseTrack
from . import blinks as blink_model
from . import gaze
from .saccades import render_steps
from .settings import EyeSettings
from .track import EyeTrack

#: A target this far ahead (character-frame units) stands for "infinitely far" when none is given.
FAR = 1.0e4
#: Head turns faster than this (deg/s) may come with a blink.
HEAD_TURN_DEG_S = 30.0


@dataclass(frozen=True)
class GazeTarget:
    """Where the eyes should look, in the character frame at rest (origin = head pivot; x right, y forward, z up).

    points: (N, 3) target position per frame, or (3,) a fixed one.
    eyes: (2, 3) centres of the left and right eye at rest.
    necks: (k, 3) pivots of the neck joints at rest, torso first (empty: the head turns about its own pivot).
    neck_share: the fraction of the head rotation the neck joints carry (as in the head bake).
    """

    points: np.ndarray
    eyes: np.ndarray = field(default_factory=lambda: np.array([[0.032, 0.09, 0.1], [-0.032, 0.09, 0.1]]))
    necks: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    neck_share: float = 0.0

    def arrays(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(points (n, 3) (a read-only broadcast view for a fixed target), eyes (2, 3), necks (k, 3)), checked."""
        given = np.asarray(self.points, dtype=np.float64)
        eyes = np.asarray(self.eyes, dtype=np.float64)
        necks = np.asarray(self.necks, dtype=np.float64).reshape(-1, 3)
        if given.shape not in ((3,), (n, 3)):
            raise SettingsError(f"The gaze target needs one position per frame ({n}, 3), got {given.shape}.")
        if eyes.shape != (2, 3):
            raise SettingsError(f"The gaze target needs the two eye positions (2, 3), got {eyes.shape}.")
        for name, values in (("target", given), ("eye", eyes), ("neck", necks)):
            if not np.isfinite(values).all():
                raise SettingsError(f"The gaze {name} positions hold values that are not finite numbers.")
        number(self.neck_share, "neck share", minimum=0.0, maximum=1.0)
        away = (given - eyes.mean(axis=0)).reshape(-1, 3).T
        if np.sqrt(away[0] * away[0] + away[1] * away[1] + away[2] * away[2]).min() < 1e-6:
            raise SettingsError("The gaze target sits at the eyes; choose a target away from the character.")
        return np.broadcast_to(given, (n, 3)), eyes, necks


def pivot_positions(angles: np.ndarray, necks: np.ndarray, neck_share: float) -> np.ndarray:
    """(3, N) position of the head pivot per frame (component-major) when the neck chain carries ``neck_share`` of
    the rotation ``angles`` (N, 3) [yaw, pitch, roll] degrees, as the head bake turns it (cumulative
    ``R(s i/k angles)`` after neck ``i``); the origin (the pivot at rest) without necks."""
    base = np.zeros((3, len(angles)))
    k = len(necks)
    if k and neck_share > 0.0:
        pivots = np.vstack([necks, np.zeros((1, 3))])
        base = base + pivots[0][:, None]
        for i in range(1, k + 1):
            part = neck_share * i / k * angles
            base = base + gaze.rotate(gaze.head_matrices(part), pivots[i] - pivots[i - 1])
    return base


def eye_positions(angles: np.ndarray, eyes: np.ndarray, necks: np.ndarray, neck_share: float) -> np.ndarray:
    """(N, 2, 3) eye centres per frame (``eyes`` (2, 3) at rest), the head turned as the head bake turns it."""
    full = gaze.head_matrices(angles)
    base = pivot_positions(angles, necks, neck_share)
    return np.stack([(base + gaze.rotate(full, eye)).T for eye in eyes], axis=1)


def _blink_events(speech: np.ndarray, fps: float, shifts: tuple[np.ndarray, np.ndarray], angles: np.ndarray,
                  rng: np.random.Generator) -> blink_model.BlinkEvents:
    starts, ends = gaze.phrases(speech, fps)
    after_end = ends + rng.uniform(0.0, 0.15, len(ends))
    before_start = np.maximum(0.0, starts[1:] - rng.uniform(0.0, 0.1, max(len(starts) - 1, 0)))
    onsets, sizes = shifts
    big = sizes > 3.0
    jitter = onsets[big] + rng.uniform(-0.02, 0.03, int(big.sum()))
    groups: list[tuple[np.ndarray, np.ndarray | float, str]] = [
        (after_end, 0.8, "pause"), (before_start, 0.3, "pause"),
        (jitter, np.minimum(0.9, 0.3 + sizes[big] / 25), "gaze")]
    if len(angles) > 2:
        step = np.diff(angles, axis=0)
        speed = np.sqrt(np.einsum("ij,ij->i", step, step)) * fps  # deg/s (small-angle approximation)
        turn_starts, _ = gaze.runs(speed > HEAD_TURN_DEG_S)
        groups.append((turn_starts / fps, 0.4, "head"))
    return blink_model.BlinkEvents.of(groups)


def generate_eyes(head: PoseTrack, settings: EyeSettings | None = None, target: GazeTarget | None = None,
                  speech: np.ndarray | None = None) -> EyeTrack:
    """The eyes for ``head`` (same frames, fps and start frame).

    ``speech``: per-frame speaking weight (0..1); default the head track's own mask, else speaking throughout.
    ``target``: positions for TARGET gaze (see :class:`GazeTarget`); without one the eyes hold a point far
    straight ahead. Raises :class:`~core.errors.SettingsError` / :class:`~core.errors.TrackError` for bad input.
    """
    settings = (settings or EyeSettings()).validate()
    head.validate()
    n, fps = len(head), float(head.fps)
    if speech is None:
        speech = head.speech if head.speech is not None else np.ones(n)
    speech = np.clip(np.asarray(speech, dtype=np.float64), 0.0, 1.0)
    if speech.shape != (n,):
        raise SettingsError(f"The speech mask needs one value per frame ({n}), got shape {speech.shape}.")
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence([settings.seed, 1717]).spawn(4)]
    times = np.arange(n) / fps
    angles = head.angles
    head_rot = gaze.head_matrices(angles)  # (3, 3, N); vectors below are (3, N)

    far = GazeTarget(np.array([0.0, FAR, 0.0]))
    points, eyes_rest, necks = (target or far).arrays(n)
    share = (target or far).neck_share
    # The head pivot moves only when neck joints carry part of the turn; otherwise it stays at the origin.
    pivot = pivot_positions(angles, necks, share) if len(necks) and share > 0.0 else None
    middle = gaze.rotate(head_rot, eyes_rest.mean(axis=0))
    if pivot is not None:
        middle += pivot

    scale = settings.intensity
    av_onsets, av_values = gaze.aversion_steps(speech, fps, settings.aversion, settings.aversion_deg, scale,
                                               streams[0])
    offsets = render_steps(times, av_onsets, av_values, np.zeros(2))
    aversion = gaze.aversion_mask(av_onsets, av_values, n, fps)
    shift_onsets = [av_onsets]
    shift_sizes = [np.linalg.norm(np.diff(np.vstack([np.zeros((1, 2)), av_values]), axis=0), axis=1)]
    if settings.micro_saccades:
        mic_onsets, mic_values = gaze.micro_steps(n / fps, gaze.MICRO_RADIUS_DEG * min(scale, 1.0), aversion, fps,
                                                  streams[1])
        offsets = offsets + render_steps(times, mic_onsets, mic_values, np.zeros(2))

    vectors = points.T - middle
    distance = np.sqrt(vectors[0] * vectors[0] + vectors[1] * vectors[1] + vectors[2] * vectors[2])
    if settings.gaze_mode == "FREE":
        facing = gaze.angles_of(np.ascontiguousarray(head_rot[:, 1].T))
        fix_onsets, fix_values = gaze.free_fixations(facing, fps)
        base = render_steps(times, fix_onsets, fix_values, facing[0])
        shift_onsets.append(fix_onsets)
        shift_sizes.append(np.linalg.norm(np.diff(np.vstack([facing[:1], fix_values]), axis=0), axis=1))
        goal = middle + distance * gaze.direction(base + offsets).T
    else:
        goal = middle + distance * gaze.turned(vectors, np.ascontiguousarray(offsets.T))
    # Each eye at pivot + R e looks at the goal: in the head that is R^T (goal - pivot) - e (the VOR).
    in_head_goal = gaze.rotate(head_rot, goal if pivot is None else goal - pivot, transpose=True)
    in_head = np.stack([gaze.look_angles(in_head_goal - eye[:, None]) for eye in eyes_rest], axis=-1)  # (2, N, 2)
    h_range, down, up = settings.eye_range_deg
    yaw, pitch = np.clip(in_head[0], -h_range, h_range), np.clip(in_head[1], -down, up)

    onsets = np.concatenate(shift_onsets)
    sizes = np.concatenate(shift_sizes)
    order = np.argsort(onsets, kind="stable")
    events = _blink_events(speech, fps, (onsets[order], sizes[order]), angles, streams[2])
    b_onsets, b_durations, b_kinds = blink_model.blink_times(
        speech, fps, events, settings.blink_rate, settings.rest_blink_rate, settings.double_blink, streams[3])
    closure = blink_model.blink_closure(times, b_onsets, b_durations)
    meta = {"source": "eyes", "gaze_mode": settings.gaze_mode, "seed": settings.seed,
            "target": "given" if target is not None else "far ahead"}
    return EyeTrack(
        yaw=yaw, pitch=pitch, blink=np.column_stack([closure, closure]), fps=fps,
        start_frame=head.start_frame, aversion=aversion, blink_onsets_s=b_onsets, blink_durations_s=b_durations,
        blink_kinds=tuple(b_kinds), saccade_onsets_s=onsets[order], saccade_amplitudes_deg=sizes[order], meta=meta,
    )
