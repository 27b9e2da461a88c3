"""Burst detector: posts and characters per sliding window, several windows."""

from __future__ import annotations

import pytest

from spamguard.detectors.burst import BurstDetector
from spamguard.stores import Event
from tests.detectors.conftest import NOW, codes_for


def _posts(count: int, every: float, chars: int = 10) -> tuple[Event, ...]:
    return tuple(Event(NOW - (count - i) * every, i, f"p{i}", chars) for i in range(count))


@pytest.mark.parametrize(
    ("earlier", "expected"),
    [
        pytest.param(_posts(5, 1.5), [], id="fast-typer-six-lines"),
        pytest.param(_posts(7, 1.0), [], id="eight-in-ten-seconds"),
        pytest.param(_posts(8, 1.0), ["SG601"], id="nine-in-ten-seconds"),
        pytest.param(_posts(20, 0.45), ["SG603", "SG601"], id="extreme-short-window"),
        pytest.param(_posts(20, 2.9), ["SG601"], id="long-window"),
        pytest.param(_posts(40, 0.2), ["SG603", "SG603"], id="extreme-both-windows"),
        pytest.param(_posts(20, 30.0), [], id="steady-chat"),
        pytest.param(_posts(3, 2.0, chars=2500), ["SG602"], id="characters"),
    ],
)
def test_burst(earlier: tuple[Event, ...], expected: list[str]) -> None:
    assert codes_for(BurstDetector, "next post", events=earlier) == expected


def test_windows_are_configurable() -> None:
    windows = [{"seconds": 5, "max_messages": 2}]
    assert codes_for(BurstDetector, "x", events=_posts(2, 1.0), windows=windows) == ["SG601"]
    assert codes_for(BurstDetector, "x", events=_posts(2, 3.0), windows=windows) == []
