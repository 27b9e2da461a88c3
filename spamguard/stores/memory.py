"""The in-memory session store: one process, bounded, thread-safe, O(1) amortised.

Its memory has a worst case computable from its configuration (see docs/stores.md):
every session, live or concluded, takes one of `max_sessions` places; a session holds at
most `max_senders` windows of at most `Retention.max_events` posts, and every id a client
sends is kept at most `MAX_ID_CHARS` long (longer ones as a digest). On top of that
the store keeps a running, conservative account of the bytes it holds and evicts least
recently used live sessions to stay within `max_bytes`.
"""

from __future__ import annotations

import heapq
import itertools
import math
import sys
import threading
from array import array
from collections import OrderedDict

from spamguard.message import Role, SenderKey, SessionKey
from spamguard.stores.base import (
    DEFAULT_MAX_SENDERS,
    MAX_ID_CHARS,
    Event,
    History,
    Outcome,
    Retention,
    Snapshot,
    StoreFullError,
    id_digest,
    stored_text,
)
from spamguard.verdict import Action

__all__ = ["DEFAULT_MAX_BYTES", "MemoryStore"]

_PROVISIONAL = Outcome(Action.ALLOW)
# Expired sessions are swept a few at a time on each call, so no single check pays
# for a large backlog.
_SWEEP_PER_CALL = 8
# The length column holds C unsigned ints (4 bytes on every platform Python supports); a
# longer post is recorded at the largest value, which every limit counts as far over.
_MAX_CHARS = 2 ** (8 * array("I").itemsize) - 1
# A session as the store keys it: the SessionKey itself, or the digest of one holding an
# id longer than MAX_ID_CHARS (bytes never equal a tuple, so the two can't collide).
_Key = SessionKey | bytes
# A sender within a session: its role and id (or the id's digest, as for _Key).
_SenderId = tuple[Role, str | bytes]

# The default byte budget: 1 GiB. Ordinary sessions take 1.3-4 KB, so it never binds
# before max_sessions (100,000) does; it stops big sessions at about 2,200 worst cases
# instead of the 44.5 GB the count caps allow (docs/stores.md, "Why 1 GiB").
DEFAULT_MAX_BYTES = 1 << 30

