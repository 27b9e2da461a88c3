"""The largest messages: ``Engine.check`` on 1 MB and 10 MB posts of every awkward shape.

The issue's budget is 5 ms for any message of up to 1 MB; the bound that the tests enforce
for any message of up to 10 MB is in docs/limits.md. The analysis reads at most
``limits.scan_chars`` characters, but the rest still costs something (its length, its
lines), and what the scanned part holds decides how much work each character is: links,
emoji, marks, scripts without an ASCII fast path. Each shape below is as close to 1 MB of
UTF-8 as its unit allows (lone surrogates, which UTF-8 cannot hold, count as 3 bytes, as
``surrogatepass`` writes them); the ``-10MB`` shapes are as close to 10 MB. The last shapes
aim at the analysis's costliest paths: regional indicators where grapheme segmentation must
run, and hosts rejected inside one long path, which the URL scan reads again for each.

Every round checks the post in a new session (a concluded session would skip the work),
``ROUNDS`` rounds after ``WARMUP`` per shape; the table at the end gives each shape's
median and maximum in milliseconds against the budget. No assertion is timed: the
figures are for people, and a busy machine must not fail the run.

    python -m pytest benchmarks/test_large.py --benchmark-only
"""

from __future__ import annotations

import itertools
import logging
import random
import statistics
from dataclasses import dataclass, field

import pytest
from measure import ErrorCounter, summary_plugin
from pytest_benchmark.fixture import BenchmarkFixture

from spamguard import Engine, Message

MEGABYTE = 1_000_000
TEN_MEGABYTES = 10 * MEGABYTE
BUDGET_MS = 5.0
ROUNDS = 20
WARMUP = 2


