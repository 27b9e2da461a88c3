"""Text normalisation shared by every spamguard detector.

Spammers defeat naive duplicate and link detection by disguising text: case changes,
extra whitespace, zero-width and bidi control characters, variation selectors, Unicode
tag characters, fullwidth forms, mathematical alphanumerics, combining-mark "zalgo"
noise and homoglyphs (Cyrillic or Greek letters that look like Latin ones).  This
module undoes those disguises in two strengths:

``clean(text)``
    NFKC-normalised text with invisible characters removed and exotic whitespace
    turned into ASCII spaces.  Case, newlines and everything visible are kept, so it
    is the right input for URL extraction and visible-length counting.

``skeleton(text)``
    A comparison key for duplicate detection: ``clean`` plus combining marks removed,
    Latin homoglyphs mapped to Latin letters, case folded and whitespace collapsed.
    Two messages a human reads as the same text get the same skeleton.

Both functions accept any ``str`` (lone surrogates, NUL, megabytes) without raising,
and both are idempotent: ``clean(clean(x)) == clean(x)`` and
``skeleton(skeleton(x)) == skeleton(x)``.

Everything runs on every chat message, so all tables are built once at import
(30-40 ms, dominated by one pass of ``unicodedata.category`` over the planes that
hold format characters and marks, and one ``regex`` property scan for the
normalisation windows) and the per-message work is done by C-level string methods
and precompiled regular expressions; pure-ASCII text takes a shortcut that skips
Unicode processing entirely.
"""

from __future__ import annotations

import array
import re
import sys
import unicodedata
from collections.abc import Iterable
from typing import NamedTuple

import regex

__all__ = ["clean", "fold_lookalikes", "is_invisible", "skeleton", "skeleton_of_clean"]

# ---------------------------------------------------------------------------
# Character classes, derived once from the interpreter's Unicode database.
# ---------------------------------------------------------------------------

# Code points that render as nothing but are not general category Cf, which the
# scan below collects.  Spammers use them as zero-width separators or padding.
_BLANK_LOOKALIKES: frozenset[int] = frozenset(
    {
        0x034F,  # COMBINING GRAPHEME JOINER (Mn): no glyph, blocks canonical reordering
        0x115F,  # HANGUL CHOSEONG FILLER (Lo)
        0x1160,  # HANGUL JUNGSEONG FILLER (Lo); NFKC target of the two fillers below
        0x17B4,  # KHMER VOWEL INHERENT AQ (Mn): deprecated, invisible
        0x17B5,  # KHMER VOWEL INHERENT AA (Mn): deprecated, invisible
        0x180B,  # MONGOLIAN FREE VARIATION SELECTOR ONE..THREE (Mn): variation
        0x180C,  #   selectors in all but name, used like U+FE0F as padding
        0x180D,
        0x180F,  # MONGOLIAN FREE VARIATION SELECTOR FOUR (Mn, Unicode 14)
        0x2800,  # BRAILLE PATTERN BLANK (So): a popular "empty message" character
        0x3164,  # HANGUL FILLER (Lo)
        0xFFA0,  # HALFWIDTH HANGUL FILLER (Lo)
    }
)

# Variation selectors (Mn) and the whole tag block (Cf where assigned; the unassigned
# holes are included so that text written for a newer Unicode is still cleaned).
_SELECTOR_AND_TAG_RANGES: tuple[range, ...] = (
    range(0xFE00, 0xFE10),  # VARIATION SELECTOR-1..16
    range(0xE0000, 0xE0080),  # TAG characters, incl. LANGUAGE TAG and CANCEL TAG
    range(0xE0100, 0xE01F0),  # VARIATION SELECTOR-17..256
)

# Whitespace that clean() keeps as it is: the ASCII space, and the three control
# characters with a layout meaning that chat clients display.
_KEPT_WHITESPACE: frozenset[int] = frozenset(map(ord, " \t\n\r"))

# The replacement for lone surrogates.  They are not text (UTF-8 cannot encode them),
# yet json.loads happily produces them from "\ud800" escapes; a renderer shows U+FFFD,
# and mapping to it keeps downstream .encode() calls from raising.
_REPLACEMENT_CHARACTER = "\ufffd"
_SURROGATES = range(0xD800, 0xE000)

# What the import-time scan reads.  In the Unicode database of Python 3.11 (Unicode
# 14.0) every format character (Cf), mark (Mn, Me), separator (Zs, Zl, Zp), control
# (Cc) and cased letter lies in planes 0, 1 or 14: planes 2 and 3 hold only CJK
# ideographs, planes 4-13 are unassigned and 15-16 are private use.  Inside those
# planes the big blocks of other letters (category Lo), the surrogates and private
# use are skipped too.  That reads about 80 000 code points instead of 1 114 112 and
# cuts the scan from about 170 ms to about 10 ms; a test compares it with a full
# scan, so a future Unicode version cannot silently break the assumption.
_SKIPPED_BLOCKS: tuple[range, ...] = (
    range(0x3400, 0x4DC0),  # CJK Unified Ideographs Extension A
    range(0x4E00, 0xA000),  # CJK Unified Ideographs
    range(0xAC00, 0xD7A4),  # Hangul Syllables
    range(0xD800, 0xF900),  # surrogates and the Private Use Area
    range(0x17000, 0x18D00),  # Tangut, Tangut Components, Khitan, Tangut Supplement
)


def _scanned_ranges() -> tuple[range, ...]:
    ranges: list[range] = []
    for plane in (range(0x20000), range(0xE0000, 0xE1000)):
        start = plane.start
        for skipped in _SKIPPED_BLOCKS:
            if plane.start <= skipped.start < plane.stop:
                ranges.append(range(start, skipped.start))
                start = skipped.stop
        ranges.append(range(start, plane.stop))
    return tuple(ranges)


