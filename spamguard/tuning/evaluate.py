"""Replaying one corpus under many candidate rule sets, with the corpus held by workers.

A sweep replays the same corpus hundreds of times, so the corpus is read and timed once
and dealt out by engagement (as `spamguard.sharding` does) to worker processes that keep
their shard in memory. Each evaluation sends the candidate rules to every worker; each
replays its shard through a fresh `Engine` per candidate (the live code path) and sends
back a `Tally`; shards' tallies add up to the corpus's.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import sys
from collections.abc import Iterable, Sequence
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from types import TracebackType
from typing import Any

from spamguard.config import Rules
from spamguard.engine import Engine
from spamguard.message import Message
from spamguard.policy import CompiledPolicy
from spamguard.replay import CorpusLine, check_line, timed
from spamguard.sharding import WorkerFailed, from_wire, shard_of, to_wire
from spamguard.stores.memory import MemoryStore
from spamguard.text import AnalysisLimits, TextFeatures
from spamguard.tuning.tally import Tally, tally
from spamguard.verdict import Reason

__all__ = ["Evaluator", "evaluate_lines"]

_CHUNK_LINES = 5_000
_POLL_S = 0.5


Analysed = tuple[TextFeatures, list[Reason]]
AnalysisMemo = dict[tuple[str, AnalysisLimits], Analysed]


def evaluate_lines(
    lines: Sequence[CorpusLine], rules: Rules, memo: AnalysisMemo | None = None
) -> Tally:
    """Replay timed lines (whole engagements) through a fresh engine and count.

    Args:
        lines: The lines, every line of each engagement they hold, in corpus order.
        rules: The candidate rules.
        memo: Text analyses to reuse across calls on the same lines.
    """
    engine = _SweepEngine(rules, {} if memo is None else memo)
    return tally((item, check_line(engine, item)) for item in lines)


class _SweepEngine(Engine):
    """The live engine, except that each text is analysed once for the whole sweep.

    Analysis is a pure function of the text and the analysis limits, and it is a third
    or more of a check; a sweep replays the same texts hundreds of times.
    """

    def __init__(self, rules: Rules, memo: AnalysisMemo) -> None:
        super().__init__(
            rules, store=MemoryStore(max_sessions=sys.maxsize, max_bytes=None, sweep=False)
        )
        self._memo = memo

    def _analyse(self, message: Message, policy: CompiledPolicy) -> Analysed:
        key = (message.text, policy.limits)
        analysed = self._memo.get(key)
        if analysed is None:
            analysed = self._memo[key] = super()._analyse(message, policy)
        return analysed[0], list(analysed[1])


class Evaluator:
    """A corpus held in memory, sharded by engagement over `jobs` processes.

    Use as a context manager so the workers always stop. With ``jobs=1`` everything
    happens in this process.
    """

    def __init__(self, lines: Iterable[CorpusLine], *, jobs: int = 1) -> None:
        self.jobs = max(1, jobs)
        self.lines = 0
        self._local: list[CorpusLine] = []
        self._memo: AnalysisMemo = {}
        self._workers: list[tuple[SpawnProcess, Connection]] = []
        if self.jobs == 1:
            self._local = list(timed(lines))
            self.lines = len(self._local)
            return
        context = multiprocessing.get_context("spawn")
        for n in range(self.jobs):
            parent, child = context.Pipe()
            process = context.Process(
                target=_worker, args=(child,), name=f"spamguard-tune-{n}", daemon=True
            )
            process.start()
            child.close()
            self._workers.append((process, parent))
        try:
            self._deal(lines)
        except BaseException:
            self.close()
            raise

    def evaluate(self, candidates: Sequence[Rules]) -> list[Tally]:
        """One tally per candidate, in order."""
        if not self._workers:
            return [evaluate_lines(self._local, rules, self._memo) for rules in candidates]
        for n in range(self.jobs):
            self._send(n, ("evaluate", list(candidates)))
        totals = [Tally() for _ in candidates]
        for n in range(self.jobs):
            for total, part in zip(totals, self._receive(n), strict=True):
                total.add(part)
        return totals

    def close(self) -> None:
        """Stop the workers."""
        for process, connection in self._workers:
            with contextlib.suppress(OSError):  # it may be gone already
                connection.send(None)
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join()
            connection.close()
        self._workers = []

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _deal(self, lines: Iterable[CorpusLine]) -> None:
        chunks: list[list[Any]] = [[] for _ in range(self.jobs)]
        for item in timed(lines):
            self.lines += 1
            shard = shard_of(item.message, self.jobs)
            chunks[shard].append(to_wire(item))
            if len(chunks[shard]) == _CHUNK_LINES:
                self._send(shard, ("load", chunks[shard]))
                chunks[shard] = []
        for shard, chunk in enumerate(chunks):
            self._send(shard, ("load", chunk))

    def _send(self, worker: int, command: tuple[str, Any]) -> None:
        process, connection = self._workers[worker]
        try:
            connection.send(command)
        except OSError:  # a broken pipe: the worker is gone
            process.join(timeout=1)
            raise WorkerFailed(
                f"tuning worker {worker} exited with code {process.exitcode}"
            ) from None

    def _receive(self, worker: int) -> list[Tally]:
        process, connection = self._workers[worker]
        while not connection.poll(_POLL_S):
            if not process.is_alive():
                raise WorkerFailed(f"tuning worker {worker} exited with code {process.exitcode}")
        try:
            status, payload = connection.recv()
        except (EOFError, OSError):
            process.join(timeout=1)
            raise WorkerFailed(
                f"tuning worker {worker} exited with code {process.exitcode}"
            ) from None
        if status != "ok":
            raise WorkerFailed(f"tuning worker {worker} failed: {payload}")
        tallies: list[Tally] = payload
        return tallies


def _worker(connection: Connection) -> None:
    """A worker process: keep the lines dealt to it, evaluate candidates on them."""
    # Verdict logs of a replay reach no handler in a worker: skip building them.
    logging.getLogger("spamguard").setLevel(logging.ERROR)
    lines: list[CorpusLine] = []
    memo: AnalysisMemo = {}
    try:
        while (command := connection.recv()) is not None:
            verb, payload = command
            if verb == "load":
                lines.extend(from_wire(wire) for wire in payload)
            else:
                tallies = [evaluate_lines(lines, rules, memo) for rules in payload]
                connection.send(("ok", tallies))
    except EOFError:  # the parent went away
        return
    except BaseException as exc:  # tell the parent why instead of dying silently
        connection.send(("failed", f"{type(exc).__name__}: {exc}"))
