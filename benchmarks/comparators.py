"""Two comparators for spamguard's latency: what users would otherwise pick, and a floor.

`HandWrittenFilter` does the checks of the shipped rules (``rules/default.yaml``) the
way most code does them, with the libraries people reach for: ``len``, ``str.count``,
simple `re` patterns, ``emoji.emoji_count``, ``urlextract`` for links, `difflib`
against the sender's last posts kept in a `collections.deque`, and ``limits``' moving
window for bursts. It answers ``"allow"`` or ``"block"``. By default it is written
straightforwardly: every check runs on every post (spamguard, too, reports every reason,
not just the first) and `difflib` scores each earlier post with ``ratio()``. With
``shortcuts=True`` it is written by someone who profiled it: it stops at the first check
that fails, runs the costliest check last, stops link extraction after one link more
than allowed, and tries difflib's cheap upper bounds before ``ratio()``.

`FloorFilter` is what any per-message filter costs at the least: one precompiled
regular-expression pass over the text, one xxh3 fingerprint and a dict/deque update. It
touches every character and decides nothing.

Both take a `spamguard.Message` and use its ``ts`` as the time, as the engine does.
Needs the ``bench`` extra (``pip install -e '.[bench]'``): urlextract, xxhash, limits.
"""

from __future__ import annotations

import difflib
import itertools
import re
import time
import unicodedata
from collections import defaultdict, deque
from dataclasses import dataclass
from functools import partial

import emoji
import limits.storage.memory
import xxhash
from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from urlextract import URLExtract

from spamguard import Message, Role

__all__ = ["ALLOW", "BLOCK", "FloorFilter", "HandWrittenFilter", "HandWrittenRules"]

ALLOW = "allow"
BLOCK = "block"

SenderId = tuple[str, str, str, str, str]
"""Tenant, interface, session, role and sender: whose window a post belongs to."""


def sender_id(message: Message) -> SenderId:
    """The key of a message's sender windows, as a plain tuple (cheap to build and hash)."""
    return (message.tenant, message.interface, message.session, message.role, message.sender)


# ------------------------------------------------------------------ hand-written


@dataclass(frozen=True, slots=True)
class HandWrittenRules:
    """The thresholds of the shipped rules that the hand-written filter applies.

    The values are those of ``rules/default.yaml``; each is the largest value still allowed.
    """

    max_chars: int = 2_000
    max_lines: int = 60
    max_urls: int = 3
    duplicate_window_s: float = 300.0
    duplicate_min_chars: int = 12
    max_repeats: int = 2
    max_near_repeats: int = 2
    similarity: float = 0.9
    compare_last: int = 10
    compare_chars: int = 256
    max_emoji: int = 50
    max_emoji_share: float = 0.7
    emoji_min_chars: int = 12
    max_symbol_share: float = 0.9
    symbol_min_chars: int = 32
    max_run: int = 100
    max_marks: int = 6
    burst_10s_messages: int = 8
    burst_10s_chars: int = 6_000
    burst_60s_messages: int = 20


class _MessageClock:
    """Stands in for the `time` module inside ``limits.storage.memory``.

    ``MemoryStorage`` timestamps hits with ``time.time()`` and its API takes no time
    argument. The benchmark replays hours of chat in seconds, so on the wall clock every
    chatty sender would look like a burst. The filter sets ``now`` to each message's
    ``ts`` before hitting the limiter; ``now`` stays at the latest message's time, so the
    storage's background expiry thread judges entries on the same clock. Until a filter
    has seen a message it reads the wall clock.
    """

    def __init__(self) -> None:
        self.now: float | None = None

    def time(self) -> float:
        """The latest message time, or the wall clock before the first message."""
        return time.time() if self.now is None else self.now


_CLOCK = _MessageClock()


def _use_message_clock() -> None:
    """Point limits' in-memory storage at `_CLOCK` (for the whole process; idempotent)."""
    limits.storage.memory.time = _CLOCK  # type: ignore[assignment]


_SPACES = re.compile(r"\s+")
_SYMBOL = re.compile(r"[^\w\s]")
# Filled in with the rules' limits: a run of one character longer than `max_run`, and
# more combining marks in a row than `max_marks` (zalgo stacks them on one letter).
_LONG_RUN = r"(\S)\1{{{max_run},}}"
_STACKED_MARKS = r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff]{{{more},}}"