_SCANNED_RANGES: tuple[range, ...] = _scanned_ranges()


class _UnicodeScan(NamedTuple):
    """The code point sets the normaliser needs, read from ``unicodedata``."""

    format_chars: frozenset[int]  # general category Cf
    marks: frozenset[int]  # Mn and Me
    odd_whitespace: frozenset[int]  # str.isspace(), minus space, \t, \n and \r
    controls: frozenset[int]  # Cc that are not whitespace
    case_folding: frozenset[int]  # Lu, Ll and Lt letters that casefold() changes


_RECORDED_CATEGORIES = frozenset({"Cf", "Mn", "Me", "Zs", "Zl", "Zp", "Cc", "Lu", "Ll", "Lt"})


def _scan_unicode(ranges: Iterable[range]) -> _UnicodeScan:
    """Classify every code point of ``ranges`` in a single pass.

    Whitespace follows ``str.isspace`` (Zs/Zl/Zp plus the whitespace controls such as
    \\v, \\f, \\x1c-\\x1f and NEL) so that ``clean`` agrees with ``str.split``, which
    ``skeleton`` uses to collapse runs of whitespace.
    """
    category = unicodedata.category
    fmt: set[int] = set()
    marks: set[int] = set()
    spaces: set[int] = set()
    controls: set[int] = set()
    folding: set[int] = set()
    for block in ranges:
        # map() keeps the per-code-point calls in C; only the loop test runs in Python.
        for cp, cat in zip(block, map(category, map(chr, block)), strict=True):
            if cat not in _RECORDED_CATEGORIES:
                continue
            if cat[0] == "L":  # Lu, Ll, Lt: only cased letters can change under casefold()
                if chr(cp).casefold() != chr(cp):
                    folding.add(cp)
            elif cat == "Cf":
                fmt.add(cp)
            elif cat in ("Mn", "Me"):
                marks.add(cp)
            elif cat in ("Zs", "Zl", "Zp"):
                spaces.add(cp)
            elif cat == "Cc":
                (spaces if chr(cp).isspace() else controls).add(cp)
    spaces -= _KEPT_WHITESPACE
    return _UnicodeScan(
        frozenset(fmt), frozenset(marks), frozenset(spaces), frozenset(controls), frozenset(folding)
    )


_SCAN = _scan_unicode(_SCANNED_RANGES)
_FORMAT_CHARS = _SCAN.format_chars
_COMBINING_MARKS = _SCAN.marks
_ODD_WHITESPACE = _SCAN.odd_whitespace
_CONTROLS = _SCAN.controls


# Everything clean() deletes.  Note that general category Cf also contains a handful
# of *visible* "prepended concatenation marks" (U+0600-0605, U+06DD, U+070F, U+0890-0891,
# U+08E2, U+110BD, U+110CD); they are vanishingly rare in chat and losing one changes a
# visible length by one, which is accepted to keep the definition simple.
_INVISIBLE: frozenset[int] = (
    _FORMAT_CHARS
    | _CONTROLS
    | _BLANK_LOOKALIKES
    | frozenset(cp for r in _SELECTOR_AND_TAG_RANGES for cp in r)
)


def _char_class(code_points: Iterable[int]) -> str:
    """Return a regular-expression character class matching exactly ``code_points``."""
    ordered = sorted(code_points)
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        lo, hi = ordered[i], ordered[j]
        parts.append(f"\\U{lo:08x}" if lo == hi else f"\\U{lo:08x}-\\U{hi:08x}")
        i = j + 1
    return "[" + "".join(parts) + "]"


def _plane_spans(code_points: Iterable[int]) -> str:
    """Return an alternation of one range per plane, from the plane's lowest to highest member.

    Each branch is a single range, which ``re`` tests in one comparison.  The spans are
    a cheap over-approximation used only to decide whether the exact (slow) class has
    to run at all.
    """
    by_plane: dict[int, list[int]] = {}
    for cp in code_points:
        by_plane.setdefault(cp >> 16, []).append(cp)
    return "|".join(f"[\\U{min(cps):08x}-\\U{max(cps):08x}]" for _, cps in sorted(by_plane.items()))


def _split_bmp(code_points: frozenset[int]) -> tuple[frozenset[int], frozenset[int]]:
    return (
        frozenset(cp for cp in code_points if cp <= 0xFFFF),
        frozenset(cp for cp in code_points if cp > 0xFFFF),
    )


# Why every set is split into a BMP part and an astral part: Python's `re` compiles a
# character class holding only BMP code points into a bitmap (about 4 ns per character
# scanned), but a class with any astral code point is left as a list of ranges tested
# one after another (the full combining-mark class, 330 ranges, costs 180 ns per
# character).  So the BMP part is one bitmap class, and the exact astral class only
# runs when a per-plane span says an astral candidate is present.  In plane 1 the
# format characters (U+110BD..U+1D17A) and the marks (U+101FD..U+1E94A) all lie below
# the emoji (U+1F000 and up), so emoji alone never trigger the exact class; should a
# future Unicode version change that, emoji text merely takes the slower exact path.
_INVISIBLE_BMP, _INVISIBLE_ASTRAL = _split_bmp(_INVISIBLE)
# By the time marks are removed the invisibles are gone already, so the astral marks
# that are also invisible (the variation selectors of plane 14) need no span.
_MARKS_BMP, _MARKS_ASTRAL = _split_bmp(_COMBINING_MARKS - _INVISIBLE)

