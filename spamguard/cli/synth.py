"""`spamguard corpus synth`: labelled synthetic chat traffic as JSON lines."""

from __future__ import annotations

import argparse
import json
from typing import Any

from spamguard.cli.corpus import UsageError, output
from spamguard.synth import synthesize

__all__ = ["add_corpus_parser"]


def add_corpus_parser(commands: Any) -> None:
    """Register ``spamguard corpus synth``."""
    corpus = commands.add_parser("corpus", help="work with corpora")
    verbs = corpus.add_subparsers(required=True, metavar="VERB")
    synth = verbs.add_parser(
        "synth", help="generate realistic labelled traffic (deterministic for a seed)"
    )
    synth.add_argument("--sessions", type=int, required=True, metavar="N")
    synth.add_argument("--spam-share", type=float, default=0.2, metavar="P")
    synth.add_argument("--seed", type=int, default=1, metavar="S")
    synth.add_argument("--out", help="write here instead of stdout")
    synth.set_defaults(run=_run_synth)


def _run_synth(args: argparse.Namespace) -> int:
    try:
        lines = synthesize(args.sessions, args.spam_share, args.seed)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    with output(args.out or "-") as target:
        assert target is not None  # a file or stdout, never nothing
        for line in lines:
            target.write(json.dumps(line, ensure_ascii=False) + "\n")
    return 0
