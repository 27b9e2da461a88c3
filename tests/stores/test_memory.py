"""What only the in-memory store does: LRU capacity, expiry without sweeping. The rest is in
test_contract.py."""

from __future__ import annotations

import pytest

from spamguard.message import Role, SenderKey, SessionKey
from spamguard.stores import Event, MemoryStore, Outcome, Retention
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


def test_concluded_sessions_survive_a_flood_of_new_sessions() -> None:
    store = MemoryStore(max_sessions=10)
    store.begin(_key("spammer"), _event(0), None, RET, 0)
    store.settle(_key("spammer"), None, Outcome(Action.TERMINATE), RET, 0)
    for n in range(100):
        store.begin(_key(f"new{n}"), _event(1), None, RET, 1)
    assert len(store) == 10
    assert store.begin(_key("spammer"), _event(2), None, RET, 2).concluded


def test_rejects_nonsense_capacity() -> None:
    with pytest.raises(ValueError, match="max_sessions"):
        MemoryStore(max_sessions=0)


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
