"""`spamguard replay` and `spamguard diff`: a corpus through one rule set, or two compared."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from typing import IO, Any

from spamguard.cli.corpus import (
    CorpusReader,
    UsageError,
    check_writable,
    jobs_for,
    json_line,
    output,
    rules_of,
    write_text,
)
from spamguard.codes import CATALOGUE
from spamguard.config import Rules
from spamguard.errors import SpamguardError
from spamguard.replay import ReplayRecord, Summary
from spamguard.sharding import Judged, WorkerFailed, judge_corpus
from spamguard.stores.factory import store_from_url

__all__ = ["run_diff", "run_replay"]

EXIT_OK, EXIT_DIFFERENT = 0, 1
_SHOWN_TEXT = 80


def run_replay(args: argparse.Namespace) -> int:
    """Replay a corpus through the rules; verdicts to ``--out``, counts to the terminal."""
    rules = rules_of(args.rules)
    store = _checked_store(args.store)
    for option, target in (("--out", args.out), ("--summary", args.summary)):
        check_writable(option, target, args.corpus)
    reader = CorpusReader(args.corpus, skip_invalid=args.skip_invalid)
    jobs = jobs_for(args.jobs, reader.size)
    summary = Summary()
    started = time.perf_counter()
    with output(args.out) as out:
        for judged in _judged(reader, [rules], jobs, store):
            (record,) = judged.records
            summary.add(record)
            if out is not None:
                out.write(json_line(record.to_dict()))
    summary.skipped_invalid = reader.skipped_invalid
    summary.elapsed_s = time.perf_counter() - started
    if args.summary is not None:
        write_text(args.summary, json.dumps(summary.to_dict(), indent=2) + "\n")
    _print_table(summary, jobs, sys.stdout if args.out != "-" else sys.stderr)
    return EXIT_OK


def run_diff(args: argparse.Namespace) -> int:
    """Replay a corpus through two rule sets and list every line judged differently.

    Exit status 1 when any line differs, like diff(1), so a rollout script can gate on it.
    """
    rule_sets = [rules_of(args.rules), rules_of(args.against)]
    for option, target in (("--out", args.out), ("--summary", args.summary)):
        check_writable(option, target, args.corpus)
    reader = CorpusReader(args.corpus, skip_invalid=args.skip_invalid)
    jobs = jobs_for(args.jobs, reader.size)
    counts = _DiffCounts()
    started = time.perf_counter()
    listing = sys.stdout if args.out is None else None
    with output(args.out) as out:
        for judged in _judged(reader, rule_sets, jobs, None):
            before, after = judged.records
            counts.add(before, after)
            if before.action is after.action and before.codes == after.codes:
                continue
            if out is not None:
                out.write(json_line(_diff_dict(before, after)))
            if listing is not None:
                print(_diff_line(before, after), file=listing)
    counts.skipped_invalid = reader.skipped_invalid
    counts.elapsed_s = time.perf_counter() - started
    data = counts.to_dict(str(args.rules or "<shipped>"), str(args.against))
    if args.summary is not None:
        write_text(args.summary, json.dumps(data, indent=2) + "\n")
    _print_diff_counts(data, jobs, sys.stdout if args.out != "-" else sys.stderr)
    return EXIT_DIFFERENT if counts.differing else EXIT_OK


def _checked_store(url: str | None) -> str | None:
    # Built once here so a bad URL is one clear line before any worker starts.
    if url is None:
        return None
    try:
        store_from_url(url)
    except (ValueError, SpamguardError) as exc:
        raise UsageError(f"--store: {exc}") from exc
    return url


def _judged(
    reader: CorpusReader, rules: list[Rules], jobs: int, store: str | None
) -> Iterator[Judged]:
    try:
        yield from judge_corpus(reader, rules, jobs=jobs, store=store)
    except WorkerFailed as exc:
        raise UsageError(str(exc)) from exc


class _DiffCounts:
    """Counts over a diff: lines, differing lines, and action transitions by label."""

    def __init__(self) -> None:
        self.messages = 0
        self.differing = 0
        self.codes_only = 0
        self.transitions: Counter[tuple[str, str]] = Counter()
        self.by_label: dict[str, Counter[tuple[str, str]]] = {}
        self.skipped_invalid = 0
        self.elapsed_s = 0.0

    def add(self, before: ReplayRecord, after: ReplayRecord) -> None:
        self.messages += 1
        if before.action is after.action:
            if before.codes != after.codes:
                self.differing += 1
                self.codes_only += 1
            return
        self.differing += 1
        step = (before.action.value, after.action.value)
        self.transitions[step] += 1
        label = before.item.label or "unlabelled"
        self.by_label.setdefault(label, Counter())[step] += 1

    def to_dict(self, rules: str, against: str) -> dict[str, Any]:
        return {
            "rules": rules,
            "against": against,
            "messages": self.messages,
            "differing": self.differing,
            "action_changed": self.differing - self.codes_only,
            "codes_only": self.codes_only,
            "transitions": _steps(self.transitions),
            "by_label": {label: _steps(c) for label, c in sorted(self.by_label.items())},
            "skipped_invalid": self.skipped_invalid,
            "elapsed_s": round(self.elapsed_s, 3),
        }


def _steps(counts: Counter[tuple[str, str]]) -> dict[str, int]:
    return {f"{a}->{b}": n for (a, b), n in sorted(counts.items())}


def _diff_dict(before: ReplayRecord, after: ReplayRecord) -> dict[str, Any]:
    item = before.item
    data: dict[str, Any] = {
        "line": item.line,
        "tenant": item.message.tenant,
        "interface": item.message.interface,
        "session": item.message.session,
        "label": item.label,
        "rules": {"action": before.action.value, "codes": list(before.codes)},
        "against": {"action": after.action.value, "codes": list(after.codes)},
        "text": item.message.text[:200],
    }
    return data


def _diff_line(before: ReplayRecord, after: ReplayRecord) -> str:
    item = before.item
    text = json_line(item.message.text[:_SHOWN_TEXT]).rstrip("\n")
    left = f"{before.action.value} {','.join(before.codes) or '-'}"
    right = f"{after.action.value} {','.join(after.codes) or '-'}"
    label = item.label or "-"
    return f"line {item.line:<8} {label:<5} {left:<28} -> {right:<28} {text}"


def _print_diff_counts(data: dict[str, Any], jobs: int, stream: IO[str]) -> None:
    rate = data["messages"] / data["elapsed_s"] if data["elapsed_s"] else 0.0
    print(
        f"{data['messages']} messages in {data['elapsed_s']:.2f} s ({rate:,.0f}/s, "
        f"{jobs} {'job' if jobs == 1 else 'jobs'}): {data['differing']} differ "
        f"({data['action_changed']} in action, {data['codes_only']} in codes only)",
        file=stream,
    )
    for label, steps in data["by_label"].items():
        for step, count in steps.items():
            print(f"  {label:<10} {step:<20} {count:>8}", file=stream)
    if data["skipped_invalid"]:
        print(f"invalid lines skipped: {data['skipped_invalid']}", file=stream)


def _print_table(summary: Summary, jobs: int, stream: IO[str]) -> None:
    data = summary.to_dict()
    rate = summary.messages / summary.elapsed_s if summary.elapsed_s else 0.0
    print(
        f"{data['messages']} messages in {data['elapsed_s']:.2f} s ({rate:,.0f}/s, "
        f"{jobs} {'job' if jobs == 1 else 'jobs'})",
        file=stream,
    )
    print(f"{'':<10}{'allow':>10}{'block':>10}{'terminate':>11}", file=stream)
    rows: list[tuple[str, dict[str, Any]]] = [("all", data["actions"])]
    rows += [(label, counts) for label, counts in data["by_label"].items() if sum(counts.values())]
    for name, counts in rows:
        print(
            f"{name:<10}{counts['allow']:>10}{counts['block']:>10}{counts['terminate']:>11}",
            file=stream,
        )
    print(f"sessions terminated: {data['sessions_terminated']}", file=stream)
    if summary.skipped_invalid:
        print(f"invalid lines skipped: {summary.skipped_invalid}", file=stream)
    for code, count in sorted(summary.codes.items(), key=lambda kv: -kv[1]):
        print(f"  {code} {CATALOGUE[code].slug:<26} {count:>8}", file=stream)
