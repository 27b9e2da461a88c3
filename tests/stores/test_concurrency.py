"""Many callers, the same sessions: `Engine.check` and `acheck` lose no update on any store.

Threads and asyncio tasks post a fixed mix at the same few sessions. Which post lands
first differs from run to run, so each test asserts what no order can change, and
compares it with the same mix posted serially:

- ham sessions (a visitor and an agent, ordinary questions): every post is allowed and
  every post is recorded in its sender's window (the window and its cap are made large
  enough to hold them all);
- spam sessions (link spam, blocked on its own content): no post is ever allowed, the
  strikes escalate to a termination, and the engagement then refuses every post, from
  any sender.

The store-level twin of these tests is `test_concurrent_callers_lose_no_updates` in
test_contract.py.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable, Iterator

import pytest

from spamguard import Engine, Message, Role, load_rules_text
from spamguard.message import SenderKey, SessionKey
from spamguard.stores import Event, MemoryStore, RedisStore, Retention, SessionStore
from spamguard.verdict import Action, Verdict

# Windows long and large enough to keep every post of a run, and no duplicate detection:
# each ham post is then allowed whatever else was posted, so its window's length is an
# exact count of what was recorded.
RULES = load_rules_text(
    """
version: 1
defaults:
  strikes:
    max_blocks: 2
  burst:
    windows:
      - seconds: 86400
        max_messages: 10000
        extreme_messages: 10001
        max_chars: 100000000
  duplicates:
    enabled: false
"""
)
SPAM = "deals https://spam1.com/a https://spam2.com/b https://spam3.com/c https://spam4.com/d"
HAM_SESSIONS = ("ham0", "ham1")
SPAM_SESSIONS = ("spam0", "spam1", "spam2")
HAM_SENDERS = ((Role.END_USER, "visitor"), (Role.AGENT, "agent"))
WORKERS = 8
POSTS_PER_WORKER = 60  # each worker: 60 posts over the five sessions
BASE_TS = 1_700_000_000.0
MAX_BLOCKS = 2  # as in RULES: the third block within the strike window terminates


def _messages(worker: int) -> list[Message]:
    """One worker's posts, in its own order: the mix cycles through every session."""
    sessions = HAM_SESSIONS + SPAM_SESSIONS
    posts = []
    for n in range(POSTS_PER_WORKER):
        session = sessions[(n + worker) % len(sessions)]
        ts = BASE_TS + n  # out of order across workers: the windows must not care
        if session in SPAM_SESSIONS:
            posts.append(Message(text=SPAM, session=session, sender="spammer", ts=ts))
        else:
            role, sender = HAM_SENDERS[n % len(HAM_SENDERS)]
            text = f"hello, a question about my order {worker}-{n}, can you help?"
            posts.append(Message(text=text, session=session, role=role, sender=sender, ts=ts))
    return posts


Result = list[tuple[Message, Verdict]]


def _serial(engine: Engine) -> Result:
    return [(m, engine.check(m)) for w in range(WORKERS) for m in _messages(w)]