def _repeat(unit: str, size: int = MEGABYTE) -> str:
    """``unit`` repeated to at most ``size`` bytes of UTF-8."""
    return unit * (size // len(unit.encode("utf-8", "surrogatepass")))


def _random_text(alphabet: range, unit_bytes: int, seed: int) -> str:
    rng = random.Random(seed)
    characters = [chr(code) for code in alphabet if not 0xD800 <= code < 0xE000]
    return "".join(rng.choices(characters, k=MEGABYTE // unit_bytes))


SHAPES: dict[str, str] = {
    "ascii-prose": _repeat("Where is my order? It was due last Monday, please check. "),
    "one-character": _repeat("a"),
    "symbol-run": _repeat("!"),
    "newlines": _repeat("\n"),
    "spaces": _repeat(" "),
    "url-candidates": _repeat("a.bc "),
    "numbered-hosts": _repeat("1.com "),
    "www-without-tld": _repeat("www.a "),
    "underscore-hosts": _repeat("my_site.com "),
    "e-mail-addresses": _repeat("x@a.me "),
    "links": _repeat("https://spam.example.com/offer?id=1 "),
    "defanged-links": _repeat("hxxps://spam[.]example[.]com "),
    "emoji": _repeat("😀"),
    "emoji-zwj-families": _repeat("👨\u200d👩\u200d👧\u200d👦"),
    "flags": _repeat("🇫🇷🇩🇪"),
    "zalgo": _repeat("e" + "\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308\u0309\u030a"),
    "one-grapheme-of-marks": "a" + _repeat("\u0301", MEGABYTE - 1),
    "invisible-padding": _repeat("\u200b", MEGABYTE - 7) + "buy now",
    "korean": _repeat("안녕하세요 주문이 아직 도착하지 않았어요 "),
    "chinese": _repeat("你好，我的订单还没有到，请帮我查一下。"),
    "devanagari": _repeat("नमस्ते, मेरा ऑर्डर अभी तक नहीं आया है। "),
    "random-bmp": _random_text(range(0x20, 0x10000), 3, seed=1),
    "random-astral": _random_text(range(0x10000, 0x30000), 4, seed=2),
    "lone-surrogates": _repeat("\ud800x"),
    "nul-and-controls": _repeat("\x00\x01\x1b[31m"),
    "fullwidth-and-math": _repeat("ＢＵＹ 𝐜𝐡𝐞𝐚𝐩 "),
    "ascii-prose-10MB": _repeat("Where is my order? It was due last Monday. ", TEN_MEGABYTES),
    "crlf-10MB": _repeat("\r\n", TEN_MEGABYTES),
    "emoji-10MB": _repeat("😀", TEN_MEGABYTES),
    "emoji-zwj-families-10MB": _repeat("👨\u200d👩\u200d👧\u200d👦", TEN_MEGABYTES),
    "random-bmp-10MB": _random_text(range(0x20, 0x10000), 3, seed=1) * 10,
    "indicators-after-a-linker": "क्" + _repeat("\U0001f1eb", MEGABYTE - 6),
    "rejected-hosts-in-a-path": _repeat("www.a.b/"),
}
SIZES = {name: TEN_MEGABYTES if name.endswith("-10MB") else MEGABYTE for name in SHAPES}


@dataclass(slots=True)
class LargeReport:
    """Median and maximum per shape; a pytest plugin that prints them at the end."""

    figures: dict[str, tuple[float, float]] = field(default_factory=dict)

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """Print every shape's median and maximum against the budget."""
        if not self.figures:
            return
        write = terminalreporter.write_line
        terminalreporter.write_sep("-", f"1-10 MB messages: Engine.check (budget {BUDGET_MS:g} ms)")
        write(f"{'shape':<24}  {'p50 ms':>8}  {'max ms':>8}")
        for name, (p50, worst) in self.figures.items():
            flag = "" if worst <= BUDGET_MS else "   over budget"
            write(f"{name:<24}  {p50:>8.2f}  {worst:>8.2f}{flag}")
        worst_shape = max(self.figures, key=lambda name: self.figures[name][1])
        write(f"slowest: {worst_shape}, {self.figures[worst_shape][1]:.2f} ms at most")


@pytest.fixture(scope="session")
def large_report(pytestconfig: pytest.Config) -> LargeReport:
    """The run's `LargeReport`, registered as a plugin so that it prints its table."""
    return summary_plugin(pytestconfig, "spamguard-large", LargeReport)


@pytest.mark.parametrize("shape", list(SHAPES))
def test_large(
    benchmark: BenchmarkFixture,
    shape: str,
    large_report: LargeReport,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``Engine.check`` of one 1 MB shape, each round in a new session."""
    spamguard_logger = logging.getLogger("spamguard")
    monkeypatch.setattr(spamguard_logger, "propagate", False)  # blocks log at WARNING
    failures = ErrorCounter()
    engine = Engine()
    text = SHAPES[shape]
    sessions = itertools.count()

    def check() -> None:
        engine.check(Message(text=text, session=f"s{next(sessions)}", ts=1_700_000_000.0))

    spamguard_logger.addHandler(failures)
    try:
        benchmark.pedantic(check, rounds=ROUNDS, warmup_rounds=WARMUP, iterations=1)
    finally:
        spamguard_logger.removeHandler(failures)
    assert failures.count == 0, f"the engine logged {failures.count} errors"
    if benchmark.stats is not None:
        data = benchmark.stats.stats.data
        p50_ms, max_ms = statistics.median(data) * 1e3, max(data) * 1e3
        benchmark.extra_info.update(p50_ms=round(p50_ms, 3), max_ms=round(max_ms, 3))
        large_report.figures[shape] = (p50_ms, max_ms)


@pytest.mark.parametrize("shape", list(SHAPES))
def test_shapes_are_about_their_size(shape: str) -> None:
    """Each shape is at most its size (1 or 10 MB) of UTF-8, and at least 98% of it."""
    size = len(SHAPES[shape].encode("utf-8", "surrogatepass"))
    assert 0.98 * SIZES[shape] <= size <= SIZES[shape]