class HandWrittenFilter:
    """The shipped rules' checks, written the straightforward way (or, with
    ``shortcuts=True``, the straightforward way plus the shortcuts a profiler suggests).

    Per message, in this order (with shortcuts: returning at the first check that fails):

    1. burst: ``limits`` moving windows per sender (8 posts/10 s, 6,000 chars/10 s,
       20 posts/60 s); every post hits every window, blocked ones included;
    2. length: ``len(text)`` and ``text.count("\\n")``;
    3. emoji: ``emoji.emoji_count`` and its share of the non-space characters;
    4. symbols: `re` for the share of ``[^\\w\\s]`` (emoji excluded), runs of one
       character and stacked combining marks;
    5. links: ``urlextract`` (its bundled TLD list, never updated, no DNS); with
       shortcuts it stops after ``max_urls + 1`` links;
    6. duplicates: the text (NFKC, case-folded, spaces collapsed) against the sender's
       last ``compare_last`` posts of the last 5 minutes, kept in a `deque`: exact
       matches by ``==``, near ones by `difflib.SequenceMatcher.ratio`; with shortcuts
       ``real_quick_ratio`` and ``quick_ratio`` come first, as
       `difflib.get_close_matches` does. Every checked post is remembered, blocked ones
       included.

    Deliberate differences from spamguard: no strikes or termination, no transaction ids,
    code points instead of graphemes, and no decoding of disguises (defanged links such as
    ``hxxps://x[.]com``, homoglyphs and zero-width characters beyond what NFKC folds).
    ``limits`` does not record a refused hit, so a sender over a window is counted at the
    limit, not above it.
    """

    def __init__(self, rules: HandWrittenRules | None = None, *, shortcuts: bool = False) -> None:
        self.rules = rules = rules or HandWrittenRules()
        self.shortcuts = shortcuts
        # Stay offline: the TLD list shipped with urlextract is used as it is (update()
        # and update_when_older() would download it) and no link is resolved (check_dns).
        self._urls = URLExtract(cache_dns=False)
        _use_message_clock()
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._windows: list[tuple[RateLimitItem, bool]] = [
            (RateLimitItemPerSecond(rules.burst_10s_messages, 10), False),
            (RateLimitItemPerSecond(rules.burst_10s_chars, 10), True),
            (RateLimitItemPerMinute(rules.burst_60s_messages, 1), False),
        ]
        self._history: defaultdict[SenderId, deque[tuple[float, str]]] = defaultdict(
            partial(deque, maxlen=rules.compare_last)
        )
        self._long_run = re.compile(_LONG_RUN.format(max_run=rules.max_run))
        self._stacked_marks = re.compile(_STACKED_MARKS.format(more=rules.max_marks + 1))

    def check(self, message: Message) -> str:
        """``"allow"`` or ``"block"`` for one message."""
        if message.role is Role.SYSTEM:
            return ALLOW  # as in spamguard: the server's own posts are not checked
        now = time.time() if message.ts is None else message.ts
        sender = sender_id(message)
        text = message.text
        # State first: a post counts towards the windows whatever the verdict.
        burst = self._over_burst(sender, len(text), now)
        normalised, earlier = self._remember(sender, text, now)
        if not self.shortcuts:  # every check, as every reason is reported
            emoji_count, visible = emoji.emoji_count(text), _visible(text)
            failed = [
                burst,
                self._too_long(text),
                self._emoji_flood(emoji_count, visible),
                self._symbol_flood(text, emoji_count, visible),
                self._too_many_urls(text),
                self._repeated(normalised, earlier),
            ]
            return BLOCK if any(failed) else ALLOW
        if burst or self._too_long(text):
            return BLOCK
        emoji_count, visible = emoji.emoji_count(text), _visible(text)
        if (
            self._emoji_flood(emoji_count, visible)
            or self._symbol_flood(text, emoji_count, visible)
            or self._too_many_urls(text)
        ):
            return BLOCK
        # The costliest check last: a post blocked by a cheaper one skips difflib.
        return BLOCK if self._repeated(normalised, earlier) else ALLOW

    def _over_burst(self, sender: SenderId, chars: int, now: float) -> bool:
        """Hit every window (all of them, so that each keeps counting) and report a refusal."""
        _CLOCK.now = now
        refused = False
        for item, by_chars in self._windows:
            if not self._limiter.hit(item, *sender, cost=chars if by_chars else 1):
                refused = True
        return refused

    def _too_long(self, text: str) -> bool:
        rules = self.rules
        return len(text) > rules.max_chars or text.count("\n") + 1 > rules.max_lines

    def _emoji_flood(self, count: int, visible: int) -> bool:
        rules = self.rules
        if count > rules.max_emoji:
            return True
        return (
            count > 0
            and visible >= rules.emoji_min_chars
            and count / visible > rules.max_emoji_share
        )

    def _symbol_flood(self, text: str, emoji_count: int, visible: int) -> bool:
        rules = self.rules
        if self._long_run.search(text) or self._stacked_marks.search(text):
            return True
        if visible < rules.symbol_min_chars:
            return False
        # Emoji match [^\w\s] too, but they are the emoji check's business.
        symbols = len(_SYMBOL.findall(text)) - emoji_count
        return symbols / visible > rules.max_symbol_share

    def _too_many_urls(self, text: str) -> bool:
        if not self.shortcuts:
            return len(self._urls.find_urls(text)) > self.rules.max_urls
        # Stop extracting once one link more than allowed has been found.
        found = itertools.islice(self._urls.gen_urls(text), self.rules.max_urls + 1)
        return sum(1 for _ in found) > self.rules.max_urls

    def _remember(self, sender: SenderId, text: str, now: float) -> tuple[str, list[str]]:
        """Add the post to the sender's history; return it normalised and the earlier posts.

        Only the first ``max_chars`` characters are normalised: longer posts are blocked
        by the length check anyway, and a 60,000-character wall should not cost NFKC.
        """
        rules = self.rules
        normalised = unicodedata.normalize("NFKC", text[: rules.max_chars]).casefold()
        normalised = _SPACES.sub(" ", normalised).strip()[: rules.compare_chars]
        history = self._history[sender]
        earlier = [past for ts, past in history if ts > now - rules.duplicate_window_s]
        history.append((now, normalised))
        return normalised, earlier

    def _repeated(self, text: str, earlier: list[str]) -> bool:
        """Whether the post repeats, exactly or nearly, too many of the earlier ones."""
        rules = self.rules
        if len(text) < rules.duplicate_min_chars or not earlier:
            return False
        exact = 1 + earlier.count(text)
        if exact > rules.max_repeats:
            return True
        similar = exact
        if not self.shortcuts:  # as most code writes it: one matcher per pair
            for past in earlier:
                if past != text:
                    similar += difflib.SequenceMatcher(None, past, text).ratio() >= rules.similarity
            return similar > rules.max_near_repeats
        matcher = difflib.SequenceMatcher(None, b=text)  # caches what it learns of b
        for past in earlier:
            if past == text:
                continue
            matcher.set_seq1(past)
            if (
                matcher.real_quick_ratio() >= rules.similarity
                and matcher.quick_ratio() >= rules.similarity
                and matcher.ratio() >= rules.similarity
            ):
                similar += 1
        return similar > rules.max_near_repeats


