"""What a reference server is configured with."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ServerSettings"]

_MAX_TTL_S = 30 * 86_400.0  # a month; NaN and infinity fail the range test too


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """The server's own settings; the spam rules come from the engine's rules file.

    Attributes:
        jwt_secret: The HS256 secret every bearer token must be signed with.
        session_ttl_s: How long a concluded engagement is remembered: until then its calls
            answer 409, afterwards 403 (an unknown session).
        max_body_bytes: Larger request bodies are refused (413) before they are parsed.
        max_engagements: The most engagements one process keeps in memory; beyond it the
            least recently used is forgotten (with the Redis registry, Redis's memory
            policy applies instead). A forgotten engagement's spam state is the engine's
            store's: a terminated end user stays refused there.
        max_stream_entries: The most entries of one conversation stream kept; older
            ones are dropped (positions keep counting).
        max_read_entries: The most entries one stream read answers; `next` says where
            the following read starts.
    """

    jwt_secret: str
    session_ttl_s: float = 3_600.0
    max_body_bytes: int = 2_000_000
    max_engagements: int = 100_000
    max_stream_entries: int = 10_000
    max_read_entries: int = 500

    def __post_init__(self) -> None:
        if not self.jwt_secret:
            raise ValueError("jwt_secret must not be empty")
        if not 0 < self.session_ttl_s <= _MAX_TTL_S:
            raise ValueError(f"session_ttl_s must be above 0 and at most {_MAX_TTL_S:g} s")
        sizes = ("max_body_bytes", "max_engagements", "max_stream_entries", "max_read_entries")
        for name in sizes:
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
