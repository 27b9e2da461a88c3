"""What only the Redis store does: key layout, TTLs, scripts, failures and recovery.

Everything here runs against a real redis-server; fault tests get a server of their own
and stop, restart or pause it.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import redis
from redis.crc import key_slot

from spamguard import Action, Engine, Message, Role, load_rules_text
from spamguard.errors import SpamguardError, StoreError
from spamguard.message import SenderKey, SessionKey
from spamguard.stores import Event, Outcome, RedisStore, Retention, store_from_url
from tests.redis_server import RedisServer, require_redis_server

RET = Retention(
    window_s=60,
    max_events=5,
    keys_needed=2,
    strike_window_s=120,
    max_strikes=3,
    concluded_ttl_s=1000,
    max_transactions=3,
)
KEY = SenderKey(SessionKey("acme", "web", "s1"), Role.END_USER, "u")


def _event(ts: float, n: int = 0, text: str = "") -> Event:
    return Event(ts, n, text or f"text {n}", 6)


@pytest.fixture
def raw(redis_server: RedisServer) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def binary(redis_server: RedisServer) -> Iterator[redis.Redis]:
    """A client that leaves replies as bytes: the store keeps numbers in binary."""
    client = redis.Redis.from_url(redis_server.url)
    yield client
    client.close()


@pytest.fixture
def own_server() -> Iterator[RedisServer]:
    """A server this test may stop, restart and pause."""
    server = RedisServer(require_redis_server())
    server.start()
    yield server
    server.close()


def _keys(raw: redis.Redis, store: RedisStore) -> list[str]:
    return sorted(raw.scan_iter(match=f"{store.namespace}:*"))


# -- layout and TTLs -------------------------------------------------------------------


def test_every_key_of_a_session_is_versioned_and_on_one_cluster_slot(
    redis_store: RedisStore, raw: redis.Redis
) -> None:
    awkward = SenderKey(SessionKey("t{x}", "i/}", "{s}%"), Role.AGENT, "a{b}")
    for key in (KEY, awkward):
        redis_store.begin(key, _event(0), "t1", RET, 0)
        redis_store.settle(key, "t1", Outcome(Action.BLOCK), RET, 0)
    keys = _keys(raw, redis_store)
    assert len(keys) == 2 * 2  # per session: its hash, and the sender's posts
    assert all(key.startswith(f"{redis_store.namespace}:2:{{") for key in keys)
    for session in (KEY.session, awkward.session):
        names = redis_store.session_keys(session)
        sender = KEY if session == KEY.session else awkward
        names += redis_store.sender_keys(sender)
        assert sorted(names) == sorted(k for k in keys if k.startswith(names[0][:-1]))
        assert len({key_slot(name.encode()) for name in names}) == 1, names


def test_every_key_has_a_ttl_from_what_it_holds(redis_store: RedisStore, raw: redis.Redis) -> None:
    redis_store.begin(KEY, _event(0), "t1", RET, 0)
    redis_store.settle(KEY, "t1", Outcome(Action.BLOCK), RET, 0)
    (session,) = redis_store.session_keys(KEY.session)
    (posts,) = redis_store.sender_keys(KEY)
    assert 0 < raw.pttl(posts) <= 60_000  # the window
    assert 60_000 < raw.pttl(session) <= 120_000  # idle TTL: the longest window
    assert all(raw.pttl(key) > 0 for key in _keys(raw, redis_store))


def test_decayed_strikes_are_dropped_at_the_next_post(
    redis_store: RedisStore, binary: redis.Redis
) -> None:
    (session,) = redis_store.session_keys(KEY.session)
    strikes = "k" + redis_store.sender_keys(KEY)[0].rpartition(":p:")[2]
    redis_store.begin(KEY, _event(0), None, RET, 0)
    redis_store.settle(KEY, None, Outcome(Action.BLOCK), RET, 0)
    redis_store.begin(KEY, _event(100), None, RET, 100)
    redis_store.settle(KEY, None, Outcome(Action.BLOCK), RET, 100)
    assert len(binary.hget(session, strikes) or b"") == 2 * 8  # two times, 8 bytes each
    assert redis_store.begin(KEY, _event(150), None, RET, 150).strikes == 1
    assert len(binary.hget(session, strikes) or b"") == 8
    assert redis_store.begin(KEY, _event(300), None, RET, 300).strikes == 0
    assert not binary.hexists(session, strikes)


def test_transaction_ids_beyond_the_cap_are_forgotten_in_the_hash(
    redis_store: RedisStore, binary: redis.Redis
) -> None:
    (session,) = redis_store.session_keys(KEY.session)
    for n in range(10):
        redis_store.begin(KEY, _event(n, n), str(n), RET, n)
    fields = binary.hkeys(session)
    assert sorted(f for f in fields if f.startswith(b"t")) == [b"t7", b"t8", b"t9"]
    assert len([f for f in fields if f.startswith(b"i")]) == RET.max_transactions
    assert redis_store.begin(KEY, _event(10, 9), "9", RET, 10).replay == Outcome(Action.ALLOW)
    assert redis_store.begin(KEY, _event(10), "6", RET, 10).replay is None


def test_a_concluded_engagement_is_one_key_with_the_conclusion_ttl(
    redis_store: RedisStore, raw: redis.Redis, binary: redis.Redis
) -> None:
    redis_store.begin(KEY, _event(0), "t1", RET, 0)
    redis_store.begin(SenderKey(KEY.session, Role.AGENT, "a"), _event(0), None, RET, 0)
    redis_store.settle(KEY, "t1", Outcome(Action.TERMINATE), RET, 0)
    keys = _keys(raw, redis_store)
    assert keys == redis_store.session_keys(KEY.session)
    assert binary.hkeys(keys[0]) == [b"c"]
    assert 999_000 < raw.pttl(keys[0]) <= 1_000_000


def test_the_store_keeps_no_raw_text(
    redis_store: RedisStore, raw: redis.Redis, binary: redis.Redis
) -> None:
    engine = Engine(store=redis_store)
    secret = "My card number is 4111 1111 1111 1111, Call Me at HOME"
    texts = [
        secret,
        "Where is my order? It was due on Monday.",
        "Can I get a refund for the broken kettle please",
        "I also need to reset my password for the account",
    ]
    for n, text in enumerate(texts):
        verdict = engine.check(Message(text=text, session="privacy", transaction_id=str(n)))
        assert verdict.action is Action.ALLOW
    dump = b""
    for key in _keys(raw, redis_store):
        if binary.type(key) == b"hash":
            dump += b" ".join(k + b" " + v for k, v in binary.hgetall(key).items())
        else:
            dump += binary.get(key) or b""
    assert secret.encode() not in dump
    assert b"Call Me" not in dump  # only the normalised (folded) text of the newest posts
    (posts,) = redis_store.sender_keys(
        SenderKey(SessionKey("default", "default", "privacy"), Role.END_USER, "end_user")
    )
    stored = binary.get(posts)
    assert stored is not None
    count, kept = struct.unpack_from("<2I", stored)  # posts, texts (see session.lua)
    stored_texts = stored[8 + 20 * count :].split(b"\xff")
    assert stored_texts[-1] == b""
    assert kept == len(stored_texts) - 1
    compare_last = engine.policy_for("default", "default").rules.duplicates.compare_last
    assert 0 < kept <= compare_last
    assert all(len(text.decode()) <= 256 for text in stored_texts)


# -- scripts ---------------------------------------------------------------------------


def test_scripts_are_reloaded_after_a_script_flush(
    redis_store: RedisStore, raw: redis.Redis
) -> None:
    redis_store.begin(KEY, _event(0), None, RET, 0)
    raw.script_flush()
    snap = redis_store.begin(KEY, _event(1), None, RET, 1)
    assert len(snap.history.events()) == 1


@pytest.mark.parametrize(
    "foreign",
    [
        lambda raw, posts, session: raw.rpush(posts, "not an event"),
        lambda raw, posts, session: raw.set(posts, "not an event"),
        lambda raw, posts, session: raw.set(session, "not a session"),
        lambda raw, posts, session: raw.hset(session, "@", "not a time"),
    ],
    ids=["posts-list", "posts-text", "session-string", "session-field"],
)
def test_a_foreign_value_under_our_keys_is_a_store_error_not_a_crash(
    redis_store: RedisStore,
    raw: redis.Redis,
    foreign: Callable[[redis.Redis, str, str], object],
    caplog: pytest.LogCaptureFixture,
) -> None:
    redis_store.begin(KEY, _event(0), None, RET, 0)
    raw.delete(*_keys(raw, redis_store))
    foreign(raw, redis_store.sender_keys(KEY)[0], redis_store.session_keys(KEY.session)[0])
    with caplog.at_level(logging.WARNING, logger="spamguard.store"), pytest.raises(StoreError):
        redis_store.begin(KEY, _event(100), None, RET, 100)
    assert [r.spamguard["event"] for r in caplog.records] == ["spamguard.store.bad_reply"]
    assert redis_store.healthy  # the session is unreadable, the store is fine: no cooldown


def test_rotating_sender_ids_cannot_grow_a_session(
    redis_store: RedisStore, binary: redis.Redis
) -> None:
    (session,) = redis_store.session_keys(KEY.session)
    for n in range(200):
        key = SenderKey(KEY.session, Role.END_USER, f"id{n}")
        redis_store.begin(key, _event(n), None, RET, n)
        redis_store.settle(key, None, Outcome(Action.BLOCK), RET, n)
    fields = binary.hkeys(session)
    assert len([f for f in fields if f.startswith(b"m")]) == redis_store.max_senders == 32
    assert len([f for f in fields if f.startswith(b"k")]) == 32  # strikes go with them
    assert struct.unpack("<I", binary.hget(session, "n") or b"") == (32,)
    prefix = redis_store.sender_keys(KEY)[0].rsplit(":p:", 1)[0]
    assert len(list(binary.scan_iter(match=f"{prefix}:p:*"))) == 32


def test_long_transaction_ids_are_kept_as_digests(
    redis_store: RedisStore, binary: redis.Redis
) -> None:
    (session,) = redis_store.session_keys(KEY.session)
    long_id = "t" * 100_000
    redis_store.begin(KEY, _event(0), long_id, RET, 0)
    redis_store.settle(KEY, long_id, Outcome(Action.BLOCK, ("SG201",)), RET, 0)
    assert redis_store.begin(KEY, _event(1), long_id, RET, 1).replay == Outcome(
        Action.BLOCK, ("SG201",)
    )
    assert redis_store.begin(KEY, _event(2), long_id + "x", RET, 2).replay is None
    assert max(len(f) for f in binary.hkeys(session)) <= 1 + 1 + 16  # "t", 0xff, digest
    assert max(len(v) for v in binary.hvals(session)) < 200


# -- configuration ---------------------------------------------------------------------


def test_store_from_url_reads_our_options_and_passes_the_rest(redis_server: RedisServer) -> None:
    store = store_from_url(
        f"{redis_server.url}?timeout_s=0.5&cooldown_s=2&namespace=app1&health_check_interval=5"
        "&max_senders=4"
    )
    assert isinstance(store, RedisStore)
    assert (store.timeout_s, store.namespace, store.max_senders) == (0.5, "app1", 4)
    assert store.begin(KEY, _event(0), None, RET, 0).history.events() == ()
    store.close()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("mysql://x", r"unknown store URL 'mysql://x'; expected one of: memory://, redis://"),
        ("redis://h?timeout_s=fast", "timeout_s must be a number"),
        ("memory://host", "expected memory://"),
        ("memory://?size=3", "expected memory://"),
    ],
)
def test_store_urls_are_checked(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        store_from_url(url)


def test_engine_takes_its_store_from_the_environment_then_the_rules_file(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPAMGUARD_STORE_URL", redis_server.url + "?namespace=env")
    assert isinstance(Engine().store, RedisStore)
    monkeypatch.setenv("SPAMGUARD_STORE_URL", "nope://")
    with pytest.raises(ValueError, match="SPAMGUARD_STORE_URL"):
        Engine()
    monkeypatch.delenv("SPAMGUARD_STORE_URL")
    rules = load_rules_text(
        f"version: 1\nstore:\n  url: {redis_server.url}\n  timeout_s: 0.3\n  namespace: file\n"
    )
    store = Engine(rules).store
    assert isinstance(store, RedisStore)
    assert (store.timeout_s, store.namespace) == (0.3, "file")


def test_missing_redis_extra_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "redis", None)
    with pytest.raises(SpamguardError, match=r"pip install 'spamguard\[redis\]'"):
        RedisStore("redis://127.0.0.1:1/0")


# -- failures --------------------------------------------------------------------------

FAIL_OPEN = "version: 1\ndefaults:\n  on_store_error: allow\n"
FAIL_CLOSED = "version: 1\ndefaults:\n  on_store_error: block\n"


def _engine(url: str, rules: str, clock: list[float]) -> Engine:
    store = RedisStore(url, timeout_s=0.2, cooldown_s=0.2, namespace="fault")
    return Engine(load_rules_text(rules), store=store, clock=lambda: clock[0])


def _wait_past_cooldown() -> None:
    time.sleep(0.25)


def test_a_stopped_server_is_the_tenant_policy_then_recovery(
    own_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    now = [1000.0]
    open_engine = _engine(own_server.url, FAIL_OPEN, now)
    closed_engine = _engine(own_server.url, FAIL_CLOSED, now)
    hello = Message(text="hello, is anyone there?", session="s")
    assert open_engine.check(hello).action is Action.ALLOW
    assert closed_engine.check(hello).action is Action.ALLOW
    own_server.stop()
    with caplog.at_level(logging.WARNING, logger="spamguard.store"):
        down_open = open_engine.check(hello)
        down_closed = closed_engine.check(hello)
        wall = open_engine.check(Message(text="x" * 60_000, session="s"))
    assert (down_open.action, down_open.codes) == (Action.ALLOW, ("SG009",))
    assert (down_closed.action, down_closed.codes) == (Action.BLOCK, ("SG009",))
    assert wall.action is Action.TERMINATE  # the post alone is still judged
    assert "SG009" in wall.codes
    records = [r for r in caplog.records if r.name == "spamguard.store"]
    assert [r.spamguard["event"] for r in records] == ["spamguard.store.unavailable"] * 2
    assert records[0].spamguard["operation"] == "begin"
    own_server.start()
    _wait_past_cooldown()
    with caplog.at_level(logging.WARNING, logger="spamguard.store"):
        back = open_engine.check(hello)
    assert back.codes == ()
    assert caplog.records[-1].spamguard["event"] == "spamguard.store.recovered"


def test_a_restart_that_loses_all_data_is_survived(own_server: RedisServer) -> None:
    now = [1000.0]
    engine = _engine(own_server.url, FAIL_OPEN, now)
    spam = Message(text="visit my shop for cheap followers today", session="s")
    assert [engine.check(spam).action for _ in range(3)][-1] is Action.BLOCK
    own_server.restart()  # empty again: scripts and windows are gone
    _wait_past_cooldown()
    verdicts = [engine.check(spam) for _ in range(3)]
    assert [v.action for v in verdicts] == [Action.ALLOW, Action.ALLOW, Action.BLOCK]
    assert all("SG009" not in v.codes for v in verdicts)


def test_a_hung_server_costs_one_timeout_then_fails_fast(own_server: RedisServer) -> None:
    now = [1000.0]
    engine = _engine(own_server.url, FAIL_CLOSED, now)
    hello = Message(text="hello there", session="s")
    assert engine.check(hello).action is Action.ALLOW
    pauser = redis.Redis(port=own_server.port)
    pauser.execute_command("CLIENT", "PAUSE", "1500", "ALL")
    try:
        started = time.perf_counter()
        first = engine.check(hello)
        timed_out = time.perf_counter() - started
        started = time.perf_counter()
        second = engine.check(hello)
        failed_fast = time.perf_counter() - started
    finally:
        pauser.execute_command("CLIENT", "UNPAUSE")
        pauser.close()
    assert first.codes == second.codes == ("SG009",)
    assert first.action is second.action is Action.BLOCK
    # Bounds with wide margins: the timeout is 0.2 s, and a pause lasts 1.5 s.
    assert timed_out < 1.2
    assert failed_fast < 0.1


def test_a_failed_settle_keeps_the_verdict_and_says_the_record_is_missing(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = RedisStore(redis_server.url, namespace="settle-fails")
    engine = Engine(store=store)

    def refuse(*_: object) -> None:
        raise StoreError("redis settle: ConnectionError: refused")

    monkeypatch.setattr(store, "settle", refuse)
    wall = " ".join(f"word{n}" for n in range(500))  # too long: a block, nothing worse
    verdict = engine.check(Message(text=wall, session="s"))
    assert verdict.action is Action.BLOCK
    assert verdict.codes[-1] == "SG009"
    assert not verdict.reasons[-1].acted
    store.close()


def test_asyncio_checks_fail_by_policy_too(own_server: RedisServer) -> None:
    now = [1000.0]
    engine = _engine(own_server.url, FAIL_CLOSED, now)
    own_server.stop()

    async def run() -> list[Action]:
        verdicts = [await engine.acheck(Message(text="hi", session="s")) for _ in range(3)]
        return [v.action for v in verdicts]

    assert asyncio.run(run()) == [Action.BLOCK] * 3


# -- many processes ------------------------------------------------------------------

BURST_ONLY = """version: 1
defaults:
  strikes: {enabled: false}
  duplicates: {enabled: false}
  burst:
    windows: [{seconds: 60, max_messages: 10, extreme_messages: 1000}]
