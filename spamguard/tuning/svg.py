"""A minimal, dependency-free chart drawer for the ``spamguard tune`` report.

``knob_chart`` draws one threshold sweep as a standalone inline ``<svg>`` element: two
stacked panels sharing the x axis (spam caught on top, ham blocked below, because ham
blocked is usually a hundred times smaller), the ham-block budget as a dashed line, the
base and chosen values as vertical markers, over-budget points hollow and invalid points
as gaps. Every style is an attribute, so the element looks the same wherever it is pasted.

The text helpers (``format_share``, ``format_value``, ``visible_segments``) are shared with
the HTML page so that numbers and hostile text look the same in both.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from itertools import pairwise
from typing import Any

from spamguard.normalise import is_invisible

__all__ = [
    "COLOURS",
    "finite_number",
    "format_count",
    "format_share",
    "format_value",
    "knob_chart",
    "visible_segments",
    "visible_text",
]

# Okabe-Ito: distinguishable with every common colour-vision deficiency, and in greyscale
# the two series differ by lightness as well.
COLOURS: Mapping[str, str] = {
    "spam": "#0072B2",  # blue
    "ham": "#D55E00",  # vermillion
    "chosen": "#009E73",  # bluish green
    "base": "#555555",
    "grid": "#e3e3e3",
    "axis": "#888888",
    "text": "#222222",
    "muted": "#666666",
}

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"

WIDTH, HEIGHT = 520, 316
_LEFT, _RIGHT = 74, 22
_INSET = 14.0  # where the title, the legend and the y axis names start
_LEGEND_Y = 36.0
_MARKER_LABEL_Y = 58.0
_SPAM_PANEL = (66.0, 150.0)  # top and bottom y of each panel
_HAM_PANEL = (178.0, 260.0)
_CHAR_WIDTH = 6.6  # a generous average advance of an 11px bold character, for layout
_MIN_SPAM_SPAN = 0.05  # a flat detection rate must look flat, not like a cliff
_X_LABELS_Y = 276.0
_X_TITLE_Y = 300.0
_MIN_LABEL_GAP = 34.0  # pixels between two x tick labels before some are left out
_NONE_LABEL = "none"


# -- text and numbers ---------------------------------------------------------------------


def finite_number(value: object) -> float | None:
    """A finite number as a float, or None for anything else (bool, str, NaN, inf, 10**400)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def format_count(value: object) -> str:
    """A count with thousands separators; ``—`` for anything that is not a whole number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return "—"
    return f"{int(value):,}"


def format_share(value: object) -> str:
    """A fraction (0..1) as a percentage with enough digits to tell small shares apart.

    Ham blocked is often well below 1%, so the precision grows as the share shrinks;
    ``—`` stands for a missing or non-finite value.
    """
    share = finite_number(value)
    if share is None:
        return "—"
    percent = share * 100
    size = abs(percent)
    if size == 0:
        return "0%"
    if size < 0.001:
        return "<0.001%" if percent > 0 else "-<0.001%"
    if size >= 10:
        text = f"{percent:.1f}"
        # 99.97% must not read as a round 100%.
        if text in ("100.0", "-100.0") and size != 100:
            text = f"{percent:.2f}"
    elif size >= 0.1:
        text = f"{percent:.2f}"
    else:
        text = f"{percent:.3f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def format_value(value: object) -> str:
    """A threshold value as an axis label: ``none`` for null, floats without noise."""
    if value is None:
        return _NONE_LABEL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value:.4g}"
    return visible_text(value, 16)


def _marker_for(ch: str) -> str | None:
    """The visible stand-in for a character that would hide or disturb text, else None."""
    if ch == "\n":
        return "↵"
    if ch == "\t":
        return "⇥"
    if ch == "\r":
        return "␍"
    code = ord(ch)
    if 0xD800 <= code < 0xE000:
        # Lone surrogates cannot be encoded; they show as the replacement character.
        return "U+FFFD"
    if is_invisible(ch) or unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Co", "Cn"):
        return f"U+{code:04X}"
    return None


def visible_segments(value: object, limit: int) -> list[tuple[str, bool]]:
    """``value`` as text cut to ``limit`` characters, invisible characters made visible.

    Returns (text, is_marker) pieces, not yet escaped: markers name a control, format or
    zero-width character (``U+200B``, ``↵``) so hidden payloads and bidi tricks show
    instead of acting. Runs of more than two combining marks are dropped (one marker
    says how many) so "zalgo" text cannot draw over the page. Past ``limit`` counted
    characters the text ends with ``…``.
    """
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    pieces: list[tuple[str, bool]] = []
    plain: list[str] = []
    used = 0
    marks = 0
    dropped = 0

    def flush() -> None:
        nonlocal dropped
        if plain:
            pieces.append(("".join(plain), False))
            plain.clear()
        if dropped:
            pieces.append((f"+{dropped} marks", True))
            dropped = 0

    for ch in text:
        if used >= limit:
            flush()
            pieces.append(("…", False))
            return pieces
        if unicodedata.combining(ch) and not is_invisible(ch):
            marks += 1
            if marks > 2:
                dropped += 1
                continue
            plain.append(ch)
            continue
        marks = 0
        used += 1
        marker = _marker_for(ch)
        if marker is None:
            if dropped:
                flush()
            plain.append(ch)
        else:
            flush()
            pieces.append((marker, True))
    flush()
    return pieces


def visible_text(value: object, limit: int) -> str:
    """``visible_segments`` joined into one plain string (markers in angle brackets)."""
    return "".join(
        f"⟨{text}⟩" if marker else text for text, marker in visible_segments(value, limit)
    )


# -- geometry -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Panel:
    """One y axis: a pixel band and the share range it shows."""

    top: float
    bottom: float
    low: float
    high: float
    step: float

    def y(self, share: float) -> float:
        """The pixel row of a share, clamped into the panel."""
        span = self.high - self.low or 1.0
        fraction = min(max((share - self.low) / span, 0.0), 1.0)
        return self.bottom - fraction * (self.bottom - self.top)

    def ticks(self) -> Iterator[float]:
        """The tick values from low to high."""
        count = round((self.high - self.low) / self.step)
        for index in range(min(count, 20) + 1):
            yield self.low + index * self.step


_STEPS = (1.0, 2.0, 2.5, 5.0)


def _nice_step(span: float, ticks: int) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving about ``ticks`` ticks."""
    raw = max(span / ticks, 1e-9)
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in _STEPS:
        if factor * power >= raw * 0.999:
            return factor * power
    return 10 * power


