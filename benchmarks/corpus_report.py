"""Replay labelled public corpora through the real engine and report what it costs and catches.

Usage::

    python benchmarks/corpus_report.py DATA_DIR [--rules FILE] [--json OUT] [--examples N]
        [--only NAME]

``DATA_DIR`` holds JSON-lines corpora (every ``*.jsonl`` in it, one report column each), one
object a line with ``text``, ``label`` (``ham``/``spam``), ``session``, ``ts`` (Unix seconds
or null), ``role``, ``source`` and ``meta``. ``meta.author``, when present, is the individual
sender inside a session, so every participant of a conversation has windows of their own.

Each corpus gets an engine of its own (the shipped rules, with ``--rules`` layered on top).
Sessions are replayed one after the other in the order they first appear in the file (windows
are per sender, and replaying a session whole keeps the store's clock-driven expiry from
dropping a session whose messages are interleaved with others months apart); within a
session messages are in file order, stably sorted by ``ts``. A message without ``ts`` is
placed on a synthetic clock of its session that advances 30 s per message, so one-message
sessions (SMS, YouTube comments) do not look like bursts.

Reported per source:

- messages, ham and spam counts;
- ham blocked: the share of ham messages whose verdict is block or terminate, overall and
  per detector (the code group of each reason that acted; ``engine`` is a post refused
  because its engagement was already terminated, ``policy`` is strike escalation);
- ham blocked in terminated sessions: the part of it that fell in sessions that ended
  terminated (the cascade of one termination, as opposed to isolated blocks);
- ham sessions terminated: the share of sessions holding only ham that were terminated;
- spam caught: the share of spam messages blocked or terminated, overall and per detector.

``--examples N`` prints up to N blocked ham messages per detector, truncated, with the codes
that acted, to judge whether each block is justified.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spamguard import Engine, Message
from spamguard.config import Rules, load_rules
from spamguard.errors import RulesError
from spamguard.message import Role
from spamguard.verdict import Action, Verdict

SYNTHETIC_STEP_S = 30.0
"""Seconds between consecutive messages of a session that has no timestamps."""

DETECTORS = ("length", "urls", "duplicates", "emoji", "symbols", "burst", "policy", "engine")
"""Report order of the reason-code groups; any other group is appended after these."""

LABELS = ("ham", "spam")


@dataclass(frozen=True, slots=True)
class Item:
    """One corpus message, ready to replay."""

    line: int
    label: str | None
    message: Message


@dataclass
class Example:
    """A blocked ham message kept for the examples listing."""

    line: int
    action: str
    codes: list[str]
    detail: str
    text: str


@dataclass
class SourceReport:
    """Counts gathered while replaying one corpus."""

    source: str
    messages: int = 0
    labels: Counter[str] = field(default_factory=Counter)
    stopped: Counter[str] = field(default_factory=Counter)  # label -> blocked or terminated
    by_detector: dict[str, Counter[str]] = field(
        default_factory=lambda: {label: Counter() for label in LABELS}
    )
    by_code: dict[str, Counter[str]] = field(
        default_factory=lambda: {label: Counter() for label in LABELS}
    )
    actions: dict[str, Counter[str]] = field(
        default_factory=lambda: {label: Counter() for label in LABELS}
    )
    ham_sessions: int = 0
    ham_sessions_terminated: int = 0
    ham_blocked_in_terminated: int = 0  # ham stopped inside sessions that were terminated
    sessions: int = 0
    sessions_terminated: int = 0
    examples: dict[str, list[Example]] = field(default_factory=lambda: defaultdict(list))
    elapsed_s: float = 0.0

    def add(self, item: Item, verdict: Verdict, keep_examples: int) -> None:
        """Count one message's verdict."""
        self.messages += 1
        label = item.label
        if label not in LABELS:
            return
        self.labels[label] += 1
        self.actions[label][verdict.action.value] += 1
        if verdict.action is Action.ALLOW:
            return
        self.stopped[label] += 1
        acting = [reason for reason in verdict.reasons if reason.acted]
        for detector in {reason.detector for reason in acting}:
            self.by_detector[label][detector] += 1
        for code in {reason.code for reason in acting}:
            self.by_code[label][code] += 1
        if label == "ham" and keep_examples:
            detail = "; ".join(f"{reason.code} {reason.message}".strip() for reason in acting)
            for detector in sorted({reason.detector for reason in acting}):
                kept = self.examples[detector]
                if len(kept) < keep_examples:
                    kept.append(
                        Example(
                            item.line,
                            verdict.action.value,
                            [reason.code for reason in acting],
                            detail,
                            item.message.text,
                        )
                    )

    def detectors(self) -> list[str]:
        """The detector groups seen, in report order."""
        seen = set(self.by_detector["ham"]) | set(self.by_detector["spam"])
        return [d for d in DETECTORS if d in seen] + sorted(seen - set(DETECTORS))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of this report."""
        ham, spam = self.labels["ham"], self.labels["spam"]
        return {
            "source": self.source,
            "messages": self.messages,
            "ham": ham,
            "spam": spam,
            "ham_blocked": self.stopped["ham"],
            "ham_blocked_share": _share(self.stopped["ham"], ham),
            "ham_blocked_by_detector": {
                d: {"count": n, "share": _share(n, ham)}
                for d, n in sorted(self.by_detector["ham"].items())
            },
            "ham_blocked_in_terminated_sessions": self.ham_blocked_in_terminated,
            "ham_sessions": self.ham_sessions,
            "ham_sessions_terminated": self.ham_sessions_terminated,
            "ham_sessions_terminated_share": _share(
                self.ham_sessions_terminated, self.ham_sessions
            ),
            "spam_caught": self.stopped["spam"],
            "spam_caught_share": _share(self.stopped["spam"], spam),
            "spam_caught_by_detector": {
                d: {"count": n, "share": _share(n, spam)}
                for d, n in sorted(self.by_detector["spam"].items())
            },
            "actions": {label: dict(self.actions[label]) for label in LABELS},
            "codes": {label: dict(sorted(self.by_code[label].items())) for label in LABELS},
            "sessions": self.sessions,
            "sessions_terminated": self.sessions_terminated,
            "elapsed_s": round(self.elapsed_s, 3),
        }


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 6)


def read_corpus(path: Path) -> tuple[str, dict[str, list[Item]]]:
    """The corpus's source name and its messages grouped by session, sessions in file order.

    Messages of a session are stably sorted by time; a message without ``ts`` gets the
    session's synthetic clock (30 s after the session's previous message, 0 for the first).
    """
    raw_sessions: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    source = path.stem
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            obj = json.loads(raw)
            if number == 1 and isinstance(obj.get("source"), str):
                source = obj["source"]
            raw_sessions.setdefault(str(obj["session"]), []).append((number, obj))
    sessions: dict[str, list[Item]] = {}
    for session, rows in raw_sessions.items():
        clock = -SYNTHETIC_STEP_S
        timed: list[tuple[float, Item]] = []
        for number, obj in rows:
            ts = obj.get("ts")
            clock = float(ts) if ts is not None else clock + SYNTHETIC_STEP_S
            meta = obj.get("meta") or {}
            author = meta.get("author") if isinstance(meta, dict) else None
            message = Message(
                text=obj.get("text") or "",
                session=session,
                role=Role.parse(obj.get("role") or "user"),
                sender=author if isinstance(author, str) else "",
                ts=clock,
            )
            timed.append((clock, Item(number, obj.get("label"), message)))
        timed.sort(key=lambda pair: pair[0])  # stable: ties keep file order
        sessions[session] = [item for _, item in timed]
    return source, sessions


def run_corpus(path: Path, rules: Rules, keep_examples: int) -> SourceReport:
    """Replay one corpus through a fresh engine and count the outcomes."""
    source, sessions = read_corpus(path)
    engine = Engine(rules)
    report = SourceReport(source)
    started = time.perf_counter()
    for items in sessions.values():
        terminated = False
        labels: set[str | None] = set()
        ham_stopped = 0
        for item in items:
            verdict = engine.check(item.message)
            report.add(item, verdict, keep_examples)
            terminated = terminated or verdict.action is Action.TERMINATE
            labels.add(item.label)
            ham_stopped += item.label == "ham" and verdict.action is not Action.ALLOW
        report.sessions += 1
        report.sessions_terminated += terminated
        if terminated:
            report.ham_blocked_in_terminated += ham_stopped
        if labels == {"ham"}:
            report.ham_sessions += 1
            report.ham_sessions_terminated += terminated
    report.elapsed_s = time.perf_counter() - started
    return report


def _cell(part: int, whole: int) -> str:
    if whole == 0:
        return "n/a"
    return f"{part} ({100 * part / whole:.2f}%)"


def _rows(reports: Sequence[SourceReport]) -> Iterator[list[str]]:
    seen = {d for report in reports for d in report.detectors()}
    detectors = [d for d in DETECTORS if d in seen] + sorted(seen - set(DETECTORS))
    yield ["", *(report.source for report in reports)]
    yield ["messages", *(str(r.messages) for r in reports)]
    yield ["ham", *(str(r.labels["ham"]) for r in reports)]
    yield ["spam", *(str(r.labels["spam"]) for r in reports)]
    yield [
        "ham blocked or terminated",
        *(_cell(r.stopped["ham"], r.labels["ham"]) for r in reports),
    ]
    for detector in detectors:
        yield [
            f"  by {detector}",
            *(_cell(r.by_detector["ham"][detector], r.labels["ham"]) for r in reports),
        ]
    yield [
        "  in terminated sessions",
        *(_cell(r.ham_blocked_in_terminated, r.labels["ham"]) for r in reports),
    ]
    yield [
        "ham sessions terminated",
        *(_cell(r.ham_sessions_terminated, r.ham_sessions) for r in reports),
    ]
    yield ["spam caught", *(_cell(r.stopped["spam"], r.labels["spam"]) for r in reports)]
    for detector in detectors:
        yield [
            f"  by {detector}",
            *(_cell(r.by_detector["spam"][detector], r.labels["spam"]) for r in reports),
        ]


def render_table(reports: Sequence[SourceReport]) -> str:
    """The people-facing table: one row per figure, one column per source."""
    rows = list(_rows(reports))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def render_examples(reports: Sequence[SourceReport], width: int = 110) -> str:
    """Blocked ham messages per source and detector, truncated to `width` characters."""
    out: list[str] = []
    for report in reports:
        for detector in sorted(report.examples):
            out.append(f"\n== {report.source}: ham blocked by {detector} ==")
            for example in report.examples[detector]:
                text = " ".join(example.text.split())
                if len(text) > width:
                    text = text[: width - 1] + "…"
                out.append(f"  line {example.line} [{example.action}] {example.detail}")
                out.append(f"      {text!r}")
    return "\n".join(out)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Replay labelled corpora through spamguard and report ham cost and spam catch."
    )
    parser.add_argument("data_dir", type=Path, help="folder of *.jsonl corpora")
    parser.add_argument("--rules", type=Path, help="rules file layered over the shipped rules")
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the figures as JSON")
    parser.add_argument(
        "--examples",
        type=int,
        default=0,
        metavar="N",
        help="print up to N blocked ham messages per source and detector",
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="replay only this corpus file stem (repeatable), e.g. chitchat",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the report; returns the exit status."""
    args = _parser().parse_args(argv)
    corpora = sorted(args.data_dir.glob("*.jsonl"))
    if args.only:
        corpora = [path for path in corpora if path.stem in args.only]
    if not corpora:
        print(f"corpus_report: no *.jsonl corpora in {args.data_dir}", file=sys.stderr)
        return 2
    try:
        rules = load_rules(args.rules)
    except RulesError as exc:
        print(f"corpus_report: invalid rules:\n{exc}", file=sys.stderr)
        return 2
    reports = [run_corpus(path, rules, args.examples) for path in corpora]
    rules_name = str(args.rules) if args.rules else "shipped defaults"
    print(f"rules: {rules_name}\n")
    print(render_table(reports))
    if args.examples:
        print(render_examples(reports))
    if args.json:
        document = {
            "rules": rules_name,
            "synthetic_step_s": SYNTHETIC_STEP_S,
            "sources": [report.to_dict() for report in reports],
        }
        args.json.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
