"""`spamguard tune`: sweep thresholds on a labelled corpus, write the best rules and a report."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from spamguard.cli.corpus import CorpusReader, UsageError, check_writable, jobs_for, write_text
from spamguard.detectors import REGISTRY
from spamguard.errors import RuleIssue, RulesError
from spamguard.sharding import WorkerFailed
from spamguard.tuning.document import CorpusFacts, build_document
from spamguard.tuning.evaluate import Evaluator
from spamguard.tuning.knobs import Knob, Value, knobs_for
from spamguard.tuning.overlay import render_overlay
from spamguard.tuning.report import render_html
from spamguard.tuning.search import Budgets, Candidates, TuneResult, tune
from spamguard.tuning.tally import Tally

__all__ = ["add_tune_parser", "run_tune"]

EXIT_OK, EXIT_OVER_BUDGET = 0, 1
SECTIONS = (*(detector.name for detector in REGISTRY), "strikes")
# Worker processes cost about a second to start; below this size one process is faster.
_PARALLEL_FROM_BYTES = 200_000


def add_tune_parser(commands: Any) -> None:
    """Register ``spamguard tune``."""
    tune_ = commands.add_parser(
        "tune",
        help="sweep thresholds on a labelled corpus and write the best rules",
        description="Exit status 1 when no rule set tried keeps the budgets (the closest "
        "one is written), 2 for bad input.",
    )
    tune_.add_argument("corpus", type=Path, help="JSON lines labelled ham/spam")
    tune_.add_argument("--rules", type=Path, help="the base rules (default: shipped)")
    tune_.add_argument(
        "--max-ham-block",
        type=_share,
        required=True,
        metavar="SHARE",
        help="largest share of ham posts that may be blocked or terminated, e.g. 0.001",
    )
    tune_.add_argument(
        "--max-ham-terminate",
        type=_share,
        default=0.0,
        metavar="SHARE",
        help="largest share of ham sessions that may be terminated (default 0)",
    )
    tune_.add_argument("--out", type=Path, required=True, help="the tuned rules (YAML)")
    tune_.add_argument("--report", type=Path, help="the report (HTML, or JSON with --format)")
    tune_.add_argument("--format", choices=("html", "json"), default="html")
    tune_.add_argument(
        "--only",
        type=_sections,
        metavar="SECTIONS",
        help=f"comma-separated rules sections to sweep (default all: {','.join(SECTIONS)})",
    )
    tune_.add_argument("--max-passes", type=int, default=3, metavar="N")
    tune_.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help="worker processes, sessions sharded among them (default: every core for "
        f"corpora over {_PARALLEL_FROM_BYTES // 1000} KB, else 1); results do not depend on N",
    )
    tune_.add_argument("--skip-invalid", action="store_true", help="count and skip bad lines")
    tune_.add_argument("--quiet", action="store_true", help="no progress on stderr")
    tune_.set_defaults(run=run_tune)


def run_tune(args: argparse.Namespace) -> int:
    """Run the sweep, write the overlay and the report."""
    if args.max_passes < 1:
        raise UsageError(f"--max-passes must be at least 1, got {args.max_passes}")
    if args.format == "json" and args.report is None:
        raise UsageError("--format json is the format of --report: name the report file")
    check_writable("--out", args.out, args.corpus)
    check_writable("--report", args.report, args.corpus)
    candidates = _candidates(args.rules)
    budgets = Budgets(args.max_ham_block, args.max_ham_terminate)
    knobs = knobs_for(candidates.base.defaults, args.only)
    if not knobs:
        raise UsageError("nothing to tune: every selected detector is disabled in the rules")
    reader = CorpusReader(args.corpus, skip_invalid=args.skip_invalid, progress=not args.quiet)
    jobs = jobs_for(args.jobs, reader.size, _PARALLEL_FROM_BYTES)
    say = _Say(args.quiet)
    say(f"reading {args.corpus} into {jobs} {'worker' if jobs == 1 else 'workers'}")
    try:
        with Evaluator(reader, jobs=jobs) as evaluator:
            say(f"{evaluator.lines:,} lines; sweeping {len(knobs)} thresholds")
            result = tune(
                evaluator,
                candidates,
                knobs,
                budgets,
                max_passes=args.max_passes,
                on_knob=say.knob,
                on_base=lambda tally: _check_labels(tally, args.corpus),
            )
    except WorkerFailed as exc:
        raise UsageError(str(exc)) from exc
    facts = CorpusFacts(
        str(args.corpus), evaluator.lines, reader.skipped_invalid, candidates.source, jobs
    )
    document = build_document(result, budgets, facts)
    write_text(args.out, _overlay_text(candidates, result, document, budgets, args.corpus))
    if args.report is not None:
        page = json.dumps(document, indent=2) + "\n" if args.format == "json" else None
        write_text(args.report, page if page is not None else render_html(document))
    _print_outcome(document, args, sys.stdout)
    return EXIT_OK if document["tuned"]["feasible"] else EXIT_OVER_BUDGET


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a share between 0 and 1, got {text!r}"
        ) from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a share between 0 and 1, got {text!r}")
    return value


def _sections(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in SECTIONS]
    if unknown or not names:
        named = ", ".join(unknown) or "(none)"
        raise argparse.ArgumentTypeError(
            f"unknown section {named}; expected some of {','.join(SECTIONS)}"
        )
    return names


def _candidates(path: Path | None) -> Candidates:
    if path is None:
        return Candidates(None)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problem = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise RulesError([RuleIssue(str(path), None, "", f"cannot read: {problem}")]) from exc
    return Candidates(text, str(path))


def _check_labels(base: Tally, corpus: Path) -> None:
    missing = [label for label in ("ham", "spam") if not base.posts(label)]
    if missing:
        raise UsageError(
            f"{corpus}: no line is labelled {' or '.join(missing)}; tuning weighs spam caught "
            "against ham blocked, so it needs both labels (`label`: ham or spam)"
        )


def _overlay_text(
    candidates: Candidates,
    result: TuneResult,
    document: dict[str, Any],
    budgets: Budgets,
    corpus: Path,
) -> str:
    overlay = candidates.overlay(result.knobs, result.values)
    comments: dict[tuple[str, ...], str] = {}
    for change in document["changes"]:
        knob = _knob_named(result.knobs, change["path"])
        where = ("defaults", *(str(part) for part in knob.path))
        comments[where] = f"was {_show(change['from'])}: {change['why']}"
    base, tuned = document["base"], document["tuned"]
    header = [
        f"spamguard tune on {corpus.name}: {document['corpus']['messages']:,} messages "
        f"({document['corpus']['ham']:,} ham, {document['corpus']['spam']:,} spam)",
        f"budgets: ham blocked <= {budgets.max_ham_block:.3%}, "
        f"ham sessions terminated <= {budgets.max_ham_terminate:.2%}",
        f"base ({candidates.source}): spam caught {base['spam_caught_share']:.2%}, "
        f"ham blocked {base['ham_blocked_share']:.3%}",
        f"tuned: spam caught {tuned['spam_caught_share']:.2%}, "
        f"ham blocked {tuned['ham_blocked_share']:.3%}",
        "Layered over the shipped rules like any rules file: spamguard validate FILE;",
        "spamguard diff CORPUS --rules BASE --against FILE shows every verdict that changes.",
        "",
    ]
    return render_overlay(overlay, comments, header)


def _knob_named(knobs: list[Knob], name: str) -> Knob:
    return next(knob for knob in knobs if knob.name == name)


def _show(value: Value) -> str:
    return "none" if value is None else f"{value:g}"


def _print_outcome(document: dict[str, Any], args: argparse.Namespace, stream: Any) -> None:
    base, tuned, search = document["base"], document["tuned"], document["search"]
    print(
        f"spam caught {base['spam_caught_share']:.2%} -> {tuned['spam_caught_share']:.2%}, "
        f"ham blocked {base['ham_blocked_share']:.3%} -> {tuned['ham_blocked_share']:.3%}, "
        f"ham sessions terminated {base['ham_sessions_terminated']} -> "
        f"{tuned['ham_sessions_terminated']}"
        + ("" if tuned["feasible"] else "  (the budgets could not be met)"),
        file=stream,
    )
    print(
        f"{len(document['changes'])} thresholds changed; {search['evaluations']} replays in "
        f"{search['passes']} passes, {search['elapsed_s']:.1f} s on {search['jobs']} "
        f"{'job' if search['jobs'] == 1 else 'jobs'}",
        file=stream,
    )
    print(f"wrote {args.out}" + (f" and {args.report}" if args.report else ""), file=stream)


class _Say:
    """Progress lines on stderr: one per knob swept."""

    def __init__(self, quiet: bool) -> None:
        self._quiet = quiet
        self._started = time.perf_counter()

    def __call__(self, text: str) -> None:
        if not self._quiet:
            print(text, file=sys.stderr, flush=True)

    def knob(self, number: int, knob: Knob, before: Value, after: Value, tally: Tally) -> None:
        moved = f"{_show(before)} -> {_show(after)}" if before != after else _show(before)
        spam = tally.stopped("spam") / max(tally.posts("spam"), 1)
        ham = tally.stopped("ham") / max(tally.posts("ham"), 1)
        elapsed = time.perf_counter() - self._started
        self(
            f"pass {number}  {knob.name:<36} {moved:<14} spam caught {spam:7.2%}  "
            f"ham blocked {ham:7.3%}  {elapsed:6.0f} s"
        )
