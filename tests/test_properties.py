"""Hypothesis properties of `check` and of thresholds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from spamguard import Action, Engine, Message, load_rules, load_rules_text
from spamguard.text import analyse

# Any code point, lone surrogates included: `check` must take whatever a client sends.
any_text = st.text(alphabet=st.characters(codec=None), max_size=400)
tricky_text = st.one_of(
    any_text,
    st.builds(
        lambda s, n: s * n,
        st.sampled_from(["😂", "!", "a.", "[.]", "\u200b", "é\u0301", "http://", "x ", "\n"]),
        st.integers(0, 3000),
    ),
)
ENGINE_RULES = load_rules()


@given(st.lists(tricky_text, min_size=1, max_size=6))
def test_check_never_raises_and_is_deterministic(texts: list[str]) -> None:
    runs = []
    for _ in range(2):
        engine = Engine(ENGINE_RULES)
        runs.append(
            [
                engine.check(Message(text=t, session="s", ts=i * 3.0)).to_dict()
                for i, t in enumerate(texts)
            ]
        )
    assert runs[0] == runs[1]


@given(st.lists(tricky_text, min_size=1, max_size=6))
def test_action_is_the_strongest_acting_reason(texts: list[str]) -> None:
    engine = Engine(ENGINE_RULES)
    for i, text in enumerate(texts):
        verdict = engine.check(Message(text=text, session="s", ts=i * 2.0))
        acting = [reason.action for reason in verdict.reasons if reason.acted]
        assert verdict.action is Action.strongest(acting)
        assert (verdict.notice is None) == (verdict.action is Action.ALLOW)
        assert Action.strongest([verdict.action, verdict.shadow_action]) is verdict.shadow_action


LOOSER = load_rules_text("""
version: 1
defaults:
  length: {max_chars: 4000, max_lines: 120}
  urls: {max_urls: 6}
  duplicates: {max_repeats: 4, max_near_repeats: 5}
  emoji: {max_emoji: 100, max_share: 0.9}
  symbols: {max_share: 0.95, max_run: 200, max_marks: 12}
  burst:
    windows:
      - {seconds: 10, max_messages: 16, extreme_messages: 20, max_chars: 12000}
      - {seconds: 60, max_messages: 39, extreme_messages: 40}
  strikes: {max_blocks: 4}
""")


@given(st.lists(tricky_text, min_size=1, max_size=6))
def test_raising_thresholds_never_turns_allow_into_block(texts: list[str]) -> None:
    strict, loose = Engine(ENGINE_RULES), Engine(LOOSER)
    for i, text in enumerate(texts):
        message = Message(text=text, session="s", ts=i * 2.0)
        strict_action, loose_action = strict.check(message).action, loose.check(message).action
        assert loose_action.severity <= strict_action.severity


@given(any_text)
def test_analysis_counts_are_consistent(text: str) -> None:
    features = analyse(text)
    assert 0 <= features.visible <= features.chars
    assert 0 <= features.emoji <= features.visible
    assert features.symbols <= features.scanned
    assert features.lines == text.count("\n") + 1
