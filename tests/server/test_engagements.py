"""Engagements: what a verdict adds to the stream, when engagements go, stream bounds."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable

import pytest
import redis

from spamguard import Action, Verdict
from spamguard.server.engagements import (
    DISCONNECTED,
    Engagements,
    EntryKind,
    MemoryEngagements,
    Recorded,
    Sender,
    carry_out,
)
from spamguard.server.redis_engagements import RedisEngagements
from tests.redis_server import RedisServer


def test_each_verdict_adds_what_the_seed_says() -> None:
    allow = carry_out(Verdict(Action.ALLOW), Sender.END_USER, "hello")
    assert allow.entries == ((EntryKind.MESSAGE, Sender.END_USER, "hello"),)
    assert not allow.concludes
    block = carry_out(Verdict(Action.BLOCK, notice="not delivered"), Sender.AGENT, "spam")
    assert block.entries == ((EntryKind.SYSTEM, Sender.SYSTEM, "not delivered"),)
    assert not block.concludes
    ended = carry_out(Verdict(Action.TERMINATE, notice="ended"), Sender.END_USER, "spam")
    assert [body for _, _, body in ended.entries] == ["ended", DISCONNECTED]
    assert ended.concludes


def test_engagements_are_forgotten_after_their_ttl() -> None:
    now = [1_000.0]
    engagements = MemoryEngagements(ttl_s=60, clock=lambda: now[0])

    async def scenario() -> None:
        idle = await engagements.open("site", "pool")
        busy = await engagements.open("site", "pool")
        ended = await engagements.open("site", "pool")
        await engagements.record(ended, carry_out(Verdict(Action.TERMINATE), Sender.END_USER, "x"))
        for _ in range(3):
            now[0] += 30
            assert await engagements.get(busy.session_id) is not None  # each call renews
        assert await engagements.get(idle.session_id) is None  # 90 s without a call
        assert await engagements.get(ended.session_id) is None  # 90 s after its conclusion
        concluded = await engagements.open("site", "pool")
        await engagements.record(
            concluded, carry_out(Verdict(Action.TERMINATE), Sender.END_USER, "x")
        )
        now[0] += 59
        kept = await engagements.get(concluded.session_id)
        assert kept is not None
        assert kept.concluded
        assert await engagements.count() == 2

    asyncio.run(scenario())


def test_beyond_the_cap_the_least_recently_used_engagement_goes() -> None:
    engagements = MemoryEngagements(ttl_s=600, max_engagements=2)

    async def scenario() -> None:
        first = await engagements.open("site", "pool")
        second = await engagements.open("site", "pool")
        assert await engagements.get(first.session_id) is not None  # first is now recent
        await engagements.open("site", "pool")
        assert await engagements.count() == 2
        assert await engagements.get(second.session_id) is None
        assert await engagements.get(first.session_id) is not None

    asyncio.run(scenario())


@pytest.fixture(params=["memory", "redis"])
def make_engagements(
    request: pytest.FixtureRequest,
) -> Callable[[int], Engagements]:
    """Engagement registries keeping `max_stream_entries` entries, in memory or in Redis
    (a test closes a Redis registry in its own event loop)."""

    def make(max_stream_entries: int) -> Engagements:
        if request.param == "memory":
            return MemoryEngagements(ttl_s=600, max_stream_entries=max_stream_entries)
        server: RedisServer = request.getfixturevalue("redis_server")
        return RedisEngagements(
            server.url,
            ttl_s=600,
            namespace=f"streams{next(_namespaces)}",
            max_stream_entries=max_stream_entries,
        )

    return make


_namespaces = itertools.count()


def test_a_stream_keeps_its_newest_entries_and_reads_come_in_pages(
    make_engagements: Callable[[int], Engagements],
) -> None:
    engagements = make_engagements(5)

    async def scenario() -> None:
        engagement = await engagements.open("site", "pool")
        for n in range(1, 9):
            posting = carry_out(Verdict(Action.ALLOW), Sender.END_USER, f"post {n}")
            assert await engagements.record(engagement, posting) is Recorded.RECORDED
        entries, last = await engagements.read(engagement, 0, 100)
        assert last == 8
        assert [(e.seq, e.body) for e in entries] == [(n, f"post {n}") for n in range(4, 9)]
        page, last = await engagements.read(engagement, 4, 2)
        assert ([e.seq for e in page], last) == ([5, 6], 8)
        rest, _ = await engagements.read(engagement, 6, 2)
        assert [e.seq for e in rest] == [7, 8]
        after, last = await engagements.read(engagement, 8, 2)
        assert (after, last) == ([], 8)
        beyond, _ = await engagements.read(engagement, 50, 2)
        assert beyond == []
        if isinstance(engagements, RedisEngagements):
            await engagements.close()

    asyncio.run(scenario())


def test_a_redis_stream_written_before_positions_were_kept_reads_on(
    redis_server: RedisServer,
) -> None:
    registry = RedisEngagements(redis_server.url, ttl_s=600, namespace="olderstreams")

    async def scenario() -> None:
        engagement = await registry.open("site", "pool")
        _, stream = registry._keys(engagement.session_id)
        raw = redis.Redis.from_url(redis_server.url)
        for n in (1, 2, 3):  # as the previous release appended them: no position field
            raw.rpush(stream, json.dumps(["MESSAGE", "END_USER", f"old {n}", 1.0]))
        raw.close()
        entries, last = await registry.read(engagement, 0, 10)
        assert ([(e.seq, e.body) for e in entries], last) == (
            [(1, "old 1"), (2, "old 2"), (3, "old 3")],
            3,
        )
        posting = carry_out(Verdict(Action.ALLOW), Sender.END_USER, "new")
        assert await registry.record(engagement, posting) is Recorded.RECORDED
        entries, last = await registry.read(engagement, 3, 10)
        assert ([(e.seq, e.body) for e in entries], last) == ([(4, "new")], 4)
        await registry.close()

    asyncio.run(scenario())
