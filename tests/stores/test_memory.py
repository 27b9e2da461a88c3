"""What only the in-memory store does: a memory bound (LRU capacity shared with concluded
engagements, capped senders and ids), expiry without sweeping. The rest is in
test_contract.py."""

from __future__ import annotations

import gc
import random
import tracemalloc
from collections.abc import Callable
from typing import cast

import pytest

from spamguard.errors import StoreError
from spamguard.message import Role, SenderKey, SessionKey
from spamguard.stores import (
    Event,
    MemoryStore,
    Outcome,
    Retention,
    StoreFullError,
    memory,
    store_from_url,
)
from spamguard.stores.memory import DEFAULT_MAX_BYTES
from spamguard.verdict import Action

RET = Retention(
    window_s=60,
    max_events=5,
    keys_needed=2,
    strike_window_s=120,
    max_strikes=3,
    concluded_ttl_s=1000,
    max_transactions=3,
)


def _key(session: str = "s", role: Role = Role.END_USER, sender: str = "u") -> SenderKey:
    return SenderKey(SessionKey("t", "i", session), role, sender)


def _event(ts: float, n: int = 0) -> Event:
    return Event(ts, n, f"text {n}", 6)


def test_lru_eviction_bounds_sessions() -> None:
    store = MemoryStore(max_sessions=3)
    for name in "abc":
        store.begin(_key(name), _event(0), None, RET, 0)
    store.begin(_key("a"), _event(1), None, RET, 1)  # a is now the most recent
    store.begin(_key("d"), _event(2), None, RET, 2)  # evicts b
    assert len(store) == 3
    assert len(store.begin(_key("a"), _event(3), None, RET, 3).history.events()) == 2
    assert store.begin(_key("b"), _event(3), None, RET, 3).history.events() == ()


def test_touching_an_old_session_saves_it_from_eviction() -> None:
    store = MemoryStore(max_sessions=4)
    for n in range(4):
        store.begin(_key(f"s{n}"), _event(n), None, RET, n)
    store.begin(_key("s0"), _event(4), None, RET, 4)  # s0 was the oldest: now the newest
    for n in range(4, 7):
        store.begin(_key(f"s{n}"), _event(n + 1), None, RET, n + 1)  # evicts s1, s2, s3
    assert len(store) == 4
    assert len(store.begin(_key("s0"), _event(9), None, RET, 9).history.events()) == 2
    assert store.begin(_key("s1"), _event(9), None, RET, 9).history.events() == ()


def _terminate(store: MemoryStore, name: str, now: float) -> None:
    store.begin(_key(name), _event(now), None, RET, now)
    store.settle(_key(name), None, Outcome(Action.TERMINATE), RET, now)


def test_concluded_sessions_survive_a_flood_of_new_sessions_until_their_ttl() -> None:
    store = MemoryStore(max_sessions=10)
    _terminate(store, "spammer", 0)
    for n in range(100):
        store.begin(_key(f"new{n}"), _event(1), None, RET, 1)
    # The conclusion takes one of the ten places; the flood shares the other nine.
    assert (len(store), store.concluded) == (9, 1)
    assert store.begin(_key("spammer"), _event(2), None, RET, 2).concluded
    # After its TTL the flood may take its place, and the spammer starts afresh.
    late = RET.concluded_ttl_s
    for n in range(10):
        store.begin(_key(f"late{n}"), _event(late), None, RET, late)
    assert (len(store), store.concluded) == (10, 0)
    assert not store.begin(_key("spammer"), _event(late), None, RET, late).concluded


