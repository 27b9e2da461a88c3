"""One contract, every store: the in-memory and Redis stores must answer alike.

Each test runs once per store. What only one store can do (LRU capacity, key TTLs,
failures of a network) is tested in that store's own module.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest

from spamguard.message import Role, SenderKey, SessionKey
from spamguard.stores import Event, MemoryStore, Outcome, RedisStore, Retention, SessionStore
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


@pytest.fixture(params=["memory", "redis", "redis-cluster"])
def store(request: pytest.FixtureRequest) -> SessionStore:
    if request.param == "memory":
        return MemoryStore()
    fixture = {"redis": "redis_store", "redis-cluster": "redis_cluster_store"}[request.param]
    redis_store: RedisStore = request.getfixturevalue(fixture)
    return redis_store


async def _aclose(store: SessionStore) -> None:
    """Close a store's asyncio connections inside the loop that opened them."""
    if isinstance(store, RedisStore):
        await store.aclose()


def _key(session: str = "s", role: Role = Role.END_USER, sender: str = "u") -> SenderKey:
    return SenderKey(SessionKey("t", "i", session), role, sender)


def _event(ts: float, n: int = 0) -> Event:
    return Event(ts, n, f"text {n}", 6)


def test_window_returns_earlier_events_and_appends(store: SessionStore) -> None:
    assert store.begin(_key(), _event(0, 1), None, RET, 0).history.events() == ()
    snap = store.begin(_key(), _event(1.25, 2), None, RET, 1.25)
    assert snap.history.events() == (Event(0, 1, "text 1", 6),)
    assert snap.strikes == 0
    assert not snap.concluded


def test_window_trims_by_time_and_by_count(store: SessionStore) -> None:
    for i in range(8):
        store.begin(_key(), _event(i, i), None, RET, i)
    window = store.begin(_key(), _event(8), None, RET, 8).history.events()
    assert [e.fingerprint for e in window] == [3, 4, 5, 6, 7]
    late = store.begin(_key(), _event(100), None, RET, 100)
    assert late.history.events() == ()  # everything older than 60 s is gone


def test_only_the_newest_posts_keep_their_text(store: SessionStore) -> None:
    for i in range(4):
        store.begin(_key(), _event(i, i), None, RET, i)
    window = store.begin(_key(), _event(4, 4), None, RET, 4).history.events()
    assert [e.key for e in window] == ["", "", "text 2", "text 3"]
    assert [e.fingerprint for e in window] == [0, 1, 2, 3]


def test_times_and_fingerprints_round_trip_exactly(store: SessionStore) -> None:
    odd = Event(1_700_000_000.123456789, 2**64 - 1, "ünïcode ✓ \ud800", 10**6)
    store.begin(_key(), odd, None, RET, odd.ts)
    assert store.begin(_key(), _event(odd.ts + 1), None, RET, odd.ts + 1).history.events() == (odd,)


def test_a_nul_in_a_text_comes_back_as_the_replacement_character(store: SessionStore) -> None:
    store.begin(_key(), Event(1.0, 1, "a\0b", 3), None, RET, 1.0)
    assert list(store.begin(_key(), _event(2.0), None, RET, 2.0).history.keys) == ["a\ufffdb"]


def test_senders_and_roles_have_separate_windows(store: SessionStore) -> None:
    store.begin(_key(sender="a"), _event(0), None, RET, 0)
    store.begin(_key(role=Role.AGENT, sender="a"), _event(0), None, RET, 0)
    assert len(store.begin(_key(sender="a"), _event(1), None, RET, 1).history.events()) == 1
    assert len(store.begin(_key(sender="b"), _event(1), None, RET, 1).history.events()) == 0


def test_senders_beyond_the_cap_evict_the_least_recently_active(store: SessionStore) -> None:
    assert isinstance(store, MemoryStore | RedisStore)
    cap = store.max_senders
    assert cap == 32
    for n in range(cap):
        store.begin(_key(sender=f"s{n}"), _event(n, n), None, RET, n)
    store.settle(_key(sender="s1"), None, Outcome(Action.BLOCK), RET, 1)
    store.begin(_key(sender="s0"), _event(cap, 100), None, RET, cap)  # s1 is now the idlest
    store.begin(_key(sender="new"), _event(cap + 1), None, RET, cap + 1)  # evicts s1
    now = cap + 2
    assert len(store.begin(_key(sender="s0"), _event(now), None, RET, now).history.events()) == 2
    assert len(store.begin(_key(sender="s2"), _event(now), None, RET, now).history.events()) == 1
    # s1 comes back as a new sender: no posts, no strikes (and it evicts s3 in turn).
    back = store.begin(_key(sender="s1"), _event(now), None, RET, now)
    assert (back.history.events(), back.strikes) == ((), 0)
    assert store.begin(_key(sender="s3"), _event(now), None, RET, now).history.events() == ()