# Does the text need clean()'s character surgery at all?  One search answers that for
# the common case (nothing to do); the substitutions below then do the work.
_NEEDS_CLEANING = re.compile(
    _char_class(_INVISIBLE_BMP | _ODD_WHITESPACE | frozenset(_SURROGATES))
    + "|"
    + _plane_spans(_INVISIBLE_ASTRAL)
)


def _astral_class(
    code_points: frozenset[int], superset: str
) -> re.Pattern[str] | regex.Pattern[str]:
    """The exact class of ``code_points`` (astral), tried only where ``superset`` matches.

    Any astral text falls in the plane spans, and there ``re`` tests the exact class range
    by range: removing marks from 8,000 random plane-1/2 characters took 1.15 ms.  A
    ``regex`` property class costs a table lookup (~3 ns a character), so the exact
    class runs behind a ``regex`` lookahead of general categories that holds every member
    (0.035 ms).  ``regex`` has a newer Unicode than ``unicodedata``: should a member ever
    fall outside the superset there, the plain ``re`` class is kept.
    """
    exact = _char_class(code_points)
    members = "".join(map(chr, sorted(code_points)))
    if regex.fullmatch(f"{superset}*", members) is None:
        return re.compile(exact)
    return regex.compile(f"(?={superset}){exact}")


_INVISIBLE_BMP_RE = re.compile(_char_class(_INVISIBLE_BMP))
_INVISIBLE_ASTRAL_SPAN_RE = re.compile(_plane_spans(_INVISIBLE_ASTRAL))
# Format characters, variation selectors (Mn) and the tag block with its unassigned holes.
_INVISIBLE_ASTRAL_RE = _astral_class(
    _INVISIBLE_ASTRAL, r"[\p{Cf}\p{Cc}\p{Mn}\U000e0000-\U000e0fff]"
)
_ODD_WHITESPACE_RE = re.compile(_char_class(_ODD_WHITESPACE))
_SURROGATE_RE = re.compile(_char_class(_SURROGATES))

_MARKS_BMP_RE = re.compile(_char_class(_MARKS_BMP))
_MARKS_ASTRAL_SPAN_RE = re.compile(_plane_spans(_MARKS_ASTRAL))
_MARKS_ASTRAL_RE = _astral_class(_MARKS_ASTRAL, r"\p{M}")

# ASCII fast path: the only ASCII characters clean() changes are the C0 controls and
# DEL; \v, \f and \x1c-\x1f are whitespace (they become a space), the rest are deleted.
_ASCII_NEEDS_CLEANING = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ASCII_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1b\x7f]")
_ASCII_ODD_WHITESPACE_RE = re.compile(r"[\x0b\x0c\x1c-\x1f]")

# ---------------------------------------------------------------------------
# Homoglyphs.
# ---------------------------------------------------------------------------

