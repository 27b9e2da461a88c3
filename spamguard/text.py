"""One-pass text analysis: everything the detectors need, computed once per message.

Detectors never look at the raw text; they read a `TextFeatures`. That keeps the costly
parts (normalisation, grapheme segmentation, URL extraction) in one place, done once, and
bounded: only the first `scan_chars` characters are analysed, whatever the message size.

Speed.  `analyse` runs on every chat message, so every count is done by C-level string,
bytes and ``re`` operations, never by a Python loop over characters, and the costly exact
methods only run on the texts that need them:

* Grapheme clusters: a text without any character that can join a cluster to its
  neighbour (marks, ZWJ, prepended marks, conjoining jamo, regional indicators, CR) has
  one cluster per code point.  Most other texts only have marks and emoji modifiers,
  which attach to the character before them; those are counted.  Only the rest (ZWJ,
  prepended marks, jamo, Indic conjunct linkers) is segmented with ``\\X``, and only the
  stretches around such characters.  ``regex``'s ``\\X`` costs about 90 ns a character.
* Character classes are checked with ``re`` bitmap classes of Basic Multilingual Plane
  code points (a few ns a character).  ``re`` tests a class with astral members range by
  range (a 190-range class costs 220 ns a character), so astral members are left to
  ``regex``, whose property lookups cost the same for any class, and counted by deleting
  runs (`regex` scans a run of one property at ~2 ns a character) rather than findall.
* The classes themselves are read from the ``regex`` module at import (its Unicode
  version, not the interpreter's), so that the counts agree exactly with the ``\\X`` and
  ``\\p{...}`` definitions they replace; tests/test_text.py checks that, and that the
  planes skipped at import hold nothing of interest.
"""

from __future__ import annotations

import array
import hashlib
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import regex

from spamguard.normalise import clean, skeleton_of_clean
from spamguard.urls import FoundUrl, extract_urls

__all__ = ["AnalysisLimits", "TextFeatures", "analyse", "fingerprint", "unanalysed"]

# ---------------------------------------------------------------------------------------
# Reference definitions.  These are what the counts mean; the fast paths below must agree
# with them on every string (tests/test_text.py checks it), and the slow paths use them.
# ---------------------------------------------------------------------------------------

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
# The longest standard ZWJ sequence joins four pictographs (a family). A longer chain is
# no emoji a keyboard offers, but a way to pass a flood off as one character: each of
# its pictographs counts, as an emoji and as a character.
_MOST_JOINED_PICTOGRAPHS = 4
# Cleaning drops the ZWJ inside an emoji sequence, which splits it into one character per
# pictograph; each such join is counted to put the sequence back together as one character.
_EMOJI_JOIN = regex.compile(
    r"\p{Extended_Pictographic}(?:\p{EMod}|\uFE0F)*\u200D(?=\p{Extended_Pictographic})"
)
# The symbol class: punctuation and symbols, except the emoji counted separately.
_SYMBOL_PROPERTY = r"[[\p{P}\p{S}]--[\p{Extended_Pictographic}\p{EMod}\p{RI}]]"
# Only runs of 4+ are of interest; matching nothing shorter keeps the scan cheap.
# The standard `re` runs this back-reference scan about 2.5x faster than `regex`.  The
# repeat is possessive: nothing follows it, so the match is the same, but a greedy repeat
# of a back-reference keeps a backtracking entry per repetition, ~90 bytes a character
# of the run (0.7 MB for 8,000 combining marks, 900 MB at the largest `scan_chars`).
_RUN = re.compile(r"(\S)\1{3,}+")
_MARKS = regex.compile(r"\p{M}{3,}")

# ---------------------------------------------------------------------------------------
# Code point sets, read once from the `regex` module.
# ---------------------------------------------------------------------------------------

