"""The catalogue of tunable thresholds."""

from __future__ import annotations

from spamguard.config import load_rules, load_rules_text
from spamguard.tuning.knobs import Knob, knobs_for, read, write


def test_every_knob_names_a_number_of_the_shipped_rules_and_its_grid_holds_it() -> None:
    policy = load_rules().defaults
    data = policy.model_dump(mode="json")
    knobs = knobs_for(policy)
    assert len({k.name for k in knobs}) == len(knobs)
    for knob in knobs:
        value = read(data, knob.path)
        assert value in knob.grid, knob.name
        numbers = [v for v in knob.grid if v is not None]
        assert numbers == sorted(numbers), knob.name
        assert knob.description, knob.name
    names = {k.name for k in knobs}
    assert {"urls.max_urls", "burst.windows[1].max_messages", "strikes.max_blocks"} <= names


def test_disabled_detectors_and_unselected_sections_have_no_knobs() -> None:
    policy = load_rules_text("version: 1\ndefaults: {emoji: {enabled: false}}").defaults
    sections = {k.detector for k in knobs_for(policy)}
    assert "emoji" not in sections
    assert "urls" in sections
    assert {k.detector for k in knobs_for(policy, ("urls", "strikes"))} == {"urls", "strikes"}


def test_an_off_grid_value_joins_the_grid_in_order() -> None:
    knob = Knob(("urls", "max_urls"), (0, 2, 4, None), "links")
    assert knob.with_value(3).grid == (0, 2, 3, 4, None)
    assert knob.with_value(2) is knob


def test_write_then_read() -> None:
    data = load_rules().defaults.model_dump(mode="json")
    write(data, ("burst", "windows", 0, "max_chars"), None)
    assert read(data, ("burst", "windows", 0, "max_chars")) is None
