"""The in-memory store's memory bound: computed from its options, then measured.

    python benchmarks/memory_bound.py [--quick] [--json] [--only SCENARIO ...]

Each scenario runs in a fresh process (so its RSS is its own), twice: once measuring
``tracemalloc``'s traced bytes (what Python allocated for the store), once measuring the
growth of the peak RSS (what the process costs, allocator overhead included; without
tracemalloc, whose own bookkeeping would inflate it). Posts go through
`MemoryStore.begin` / `settle` with the retention of the shipped rules, the way
`Engine.check` calls them, so no text analysis dilutes the run time.

Scenarios (``--quick`` divides every count by 10):

- ``1m-sessions``: 1,000,000 sessions of one post each (a 40-character text) in a store of
  ``max_sessions=1_000_000``;
- ``20-posts``: 50,000 sessions of 20 posts each (texts kept for the newest 10);
- ``flood``: 2,000,000 new sessions of one post each into ``max_sessions=100_000``: the
  memory after every 250,000 must stay flat once the store is full;
- ``terminations``: 300,000 sessions terminated one after another into
  ``max_sessions=100_000`` (concluded engagements are never evicted before their TTL:
  once they fill the store, new sessions are refused, counted here);
- ``worst``: 1,000 sessions at every cap at once: 32 senders of 40 posts, 10 texts of
  256 astral characters each, 64 transaction ids and every id of 128 astral characters.
  Their size times ``max_sessions`` is the count caps' worst case.
- ``byte-flood``: 2,000 worst-case sessions flooding ``max_bytes=256 MiB`` (about 960 MB
  of account offered): the store's own account must never pass the budget, and the
  memory after every 250 must stay flat once it is reached.

The first five run without a byte budget (``max_bytes=None``), so they measure the count
caps alone.

Every scenario's size is fixed: each run takes at most about 2 minutes, the whole script
about 10 on 2 shared cores, and it peaks at 3.5 GB (the 1,000,000 sessions).
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from spamguard import load_rules_text  # noqa: E402
from spamguard.message import Role, SenderKey, SessionKey  # noqa: E402
from spamguard.policy import compile_policy  # noqa: E402
from spamguard.stores import Event, MemoryStore, Outcome, Retention  # noqa: E402
from spamguard.stores.base import DEFAULT_MAX_SENDERS, MAX_ID_CHARS, StoreFullError  # noqa: E402
from spamguard.verdict import Action  # noqa: E402

RETENTION: Retention = compile_policy(load_rules_text("version: 1\n").defaults).retention
TEXT = "hello, where is my order 4411? thanks!!"  # 40 characters: ordinary chat
ASTRAL = "\U0001d400"  # 4 bytes in UTF-8: the most a kept character costs
KEY_CHARS = 256  # limits.key_chars of the shipped rules: the longest text kept
TERMINATE = Outcome(Action.TERMINATE, ("SG901",))
SCENARIOS = ("1m-sessions", "20-posts", "flood", "terminations", "worst", "byte-flood")
BYTE_BUDGET = 256 << 20  # the byte-flood's max_bytes


def _key(session: str, sender: str = "visitor", role: Role = Role.END_USER) -> SenderKey:
    return SenderKey(SessionKey("acme", "chat", session), role, sender)


def _rss_bytes() -> int:
    """The process's peak RSS (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


class _Meter:
    """Reads traced bytes (tracing) or peak RSS (not tracing) relative to a start."""

    def __init__(self, tracing: bool) -> None:
        self.tracing = tracing
        gc.collect()
        if tracing:
            tracemalloc.start()
        self.start = self.read()

    def read(self) -> int:
        if self.tracing:
            return tracemalloc.get_traced_memory()[0]
        return _rss_bytes()

    def grown(self) -> int:
        gc.collect()
        return self.read() - self.start


def _sessions_1m(scale: int, meter: _Meter) -> dict[str, Any]:
    count = 1_000_000 // scale
    store = MemoryStore(max_sessions=count, max_bytes=None)
    for n in range(count):
        store.begin(_key(f"s{n}"), Event(n / 1000, n, TEXT, 40), f"tx{n}", RETENTION, n / 1000)
    grown = meter.grown()
    return {"sessions": len(store), "bytes": grown, "per_session": grown / count}


