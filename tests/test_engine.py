"""Scenario tests of the engine on a fake clock: verdicts, escalation, retries, roles."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from spamguard import Action, Engine, Message, Role
from spamguard.stores import MemoryStore
from tests.conftest import EngineFactory, FakeClock, post

SPAM = "Earn $500 a day from home, message me on WhatsApp now"


def test_default_engine_allows_ordinary_chat() -> None:
    engine = Engine()
    verdict = engine.check(Message(text="Hello I need help with my refund", session="s", ts=1.0))
    assert verdict.action is Action.ALLOW
    assert verdict.reasons == ()
    assert verdict.notice is None
    assert verdict.http_status == 200


def test_block_carries_notice_without_codes(make_engine: EngineFactory) -> None:
    engine = make_engine()
    verdict = engine.check(Message(text="a b c d e f g h i j " * 150, session="s"))
    assert verdict.action is Action.BLOCK
    assert verdict.codes == ("SG101",)
    assert verdict.notice is not None
    assert "SG" not in verdict.notice
    assert "2000" not in verdict.notice
    reason = verdict.reasons[0]
    assert (reason.slug, reason.detector, reason.acted) == ("message-too-long", "length", True)
    assert reason.observed == 3000
    assert reason.limit == 2000
    assert reason.message == "3000 characters > 2000"
    assert verdict.log["codes"] == ["SG101"]
    assert "text" not in verdict.log


def test_third_identical_post_blocks_then_strikes_escalate(
    make_engine: EngineFactory, clock: FakeClock
) -> None:
    engine = make_engine()
    actions = [post(engine, clock, SPAM, after=20) for _ in range(5)]
    # Posts 3 and 4 are blocked (strikes 1 and 2); the 5th is the third block: terminate.
    assert actions == ["allow", "allow", "block", "block", "terminate"]
    later = engine.check(Message(text="sorry, hello?", session="s1"))
    assert later.action is Action.TERMINATE
    assert later.codes == ("SG005",)
    assert later.http_status == 409


def test_strikes_decay(make_engine: EngineFactory, clock: FakeClock) -> None:
    engine = make_engine("defaults:\n  strikes: {max_blocks: 1, window_s: 60}\n")
    big = "x y " * 1200
    assert post(engine, clock, big) == "block"
    assert post(engine, clock, big, after=61) == "block"  # the first strike decayed
    assert post(engine, clock, big, after=1) == "terminate"


def test_extreme_finding_terminates_at_once(make_engine: EngineFactory) -> None:
    engine = make_engine()
    verdict = engine.check(Message(text="x" * 60_000, session="s"))
    assert verdict.action is Action.TERMINATE
    assert "SG103" in verdict.codes
    assert "SG006" in verdict.codes
    assert verdict.notice == engine.rules.defaults.notices.terminate


def test_other_sessions_and_tenants_are_independent(
    make_engine: EngineFactory, clock: FakeClock
) -> None:
    engine = make_engine()
    for session in ("a", "b", "c"):
        assert post(engine, clock, SPAM, session=session) == "allow"
    assert post(engine, clock, SPAM, session="a", tenant="other") == "allow"


def test_agent_window_is_separate_from_end_user(
    make_engine: EngineFactory, clock: FakeClock
) -> None:
    engine = make_engine()
    text = "Could you share your order number please?"
    assert post(engine, clock, text, role=Role.AGENT, sender="sam") == "allow"
    assert post(engine, clock, text, role=Role.AGENT, sender="sam", after=5) == "allow"
    assert post(engine, clock, text, after=5) == "allow"
    assert post(engine, clock, text, after=5) == "allow"
    assert post(engine, clock, text, role=Role.AGENT, sender="sam", after=5) == "block"


@pytest.mark.parametrize(("bypass", "expected"), [(False, "block"), (True, "allow")])
def test_agent_bypass(make_engine: EngineFactory, bypass: bool, expected: str) -> None:
    engine = make_engine(f"defaults:\n  agent_bypass: {str(bypass).lower()}\n")
    verdict = engine.check(Message(text="x " * 3000, session="s", role=Role.AGENT, sender="a"))
    assert verdict.action.value == expected
    if bypass:
        assert verdict.codes == ("SG002",)
    end_user = engine.check(Message(text="x " * 3000, session="s"))
    assert end_user.action is Action.BLOCK


def test_system_posts_are_never_checked(make_engine: EngineFactory) -> None:
    verdict = make_engine().check(Message(text="x" * 90_000, session="s", role=Role.SYSTEM))
    assert verdict.action is Action.ALLOW
    assert verdict.codes == ("SG003",)


def test_disabled_tenant_and_interface(make_engine: EngineFactory) -> None:
    engine = make_engine(
        "tenants:\n  quiet: {enabled: false}\n"
        "  acme:\n    interfaces:\n      kiosk: {enabled: false}\n"
    )
    big = "x" * 90_000
    assert engine.check(Message(text=big, session="s", tenant="quiet")).codes == ("SG001",)
    assert engine.check(Message(text=big, session="s", tenant="acme", interface="kiosk")).codes == (
        "SG001",
    )
    assert engine.check(Message(text=big, session="s", tenant="acme")).action is Action.TERMINATE


def test_monitor_mode_reports_but_allows(make_engine: EngineFactory, clock: FakeClock) -> None:
    engine = make_engine("tenants:\n  watch: {monitor: true}\n")
    verdict = engine.check(Message(text="x y " * 1200, session="s", tenant="watch"))
    assert verdict.action is Action.ALLOW
    assert verdict.shadow_action is Action.BLOCK
    assert verdict.codes == ("SG101",)
    assert verdict.reasons[0].acted is False
    assert verdict.notice is None
    # Monitored findings are not strikes: the same post keeps being allowed.
    for _ in range(5):
        assert post(engine, clock, "x y " * 1200, tenant="watch", session="s") == "allow"


def test_monitor_per_detector(make_engine: EngineFactory) -> None:
    engine = make_engine("defaults:\n  length: {monitor: true}\n")
    verdict = engine.check(
        Message(
            text="x y " * 1200 + " https://a.com https://b.com https://c.com https://d.com",
            session="s",
        )
    )
    assert verdict.action is Action.BLOCK
    acted = {reason.code: reason.acted for reason in verdict.reasons}
    assert acted == {"SG101": False, "SG201": True}


def test_retry_returns_recorded_verdict_and_is_not_counted(
    make_engine: EngineFactory, clock: FakeClock
) -> None:
    engine = make_engine()
    first = [post(engine, clock, SPAM, transaction_id=str(i), after=10) for i in range(3)]
    assert first == ["allow", "allow", "block"]
    retry = engine.check(Message(text=SPAM, session="s1", transaction_id="2"))
    assert retry.action is Action.BLOCK
    assert retry.codes == ("SG004", "SG301")
    # Retrying an allowed post many times never makes it a duplicate or a burst.
    for _ in range(20):
        assert post(engine, clock, "a fresh and different question here", transaction_id="9") == (
            "allow"
        )
    # The retries were neither duplicates nor a burst: this is only the sender's 2nd block.
    assert post(engine, clock, SPAM, transaction_id="10", after=1) == "block"


def test_end_session_frees_state(make_engine: EngineFactory, clock: FakeClock) -> None:
    store = MemoryStore()
    engine = make_engine(store=store)
    post(engine, clock, SPAM)
    assert len(store) == 1
    engine.end_session("default", "default", "s1")
    assert len(store) == 0


def test_concluded_session_refuses_every_role(make_engine: EngineFactory) -> None:
    engine = make_engine()
    assert engine.check(Message(text="x" * 60_000, session="s")).action is Action.TERMINATE
    agent = engine.check(Message(text="hi", session="s", role=Role.AGENT, sender="sam"))
    assert agent.action is Action.TERMINATE
    assert agent.codes == ("SG005",)


def test_async_twin_gives_the_same_verdicts(make_engine: EngineFactory, clock: FakeClock) -> None:
    sync_engine, async_engine = make_engine(), make_engine()
    texts = [SPAM] * 5 + ["fine", "x" * 3000]

    async def run() -> list[Action]:
        return [
            (await async_engine.acheck(Message(text=t, session="s", ts=i * 10.0))).action
            for i, t in enumerate(texts)
        ]

    expected = [
        sync_engine.check(Message(text=t, session="s", ts=i * 10.0)).action
        for i, t in enumerate(texts)
    ]
    assert asyncio.run(run()) == expected


def test_detector_crash_fails_open_with_a_code(
    make_engine: EngineFactory, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from spamguard.detectors.emoji import EmojiDetector

    def boom(self: object, context: object) -> list[object]:
        raise RuntimeError("bug")

    monkeypatch.setattr(EmojiDetector, "assess", boom)
    engine = make_engine()
    with caplog.at_level(logging.ERROR, logger="spamguard"):
        verdict = engine.check(Message(text="x y " * 1200, session="s"))
    assert verdict.action is Action.BLOCK  # the other detectors still ran
    assert "SG007" in verdict.codes
    assert "detector emoji failed" in [r.message for r in verdict.reasons]
    assert any("emoji" in record.getMessage() for record in caplog.records)


def test_verdicts_are_logged_without_text(
    make_engine: EngineFactory, caplog: pytest.LogCaptureFixture
) -> None:
    engine = make_engine()
    secret = "my card number is 4111 1111 1111 1111 " * 80
    with caplog.at_level(logging.INFO, logger="spamguard"):
        engine.check(Message(text=secret, session="s", transaction_id="t1"))
    records = [r for r in caplog.records if hasattr(r, "spamguard")]
    assert len(records) == 1
    payload = records[0].spamguard
    assert payload["codes"] == ["SG101"]
    assert payload["transaction_id"] == "t1"
    assert "4111" not in repr(payload)
    assert "4111" not in records[0].getMessage()


def test_on_verdict_hook(make_engine: EngineFactory, clock: FakeClock) -> None:
    seen: list[Action] = []
    from spamguard import load_rules

    engine = Engine(load_rules(), clock=clock, on_verdict=lambda v: seen.append(v.action))
    engine.check(Message(text="hi", session="s"))
    assert seen == [Action.ALLOW]


def test_fast_typer_splitting_a_sentence_passes(
    make_engine: EngineFactory, clock: FakeClock
) -> None:
    engine = make_engine()
    lines = [
        "so",
        "i ordered the blue one",
        "on monday",
        "and it came",
        "in red",
        "lol",
        "can you help",
    ]
    assert [post(engine, clock, line, after=1.2) for line in lines] == ["allow"] * len(lines)


def test_burst_blocks_then_terminates(make_engine: EngineFactory, clock: FakeClock) -> None:
    engine = make_engine("defaults:\n  strikes: {enabled: false}\n")
    # Short distinct posts: only the burst detector can see them.
    actions = [post(engine, clock, f"post {i}", after=0.4) for i in range(22)]
    assert actions[:8] == ["allow"] * 8
    assert actions[8] == "block"  # 9 posts within 10 s > 8
    assert actions[20] == "terminate"  # 21 posts within 10 s > 20


def test_analysis_crash_fails_open_and_still_judges_size(
    make_engine: EngineFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    import spamguard.engine

    def boom(text: str, limits: object) -> object:
        raise RuntimeError("bug")

    monkeypatch.setattr(spamguard.engine, "analyse", boom)
    engine = make_engine()
    fine = engine.check(Message(text="hello there", session="s"))
    assert fine.action is Action.ALLOW
    assert fine.codes == ("SG007",)
    huge = engine.check(Message(text="x" * 60_000, session="t"))
    assert huge.action is Action.TERMINATE
    assert "SG103" in huge.codes


class _BrokenStore(MemoryStore):
    """A store of a user's that raises something other than StoreError."""

    def begin(self, *args: Any, **kwargs: Any) -> Any:
        raise KeyError("bug in a custom store")


