"""Fuzz `Engine.check` (and `acheck`) with sessions of messages built from fuzz bytes.

Run it as the fuzzer (atheris installed; see docs/fuzzing.md)::

    python -m tests.fuzz.fuzz_check -max_total_time=60 <a copy of tests/fuzz/corpus_check>

Each input is a short run of posts (new text, repeats of the last text, spliced-in
tricky fragments, huge texts) into a few sessions of a few tenants, at well-behaved and
hostile times, with retried transaction ids, sessions ended, and a session store small
enough to evict. After every post `check_verdict` asserts what must hold whatever the
input: see `Run.post`.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import redis

if not __package__:  # run as a file: make `tests.fuzz` importable, as `-m` does
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.fuzz.provider import BytesProvider, Provider, ProviderFactory, instrumented

with instrumented(__name__ == "__main__", "spamguard"):
    from spamguard import Action, Engine, MemoryStore, Message, Verdict
    from spamguard import load_rules_text as _load_rules_text
    from spamguard.message import Role, SessionKey
    from spamguard.stores import RedisStore, SessionStore
    from tests.fuzz.invariants import check_verdict, no_logged_errors

__all__ = ["RULES", "check_one_input", "main"]

# The shipped rules plus tenants that take the other paths: Tier-1 off, monitor mode,
# agents bypassing, and an interface strict enough that most posts block or terminate.
RULES = _load_rules_text(
    """\
version: 1
tenants:
  quiet: {enabled: false}
  watch: {monitor: true}
  acme:
    agent_bypass: true
    session: {concluded_ttl_s: 60, max_transactions: 2}
    interfaces:
      web:
        urls: {max_urls: 0}
        duplicates: {max_repeats: 1, min_chars: 1, window_s: 30}
        strikes: {max_blocks: 0}
        length: {max_chars: 40}
