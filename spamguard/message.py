"""The input of a check: one posted chat message and who posted it where."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

__all__ = ["Message", "Role", "SenderKey", "SessionKey"]


class Role(StrEnum):
    """Who posted a message. Each role keeps its own windows within a session."""

    END_USER = "end_user"
    AGENT = "agent"
    SYSTEM = "system"

    @classmethod
    def parse(cls, value: str) -> Role:
        """Read a role name, accepting the aliases that chat transcripts use for the end user."""
        lowered = value.strip().lower()
        role = _ROLE_ALIASES.get(lowered)
        if role is None:
            expected = ", ".join(sorted(_ROLE_ALIASES))
            raise ValueError(f"unknown role {value!r}: expected one of {expected}")
        return role


_ROLE_ALIASES = {
    "end_user": Role.END_USER,
    "user": Role.END_USER,
    "consumer": Role.END_USER,
    "agent": Role.AGENT,
    "system": Role.SYSTEM,
}


# The keys are named tuples, not frozen dataclasses: every check builds one and hashes
# it several times, and a tuple is built four times faster and hashed in C.
class SessionKey(NamedTuple):
    """Where state of one engagement lives: tenant (site), interface and session id."""

    tenant: str
    interface: str
    session: str


class SenderKey(NamedTuple):
    """One participant of one engagement: windows and strikes are kept per sender."""

    session: SessionKey
    role: Role
    sender: str


MAX_TS = 1e11
"""Timestamps are Unix seconds below this in size (the year 5138)."""


@dataclass(frozen=True, slots=True)
class Message:
    """A message posted to an engagement.

    Attributes:
        text: The message body exactly as posted. Any content is accepted.
        session: The engagement's session id.
        tenant: The site (``fqSiteName``) the engagement belongs to.
        interface: The interface (pool) id; rules can differ per interface.
        role: Who posted it. Agents and end users never share a window.
        sender: The individual sender within the role (defaults to the role name).
        ts: Unix seconds when the message was posted; the engine clock when absent.
        transaction_id: The client transaction id; a retry with the same id is not
            counted twice and gets the verdict recorded for the first attempt.
    """

    text: str
    session: str
    tenant: str = "default"
    interface: str = "default"
    role: Role = Role.END_USER
    sender: str = ""
    ts: float | None = None
    transaction_id: str | None = None

    def __post_init__(self) -> None:
        # Wrong types are the caller's bug and fail here, at construction, so that
        # Engine.check itself never raises for anything a message can contain.
        if not isinstance(self.text, str):
            raise TypeError(f"Message.text must be str, not {type(self.text).__name__}")
        for name in ("session", "tenant", "interface", "sender"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"Message.{name} must be str")
        if not self.session:
            raise ValueError("Message.session must not be empty")
        if not isinstance(self.role, Role):
            object.__setattr__(self, "role", Role.parse(str(self.role)))
        if not self.sender:
            object.__setattr__(self, "sender", self.role.value)
        if self.ts is not None:
            if isinstance(self.ts, bool) or not isinstance(self.ts, int | float):
                raise TypeError("Message.ts must be a number of Unix seconds")
            if not -MAX_TS < self.ts < MAX_TS:
                # Beyond it a float's spacing outgrows the windows (1e22 + 86,400 ==
                # 1e22), so no window or TTL would ever end; it also catches milliseconds.
                raise ValueError(
                    f"Message.ts must be finite Unix seconds within ±{MAX_TS:.0e} (milliseconds?)"
                )
        if self.transaction_id is not None and not isinstance(self.transaction_id, str):
            object.__setattr__(self, "transaction_id", str(self.transaction_id))

    @property
    def session_key(self) -> SessionKey:
        """The key of this message's engagement state."""
        return SessionKey(self.tenant, self.interface, self.session)

    @property
    def sender_key(self) -> SenderKey:
        """The key of this message's sender windows."""
        return SenderKey(self.session_key, self.role, self.sender)

    def describe(self) -> dict[str, Any]:
        """Identifying fields for logs: everything except the text."""
        return {
            "tenant": self.tenant,
            "interface": self.interface,
            "session": self.session,
            "role": self.role.value,
            "sender": self.sender,
            "transaction_id": self.transaction_id,
        }
