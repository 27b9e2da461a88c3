"""Coordinate-wise search for the rule set that catches the most spam within the budgets.

Each pass sweeps every knob in turn over its grid, the others held where they are, and
moves it to the best value: first within the ham budgets (or as close as can be), then
most spam stopped, then least ham stopped. Ties keep the current value, so nothing moves
without a measured gain. Passes repeat until one moves nothing; that last pass is a profile
of every knob around the final point, which is what the report plots.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from spamguard.config import Rules, load_rules_text
from spamguard.errors import RulesError
from spamguard.tuning.evaluate import Evaluator
from spamguard.tuning.knobs import Knob, KnobPath, Value, read, write
from spamguard.tuning.tally import Tally

__all__ = ["Budgets", "Candidates", "Point", "Sweep", "TuneResult", "score", "tune"]

Assignment = tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class Budgets:
    """What tuning may cost.

    Attributes:
        max_ham_block: The largest share of ham posts that may be blocked or terminated.
        max_ham_terminate: The largest share of ham sessions that may be terminated.
    """

    max_ham_block: float
    max_ham_terminate: float

    def excess(self, tally: Tally) -> tuple[int, int]:
        """How far over each budget a tally is: (ham sessions, ham posts); 0 when within."""
        sessions = tally.session_count("ham", terminated=True)
        posts = tally.stopped("ham")
        return (
            max(0, sessions - _allowed(self.max_ham_terminate, tally.session_count("ham"))),
            max(0, posts - _allowed(self.max_ham_block, tally.posts("ham"))),
        )

    def within(self, tally: Tally) -> bool:
        """Whether a tally keeps both budgets."""
        return self.excess(tally) == (0, 0)


def _allowed(share: float, total: int) -> int:
    """The whole number of posts or sessions a share of `total` allows.

    The margin absorbs binary rounding: 0.0003 of 10,000 is 2.9999999999999996 in floats,
    and 3 blocked posts are within that budget.
    """
    return math.floor(share * total + 1e-9)


def score(tally: Tally, budgets: Budgets) -> tuple[float, ...]:
    """Larger is better: within budgets first, then spam stopped, then ham spared."""
    over_sessions, over_posts = budgets.excess(tally)
    return (
        -over_sessions,
        -over_posts,
        tally.stopped("spam"),
        -tally.stopped("ham"),
        -tally.session_count("ham", terminated=True),
    )


class Candidates:
    """Rule sets that differ from a base only in the defaults' knob values.

    Args:
        base_text: The base rules file's YAML (None: the shipped rules).
        source: Its name, for messages.
    """

    def __init__(self, base_text: str | None, source: str = "<shipped>") -> None:
        self.source = source
        text = base_text if base_text is not None else "version: 1\n"
        self.base = load_rules_text(text, source)
        loaded = yaml.safe_load(text)
        self.base_document: dict[str, Any] = loaded if isinstance(loaded, dict) else {}
        self.base_defaults = self.base.defaults.model_dump(mode="json")

    def value(self, path: KnobPath) -> Value:
        """The base rules' value of a knob."""
        return read(self.base_defaults, path)

    def overlay(self, knobs: Sequence[Knob], values: Assignment) -> dict[str, Any]:
        """The base document with the knobs' values written into ``defaults:``.

        Only values that differ from the base are written; burst windows are a list in
        the rules (a layer replaces a list whole), so a changed window writes them all.
        """
        document = copy.deepcopy(self.base_document)
        document.setdefault("version", 1)
        defaults = document.get("defaults")
        if not isinstance(defaults, dict):
            defaults = document["defaults"] = {}
        effective = copy.deepcopy(self.base_defaults)
        for knob, value in zip(knobs, values, strict=True):
            if value == read(self.base_defaults, knob.path):
                continue
            write(effective, knob.path, value)
            if knob.path[:2] == ("burst", "windows"):
                defaults.setdefault("burst", {})["windows"] = effective["burst"]["windows"]
            else:
                section, name = knob.path
                defaults.setdefault(str(section), {})[str(name)] = value
        return document

    def rules(self, knobs: Sequence[Knob], values: Assignment) -> Rules:
        """The rules with these knob values; RulesError when they are not valid."""
        text = yaml.safe_dump(self.overlay(knobs, values), sort_keys=False, allow_unicode=True)
        return load_rules_text(text, "<candidate>")


@dataclass(frozen=True, slots=True)
class Point:
    """One value of a knob's sweep and what it gave (no tally when it was invalid)."""

    value: Value
    tally: Tally | None
    problem: str = ""


@dataclass
class Sweep:
    """A knob's final profile: every grid value with the other knobs at their final values."""

    knob: Knob
    base: Value
    chosen: Value
    points: list[Point] = field(default_factory=list)

    def at(self, value: Value) -> Point | None:
        """The point of a value."""
        return next((p for p in self.points if p.value == value), None)


@dataclass
class TuneResult:
    """Where the search ended and what it measured on the way."""

    knobs: list[Knob]
    base_values: Assignment
    values: Assignment
    base: Tally
    tuned: Tally
    sweeps: list[Sweep]
    passes: int
    evaluations: int
    converged: bool
    elapsed_s: float

    def changed(self) -> list[tuple[Knob, Value, Value]]:
        """The knobs that moved: (knob, from, to)."""
        return [
            (knob, before, after)
            for knob, before, after in zip(self.knobs, self.base_values, self.values, strict=True)
            if before != after
        ]