# Planes 0 and 1 hold every mark, symbol, pictograph and grapheme-break character of
# interest; plane 14 holds tags, variation selectors and default-ignorable controls.
# Planes 2-13 (CJK and unassigned) and 15-16 (private use) hold none (a test checks it
# over every code point), and skipping them makes the import-time scan ~10 ms, not ~80.
_SCANNED_PLANES = (range(0x20000), range(0xE0000, 0xE1000))


def _plane_text() -> str:
    # Decoding one UTF-32 buffer is twice as fast as "".join(map(chr, ...)).
    codes = array.array("I", [cp for plane in _SCANNED_PLANES for cp in plane])
    codec = "utf-32-le" if sys.byteorder == "little" else "utf-32-be"
    return codes.tobytes().decode(codec, "surrogatepass")


def _code_points(properties: Iterable[str], text: str) -> dict[str, frozenset[int]]:
    found: dict[str, frozenset[int]] = {}
    for prop in properties:
        runs = regex.compile(f"(?:{prop})+", regex.V1).findall(text)
        found[prop] = frozenset(ord(ch) for run in runs for ch in run)
    return found


_GCB_EXTEND = r"\p{GCB=Extend}"
_GCB_ZWJ = r"\p{GCB=ZWJ}"
_GCB_SPACING = r"\p{GCB=SpacingMark}"
_GCB_PREPEND = r"\p{GCB=Prepend}"
_GCB_JAMO = r"[\p{GCB=L}\p{GCB=V}\p{GCB=T}]"
_GCB_RI = r"\p{GCB=Regional_Indicator}"
_GCB_CONTROL = r"[\p{GCB=Control}\p{GCB=CR}\p{GCB=LF}]"
_INCB_LINKER = r"\p{InCB=Linker}"
_EMOJI_MODIFIER = r"\p{EMod}"

_SETS = _code_points(
    (
        _GCB_EXTEND,
        _GCB_ZWJ,
        _GCB_SPACING,
        _GCB_PREPEND,
        _GCB_JAMO,
        _GCB_RI,
        _GCB_CONTROL,
        _INCB_LINKER,
        _EMOJI_MODIFIER,
        _SYMBOL_PROPERTY,
    ),
    _plane_text(),
)

# Grapheme clusters (UAX #29).  There is a cluster boundary between two characters unless
# one of the rules GB3 (CR LF), GB6-8 (Hangul jamo), GB9 (Extend, ZWJ), GB9a (SpacingMark),
# GB9b (Prepend), GB9c (Indic conjuncts, which need a Linker), GB11 (emoji
# ZWJ sequences, which need a ZWJ) or GB12-13 (regional indicator pairs) applies, and each
# of them needs one of these "joining" characters on one side of the boundary.  (Most
# linkers are Extend; in `regex`'s data three are not, U+1CF5, U+1CF6 and U+11A3A, and
# its \X joins a consonant to them even without a consonant before.)
_JOINING: frozenset[int] = (
    _SETS[_GCB_EXTEND]
    | _SETS[_GCB_ZWJ]
    | _SETS[_GCB_SPACING]
    | _SETS[_GCB_PREPEND]
    | _SETS[_GCB_JAMO]
    | _SETS[_GCB_RI]
    | _SETS[_INCB_LINKER]
    | {ord("\r")}
)
# With only these, every joining character attaches to the one before it (GB9, GB9a),
# unless it starts the text or follows a control (GB4); regional indicators pair up
# (GB12-13); CR LF is one cluster (GB3).  Everything else is "complex".
_ATTACHING: frozenset[int] = (_SETS[_GCB_EXTEND] | _SETS[_GCB_SPACING]) - _SETS[_INCB_LINKER]
_COMPLEX: frozenset[int] = _JOINING - _ATTACHING - _SETS[_GCB_RI] - {ord("\r")}
_CONTROL: frozenset[int] = _SETS[_GCB_CONTROL]
_RI: frozenset[int] = _SETS[_GCB_RI]
_EMOD: frozenset[int] = _SETS[_EMOJI_MODIFIER]
_SYMBOLS: frozenset[int] = _SETS[_SYMBOL_PROPERTY]
del _SETS


