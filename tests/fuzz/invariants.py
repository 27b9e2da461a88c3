"""What holds for every verdict, whatever the message and whatever rules loaded."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator

from spamguard import CATALOGUE, Action, Verdict

__all__ = ["check_verdict", "no_logged_errors"]

_ANALYSIS_FAILED = "SG007"


def check_verdict(verdict: Verdict) -> None:
    """Assert the invariants of one verdict."""
    assert isinstance(verdict, Verdict), verdict
    assert verdict.action in Action, verdict
    assert verdict.shadow_action.severity >= verdict.action.severity, verdict
    assert (verdict.notice is None) == (verdict.action is Action.ALLOW), verdict
    for reason in verdict.reasons:
        assert reason.code in CATALOGUE, reason
        # Our analysis or a detector raised: the engine fails open and hides it from its
        # caller, so the fuzzer must look for it.
        assert reason.code != _ANALYSIS_FAILED, reason
    # The log record must be strict JSON (no NaN): log shippers parse it.
    json.dumps(verdict.log, allow_nan=False)
    json.dumps(verdict.to_dict(), allow_nan=False)


class _Crashes(logging.Handler):
    """Turns a record logged with a traceback into an AssertionError, raised right there.

    Raised from inside the engine's ``except`` block, so the report carries both the
    original traceback (as text) and where the engine caught it.
    """

    def __init__(self) -> None:
        super().__init__(logging.ERROR)

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            trace = logging.Formatter().formatException(record.exc_info)
            raise AssertionError(f"{record.getMessage()}\n{trace}")


@contextlib.contextmanager
def no_logged_errors() -> Iterator[None]:
    """Fail if the block logs an exception on the ``spamguard`` logger.

    The engine logs, with its traceback, every exception it contains: a failed analysis
    or detector, a store raising something other than `StoreError`. Each is a bug the
    caller never sees; a store's own `StoreError` (e.g. a full memory store) is not.
    """
    logger = logging.getLogger("spamguard")
    crashes = _Crashes()
    logger.addHandler(crashes)
    try:
        yield
    finally:
        logger.removeHandler(crashes)
