"""Builders of small, valid ``spamguard tune`` report documents for the report tests."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

HOSTILE = 'buy now </svg><script>alert(1)</script><img src="http://evil.example/x.png">\u202e'


def make_point(
    value: Any,
    spam: float,
    ham: float,
    *,
    valid: bool = True,
    feasible: bool | None = None,
    budget: float = 0.001,
) -> dict[str, Any]:
    """One grid point on a corpus of 1,000 spam and 10,000 ham messages."""
    if not valid:
        return {
            "value": value,
            "valid": False,
            "ham_blocked": 0,
            "ham_blocked_share": 0.0,
            "spam_caught": 0,
            "spam_caught_share": 0.0,
            "ham_sessions_terminated": 0,
            "feasible": False,
        }
    return {
        "value": value,
        "valid": True,
        "ham_blocked": round(ham * 10_000),
        "ham_blocked_share": ham,
        "spam_caught": round(spam * 1_000),
        "spam_caught_share": spam,
        "ham_sessions_terminated": 0,
        "feasible": ham <= budget if feasible is None else feasible,
    }


def make_knob(
    path: str = "urls.max_urls",
    points: Sequence[dict[str, Any]] | None = None,
    *,
    base: Any = 3,
    chosen: Any = 2,
) -> dict[str, Any]:
    """A knob; by default ``urls.max_urls`` swept over 0..5 and "no limit"."""
    if points is None:
        points = [
            make_point(0, 0.0, 0.0, valid=False),
            make_point(1, 0.95, 0.004),
            make_point(2, 0.93, 0.0008),
            make_point(3, 0.90, 0.0004),
            make_point(4, 0.88, 0.0002),
            make_point(5, 0.87, 0.0001),
            make_point(None, 0.80, 0.0),
        ]
    return {
        "path": path,
        "detector": path.split(".", 1)[0],
        "description": "A post with more links than this is blocked.",
        "base": base,
        "chosen": chosen,
        "points": list(points),
    }


def make_outcome(spam_caught: int = 900, ham_blocked: int = 4) -> dict[str, Any]:
    """The results of one rule set on 1,000 spam and 10,000 ham messages."""
    return {
        "confusion": {
            "ham": {"allow": 10_000 - ham_blocked, "block": ham_blocked, "terminate": 0},
            "spam": {
                "allow": 1_000 - spam_caught,
                "block": spam_caught - 100,
                "terminate": 100,
            },
        },
        "ham_blocked": ham_blocked,
        "ham_blocked_share": ham_blocked / 10_000,
        "spam_caught": spam_caught,
        "spam_caught_share": spam_caught / 1_000,
        "ham_sessions_terminated": 0,
        "ham_sessions_terminated_share": 0.0,
        "spam_sessions_terminated": 40,
        "feasible": ham_blocked <= 10,
        "kinds": [
            {
                "kind": "link-spam",
                "label": "spam",
                "messages": 600,
                "caught": min(600, spam_caught - 300),
            },
            {"kind": "support-chat", "label": "ham", "messages": 10_000, "caught": ham_blocked},
        ],
        "codes": [
            {
                "code": "SG201",
                "slug": "too-many-urls",
                "ham": ham_blocked,
                "spam": spam_caught - 100,
                "examples": [
                    {"line": 12, "label": "spam", "action": "block", "text": HOSTILE},
                    {"line": 40, "label": "ham", "action": "block", "text": "see a.com b.com"},
                ],
            }
        ],
    }


def make_report(**overrides: Any) -> dict[str, Any]:
    """A small valid report document; keyword arguments replace top-level keys."""
    report: dict[str, Any] = {
        "spamguard_tune_report": 1,
        "generated_by": "spamguard 0.1.0 tune",
        "corpus": {
            "path": "corpus/labelled.jsonl",
            "lines": 11_002,
            "messages": 11_000,
            "ham": 10_000,
            "spam": 1_000,
            "unlabelled": 0,
            "sessions": 900,
            "ham_sessions": 800,
            "spam_sessions": 100,
            "skipped_invalid": 2,
        },
        "rules_base": "<shipped>",
        "budgets": {"max_ham_block": 0.001, "max_ham_terminate": 0.0005},
        "search": {
            "passes": 2,
            "evaluations": 140,
            "elapsed_s": 12.5,
            "jobs": 4,
            "converged": True,
        },
        "base": make_outcome(900, 4),
        "tuned": make_outcome(930, 8),
        "knobs": [make_knob()],
        "changes": [
            {
                "path": "urls.max_urls",
                "from": 3,
                "to": 2,
                "why": "catches 3.0% more spam within the ham budget",
            }
        ],
    }
    report.update(copy.deepcopy(overrides))
    return report
