"""The `SessionStore` protocol: the narrow interface between the engine and its state.

A check needs the sender's recent posts and strikes and must append the new post. The
protocol splits that into `begin` (read and append in one step, the only call an allowed
post makes, so a networked store answers it in one round trip) and `settle` (record what
the verdict decided; needed only for blocked or terminated posts and for retries).
Time is always passed in: stores never read a clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from spamguard.message import SenderKey, SessionKey
from spamguard.verdict import Action

__all__ = ["Event", "Outcome", "Retention", "SessionStore", "Snapshot"]


@dataclass(frozen=True, slots=True)
class Event:
    """What a store keeps of one post: never the raw text.

    Attributes:
        ts: When it was posted (Unix seconds).
        fingerprint: 64-bit hash of the normalised text.
        key: The normalised text, capped (for near-duplicate comparison); empty once
            the post is older than the newest `Retention.keys_needed` posts.
        chars: Its visible length in characters.
    """

    ts: float
    fingerprint: int
    key: str
    chars: int


@dataclass(frozen=True, slots=True)
class Outcome:
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
    """

    window_s: float
    max_events: int
    keys_needed: int
    strike_window_s: float
    max_strikes: int
    concluded_ttl_s: float
    max_transactions: int = 64

    @property
    def idle_ttl_s(self) -> float:
        """After this long without a post, a session's state is worthless and expires."""
        return max(self.window_s, self.strike_window_s)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What `SessionStore.begin` saw before it appended the new post.

    Attributes:
        concluded: The engagement was concluded; nothing was appended.
        replay: The transaction id was seen before: its recorded outcome; nothing appended.
        events: The sender's earlier posts within the window, oldest first.
        strikes: The sender's strikes within the strike window.
    """

    concluded: bool = False
    replay: Outcome | None = None
    events: tuple[Event, ...] = ()
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
        already seen. A new transaction id is recorded with a provisional ``allow``.
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