def _panel(band: tuple[float, float], values: Sequence[float], *, from_zero: bool) -> _Panel:
    """A panel whose range covers ``values`` with round ticks.

    The spam panel may start above zero: detection rates of 85-95% would otherwise be
    squeezed into a sliver at the top.
    """
    low = min(values, default=0.0)
    high = max(values, default=0.0)
    if from_zero or low <= (high - low):
        low = min(low, 0.0)
    if from_zero:
        # Headroom, so the budget line and the highest point are not glued to the frame.
        high = high * 1.12
    if high - low < 1e-6:
        high = low + (0.01 if high < 1 else 0.1)
    if not from_zero and high - low < _MIN_SPAM_SPAN:
        middle = (high + low) / 2
        low = max(0.0, middle - _MIN_SPAM_SPAN / 2)
        high = max(high, low + _MIN_SPAM_SPAN)
        if high > 1.0:  # a share axis beyond 100% would look like an error
            low, high = max(0.0, 1.0 - _MIN_SPAM_SPAN), 1.0
    step = _nice_step(high - low, 3)
    low = math.floor(low / step + 1e-9) * step
    high = math.ceil(high / step - 1e-9) * step
    return _Panel(band[0], band[1], low, high, step)


def _tick_label(share: float, step: float) -> str:
    """A tick's percentage with as many decimals as the step needs (0.025% needs three)."""
    step_percent = step * 100
    decimals = next(
        (d for d in range(6) if abs(round(step_percent, d) - step_percent) < 1e-9 * step_percent),
        6,
    )
    return f"{share * 100:.{decimals}f}%"


