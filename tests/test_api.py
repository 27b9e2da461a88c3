"""The public API surface is curated and pinned."""

from __future__ import annotations

import pytest

import spamguard
from spamguard import Action, Message, Role


def test_public_names_are_pinned() -> None:
    assert sorted(spamguard.__all__) == sorted(
        [
            "CATALOGUE",
            "Action",
            "Code",
            "Engine",
            "MemoryStore",
            "Message",
            "PolicyRules",
            "Reason",
            "Role",
            "RuleIssue",
            "Rules",
            "RulesError",
            "SessionStore",
            "SpamguardError",
            "StoreError",
            "Verdict",
            "load_rules",
            "load_rules_text",
        ]
    )
    for name in spamguard.__all__:
        assert getattr(spamguard, name) is not None


def test_action_ordering_and_status() -> None:
    assert Action.strongest([Action.BLOCK, Action.ALLOW, Action.TERMINATE]) is Action.TERMINATE
    assert Action.strongest([]) is Action.ALLOW
    assert [a.http_status for a in Action] == [200, 200, 409]


def test_message_defaults_and_validation() -> None:
    message = Message(text="hi", session="s")
    assert (message.tenant, message.interface, message.role, message.sender) == (
        "default",
        "default",
        Role.END_USER,
        "end_user",
    )
    assert Message(text="hi", session="s", role="consumer").role is Role.END_USER  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="text must be str"):
        Message(text=None, session="s")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="session must not be empty"):
        Message(text="hi", session="")
    with pytest.raises(ValueError, match="unknown role"):
        Message(text="hi", session="s", role="robot")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="finite"):
        Message(text="hi", session="s", ts=float("nan"))
    # So large that adding a window or TTL to it changes nothing: no window would end.
    for huge in (1e22, -1e22, 1.7e12):  # 1.7e12: milliseconds passed as seconds
        with pytest.raises(ValueError, match="milliseconds"):
            Message(text="hi", session="s", ts=huge)