# The byte account (see MemoryStore.bytes). Each constant is what 64-bit CPython 3.11
# allocates for the part named, rounded up, checked against tracemalloc by
# tests/stores/test_memory.py; the account errs on the high side, so that the budget holds.
# A post: 8 + 8 + 4 bytes of columns, doubled because an array shrinks its buffer only
# when under half full: after old posts leave the front it may hold twice its posts.
_POST_BYTES = 2 * (8 + 8 + 4)
# A sender: its object, three arrays (with the up to 7 spare items each one over-allocates),
# the texts' bytes object (its length is counted apart), its (role, id) key and its slot in
# the session's dict of senders (a dict keeps up to twice the slots it fills).
_SENDER_BYTES = 88 + 3 * 80 + 7 * (8 + 8 + 4) + 33 + 56 + 2 * (24 + 8)
# Strikes: the list once made (with spare room), then a float and a list slot each.
_STRIKES_BYTES = 56 + 4 * 8
_STRIKE_BYTES = 24 + 2 * 8
# A live session: its object and expiry float, its empty dict of senders, its place in the
# OrderedDict (entry, index and linked node, with the dict's slack) and the SessionKey
# tuple; its ids are counted apart.
_SESSION_BYTES = 56 + 24 + 64 + 2 * (24 + 8) + 56 + 64
# Without the sweep every session has up to two entries on the expiry heap (stale ones are
# compacted beyond that): a tuple, its float and counter, a list slot.
_EXPIRY_BYTES = 2 * (64 + 24 + 32 + 8)
# The dict of transaction ids once made, then per id its fingerprint (an int) and a slot
# (with the dict's slack); the id is counted apart. A settled outcome adds a pair tuple,
# the Outcome and its codes tuple (the code strings are interned constants).
_TRANSACTIONS_BYTES = 232
_TRANSACTION_BYTES = 36 + 2 * (24 + 8)
_OUTCOME_BYTES = 56 + 56 + 40
_TX_ASCII = _TRANSACTION_BYTES + 49  # an id and its record, but for the id's characters
_TX_WIDE = _TRANSACTION_BYTES + 76
# A concluded engagement: its dict slot and float, up to two heap entries (stale ones are
# compacted beyond that) and its SessionKey tuple; its ids are counted apart.
_CONCLUDED_BYTES = 2 * (24 + 8) + 24 + 2 * (64 + 32 + 8) + 64


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

    def account(self) -> int:
        """The bytes its posts, texts and strikes take (the fixed part counted apart)."""
        strikes = self.strikes
        return (
            _POST_BYTES * len(self.times)
            + len(self.keys)
            + (_STRIKES_BYTES + _STRIKE_BYTES * len(strikes) if strikes is not None else 0)
        )

    def newest(self) -> float:
        """The time of the newest post kept (-inf when none): the sender's last activity."""
        return self.times[-1] if self.times else -math.inf

    def history(self) -> History:
        """A copy of the window: the caller reads it outside the store's lock."""
        keys = self.keys.decode("utf-8", "surrogatepass").split("\0") if self.key_count else ()
        return History(self.times[:], self.fingerprints[:], self.chars[:], keys, self.ordered)

    def forget_before(self, oldest: float) -> int:
        """Drop the posts made at or before `oldest` from the front of the window.

        Returns the change in `account` (0 or less).
        """
        times = self.times
        gone = 0
        while gone < len(times) and times[gone] <= oldest:
            gone += 1
        if not gone:
            return 0
        was = len(self.keys)
        self._drop(gone)
        return len(self.keys) - was - _POST_BYTES * gone

    def append(self, event: Event, retention: Retention) -> int:
        """Append the post, then cap the window's length and the texts kept.

        Returns the change in `account`: computed here from two lengths, which costs
        begin less than measuring the sender before and after.
        """
        if self.times and event.ts < self.times[-1]:
            self.ordered = False
        was = len(self.keys)
        self.times.append(event.ts)
        self.fingerprints.append(event.fingerprint)
        self.chars.append(min(event.chars, _MAX_CHARS))
        self._append_key(_stored_key(event.key), retention.keys_needed)
        excess = len(self.times) - retention.max_events
        if excess > 0:
            self._drop(excess)
            return len(self.keys) - was - _POST_BYTES * (excess - 1)
        return len(self.keys) - was + _POST_BYTES

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
    __slots__ = ("expires", "senders", "size", "transactions")

    def __init__(self) -> None:
        self.senders: dict[_SenderId, _Sender] = {}
        # Made on the first transaction id; insertion order: oldest first. Long ids are
        # kept as their digest (bytes, which never equal a str id). Each id keeps the
        # fingerprint of the post it judged (only the same text is a retry): alone for
        # the provisional "allow" most posts keep, which costs no object per post, or
        # with the outcome a block settled.
        self.transactions: dict[str | bytes, int | tuple[Outcome, int]] | None = None
        self.expires = 0.0
        self.size = 0  # the bytes it takes in the store's account, key included


def _session_key(key: SessionKey) -> _Key:
    """How the store keys a session: a key with an overlong id becomes its digest."""
    # Inlined by `begin`, which is the hot path; keep the two alike.
    if (
        len(key.session) > MAX_ID_CHARS
        or len(key.tenant) > MAX_ID_CHARS
        or len(key.interface) > MAX_ID_CHARS
    ):
        return _digest_key(key)
    return key


def _digest_key(key: SessionKey) -> bytes:
    # The lengths make the joined string unambiguous, whatever characters ids hold.
    return id_digest(f"{len(key.tenant)}:{len(key.interface)}:{''.join(key)}")


def _id_bytes(value: str | bytes) -> int:
    """What an id kept by the store takes: a str by its widest character, or a digest."""
    # isascii is O(1) on a str; a non-ASCII one is counted at 4 bytes a character, its
    # most. A digest (33 + 16 bytes) is counted as an ASCII str of 16, as `begin` inlines it.
    return 49 + len(value) if value.isascii() else 76 + 4 * len(value)


