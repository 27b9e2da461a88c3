"""The Redis session store: one window shared by every chat-server process and host.

Each `begin` is one network round trip: an atomic Lua script, called by SHA (loaded again
after a ``NOSCRIPT``), appends the post, trims the window by time and count, and returns
the window and the strike count as one binary string. `settle` runs only for blocked and
terminated posts. Times come from the caller, never from Redis, so this store gives the
verdicts the in-memory store gives for the same traffic; key TTLs only free memory.

Key layout (``<ns>`` is the namespace, ``2`` the layout version; the ``{...}`` hash tag
puts every key of one session on one Redis Cluster slot)::

    <ns>:2:{tenant/interface/session}:s            session hash: expiry, conclusion,
                                                   senders, strikes, transactions
    <ns>:2:{tenant/interface/session}:p:role/id    one sender's posts and texts (string)

Times, fingerprints and lengths are stored and exchanged as little-endian binary (see
``session.lua``), so a time round-trips bit for bit and a reply is decoded with a few
C-speed copies instead of one Python object per field.

On a single node the synchronous calls go straight to connections of their own (made by
redis-py's pool, as it makes its own) with the whole command packed here: the pool's
checkout and redis-py's per-argument encoding cost more than the script itself. Redis
Cluster and the asyncio client go through redis-py's ``execute_command``.

Failures never reach the caller as driver exceptions: they become `StoreError`, which the
engine turns into the tenant's ``on_store_error`` policy. After a failure the store does
not touch the network for ``cooldown_s`` (so a hung server costs each check nothing), then
tries again; the first success logs that the store recovered.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import os
import struct
import sys
import threading
import time
from array import array
from collections.abc import Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any, NamedTuple

from spamguard.errors import SpamguardError, StoreError
from spamguard.message import SenderKey, SessionKey
from spamguard.stores.base import (
    DEFAULT_MAX_SENDERS,
    MAX_ID_CHARS,
    NO_HISTORY,
    Event,
    History,
    Outcome,
    Retention,
    Snapshot,
    id_digest,
    stored_text,
)
from spamguard.verdict import Action

if TYPE_CHECKING:
    import redis
    import redis.asyncio

__all__ = ["RedisStore"]

logger = logging.getLogger("spamguard.store")

LAYOUT_VERSION = 2
# "#" too: it starts the hashed form of a long id, which a short id must never equal.
_ESCAPES = str.maketrans({"%": "%25", "/": "%2F", "{": "%7B", "}": "%7D", "#": "%23"})
_SCHEMES = ("redis://", "rediss://", "unix://", "redis+cluster://")
# Key names of this many senders are kept ready (then the cache starts over).
_NAMES_CACHED = 4096
# begin's numbers: 9 doubles (see begin.lua), then the post's time, fingerprint, length,
# then the senders cap.
_BEGIN_NUMBERS = struct.Struct("<9ddQId")
# settle's numbers: now, concluded until, concluded ttl ms, strikes kept.
_SETTLE_NUMBERS = struct.Struct("<4d")
# The head of begin's window reply: strikes, and posts that left the window by time.
_REPLY_HEAD = struct.Struct("<2I")
# The head of a sender's posts string: posts, texts.
_POSTS_HEAD = struct.Struct("<2I")
_WINDOW_START = 1 + _REPLY_HEAD.size  # where the posts string starts in begin's reply
# Posts longer than this are recorded at this length, as the in-memory store does.
_MAX_CHARS = 2**32 - 1
_SWAP = sys.byteorder != "little"  # the stored columns are little-endian
_TEXT_END = b"\xff"  # ends each text: a byte UTF-8 never holds


def _script(name: str) -> str:
    return resources.files("spamguard.stores").joinpath(name).read_text("utf-8")


def _part(value: str) -> str:
    """One key component: escaped so braces and separators can't split the hash tag.

    A longer id than `MAX_ID_CHARS` becomes its hash: a key never grows with what a
    client sends.
    """
    if len(value) > MAX_ID_CHARS:
        return "#" + hashlib.blake2b(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return value.translate(_ESCAPES)


def _ms(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))


def _bulk(value: bytes) -> bytes:
    """One argument of a command in the Redis protocol (RESP)."""
    return b"$%d\r\n%s\r\n" % (len(value), value)


def _encode(text: str) -> bytes:
    # Encoded here, not by the driver: text may hold lone surrogates, and they must
    # round-trip, not fail the check.
    return text.encode("utf-8", "surrogatepass")


class _Script(NamedTuple):
    """One Lua script: its name, source, SHA and how many keys it takes."""

    name: str
    source: str
    sha: bytes
    numkeys: int

    @property
    def head(self) -> bytes:
        """``EVALSHA <sha> <numkeys>`` in RESP (without the array header)."""
        return _bulk(b"EVALSHA") + _bulk(self.sha) + _bulk(b"%d" % self.numkeys)


class _Names(NamedTuple):
    """The encoded key names and member of one sender, and their RESP for `begin`."""

    session: bytes
    posts: bytes
    member: bytes
    begin_head: bytes


class _Breaker:
    """Fail fast for a while after a failure, and say when the store comes back."""

    def __init__(self, cooldown_s: float, describe: str) -> None:
        self.cooldown_s = cooldown_s
        self.describe = describe
        self._retry_at = 0.0
        self._failures = 0
        self._lock = threading.Lock()

    @property
    def healthy(self) -> bool:
        return self._failures == 0

    def guard(self, operation: str) -> None:
        if self._failures and time.monotonic() < self._retry_at:
            raise StoreError(f"{self.describe} {operation}: unavailable, retrying shortly")

    def failed(self, operation: str, exc: BaseException) -> StoreError:
        with self._lock:
            self._failures += 1
            self._retry_at = time.monotonic() + self.cooldown_s
            first = self._failures == 1
        problem = f"{type(exc).__name__}: {exc}"
        if first:
            logger.warning(
                "spamguard: store %s failed: %s",
                self.describe,
                problem,
                extra={
                    "spamguard": {
                        "event": "spamguard.store.unavailable",
                        "store": self.describe,
                        "operation": operation,
                        "error": problem,
                        "retry_after_s": self.cooldown_s,
                    }
                },
            )
        return StoreError(f"{self.describe} {operation}: {problem}")

    def succeeded(self) -> None:
        if not self._failures:
            return
        with self._lock:
            failures, self._failures = self._failures, 0
        if failures:
            logger.warning(
                "spamguard: store %s recovered after %d failed calls",
                self.describe,
                failures,
                extra={
                    "spamguard": {
                        "event": "spamguard.store.recovered",
                        "store": self.describe,
                        "failed_calls": failures,
                    }
                },
            )


class RedisStore:
    """Session state in Redis (a single node or Redis Cluster), shared by many processes.

    Args:
        url: ``redis://``, ``rediss://``, ``unix://`` or ``redis+cluster://`` (the
            ``redis`` extra must be installed). Query parameters go to redis-py.
        timeout_s: Connect and command timeout: a check waits no longer for Redis.
        cooldown_s: After a failure, calls fail fast for this long before trying again.
        namespace: Prefix of every key, so several deployments can share one Redis.
        max_senders: The most sender windows one session keeps, as in `MemoryStore`: a
            new sender beyond it evicts the sender whose newest post is the oldest.

    The clients connect lazily: an engine starts even while Redis is down. The asyncio
    client belongs to the event loop that first uses it.
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        timeout_s: float = 0.1,
        cooldown_s: float = 1.0,
        namespace: str = "sg",
        max_senders: int = DEFAULT_MAX_SENDERS,
    ) -> None:
        if not url.startswith(_SCHEMES):
            raise ValueError(
                f"unsupported Redis URL {url!r}; expected one of: {', '.join(_SCHEMES)}"
            )
        if not timeout_s > 0 or not cooldown_s >= 0:
            raise ValueError("timeout_s must be positive and cooldown_s not negative")
        if max_senders < 1:
            raise ValueError("max_senders must be at least 1")
        try:
            import redis as redis_py  # noqa: PLC0415 (optional extra, imported on use)
        except ImportError as exc:
            raise SpamguardError(
                "the Redis store needs the redis extra: pip install 'spamguard[redis]'"
            ) from exc
        self.url = url
        self.timeout_s = timeout_s
        self.namespace = namespace
        self.max_senders = max_senders
        self._redis = redis_py
        self._cluster = url.startswith("redis+cluster://")
        self._breaker = _Breaker(cooldown_s, _redacted(url))
        self._sync: Any = None
        self._async: Any = None
        self._async_loop: asyncio.AbstractEventLoop | None = None
        self._async_loaded = False
        self._async_lock = asyncio.Lock()
        self._lock = threading.Lock()
        # The single-node synchronous calls' own idle connections (see `_exchange`).
        self._idle: list[Any] = []
        self._pid = os.getpid()
        self._names: dict[SenderKey, _Names] = {}

    # -- the SessionStore protocol -------------------------------------------------------

    def begin(
        self,
        key: SenderKey,
        event: Event,
        transaction_id: str | None,
        retention: Retention,
        now: float,
    ) -> Snapshot:
        """See `SessionStore.begin`."""
        names = self._names.get(key) or self._name(key)
        args = _begin_args(event, transaction_id, retention, now, self.max_senders)
        if self._cluster:
            keys = (names.session, names.posts)
            reply = self._run(_BEGIN, keys, (names.member, *args))
        else:
            reply = self._run_packed(_BEGIN, _packed(names.begin_head, 6, args))
        return _snapshot(reply)

    def settle(
        self,
        key: SenderKey,
        transaction_id: str | None,
        outcome: Outcome,
        retention: Retention,
        now: float,
    ) -> None:
        """See `SessionStore.settle`."""
        names = self._names.get(key) or self._name(key)
        args = _settle_args(names.member, transaction_id, outcome, retention, now)
        self._run(_SETTLE, (names.session,), args)

    def end_session(self, key: SessionKey) -> None:
        """See `SessionStore.end_session`."""
        self._run(_END, (self._base(key) + b":s",), ())

    async def abegin(
        self,
        key: SenderKey,
        event: Event,
        transaction_id: str | None,
        retention: Retention,
        now: float,
    ) -> Snapshot:
        """See `SessionStore.abegin`."""
        names = self._names.get(key) or self._name(key)
        args = _begin_args(event, transaction_id, retention, now, self.max_senders)
        keys = (names.session, names.posts)
        return _snapshot(await self._arun(_BEGIN, keys, (names.member, *args)))

    async def asettle(
        self,
        key: SenderKey,
        transaction_id: str | None,
        outcome: Outcome,
        retention: Retention,
        now: float,
    ) -> None:
        """See `SessionStore.asettle`."""
        names = self._names.get(key) or self._name(key)
        args = _settle_args(names.member, transaction_id, outcome, retention, now)
        await self._arun(_SETTLE, (names.session,), args)

    async def aend_session(self, key: SessionKey) -> None:
        """Asyncio twin of `end_session`."""
        await self._arun(_END, (self._base(key) + b":s",), ())

    # -- operations ----------------------------------------------------------------------

    @property
    def healthy(self) -> bool:
        """False from a failed call until the next successful one."""
        return self._breaker.healthy

    def ping(self) -> bool:
        """Whether Redis answers now (for health endpoints); never raises."""
        try:
            return bool(self._client().ping())
        except Exception:
            return False

    def close(self) -> None:
        """Close the synchronous client's connections."""
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.disconnect()
        if self._sync is not None:
            self._sync.close()

    async def aclose(self) -> None:
        """Close the asyncio client's connections (call it in the loop that used them)."""
        if self._async is not None:
            client, self._async, self._async_loop = self._async, None, None
            await client.aclose()

    def session_keys(self, key: SessionKey) -> list[str]:
        """The names of an engagement's keys: the session hash."""
        return [(self._base(key) + b":s").decode("utf-8", "surrogatepass")]

    def sender_keys(self, key: SenderKey) -> list[str]:
        """The names of one sender's keys: its posts and texts."""
        return [self._name(key).posts.decode("utf-8", "surrogatepass")]

    # -- internals -----------------------------------------------------------------------

    def _base(self, key: SessionKey) -> bytes:
        tag = f"{_part(key.tenant)}/{_part(key.interface)}/{_part(key.session)}"
        return _encode(f"{self.namespace}:{LAYOUT_VERSION}:{{{tag}}}")

    def _name(self, key: SenderKey) -> _Names:
        """The key names of a sender, built once and cached."""
        base = self._base(key.session)
        member = _encode(f"{key.role.value}/{_part(key.sender)}")
        session, posts = base + b":s", base + b":p:" + member
        names = _Names(
            session, posts, member, _BEGIN.head + _bulk(session) + _bulk(posts) + _bulk(member)
        )
        if len(self._names) >= _NAMES_CACHED:
            self._names.clear()  # cheaper than an LRU, and safe under threads
        self._names[key] = names
        return names

    def _client_options(self) -> dict[str, Any]:
        retry_module = self._redis.retry
        backoff = self._redis.backoff
        exceptions = self._redis.exceptions
        # No client retries: a command whose connection broke after it was sent may have
        # run, and running a script twice would count a post twice (the cluster clients
        # would also retry timeouts). `_roundtrip` reconnects safely on its own.
        return {
            "socket_timeout": self.timeout_s,
            "socket_connect_timeout": self.timeout_s,
            "retry": retry_module.Retry(
                backoff.NoBackoff(), 0, supported_errors=(exceptions.ConnectionError,)
            ),
            # Replies are binary (see session.lua): decoded by `_snapshot`, not the driver.
            "decode_responses": False,
            "encoding_errors": "surrogatepass",
        }

    def _client(self) -> redis.Redis:
        if self._sync is None:
            with self._lock:
                if self._sync is None:
                    options = self._client_options()
                    if self._cluster:
                        url = "redis://" + self.url.removeprefix("redis+cluster://")
                        self._sync = self._redis.cluster.RedisCluster.from_url(url, **options)
                    else:
                        self._sync = self._redis.Redis.from_url(self.url, **options)
        return self._sync  # type: ignore[no-any-return]

    def _aclient(self) -> redis.asyncio.Redis:
        loop = asyncio.get_running_loop()
        if self._async is None or self._async_loop is not loop:
            # An asyncio client's connections belong to one event loop.
            import redis.asyncio as aredis  # noqa: PLC0415 (optional extra)

            self._async_loop, self._async_loaded = loop, False
            self._async_lock = asyncio.Lock()

            options = self._client_options()
            if self._cluster:
                url = "redis://" + self.url.removeprefix("redis+cluster://")
                self._async = aredis.RedisCluster.from_url(url, **options)
            else:
                self._async = aredis.Redis.from_url(self.url, **options)
        return self._async  # type: ignore[no-any-return]

    def _failure(self, operation: str, exc: Exception) -> StoreError:
        """The error for a failed call; only an outage opens the circuit breaker.

        A script that fails on one session's keys (a value of the wrong type written by
        something else under our names) says nothing about Redis itself: that session
        gets SG009 and every other session goes on.
        """
        if isinstance(exc, self._redis.exceptions.ResponseError) and _is_key_error(exc):
            return _unreadable(f"{operation}: {exc}")
        return self._breaker.failed(operation, exc)

    def _run_packed(self, script: _Script, packed: bytes) -> Any:
        """Run a script on a single node, `packed` being its whole ``EVALSHA`` command."""
        self._breaker.guard(script.name)
        try:
            reply = self._exchange(script, packed)
        except Exception as exc:  # the driver's errors, and its bugs, stop here
            raise self._failure(script.name, exc) from exc
        self._breaker.succeeded()
        return reply

    def _run(self, script: _Script, keys: Sequence[bytes], args: Sequence[bytes]) -> Any:
        if not self._cluster:
            return self._run_packed(script, _packed(script.head, 3, (*keys, *args)))
        self._breaker.guard(script.name)
        try:
            client: Any = self._client()
            command = ("EVALSHA", script.sha, len(keys), *keys, *args)
            try:
                reply = client.execute_command(*command)
            except self._redis.exceptions.NoScriptError:
                client.script_load(script.source)
                reply = client.execute_command(*command)
        except Exception as exc:
            raise self._failure(script.name, exc) from exc
        self._breaker.succeeded()
        return reply

    def _exchange(self, script: _Script, packed: bytes) -> Any:
        """Send one packed command on a connection of our own and read its reply.

        redis-py's pool checkout polls the socket and records metrics on every call; these
        connections are only ever returned with their reply read, or disconnected, so
        none is needed. Like the clients, a broken connection is retried once at once,
        a timeout never, and a ``NOSCRIPT`` loads the script and runs it again.
        """
        if self._pid != os.getpid():  # forked: the parent's sockets are not ours
            self._idle, self._pid = [], os.getpid()
        idle = self._idle
        try:
            connection = idle.pop()
        except IndexError:
            # Made from the pool's settings but not by the pool: it would count them
            # against max_connections and never learn that they were closed.
            pool = self._client().connection_pool
            connection = pool.connection_class(**pool.connection_kwargs)
        try:
            try:
                reply = _roundtrip(connection, packed, self._redis.exceptions.ConnectionError)
            except self._redis.exceptions.NoScriptError:
                connection.send_command("SCRIPT", "LOAD", script.source)
                connection.read_response()
                reply = _roundtrip(connection, packed, self._redis.exceptions.ConnectionError)
        except BaseException:
            connection.disconnect()  # whatever is left unread must not reach another call
            idle.append(connection)
            raise
        idle.append(connection)
        return reply

    async def _aready(self) -> redis.asyncio.Redis:
        client = self._aclient()
        if not self._async_loaded:
            async with self._async_lock:
                if not self._async_loaded:
                    # Loaded once, before any call: many tasks meeting NOSCRIPT at once
                    # would all load it, and redis-py's cluster client can break a
                    # connection doing so. After a restart the per-call fallback loads it.
                    for script in _SCRIPTS:
                        await client.script_load(script.source)
                    self._async_loaded = True
        return client

    async def _arun(self, script: _Script, keys: Sequence[bytes], args: Sequence[bytes]) -> Any:
        self._breaker.guard(script.name)
        try:
            client: Any = await self._aready()
            command = ("EVALSHA", script.sha, len(keys), *keys, *args)
            try:
                reply = await client.execute_command(*command)
            except self._redis.exceptions.NoScriptError:
                await client.script_load(script.source)
                reply = await client.execute_command(*command)
        except Exception as exc:
            raise self._failure(script.name, exc) from exc
        self._breaker.succeeded()
        return reply


