"""The ``spamguard tune`` report as one self-contained HTML page.

``render_html`` turns the JSON report document (the ``--format json`` twin) into a page
meant to be looked at: a verdict line, before/after confusion matrices, the changed
thresholds, one chart per swept threshold, and tables per traffic kind and per reason code.

The page loads nothing: styles are inline, charts are inline SVG, and a Content Security
Policy forbids scripts and remote resources should anything slip through. Corpus text is
hostile, so every string from the document is cut, has its invisible characters made
visible and is escaped. Odd values (missing keys, nulls, NaN, empty lists) render as
``—`` or an empty state instead of raising.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from spamguard.codes import CATALOGUE
from spamguard.tuning.svg import (
    COLOURS,
    finite_number,
    format_count,
    format_share,
    format_value,
    knob_chart,
    visible_segments,
    visible_text,
)

__all__ = ["EXAMPLE_CHARS", "MAX_EXAMPLES", "render_html"]

EXAMPLE_CHARS = 120
"""Corpus examples are cut to this many characters (before escaping)."""

MAX_EXAMPLES = 3
"""At most this many examples are shown per reason code."""

_FIELD_CHARS = 300  # any other string from the document
_ACTIONS = ("allow", "block", "terminate")
_LABELS = ("ham", "spam")

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

_STYLE = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f6f6f4; color: #222; font: 14px/1.45 system-ui, -apple-system,
  'Segoe UI', Roboto, Helvetica, Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #ddd; }
h3 { font-size: 14px; margin: 0 0 8px; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 12.5px; }
.verdict { font-size: 19px; margin: 10px 0 2px; }
.verdict b { font-size: 22px; }
.spam { color: #0072B2; } .ham { color: #B34A00; } .muted { color: #666; }
.sub { margin: 0 0 14px; color: #444; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px;
  font-weight: 600; vertical-align: 2px; margin-left: 6px; }
.badge.ok { background: #d7efe6; color: #00583f; }
.badge.bad { background: #fbe0d0; color: #8a3300; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr)); gap: 10px; }
.card { background: #fff; border: 1px solid #e2e2e2; border-radius: 6px; padding: 10px 12px; }
.card dl { margin: 0; display: grid; grid-template-columns: auto 1fr; gap: 2px 10px; }
.card dt { color: #666; white-space: nowrap; }
.card dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; min-width: 0;
  overflow-wrap: anywhere; }
.card .lead { margin: 0 0 6px; overflow-wrap: anywhere; color: #333; }
.pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 14px; }
table { border-collapse: collapse; background: #fff; width: 100%; }
th, td { border: 1px solid #e2e2e2; padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: #f0f0ee; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.matrix td.num { width: 26%; }
.matrix .count { font-size: 16px; font-weight: 600; display: block; }
.matrix .share { font-size: 12px; color: #555; }
.totals { margin: 6px 0 0; font-size: 13px; color: #333; }
.arrow { color: #888; padding: 0 3px; }
.up { color: #00583f; } .down { color: #8a3300; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(530px, 1fr));
  gap: 14px; }
figure { margin: 0; background: #fff; border: 1px solid #e2e2e2; border-radius: 6px;
  padding: 8px; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { font-size: 13px; color: #444; padding: 4px 6px 2px; }
.bar { display: inline-block; width: 80px; height: 8px; background: #eee; margin-left: 6px;
  vertical-align: 1px; border-radius: 2px; overflow: hidden; }
.bar > span { display: block; height: 100%; }
.examples { margin: 0; padding: 0; list-style: none; }
.examples li { margin: 0 0 4px; overflow-wrap: anywhere; max-height: 4.5em; overflow: hidden; }
.examples .meta { color: #666; font-size: 12px; margin-right: 6px; white-space: nowrap; }
.ctl { font-size: 10px; color: #8a3300; background: #fbe0d0; border-radius: 2px;
  padding: 0 2px; margin: 0 1px; font-family: ui-monospace, Menlo, Consolas, monospace; }
.empty { color: #666; font-style: italic; }
footer { margin-top: 36px; color: #777; font-size: 12px; }
"""


# -- reading the document defensively -----------------------------------------------------