def _key_bytes(key: _Key) -> int:
    """What a session's key takes (the SessionKey tuple itself is in _SESSION_BYTES)."""
    if isinstance(key, bytes):
        return 49 + len(key)
    return _id_bytes(key.tenant) + _id_bytes(key.interface) + _id_bytes(key.session)


def _sender_bytes(who: _SenderId, sender: _Sender) -> int:
    return _SENDER_BYTES + _id_bytes(who[1]) + sender.account()


def _outcome_bytes(recorded: int | tuple[Outcome, int]) -> int:
    """What a transaction's record takes beyond its provisional fingerprint."""
    return 0 if isinstance(recorded, int) else _OUTCOME_BYTES + 8 * len(recorded[0].codes)


def _short(value: str) -> str | bytes:
    """An id as kept: itself, or its digest when longer than MAX_ID_CHARS."""
    return value if len(value) <= MAX_ID_CHARS else id_digest(value)


def _evict_idlest(senders: dict[_SenderId, _Sender]) -> int:
    """Forget the sender whose newest post is the oldest (one with none goes first).

    Returns the bytes it took.
    """
    # Only a session at its senders cap pays this scan, so the hot path tracks nothing.
    who = min(senders, key=lambda held: senders[held].newest())
    return _sender_bytes(who, senders.pop(who))


