"""spamguard against two comparators, on the same messages, in the same process and run.

`Engine.check` is measured beside `HandWrittenFilter.check` (the shipped rules' checks
written the usual way with the usual libraries) and `FloorFilter.check` (one regex pass,
one xxh3 fingerprint and a deque update per message: the least any filter costs). All
three take the same stream of the message mix, ``ROUNDS`` rounds after ``WARMUP_ROUNDS``.
At the end of the run a table gives each one's mean, p50 and p99, and spamguard's ratios:
hand-written / spamguard (how much faster spamguard is) and spamguard / floor.

    python -m pytest benchmarks/test_comparison.py --benchmark-only     # the figures
    python -m pytest benchmarks/test_comparison.py --benchmark-disable  # the sanity tests

The comparators need the ``bench`` extra; without it this module is skipped.
"""

from __future__ import annotations

import itertools
import logging
import re
import socket
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

for _module in ("urlextract", "xxhash", "limits"):
    pytest.importorskip(
        _module, reason="the comparators need the bench extra: pip install -e '.[bench]'"
    )

from comparators import ALLOW, BLOCK, FloorFilter, HandWrittenFilter  # noqa: E402
from measure import (  # noqa: E402
    MIX_SIZE,
    WARMUP_ROUNDS,
    ErrorCounter,
    measure,
    p50_by_kind,
    summary_plugin,
)
from messages import DEFAULT_SEED, SPAM_SHARE, Mix  # noqa: E402
from pytest_benchmark.fixture import BenchmarkFixture  # noqa: E402

from spamguard import Engine, Message, Role  # noqa: E402
from spamguard.synth import synthesize  # noqa: E402

if TYPE_CHECKING:  # the fixture comes from conftest.py, which pytest loads itself
    from conftest import LatencyReport

SPAMGUARD, FLOOR, HAND_WRITTEN = "spamguard", "floor", "hand-written"
HAND_WRITTEN_SHORTCUTS = "hand-written+shortcuts"
"""The hand-written filter with a profiler's shortcuts: an extra figure, not the goal's."""
FILTERS = (SPAMGUARD, FLOOR, HAND_WRITTEN, HAND_WRITTEN_SHORTCUTS)
SPEED_UP_TARGET = 50.0
"""The issue's goal: spamguard's mean at least this many times below the hand-written's."""
FLOOR_TARGET = 4.0
"""The issue's goal: spamguard's mean at most this many times the floor's."""


# ----------------------------------------------------------------- the summary


@dataclass(frozen=True, slots=True)
class Figures:
    """One filter's latency over the stream, in microseconds per message."""

    name: str
    rounds: int
    mean_us: float
    p50_us: float
    p99_us: float


@dataclass(slots=True)
class Comparison:
    """The run's figures per filter; a pytest plugin that prints them at the end.

    It is registered when the first comparison benchmark asks for it, so its
    ``pytest_terminal_summary`` runs only in runs that measured something.
    """

    figures: dict[str, Figures] = field(default_factory=dict)
    infos: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, benchmark: BenchmarkFixture, name: str, latency: LatencyReport) -> None:
        """Record a finished benchmark (nothing under ``--benchmark-disable``)."""
        row = latency.record(benchmark)  # also a row of the latency table, with ×base
        if row is None or benchmark.stats is None:
            return
        stats = benchmark.stats
        mean_us = statistics.fmean(stats.stats.data) / stats.iterations * 1e6
        self.figures[name] = Figures(name, row.rounds, mean_us, row.p50_us, row.p99_us)
        self.infos[name] = benchmark.extra_info
        benchmark.extra_info["mean_us"] = round(mean_us, 3)
        self._store_ratios()

    def ratios(self) -> dict[str, dict[str, float]]:
        """``hand_written_over_spamguard`` and ``spamguard_over_floor`` for mean, p50, p99."""
        result: dict[str, dict[str, float]] = {}
        ours = self.figures.get(SPAMGUARD)
        if ours is None:
            return result
        for key, slower, faster in (
            ("hand_written_over_spamguard", self.figures.get(HAND_WRITTEN), ours),
            ("shortcuts_over_spamguard", self.figures.get(HAND_WRITTEN_SHORTCUTS), ours),
            ("spamguard_over_floor", ours, self.figures.get(FLOOR)),
        ):
            if slower is not None and faster is not None:
                result[key] = {
                    "mean": slower.mean_us / faster.mean_us,
                    "p50": slower.p50_us / faster.p50_us,
                    "p99": slower.p99_us / faster.p99_us,
                }
        return result

    def _store_ratios(self) -> None:
        """Put the ratios known so far in spamguard's ``extra_info`` (and so in the JSON)."""
        info = self.infos.get(SPAMGUARD)
        if info is not None:
            for key, values in self.ratios().items():
                info[key] = {stat: round(value, 2) for stat, value in values.items()}

    @pytest.hookimpl(trylast=True)  # after pytest-benchmark's table
    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """Print every filter's mean, p50 and p99, then spamguard's ratios."""
        if not self.figures:
            return
        write = terminalreporter.write_line
        terminalreporter.write_sep("-", "spamguard against its comparators (µs per message)")
        write(f"{'filter':<22}  {'rounds':>7}  {'mean µs':>9}  {'p50 µs':>9}  {'p99 µs':>9}")
        for name in FILTERS:
            if (row := self.figures.get(name)) is not None:
                write(
                    f"{name:<22}  {row.rounds:>7}  {row.mean_us:>9.2f}  {row.p50_us:>9.2f}"
                    f"  {row.p99_us:>9.2f}"
                )
        ratios = self.ratios()
        for key, label, target in (
            (
                "hand_written_over_spamguard",
                "hand-written / spamguard",
                f"goal ≥ {SPEED_UP_TARGET:g}×",
            ),
            ("shortcuts_over_spamguard", "+shortcuts / spamguard", "no goal"),
            ("spamguard_over_floor", "spamguard / floor", f"goal ≤ {FLOOR_TARGET:g}×"),
        ):
            if key in ratios:
                values = ratios[key]
                write(
                    f"{label:<25} mean {values['mean']:6.1f}×  p50 {values['p50']:6.1f}×"
                    f"  p99 {values['p99']:6.1f}×   (on the mean: {target})"
                )
        if len(ratios) < 3:
            write("(ratios need spamguard, the floor and both hand-written filters in the run)")