def test_a_store_full_of_conclusions_refuses_new_sessions_until_a_ttl_passes() -> None:
    store = MemoryStore(max_sessions=3)
    for n in range(3):
        _terminate(store, f"spammer{n}", n)
    with pytest.raises(StoreFullError, match="memory store full: 3 terminated engagements"):
        store.begin(_key("visitor"), _event(5), None, RET, 5)
    assert issubclass(StoreFullError, StoreError)  # the engine's SG009 path
    # Sessions already held keep working: still refused, nothing evicted.
    assert store.begin(_key("spammer1"), _event(6), None, RET, 6).concluded
    assert (len(store), store.concluded) == (0, 3)
    # Once the first conclusion expires its place is free again.
    after = RET.concluded_ttl_s
    assert store.begin(_key("visitor"), _event(after), None, RET, after).history.events() == ()
    assert (len(store), store.concluded) == (1, 2)
    assert store.begin(_key("spammer1"), _event(after), None, RET, after).concluded


def test_a_new_session_takes_an_expired_conclusions_place_before_a_live_one() -> None:
    store = MemoryStore(max_sessions=2, sweep=False)  # no sweep: only admission frees
    short = Retention(60, 5, 2, 120, 3, concluded_ttl_s=10)
    store.begin(_key("spammer"), _event(0), None, short, 0)
    store.settle(_key("spammer"), None, Outcome(Action.TERMINATE), short, 0)
    store.begin(_key("live"), _event(1), None, RET, 1)
    store.begin(_key("new"), _event(20), None, RET, 20)
    assert (len(store), store.concluded) == (2, 0)
    assert len(store.begin(_key("live"), _event(21), None, RET, 21).history.events()) == 1


def test_a_termination_never_overfills_the_store() -> None:
    store = MemoryStore(max_sessions=2)
    store.begin(_key("a"), _event(0), None, RET, 0)
    store.begin(_key("b"), _event(0), None, RET, 0)
    # "gone" was evicted between its begin and its settle: its conclusion needs a place.
    store.settle(_key("gone"), None, Outcome(Action.TERMINATE), RET, 1)
    assert (len(store), store.concluded) == (1, 1)
    store.settle(_key("a2"), None, Outcome(Action.TERMINATE), RET, 1)
    with pytest.raises(StoreFullError):
        store.settle(_key("a3"), None, Outcome(Action.TERMINATE), RET, 1)
    assert (len(store), store.concluded) == (0, 2)


def test_ending_concluded_sessions_over_and_over_keeps_no_garbage() -> None:
    store = MemoryStore(max_sessions=10)
    for n in range(10_000):
        _terminate(store, f"s{n}", 0)
        store.end_session(_key(f"s{n}").session)
    assert (len(store), store.concluded) == (0, 0)
    assert len(store._conclusions) <= 64  # compacted, not one entry per termination


def test_senders_are_capped_and_the_least_recently_active_goes() -> None:
    store = MemoryStore(max_senders=3)
    for n, sender in enumerate(("visitor", "agent1", "agent2")):
        store.begin(_key(sender=sender), _event(n), None, RET, n)
    store.begin(_key(sender="visitor"), _event(3), None, RET, 3)  # agent1 is now the idlest
    store.begin(_key(sender="rotated"), _event(4), None, RET, 4)  # evicts agent1
    session = store._sessions[_key().session]
    assert sorted(sender for _, sender in session.senders) == ["agent2", "rotated", "visitor"]
    assert len(store.begin(_key(sender="visitor"), _event(5), None, RET, 5).history.times) == 2
    # A sender that comes back after its eviction starts a fresh window.
    assert len(store.begin(_key(sender="agent1"), _event(6), None, RET, 6).history.times) == 0


def test_rotating_sender_ids_cannot_grow_a_session() -> None:
    store = MemoryStore()
    for n in range(1_000):
        store.begin(_key(sender=f"id{n}"), _event(n), None, RET, n)
    assert len(store._sessions[_key().session].senders) == store.max_senders == 32


