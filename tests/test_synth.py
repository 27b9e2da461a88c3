"""The synthetic corpus: deterministic, well-formed, in time order, and realistic enough that
the shipped defaults spare ham, catch blatant spam and leave mild spam to tune for."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from functools import cache
from typing import Any

import pytest

from spamguard.replay import parse_line, replay
from spamguard.synth import EPOCH, HAM_KINDS, KIND_DESCRIPTIONS, SPAM_KINDS, synthesize
from tests.conftest import EngineFactory

Line = dict[str, Any]
KEYS = ["ts", "tenant", "interface", "session", "sender", "role", "id", "text", "label", "kind"]


@cache
def corpus(sessions: int, spam_share: float, seed: int) -> tuple[Line, ...]:
    """Generated once per argument set for the whole module."""
    return tuple(synthesize(sessions, spam_share, seed))


def by_session(lines: Iterable[Line]) -> dict[str, list[Line]]:
    sessions: dict[str, list[Line]] = defaultdict(list)
    for line in lines:
        sessions[line["session"]].append(line)
    return sessions


def digest(lines: Iterable[Line]) -> str:
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    return hashlib.sha256(text.encode()).hexdigest()


# ------------------------------------------------------------------------ determinism


def test_same_arguments_give_the_same_lines() -> None:
    assert digest(synthesize(60, 0.3, 7)) == digest(synthesize(60, 0.3, 7))


def test_another_seed_gives_other_lines() -> None:
    assert digest(synthesize(60, 0.3, 7)) != digest(synthesize(60, 0.3, 8))


def test_output_does_not_depend_on_the_hash_seed() -> None:
    program = (
        "import hashlib, json\n"
        "from spamguard.synth import synthesize\n"
        "text = '\\n'.join(json.dumps(l, ensure_ascii=False) for l in synthesize(60, 0.3, 7))\n"
        "print(hashlib.sha256(text.encode()).hexdigest())\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "4321"}
    result = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == digest(synthesize(60, 0.3, 7))


def test_a_session_does_not_depend_on_how_many_sessions_follow() -> None:
    fewer = by_session(synthesize(30, 0.0, 5))
    more = by_session(synthesize(90, 0.0, 5))
    assert all(more[session] == lines for session, lines in fewer.items())


def test_generation_is_lazy() -> None:
    # A billion sessions: only those needed for the first lines are ever played out.
    lines = list(itertools.islice(synthesize(10**9, 0.2, 1), 500))
    assert len(lines) == 500


# ------------------------------------------------------------------------ form


def test_every_line_parses_as_a_corpus_line() -> None:
    for number, line in enumerate(corpus(300, 0.3, 11), start=1):
        assert list(line) == KEYS
        parsed = parse_line(number, json.dumps(line))
        message = parsed.message
        assert (parsed.ts, parsed.label, message.text) == (line["ts"], line["label"], line["text"])
        assert (message.session, message.sender, message.role.value) == (
            line["session"],
            line["sender"],
            line["role"],
        )
        assert (message.tenant, message.interface) == (line["tenant"], line["interface"])
        assert message.transaction_id == line["id"]
        assert line["kind"] in KIND_DESCRIPTIONS


def test_lines_come_in_time_order_from_the_start() -> None:
    lines = corpus(300, 0.3, 11)
    stamps = [line["ts"] for line in lines]
    assert stamps == sorted(stamps)
    assert all(round(ts, 3) == ts for ts in stamps)
    assert stamps[0] == EPOCH
    assert next(synthesize(1, 0.0, 1, start=12.5))["ts"] == 12.5


def test_sessions_overlap_like_a_server_log() -> None:
    spans = [
        (lines[0]["ts"], lines[-1]["ts"]) for lines in by_session(corpus(300, 0.3, 11)).values()
    ]
    busy = [sum(first <= at <= last for first, last in spans) for at, _ in spans[50:]]
    assert min(busy) >= 2
    assert sum(busy) / len(busy) >= 10


def test_tenants_interfaces_and_roles_vary() -> None:
    lines = corpus(300, 0.3, 11)
    assert len({line["tenant"] for line in lines}) == 3
    assert {line["interface"] for line in lines} == {"web", "mobile"}
    assert {line["role"] for line in lines} == {"end_user", "agent"}


# ------------------------------------------------------------------------ sessions and labels


@pytest.mark.parametrize(
    ("sessions", "spam_share"), [(0, 0.5), (1, 1.0), (10, 0.0), (50, 0.25), (101, 0.33), (7, 0.5)]
)
def test_spam_share_of_sessions(sessions: int, spam_share: float) -> None:
    kinds = {line["session"]: line["kind"] for line in synthesize(sessions, spam_share, 3)}
    assert len(kinds) == sessions
    assert sum(kind in SPAM_KINDS for kind in kinds.values()) == round(sessions * spam_share)


def test_every_kind_appears() -> None:
    kinds = Counter(line["kind"] for line in corpus(300, 0.3, 11))
    assert set(kinds) == set(HAM_KINDS) | set(SPAM_KINDS)
    assert set(KIND_DESCRIPTIONS) == set(kinds)


def test_labels_follow_the_session_kind() -> None:
    for lines in by_session(corpus(300, 0.3, 11)).values():
        kind = lines[0]["kind"]
        assert {line["kind"] for line in lines} == {kind}
        if kind in HAM_KINDS:
            assert {line["label"] for line in lines} == {"ham"}
            continue
        first_spam = next(n for n, line in enumerate(lines) if line["label"] == "spam")
        opening, rest = lines[:first_spam], lines[first_spam:]
        # Before the first spam post: at most a customer "hi" and an agent greeting.
        assert Counter(line["role"] for line in opening) <= Counter(end_user=1, agent=1)
        assert all(line["label"] == "ham" for line in opening)
        # After it the agent is silent and every post is spam.
        assert {(line["role"], line["label"]) for line in rest} == {("end_user", "spam")}


def test_transaction_ids_repeat_only_for_client_retries() -> None:
    retries = 0
    for lines in by_session(corpus(300, 0.3, 11)).values():
        seen: dict[str, Line] = {}
        for line in lines:
            first = seen.setdefault(line["id"], line)
            if first is not line:
                retries += 1
                assert (line["text"], line["sender"], line["label"]) == (
                    first["text"],
                    first["sender"],
                    "ham",
                )
    assert retries > 0


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ((-1, 0.2, 1), ValueError, "sessions must be at least 0, got -1"),
        ((10, -0.1, 1), ValueError, "spam_share must be between 0 and 1, got -0.1"),
        ((10, 1.5, 1), ValueError, "spam_share must be between 0 and 1, got 1.5"),
        ((10, float("nan"), 1), ValueError, "spam_share must be between 0 and 1"),
        ((2.5, 0.2, 1), TypeError, "sessions must be an integer"),
        ((True, 0.2, 1), TypeError, "sessions must be an integer"),
        ((10, "0.2", 1), TypeError, "spam_share must be a number"),
        ((10, 0.2, "1"), TypeError, "seed must be an integer"),
    ],
)
def test_invalid_arguments_fail_at_the_call(
    arguments: tuple[Any, Any, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message.replace("(", r"\(")):
        synthesize(*arguments)  # no iteration: the check is not deferred


def test_invalid_start_fails() -> None:
    with pytest.raises(ValueError, match="start must be finite"):
        synthesize(1, 0.0, 1, start=float("inf"))


# ------------------------------------------------------------------------ realism


def test_shipped_defaults_spare_ham_and_catch_blatant_spam_but_not_all(
    make_engine: EngineFactory,
) -> None:
    lines = corpus(400, 0.2, 1)
    parsed = [parse_line(number, json.dumps(line)) for number, line in enumerate(lines, 1)]
    seen: Counter[tuple[str, str]] = Counter()
    blocked: Counter[tuple[str, str]] = Counter()
    for line, record in zip(lines, replay(make_engine(), parsed), strict=True):
        key = (line["kind"], line["label"])
        seen[key] += 1
        blocked[key] += record.action.value != "allow"

    ham = sum(n for (_, label), n in seen.items() if label == "ham")
    ham_blocked = sum(n for (_, label), n in blocked.items() if label == "ham")
    assert 0 < ham_blocked < 0.01 * ham  # long pastes pay for the length limit

    def caught(kind: str) -> float:
        return blocked[kind, "spam"] / seen[kind, "spam"]

    assert min(caught(kind) for kind in ("wall", "emoji-flood", "zalgo")) >= 0.7
    for kind in ("link-spam", "duplicates", "disguised-duplicates", "symbol-flood", "burst"):
        assert 0 < caught(kind) < 1, kind
