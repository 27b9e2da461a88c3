"""The threshold search: honest figures, budgets kept, no change without a gain."""

from __future__ import annotations

import json

import pytest

from spamguard.config import load_rules_text
from spamguard.replay import CorpusLine, parse_line
from spamguard.synth import synthesize
from spamguard.tuning.evaluate import Evaluator, evaluate_lines
from spamguard.tuning.knobs import knobs_for
from spamguard.tuning.search import Budgets, Candidates, score, tune
from spamguard.tuning.tally import Tally

LINKS = "see https://a.example/x https://b.example/y"


def _lines(raw: list[dict[str, object]]) -> list[CorpusLine]:
    return [parse_line(n, json.dumps(obj)) for n, obj in enumerate(raw, start=1)]


def _link_corpus() -> list[CorpusLine]:
    """Two-link posts: 6 spam sessions post them, one ham session posts one too."""
    raw: list[dict[str, object]] = []
    for s in range(6):
        raw.append({"text": LINKS, "session": f"spam{s}", "ts": 10 * s, "label": "spam"})
    for s in range(20):
        raw.append({"text": "where is my parcel?", "session": f"ham{s}", "ts": 100 + s})
        raw[-1]["label"] = "ham"
    raw.append({"text": LINKS, "session": "ham0", "ts": 200, "label": "ham"})
    return _lines(raw)


def _tune(lines: list[CorpusLine], budgets: Budgets, base: str | None = None, **kw: object):
    candidates = Candidates(base)
    knobs = knobs_for(candidates.base.defaults, ("urls",))
    with Evaluator(lines) as evaluator:
        return candidates, tune(evaluator, candidates, knobs, budgets, **kw)  # type: ignore[arg-type]


def test_a_loose_budget_buys_spam_caught_and_the_figures_are_a_real_replay() -> None:
    lines = _link_corpus()
    candidates, result = _tune(lines, Budgets(max_ham_block=0.05, max_ham_terminate=0.0))
    assert {k.name: (a, b) for k, a, b in result.changed()} == {"urls.max_urls": (3, 1)}
    assert result.base.stopped("spam") == 0
    assert result.tuned.stopped("spam") == 6
    assert result.tuned.stopped("ham") == 1  # 1 of 21 ham posts: within 5%
    assert result.converged
    # The tuned tally is what the written rules really do, replayed afresh.
    rules = load_rules_text(_yaml(candidates.overlay(result.knobs, result.values)))
    fresh = evaluate_lines(_timed(lines), rules)
    assert fresh.confusion == result.tuned.confusion


def test_a_tight_budget_keeps_the_ham_post() -> None:
    _, result = _tune(_link_corpus(), Budgets(max_ham_block=0.01, max_ham_terminate=0.0))
    assert result.changed() == []  # 1 ham post in 21 is over 1%: nothing may move
    assert result.tuned.stopped("ham") == 0


def test_a_base_over_budget_is_brought_back_within_it() -> None:
    base = "version: 1\ndefaults: {urls: {max_urls: 1}}\n"
    _, result = _tune(_link_corpus(), Budgets(max_ham_block=0.0, max_ham_terminate=0.0), base)
    assert result.base.stopped("ham") == 1
    assert result.tuned.stopped("ham") == 0
    assert [(k.name, a, b) for k, a, b in result.changed()] == [("urls.max_urls", 1, 2)]


def test_invalid_grid_values_are_points_without_a_tally() -> None:
    base = "version: 1\ndefaults: {urls: {extreme_urls: 5}}\n"
    _, result = _tune(_link_corpus(), Budgets(0.05, 0.0), base)
    sweep = next(s for s in result.sweeps if s.knob.name == "urls.max_urls")
    assert [p.value for p in sweep.points] == [0, 1, 2, 3, 4, 5, 6, 8, 10]
    invalid = [p for p in sweep.points if p.tally is None]
    assert [p.value for p in invalid] == [5, 6, 8, 10]  # not below extreme_urls 5
    assert all("extreme_urls must be greater than max_urls" in p.problem for p in invalid)


def test_ties_go_back_to_the_base_value() -> None:
    # No post has any link: no value of max_urls changes anything, so nothing moves.
    lines = _lines(
        [{"text": "hello there", "session": f"s{n}", "ts": n, "label": "ham"} for n in range(5)]
        + [{"text": "x" * 3000, "session": "spam", "ts": 9, "label": "spam"}]
    )
    _, result = _tune(lines, Budgets(0.5, 0.5))
    assert result.changed() == []
    assert result.passes == 1


def test_score_puts_budgets_before_catches() -> None:
    budgets = Budgets(max_ham_block=0.1, max_ham_terminate=0.0)
    within = Tally(confusion={"ham": _c(allow=10), "spam": _c(block=1, allow=9)})
    over = Tally(confusion={"ham": _c(allow=8, block=2), "spam": _c(block=10)})
    assert budgets.within(within)
    assert not budgets.within(over)
    assert score(within, budgets) > score(over, budgets)


def test_sharded_evaluation_adds_up_to_the_single_process_one() -> None:
    lines = _lines(list(synthesize(60, 0.3, seed=5)))
    rules = [Candidates(None).base, load_rules_text("version: 1\ndefaults: {urls: {max_urls: 0}}")]
    with Evaluator(lines, jobs=1) as one, Evaluator(lines, jobs=2) as two:
        for a, b in zip(one.evaluate(rules), two.evaluate(rules), strict=True):
            assert a.confusion == b.confusion
            assert a.sessions == b.sessions
            assert a.codes == b.codes
            assert a.examples == b.examples
            assert a.kinds == b.kinds


def _c(**counts: int) -> object:
    from collections import Counter

    return Counter(counts)


def _timed(lines: list[CorpusLine]) -> list[CorpusLine]:
    from spamguard.replay import timed

    return list(timed(lines))


def _yaml(document: dict[str, object]) -> str:
    import yaml

    return yaml.safe_dump(document)


@pytest.fixture(autouse=True)
def _no_workers_left() -> object:
    yield
    import multiprocessing

    assert not [p for p in multiprocessing.active_children() if p.name.startswith("spamguard")]


def test_a_budget_met_exactly_is_within_it_despite_float_rounding() -> None:
    from collections import Counter

    tally = Tally(confusion={"ham": Counter(allow=9_997, block=3)})
    assert Budgets(max_ham_block=0.0003, max_ham_terminate=0.0).within(tally)
    assert not Budgets(max_ham_block=0.0002, max_ham_terminate=0.0).within(tally)