# Letters that a reader takes for a basic Latin letter in running Latin text, mapped
# to that letter.  The table is applied after NFKD and mark removal (so only base
# letters appear: Cyrillic ё becomes е + U+0308 and then е, then e) and before case
# folding, because looks depend on case: Cyrillic В is a B, but its lowercase в is a
# small capital that nobody reads as b, so only the uppercase is listed (likewise
# М/м, Н/н, Т/т, and Greek Ν -> N but ν -> v, Υ -> Y but υ -> u).
#
# Deliberately NOT in the table:
# * Letters NFKC already folds (fullwidth, mathematical alphanumerics, circled,
#   superscript and modifier letters, the Kelvin and Ångström signs, long s).
# * Digits and symbols used as letters ("l33t", "$", "@"): that is a separate, much
#   more ambiguous mapping, left to a later stage.
# * Lookalikes whose resemblance depends on the font or needs a squint (Cyrillic и/п/г/ь,
#   Greek τ/γ/η, Armenian, Cherokee, Lisu): each extra entry risks merging genuinely
#   different words of those languages, for little gain against spam.
# * Latin I versus l: a real confusable, but folding it would rewrite ordinary English.
_HOMOGLYPHS: dict[str, str] = {
    # Cyrillic lowercase whose glyph is the Latin lowercase letter.
    "а": "a",  # U+0430
    "с": "c",  # U+0441
    "ԁ": "d",  # U+0501 KOMI DE
    "е": "e",  # U+0435
    "һ": "h",  # U+04BB SHHA
    "і": "i",  # U+0456 BYELORUSSIAN-UKRAINIAN I (ї reaches it via mark removal)
    "ј": "j",  # U+0458 JE
    "к": "k",  # U+043A, an x-height k in most sans-serif fonts
    "ӏ": "l",  # U+04CF PALOCHKA, a tall stroke
    "о": "o",  # U+043E
    "р": "p",  # U+0440
    "ԛ": "q",  # U+051B QA
    "ѕ": "s",  # U+0455 DZE
    "ѵ": "v",  # U+0475 IZHITSA
    "ԝ": "w",  # U+051D WE
    "х": "x",  # U+0445
    "у": "y",  # U+0443
    "ү": "y",  # U+04AF STRAIGHT U
    # Cyrillic uppercase whose glyph is the Latin capital.
    "А": "A",  # U+0410
    "В": "B",  # U+0412
    "С": "C",  # U+0421
    "Е": "E",  # U+0415
    "Н": "H",  # U+041D
    "І": "I",  # U+0406
    "Ӏ": "I",  # U+04C0 PALOCHKA
    "Ј": "J",  # U+0408
    "К": "K",  # U+041A
    "М": "M",  # U+041C
    "О": "O",  # U+041E
    "Р": "P",  # U+0420
    "Ԛ": "Q",  # U+051A
    "Ѕ": "S",  # U+0405
    "Т": "T",  # U+0422
    "Ѵ": "V",  # U+0474
    "Ԝ": "W",  # U+051C
    "Х": "X",  # U+0425
    "У": "Y",  # U+0423
    "Ү": "Y",  # U+04AE
    # Greek lowercase.
    "α": "a",  # U+03B1 (round a, as in many sans-serif fonts)
    "ι": "i",  # U+03B9, reads as a dotless i
    "ϳ": "j",  # U+03F3 YOT
    "κ": "k",  # U+03BA
    "ν": "v",  # U+03BD
    "ο": "o",  # U+03BF
    "ρ": "p",  # U+03C1
    "υ": "u",  # U+03C5
    # Greek uppercase.
    "Α": "A",  # U+0391
    "Β": "B",  # U+0392
    "Ε": "E",  # U+0395
    "Ϝ": "F",  # U+03DC DIGAMMA
    "Η": "H",  # U+0397
    "Ι": "I",  # U+0399
    "Ϳ": "J",  # U+037F YOT
    "Κ": "K",  # U+039A
    "Μ": "M",  # U+039C
    "Ν": "N",  # U+039D
    "Ο": "O",  # U+039F
    "Ρ": "P",  # U+03A1
    "Τ": "T",  # U+03A4
    "Χ": "X",  # U+03A7
    "Υ": "Y",  # U+03A5
    "Ζ": "Z",  # U+0396
    # Latin-extended and IPA letters that NFKC leaves alone.
    "ɑ": "a",  # U+0251 ALPHA
    "ɡ": "g",  # U+0261 SCRIPT G
    "ı": "i",  # U+0131 DOTLESS I
    "ɩ": "i",  # U+0269 IOTA
    "ȷ": "j",  # U+0237 DOTLESS J
    # Latin small capitals: "fancy text" generators spell whole words with them and
    # readers see ordinary capitals.  They are Latin letters, so mapping them cannot
    # merge words of another language.  (Their small-capital Q is often ǫ, o with
    # ogonek, which mark removal turns into o; that one is a known miss.)
    "ᴀ": "a",  # U+1D00
    "ʙ": "b",  # U+0299
    "ᴄ": "c",  # U+1D04
    "ᴅ": "d",  # U+1D05
    "ᴇ": "e",  # U+1D07
    "ꜰ": "f",  # U+A730
    "ɢ": "g",  # U+0262
    "ʜ": "h",  # U+029C
    "ɪ": "i",  # U+026A
    "ᴊ": "j",  # U+1D0A
    "ᴋ": "k",  # U+1D0B
    "ʟ": "l",  # U+029F
    "ᴍ": "m",  # U+1D0D
    "ɴ": "n",  # U+0274
    "ᴏ": "o",  # U+1D0F
    "ᴘ": "p",  # U+1D18
    "ꞯ": "q",  # U+A7AF
    "ʀ": "r",  # U+0280
    "ꜱ": "s",  # U+A731
    "ᴛ": "t",  # U+1D1B
    "ᴜ": "u",  # U+1D1C
    "ᴠ": "v",  # U+1D20
    "ᴡ": "w",  # U+1D21
    "ʏ": "y",  # U+028F
    "ᴢ": "z",  # U+1D22
}


def _close_under_casefold(table: dict[str, str], folding: Iterable[int]) -> dict[str, str]:
    """Add every letter whose case fold contains a mapped letter.

    The table is applied before case folding, so a letter that is not listed but
    folds to a listed one -- the capital Cyrillic Ԁ and Latin Ɡ (capital script g),
    or the Old Church Slavonic "narrow" о and с (U+1C82, U+1C83), which are lowercase
    variants -- would come out of casefold() as a listed letter and stay unmapped,
    and a second skeleton() pass would then map it, breaking idempotence.  Mapping
    such letters straight to the folded target gives the same result as applying the
    table again after casefold(), at no per-message cost.  Letters whose fold is *not*
    listed, like В (folds to в), are unaffected.  ``folding`` lists the code points
    casefold() changes; letters that NFKD decomposes never reach the table.
    """
    closed = dict(table)
    for cp in folding:
        letter = chr(cp)
        if letter in closed or unicodedata.normalize("NFKD", letter) != letter:
            continue
        folded = letter.casefold()
        if any(ch in table for ch in folded):
            closed[letter] = "".join(table[ch].lower() if ch in table else ch for ch in folded)
    return closed


_HOMOGLYPHS_CLOSED: dict[str, str] = _close_under_casefold(_HOMOGLYPHS, _SCAN.case_folding)

# All lookalikes are BMP letters, so this compiles to a fast bitmap class.
_HOMOGLYPH_RE = re.compile(_char_class(ord(k) for k in _HOMOGLYPHS_CLOSED))


# ---------------------------------------------------------------------------
# Spelling disguises: spaced-out letters and leetspeak (skeleton only).
# ---------------------------------------------------------------------------

# Characters of a spaced-out word: ASCII letters and digits and the two leetspeak
# symbols.  Only ASCII: the disguises that space words out are typed in Latin, and
# fullwidth, mathematical and homoglyph letters are ASCII by the time this runs.
_RUN_CHAR = "[A-Za-z0-9@$]"
# "b u y", "b.u.y", "b-u-y": three or more single characters, each separated from the
# next by the same one separator, the run being whole tokens of the collapsed key.  The
# separator is one space (then a run spans tokens and the word gaps are lost: "b u y n o
# w" becomes "buynow", a near-duplicate of "buy now") or one of ".-_*" (then word gaps
# are spaces and survive: "b.u.y n.o.w" becomes "buy now").  Every attempt starts at a
# token start and reads one run, so the search is linear.
_SPACED_RUN = re.compile(rf"(?<!\S){_RUN_CHAR}([ .\-_*]){_RUN_CHAR}(?:\1{_RUN_CHAR})+(?!\S)")
_SPACED_SEPARATORS = re.compile(r"[ .\-_*]")
# Leetspeak: digits and symbols standing for letters, folded in a token where one
# touches a letter ("ch34p", "c@$h", "fr33"), so numbers keep their digits ("order
# 12345", "3 items at $5", "24/7", "v2.0.1").  "1" is read as "i" (p1lls, w1n); where it
# stood for "l" the key differs by that letter, which near-duplicate comparison tolerates.
_LEET_DIGITS = str.maketrans("013457@$", "oieastas")


