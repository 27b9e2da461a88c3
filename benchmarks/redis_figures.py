"""Figures for the Redis store note: latency, throughput and memory per session.

    python benchmarks/redis_figures.py [--messages N] [--sessions K] [--json]

Starts its own ``redis-server`` on a free loopback port (``tests/redis_server.py``: the
binary on PATH or ``SPAMGUARD_REDIS_SERVER``), then measures, with the shipped rules:

- latency: N ``PING`` round trips (redis-py's synchronous client), N ``Engine.check``
  calls with the Redis store and N with the in-memory store, on the realistic mix of
  ``messages.py`` (every cycle of the mix in new sessions); p50/p99 per run, and the
  Lua time per ``EVALSHA`` the server reports (``INFO commandstats``);
- throughput: N ``Engine.acheck`` calls over the asyncio client, shared by 1, 4 and 16
  concurrent tasks, each task posting to sessions of its own;
- memory: K sessions each get a conversation (20 end-user posts with transaction ids,
  20 agent posts without), then the sum of ``MEMORY USAGE <key> SAMPLES 0`` over their
  keys and the growth of ``INFO memory`` ``used_memory`` are divided by K; the same for
  K sessions with one post each.

Latency and throughput are the medians of 3 runs. Within a latency run the three loops
alternate in chunks of 100 calls, and the throughput runs alternate between the
concurrencies, so a noisy spell of the machine hits every figure alike. Every loop has a
fixed message count after a fixed warm-up: the script's run time is bounded (about 40 s
with the defaults on 2 cores).
A human table is printed, or JSON with ``--json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
for _path in (_HERE, _HERE.parent):  # messages.py, and the repository root for tests/
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import redis  # noqa: E402
from messages import KINDS, build_mix, replay  # noqa: E402

from spamguard import Engine, Message, Role  # noqa: E402
from spamguard.stores import MemoryStore, RedisStore, SessionStore  # noqa: E402
from tests.redis_server import RedisServer, redis_server_binary  # noqa: E402

RUNS = 3
"""Runs of every latency and throughput loop; the figures are their medians."""
MIX_SIZE = 2_000
WARMUP = 1_000
"""Unmeasured calls before every loop: connections, scripts, caches, session windows."""
CHUNK = 100
"""Latency loops alternate in chunks of this many calls (see `_latency_run`)."""
CONCURRENCY = (1, 4, 16)
POSTS_PER_ROLE = 20
TIMEOUT_S = 1.0
"""The store's command timeout. Production's 0.1 s would turn a stall of a noisy machine
into the fail-open path (SG009), whose timings mean nothing; any SG009 is reported."""
_STORE_DOWN = "SG009"


def _percentiles_us(durations_ns: Sequence[int]) -> tuple[float, float]:
    """p50 and p99 in microseconds (linear interpolation, as conftest.py computes them)."""
    cuts = statistics.quantiles(durations_ns, n=100, method="inclusive")
    return cuts[49] / 1_000, cuts[98] / 1_000


def _median(values: Sequence[float]) -> float:
    return statistics.median(values)


# ------------------------------------------------------------------------ latency


def _time_calls(function: Callable[[Any], object], items: Sequence[Any]) -> list[int]:
    """Call ``function`` on every item; the duration of each call in ns."""
    durations = []
    clock = time.perf_counter_ns
    for item in items:
        start = clock()
        function(item)
        durations.append(clock() - start)
    return durations


class _Checker:
    """`Engine.check` on one store, counting the checks that met a store failure."""

    def __init__(self, store: SessionStore) -> None:
        self.engine = Engine(store=store)
        self.store_errors = 0

    def __call__(self, message: Message) -> None:
        if _STORE_DOWN in self.engine.check(message).codes:
            self.store_errors += 1


def _latency_run(
    server: RedisServer, admin: redis.Redis, stream: Sequence[Message], run: int
) -> dict[str, dict[str, float]]:
    """One run: PING, check with Redis and check in memory, interleaved chunk by chunk.

    A noisy machine changes speed within seconds (the PING round trip alone moves between
    about 30 and 85 µs here); timing the three in alternating chunks of CHUNK calls
    exposes them to the same spells, which keeps their ratios meaningful.
    """
    client = redis.Redis(host="127.0.0.1", port=server.port)
    store = RedisStore(server.url, namespace=f"fig-check{run}", timeout_s=TIMEOUT_S)
    on_redis, in_memory = _Checker(store), _Checker(MemoryStore())
    durations: dict[str, list[int]] = {"ping": [], "check_redis": [], "check_memory": []}
    try:
        for message in stream[:WARMUP]:
            client.ping()
            on_redis(message)
            in_memory(message)
        admin.config_resetstat()
        for start in range(WARMUP, len(stream), CHUNK):
            chunk = stream[start : start + CHUNK]
            durations["ping"] += _time_calls(lambda _: client.ping(), chunk)
            durations["check_redis"] += _time_calls(on_redis, chunk)
            durations["check_memory"] += _time_calls(in_memory, chunk)
        evalsha = admin.info("commandstats").get("cmdstat_evalsha", {})
    finally:
        store.close()
        client.close()
    result: dict[str, dict[str, float]] = {}
    for name, timings in durations.items():
        p50, p99 = _percentiles_us(timings)
        result[name] = {"p50_us": p50, "p99_us": p99}
    result["check_redis"]["store_errors"] = on_redis.store_errors
    result["check_memory"]["store_errors"] = in_memory.store_errors
    result["check_redis"]["evalsha_server_us"] = float(evalsha.get("usec_per_call", 0.0))
    calls = int(evalsha.get("calls", 0))
    result["check_redis"]["evalsha_per_check"] = calls / len(durations["check_redis"])
    return result


def measure_latency(server: RedisServer, n: int) -> dict[str, Any]:
    """PING, check with Redis and check in memory: the medians of RUNS runs."""
    stream = replay(build_mix(MIX_SIZE).messages, WARMUP + n)
    with redis.Redis(host="127.0.0.1", port=server.port, decode_responses=True) as admin:
        runs = [_latency_run(server, admin, stream, run) for run in range(RUNS)]
    figures: dict[str, Any] = {"messages": n, "warmup": WARMUP, "chunk": CHUNK, "runs": runs}
    for name, first in runs[0].items():
        figures[name] = {
            key: _median([run[name][key] for run in runs]) for key in first if key != "store_errors"
        }
        if "store_errors" in first:
            figures[name]["store_errors"] = sum(int(run[name]["store_errors"]) for run in runs)
    ping_p50, ping_p99 = figures["ping"]["p50_us"], figures["ping"]["p99_us"]
    for name in ("check_redis", "check_memory"):
        figures[name]["p50_ratio_to_ping"] = figures[name]["p50_us"] / ping_p50
        figures[name]["p99_ratio_to_ping"] = figures[name]["p99_us"] / ping_p99
    return figures


# ------------------------------------------------------------------------ throughput


def _partition(messages: Sequence[Message], tasks: int) -> list[list[Message]]:
    """Split by session, each session whole to the least loaded task; time order kept."""
    sessions: dict[str, list[int]] = {}
    for index, message in enumerate(messages):
        sessions.setdefault(message.session, []).append(index)
    parts: list[list[int]] = [[] for _ in range(tasks)]
    for indices in sessions.values():  # in order of each session's first post
        min(parts, key=len).extend(indices)
    return [[messages[i] for i in sorted(part)] for part in parts]


async def _post_all(engine: Engine, messages: Sequence[Message]) -> int:
    """Check every message in order; how many met a store failure."""
    failures = 0
    for message in messages:
        verdict = await engine.acheck(message)
        failures += _STORE_DOWN in verdict.codes
    return failures


async def _throughput_run(
    url: str, namespace: str, warmup: list[list[Message]], measured: list[list[Message]]
) -> tuple[float, float, int]:
    """Messages per second, this process's CPU µs per message, and store failures."""
    store = RedisStore(url, namespace=namespace, timeout_s=TIMEOUT_S)
    engine = Engine(store=store)
    try:
        failures = sum(await asyncio.gather(*(_post_all(engine, part) for part in warmup)))
        cpu_start, start = time.process_time_ns(), time.perf_counter_ns()
        failures += sum(await asyncio.gather(*(_post_all(engine, part) for part in measured)))
        elapsed_ns = time.perf_counter_ns() - start
        cpu_ns = time.process_time_ns() - cpu_start
    finally:
        await store.aclose()  # in the loop that opened the connections
    count = sum(len(part) for part in measured)
    return count / (elapsed_ns / 1e9), cpu_ns / count / 1_000, failures