def _twenty_posts(scale: int, meter: _Meter) -> dict[str, Any]:
    count = 50_000 // scale
    store = MemoryStore(max_sessions=count, max_bytes=None)
    for post in range(20):
        for n in range(count):
            ts = post * 5.0 + n / 1e6
            text = f"{TEXT} {post}"
            store.begin(
                _key(f"s{n}"), Event(ts, n * 20 + post, text, 42), f"t{post}", RETENTION, ts
            )
    grown = meter.grown()
    return {"sessions": len(store), "bytes": grown, "per_session": grown / count}


def _flood(scale: int, meter: _Meter) -> dict[str, Any]:
    total, cap = 2_000_000 // scale, 100_000 // scale
    store = MemoryStore(max_sessions=cap, max_bytes=None)
    readings = []
    for n in range(total):
        store.begin(_key(f"f{n}"), Event(n / 1000, n, TEXT, 40), f"tx{n}", RETENTION, n / 1000)
        if (n + 1) % (total // 8) == 0:
            readings.append(meter.grown())
    return {"sessions": len(store), "cap": cap, "readings": readings}


def _terminations(scale: int, meter: _Meter) -> dict[str, Any]:
    total, cap = 300_000 // scale, 100_000 // scale
    store = MemoryStore(max_sessions=cap, max_bytes=None)
    refused = 0
    readings = []
    for n in range(total):
        key = _key(f"x{n}")
        try:
            store.begin(key, Event(n / 1000, n, TEXT, 40), None, RETENTION, n / 1000)
            store.settle(key, None, TERMINATE, RETENTION, n / 1000)
        except StoreFullError:
            refused += 1
        if (n + 1) % (total // 6) == 0:
            readings.append(meter.grown())
    return {
        "concluded": store.concluded,
        "live": len(store),
        "refused": refused,
        "readings": readings,
        "per_concluded": readings[-1] / max(store.concluded, 1),
    }


def worst_session(store: MemoryStore, name: str, retention: Retention = RETENTION) -> None:
    """Fill one session up to every cap: the largest a session can be."""
    long_id = ASTRAL * MAX_ID_CHARS  # the longest id kept as it is
    session = name + long_id[len(name) :]
    text = ASTRAL * KEY_CHARS
    for sender in range(store.max_senders):
        key = SenderKey(
            SessionKey(long_id, long_id, session), Role.AGENT, f"{sender}{long_id}"[:MAX_ID_CHARS]
        )
        for post in range(retention.max_events):
            ts = float(post)
            tx = f"{sender}.{post}{long_id}"[:MAX_ID_CHARS]
            store.begin(key, Event(ts, post, text, 10**6), tx, retention, ts)
            store.settle(key, tx, Outcome(Action.BLOCK, ("SG201",)), retention, ts)


def _worst(scale: int, meter: _Meter) -> dict[str, Any]:
    count = 1_000 // scale
    store = MemoryStore(max_sessions=count, max_bytes=None)
    for n in range(count):
        worst_session(store, f"w{n}.")
    grown = meter.grown()
    return {"sessions": len(store), "bytes": grown, "per_session": grown / count}


def _byte_flood(scale: int, meter: _Meter) -> dict[str, Any]:
    count, budget = 2_000 // scale, BYTE_BUDGET // scale
    store = MemoryStore(max_sessions=100_000, max_bytes=budget)
    readings, accounts = [], []
    most = 0
    for n in range(count):
        worst_session(store, f"b{n}.")
        most = max(most, store.bytes)
        if (n + 1) % (count // 8) == 0:
            readings.append(meter.grown())
            accounts.append(store.bytes)
    return {
        "sessions": len(store),
        "budget": budget,
        "most_accounted": most,
        "accounts": accounts,
        "readings": readings,
    }


RUNNERS: dict[str, Callable[[int, _Meter], dict[str, Any]]] = {
    "1m-sessions": _sessions_1m,
    "20-posts": _twenty_posts,
    "flood": _flood,
    "terminations": _terminations,
    "worst": _worst,
    "byte-flood": _byte_flood,
}


def computed_worst_session(retention: Retention = RETENTION) -> int:
    """The formula of docs/stores.md: the most bytes one session can hold (CPython 3.11+).

    Object sizes are those of 64-bit CPython; dict and list slack is counted at its
    largest (a dict at twice its entries, a list at its capacity).
    """
    text_id = 80 + 4 * MAX_ID_CHARS  # a str of 128 astral characters
    sender = (
        2 * 56  # the sender's key tuple, a dict slot
        + 80  # the _Sender object (7 slots)
        + 3 * 64
        + retention.max_events * (8 + 8 + 4) * 9 // 8  # 3 arrays, 1/8 slack
        + 33
        + retention.keys_needed * (4 * KEY_CHARS + 1)  # the texts, one bytes object
        + 56
        + retention.max_strikes * 8
        + 24 * retention.max_strikes  # strike list
        + text_id
    )
    transaction = text_id + 2 * 8 * 3  # the id, and its dict entry with slack
    session = (
        200  # the OrderedDict entry and its link
        + 3 * text_id
        + 64  # the SessionKey and its ids
        + 72  # the _Session object
        + 64
        + DEFAULT_MAX_SENDERS * 2 * 24  # the senders dict
        + 64
        + 4 * retention.max_transactions * 24  # the transactions dict, with slack
    )
    return session + DEFAULT_MAX_SENDERS * sender + retention.max_transactions * transaction


def _child(name: str, scale: int, tracing: bool) -> None:
    meter = _Meter(tracing)
    started = time.perf_counter()
    result = RUNNERS[name](scale, meter)
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result))


def _run(name: str, scale: int, tracing: bool) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", name, "--scale", str(scale)]
    if tracing:
        command.append("--tracing")
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=900)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _mb(value: float) -> str:
    return f"{value / 1e6:,.1f} MB"