def test_long_ids_are_kept_as_digests_and_still_tell_sessions_apart() -> None:
    store = MemoryStore()
    long_session, long_sender, long_tx = "s" * 10_000, "u" * 10_000, "t" * 10_000
    key = _key(long_session, sender=long_sender)
    store.begin(key, _event(0), long_tx, RET, 0)
    store.settle(key, long_tx, Outcome(Action.BLOCK, ("SG101",)), RET, 0)
    assert store.begin(key, _event(1), long_tx, RET, 1).replay == Outcome(Action.BLOCK, ("SG101",))
    assert store.begin(key, _event(2), long_tx + "x", RET, 2).strikes == 1
    ((held_key, session),) = store._sessions.items()
    assert isinstance(held_key, bytes)
    assert len(held_key) == 16
    assert all(len(sender) <= 128 for _, sender in session.senders)
    assert session.transactions is not None
    assert all(len(tx) <= 128 for tx in session.transactions)
    # Keys that differ only in where one long id ends and the next begins stay apart.
    split = SenderKey(SessionKey("t", "i" + "s" * 200, "x"), Role.END_USER, "u")
    joined = SenderKey(SessionKey("t", "i", "s" * 200 + "x"), Role.END_USER, "u")
    store.begin(split, _event(3), None, RET, 3)
    assert store.begin(joined, _event(4), None, RET, 4).history.events() == ()


def test_memory_plateaus_under_a_flood_of_new_sessions() -> None:
    store = MemoryStore(max_sessions=1_000)

    def flood(first: int) -> None:
        for n in range(first, first + 5_000):
            store.begin(_key(f"flood{n}", sender=f"u{n}"), _event(n, n), f"tx{n}", RET, n / 1000)

    tracemalloc.start()  # before the store fills: what it frees must have been traced
    try:
        flood(0)  # fills the store and reaches its steady state
        before = tracemalloc.get_traced_memory()[0]
        flood(5_000)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(store) == 1_000
    # 5,000 more sessions through a full store: each replaced one evicted, so the memory
    # stays put. 1,000 sessions hold about 1 MB; growing by a tenth of that would be a leak.
    assert grown < 100_000, grown


def test_rejects_nonsense_capacity() -> None:
    with pytest.raises(ValueError, match="max_sessions"):
        MemoryStore(max_sessions=0)
    with pytest.raises(ValueError, match="max_senders"):
        MemoryStore(max_senders=0)


def test_the_url_sets_the_bounds() -> None:
    store = store_from_url("memory://?max_sessions=7&max_senders=3")
    assert isinstance(store, MemoryStore)
    assert (store.max_sessions, store.max_senders) == (7, 3)
    default = store_from_url("memory://")
    assert isinstance(default, MemoryStore)
    assert (default.max_sessions, default.max_senders) == (100_000, 32)
    assert default.max_bytes == 1 << 30
    for bad in ("max_sessions=0", "max_senders=1.5", "max_sessions=1e5", "max_senders=-1"):
        with pytest.raises(ValueError, match="must be a whole number >= 1"):
            store_from_url(f"memory://?{bad}")


def test_without_sweeping_only_expire_drops_sessions() -> None:
    store = MemoryStore(sweep=False)
    store.begin(_key("a"), Event(0.0, 1, "x", 1), None, RET, 0.0)
    far = 10 * RET.idle_ttl_s
    store.begin(_key("b"), Event(far, 1, "x", 1), None, RET, far)  # no sweep: a stays
    assert len(store) == 2
    store.expire(RET.idle_ttl_s - 1)
    assert len(store) == 2
    store.expire(RET.idle_ttl_s)
    assert len(store) == 1


def test_sweeping_frees_expired_sessions_once_they_are_due() -> None:
    store = MemoryStore()
    for name in "abc":
        store.begin(_key(name), _event(0), None, RET, 0)
    store.begin(_key("d"), _event(RET.idle_ttl_s - 1), None, RET, RET.idle_ttl_s - 1)
    assert len(store) == 4  # nothing was due yet
    later = RET.idle_ttl_s + 1
    store.begin(_key("e"), _event(later), None, RET, later)
    assert len(store) == 2  # a, b and c expired; d has not


