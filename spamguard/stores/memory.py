"""The in-memory session store: one process, bounded, thread-safe, O(1) amortised."""

from __future__ import annotations

import heapq
import itertools
import math
import threading
from array import array
from collections import OrderedDict

from spamguard.message import Role, SenderKey, SessionKey
from spamguard.stores.base import Event, History, Outcome, Retention, Snapshot, stored_text
from spamguard.verdict import Action

__all__ = ["MemoryStore"]

_PROVISIONAL = Outcome(Action.ALLOW)
# Expired sessions are swept a few at a time on each call, so no single check pays
# for a large backlog.
_SWEEP_PER_CALL = 8
# The length column holds C unsigned ints (4 bytes on every platform Python supports); a
# longer post is recorded at the largest value, which every limit counts as far over.
_MAX_CHARS = 2 ** (8 * array("I").itemsize) - 1


class _Sender:
    """One sender's window, column by column, as `History` hands it to the detectors.

    Flat arrays, not an object per post: a post costs 20 bytes of columns (time,
    fingerprint, length) instead of some 150 bytes of objects, and `begin` copies the
    columns with a memcpy each. The normalised texts of the newest posts (at most
    `Retention.keys_needed`) are kept as one UTF-8 string, NUL-separated: ten chat-sized
    texts take about 450 bytes that way against 1,070 as ten str objects in a list, and
    reading them back costs one decode and one split (0.3 µs). Most senders are never
    struck: their strike list is made on the first strike.
    """

    __slots__ = ("chars", "fingerprints", "key_count", "keys", "ordered", "strikes", "times")

    def __init__(self) -> None:
        self.times = array("d")
        self.fingerprints = array("Q")
        self.chars = array("I")
        self.keys = b""  # the texts, NUL-separated (see _stored_key)
        self.key_count = 0  # "" holds no text or one empty text: the count tells
        self.strikes: list[float] | None = None
        self.ordered = True  # the times never decrease (see History.ordered)

    def history(self) -> History:
        """A copy of the window: the caller reads it outside the store's lock."""
        keys = self.keys.decode("utf-8", "surrogatepass").split("\0") if self.key_count else ()
        return History(self.times[:], self.fingerprints[:], self.chars[:], keys, self.ordered)

    def forget_before(self, oldest: float) -> None:
        """Drop the posts made at or before `oldest` from the front of the window."""
        times = self.times
        gone = 0
        while gone < len(times) and times[gone] <= oldest:
            gone += 1
        if gone:
            self._drop(gone)

    def append(self, event: Event, retention: Retention) -> None:
        """Append the post, then cap the window's length and the texts kept."""
        if self.times and event.ts < self.times[-1]:
            self.ordered = False
        self.times.append(event.ts)
        self.fingerprints.append(event.fingerprint)
        self.chars.append(min(event.chars, _MAX_CHARS))
        self._append_key(_stored_key(event.key), retention.keys_needed)
        excess = len(self.times) - retention.max_events
        if excess > 0:
            self._drop(excess)

    def _drop(self, count: int) -> None:
        del self.times[:count]
        del self.fingerprints[:count]
        del self.chars[:count]
        # Texts cover the newest posts only; the window now holds len(times) posts.
        self._keep_keys(len(self.times))
        if not self.ordered:  # rare: a clock went back; the post may have left
            times = self.times
            self.ordered = all(times[i] <= times[i + 1] for i in range(len(times) - 1))

    def _append_key(self, key: bytes, most: int) -> None:
        """Append a text, keeping the newest `most`; one copy of the kept texts."""
        if most <= 0:
            self.keys, self.key_count = b"", 0
        elif self.key_count < most:
            self.keys = b"\0".join((self.keys, key)) if self.key_count else key
            self.key_count += 1
        else:
            self._keep_keys(most - 1)
            # A view: the kept texts are copied once, by the join.
            self.keys = b"\0".join((memoryview(self.keys), key)) if self.key_count else key
            self.key_count += 1

    def _keep_keys(self, most: int) -> None:
        """Forget the oldest texts beyond the newest `most`."""
        excess = self.key_count - max(most, 0)
        if excess <= 0:
            return
        if excess >= self.key_count:
            self.keys, self.key_count = b"", 0
            return
        cut = 0
        for _ in range(excess):
            cut = self.keys.index(b"\0", cut) + 1
        self.keys = self.keys[cut:]
        self.key_count -= excess


