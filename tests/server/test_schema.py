"""Schemathesis against the ``/openapi.json`` a real `spamguard serve` process serves.

Schemathesis's engine (what ``schemathesis run`` drives) runs its coverage and fuzzing
phases over every operation of the served document, positive and negative, with a fixed
seed and derandomized generation so that a CI run is the same every time, and every
response goes through all of its checks: no 5xx, status codes, content types and bodies
as documented, invalid input rejected, valid input accepted, auth enforced, 405 for
undocumented methods. (The pytest integration, ``schemathesis.pytest.from_fixture``, does
not run under pytest 9, which dropped ``Node._nodeid``; the engine needs no plugin.)

- Bearer tokens: every case gets a valid HS256 token with ``role=agent`` (good for the
  consumer's ``requestEngagement`` too), except the negative cases aimed at the token.
- ``SessionId``: a generated id is unknown (403), so a ``map_case`` hook gives most cases
  a real session on ``SITE`` (one in four concluded, for the 409 paths); the cases whose
  violation is the ``SessionId`` header keep what schemathesis made.

The defects it found (and the two found next to them) are fixed; their regression tests are
in test_app.py.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

pytest.importorskip("schemathesis", reason="the test extra: pip install 'spamguard[test]'")

import schemathesis
from schemathesis.core.parameters import ParameterLocation
from schemathesis.engine import Status, events, from_schema

from tests.server.conftest import (
    SECRET,
    SITE,
    bearer,
    open_engagement,
    post,
    token,
)
from tests.server.server_process import ServerProcess

MAX_EXAMPLES = 50
"""Fuzzed cases per operation (positive and negative together); coverage cases come on top."""
SEED = 20_240_601
DEADLINE_S = 90
"""A bound on the whole run (it takes a few seconds): past it, the run is stopped.
(Schemathesis's own ``max-time`` turns the fuzzing phase into fuzzing until that time.)"""
WALL = "x" * 60_000  # over length.extreme_chars: terminates at once
CONCLUDED_EVERY = 4
"""One mapped case in this many gets a concluded session instead of a live one."""

CONSUMER_PATH = "/engagement/api/consumer/{fqSiteName}/v1"
AGENT_PATH = "/engagement/api/agent/{fqSiteName}/v1"
OPERATIONS = {
    f"POST {CONSUMER_PATH}/requestEngagement",
    f"POST {CONSUMER_PATH}/postMessage",
    f"GET {CONSUMER_PATH}/getMessages",
    f"POST {AGENT_PATH}/postMessage",
    f"GET {AGENT_PATH}/getMessages",
    "GET /health",
    "GET /metrics",
}
REQUIRED_CHECKS = {
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "ignored_auth",
    "unsupported_method",
}


@dataclass(slots=True)
class Run:
    """What one schemathesis run saw: statuses per operation, checks run, failures."""

    statuses: defaultdict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    checks: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    dropped: int = 0
    errors: list[str] = field(default_factory=list)
    stop_reason: str = ""

    def record(self, recorder: Any) -> None:
        """Take in one finished scenario (an operation in one phase)."""
        for case_id in recorder.cases:
            interaction = recorder.interactions.get(case_id)
            if interaction is not None and interaction.response is not None:
                self.statuses[recorder.label][interaction.response.status_code] += 1
        for nodes in recorder.checks.values():
            for node in nodes:
                self.checks[node.name] += 1
                if node.status is Status.FAILURE and node.failure_info is not None:
                    failure = node.failure_info.failure
                    self.failures.append(
                        f"{recorder.label}: {node.name}: {failure.title}\n{failure.message}\n"
                        f"{node.failure_info.code_sample}"
                    )
        self.dropped += sum(recorder.filtered_failures.values())


def _session_under_test(case: schemathesis.Case) -> bool:
    """Whether this case's violation is its ``SessionId`` header (or may be: keep it)."""
    meta = case.meta
    if meta is None or not meta.is_negative_at(ParameterLocation.HEADER):
        return False
    parameter = meta.phase.data.parameter
    return parameter is None or parameter.lower() == "sessionid"


def _schemathesis_run(server: ServerProcess, client: httpx.Client) -> Run:
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "continue-on-failure": True,
            "request-timeout": 10,
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
            "phases": {"stateful": {"enabled": False}},  # no links: nothing to chain
        }
    )
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json", config=config)

    @schema.auth()
    class AgentBearer:
        """A valid agent token on every case; schemathesis skips it when the token is under test."""

        def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> str:
            return token(role="agent", sub="schemathesis")

        def set(
            self, case: schemathesis.Case, data: str, context: schemathesis.AuthContext
        ) -> None:
            case.headers = {**(case.headers or {}), **bearer(data)}

    mapped = itertools.count()

    def fresh_session(concluded: bool) -> str:
        session = open_engagement(client)
        if concluded:
            assert post(client, session, WALL).status_code == 409
        return session

    @schema.hook
    def map_case(context: schemathesis.HookContext, case: schemathesis.Case) -> Any:
        headers = case.headers or {}
        if "SessionId" not in headers or _session_under_test(case):
            return case
        concluded = next(mapped) % CONCLUDED_EVERY == CONCLUDED_EVERY - 1
        case.headers = {**headers, "SessionId": fresh_session(concluded)}
        if case.meta is None or not case.meta.is_negative_at(ParameterLocation.PATH):
            case.path_parameters = {**(case.path_parameters or {}), "fqSiteName": SITE}
        return case

    @schema.hook
    def filter_failure(
        context: schemathesis.HookContext, failure: Any, case: schemathesis.Case, response: Any
    ) -> bool:
        # The seed API answers 403, not 401, to a request without a token (documented);
        # schemathesis's missing_required_header insists on 401 for `Authorization`.
        missing_token = (
            getattr(failure, "header_name", "").lower() == "authorization"
            and getattr(failure, "status_code", None) == 403
        )
        return not missing_token

    run = Run()
    deadline = time.monotonic() + DEADLINE_S
    stream_of_events = from_schema(schema).execute()
    for event in stream_of_events:
        if time.monotonic() > deadline and not run.stop_reason:
            run.stop_reason = "deadline"
            stream_of_events.stop()
        if isinstance(event, events.ScenarioFinished):
            run.record(event.recorder)
        elif isinstance(event, events.NonFatalError):
            run.errors.append(f"{event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            run.errors.append(f"fatal: {event.exception!r}")
        elif isinstance(event, events.EngineFinished):
            run.stop_reason = run.stop_reason or event.stop_reason.value
    return run


@pytest.fixture(scope="module")
def schemathesis_run() -> Run:
    """One schemathesis run against a server of its own (its posts touch no other test)."""
    server = ServerProcess(SECRET)
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            return _schemathesis_run(server, client)
    finally:
        server.close()


def test_schemathesis_finds_nothing(schemathesis_run: Run) -> None:
    run = schemathesis_run
    assert run.errors == []
    assert run.failures == [], "\n\n".join(run.failures)
    assert run.stop_reason == "completed"


def test_schemathesis_ran_every_operation_and_check(schemathesis_run: Run) -> None:
    run = schemathesis_run
    assert set(run.statuses) == OPERATIONS
    assert set(run.checks) >= REQUIRED_CHECKS, sorted(run.checks)
    for label in OPERATIONS - {"GET /health", "GET /metrics"}:
        statuses = run.statuses[label]
        # Real sessions and tokens got through, and invalid input was tried and refused.
        assert statuses[200] > 0, (label, statuses)
        assert {400, 403} & set(statuses), (label, statuses)
    for label in (f"POST {CONSUMER_PATH}/postMessage", f"GET {CONSUMER_PATH}/getMessages"):
        assert run.statuses[label][409] > 0  # concluded sessions
