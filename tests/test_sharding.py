"""Sharded replay: the same verdicts, in the same order, whatever the number of workers."""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Iterator

import pytest

from spamguard.config import load_rules, load_rules_text
from spamguard.replay import CorpusError, CorpusLine, parse_line
from spamguard.sharding import Judged, WorkerFailed, judge_corpus, shard_of

SPAM = "Earn $500 a day from home, message me on WhatsApp now"


def _corpus(lines: int, seed: int = 7) -> list[CorpusLine]:
    """Interleaved sessions: chatty ones, repeaters that get blocked, floods that terminate."""
    rng = random.Random(seed)
    items = []
    ts = 1_700_000_000.0
    for number in range(1, lines + 1):
        session = f"s{rng.randrange(40)}"
        kind = int(session[1:]) % 4
        text = {
            0: f"where is my order {rng.randrange(10_000)}?",
            1: SPAM,
            2: "🎉" * rng.randrange(10, 120),
            3: "ok",
        }[kind]
        ts += rng.choice((0.0, 0.2, 1.0, 7.0))
        raw = {"text": text, "session": session, "tenant": f"t{kind % 2}", "label": "ham"}
        if rng.random() < 0.9:  # the rest ride the replay clock
            raw["ts"] = ts
        if rng.random() < 0.1:
            raw["id"] = f"m{number // 2}"  # some retries
        items.append(parse_line(number, json.dumps(raw)))
    return items


def _flat(judged: Iterator[Judged]) -> list[tuple[int, tuple[tuple[str, tuple[str, ...]], ...]]]:
    return [(j.item.line, tuple((r.action.value, r.codes) for r in j.records)) for j in judged]


def test_workers_give_the_single_process_verdicts_in_corpus_order() -> None:
    corpus = _corpus(3_000)
    rules = [load_rules(), load_rules_text("version: 1\ndefaults: {duplicates: {max_repeats: 1}}")]
    single = _flat(judge_corpus(corpus, rules, jobs=1))
    sharded = _flat(judge_corpus(corpus, rules, jobs=3))
    assert sharded == single
    assert [line for line, _ in single] == list(range(1, 3_001))
    actions = {answer[0][0] for _, answer in single}
    assert actions == {"allow", "block", "terminate"}  # the corpus exercises every verdict
    assert any(a[0] != a[1] for _, a in single)  # and the two rule sets disagree somewhere


def test_a_reading_error_comes_after_every_line_before_it() -> None:
    good = _corpus(2_500)

    def lines() -> Iterator[CorpusLine]:
        yield from good
        raise CorpusError(2_501, "not valid JSON")

    seen: list[int] = []

    def consume() -> None:
        for judged in judge_corpus(lines(), [load_rules()], jobs=2):
            seen.append(judged.item.line)

    with pytest.raises(CorpusError, match="line 2501"):
        consume()
    assert seen == list(range(1, 2_501))


def test_a_failing_worker_is_an_error_not_a_hang() -> None:
    with pytest.raises(WorkerFailed, match="replay worker 0 failed: ValueError"):
        list(judge_corpus(_corpus(10), [load_rules()], jobs=2, store="nosuch://"))


def test_stopping_early_ends_the_workers() -> None:
    import multiprocessing

    judged = judge_corpus(_corpus(5_000), [load_rules()], jobs=2)
    assert next(judged).item.line == 1
    judged.close()
    alive = [p for p in multiprocessing.active_children() if p.name.startswith("spamguard")]
    assert alive == []


def test_a_session_always_goes_to_the_same_shard() -> None:
    items = _corpus(200)
    by_session: dict[str, set[int]] = {}
    for item in items:
        by_session.setdefault(item.message.session, set()).add(shard_of(item.message, 4))
    assert all(len(shards) == 1 for shards in by_session.values())
    assert len({shard for shards in by_session.values() for shard in shards}) > 1


def test_replay_follows_tenant_interface_bypass_and_monitor_rules_as_the_engine_does() -> None:
    from spamguard.engine import Engine
    from spamguard.replay import timed
    from spamguard.stores.memory import MemoryStore
    from spamguard.synth import synthesize

    rules = load_rules_text(
        "version: 1\n"
        "defaults: {agent_bypass: true}\n"
        "tenants:\n"
        "  acme:\n"
        "    monitor: true\n"
        "    interfaces:\n"
        "      mobile: {monitor: false, urls: {max_urls: 0}}\n"
        "  globex: {enabled: false}\n"
    )
    items = [parse_line(n, json.dumps(o)) for n, o in enumerate(synthesize(150, 0.4, 3), 1)]
    engine = Engine(rules, store=MemoryStore())
    expected = [(i.line, engine.check(i.message)) for i in timed(items)]
    judged = list(judge_corpus(items, [rules], jobs=2))
    assert [(j.item.line, j.records[0].action, j.records[0].codes) for j in judged] == [
        (line, verdict.action, verdict.codes) for line, verdict in expected
    ]
    codes = {code for _, verdict in expected for code in verdict.codes}
    assert {"SG001", "SG002", "SG201"} <= codes  # disabled tenant, agent bypass, links
    tenants = {j.item.message.tenant for j in judged}
    assert {"acme", "globex"} <= tenants
    monitored = [v for line, v in expected if v.shadow_action.value != v.action.value]
    assert monitored  # acme's web posts are only monitored


def test_time_going_back_gives_the_same_verdicts_whatever_the_workers() -> None:
    from spamguard.synth import synthesize

    # Exports concatenated: each restarts the clock, and session ids recur across them.
    raw = [line for seed in (1, 2, 3) for line in synthesize(40, 0.4, seed)]
    items = [parse_line(n, json.dumps(o)) for n, o in enumerate(raw, start=1)]
    assert any(b.ts < a.ts for a, b in itertools.pairwise(items) if a.ts and b.ts)
    rules = [load_rules()]
    assert _flat(judge_corpus(items, rules, jobs=3)) == _flat(judge_corpus(items, rules, jobs=1))


def test_state_expires_by_the_corpus_clock_whatever_the_workers() -> None:
    wall = "x" * 60_000  # terminates its engagement for a day
    lines = [
        parse_line(1, json.dumps({"text": wall, "session": "a", "ts": 1000})),
        parse_line(2, json.dumps({"text": "hi", "session": "b", "ts": 100_000})),
        parse_line(3, json.dumps({"text": "hello", "session": "a", "ts": 1001})),
        parse_line(4, json.dumps({"text": wall, "session": "c", "ts": 99_000})),
        parse_line(5, json.dumps({"text": "again", "session": "c", "ts": 99_001})),
    ]
    for jobs in (1, 2):
        codes = [j.records[0].codes for j in judge_corpus(lines, [load_rules()], jobs=jobs)]
        # By line 3 the corpus clock is past a's day of conclusion, on any worker.
        assert codes[2] == (), jobs
        assert codes[4] == ("SG005",), jobs  # c is concluded: the clock is within its day
