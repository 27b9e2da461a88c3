"""The pydantic models of the rules: one effective policy per tenant and interface."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from spamguard.detectors.burst import BurstRules
from spamguard.detectors.duplicates import DuplicateRules
from spamguard.detectors.emoji import EmojiRules
from spamguard.detectors.length import LengthRules
from spamguard.detectors.symbols import SymbolRules
from spamguard.detectors.urls import UrlRules

_CODE = re.compile(r"\bSG\d{3}\b")

__all__ = ["LimitRules", "NoticeRules", "PolicyRules", "SessionRules", "StrikeRules"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class StrikeRules(_Section):
    """Escalation: repeated blocks within a decaying window terminate."""

    enabled: bool = Field(True, description="Escalate repeated blocks to termination.")
    max_blocks: int = Field(ge=0, description="Most blocked posts allowed within the window.")
    window_s: float = Field(gt=0, le=604_800, description="Strikes older than this decay.")


class LimitRules(_Section):
    """Caps on the work done for one message, so huge input costs bounded time."""

    scan_chars: int = Field(ge=256, le=10_000_000, description="Characters analysed at most.")
    scan_urls: int = Field(ge=1, le=10_000, description="Links extracted at most.")
    key_chars: int = Field(
        ge=16, le=4096, description="Normalised characters kept per post for near-duplicates."
    )


class SessionRules(_Section):
    """Lifetime of engagement state."""

    concluded_ttl_s: float = Field(
        gt=0, le=2_592_000, description="How long a terminated engagement refuses posts."
    )
    max_transactions: int = Field(
        ge=1, le=10_000, description="Client transaction ids remembered per session."
    )


class NoticeRules(_Section):
    """User-visible system messages. They must never reveal codes or thresholds."""

    block: str = Field(min_length=1, max_length=2000, description="Posted when a post is blocked.")
    terminate: str = Field(
        min_length=1, max_length=2000, description="Posted when the engagement is terminated."
    )

    @field_validator("block", "terminate")
    @classmethod
    def _no_codes(cls, notice: str) -> str:
        if _CODE.search(notice):
            raise ValueError("a notice must not reveal reason codes")
        return notice


class PolicyRules(_Section):
    """Everything that decides a verdict for one tenant and interface."""

    enabled: bool = Field(description="Tier-1 on or off.")
    agent_bypass: bool = Field(description="Let agent posts through unchecked.")
    monitor: bool = Field(description="Report findings but allow every post.")
    notices: NoticeRules
    strikes: StrikeRules
    limits: LimitRules
    session: SessionRules
    length: LengthRules
    urls: UrlRules
    duplicates: DuplicateRules
    emoji: EmojiRules
    symbols: SymbolRules
    burst: BurstRules
