"""The reference server through its HTTP API, a real process on loopback: every status code,
the conversation stream after a block and a termination, agents, metrics, OpenAPI."""

from __future__ import annotations

import json
import re
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.redis_server import free_port
from tests.server.conftest import (
    AGENT,
    AGENT_AUTH,
    CONSUMER,
    POOL,
    SECRET,
    SITE,
    bearer,
    open_engagement,
    post,
    post_raw,
    stream,
    token,
)
from tests.server.server_process import ServerProcess

SPAM = "visit my shop for cheap followers today"
WALL = "x" * 60_000  # over length.extreme_chars: terminates at once
CODE = re.compile(r"SG\d{3}")


# -- requestEngagement -------------------------------------------------------------------


def test_request_engagement_answers_the_seed_fields(client: httpx.Client) -> None:
    answer = client.post(
        f"{CONSUMER}/requestEngagement",
        params={"pool": POOL},
        json={"clientTransactionId": 12, "clientRequestTime": "2024-01-01T10:00:00+01:00"},
        headers=bearer(token()),
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["resultType"] == "SUCCESS"
    assert body["engagementIdString"] == str(body["engagementId"])
    assert re.fullmatch(r"[a-z0-9]{25}", body["sessionId"])
    assert body["clientTransactionId"] == 12
    assert body["clientTransactionIdString"] == "12"
    assert body["clientRequestTime"] == "2024-01-01T10:00:00+01:00"
    assert body["sneakPreviewState"] in {"NONE", "ENABLED", "DISABLED"}
    for stamp in ("serviceStartTime", "serviceFinishTime"):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body[stamp])
    assert body["serviceStartTime"] <= body["serviceFinishTime"]


def test_an_empty_body_is_the_seeds_empty_payload(client: httpx.Client) -> None:
    answer = client.post(
        f"{CONSUMER}/requestEngagement", params={"pool": POOL}, headers=bearer(token())
    )
    assert answer.status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        bearer(token("another-secret-of-at-least-32-bytes!")),
        bearer(token(expires_in=-60)),
        bearer("not-a-jwt"),
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ],
    ids=["missing", "wrong-signature", "expired", "garbage", "not-bearer"],
)
def test_a_token_that_fails_validation_is_403(
    client: httpx.Client, headers: dict[str, str]
) -> None:
    answer = client.post(
        f"{CONSUMER}/requestEngagement", params={"pool": POOL}, json={}, headers=headers
    )
    assert answer.status_code == 403
    assert answer.json() == {"message": "The validation on the JWT failed."}


