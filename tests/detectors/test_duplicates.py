"""Duplicate detector: exact and near repeats, disguises, short acknowledgements."""

from __future__ import annotations

import pytest

from spamguard.detectors.duplicates import DuplicateDetector
from tests.detectors.conftest import NOW, codes_for, history

SPAM = "Earn $500 a day from home, message me on WhatsApp now"


@pytest.mark.parametrize(
    ("earlier", "text", "expected"),
    [
        pytest.param([], SPAM, [], id="first-post"),
        pytest.param([SPAM], SPAM, [], id="second-post"),
        pytest.param([SPAM, SPAM], SPAM, ["SG301"], id="third-identical"),
        pytest.param([SPAM, SPAM], SPAM.upper(), ["SG301"], id="case"),
        pytest.param(
            [SPAM, SPAM],
            "  Earn  $500 a day\tfrom home,\nmessage me on WhatsApp now ",
            ["SG301"],
            id="whitespace",
        ),
        pytest.param(
            [SPAM, SPAM],
            "Earn $500\u200b a day\u2066 from home, message me on Whats\u200dApp now",
            ["SG301"],
            id="zero-width-and-bidi",
        ),
        pytest.param(
            [SPAM, SPAM],
            "Ｅａｒｎ $500 a day from home, message me on WhatsApp now",
            ["SG301"],
            id="fullwidth",
        ),
        pytest.param(
            [SPAM, SPAM],
            "Еаrn $500 а dаy frоm hоme, mеssage me оn WhatsАpp now",
            ["SG301"],
            id="cyrillic-homoglyphs",
        ),
        pytest.param(
            [SPAM, SPAM, SPAM],
            "Earn $600 a day from home, message me on WhatsApp now!",
            ["SG302"],
            id="near-duplicate",
        ),
        pytest.param([SPAM] * 8, SPAM, ["SG303"], id="duplicate-flood"),
        pytest.param(["ok", "ok"], "ok", [], id="short-acknowledgement"),
        pytest.param(["thanks!", "thanks!"], "thanks!", [], id="short-thanks"),
        pytest.param(["hello??", "hello??"], "hello??", [], id="impatient-hello"),
        pytest.param(
            ["Where is my order 4481?", "Can I get a refund for it?"],
            "What is the status of the delivery?",
            [],
            id="different-questions",
        ),
    ],
)
def test_duplicates(earlier: list[str], text: str, expected: list[str]) -> None:
    assert codes_for(DuplicateDetector, text, events=history(*earlier)) == expected


def test_repeats_outside_the_window_are_forgotten() -> None:
    old = history(SPAM, SPAM, every=200.0)  # 200 s and 400 s ago; the window is 300 s
    assert codes_for(DuplicateDetector, SPAM, events=old) == []
    assert codes_for(DuplicateDetector, SPAM, events=old, window_s=500) == ["SG301"]


def test_near_duplicates_can_be_switched_off() -> None:
    near = "Earn $600 a day from home, message me on WhatsApp now!"
    events = history(SPAM, SPAM, SPAM)
    assert codes_for(DuplicateDetector, near, events=events, compare_last=0) == []


def test_events_from_the_future_after_a_clock_jump_still_count() -> None:
    events = history(SPAM, SPAM, now=NOW + 60)
    assert codes_for(DuplicateDetector, SPAM, events=events) == ["SG301"]