def _shape(table: dict[str, str], default: str) -> bytes:
    return bytes(ord(table.get(chr(byte), default)) for byte in range(256))


# Both steps are rare, and a regular expression that looks for them costs 15-40 ns a
# character (a lookbehind at every position): 0.5-2 us on a chat line, 300 us on 8,000
# characters.  So the collapsed key is first reduced to its shape by bytes.translate
# (non-ASCII as "?"; ~1 ns a character) and the shape searched for plain substrings: only
# a text holding three single run characters, or a letter next to a leetspeak character,
# goes on to the regular expressions.
_ASCII_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# The separators are all spaces in the shape ("b.u.y" is " a a a" too): one search
# finds every kind of run; the regular expression then wants one separator a run.
_RUN_SHAPE = _shape(
    dict.fromkeys(_ASCII_LETTERS + "0123456789@$", "a") | dict.fromkeys(" .-_*", " "), "#"
)
_LEET_SHAPE = _shape(dict.fromkeys(_ASCII_LETTERS, "a") | dict.fromkeys("013457@$", "1"), " ")


def _fold_leet(key: str, shape: bytes) -> str:
    """Fold leetspeak in every token where a leetspeak character touches a letter.

    ``shape`` is the key's leetspeak shape, one byte a character: letters "a",
    leetspeak characters "1".  Its pairs are found with bytes.find at C speed (5 us over
    8,000 characters, where a regular expression for them took 140 us, and hopping from
    digit to digit in Python 30 us in digit-rich text); each search is redone only once
    the scan has passed its last answer, so the whole is linear.
    """
    pieces: list[str] = []
    last = 0
    letter_first, digit_first = shape.find(b"a1"), shape.find(b"1a")
    while letter_first >= 0 or digit_first >= 0:
        pair = letter_first if digit_first < 0 or 0 <= letter_first < digit_first else digit_first
        start = key.rfind(" ", 0, pair) + 1
        end = key.find(" ", pair + 2)
        end = len(key) if end < 0 else end
        pieces += (key[last:start], key[start:end].translate(_LEET_DIGITS))
        last = end
        if 0 <= letter_first < last:
            letter_first = shape.find(b"a1", last)
        if 0 <= digit_first < last:
            digit_first = shape.find(b"1a", last)
    if not pieces:
        return key
    pieces.append(key[last:])
    return "".join(pieces)


def _join_spaced_run(match: re.Match[str]) -> str:
    return _SPACED_SEPARATORS.sub("", match.group())


def _undo_spelling(key: str) -> str:
    """Join spaced-out letters, then fold leetspeak, in a collapsed skeleton.

    The order matters for idempotence: "c h 3 a p" is joined into "ch3ap" first, which
    is then folded to "cheap"; the other way round, the lone "3" would touch no letter
    and a second pass would still change the key.  Each step's output holds nothing the
    step would change again, and what the shape test lets pass is left unchanged.
    """
    # bytes.find, not "in": bytes.__contains__ first tries its argument as an integer,
    # and the failed try costs more than the search (135 ns against 88 here).  Non-ASCII
    # characters become one "?" each, so the shapes index like the key.
    data = key.encode("ascii", "replace")
    # Three single characters as whole tokens: " a a a " once the key is framed by
    # spaces ("3-5 business" is " a a aaaaaaaa ", no run, and costs no regex scan).
    if (b" " + data + b" ").translate(_RUN_SHAPE).find(b" a a a ") >= 0:
        key = _SPACED_RUN.sub(_join_spaced_run, key)
        data = key.encode("ascii", "replace")
    leet = data.translate(_LEET_SHAPE)
    if leet.find(b"1") >= 0:
        key = _fold_leet(key, leet)
    return key


# ---------------------------------------------------------------------------
# Pipeline steps.
# ---------------------------------------------------------------------------


def _remove_invisibles(text: str) -> str:
    """Delete invisibles, turn odd whitespace into spaces and surrogates into U+FFFD.

    This runs *before* NFKC: deleting a zero-width space between "e" and a combining
    acute accent after composition would leave an uncomposed pair behind and make
    clean() non-idempotent.  NFKC itself never produces any of these characters
    except U+1160, from the two Hangul fillers that are deleted here anyway.
    """
    if _NEEDS_CLEANING.search(text) is None:
        return text
    text = _INVISIBLE_BMP_RE.sub("", text)
    if _INVISIBLE_ASTRAL_SPAN_RE.search(text) is not None:
        text = _INVISIBLE_ASTRAL_RE.sub("", text)
    text = _ODD_WHITESPACE_RE.sub(" ", text)
    return _SURROGATE_RE.sub(_REPLACEMENT_CHARACTER, text)


