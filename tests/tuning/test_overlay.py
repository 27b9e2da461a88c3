"""The YAML overlay writer: comments where asked, and YAML that loads back unchanged."""

from __future__ import annotations

import yaml

from spamguard.config import load_rules_text
from spamguard.tuning.overlay import render_overlay


def test_round_trip_with_awkward_scalars_and_comments() -> None:
    document = {
        "version": 1,
        "defaults": {
            "notices": {"block": "Not sent: # not a comment\nplease: retry", "terminate": "Bye"},
            "urls": {"max_urls": 2, "deny_domains": ["bad.example", "ünï.example"]},
            "emoji": {"max_share": 0.5},
            "burst": {"windows": [{"seconds": 10.0, "max_messages": 6, "max_chars": None}]},
        },
        "tenants": {"yes": {}, "0123": {"monitor": True}},
    }
    comments = {
        ("defaults", "urls", "max_urls"): "was 3: spam caught 1% -> 2%",
        ("defaults", "burst", "windows", "0", "max_messages"): "was 8",
    }
    text = render_overlay(document, comments, ["made by a test", ""])
    assert text.startswith("# made by a test\n#\nversion: 1\n")
    assert "    max_urls: 2  # was 3: spam caught 1% -> 2%\n" in text
    assert "max_messages: 6  # was 8\n" in text
    assert yaml.safe_load(text) == document
    rules = load_rules_text(text)
    assert rules.defaults.urls.max_urls == 2
    assert rules.tenants["0123"].monitor is True
    assert rules.defaults.burst.windows[0].max_messages == 6


def test_empty_document() -> None:
    assert yaml.safe_load(render_overlay({}, {}, [])) is None
