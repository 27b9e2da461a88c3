"""Latency of the Redis session store on loopback, next to a bare ``PING`` round trip.

A module-scoped fixture starts a real ``redis-server`` (``tests/redis_server.py``; the
module is skipped with the reason when there is none). Every benchmark times one call
per round, each round on the next message of the mix, as ``test_latency.py`` does:

- ``test_redis_ping``: a redis-py ``PING`` round trip, the floor of any store call;
- ``test_redis_check``: ``Engine.check`` with a `RedisStore`;
- ``test_memory_check``: the same stream with a `MemoryStore`, for comparison;
- ``test_redis_begin``: `RedisStore.begin` alone, on precomputed arguments.

`LatencyReport` has one baseline per run (``test_baseline`` of ``test_latency.py``), so the
ratio of each figure to ``PING`` of this run goes into ``extra_info`` here:
``ratio_to_ping`` (p50 / PING p50) and ``p99_ratio_to_ping``. They need
``test_redis_ping``, which runs first.

Run with ``python -m pytest benchmarks --benchmark-only`` from the repository root (the
root must be importable for ``tests.redis_server``; see benchmarks/README.md).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from measure import WARMUP_ROUNDS, ErrorCounter, measure, p50_by_kind
from messages import Mix
from pytest_benchmark.fixture import BenchmarkFixture

from spamguard import Action, Engine, Message, load_rules
from spamguard.message import SenderKey
from spamguard.policy import CompiledPolicy, compile_policy
from spamguard.stores import MemoryStore, RedisStore, SessionStore
from spamguard.stores.base import Event, Retention
from spamguard.text import analyse
from tests.redis_server import RedisServer, require_redis_server

if TYPE_CHECKING:  # the fixture comes from conftest.py, which pytest loads itself
    from conftest import LatencyReport, Row

TIMEOUT_S = 1.0
"""The stores' command timeout. Production's 0.1 s would turn a stall of this noisy
benchmark machine into the engine's fail-open path (SG009), whose figures mean nothing;
a stall shows in p99 instead, and any SG009 fails the benchmark."""

POLICY: CompiledPolicy = compile_policy(load_rules().defaults)

_namespaces = itertools.count()

StoreArgs = tuple[SenderKey, Event, str | None, Retention, float]
"""The arguments of one `begin` call."""


def _namespace(name: str) -> str:
    """A fresh key prefix: no benchmark sees the keys of another."""
    return f"bench-{name}-{next(_namespaces)}"


@dataclass(slots=True)
class _Ping:
    """The ``PING`` row of this run, once ``test_redis_ping`` has recorded it."""

    row: Row | None = None


def _record(
    benchmark: BenchmarkFixture, latency: LatencyReport, ping: _Ping, *, is_ping: bool = False
) -> None:
    """Record p50/p99 with `LatencyReport`, then the ratios to this run's ``PING``."""
    row = latency.record(benchmark)
    if row is None:  # --benchmark-disable
        return
    if is_ping:
        ping.row = row
    elif ping.row is not None:
        benchmark.extra_info["ratio_to_ping"] = round(row.p50_us / ping.row.p50_us, 2)
        benchmark.extra_info["p99_ratio_to_ping"] = round(row.p99_us / ping.row.p99_us, 2)
        benchmark.extra_info["ping_p50_us"] = round(ping.row.p50_us, 3)


# ------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    """One real redis-server for this module, on a free loopback port."""
    server = RedisServer(require_redis_server())
    server.start()
    yield server
    server.close()


@pytest.fixture(scope="module")
def ping() -> _Ping:
    """Where ``test_redis_ping`` leaves its row for the benchmarks after it."""
    return _Ping()


@pytest.fixture(scope="module")
def begin_args(stream: list[Message]) -> list[StoreArgs]:
    """The arguments of `begin` for every message of the stream, as the engine builds them."""
    result = []
    for message in stream:
        assert message.ts is not None
        features = analyse(message.text, POLICY.limits)
        event = Event(message.ts, features.fingerprint, features.key, features.chars)
        result.append(
            (message.sender_key, event, message.transaction_id, POLICY.retention, message.ts)
        )
    return result


# ------------------------------------------------------------------------ benchmarks


def test_redis_ping(
    benchmark: BenchmarkFixture,
    redis_server: RedisServer,
    latency: LatencyReport,
    ping: _Ping,
) -> None:
    """A bare ``PING`` round trip with redis-py's synchronous client: the floor."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=redis_server.port)
    try:
        measure(benchmark, client.ping)
    finally:
        client.close()
    _record(benchmark, latency, ping, is_ping=True)


def _check_stream(
    benchmark: BenchmarkFixture,
    store: SessionStore,
    stream: list[Message],
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, int]:
    """Time `Engine.check` over the stream; fail if any check took a fail-open path.

    Returns how many verdicts of each action the stream produced (warm-up included).
    """
    spamguard_logger = logging.getLogger("spamguard")
    monkeypatch.setattr(spamguard_logger, "propagate", False)
    failures = ErrorCounter()
    spamguard_logger.addHandler(failures)
    engine = Engine(store=store)
    actions = dict.fromkeys(Action, 0)
    store_errors = 0
    messages = iter(stream)

    def check_next() -> None:
        nonlocal store_errors
        verdict = engine.check(next(messages))
        actions[verdict.action] += 1
        if "SG009" in verdict.codes:  # the store failed: logged at WARNING, not ERROR
            store_errors += 1

    try:
        measure(benchmark, check_next)
    finally:
        spamguard_logger.removeHandler(failures)
    assert failures.count == 0, f"the engine logged {failures.count} errors"
    assert store_errors == 0, f"{store_errors} checks met a store failure (SG009)"
    return {action.value: n for action, n in actions.items()}


def test_redis_check(
    benchmark: BenchmarkFixture,
    redis_server: RedisServer,
    mix: Mix,
    stream: list[Message],
    latency: LatencyReport,
    ping: _Ping,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`Engine.check` end to end with the Redis store: one ``EVALSHA`` per allowed post,
    two for blocked and terminated ones."""
    store = RedisStore(redis_server.url, namespace=_namespace("check"), timeout_s=TIMEOUT_S)
    try:
        actions = _check_stream(benchmark, store, stream, monkeypatch)
    finally:
        store.close()
    _record(benchmark, latency, ping)
    p50_by_kind(benchmark, mix, WARMUP_ROUNDS)
    benchmark.extra_info["actions"] = actions


def test_memory_check(
    benchmark: BenchmarkFixture,
    mix: Mix,
    stream: list[Message],
    latency: LatencyReport,
    ping: _Ping,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same stream with the in-memory store: what the Redis store adds is the
    difference."""
    actions = _check_stream(benchmark, MemoryStore(), stream, monkeypatch)
    _record(benchmark, latency, ping)
    p50_by_kind(benchmark, mix, WARMUP_ROUNDS)
    benchmark.extra_info["actions"] = actions


def test_redis_begin(
    benchmark: BenchmarkFixture,
    redis_server: RedisServer,
    begin_args: list[StoreArgs],
    latency: LatencyReport,
    ping: _Ping,
) -> None:
    """`RedisStore.begin` alone: key and argument building, the script's round trip and
    the decoding of its reply. Nothing is settled, so windows fill up to ``max_events``."""
    store = RedisStore(redis_server.url, namespace=_namespace("begin"), timeout_s=TIMEOUT_S)
    calls = iter(begin_args)

    def begin_next() -> None:
        store.begin(*next(calls))

    try:
        measure(benchmark, begin_next)
    finally:
        store.close()
    _record(benchmark, latency, ping)
