"""`spamguard bench`: per-step latency, throughput and memory of a rule set on this machine."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from spamguard.bench import MEMORY_POSTS, BenchResult, bench
from spamguard.cli.corpus import UsageError, rules_of

__all__ = ["add_bench_parser"]


def add_bench_parser(commands: Any) -> None:
    """Register ``spamguard bench``."""
    parser = commands.add_parser(
        "bench", help="measure the latency of every detector and of check on this machine"
    )
    parser.add_argument("--rules", type=Path, help="rules file layered over the shipped rules")
    parser.add_argument("--messages", type=int, default=20_000, metavar="N")
    parser.add_argument("--seed", type=int, default=1, help="of the synthetic message mix")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(run=_run_bench)


def _run_bench(args: argparse.Namespace) -> int:
    if args.messages < 1:
        raise UsageError(f"--messages must be at least 1, got {args.messages}")
    result = bench(rules_of(args.rules), messages=args.messages, seed=args.seed)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        _print_table(result)
    return 0


def _print_table(result: BenchResult) -> None:
    print(
        f"spamguard bench: {result.messages:,} messages of the synthetic mix (seed "
        f"{result.seed}), rules {result.rules}, Python {result.python}, one core"
    )
    print(f"{'step':<14}{'mean µs':>10}{'p50 µs':>10}{'p95 µs':>10}{'p99 µs':>10}{'max µs':>11}")
    for step in result.steps:
        name = "check" if step.step == "total" else step.step
        print(
            f"{name:<14}{step.mean:>10.1f}{step.p50:>10.1f}{step.p95:>10.1f}"
            f"{step.p99:>10.1f}{step.max:>11.1f}"
        )
    print(f"throughput: {result.messages_per_second:,.0f} messages/s on one core (timings off)")
    print(
        f"memory: {result.session_bytes:,.0f} bytes per idle session after {MEMORY_POSTS} "
        "posts (in-memory store)"
    )
