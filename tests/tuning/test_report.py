"""The HTML report page: well formed, self-contained, escaped, and never raising."""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spamguard.tuning.report import EXAMPLE_CHARS, MAX_EXAMPLES, render_html
from tests.tuning import HOSTILE, make_knob, make_outcome, make_point, make_report

VOID = {"meta", "br", "img", "input", "link", "hr", "wbr", "col", "source", "area", "base"}
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:|//)""", re.IGNORECASE)


class Page(HTMLParser):
    """A strict reading of a page: tags must nest, text is collected outside <style>."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.chunks: list[str] = []
        self.feed(markup)
        self.close()
        assert not self.stack, f"unclosed: {self.stack}"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        assert self.stack, f"</{tag}> closes nothing"
        assert self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1]}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not self.stack or self.stack[-1] != "style":
            self.chunks.append(data)

    @property
    def text(self) -> str:
        """The visible text, whitespace collapsed."""
        return re.sub(r"\s+", " ", " ".join(self.chunks))

    def count(self, tag: str, css: str | None = None) -> int:
        """How many ``tag`` elements (with class ``css``) the page has."""
        return sum(
            1
            for name, attrs in self.tags
            if name == tag and (css is None or css in attrs.get("class", "").split())
        )


def page(report: Any) -> tuple[str, Page]:
    """The rendered page and its strict parse."""
    markup = render_html(report)
    return markup, Page(markup)


def assert_self_contained(markup: str) -> None:
    """No scripts, no remote or file references, no CSS imports or url()s."""
    assert "<script" not in markup.lower()
    assert not EXTERNAL.search(markup)
    assert "@import" not in markup
    assert "url(" not in markup
    assert "@font-face" not in markup


def test_page_is_well_formed_with_one_chart_per_knob() -> None:
    knobs = [make_knob("urls.max_urls"), make_knob("urls.extreme_urls", base=20, chosen=12)]
    markup, parsed = page(make_report(knobs=knobs))
    assert markup.startswith("<!DOCTYPE html>")
    assert parsed.count("svg") == 2
    assert parsed.count("figure", "knob") == 2
    assert markup.count("<title>a.") == 0
    assert "<title>urls.max_urls</title>" in markup
    assert "<title>urls.extreme_urls</title>" in markup
    assert parsed.count("line", "budget") == 2
    assert parsed.count("line", "chosen-marker") == 2
    assert parsed.count("line", "base-marker") == 2


def test_page_is_self_contained_and_forbids_scripts() -> None:
    markup, parsed = page(make_report())
    assert_self_contained(markup)
    (csp,) = [a for t, a in parsed.tags if t == "meta" and a.get("http-equiv")]
    assert "default-src 'none'" in csp["content"]
    assert parsed.count("style") == 1


def test_header_summarises_corpus_budgets_and_search() -> None:
    _, parsed = page(make_report())
    text = parsed.text
    assert "The tuned rules catch 93% of spam (was 90%) while blocking 0.08% of ham" in text
    assert "(budget 0.1%)" in text
    assert "corpus/labelled.jsonl" in text
    assert "11,000" in text
    assert "<shipped>" in text
    assert "12.5 s" in text
    assert "within budgets" in text


def test_confusion_matrices_show_counts_and_row_shares() -> None:
    _, parsed = page(make_report())
    assert parsed.count("table", "matrix") == 2
    text = parsed.text
    assert "Base rules" in text
    assert "Tuned rules" in text
    assert "9,996 99.96%" in text  # ham allowed, base
    assert "830 83% 100 10%" in text  # spam blocked and terminated, tuned
    assert "ham sessions terminated 0 (0%)" in text


def test_changes_table_lists_from_and_to() -> None:
    _, parsed = page(make_report())
    assert "urls.max_urls 3 → 2 catches 3.0% more spam within the ham budget" in parsed.text
    _, parsed = page(make_report(changes=[]))
    assert "No threshold changed" in parsed.text


def test_hostile_corpus_text_is_inert() -> None:
    long = "<b>" * 1000 + "\u200b" * 10
    tuned = make_outcome()
    tuned["codes"][0]["examples"].append(
        {"line": 9, "label": None, "action": "block", "text": long}
    )
    report = make_report(
        tuned=tuned,
        rules_base=HOSTILE,
        corpus={"path": HOSTILE},
        changes=[{"path": HOSTILE, "from": HOSTILE, "to": None, "why": HOSTILE}],
        knobs=[make_knob(path=HOSTILE)],
        generated_by=HOSTILE,
    )
    markup, parsed = page(report)
    assert_self_contained(markup)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup
    assert "\u202e" not in markup
    assert "U+202E" in parsed.text
    assert parsed.count("svg") == 1
    assert parsed.count("b") == 0 or "<b>" * 2 not in markup


def test_examples_are_capped_in_number_and_length() -> None:
    tuned = make_outcome()
    tuned["codes"][0]["examples"] = [
        {"line": n, "label": "spam", "action": "block", "text": f"example {n} " + "y" * 1000}
        for n in range(10)
    ]
    markup, parsed = page(make_report(tuned=tuned))
    assert parsed.count("bdi", "ex") == MAX_EXAMPLES
    shown = re.findall(r'<bdi class="ex">([^<]*)</bdi>', markup)
    assert all(len(text) == EXAMPLE_CHARS + 1 and text.endswith("…") for text in shown)


def test_example_without_label_reads_unlabelled() -> None:
    tuned = make_outcome()
    tuned["codes"][0]["examples"] = [{"line": 3, "label": None, "action": "terminate", "text": ""}]
    _, parsed = page(make_report(tuned=tuned))
    assert "line 3 · unlabelled · terminate" in parsed.text


def test_codes_join_base_and_tuned() -> None:
    base = make_outcome()
    base["codes"].append(
        {
            "code": "SG301",
            "slug": "repeated-message",
            "ham": 3,
            "spam": 5,
            "examples": [{"line": 1, "label": "ham", "action": "block", "text": "base only"}],
        }
    )
    _, parsed = page(make_report(base=base))
    text = parsed.text
    assert "SG201 too-many-urls 4 → 8 800 → 830" in text
    assert "SG301 repeated-message 3 → 0 5 → 0" in text
    assert "(base rules only)" in text
    assert "base only" in text


def test_kinds_table_only_when_there_are_kinds() -> None:
    _, parsed = page(make_report())
    assert "By traffic kind" in parsed.text
    assert "link-spam spam 600 100% (600) 100% (600)" in parsed.text
    empty = make_outcome()
    empty["kinds"] = []
    _, parsed = page(make_report(base=empty, tuned=empty))
    assert "By traffic kind" not in parsed.text


def test_zero_messages_make_zero_shares() -> None:
    zero = {
        "confusion": {
            "ham": {"allow": 0, "block": 0, "terminate": 0},
            "spam": {"allow": 0, "block": 0, "terminate": 0},
        },
        "ham_blocked": 0,
        "ham_blocked_share": 0.0,
        "spam_caught": 0,
        "spam_caught_share": 0.0,
        "feasible": True,
        "kinds": [{"kind": "x", "label": "spam", "messages": 0, "caught": 0}],
        "codes": [],
    }
    _, parsed = page(make_report(base=zero, tuned=zero, knobs=[], changes=[]))
    assert "catch 0% of spam (was 0%) while blocking 0% of ham" in parsed.text
    assert "x spam 0 0% (0) 0% (0)" in parsed.text
    assert "No threshold was swept" in parsed.text
    assert "No reason code was emitted" in parsed.text


@pytest.mark.parametrize(
    "report",
    [
        {},
        {"spamguard_tune_report": 1},
        make_report(knobs=[make_knob(points=[])]),
        make_report(knobs=[make_knob(points=[make_point(1, 0, 0, valid=False)])]),
        make_report(corpus=None, budgets=None, search=None, base=None, tuned=None),
        make_report(knobs="x", changes=[None, 1, "x"], base=[], tuned="y"),
        make_report(
            budgets={"max_ham_block": math.nan, "max_ham_terminate": math.inf},
            search={"elapsed_s": 10**400, "passes": 10**40, "converged": None},
        ),
    ],
    ids=["empty", "version-only", "no-points", "all-invalid", "nulls", "wrong-types", "huge"],
)
def test_degenerate_documents_render(report: dict[str, Any]) -> None:
    markup, parsed = page(report)
    assert_self_contained(markup)
    assert parsed.count("h1") == 1
    assert "nan" not in parsed.text.lower()


def test_huge_counts_keep_their_digits() -> None:
    tuned = make_outcome()
    tuned["spam_caught"] = 10**18
    _, parsed = page(make_report(tuned=tuned))
    assert f"{10**18:,}" in parsed.text


def test_unknown_version_is_flagged() -> None:
    _, parsed = page(make_report(spamguard_tune_report=2))
    assert "Unknown report version 2" in parsed.text


def test_rendering_is_deterministic() -> None:
    assert render_html(make_report()) == render_html(make_report())


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
KEYS = ["corpus", "rules_base", "budgets", "search", "base", "tuned", "knobs", "changes"]


@given(st.dictionaries(st.sampled_from(KEYS), JSON))
def test_any_top_level_values_render(overrides: dict[str, Any]) -> None:
    assert_self_contained(render_html(make_report(**overrides)))


@given(
    st.lists(st.dictionaries(st.sampled_from(list(make_point(1, 0.5, 0.0))), SCALARS), max_size=6)
)
def test_any_points_render(points: list[dict[str, Any]]) -> None:
    markup = render_html(make_report(knobs=[make_knob(points=points)]))
    assert_self_contained(markup)
    assert markup.count("<svg") == 1


@given(st.text(max_size=300))
def test_any_example_text_is_inert(text: str) -> None:
    tuned = make_outcome()
    tuned["codes"][0]["examples"] = [{"line": 1, "label": "spam", "action": "block", "text": text}]
    markup = render_html(make_report(tuned=tuned))
    assert_self_contained(markup)
    markup.encode("utf-8")
    (shown,) = re.findall(r'<bdi class="ex">(.*?)</bdi>', markup)
    assert "<" not in re.sub(r'<span class="ctl">[^<]*</span>', "", shown)
