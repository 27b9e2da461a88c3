"""Symbol flood: punctuation noise, long character runs and stacked combining marks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Self

from pydantic import Field, model_validator

from spamguard.codes import CATALOGUE
from spamguard.detectors.base import CLEAN, Context, Detector, DetectorRules, Finding, exceeds

__all__ = ["SymbolDetector", "SymbolRules"]


class SymbolRules(DetectorRules):
    """Thresholds of the symbol detector."""

    max_share: float = Field(
        gt=0, le=1, description="Largest share of punctuation and symbols among visible characters."
    )
    min_chars: int = Field(
        ge=1, description="The share is judged only from this many visible characters."
    )
    max_run: int = Field(ge=3, description="Longest run of one non-space character allowed.")
    extreme_run: int = Field(ge=4, description="A longer run terminates.")
    max_marks: int = Field(
        ge=2, description="Most combining marks allowed on one character (zalgo above)."
    )
    extreme_marks: int = Field(ge=3, description="More stacked marks than this terminates.")

    @model_validator(mode="after")
    def _extreme_above_block(self) -> Self:
        if self.extreme_run <= self.max_run:
            raise ValueError("extreme_run must be greater than max_run")
        if self.extreme_marks <= self.max_marks:
            raise ValueError("extreme_marks must be greater than max_marks")
        return self


class SymbolDetector(Detector[SymbolRules]):
    """Letters of every script are letters: only punctuation and symbols count as noise."""

    name = "symbols"
    codes: ClassVar[tuple[str, ...]] = ("SG501", "SG502", "SG503", "SG504")
    rules_model = SymbolRules

    def assess(self, context: Context) -> Sequence[Finding]:
        """See `Detector.assess`."""
        rules, features = self.rules, context.features
        if (
            features.longest_run <= rules.max_run
            and features.max_marks <= rules.max_marks
            and (features.visible < rules.min_chars or not features.symbols)
        ):
            return CLEAN
        found = [
            exceeds(features.longest_run, rules.max_run, _RUN, rules.extreme_run, _FLOOD),
            exceeds(features.max_marks, rules.max_marks, _MARKS, rules.extreme_marks, _FLOOD),
        ]
        if features.visible >= rules.min_chars and features.symbols:
            share = round(features.symbols / features.visible, 3)
            if share > rules.max_share:
                found.append(Finding(_HEAVY, share, rules.max_share))
        return [finding for finding in found if finding is not None]


_HEAVY, _RUN, _MARKS, _FLOOD = (CATALOGUE[code] for code in SymbolDetector.codes)