Progress = Callable[[int, Knob, Value, Value, Tally], None]


def tune(
    evaluator: Evaluator,
    candidates: Candidates,
    knobs: Sequence[Knob],
    budgets: Budgets,
    *,
    max_passes: int = 3,
    on_knob: Progress | None = None,
    on_base: Callable[[Tally], None] | None = None,
) -> TuneResult:
    """Search knob by knob, pass after pass, for the best rule set within the budgets.

    Args:
        evaluator: The corpus, ready to replay.
        candidates: Builds the rule set of each assignment of knob values.
        knobs: What may move.
        budgets: What it may cost.
        max_passes: Passes that may move knobs; one more profiles the result if the
            last of them still moved something.
        on_knob: Called after each knob's sweep with (pass, knob, before, after, tally).
        on_base: Called with the base rules' tally before the search starts; it may
            raise to stop a search that cannot mean anything.
    """
    started = time.perf_counter()
    search = _Search(evaluator, candidates, list(knobs), budgets)
    base_values = tuple(candidates.value(knob.path) for knob in knobs)
    values = base_values
    base = search.tally(values)
    if on_base is not None:
        on_base(base)
    passes, sweeps = 0, list[Sweep]()
    while True:  # a pass that moves nothing has profiled the final point: stop there
        passes += 1
        may_move = passes <= max_passes
        values, sweeps, moved = search.one_pass(values, base_values, passes, may_move, on_knob)
        if not moved:
            break
    return TuneResult(
        knobs=list(knobs),
        base_values=base_values,
        values=values,
        base=base,
        tuned=search.tally(values),
        sweeps=sweeps,
        passes=passes,
        evaluations=search.evaluations,
        converged=passes <= max_passes,
        elapsed_s=time.perf_counter() - started,
    )


class _Search:
    """The search's state: a memo of evaluated assignments, so none is replayed twice."""

    def __init__(
        self,
        evaluator: Evaluator,
        candidates: Candidates,
        knobs: list[Knob],
        budgets: Budgets,
    ) -> None:
        self._evaluator, self._candidates = evaluator, candidates
        self._knobs, self._budgets = knobs, budgets
        self._memo: dict[Assignment, Tally | str] = {}
        self.evaluations = 0

    def tally(self, values: Assignment) -> Tally:
        outcome = self._evaluate([values])[0]
        if isinstance(outcome, str):  # only values a sweep found valid get here
            raise RuntimeError(f"rules expected to be valid failed to load: {outcome}")
        return outcome

    def one_pass(
        self,
        values: Assignment,
        base: Assignment,
        number: int,
        may_move: bool,
        on_knob: Progress | None,
    ) -> tuple[Assignment, list[Sweep], bool]:
        sweeps, moved = [], False
        for index, knob in enumerate(self._knobs):
            trials = [_assign(values, index, value) for value in knob.grid]
            outcomes = self._evaluate(trials)
            points = [
                Point(value, None, outcome) if isinstance(outcome, str) else Point(value, outcome)
                for value, outcome in zip(knob.grid, outcomes, strict=True)
            ]
            before = values[index]
            best = self._best(points, before, base[index]) if may_move else before
            if best != before:
                values, moved = _assign(values, index, best), True
            sweeps.append(Sweep(knob, base[index], best, points))
            if on_knob is not None:
                chosen = self._memo[values]
                assert not isinstance(chosen, str)
                on_knob(number, knob, before, best, chosen)
        return values, sweeps, moved

    def _best(self, points: list[Point], current: Value, base: Value) -> Value:
        """The best-scoring value; among equals, the base value, then the current one,
        then the one nearest the base value on the grid.

        Going back to the base value on a tie undoes moves that later moves made
        pointless, so the tuned rules change only what earns its keep.
        """
        valid = [(i, p) for i, p in enumerate(points) if p.tally is not None]
        scores = [score(p.tally, self._budgets) for _, p in valid if p.tally is not None]
        top = max(scores)
        best = [(i, p.value) for (i, p), s in zip(valid, scores, strict=True) if s == top]
        values = [value for _, value in best]
        for preferred in (base, current):
            if preferred in values:
                return preferred
        at_base = next((i for i, p in enumerate(points) if p.value == base), 0)
        return min(best, key=lambda entry: abs(entry[0] - at_base))[1]

    def _evaluate(self, trials: list[Assignment]) -> list[Tally | str]:
        fresh: dict[Assignment, Rules] = {}
        for values in trials:
            if values in self._memo or values in fresh:
                continue
            try:
                fresh[values] = self._candidates.rules(self._knobs, values)
            except RulesError as exc:
                self._memo[values] = _first_problem(exc)
        if fresh:
            tallies = self._evaluator.evaluate(list(fresh.values()))
            self.evaluations += len(tallies)
            self._memo.update(zip(fresh, tallies, strict=True))
        return [self._memo[values] for values in trials]


def _assign(values: Assignment, index: int, value: Value) -> Assignment:
    return (*values[:index], value, *values[index + 1 :])


def _first_problem(error: RulesError) -> str:
    issue = error.issues[0] if error.issues else None
    return issue.problem if issue is not None else str(error)
