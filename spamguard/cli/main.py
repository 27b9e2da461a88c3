"""`spamguard`: check, validate, explain, replay, diff, tune and synthesise corpora.

Exit status: 0 success, 1 invalid rules (validate) or differences found (diff), 2 bad
input or usage (a malformed corpus line, an unknown code, a missing file).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from spamguard.cli.bench import add_bench_parser
from spamguard.cli.corpus import UsageError, add_jobs_option
from spamguard.cli.replaying import run_diff, run_replay
from spamguard.cli.serve import add_serve_parser
from spamguard.cli.synth import add_corpus_parser
from spamguard.cli.tuning import add_tune_parser
from spamguard.codes import CATALOGUE, lookup, render_doc
from spamguard.config import load_rules
from spamguard.engine import Engine
from spamguard.errors import RulesError, SpamguardError
from spamguard.message import Message
from spamguard.replay import CorpusError, parse_line

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


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
    except KeyboardInterrupt:
        print("spamguard: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return status


_STORE_HELP = (
    "session store URL (default memory://; e.g. redis://host:6379/0); "
    "SPAMGUARD_STORE_URL and the rules file's store: are not used here"
)


_REPLAY_STORE_HELP = (
    "session store URL (default: memory with no session cap, so results do not depend on "
    "--jobs); SPAMGUARD_STORE_URL and the rules file's store: are not used here"
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
    rep.add_argument("--store", help=_REPLAY_STORE_HELP)
    add_jobs_option(rep)
    rep.set_defaults(run=run_replay)

    diff = commands.add_parser(
        "diff", help="replay a corpus through two rule sets and list what they judge differently"
    )
    diff.add_argument("corpus", type=Path)
    diff.add_argument("--rules", type=Path, help="the current rules (default: shipped)")
    diff.add_argument("--against", type=Path, required=True, help="the candidate rules")
    diff.add_argument("--out", help="differing lines as JSON lines ('-' for stdout)")
    diff.add_argument("--summary", type=Path, help="counts as JSON")
    diff.add_argument("--skip-invalid", action="store_true", help="count and skip bad lines")
    add_jobs_option(diff)
    diff.set_defaults(run=run_diff)

    add_tune_parser(commands)
    add_corpus_parser(commands)
    add_bench_parser(commands)
    add_serve_parser(commands)
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
        _print_json(engine.check(item.message).to_dict())
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


def _print_json(data: dict[str, Any]) -> None:
    print(json.dumps(data, ensure_ascii=False))
