"""`spamguard replay --jobs` and `spamguard diff`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spamguard.cli import main
from spamguard.synth import synthesize


def _synth(tmp_path: Path, sessions: int = 80) -> Path:
    path = tmp_path / "corpus.jsonl"
    lines = synthesize(sessions, 0.3, seed=11)
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def test_replay_output_does_not_depend_on_jobs(tmp_path: Path) -> None:
    corpus = _synth(tmp_path)
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}.jsonl"
        assert main(["replay", str(corpus), "--jobs", jobs, "--out", str(out)]) == 0
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    actions = {json.loads(line)["action"] for line in outputs[0].splitlines()}
    assert actions == {"allow", "block", "terminate"}


def test_diff_lists_every_changed_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = _synth(tmp_path)
    strict = tmp_path / "strict.yaml"
    strict.write_text("version: 1\ndefaults: {urls: {max_urls: 0}}\n", encoding="utf-8")
    out, summary = tmp_path / "diff.jsonl", tmp_path / "summary.json"
    argv = ["diff", str(corpus), "--against", str(strict), "--out", str(out)]
    assert main([*argv, "--summary", str(summary), "--jobs", "2"]) == 1
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    counts = json.loads(summary.read_text(encoding="utf-8"))
    assert rows
    assert counts["differing"] == len(rows)
    assert all(r["rules"] != r["against"] for r in rows)
    assert any("SG201" in r["against"]["codes"] for r in rows)
    assert sum(counts["transitions"].values()) == counts["action_changed"]
    assert "differ" in capsys.readouterr().out
    # The listing on stdout, when no --out is given, has one line per differing message.
    assert main(["diff", str(corpus), "--against", str(strict)]) == 1
    listing = [line for line in capsys.readouterr().out.splitlines() if line.startswith("line ")]
    assert len(listing) == len(rows)


def test_diff_of_identical_rules_is_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = _synth(tmp_path, 20)
    same = tmp_path / "same.yaml"
    same.write_text("version: 1\n", encoding="utf-8")
    assert main(["diff", str(corpus), "--against", str(same)]) == 0
    assert ": 0 differ" in capsys.readouterr().out


def test_diff_needs_against(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main(["diff", str(_synth(tmp_path, 2))])
    assert "--against" in capsys.readouterr().err


def test_lone_surrogates_are_written_as_valid_json(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(
        '{"text": "bad \\ud800 https://a.example/x https://b.example/y", "session": "s\\udfff"}\n',
        encoding="utf-8",
    )
    strict = tmp_path / "strict.yaml"
    strict.write_text("version: 1\ndefaults: {urls: {max_urls: 0}}\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["replay", str(corpus), "--out", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["session"] == "s\udfff"
    assert main(["diff", str(corpus), "--against", str(strict), "--out", str(out)]) == 1
    assert json.loads(out.read_text(encoding="utf-8"))["text"].startswith("bad \ud800")
    assert main(["diff", str(corpus), "--against", str(strict)]) == 1  # the listing too


def test_outputs_are_checked_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = _synth(tmp_path, 5)
    before = corpus.read_bytes()
    assert main(["replay", str(corpus), "--out", str(corpus)]) == 2
    assert "is the corpus itself" in capsys.readouterr().err
    assert corpus.read_bytes() == before
    missing = tmp_path / "nope" / "x.yaml"
    argv = ["tune", str(corpus), "--max-ham-block", "0.1", "--out", str(missing)]
    assert main(argv) == 2
    assert "does not exist" in capsys.readouterr().err
    argv = ["tune", str(corpus), "--max-ham-block", "0.1", "--out", str(tmp_path / "o.yaml")]
    assert main([*argv, "--format", "json"]) == 2
    assert "name the report file" in capsys.readouterr().err