"""


def _post_burst(url: str, worker: int, posts: int, results: multiprocessing.Queue[str]) -> None:
    engine = Engine(load_rules_text(BURST_ONLY), store=RedisStore(url, namespace="procs"))
    for n in range(posts):
        text = f"message number {n} from worker {worker}"
        verdict = engine.check(Message(text=text, session="shared", ts=1000.0))
        results.put(verdict.action.value)


def test_two_processes_share_one_window(redis_server: RedisServer) -> None:
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[str] = context.Queue()
    workers = [
        context.Process(target=_post_burst, args=(redis_server.url, w, 15, results))
        for w in range(2)
    ]
    for worker in workers:
        worker.start()
    actions = [results.get(timeout=60) for _ in range(30)]
    for worker in workers:
        worker.join(timeout=60)
    # One process alone would allow 10 of 30 posts in the window; so must two together.
    assert actions.count("allow") == 10
    assert actions.count("block") == 20


def test_health_reports_the_store_state(own_server: RedisServer) -> None:
    store = RedisStore(own_server.url, timeout_s=0.2, cooldown_s=0.2, namespace="health")
    assert store.ping()
    assert store.healthy
    own_server.stop()
    assert not store.ping()  # a probe reports; it never raises
    with pytest.raises(StoreError, match=r"begin: ConnectionError: .*refused"):
        store.begin(KEY, _event(0), None, RET, 0)
    assert not store.healthy
    own_server.start()
    _wait_past_cooldown()
    assert store.ping()
    store.begin(KEY, _event(1), None, RET, 1)
    assert store.healthy
    store.close()


def test_a_password_in_the_url_never_reaches_errors_or_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = RedisStore("redis://app:s3cret@127.0.0.1:1/0", timeout_s=0.2)
    with (
        caplog.at_level(logging.WARNING, logger="spamguard.store"),
        pytest.raises(StoreError) as raised,
    ):
        store.begin(KEY, _event(0), None, RET, 0)
    assert "redis://app:***@127.0.0.1:1/0 begin" in str(raised.value)
    assert "s3cret" not in str(raised.value)
    assert "s3cret" not in caplog.text


# -- connections: never twice, never stale ---------------------------------------------


class _LosingProxy:
    """A loopback TCP proxy to Redis that can lose the reply of the next script call.

    Every connection gets a thread that forwards one request and its reply at a time;
    with `lose_next` set, an ``EVALSHA`` reaches Redis (and runs) but the proxy closes
    the client's connection instead of passing the reply back.
    """

    def __init__(self, port: int) -> None:
        self.lose_next = threading.Event()
        self._port = port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._forward, args=(client,), daemon=True).start()

    def _forward(self, client: socket.socket) -> None:
        with client, socket.create_connection(("127.0.0.1", self._port), timeout=5) as server:
            client.settimeout(5)
            while not self._stop.is_set():
                try:
                    request = client.recv(65536)
                    if not request:
                        return
                    server.sendall(request)
                    reply = server.recv(65536)
                except OSError:
                    return
                if b"EVALSHA" in request and self.lose_next.is_set():
                    self.lose_next.clear()
                    return  # the script ran; its reply is lost with the connection
                client.sendall(reply)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()


def test_a_call_whose_reply_is_lost_is_not_run_again(own_server: RedisServer) -> None:
    direct = RedisStore(own_server.url)
    direct.begin(KEY, _event(0, 0), None, RET, 0)  # loads the scripts; the proxy is naive
    direct.end_session(KEY.session)
    direct.close()
    proxy = _LosingProxy(own_server.port)
    store = RedisStore(f"redis://127.0.0.1:{proxy.port}/0", timeout_s=2, cooldown_s=0)
    try:
        store.begin(KEY, _event(1, 1), None, RET, 1)
        proxy.lose_next.set()
        with pytest.raises(StoreError):
            store.begin(KEY, _event(2, 2), None, RET, 2)
        after = store.begin(KEY, _event(3, 3), None, RET, 3)
        assert list(after.history.fingerprints) == [1, 2]  # post 2 counted once
    finally:
        store.close()
        proxy.close()


def test_a_restarted_server_costs_no_failed_check(own_server: RedisServer) -> None:
    store = RedisStore(own_server.url, timeout_s=2)
    try:
        store.begin(KEY, _event(1, 1), None, RET, 1)
        own_server.restart()  # the store's idle connection is now closed by the server
        assert store.begin(KEY, _event(2, 2), None, RET, 2).history.events() == ()
        assert store.healthy
    finally:
        store.close()


def test_one_sessions_bad_keys_leave_the_others_alone(
    redis_store: RedisStore, raw: redis.Redis
) -> None:
    broken = SenderKey(SessionKey("acme", "web", "broken"), Role.END_USER, "u")
    raw.rpush(redis_store.session_keys(broken.session)[0], "not a hash")
    with pytest.raises(StoreError):
        redis_store.end_session(broken.session)
    with pytest.raises(StoreError):
        redis_store.settle(broken, None, Outcome(Action.BLOCK), RET, 1)
    assert redis_store.healthy  # no cooldown: other sessions go on
    assert redis_store.begin(KEY, _event(1), None, RET, 1).history.events() == ()


def test_the_stores_connections_do_not_count_against_the_pool(
    redis_server: RedisServer,
) -> None:
    # One store: each close() drops its connections and the next begin makes another.
    store = RedisStore(f"{redis_server.url}?max_connections=2", namespace="pool")
    try:
        for round_ in range(5):
            store.begin(KEY, _event(round_), None, RET, round_)
            store.close()
        assert store.healthy
    finally:
        store.close()
