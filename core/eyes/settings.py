"""Settings of the eye generator: :class:`EyeSettings`, its presets, and their validation.

Rates are blinks per minute, angles degrees, times seconds. ``intensity`` scales the size of gaze aversions
and micro-saccades (0 = the eyes hold the target or straight ahead, 1 = as the preset sets); it does not change
blink timing. ``aversion`` is the fraction of phrase starts at which the speaker looks away (0..1).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..checks import number, whole_number
from ..errors import SettingsError

#: ``"TARGET"``: keep eye contact with a target (the Blender side passes its position per frame), with
#: aversions. ``"FREE"``: gaze follows the head, leading it into turns, with aversions.
GAZE_MODES: tuple[str, ...] = ("TARGET", "FREE")


@dataclass(frozen=True)
class EyeSettings:
    """How the eyes behave.

    blink_rate: blinks per minute while speaking (Bentivoglio et al. 1997: about 26 in conversation).
    rest_blink_rate: blinks per minute while silent (about 17 at rest).
    aversion: probability (0..1) that the speaker looks away at the start of a phrase.
    aversion_deg: (low, high) size of a look-away, degrees from the target.
    intensity: scales aversion and micro-saccade sizes (0..2).
    micro_saccades: small fixational saccades (about 1.5 per second, under 0.5 degrees) between gaze shifts.
    double_blink: probability that a blink is followed at once by a second one.
    gaze_mode: one of :data:`GAZE_MODES`.
    lid_follow: fraction of the eye's vertical rotation the upper lids follow (0..1).
    eye_range_deg: (horizontal, down, up) limits of the eye-in-head rotation, degrees.
    seed: random seed (>= 0); the same seed and inputs give the same eyes.
    """

    blink_rate: float = 26.0
    rest_blink_rate: float = 17.0
    aversion: float = 0.5
    aversion_deg: tuple[float, float] = (5.0, 14.0)
    intensity: float = 1.0
    micro_saccades: bool = True
    double_blink: float = 0.06
    gaze_mode: str = "TARGET"
    lid_follow: float = 0.8
    eye_range_deg: tuple[float, float, float] = (35.0, 30.0, 25.0)
    seed: int = 0

    def validate(self) -> EyeSettings:
        """Raise :class:`~core.errors.SettingsError` naming the first bad value; return ``self``."""
        number(self.blink_rate, "blink rate (per minute)", minimum=0.0, maximum=120.0)
        number(self.rest_blink_rate, "rest blink rate (per minute)", minimum=0.0, maximum=120.0)
        number(self.aversion, "gaze aversion", minimum=0.0, maximum=1.0)
        if len(self.aversion_deg) != 2:
            raise SettingsError(f"aversion_deg needs (low, high) degrees, got {self.aversion_deg!r}.")
        low = number(self.aversion_deg[0], "smallest aversion (degrees)", minimum=0.0, maximum=40.0)
        number(self.aversion_deg[1], "largest aversion (degrees)", minimum=low, maximum=40.0)
        number(self.intensity, "eye intensity", minimum=0.0, maximum=2.0)
        number(self.double_blink, "double-blink probability", minimum=0.0, maximum=1.0)
        number(self.lid_follow, "lid follow", minimum=0.0, maximum=1.0)
        if self.gaze_mode not in GAZE_MODES:
            raise SettingsError(f"Unknown gaze mode {self.gaze_mode!r}; use one of {', '.join(GAZE_MODES)}.")
        if len(self.eye_range_deg) != 3:
            raise SettingsError(f"eye_range_deg needs (horizontal, down, up) degrees, got {self.eye_range_deg!r}.")
        for name, value in zip(("horizontal", "down", "up"), self.eye_range_deg, strict=True):
            number(value, f"{name} eye range (degrees)", minimum=1.0, maximum=60.0)
        whole_number(self.seed, "seed", minimum=0)
        if not isinstance(self.micro_saccades, bool):
            raise SettingsError(f"micro_saccades must be True or False, got {self.micro_saccades!r}.")
        return self


#: Named starting points; the UI's blink rate, aversion and intensity are applied on top.
EYE_PRESETS: dict[str, EyeSettings] = {
    "CONVERSATIONAL": EyeSettings(),
    "CALM": EyeSettings(blink_rate=18.0, rest_blink_rate=12.0, aversion=0.3, aversion_deg=(4.0, 10.0)),
    "THOUGHTFUL": EyeSettings(blink_rate=22.0, rest_blink_rate=15.0, aversion=0.8, aversion_deg=(8.0, 18.0)),
    "NERVOUS": EyeSettings(blink_rate=36.0, rest_blink_rate=26.0, aversion=0.7, aversion_deg=(5.0, 15.0),
                           double_blink=0.15),
    "FOCUSED": EyeSettings(blink_rate=15.0, rest_blink_rate=10.0, aversion=0.15, aversion_deg=(3.0, 8.0)),
}


def eye_preset(name: str, **changes: object) -> EyeSettings:
    """The preset ``name`` (case-insensitive) with ``changes`` applied, validated."""
    key = str(name).strip().upper()
    if key not in EYE_PRESETS:
        raise SettingsError(f"Unknown eye preset {name!r}; choose one of {', '.join(EYE_PRESETS)}.")
    return dataclasses.replace(EYE_PRESETS[key], **changes).validate()  # type: ignore[arg-type]
