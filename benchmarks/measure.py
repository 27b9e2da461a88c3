"""What the latency benchmarks share: round counts, timing, per-kind medians, errors."""

from __future__ import annotations

import logging
import statistics
from collections.abc import Callable
from typing import TypeVar

import pytest
from messages import Mix
from pytest_benchmark.fixture import BenchmarkFixture

__all__ = [
    "MIX_SIZE",
    "ROUNDS",
    "WARMUP_ROUNDS",
    "ErrorCounter",
    "measure",
    "p50_by_kind",
    "summary_plugin",
]

PluginT = TypeVar("PluginT")

MIX_SIZE = 2_000
"""Messages in one cycle of the mix."""
ROUNDS = 20_000
"""Measured calls per benchmark: ten cycles of the mix."""
WARMUP_ROUNDS = 2_000
"""Unmeasured calls before them: one cycle, to fill caches and session windows (and, with
Redis, to open connections and load the scripts)."""


def measure(benchmark: BenchmarkFixture, function: Callable[[], None]) -> None:
    """Time ``function`` once per round: ``ROUNDS`` rounds after ``WARMUP_ROUNDS``."""
    benchmark.pedantic(function, rounds=ROUNDS, warmup_rounds=WARMUP_ROUNDS, iterations=1)


def summary_plugin(config: pytest.Config, name: str, make: Callable[[], PluginT]) -> PluginT:
    """The run's one instance of a report that prints a table at the end of the run.

    It is registered as a pytest plugin on first use, so its ``pytest_terminal_summary``
    runs only in runs that measured something.
    """
    plugin = config.pluginmanager.get_plugin(name)
    if plugin is None:
        plugin = make()
        config.pluginmanager.register(plugin, name)
    return plugin  # type: ignore[no-any-return]


def p50_by_kind(
    benchmark: BenchmarkFixture, mix: Mix, warmup_rounds: int
) -> dict[str, dict[str, float]]:
    """Store the latency per message kind: where the time goes, beyond one p50 and p99.

    ``extra_info`` gets ``p50_us_by_kind`` (the median per kind) and ``by_kind`` (count,
    mean, p50 and p99 per kind), which is also returned (empty when nothing was
    measured). Round ``i`` handled message ``warmup_rounds + i`` of the cycling stream.
    """
    if benchmark.stats is None:  # --benchmark-disable
        return {}
    timings: dict[str, list[float]] = {kind: [] for kind in mix.counts()}
    for index, duration in enumerate(benchmark.stats.stats.data, start=warmup_rounds):
        timings[mix.kinds[index % len(mix.kinds)]].append(duration)
    by_kind = {
        kind: {
            "rounds": len(values),
            "mean_us": round(statistics.fmean(values) * 1e6, 2),
            "p50_us": round(statistics.median(values) * 1e6, 2),
            "p99_us": round(_p99(values) * 1e6, 2),
        }
        for kind, values in timings.items()
        if values
    }
    benchmark.extra_info["p50_us_by_kind"] = {k: v["p50_us"] for k, v in by_kind.items()}
    benchmark.extra_info["by_kind"] = by_kind
    return by_kind


def _p99(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[98]


class ErrorCounter(logging.Handler):
    """Counts the ERROR records of the engine's fail-open paths; ignores the rest."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        """Count the record."""
        self.count += 1
