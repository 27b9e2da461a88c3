"""Engagements in memory: what a verdict adds to the stream, and when engagements go."""

from __future__ import annotations

import asyncio

from spamguard import Action, Verdict
from spamguard.server.engagements import (
    DISCONNECTED,
    EntryKind,
    MemoryEngagements,
    Sender,
    carry_out,
)


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
