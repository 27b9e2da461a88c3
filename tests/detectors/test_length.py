"""Length detector: walls of text, many lines, extreme size; invisible padding."""

from __future__ import annotations

import pytest

from spamguard.detectors.length import LengthDetector
from tests.detectors.conftest import codes_for


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Hello I need help with my refund.", [], id="ordinary"),
        pytest.param("a" * 2000, [], id="at-the-limit"),
        pytest.param("word " * 401, ["SG101"], id="wall-of-text"),
        pytest.param("line\n" * 60, ["SG102"], id="too-many-lines"),
        pytest.param("line\n" * 59, [], id="59-newlines-is-60-lines"),
        pytest.param("x" * 50_001, ["SG103"], id="extreme-length"),
        pytest.param("\n" * 1001, ["SG104"], id="extreme-lines"),
        pytest.param("注文" * 1001, ["SG101"], id="cjk-counts-characters"),
        pytest.param("👍🏽" * 1500, [], id="emoji-with-modifier-is-one-character"),
        pytest.param("hi" + "\u200b" * 3000, [], id="invisible-padding-is-not-visible-length"),
        pytest.param("hi" + "\u200b" * 60_000, ["SG103"], id="extreme-invisible-padding"),
    ],
)
def test_length(text: str, expected: list[str]) -> None:
    assert sorted(codes_for(LengthDetector, text)) == sorted(expected)


def test_thresholds_are_tunable() -> None:
    assert codes_for(LengthDetector, "x" * 11, max_chars=10, extreme_chars=100) == ["SG101"]
    assert codes_for(LengthDetector, "a\nb\nc", max_lines=2, extreme_lines=5) == ["SG102"]
