"""Engagements and their conversation streams: what the reference server remembers.

The engine decides; this module carries the decision out, as a chat server must:

- allow: the post joins the conversation stream;
- block: the post is dropped and a system message saying so joins the stream instead;
- terminate: termination notices join the stream, the end user is disconnected and the
  engagement is concluded; its end user's later calls are refused.

Engagements live in a registry: this process's memory (`MemoryEngagements`), or Redis
(`spamguard.server.redis_engagements`) so that several server processes share them, as
they share the engine's spam state through its store.
"""

from __future__ import annotations

import itertools
import secrets
import string
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import NamedTuple, Protocol

from spamguard.verdict import Action, Verdict

__all__ = [
    "DISCONNECTED",
    "Engagement",
    "Engagements",
    "Entry",
    "EntryKind",
    "MemoryEngagements",
    "Posting",
    "Recorded",
    "Sender",
    "carry_out",
    "new_session_id",
]

DISCONNECTED = "The end user has been disconnected and this chat has ended."
"""The second termination notice, after the engine's: what happened to the engagement."""

_CONCLUDED_CODE = "SG005"  # the engine refused a post of a concluded engagement
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
    """One chat engagement, as a registry returned it.

    Attributes:
        engagement_id: The engagement's number.
        session_id: The end user's session id (the ``SessionId`` header).
        site: The tenant (``fqSiteName``).
        pool: The interface (the ``pool`` query parameter).
        client_id: The end user's client id.
        concluded_at: When the engagement was concluded, or None while it runs.
    """

    engagement_id: int
    session_id: str
    site: str
    pool: str
    client_id: int
    concluded_at: float | None = None

    @property
    def concluded(self) -> bool:
        """Whether the engagement has ended."""
        return self.concluded_at is not None


class Recorded(StrEnum):
    """What became of a posting."""

    RECORDED = "recorded"
    CONCLUDED = "concluded"  # the engagement had ended meanwhile: nothing was added
    FORGOTTEN = "forgotten"  # the engagement expired meanwhile: nothing was added


class Posting(NamedTuple):
    """What one verdict adds to the stream, and whether it ends the engagement."""

    entries: tuple[tuple[EntryKind, Sender, str], ...]
    concludes: bool


def carry_out(verdict: Verdict, sender: Sender, body: str) -> Posting:
    """What a chat server does with a post: deliver it, replace it, or end the chat.

    The notices are what the end user is told; codes and thresholds never appear.
    """
    if verdict.action is Action.ALLOW:
        return Posting(((EntryKind.MESSAGE, sender, body),), concludes=False)
    if verdict.codes == (_CONCLUDED_CODE,):
        # The engine knew the engagement had ended (perhaps in another process, whose
        # record of the termination may still be on its way): its notices are that
        # process's to add, so that they appear once.
        return Posting((), concludes=False)
    notice = (EntryKind.SYSTEM, Sender.SYSTEM, verdict.notice or "")
    if verdict.action is Action.BLOCK:
        return Posting((notice,), concludes=False)
    return Posting((notice, (EntryKind.SYSTEM, Sender.SYSTEM, DISCONNECTED)), concludes=True)


def new_session_id() -> str:
    """A fresh, unguessable session id."""
    return "".join(secrets.choice(_SESSION_ALPHABET) for _ in range(_SESSION_ID_LENGTH))


class Engagements(Protocol):
    """Where a server keeps its engagements and their streams."""

    async def open(self, site: str, pool: str) -> Engagement:
        """Create an engagement with a fresh session id."""
        ...

    async def get(self, session_id: str) -> Engagement | None:
        """The engagement of a session (marking it active), or None when unknown."""
        ...

    async def record(self, engagement: Engagement, posting: Posting) -> Recorded:
        """Append a verdict's entries and conclude if asked, unless the engagement has
        ended or expired meanwhile: one atomic step, so no post lands after the end."""
        ...

    async def read(self, engagement: Engagement, since: int, limit: int) -> tuple[list[Entry], int]:
        """At most `limit` entries after position `since`, oldest first, and the position
        of the stream's last entry. Entries beyond the newest `max_stream_entries` are
        gone: a read from before them starts at the oldest kept."""
        ...

    async def count(self) -> int | None:
        """How many engagements are remembered (for health), when that is cheap to know."""
        ...


