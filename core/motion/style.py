"""Learned motion styles, the data and the files: a :class:`Style` is a
:class:`~core.motion.synthetic.SyntheticSettings` (seed 0, intensity 1) fitted so that the generator moves like
the speaker of a track (:func:`core.motion.style_fit.fit_style`), plus the :class:`StyleStats` measured on that
track. Any new audio then gets fresh, non-repeating motion in that speaker's style.

Units: angles in DEGREES, times in SECONDS, frequencies in HERTZ, speeds in DEGREES PER SECOND.

Files (:func:`save_style` / :func:`load_style`) are JSON::

    {"format": "head_motion.style", "version": 1, "name": "...",
     "settings": {"yaw": {"amplitude_deg": [lo, hi], "period_s": [lo, hi], "bias_deg": 0.0}, "pitch": ...,
                  "roll": ..., "segment_s": [lo, hi], "jitter_deg": ..., ...},
     "stats": {"std_deg": [y, p, r], "dominant_hz": ..., ...}}
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import SettingsError
from .synthetic import AxisMotion, SyntheticSettings

FORMAT = "head_motion.style"
VERSION = 1
AXES = ("yaw", "pitch", "roll")

# --------------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StyleStats:
    """What was measured on the source track, and what the fitted settings reproduce.

    ``std_deg``: (yaw, pitch, roll) std of the source in degrees. ``dominant_hz``: its dominant motion
    frequency (:func:`core.metrics.dominant_frequency`), None if undefined. ``mean_speed_deg_s``: its
    mean angular speed (deg/s). ``speech_silence_ratio``: mean speed while speaking / while silent (None
    without a usable speech mask). ``duration_s``, ``fps``: length (seconds) and frame rate of the source.
    ``median_deg``: median angle per axis that was removed (the source's offset from its neutral pose).
    ``noise_deg``: estimator noise per axis (std, degrees) discounted from the source. ``fitted_*``: the
    same quantities measured on the calibration runs of the fitted settings (>= 60 s each).
    """

    std_deg: tuple[float, float, float] | None = None
    dominant_hz: float | None = None
    mean_speed_deg_s: float | None = None
    speech_silence_ratio: float | None = None
    duration_s: float | None = None
    fps: float | None = None
    median_deg: tuple[float, float, float] | None = None
    noise_deg: tuple[float, float, float] | None = None
    fitted_std_deg: tuple[float, float, float] | None = None
    fitted_mean_speed_deg_s: float | None = None
    fitted_speech_silence_ratio: float | None = None


_TRIPLE_STATS = {"std_deg", "median_deg", "noise_deg", "fitted_std_deg"}


@dataclass(frozen=True)
class Style:
    """A named motion style: generator ``settings`` (seed 0, intensity 1) and the ``stats`` of its source."""

    name: str
    settings: SyntheticSettings
    stats: StyleStats = field(default_factory=StyleStats)

    def settings_for(self, intensity: float = 1.0, seed: int = 0) -> SyntheticSettings:
        """The style's settings with ``intensity`` (0 = rest pose, 1 = as learned) and ``seed`` (>= 0)."""
        return replace(self.settings, intensity=intensity, seed=seed).validate()


# --------------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """``value`` with tuples as lists and numpy scalars as Python numbers (what JSON reads back)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value.item() if isinstance(value, np.generic) else value


def style_to_dict(style: Style) -> dict[str, Any]:
    """JSON-serialisable form of ``style`` (see the module docs); seed and intensity are not stored."""
    if not isinstance(style, Style):
        raise SettingsError(f"Expected a Style, got {type(style).__name__}.")
    settings = _plain(asdict(style.settings))
    settings.pop("seed", None)
    settings.pop("intensity", None)
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": style.name,
        "settings": settings,
        "stats": _plain(asdict(style.stats)),
    }


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _pair(value: Any, where: str) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2 or not all(_is_number(v) for v in value):
        raise SettingsError(f"{where} must be a [low, high] pair of numbers, got {value!r}.")
    return (float(value[0]), float(value[1]))


