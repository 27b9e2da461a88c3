"""The fuzz harnesses stay runnable and sharp: seeds, generated inputs, planted bugs.

CI runs the harnesses under atheris for a bounded time (.ci/run); these tests run their
one-input functions over every seed and a few hundred generated inputs in the ordinary
suite, with our provider and, when installed, atheris's, so they cannot rot. The planted
bugs prove that each invariant can fail.
"""

from __future__ import annotations

import math
import random
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spamguard import Action, Engine, MemoryStore, Message, RulesError, Verdict
from spamguard.message import MAX_TS
from spamguard.stores.base import Outcome
from tests.fuzz import fuzz_rules
from tests.fuzz.fuzz_check import check_one_input
from tests.fuzz.fuzz_rules import check_rules_bytes
from tests.fuzz.provider import BytesProvider, ProviderFactory, available_providers
from tests.redis_server import RedisServer

HERE = Path(__file__).parent
CHECK_SEEDS = sorted((HERE / "corpus_check").iterdir())
RULES_SEEDS = sorted((HERE / "corpus_rules").iterdir())
PROVIDERS = available_providers()
# A few hundred inputs in the `ci` profile, more under `release`.
MANY = settings(max_examples=max(300, settings().max_examples))


def _name(path: Path) -> str:
    return path.name


def test_the_seed_corpora_are_there() -> None:
    assert len(CHECK_SEEDS) >= 5
    assert len(RULES_SEEDS) >= 8
    assert (HERE / "corpus_rules" / "shipped.yaml").read_text("utf-8").startswith("#")


def _check_cases() -> list[object]:
    cases: list[object] = []
    for seed in CHECK_SEEDS:
        for provider in PROVIDERS:
            cases.append(pytest.param(seed, provider, id=f"{seed.name}-{provider.__name__}"))
    return cases


@pytest.mark.parametrize(("seed", "provider"), _check_cases())
def test_check_harness_holds_on_every_seed(seed: Path, provider: ProviderFactory) -> None:
    check_one_input(seed.read_bytes(), provider)


@pytest.mark.parametrize(("seed", "provider"), _check_cases())
def test_check_harness_holds_on_every_seed_over_redis(
    seed: Path, provider: ProviderFactory, redis_server: RedisServer
) -> None:
    check_one_input(seed.read_bytes(), provider, redis_server.url)


