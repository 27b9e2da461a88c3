"""Two server processes sharing one Redis: one behaviour, whichever process a call reaches."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.redis_server import RedisServer
from tests.server.conftest import SECRET, bearer, open_engagement, post, stream, token
from tests.server.server_process import ServerProcess
from tests.server.test_app import race_to_the_end

SPAM = "visit my shop for cheap followers today"


@pytest.fixture(scope="module")
def pair(redis_server: RedisServer) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    servers = [ServerProcess(SECRET, store=redis_server.url) for _ in range(2)]
    clients = [httpx.Client(base_url=server.url, timeout=10) for server in servers]
    try:
        yield clients[0], clients[1]
    finally:
        for client in clients:
            client.close()
        for server in servers:
            server.close()


def test_an_engagement_opened_on_one_process_is_served_by_the_other(
    pair: tuple[httpx.Client, httpx.Client],
) -> None:
    first, second = pair
    session = open_engagement(first)
    assert post(second, session, "hello, where is my order?").status_code == 200
    entries = stream(first, session).json()["messages"]
    assert [(e["sender"], e["body"]) for e in entries] == [
        ("END_USER", "hello, where is my order?")
    ]


def test_windows_and_conclusions_are_shared(pair: tuple[httpx.Client, httpx.Client]) -> None:
    first, second = pair
    session = open_engagement(first)
    # The duplicates window spans both processes: the third copy is blocked wherever it lands.
    statuses = [post(client, session, SPAM).status_code for client in (first, second, first)]
    assert statuses == [200, 200, 200]
    kinds = [e["type"] for e in stream(second, session).json()["messages"]]
    assert kinds == ["MESSAGE", "MESSAGE", "SYSTEM"]
    # Two more blocks terminate; both processes then refuse the end user.
    assert post(second, session, SPAM).status_code == 200
    assert post(first, session, SPAM).status_code == 409
    assert post(second, session, "hello?").status_code == 409
    assert stream(first, session).status_code == 409


def test_engagement_numbers_are_unique_across_processes(
    pair: tuple[httpx.Client, httpx.Client],
) -> None:
    first, second = pair
    numbers = set()
    for client in (first, second) * 5:
        answer = client.post(
            "/engagement/api/consumer/site/v1/requestEngagement",
            params={"pool": "1"},
            headers=bearer(token()),
            json={},
        )
        numbers.add(answer.json()["engagementId"])
    assert len(numbers) == 10


def test_posts_racing_a_termination_across_processes(
    pair: tuple[httpx.Client, httpx.Client],
) -> None:
    first, second = pair
    for _ in range(5):
        entries = race_to_the_end([first, second], open_engagement(first))
        ends = [i for i, e in enumerate(entries) if "disconnected" in e["body"]]
        assert len(ends) == 1, entries
        assert ends[0] == len(entries) - 1  # nothing after the end
