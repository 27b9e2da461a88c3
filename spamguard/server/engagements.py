"""Engagements and their conversation streams: what the reference server remembers.

The engine decides; this module carries the decision out, as a chat server must:

- allow: the post joins the conversation stream;
- block: the post is dropped and a system message saying so joins the stream instead;
- terminate: termination notices join the stream, the end user is disconnected and the
  engagement is concluded; its end user's later calls are refused.

State lives in this process (one server process). The spam state itself (windows,
strikes, conclusions) lives in the engine's store, so with the Redis store a second process
judges the same way, but it does not know this process's engagements.
"""

from __future__ import annotations

import itertools
import secrets
import string
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from spamguard.verdict import Action, Verdict

__all__ = ["DISCONNECTED", "Engagement", "Engagements", "Entry", "EntryKind", "Sender"]

DISCONNECTED = "The end user has been disconnected and this chat has ended."
"""The second termination notice, after the engine's: what happened to the engagement."""

_SESSION_ALPHABET = string.ascii_lowercase + string.digits
_SESSION_ID_LENGTH = 25  # as in the seed's example: "192hyto5qomm8r8rpzzmuzsa6"


class EntryKind(StrEnum):
    """What an entry of the conversation stream is."""

    MESSAGE = "MESSAGE"
    SYSTEM = "SYSTEM"


class Sender(StrEnum):
    """Who an entry of the stream comes from."""

    END_USER = "END_USER"
    AGENT = "AGENT"
    SYSTEM = "SYSTEM"


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry of the conversation stream.

    Attributes:
        seq: Its position in the stream, from 1; clients read "since" a position.
        kind: A delivered message or a system message.
        sender: Who posted it (``SYSTEM`` for system messages).
        body: The text.
        time: When it joined the stream (Unix seconds).
    """

    seq: int
    kind: EntryKind
    sender: Sender
    body: str
    time: float


@dataclass(slots=True)
class Engagement:
    """One chat engagement and its conversation stream.

    Attributes:
        engagement_id: The engagement's number.
        session_id: The end user's session id (the ``SessionId`` header).
        site: The tenant (``fqSiteName``).
        pool: The interface (the ``pool`` query parameter).
        client_id: The end user's client id.
        stream: The conversation, oldest first.
        concluded_at: When the engagement was concluded, or None while it runs.
        last_active: The time of the last call on it.
    """

    engagement_id: int
    session_id: str
    site: str
    pool: str
    client_id: int
    stream: list[Entry] = field(default_factory=list)
    concluded_at: float | None = None
    last_active: float = 0.0

    @property
    def concluded(self) -> bool:
        """Whether the engagement has ended."""
        return self.concluded_at is not None

    def since(self, seq: int) -> list[Entry]:
        """The entries after position `seq` (0: all of them)."""
        return self.stream[max(seq, 0) :]

    def add(self, kind: EntryKind, sender: Sender, body: str, now: float) -> Entry:
        """Append an entry to the stream."""
        entry = Entry(len(self.stream) + 1, kind, sender, body, now)
        self.stream.append(entry)
        return entry

    def carry_out(self, verdict: Verdict, sender: Sender, body: str, now: float) -> None:
        """Do what the verdict says with a post: deliver it, replace it or end the chat."""
        if verdict.action is Action.ALLOW:
            self.add(EntryKind.MESSAGE, sender, body, now)
            return
        # The notice is what the end user is told; codes and thresholds never appear.
        self.add(EntryKind.SYSTEM, Sender.SYSTEM, verdict.notice or "", now)
        if verdict.action is Action.TERMINATE and not self.concluded:
            self.add(EntryKind.SYSTEM, Sender.SYSTEM, DISCONNECTED, now)
            self.concluded_at = now


class Engagements:
    """The engagements of this server process, by session id.

    An engagement is forgotten `ttl_s` after its last call (a concluded one after its
    conclusion), so memory is bounded by the traffic of the last `ttl_s` seconds; a
    forgotten session is unknown (403).

    Args:
        ttl_s: How long an engagement is kept after its last call or its conclusion.
        clock: The time (Unix seconds).
    """

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.time) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._by_session: OrderedDict[str, Engagement] = OrderedDict()
        self._numbers = itertools.count(1)

    def __len__(self) -> int:
        """The number of engagements remembered."""
        return len(self._by_session)

    def open(self, site: str, pool: str) -> Engagement:
        """Create an engagement with a fresh session id."""
        now = self._clock()
        self._forget_expired(now)
        session_id = "".join(secrets.choice(_SESSION_ALPHABET) for _ in range(_SESSION_ID_LENGTH))
        number = next(self._numbers)
        engagement = Engagement(number, session_id, site, pool, number, last_active=now)
        self._by_session[session_id] = engagement
        return engagement

    def get(self, session_id: str) -> Engagement | None:
        """The engagement of a session, or None when it is unknown or forgotten."""
        now = self._clock()
        self._forget_expired(now)
        engagement = self._by_session.get(session_id)
        if engagement is None:
            return None
        if not engagement.concluded:
            engagement.last_active = now
            self._by_session.move_to_end(session_id)
        return engagement

    def _forget_expired(self, now: float) -> None:
        # Oldest activity first: concluded engagements stop moving, live ones move to the
        # end on each call, so the front is always the next to expire.
        while self._by_session:
            engagement = next(iter(self._by_session.values()))
            since = engagement.concluded_at or engagement.last_active
            if since + self.ttl_s > now:
                break
            del self._by_session[engagement.session_id]
