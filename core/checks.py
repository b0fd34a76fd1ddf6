"""Argument checks shared by the core modules (errors a user can act on)."""

from __future__ import annotations

import math

from .errors import SettingsError


def positive_number(value: object, name: str, allow_zero: bool = False) -> float:
    """``value`` as a finite float > 0 (>= 0 with ``allow_zero``); SettingsError naming ``name`` otherwise."""
    bound = ">= 0" if allow_zero else "> 0"
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SettingsError(f"{name} must be a number {bound}, got {value!r}.") from None
    if not math.isfinite(number) or number < 0.0 or (number == 0.0 and not allow_zero):
        raise SettingsError(f"{name} must be a finite number {bound}, got {value!r}.")
    return number
