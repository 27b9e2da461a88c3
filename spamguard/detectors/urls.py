"""URLs: too many links, and links to denied domains."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Self

from pydantic import Field, field_validator, model_validator

from spamguard.codes import CATALOGUE
from spamguard.detectors.base import CLEAN, Context, Detector, DetectorRules, Finding, exceeds
from spamguard.normalise import fold_lookalikes
from spamguard.urls import FoundUrl, host_matches, matching_domain

__all__ = ["UrlDetector", "UrlRules"]


class UrlRules(DetectorRules):
    """Thresholds and domain lists of the URL detector."""

    max_urls: int = Field(ge=0, description="Most links allowed in one message.")
    extreme_urls: int = Field(ge=1, description="More links than this terminates.")
    allow_domains: frozenset[str] = Field(
        frozenset(),
        strict=False,  # a YAML list
        description="Links to these domains (and subdomains) are not counted.",
    )
    deny_domains: frozenset[str] = Field(
        frozenset(),
        strict=False,
        description="A link to one of these domains (or subdomains) blocks.",
    )

    @field_validator("allow_domains", "deny_domains", mode="after")
    @classmethod
    def _lower_case(cls, domains: frozenset[str]) -> frozenset[str]:
        return frozenset(domain.strip().lower().rstrip(".") for domain in domains)

    @model_validator(mode="after")
    def _extreme_above_block(self) -> Self:
        if self.extreme_urls <= self.max_urls:
            raise ValueError("extreme_urls must be greater than max_urls")
        return self


class UrlDetector(Detector[UrlRules]):
    """Counts links, defanged ones included, and looks their hosts up in the lists."""

    name = "urls"
    codes: ClassVar[tuple[str, ...]] = ("SG201", "SG202", "SG203")
    rules_model = UrlRules

    def assess(self, context: Context) -> Sequence[Finding]:
        """See `Detector.assess`."""
        rules = self.rules
        urls = context.features.urls
        if not urls:
            return CLEAN
        found: list[Finding] = []
        if rules.deny_domains:
            # The deny-list entry, not the host: a host is message text, which logs never
            # hold, and the entry says which rule acted (for a lookalike host, too).
            for url in urls:
                entry = _denied_entry(url, rules.deny_domains)
                if entry is not None:
                    found.append(Finding(_DENIED, entry, "deny_domains"))
                    break
        counted = len(urls)
        if rules.allow_domains:
            counted -= sum(host_matches(u.host, rules.allow_domains) for u in urls)
        finding = exceeds(counted, rules.max_urls, _TOO_MANY, rules.extreme_urls, _FLOOD)
        if finding is not None:
            found.append(finding)
        return found


def _denied_entry(url: FoundUrl, deny: frozenset[str]) -> str | None:
    """The deny-list entry the link goes to, or that its host is a lookalike of.

    A host spelled with Cyrillic or Greek lookalikes, accents or stacked marks
    ("pіlls-r-us.com" with a Cyrillic і) is a different domain (an IDN homograph), but
    one registered to pass for the denied one, so it is denied too.  The allow list is
    deliberately matched exactly: a lookalike of an allowed domain is someone else's site.
    """
    entry = matching_domain(url.host, deny)
    if entry is None and not url.host.isascii():
        entry = matching_domain(fold_lookalikes(url.host), deny)
    return entry


_TOO_MANY, _FLOOD, _DENIED = (CATALOGUE[code] for code in UrlDetector.codes)