@settings(max_examples=max(50, settings().max_examples // 5))
@given(data=st.binary(max_size=600))
def test_check_harness_holds_on_generated_inputs_over_redis(
    data: bytes, redis_server: RedisServer
) -> None:
    for provider in PROVIDERS:
        check_one_input(data, provider, redis_server.url)


@pytest.mark.parametrize(
    "ts",
    [
        1.7e9,
        -5.0,
        9.9e10,  # the largest accepted: float spacing there is far below any window
        1e17,  # refused: with a 60 s TTL, ts + ttl == ts from about here
        1e22,
        1e300,
    ],
)
def test_a_termination_holds_at_every_accepted_time(ts: float) -> None:
    """A fuzzer's finding: at times where ts + ttl == ts a termination was forgotten at
    once. Such times are refused by `Message` now; every accepted one holds."""
    if abs(ts) >= MAX_TS:
        with pytest.raises(ValueError, match="milliseconds"):
            Message("x" * 60_000, session="s", ts=ts)
        return
    engine = Engine(store=MemoryStore())
    first = Message("x" * 60_000, session="s", ts=ts)
    assert engine.check(first).action is Action.TERMINATE
    assert engine.check(Message("hello", session="s", ts=ts)).action is Action.TERMINATE


@pytest.mark.parametrize("seed", RULES_SEEDS, ids=_name)
def test_rules_harness_holds_on_every_seed(seed: Path, tmp_path: Path) -> None:
    check_rules_bytes(seed.read_bytes(), tmp_path / "rules.yaml")


@MANY
@given(st.binary(max_size=600))
def test_check_harness_holds_on_generated_inputs(data: bytes) -> None:
    for provider in PROVIDERS:
        check_one_input(data, provider)


def _spliced(seed: bytes, at: int, piece: str) -> bytes:
    at = at % (len(seed) + 1)
    return seed[:at] + piece.encode("utf-8", "surrogatepass") + seed[at:]


# Mostly YAML-shaped: raw bytes alone would rarely get past the UTF-8 check.
rules_bytes = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.builds(
        _spliced,
        st.sampled_from([seed.read_bytes() for seed in RULES_SEEDS]),
        st.integers(min_value=0),
        st.text(max_size=20),
    ),
)


@MANY
@given(data=rules_bytes)
def test_rules_harness_holds_on_generated_inputs(
    data: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    check_rules_bytes(data, tmp_path_factory.mktemp("rules") / "rules.yaml")


# -- the provider -------------------------------------------------------------------------


@given(st.binary(max_size=64), st.integers(-(2**40), 2**40), st.integers(0, 2**40))
def test_our_provider_keeps_ints_in_range(data: bytes, low: int, span: int) -> None:
    provider = BytesProvider(data)
    for _ in range(4):
        assert low <= provider.ConsumeIntInRange(low, low + span) <= low + span


@given(st.binary(max_size=256), st.integers(0, 64))
def test_our_provider_returns_at_most_count_characters(data: bytes, count: int) -> None:
    provider = BytesProvider(data)
    for _ in range(3):
        assert len(provider.ConsumeUnicode(count)) <= count
    assert provider.remaining_bytes() >= 0


def test_our_provider_reaches_the_hostile_values() -> None:
    """Surrogates, astral characters and non-finite floats are all within its reach."""
    rng = random.Random(7)
    texts, floats = [], []
    for _ in range(2000):
        provider = BytesProvider(rng.randbytes(64))
        texts.append(provider.ConsumeUnicode(16))
        floats.append(provider.ConsumeFloat())
    joined = "".join(texts)
    assert any(0xD800 <= ord(c) <= 0xDFFF for c in joined)
    assert any(ord(c) > 0xFFFF for c in joined)
    assert any(math.isnan(f) for f in floats)
    assert any(math.isinf(f) for f in floats)


def test_an_exhausted_provider_answers_its_smallest_values() -> None:
    provider = BytesProvider(b"")
    assert provider.ConsumeIntInRange(3, 9) == 3
    assert provider.ConsumeUnicode(10) == ""
    assert provider.ConsumeBool() is False
    assert provider.PickValueInList(["a", "b"]) == "a"


# -- planted bugs: each invariant can fail --------------------------------------------------

_INPUTS = [random.Random(seed).randbytes(400) for seed in range(400)]


def _first_failure(provider: ProviderFactory = BytesProvider) -> AssertionError | None:
    for data in _INPUTS:
        try:
            check_one_input(data, provider)
        except AssertionError as exc:
            return exc
    return None


def test_the_check_inputs_pass_unplanted() -> None:
    assert _first_failure() is None


def test_a_reason_code_outside_the_catalogue_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    real = Engine.check

    def check(self: Engine, message: object) -> Verdict:
        verdict = real(self, message)  # type: ignore[arg-type]
        if not verdict.reasons:
            return verdict
        return replace(verdict, reasons=(replace(verdict.reasons[0], code="SG999"),))

    monkeypatch.setattr(Engine, "check", check)
    failure = _first_failure()
    assert failure is not None
    assert "SG999" in str(failure)


def test_a_terminated_session_coming_back_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """A store that forgets terminations lets the spammer back: the harness must notice."""
    real = MemoryStore.settle

    def settle(self: MemoryStore, key: Any, txn: Any, outcome: Outcome, *rest: Any) -> None:
        if outcome.action is not Action.TERMINATE:
            real(self, key, txn, outcome, *rest)

    monkeypatch.setattr(MemoryStore, "settle", settle)
    failure = _first_failure()
    assert failure is not None
    assert "terminated engagement accepted a post" in str(failure)


def test_a_failing_analysis_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine hides a crashing analysis from its caller; the harness must not."""

    def broken(*_: object) -> None:
        raise ZeroDivisionError("planted")

    monkeypatch.setattr("spamguard.engine.analyse", broken)
    failure = _first_failure()
    assert failure is not None
    assert "SG007" in str(failure) or "planted" in str(failure)


def test_an_unexpected_loader_exception_escapes_the_rules_harness(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def broken(_: object) -> None:
        raise KeyError("planted")

    monkeypatch.setattr(fuzz_rules, "load_rules", broken)
    with pytest.raises(KeyError, match="planted"):
        check_rules_bytes(b"version: 1\n", tmp_path / "rules.yaml")


def test_a_vague_rules_error_is_caught(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def vague(_: object) -> None:
        raise RulesError([])

    monkeypatch.setattr(fuzz_rules, "load_rules", vague)
    with pytest.raises(AssertionError, match="without issues"):
        check_rules_bytes(b"version: 1\n", tmp_path / "rules.yaml")


def test_loaded_rules_are_checked_under_each_policy(tmp_path: Path) -> None:
    """A rules file that loads but cannot judge a post is a finding too."""
    seen: list[tuple[str, str]] = []
    real = Engine.check

    def check(self: Engine, message: object) -> Verdict:
        seen.append((message.tenant, message.interface))  # type: ignore[attr-defined]
        return real(self, message)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Engine, "check", check)
        check_rules_bytes(
            (HERE / "corpus_rules" / "tenants_layers.yaml").read_bytes(), tmp_path / "r.yaml"
        )
    assert {("acme", "297"), ("acme", "web"), ("quiet", "any"), ("watch", "any")} <= set(seen)