def _order(points: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The points in drawing order: as given, with null ("no limit") values last."""
    numbered = [point for point in points if point.get("value") is not None]
    unlimited = [point for point in points if point.get("value") is None]
    return numbered + unlimited


def _same(a: object, b: object) -> bool:
    """Whether two threshold values are the same (3 == 3.0; None only equals None)."""
    if a is None or b is None:
        return a is None and b is None
    left, right = finite_number(a), finite_number(b)
    if left is not None and right is not None:
        return left == right
    return a == b


def _position(value: object, values: Sequence[object]) -> float | None:
    """The categorical x position of a value: an index, fractional between grid values.

    A value off the grid (e.g. a base threshold the search did not sample) is placed in
    proportion between its neighbours, or half a slot outside the ends.
    """
    for index, candidate in enumerate(values):
        if _same(value, candidate):
            return float(index)
    number = finite_number(value)
    grid = [(index, finite_number(v)) for index, v in enumerate(values)]
    numeric = [(index, v) for index, v in grid if v is not None]
    if number is None or not numeric:
        return None
    if number < numeric[0][1]:
        return numeric[0][0] - 0.5
    for (left_index, left), (right_index, right) in pairwise(numeric):
        if left <= number <= right:
            share = (number - left) / (right - left) if right > left else 0.0
            return left_index + share * (right_index - left_index)
    return numeric[-1][0] + 0.5


@dataclass(frozen=True, slots=True)
class _XAxis:
    """Categorical x positions: slot ``i`` is centred in the ``i``-th of ``count`` slots."""

    count: int

    @property
    def slot(self) -> float:
        """The width of one slot in pixels."""
        return (WIDTH - _LEFT - _RIGHT) / max(self.count, 1)

    def x(self, position: float) -> float:
        """The pixel column of a (possibly fractional) position."""
        return _LEFT + (position + 0.5) * self.slot


# -- drawing ------------------------------------------------------------------------------


def _f(number: float) -> str:
    """A coordinate, short."""
    return f"{number:.1f}".removesuffix(".0")


def _text(x: float, y: float, content: str, **attributes: str) -> str:
    """An SVG <text> element; ``content`` is escaped here."""
    extra = "".join(
        f' {name.replace("_", "-")}="{escape(value)}"' for name, value in attributes.items()
    )
    return f'<text x="{_f(x)}" y="{_f(y)}"{extra}>{escape(content)}</text>'


def _panel_frame(panel: _Panel, title: str, colour: str) -> list[str]:
    """Grid lines, y tick labels and the panel's name."""
    parts = []
    for tick in panel.ticks():
        y = panel.y(tick)
        parts.append(
            f'<line x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{_f(y)}" y2="{_f(y)}" '
            f'stroke="{COLOURS["grid"]}" stroke-width="1"/>'
        )
        parts.append(
            _text(
                _LEFT - 6,
                y + 4,
                _tick_label(tick, panel.step),
                text_anchor="end",
                fill=COLOURS["muted"],
            )
        )
    parts.append(
        f'<path d="M{_LEFT},{_f(panel.top)}V{_f(panel.bottom)}H{WIDTH - _RIGHT}" fill="none" '
        f'stroke="{COLOURS["axis"]}" stroke-width="1"/>'
    )
    middle = (panel.top + panel.bottom) / 2
    parts.append(
        f'<text transform="translate({_f(_INSET)},{_f(middle)}) rotate(-90)" text-anchor="middle" '
        f'fill="{colour}" font-weight="600" font-size="11">{escape(title)}</text>'
    )
    return parts


def _runs(points: Sequence[Mapping[str, Any]], key: str) -> list[list[int]]:
    """Indices of consecutive drawable points; an invalid or missing one starts a new run."""
    runs: list[list[int]] = [[]]
    for index, point in enumerate(points):
        if point.get("valid") is True and finite_number(point.get(key)) is not None:
            runs[-1].append(index)
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if run]


