"""`spamguard tune`: the overlay, the report in both formats, and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from spamguard.cli import main
from spamguard.config import load_rules

LINKS = "see https://a.example/x https://b.example/y"


def _corpus(tmp_path: Path, *, spam: bool = True) -> Path:
    raw = [{"text": LINKS, "session": f"spam{n}", "ts": n, "label": "spam"} for n in range(6)]
    if not spam:
        raw = []
    raw += [
        {"text": "where is my parcel?", "session": f"ham{n}", "ts": 50 + n, "label": "ham"}
        for n in range(20)
    ]
    raw.append({"text": LINKS, "session": "ham0", "ts": 90, "label": "ham", "kind": "links"})
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(json.dumps(o) + "\n" for o in raw), encoding="utf-8")
    return path


def test_tune_writes_a_valid_overlay_and_a_json_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus, out, report = _corpus(tmp_path), tmp_path / "tuned.yaml", tmp_path / "r.json"
    argv = ["tune", str(corpus), "--max-ham-block", "0.05", "--out", str(out)]
    argv += ["--report", str(report), "--format", "json", "--only", "urls", "--jobs", "1"]
    assert main(argv) == 0
    text = out.read_text(encoding="utf-8")
    why = "spam caught 0.00% -> 100.00%, ham blocked 0.000% -> 4.762%"
    assert f"max_urls: 1  # was 3: {why}" in text
    assert load_rules(out).defaults.urls.max_urls == 1
    assert main(["validate", str(out)]) == 0
    document = json.loads(report.read_text(encoding="utf-8"))
    assert document["changes"][0]["path"] == "urls.max_urls"
    assert document["tuned"]["spam_caught"] == 6
    assert document["corpus"]["ham"] == 21
    assert document["corpus"]["spam_sessions"] == 6
    captured = capsys.readouterr()
    assert "spam caught 0.00% -> 100.00%" in captured.out
    assert "pass 1  urls.max_urls" in captured.err


def test_tune_html_report_is_self_contained(tmp_path: Path) -> None:
    corpus, out, report = _corpus(tmp_path), tmp_path / "tuned.yaml", tmp_path / "r.html"
    argv = ["tune", str(corpus), "--max-ham-block", "0.05", "--out", str(out), "--quiet"]
    assert main([*argv, "--report", str(report), "--only", "urls"]) == 0
    page = report.read_text(encoding="utf-8")
    assert page.count("<svg") == 2  # max_urls and extreme_urls
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")


def test_tune_over_a_base_file_keeps_its_other_settings(tmp_path: Path) -> None:
    base = tmp_path / "base.yaml"
    base.write_text(
        "version: 1\ndefaults:\n  monitor: false\ntenants:\n  acme: {emoji: {max_emoji: 9}}\n",
        encoding="utf-8",
    )
    corpus, out = _corpus(tmp_path), tmp_path / "tuned.yaml"
    argv = ["tune", str(corpus), "--rules", str(base), "--max-ham-block", "0.05"]
    assert main([*argv, "--out", str(out), "--only", "urls", "--quiet"]) == 0
    tuned = load_rules(out)
    assert tuned.tenants["acme"].emoji.max_emoji == 9
    assert tuned.tenants["acme"].urls.max_urls == 1  # the tenant inherits the tuned default
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["tenants"] == {
        "acme": {"emoji": {"max_emoji": 9}}
    }


def test_tune_needs_both_labels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus, out = _corpus(tmp_path, spam=False), tmp_path / "tuned.yaml"
    argv = ["tune", str(corpus), "--max-ham-block", "0.01", "--out", str(out), "--quiet"]
    assert main(argv) == 2
    assert "no line is labelled spam" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--max-ham-block", "2"], "expected a share between 0 and 1, got '2'"),
        (["--max-ham-block", "0.1", "--only", "urls,nope"], "unknown section nope"),
        (["--max-ham-block", "0.1", "--max-passes", "0"], "--max-passes must be at least 1"),
        (["--max-ham-block", "0.1", "--jobs", "0"], "--jobs must be at least 1"),
    ],
)
def test_tune_bad_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    argv = ["tune", str(_corpus(tmp_path)), "--out", str(tmp_path / "o.yaml"), *extra]
    try:
        status = main(argv)
    except SystemExit as exit_:  # argparse's own errors
        status = int(exit_.code or 0)
    assert status == 2
    assert message in capsys.readouterr().err


def test_tune_reports_a_bad_base_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = tmp_path / "base.yaml"
    base.write_text("version: 1\ndefaults:\n  urls: {max_urls: -1}\n", encoding="utf-8")
    argv = ["tune", str(_corpus(tmp_path)), "--rules", str(base), "--max-ham-block", "0.1"]
    assert main([*argv, "--out", str(tmp_path / "o.yaml")]) == 2
    assert f"{base}:3: defaults.urls.max_urls" in capsys.readouterr().err


def test_tune_exits_1_when_the_budgets_cannot_be_met(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = _corpus(tmp_path)
    with corpus.open("a", encoding="utf-8") as lines:  # a ham paste only length could spare
        lines.write(json.dumps({"text": "log line\n" * 400, "session": "p", "label": "ham"}))
    out = tmp_path / "tuned.yaml"
    argv = ["tune", str(corpus), "--max-ham-block", "0", "--out", str(out), "--only", "urls"]
    assert main([*argv, "--quiet"]) == 1
    assert "(the budgets could not be met)" in capsys.readouterr().out
    assert load_rules(out).defaults.urls.max_urls == 3  # the closest: no link post blocked