def _mapping(value: object) -> Mapping[str, Any]:
    """``value`` if it is a mapping, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def _items(value: object) -> list[Mapping[str, Any]]:
    """The mappings in a list; anything else is skipped."""
    if not isinstance(value, list | tuple):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def _share(part: object, whole: object) -> float | None:
    """``part / whole``, 0 for an empty whole, None when either is not a number."""
    numerator, denominator = finite_number(part), finite_number(whole)
    if numerator is None or denominator is None:
        return None
    return numerator / denominator if denominator > 0 else 0.0


# -- text ---------------------------------------------------------------------------------


def _esc(value: object, limit: int = _FIELD_CHARS) -> str:
    """Untrusted text, cut, invisible characters made visible, escaped."""
    return escape(visible_text(value, limit))


def _rich(value: object, limit: int) -> str:
    """Untrusted text with its invisible-character markers styled as badges."""
    return "".join(
        f'<span class="ctl">{escape(text)}</span>' if marker else escape(text)
        for text, marker in visible_segments(value, limit)
    )


def _pct(value: object) -> str:
    """A share as an escaped percentage."""
    return escape(format_share(value))


def _num(value: object) -> str:
    """A count, escaped."""
    return escape(format_count(value))


def _value(value: object) -> str:
    """A threshold value, escaped."""
    return escape(format_value(value))


def _change(before: str, after: str) -> str:
    """``before → after``, or one value when nothing changed."""
    if before == after:
        return after
    return f'{before}<span class="arrow">→</span>{after}'


def _duration(value: object) -> str:
    """Seconds as ``12.3 s`` or ``4 min 05 s``."""
    seconds = finite_number(value)
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {rest:02d} s"


def _flag(value: object) -> str:
    """A boolean for people."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return "—"


def _badge(feasible: object) -> str:
    """Within or over the budgets."""
    if feasible is True:
        return '<span class="badge ok">within budgets</span>'
    if feasible is False:
        return '<span class="badge bad">over budget</span>'
    return ""


def _table(head: Sequence[str], rows: Iterable[str], css: str = "") -> str:
    """A table from header cells (already markup) and rows (already ``<tr>`` markup)."""
    cells = "".join(head)
    klass = f' class="{css}"' if css else ""
    return f"<table{klass}><thead><tr>{cells}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _card(title: str, facts: Sequence[tuple[str, str]], lead: str = "") -> str:
    """A small box: an optional lead line (a file name), then label/value pairs (markup)."""
    rows = "".join(f"<dt>{escape(label)}</dt><dd>{value}</dd>" for label, value in facts)
    first = f'<p class="lead mono">{lead}</p>' if lead else ""
    return f'<div class="card"><h3>{escape(title)}</h3>{first}<dl>{rows}</dl></div>'


# -- sections -----------------------------------------------------------------------------


def _verdict(report: Mapping[str, Any]) -> str:
    """The one line a reader looks for first, then the session budget line."""
    base, tuned = _mapping(report.get("base")), _mapping(report.get("tuned"))
    budgets = _mapping(report.get("budgets"))
    line = (
        f'<p class="verdict">The tuned rules catch <b class="spam">'
        f"{_pct(tuned.get('spam_caught_share'))}</b> of spam (was "
        f'{_pct(base.get("spam_caught_share"))}) while blocking <b class="ham">'
        f"{_pct(tuned.get('ham_blocked_share'))}</b> of ham (budget "
        f"{_pct(budgets.get('max_ham_block'))}).{_badge(tuned.get('feasible'))}</p>"
    )
    sessions = (
        f'<p class="sub">They terminate {_pct(tuned.get("ham_sessions_terminated_share"))} '
        f"of ham sessions (was {_pct(base.get('ham_sessions_terminated_share'))}, budget "
        f"{_pct(budgets.get('max_ham_terminate'))})."
    )
    if base.get("feasible") is False:
        sessions += " The base rules were over budget."
    return line + sessions + "</p>"


