"""The records of the store protocol: `History` and its helpers."""

from __future__ import annotations

import pytest

from spamguard.stores import Event, History


@pytest.mark.parametrize("ordered", [True, False])
def test_within_finds_the_newest_posts_by_bisection(ordered: bool) -> None:
    history = History(times=(1.0, 2.0, 3.0, 4.0), ordered=ordered)
    assert history.within(2.0) == range(2, 4)
    assert history.within(0.0) == range(4)
    assert history.within(4.0) == range(4, 4)


def test_within_tests_every_post_when_a_clock_went_back() -> None:
    history = History(times=(1.0, 5.0, 2.0, 6.0))
    assert list(history.within(1.5)) == [1, 2, 3]
    assert list(history.within(4.0)) == [1, 3]
    assert list(history.within(5.5)) == [3]


def test_history_of_events_round_trips() -> None:
    events = (Event(1.0, 7, "a", 1), Event(2.0, 8, "", 2))
    history = History.of(events)
    assert history.events() == events
    assert History(times=(1.0, 2.0), fingerprints=(7, 8), chars=(1, 2), keys=("b",)).events() == (
        Event(1.0, 7, "", 1),
        Event(2.0, 8, "b", 2),
    )


def test_pick_reads_a_column_at_the_positions_within_returns() -> None:
    ordered = History(times=(1.0, 2.0, 3.0), chars=(10, 20, 30), ordered=True)
    assert list(ordered.pick(ordered.chars, ordered.within(1.5))) == [20, 30]
    jumbled = History(times=(1.0, 5.0, 2.0), chars=(10, 20, 30))
    assert list(jumbled.pick(jumbled.chars, jumbled.within(1.5))) == [20, 30]
    assert list(jumbled.pick(jumbled.chars, jumbled.within(4.0))) == [20]