def _settings_from_dict(data: Any) -> SyntheticSettings:
    if not isinstance(data, dict):
        raise SettingsError("'settings' must be an object.")
    defaults = SyntheticSettings()
    values: dict[str, Any] = {}
    for name in AXES:
        axis = data.get(name)
        if not isinstance(axis, dict):
            raise SettingsError(f"settings.{name} must be an object with amplitude_deg and period_s.")
        for key in ("amplitude_deg", "period_s"):
            if key not in axis:
                raise SettingsError(f"settings.{name} is missing '{key}'.")
        bias = axis.get("bias_deg", 0.0)
        if not _is_number(bias):
            raise SettingsError(f"settings.{name}.bias_deg must be a number, got {bias!r}.")
        values[name] = AxisMotion(
            _pair(axis["amplitude_deg"], f"settings.{name}.amplitude_deg"),
            _pair(axis["period_s"], f"settings.{name}.period_s"),
            float(bias),
        )
    if "segment_s" in data:
        values["segment_s"] = _pair(data["segment_s"], "settings.segment_s")
    for key in ("jitter_deg", "jitter_cutoff_hz", "settle_s", "silence_floor", "rest_s"):
        if key in data:
            if not _is_number(data[key]):
                raise SettingsError(f"settings.{key} must be a number, got {data[key]!r}.")
            values[key] = float(data[key])
    return replace(defaults, **values, intensity=1.0, seed=0).validate()


def _stats_from_dict(data: Any) -> StyleStats:
    if data is None:
        return StyleStats()
    if not isinstance(data, dict):
        raise SettingsError("'stats' must be an object.")
    values: dict[str, Any] = {}
    for item in fields(StyleStats):
        value = data.get(item.name)
        if value is None:
            continue
        if item.name in _TRIPLE_STATS:
            if not isinstance(value, list) or len(value) != 3 or not all(_is_number(v) for v in value):
                raise SettingsError(f"stats.{item.name} must be a list of 3 numbers, got {value!r}.")
            values[item.name] = (float(value[0]), float(value[1]), float(value[2]))
        elif _is_number(value):
            values[item.name] = float(value)
        else:
            raise SettingsError(f"stats.{item.name} must be a number or null, got {value!r}.")
    return StyleStats(**values)


def style_from_dict(data: Any) -> Style:
    """:class:`Style` from the form written by :func:`style_to_dict`.

    Settings fields other than the three axes may be left out (the CONVERSATIONAL defaults fill them);
    unknown keys are ignored; ``stats`` may be missing. Raises :class:`SettingsError` naming the first
    problem (not a style, a newer version, a missing or invalid field).
    """
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SettingsError(f'not a Head Motion style (missing "format": "{FORMAT}").')
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise SettingsError(f"invalid version {version!r}.")
    if version > VERSION:
        raise SettingsError(f"version {version} is newer than this Head Motion reads ({VERSION}); update the add-on.")
    name = data.get("name", "")
    if not isinstance(name, str):
        raise SettingsError(f"'name' must be a string, got {name!r}.")
    if "settings" not in data:
        raise SettingsError("missing 'settings'.")
    return Style(name, _settings_from_dict(data["settings"]), _stats_from_dict(data.get("stats")))


def style_text(style: Style) -> str:
    """The JSON text :func:`save_style` writes for ``style``."""
    style.settings.validate()
    try:
        return json.dumps(style_to_dict(style), indent=2, allow_nan=False) + "\n"
    except ValueError as exc:
        raise SettingsError(f"Cannot save style '{style.name}': {exc}.") from None


def save_style(style: Style, path: str | os.PathLike) -> None:
    """Write ``style`` to ``path`` as JSON (indented, UTF-8). Raises :class:`SettingsError` if it cannot."""
    path = Path(path)
    text = style_text(style)
    try:
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except OSError as exc:
        raise SettingsError(f"Cannot write style file '{path}': {exc.strerror or exc}.") from None


def load_style(path: str | os.PathLike) -> Style:
    """Read a style written by :func:`save_style`. Raises :class:`SettingsError` naming the file and problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise SettingsError(f"Cannot read style file '{path}': {reason}.") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SettingsError(f"Malformed style file '{path}': not valid JSON ({exc}).") from None
    try:
        return style_from_dict(data)
    except SettingsError as exc:
        raise SettingsError(f"Malformed style file '{path}': {exc}") from None