def measure_throughput(server: RedisServer, n: int) -> dict[str, Any]:
    """`Engine.acheck` at each concurrency: medians of RUNS runs, concurrencies interleaved."""
    stream = replay(build_mix(MIX_SIZE).messages, WARMUP + n)
    rates: dict[int, list[float]] = {tasks: [] for tasks in CONCURRENCY}
    cpu: dict[int, list[float]] = {tasks: [] for tasks in CONCURRENCY}
    failures = 0
    for run in range(RUNS):
        for tasks in CONCURRENCY:
            warmup = _partition(stream[:WARMUP], tasks)
            measured = _partition(stream[WARMUP:], tasks)
            rate, cpu_us, failed = asyncio.run(
                _throughput_run(server.url, f"fig-tput{tasks}-{run}", warmup, measured)
            )
            rates[tasks].append(rate)
            cpu[tasks].append(cpu_us)
            failures += failed
    return {
        "messages": n,
        "warmup": WARMUP,
        "messages_per_s": {str(tasks): _median(values) for tasks, values in rates.items()},
        "client_cpu_us_per_message": {str(tasks): _median(v) for tasks, v in cpu.items()},
        "runs": {
            str(tasks): {"messages_per_s": rates[tasks], "client_cpu_us_per_message": cpu[tasks]}
            for tasks in CONCURRENCY
        },
        "store_errors": failures,
    }


