"""`spamguard`: check, validate, explain and replay from the command line.

Exit status: 0 success, 1 invalid rules (validate) or a failed check run, 2 bad input or
usage (a malformed corpus line, an unknown code, a missing file).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from spamguard.cli.progress import Progress
from spamguard.codes import CATALOGUE, lookup, render_doc
from spamguard.config import load_rules
from spamguard.engine import Engine
from spamguard.errors import RulesError, SpamguardError
from spamguard.message import Message
from spamguard.replay import CorpusError, CorpusLine, Summary, parse_line, replay

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A problem with the command's input, reported as one line and exit status 2."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        status: int = args.run(args)
    except RulesError as exc:
        print(f"spamguard: invalid rules:\n{exc}", file=sys.stderr)
        return EXIT_USAGE
    except UsageError as exc:
        print(f"spamguard: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # `spamguard replay ... | head` is fine
        return EXIT_OK
    return status


_STORE_HELP = (
    "session store URL (default memory://; e.g. redis://host:6379/0); "
    "SPAMGUARD_STORE_URL and the rules file's store: are not used here"
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spamguard", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="check messages (JSON lines on stdin, or TEXT)")
    check.add_argument("text", nargs="?", help="one message text (else JSON lines on stdin)")
    check.add_argument("--rules", type=Path, help="rules file layered over the shipped rules")
    check.add_argument("--store", default="memory://", help=_STORE_HELP)
    check.set_defaults(run=_check)

    validate = commands.add_parser("validate", help="validate a rules file")
    validate.add_argument("file", type=Path)
    validate.set_defaults(run=_validate)

    explain = commands.add_parser("explain", help="document a reason code")
    explain.add_argument("code", nargs="?", help="a code (SG201) or slug (too-many-urls)")
    explain.add_argument("--list", action="store_true", help="list every code")
    explain.add_argument("--write", type=Path, metavar="DIR", help="write one page per code")
    explain.set_defaults(run=_explain)

    rep = commands.add_parser("replay", help="replay a JSON-lines corpus through the engine")
    rep.add_argument("corpus", type=Path)
    rep.add_argument("--rules", type=Path, help="rules file layered over the shipped rules")
    rep.add_argument("--out", help="verdicts as JSON lines ('-' for stdout)")
    rep.add_argument("--summary", type=Path, help="summary as JSON")
    rep.add_argument("--skip-invalid", action="store_true", help="count and skip bad lines")
    rep.add_argument("--store", default="memory://", help=_STORE_HELP)
    rep.set_defaults(run=_replay)
    return parser


def _engine(args: argparse.Namespace) -> Engine:
    # Never the deployment's store by accident: replaying a corpus into production state
    # would strike and conclude real sessions. A store is used only when named.
    try:
        return Engine(args.rules, store=args.store)
    except (ValueError, SpamguardError) as exc:
        if isinstance(exc, RulesError):
            raise
        raise UsageError(f"--store: {exc}") from exc


def _check(args: argparse.Namespace) -> int:
    engine = _engine(args)
    if args.text is not None:
        _print_json(engine.check(Message(text=args.text, session="cli")).to_dict())
        return EXIT_OK
    for number, raw in enumerate(sys.stdin, start=1):
        if not raw.strip():
            continue
        try:
            item = parse_line(number, raw)
        except CorpusError as exc:
            raise UsageError(f"<stdin> {exc}") from exc
        message = item.message if item.ts is None else replace(item.message, ts=item.ts)
        _print_json(engine.check(message).to_dict())
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    try:
        rules = load_rules(args.file)
    except RulesError as exc:
        print(exc, file=sys.stderr)
        return EXIT_FAILED
    print(f"{args.file}: OK ({len(rules.tenants)} tenants, {len(rules.interfaces)} interfaces)")
    return EXIT_OK


def _explain(args: argparse.Namespace) -> int:
    if args.write is not None:
        _write_docs(args.write)
        return EXIT_OK
    if args.list or args.code is None:
        for entry in CATALOGUE.values():
            print(f"{entry.code}  {entry.slug:<26} {entry.action.value:<9} {entry.summary}")
        return EXIT_OK
    try:
        entry = lookup(args.code)
    except KeyError as exc:
        raise UsageError(f"{exc.args[0]}; `spamguard explain --list` shows them all") from exc
    print(render_doc(entry), end="")
    return EXIT_OK


def _write_docs(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for entry in CATALOGUE.values():
        (folder / f"{entry.code}.md").write_text(render_doc(entry), encoding="utf-8")
    rows = [
        f"| [{e.code}]({e.code}.md) | `{e.slug}` | {e.group} | {e.action.value} | {e.summary} |"
        for e in CATALOGUE.values()
    ]
    index = (
        "# Reason codes\n\nGenerated by `spamguard explain --write docs/codes`.\n\n"
        "| code | slug | group | default action | summary |\n|---|---|---|---|---|\n"
    )
    (folder / "README.md").write_text(index + "\n".join(rows) + "\n", encoding="utf-8")


def _replay(args: argparse.Namespace) -> int:
    engine = _engine(args)
    summary = Summary()
    started = time.perf_counter()
    try:
        size = args.corpus.stat().st_size
        corpus = args.corpus.open("rb")
    except OSError as exc:
        raise UsageError(f"cannot read {args.corpus}: {exc.strerror}") from exc
    progress = Progress(total=size, enabled=sys.stderr.isatty() and size > 1_000_000)
    with corpus, _output(args.out) as out:
        lines = _CorpusLines(corpus, args.corpus, summary, args.skip_invalid, progress)
        for record in replay(engine, lines):
            summary.add(record)
            if out is not None:
                out.write(json.dumps(record.to_dict(), ensure_ascii=False) + "\n")
    progress.close()
    summary.elapsed_s = time.perf_counter() - started
    if args.summary is not None:
        args.summary.write_text(json.dumps(summary.to_dict(), indent=2) + "\n", encoding="utf-8")
    _print_table(summary, sys.stdout if args.out != "-" else sys.stderr)
    return EXIT_OK


class _CorpusLines:
    """The parsed lines of a corpus file; bad lines stop the run or are counted and skipped."""

    def __init__(
        self,
        source: IO[bytes],
        name: Path,
        summary: Summary,
        skip_invalid: bool,
        progress: Progress,
    ) -> None:
        self._source, self._name, self._summary = source, name, summary
        self._skip, self._progress = skip_invalid, progress

    def __iter__(self) -> Iterator[CorpusLine]:
        for number, raw in enumerate(self._source, start=1):
            self._progress.advance(len(raw))
            try:
                text = raw.decode("utf-8")
                if not text.strip():
                    continue
                item = parse_line(number, text)
            except UnicodeDecodeError as exc:
                self._fail(CorpusError(number, f"not UTF-8 (byte {exc.start})"))
                continue
            except CorpusError as exc:
                self._fail(exc)
                continue
            yield item

    def _fail(self, error: CorpusError) -> None:
        if not self._skip:
            raise UsageError(f"{self._name}: {error} (use --skip-invalid to skip such lines)")
        self._summary.skipped_invalid += 1


class _output:
    """`--out` as a context manager: a file, stdout for '-', or nothing."""

    def __init__(self, target: str | None) -> None:
        self._target = target
        self._file: IO[str] | None = None

    def __enter__(self) -> IO[str] | None:
        if self._target is None:
            return None
        if self._target == "-":
            return sys.stdout
        try:
            self._file = open(self._target, "w", encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {self._target}: {exc.strerror}") from exc
        return self._file

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()


def _print_table(summary: Summary, stream: IO[str]) -> None:
    data = summary.to_dict()
    rate = summary.messages / summary.elapsed_s if summary.elapsed_s else 0.0
    print(f"{data['messages']} messages in {data['elapsed_s']:.2f} s ({rate:,.0f}/s)", file=stream)
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


def _print_json(data: dict[str, Any]) -> None:
    print(json.dumps(data, ensure_ascii=False))
