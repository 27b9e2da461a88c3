"""Engagements in Redis, so that several server processes share them.

Key layout (``<ns>`` the namespace, ``1`` the layout version; the ``{...}`` hash tag puts an
engagement's keys on one Redis Cluster slot)::

    <ns>:srv:1:numbers                 the last engagement number (INCR)
    <ns>:srv:1:{<session id>}:e        the engagement: id, site, pool, client, concluded,
                                       n (the position of its stream's last entry)
    <ns>:srv:1:{<session id>}:s        its stream: one JSON array per entry, oldest first,
                                       the newest `max_stream_entries` kept

Both keys of an engagement expire `ttl_s` after its last call (after its conclusion once
concluded), as `MemoryEngagements` forgets them.
"""

from __future__ import annotations

import json
import time
from typing import Any

from spamguard.errors import StoreError
from spamguard.server.engagements import (
    Engagement,
    Entry,
    EntryKind,
    Posting,
    Recorded,
    Sender,
    new_session_id,
)

__all__ = ["RedisEngagements"]

_LAYOUT = 1

# Append a posting unless the engagement has ended or expired: 0 forgotten, 2 concluded,
# 1 recorded. KEYS: the engagement hash, its stream. ARGV: ttl ms, "1" to conclude, now,
# the most entries kept, then the entries.
_RECORD = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HEXISTS', KEYS[1], 'concluded') == 1 then return 2 end
if #ARGV > 4 then
  if redis.call('HEXISTS', KEYS[1], 'n') == 0 then
    -- A stream written before positions were kept: its length is its last position.
    redis.call('HSET', KEYS[1], 'n', redis.call('LLEN', KEYS[2]))
  end
  redis.call('RPUSH', KEYS[2], unpack(ARGV, 5))
  redis.call('HINCRBY', KEYS[1], 'n', #ARGV - 4)
  redis.call('LTRIM', KEYS[2], -tonumber(ARGV[4]), -1)
end
if ARGV[2] == '1' then redis.call('HSET', KEYS[1], 'concluded', ARGV[3]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1
"""

# At most ARGV[2] entries after position ARGV[1], and the last position. KEYS as above.
_READ = """
local n = redis.call('HGET', KEYS[1], 'n')
local last = n and tonumber(n) or redis.call('LLEN', KEYS[2])  -- (written before 'n')
local first = last - redis.call('LLEN', KEYS[2]) + 1
local start = math.max(tonumber(ARGV[1]) + 1, first) - first
local entries = redis.call('LRANGE', KEYS[2], start, start + tonumber(ARGV[2]) - 1)
return {last, first + start, entries}
"""
_RECORDED = {0: Recorded.FORGOTTEN, 1: Recorded.RECORDED, 2: Recorded.CONCLUDED}


class RedisEngagements:
    """The `Engagements` of every server process that shares this Redis.

    Args:
        url: The Redis URL (as for `RedisStore`; ``redis+cluster://`` for a cluster).
        ttl_s: How long an engagement is kept after its last call or its conclusion.
        namespace: Prefix of every key.
        timeout_s: Connect and command timeout.
        max_stream_entries: The most entries of one stream kept.

    Failures raise `StoreError`; the server answers them with 503.
    """

    def __init__(
        self,
        url: str,
        *,
        ttl_s: float,
        namespace: str = "sg",
        timeout_s: float = 1.0,
        max_stream_entries: int = 10_000,
    ) -> None:
        import redis.asyncio as aredis  # noqa: PLC0415 (the redis extra, imported on use)

        options: dict[str, Any] = {
            "socket_timeout": timeout_s,
            "socket_connect_timeout": timeout_s,
            "decode_responses": False,
        }
        if url.startswith("redis+cluster://"):
            plain = "redis://" + url.removeprefix("redis+cluster://")
            self._client: Any = aredis.RedisCluster.from_url(plain, **options)
        else:
            self._client = aredis.Redis.from_url(url, **options)
        self.ttl_ms = max(1, int(ttl_s * 1000))
        self._prefix = f"{namespace}:srv:{_LAYOUT}"
        self.max_stream_entries = max_stream_entries
        self._record = self._client.register_script(_RECORD)
        self._read = self._client.register_script(_READ)

    def _keys(self, session_id: str) -> tuple[str, str]:
        base = f"{self._prefix}:{{{session_id}}}"
        return f"{base}:e", f"{base}:s"

    async def open(self, site: str, pool: str) -> Engagement:
        """See `Engagements.open`."""
        try:
            number = int(await self._client.incr(f"{self._prefix}:numbers"))
            engagement = Engagement(number, new_session_id(), site, pool, number)
            record, _ = self._keys(engagement.session_id)
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.hset(
                    record,
                    mapping={"id": number, "site": site, "pool": pool, "client": number},
                )
                pipe.pexpire(record, self.ttl_ms)
                await pipe.execute()
        except Exception as exc:  # the driver's errors stop here
            raise StoreError(f"engagements: {type(exc).__name__}: {exc}") from exc
        return engagement

    async def get(self, session_id: str) -> Engagement | None:
        """See `Engagements.get`."""
        record, stream = self._keys(session_id)
        try:
            fields = await self._client.hgetall(record)
            if not fields:
                return None
            engagement = _engagement(session_id, fields)
            if not engagement.concluded:
                async with self._client.pipeline(transaction=False) as pipe:
                    pipe.pexpire(record, self.ttl_ms)
                    pipe.pexpire(stream, self.ttl_ms)
                    await pipe.execute()
        except Exception as exc:
            raise StoreError(f"engagements: {type(exc).__name__}: {exc}") from exc
        return engagement

    async def record(self, engagement: Engagement, posting: Posting) -> Recorded:
        """See `Engagements.record`: one Lua script, so the check and the append are one
        step for every process."""
        record, stream = self._keys(engagement.session_id)
        now = time.time()
        entries = [
            json.dumps([kind.value, sender.value, body, now])
            for kind, sender, body in posting.entries
        ]
        concludes = "1" if posting.concludes else "0"
        args = [self.ttl_ms, concludes, repr(now), self.max_stream_entries, *entries]
        try:
            answer = await self._record(keys=[record, stream], args=args)
        except Exception as exc:
            raise StoreError(f"engagements: {type(exc).__name__}: {exc}") from exc
        return _RECORDED[int(answer)]

    async def read(self, engagement: Engagement, since: int, limit: int) -> tuple[list[Entry], int]:
        """See `Engagements.read`."""
        try:
            last, first, raw = await self._read(
                keys=list(self._keys(engagement.session_id)), args=[max(since, 0), limit]
            )
        except Exception as exc:
            raise StoreError(f"engagements: {type(exc).__name__}: {exc}") from exc
        entries = []
        for offset, item in enumerate(raw, start=int(first)):
            kind, sender, body, at = json.loads(item)
            entries.append(Entry(offset, EntryKind(kind), Sender(sender), body, float(at)))
        return entries, int(last)

    async def count(self) -> int | None:
        """See `Engagements.count`: not known without a scan of the keyspace."""
        return None

    async def close(self) -> None:
        """Close the client's connections."""
        await self._client.aclose()


def _engagement(session_id: str, fields: dict[bytes, bytes]) -> Engagement:
    concluded = fields.get(b"concluded")
    return Engagement(
        engagement_id=int(fields[b"id"]),
        session_id=session_id,
        site=fields[b"site"].decode("utf-8", "surrogatepass"),
        pool=fields[b"pool"].decode("utf-8", "surrogatepass"),
        client_id=int(fields[b"client"]),
        concluded_at=None if concluded is None else float(concluded),
    )