@dataclass(slots=True)
class _Held:
    engagement: Engagement
    stream: list[Entry] = field(default_factory=list)
    last_active: float = 0.0
    dropped: int = 0  # entries gone from the front of `stream`


class MemoryEngagements:
    """The engagements of this server process, by session id.

    An engagement is forgotten `ttl_s` after its last call (a concluded one after its
    conclusion), or when `max_engagements` are held and a new one opens (the least
    recently used goes); a forgotten session is unknown (403). Each keeps the newest
    `max_stream_entries` entries of its stream.

    Args:
        ttl_s: How long an engagement is kept after its last call or its conclusion.
        max_engagements: The most engagements held at once.
        clock: The time (Unix seconds).
        max_stream_entries: The most entries of one stream kept.
    """

    def __init__(
        self,
        ttl_s: float,
        max_engagements: int = 100_000,
        clock: Callable[[], float] = time.time,
        max_stream_entries: int = 10_000,
    ) -> None:
        self.ttl_s = ttl_s
        self.max_engagements = max_engagements
        self.max_stream_entries = max_stream_entries
        self._clock = clock
        self._by_session: OrderedDict[str, _Held] = OrderedDict()
        self._numbers = itertools.count(1)

    async def open(self, site: str, pool: str) -> Engagement:
        """See `Engagements.open`."""
        now = self._clock()
        self._forget_expired(now)
        number = next(self._numbers)
        engagement = Engagement(number, new_session_id(), site, pool, number)
        self._by_session[engagement.session_id] = _Held(engagement, last_active=now)
        if len(self._by_session) > self.max_engagements:
            self._by_session.popitem(last=False)
        return engagement

    async def get(self, session_id: str) -> Engagement | None:
        """See `Engagements.get`."""
        now = self._clock()
        self._forget_expired(now)
        held = self._by_session.get(session_id)
        if held is None:
            return None
        if not held.engagement.concluded:
            held.last_active = now
            self._by_session.move_to_end(session_id)
        return replace(held.engagement)

    async def record(self, engagement: Engagement, posting: Posting) -> Recorded:
        """See `Engagements.record` (nothing here awaits, so it is one step of the loop)."""
        held = self._by_session.get(engagement.session_id)
        if held is None:
            return Recorded.FORGOTTEN
        if held.engagement.concluded:
            return Recorded.CONCLUDED
        now = self._clock()
        stream = held.stream
        for kind, sender, body in posting.entries:
            stream.append(Entry(held.dropped + len(stream) + 1, kind, sender, body, now))
        excess = len(stream) - self.max_stream_entries
        if excess > 0:
            del stream[:excess]
            held.dropped += excess
        if posting.concludes:
            held.engagement.concluded_at = now
        return Recorded.RECORDED

    async def read(self, engagement: Engagement, since: int, limit: int) -> tuple[list[Entry], int]:
        """See `Engagements.read`."""
        held = self._by_session.get(engagement.session_id)
        if held is None:
            return [], 0
        start = max(since - held.dropped, 0)
        return held.stream[start : start + limit], held.dropped + len(held.stream)

    async def count(self) -> int | None:
        """See `Engagements.count`."""
        return len(self._by_session)

    def _forget_expired(self, now: float) -> None:
        # Oldest activity first: concluded engagements stop moving, live ones move to the
        # end on each call, so the front is always the next to expire.
        while self._by_session:
            held = next(iter(self._by_session.values()))
            since = held.engagement.concluded_at or held.last_active
            if since + self.ttl_s > now:
                break
            del self._by_session[held.engagement.session_id]
