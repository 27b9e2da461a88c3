"""Pick a session store by URL, the way deployments configure one."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from spamguard.stores.base import DEFAULT_MAX_SENDERS, SessionStore
from spamguard.stores.memory import DEFAULT_MAX_BYTES, MemoryStore
from spamguard.stores.redis import RedisStore

__all__ = ["STORE_URL_ENV", "store_from_url"]

STORE_URL_ENV = "SPAMGUARD_STORE_URL"
# Options of ours that may ride in the URL's query; every other parameter is redis-py's.
_FLOAT_OPTIONS = ("timeout_s", "cooldown_s")
_REDIS_SCHEMES = ("redis", "rediss", "unix", "redis+cluster")
_MEMORY_OPTIONS = {
    "max_sessions": 100_000,
    "max_senders": DEFAULT_MAX_SENDERS,
    "max_bytes": DEFAULT_MAX_BYTES,
}


def store_from_url(url: str) -> SessionStore:
    """A store from a URL.

    - ``memory://`` or ``memory://?max_sessions=100000&max_senders=32&max_bytes=1073741824``:
      this process's memory (see `MemoryStore` for the options; ``max_bytes`` is in bytes,
      a whole number).
    - ``redis://[[user]:password@]host[:port][/db]``, ``rediss://…``, ``unix:///path``
      or ``redis+cluster://host:port``: Redis (the ``redis`` extra). Query options of
      spamguard: ``timeout_s`` (default 0.1), ``cooldown_s`` (1.0), ``namespace`` ("sg"),
      ``max_senders`` (32);
      the rest are passed to redis-py.

    Raises:
        ValueError: the URL names no known store or an option is not valid.
        SpamguardError: the ``redis`` extra is not installed.
    """
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    options = dict(query)
    if parts.scheme == "memory":
        unknown = sorted(set(options) - set(_MEMORY_OPTIONS))
        if unknown or parts.netloc or parts.path not in ("", "/"):
            raise ValueError(
                f"store URL {url!r}: expected memory:// or "
                "memory://?max_sessions=N&max_senders=M&max_bytes=B"
            )
        return MemoryStore(
            _count(url, options, "max_sessions", _MEMORY_OPTIONS["max_sessions"]),
            max_senders=_count(url, options, "max_senders", _MEMORY_OPTIONS["max_senders"]),
            max_bytes=_count(url, options, "max_bytes", _MEMORY_OPTIONS["max_bytes"]),
        )
    if parts.scheme not in _REDIS_SCHEMES:
        known = ", ".join(f"{scheme}://" for scheme in ("memory", *_REDIS_SCHEMES))
        raise ValueError(f"unknown store URL {url!r}; expected one of: {known}")
    ours = {name for name in (*_FLOAT_OPTIONS, "namespace", "max_senders") if name in options}
    rest = urlunsplit(parts._replace(query=urlencode([(k, v) for k, v in query if k not in ours])))
    return RedisStore(
        rest,
        timeout_s=_number(url, options, "timeout_s", 0.1),
        cooldown_s=_number(url, options, "cooldown_s", 1.0),
        namespace=options.get("namespace", "sg") or "sg",
        max_senders=_count(url, options, "max_senders", DEFAULT_MAX_SENDERS),
    )


def _number(url: str, options: dict[str, str], name: str, default: float) -> float:
    raw = options.get(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"store URL {url!r}: {name} must be a number, got {raw!r}") from None


def _count(url: str, options: dict[str, str], name: str, default: int) -> int:
    raw = options.get(name)
    if raw is None:
        return default
    # A whole number at least 1: "1e5" or "0" is a mistake to report, not to round.
    if not raw.isascii() or not raw.isdecimal() or int(raw) < 1:
        raise ValueError(f"store URL {url!r}: {name} must be a whole number >= 1, got {raw!r}")
    return int(raw)
