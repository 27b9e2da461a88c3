"""Emoji detector: emoji counted as graphemes; count, share and the minimum length."""

from __future__ import annotations

import pytest

from spamguard.detectors.emoji import EmojiDetector
from spamguard.text import analyse
from tests.detectors.conftest import codes_for

FAMILY = "👨‍👩‍👧‍👦"
CAPTION = "Our family photos from the trip to the lake: "  # keeps the share low


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("thanks 🙏😊", [], id="a-couple"),
        pytest.param("❤️❤️❤️", [], id="short-reaction"),
        pytest.param("🎉" * 51, ["SG401"], id="count"),
        pytest.param("🎉" * 301, ["SG403"], id="extreme"),
        pytest.param("great 😂😂😂😂😂😂😂😂😂😂😂😂😂😂😂", ["SG402"], id="share"),
        pytest.param("Thank you so much for the help today 😊😊😊", [], id="friendly"),
        pytest.param(CAPTION + FAMILY * 50, [], id="zwj-families-are-one-each"),
        pytest.param(CAPTION + FAMILY * 51, ["SG401"], id="zwj-families-over-the-limit"),
        pytest.param(CAPTION + "🇯🇵🇫🇷🇺🇸🇩🇪🇬🇧" * 10, [], id="fifty-flags"),
        pytest.param(CAPTION + "🇯🇵🇫🇷🇺🇸🇩🇪🇬🇧" * 11, ["SG401"], id="fifty-five-flags"),
        pytest.param("😂" * 12, ["SG402"], id="only-emoji"),
        pytest.param(
            "注文した商品がまだ届いていません。確認していただけますか？", [], id="cjk-is-not-emoji"
        ),
    ],
)
def test_emoji(text: str, expected: list[str]) -> None:
    assert codes_for(EmojiDetector, text) == expected


@pytest.mark.parametrize(
    ("text", "count"),
    [
        (FAMILY, 1),
        ("👍🏽", 1),
        ("🇯🇵", 1),
        ("1️⃣", 1),
        ("🏳️‍🌈", 1),
        ("❤️", 1),
        ("🧑🏽‍💻 and 👩‍❤️‍👨", 2),
        ("plain text :) <3", 0),
    ],
)
def test_emoji_are_counted_as_users_see_them(text: str, count: int) -> None:
    assert analyse(text).emoji == count


def test_share_needs_minimum_length() -> None:
    assert codes_for(EmojiDetector, "ok 😂😂😂😂😂", min_chars=5) == ["SG402"]
    assert codes_for(EmojiDetector, "ok 😂😂😂😂😂") == []
