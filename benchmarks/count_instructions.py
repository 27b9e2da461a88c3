"""Instructions per `check`, counted by callgrind: a figure the machine's noise cannot move.

    python benchmarks/count_instructions.py [--messages 1500]

Runs this script twice under ``valgrind --tool=callgrind`` with ``PYTHONHASHSEED=0``:
once only setting up (imports, the message mix, a warm-up), once also checking the
messages with a fresh engine, and prints the difference per message. Run it on two
commits to compare them; differences under about 0.2% are within its own variation.
Needs valgrind (Debian: ``apt-get install valgrind``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from typing import Any

_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")
_WARMUP = 200


def _mix(messages: int) -> list[Any]:
    # Only API older than this script, so that it also counts commits from before it.
    from itertools import islice

    from spamguard import Message
    from spamguard.synth import synthesize

    lines = islice(synthesize(messages, 0.2, 9), messages)
    wanted = ("text", "session", "tenant", "interface", "role", "sender", "ts")
    return [Message(**{k: line[k] for k in wanted}, transaction_id=line["id"]) for line in lines]


def _work(messages: int, check: bool) -> None:
    from spamguard import Engine
    from spamguard.stores import MemoryStore

    posts = _mix(messages)
    warm = Engine(store=MemoryStore())
    for message in posts[:_WARMUP]:
        warm.check(message)
    if check:
        engine = Engine(store=MemoryStore())
        for message in posts:
            engine.check(message)


def _instructions(messages: int, check: bool) -> int:
    with tempfile.TemporaryDirectory() as folder:
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={os.path.join(folder, 'out')}",
            sys.executable,
            __file__,
            "--inner",
            "--messages",
            str(messages),
        ]
        if check:
            command.append("--check")
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    found = _COLLECTED.search(done.stderr)
    if found is None:
        raise SystemExit(f"no instruction count in valgrind's output:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1500)
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--check", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        _work(args.messages, args.check)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    setup = _instructions(args.messages, check=False)
    total = _instructions(args.messages, check=True)
    checks = total - setup
    each = checks / args.messages
    print(f"{checks:,} instructions for {args.messages:,} checks: {each:,.0f} each")


if __name__ == "__main__":
    main()