def _ranges(code_points: Iterable[int]) -> list[tuple[int, int]]:
    ordered = sorted(code_points)
    spans: list[tuple[int, int]] = []
    for cp in ordered:
        if spans and spans[-1][1] == cp - 1:
            spans[-1] = (spans[-1][0], cp)
        else:
            spans.append((cp, cp))
    return spans


def _class_body(code_points: Iterable[int]) -> str:
    return "".join(
        f"\\U{lo:08x}" if lo == hi else f"\\U{lo:08x}-\\U{hi:08x}"
        for lo, hi in _ranges(code_points)
    )


def _bmp(code_points: Iterable[int]) -> frozenset[int]:
    return frozenset(cp for cp in code_points if cp <= 0xFFFF)


def _astral(code_points: Iterable[int]) -> frozenset[int]:
    return frozenset(cp for cp in code_points if cp > 0xFFFF)


def _span(code_points: Iterable[int]) -> str:
    """Class body from the lowest to the highest member of each plane: a cheap superset."""
    by_plane: dict[int, list[int]] = {}
    for cp in code_points:
        by_plane.setdefault(cp >> 16, []).append(cp)
    return "".join(f"\\U{min(c):08x}-\\U{max(c):08x}" for _, c in sorted(by_plane.items()))


_ANY_ASTRAL = re.compile("[\U00010000-\U0010ffff]")

# --- grapheme clusters
# Regional indicators and emoji modifiers are the only joining characters among the
# emoji (U+1F000 and up), and each is one contiguous range: they are tested exactly.
# Every other astral joining character lies in plane 1 below the emoji or in plane 14;
# a span covers them, and a text with any character in it takes the exact slow path.
_CHEAP_ASTRAL_JOINING = _astral(_RI | _EMOD)
_SLOW_ASTRAL_SPAN = _span(_astral(_JOINING) - _CHEAP_ASTRAL_JOINING)
_MAY_JOIN = re.compile(
    f"[{_class_body(_bmp(_JOINING) | _CHEAP_ASTRAL_JOINING)}{_SLOW_ASTRAL_SPAN}]"
)
_MAY_BE_COMPLEX = re.compile(f"[{_class_body(_bmp(_COMPLEX))}{_SLOW_ASTRAL_SPAN}]")
# Characters that attach to the previous one, in texts without complex ones (where no
# astral attaching character other than the emoji modifiers can occur).
_ATTACHING_RUNS = re.compile(f"[{_class_body(_bmp(_ATTACHING) | _astral(_EMOD))}]+")
_ATTACHING_AT_START = re.compile(f"[{_class_body(_bmp(_ATTACHING) | _astral(_EMOD))}]")
_DETACHED = re.compile(
    f"[{_class_body(_CONTROL)}][{_class_body(_bmp(_ATTACHING) | _astral(_EMOD))}]"
)
_RI_PAIR = re.compile(f"[{_class_body(_RI)}]{{2}}")
_RI_ANY = re.compile(f"[{_class_body(_RI)}]")
# `regex`'s \X is quadratic in a run of regional indicators (each boundary recounts the
# run back to its start: 160 ms for 8,000 of them), so before \X the middle pairs of
# long runs are cut out; see _shorten_indicator_runs.
_RI_LONG_RUN = re.compile(f"[{_class_body(_RI)}]{{5,}}")
# The stretches around joining characters where \X has to run: a non-joining character,
# joining ones, and so on, up to the non-joining character after the last joining one.
_JOINING_SUPERSET = f"{_class_body(_bmp(_JOINING) | _CHEAP_ASTRAL_JOINING)}{_SLOW_ASTRAL_SPAN}"
# They are cut out at C speed: every run of non-joining characters but its first and
# last is replaced by one NUL, a control, which is always a cluster of its own (GB4,
# GB5) and never in cleaned text; what is cut are characters that are each a cluster of
# their own too.  Then one \X call counts the clusters left (0.16 ms for 8,000 random BMP
# characters, where a findall of the stretches and a \X call per stretch took 0.43).
_CUT = re.compile(
    f"(?<=[^{_JOINING_SUPERSET}])[^{_JOINING_SUPERSET}]+(?=[^{_JOINING_SUPERSET}])", re.DOTALL
)
# The span above takes all of plane 1 below the emoji for joining, so in random astral
# text half the characters start a stretch: 1,100 stretches and 1.25 ms for 8,000
# characters.  Where the span matches, the stretches are cut with the exact classes of
# `regex` instead (a run of joining characters, possibly split by single others, and
# one character either side): ~70 stretches, 0.35 ms.
_ANY_SLOW_ASTRAL = re.compile(f"[{_SLOW_ASTRAL_SPAN}]")
_JOINING_EXACT = (
    f"{_GCB_EXTEND}{_GCB_ZWJ}{_GCB_SPACING}{_GCB_PREPEND}{_GCB_JAMO}{_GCB_RI}{_INCB_LINKER}\\r"
)
_JOINING_RUNS = regex.compile(
    f"[{_JOINING_EXACT}](?:[{_JOINING_EXACT}]|[^{_JOINING_EXACT}][{_JOINING_EXACT}])*+",
    regex.V1 | regex.DOTALL,
)

