"""Same traffic, same verdicts: engines on the in-memory and Redis stores never disagree.

`tests/stores/test_contract.py` holds both stores to one contract call by call. This
module checks the promise that matters to users, end to end through the engine: a
hypothesis state machine drives two engines (same rules, same fake clock, one on each
store) with the same random traffic (repeats, near-duplicates, links, long text, emoji
floods, several sessions, senders, roles and tenants, client retries, clock jumps and
ended sessions) and requires identical verdicts at every step. A scripted scenario shows
that the rules used here really block, escalate, terminate and let a concluded engagement
expire, so the equivalence is not between two streams of "allow".
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from dataclasses import replace
from typing import ClassVar

import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from spamguard import Action, Engine, Message, Role, Verdict, load_rules_text
from spamguard.stores import MemoryStore, RedisStore, SessionStore
from tests.conftest import FakeClock
from tests.redis_server import RedisServer

# Small thresholds, so that blocks, strikes, terminations, duplicates and the expiry of a
# concluded engagement all happen within a few dozen steps. The "lax" tenant has a policy
# of its own with no strikes and no near-duplicate texts kept (its retention keeps no
# strikes and no texts), and a shorter conclusion. Strikes decay after 45 s, before the
# 60 s that posts (and so an idle session) last: a strike can decay in a live session.
OVERLAY = """\
defaults:
  strikes: {max_blocks: 1, window_s: 45}
  session: {concluded_ttl_s: 120, max_transactions: 3}
  length: {max_chars: 200, extreme_chars: 5000}
  urls: {max_urls: 1, extreme_urls: 6}
  duplicates:
    window_s: 60
    max_repeats: 1
    max_near_repeats: 2
    extreme_repeats: 4
    compare_last: 3
  emoji: {max_emoji: 5, extreme_emoji: 40}
  burst:
    windows:
      - {seconds: 10, max_messages: 3, extreme_messages: 6, max_chars: 400}
      - {seconds: 60, max_messages: 6}
tenants:
  lax:
    strikes: {enabled: false}
    session: {concluded_ttl_s: 30, max_transactions: 2}
    duplicates: {compare_last: 0}