""",
    "<fuzz rules>",
)

# Pieces that take a fuzzer long to find by mutation: invisible and bidi controls,
# combining marks, surrogates, NUL, homoglyphs, links in their disguises, emoji sequences.
FRAGMENTS = [
    "buy cheap pills now",
    "http://spam.example.com/x?a=1",
    "www.example.org",
    "hxxps://evil[.]com/pay",
    "evil . com",
    "spam%2Ecom",
    "&#x68;&#116;tp://x.io",
    "192.168.0.1:8080/a",
    "[::1]",
    "xn--80ak6aa92e.com",
    "\u200b\u200c\u200d\u2060\ufeff",
    "\u202e\u2066\u2069\u200f",
    "\U000e0041\U000e007f",
    "\ufe0f\U000e0100",
    "e\u0301\u0302\u0303\u0304\u0305\u0306",
    "\u0301" * 200,
    "\ud800",
    "\udfff\ud83d",
    "\x00\x01\x1b[31m\x7f",
    "\r\n\n\n\u2028\u2029",
    "ｆｒｅｅ ｍｏｎｅｙ",
    "𝐟𝐫𝐞𝐞 𝐦𝐨𝐧𝐞𝐲",
    "frее mоnеy",  # Cyrillic е, о
    "fr33 m0n3y",
    "f r e e   m o n e y",
    "👍🏽👨‍👩‍👧‍👦🇫🇷❤️‍🔥",
    "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
    "$$$***###@@@",
    "a" * 64,
    "ا\u0644\u0639\u0631\u0628\u064a\u0629",
    "\u3042\u3099\u304b\u3099",
    "\U0001f600" * 40,
]

# Lists, not tuples: atheris's PickValueInList takes only lists.
_SESSIONS = ["s1", "s2", "s3"]
_TENANTS = ["default", "acme", "quiet", "watch"]
_INTERFACES = ["default", "web"]
_SENDERS = ["", "alice", "bob"]
_ROLES: list[object] = [*Role, "user", " Consumer ", "bot", ""]
_TXNS: list[object] = [None, None, "t1", "t2", 7]
_WEIRD_TS: list[object] = [True, 0, -1, 2**63, "1700000000"]
_ID_FIELDS = ["session", "tenant", "interface", "sender", "transaction_id"]
_MOST_POSTS = 12
_LONGEST_REPEAT = 60_000  # beyond the default scan cap (8,000) and length limits
_START = 1_700_000_000.0


@dataclass
class Run:
    """One input's run: the engine, its clock, and what the invariants remember."""

    store: SessionStore
    timings: bool
    engine: Engine = field(init=False)
    now: float = _START
    texts: list[str] = field(default_factory=list)
    poster: dict[str, object] = field(default_factory=dict)  # the last poster's fields
    # When each terminated engagement was terminated, and for how long it must refuse.
    concluded: dict[SessionKey, tuple[float, float]] = field(default_factory=dict)
    latest: float = -math.inf  # the latest time any post reached the store at

    def __post_init__(self) -> None:
        self.engine = Engine(RULES, store=self.store, clock=self.clock, timings=self.timings)

    def clock(self) -> float:
        return self.now

    def post(self, message: Message, verdict: Verdict) -> None:
        """Assert the invariants of one verdict, then remember what later ones need."""
        check_verdict(verdict)
        policy = self.engine.policy_for(message.tenant, message.interface).rules
        checked = policy.enabled and (
            message.role is Role.END_USER
            or (message.role is Role.AGENT and not policy.agent_bypass)
        )
        if not checked:
            assert verdict.action is Action.ALLOW, verdict
            return
        now = verdict.origin.ts if verdict.origin is not None else self.now
        self.latest = max(self.latest, now)
        key = message.session_key
        conclusion = self.concluded.get(key)
        # A store forgets by the latest time it has seen: once that is the TTL past the
        # termination, the engagement may be forgotten. Measured as a difference, not
        # against `terminated + ttl`, which a huge time would round back to itself; the
        # millisecond of slack keeps float rounding at the boundary out of it.
        # A memory store checks conclusions before anything can fail; a networked one
        # that is down (SG009) refuses or allows by policy, as documented.
        store_down = "SG009" in verdict.codes and not isinstance(self.store, MemoryStore)
        if (
            conclusion is not None
            and not store_down
            and self.latest - conclusion[0] < conclusion[1] - 1e-3
        ):
            assert verdict.action is Action.TERMINATE, (
                f"a terminated engagement accepted a post: {verdict}"
            )
        elif verdict.action is Action.TERMINATE and not {"SG005", "SG009"} & set(verdict.codes):
            # A new termination. Not SG009: the store could not record it (e.g. a memory
            # store full of others). Not SG005: a refusal of one already concluded, whose
            # TTL runs from its termination, not from this post (with a clock that went
            # back, the latest time may already be past that termination's TTL).
            self.concluded[key] = (now, policy.session.concluded_ttl_s)


def _fragment(data: Provider) -> str:
    fragment: str = data.PickValueInList(FRAGMENTS)
    return fragment


