"""The knob chart: one standalone SVG per threshold sweep, robust to odd values."""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser
from itertools import pairwise
from typing import Any

import pytest

from spamguard.tuning.svg import (
    format_count,
    format_share,
    format_value,
    knob_chart,
    visible_segments,
    visible_text,
)
from tests.tuning import HOSTILE, make_knob, make_point


class Elements(HTMLParser):
    """Every element of a fragment with its attributes, and the text inside each."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.texts: list[str] = []
        self.source = markup
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.texts.append(data)

    def all(self, tag: str, css: str | None = None) -> list[dict[str, str]]:
        """Attributes of each ``tag`` element, optionally only those with class ``css``."""
        return [
            attrs
            for name, attrs in self.elements
            if name == tag and (css is None or css in attrs.get("class", "").split())
        ]


def chart(knob: Any, budget: float = 0.001) -> Elements:
    """The parsed chart of a knob."""
    return Elements(knob_chart(knob, budget))


def test_chart_is_one_svg_with_the_knob_path_as_title() -> None:
    markup = knob_chart(make_knob(), 0.001)
    assert markup.startswith("<svg")
    assert markup.endswith("</svg>")
    assert markup.count("<svg") == 1
    assert "<title>urls.max_urls</title>" in markup
    width = re.search(r'width="(\d+)"', markup)
    assert width
    assert 400 <= int(width.group(1)) <= 640


def test_budget_line_is_dashed_and_labelled() -> None:
    parsed = chart(make_knob())
    (budget,) = parsed.all("line", "budget")
    assert budget["stroke-dasharray"]
    assert budget["y1"] == budget["y2"]
    assert "budget 0.1%" in parsed.texts


def test_without_a_budget_there_is_no_budget_line() -> None:
    parsed = chart(make_knob(), budget=math.nan)
    assert not parsed.all("line", "budget")
    assert "no budget" in parsed.texts


def test_share_axes_stay_within_0_and_100_percent() -> None:
    points = [make_point(v, 0.999 - v / 10_000, 0.00001) for v in range(1, 6)]
    parsed = chart(make_knob(points=points, base=1, chosen=2))
    ticks = [float(t[:-1]) for t in parsed.texts if re.fullmatch(r"-?[\d.]+%", t)]
    assert max(ticks) == 100
    assert min(ticks) == 0


def test_base_and_chosen_are_marked_apart() -> None:
    parsed = chart(make_knob(base=3, chosen=2))
    (base,) = parsed.all("line", "base-marker")
    (chosen,) = parsed.all("line", "chosen-marker")
    assert float(base["x1"]) > float(chosen["x1"])  # 3 is right of 2
    assert "base 3" in parsed.texts
    assert "chosen 2" in parsed.texts


def test_base_equal_to_chosen_is_one_marker() -> None:
    parsed = chart(make_knob(base=2, chosen=2.0))
    assert not parsed.all("line", "base-marker")
    assert len(parsed.all("line", "chosen-marker")) == 1
    assert "base = chosen 2" in parsed.texts


def test_different_values_off_the_grid_get_two_markers() -> None:
    parsed = chart(make_knob(base=20, chosen=12))  # both past the last number, before "none"
    assert len(parsed.all("line", "base-marker")) == 1
    assert len(parsed.all("line", "chosen-marker")) == 1
    assert "base 20" in parsed.texts
    assert "chosen 12" in parsed.texts


def test_base_off_the_grid_sits_between_its_neighbours() -> None:
    parsed = chart(make_knob(base=2.5, chosen=2))
    base_x = float(parsed.all("line", "base-marker")[0]["x1"])
    xs = sorted(float(c["cx"]) for c in parsed.all("circle", "spam-point"))
    two_x, three_x = xs[1], xs[2]  # 1, 2, 3, ... (0 is invalid and has no point)
    assert base_x == pytest.approx((two_x + three_x) / 2)


def test_invalid_points_split_the_lines() -> None:
    points = [
        make_point(1, 0.9, 0.0001),
        make_point(2, 0.8, 0.0001),
        make_point(3, 0.0, 0.0, valid=False),
        make_point(4, 0.7, 0.0001),
        make_point(5, 0.6, 0.0001),
    ]
    parsed = chart(make_knob(points=points, base=1, chosen=2))
    assert len(parsed.all("polyline", "spam-line")) == 2
    assert len(parsed.all("polyline", "ham-line")) == 2
    assert len(parsed.all("circle", "spam-point")) == 4
    assert len(parsed.all("path", "invalid-point")) == 1


def test_infeasible_points_are_hollow_and_feasible_ones_filled() -> None:
    points = [make_point(1, 0.95, 0.01), make_point(2, 0.9, 0.0001)]
    parsed = chart(make_knob(points=points, base=1, chosen=2))
    hollow, filled = parsed.all("circle", "spam-point")
    assert "infeasible" in hollow["class"].split()
    assert hollow["fill"] == "#ffffff"
    assert "feasible" in filled["class"].split()
    assert filled["fill"] == filled["stroke"] != "#ffffff"


def test_no_limit_is_drawn_last_and_labelled_none() -> None:
    points = [make_point(None, 0.5, 0.0), make_point(1, 0.9, 0.002), make_point(2, 0.8, 0.0)]
    parsed = chart(make_knob(points=points, base=None, chosen=2))
    xs = [float(c["cx"]) for c in parsed.all("circle", "spam-point")]
    assert xs == sorted(xs)
    labels = [t for t in parsed.texts if t in ("1", "2", "none")]
    assert labels == ["1", "2", "none"]
    (base,) = parsed.all("line", "base-marker")
    assert float(base["x1"]) == max(xs)
    assert "base none" in parsed.texts


def test_y_axes_are_labelled_in_percent() -> None:
    parsed = chart(make_knob())
    ticks = [t for t in parsed.texts if re.fullmatch(r"-?[\d.]+%", t)]
    assert len(ticks) >= 4
    assert "spam caught" in parsed.texts
    assert "ham blocked" in parsed.texts


def test_small_ham_shares_get_enough_decimals_to_differ() -> None:
    points = [make_point(v, 0.9, share) for v, share in [(1, 0.0003), (2, 0.0001), (3, 0.0)]]
    parsed = chart(make_knob(points=points, base=1, chosen=2), budget=0.0002)
    ticks = [t for t in parsed.texts if t.endswith("%") and not t.startswith("budget")]
    assert len(set(ticks)) == len(ticks)


@pytest.mark.parametrize(
    "points",
    [
        [],
        [make_point(1, 0, 0, valid=False), make_point(2, 0, 0, valid=False)],
        [make_point(1, 0.5, 0.5)],
    ],
    ids=["empty", "all-invalid", "single"],
)
def test_degenerate_sweeps_render(points: list[dict[str, Any]]) -> None:
    markup = knob_chart(make_knob(points=points), 0.001)
    parsed = Elements(markup)
    assert len(parsed.all("svg")) == 1
    assert parsed.all("line", "budget")
    assert "nan" not in markup.lower()
    if not any(point["valid"] for point in points):
        assert not parsed.all("polyline")
        assert any("no grid points" in t or "invalid" in t for t in parsed.texts)


def test_odd_values_never_raise() -> None:
    points: list[Any] = [
        {"value": 1, "valid": True, "spam_caught_share": math.nan, "ham_blocked_share": "x"},
        {"value": "two", "valid": True, "spam_caught_share": 2.0, "ham_blocked_share": -1.0},
        {"value": math.inf, "valid": True, "spam_caught": 10**30, "feasible": "yes"},
        {"value": 3, "valid": True, "spam_caught_share": 10**400, "ham_blocked": 10**400},
        {"value": 4, "valid": True, "spam_caught_share": -1e308, "ham_blocked_share": 1e308},
        "not a point",
        None,
    ]
    knobs: list[dict[str, Any]] = [
        {},
        {"path": None, "points": None},
        {"path": 7, "points": "abc", "base": [], "chosen": {}},
        make_knob(points=points, base="two", chosen=math.nan),
    ]
    for knob in knobs:
        for budget in (0.001, 0.0, math.nan, -1.0, 5.0, 1e308):
            markup = knob_chart(knob, budget)
            assert markup.count("<svg") == 1
            assert "nan" not in re.sub(r"<title>.*?</title>", "", markup).lower()


def test_hostile_path_is_escaped() -> None:
    markup = knob_chart(make_knob(path=HOSTILE), 0.001)
    assert "<script" not in markup
    assert "</svg><script>" not in markup
    assert markup.count("</svg>") == 1
    assert "&lt;script&gt;" in markup
    assert "\u202e" not in markup


def test_many_values_have_labels_that_do_not_collide() -> None:
    values = list(range(100, 10_100, 100))
    points = [make_point(v, 0.9 - v / 100_000, 0.0001) for v in values]
    parsed = chart(make_knob(points=points, base=2000, chosen=2100))
    shown = [t for t in parsed.texts if t in {str(v) for v in values}]
    assert 3 <= len(shown) <= 15
    assert {"100", "10000", "2000"} <= set(shown)  # the ends and a marked value
    label_xs = sorted(
        float(attrs["x"])
        for attrs, text in zip(parsed.all("text"), _text_contents(parsed), strict=True)
        if text in shown
    )
    assert all(b - a >= 30 for a, b in pairwise(label_xs))


def _text_contents(parsed: Elements) -> list[str]:
    """The content of each <text> element, in document order."""
    return re.findall(r"<text[^>]*>([^<]*)</text>", parsed.source)


@pytest.mark.parametrize(
    ("share", "text"),
    [
        (0, "0%"),
        (0.0, "0%"),
        (1, "100%"),
        (0.93, "93%"),
        (0.9312, "93.1%"),
        (0.9997, "99.97%"),
        (0.05, "5%"),
        (0.0123, "1.23%"),
        (0.001, "0.1%"),
        (0.0008, "0.08%"),
        (0.00042, "0.042%"),
        (0.000001, "<0.001%"),
        (None, "—"),
        (math.nan, "—"),
        (math.inf, "—"),
        ("0.5", "—"),
        (True, "—"),
    ],
)
def test_format_share(share: Any, text: str) -> None:
    assert format_share(share) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "none"), (3, "3"), (0.7, "0.7"), (1e-7, "1e-07"), (50000, "50000"), ("x\n", "x⟨↵⟩")],
)
def test_format_value(value: Any, text: str) -> None:
    assert format_value(value) == text


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (0, "0"),
        (1234567, "1,234,567"),
        (10**30, f"{10**30:,}"),
        (2.0, "2"),
        (2.5, "—"),
        (None, "—"),
    ],
)
def test_format_count(count: Any, text: str) -> None:
    assert format_count(count) == text


def test_visible_segments_show_hidden_characters() -> None:
    segments = visible_segments("a\u200bb\nc\x00d\ud800", 100)
    assert segments == [
        ("a", False),
        ("U+200B", True),
        ("b", False),
        ("↵", True),
        ("c", False),
        ("U+0000", True),
        ("d", False),
        ("U+FFFD", True),
    ]


def test_visible_text_is_cut_with_an_ellipsis() -> None:
    assert visible_text("x" * 500, 120) == "x" * 120 + "…"
    assert visible_text("x" * 120, 120) == "x" * 120
    assert visible_text(None, 10) == ""


def test_combining_mark_floods_are_trimmed() -> None:
    text = visible_text("Z" + "\u0301" * 500 + "ok", 50)
    assert text == "Z\u0301\u0301⟨+498 marks⟩ok"
