"""Length: walls of text and messages with too many lines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Self

from pydantic import Field, model_validator

from spamguard.codes import CATALOGUE
from spamguard.detectors.base import CLEAN, Context, Detector, DetectorRules, Finding, exceeds

__all__ = ["LengthDetector", "LengthRules"]


class LengthRules(DetectorRules):
    """Thresholds of the length detector."""

    max_chars: int = Field(ge=1, description="Longest message allowed, in characters.")
    extreme_chars: int = Field(ge=1, description="Longer than this terminates.")
    max_lines: int = Field(ge=1, description="Most lines allowed in one message.")
    extreme_lines: int = Field(ge=1, description="More lines than this terminates.")

    @model_validator(mode="after")
    def _extreme_above_block(self) -> Self:
        if self.extreme_chars <= self.max_chars:
            raise ValueError("extreme_chars must be greater than max_chars")
        if self.extreme_lines <= self.max_lines:
            raise ValueError("extreme_lines must be greater than max_lines")
        return self


class LengthDetector(Detector[LengthRules]):
    """Counts visible characters (graphemes) for blocking, raw code points for the extreme."""

    name = "length"
    codes: ClassVar[tuple[str, ...]] = ("SG101", "SG102", "SG103", "SG104")
    rules_model = LengthRules

    def assess(self, context: Context) -> Sequence[Finding]:
        """See `Detector.assess`."""
        rules, features = self.rules, context.features
        if (
            features.chars <= rules.max_chars
            and features.lines <= rules.max_lines
            and features.length <= rules.extreme_chars
        ):
            return CLEAN  # nearly every post: decided without building anything
        found = [
            exceeds(features.lines, rules.max_lines, _LINES, rules.extreme_lines, _EXTREME_LINES)
        ]
        # The extreme level counts raw code points: a megabyte of invisible padding is
        # abuse even though it shows nothing.
        if features.length > rules.extreme_chars:
            found.append(Finding(_EXTREME, features.length, rules.extreme_chars))
        elif features.chars > rules.max_chars:
            found.append(Finding(_TOO_LONG, features.chars, rules.max_chars))
        return [finding for finding in found if finding is not None]


_TOO_LONG, _LINES, _EXTREME, _EXTREME_LINES = (CATALOGUE[code] for code in LengthDetector.codes)