def _remove_marks(text: str) -> str:
    """Delete combining marks (Mn, Me) from decomposed text.

    This strips accents and zalgo noise, and also the vowel signs of Devanagari, Thai
    and other Brahmic scripts (many of them are Mn).  That damages such text as text,
    but the result is only a comparison key: both sides of a comparison lose the same
    marks, and the spacing vowel signs (Mc) that remain keep distinct words distinct
    in the vast majority of cases.
    """
    text = _MARKS_BMP_RE.sub("", text)
    if _MARKS_ASTRAL_SPAN_RE.search(text) is not None:
        text = _MARKS_ASTRAL_RE.sub("", text)
    return text


def _map_homoglyphs(text: str) -> str:
    """Replace every lookalike letter by its Latin letter.

    One str.replace per *distinct* lookalike present: find the first one, replace all
    its occurrences, search on from where it was.  Nothing before that position can
    change (the replacements are ASCII), so the search never rescans.  str.translate
    costs about 45 ns per character even with a dict that never misses; this is as
    fast on a chat-sized Russian message and 5x faster on 20 KB of it.  The worst
    case, a text holding every one of the ~100 lookalikes, is ~100 linear passes.
    """
    match = _HOMOGLYPH_RE.search(text)
    while match is not None:
        lookalike = match.group()
        start = match.start()
        text = text.replace(lookalike, _HOMOGLYPHS_CLOSED[lookalike])
        match = _HOMOGLYPH_RE.search(text, start)
    return text


# Windowed normalisation.  ``unicodedata`` composes by scanning a table linearly for
# every character, which costs ~100 ns for each CJK, Hangul or astral one: NFC of 8,000
# random BMP characters took 0.6 ms, wherever there was anything to compose.  But
# normalisation never looks across the position before a "stable" character (canonical
# combining class 0, quick check Yes: unchanged, and never the second half of a
# composition; UAX #15), so only the windows between stable characters need it: a run
# of unstable characters and the stable one in front, which it may compose with
# (か + U+3099 -> が).  The windows are normalised in one call, joined by NUL (stable,
# never changed, and never in the text here: _remove_invisibles deletes it), then put
# back: C-level calls only, 0.2-0.3 ms for the random texts.
#
# The unstable sets are read from ``regex`` (a newer Unicode than ``unicodedata``).  Its
# extra unstable characters only make windows larger, which is exact too; a test checks
# that they hold every character ``unicodedata`` deems unstable.  Planes 0, 1 and the CJK
# compatibility supplement hold them all (a test checks that too).
_UNSTABLE_NFKC = r"[\p{NFKC_QC=N}\p{NFKC_QC=M}\p{^ccc=0}]"
_UNSTABLE_NFC = r"[\p{NFC_QC=N}\p{NFC_QC=M}\p{^ccc=0}]"
_UNSTABLE_RANGES: tuple[range, ...] = (
    range(0xD800),
    range(0xE000, 0x20000),
    range(0x2F800, 0x2FA20),
)


def _regex_code_points(prop: str, text: str) -> frozenset[int]:
    return frozenset(ord(ch) for run in regex.findall(f"{prop}+", text) for ch in run)


class _Windows(NamedTuple):
    """How to cut a text into normalisation windows for one form."""

    form: unicodedata._NormalizationForm
    bmp: re.Pattern[str]  # the windows, for text without astral unstable characters
    bmp_runs: re.Pattern[str]  # runs of BMP unstable characters (for _is_stable)
    astral_span: re.Pattern[str]  # may the text hold an astral unstable character?
    runs: regex.Pattern[str]  # runs of unstable characters, any plane


def _windows(
    form: unicodedata._NormalizationForm, unstable: str, code_points: frozenset[int]
) -> _Windows:
    bmp, astral = _split_bmp(code_points)
    return _Windows(
        form,
        re.compile(f"(?s)(.?{_char_class(bmp)}+)"),
        re.compile(f"{_char_class(bmp)}+"),
        re.compile(_plane_spans(astral)),
        regex.compile(f"{unstable}+"),
    )


def _unstable_sets() -> tuple[frozenset[int], frozenset[int]]:
    # One UTF-32 decode and one property scan (~5 ms); every NFC-unstable character is
    # NFKC-unstable, so the NFC set is picked from the NFKC one.
    codes = array.array("I", [cp for r in _UNSTABLE_RANGES for cp in r])
    codec = "utf-32-le" if sys.byteorder == "little" else "utf-32-be"
    nfkc = _regex_code_points(_UNSTABLE_NFKC, codes.tobytes().decode(codec))
    nfc = _regex_code_points(_UNSTABLE_NFC, "".join(map(chr, sorted(nfkc))))
    return nfkc, nfc


_NFKC_UNSTABLE, _NFC_UNSTABLE = _unstable_sets()
_NFKC_WINDOWS = _windows("NFKC", _UNSTABLE_NFKC, _NFKC_UNSTABLE)
_NFC_WINDOWS = _windows("NFC", _UNSTABLE_NFC, _NFC_UNSTABLE)
# Characters for which unicodedata's composition is slow (see above): CJK, Hangul
# syllables, everything astral.  Below them composing costs ~10-40 ns a character.
_SLOW_TO_COMPOSE = re.compile("[\u3000-\U0010ffff]")

_MANY_ASTRAL_WINDOWS = 500


def _normalize_windows(text: str, windows: _Windows) -> str:
    """``unicodedata.normalize(windows.form, text)`` for a text without NUL."""
    if windows.astral_span.search(text) is None:
        # ``re`` tests a BMP class as a bitmap: one split cuts the text.
        pieces = windows.bmp.split(text)
    else:
        # An astral class in ``re`` is tested range by range (~150 ns a character), so
        # astral text is cut by ``regex``'s property lookups, at ~0.4 us of Python a
        # window; where they are many, whole-text normalisation is the cheaper.
        pieces = []
        last = 0
        for count, run in enumerate(windows.runs.finditer(text)):
            if count == _MANY_ASTRAL_WINDOWS:
                return unicodedata.normalize(windows.form, text)
            start = max(run.start() - 1, last)
            pieces += (text[last:start], text[start : run.end()])
            last = run.end()
        pieces.append(text[last:])
    if len(pieces) == 1:
        return text
    pieces[1::2] = unicodedata.normalize(windows.form, "\0".join(pieces[1::2])).split("\0")
    return "".join(pieces)


