"""Reference-server tests run against real `spamguard serve` processes on loopback."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

pytest.importorskip("starlette", reason="the server extra: pip install 'spamguard[server]'")

import httpx
import jwt

from tests.server.server_process import ServerProcess

SECRET = "test-secret-of-at-least-32-bytes-long!"
SITE = "day119_181100_sql_238h"
POOL = "297:1"
CONSUMER = f"/engagement/api/consumer/{SITE}/v1"
AGENT = f"/engagement/api/agent/{SITE}/v1"


def token(secret: str = SECRET, *, expires_in: float = 600, **claims: Any) -> str:
    """A bearer token signed with `secret` (HS256), valid for `expires_in` seconds."""
    return jwt.encode({"exp": int(time.time() + expires_in), **claims}, secret, "HS256")


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


AGENT_AUTH = bearer(token(role="agent", sub="agent-7"))


@pytest.fixture(scope="session")
def make_server() -> Iterator[Callable[..., ServerProcess]]:
    """Servers by configuration, started once per test session and stopped at its end."""
    servers: dict[tuple[str | None, str | None], ServerProcess] = {}

    def make(rules_yaml: str | None = None, store: str | None = None) -> ServerProcess:
        key = (rules_yaml, store)
        if key not in servers:
            servers[key] = ServerProcess(SECRET, rules_yaml, store)
        return servers[key]

    yield make
    for server in servers.values():
        server.close()


@pytest.fixture
def make_client(make_server: Callable[..., ServerProcess]) -> Iterator[Callable[..., httpx.Client]]:
    """HTTP clients of servers with the shipped rules or a rules overlay (YAML text)."""
    clients: list[httpx.Client] = []

    def make(rules_yaml: str | None = None, store: str | None = None) -> httpx.Client:
        server = make_server(rules_yaml, store)
        client = httpx.Client(base_url=server.url, timeout=10)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., httpx.Client]) -> httpx.Client:
    """A client of the server with the shipped rules (every test opens its own sessions)."""
    return make_client()


def open_engagement(client: httpx.Client) -> str:
    """A new engagement's session id."""
    answer = client.post(
        f"{CONSUMER}/requestEngagement", params={"pool": POOL}, json={}, headers=bearer(token())
    )
    assert answer.status_code == 200, answer.text
    session: str = answer.json()["sessionId"]
    return session


def post(client: httpx.Client, session: str, text: str, **extra: Any) -> httpx.Response:
    return client.post(
        f"{CONSUMER}/postMessage",
        params={"pool": POOL},
        headers={"SessionId": session},
        json={"body": text, **extra},
    )


def stream(
    client: httpx.Client, session: str, *, agent: bool = False, since: int = 0
) -> httpx.Response:
    base = AGENT if agent else CONSUMER
    headers = {"SessionId": session, **(AGENT_AUTH if agent else {})}
    return client.get(f"{base}/getMessages", params={"since": since}, headers=headers)


def post_raw(client: httpx.Client, session: str, content: bytes) -> httpx.Response:
    """Post a body exactly as given (invalid JSON and odd escapes included)."""
    return client.post(
        f"{CONSUMER}/postMessage",
        params={"pool": POOL},
        headers={"SessionId": session, "Content-Type": "application/json"},
        content=content,
    )
