"""Counting a replay: labels, session classes, codes, examples, kinds; shards add up."""

from __future__ import annotations

import json

from spamguard.config import load_rules
from spamguard.replay import parse_line, timed
from spamguard.tuning.evaluate import evaluate_lines
from spamguard.tuning.tally import EXAMPLES_PER_CODE, Tally


def _lines(raw: list[dict[str, object]]):  # type: ignore[no-untyped-def]
    return list(timed(parse_line(n, json.dumps(o)) for n, o in enumerate(raw, start=1)))


def test_counts_by_label_session_class_code_and_kind() -> None:
    wall = "x" * 60_000  # terminates (SG102)
    raw: list[dict[str, object]] = [
        {"text": "hi", "session": "a", "label": "ham", "kind": "chat"},
        {"text": wall, "session": "a", "label": "spam", "kind": "wall"},
        {"text": "hi again", "session": "a", "label": "ham", "kind": "chat"},  # refused
        {"text": "hello", "session": "b", "label": "ham", "kind": "chat"},
        {"text": "no label", "session": "c"},
    ]
    raw += [
        {"text": "lorem ipsum " * 250, "session": f"d{n}", "label": "spam", "kind": "long"}
        for n in range(EXAMPLES_PER_CODE + 2)
    ]
    tally = evaluate_lines(_lines(raw), load_rules())
    assert tally.posts("ham") == 3
    assert tally.stopped("ham") == 1
    assert tally.posts("spam") == 6
    assert tally.stopped("spam") == 6
    assert tally.posts("unlabelled") == 1
    assert tally.session_count("spam") == 6  # a (it has a spam post) and d0..d4
    assert tally.session_count("spam", terminated=True) == 1
    assert tally.session_count("ham") == 1
    assert tally.session_count("unlabelled") == 1
    assert tally.codes["SG101"]["spam"] == EXAMPLES_PER_CODE + 2
    assert [e.line for e in tally.examples["SG101"]] == [6, 7, 8]
    assert tally.codes["SG005"]["ham"] == 1
    assert tally.kinds[("chat", "ham")] == {"posts": 3, "stopped": 1}
    assert len(tally.examples["SG103"][0].text) == 200  # examples are cut short


def test_add_merges_and_keeps_the_first_examples() -> None:
    lines = _lines([{"text": "lorem ipsum " * 250, "session": "s", "label": "spam"}])
    a = evaluate_lines(lines, load_rules())
    b = Tally()
    b.add(a)
    b.add(a)
    assert b.stopped("spam") == 2
    assert len(b.examples["SG101"]) == 2
