"""Offline replay of recorded traffic through the live engine code path.

A corpus is JSON lines: ``text`` and ``session`` are required; ``sender``, ``role``, ``ts``,
``tenant``, ``interface``, ``id`` (client transaction id), ``label`` (``ham``/``spam``) and
``kind`` (a free-form traffic kind, for reports) are optional, and other fields are ignored.
Lines are replayed in file order. Without ``ts`` the replay clock advances one second per
line.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from spamguard.engine import Engine
from spamguard.message import Message, Role
from spamguard.stores.memory import MemoryStore
from spamguard.verdict import Action, Verdict

__all__ = [
    "CorpusError",
    "CorpusLine",
    "ReplayRecord",
    "Summary",
    "check_line",
    "parse_line",
    "replay",
    "timed",
]

LABELS = ("ham", "spam")
_OPTIONAL_STR = ("sender", "tenant", "interface")


class CorpusError(ValueError):
    """A corpus line that cannot be replayed, with its 1-based line number."""

    def __init__(self, line: int, problem: str) -> None:
        self.line = line
        self.problem = problem
        super().__init__(f"line {line}: {problem}")


@dataclass(frozen=True, slots=True)
class CorpusLine:
    """One parsed corpus line: its message, its own ``ts`` (None: it has none), label and kind.

    The message carries the line's ``ts``; a line without one gets its time from `timed`,
    which also sets ``watermark``: the latest time of this or any earlier line.
    """

    line: int
    message: Message
    ts: float | None
    label: str | None
    kind: str | None = None
    watermark: float | None = None


@dataclass(frozen=True, slots=True)
class ReplayRecord:
    """What the engine said about one corpus line: the action and the reason codes."""

    item: CorpusLine
    action: Action
    codes: tuple[str, ...]

    @classmethod
    def of(cls, item: CorpusLine, verdict: Verdict) -> ReplayRecord:
        """The record of a line and the verdict the engine gave it."""
        return cls(item, verdict.action, verdict.codes)

    def to_dict(self) -> dict[str, Any]:
        """The ``--out`` form of this line."""
        record: dict[str, Any] = {
            "line": self.item.line,
            "session": self.item.message.session,
            "action": self.action.value,
            "codes": list(self.codes),
        }
        if self.item.label is not None:
            record["label"] = self.item.label
        return record


def parse_line(number: int, raw: str) -> CorpusLine:
    """Parse one corpus line; raises CorpusError saying what is wrong."""
    try:
        obj = json.loads(raw)
    except (json.JSONDecodeError, RecursionError) as exc:
        detail = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        raise CorpusError(number, f"not valid JSON ({detail})") from exc
    if not isinstance(obj, dict):
        raise CorpusError(number, f"expected a JSON object, got {type(obj).__name__}")
    text, session = obj.get("text"), obj.get("session")
    if not isinstance(text, str):
        raise CorpusError(number, "`text` is required and must be a string")
    if isinstance(session, int) and not isinstance(session, bool):
        session = str(session)
    if not isinstance(session, str) or not session:
        raise CorpusError(number, "`session` is required and must be a non-empty string")
    ts = _timestamp(number, obj.get("ts"))
    fields: dict[str, Any] = {}
    for name in _OPTIONAL_STR:
        value = obj.get(name)
        if value is not None:
            if not isinstance(value, str):
                raise CorpusError(number, f"`{name}` must be a string")
            fields[name] = value
    return CorpusLine(
        line=number,
        message=Message(
            text=text,
            session=session,
            role=_role(number, obj.get("role")),
            transaction_id=_transaction_id(number, obj.get("id")),
            ts=ts,
            **fields,
        ),
        ts=ts,
        label=_label(number, obj.get("label")),
        kind=_kind(number, obj.get("kind")),
    )


def _role(number: int, value: Any) -> Role:
    if value is None:
        return Role.END_USER
    if not isinstance(value, str):
        raise CorpusError(number, "`role` must be a string")
    try:
        return Role.parse(value)
    except ValueError as exc:
        raise CorpusError(number, str(exc)) from exc


def _transaction_id(number: int, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise CorpusError(number, "`id` must be a string or an integer")
    return str(value)


def _timestamp(number: int, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise CorpusError(number, "`ts` must be a finite number of Unix seconds or null")
    return float(value)


def _label(number: int, value: Any) -> str | None:
    if value is None:
        return None
    if value in LABELS:
        return str(value)
    raise CorpusError(number, f"`label` must be one of {', '.join(LABELS)} or null, got {value!r}")


def _kind(number: int, value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise CorpusError(number, "`kind` must be a string or null")


def timed(lines: Iterable[CorpusLine]) -> Iterator[CorpusLine]:
    """The lines with their messages on the replay clock.

    A line's ``ts`` sets the clock; a line without one advances it by 1 s from the line
    before. The clock runs over the whole corpus in order, which is why a sharded replay
    times lines before it splits them among workers.
    """
    clock = latest = 0.0
    for item in lines:
        message = item.message
        if item.ts is not None:
            clock = item.ts
        else:
            clock += 1.0
            message = replace(message, ts=clock)
        latest = max(latest, clock)
        yield CorpusLine(item.line, message, item.ts, item.label, item.kind, latest)


def check_line(engine: Engine, item: CorpusLine) -> Verdict:
    """Check one timed line, as every replay does.

    A replay's in-memory store does not sweep by each post's own time (`MemoryStore`'s
    ``sweep=False``): it drops what expired by the corpus's latest time, so that the
    sessions dropped never depend on which other sessions share the store, and a replay
    split among workers gives the same verdicts even when the corpus's times go back.
    """
    store = engine.store
    if isinstance(store, MemoryStore) and item.watermark is not None:
        store.expire(item.watermark)
    return engine.check(item.message)


def replay(engine: Engine, lines: Iterable[CorpusLine]) -> Iterator[ReplayRecord]:
    """Check each line in order on the replay clock (see `timed`)."""
    for item in timed(lines):
        yield ReplayRecord.of(item, check_line(engine, item))


@dataclass
class Summary:
    """Counts over a replay, in the ``--summary`` form."""

    messages: int = 0
    actions: Counter[str] = field(default_factory=Counter)
    by_label: dict[str, Counter[str]] = field(
        default_factory=lambda: {label: Counter() for label in LABELS}
    )
    codes: Counter[str] = field(default_factory=Counter)
    terminated: set[tuple[str, str, str]] = field(default_factory=set)
    skipped_invalid: int = 0
    elapsed_s: float = 0.0

    def add(self, record: ReplayRecord) -> None:
        """Count one replayed line."""
        action, label = record.action.value, record.item.label
        self.messages += 1
        self.actions[action] += 1
        if label is not None:
            self.by_label[label][action] += 1
        self.codes.update(record.codes)
        if record.action is Action.TERMINATE:
            message = record.item.message
            self.terminated.add((message.tenant, message.interface, message.session))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form written by ``--summary``."""
        return {
            "messages": self.messages,
            "actions": _three(self.actions),
            "by_label": {label: _three(counts) for label, counts in self.by_label.items()},
            "codes": dict(sorted(self.codes.items())),
            "sessions_terminated": len(self.terminated),
            "skipped_invalid": self.skipped_invalid,
            "elapsed_s": round(self.elapsed_s, 3),
        }


def _three(counts: Counter[str]) -> dict[str, int]:
    return {action.value: counts.get(action.value, 0) for action in Action}
