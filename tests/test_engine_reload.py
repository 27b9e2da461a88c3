"""`Engine.reload`: new rules in force in one step, or the last good ones kept and said so."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from spamguard import Action, Engine, Message
from spamguard.config import load_rules_text
from spamguard.errors import RulesError
from spamguard.stores import MemoryStore
from tests.conftest import FakeClock

LONGISH = "please help me with my order " * 5  # 145 characters: allowed by the shipped rules


def _rules_file(tmp_path: Path, max_chars: int) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(f"version: 1\ndefaults:\n  length:\n    max_chars: {max_chars}\n", "utf-8")
    return path


def _engine(path: Path, clock: FakeClock) -> Engine:
    return Engine(path, store=MemoryStore(), clock=clock)


def _events(caplog: pytest.LogCaptureFixture, event: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "spamguard", {}).get("event") == event]


def _action(engine: Engine, text: str = LONGISH, session: str = "s") -> Action:
    return engine.check(Message(text=text, session=session)).action


def test_reload_reads_the_rules_file_again(tmp_path: Path, clock: FakeClock) -> None:
    path = _rules_file(tmp_path, 1000)
    engine = _engine(path, clock)
    assert _action(engine) is Action.ALLOW

    path.write_text(path.read_text("utf-8").replace("1000", "100"), "utf-8")
    loaded = engine.reload()

    assert loaded is engine.rules
    assert engine.rules.defaults.length.max_chars == 100
    assert _action(engine, session="t") is Action.BLOCK


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        ("version: 1\ndefaults:\n  length:\n    max_chars: lots\n", "defaults.length.max_chars"),
        ("version: 1\ndefaults: [unclosed\n", "invalid YAML"),
        ("version: 1\ndefaults:\n  lenght: {max_chars: 5}\n", "unknown key 'lenght'"),
        (
            "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n"
            + "".join(
                f"{chr(98 + n)}: &{chr(98 + n)} [*{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)},"
                f" *{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)},"
                f" *{chr(97 + n)}, *{chr(97 + n)}]\n"
                for n in range(6)
            ),
            "aliases expand it",
        ),
    ],
    ids=["wrong-type", "not-yaml", "typo", "alias-bomb"],
)
def test_a_bad_reload_keeps_the_last_good_rules_and_says_so(
    tmp_path: Path,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    broken: str,
    expected: str,
) -> None:
    path = _rules_file(tmp_path, 100)
    engine = _engine(path, clock)
    good = engine.rules
    path.write_text(broken, "utf-8")

    with caplog.at_level(logging.ERROR, logger="spamguard"), pytest.raises(RulesError) as caught:
        engine.reload()

    assert expected in str(caught.value)
    assert str(caught.value.issues[-1]) == (
        f"{path}: reload refused: the rules in force stay in force"
    )
    assert engine.rules is good
    assert _action(engine) is Action.BLOCK  # still max_chars 100
    [record] = _events(caplog, "spamguard.rules_reload_failed")
    assert record.levelno == logging.ERROR
    assert record.spamguard["in_force"] == str(path)
    assert any(expected in problem for problem in record.spamguard["problems"])


def test_a_missing_file_on_reload_is_refused(tmp_path: Path, clock: FakeClock) -> None:
    path = _rules_file(tmp_path, 100)
    engine = _engine(path, clock)
    path.unlink()
    with pytest.raises(RulesError, match="cannot read"):
        engine.reload()
    assert _action(engine) is Action.BLOCK


def test_rules_from_no_file_cannot_be_read_again(clock: FakeClock) -> None:
    engine = Engine(load_rules_text("version: 1\n"), store=MemoryStore(), clock=clock)
    with pytest.raises(RulesError, match="not read from a file"):
        engine.reload()
    shipped = Engine(store=MemoryStore(), clock=clock)
    with pytest.raises(RulesError, match="not read from a file"):
        shipped.reload()


def test_reload_keeps_session_state(tmp_path: Path, clock: FakeClock) -> None:
    path = _rules_file(tmp_path, 2000)
    engine = _engine(path, clock)
    spam = "Earn $500 a day from home, message me on WhatsApp now"
    actions = []
    for n in range(5):
        if n == 2:
            engine.reload(path)  # the same rules: the duplicates and strikes go on counting
        clock.advance(20)
        actions.append(_action(engine, spam))
    assert actions == [Action.ALLOW, Action.ALLOW, Action.BLOCK, Action.BLOCK, Action.TERMINATE]


def test_a_changed_store_section_waits_for_a_restart(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    path = _rules_file(tmp_path, 100)
    engine = _engine(path, clock)
    store = engine.store
    path.write_text("version: 1\nstore:\n  url: redis://127.0.0.1:1/0\n", "utf-8")

    with caplog.at_level(logging.INFO, logger="spamguard"):
        engine.reload()

    assert engine.store is store
    assert engine.rules.store is not None
    [record] = _events(caplog, "spamguard.rules_reloaded")
    assert "takes effect on restart" in record.spamguard["store_unchanged"]


def test_checks_during_reloads_run_wholly_under_one_rule_set(
    tmp_path: Path, clock: FakeClock
) -> None:
    strict = load_rules_text("version: 1\ndefaults:\n  length: {max_chars: 100}\n")
    lenient = load_rules_text("version: 1\ndefaults:\n  length: {max_chars: 1000}\n")
    engine = Engine(strict, store=MemoryStore(), clock=clock)
    stop = threading.Event()

    def flip() -> None:
        for n in range(200):
            engine.reload(lenient if n % 2 else strict)
        stop.set()

    flipper = threading.Thread(target=flip)
    flipper.start()
    seen: set[tuple[Action, tuple[str, ...]]] = set()
    checks = 0
    while not stop.is_set() and checks < 100_000:  # bounded either way
        verdict = engine.check(Message(text=LONGISH, session=f"s{checks}"))
        seen.add((verdict.action, verdict.codes))
        checks += 1
    flipper.join()
    # Each verdict is the strict one or the lenient one, never a mixture or an error.
    assert seen <= {(Action.BLOCK, ("SG101",)), (Action.ALLOW, ())}
