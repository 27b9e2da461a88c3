"""The message mix of the latency benchmarks: the start of a `spamguard.synth` corpus.

The benchmarks and ``spamguard corpus synth`` share one generator: a mix is the first
``n`` lines, in time order, of ``synthesize(n, SPAM_SHARE, seed)``, turned into
`Message` objects. It is deterministic (the same ``(n, seed)`` always gives the same
messages) and imitates a customer-service chat server: dozens of sessions talking at once,
conversations, fast typers, pastes, repeaters, emoji, links and non-Latin scripts, and a
minority of spammer sessions (link spam, disguised duplicates, emoji and symbol floods,
zalgo, walls of text, bursts). See `spamguard.synth` for what each kind of session does.

    mix = build_mix(2_000)
    mix.messages        # list[Message], in time order
    mix.kinds           # the kind of each message's session, parallel to mix.messages
    mix.counts()        # {kind: how many}
    KINDS               # {kind: Kind(description, spam)}
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from spamguard import Message
from spamguard.synth import HAM_KINDS, KIND_DESCRIPTIONS, SPAM_KINDS, message_of, synthesize

__all__ = ["DEFAULT_SEED", "KINDS", "SPAM_SHARE", "Kind", "Mix", "build_mix", "replay"]

DEFAULT_SEED = 20_240_611
SPAM_SHARE = 0.25
"""The share of spammer sessions in the mix: about 14% of its messages are theirs."""


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of session in the mix.

    Attributes:
        description: What the sessions of this kind post.
        spam: Whether the kind is a spammer's (whose opening "hi" is still ham).
    """

    description: str
    spam: bool


KINDS: dict[str, Kind] = {
    name: Kind(KIND_DESCRIPTIONS[name], spam=name in SPAM_KINDS) for name in HAM_KINDS + SPAM_KINDS
}


# ------------------------------------------------------------------------ the mix


@dataclass(frozen=True, slots=True)
class Mix:
    """A generated message mix.

    Attributes:
        messages: The messages in time order, each with a session and a timestamp.
        kinds: The kind (a key of `KINDS`) of each message's session, parallel to ``messages``.
    """

    messages: list[Message]
    kinds: list[str]

    def counts(self) -> dict[str, int]:
        """How many messages of each kind, in the order of `KINDS`."""
        counter = Counter(self.kinds)
        return {kind: counter[kind] for kind in KINDS if counter[kind]}

    @property
    def span_s(self) -> float:
        """Seconds from the first message to the last."""
        stamps = [m.ts for m in self.messages if m.ts is not None]
        return max(stamps) - min(stamps) if stamps else 0.0


def build_mix(n: int = 2_000, seed: int = DEFAULT_SEED) -> Mix:
    """The first ``n`` messages of a synthetic corpus, in time order.

    Sessions start one after another (see `spamguard.synth`), so the first minutes hold
    fewer concurrent sessions than the rest; sessions still running at the ``n``-th
    message are cut off there, as in any slice of a live log.

    Args:
        n: How many messages.
        seed: The seed of the generator; the same seed gives the same mix.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    messages: list[Message] = []
    kinds: list[str] = []
    # Every session posts at least once, so n sessions always hold n messages; the
    # generator is lazy and only plays out the sessions that start before the n-th.
    for line in itertools.islice(synthesize(n, SPAM_SHARE, seed), n):
        messages.append(message_of(line))
        kinds.append(line["kind"])
    return Mix(messages, kinds)


def replay(messages: Sequence[Message], count: int, gap_s: float = 3_600.0) -> list[Message]:
    """``count`` messages cycling through ``messages``, each cycle in new sessions and later.

    Cycle ``c`` renames every session ``<session>~c`` and shifts every timestamp by
    ``c * (span + gap_s)``: time keeps moving forward and no cycle sees the state (windows,
    strikes, terminations) of the one before, so every cycle meets the same situations.

    Args:
        messages: One cycle, in time order.
        count: How many messages to return.
        gap_s: Quiet seconds between the end of one cycle and the start of the next.
    """
    if not messages:
        raise ValueError("messages must not be empty")
    stamps = [m.ts for m in messages if m.ts is not None]
    period = (max(stamps) - min(stamps) if stamps else 0.0) + gap_s
    result: list[Message] = []
    for index in range(count):
        cycle, position = divmod(index, len(messages))
        message = messages[position]
        if cycle:
            ts = None if message.ts is None else message.ts + cycle * period
            message = dataclasses.replace(message, session=f"{message.session}~{cycle}", ts=ts)
        result.append(message)
    return result