def _table(results: dict[str, dict[str, dict[str, Any]]], scale: int) -> str:
    lines = [f"in-memory store memory (retention of the shipped rules: {RETENTION})", ""]
    lines.append(f"{'scenario':<14} {'tracemalloc':>26} {'peak RSS growth':>26}   notes")
    for name in results:
        traced, rss = results[name]["traced"], results[name]["rss"]
        if "per_session" in traced:
            left = f"{_mb(traced['bytes'])} ({traced['per_session']:,.0f} B/s)"
            right = f"{_mb(rss['bytes'])} ({rss['per_session']:,.0f} B/s)"
            note = f"{traced['sessions']:,} sessions; {traced['seconds']} s traced"
        elif name == "byte-flood":
            left = " → ".join(_mb(r).removesuffix(" MB") for r in traced["readings"][-3:]) + " MB"
            right = " → ".join(_mb(r).removesuffix(" MB") for r in rss["readings"][-3:]) + " MB"
            note = (
                f"{traced['sessions']:,} held; max_bytes {_mb(traced['budget'])}, account at "
                f"most {_mb(traced['most_accounted'])}; traced after each 1/8: "
                + ", ".join(_mb(r) for r in traced["readings"])
                + "; peak RSS growth after each 1/8: "
                + ", ".join(_mb(r) for r in rss["readings"])
            )
        elif name == "flood":
            left = " → ".join(_mb(r).removesuffix(" MB") for r in traced["readings"][-3:]) + " MB"
            right = " → ".join(_mb(r).removesuffix(" MB") for r in rss["readings"][-3:]) + " MB"
            note = (
                f"{traced['sessions']:,} held of {traced['cap']:,}; "
                "traced after each 1/8: " + ", ".join(_mb(r) for r in traced["readings"])
            )
        else:
            left = f"{_mb(traced['readings'][-1])} ({traced['per_concluded']:,.0f} B/c)"
            right = f"{_mb(rss['readings'][-1])} ({rss['per_concluded']:,.0f} B/c)"
            note = (
                f"{traced['concluded']:,} concluded, {traced['live']} live, "
                f"{traced['refused']:,} refused; traced after each 1/6: "
                + ", ".join(_mb(r) for r in traced["readings"])
            )
        lines.append(f"{name:<14} {left:>26} {right:>26}   {note}")
    computed = computed_worst_session()
    if "worst" in results:
        measured = results["worst"]["traced"]["per_session"]
        lines += [
            "",
            f"worst session: computed {computed:,} B, measured {measured:,.0f} B (traced)",
            f"worst case of max_sessions=100,000: computed {_mb(computed * 100_000)}, "
            f"measured per session × 100,000: {_mb(measured * 100_000)}",
        ]
    if scale != 1:
        lines.append(f"(--quick: every count divided by {scale})")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every count divided by 10")
    parser.add_argument("--json", action="store_true", help="print JSON, not a table")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=SCENARIOS,
        help="run these scenarios only (the table lists them)",
    )
    parser.add_argument("--child", choices=SCENARIOS, help=argparse.SUPPRESS)
    parser.add_argument("--scale", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--tracing", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.scale, args.tracing)
        return
    scale = 10 if args.quick else 1
    results = {
        name: {"traced": _run(name, scale, True), "rss": _run(name, scale, False)}
        for name in args.only or SCENARIOS
    }
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(_table(results, scale))


if __name__ == "__main__":
    main()