def _roundtrip(connection: Any, packed: bytes, broken: type[Exception]) -> Any:
    """Send one command and read its reply; never send it twice once it may have run.

    An idle connection has nothing to read unless the server closed it (a restart): one
    poll (about 1 µs) notices that, and the connection is made again before the send. A
    send that fails is made again at once: Redis runs no incomplete command. A connection
    that breaks after the send is not retried: the script may have run, and running it
    twice would count the post twice.
    """
    try:
        stale = connection.can_read()
    except broken:  # the server closed it
        stale = True
    if stale:
        connection.disconnect()  # the send connects again
    try:
        connection.send_packed_command((packed,))
    except broken:
        connection.disconnect()
        connection.send_packed_command((packed,))
    return connection.read_response()


def _load(name: str, numkeys: int) -> _Script:
    # Each script is its shared part (session.lua) followed by its own.
    source = _script("session.lua") + "\n" + _script(f"{name}.lua")
    sha = hashlib.sha1(source.encode("utf-8"), usedforsecurity=False).hexdigest().encode()
    return _Script(name, source, sha, numkeys)


_BEGIN = _load("begin", 2)
_SETTLE = _load("settle", 1)
_END = _load("end", 1)
_SCRIPTS = (_BEGIN, _SETTLE, _END)


def _packed(head: bytes, count: int, args: Sequence[bytes]) -> bytes:
    """A whole command in RESP: `head` holds its first `count` arguments, packed."""
    parts = [b"*%d\r\n" % (count + len(args)), head]
    for arg in args:
        parts.append(b"$%d\r\n" % len(arg))
        parts.append(arg)
        parts.append(b"\r\n")
    return b"".join(parts)


