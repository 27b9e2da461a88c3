"""`spamguard bench`: how fast a rule set checks messages on this machine, step by step.

The messages are the synthetic mix of `spamguard.synth` (ordinary conversations, pastes,
non-Latin scripts, emoji, links and every spam kind), in time order. Per-step times come
from ``Engine(timings=True)``; throughput is measured again with timings off, so the
stopwatch's own cost is not in it.
"""

from __future__ import annotations

import gc
import platform
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from itertools import islice
from typing import Any

from spamguard.config import Rules
from spamguard.engine import Engine
from spamguard.message import Message
from spamguard.stores.memory import MemoryStore
from spamguard.synth import message_of, synthesize

__all__ = ["BenchResult", "StepStats", "bench", "mix", "session_memory"]

WARMUP_MESSAGES = 500
MEMORY_SESSIONS = 1_000
MEMORY_POSTS = 20  # the "20-message window"
_SPAM_SHARE = 0.2


@dataclass(frozen=True, slots=True)
class StepStats:
    """Latency of one step over the run, in microseconds."""

    step: str
    count: int
    mean: float
    p50: float
    p95: float
    p99: float
    max: float


@dataclass(frozen=True, slots=True)
class BenchResult:
    """What `bench` measured."""

    messages: int
    seed: int
    rules: str
    python: str
    steps: tuple[StepStats, ...]
    messages_per_second: float
    session_bytes: float

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` form."""
        return asdict(self)


def mix(messages: int, seed: int) -> list[Message]:
    """The first `messages` posts of a synthetic corpus, as timed messages."""
    # Every session posts at least once, so `messages` sessions always hold enough; the
    # generator is lazy and only plays out the sessions that start before the last post.
    return [message_of(line) for line in islice(synthesize(messages, _SPAM_SHARE, seed), messages)]


def bench(
    rules: Rules, *, messages: int = 20_000, seed: int = 1, memory_sessions: int | None = None
) -> BenchResult:
    """Measure a rule set: per-step latency, throughput on one core, memory per session.

    Args:
        rules: The rules to measure.
        messages: How many messages of the synthetic mix to check.
        seed: The mix's seed.
        memory_sessions: Sessions filled to measure memory (default `MEMORY_SESSIONS`).
    """
    posts = mix(messages, seed)
    _warm_up(rules, posts)
    steps = _step_latencies(rules, posts)
    return BenchResult(
        messages=len(posts),
        seed=seed,
        rules=rules.source,
        python=platform.python_version(),
        steps=steps,
        messages_per_second=_throughput(rules, posts),
        session_bytes=session_memory(rules, posts, memory_sessions or MEMORY_SESSIONS),
    )


def _warm_up(rules: Rules, posts: Sequence[Message]) -> None:
    engine = Engine(rules, store=MemoryStore())
    for message in posts[:WARMUP_MESSAGES]:
        engine.check(message)


def _step_latencies(rules: Rules, posts: Sequence[Message]) -> tuple[StepStats, ...]:
    engine = Engine(rules, store=MemoryStore(), timings=True)
    samples: dict[str, list[float]] = {}
    for message in posts:
        timings = engine.check(message).timings or {}
        for step, us in timings.items():
            samples.setdefault(step, []).append(us)
    order = ["total", *(step for step in samples if step != "total")]
    return tuple(_stats(step, samples[step]) for step in order if step in samples)


def _stats(step: str, values: list[float]) -> StepStats:
    ordered = sorted(values)
    count = len(ordered)

    def at(share: float) -> float:
        return ordered[min(count - 1, int(share * count))]

    return StepStats(
        step=step,
        count=count,
        mean=round(sum(ordered) / count, 2),
        p50=at(0.50),
        p95=at(0.95),
        p99=at(0.99),
        max=ordered[-1],
    )


def _throughput(rules: Rules, posts: Sequence[Message]) -> float:
    engine = Engine(rules, store=MemoryStore())
    started = time.perf_counter()
    for message in posts:
        engine.check(message)
    elapsed = time.perf_counter() - started
    return len(posts) / elapsed if elapsed > 0 else 0.0


def session_memory(rules: Rules, posts: Sequence[Message], sessions: int) -> float:
    """Bytes the in-memory store holds per idle session after `MEMORY_POSTS` posts each.

    Every session gets the same number of ordinary posts (texts taken from the mix, so
    their sizes are realistic), then the store's growth is measured with tracemalloc.
    """
    texts = [m.text for m in posts if len(m.text) < 400] or ["where is my order?"]
    Engine(rules, store=MemoryStore()).check(Message(text=texts[0], session="warm"))
    engine = Engine(rules, store=MemoryStore(max_sessions=sessions * 2))
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for session in range(sessions):
            for post in range(MEMORY_POSTS):
                text = f"{texts[(session * MEMORY_POSTS + post) % len(texts)]} {post}"
                message = Message(text=text, session=f"m{session}", ts=post * 5.0)
                engine.check(message)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return (after - before) / sessions
