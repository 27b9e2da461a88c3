"""Shared fixtures: engines from YAML overlays, a fake clock, a real Redis, hypothesis."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, settings

from spamguard import Engine, Message, load_rules_text
from spamguard.stores import MemoryStore, RedisStore, SessionStore
from tests.redis_server import RedisCluster, RedisServer, require_redis_server

# Hypothesis profiles, chosen by HYPOTHESIS_PROFILE (docs/fuzzing.md):
# - `ci` (the default) keeps the suite quick and stable: derandomised (the same examples on
#   every run, and no example database, which derandomize implies), no deadline, as
#   shared CI machines stall.
# - `release` digs deeper before a release: a fresh random search of 5,000 examples per
#   test, failures kept in .hypothesis/ and replayed first on the next run, and printed
#   with the @reproduce_failure blob that replays them anywhere.
# Both tolerate slow data generation: big tricky texts are slow to build by design.
_SLOW_DATA = [HealthCheck.too_slow]
settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=_SLOW_DATA,
)
settings.register_profile(
    "release",
    max_examples=5_000,
    deadline=None,
    print_blob=True,
    suppress_health_check=_SLOW_DATA,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@dataclass
class FakeClock:
    """Time that only moves when a test says so."""

    now: float = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


EngineFactory = Callable[..., Engine]


@pytest.fixture
def make_engine(clock: FakeClock) -> EngineFactory:
    """Build an engine from a YAML overlay on the shipped rules, on the fake clock."""

    def build(overlay: str = "", *, store: SessionStore | None = None) -> Engine:
        text = "version: 1\n" + overlay
        # Explicit, so a SPAMGUARD_STORE_URL in the environment never changes a test.
        return Engine(
            load_rules_text(text), store=store if store is not None else MemoryStore(), clock=clock
        )

    return build


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One real redis-server for the session, on a free loopback port."""
    server = RedisServer(require_redis_server())
    server.start()
    yield server
    server.close()


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[RedisCluster]:
    """A real three-node Redis Cluster for the session, on loopback."""
    cluster = RedisCluster(require_redis_server())
    cluster.start()
    yield cluster
    cluster.close()


_namespaces = itertools.count()


@pytest.fixture
def redis_store(redis_server: RedisServer) -> Iterator[RedisStore]:
    """A Redis store in a namespace of its own, so tests never see each other's keys."""
    store = RedisStore(redis_server.url, namespace=f"test{next(_namespaces)}")
    yield store
    store.close()


@pytest.fixture
def redis_cluster_store(redis_cluster: RedisCluster) -> Iterator[RedisStore]:
    """A store on the cluster, in a namespace of its own."""
    store = RedisStore(redis_cluster.url, namespace=f"test{next(_namespaces)}")
    yield store
    store.close()


def post(
    engine: Engine, clock: FakeClock, text: str, *, after: float = 0.0, **fields: object
) -> str:
    """Advance the clock, check one post, return its action's value."""
    clock.advance(after)
    fields.setdefault("session", "s1")
    return engine.check(Message(text=text, **fields)).action.value  # type: ignore[arg-type]