def _begin_args(
    event: Event, transaction_id: str | None, retention: Retention, now: float, max_senders: int
) -> tuple[bytes, ...]:
    """begin's arguments after the member (see begin.lua)."""
    numbers = _BEGIN_NUMBERS.pack(
        now,
        now + retention.idle_ttl_s,
        now - retention.window_s,
        now - retention.strike_window_s,
        _ms(retention.idle_ttl_s),
        _ms(retention.window_s),
        retention.max_events,
        retention.keys_needed,
        retention.max_transactions,
        event.ts,
        event.fingerprint,
        min(event.chars, _MAX_CHARS),
        max_senders,
    )
    text = stored_text(event.key).encode("utf-8", "surrogatepass")
    if transaction_id is None:
        return numbers, text
    return numbers, text, _transaction(transaction_id)


def _settle_args(
    member: bytes,
    transaction_id: str | None,
    outcome: Outcome,
    retention: Retention,
    now: float,
) -> tuple[bytes, ...]:
    """settle's arguments (see settle.lua)."""
    numbers = _SETTLE_NUMBERS.pack(
        now,
        now + retention.concluded_ttl_s,
        _ms(retention.concluded_ttl_s),
        retention.max_strikes if outcome.action is Action.BLOCK else -1,
    )
    action = b"terminate" if outcome.action is Action.TERMINATE else b"block"
    args = (member, action, numbers, _encode(_outcome_text(outcome)))
    if transaction_id is None:
        return args
    return (*args, _transaction(transaction_id))