# ------------------------------------------------------------------------ memory


def _conversations(sessions: int, posts_per_role: int) -> list[Message]:
    """Each session: end user and agent take turns, the end user's posts with
    transaction ids; texts are the ordinary posts of the mix, times a few seconds apart."""
    mix = build_mix(MIX_SIZE)
    pairs = zip(mix.messages, mix.kinds, strict=True)
    texts = [message.text for message, kind in pairs if not KINDS[kind].spam]
    rng = random.Random(20_261_123)
    messages = []
    for number in range(sessions):
        session = f"idle-{number:05d}"
        ts = 1_800_000_000.0 + number
        for turn in range(2 * posts_per_role):
            user = turn % 2 == 0
            messages.append(
                Message(
                    text=texts[(number * 2 * posts_per_role + turn) % len(texts)],
                    session=session,
                    role=Role.END_USER if user else Role.AGENT,
                    ts=round(ts, 3),
                    transaction_id=f"{session}-{turn}" if user else None,
                )
            )
            ts += rng.uniform(3.0, 20.0)
    return messages


def _key_kind(key: str) -> str:
    """``c``, ``s``, ``o``, ``e``, ``n`` or ``k``: what the key after the hash tag holds."""
    return key.rpartition("}")[2].split(":")[1]


def _memory_sample(
    server: RedisServer, admin: redis.Redis, messages: Sequence[Message], name: str
) -> dict[str, Any]:
    """Post into fresh sessions of an emptied server; Redis memory per session."""
    admin.flushall()
    namespace = f"fig-mem-{name}"
    sessions = len({message.session for message in messages})
    store = RedisStore(server.url, namespace=namespace, timeout_s=TIMEOUT_S)
    try:
        engine = Engine(store=store)
        # Open the connection and run both scripts once, outside the measured keys.
        warm_up = Message("warming up", session="warm-up", ts=1_800_000_000.0)
        engine.check(warm_up)
        excluded = set(store.session_keys(warm_up.session_key))
        excluded.update(store.sender_keys(warm_up.sender_key))
        before = int(admin.info("memory")["used_memory"])
        verdicts = [engine.check(message) for message in messages]
        after = int(admin.info("memory")["used_memory"])
    finally:
        store.close()
    keys = [
        key for key in admin.scan_iter(match=f"{namespace}:*", count=1_000) if key not in excluded
    ]
    pipe = admin.pipeline(transaction=False)
    for key in keys:
        pipe.memory_usage(key, samples=0)
    sizes = pipe.execute()
    by_kind: Counter[str] = Counter()
    keys_by_kind: Counter[str] = Counter()
    for key, size in zip(keys, sizes, strict=True):
        by_kind[_key_kind(key)] += int(size or 0)
        keys_by_kind[_key_kind(key)] += 1
    total = sum(by_kind.values())
    return {
        "sessions": sessions,
        "posts_per_session": len(messages) / sessions,
        "actions": dict(Counter(verdict.action.value for verdict in verdicts)),
        "store_errors": sum(_STORE_DOWN in verdict.codes for verdict in verdicts),
        "keys_per_session": len(keys) / sessions,
        "memory_usage_bytes_per_session": total / sessions,
        "memory_usage_bytes_per_session_by_key": {
            kind: by_kind[kind] / sessions for kind in sorted(by_kind)
        },
        "keys_per_session_by_key": {
            kind: keys_by_kind[kind] / sessions for kind in sorted(by_kind)
        },
        "used_memory_delta_bytes_per_session": (after - before) / sessions,
    }


def measure_memory(server: RedisServer, sessions: int) -> dict[str, Any]:
    """A whole conversation per session, then a single post per session."""
    admin = redis.Redis(host="127.0.0.1", port=server.port, decode_responses=True)
    try:
        talk = _conversations(sessions, POSTS_PER_ROLE)
        one_post = [m for m in _conversations(sessions, 1) if m.role is Role.END_USER]
        return {
            "conversation": _memory_sample(server, admin, talk, "talk"),
            "one_post": _memory_sample(server, admin, one_post, "one"),
        }
    finally:
        admin.close()


