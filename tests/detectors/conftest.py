"""Helpers for detector tables: shipped thresholds, overridable, on analysed text."""

from __future__ import annotations

from typing import Any

from spamguard import load_rules
from spamguard.detectors import Context, Detector, DetectorRules
from spamguard.stores import Event, History
from spamguard.text import analyse

NOW = 1_700_000_000.0


def codes_for(
    detector_class: type[Detector[Any]],
    text: str,
    *,
    events: tuple[Event, ...] = (),
    now: float = NOW,
    **overrides: Any,
) -> list[str]:
    """The codes a detector with the shipped thresholds (plus overrides) finds in `text`."""
    shipped: DetectorRules = getattr(load_rules().defaults, detector_class.name)
    rules = shipped.model_validate({**shipped.model_dump(), **overrides})
    findings = detector_class(rules).assess(Context(analyse(text), History.of(events), now))
    return [finding.code.code for finding in findings]


def history(*texts: str, every: float = 10.0, now: float = NOW) -> tuple[Event, ...]:
    """Earlier posts of the sender, the last one `every` seconds before `now`."""
    events = []
    for age, text in zip(range(len(texts), 0, -1), texts, strict=True):
        features = analyse(text)
        events.append(Event(now - age * every, features.fingerprint, features.key, features.chars))
    return tuple(events)