def _is_stable(text: str, windows: _Windows) -> bool:
    """Whether ``text`` holds no unstable character, so that normalisation keeps it.

    ``unicodedata.is_normalized`` answers "maybe" for such characters and then normalises
    the whole text to compare (0.6 ms for 8,000 random characters); this costs ~5 ns a
    character.
    """
    return windows.bmp_runs.search(text) is None and (
        windows.astral_span.search(text) is None or windows.runs.search(text) is None
    )


# ---------------------------------------------------------------------------
# Long runs of combining marks out of canonical order.
# ---------------------------------------------------------------------------

# unicodedata puts the marks after a base character into canonical order with an
# insertion sort: a run of n marks out of order costs n**2 / 2 moves ("a" + 4,000 acute
# accents + 4,000 cedilla-class marks: 130 ms).  Such runs are decomposed and sorted here
# first (a stable sort by combining class is exactly canonical ordering), after which
# unicodedata finds them in order and does linear work.  Runs shorter than this cost at
# most this squared, a few microseconds.
_LONG_RUN = 31
# Non-starters: combining class above 0, plus the few characters of class 0 whose
# decomposition holds only non-starters (U+0F73, U+0F75, U+0F81, U+FF9E, U+FF9F); the
# tests check the list against every code point.
_ZERO_CLASS_NON_STARTERS = "\u0f73\u0f75\u0f81\uff9e\uff9f"
_NON_STARTER_RUN = regex.compile(f"[\\P{{ccc=0}}{_ZERO_CLASS_NON_STARTERS}]{{{_LONG_RUN},}}")


def _bmp_non_starters() -> frozenset[int]:
    bmp = "".join(map(chr, [*range(0xD800), *range(0xE000, 0x10000)]))
    return _regex_code_points(f"[\\P{{ccc=0}}{_ZERO_CLASS_NON_STARTERS}]", bmp)


# The same test, coarser and about three times faster: ``re`` tests a BMP class as a
# bitmap, and every astral character passes (one range), so it finds every long run and
# a few that are not (then the exact pattern above looks again).
_MAYBE_NON_STARTER_RUN = re.compile(
    _char_class(_bmp_non_starters())[:-1] + f"\U00010000-\U0010ffff]{{{_LONG_RUN},}}"
)


def _canonical_order(decomposed: str) -> str:
    """Canonical ordering of decomposed text: each stretch of non-starters sorted, stably.

    The run pattern comes from ``regex``'s Unicode data, which may be newer than the
    interpreter's: a character it knows as a mark may be unassigned here, so of class 0,
    a starter, and so a barrier that nothing is sorted across.
    """
    ordered: list[str] = []
    stretch: list[str] = []
    for char in decomposed:
        if unicodedata.combining(char):
            stretch.append(char)
            continue
        ordered += sorted(stretch, key=unicodedata.combining)  # stable: equal classes keep order
        ordered.append(char)
        stretch = []
    ordered += sorted(stretch, key=unicodedata.combining)
    return "".join(ordered)


def _order_long_mark_runs(text: str) -> str:
    """``text`` with each long run of non-starters decomposed (NFKD) and put in order.

    NFKD, and so NFKC, of the result equal those of ``text``.  A run is taken with the
    character before it, whose own decomposition may end in marks that join the run.
    """
    if _MAYBE_NON_STARTER_RUN.search(text) is None:
        return text
    pieces: list[str] = []
    last = 0
    for run in _NON_STARTER_RUN.finditer(text):
        if unicodedata.is_normalized("NFKD", run.group()):
            # In order already (zalgo mostly repeats a few marks): unicodedata's sort
            # passes over it once.  The base's own marks are a handful at most.
            continue
        start = max(run.start() - 1, last)
        head = unicodedata.normalize("NFKD", text[start : run.start()])
        base = len(head)
        while base and unicodedata.combining(head[base - 1]):
            base -= 1
        marks = head[base:] + "".join(unicodedata.normalize("NFKD", c) for c in run.group())
        pieces += (text[last:start], head[:base], _canonical_order(marks))
        last = run.end()
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


def _compose_nfkc(text: str) -> str:
    """Return NFKC(text) of a text without NUL, the fast way round for the text at hand.

    * Text that is NFKC already (most text) returns from the quick check.
    * NFKC(x) is NFC(NFKD(x)) by definition; NFKD is cheap (~5 ns a character) and
      after it most text (Chinese with fullwidth punctuation, mathematical letters)
      has nothing left to compose.
    * Otherwise composition is cheap for text below U+3000 (accents, zalgo); above it
      (kana with voicing marks, random text), only the windows around the unstable
      characters are normalised: 0.3 ms instead of 0.7 for 8,000 random BMP characters.
    """
    if unicodedata.is_normalized("NFKC", text):
        return text
    text = _order_long_mark_runs(text)
    decomposed = unicodedata.normalize("NFKD", text)
    if decomposed.isascii() or _is_stable(decomposed, _NFC_WINDOWS):  # isascii: a flag
        return decomposed
    if _SLOW_TO_COMPOSE.search(text) is None:
        return unicodedata.normalize("NFC", decomposed)
    return _normalize_windows(text, _NFKC_WINDOWS)