def test_texts_of_the_newest_posts_round_trip_and_older_ones_are_dropped() -> None:
    store = MemoryStore()
    texts = ["plain", "", "ünïcode ✓ \ud800", "with\0nul", "last"]
    for ts, text in enumerate(texts):
        store.begin(_key(), Event(ts, ts, text, 1), None, RET, ts)
    history = store.begin(_key(), _event(9), None, RET, 9).history
    # RET keeps 2 texts; NUL separates texts in the store, so it comes back as U+FFFD.
    assert list(history.keys) == ["with\ufffdnul", "last"]
    assert [history.key_of(index) for index in range(5)] == ["", "", "", "with\ufffdnul", "last"]
    empty_kept = Retention(60, 5, 3, 120, 3, 1000)
    for ts, text in enumerate(["a", "", ""]):
        store.begin(_key("z"), Event(ts, ts, text, 1), None, empty_kept, ts)
    assert list(store.begin(_key("z"), _event(9), None, empty_kept, 9).history.keys) == [
        "a",
        "",
        "",
    ]


def test_history_says_whether_times_are_ordered() -> None:
    store = MemoryStore()
    for ts in (10.0, 12.0, 11.0):  # a clock went back
        snapshot = store.begin(_key(), _event(ts), None, RET, ts)
    assert snapshot.history.ordered  # 10, 12: still in order
    history = store.begin(_key(), _event(13), None, RET, 13).history
    assert list(history.times) == [10.0, 12.0, 11.0]
    assert not history.ordered
    # Once the post out of order has left the window, the order is vouched for again.
    late = 12.0 + RET.window_s
    assert store.begin(_key(), _event(late), None, RET, late).history.ordered


# The byte budget. `bytes` is the store's own account; these tests hold it against
# tracemalloc's traced bytes and check that the budget holds under every kind of pressure.

BIG = "\U0001d400" * 256  # a kept text at its longest: 1,024 bytes of UTF-8


def _traced(build: Callable[[MemoryStore], None], store: MemoryStore) -> int:
    """The bytes `build` leaves allocated (traced from before the store's first session)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        build(store)
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def _ordinary(store: MemoryStore) -> None:
    for n in range(300):
        store.begin(_key(f"s{n}"), Event(1.0, n, "where is my order?", 18), f"tx{n}", RET, 1.0)


def _twenty_posts(store: MemoryStore) -> None:
    for post in range(20):
        for n in range(100):
            ts = float(post)
            store.begin(_key(f"s{n}"), Event(ts, post, f"reply {post}", 8), f"t{post}", RET, ts)


def _shrunk(store: MemoryStore) -> None:
    shipped = Retention(300, 40, 10, 1800, 3, 86400)
    for post in range(60):
        for n in range(50):
            store.begin(_key(f"s{n}"), Event(post, post, "a reply", 7), None, shipped, post)
    # Most posts leave the window: the arrays keep buffers up to twice what they hold.
    for n in range(50):
        store.begin(_key(f"s{n}"), Event(344, 1, "x", 1), None, shipped, 344)


def _struck(store: MemoryStore) -> None:
    for n in range(100):
        for post in range(4):
            key = _key(f"s{n}")
            store.begin(key, Event(post, post, "spam", 4), f"t{post}", RET, post)
            store.settle(key, f"t{post}", Outcome(Action.BLOCK, ("SG201",)), RET, post)


def _worst(store: MemoryStore) -> None:
    # Every cap of RET at once, with every id at its longest and widest.
    long_id = "\U0001d400" * 128
    for n in range(5):
        session = SessionKey(long_id, long_id, f"{n}{long_id}"[:128])
        for sender in range(store.max_senders):
            key = SenderKey(session, Role.AGENT, f"{sender}{long_id}"[:128])
            for post in range(RET.max_events):
                tx = f"{sender}.{post}{long_id}"[:128]
                store.begin(key, Event(post, post, BIG, 256), tx, RET, post)
                store.settle(key, tx, Outcome(Action.BLOCK, ("SG201",)), RET, post)


def _concluded(store: MemoryStore) -> None:
    for n in range(300):
        _terminate(store, f"x{n}", n)


def _digests(store: MemoryStore) -> None:
    for n in range(200):
        key = _key(f"s{n}" + "z" * 200, sender="q" * 300)
        store.begin(key, Event(1, n, "hello", 5), "t" * 300, RET, 1)


@pytest.mark.parametrize(
    ("build", "sweep"),
    [
        (_ordinary, True),
        (_ordinary, False),
        (_twenty_posts, True),
        (_shrunk, True),
        (_struck, True),
        (_worst, True),
        (_concluded, True),
        (_digests, True),
    ],
)
def test_the_account_is_at_least_the_traced_bytes_and_at_most_twice(
    build: Callable[[MemoryStore], None], sweep: bool
) -> None:
    store = MemoryStore(max_sessions=10_000, max_bytes=None, sweep=sweep)
    measured = _traced(build, store)
    assert measured <= store.bytes <= 2 * measured, (measured, store.bytes)


def _recount(store: MemoryStore) -> int:
    """The account rebuilt from the store's state, as the sum of what each part costs."""
    total = 0
    for key, session in store._sessions.items():
        size = store._session_bytes + memory._key_bytes(key)
        for who, sender in session.senders.items():
            size += memory._sender_bytes(who, sender)
        if session.transactions is not None:
            size += memory._TRANSACTIONS_BYTES
            for tx, recorded in session.transactions.items():
                size += memory._TRANSACTION_BYTES + memory._id_bytes(tx)
                size += memory._outcome_bytes(recorded)
        assert session.size == size, key
        total += size
    for key in store._concluded:
        total += memory._CONCLUDED_BYTES + memory._key_bytes(key)
    return total


