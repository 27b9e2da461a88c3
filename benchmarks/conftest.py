"""Latency percentiles for the benchmarks, and a summary table at the end of the run.

pytest-benchmark reports min/mean/median per benchmark; for a chat filter the tail
matters as much, so every benchmark here hands its fixture to `LatencyReport.record`,
which reads the raw per-round timings, stores ``p50_us``, ``p99_us`` and, once the
baseline has run, ``ratio_to_baseline`` in ``benchmark.extra_info`` (and so in
``--benchmark-json``), and collects a row for the table `pytest_terminal_summary` prints.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

import pytest
from measure import MIX_SIZE, ROUNDS, WARMUP_ROUNDS
from messages import Mix, build_mix, replay
from pytest_benchmark.fixture import BenchmarkFixture

from spamguard import Message

__all__ = ["LatencyReport", "Row"]


@dataclass(frozen=True, slots=True)
class Row:
    """One benchmark's latency, in microseconds per call."""

    name: str
    rounds: int
    p50_us: float
    p99_us: float
    ratio_to_baseline: float | None
    p99_ratio_to_baseline: float | None


@dataclass(slots=True)
class LatencyReport:
    """Percentiles of every benchmark of the run, and the baseline they are compared with."""

    rows: list[Row] = field(default_factory=list)
    baseline: Row | None = None
    by_kind: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    """Per benchmark that asked for it: count, mean, p50 and p99 per message kind."""

    def record(self, benchmark: BenchmarkFixture, *, baseline: bool = False) -> Row | None:
        """Compute p50/p99 from the raw timings of a finished benchmark and store them.

        Returns None when the benchmark did not measure anything (``--benchmark-disable``).
        """
        metadata = benchmark.stats
        if metadata is None or not metadata.stats.data:
            return None
        per_call_s = [duration / metadata.iterations for duration in metadata.stats.data]
        p50, p99 = _percentile_us(per_call_s, 50), _percentile_us(per_call_s, 99)
        reference = None if baseline else self.baseline
        row = Row(
            name=benchmark.name,
            rounds=len(per_call_s),
            p50_us=p50,
            p99_us=p99,
            ratio_to_baseline=None if reference is None else p50 / reference.p50_us,
            p99_ratio_to_baseline=None if reference is None else p99 / reference.p99_us,
        )
        info: dict[str, Any] = benchmark.extra_info
        info["p50_us"] = round(p50, 3)
        info["p99_us"] = round(p99, 3)
        if row.ratio_to_baseline is not None and row.p99_ratio_to_baseline is not None:
            info["ratio_to_baseline"] = round(row.ratio_to_baseline, 1)
            info["p99_ratio_to_baseline"] = round(row.p99_ratio_to_baseline, 1)
        if baseline:
            self.baseline = row
        self.rows.append(row)
        return row


def _percentile_us(per_call_s: list[float], percent: int) -> float:
    """The ``percent``-th percentile in microseconds (linear interpolation)."""
    if len(per_call_s) == 1:
        return per_call_s[0] * 1e6
    cuts = statistics.quantiles(per_call_s, n=100, method="inclusive")
    return cuts[percent - 1] * 1e6


_REPORT = pytest.StashKey[LatencyReport]()


def pytest_configure(config: pytest.Config) -> None:
    """Create the run's report."""
    config.stash[_REPORT] = LatencyReport()


@pytest.fixture(scope="session")
def latency(pytestconfig: pytest.Config) -> LatencyReport:
    """The run's `LatencyReport`: call ``latency.record(benchmark)`` after measuring."""
    return pytestconfig.stash[_REPORT]


@pytest.hookimpl(trylast=True)  # after pytest-benchmark's own table
def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Print name, p50, p99 and the ratios to the baseline of every recorded benchmark."""
    report = config.stash.get(_REPORT, None)
    if report is None or not report.rows:
        return
    width = max(len("benchmark"), *(len(row.name) for row in report.rows))
    write = terminalreporter.write_line
    terminalreporter.write_sep("-", "spamguard latency per call (microseconds)")
    write(
        f"{'benchmark':<{width}}  {'rounds':>7}  {'p50 µs':>9}  {'p99 µs':>9}"
        f"  {'p50 ×base':>9}  {'p99 ×base':>9}"
    )
    for row in report.rows:
        write(
            f"{row.name:<{width}}  {row.rounds:>7}  {row.p50_us:>9.2f}  {row.p99_us:>9.2f}"
            f"  {_ratio(row.ratio_to_baseline):>9}  {_ratio(row.p99_ratio_to_baseline):>9}"
        )
    if report.baseline is None:
        write("(no baseline in this run: run test_baseline too for the ratios)")
    for name, kinds in report.by_kind.items():
        terminalreporter.write_sep("-", f"{name} per kind of message (microseconds)")
        write(f"{'kind':<22}  {'rounds':>7}  {'mean µs':>9}  {'p50 µs':>9}  {'p99 µs':>9}")
        for kind, figures in sorted(kinds.items(), key=lambda item: -item[1]["mean_us"]):
            write(
                f"{kind:<22}  {figures['rounds']:>7.0f}  {figures['mean_us']:>9.2f}"
                f"  {figures['p50_us']:>9.2f}  {figures['p99_us']:>9.2f}"
            )


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


@pytest.fixture(scope="module")
def mix() -> Mix:
    """One cycle of the message mix."""
    return build_mix(MIX_SIZE)


@pytest.fixture(scope="module")
def stream(mix: Mix) -> list[Message]:
    """Every message the warm-up and measured rounds check, in new sessions every cycle."""
    return replay(mix.messages, WARMUP_ROUNDS + ROUNDS)
