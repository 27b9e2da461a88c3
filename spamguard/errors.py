"""The errors spamguard raises. `Engine.check` raises none of them for message content.

SpamguardError
├── RulesError        a rules file is missing, unreadable or invalid
└── StoreError        a session store could not be reached or answered nonsense
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RuleIssue", "RulesError", "SpamguardError", "StoreError"]


class SpamguardError(Exception):
    """The base of every error spamguard raises on purpose."""


@dataclass(frozen=True, slots=True)
class RuleIssue:
    """One problem in a rules file.

    Attributes:
        source: The file (or ``<string>``) it is in.
        line: 1-based line number, when known.
        path: The dotted YAML path, e.g. ``tenants.acme.urls.max_urls``.
        problem: What is wrong and what was expected.
    """

    source: str
    line: int | None
    path: str
    problem: str

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: {self.path}: {self.problem}" if self.path else f"{where}: {self.problem}"


class RulesError(SpamguardError):
    """A rules file could not be used. Carries every issue found, one per line."""

    def __init__(self, issues: list[RuleIssue]) -> None:
        self.issues = tuple(issues)
        super().__init__("\n".join(str(issue) for issue in issues))


class StoreError(SpamguardError):
    """A session store failed; the engine turns it into the tenant's failure policy."""