@pytest.mark.parametrize(
    ("body", "params"),
    [
        ("[]", {"pool": POOL}),
        ("{not json", {"pool": POOL}),
        ('{"clientTransactionId": "twelve"}', {"pool": POOL}),
        ("{}", {}),
    ],
    ids=["not-an-object", "not-json", "wrong-type", "no-pool"],
)
def test_an_invalid_request_is_400(client: httpx.Client, body: str, params: dict[str, str]) -> None:
    answer = client.post(
        f"{CONSUMER}/requestEngagement",
        params=params,
        content=body,
        headers={**bearer(token()), "Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    assert answer.json()["message"]


# -- postMessage -------------------------------------------------------------------------


def test_an_allowed_post_is_delivered(client: httpx.Client) -> None:
    session = open_engagement(client)
    answer = post(client, session, "Hello I need help with my refund", clientTransactionId=3)
    assert answer.status_code == 200
    assert answer.json()["clientTransactionId"] == 3
    entries = stream(client, session).json()["messages"]
    assert [(e["type"], e["sender"], e["body"]) for e in entries] == [
        ("MESSAGE", "END_USER", "Hello I need help with my refund")
    ]


def test_a_blocked_post_is_replaced_by_a_system_message(client: httpx.Client) -> None:
    session = open_engagement(client)
    answers = [post(client, session, SPAM) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    read = stream(client, session).json()
    assert read["engagementState"] == "ACTIVE"
    kinds = [(e["type"], e["body"]) for e in read["messages"]]
    notice = kinds[2][1]
    assert kinds[:2] == [("MESSAGE", SPAM), ("MESSAGE", SPAM)]
    assert kinds[2][0] == "SYSTEM"
    assert SPAM not in notice  # the blocked post is not delivered
    assert "spam" in notice.lower()
    assert post(client, session, "sorry, where is my order?").status_code == 200


def test_a_terminating_post_ends_the_chat(client: httpx.Client) -> None:
    session = open_engagement(client)
    assert post(client, session, "hi there").status_code == 200
    ended = post(client, session, WALL)
    assert ended.status_code == 409
    assert "ended" in ended.json()["message"]
    # Every later call of the end user is refused; the agent still reads the stream.
    assert post(client, session, "hello?").status_code == 409
    assert stream(client, session).status_code == 409
    read = stream(client, session, agent=True).json()
    assert read["engagementState"] == "CONCLUDED"
    kinds = [(e["type"], e["sender"]) for e in read["messages"]]
    assert kinds == [("MESSAGE", "END_USER"), ("SYSTEM", "SYSTEM"), ("SYSTEM", "SYSTEM")]
    assert WALL not in {e["body"] for e in read["messages"]}
    bodies = [e["body"] for e in read["messages"][1:]]
    assert any("disconnected" in body for body in bodies)


def test_repeated_blocks_terminate(client: httpx.Client) -> None:
    session = open_engagement(client)
    statuses = [post(client, session, SPAM).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 409]  # the third block is a termination


def test_a_forgotten_or_unknown_session_is_403(client: httpx.Client) -> None:
    assert post(client, "no-such-session", "hello").status_code == 403
    assert post(client, "", "hello").status_code == 403
    session = open_engagement(client)
    elsewhere = client.post(
        "/engagement/api/consumer/another_site/v1/postMessage",
        params={"pool": POOL},
        headers={"SessionId": session},
        json={"body": "hello"},
    )
    assert elsewhere.status_code == 403


@pytest.mark.parametrize(
    "body",
    ["{}", '{"body": 5}', '{"body": "x", "messageDataMap": {"a": 1}}', "null", "\xff"],
    ids=["no-body", "body-not-text", "map-not-strings", "null", "not-utf8"],
)
def test_an_invalid_post_is_400(client: httpx.Client, body: str) -> None:
    session = open_engagement(client)
    answer = post_raw(client, session, body.encode("latin-1"))
    assert answer.status_code == 400


def test_a_body_over_the_limit_is_refused_before_parsing(client: httpx.Client) -> None:
    session = open_engagement(client)
    assert post(client, session, "x" * 2_100_000).status_code == 413


def test_no_payload_holds_a_reason_code_or_threshold(client: httpx.Client) -> None:
    session = open_engagement(client)
    texts = [SPAM, SPAM, SPAM, "🎉" * 400, WALL]
    payloads = [post(client, session, text).text for text in texts]
    payloads.append(stream(client, session, agent=True).text)
    for payload in payloads:
        assert CODE.search(payload) is None, payload[:200]


# -- agents ------------------------------------------------------------------------------


@pytest.mark.parametrize(("bypass", "expected"), [(False, "SYSTEM"), (True, "MESSAGE")])
def test_agent_posts_follow_agent_bypass(
    make_client: Callable[..., httpx.Client], bypass: bool, expected: str
) -> None:
    client = make_client(f"version: 1\ndefaults:\n  agent_bypass: {str(bypass).lower()}\n")
    session = open_engagement(client)
    agent_post = {"SessionId": session, **AGENT_AUTH}
    flood = "🎉" * 60  # over emoji.max_emoji
    answer = client.post(f"{AGENT}/postMessage", headers=agent_post, json={"body": flood})
    assert answer.status_code == 200
    last = stream(client, session).json()["messages"][-1]
    assert last["type"] == expected
    if expected == "MESSAGE":
        assert (last["sender"], last["body"]) == ("AGENT", flood)


def test_the_agent_side_needs_an_agent_token(client: httpx.Client) -> None:
    session = open_engagement(client)
    consumer_token = {"SessionId": session, **bearer(token())}
    answer = client.post(f"{AGENT}/postMessage", headers=consumer_token, json={"body": "hi"})
    assert answer.status_code == 403


def test_the_stream_reads_since_a_position(client: httpx.Client) -> None:
    session = open_engagement(client)
    for text in ("one", "two", "three"):
        post(client, session, text)
    first = stream(client, session).json()
    assert first["next"] == 3
    post(client, session, "four")
    later = stream(client, session, since=first["next"]).json()
    assert [e["body"] for e in later["messages"]] == ["four"]
    assert stream(client, session, since=-1).status_code == 400
    assert (
        client.get(
            f"{CONSUMER}/getMessages", params={"since": "x"}, headers={"SessionId": session}
        ).status_code
        == 400
    )


# -- operations --------------------------------------------------------------------------


def _sample(page: str, name: str) -> float:
    """One sample's value on a Prometheus page (0 when it is not there yet)."""
    for line in page.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


def test_metrics_count_verdicts_by_action_and_code(client: httpx.Client) -> None:
    samples = (
        'spamguard_verdicts_total{action="allow",role="end_user"}',
        'spamguard_verdicts_total{action="block",role="end_user"}',
        'spamguard_reasons_total{action="block",code="SG301"}',
        "spamguard_check_seconds_count",
    )
    before = client.get("/metrics").text  # the server is shared: count the difference
    session = open_engagement(client)
    for _ in range(3):
        post(client, session, SPAM)
    after = client.get("/metrics").text
    assert [_sample(after, s) - _sample(before, s) for s in samples] == [2, 1, 1, 3]


def test_health_reports_the_store(client: httpx.Client) -> None:
    answer = client.get("/health")
    assert answer.status_code == 200
    assert answer.json()["store"] == "MemoryStore"
    assert answer.json()["storeReachable"] is True


def test_the_openapi_document_describes_every_route(client: httpx.Client) -> None:
    document = client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    assert set(paths) == {
        f"/engagement/api/consumer/{{fqSiteName}}/v1/{name}"
        for name in ("requestEngagement", "postMessage", "getMessages")
    } | {
        f"/engagement/api/agent/{{fqSiteName}}/v1/{name}" for name in ("postMessage", "getMessages")
    } | {"/health", "/metrics"}
    assert set(
        paths["/engagement/api/consumer/{fqSiteName}/v1/postMessage"]["post"]["responses"]
    ) == {"200", "400", "403", "409", "413", "503"}
    assert SITE not in str(document)


# -- the seed's examples and a store that is down ----------------------------------------


def test_the_seeds_curl_examples_work_as_shown(client: httpx.Client) -> None:
    created = client.post(
        f"{CONSUMER}/requestEngagement?pool=297:1",
        content=b"{}",
        headers={"Content-Type": "application/json; charset=utf-8", **bearer(token())},
    )
    assert created.status_code == 200
    assert created.headers["content-type"].startswith("application/json")
    session = created.json()["sessionId"]
    posted = client.post(
        f"{CONSUMER}/postMessage?pool=297:1",
        content=b'{"body":"Hello I need help with my refund, it has been very long time."}',
        headers={"Content-Type": "application/json; charset=UTF-8", "SessionId": session},
    )
    assert posted.status_code == 200
    assert set(posted.json()) == {
        "clientRequestTime",
        "serviceStartTime",
        "serviceFinishTime",
        "clientId",
        "clientIdString",
        "clientTransactionId",
        "clientTransactionIdString",
    }
    assert posted.json()["clientId"] == created.json()["clientId"]


def test_a_down_redis_is_503_not_a_crash(make_client: Callable[..., httpx.Client]) -> None:
    client = make_client(store=f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    assert client.get("/health").status_code == 503
    answer = client.post(
        f"{CONSUMER}/requestEngagement", params={"pool": POOL}, json={}, headers=bearer(token())
    )
    assert answer.status_code == 503
    assert answer.json() == {"message": "The chat service is unavailable; try again shortly."}


def test_a_lone_surrogate_in_a_post_round_trips(client: httpx.Client) -> None:
    session = open_engagement(client)
    answer = post_raw(client, session, b'{"body": "broken \\ud800 text"}')
    assert answer.status_code == 200
    entries = stream(client, session).json()["messages"]
    assert entries[-1]["body"] == "broken \ud800 text"


# -- found by schemathesis, or next to what it found -------------------------------------


@pytest.mark.parametrize("params", [{}, {"pool": ""}], ids=["missing", "empty"])
def test_post_message_without_a_pool_is_400(client: httpx.Client, params: dict[str, str]) -> None:
    session = open_engagement(client)
    answer = client.post(
        f"{CONSUMER}/postMessage",
        params=params,
        headers={"SessionId": session},
        json={"body": "hi"},
    )
    assert answer.status_code == 400


@pytest.mark.parametrize("agent", [False, True], ids=["consumer", "agent"])
def test_a_huge_since_is_400(client: httpx.Client, agent: bool) -> None:
    session = open_engagement(client)
    base, auth = (AGENT, AGENT_AUTH) if agent else (CONSUMER, {})
    answer = client.get(
        f"{base}/getMessages", params={"since": "9" * 5000}, headers={"SessionId": session, **auth}
    )
    assert answer.status_code == 400


def test_deeply_nested_json_is_400(client: httpx.Client) -> None:
    session = open_engagement(client)
    answer = post_raw(client, session, b"[" * 100_000 + b"]" * 100_000)
    assert answer.status_code == 400


def test_each_blocked_post_is_one_json_log_line_with_its_codes(
    make_server: Callable[..., ServerProcess],
) -> None:
    server = make_server("version: 1\n# a server of its own, for its log\n")
    with httpx.Client(base_url=server.url, timeout=10) as client:
        session = open_engagement(client)
        for _ in range(3):
            post(client, session, SPAM)
    lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    verdicts = [line for line in lines if line.get("event") == "spamguard.verdict"]
    assert len(verdicts) == 1
    assert verdicts[0]["codes"] == ["SG301"]
    assert verdicts[0]["action"] == "block"
    assert verdicts[0]["session"] == session
    assert SPAM not in server.log()  # never the text


# -- retries, reused transaction ids and races --------------------------------------------


def test_a_reused_transaction_id_does_not_skip_the_checks(client: httpx.Client) -> None:
    session = open_engagement(client)
    # The seed's examples send 0 with every post: 0 is no id at all.
    assert post(client, session, "hi", clientTransactionId=0).status_code == 200
    statuses = [post(client, session, SPAM, clientTransactionId=0).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 409]  # blocked, blocked, then terminated
    # One id reused for another text is a new post, checked as such.
    other = open_engagement(client)
    assert post(client, other, "hi", clientTransactionIdString="same").status_code == 200
    assert post(client, other, WALL, clientTransactionIdString="same").status_code == 409


def test_a_retried_post_is_delivered_once(client: httpx.Client) -> None:
    session = open_engagement(client)
    for _ in range(3):
        answer = post(client, session, "where is my order?", clientTransactionIdString="t-1")
        assert answer.status_code == 200
    bodies = [e["body"] for e in stream(client, session).json()["messages"]]
    assert bodies == ["where is my order?"]


def test_a_refusal_of_starlette_itself_is_json_too(client: httpx.Client) -> None:
    session = open_engagement(client)
    too_large = post(client, session, "x" * 2_100_000)
    assert too_large.status_code == 413
    assert set(too_large.json()) == {"message"}
    assert client.get("/no/such/path").json() == {"message": "Not Found"}


def test_a_token_from_a_slightly_fast_clock_is_accepted(client: httpx.Client) -> None:
    answer = client.post(
        f"{CONSUMER}/requestEngagement",
        params={"pool": POOL},
        json={},
        headers=bearer(token(expires_in=-10)),  # expired 10 s ago by our clock
    )
    assert answer.status_code == 200


def race_to_the_end(
    clients: list[httpx.Client], session: str, rounds: int = 24
) -> list[dict[str, str]]:
    """Posts from many threads at once, one of them a terminating wall; the stream after."""
    # The wall goes first, so that the others are in flight while it ends the chat.
    texts = [WALL] + [f"question number {n} about my order" for n in range(rounds)]

    def send(index: int) -> int:
        return post(clients[index % len(clients)], session, texts[index]).status_code

    with ThreadPoolExecutor(max_workers=len(texts)) as pool:
        list(pool.map(send, range(len(texts))))
    return list(stream(clients[0], session, agent=True).json()["messages"])


def test_posts_racing_a_termination_land_before_it_or_not_at_all(client: httpx.Client) -> None:
    for _ in range(5):
        entries = race_to_the_end([client], open_engagement(client))
        ends = [i for i, e in enumerate(entries) if "disconnected" in e["body"]]
        assert len(ends) == 1, entries
        assert entries[ends[0]] == entries[-1]  # nothing after the end
        assert sum("chat has been ended" in e["body"] for e in entries) == 1  # the notice, once


# -- rules reloads -------------------------------------------------------------------------


def _wait_for_event(server: ServerProcess, event: str, seen: int) -> dict[str, object]:
    """The next JSON log line with `event` after the first `seen` of them (at most 10 s)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
        found = [line for line in lines if line.get("event") == event]
        if len(found) > seen:
            return found[seen]
        time.sleep(0.02)
    raise AssertionError(f"no {event} in the log within 10 s:\n{server.log()}")


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="SIGHUP is a POSIX signal")
def test_sighup_reloads_the_rules_and_a_bad_file_leaves_them_in_force() -> None:
    server = ServerProcess(SECRET, "version: 1\ndefaults:\n  length: {max_chars: 1000}\n")
    assert server.rules_path is not None
    text = "please help me with my order " * 5  # 145 characters
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            assert post(client, open_engagement(client), text).status_code == 200
            assert "spamguard.verdict" not in server.log()  # allowed: nothing logged

            server.rules_path.write_text(
                "version: 1\ndefaults:\n  length: {max_chars: 100}\n", "utf-8"
            )
            server.send_signal(signal.SIGHUP)
            reloaded = _wait_for_event(server, "spamguard.rules_reloaded", 0)
            assert reloaded["in_force"] == str(server.rules_path)
            session = open_engagement(client)
            post(client, session, text)
            blocked = _wait_for_event(server, "spamguard.verdict", 0)
            assert blocked["codes"] == ["SG101"]

            server.rules_path.write_text("version: 1\ndefaults: [broken\n", "utf-8")
            server.send_signal(signal.SIGHUP)
            refused = _wait_for_event(server, "spamguard.rules_reload_failed", 0)
            assert refused["level"] == "ERROR"
            assert refused["in_force"] == str(server.rules_path)
            assert any("invalid YAML" in problem for problem in refused["problems"])
            post(client, open_engagement(client), text)
            still = _wait_for_event(server, "spamguard.verdict", 1)
            assert still["codes"] == ["SG101"]  # the last good rules are still in force

            # A burst of hang-ups (each once reloaded inside the signal handler, where a
            # second one arriving mid-reload froze the event loop): the server answers,
            # and the file as it is after the last of them is in force.
            server.rules_path.write_text(
                "version: 1\ndefaults:\n  length: {max_chars: 1000}\n", "utf-8"
            )
            for _ in range(300):
                server.send_signal(signal.SIGHUP)
            _wait_for_event(server, "spamguard.rules_reloaded", 1)
            assert client.get("/health").status_code == 200
            session = open_engagement(client)
            assert post(client, session, text).status_code == 200
            verdicts = [line for line in server.log().splitlines() if "spamguard.verdict" in line]
            assert len(verdicts) == 2  # allowed again: max_chars is 1000
            assert server.log().count("Traceback") == 0
    finally:
        server.close()