def _point_title(point: Mapping[str, Any]) -> str:
    """The hover text of one grid point."""
    value = format_value(point.get("value"))
    if point.get("valid") is not True:
        return f"{value}: invalid rules"
    feasible = "within budget" if point.get("feasible") is True else "over budget"
    return (
        f"{value}: spam caught {format_share(point.get('spam_caught_share'))} "
        f"({format_count(point.get('spam_caught'))}), ham blocked "
        f"{format_share(point.get('ham_blocked_share'))} "
        f"({format_count(point.get('ham_blocked'))}), ham sessions terminated "
        f"{format_count(point.get('ham_sessions_terminated'))}; {feasible}"
    )


def _series(
    points: Sequence[Mapping[str, Any]], axis: _XAxis, panel: _Panel, key: str, name: str
) -> list[str]:
    """One share against the threshold: a polyline per run of valid points, then dots."""
    colour = COLOURS[name]
    parts = []
    for run in _runs(points, key):
        coordinates = " ".join(
            f"{_f(axis.x(i))},{_f(panel.y(finite_number(points[i].get(key)) or 0.0))}" for i in run
        )
        parts.append(
            f'<polyline class="{name}-line" points="{coordinates}" fill="none" '
            f'stroke="{colour}" stroke-width="2" stroke-linejoin="round"/>'
        )
    for run in _runs(points, key):
        for index in run:
            point = points[index]
            share = finite_number(point.get(key)) or 0.0
            feasible = point.get("feasible") is True
            parts.append(
                f'<circle class="{name}-point {"feasible" if feasible else "infeasible"}" '
                f'cx="{_f(axis.x(index))}" cy="{_f(panel.y(share))}" r="3.5" '
                f'fill="{colour if feasible else "#ffffff"}" stroke="{colour}" '
                f'stroke-width="1.5"><title>{escape(_point_title(point))}</title></circle>'
            )
    return parts


def _invalid_marks(points: Sequence[Mapping[str, Any]], axis: _XAxis) -> list[str]:
    """A small grey cross on the x axis where the value made the rules invalid."""
    parts = []
    y = _HAM_PANEL[1]
    for index, point in enumerate(points):
        if point.get("valid") is True:
            continue
        x = axis.x(index)
        parts.append(
            f'<path class="invalid-point" d="M{_f(x - 4)},{_f(y - 4)}l8,8m0,-8l-8,8" '
            f'stroke="{COLOURS["axis"]}" stroke-width="1.5">'
            f"<title>{escape(_point_title(point))}</title></path>"
        )
    return parts


def _budget_line(panel: _Panel, budget: float | None) -> list[str]:
    """The ham-block budget, dashed; the legend says its value."""
    if budget is None:
        return []
    y = panel.y(budget)
    return [
        f'<line class="budget" x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{_f(y)}" y2="{_f(y)}" '
        f'stroke="{COLOURS["ham"]}" stroke-width="1.5" stroke-dasharray="6 4">'
        f"<title>ham-block budget {escape(format_share(budget))}</title></line>",
    ]


def _label_width(text: str) -> float:
    """The estimated width of a marker label."""
    return len(text) * _CHAR_WIDTH


def _spread(labels: Sequence[tuple[float, str]]) -> list[float]:
    """Centres for one row of labels wanted at the given x, apart and inside the picture."""
    centres = [_clamp_label(x, text) for x, text in labels]
    if len(labels) == 2:
        (left, left_text), (right, right_text) = sorted(
            zip(centres, [text for _, text in labels], strict=True)
        )
        need = (_label_width(left_text) + _label_width(right_text)) / 2 + 8
        if right - left < need:
            middle = (left + right) / 2
            new_left = _clamp_label(middle - need / 2, left_text)
            new_right = _clamp_label(new_left + need, right_text)
            new_left = min(new_left, new_right - need)
            swapped = centres[0] > centres[1]
            centres = [new_right, new_left] if swapped else [new_left, new_right]
    return centres


def _clamp_label(x: float, text: str) -> float:
    """A label centre moved so that the whole label stays inside the picture."""
    half = _label_width(text) / 2
    return min(max(x, half + 2), WIDTH - half - 2)