def test_the_incremental_account_never_drifts_from_the_state() -> None:
    store = MemoryStore(max_sessions=20, max_senders=3, max_bytes=30_000)
    rng = random.Random(7)
    for step in range(3_000):
        now = step / 10
        key = _key(f"s{rng.randrange(40)}", sender=f"u{rng.randrange(5)}")
        tx = rng.choice((None, f"t{rng.randrange(8)}", "x" * rng.randrange(120, 140)))
        text = rng.choice(("", "hi", BIG, "\u00e9" * rng.randrange(50)))
        try:
            store.begin(
                key, Event(now - rng.random() * 30, rng.randrange(3), text, 1), tx, RET, now
            )
            roll = rng.random()
            if roll < 0.2:
                store.settle(key, tx, Outcome(Action.BLOCK, ("SG201",)), RET, now)
            elif roll < 0.23:
                store.settle(key, tx, Outcome(Action.TERMINATE, ("SG901",)), RET, now)
            elif roll < 0.26:
                store.end_session(key.session)
        except StoreFullError:
            pass
        assert store.bytes == _recount(store)
        assert store.bytes <= 30_000
    for held in list(store._sessions) + list(store._concluded):
        assert isinstance(held, SessionKey)
        store.end_session(held)
    assert store.bytes == 0


def _fat(store: MemoryStore, name: str, now: float, senders: int = 3) -> None:
    """A session of a few senders at RET's caps with the longest texts: about 10 KB."""
    for sender in range(senders):
        for post in range(RET.max_events):
            key = _key(name, Role.AGENT, f"a{sender}")
            store.begin(key, Event(now, post, BIG, 256), f"{sender}.{post}", RET, now)


def test_a_flood_of_big_sessions_stays_within_max_bytes_and_memory_plateaus() -> None:
    budget = 500_000
    store = MemoryStore(max_sessions=100_000, max_bytes=budget)
    most = 0

    def flood(first: int) -> None:
        nonlocal most
        for n in range(first, first + 150):
            _fat(store, f"f{n}", n / 100)
            most = max(most, store.bytes)

    gc.collect()
    tracemalloc.start()  # before the store fills: what it frees must have been traced
    try:
        flood(0)  # about 1.5 MB offered: the budget is reached within the first 50
        gc.collect()
        full = tracemalloc.get_traced_memory()[0]
        flood(150)
        gc.collect()
        later = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert most <= budget
    assert budget - 20_000 < store.bytes <= budget  # full, within one session of it
    assert len(store) <= 50  # the count cap (100,000) played no part
    assert full <= budget  # the account is conservative: the traced bytes are below it
    assert abs(later - full) < budget // 20, (full, later)  # a plateau, not a leak


