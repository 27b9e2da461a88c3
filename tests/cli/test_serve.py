"""`spamguard serve`: its refusals before anything listens (serving is tests/server/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from spamguard.cli import main


@pytest.mark.parametrize(
    ("argv", "environment", "problem"),
    [
        ([], {}, "SPAMGUARD_JWT_SECRET"),
        (["--jwt-secret-env", "MY_SECRET"], {"SPAMGUARD_JWT_SECRET": "s"}, "MY_SECRET"),
        (["--port", "70000"], {"SPAMGUARD_JWT_SECRET": "s"}, "--port"),
        (["--session-ttl", "0"], {"SPAMGUARD_JWT_SECRET": "s"}, "session_ttl_s"),
        (["--store", "ftp://x"], {"SPAMGUARD_JWT_SECRET": "s"}, "ftp://x"),
    ],
    ids=["no-secret", "secret-elsewhere", "bad-port", "bad-ttl", "bad-store"],
)
def test_serve_refuses_bad_settings_clearly(
    argv: list[str],
    environment: dict[str, str],
    problem: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("SPAMGUARD_JWT_SECRET", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert main(["serve", *argv]) == 2
    error = capsys.readouterr().err
    assert problem in error
    assert "Traceback" not in error


def test_serve_reports_a_broken_rules_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 1\ndefaults:\n  length:\n    max_chars: lots\n", encoding="utf-8")
    monkeypatch.setenv("SPAMGUARD_JWT_SECRET", "s")
    assert main(["serve", "--rules", str(rules)]) != 0
    error = capsys.readouterr().err
    assert "max_chars" in error
    assert "Traceback" not in error


@pytest.mark.parametrize("ttl", ["nan", "inf", "1e300"])
def test_serve_refuses_a_session_ttl_out_of_range(
    ttl: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SPAMGUARD_JWT_SECRET", "s")
    assert main(["serve", "--session-ttl", ttl]) == 2
    assert "session_ttl_s" in capsys.readouterr().err
