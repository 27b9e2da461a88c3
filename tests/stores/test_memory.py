"""The in-memory store: windows, strikes, transactions, TTL, LRU, conclusion, threads."""

from __future__ import annotations

import threading

import pytest

from spamguard.message import Role, SenderKey, SessionKey
from spamguard.stores import Event, MemoryStore, Outcome, Retention
from spamguard.verdict import Action

RET = Retention(
    window_s=60, max_events=5, strike_window_s=120, concluded_ttl_s=1000, max_transactions=3
)


def _key(session: str = "s", role: Role = Role.END_USER, sender: str = "u") -> SenderKey:
    return SenderKey(SessionKey("t", "i", session), role, sender)


def _event(ts: float, n: int = 0) -> Event:
    return Event(ts, n, f"text {n}", 6)


def test_window_returns_earlier_events_and_appends() -> None:
    store = MemoryStore()
    assert store.begin(_key(), _event(0, 1), None, RET, 0).events == ()
    snap = store.begin(_key(), _event(1, 2), None, RET, 1)
    assert [e.fingerprint for e in snap.events] == [1]


def test_window_trims_by_time_and_by_count() -> None:
    store = MemoryStore()
    for i in range(8):
        store.begin(_key(), _event(i, i), None, RET, i)
    assert [e.fingerprint for e in store.begin(_key(), _event(8), None, RET, 8).events] == [
        3,
        4,
        5,
        6,
        7,
    ]
    late = store.begin(_key(), _event(100), None, RET, 100)
    assert [e.ts for e in late.events] == []  # everything older than 60 s is gone


def test_senders_and_roles_have_separate_windows() -> None:
    store = MemoryStore()
    store.begin(_key(sender="a"), _event(0), None, RET, 0)
    store.begin(_key(role=Role.AGENT, sender="a"), _event(0), None, RET, 0)
    assert len(store.begin(_key(sender="a"), _event(1), None, RET, 1).events) == 1
    assert len(store.begin(_key(sender="b"), _event(1), None, RET, 1).events) == 0


def test_strikes_count_and_decay() -> None:
    store = MemoryStore()
    store.begin(_key(), _event(0), None, RET, 0)
    store.settle(_key(), None, Outcome(Action.BLOCK, ("SG101",)), RET, 0)
    store.settle(_key(), None, Outcome(Action.BLOCK, ("SG101",)), RET, 50)
    assert store.begin(_key(), _event(60), None, RET, 60).strikes == 2
    assert store.begin(_key(), _event(121), None, RET, 121).strikes == 1


def test_transactions_replay_and_are_bounded() -> None:
    store = MemoryStore()
    store.begin(_key(), _event(0), "t1", RET, 0)
    store.settle(_key(), "t1", Outcome(Action.BLOCK, ("SG301",)), RET, 0)
    replay = store.begin(_key(), _event(1), "t1", RET, 1)
    assert replay.replay == Outcome(Action.BLOCK, ("SG301",))
    assert replay.events == ()
    for n in range(2, 6):
        store.begin(_key(), _event(n), f"t{n}", RET, n)
    assert store.begin(_key(), _event(9), "t1", RET, 9).replay is None  # forgotten: only 3 kept


def test_terminate_concludes_until_ttl() -> None:
    store = MemoryStore()
    store.begin(_key(), _event(0), None, RET, 0)
    store.settle(_key(), None, Outcome(Action.TERMINATE, ("SG103",)), RET, 0)
    assert store.begin(_key(sender="other"), _event(5), None, RET, 5).concluded
    assert not store.begin(_key(), _event(1001), None, RET, 1001).concluded


def test_idle_sessions_expire() -> None:
    store = MemoryStore()
    store.begin(_key(), _event(0, 7), None, RET, 0)
    store.settle(_key(), None, Outcome(Action.BLOCK), RET, 0)
    fresh = store.begin(_key(), _event(500), None, RET, 500)
    assert fresh.events == ()
    assert fresh.strikes == 0


def test_lru_eviction_bounds_sessions() -> None:
    store = MemoryStore(max_sessions=3)
    for name in "abc":
        store.begin(_key(name), _event(0), None, RET, 0)
    store.begin(_key("a"), _event(1), None, RET, 1)  # a is now the most recent
    store.begin(_key("d"), _event(2), None, RET, 2)  # evicts b
    assert len(store) == 3
    assert len(store.begin(_key("a"), _event(3), None, RET, 3).events) == 2
    assert store.begin(_key("b"), _event(3), None, RET, 3).events == ()


def test_concluded_sessions_survive_a_flood_of_new_sessions() -> None:
    store = MemoryStore(max_sessions=10)
    store.begin(_key("spammer"), _event(0), None, RET, 0)
    store.settle(_key("spammer"), None, Outcome(Action.TERMINATE), RET, 0)
    for n in range(100):
        store.begin(_key(f"new{n}"), _event(1), None, RET, 1)
    assert len(store) == 10
    assert store.begin(_key("spammer"), _event(2), None, RET, 2).concluded


def test_end_session_forgets_everything() -> None:
    store = MemoryStore()
    store.begin(_key(), _event(0), None, RET, 0)
    store.settle(_key(), None, Outcome(Action.TERMINATE), RET, 0)
    store.end_session(_key().session)
    assert not store.begin(_key(), _event(1), None, RET, 1).concluded


def test_rejects_nonsense_capacity() -> None:
    with pytest.raises(ValueError, match="max_sessions"):
        MemoryStore(max_sessions=0)


def test_threads_lose_no_updates() -> None:
    store = MemoryStore()
    big = Retention(window_s=1e9, max_events=100_000, strike_window_s=1e9, concluded_ttl_s=1)
    per_thread, threads = 500, 8

    def hammer(worker: int) -> None:
        for n in range(per_thread):
            store.begin(_key(), _event(n, worker), None, big, float(n))
            store.settle(_key(), None, Outcome(Action.BLOCK), big, float(n))

    pool = [threading.Thread(target=hammer, args=(w,)) for w in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    last = store.begin(_key(), _event(per_thread), None, big, float(per_thread))
    assert len(last.events) == per_thread * threads
    assert last.strikes == per_thread * threads
