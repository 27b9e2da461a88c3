"""The `SessionStore` protocol: the narrow interface between the engine and its state.

A check needs the sender's recent posts and strikes and must append the new post. The
protocol splits that into `begin` (read and append in one step, the only call an allowed
post makes, so a networked store answers it in one round trip) and `settle` (record what
the verdict decided; needed only for blocked or terminated posts and for retries).
Time is always passed in: stores never read a clock.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol, TypeVar, runtime_checkable

from spamguard.errors import StoreError
from spamguard.message import SenderKey, SessionKey
from spamguard.verdict import Action

__all__ = [
    "DEFAULT_MAX_SENDERS",
    "MAX_ID_CHARS",
    "NO_HISTORY",
    "Event",
    "History",
    "Outcome",
    "Retention",
    "SessionStore",
    "Snapshot",
    "StoreFullError",
    "id_digest",
    "stored_text",
]

# Ids a client sends (session, sender, transaction) longer than this are kept as a digest,
# so the memory a store spends on one never grows with what a client sends.
MAX_ID_CHARS = 128
# A customer-service engagement has one visitor, a few agents and the system: 32 windows
# is room to spare, and it caps what one session can hold whatever sender ids it is sent.
DEFAULT_MAX_SENDERS = 32


T = TypeVar("T")


# The records a check builds (Event, Outcome, History, Snapshot) are named tuples: they
# are made on every check, and a tuple is built about four times faster than a frozen
# dataclass while being just as immutable.
class Event(NamedTuple):
    """The new post as `SessionStore.begin` records it: never the raw text.

    Attributes:
        ts: When it was posted (Unix seconds).
        fingerprint: 64-bit hash of the normalised text.
        key: The normalised text, capped (for near-duplicate comparison).
        chars: Its visible length in characters.
    """

    ts: float
    fingerprint: int
    key: str
    chars: int


class Outcome(NamedTuple):
    """What a verdict decided, as recorded for a client transaction id."""

    action: Action
    codes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Retention:
    """How long and how much state a policy needs.

    Attributes:
        window_s: Posts older than this are forgotten (the longest detector window).
        max_events: At most this many posts are kept per sender.
        keys_needed: Only this many newest posts keep their normalised text; older ones
            keep their fingerprint, length and time.
        strike_window_s: Strikes older than this decay.
        max_strikes: Strikes kept per sender (0: none recorded). More never change a
            verdict: the ``max_blocks + 1``-th block already terminates.
        concluded_ttl_s: How long a concluded engagement keeps refusing posts.
        max_transactions: Client transaction ids remembered per session.
        idle_ttl_s: After this long without a post, a session's state is worthless and
            expires (derived: the longer of the two windows).
    """

    window_s: float
    max_events: int
    keys_needed: int
    strike_window_s: float
    max_strikes: int
    concluded_ttl_s: float
    max_transactions: int = 64
    idle_ttl_s: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Computed once here: stores read it on every call.
        object.__setattr__(self, "idle_ttl_s", max(self.window_s, self.strike_window_s))


class History(NamedTuple):
    """A sender's earlier posts within the store window, oldest first, column by column.

    Columns rather than one object per post: a store keeps each column as one flat array
    and hands over copies, which costs far less memory and time than an object per post,
    and detectors scan a column at C speed.

    Attributes:
        times: When each post was made (Unix seconds).
        fingerprints: The 64-bit hash of each post's normalised text.
        chars: Each post's visible length in characters.
        keys: The normalised texts of the newest ``len(keys)`` posts (at most
            `Retention.keys_needed`), oldest first: ``keys[-1]`` is the newest post's.
        ordered: The store vouches that ``times`` never decrease. Posts arrive in time
            order unless a clock went back; a store that tracks this saves `within` a
            scan. False is always correct.
    """

    times: Sequence[float] = ()
    fingerprints: Sequence[int] = ()
    chars: Sequence[int] = ()
    keys: Sequence[str] = ()
    ordered: bool = False

    @classmethod
    def of(cls, events: Iterable[Event]) -> History:
        """The columns of posts given one by one, oldest first, each with its text."""
        rows = tuple(events)
        return cls(
            tuple(event.ts for event in rows),
            tuple(event.fingerprint for event in rows),
            tuple(event.chars for event in rows),
            tuple(event.key for event in rows),
        )

    def within(self, oldest: float) -> Sequence[int]:
        """The positions of the posts made after `oldest`, oldest first.

        Posts arrive in time order, so these are nearly always the newest ones, and a
        range of them lets detectors slice columns at C speed. When the store vouches
        for the order a bisection finds where they start; otherwise a C-speed max and
        min prove the split, and only a clock that went back makes every post be tested.
        """
        times = self.times
        start = bisect_right(times, oldest)
        if self.ordered or (
            (start == 0 or max(times[:start]) <= oldest)
            and (start == len(times) or min(times[start:]) > oldest)
        ):
            return range(start, len(times))
        return [index for index, ts in enumerate(times) if ts > oldest]

    def pick(self, column: Sequence[T], positions: Sequence[int]) -> Sequence[T]:
        """The values of a column at the `positions` that `within` returned.

        The usual range of the newest posts is one C-speed slice of the column.
        """
        if isinstance(positions, range):
            return column[positions.start : positions.stop]
        return [column[index] for index in positions]

    def key_of(self, index: int) -> str:
        """The normalised text of post `index` (of ``times``), or "" when not kept."""
        kept = index - (len(self.times) - len(self.keys))
        return self.keys[kept] if kept >= 0 else ""

    def events(self) -> tuple[Event, ...]:
        """The posts one by one, with "" for texts not kept (detectors read the columns)."""
        return tuple(
            Event(ts, fingerprint, self.key_of(index), chars)
            for index, (ts, fingerprint, chars) in enumerate(
                zip(self.times, self.fingerprints, self.chars, strict=True)
            )
        )


NO_HISTORY = History()


def stored_text(key: str) -> str:
    """A post's normalised text as every store keeps it: NUL becomes U+FFFD.

    The engine's texts never hold NUL (`skeleton` drops control characters); the
    in-memory store separates texts with it, so a caller of `SessionStore.begin` that
    passes one gets U+FFFD back from any store.
    """
    return key.replace("\0", "\ufffd") if "\0" in key else key


def id_digest(value: str) -> bytes:
    """The 16-byte digest that stands for an id longer than `MAX_ID_CHARS`.

    128 bits: two distinct ids share one with probability about 2**-64 even among
    2**32 of them, so a digest is as precise as the id it replaces.
    """
    return hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class StoreFullError(StoreError):
    """A bounded store cannot admit a new session without forgetting a conclusion.

    Sessions already held keep working; the engine turns this into SG009 and the
    tenant's ``on_store_error`` policy for the new session's posts.
    """


class Snapshot(NamedTuple):
    """What `SessionStore.begin` saw before it appended the new post.

    Attributes:
        concluded: The engagement was concluded; nothing was appended.
        replay: The transaction id was seen before, for the same text: its recorded
            outcome; nothing appended.
        history: The sender's earlier posts within the window, oldest first.
        strikes: The sender's strikes within the strike window.
    """

    concluded: bool = False
    replay: Outcome | None = None
    history: History = NO_HISTORY
    strikes: int = 0


@runtime_checkable
class SessionStore(Protocol):
    """Shared state of the engagements a chat server is running."""

    def begin(
        self,
        key: SenderKey,
        event: Event,
        transaction_id: str | None,
        retention: Retention,
        now: float,
    ) -> Snapshot:
        """Atomically read the sender's window and append `event` to it.

        Nothing is appended when the engagement is concluded or the transaction id was
        already seen for a post of the same fingerprint (a retry: its recorded outcome is
        returned). A new transaction id is recorded with a provisional ``allow``; a known
        one with another fingerprint is not a retry: the post is appended as a new one
        and the id recorded afresh for it.
        """
        ...

    def settle(
        self,
        key: SenderKey,
        transaction_id: str | None,
        outcome: Outcome,
        retention: Retention,
        now: float,
    ) -> None:
        """Record a non-allow outcome: a strike on block, conclusion on terminate."""
        ...

    def end_session(self, key: SessionKey) -> None:
        """Forget everything about an engagement (it ended normally)."""
        ...

    async def abegin(
        self,
        key: SenderKey,
        event: Event,
        transaction_id: str | None,
        retention: Retention,
        now: float,
    ) -> Snapshot:
        """Asyncio twin of `begin`."""
        ...

    async def asettle(
        self,
        key: SenderKey,
        transaction_id: str | None,
        outcome: Outcome,
        retention: Retention,
        now: float,
    ) -> None:
        """Asyncio twin of `settle`."""
        ...