class MemoryStore:
    """Session state in this process's memory, within a bound computed from its options.

    Sessions live in an LRU order: each post moves its session to the back, idle sessions
    expire after their policy's idle TTL. Live and concluded sessions share
    `max_sessions` places and the `max_bytes` budget. To admit a new session into a full
    store, an expired conclusion is forgotten, else the least recently used live session
    is evicted; a concluded engagement is never forgotten before its TTL, so a terminated
    spammer cannot come back by flooding new sessions. A store holding nothing but
    conclusions within their TTL refuses new sessions (`StoreFullError`) while its
    sessions keep working.

    The bytes are a running account (`bytes`), not a measurement: each call adds or
    takes what it changed, in O(1), from sizes of 64-bit CPython objects rounded up, so
    the account is at least what the store holds (tracemalloc's traced bytes) and, for
    sessions of any shape, at most about twice it. After every call either the account
    is within `max_bytes`, or the store holds nothing it may evict but the session just
    posted to (a post never evicts its own session) and conclusions within their TTL.

    Args:
        max_sessions: The most sessions kept at once, live and concluded together.
        max_senders: The most sender windows one session keeps; a new sender beyond it
            evicts the session's sender whose newest post is the oldest (a sender that
            comes back starts a fresh window).
        max_bytes: The most bytes the account may reach (default 1 GiB); None: no byte
            budget, only the counts bound the store (replays that must never evict).
        sweep: Sweep expired sessions on each call, by that call's time. Replays turn it
            off and call `expire` with the corpus clock instead, so that which sessions
            are dropped never depends on which other sessions share the store.
    """

    def __init__(
        self,
        max_sessions: int = 100_000,
        *,
        max_senders: int = DEFAULT_MAX_SENDERS,
        max_bytes: int | None = DEFAULT_MAX_BYTES,
        sweep: bool = True,
    ) -> None:
        if max_sessions < 1:
            raise ValueError("max_sessions must be at least 1")
        if max_senders < 1:
            raise ValueError("max_senders must be at least 1")
        if max_bytes is not None and (isinstance(max_bytes, bool) or max_bytes < 1):
            raise ValueError(f"max_bytes must be a whole number >= 1 or None, got {max_bytes!r}")
        self.max_sessions = max_sessions
        self.max_senders = max_senders
        self.max_bytes = max_bytes
        # An int either way: begin compares against it on every post.
        self._budget = sys.maxsize if max_bytes is None else int(max_bytes)
        self._bytes = 0
        self._sessions: OrderedDict[_Key, _Session] = OrderedDict()
        # Concluded engagements: when each stops refusing posts. `_conclusions` orders
        # them by that time (a heap, as TTLs differ between tenants); entries a later
        # conclusion or end_session made stale are skipped, and compacted away.
        self._concluded: dict[_Key, float] = {}
        self._conclusions: list[tuple[float, int, _Key]] = []
        self._lock = threading.Lock()
        self._sweeps = sweep
        # What a new session costs before its ids: with its expiry heap entries when
        # not sweeping.
        self._session_bytes = _SESSION_BYTES + (0 if sweep else _EXPIRY_BYTES)
        # No expiry happens before this time: calls before it skip the sweep.
        self._sweep_at = 0.0
        # Without sweeping: every live session's expiry set, oldest first; stale entries
        # are skipped, and compacted away.
        self._expiries: list[tuple[float, int, _Key]] = []
        self._pushed = itertools.count()

    def __len__(self) -> int:
        """The number of live (not concluded) sessions held."""
        return len(self._sessions)

    @property
    def concluded(self) -> int:
        """The number of concluded engagements held (each takes a place too)."""
        return len(self._concluded)

    @property
    def bytes(self) -> int:
        """The store's account of the bytes its sessions and conclusions hold.

        Conservative: at least what they take (the fixed cost of an empty store is not
        in it); it is what `max_bytes` bounds.
        """
        return self._bytes

    # One function on purpose: begin is the hot path, and each call saved is a few
    # hundred instructions per check.
    def begin(  # noqa: PLR0912
        self,
        key: SenderKey,
        event: Event,
        transaction_id: str | None,
        retention: Retention,
        now: float,
    ) -> Snapshot:
        """See `SessionStore.begin`.

        Raises:
            StoreFullError: A new session found every place, or the byte budget, taken
                by conclusions within their TTL.
        """
        held = key.session
        session_key: _Key = (
            _digest_key(held)
            if len(held.session) > MAX_ID_CHARS
            or len(held.tenant) > MAX_ID_CHARS
            or len(held.interface) > MAX_ID_CHARS
            else held
        )
        with self._lock:
            if self._sweeps and now >= self._sweep_at:
                self._sweep(now)
            if self._is_concluded(session_key, now):
                return Snapshot(concluded=True)
            session = self._touch(session_key, retention, now)
            grown = 0  # the change in the account, added to the session's and the store's once
            if transaction_id is not None:
                transactions = session.transactions
                if transactions is None:
                    transactions = session.transactions = {}
                    self._add(session, _TRANSACTIONS_BYTES)
                tx = (
                    transaction_id
                    if len(transaction_id) <= MAX_ID_CHARS
                    else id_digest(transaction_id)
                )
                recorded = transactions.get(tx)
                if recorded is not None:
                    # Only a retry or a reused id gets here.
                    if isinstance(recorded, int):
                        if recorded == event.fingerprint:
                            return Snapshot(replay=_PROVISIONAL)
                    elif recorded[1] == event.fingerprint:
                        return Snapshot(replay=recorded[0])
                    # A known id with another text is not a retry, or any post could reuse
                    # an allowed post's id and get its "allow": it is judged as a new post,
                    # and the id (in its old place) stands for it from now on.
                    transactions[tx] = event.fingerprint
                    grown = -_outcome_bytes(recorded)
                else:
                    transactions[tx] = event.fingerprint
                    # _TRANSACTION_BYTES + _id_bytes(tx), inlined: begin is the hot path.
                    grown = _TX_ASCII + len(tx) if tx.isascii() else _TX_WIDE + 4 * len(tx)
                    if len(transactions) > retention.max_transactions:
                        oldest = next(iter(transactions))
                        grown -= _TRANSACTION_BYTES + _id_bytes(oldest)
                        grown -= _outcome_bytes(transactions.pop(oldest))
            senders = session.senders
            who = (
                key.role,
                key.sender if len(key.sender) <= MAX_ID_CHARS else id_digest(key.sender),
            )
            sender = senders.get(who)
            if sender is None:
                grown += _SENDER_BYTES + _id_bytes(who[1])
                if len(senders) >= self.max_senders:
                    grown -= _evict_idlest(senders)
                sender = senders[who] = _Sender()
            grown += sender.forget_before(now - retention.window_s)
            strikes = sender.strikes
            if strikes:
                struck = len(strikes)
                _trim_times(strikes, now - retention.strike_window_s)
                grown -= _STRIKE_BYTES * (struck - len(strikes))
            history = sender.history()
            grown += sender.append(event, retention)
            session.size += grown
            self._bytes += grown
            if self._bytes > self._budget:
                self._shed(session_key, now)
            return Snapshot(history=history, strikes=len(strikes) if strikes else 0)

    def settle(
        self,
        key: SenderKey,
        transaction_id: str | None,
        outcome: Outcome,
        retention: Retention,
        now: float,
    ) -> None:
        """See `SessionStore.settle`.

        Raises:
            StoreFullError: A termination of a session the store no longer held found
                every place, or the byte budget, taken by conclusions within their TTL;
                it is not recorded.
        """
        session_key = _session_key(key.session)
        with self._lock:
            if outcome.action is Action.TERMINATE:
                self._conclude(session_key, now + retention.concluded_ttl_s, now)
                return
            session = self._sessions.get(session_key)
            if session is None:
                return
            transactions = session.transactions
            if transaction_id is not None and transactions:
                tx = _short(transaction_id)
                recorded = transactions.get(tx)
                if recorded is not None:
                    judged = recorded if isinstance(recorded, int) else recorded[1]
                    transactions[tx] = settled = (outcome, judged)
                    self._add(session, _outcome_bytes(settled) - _outcome_bytes(recorded))
            sender = session.senders.get((key.role, _short(key.sender)))
            if sender is not None and outcome.action is Action.BLOCK:
                was = sender.account()
                if sender.strikes is None:
                    sender.strikes = []
                sender.strikes.append(now)
                if len(sender.strikes) > retention.max_strikes:
                    del sender.strikes[: len(sender.strikes) - retention.max_strikes]
                self._add(session, sender.account() - was)
            if self._bytes > self._budget:
                self._shed(session_key, now)

    def end_session(self, key: SessionKey) -> None:
        """See `SessionStore.end_session`."""
        session_key = _session_key(key)
        with self._lock:
            session = self._sessions.pop(session_key, None)
            if session is not None:
                self._bytes -= session.size
            if self._concluded.pop(session_key, None) is not None:
                self._bytes -= _CONCLUDED_BYTES + _key_bytes(session_key)
                self._compact_conclusions()

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

    def expire(self, now: float) -> None:
        """Drop every session and conclusion that has expired by `now` (see `sweep`)."""
        with self._lock:
            expiries = self._expiries
            while expiries and expiries[0][0] <= now:
                expires, _, key = heapq.heappop(expiries)
                session = self._sessions.get(key)
                if session is not None and session.expires == expires:
                    del self._sessions[key]
                    self._bytes -= session.size
            while self._forget_expired_conclusion(now):
                pass

    def _add(self, session: _Session, grown: int) -> None:
        session.size += grown
        self._bytes += grown

    def _conclude(self, key: _Key, until: float, now: float) -> None:
        """Replace the session's live state by its conclusion, valid until `until`."""
        # The live state is no longer needed: every later post is refused.
        session = self._sessions.pop(key, None)
        if session is not None:
            self._bytes -= session.size
        cost = _CONCLUDED_BYTES + _key_bytes(key)
        if key in self._concluded:
            self._bytes -= cost  # concluded again: the new conclusion replaces it
        elif session is None:
            # Only a session evicted between its begin and this settle gets here.
            while (
                len(self._sessions) + len(self._concluded) >= self.max_sessions
                or self._bytes + cost > self._budget
            ):
                self._make_room(now, cost)
        self._concluded[key] = until
        self._bytes += cost
        heapq.heappush(self._conclusions, (until, next(self._pushed), key))
        self._expires_at(until)
        self._compact_conclusions()
        if self._bytes > self._budget:
            self._shed(None, now)

    def _is_concluded(self, key: _Key, now: float) -> bool:
        expires = self._concluded.get(key)
        if expires is None:
            return False
        if expires > now:
            return True
        del self._concluded[key]
        self._bytes -= _CONCLUDED_BYTES + _key_bytes(key)
        return False

    def _touch(self, key: _Key, retention: Retention, now: float) -> _Session:
        session = self._sessions.get(key)
        if session is None or session.expires <= now:
            if session is not None:  # expired, not yet swept: it starts afresh
                self._bytes -= session.size
                del self._sessions[key]
            cost = self._session_bytes + _key_bytes(key)
            # An empty store (an account of 0) admits a session whatever the budget.
            while len(self._sessions) + len(self._concluded) >= self.max_sessions or (
                self._bytes and self._bytes + cost > self._budget
            ):
                self._make_room(now, cost)
            session = self._sessions[key] = _Session()
            session.size = cost
            self._bytes += cost
        self._sessions.move_to_end(key)
        session.expires = now + retention.idle_ttl_s
        self._expires_at(session.expires)
        if not self._sweeps:
            heapq.heappush(self._expiries, (session.expires, next(self._pushed), key))
            if len(self._expiries) > 2 * len(self._sessions) + 64:
                # Every post pushes an entry: drop the stale ones (O(1) amortised).
                self._expiries = [
                    (held.expires, next(self._pushed), held_key)
                    for held_key, held in self._sessions.items()
                ]
                heapq.heapify(self._expiries)
        return session

    def _make_room(self, now: float, cost: int) -> None:
        """Free one place: an expired conclusion, else the least recently used session.

        `cost` is what the newcomer needs, to name the budget when none can be freed.
        """
        if self._forget_expired_conclusion(now):
            return
        if self._sessions:
            self._bytes -= self._sessions.popitem(last=False)[1].size
            return
        if len(self._concluded) >= self.max_sessions:
            raise StoreFullError(
                f"memory store full: {len(self._concluded)} terminated engagements within "
                "their TTL; raise max_sessions or lower concluded_ttl_s"
            )
        raise StoreFullError(
            f"memory store full: {len(self._concluded)} terminated engagements within their "
            f"TTL hold {self._bytes:,} bytes of max_bytes={self._budget:,}, and a new "
            f"session needs {cost:,}; raise max_bytes or lower concluded_ttl_s"
        )

    def _shed(self, current: _Key | None, now: float) -> None:
        """Evict until the account is within budget, never the session `current`."""
        sessions = self._sessions
        while self._bytes > self._budget:
            if self._forget_expired_conclusion(now):
                continue
            oldest = next(iter(sessions), None)
            if oldest is None or oldest == current:
                # Only `current` and conclusions within their TTL remain: it keeps its
                # post, and the next new session is refused until room is made.
                return
            self._bytes -= sessions.pop(oldest).size

    def _forget_expired_conclusion(self, now: float) -> bool:
        """Forget the conclusion expiring first if it expired by `now`; say if one went."""
        heap, concluded = self._conclusions, self._concluded
        while heap and heap[0][0] <= now:
            expires, _, key = heapq.heappop(heap)
            if concluded.get(key) == expires:
                del concluded[key]
                self._bytes -= _CONCLUDED_BYTES + _key_bytes(key)
                return True
        return False

    def _compact_conclusions(self) -> None:
        """Rebuild the expiry heap once stale entries outnumber the conclusions held."""
        # A flood of terminate-then-end_session would otherwise grow it without bound.
        if len(self._conclusions) > 2 * len(self._concluded) + 64:
            self._conclusions = [
                (until, next(self._pushed), key) for key, until in self._concluded.items()
            ]
            heapq.heapify(self._conclusions)

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
            self._bytes -= oldest[1].size
        else:
            next_at = now  # more may be due: sweep again on the next call
        for _ in range(_SWEEP_PER_CALL):
            if not self._forget_expired_conclusion(now):
                break
        else:
            next_at = now
        if self._conclusions:
            next_at = min(next_at, self._conclusions[0][0])
        # The front is the least recently used session; with one idle TTL it expires
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