# ------------------------------------------------------------------------ output


def _print_table(figures: dict[str, Any]) -> None:
    latency, throughput, memory = figures["latency"], figures["throughput"], figures["memory"]
    print(
        f"spamguard Redis store, redis-server {figures['redis_version']} on 127.0.0.1, "
        f"redis-py {figures['redis_py']}; medians of {RUNS} runs"
    )
    print()
    print(f"latency per call, {latency['messages']} calls after {WARMUP} warm-up calls")
    print(f"  {'':<30} {'p50 µs':>9} {'p99 µs':>9} {'p50 ×PING':>10} {'p99 ×PING':>10}")
    rows = (
        ("PING round trip (sync client)", latency["ping"]),
        ("check, Redis store", latency["check_redis"]),
        ("check, in-memory store", latency["check_memory"]),
    )
    for label, row in rows:
        p50_ratio = row.get("p50_ratio_to_ping", 1.0)
        p99_ratio = row.get("p99_ratio_to_ping", 1.0)
        print(
            f"  {label:<30} {row['p50_us']:>9.1f} {row['p99_us']:>9.1f}"
            f" {p50_ratio:>10.2f} {p99_ratio:>10.2f}"
        )
    redis_check = latency["check_redis"]
    print(
        f"  Lua time per EVALSHA in the server: {redis_check['evalsha_server_us']:.1f} µs "
        f"({redis_check['evalsha_per_check']:.2f} EVALSHA per check)"
    )
    print()
    print(f"throughput of Engine.acheck (asyncio client), {throughput['messages']} messages")
    for tasks, rate in throughput["messages_per_s"].items():
        cpu_us = throughput["client_cpu_us_per_message"][tasks]
        print(
            f"  {tasks:>2} concurrent tasks: {rate:>8,.0f} messages/s"
            f"  (client CPU {cpu_us:.0f} µs per message)"
        )
    print()
    for label, sample in (
        ("conversation (20 end-user posts with transaction ids, 20 agent posts)", "conversation"),
        ("one end-user post with a transaction id", "one_post"),
    ):
        row = memory[sample]
        by_key = row["memory_usage_bytes_per_session_by_key"].items()
        parts = ", ".join(f"{kind} {size:,.0f}" for kind, size in by_key)
        print(f"memory per idle session, {row['sessions']} sessions: {label}")
        print(
            f"  MEMORY USAGE (SAMPLES 0), summed: {row['memory_usage_bytes_per_session']:>9,.0f} "
            f"bytes/session in {row['keys_per_session']:.1f} keys ({parts})"
        )
        print(
            f"  INFO memory used_memory growth:   "
            f"{row['used_memory_delta_bytes_per_session']:>9,.0f} bytes/session"
        )
    errors = (
        latency["check_redis"]["store_errors"]
        + latency["check_memory"]["store_errors"]
        + throughput["store_errors"]
        + sum(sample["store_errors"] for sample in memory.values())
    )
    if errors:
        print(f"\nWARNING: {errors} checks met a store failure (SG009): figures are unreliable")
    print(f"\n(took {figures['elapsed_s']:.0f} s)")


def main(argv: Sequence[str] | None = None) -> int:
    """Measure everything and print it; the exit status is 2 when there is no redis-server."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--messages", type=int, default=5_000, help="measured calls per loop (default 5000)"
    )
    parser.add_argument(
        "--sessions", type=int, default=1_000, help="sessions of the memory samples (1000)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    if args.messages < 100 or args.sessions < 1:
        parser.error("--messages must be at least 100 and --sessions at least 1")
    binary = redis_server_binary()
    if binary is None:
        print("redis-server not found: install it or set SPAMGUARD_REDIS_SERVER", file=sys.stderr)
        return 2
    started = time.perf_counter_ns()
    server = RedisServer(binary)
    server.start()
    try:
        with redis.Redis(host="127.0.0.1", port=server.port, decode_responses=True) as admin:
            version = admin.info("server")["redis_version"]
        figures: dict[str, Any] = {
            "redis_version": version,
            "redis_py": redis.__version__,
            "runs": RUNS,
            "latency": measure_latency(server, args.messages),
            "throughput": measure_throughput(server, args.messages),
            "memory": measure_memory(server, args.sessions),
        }
    finally:
        server.close()
    figures["elapsed_s"] = (time.perf_counter_ns() - started) / 1e9
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        _print_table(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
