"""Emoji flood: too many emoji, or a message that is mostly emoji."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Self

from pydantic import Field, model_validator

from spamguard.codes import CATALOGUE
from spamguard.detectors.base import CLEAN, Context, Detector, DetectorRules, Finding, exceeds

__all__ = ["EmojiDetector", "EmojiRules"]


class EmojiRules(DetectorRules):
    """Thresholds of the emoji detector. Emoji are counted as graphemes."""

    max_emoji: int = Field(ge=0, description="Most emoji allowed in one message.")
    extreme_emoji: int = Field(ge=1, description="More emoji than this terminates.")
    max_share: float = Field(
        gt=0, le=1, description="Largest share of emoji among visible characters."
    )
    min_chars: int = Field(
        ge=1, description="The share is judged only from this many visible characters."
    )

    @model_validator(mode="after")
    def _extreme_above_block(self) -> Self:
        if self.extreme_emoji <= self.max_emoji:
            raise ValueError("extreme_emoji must be greater than max_emoji")
        return self


class EmojiDetector(Detector[EmojiRules]):
    """Judges the emoji count and, for long enough messages, the emoji share."""

    name = "emoji"
    codes: ClassVar[tuple[str, ...]] = ("SG401", "SG402", "SG403")
    rules_model = EmojiRules

    def assess(self, context: Context) -> Sequence[Finding]:
        """See `Detector.assess`."""
        rules, features = self.rules, context.features
        if not features.emoji:
            return CLEAN
        finding = exceeds(features.emoji, rules.max_emoji, _TOO_MANY, rules.extreme_emoji, _FLOOD)
        if finding is not None:
            return [finding]
        if features.visible >= rules.min_chars:
            share = round(features.emoji / features.visible, 3)
            if share > rules.max_share:
                return [Finding(_HEAVY, share, rules.max_share)]
        return CLEAN


_TOO_MANY, _HEAVY, _FLOOD = (CATALOGUE[code] for code in EmojiDetector.codes)
