"""Reading corpora and writing results for the commands that replay: replay, diff, tune."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from spamguard.cli.progress import Progress
from spamguard.config import Rules, load_rules
from spamguard.replay import CorpusError, CorpusLine, parse_line
from spamguard.sharding import available_cores

__all__ = [
    "CorpusReader",
    "UsageError",
    "add_jobs_option",
    "check_writable",
    "jobs_for",
    "json_line",
    "output",
    "rules_of",
    "write_text",
]

# Below this size starting worker processes costs more than it saves.
PARALLEL_FROM_BYTES = 4_000_000


class UsageError(Exception):
    """A problem with the command's input, reported as one line and exit status 2."""


def add_jobs_option(parser: argparse.ArgumentParser) -> None:
    """The ``--jobs`` option shared by the replaying commands."""
    parser.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help="worker processes, sessions sharded among them (default: every core for "
        f"corpora over {PARALLEL_FROM_BYTES // 1_000_000} MB, else 1); results do not "
        "depend on N",
    )


def jobs_for(
    requested: int | None, corpus_bytes: int, parallel_from: int = PARALLEL_FROM_BYTES
) -> int:
    """The number of workers: as requested, else every core from `parallel_from` bytes."""
    if requested is not None:
        if requested < 1:
            raise UsageError(f"--jobs must be at least 1, got {requested}")
        return requested
    return available_cores() if corpus_bytes >= parallel_from else 1


def json_line(data: object) -> str:
    """One JSON line; texts with lone surrogates (valid in JSON input) come out escaped."""
    text = json.dumps(data, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(data)
    return text + "\n"


def check_writable(option: str, target: str | Path | None, corpus: Path) -> None:
    """Refuse an output path that cannot be written, or is the corpus, before any work."""
    if target is None or target == "-":
        return
    path = Path(target)
    if path.is_dir():
        raise UsageError(f"{option} {path}: is a directory")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"{option} {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"{option} {path}: the folder {folder} is not writable")
    if path.exists() and corpus.exists() and path.samefile(corpus):
        raise UsageError(f"{option} {path}: is the corpus itself")


def write_text(path: Path, text: str) -> None:
    """Write an output file; failing to is a usage error naming the file."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from exc


def rules_of(path: Path | None) -> Rules:
    """The rules of a ``--rules`` option (RulesError is reported by `main`)."""
    return load_rules(path)


class CorpusReader:
    """The parsed lines of a corpus file, streamed; bad lines stop the run or are skipped.

    Args:
        path: The corpus (JSON lines).
        skip_invalid: Count and skip malformed lines instead of stopping at the first.
        progress: Draw a progress bar on stderr when it is a terminal and the corpus large.
    """

    def __init__(self, path: Path, *, skip_invalid: bool = False, progress: bool = True) -> None:
        self.path = path
        self.skipped_invalid = 0
        self._skip = skip_invalid
        try:
            self.size = path.stat().st_size
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror}") from exc
        if path.is_dir():
            raise UsageError(f"cannot read {path}: it is a directory")
        show = progress and sys.stderr.isatty() and self.size > 1_000_000
        self.progress = Progress(total=self.size, enabled=show)

    def __iter__(self) -> Iterator[CorpusLine]:
        try:
            source = self.path.open("rb")
        except OSError as exc:
            raise UsageError(f"cannot read {self.path}: {exc.strerror}") from exc
        with source:
            for number, raw in enumerate(source, start=1):
                self.progress.advance(len(raw))
                try:
                    text = raw.decode("utf-8")
                    if not text.strip():
                        continue
                    item = parse_line(number, text)
                except UnicodeDecodeError as exc:
                    self._fail(CorpusError(number, f"not UTF-8 (byte {exc.start})"))
                    continue
                except CorpusError as exc:
                    self._fail(exc)
                    continue
                yield item
        self.progress.close()

    def _fail(self, error: CorpusError) -> None:
        if not self._skip:
            self.progress.close()  # so the message starts on a line of its own
            raise UsageError(f"{self.path}: {error} (use --skip-invalid to skip such lines)")
        self.skipped_invalid += 1


class output:
    """An output option as a context manager: a file, stdout for '-', or nothing."""

    def __init__(self, target: str | None) -> None:
        self._target = target
        self._file: IO[str] | None = None

    def __enter__(self) -> IO[str] | None:
        if self._target is None:
            return None
        if self._target == "-":
            return sys.stdout
        try:
            self._file = open(self._target, "w", encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {self._target}: {exc.strerror}") from exc
        return self._file

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()
