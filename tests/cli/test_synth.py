"""`spamguard corpus synth`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spamguard.cli import main
from spamguard.replay import parse_line


def test_synth_is_deterministic_and_replayable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["corpus", "synth", "--sessions", "30", "--spam-share", "0.5", "--seed", "4"]
    assert main(argv) == 0
    first = capsys.readouterr().out
    out = tmp_path / "c.jsonl"
    assert main([*argv, "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == first
    lines = first.splitlines()
    assert all(parse_line(n, line) for n, line in enumerate(lines, start=1))
    assert {json.loads(line)["label"] for line in lines} == {"ham", "spam"}


def test_synth_bad_share(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["corpus", "synth", "--sessions", "3", "--spam-share", "1.5"]) == 2
    assert "spam_share" in capsys.readouterr().err