def _facts(report: Mapping[str, Any]) -> str:
    """Corpus, rules, budgets and search statistics."""
    corpus = _mapping(report.get("corpus"))
    budgets = _mapping(report.get("budgets"))
    search = _mapping(report.get("search"))
    cards = [
        _card(
            "Corpus",
            [
                ("lines", _num(corpus.get("lines"))),
                ("messages", _num(corpus.get("messages"))),
                ("ham · spam", f"{_num(corpus.get('ham'))} · {_num(corpus.get('spam'))}"),
                ("unlabelled", _num(corpus.get("unlabelled"))),
                ("skipped invalid", _num(corpus.get("skipped_invalid"))),
            ],
            lead=_esc(corpus.get("path")),
        ),
        _card(
            "Sessions",
            [
                ("sessions", _num(corpus.get("sessions"))),
                ("ham sessions", _num(corpus.get("ham_sessions"))),
                ("spam sessions", _num(corpus.get("spam_sessions"))),
            ],
        ),
        _card(
            "Rules and budgets",
            [
                ("ham blocked ≤", _pct(budgets.get("max_ham_block"))),
                ("ham sessions ended ≤", _pct(budgets.get("max_ham_terminate"))),
            ],
            lead=f"base: {_esc(report.get('rules_base'))}",
        ),
        _card(
            "Search",
            [
                ("passes", _num(search.get("passes"))),
                ("evaluations", _num(search.get("evaluations"))),
                ("elapsed", escape(_duration(search.get("elapsed_s")))),
                ("jobs", _num(search.get("jobs"))),
                ("converged", _flag(search.get("converged"))),
            ],
        ),
    ]
    return f'<div class="cards">{"".join(cards)}</div>'


def _header(report: Mapping[str, Any]) -> str:
    """Title, verdict and the facts cards."""
    return f"<header><h1>spamguard tune report</h1>{_verdict(report)}{_facts(report)}</header>"


def _tint(label: str, action: str, share: float) -> str:
    """A background whose strength shows the share: blue for caught spam, orange for hurt ham.

    The square root keeps a 0.1% share of blocked ham visible next to a 95% catch rate.
    """
    if action == "allow" or share <= 0:
        return ""
    rgb = "0,114,178" if label == "spam" else "213,94,0"
    alpha = 0.1 + 0.45 * math.sqrt(min(share, 1.0))
    return f' style="background: rgba({rgb},{alpha:.2f})"'


def _matrix(title: str, outcome: Mapping[str, Any]) -> str:
    """One confusion matrix (rows ham/spam, columns allow/block/terminate) and totals."""
    confusion = _mapping(outcome.get("confusion"))
    rows = []
    for label in _LABELS:
        counts = _mapping(confusion.get(label))
        total = sum(finite_number(counts.get(action)) or 0.0 for action in _ACTIONS)
        cells = []
        for action in _ACTIONS:
            share = _share(counts.get(action), total)
            cells.append(
                f'<td class="num"{_tint(label, action, share or 0.0)}>'
                f'<span class="count">{_num(counts.get(action))}</span>'
                f'<span class="share">{_pct(share)}</span></td>'
            )
        rows.append(f'<tr><th class="{label}">{label}</th>{"".join(cells)}</tr>')
    head = ["<th></th>", *(f'<th class="num">{action}</th>' for action in _ACTIONS)]
    totals = (
        f'<p class="totals">spam caught <b>{_num(outcome.get("spam_caught"))}</b> '
        f"({_pct(outcome.get('spam_caught_share'))}) · ham blocked "
        f"<b>{_num(outcome.get('ham_blocked'))}</b> ({_pct(outcome.get('ham_blocked_share'))})"
        f"<br>ham sessions terminated <b>{_num(outcome.get('ham_sessions_terminated'))}</b> "
        f"({_pct(outcome.get('ham_sessions_terminated_share'))}) · spam sessions terminated "
        f"<b>{_num(outcome.get('spam_sessions_terminated'))}</b></p>"
    )
    return (
        f"<div><h3>{escape(title)}{_badge(outcome.get('feasible'))}</h3>"
        f"{_table(head, rows, 'matrix')}{totals}</div>"
    )


def _confusion_section(report: Mapping[str, Any]) -> str:
    """Base and tuned confusion matrices side by side."""
    base = _matrix("Base rules", _mapping(report.get("base")))
    tuned = _matrix("Tuned rules", _mapping(report.get("tuned")))
    return f'<section><h2>Verdicts by label</h2><div class="pair">{base}{tuned}</div></section>'


