"""`spamguard bench`: per-step latency figures, throughput and memory per session."""

from __future__ import annotations

import json

import pytest

from spamguard.bench import bench, mix, session_memory
from spamguard.cli import main
from spamguard.config import load_rules, load_rules_text


def test_bench_reports_every_step_with_ordered_percentiles() -> None:
    result = bench(load_rules(), messages=300, seed=3, memory_sessions=50)
    assert result.messages == 300
    steps = {s.step: s for s in result.steps}
    assert result.steps[0].step == "total"
    assert {"analysis", "store", "length", "urls", "duplicates", "burst", "policy"} <= set(steps)
    for stats in result.steps:
        assert 0 <= stats.p50 <= stats.p95 <= stats.p99 <= stats.max, stats
    assert steps["total"].count == 300
    assert result.messages_per_second > 0
    assert 0 < result.session_bytes < 100_000


def test_the_mix_is_deterministic_and_has_spam_and_agents() -> None:
    first, again = mix(400, seed=5), mix(400, seed=5)
    assert first == again
    assert len(first) == 400
    assert len({m.role for m in first}) == 2
    assert any(len(m.text) > 2000 for m in mix(3000, seed=5))  # walls and pastes


def test_keeping_fewer_texts_costs_less_memory() -> None:
    posts = mix(500, seed=1)
    default = session_memory(load_rules(), posts, sessions=100)
    lean = load_rules_text("version: 1\ndefaults: {duplicates: {compare_last: 2}}")
    assert session_memory(lean, posts, sessions=100) < default


def test_bench_cli_json(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("spamguard.bench.MEMORY_SESSIONS", 50)
    assert main(["bench", "--messages", "200", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["messages"] == 200
    assert data["steps"][0]["step"] == "total"
    assert main(["bench", "--messages", "0"]) == 2
    assert "--messages must be at least 1" in capsys.readouterr().err
