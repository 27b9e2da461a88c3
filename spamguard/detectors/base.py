"""What every detector shares: its rules base model, its input and its findings."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar, Generic, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from spamguard.codes import Code
from spamguard.stores.base import History
from spamguard.text import TextFeatures

__all__ = ["CLEAN", "Context", "Detector", "DetectorRules", "Finding", "exceeds"]


class DetectorRules(BaseModel):
    """Settings every detector has. Thresholds are the largest value still allowed."""

    # Strict: a quoted "3" in YAML is a mistake to report, not a number to guess.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    enabled: bool = Field(True, description="Run this detector at all.")
    monitor: bool = Field(False, description="Report and log findings, but let the post through.")


# Named tuples rather than frozen dataclasses: one Context per check and a Finding per
# crossed threshold are built on the hot path, and tuples are built four times faster.
class Context(NamedTuple):
    """Everything a detector may look at.

    Attributes:
        features: The analysed text of the new post.
        history: The sender's earlier posts within the store window, oldest first.
        now: The post's time (Unix seconds).
    """

    features: TextFeatures
    history: History
    now: float


class Finding(NamedTuple):
    """A threshold a post crossed: which code, the measured value and the limit."""

    code: Code
    observed: float | int | str
    limit: float | int | str


CLEAN: tuple[Finding, ...] = ()
"""What `Detector.assess` returns for a clean post: shared, so nothing is allocated."""


RulesT = TypeVar("RulesT", bound=DetectorRules)


class Detector(ABC, Generic[RulesT]):
    """A pure check of one kind: no I/O, no clock, no state of its own.

    Subclasses declare their `name` (the rules section), the `codes` they can emit and
    their thresholds model `rules_model`.
    """

    name: ClassVar[str]
    codes: ClassVar[tuple[str, ...]]
    rules_model: ClassVar[type[DetectorRules]]

    def __init__(self, rules: RulesT) -> None:
        self.rules = rules

    @property
    def window_s(self) -> float:
        """How far back this detector looks into the sender's history (0: not at all)."""
        return 0.0

    @property
    def events_needed(self) -> int:
        """How many earlier posts this detector needs kept (0: none)."""
        return 0

    @property
    def keys_needed(self) -> int:
        """Of those, how many newest posts need their normalised text kept (0: none)."""
        return 0

    @abstractmethod
    def assess(self, context: Context) -> Sequence[Finding]:
        """The thresholds this post crosses; empty when it is clean."""


def exceeds(
    value: float, block_limit: float, block_code: Code, extreme_limit: float, extreme_code: Code
) -> Finding | None:
    """The finding for a value with a block level and an extreme level, if it crosses one."""
    if value > extreme_limit:
        return Finding(extreme_code, value, extreme_limit)
    if value > block_limit:
        return Finding(block_code, value, block_limit)
    return None