def _transaction(transaction_id: str) -> bytes:
    """A transaction id as kept: a long one as its digest, so no field grows with it.

    The digest starts with a byte UTF-8 never holds, so it can't equal a short id.
    """
    if len(transaction_id) <= MAX_ID_CHARS:
        return _encode(transaction_id)
    return b"\xff" + id_digest(transaction_id)


def _outcome_text(outcome: Outcome) -> str:
    return f"{outcome.action.value}|{','.join(outcome.codes)}"


def _parse_outcome(text: str) -> Outcome:
    action, _, codes = text.partition("|")
    return Outcome(Action(action), tuple(code for code in codes.split(",") if code))


def _snapshot(reply: Any) -> Snapshot:
    try:
        tag = reply[:1]
        if tag == b"w":
            strikes, first = _REPLY_HEAD.unpack_from(reply, 1)
            if len(reply) == _WINDOW_START:
                return Snapshot(strikes=strikes)
            return Snapshot(history=_history(reply, first), strikes=strikes)
        if tag == b"c":
            return Snapshot(concluded=True)
        if tag == b"r":
            return Snapshot(replay=_parse_outcome(reply[1:].decode("utf-8", "surrogatepass")))
        if tag == b"x":
            raise ValueError(reply[1:].decode("utf-8", "replace"))
        raise ValueError("unknown reply")
    except (IndexError, TypeError, ValueError, struct.error) as exc:
        # Keys written by something else, or a different layout version: this session's
        # state is unreadable, the store itself is fine (no cooldown), so say it here.
        raise _unreadable(f"unexpected reply from the Redis store: {reply!r:.200}") from exc