def _stored_key(key: str) -> bytes:
    """A text as kept: UTF-8 (lone surrogates pass through), NUL made U+FFFD."""
    return stored_text(key).encode("utf-8", "surrogatepass")


class _Session:
    __slots__ = ("expires", "senders", "transactions")

    def __init__(self) -> None:
        self.senders: dict[tuple[Role, str], _Sender] = {}
        # Made on the first transaction id; insertion order: oldest first.
        self.transactions: dict[str, Outcome] | None = None
        self.expires = 0.0


class MemoryStore:
    """Session state in this process's memory.

    Sessions live in an LRU order: each post moves its session to the back, idle sessions
    expire after their policy's idle TTL, and beyond `max_sessions` the least recently
    used one is evicted. Concluded engagements are kept apart and are never evicted
    before their TTL, so a terminated spammer cannot come back by flooding new sessions.

    Args:
        max_sessions: The most live sessions kept at once.
        sweep: Sweep expired sessions on each call, by that call's time. Replays turn it
            off and call `expire` with the corpus clock instead, so that which sessions
            are dropped never depends on which other sessions share the store.
    """

    def __init__(self, max_sessions: int = 100_000, *, sweep: bool = True) -> None:
        if max_sessions < 1:
            raise ValueError("max_sessions must be at least 1")
        self.max_sessions = max_sessions
        self._sessions: OrderedDict[SessionKey, _Session] = OrderedDict()
        self._concluded: OrderedDict[SessionKey, float] = OrderedDict()
        self._lock = threading.Lock()
        self._sweeps = sweep
        # No expiry happens before this time: calls before it skip the sweep.
        self._sweep_at = 0.0
        # Without sweeping: every expiry set, oldest first; stale entries are skipped.
        self._expiries: list[tuple[float, int, SessionKey, bool]] = []
        self._pushed = itertools.count()

    def __len__(self) -> int:
        """The number of live (not concluded) sessions held."""
        return len(self._sessions)

    def begin(
        self,
        key: SenderKey,
        event: Event,
        transaction_id: str | None,
        retention: Retention,
        now: float,
    ) -> Snapshot:
        """See `SessionStore.begin`."""
        with self._lock:
            if self._sweeps and now >= self._sweep_at:
                self._sweep(now)
            if self._is_concluded(key.session, now):
                return Snapshot(concluded=True)
            session = self._touch(key.session, retention, now)
            if transaction_id is not None:
                transactions = session.transactions
                if transactions is None:
                    transactions = session.transactions = {}
                recorded = transactions.get(transaction_id)
                if recorded is not None:
                    return Snapshot(replay=recorded)
                transactions[transaction_id] = _PROVISIONAL
                if len(transactions) > retention.max_transactions:
                    del transactions[next(iter(transactions))]
            sender = session.senders.get((key.role, key.sender))
            if sender is None:
                sender = session.senders[(key.role, key.sender)] = _Sender()
            sender.forget_before(now - retention.window_s)
            strikes = sender.strikes
            if strikes:
                _trim_times(strikes, now - retention.strike_window_s)
            history = sender.history()
            sender.append(event, retention)
            return Snapshot(history=history, strikes=len(strikes) if strikes else 0)

    def settle(
        self,
        key: SenderKey,
        transaction_id: str | None,
        outcome: Outcome,
        retention: Retention,
        now: float,
    ) -> None:
        """See `SessionStore.settle`."""
        with self._lock:
            if outcome.action is Action.TERMINATE:
                # The live state is no longer needed: every later post is refused.
                self._sessions.pop(key.session, None)
                self._concluded[key.session] = now + retention.concluded_ttl_s
                self._concluded.move_to_end(key.session)
                self._expires_at(self._concluded[key.session])
                self._remember_expiry(self._concluded[key.session], key.session, True)
                return
            session = self._sessions.get(key.session)
            if session is None:
                return
            transactions = session.transactions
            if transaction_id is not None and transactions and transaction_id in transactions:
                transactions[transaction_id] = outcome
            sender = session.senders.get((key.role, key.sender))
            if sender is not None and outcome.action is Action.BLOCK:
                if sender.strikes is None:
                    sender.strikes = []
                sender.strikes.append(now)
                if len(sender.strikes) > retention.max_strikes:
                    del sender.strikes[: len(sender.strikes) - retention.max_strikes]

    def end_session(self, key: SessionKey) -> None:
        """See `SessionStore.end_session`."""
        with self._lock:
            self._sessions.pop(key, None)
            self._concluded.pop(key, None)

    async def abegin(
        self,
        key: SenderKey,
        event: Event,
        transaction_id: str | None,
        retention: Retention,
        now: float,
    ) -> Snapshot:
        """See `SessionStore.abegin`: memory access never blocks, so it runs inline."""
        return self.begin(key, event, transaction_id, retention, now)

    async def asettle(
        self,
        key: SenderKey,
        transaction_id: str | None,
        outcome: Outcome,
        retention: Retention,
        now: float,
    ) -> None:
        """See `SessionStore.asettle`."""
        self.settle(key, transaction_id, outcome, retention, now)

    def _is_concluded(self, key: SessionKey, now: float) -> bool:
        expires = self._concluded.get(key)
        if expires is None:
            return False
        if expires > now:
            return True
        del self._concluded[key]
        return False

    def _touch(self, key: SessionKey, retention: Retention, now: float) -> _Session:
        session = self._sessions.get(key)
        if session is None or session.expires <= now:
            session = self._sessions[key] = _Session()
            if len(self._sessions) > self.max_sessions:
                self._sessions.popitem(last=False)
        self._sessions.move_to_end(key)
        session.expires = now + retention.idle_ttl_s
        self._expires_at(session.expires)
        self._remember_expiry(session.expires, key, False)
        return session

    def expire(self, now: float) -> None:
        """Drop every session and conclusion that has expired by `now` (see `sweep`)."""
        with self._lock:
            expiries = self._expiries
            while expiries and expiries[0][0] <= now:
                expires, _, key, concluded = heapq.heappop(expiries)
                if concluded:
                    if self._concluded.get(key) == expires:
                        del self._concluded[key]
                else:
                    session = self._sessions.get(key)
                    if session is not None and session.expires == expires:
                        del self._sessions[key]

    def _remember_expiry(self, expires: float, key: SessionKey, concluded: bool) -> None:
        if not self._sweeps:
            heapq.heappush(self._expiries, (expires, next(self._pushed), key, concluded))

    def _sweep(self, now: float) -> None:
        next_at = math.inf
        for _ in range(_SWEEP_PER_CALL):
            oldest = next(iter(self._sessions.items()), None)
            if oldest is None:
                break
            if oldest[1].expires > now:
                next_at = oldest[1].expires
                break
            del self._sessions[oldest[0]]
        else:
            next_at = now  # more may be due: sweep again on the next call
        for _ in range(_SWEEP_PER_CALL):
            first = next(iter(self._concluded.items()), None)
            if first is None:
                break
            if first[1] > now:
                next_at = min(next_at, first[1])
                break
            del self._concluded[first[0]]
        else:
            next_at = now
        # The fronts are the least recently used entries; with one idle TTL they expire
        # first. Sessions added later lower this (see _expires_at).
        self._sweep_at = next_at

    def _expires_at(self, expires: float) -> None:
        """Note a new expiry, so the sweep is not skipped past it."""
        self._sweep_at = min(self._sweep_at, expires)


def _trim_times(times: list[float], oldest: float) -> None:
    gone = 0
    while gone < len(times) and times[gone] <= oldest:
        gone += 1
    if gone:
        del times[:gone]