def _text(data: Provider, run: Run) -> str:
    kind = data.ConsumeIntInRange(0, 5)
    if kind == 1 and run.texts:
        return run.texts[-1]  # the duplicate and burst detectors' food
    if kind == 2:
        return "".join(_fragment(data) for _ in range(data.ConsumeIntInRange(1, 6)))
    if kind == 3 and run.texts:
        at = data.ConsumeIntInRange(0, len(run.texts[-1]))
        last = run.texts[-1]
        return last[:at] + _fragment(data) + last[at:]
    if kind == 4:
        piece = data.ConsumeUnicode(data.ConsumeIntInRange(1, 16)) or "x"
        return piece * (data.ConsumeIntInRange(1, _LONGEST_REPEAT) // len(piece) + 1)
    return data.ConsumeUnicode(data.ConsumeIntInRange(0, 400))


def _ts(data: Provider, run: Run) -> object:
    kind = data.ConsumeIntInRange(0, 7)
    if kind == 0:
        return None  # the engine clock
    if kind == 1:
        return data.ConsumeFloat()  # NaN, infinities, negatives, huge
    if kind == 2:
        return data.PickValueInList(_WEIRD_TS)
    if kind == 3:
        return run.now - data.ConsumeIntInRange(0, 100_000)  # the clock went back
    return run.now + data.ConsumeIntInRange(0, 240) / 8


def _message(data: Provider, run: Run) -> Message | None:
    """The next post, or None when the fields are ones `Message` refuses."""
    text = _text(data, run)
    if run.poster and data.ConsumeIntInRange(0, 3):
        # Mostly the same poster again, as in a real engagement: the window, duplicate,
        # strike and conclusion paths need several posts under one key.
        fields = dict(run.poster)
    else:
        fields = {
            "session": data.PickValueInList(_SESSIONS),
            "tenant": data.PickValueInList(_TENANTS),
            "interface": data.PickValueInList(_INTERFACES),
            "role": data.PickValueInList(_ROLES),
            "sender": data.PickValueInList(_SENDERS),
        }
        run.poster = dict(fields)
    fields["ts"] = _ts(data, run)
    fields["transaction_id"] = data.PickValueInList(_TXNS)
    if data.ConsumeIntInRange(0, 15) == 0:  # hostile ids: surrogates, NUL, empty
        name = data.PickValueInList(_ID_FIELDS)
        fields[name] = data.ConsumeUnicode(data.ConsumeIntInRange(0, 40))
    run.texts.append(text)
    try:
        return Message(text=text, **fields)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        # Refusing bad fields at construction is the contract; it must say why.
        problem = str(exc)
    assert problem.startswith(("Message.", "unknown role")), problem
    return None


@functools.cache
def _loop() -> asyncio.AbstractEventLoop:
    # One loop for the process: a loop per input would cost more than the checks.
    loop = asyncio.new_event_loop()
    atexit.register(loop.close)
    return loop


REDIS_URL_ENV = "SPAMGUARD_FUZZ_REDIS_URL"
"""Fuzz the Redis store instead of the memory store: its URL (keys under `NAMESPACE`)."""
NAMESPACE = "spamguard-fuzz"


@functools.cache
def _redis_store(url: str) -> RedisStore:
    # One store (one connection pool) for the process; each input starts from no keys.
    # A generous timeout: a slow answer must not pass for a finding.
    return RedisStore(url, namespace=NAMESPACE, timeout_s=5.0)


def _fresh_redis_store(url: str) -> RedisStore:
    store = _redis_store(url)
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{NAMESPACE}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
    return store


def check_one_input(
    data: bytes, provider: ProviderFactory = BytesProvider, redis_url: str | None = None
) -> None:
    """Run the posts `data` describes through a fresh engine, asserting every invariant.

    The session store is a memory store with room for 1 to 4 sessions, so eviction and a
    full store happen, or with `redis_url` a Redis store emptied of its keys first.
    """
    fuzz = provider(data)
    max_sessions, timings = fuzz.ConsumeIntInRange(1, 4), fuzz.ConsumeBool()
    store: SessionStore = (
        MemoryStore(max_sessions=max_sessions)
        if redis_url is None
        else _fresh_redis_store(redis_url)
    )
    run = Run(store, timings)
    with no_logged_errors():
        _posts(fuzz, run)


def _posts(fuzz: Provider, run: Run) -> None:
    for _ in range(fuzz.ConsumeIntInRange(1, _MOST_POSTS)):
        if fuzz.remaining_bytes() == 0 and run.texts:
            break
        run.now += fuzz.ConsumeIntInRange(0, 30)
        message = _message(fuzz, run)
        if message is None:
            continue
        if fuzz.ConsumeIntInRange(0, 15) == 0:
            # The engagement ended normally: its state, a conclusion included, is freed.
            run.engine.end_session(message.tenant, message.interface, message.session)
            run.concluded.pop(message.session_key, None)
            continue
        if fuzz.ConsumeIntInRange(0, 3) == 0:
            verdict = _loop().run_until_complete(run.engine.acheck(message))
        else:
            verdict = run.engine.check(message)
        run.post(message, verdict)


def main() -> None:
    """Fuzz with atheris: ``python -m tests.fuzz.fuzz_check [libFuzzer flags] [corpus]``."""
    import atheris  # type: ignore[import-untyped]

    from tests.fuzz.provider import atheris_provider

    redis_url = os.environ.get(REDIS_URL_ENV) or None

    def one_input(data: bytes) -> None:
        check_one_input(data, atheris_provider, redis_url)

    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