# --- emoji: a text without ZWJ, keycap or regional indicator has one per pictograph.
# `regex` scans a run of one property at ~2 ns a character (37 us for 20,000 emoji, where
# findall of _EMOJI takes 3.4 ms), so counting is deleting runs and comparing lengths.
_PICTOGRAPH_RUNS = regex.compile(r"\p{Extended_Pictographic}+")
_EMOJI_SEQUENCE_PARTS = ("\u200d", "\u20e3")

# --- symbols: for BMP-only text a `re` bitmap class (the 580-character symbol flood:
# 13 us, where `regex` findall took 23 us); astral text needs the exact `regex` class.
_SYMBOL_BMP_RUNS = re.compile(f"[{_class_body(_bmp(_SYMBOLS))}]+")
_SYMBOL_RUNS = regex.compile(_SYMBOL_PROPERTY + "+", regex.V1)
# [!-/:-@\[-`{-~], all ASCII punctuation and symbols.
_ASCII_SYMBOLS = bytes(
    [*range(0x21, 0x30), *range(0x3A, 0x41), *range(0x5B, 0x61), *range(0x7B, 0x7F)]
)

# --- runs of one character: see _longest_run
_ZERO_RUNS = re.compile(rb"\x00{3,}")


@dataclass(frozen=True, slots=True)
class AnalysisLimits:
    """Caps on the work analysis does for one message.

    Attributes:
        scan_chars: Characters of the message that are analysed at all.
        max_urls: Links extracted before URL extraction stops.
        key_chars: Characters of the normalised text kept for near-duplicate comparison.
    """

    scan_chars: int = 8_000
    max_urls: int = 50
    key_chars: int = 256