def _is_key_error(exc: Exception) -> bool:
    """Whether a Redis error reply is about one key's value, not the server's state."""
    message = str(exc)
    return "WRONGTYPE" in message or "user_script" in message


def _unreadable(problem: str) -> StoreError:
    """A session whose keys cannot be read: logged here, since no breaker trips."""
    logger.warning(
        "spamguard: %s",
        problem,
        extra={"spamguard": {"event": "spamguard.store.bad_reply", "error": problem}},
    )
    return StoreError(problem)


def _history(reply: bytes, first: int) -> History:
    """The window in the sender's posts string (session.lua) that `reply` holds, without
    its `first` posts."""
    count, texts = _POSTS_HEAD.unpack_from(reply, _WINDOW_START)
    if first >= count:
        return NO_HISTORY
    view = memoryview(reply)
    times, fingerprints, chars = array("d"), array("Q"), array("I")
    start = _WINDOW_START + _POSTS_HEAD.size
    times.frombytes(view[start + 8 * first : start + 8 * count])
    start += 8 * count
    fingerprints.frombytes(view[start + 8 * first : start + 8 * count])
    start += 8 * count
    chars.frombytes(view[start + 4 * first : start + 4 * count])
    start += 4 * count
    if _SWAP:
        times.byteswap()
        fingerprints.byteswap()
        chars.byteswap()
    keys = reply[start:].split(_TEXT_END)
    if len(keys) != texts + 1 or keys[-1] or texts > count:
        raise ValueError("the texts do not match their count")
    # Texts are kept for the newest posts: those of posts that left the window go too.
    del keys[: max(0, texts - (count - first))]
    del keys[-1]
    return History(
        times, fingerprints, chars, [key.decode("utf-8", "surrogatepass") for key in keys]
    )


def _redacted(url: str) -> str:
    """The URL without its password, for logs and errors."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at:
        return url
    user = credentials.partition(":")[0]
    return f"{scheme}{sep}{user + ':***' if user else '***'}@{host}"
