"""What spamguard keeps of a message: nothing of its text in log records, and in the stores
only what `docs/security.md` says (fingerprints, lengths, times, capped normalised text)."""

from __future__ import annotations

import gc
import json
import logging
import types
from collections.abc import Iterator

import redis

from spamguard import Action, Engine, Message
from spamguard.config import load_rules_text
from spamguard.stores import MemoryStore
from spamguard.stores.redis import RedisStore
from tests.conftest import FakeClock
from tests.redis_server import RedisServer

RULES = load_rules_text(
    "version: 1\ndefaults:\n  urls:\n    deny_domains: [evil.example]\n", "privacy.yaml"
)
KEY_CHARS = RULES.defaults.limits.key_chars

# Every message carries made-up words found nowhere else: if one turns up in a log record
# or a store, that part of the message was kept. Together they trigger every detector.
POSTS: list[str] = [
    "Hello, my parcel zorblatt never arrived",  # ham: allowed, nothing logged
    "Buy quexwing followers cheap at http://frimzle.evil.example/offer today",  # denied link
    "links: " + " ".join(f"http://vonklar{n}.example/p" for n in range(25)),  # link flood
    "plinkorama " * 400,  # too long, and repeated words
    "Win a free cruise glimbonk now!!!",  # posted three times below: duplicates
    "Win a free cruise glimbonk now!!!",
    "Win a free cruise glimbonk now!!!",
    "😀" * 80 + " snarfwidget",  # emoji flood
    "snozzberry " + "$%&*" * 60,  # symbol run
    "Z̸̡̛a̷l̶g̵o̴ hexquibble" + "\u0301" * 80,  # combining-mark flood
]
MARKERS = (
    "zorblatt",
    "quexwing",
    "frimzle",
    "vonklar",
    "plinkorama",
    "glimbonk",
    "snarfwidget",
    "snozzberry",
    "hexquibble",
)
# Posts to a session that lives on: a long one whose text past the key cap must never be
# stored, in any form, and one whose raw form (case, invisible characters) differs from
# its normalised form.
DEEP_MARKER = "brobdingnagrix"
LONG_POST = "please help with my account " * 20 + DEEP_MARKER  # marker at char 560
KEPT_POSTS = [LONG_POST, "Thanks\u200b, MY Order 77 is Late, wibblequark"]


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        fields = {k: v for k, v in vars(record).items() if k not in {"msg", "args"}}
        self.texts.append(record.getMessage())
        self.texts.append(json.dumps(fields, default=repr))
        if record.exc_info:
            self.texts.append(logging.Formatter().formatException(record.exc_info))


def _run(engine: Engine, clock: FakeClock) -> list[Action]:
    actions = []
    for session, texts in (("spam", POSTS), ("kept", KEPT_POSTS)):
        for text in texts:
            clock.advance(2)
            actions.append(engine.check(Message(text=text, session=session)).action)
    return actions


def test_log_records_hold_no_text_of_any_message(clock: FakeClock) -> None:
    records = _Records()
    logger = logging.getLogger()  # the root: whatever spamguard logs, anywhere
    level = logger.level
    logger.addHandler(records)
    logger.setLevel(logging.DEBUG)
    try:
        engine = Engine(RULES, store=MemoryStore(), clock=clock, timings=True)
        actions = _run(engine, clock)
    finally:
        logger.removeHandler(records)
        logger.setLevel(level)

    assert Action.BLOCK in actions  # the posts did trigger verdicts that are logged
    assert Action.TERMINATE in actions
    logged = "\n".join(records.texts).lower()
    assert "spamguard.verdict" in logged
    for marker in (*MARKERS, DEEP_MARKER, "wibblequark"):
        assert marker not in logged, marker


def _texts_reachable(root: object) -> Iterator[str]:
    """Every text and byte string reachable from `root`, decoded."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, types.ModuleType | type | types.FunctionType):
            continue
        seen.add(id(obj))
        if isinstance(obj, str):
            yield obj
        elif isinstance(obj, bytes | bytearray):
            yield bytes(obj).decode("utf-8", "replace")
        else:
            stack.extend(gc.get_referents(obj))


def _redis_texts(url: str, namespace: str) -> Iterator[str]:
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=f"{namespace}:*"):
        yield key.decode("utf-8", "replace")
        kind = client.type(key).decode()
        if kind == "string":
            yield client.get(key).decode("utf-8", "replace")
        elif kind == "hash":
            for field, value in client.hgetall(key).items():
                yield field.decode("utf-8", "replace") + "\0" + value.decode("utf-8", "replace")
        else:
            raise AssertionError(f"unexpected Redis type {kind} at {key!r}")
    client.close()


def _assert_kept_only_as_documented(texts: list[str]) -> None:
    kept = "\n".join(texts)
    lowered = kept.lower()
    assert DEEP_MARKER not in lowered  # nothing past the key cap, in any case
    assert "please help with my account" in lowered  # the capped normalised keys are there
    assert "wibblequark" in lowered
    for raw in KEPT_POSTS:
        assert raw not in kept  # never the raw text (case and invisible characters as sent)


def test_the_memory_store_keeps_only_capped_normalised_text(clock: FakeClock) -> None:
    store = MemoryStore()
    _run(Engine(RULES, store=store, clock=clock), clock)
    _assert_kept_only_as_documented(list(_texts_reachable(store)))


def test_the_redis_store_keeps_only_capped_normalised_text(
    redis_server: RedisServer, redis_store: RedisStore, clock: FakeClock
) -> None:
    _run(Engine(RULES, store=redis_store, clock=clock), clock)
    texts = list(_redis_texts(redis_server.url, redis_store.namespace))
    assert texts  # the session's keys are there to look at
    _assert_kept_only_as_documented(texts)