def _changes_section(report: Mapping[str, Any]) -> str:
    """The thresholds the tuned rules change."""
    changes = _items(report.get("changes"))
    if not changes:
        body = '<p class="empty">No threshold changed: the base rules are kept as they are.</p>'
    else:
        rows = (
            f'<tr><td><code>{_esc(change.get("path"))}</code></td><td class="num mono">'
            f"{_change(_value(change.get('from')), _value(change.get('to')))}"
            f"</td><td>{_esc(change.get('why'))}</td></tr>"
            for change in changes
        )
        head = ["<th>threshold</th>", '<th class="num">base → tuned</th>', "<th>why</th>"]
        body = _table(head, rows)
    return f"<section><h2>Changes</h2>{body}</section>"


def _knob_caption(knob: Mapping[str, Any]) -> str:
    """What the threshold does and where it moved."""
    base, chosen = _value(knob.get("base")), _value(knob.get("chosen"))
    moved = "unchanged" if base == chosen else f"{base} → {chosen}"
    description = _esc(knob.get("description"))
    return (
        f"<figcaption><code>{_esc(knob.get('path'))}</code> "
        f'<span class="muted">({_esc(knob.get("detector"), 40)})</span>: {description} '
        f"<b>{moved}</b></figcaption>"
    )


def _knobs_section(report: Mapping[str, Any]) -> str:
    """One chart per swept threshold, in catalogue order."""
    knobs = _items(report.get("knobs"))
    budget = finite_number(_mapping(report.get("budgets")).get("max_ham_block"))
    if not knobs:
        body = '<p class="empty">No threshold was swept.</p>'
    else:
        figures = (
            f'<figure class="knob">{knob_chart(knob, budget if budget is not None else math.nan)}'
            f"{_knob_caption(knob)}</figure>"
            for knob in knobs
        )
        body = f'<div class="charts">{"".join(figures)}</div>'
    intro = (
        '<p class="muted">Each chart replays the corpus with one threshold moved and the '
        "others at their tuned values; hover a point for its counts.</p>"
    )
    return f"<section><h2>Thresholds</h2>{intro}{body}</section>"


def _bar(share: float | None, label: str) -> str:
    """A small horizontal bar for a share."""
    width = 0.0 if share is None else min(max(share, 0.0), 1.0) * 100
    colour = COLOURS["spam"] if label == "spam" else COLOURS["ham"]
    return (
        f'<span class="bar"><span style="width: {width:.1f}%; background: {colour}"></span></span>'
    )


def _kind_key(entry: Mapping[str, Any]) -> tuple[str, str]:
    """How base and tuned rows of one traffic kind are matched."""
    return (str(entry.get("kind")), str(entry.get("label")))


def _caught(kind: Mapping[str, Any]) -> str:
    """A kind's caught share and count, ``—`` when the rule set has no such row."""
    if not kind:
        return "—"
    share = _share(kind.get("caught"), kind.get("messages"))
    return f"{_pct(share)} ({_num(kind.get('caught'))})"


def _kinds_section(report: Mapping[str, Any]) -> str:
    """Messages and caught share per traffic kind, before and after; empty without kinds."""
    base = {_kind_key(k): k for k in _items(_mapping(report.get("base")).get("kinds"))}
    tuned = {_kind_key(k): k for k in _items(_mapping(report.get("tuned")).get("kinds"))}
    keys = list(dict.fromkeys([*tuned, *base]))
    if not keys:
        return ""
    rows = []
    for key in keys:
        before, after = _mapping(base.get(key)), _mapping(tuned.get(key))
        entry = after or before
        label = entry.get("label")
        label_text = _esc(label, 20) if label is not None else '<span class="muted">—</span>'
        share_after = _share(after.get("caught"), after.get("messages")) if after else None
        css = label if label in _LABELS else ""
        rows.append(
            f'<tr><td>{_esc(entry.get("kind"), 80)}</td><td class="{css}">{label_text}</td>'
            f'<td class="num">{_num(entry.get("messages"))}</td>'
            f'<td class="num">{_caught(before)}</td>'
            f'<td class="num">{_caught(after)}{_bar(share_after, str(label))}</td></tr>'
        )
    head = [
        "<th>traffic kind</th>",
        "<th>label</th>",
        '<th class="num">messages</th>',
        '<th class="num">caught, base</th>',
        '<th class="num">caught, tuned</th>',
    ]
    note = (
        '<p class="muted">Caught means blocked or terminated: wanted for spam, a false '
        "positive for ham.</p>"
    )
    return f"<section><h2>By traffic kind</h2>{note}{_table(head, rows)}</section>"