@pytest.fixture(scope="session")
def comparison(pytestconfig: pytest.Config) -> Comparison:
    """The run's `Comparison`, registered as a plugin so that it prints its table."""
    return summary_plugin(pytestconfig, "spamguard-comparison", Comparison)


# ------------------------------------------------------------------ measuring


def _spamguard(actions: Counter[str]) -> Callable[[Message], None]:
    """`Engine.check` with the shipped rules and a fresh in-memory store."""
    engine = Engine()

    def check(message: Message) -> None:
        actions[engine.check(message).action.value] += 1

    return check


def _comparator(
    check: Callable[[Message], str], actions: Counter[str]
) -> Callable[[Message], None]:
    """A comparator's ``check``, counting its answers as the engine's are counted."""

    def counted(message: Message) -> None:
        actions[check(message)] += 1

    return counted


@pytest.mark.parametrize("name", FILTERS)
def test_compared(
    benchmark: BenchmarkFixture,
    name: str,
    mix: Mix,
    stream: list[Message],
    latency: LatencyReport,
    comparison: Comparison,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One filter over the stream: one message per round, as in `test_latency.test_check`.

    The engine's block and terminate records are kept from pytest's log capture (see
    `test_latency.test_check`), and any engine error fails the test: the fail-open
    path's figures would say nothing.
    """
    spamguard_logger = logging.getLogger("spamguard")
    monkeypatch.setattr(spamguard_logger, "propagate", False)
    failures = ErrorCounter()
    actions: Counter[str] = Counter()  # answers are counted, not kept: no GC build-up
    if name == SPAMGUARD:
        check = _spamguard(actions)
    elif name == FLOOR:
        check = _comparator(FloorFilter().check, actions)
    else:
        filter_ = HandWrittenFilter(shortcuts=name == HAND_WRITTEN_SHORTCUTS)
        check = _comparator(filter_.check, actions)
    messages = iter(stream)

    def check_next() -> None:
        check(next(messages))

    spamguard_logger.addHandler(failures)
    try:
        measure(benchmark, check_next)
    finally:
        spamguard_logger.removeHandler(failures)
    assert failures.count == 0, f"the engine logged {failures.count} errors"
    comparison.add(benchmark, name, latency)
    p50_by_kind(benchmark, mix, WARMUP_ROUNDS)
    benchmark.extra_info["actions"] = dict(actions)  # warm-up included


# ------------------------------------------------- the hand-written filter works

LINK = re.compile(r"https?://\S+")


@pytest.fixture(scope="module")
def labels(mix: Mix) -> list[str]:
    """``ham`` or ``spam`` for every message of the mix, from the generator itself."""
    lines = list(itertools.islice(synthesize(MIX_SIZE, SPAM_SHARE, DEFAULT_SEED), MIX_SIZE))
    # The mix is these lines: if it ever is not, the labels below would be misplaced.
    assert [line["text"] for line in lines] == [m.text for m in mix.messages]
    return [line["label"] for line in lines]


@pytest.fixture(scope="module")
def hand_written_answers(mix: Mix) -> list[str]:
    """The hand-written filter's answer to every message of one cycle of the mix."""
    hand_written = HandWrittenFilter()
    return [hand_written.check(message) for message in mix.messages]


def test_shortcuts_change_no_answer(mix: Mix, hand_written_answers: list[str]) -> None:
    """The shortcuts only save work: on the mix both versions answer alike."""
    with_shortcuts = HandWrittenFilter(shortcuts=True)
    assert [with_shortcuts.check(message) for message in mix.messages] == hand_written_answers


def test_hand_written_allows_ordinary_messages(
    mix: Mix, labels: list[str], hand_written_answers: list[str]
) -> None:
    """At most 1% of the mix's ham is blocked (long pastes, emoji-only replies)."""
    ham = [
        answer for answer, label in zip(hand_written_answers, labels, strict=True) if label == "ham"
    ]
    blocked = ham.count(BLOCK)
    assert blocked <= len(ham) / 100, f"{blocked} of {len(ham)} ordinary messages blocked"


def test_hand_written_blocks_walls(mix: Mix, hand_written_answers: list[str]) -> None:
    """Every post of the mix over 2,000 characters is blocked, walls of text included."""
    walls = [
        answer
        for message, answer in zip(mix.messages, hand_written_answers, strict=True)
        if len(message.text) > 2_000
    ]
    assert walls
    assert set(walls) == {BLOCK}


def test_hand_written_blocks_link_floods(mix: Mix, hand_written_answers: list[str]) -> None:
    """Every post of the mix with more than 3 plain ``http(s)://`` links is blocked."""
    floods = [
        answer
        for message, answer in zip(mix.messages, hand_written_answers, strict=True)
        if len(LINK.findall(message.text)) > 3
    ]
    assert floods
    assert set(floods) == {BLOCK}


def test_hand_written_blocks_repeats(mix: Mix, hand_written_answers: list[str]) -> None:
    """A sender's third identical post (12+ characters) within 5 minutes is blocked."""
    earlier: defaultdict[tuple[str, ...], list[tuple[float, str]]] = defaultdict(list)
    repeats = []
    for message, answer in zip(mix.messages, hand_written_answers, strict=True):
        assert message.ts is not None
        key = (message.tenant, message.interface, message.session, message.sender)
        same = [ts for ts, text in earlier[key] if text == message.text and ts > message.ts - 300]
        if len(message.text) >= 12 and len(same) >= 2:
            repeats.append(answer)
        earlier[key].append((message.ts, message.text))
    assert len(repeats) >= 5
    assert set(repeats) == {BLOCK}


def test_hand_written_checks_each_rule() -> None:
    """Each check blocks its kind of spam on its own; an ordinary conversation passes."""

    def post(text: str, ts: float, session: str = "s") -> Message:
        return Message(text=text, session=session, ts=ts)

    hand_written = HandWrittenFilter()
    ordinary = [
        "hi, my order #4411 has not arrived yet",
        "it was due on Monday 🙁",
        "tracking says: https://track.example.com/4411",
        "ok thanks!",
        "hi, my order #4411 has not arrived yet - any news?",
    ]
    assert [hand_written.check(post(t, 100 + 20 * i)) for i, t in enumerate(ordinary)] == [
        ALLOW
    ] * len(ordinary)
    spam = {
        "length": "spam " * 500,
        "lines": "\n" * 70,
        "links": " ".join(f"https://spam{i}.example.com" for i in range(4)),
        "emoji": "🎉" * 51,
        "emoji share": "🎉" * 20 + " free",
        "symbols": "!?" * 20,
        "run": "a" * 101,
        "zalgo": "he\u0301\u0302\u0303\u0304\u0305\u0306\u0307llo",
    }
    for check, text in spam.items():
        assert hand_written.check(post(text, 1_000, session=check)) == BLOCK, check
    repeated = [
        hand_written.check(post("Buy cheap followers now", 2_000 + i, "dup")) for i in range(3)
    ]
    assert repeated == [ALLOW, ALLOW, BLOCK]
    near = ["Buy cheap followers now!", "buy cheap  followers now", "Buy cheap followers now!!"]
    assert [hand_written.check(post(t, 3_000 + i, "near")) for i, t in enumerate(near)] == [
        ALLOW,
        ALLOW,
        BLOCK,
    ]
    burst = [hand_written.check(post(f"message {i}", 4_000 + i / 10, "burst")) for i in range(9)]
    assert burst == [ALLOW] * 8 + [BLOCK]
    # Ten seconds later by the messages' clock (not the wall clock) the window is clear.
    assert hand_written.check(post("calm again", 4_020, "burst")) == ALLOW


def test_comparators_stay_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither comparator opens a connection or resolves a name, links or not."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a comparator tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    message = Message(text="see https://example.com and www.example.org", session="s", ts=1.0)
    assert HandWrittenFilter().check(message) == ALLOW
    assert FloorFilter().check(message) == ALLOW


def test_floor_decides_nothing(mix: Mix) -> None:
    """The floor allows everything, lone surrogates included, and keeps a bounded history."""
    floor = FloorFilter(keep_last=3)
    assert {floor.check(message) for message in mix.messages} == {ALLOW}
    assert floor.check(Message(text="\ud800 odd", session="s", role=Role.AGENT)) == ALLOW
    assert max(map(len, floor._history.values())) == 3
