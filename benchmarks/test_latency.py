"""First latency figures: `Engine.check`, `analyse` and each detector on a realistic mix.

Every benchmark times one call per round over ``ROUNDS`` rounds, each round taking the
next message of the mix, so the raw timings are a per-message latency distribution
(p50/p99 in ``extra_info``). A trivial function over the same messages, measured in the
same run, is the baseline: it shows what the harness itself costs per round.

Run with ``python -m pytest benchmarks --benchmark-only`` (see benchmarks/README.md).
"""

from __future__ import annotations

import itertools
import logging
from typing import TYPE_CHECKING

import pytest
from measure import WARMUP_ROUNDS, ErrorCounter, measure, p50_by_kind
from messages import Mix
from pytest_benchmark.fixture import BenchmarkFixture

from spamguard import Action, Engine, Message, load_rules
from spamguard.detectors import Context
from spamguard.policy import CompiledPolicy, compile_policy
from spamguard.stores import MemoryStore
from spamguard.stores.base import Event
from spamguard.text import analyse

if TYPE_CHECKING:  # the fixture comes from conftest.py, which pytest loads itself
    from conftest import LatencyReport


POLICY: CompiledPolicy = compile_policy(load_rules().defaults)
DETECTORS = {detector.name: detector for detector, _ in POLICY.detectors}


@pytest.fixture(scope="module")
def contexts(mix: Mix) -> list[Context]:
    """The detector input of every message of one cycle, as the engine would build it.

    The store is only ever asked to ``begin`` (nothing is settled), so no session is
    concluded and every message gets a context with its sender's earlier posts.
    """
    store = MemoryStore()
    result = []
    for message in mix.messages:
        assert message.ts is not None
        features = analyse(message.text, POLICY.limits)
        event = Event(message.ts, features.fingerprint, features.key, features.chars)
        snapshot = store.begin(
            message.sender_key, event, message.transaction_id, POLICY.retention, message.ts
        )
        result.append(Context(features, snapshot.history, message.ts))
    return result


def test_baseline(
    benchmark: BenchmarkFixture, stream: list[Message], latency: LatencyReport
) -> None:
    """A trivial per-message function: the harness cost every other figure includes."""
    chars: dict[str, int] = {}
    messages = iter(stream)

    def trivial() -> None:
        message = next(messages)
        chars[message.session] = chars.get(message.session, 0) + len(message.text)

    measure(benchmark, trivial)
    latency.record(benchmark, baseline=True)


def test_check(
    benchmark: BenchmarkFixture,
    mix: Mix,
    stream: list[Message],
    latency: LatencyReport,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`Engine.check` end to end with the shipped rules and a fresh in-memory store.

    Block and terminate verdicts are logged at WARNING; the records are still created,
    but kept from pytest's log capture, whose cost (and the memory of the records it
    retains) is the test runner's, not spamguard's.
    """
    spamguard_logger = logging.getLogger("spamguard")
    monkeypatch.setattr(spamguard_logger, "propagate", False)
    failures = ErrorCounter()
    spamguard_logger.addHandler(failures)
    engine = Engine()
    actions = dict.fromkeys(Action, 0)  # verdicts are counted, not kept: no GC build-up
    messages = iter(stream)

    def check_next() -> None:
        actions[engine.check(next(messages)).action] += 1

    try:
        measure(benchmark, check_next)
    finally:
        spamguard_logger.removeHandler(failures)
    # Figures of the fail-open path (analysis or a detector raised) would mean nothing.
    assert failures.count == 0, f"the engine logged {failures.count} errors"
    latency.record(benchmark)
    if kinds := p50_by_kind(benchmark, mix, WARMUP_ROUNDS):
        latency.by_kind[benchmark.name] = kinds
    # Warm-up rounds included: the share of each action over the whole stream.
    benchmark.extra_info["actions"] = {action.value: n for action, n in actions.items()}


def test_analyse(benchmark: BenchmarkFixture, mix: Mix, latency: LatencyReport) -> None:
    """`analyse` alone, with the shipped limits."""
    texts = itertools.cycle([message.text for message in mix.messages])
    limits = POLICY.limits

    def analyse_next() -> None:
        analyse(next(texts), limits)

    measure(benchmark, analyse_next)
    latency.record(benchmark)
    p50_by_kind(benchmark, mix, WARMUP_ROUNDS)


@pytest.mark.parametrize("name", list(DETECTORS))
def test_detector(
    benchmark: BenchmarkFixture, name: str, contexts: list[Context], latency: LatencyReport
) -> None:
    """One detector's `assess` alone, on precomputed contexts."""
    detector = DETECTORS[name]
    cycle = itertools.cycle(contexts)

    def assess_next() -> None:
        detector.assess(next(cycle))

    measure(benchmark, assess_next)
    latency.record(benchmark)