"""
RULES = load_rules_text("version: 1\n" + OVERLAY)

ORDER = "hello, I need help with my order"
LINK = "details at https://example.com/help"
TWO_LINKS = "see https://example.com/deal and https://spam.example.net/win"
# Near-duplicates of one another (similarity 86 to 98 percent, around the 90 of the
# rules), each with its own fingerprint.
ORDERS = (
    ORDER,
    "hello, I need help with my orders",
    "Hello!! I need help with my order",
    "hello, I need help with my order please",
    "hello I need help with my order",
)
# Non-ASCII near-duplicates with a lone surrogate: texts must round-trip through Redis.
NAIVE = ("naïve café déjà vu, anyone? \ud83d", "naïve café déjà vu, anyone?? \ud83d")
TEXTS = (
    *ORDERS,
    ORDER,  # drawn twice as often: exact repeats
    *NAIVE,
    "ok",  # too short to ever be a duplicate
    LINK,
    TWO_LINKS,  # too many links: block
    "lorem ipsum dolor " * 14,  # too long: block; fills the burst character budget
    "wow " + "🎉" * 8 + " party time",  # too many emoji: block
    "🎉" * 50,  # emoji flood: terminate at once
    "Earn $500 a day from home, message me on WhatsApp now",
)
# What a run of posts by one sender is drawn from: anything, or variations on one theme
# (so that near-duplicates pile up within the compared posts).
THEMES = (TEXTS, (*ORDERS, "ok"), (*NAIVE, "ok"))
# (tenant, session): two sessions of the default tenant, and one of the "lax" tenant that
# has the same session id but must never share its state.
WHERE = (("default", "s1"), ("default", "s2"), ("lax", "s1"))
SENDERS = ("alice", "bob")
ROLES = (Role.END_USER, Role.END_USER, Role.AGENT, Role.AGENT, Role.SYSTEM)
# More ids than `max_transactions`, so recorded outcomes are also forgotten.
TRANSACTIONS = ("t1", "t2", "t3", "t4")
# Small steps between posts: the same instant, and well within the shortest window.
TICKS = (0.0, 0.5, 3.0)
# Clock jumps that land exactly on window, strike, conclusion and idle boundaries.
BOUNDARIES = (10.0, 30.0, 45.0, 60.0, 120.0)
# Beyond every window, strike window, conclusion and idle TTL of both policies.
LONG_JUMP = 4000.0

_namespaces = itertools.count()


def _redis_store(url: str) -> RedisStore:
    # A generous timeout: a slow call on a busy machine must not turn into SG009 and pass
    # for a divergence. A namespace per example: no example sees another's keys.
    return RedisStore(
        url, timeout_s=5.0, cooldown_s=0.0, namespace=f"equiv{os.getpid()}-{next(_namespaces)}"
    )


def _same(memory: Verdict, redis: Verdict, step: str) -> None:
    """Everything a caller can see of the two verdicts must be equal."""
    assert redis.action == memory.action, step
    assert redis.codes == memory.codes, step
    assert redis.reasons == memory.reasons, step  # observed values and limits too
    assert redis.to_dict() == memory.to_dict(), step
    assert redis.log == memory.log, step


class StoreEquivalence(RuleBasedStateMachine):
    """Two engines, one on each store, fed the same posts at the same (fake) times.

    Time never goes backwards here: the stores only promise identical answers for a clock
    that does not decrease. With a clock that jumps back, state that one store has
    already dropped (the in-memory store sweeps expired sessions and conclusions
    eagerly) could still be live in the other, and neither answer would be wrong.
    """

    redis_url: ClassVar[str | None] = None
    # Across every example of a run: what the verdicts were, to show they were not all
    # "allow" (hypothesis cannot assert that of a single example).
    seen: ClassVar[Counter[str]] = Counter()

    def __init__(self) -> None:
        super().__init__()
        assert self.redis_url is not None, "set StoreEquivalence.redis_url first"
        self.clock = FakeClock()
        self.redis_store = _redis_store(self.redis_url)
        self.memory = Engine(RULES, store=MemoryStore(), clock=self.clock)
        self.redis = Engine(RULES, store=self.redis_store, clock=self.clock)
        self.last: Message | None = None
        self.actions: dict[str, Counter[str]] = {"memory": Counter(), "redis": Counter()}
        self.steps: list[str] = []
        # Instants where something a post left behind stops counting, by kind: one of its
        # windows ends, its strike decays, its conclusion or its session expires. Landing
        # exactly on them checks that both stores draw every boundary on the same side.
        self.edges: dict[str, list[float]] = {}

    def _check(self, message: Message, what: str) -> None:
        memory = self.memory.check(message)
        redis = self.redis.check(message)
        self.actions["memory"][memory.action.value] += 1
        self.actions["redis"][redis.action.value] += 1
        self.steps.append(
            f"t+{self.clock.now - FakeClock.now:g} {what} {message.tenant}/{message.session} "
            f"{message.role.value}/{message.sender} tx={message.transaction_id} "
            f"{message.text[:24]!r} -> memory {memory.action.value} {memory.codes}, "
            f"redis {redis.action.value} {redis.codes}"
        )
        _same(memory, redis, "\n".join(self.steps))
        self._note_edges(message, memory)
        event(f"action: {memory.action.value}")
        self.seen[memory.action.value] += 1
        for code in memory.codes:
            self.seen[code] += 1

    @rule(
        text=st.sampled_from(TEXTS),
        where=st.sampled_from(WHERE),
        role=st.sampled_from(ROLES),
        sender=st.sampled_from(SENDERS),
        transaction=st.none() | st.sampled_from(TRANSACTIONS),
        after=st.sampled_from(TICKS),
    )
    def post(
        self,
        text: str,
        where: tuple[str, str],
        role: Role,
        sender: str,
        transaction: str | None,
        after: float,
    ) -> None:
        """Anyone posts anything, anywhere."""
        self._advance(after)
        tenant, session = where
        message = Message(
            text, session, tenant=tenant, role=role, sender=sender, transaction_id=transaction
        )
        self.last = message
        self._check(message, "post")

    @precondition(lambda self: self.last is not None)
    @rule(
        text=st.sampled_from(TEXTS),
        transaction=st.none() | st.sampled_from(TRANSACTIONS),
        after=st.sampled_from(TICKS),
    )
    def post_again(self, text: str, transaction: str | None, after: float) -> None:
        """The previous sender posts again: bursts, repeats and strikes build up."""
        assert self.last is not None
        self._advance(after)
        message = replace(self.last, text=text, transaction_id=transaction)
        self.last = message
        self._check(message, "again")

    @precondition(lambda self: self.last is not None)
    @rule(
        texts=st.sampled_from(THEMES).flatmap(
            lambda theme: st.lists(st.sampled_from(theme), min_size=2, max_size=8)
        ),
        gap=st.sampled_from((0.0, 0.5, 3.0, 11.0)),
    )
    def run(self, texts: list[str], gap: float) -> None:
        """The previous sender posts a run: floods, repeats, windows full to their cap."""
        assert self.last is not None
        for text in texts:
            self._advance(gap)
            self.last = replace(self.last, text=text, transaction_id=None)
            self._check(self.last, "run")

    @precondition(lambda self: self.last is not None)
    @rule(after=st.sampled_from(TICKS))
    def retry(self, after: float) -> None:
        """The client sends the previous message again, with the same transaction id.

        A message without one is simply posted twice.
        """
        assert self.last is not None
        self._advance(after)
        self._check(self.last, "retry")

    @rule(
        seconds=st.sampled_from(TICKS)
        | st.floats(min_value=30, max_value=90)
        | st.sampled_from(BOUNDARIES)
        | st.just(LONG_JUMP)
    )
    def wait(self, seconds: float) -> None:
        """Time passes: a little, a minute or so, exactly a window, or longer than all."""
        self._advance(seconds)

    def _future_edges(self) -> dict[str, list[float]]:
        now = self.clock.now
        future = {kind: sorted(t for t in edges if t > now) for kind, edges in self.edges.items()}
        return {kind: edges for kind, edges in sorted(future.items()) if edges}

    @precondition(lambda self: bool(self._future_edges()))
    @rule(data=st.data())
    def to_edge(self, data: st.DataObject) -> None:
        """Time passes to exactly where a window, strike, conclusion or session ends."""
        # The kind first: the rare strike and conclusion edges are drawn as often as the
        # window edges every post leaves.
        future = self._future_edges()
        kind = data.draw(st.sampled_from(sorted(future)), label="kind")
        edge = data.draw(st.sampled_from(future[kind]), label="edge")
        self.steps.append(f"advance to the {kind} edge t+{edge - FakeClock.now!r}")
        self.clock.now = edge

    def _note_edges(self, message: Message, verdict: Verdict) -> None:
        if message.role is Role.SYSTEM or verdict.codes[:1] in (("SG004",), ("SG005",)):
            return  # nothing was recorded
        policy = self.memory.policy_for(message.tenant, message.interface)
        rules, now = policy.rules, self.clock.now
        spans = {
            "window": [window.seconds for window in rules.burst.windows]
            + [rules.duplicates.window_s],
            "idle": [policy.retention.idle_ttl_s],
        }
        if verdict.action is Action.BLOCK:
            spans["strike"] = [rules.strikes.window_s]
        elif verdict.action is Action.TERMINATE:
            spans["conclusion"] = [rules.session.concluded_ttl_s]
        for kind, offsets in spans.items():
            # Only the latest few of each kind, so that each is likely to be drawn.
            kept = self.edges.setdefault(kind, [])
            kept[:] = [*kept[-6:], *(now + offset for offset in offsets)]

    def _advance(self, seconds: float) -> None:
        if seconds:
            self.clock.advance(seconds)
            self.steps.append(f"advance {seconds!r}")

    @rule(where=st.sampled_from(WHERE))
    def end_session(self, where: tuple[str, str]) -> None:
        tenant, session = where
        self.memory.end_session(tenant, "default", session)
        self.redis.end_session(tenant, "default", session)
        self.steps.append(f"end_session {tenant}/{session}")

    @invariant()
    def same_action_counts(self) -> None:
        assert self.actions["memory"] == self.actions["redis"]

    def teardown(self) -> None:
        self.redis_store.close()


def test_memory_and_redis_stores_give_identical_verdicts(redis_server: RedisServer) -> None:
    StoreEquivalence.redis_url = redis_server.url
    StoreEquivalence.seen.clear()
    # The profile's examples (150 in ci, about 4 s here), each a run of 50 steps.
    run_state_machine_as_test(
        StoreEquivalence, settings=settings(settings.default, stateful_step_count=50)
    )
    seen = StoreEquivalence.seen
    # Not a comparison of two streams of "allow": every kind of verdict came up, for
    # repeats, links, length, emoji, bursts, retries, escalation and conclusions.
    for label in ("allow", "block", "terminate"):
        assert seen[label] > 0, seen
    for code in ("SG101", "SG201", "SG301", "SG401", "SG403", "SG601", "SG004", "SG005", "SG901"):
        assert seen[code] > 0, (code, seen)


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> SessionStore:
    if request.param == "memory":
        return MemoryStore()
    redis_store: RedisStore = request.getfixturevalue("redis_store")
    return redis_store


def test_scripted_block_strike_terminate_conclude_expire(
    store: SessionStore, clock: FakeClock
) -> None:
    """The whole ladder, with the exact verdicts, on each store.

    Block, strike, retry, escalation to terminate, the concluded engagement, its expiry,
    and a strike that decays while its session lives on.
    """
    engine = Engine(RULES, store=store, clock=clock)
    results: list[tuple[str, tuple[str, ...]]] = []

    def send(after: float, text: str, **fields: object) -> None:
        clock.advance(after)
        fields.setdefault("session", "s1")
        fields.setdefault("sender", "alice")
        verdict = engine.check(Message(text=text, **fields))  # type: ignore[arg-type]
        results.append((verdict.action.value, verdict.codes))

    send(0, LINK, transaction_id="t1")
    send(20, LINK, transaction_id="t2")  # a repeat: blocked, the first strike
    send(1, LINK, transaction_id="t2")  # its retry: the recorded verdict, no new strike
    send(20, ORDER)
    send(1, TWO_LINKS)  # the second block within the strike window terminates
    send(1, "ok")  # the engagement is concluded for everyone in it
    send(0, ORDER, role=Role.AGENT, sender="bob")
    send(0, LINK, transaction_id="t1")  # even a retry of an allowed post
    send(118.5, "ok")  # 0.5 s before the conclusion expires
    send(0.5, LINK, transaction_id="t2")  # exactly at expiry: a fresh engagement
    send(20, LINK)  # a repeat: blocked, but the strikes were forgotten too
    send(0, "ok", session="s2")  # another session was never affected
    assert results == [
        ("allow", ()),
        ("block", ("SG301",)),
        ("block", ("SG004", "SG301")),
        ("allow", ()),
        ("terminate", ("SG201", "SG901")),
        ("terminate", ("SG005",)),
        ("terminate", ("SG005",)),
        ("terminate", ("SG005",)),
        ("terminate", ("SG005",)),
        ("allow", ()),
        ("block", ("SG301",)),
        ("allow", ()),
    ]
    # Ending the session forgets the strike of the block just above.
    engine.end_session("default", "default", "s1")
    send(1, TWO_LINKS)
    send(45, TWO_LINKS)  # still a repeat, but its strike decayed exactly now
    send(1, TWO_LINKS)  # the second block within 45 s terminates
    send(LONG_JUMP, TWO_LINKS)  # long after: neither conclusion nor strike nor repeat
    assert results[-4:] == [
        ("block", ("SG201",)),
        ("block", ("SG201", "SG301")),
        ("terminate", ("SG201", "SG301", "SG901")),
        ("block", ("SG201",)),
    ]
