"""The Redis session store: one window shared by every chat-server process and host.

Each `begin` is one network round trip: an atomic Lua script (called by SHA, reloaded by
redis-py after a ``NOSCRIPT``) appends the post, trims the window by time and count, and
returns the window and the strike count. `settle` runs only for blocked and terminated
posts. Times come from the caller, never from Redis, so this store gives the verdicts the
in-memory store gives for the same traffic; key TTLs only free memory.

Key layout (``<ns>`` is the namespace, ``1`` the layout version; the ``{...}`` hash tag
puts every key of one session on one Redis Cluster slot)::

    <ns>:1:{tenant/interface/session}:c            concluded until (string)
    <ns>:1:{tenant/interface/session}:s            session hash: expiry, senders, transactions
    <ns>:1:{tenant/interface/session}:o            transaction ids, oldest first (list)
    <ns>:1:{tenant/interface/session}:e:role/id    posts: "time|fingerprint|length" (list)
    <ns>:1:{tenant/interface/session}:n:role/id    normalised texts of the newest posts (list)
    <ns>:1:{tenant/interface/session}:k:role/id    strike times (list)

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
import threading
import time
from collections.abc import Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any

from spamguard.errors import SpamguardError, StoreError
from spamguard.message import SenderKey, SessionKey
from spamguard.stores.base import Event, History, Outcome, Retention, Snapshot
from spamguard.verdict import Action

if TYPE_CHECKING:
    import redis
    import redis.asyncio

__all__ = ["RedisStore"]

logger = logging.getLogger("spamguard.store")

LAYOUT_VERSION = 1
# Longer ids are hashed: a key never grows with what a client sends.
_MAX_ID_CHARS = 128
_ESCAPES = str.maketrans({"%": "%25", "/": "%2F", "{": "%7B", "}": "%7D"})
_SCHEMES = ("redis://", "rediss://", "unix://", "redis+cluster://")


def _script(name: str) -> str:
    return resources.files("spamguard.stores").joinpath(name).read_text("utf-8")


def _part(value: str) -> str:
    """One key component: escaped so braces and separators can't split the hash tag."""
    if len(value) > _MAX_ID_CHARS:
        return "#" + hashlib.blake2b(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return value.translate(_ESCAPES)


def _num(value: float) -> str:
    # repr is the shortest text that reads back as the same double, in Python and in Lua,
    # so comparisons inside the scripts match the in-memory store's bit for bit.
    return repr(float(value))


def _ms(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))


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
    ) -> None:
        if not url.startswith(_SCHEMES):
            raise ValueError(
                f"unsupported Redis URL {url!r}; expected one of: {', '.join(_SCHEMES)}"
            )
        if not timeout_s > 0 or not cooldown_s >= 0:
            raise ValueError("timeout_s must be positive and cooldown_s not negative")
        try:
            import redis as redis_py  # noqa: PLC0415 (optional extra, imported on use)
        except ImportError as exc:
            raise SpamguardError(
                "the Redis store needs the redis extra: pip install 'spamguard[redis]'"
            ) from exc
        self.url = url
        self.timeout_s = timeout_s
        self.namespace = namespace
        self._redis = redis_py
        self._cluster = url.startswith("redis+cluster://")
        self._breaker = _Breaker(cooldown_s, _redacted(url))
        self._sync: Any = None
        self._async: Any = None
        self._async_loop: asyncio.AbstractEventLoop | None = None
        self._scripts: dict[str, Any] = {}
        self._async_scripts: dict[str, Any] = {}
        self._async_lock = asyncio.Lock()
        self._lock = threading.Lock()

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
        keys, args = self._begin_call(key, event, transaction_id, retention, now)
        return _snapshot(self._run("begin", keys, args))

    def settle(
        self,
        key: SenderKey,
        transaction_id: str | None,
        outcome: Outcome,
        retention: Retention,
        now: float,
    ) -> None:
        """See `SessionStore.settle`."""
        self._run("settle", *self._settle_call(key, transaction_id, outcome, retention, now))

    def end_session(self, key: SessionKey) -> None:
        """See `SessionStore.end_session`."""
        self._run("end", self.session_keys(key), [])

    async def abegin(
        self,
        key: SenderKey,
        event: Event,
        transaction_id: str | None,
        retention: Retention,
        now: float,
    ) -> Snapshot:
        """See `SessionStore.abegin`."""
        keys, args = self._begin_call(key, event, transaction_id, retention, now)
        return _snapshot(await self._arun("begin", keys, args))

    async def asettle(
        self,
        key: SenderKey,
        transaction_id: str | None,
        outcome: Outcome,
        retention: Retention,
        now: float,
    ) -> None:
        """See `SessionStore.asettle`."""
        await self._arun("settle", *self._settle_call(key, transaction_id, outcome, retention, now))

    async def aend_session(self, key: SessionKey) -> None:
        """Asyncio twin of `end_session`."""
        await self._arun("end", self.session_keys(key), [])

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
        if self._sync is not None:
            self._sync.close()

    async def aclose(self) -> None:
        """Close the asyncio client's connections (call it in the loop that used them)."""
        if self._async is not None:
            client, self._async, self._async_loop = self._async, None, None
            await client.aclose()

    def session_keys(self, key: SessionKey) -> list[str]:
        """The names of an engagement's keys: concluded, session hash, transaction order."""
        base = self._base(key)
        return [f"{base}:c", f"{base}:s", f"{base}:o"]

    def sender_keys(self, key: SenderKey) -> list[str]:
        """The names of one sender's keys: posts, texts, strikes."""
        base, member = self._base(key.session), self._member(key)
        return [f"{base}:e:{member}", f"{base}:n:{member}", f"{base}:k:{member}"]

    # -- internals -----------------------------------------------------------------------

    def _base(self, key: SessionKey) -> str:
        tag = f"{_part(key.tenant)}/{_part(key.interface)}/{_part(key.session)}"
        return f"{self.namespace}:{LAYOUT_VERSION}:{{{tag}}}"

    @staticmethod
    def _member(key: SenderKey) -> str:
        return f"{key.role.value}/{_part(key.sender)}"

    def _begin_call(
        self,
        key: SenderKey,
        event: Event,
        transaction_id: str | None,
        retention: Retention,
        now: float,
    ) -> tuple[list[str], list[str | int]]:
        keys = [*self.session_keys(key.session), *self.sender_keys(key)]
        args: list[str | int] = [
            _num(now),
            _num(now + retention.idle_ttl_s),
            _ms(retention.idle_ttl_s),
            "0" if transaction_id is None else "1",
            transaction_id or "",
            retention.max_transactions,
            self._member(key),
            _num(now - retention.window_s),
            _num(now - retention.strike_window_s),
            retention.max_events,
            retention.keys_needed,
            f"{_num(event.ts)}|{event.fingerprint:x}|{event.chars}",
            event.key,
            _ms(retention.window_s),
        ]
        return keys, args

    def _settle_call(
        self,
        key: SenderKey,
        transaction_id: str | None,
        outcome: Outcome,
        retention: Retention,
        now: float,
    ) -> tuple[list[str], list[str | int]]:
        base = self._base(key.session)
        keys = [*self.session_keys(key.session), f"{base}:k:{self._member(key)}"]
        args: list[str | int] = [
            "terminate" if outcome.action is Action.TERMINATE else "block",
            _outcome_text(outcome),
            "0" if transaction_id is None else "1",
            transaction_id or "",
            _num(now),
            _num(now + retention.concluded_ttl_s),
            _ms(retention.concluded_ttl_s),
            _ms(retention.strike_window_s),
            retention.max_strikes if outcome.action is Action.BLOCK else 0,
        ]
        return keys, args

    def _client_options(self) -> dict[str, Any]:
        retry_module = self._redis.retry
        backoff = self._redis.backoff
        exceptions = self._redis.exceptions
        # One immediate retry on a broken connection (a restarted server), none on a
        # timeout: the script may have run, and running it twice would count twice. The
        # cluster clients take only the number of retries from this and retry timeouts
        # too, so they get none.
        retries = 0 if self._cluster else 1
        return {
            "socket_timeout": self.timeout_s,
            "socket_connect_timeout": self.timeout_s,
            "retry": retry_module.Retry(
                backoff.NoBackoff(), retries, supported_errors=(exceptions.ConnectionError,)
            ),
            "decode_responses": True,
            # Message text may hold lone surrogates; they must round-trip, not raise.
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

            self._async_loop, self._async_scripts = loop, {}
            self._async_lock = asyncio.Lock()

            options = self._client_options()
            if self._cluster:
                url = "redis://" + self.url.removeprefix("redis+cluster://")
                self._async = aredis.RedisCluster.from_url(url, **options)
            else:
                self._async = aredis.Redis.from_url(self.url, **options)
        return self._async  # type: ignore[no-any-return]

    def _script_for(self, name: str) -> Any:
        script = self._scripts.get(name)
        if script is None:
            script = self._scripts[name] = self._client().register_script(_SCRIPTS[name])
        return script

    async def _ascript_for(self, name: str) -> Any:
        client = self._aclient()
        if not self._async_scripts:
            async with self._async_lock:
                if not self._async_scripts:
                    # Loaded once, before any call: many tasks meeting NOSCRIPT at once
                    # would all load it, and redis-py's cluster client can break a
                    # connection doing so. After a restart the per-call fallback loads it.
                    for source in _SCRIPTS.values():
                        await client.script_load(source)
                    self._async_scripts = {
                        script_name: client.register_script(source)
                        for script_name, source in _SCRIPTS.items()
                    }
        return self._async_scripts[name]

    def _run(self, name: str, keys: Sequence[str], args: Sequence[str | int]) -> Any:
        self._breaker.guard(name)
        try:
            reply = self._script_for(name)(keys=_encoded(keys), args=_encoded(args))
        except Exception as exc:  # the driver's errors, and its bugs, stop here
            raise self._breaker.failed(name, exc) from exc
        self._breaker.succeeded()
        return reply

    async def _arun(self, name: str, keys: Sequence[str], args: Sequence[str | int]) -> Any:
        self._breaker.guard(name)
        try:
            script = await self._ascript_for(name)
            reply = await script(keys=_encoded(keys), args=_encoded(args))
        except Exception as exc:
            raise self._breaker.failed(name, exc) from exc
        self._breaker.succeeded()
        return reply


# Each script is its shared part (session.lua) followed by its own.
_SCRIPTS = {
    name: _script("session.lua") + "\n" + _script(f"{name}.lua")
    for name in ("begin", "settle", "end")
}


def _encoded(values: Sequence[str | int]) -> list[bytes | int]:
    # Encoded here, not by the driver: its C packer would raise on the lone surrogates a
    # message may contain, and text must round-trip, not fail the check.
    return [v.encode("utf-8", "surrogatepass") if isinstance(v, str) else v for v in values]


def _outcome_text(outcome: Outcome) -> str:
    return f"{outcome.action.value}|{','.join(outcome.codes)}"


def _parse_outcome(text: str) -> Outcome:
    action, _, codes = text.partition("|")
    return Outcome(Action(action), tuple(code for code in codes.split(",") if code))


def _snapshot(reply: Any) -> Snapshot:
    try:
        kind = int(reply[0])
        if kind == 1:
            return Snapshot(concluded=True)
        if kind == 2:
            return Snapshot(replay=_parse_outcome(reply[1]))
        strikes, window, texts = int(reply[1]), reply[2], reply[3]
        times, fingerprints, chars = [], [], []
        for blob in window:
            ts, fingerprint, length = blob.split("|")
            times.append(float(ts))
            fingerprints.append(int(fingerprint, 16))
            chars.append(int(length))
        # Texts are kept for the newest posts, and trimmed by count only: a text may
        # outlive its post by time, so keep those of the newest posts still in the window.
        history = History(
            times, fingerprints, chars, tuple(texts[max(0, len(texts) - len(window)) :])
        )
        return Snapshot(history=history, strikes=strikes)
    except (IndexError, TypeError, ValueError) as exc:
        # Keys written by something else, or a different layout version: this session's
        # state is unreadable, the store itself is fine (no cooldown), so say it here.
        problem = f"unexpected reply from the Redis store: {reply!r:.200}"
        logger.warning(
            "spamguard: %s",
            problem,
            extra={"spamguard": {"event": "spamguard.store.bad_reply", "error": problem}},
        )
        raise StoreError(problem) from exc


def _redacted(url: str) -> str:
    """The URL without its password, for logs and errors."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at:
        return url
    user = credentials.partition(":")[0]
    return f"{scheme}{sep}{user + ':***' if user else '***'}@{host}"