def test_a_strike_settled_after_its_sender_was_evicted_is_not_kept(store: SessionStore) -> None:
    """Concurrent checks: a sender evicted by the cap between its begin and its settle."""
    assert isinstance(store, MemoryStore | RedisStore)
    cap = store.max_senders
    store.begin(_key(sender="gone"), _event(0), None, RET, 0)
    for n in range(cap):  # the cap's worth of newer senders: "gone" is evicted
        store.begin(_key(sender=f"s{n}"), _event(n + 1, n), None, RET, n + 1)
    store.settle(_key(sender="gone"), None, Outcome(Action.BLOCK), RET, cap + 1)
    back = store.begin(_key(sender="gone"), _event(cap + 2), None, RET, cap + 2)
    assert (back.history.events(), back.strikes) == ((), 0)


def test_tenants_interfaces_and_awkward_ids_never_share_state(store: SessionStore) -> None:
    keys = [
        SenderKey(SessionKey("t", "i", "s"), Role.END_USER, "u"),
        SenderKey(SessionKey("t", "i/s", ""), Role.END_USER, "u"),
        SenderKey(SessionKey("t/i", "s", ""), Role.END_USER, "u"),
        SenderKey(SessionKey("t", "i", "{s}"), Role.END_USER, "u"),
        SenderKey(SessionKey("t", "i", "s%2F"), Role.END_USER, "u"),
        SenderKey(SessionKey("t", "i", "x" * 5000), Role.END_USER, "u"),
        SenderKey(SessionKey("t", "i", "x" * 5001), Role.END_USER, "u"),
    ]
    for key in keys:
        assert store.begin(key, _event(0), None, RET, 0).history.events() == (), key


def test_strikes_count_decay_and_are_capped(store: SessionStore) -> None:
    store.begin(_key(), _event(0), None, RET, 0)
    store.settle(_key(), None, Outcome(Action.BLOCK, ("SG101",)), RET, 0)
    store.settle(_key(), None, Outcome(Action.BLOCK, ("SG101",)), RET, 50)
    assert store.begin(_key(), _event(60), None, RET, 60).strikes == 2
    assert store.begin(_key(), _event(121), None, RET, 121).strikes == 1
    for n in range(10):
        store.settle(_key(), None, Outcome(Action.BLOCK), RET, 122 + n)
    assert store.begin(_key(), _event(140), None, RET, 140).strikes == RET.max_strikes


def test_transactions_replay_and_are_bounded(store: SessionStore) -> None:
    store.begin(_key(), _event(0), "t1", RET, 0)
    store.settle(_key(), "t1", Outcome(Action.BLOCK, ("SG301", "SG901")), RET, 0)
    replay = store.begin(_key(), _event(1), "t1", RET, 1)
    assert replay.replay == Outcome(Action.BLOCK, ("SG301", "SG901"))
    assert replay.history.events() == ()
    store.begin(_key(), _event(2), "allowed", RET, 2)
    assert store.begin(_key(), _event(3), "allowed", RET, 3).replay == Outcome(Action.ALLOW)
    for n in range(4, 8):
        store.begin(_key(), _event(n), f"t{n}", RET, n)
    assert store.begin(_key(), _event(9), "t1", RET, 9).replay is None  # only 3 kept
    # A replayed post is not appended: the window holds the posts, not the retries.
    assert len(store.begin(_key(), _event(10), None, RET, 10).history.events()) == 5


def test_a_known_transaction_id_with_another_text_is_a_new_post(store: SessionStore) -> None:
    # Else a spammer could reuse the id of an allowed post and get its "allow" replayed.
    store.begin(_key(), _event(0, 1), "t1", RET, 0)  # allowed (provisional)
    other = store.begin(_key(), _event(1, 2), "t1", RET, 1)
    assert other.replay is None
    assert [e.fingerprint for e in other.history.events()] == [1]  # judged with history
    store.settle(_key(), "t1", Outcome(Action.BLOCK, ("SG201",)), RET, 1)
    # The id now stands for the second post: its retry replays the block...
    assert store.begin(_key(), _event(2, 2), "t1", RET, 2).replay == Outcome(
        Action.BLOCK, ("SG201",)
    )
    # ...and the first text under it is a new post again; both were appended.
    again = store.begin(_key(), _event(3, 1), "t1", RET, 3)
    assert again.replay is None
    assert [e.fingerprint for e in again.history.events()] == [1, 2]
    # Reusing an id keeps its place: the cap of 3 forgets it after 3 newer ids.
    for n in range(3):
        store.begin(_key(), _event(4 + n, 10 + n), f"new{n}", RET, 4 + n)
    assert store.begin(_key(), _event(8, 1), "t1", RET, 8).replay is None


