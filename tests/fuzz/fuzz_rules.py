"""Fuzz rules loading: any bytes as a rules file load, or fail with a precise `RulesError`.

Run it as the fuzzer (atheris installed; see docs/fuzzing.md)::

    python -m tests.fuzz.fuzz_rules -max_total_time=60 -timeout=10 <a corpus_rules copy>

The bytes go through `load_rules`, the path API every caller uses (size cap, UTF-8
check, YAML, alias-bomb guard, layering, validation), by way of one temporary file
reused for every input. Rules that load must also build an engine that checks a post
under every policy they define.
"""

from __future__ import annotations

import atexit
import os
import sys
import tempfile
from pathlib import Path

if not __package__:  # run as a file: make `tests.fuzz` importable, as `-m` does
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.fuzz.provider import instrumented

# YAML's reader is Python too: its paths guide the search as much as ours do.
with instrumented(__name__ == "__main__", "spamguard", "yaml"):
    from spamguard import Engine, MemoryStore, Message, RulesError, load_rules
    from tests.fuzz.invariants import check_verdict, no_logged_errors

__all__ = ["check_rules_bytes", "main"]


def check_rules_bytes(data: bytes, path: Path) -> None:
    """Load `data` as the rules file at `path`; only a precise `RulesError` may escape."""
    path.write_bytes(data)
    try:
        rules = load_rules(path)
    except RulesError as exc:
        _check_precise(exc, path)
        return
    # Rules that load are usable: an engine compiles them and checks under each policy
    # (what a post gets depends on the rules; that it gets a sound verdict does not).
    engine = Engine(rules, store=MemoryStore(), clock=lambda: 1_700_000_000.0)
    places = [("some-tenant", "some-interface"), *((t, "any") for t in rules.tenants)]
    places += rules.interfaces
    with no_logged_errors():
        for tenant, interface in places:
            for text in ("hello", "see http://spam.example.com " * 3):
                message = Message(text, session="s", tenant=tenant, interface=interface)
                check_verdict(engine.check(message))


def _check_precise(error: RulesError, path: Path) -> None:
    """A refusal names the file and says, for every issue, what is wrong."""
    assert error.issues, "a RulesError without issues"
    for issue in error.issues:
        assert issue.problem.strip(), f"an issue without a problem: {issue!r}"
        assert issue.source == str(path), issue
        assert issue.line is None or issue.line >= 1, issue
    assert str(error).startswith(str(path)), str(error)


def main() -> None:
    """Fuzz with atheris: ``python -m tests.fuzz.fuzz_rules [libFuzzer flags] [corpus]``."""
    import atheris  # type: ignore[import-untyped]

    handle, name = tempfile.mkstemp(suffix=".yaml", prefix="spamguard-fuzz-rules-")
    os.close(handle)
    path = Path(name)
    atexit.register(path.unlink, missing_ok=True)

    def one_input(data: bytes) -> None:
        check_rules_bytes(data, path)

    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