def _visible(text: str) -> int:
    """Characters that are not whitespace."""
    return sum(map(len, text.split()))


# ------------------------------------------------------------------------- floor

_NOT_WORD_OR_SPACE = re.compile(r"[^\w\s]")


class FloorFilter:
    """The least a per-message filter does: scan the text once, fingerprint it, remember it.

    Per message: one pass of a precompiled pattern counting ``[^\\w\\s]`` (a useful
    figure: the symbol count), one ``xxhash.xxh3_64_intdigest`` of the UTF-8 text, and an
    append of ``(ts, fingerprint, symbols)`` to the sender's bounded `deque`. Always
    ``"allow"``.
    """

    def __init__(self, keep_last: int = 10) -> None:
        self._history: defaultdict[SenderId, deque[tuple[float | None, int, int]]] = defaultdict(
            partial(deque, maxlen=keep_last)
        )

    def check(self, message: Message) -> str:
        """Scan, fingerprint and remember the message; decide nothing."""
        text = message.text
        symbols = len(_NOT_WORD_OR_SPACE.findall(text))
        # surrogatepass: a lone surrogate is a valid str and must not raise here.
        digest = xxhash.xxh3_64_intdigest(text.encode("utf-8", "surrogatepass"))
        self._history[sender_id(message)].append((message.ts, digest, symbols))
        return ALLOW
