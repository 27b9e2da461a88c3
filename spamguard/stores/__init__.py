"""Session state stores: the protocol and its implementations."""

from spamguard.stores.base import (
    Event,
    History,
    Outcome,
    Retention,
    SessionStore,
    Snapshot,
    StoreFullError,
)
from spamguard.stores.factory import STORE_URL_ENV, store_from_url
from spamguard.stores.memory import MemoryStore
from spamguard.stores.redis import RedisStore

__all__ = [
    "STORE_URL_ENV",
    "Event",
    "History",
    "MemoryStore",
    "Outcome",
    "RedisStore",
    "Retention",
    "SessionStore",
    "Snapshot",
    "StoreFullError",
    "store_from_url",
]
