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
