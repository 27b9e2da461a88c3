"""The output of a check: the action, the reasons behind it and what to tell the user."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

__all__ = ["Action", "Origin", "Reason", "Verdict"]


class Action(StrEnum):
    """What the chat server does with a post, weakest first."""

    ALLOW = "allow"
    BLOCK = "block"
    TERMINATE = "terminate"

    @property
    def severity(self) -> int:
        """Rank for comparisons: allow < block < terminate."""
        return _SEVERITY[self]

    @property
    def http_status(self) -> int:
        """The status the chat API answers: 200 for allow and block, 409 for terminate."""
        return 409 if self is Action.TERMINATE else 200

    @staticmethod
    def strongest(actions: list[Action]) -> Action:
        """The most severe of `actions` (allow when empty)."""
        return max(actions, key=_SEVERITY.__getitem__, default=Action.ALLOW)


_SEVERITY = {Action.ALLOW: 0, Action.BLOCK: 1, Action.TERMINATE: 2}


@dataclass(frozen=True, slots=True)
class Reason:
    """One finding that explains a verdict.

    Attributes:
        code: Stable reason code from the catalogue, e.g. ``SG201``.
        slug: Its kebab-case name, e.g. ``too-many-urls``.
        detector: The detector (or ``engine``/``policy``) that produced it.
        action: The action this finding asks for on its own.
        acted: False when the finding only monitored (monitor mode) or is informational.
        observed: The measured value, when there is one.
        limit: The threshold it was compared against, when there is one.
        message: One line for logs, e.g. ``4 URLs > 3``. Never shown to end users.
    """

    code: str
    slug: str
    detector: str
    action: Action
    acted: bool
    observed: float | int | str | None = None
    limit: float | int | str | None = None
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form for logs and metrics."""
        return {
            "code": self.code,
            "slug": self.slug,
            "detector": self.detector,
            "action": self.action.value,
            "acted": self.acted,
            "observed": self.observed,
            "limit": self.limit,
            "message": self.message,
        }


class Origin(NamedTuple):
    """Whose post a verdict judged, for its log record: never the text.

    Attributes:
        tenant, interface, session, role, sender: The sender, as in `Message`.
        transaction_id: The client transaction id, if any.
        ts: The post's time (Unix seconds).
    """

    tenant: str
    interface: str
    session: str
    role: str
    sender: str
    transaction_id: str | None
    ts: float


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer to one check.

    Attributes:
        action: What the server must do with the post.
        reasons: Every finding, acting or not, in detector order.
        notice: The user-visible system message for block and terminate (``None`` on
            allow). It never contains codes or thresholds.
        shadow_action: What the action would have been without monitor mode; equal to
            ``action`` when nothing was only monitored.
        timings: With ``Engine(timings=True)``, microseconds spent per step of the check
            (``analysis``, ``store``, each detector by name, ``policy``) and ``total``;
            else None.
        origin: Whose post it was and when, for `log`.
    """

    action: Action
    reasons: tuple[Reason, ...] = ()
    notice: str | None = None
    shadow_action: Action = Action.ALLOW
    timings: dict[str, float] | None = field(default=None, compare=False)
    origin: Origin | None = field(default=None, compare=False)

    @property
    def log(self) -> dict[str, Any]:
        """The structured log record of this verdict: no message text.

        Built on access (a new dict each time), not on every check: most verdicts are
        clean allows that nobody logs.
        """
        record: dict[str, Any] = {
            "event": "spamguard.verdict",
            "action": self.action.value,
            "shadow_action": self.shadow_action.value,
            "codes": [reason.code for reason in self.reasons],
            "reasons": [reason.to_dict() for reason in self.reasons],
        }
        origin = self.origin
        if origin is not None:
            record["ts"] = origin.ts
            record.update(
                tenant=origin.tenant,
                interface=origin.interface,
                session=origin.session,
                role=origin.role,
                sender=origin.sender,
                transaction_id=origin.transaction_id,
            )
        if self.timings is not None:
            record["timings_us"] = self.timings
        return record

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes of all reasons, in order."""
        return tuple(reason.code for reason in self.reasons)

    @property
    def acting_codes(self) -> tuple[str, ...]:
        """The codes of the reasons that decided the action."""
        return tuple(reason.code for reason in self.reasons if reason.acted)

    @property
    def http_status(self) -> int:
        """The HTTP status the chat API answers for this verdict."""
        return self.action.http_status

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form (what ``spamguard check`` prints)."""
        return {
            "action": self.action.value,
            "shadow_action": self.shadow_action.value,
            "codes": list(self.codes),
            "reasons": [reason.to_dict() for reason in self.reasons],
            "notice": self.notice,
        }