def _compose_nfc(text: str) -> str:
    """Return NFC(text) of a text without NUL, the same way round as _compose_nfkc."""
    if _is_stable(text, _NFC_WINDOWS):
        return text
    if _SLOW_TO_COMPOSE.search(text) is None:
        return unicodedata.normalize("NFC", text)
    return _normalize_windows(text, _NFC_WINDOWS)


# ---------------------------------------------------------------------------
# Public API.
# ---------------------------------------------------------------------------


def is_invisible(ch: str) -> bool:
    """Return True if ``clean`` deletes the single character ``ch``.

    That is: every format character (general category Cf: zero-width space and
    joiners, bidi marks, embeddings, overrides and isolates, word joiner, BOM, soft
    hyphen, tag characters, ...), the variation selectors, non-whitespace control
    characters, and a few blank-looking letters and symbols (Hangul fillers, braille
    blank, combining grapheme joiner, ...).  Whitespace is not invisible: ``clean``
    turns it into a space instead.  Raises TypeError unless ``len(ch) == 1``, like
    ``ord``.
    """
    return ord(ch) in _INVISIBLE


def clean(text: str) -> str:
    """NFKC-normalise ``text`` and drop invisible characters; case and everything else kept.

    Used for URL extraction and visible-length counting.  In detail:

    * invisible characters (see ``is_invisible``) are deleted;
    * every whitespace character except ``\\n``, ``\\t`` and ``\\r`` (NBSP, the U+2000
      spaces, ideographic space, line/paragraph separators, \\v, \\f, NEL, ...)
      becomes an ASCII space -- runs are *not* collapsed;
    * lone surrogates become U+FFFD;
    * the result is NFKC-normalised, which folds fullwidth forms, mathematical
      alphanumerics, ligatures and the like to their plain equivalents.

    Never raises, and ``clean(clean(x)) == clean(x)`` for every string.
    """
    if text.isascii():
        # ASCII is NFKC-stable and holds no format characters: only the C0 controls
        # and DEL can need work, and isprintable() rules them out at C speed for the
        # usual single-line message.
        if text.isprintable() or _ASCII_NEEDS_CLEANING.search(text) is None:
            return text
        return _ASCII_ODD_WHITESPACE_RE.sub(" ", _ASCII_CONTROL_RE.sub("", text))
    return _compose_nfkc(_remove_invisibles(text))


def fold_lookalikes(text: str) -> str:
    """``clean``, then combining marks removed, homoglyphs mapped to Latin, case folded.

    The letters-only part of ``skeleton``: whitespace, digits and symbols are kept as
    they are.  For comparing names, such as a link's host with a list of domains:
    ``fold_lookalikes("pіlls-r-us.com")`` (a Cyrillic і) is ``"pills-r-us.com"``.
    Never raises.
    """
    if text.isascii():
        return _ASCII_CONTROL_RE.sub("", text).lower()
    key = unicodedata.normalize("NFKD", _remove_invisibles(text))
    return _compose_nfc(_map_homoglyphs(_remove_marks(key)).casefold())


def skeleton(text: str) -> str:
    """Return the comparison key for duplicate detection.

    ``clean``, then combining marks removed, Latin homoglyphs mapped to Latin letters,
    case folded, runs of whitespace collapsed to one space, and stripped; then
    spaced-out letters joined ("b.u.y n.o.w" -> "buy now", "b u y" -> "buy") and
    leetspeak folded in tokens where a digit, "@" or "$" touches a letter ("ch34p" ->
    "cheap"; "order 12345" and "v2.0.1" are kept).  Two messages that a human reads as the same text
    have the same skeleton: ``skeleton("ВUY  ch3ap\\u200b p.i.l.l.s") ==
    skeleton("Buy cheap pills") == "buy cheap pills"``.

    Never raises, ``skeleton(skeleton(x)) == skeleton(x)`` and
    ``skeleton(clean(x)) == skeleton(x)`` for every string.
    """
    if text.isascii():
        # No homoglyphs, marks or format characters in ASCII, and lower() equals
        # casefold() there.  Only controls other than whitespace need deleting; they
        # survive split() and are caught by isprintable() on the result.
        key = " ".join(text.lower().split())
        if not key.isprintable():
            key = " ".join(_ASCII_CONTROL_RE.sub("", text).lower().split())
        return _undo_spelling(key)
    return _visible_skeleton(_order_long_mark_runs(_remove_invisibles(text)))


def skeleton_of_clean(cleaned: str) -> str:
    """``skeleton(cleaned)`` for a text that ``clean`` returned.

    Such a text has no invisible character left to remove, and looking for them costs
    ~0.12 ms for 8,000 characters of astral or random text (the plane spans match).
    """
    if cleaned.isascii():
        return skeleton(cleaned)
    return _visible_skeleton(cleaned)


def _visible_skeleton(text: str) -> str:
    """The skeleton of non-ASCII text without invisible characters, odd whitespace or NUL."""
    # NFKD rather than clean()'s NFKC: decomposition is needed to separate the marks,
    # and NFKD(x) == NFD(NFKC(x)), so this is clean() followed by NFD in one pass.
    key = unicodedata.normalize("NFKD", text)
    key = _map_homoglyphs(_remove_marks(key)).casefold()
    # Recompose: NFKD split Hangul syllables into jamo and some Indic two-part vowels
    # into halves, none of which are marks; without recomposition clean() -- and so a
    # second skeleton() -- would put them back together and change the key.  Case
    # folding of decomposed, mark-free text never yields a compatibility character or
    # a mark (the tests check every code point), so NFC here gives NFKC-stable output.
    return _undo_spelling(_compose_nfc(" ".join(key.split())))
