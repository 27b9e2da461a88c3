"""The thresholds a sweep may move, and the values it tries for each.

Grids are fixed lists that span what is sensible for customer-service chat, from strict to
lax, spaced more finely where a step changes most; the current value is always tried too.
A value that makes the rules invalid (an extreme threshold at or below its block
threshold, say) is reported as invalid, never silently moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spamguard.config.models import PolicyRules

__all__ = ["Knob", "KnobPath", "Value", "knobs_for", "read", "write"]

Value = int | float | None
KnobPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Knob:
    """One threshold: where it sits in a policy and the values a sweep tries.

    Attributes:
        path: Keys from the policy down to the value, e.g. ``("urls", "max_urls")`` or
            ``("burst", "windows", 0, "max_messages")``.
        grid: The values tried, in increasing order (None, "no limit", last).
        description: What the threshold limits, for the report.
    """

    path: KnobPath
    grid: tuple[Value, ...]
    description: str

    @property
    def name(self) -> str:
        """The dotted path, as in rules files: ``burst.windows[0].max_messages``."""
        text = ""
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
        return text

    @property
    def detector(self) -> str:
        """The rules section the threshold belongs to."""
        return str(self.path[0])

    def with_value(self, current: Value) -> Knob:
        """The knob with the current value added to its grid."""
        if current in self.grid:
            return self
        numbers = sorted(v for v in (*self.grid, current) if v is not None)
        tail: tuple[Value, ...] = (None,) if None in (*self.grid, current) else ()
        return Knob(self.path, (*numbers, *tail), self.description)


_FIXED: tuple[tuple[KnobPath, tuple[Value, ...]], ...] = (
    (("length", "max_chars"), (500, 1000, 1500, 2000, 3000, 4000, 6000, 10_000)),
    (("length", "max_lines"), (10, 20, 30, 45, 60, 100, 200)),
    (("length", "extreme_chars"), (5_000, 10_000, 20_000, 50_000, 100_000)),
    (("length", "extreme_lines"), (100, 200, 500, 1000, 2000)),
    (("urls", "max_urls"), (0, 1, 2, 3, 4, 5, 6, 8, 10)),
    (("urls", "extreme_urls"), (5, 8, 10, 15, 20, 30, 50)),
    (("duplicates", "window_s"), (60.0, 120.0, 300.0, 600.0, 1800.0)),
    (("duplicates", "min_chars"), (4, 8, 12, 16, 24, 32, 48)),
    (("duplicates", "max_repeats"), (1, 2, 3, 4, 5, 6)),
    (("duplicates", "max_near_repeats"), (1, 2, 3, 4, 5, 6)),
    (("duplicates", "extreme_repeats"), (3, 4, 5, 6, 8, 10, 12, 16)),
    (("duplicates", "similarity"), (70.0, 75.0, 80.0, 85.0, 88.0, 90.0, 92.0, 95.0, 98.0)),
    (("duplicates", "compare_last"), (2, 3, 5, 10, 15, 20)),
    (("emoji", "max_emoji"), (5, 10, 15, 20, 30, 40, 50, 80, 120)),
    (("emoji", "extreme_emoji"), (60, 100, 150, 200, 300, 500)),
    (("emoji", "max_share"), (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)),
    (("emoji", "min_chars"), (4, 8, 12, 16, 24, 32)),
    (("symbols", "max_share"), (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0)),
    (("symbols", "min_chars"), (8, 16, 24, 32, 48, 64)),
    (("symbols", "max_run"), (10, 20, 30, 50, 75, 100, 150, 200)),
    (("symbols", "extreme_run"), (200, 300, 500, 1000, 2000)),
    (("symbols", "max_marks"), (2, 3, 4, 5, 6, 8, 10, 15, 20)),
    (("symbols", "extreme_marks"), (10, 20, 30, 60, 100)),
)
_PER_WINDOW: tuple[tuple[str, tuple[Value, ...]], ...] = (
    ("max_messages", (3, 4, 5, 6, 8, 10, 12, 15, 20, 30)),
    ("extreme_messages", (10, 15, 20, 30, 40, 60, None)),
    ("max_chars", (2000, 4000, 6000, 8000, 12_000, 20_000, None)),
)
_STRIKES: tuple[KnobPath, tuple[Value, ...]] = (("strikes", "max_blocks"), (0, 1, 2, 3, 4, 5))


def knobs_for(policy: PolicyRules, detectors: tuple[str, ...] | None = None) -> list[Knob]:
    """The knobs of a policy's enabled detectors (and strikes), with its values in the grids.

    Args:
        policy: The policy whose thresholds are swept (its burst windows set how many
            window knobs there are).
        detectors: Only these rules sections (``strikes`` included); None for all.
    """
    entries = list(_FIXED)
    for index in range(len(policy.burst.windows)):
        entries += [(("burst", "windows", index, name), grid) for name, grid in _PER_WINDOW]
    entries.append(_STRIKES)
    knobs = []
    for path, grid in entries:
        section = str(path[0])
        if detectors is not None and section not in detectors:
            continue
        if not getattr(policy, section).enabled:
            continue
        knob = Knob(path, grid, _describe(policy, path))
        knobs.append(knob.with_value(read(policy.model_dump(mode="json"), path)))
    return knobs


def read(data: dict[str, Any], path: KnobPath) -> Value:
    """The value at `path` in a dumped policy."""
    node: Any = data
    for part in path:
        node = node[part]
    if node is not None and not isinstance(node, int | float):
        raise TypeError(f"{path} holds {node!r}, not a number")
    return node


def write(data: dict[str, Any], path: KnobPath, value: Value) -> None:
    """Set the value at `path` in a dumped policy (in place)."""
    node: Any = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _describe(policy: PolicyRules, path: KnobPath) -> str:
    model: Any = policy
    for part in path[:-1]:
        model = model[part] if isinstance(part, int) else getattr(model, part)
    field = type(model).model_fields[str(path[-1])]
    return field.description or str(path[-1])