def _value_marker(x: float, centre: float, label: str, kind: str) -> list[str]:
    """A vertical line through both panels at a threshold value, labelled above them."""
    colour = COLOURS[kind]
    dash = ' stroke-dasharray="3 3"' if kind == "base" else ""
    width = "1.5" if kind == "base" else "2"
    return [
        f'<line class="{kind}-marker" x1="{_f(x)}" x2="{_f(x)}" y1="{_f(_MARKER_LABEL_Y + 3)}" '
        f'y2="{_f(_HAM_PANEL[1])}" stroke="{colour}" stroke-width="{width}"{dash}/>',
        _text(
            centre,
            _MARKER_LABEL_Y,
            label,
            text_anchor="middle",
            fill=colour,
            font_weight="600",
            font_size="11",
        ),
    ]


def _value_markers(knob: Mapping[str, Any], values: Sequence[object], axis: _XAxis) -> list[str]:
    """The base and chosen markers; one marker when they coincide."""
    if not values:
        return []
    base, chosen = knob.get("base"), knob.get("chosen")
    base_at, chosen_at = _position(base, values), _position(chosen, values)
    markers: list[tuple[float, str, str]] = []
    if base_at is not None and _same(base, chosen):
        markers.append((axis.x(base_at), f"base = chosen {format_value(chosen)}", "chosen"))
    else:
        if base_at is not None:
            markers.append((axis.x(base_at), f"base {format_value(base)}", "base"))
        if chosen_at is not None:
            markers.append((axis.x(chosen_at), f"chosen {format_value(chosen)}", "chosen"))
    centres = _spread([(x, label) for x, label, _ in markers])
    parts = []
    for (x, label, kind), centre in zip(markers, centres, strict=True):
        parts += _value_marker(x, centre, label, kind)
    return parts


def _x_labels(values: Sequence[object], axis: _XAxis, keep: Sequence[float | None]) -> list[str]:
    """The threshold values under the lower panel, thinned out when they would collide.

    The base and chosen values are labelled first, then the ends, then every other value
    that still has room.
    """
    wanted = [round(p) for p in keep if p is not None and p.is_integer()]
    widest = max((len(format_value(value)) for value in values), default=0)
    gap = max(_MIN_LABEL_GAP, widest * _CHAR_WIDTH + 8)
    order = [*wanted, 0, len(values) - 1, *range(len(values))]
    placed: dict[int, float] = {}
    for index in order:
        if index in placed or not 0 <= index < len(values):
            continue
        x = axis.x(index)
        if all(abs(x - other) >= gap for other in placed.values()):
            placed[index] = x
    parts = []
    for index, x in sorted(placed.items()):
        parts.append(
            f'<line x1="{_f(x)}" x2="{_f(x)}" y1="{_f(_HAM_PANEL[1])}" '
            f'y2="{_f(_HAM_PANEL[1] + 4)}" stroke="{COLOURS["axis"]}" stroke-width="1"/>'
        )
        parts.append(
            _text(
                x,
                _X_LABELS_Y,
                format_value(values[index]),
                text_anchor="middle",
                fill=COLOURS["muted"],
            )
        )
    return parts


def _legend(budget: float | None) -> list[str]:
    """One row naming the two series, the budget (with its value) and the point styles."""
    y = _LEGEND_Y - 4  # the glyphs' centre line
    spam, ham, ink = COLOURS["spam"], COLOURS["ham"], COLOURS["text"]

    def series(colour: str) -> str:
        return (
            f'<line x1="0" x2="16" y1="{_f(y)}" y2="{_f(y)}" stroke="{colour}" '
            f'stroke-width="2"/><circle cx="8" cy="{_f(y)}" r="3.5" fill="{colour}"/>'
        )

    glyphs = [
        (series(spam), "spam caught"),
        (series(ham), "ham blocked"),
        (
            f'<line x1="0" x2="18" y1="{_f(y)}" y2="{_f(y)}" stroke="{ham}" '
            f'stroke-width="1.5" stroke-dasharray="6 4"/>',
            "no budget" if budget is None else f"budget {format_share(budget)}",
        ),
        (
            f'<circle cx="5" cy="{_f(y)}" r="3.5" fill="#ffffff" stroke="{ink}" '
            f'stroke-width="1.5"/>',
            "over budget",
        ),
        (
            f'<path d="M1,{_f(y - 4)}l8,8m0,-8l-8,8" stroke="{COLOURS["axis"]}" '
            f'stroke-width="1.5"/>',
            "invalid",
        ),
    ]
    parts = []
    x = _INSET
    for glyph, label in glyphs:
        glyph_width = 20.0 if "<line" in glyph else 12.0
        parts.append(f'<g transform="translate({_f(x)},0)">{glyph}</g>')
        parts.append(_text(x + glyph_width, _LEGEND_Y, label, fill=ink))
        x += glyph_width + len(label) * 6.0 + 14
    return ['<g class="legend">', *parts, "</g>"]