def _example(example: Mapping[str, Any]) -> str:
    """One corpus example: where it is, what it was and what happened, then its text."""
    label = example.get("label")
    meta = " · ".join(
        [
            f"line {_num(example.get('line'))}",
            _esc(label, 12) if label is not None else "unlabelled",
            _esc(example.get("action"), 12),
        ]
    )
    text = _rich(example.get("text"), EXAMPLE_CHARS)
    return f'<li><span class="meta">{meta}</span><bdi class="ex">{text}</bdi></li>'


def _code_row(code: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    """One reason code: its name, ham and spam hits before and after, tuned examples."""
    entry = CATALOGUE.get(code)
    slug = (after or before).get("slug") or (entry.slug if entry else "")
    summary = f' title="{escape(entry.summary)}"' if entry else ""
    source, origin = (after, "") if after else (before, " (base rules only)")
    examples = _items(source.get("examples"))[:MAX_EXAMPLES]
    listed = "".join(_example(example) for example in examples)
    shown = f'<ul class="examples">{listed}</ul>' if listed else '<span class="empty">none</span>'
    if origin and listed:
        shown = f'<span class="muted">{origin.strip()}</span>{shown}'
    ham = _change(_num(before.get("ham", 0)), _num(after.get("ham", 0)))
    spam = _change(_num(before.get("spam", 0)), _num(after.get("spam", 0)))
    return (
        f"<tr><td><code>{_esc(code, 12)}</code></td><td{summary}>{_esc(slug, 60)}</td>"
        f'<td class="num ham">{ham}</td><td class="num spam">{spam}</td><td>{shown}</td></tr>'
    )


def _codes_section(report: Mapping[str, Any]) -> str:
    """Hits per reason code, before and after, with examples from the tuned rules."""
    base = {str(c.get("code")): c for c in _items(_mapping(report.get("base")).get("codes"))}
    tuned = {str(c.get("code")): c for c in _items(_mapping(report.get("tuned")).get("codes"))}
    codes = sorted({*base, *tuned})
    if not codes:
        body = '<p class="empty">No reason code was emitted.</p>'
    else:
        rows = (
            _code_row(code, _mapping(base.get(code)), _mapping(tuned.get(code))) for code in codes
        )
        head = [
            "<th>code</th>",
            "<th>slug</th>",
            '<th class="num">ham hits</th>',
            '<th class="num">spam hits</th>',
            f"<th>examples (tuned rules, up to {MAX_EXAMPLES})</th>",
        ]
        body = _table(head, rows)
    note = (
        '<p class="muted">Hits are base → tuned. Examples come from the tuned rules; a code '
        "only the base rules emitted shows theirs. Texts are cut to "
        f"{EXAMPLE_CHARS} characters; invisible and control characters are shown as "
        '<span class="ctl">U+XXXX</span>.</p>'
    )
    return f"<section><h2>By reason code</h2>{note}{body}</section>"


def _footer(report: Mapping[str, Any]) -> str:
    """Who made the document, and a warning for a version this renderer does not know."""
    version = report.get("spamguard_tune_report")
    warning = ""
    if version != 1:
        warning = f" Unknown report version {_esc(version, 20)}; rendered as version 1."
    return (
        f"<footer>Generated by {_esc(report.get('generated_by'), 80)}; "
        f"report format {_esc(version, 20)}.{warning}</footer>"
    )


def render_html(report: Mapping[str, Any]) -> str:
    """The whole report page for a ``spamguard tune`` JSON report document.

    Args:
        report: The document ``spamguard tune --format json`` writes (version 1).

    Returns:
        A complete, self-contained HTML5 page: no scripts, no external resources, every
        string from the document escaped. Missing or malformed parts render as ``—`` or an
        empty state; this function does not raise on odd values.
    """
    report = _mapping(report)
    corpus_name = visible_text(_mapping(report.get("corpus")).get("path"), 80)
    title = f"spamguard tune report: {corpus_name}" if corpus_name else "spamguard tune report"
    body = "".join(
        [
            _header(report),
            _confusion_section(report),
            _changes_section(report),
            _knobs_section(report),
            _kinds_section(report),
            _codes_section(report),
            _footer(report),
        ]
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )
