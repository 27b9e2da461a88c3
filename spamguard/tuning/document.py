"""The tuning report as data: the ``--format json`` document the HTML page is drawn from."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from spamguard import __version__
from spamguard.codes import CATALOGUE
from spamguard.tuning.knobs import Value
from spamguard.tuning.search import Budgets, Sweep, TuneResult
from spamguard.tuning.tally import Tally
from spamguard.verdict import Action

__all__ = ["REPORT_VERSION", "CorpusFacts", "build_document", "why"]

REPORT_VERSION = 1


@dataclass(frozen=True, slots=True)
class CorpusFacts:
    """What the report says of the corpus beyond what the tallies count."""

    path: str
    lines: int
    skipped_invalid: int
    rules_base: str
    jobs: int


def build_document(result: TuneResult, budgets: Budgets, corpus: CorpusFacts) -> dict[str, Any]:
    """The whole report, JSON-ready (see ``docs/tuning.md`` for its fields)."""
    return {
        "spamguard_tune_report": REPORT_VERSION,
        "generated_by": f"spamguard {__version__} tune",
        "corpus": _corpus(result.base, corpus),
        "rules_base": corpus.rules_base,
        "budgets": {
            "max_ham_block": budgets.max_ham_block,
            "max_ham_terminate": budgets.max_ham_terminate,
        },
        "search": {
            "passes": result.passes,
            "evaluations": result.evaluations,
            "elapsed_s": round(result.elapsed_s, 2),
            "jobs": corpus.jobs,
            "converged": result.converged,
        },
        "base": outcome(result.base, budgets),
        "tuned": outcome(result.tuned, budgets),
        "knobs": [_knob(sweep, budgets) for sweep in result.sweeps],
        "changes": [
            {"path": knob.name, "from": before, "to": after, "why": why(sweep, budgets)}
            for (knob, before, after), sweep in _changed_sweeps(result)
        ],
    }


def outcome(tally: Tally, budgets: Budgets) -> dict[str, Any]:
    """What one rule set did on the corpus."""
    ham, spam = tally.posts("ham"), tally.posts("spam")
    ham_sessions = tally.session_count("ham")
    ham_terminated = tally.session_count("ham", terminated=True)
    return {
        "confusion": {
            label: {a.value: tally.confusion.get(label, Counter())[a.value] for a in Action}
            for label in ("ham", "spam")
        },
        "ham_blocked": tally.stopped("ham"),
        "ham_blocked_share": _share(tally.stopped("ham"), ham),
        "spam_caught": tally.stopped("spam"),
        "spam_caught_share": _share(tally.stopped("spam"), spam),
        "ham_sessions_terminated": ham_terminated,
        "ham_sessions_terminated_share": _share(ham_terminated, ham_sessions),
        "spam_sessions_terminated": tally.session_count("spam", terminated=True),
        "feasible": budgets.within(tally),
        "kinds": [
            {"kind": kind, "label": label, "messages": c["posts"], "caught": c["stopped"]}
            for (kind, label), c in sorted(tally.kinds.items(), key=lambda kv: kv[0][::-1])
        ],
        "codes": [
            {
                "code": code,
                "slug": CATALOGUE[code].slug if code in CATALOGUE else "",
                "ham": counts.get("ham", 0),
                "spam": counts.get("spam", 0),
                "examples": [
                    {"line": e.line, "label": e.label, "action": e.action, "text": e.text}
                    for e in tally.examples.get(code, [])
                ],
            }
            for code, counts in sorted(tally.codes.items())
        ],
    }


def why(sweep: Sweep, budgets: Budgets) -> str:
    """A changed value's reason: its figures against the base value's, others as tuned."""
    chosen, base = sweep.at(sweep.chosen), sweep.at(sweep.base)
    if chosen is None or chosen.tally is None:
        return "moved by an earlier pass"  # pragma: no cover - a chosen value is valid
    after = chosen.tally
    if base is None or base.tally is None:
        reason = base.problem if base is not None else "not on the grid"
        return f"{_figures(after)}; the old value is invalid with the other changes ({reason})"
    before = base.tally
    text = (
        f"spam caught {_spam(before):.2%} -> {_spam(after):.2%}, "
        f"ham blocked {_ham(before):.3%} -> {_ham(after):.3%}"
    )
    sessions = [t.session_count("ham", terminated=True) for t in (before, after)]
    if any(sessions):
        text += f", ham sessions terminated {sessions[0]} -> {sessions[1]}"
    return text + _budget_note(before, after, budgets)


def _spam(tally: Tally) -> float:
    return _share(tally.stopped("spam"), tally.posts("spam"))


def _ham(tally: Tally) -> float:
    return _share(tally.stopped("ham"), tally.posts("ham"))


def _figures(tally: Tally) -> str:
    return f"spam caught {_spam(tally):.2%}, ham blocked {_ham(tally):.3%}"


def _budget_note(before: Tally, after: Tally, budgets: Budgets) -> str:
    if budgets.within(after) and not budgets.within(before):
        return " (back within the budgets)"
    if not budgets.within(after):
        return " (closest to the budgets)"
    return ""


def _changed_sweeps(result: TuneResult) -> list[tuple[tuple[Any, Value, Value], Sweep]]:
    by_name = {sweep.knob.name: sweep for sweep in result.sweeps}
    return [(change, by_name[change[0].name]) for change in result.changed()]


def _knob(sweep: Sweep, budgets: Budgets) -> dict[str, Any]:
    knob = sweep.knob
    return {
        "path": knob.name,
        "detector": knob.detector,
        "description": knob.description,
        "base": sweep.base,
        "chosen": sweep.chosen,
        "points": [_point(p.value, p.tally, p.problem, budgets) for p in sweep.points],
    }


def _point(value: Value, tally: Tally | None, problem: str, budgets: Budgets) -> dict[str, Any]:
    if tally is None:
        return {
            "value": value,
            "valid": False,
            "problem": problem,
            "ham_blocked": 0,
            "ham_blocked_share": 0.0,
            "spam_caught": 0,
            "spam_caught_share": 0.0,
            "ham_sessions_terminated": 0,
            "feasible": False,
        }
    return {
        "value": value,
        "valid": True,
        "ham_blocked": tally.stopped("ham"),
        "ham_blocked_share": _share(tally.stopped("ham"), tally.posts("ham")),
        "spam_caught": tally.stopped("spam"),
        "spam_caught_share": _share(tally.stopped("spam"), tally.posts("spam")),
        "ham_sessions_terminated": tally.session_count("ham", terminated=True),
        "feasible": budgets.within(tally),
    }


def _corpus(base: Tally, facts: CorpusFacts) -> dict[str, Any]:
    labels = ("ham", "spam", "unlabelled")
    posts = {label: base.posts(label) for label in labels}
    sessions = {label: base.session_count(label) for label in labels}
    return {
        "path": facts.path,
        "lines": facts.lines,
        "messages": sum(posts.values()),
        "ham": posts["ham"],
        "spam": posts["spam"],
        "unlabelled": posts["unlabelled"],
        "sessions": sum(sessions.values()),
        "ham_sessions": sessions["ham"],
        "spam_sessions": sessions["spam"],
        "skipped_invalid": facts.skipped_invalid,
    }


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0