def _threads(engine: Engine) -> Result:
    results: Result = []
    lock = threading.Lock()
    start = threading.Barrier(WORKERS)  # every thread starts together: most overlap

    def work(worker: int) -> None:
        start.wait()
        for message in _messages(worker):
            verdict = engine.check(message)
            with lock:
                results.append((message, verdict))

    pool = [threading.Thread(target=work, args=(w,)) for w in range(WORKERS)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return results


def _tasks(engine: Engine) -> Result:
    async def work(worker: int) -> Result:
        return [(m, await engine.acheck(m)) for m in _messages(worker)]

    async def run() -> Result:
        done = await asyncio.gather(*(work(w) for w in range(WORKERS)))
        if isinstance(engine.store, RedisStore):
            await engine.store.aclose()  # in the loop that opened it
        return [pair for part in done for pair in part]

    return asyncio.run(run())


@pytest.fixture(params=["memory", "redis"])
def stores(request: pytest.FixtureRequest) -> Iterator[Callable[[], SessionStore]]:
    """Fresh, empty stores of one kind (each Redis one in a namespace of its own)."""
    if request.param == "memory":
        yield MemoryStore
        return
    url = request.getfixturevalue("redis_server").url
    made: list[RedisStore] = []

    def fresh() -> SessionStore:
        made.append(RedisStore(url, namespace=f"concurrency-{id(made)}-{len(made)}"))
        return made[-1]

    yield fresh
    for store in made:
        store.close()


def _window_lengths(store: SessionStore) -> dict[tuple[str, str], int]:
    """How many posts each ham sender's window holds (read by one probe post each)."""
    probe = Retention(86400, 100_000, 0, 1800, 3, 86400)
    now = BASE_TS + POSTS_PER_WORKER
    lengths = {}
    for session in HAM_SESSIONS:
        for role, sender in HAM_SENDERS:
            key = SenderKey(SessionKey("default", "default", session), role, sender)
            snapshot = store.begin(key, Event(now, 0, "", 0), None, probe, now)
            lengths[(session, sender)] = len(snapshot.history.times)
    return lengths


def _tally(results: Result) -> Counter[tuple[str, str, str]]:
    """(session, action, acting codes) of each verdict, counted."""
    return Counter(
        (m.session, v.action.value, ",".join(r.code for r in v.reasons if r.acted))
        for m, v in results
    )


@pytest.mark.parametrize("hammer", [_threads, _tasks], ids=["threads", "tasks"])
def test_concurrent_checks_count_what_a_serial_run_counts(
    stores: Callable[[], SessionStore], hammer: Callable[[Engine], Result]
) -> None:
    serial_store, concurrent_store = stores(), stores()
    serial = _serial(Engine(RULES, store=serial_store))
    concurrent = hammer(Engine(RULES, store=concurrent_store))
    assert len(concurrent) == len(serial) == WORKERS * POSTS_PER_WORKER

    # Ham: every post allowed and recorded, in both runs alike.
    for results in (serial, concurrent):
        ham = [v for m, v in results if m.session in HAM_SESSIONS]
        assert all(v.action is Action.ALLOW for v in ham)
    # (A probe is a post too: each store is read once.)
    recorded = _window_lengths(serial_store)
    assert _window_lengths(concurrent_store) == recorded
    assert sum(recorded.values()) == sum(1 for m, _ in serial if m.session in HAM_SESSIONS)

    # Spam: never let through, escalated to a termination, then refused.
    tally = _tally(concurrent)
    for session in SPAM_SESSIONS:
        spam = [v for m, v in concurrent if m.session == session]
        assert all(v.action is not Action.ALLOW for v in spam)
        assert tally[(session, "block", "SG201")] >= MAX_BLOCKS  # strikes before the end
        assert tally[(session, "terminate", "SG201,SG901")] >= 1  # the strikes escalated
        assert tally[(session, "terminate", "SG005")] > 0  # then the engagement refused
        assert sum(n for (s, _, _), n in tally.items() if s == session) == len(spam)
    serial_tally = _tally(serial)
    for session in SPAM_SESSIONS:
        # Serially: exactly MAX_BLOCKS blocks, one termination, the rest refused.
        assert serial_tally[(session, "block", "SG201")] == MAX_BLOCKS
        assert serial_tally[(session, "terminate", "SG201,SG901")] == 1

    # Afterwards both stores agree: every spam session refuses anyone, ham goes through.
    for store in (serial_store, concurrent_store):
        engine = Engine(RULES, store=store)
        after = BASE_TS + POSTS_PER_WORKER + 1
        for session in SPAM_SESSIONS:
            verdict = engine.check(
                Message(text="hi", session=session, role=Role.AGENT, sender="agent", ts=after)
            )
            assert [r.code for r in verdict.reasons] == ["SG005"]
        for session in HAM_SESSIONS:
            ham = Message(text="thanks a lot", session=session, sender="visitor", ts=after)
            assert engine.check(ham).action is Action.ALLOW
