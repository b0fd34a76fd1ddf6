"""Argument checks shared by every layer: numbers, whole numbers and sample rates, each raising an error a
user can act on (it names the value, what was expected and what was given). Use these instead of writing
another validator."""

from __future__ import annotations

import math

import numpy as np

from .errors import SettingsError


def _bounds_text(minimum: float | None, maximum: float | None, strict: bool) -> str:
    parts = []
    if minimum is not None:
        parts.append(f"{'>' if strict else '>='} {minimum:g}")
    if maximum is not None:
        parts.append(f"<= {maximum:g}")
    return " and ".join(parts)


def number(
    value: object,
    name: str,
    minimum: float | None = None,
    maximum: float | None = None,
    strict: bool = False,
    error: type[Exception] = SettingsError,
) -> float:
    """``value`` as a finite float within ``[minimum, maximum]`` (``(minimum, maximum]`` with ``strict``).

    Raises ``error`` (default :class:`~core.errors.SettingsError`) naming ``name`` otherwise. Booleans are
    not numbers here.
    """
    bounds = _bounds_text(minimum, maximum, strict)
    wanted = f"a finite number {bounds}".rstrip()
    if isinstance(value, bool):
        raise error(f"{name} must be {wanted}, got {value!r}.")
    try:
        result = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise error(f"{name} must be {wanted}, got {value!r}.") from None
    if (
        not math.isfinite(result)
        or (minimum is not None and (result < minimum or (strict and result == minimum)))
        or (maximum is not None and result > maximum)
    ):
        raise error(f"{name} must be {wanted}, got {value!r}.")
    return result


def positive_number(value: object, name: str, allow_zero: bool = False, maximum: float | None = None) -> float:
    """``value`` as a finite float > 0 (>= 0 with ``allow_zero``), at most ``maximum`` when given."""
    return number(value, name, minimum=0.0, maximum=maximum, strict=not allow_zero)


def whole_number(value: object, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as an int (a Python or numpy integer, not a bool) within ``[minimum, maximum]``."""
    bounds = _bounds_text(minimum, maximum, False)
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or (minimum is not None and value < minimum)
        or (maximum is not None and value > maximum)
    ):
        raise SettingsError(f"{name} must be an integer {bounds}, got {value!r}.".replace("  ", " "))
    return int(value)


def sample_rate(value: object, name: str = "sample_rate") -> int:
    """``value`` as a whole number of Hz > 0 (an integral float such as 16000.0 is accepted)."""
    wanted = f"{name} must be a whole number of Hz > 0, got {value!r}."
    if isinstance(value, bool):
        raise SettingsError(wanted)
    try:
        rate = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SettingsError(wanted) from None
    if not math.isfinite(rate) or rate <= 0 or rate != round(rate):
        raise SettingsError(wanted)
    return round(rate)
