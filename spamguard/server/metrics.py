"""Prometheus metrics of the reference server: verdicts by action and code, check latency."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from spamguard.verdict import Verdict

__all__ = ["Metrics"]

# From 50 µs (a check in memory) to 100 ms (the store's timeout and beyond).
_BUCKETS = (5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 0.1, 0.25)


class Metrics:
    """One registry per app, so that several apps in one process never share counts."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.verdicts = Counter(
            "spamguard_verdicts",
            "Verdicts on posted messages, by action.",
            ["action", "role"],
            registry=self.registry,
        )
        self.reasons = Counter(
            "spamguard_reasons",
            "Reasons of verdicts, by action and reason code.",
            ["action", "code"],
            registry=self.registry,
        )
        self.check_seconds = Histogram(
            "spamguard_check_seconds",
            "Time Engine.acheck took for one posted message.",
            buckets=_BUCKETS,
            registry=self.registry,
        )

    def observe(self, verdict: Verdict, role: str, seconds: float) -> None:
        """Count one verdict and its reasons, and its latency."""
        action = verdict.action.value
        self.verdicts.labels(action=action, role=role).inc()
        for code in verdict.codes:
            self.reasons.labels(action=action, code=code).inc()
        self.check_seconds.observe(seconds)

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)
