"""The `spamguard` command: check, validate, explain, replay."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from spamguard.cli import main
from spamguard.codes import CATALOGUE

SPAM = "Earn $500 a day from home, message me on WhatsApp now"


def _corpus(tmp_path: Path, lines: list[object]) -> Path:
    path = tmp_path / "corpus.jsonl"
    path.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n",
        encoding="utf-8",
    )
    return path


def test_check_one_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "x " * 3000]) == 0
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["action"] == "block"
    assert verdict["codes"] == ["SG101"]


def test_check_json_lines_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [json.dumps({"text": SPAM, "session": "s", "ts": t}) for t in (1, 2, 3)]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines) + "\n"))
    assert main(["check"]) == 0
    actions = [json.loads(line)["action"] for line in capsys.readouterr().out.splitlines()]
    assert actions == ["allow", "allow", "block"]


def test_check_reports_a_bad_stdin_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"text": "hi", "session": "s"}\n{"text": 1}\n'))
    assert main(["check"]) == 2
    assert "<stdin> line 2: `text` is required and must be a string" in capsys.readouterr().err


def test_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("version: 1\ntenants:\n  acme: {monitor: true}\n", encoding="utf-8")
    assert main(["validate", str(good)]) == 0
    assert "OK (1 tenants, 0 interfaces)" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ntenants:\n  acme:\n    urls: {max_urls: -1}\n", encoding="utf-8")
    assert main(["validate", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:4: tenants.acme.urls.max_urls: expected greater than or equal to 0" in err


def test_shipped_rules_and_examples_validate() -> None:
    rules = Path(__file__).resolve().parents[2] / "rules"
    for path in sorted(rules.rglob("*.yaml")):
        assert main(["validate", str(path)]) == 0, path


def test_explain(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "SG301"]) == 0
    assert capsys.readouterr().out.startswith("# SG301 repeated-message")
    assert main(["explain", "--list"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == len(CATALOGUE)
    assert main(["explain", "SG999"]) == 2
    assert "unknown reason code 'SG999'" in capsys.readouterr().err


def test_replay_outputs_and_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = _corpus(
        tmp_path,
        [
            {"text": "hello, I need help", "session": "a", "label": "ham"},
            {"text": SPAM, "session": "b", "label": "spam", "role": "consumer"},
            {"text": SPAM, "session": "b", "label": "spam", "id": 7},
            {"text": SPAM, "session": "b", "label": "spam", "id": 7},
            {"text": SPAM, "session": "b", "label": "spam"},
            {"text": "x" * 60_000, "session": "c", "ts": 1e9},
            {"text": "Thanks!", "session": "a", "role": "agent", "sender": "sam", "tenant": "t"},
        ],
    )
    out, summary = tmp_path / "v.jsonl", tmp_path / "s.json"
    assert main(["replay", str(corpus), "--out", str(out), "--summary", str(summary)]) == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in records] == [1, 2, 3, 4, 5, 6, 7]
    assert [r["action"] for r in records] == [
        "allow",
        "allow",
        "allow",
        "allow",
        "block",
        "terminate",
        "allow",
    ]
    assert records[3]["codes"] == ["SG004"]  # the retry of id 7 is not a third post
    assert records[0]["label"] == "ham"
    assert "label" not in records[5]
    data = json.loads(summary.read_text(encoding="utf-8"))
    assert data["messages"] == 7
    assert data["actions"] == {"allow": 5, "block": 1, "terminate": 1}
    assert data["by_label"]["spam"] == {"allow": 3, "block": 1, "terminate": 0}
    assert data["by_label"]["ham"] == {"allow": 1, "block": 0, "terminate": 0}
    assert data["codes"]["SG301"] == 1
    assert data["sessions_terminated"] == 1
    assert data["elapsed_s"] >= 0
    assert "sessions terminated: 1" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("bad_line", "problem"),
    [
        ("{not json", "line 2: not valid JSON"),
        ('["a"]', "line 2: expected a JSON object, got list"),
        ('{"text": "hi"}', "line 2: `session` is required"),
        ('{"text": "hi", "session": "s", "role": "robot"}', "line 2: unknown role 'robot'"),
        ('{"text": "hi", "session": "s", "ts": "noon"}', "line 2: `ts` must be a finite number"),
        ('{"text": "hi", "session": "s", "label": "maybe"}', "line 2: `label` must be one of"),
    ],
)
def test_replay_stops_at_a_malformed_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad_line: str, problem: str
) -> None:
    corpus = _corpus(
        tmp_path, [{"text": "hi", "session": "s"}, bad_line, {"text": "x", "session": "s"}]
    )
    assert main(["replay", str(corpus)]) == 2
    assert problem in capsys.readouterr().err


def test_replay_can_skip_invalid_lines(tmp_path: Path) -> None:
    corpus = _corpus(
        tmp_path, [{"text": "hi", "session": "s"}, "{oops", {"text": "x", "session": "s"}]
    )
    corpus.write_bytes(corpus.read_bytes() + b'{"text": "\xff", "session": "s"}\n')
    summary = tmp_path / "s.json"
    assert main(["replay", str(corpus), "--skip-invalid", "--summary", str(summary)]) == 0
    data = json.loads(summary.read_text(encoding="utf-8"))
    assert (data["messages"], data["skipped_invalid"]) == (2, 2)


def test_replay_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(tmp_path / "nope.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_bad_rules_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "r.yaml"
    rules.write_text("version: 1\ndefaults: {urls: {max_urls: x}}\n", encoding="utf-8")
    assert main(["check", "--rules", str(rules), "hi"]) == 2
    err = capsys.readouterr().err
    assert f"{rules}:2: defaults.urls.max_urls: expected a valid integer" in err
    assert "Traceback" not in err


def test_console_script_runs_the_demo_transcript() -> None:
    demo = Path(__file__).resolve().parents[2] / "docs" / "examples" / "transcript.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "spamguard", "replay", str(demo), "--out", "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    actions = {json.loads(line)["action"] for line in done.stdout.splitlines()}
    assert actions == {"allow", "block", "terminate"}


def test_a_bad_store_url_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--store", "bogus://", "hi"]) == 2
    assert "--store: unknown store URL 'bogus://'" in capsys.readouterr().err


def test_commands_ignore_the_deployments_store(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A replay must never strike or conclude live sessions in a shared store.
    monkeypatch.setenv("SPAMGUARD_STORE_URL", "redis://127.0.0.1:1/0")
    assert main(["check", "hello"]) == 0
    assert '"codes": []' in capsys.readouterr().out
