"""Session state stores: the protocol and its implementations."""

from spamguard.stores.base import Event, Outcome, Retention, SessionStore, Snapshot
from spamguard.stores.memory import MemoryStore

__all__ = ["Event", "MemoryStore", "Outcome", "Retention", "SessionStore", "Snapshot"]