def _note(message: str) -> str:
    """A message in the middle of the plot when there is nothing to draw."""
    return _text(
        (WIDTH + _LEFT - _RIGHT) / 2,
        (_SPAM_PANEL[1] + _HAM_PANEL[0]) / 2 + 4,
        message,
        text_anchor="middle",
        fill=COLOURS["muted"],
        font_style="italic",
    )


def _clip(share: float) -> float:
    """A share forced into 0..1, so that a corrupt value cannot wreck the axis range."""
    return min(max(share, 0.0), 1.0)


def _valid_shares(points: Sequence[Mapping[str, Any]], key: str) -> list[float]:
    """The finite shares of the valid points, clipped to 0..1."""
    shares = (finite_number(p.get(key)) for p in points if p.get("valid") is True)
    return [_clip(share) for share in shares if share is not None]


def _points(knob: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The knob's grid points that are mappings, in drawing order."""
    raw = knob.get("points")
    if not isinstance(raw, list | tuple):
        return []
    return _order([point for point in raw if isinstance(point, Mapping)])


def knob_chart(knob: Mapping[str, Any], budget_ham_block: float) -> str:
    """One ``<svg>`` element showing a threshold sweep of one knob.

    Args:
        knob: A ``knobs`` entry of the tune report: ``path``, ``base``, ``chosen`` and
            ``points`` (each with ``value``, ``valid``, ``feasible`` and the shares).
        budget_ham_block: The largest share of ham the tuned rules may block (0..1).

    Returns:
        Standalone SVG markup: spam caught (top panel) and ham blocked (bottom panel, with
        the budget dashed) against categorical threshold positions; filled points are
        within both budgets, hollow ones are not; invalid values leave gaps in the lines.
        Never raises on odd input: missing or non-finite numbers are left out.
    """
    path = visible_text(knob.get("path", ""), 80) or "(unnamed knob)"
    points = _points(knob)
    values = [point.get("value") for point in points]
    axis = _XAxis(len(points))
    budget = finite_number(budget_ham_block)
    budget = None if budget is None else _clip(budget)
    spam = _panel(_SPAM_PANEL, _valid_shares(points, "spam_caught_share"), from_zero=False)
    ham_values = _valid_shares(points, "ham_blocked_share") + ([budget] if budget else [])
    ham = _panel(_HAM_PANEL, ham_values, from_zero=True)
    base_at, chosen_at = _position(knob.get("base"), values), _position(knob.get("chosen"), values)

    body = [
        f"<title>{escape(path)}</title>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        _text(_INSET, 18, path, fill=COLOURS["text"], font_weight="700", font_size="14"),
        *_legend(budget),
        *_panel_frame(spam, "spam caught", COLOURS["spam"]),
        *_panel_frame(ham, "ham blocked", COLOURS["ham"]),
        *_budget_line(ham, budget),
        *_value_markers(knob, values, axis),
        *_series(points, axis, spam, "spam_caught_share", "spam"),
        *_series(points, axis, ham, "ham_blocked_share", "ham"),
        *_invalid_marks(points, axis),
        *_x_labels(values, axis, [base_at, chosen_at]),
        _text(
            (WIDTH + _LEFT - _RIGHT) / 2,
            _X_TITLE_Y,
            "threshold value",
            text_anchor="middle",
            fill=COLOURS["muted"],
        ),
    ]
    if not points:
        body.append(_note("no grid points"))
    elif not any(point.get("valid") is True for point in points):
        body.append(_note("every value made the rules invalid"))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="knob-chart" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'font-family="{escape(FONT)}" font-size="11">' + "".join(body) + "</svg>"
    )