def test_terminate_concludes_the_engagement_until_its_ttl(store: SessionStore) -> None:
    store.begin(_key(), _event(0), "t1", RET, 0)
    store.settle(_key(), "t1", Outcome(Action.TERMINATE, ("SG103",)), RET, 0)
    assert store.begin(_key(sender="other"), _event(5), None, RET, 5).concluded
    assert store.begin(_key(), _event(6), "t1", RET, 6).concluded
    after = store.begin(_key(), _event(1001), "t1", RET, 1001)
    assert not after.concluded
    assert after.history.events() == ()
    assert after.replay is None


def test_idle_sessions_expire_on_the_callers_clock(store: SessionStore) -> None:
    store.begin(_key(), _event(0, 7), "t1", RET, 0)
    store.settle(_key(), "t1", Outcome(Action.BLOCK), RET, 0)
    fresh = store.begin(_key(), _event(500), "t1", RET, 500)
    assert fresh.replay is None
    assert fresh.history.events() == ()
    assert fresh.strikes == 0


def test_end_session_forgets_everything(store: SessionStore) -> None:
    store.begin(_key(), _event(0), "t1", RET, 0)
    store.begin(_key(sender="v"), _event(0), None, RET, 0)
    store.settle(_key(), None, Outcome(Action.TERMINATE), RET, 0)
    store.end_session(_key().session)
    fresh = store.begin(_key(), _event(1), "t1", RET, 1)
    assert not fresh.concluded
    assert fresh.replay is None
    assert store.begin(_key(sender="v"), _event(2), None, RET, 2).history.events() == ()


def test_a_window_needing_no_posts_keeps_none(store: SessionStore) -> None:
    stateless = Retention(
        window_s=0,
        max_events=0,
        keys_needed=0,
        strike_window_s=10,
        max_strikes=0,
        concluded_ttl_s=10,
    )
    store.begin(_key(), _event(0), None, stateless, 0)
    store.settle(_key(), None, Outcome(Action.BLOCK), stateless, 0)
    snap = store.begin(_key(), _event(0), None, stateless, 0)
    assert snap.history.events() == ()
    assert snap.strikes == 0


def test_asyncio_twins_share_the_state(store: SessionStore) -> None:
    async def scenario() -> tuple[int, int, bool]:
        await store.abegin(_key(), _event(0), "t1", RET, 0)
        store.begin(_key(), _event(1), None, RET, 1)
        await store.asettle(_key(), "t1", Outcome(Action.BLOCK), RET, 1)
        snap = await store.abegin(_key(), _event(2), None, RET, 2)
        again = await store.abegin(_key(), _event(3), "t1", RET, 3)
        await _aclose(store)
        return len(snap.history.events()), snap.strikes, again.replay is not None

    assert asyncio.run(scenario()) == (2, 1, True)


BIG = Retention(
    window_s=1e9,
    max_events=100_000,
    keys_needed=0,
    strike_window_s=1e9,
    max_strikes=100_000,
    concluded_ttl_s=1,
)


def _hammer_threads(store: SessionStore, per_thread: int, threads: int) -> None:
    def hammer(worker: int) -> None:
        for n in range(per_thread):
            store.begin(_key(), _event(n, worker), None, BIG, float(n))
            store.settle(_key(), None, Outcome(Action.BLOCK), BIG, float(n))

    pool = [threading.Thread(target=hammer, args=(w,)) for w in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()


def _hammer_tasks(store: SessionStore, per_task: int, tasks: int) -> None:
    async def hammer(worker: int) -> None:
        for n in range(per_task):
            await store.abegin(_key(), _event(n, worker), None, BIG, float(n))
            await store.asettle(_key(), None, Outcome(Action.BLOCK), BIG, float(n))

    async def run() -> None:
        await asyncio.gather(*(hammer(w) for w in range(tasks)))
        await _aclose(store)

    asyncio.run(run())


@pytest.mark.parametrize("hammer", [_hammer_threads, _hammer_tasks])
def test_concurrent_callers_lose_no_updates(
    store: SessionStore, hammer: Callable[[SessionStore, int, int], None]
) -> None:
    per_worker, workers = 200, 8
    hammer(store, per_worker, workers)
    last = store.begin(_key(), _event(per_worker), None, BIG, float(per_worker))
    assert len(last.history.events()) == per_worker * workers
    assert last.strikes == per_worker * workers
