"""A dependency-free progress bar for long replays, drawn on stderr."""

from __future__ import annotations

import sys
import time

__all__ = ["Progress"]


class Progress:
    """Bytes and lines read out of a total, with rate and ETA, redrawn at most 10 times a second.

    Args:
        total: The total number of bytes.
        enabled: Draw nothing when False (not a terminal, or a short input).
    """

    def __init__(self, total: int, *, enabled: bool) -> None:
        self.total = max(total, 1)
        self.enabled = enabled
        self.done = 0
        self.lines = 0
        self._started = time.monotonic()
        self._drawn = 0.0

    def advance(self, amount: int) -> None:
        """Count one more line of `amount` bytes read."""
        self.done += amount
        self.lines += 1
        if self.enabled and time.monotonic() - self._drawn >= 0.1:
            self._draw()

    def close(self) -> None:
        """Draw the final state and end the line."""
        if self.enabled:
            self._draw()
            sys.stderr.write("\n")

    def _draw(self) -> None:
        self._drawn = now = time.monotonic()
        share = min(self.done / self.total, 1.0)
        elapsed = now - self._started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        line_rate = self.lines / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else 0.0
        bar = "#" * int(share * 30)
        sys.stderr.write(
            f"\r[{bar:<30}] {share:6.1%} {self.lines:>12,} lines {line_rate:>9,.0f}/s"
            f" {rate / 1e6:6.2f} MB/s  ETA {eta:5.0f} s"
        )
        sys.stderr.flush()