def test_byte_pressure_evicts_the_least_recently_used_session() -> None:
    store = MemoryStore(max_bytes=None)  # measure one session first, then size the budget
    _fat(store, "probe", 0)
    one = store.bytes
    store = MemoryStore(max_bytes=3 * one + one // 2)
    for name in "abc":
        _fat(store, name, 0)
    store.begin(_key("a"), _event(1), None, RET, 1)  # a is now the most recent
    _fat(store, "d", 2)  # evicts b, the least recently used, and only b
    assert len(store) == 3
    for name in "acd":
        kept = store.begin(_key(name, Role.AGENT, "a0"), _event(3), None, RET, 3).history
        assert len(kept.times) == RET.max_events, name
    assert len(store.begin(_key("b", Role.AGENT, "a0"), _event(4), None, RET, 4).history.times) == 0


def test_a_post_never_evicts_its_own_session() -> None:
    store = MemoryStore(max_bytes=20_000)
    store.begin(_key("small"), _event(0), None, RET, 0)
    _fat(store, "huge", 1, senders=10)  # some 30 KB alone: more than the budget
    # Every other session went; the one posted to keeps all it was sent.
    assert len(store) == 1
    assert store.bytes > 20_000
    snapshot = store.begin(_key("huge", Role.AGENT, "a9"), _event(1), None, RET, 1)
    assert len(snapshot.history.times) == RET.max_events
    # The next new session evicts it to make room: the budget holds again.
    store.begin(_key("next"), _event(2), None, RET, 2)
    assert len(store) == 1
    assert store.bytes <= 20_000


def test_byte_pressure_never_frees_a_conclusion_before_its_ttl() -> None:
    store = MemoryStore(max_bytes=60_000)
    _terminate(store, "spammer", 0)
    for n in range(30):
        _fat(store, f"new{n}", 1)
        assert store.bytes <= 60_000
    assert store.concluded == 1
    assert store.begin(_key("spammer"), _event(2), None, RET, 2).concluded
    late = RET.concluded_ttl_s
    _fat(store, "late", late)
    assert not store.begin(_key("spammer"), _event(late), None, RET, late).concluded


def test_a_byte_budget_full_of_conclusions_refuses_new_sessions() -> None:
    store = MemoryStore(max_sessions=100_000, max_bytes=10_000)
    terminated = 0
    while store.concluded == terminated and terminated < 1_000:
        try:
            _terminate(store, f"spammer{terminated}", 0)
        except StoreFullError as refused:
            message = str(refused)
            break
        terminated += 1
    else:
        pytest.fail("a flood of terminations was never refused")
    assert f"memory store full: {store.concluded} terminated engagements" in message
    assert "max_bytes=10,000" in message
    assert "raise max_bytes or lower concluded_ttl_s" in message
    assert store.concluded == terminated
    assert 10 < terminated < 100
    assert store.bytes <= 10_000
    # The held conclusions keep working; after the first TTL new sessions are admitted.
    assert store.begin(_key("spammer3"), _event(5), None, RET, 5).concluded
    after = RET.concluded_ttl_s
    assert store.begin(_key("visitor"), _event(after), None, RET, after).history.events() == ()


def test_max_bytes_is_validated() -> None:
    assert MemoryStore().max_bytes == DEFAULT_MAX_BYTES == 1 << 30
    assert MemoryStore(max_bytes=None).max_bytes is None
    for bad in (0, -1, True):
        with pytest.raises(ValueError, match="max_bytes must be a whole number >= 1"):
            MemoryStore(max_bytes=bad)
    assert cast(MemoryStore, store_from_url("memory://?max_bytes=268435456")).max_bytes == 1 << 28
    for raw in ("1e9", "0", "-1", "1.5", "", "1_000"):
        with pytest.raises(
            ValueError, match=rf"max_bytes must be a whole number >= 1, got '{raw}'"
        ):
            store_from_url(f"memory://?max_bytes={raw}")
