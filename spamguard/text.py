"""One-pass text analysis: everything the detectors need, computed once per message.

Detectors never look at the raw text; they read a `TextFeatures`. That keeps the costly
parts (normalisation, grapheme segmentation, URL extraction) in one place, done once, and
bounded: only the first `scan_chars` characters are analysed, whatever the message size.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import regex

from spamguard.normalise import clean, skeleton
from spamguard.urls import FoundUrl, extract_urls

__all__ = ["AnalysisLimits", "TextFeatures", "analyse", "fingerprint", "unanalysed"]

_GRAPHEME = regex.compile(r"\X")
_WHITESPACE = (" ", "\n", "\t", "\r")
# Emoji as users see them: a flag (two regional indicators), a keycap, or a pictograph with
# its modifiers, variation selector or tag sequence, joined by ZWJ into one glyph.
_EMOJI = regex.compile(
    r"\p{RI}\p{RI}"
    r"|[#*0-9]\uFE0F?\u20E3"
    r"|\p{Extended_Pictographic}(?:\p{EMod}|\uFE0F|[\U000E0020-\U000E007F])*"
    r"(?:\u200D\p{Extended_Pictographic}(?:\p{EMod}|\uFE0F)*)*"
)
# Cleaning drops the ZWJ inside an emoji sequence, which splits it into one character per
# pictograph; each such join is counted to put the sequence back together as one character.
_EMOJI_JOIN = regex.compile(
    r"\p{Extended_Pictographic}(?:\p{EMod}|\uFE0F)*\u200D(?=\p{Extended_Pictographic})"
)
_ASCII_SYMBOL = regex.compile(r"[!-/:-@\[-`{-~]")
_SYMBOL = regex.compile(r"[[\p{P}\p{S}]--[\p{Extended_Pictographic}\p{EMod}\p{RI}]]", regex.V1)
# Only runs of 4+ are of interest; matching nothing shorter keeps the scan cheap.
# The standard `re` runs this back-reference scan about 2.5x faster than `regex`.
_RUN = re.compile(r"(\S)\1{3,}")
_MARKS = regex.compile(r"\p{M}{3,}")


@dataclass(frozen=True, slots=True)
class AnalysisLimits:
    """Caps on the work analysis does for one message.

    Attributes:
        scan_chars: Characters of the message that are analysed at all.
        max_urls: Links extracted before URL extraction stops.
        key_chars: Characters of the normalised text kept for near-duplicate comparison.
    """

    scan_chars: int = 20_000
    max_urls: int = 50
    key_chars: int = 256


@dataclass(frozen=True, slots=True)
class TextFeatures:
    """The analysed form of one message.

    Counts are of user-perceived characters (grapheme clusters) of the cleaned text, i.e.
    after NFKC and with invisible characters removed.

    Attributes:
        length: Code points of the whole raw message.
        scanned: Code points analysed (``min(length, scan_chars)``).
        capped: True when the message was longer than the analysis cap.
        chars: Visible length in characters; beyond the cap, the rest is counted as code points.
        lines: Lines of the whole message.
        visible: Non-whitespace characters of the analysed part.
        emoji: Emoji of the analysed part, each ZWJ sequence, flag or keycap counted once.
        symbols: Punctuation and symbol characters (not emoji) of the analysed part.
        longest_run: The longest run of one non-space character (0 when under 4).
        max_marks: The most combining marks stacked on one character (0 when under 3).
        urls: Links found, at most ``max_urls``.
        urls_capped: True when there were more links than ``max_urls``.
        key: The normalised comparison text, at most ``key_chars`` long.
        fingerprint: A stable 64-bit hash of the whole normalised analysed text.
    """

    length: int
    scanned: int
    capped: bool
    chars: int
    lines: int
    visible: int
    emoji: int
    symbols: int
    longest_run: int
    max_marks: int
    urls: tuple[FoundUrl, ...]
    urls_capped: bool
    key: str
    fingerprint: int


def analyse(text: str, limits: AnalysisLimits = AnalysisLimits()) -> TextFeatures:
    """Analyse one message; never raises for any string, costs at most O(scan_chars)."""
    length = len(text)
    capped = length > limits.scan_chars
    head = text[: limits.scan_chars] if capped else text
    cleaned = clean(head)
    if cleaned.isascii():
        chars = len(cleaned)
        emoji = 0
        symbols = len(_ASCII_SYMBOL.findall(cleaned))
        max_marks = 0
    else:
        chars = len(_GRAPHEME.findall(cleaned))
        if "\u200d" in head:
            chars -= len(_EMOJI_JOIN.findall(head))
        emoji = len(_EMOJI.findall(head))
        symbols = len(_SYMBOL.findall(cleaned))
        max_marks = max(map(len, _MARKS.findall(cleaned)), default=0)
    # clean() turns every other whitespace into a space, so four counts find it all.
    visible = chars - sum(map(cleaned.count, _WHITESPACE))
    urls, urls_capped = extract_urls(cleaned, limits.max_urls)
    key = skeleton(cleaned)
    return TextFeatures(
        length=length,
        scanned=len(head),
        capped=capped,
        chars=chars + (length - len(head)),
        lines=text.count("\n") + 1,
        visible=visible,
        emoji=emoji,
        symbols=symbols,
        longest_run=_longest_run(cleaned),
        max_marks=max_marks,
        urls=urls,
        urls_capped=urls_capped,
        key=key[: limits.key_chars],
        fingerprint=fingerprint(key),
    )


def unanalysed(text: str) -> TextFeatures:
    """Features from the raw size alone, for when analysis itself failed.

    Nothing here can fail on any string, so the length detector can still judge a
    huge message while every content check sees an empty text.
    """
    return TextFeatures(
        length=len(text),
        scanned=0,
        capped=False,
        chars=len(text),
        lines=text.count("\n") + 1,
        visible=0,
        emoji=0,
        symbols=0,
        longest_run=0,
        max_marks=0,
        urls=(),
        urls_capped=False,
        key="",
        fingerprint=0,
    )


def fingerprint(key: str) -> int:
    """A 64-bit hash of a normalised text, stable across processes (unlike ``hash``)."""
    data = key.encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


def _longest_run(cleaned: str) -> int:
    best = 0
    for match in _RUN.finditer(cleaned):
        best = max(best, match.end() - match.start())
    return best
