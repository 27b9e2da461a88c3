"""The pydantic models of the rules: one effective policy per tenant and interface."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from spamguard.detectors.burst import BurstRules
from spamguard.detectors.duplicates import DuplicateRules
from spamguard.detectors.emoji import EmojiRules
from spamguard.detectors.length import LengthRules
from spamguard.detectors.symbols import SymbolRules
from spamguard.detectors.urls import UrlRules

_CODE = re.compile(r"\bSG\d{3}\b")

__all__ = [
    "LimitRules",
    "NoticeRules",
    "PolicyRules",
    "SessionRules",
    "StoreRules",
    "StrikeRules",
]

_STORE_SCHEMES = ("memory://", "redis://", "rediss://", "unix://", "redis+cluster://")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class StrikeRules(_Section):
    """Escalation: repeated blocks within a decaying window terminate."""

    enabled: bool = Field(True, description="Escalate repeated blocks to termination.")
    max_blocks: int = Field(ge=0, description="Most blocked posts allowed within the window.")
    window_s: float = Field(gt=0, le=604_800, description="Strikes older than this decay.")


class LimitRules(_Section):
    """Caps on the work done for one message, so huge input costs bounded time."""

    scan_chars: int = Field(ge=256, le=1_000_000, description="Characters analysed at most.")
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
    on_store_error: Literal["allow", "block"] = Field(
        description="When the session store fails: let posts through or block them."
    )
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


class StoreRules(_Section):
    """Where session state lives: one store for the whole deployment (not per tenant)."""

    url: str = Field(
        max_length=2048,
        description="memory://, redis://host:port/db, rediss://, unix:// or redis+cluster://.",
    )
    timeout_s: float = Field(0.1, gt=0, le=10, description="Redis connect and command timeout.")
    cooldown_s: float = Field(
        1.0, ge=0, le=300, description="After a store failure, fail fast this long."
    )
    namespace: str = Field(
        "sg", min_length=1, max_length=64, description="Prefix of every Redis key."
    )

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, url: str) -> str:
        if not url.startswith(_STORE_SCHEMES):
            raise ValueError(f"expected a URL starting with {', '.join(_STORE_SCHEMES)}")
        return url
