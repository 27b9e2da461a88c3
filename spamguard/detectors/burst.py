"""Burst rate: too many posts, or too many characters, within sliding windows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from spamguard.codes import CATALOGUE
from spamguard.detectors.base import CLEAN, Context, Detector, DetectorRules, Finding

__all__ = ["BurstDetector", "BurstRules", "BurstWindow"]


class BurstWindow(BaseModel):
    """One sliding window. Counts include the new post."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    seconds: float = Field(gt=0, le=86_400, description="Length of the window.")
    max_messages: int = Field(ge=1, description="Most posts allowed within it.")
    extreme_messages: int | None = Field(
        None, ge=2, description="More posts than this terminates (null: never)."
    )
    max_chars: int | None = Field(
        None, ge=1, description="Most characters allowed within it (null: no limit)."
    )

    @model_validator(mode="after")
    def _extreme_above_block(self) -> Self:
        if self.extreme_messages is not None and self.extreme_messages <= self.max_messages:
            raise ValueError("extreme_messages must be greater than max_messages")
        return self

    @property
    def label(self) -> str:
        """How the window appears in log messages, e.g. ``8/10s``."""
        return f"{self.max_messages}/{self.seconds:g}s"


class BurstRules(DetectorRules):
    """Thresholds of the burst detector: one or more windows."""

    windows: tuple[BurstWindow, ...] = Field(
        strict=False,  # a YAML list
        min_length=1,
        max_length=8,
        description="The sliding windows, each judged alone.",
    )


class BurstDetector(Detector[BurstRules]):
    """Counts the sender's posts and characters in each window."""

    name = "burst"
    codes: ClassVar[tuple[str, ...]] = ("SG601", "SG602", "SG603")
    rules_model = BurstRules

    @property
    def window_s(self) -> float:
        """See `Detector.window_s`."""
        return max(window.seconds for window in self.rules.windows)

    @property
    def events_needed(self) -> int:
        """See `Detector.events_needed`: enough posts to see the largest limit crossed."""
        return max(window.extreme_messages or window.max_messages for window in self.rules.windows)

    def assess(self, context: Context) -> Sequence[Finding]:
        """See `Detector.assess`."""
        found: list[Finding] = []
        history = context.history
        for window in self.rules.windows:
            inside = history.within(context.now - window.seconds)
            posts = len(inside) + 1
            if window.extreme_messages is not None and posts > window.extreme_messages:
                found.append(
                    Finding(_FLOOD, posts, f"{window.extreme_messages}/{window.seconds:g}s")
                )
            elif posts > window.max_messages:
                found.append(Finding(_BURST, posts, window.label))
            if window.max_chars is not None:
                chars = sum(history.pick(history.chars, inside)) + context.features.chars
                if chars > window.max_chars:
                    found.append(Finding(_CHARS, chars, f"{window.max_chars}/{window.seconds:g}s"))
        return found or CLEAN


_BURST, _CHARS, _FLOOD = (CATALOGUE[code] for code in BurstDetector.codes)