def test_a_store_that_raises_anything_fails_by_policy_and_is_logged(
    make_engine: EngineFactory, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    open_engine = make_engine(store=_BrokenStore())
    closed_engine = make_engine("defaults:\n  on_store_error: block\n", store=_BrokenStore())
    with caplog.at_level(logging.ERROR, logger="spamguard"):
        allowed = open_engine.check(Message(text="hello", session="s"))
    blocked = closed_engine.check(Message(text="hello", session="s"))
    assert (allowed.action, allowed.codes) == (Action.ALLOW, ("SG009",))
    assert (blocked.action, blocked.codes) == (Action.BLOCK, ("SG009",))
    assert "KeyError" in allowed.reasons[0].observed  # type: ignore[operator]
    assert any(record.exc_info for record in caplog.records)


def test_store_urls_pick_the_store() -> None:
    engine = Engine(store="memory://?max_sessions=5")
    assert isinstance(engine.store, MemoryStore)
    assert engine.store.max_sessions == 5


def test_timings_are_off_by_default() -> None:
    verdict = Engine(store=MemoryStore()).check(Message(text="hello there", session="s", ts=1))
    assert verdict.timings is None
    assert "timings_us" not in verdict.log


def test_timings_name_every_step_and_add_up() -> None:
    engine = Engine(store=MemoryStore(), timings=True)
    verdict = engine.check(Message(text="see https://a.example/x " * 5, session="s", ts=1))
    timings = verdict.timings
    assert timings is not None
    detectors = [d.name for d, _ in engine.policy_for("default", "default").detectors]
    assert set(timings) == {"analysis", "store", *detectors, "policy", "total"}
    assert all(us >= 0 for us in timings.values())
    steps = sum(us for step, us in timings.items() if step != "total")
    assert steps <= timings["total"] + 0.05 * len(timings)  # each lap rounded to 0.1 µs
    assert verdict.log["timings_us"] == timings
    assert verdict.action is Action.BLOCK  # the store lap includes settling the strike


def test_timings_of_early_exits_and_of_acheck() -> None:
    engine = Engine(store=MemoryStore(), timings=True)
    system = engine.check(Message(text="agent joined", session="s", role=Role.SYSTEM, ts=1))
    assert system.timings is not None
    assert list(system.timings) == ["total"]
    verdict = asyncio.run(engine.acheck(Message(text="hello there", session="s", ts=2)))
    assert verdict.timings is not None
    assert {"analysis", "store", "urls", "policy", "total"} <= set(verdict.timings)


def test_a_failing_detector_is_still_timed(monkeypatch: pytest.MonkeyPatch) -> None:
    from spamguard.detectors.emoji import EmojiDetector

    def broken(self: object, context: object) -> list[object]:
        raise RuntimeError("boom")

    monkeypatch.setattr(EmojiDetector, "assess", broken)
    engine = Engine(store=MemoryStore(), timings=True)
    verdict = engine.check(Message(text="hello there", session="s", ts=1))
    assert verdict.timings is not None
    assert "emoji" in verdict.timings
    assert "SG007" in verdict.codes