class TextFeatures(NamedTuple):
    """The analysed form of one message (immutable).

    Counts are of user-perceived characters (grapheme clusters) of the cleaned text, i.e.
    after NFKC and with invisible characters removed.

    A named tuple rather than a frozen dataclass: one is built per message, and a frozen
    dataclass ``__init__`` costs about 60 ns per field (0.85 us of a 5 us analysis of a
    short message); the named tuple is built in 0.16 us.

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


_DEFAULT_LIMITS = AnalysisLimits()


def analyse(text: str, limits: AnalysisLimits = _DEFAULT_LIMITS) -> TextFeatures:
    """Analyse one message; never raises for any string, costs at most O(scan_chars)."""
    length = len(text)
    scan_chars = limits.scan_chars
    capped = length > scan_chars
    head = text[:scan_chars] if capped else text
    cleaned = clean(head)
    ascii_text = cleaned.isascii()
    if ascii_text:
        data = cleaned.encode("ascii")
        chars = len(cleaned)
        emoji = 0
        # bytes.translate deletes at C speed: 1 us for 2,000 characters, where
        # findall of a one-character class took 35 us.
        symbols = chars - len(data.translate(None, _ASCII_SYMBOLS))
        max_marks = 0
        longest_run = _longest_ascii_run(cleaned, data)
    else:
        chars = _graphemes(cleaned)
        emoji, overlong = _emoji(head)
        if "\u200d" in head:
            chars -= len(_EMOJI_JOIN.findall(head)) - overlong
        symbols = _symbols(cleaned)
        # `regex` scans a run of one property at C speed; few texts have any run of marks.
        max_marks = max(map(len, _MARKS.findall(cleaned)), default=0)
        longest_run = _longest_run(cleaned)
    # clean() turns every other whitespace into a space, so four counts find it all.
    visible = chars - sum(map(cleaned.count, _WHITESPACE))
    if not ascii_text and "\r\n" in cleaned:
        visible += cleaned.count("\r\n")  # one cluster, not two characters, here
    urls, urls_capped = extract_urls(cleaned, limits.max_urls)
    key = skeleton_of_clean(cleaned)
    return TextFeatures(
        length,  # length
        len(head),  # scanned
        capped,  # capped
        chars + (length - len(head)),  # chars
        text.count("\n") + 1,  # lines
        visible,  # visible
        emoji,  # emoji
        symbols,  # symbols
        longest_run,  # longest_run
        max_marks,  # max_marks
        urls,  # urls
        urls_capped,  # urls_capped
        key[: limits.key_chars],  # key
        fingerprint(key),  # fingerprint
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


# ---------------------------------------------------------------------------------------
# The counts of non-ASCII text.
# ---------------------------------------------------------------------------------------


def _graphemes(cleaned: str) -> int:
    """``len(_GRAPHEME.findall(cleaned))``, without running ``\\X`` where it is not needed."""
    if _MAY_JOIN.search(cleaned) is None:
        return len(cleaned)  # one cluster per code point: most text, emoji included
    if _MAY_BE_COMPLEX.search(cleaned) is None:
        # Marks and emoji modifiers attach to the character before them, except at the
        # start and after a control (tab, line feed...); indicators pair up; CR LF is one.
        attached = len(cleaned) - len(_ATTACHING_RUNS.sub("", cleaned))
        if attached:
            attached -= _DETACHED.subn("", cleaned)[1]
            attached -= _ATTACHING_AT_START.match(cleaned) is not None
        joins = attached + cleaned.count("\r\n")
        if _RI_ANY.search(cleaned) is not None:
            joins += _RI_PAIR.subn("", cleaned)[1]
        return len(cleaned) - joins
    # Boundaries fall between any two non-joining characters, so \X only has to run on
    # the stretches around joining ones, and each stretch segments the same on its own.
    if _ANY_SLOW_ASTRAL.search(cleaned) is None:
        joined = _CUT.sub("\0", cleaned)
    else:
        joined = "\0".join(
            cleaned[max(run.start() - 1, 0) : run.end() + 1]
            for run in _JOINING_RUNS.finditer(cleaned)
        )
    removed_pairs = 0
    if _RI_ANY.search(joined) is not None:
        joined, removed_pairs = _shorten_indicator_runs(joined)
    # Each NUL is one character and one cluster, so the joins are those of the text; each
    # pair of indicators cut out was one join.  subn counts without building a list.
    return len(cleaned) - (len(joined) - _GRAPHEME.subn("", joined)[1] + removed_pairs)


def _shorten_indicator_runs(text: str) -> tuple[str, int]:
    """Cut whole pairs out of the middle of runs of 5+ regional indicators.

    Indicators pair up from the start of a run (GB12-13) and take part in no other rule
    but at the run's two ends (a prepended mark before the first, marks and ZWJ after the
    last), so keeping the first pair and the last one or two indicators (the run's
    parity) segments the same, with one cluster and one join less per pair cut out.
    Returns the shortened text and the number of pairs cut out.
    """
    removed = 0

    def shorten(run: re.Match[str]) -> str:
        nonlocal removed
        length = run.end() - run.start()
        keep = 4 - length % 2
        removed += (length - keep) // 2
        return run.group()[:keep]

    return _RI_LONG_RUN.sub(shorten, text), removed


def _emoji(head: str) -> tuple[int, int]:
    """The emoji of `head` and the joins of its over-long ZWJ sequences.

    ``len(_EMOJI.findall(head))``, except that each pictograph of a sequence of more than
    `_MOST_JOINED_PICTOGRAPHS` counts: the second number is how many more that makes.
    """
    if any(part in head for part in _EMOJI_SEQUENCE_PARTS) or _RI_ANY.search(head):
        found = _EMOJI.findall(head)
        if "\u200d" not in head:
            return len(found), 0
        joins = (match.count("\u200d") for match in found)
        overlong = sum(count for count in joins if count >= _MOST_JOINED_PICTOGRAPHS)
        return len(found) + overlong, overlong
    # Without ZWJ, keycap or indicator every match of _EMOJI is one pictograph and what
    # trails it (modifiers, variation selectors, tags), none of which is a pictograph.
    return len(head) - len(_PICTOGRAPH_RUNS.sub("", head)), 0


def _symbols(cleaned: str) -> int:
    """``len(regex.findall(_SYMBOL_PROPERTY, cleaned, regex.V1))``."""
    runs = _SYMBOL_RUNS if _ANY_ASTRAL.search(cleaned) else _SYMBOL_BMP_RUNS
    return len(cleaned) - len(runs.sub("", cleaned))


# ---------------------------------------------------------------------------------------
# Runs of one character in ASCII text.
# ---------------------------------------------------------------------------------------
# The reference is the back-reference scan _RUN, which costs ~20 ns a character in `re`
# (36 us for a 1,900-character log paste).  Instead, the bytes are compared with
# themselves shifted by one as one big-integer XOR (C speed, ~1 ns a character): equal
# neighbours give a zero byte, so a run of n equal characters is n - 1 zero bytes in a row.
# Whitespace runs do not count: a NUL (which clean() deletes, so it is never in the
# cleaned text) is inserted after each whitespace character that occurs four times in a
# row, which breaks such runs and touches no other.  clean() leaves no ASCII whitespace
# but these four.  Below ~64 characters the fixed cost of the integer work (~0.8 us)
# exceeds the regex scan, which is used there.
_SHORT_RUN_SCAN = 64


def _longest_ascii_run(cleaned: str, data: bytes) -> int:
    if len(data) < _SHORT_RUN_SCAN:
        return _longest_run(cleaned)
    for space in (b" ", b"\n", b"\t", b"\r"):
        if space * 4 in data:
            data = data.replace(space, space + b"\0")
    value = int.from_bytes(data, "little")
    # Byte i is data[i] ^ data[i + 1]; the last is the last byte, never 0 after a 0.
    diff = (value ^ (value >> 8)).to_bytes(len(data), "little")
    if b"\0\0\0" not in diff:
        return 0
    return max(map(len, _ZERO_RUNS.findall(diff))) + 1


def _longest_run(cleaned: str) -> int:
    """``max(len(m.group()) for m in _RUN.finditer(cleaned))``, or 0."""
    if _RUN.search(cleaned) is None:  # the usual case, without the finditer machinery
        return 0
    return max(m.end() - m.start() for m in _RUN.finditer(cleaned))
