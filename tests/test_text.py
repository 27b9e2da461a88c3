"""Differential tests of `spamguard.text.analyse` against straightforward reference counts.

`analyse` counts with fast paths (no ``\\X`` where no character can join a cluster, ``re``
bitmap classes, byte-level tricks, trigger-limited URL scanning); each reference below is
the plain definition those fast paths must agree with, on every string.
"""

from __future__ import annotations

import random
import re

import pytest
import regex
from hypothesis import example, given, settings
from hypothesis import strategies as st

from spamguard import text as text_module
from spamguard import urls as urls_module
from spamguard.normalise import clean

# The reference definitions that text.py keeps (and its fast paths must agree with).
from spamguard.text import _EMOJI, _EMOJI_JOIN, _GRAPHEME, AnalysisLimits, TextFeatures, analyse

_SYMBOL = regex.compile(r"[[\p{P}\p{S}]--[\p{Extended_Pictographic}\p{EMod}\p{RI}]]", regex.V1)
_ASCII_SYMBOL = re.compile(r"[!-/:-@\[-`{-~]")
_RUN = re.compile(r"(\S)\1{3,}")
_MARKS = regex.compile(r"\p{M}{3,}")


def reference_counts(text: str, scan_chars: int = AnalysisLimits().scan_chars) -> dict[str, int]:
    """The counted fields of `analyse`, by their definitions."""
    head = text[:scan_chars]
    cleaned = clean(head)
    if cleaned.isascii():
        chars, emoji, max_marks = len(cleaned), 0, 0
        symbols = len(_ASCII_SYMBOL.findall(cleaned))
    else:
        found = _EMOJI.findall(head)
        # Every pictograph of a ZWJ chain of more than four counts, as an emoji and a
        # character: the chain's joins are added back.
        overlong = sum(joins for joins in (e.count("\u200d") for e in found) if joins >= 4)
        chars = len(_GRAPHEME.findall(cleaned)) - len(_EMOJI_JOIN.findall(head)) + overlong
        emoji = len(found) + overlong
        symbols = len(_SYMBOL.findall(cleaned))
        max_marks = max(map(len, _MARKS.findall(cleaned)), default=0)
    whitespace = sum(cleaned.count(space) for space in " \n\t\r")
    if not cleaned.isascii():
        whitespace -= cleaned.count("\r\n")  # one cluster there
    return {
        "chars": chars + len(text) - len(head),
        "visible": chars - whitespace,
        "emoji": emoji,
        "symbols": symbols,
        "longest_run": max((len(m.group()) for m in _RUN.finditer(cleaned)), default=0),
        "max_marks": max_marks,
    }


def reference_urls(text: str, limit: int = 50) -> tuple[list[tuple[str, str, str, bool]], bool]:
    """Links by trying the candidate regex from the end of every examined candidate."""
    if not urls_module._may_contain_link(text):
        return [], False
    refanged, marks = urls_module._refang(text)
    found: list[tuple[str, str, str, bool]] = []
    position = 0
    while (match := urls_module._CANDIDATE.search(refanged, position)) is not None:
        link, position = urls_module._link_from_match(refanged, match, marks)
        if link is None:
            continue
        if len(found) >= limit:
            return found, True
        found.append((link.text, link.host, link.kind, link.defanged))
    return found, False


def check(text: str) -> None:
    features = analyse(text)
    counted = {name: getattr(features, name) for name in reference_counts(text)}
    assert counted == reference_counts(text)
    head = text[: AnalysisLimits().scan_chars]
    found, capped = urls_module.extract_urls(clean(head), 50)
    links = [(url.text, url.host, url.kind, url.defanged) for url in found]
    assert (links, capped) == reference_urls(clean(head))


# Characters from every class a fast path treats specially.
TRICKY = [
    "a", "Z", "é", "\u0301", "\u0308", "\u0336", "\u0489",  # marks, enclosing mark
    "\u200d", "\u200c", "\u200b", "\ufe0f", "\u20e3", "#", "1",  # joiners, keycap parts
    "😂", "👍", "🏽", "🏻", "👨", "👩", "🇩", "🇪", "🇫", "\U000e0067", "\U000e007f", "©", "‼",
    "\u1100", "\u1161", "\u11a8", "가", "각",  # conjoining jamo, syllables
    "\u0915", "\u094d", "\u0937", "\u093f", "\u0903",  # Devanagari: linker, spacing mark
    "\u0600", "\u0d4e", "\U000110bd",  # prepended concatenation marks, prepend
    "\U0001d165", "\U00011000", "\U000113d0", "\U00016d63",  # astral marks and jamo-like
    "\U000e0080", "\U00013430", "\u2065",  # default-ignorable controls
    "🇫🇩🇪🇫🇩", "🇪🇫🇩🇪🇫🇩",  # runs of regional indicators of both parities
    "\r", "\n", "\r\n", "\t", " ", "\u00a0", "\u3000", "\u2028", "\x0b", "\x1f", "\x85",
    "\ud800", "\udfff", "\x00", "\x7f",  # lone surrogates, controls
    "!", ".", "-", "*", "★", "♥", "彡", "※", "\U0001fb00", "\U0001f650", "\U0001d100",
    "aaaa", "----", "    ", "!!!!", "😂😂😂😂", "\u0301\u0301\u0301", "\r\r\r\r",
    "www.", "a.com", "x.io/p", "http://", "hxxp://", "[.]", "(dot)", "1.2.3.4", ".py",
]  # fmt: skip

tricky_text = st.lists(st.sampled_from(TRICKY), max_size=40).map("".join)
any_text = st.text(alphabet=st.characters(codec=None), max_size=200)
repeated = st.builds(lambda s, n: s * n, st.sampled_from(TRICKY), st.integers(0, 300))

ADVERSARIAL = [
    "",
    "a",
    "\r\n",
    "é\r\n\r\n",
    "\u0301start",
    "\t\u0301",
    "\n\u0301\u0302",
    "\r\u0301",
    "🇩🇪🇫",
    "🇩\u0301🇪",
    "👍🏽",
    "👨\u200d👩\u200d👧",
    "👨\u200d👩\u200d👧\u200d👦",  # four joined: the longest standard sequence, one emoji
    "👨\u200d👩\u200d👧\u200d👦\u200d👦",  # five: each counts
    "🎁" + "\u200d🎁" * 59 + " free",
    "👨\u200d\U000e0067👩",
    "#\ufe0f\u20e3",
    "😂\ufe0f\u20e3",
    "क्ष",
    "क्\u200dष",
    "\u0600a",
    "\u0600",
    "\u1100\u1161\u11a8",
    "가\u11a8",
    "\U000110bd\u0915",
    "e" + "\u0301" * 50,
    "x" * 5000 + "\u0301",
    "a" * 4,
    "a" * 3 + " " + "a" * 3,
    " " * 10 + "b" * 4,
    "\t" * 8 + "c" * 3,
    "\x00" * 8,
    "z\u0336\u0301\u0302\u0303a\u0317\u0318l\u0325g\u0333o " * 50,
    "a.bc " * 500,
    "1.com 2.net www.x main.py main.py/ 1.2.3.4 1.2.3.4:80 A.COM İ.com " * 20,
    "x@a.me jane.me@x.com a.com- b.com-x c.co.x d.com.uk",
    "\U0001fb00" * 30 + "😂" * 30,
    # floods of rejected candidates that the URL trigger guards skip, and real links among them
    "1.com " * 2000,
    "www.a " * 2000,
    "my_site.com " * 1000,
    "x@a.me " * 1000,
    "1.com 2.com https://real.example/x 3.com",
    "1.com 22.com/x 333.com:80 4444.com. 55555.com? 7.co.uk 1.2.com http://1.com",
    "(1.com) [2.com] 3.com,4.com;5.com!6.com x1.com 1x.com -1.com .1.com @1.com _1.com",
    "1.com\u0301 e\u03011.com x\u03011.com 1234567.com 123456.com",
    "www.a www.a. www.a.b www.a.bc www.a-b.cd www.a_b.cd www.é.com www.a/x.com WWW.A.ORG",
    "my_site.com a_b.c.com a.b_c.com a_bcdefghijklm.com a_bcdefghijklmn.com x-_y.com y_-.com",
    "x@a.me x@www.a.com x@1.2.3.4/p x@b-c.com http://u@a.me x@aaaaaaaaaaaaaaa.com @a.me",
    "İ1.com 1.COM Ⅻ.com ١.com http://x_y.com/a 1.com/ 1.com:99999 www.x.y.z www.www.a.io",
    # random text of every plane the fast paths treat apart, and astral conjuncts
    "".join(map(chr, random.Random(1).choices(range(0x20, 0xD800), k=3000))),
    "".join(map(chr, random.Random(2).choices(range(0x10000, 0x30000), k=3000))),
    "".join(map(chr, random.Random(3).choices(range(0x11000, 0x11100), k=1000))),
    "नमस्ते, मेरा ऑर्डर अभी तक नहीं आया है। " * 20,
    "\U00011013\U00011046\U00011013 \U00011013\U00011046\U0001f600 \U00011046\U00011013",
    "\U0002000b\U00011000\U0001f600\U0001f3fb\u0301\r\n\U0001d165\U0001d165",
    # long runs of regional indicators where \X must run (a linker, a jamo, a prepended
    # mark): their middle pairs are cut out first; every parity and both ends attached
    *(f"\u0d4e{'🇫' * n}\u0301\u200d🇩\u0915\u094d" for n in range(3, 12)),
    *(f"\u1100{'🇫' * n}\u0903\U00011000{'🇩' * (n + 1)}\U000110bd" for n in range(3, 12)),
    "🇫" * 4001 + "\u0915\u094d\u0937" + "🇩" * 3998 + "\u200d😂",
]


@pytest.mark.parametrize("text", ADVERSARIAL)
def test_adversarial_cases(text: str) -> None:
    check(text)


# Pieces of the shapes the URL trigger guards skip (numbered hosts, "www." without a second
# dot, underscores and "@" before a dot) next to the ones that still make a link.
URL_PIECES = [
    "1", "12", "1234567", "a", "ab", "_", "@", "-", ".", "www", "WWW", "com", "it", "me",
    "io", "py", " ", ",", "(", "/", ":", "://", "http://", "hxxp://", "[.]", ":80", "/x",
    "?", "é", "\u0301", "İ", "\n",
]  # fmt: skip
url_text = st.lists(st.sampled_from(URL_PIECES), max_size=40).map("".join)


@settings(max_examples=max(400, settings().max_examples))
@given(st.one_of(tricky_text, any_text, repeated))
@example("\ud800\udc00")
def test_counts_match_the_definitions(text: str) -> None:
    check(text)


@settings(max_examples=max(600, settings().max_examples))
@given(url_text)
@example("1.com 2.com https://real.example/x")
@example("x@1.com/a 1_2.com:80 www.1.com www.a.1.com")
def test_links_match_the_reference_scan(text: str) -> None:
    check(text)


def test_capped_message_counts_only_the_head() -> None:
    text = "😂" * 25_000
    features = analyse(text, AnalysisLimits(scan_chars=20_000))
    assert features.capped
    assert features.scanned == 20_000
    assert features.chars == 25_000
    assert features.emoji == 20_000


def test_never_raises_on_huge_and_odd_input() -> None:
    for text in ("\ud800" * 100_000, "\x00" * 100_000, "a" * 10_000_000):
        analyse(text)
    analyse("x" * 1000, AnalysisLimits(scan_chars=256, max_urls=0, key_chars=0))


def test_features_are_an_immutable_named_tuple() -> None:
    features = analyse("hello world")
    with pytest.raises(AttributeError):
        features.chars = 3  # type: ignore[misc]
    assert isinstance(features, TextFeatures)
    assert features._fields[0] == "length"
    assert features.key == "hello world"


def test_skipped_planes_hold_nothing_the_classes_need() -> None:
    """The import-time scan reads planes 0, 1 and 14 only; the others must add nothing."""
    others = "".join(map(chr, [*range(0x20000, 0xE0000), *range(0xE1000, 0x110000)]))
    for prop in (
        r"[\p{GCB=Extend}\p{GCB=ZWJ}\p{GCB=SpacingMark}\p{GCB=Prepend}]",
        r"[\p{GCB=L}\p{GCB=V}\p{GCB=T}\p{GCB=Regional_Indicator}\p{InCB=Linker}]",
        r"[\p{GCB=Control}\p{GCB=CR}\p{GCB=LF}]",
        r"\p{EMod}",
        text_module._SYMBOL_PROPERTY,
    ):
        assert regex.search(prop, others, regex.V1) is None, prop


def test_non_joining_characters_always_end_a_cluster() -> None:
    """The grapheme fast paths assume a boundary between any two non-joining characters.

    Checked for every code point of the scanned planes next to the kinds of character
    that take part in the cluster rules (letters, Indic consonants, Hangul syllables,
    pictographs, controls, and itself).
    """
    joining = text_module._JOINING
    neighbours = ["a", "\u0915", "가", "각", "😂", "\n", "\t"]
    wrong = []
    for plane in text_module._SCANNED_PLANES:
        for cp in plane:
            if cp in joining or 0xD800 <= cp <= 0xDFFF:
                continue
            x = chr(cp)
            for other in [*neighbours, x]:
                if other != x and ord(other) in joining:
                    continue
                if len(_GRAPHEME.findall(x + other)) != 2 or len(_GRAPHEME.findall(other + x)) != 2:
                    wrong.append(hex(cp))
                    break
    assert not wrong


def test_nul_is_a_cluster_of_its_own_beside_joining_characters() -> None:
    """The stretches are segmented joined by NUL, which must never join a neighbour."""
    wrong = []
    for cp in sorted(text_module._JOINING):
        for text in (f"\0{chr(cp)}\0", f"\u0915\u094d{chr(cp)}\0{chr(cp)}\u0915"):
            clusters = _GRAPHEME.findall(text)
            if clusters.count("\0") != text.count("\0") or "".join(clusters) != text:
                wrong.append(hex(cp))
    assert not wrong


@pytest.mark.parametrize("text", ["é\r\n\r\n", "e\r\n\r\n", "\r\n", "ü\r\nü", "日本\r\n"])
def test_visible_counts_no_line_break_of_a_crlf_pair_twice(text: str) -> None:
    features = analyse(text)
    assert features.visible == len(text.replace("\r", "").replace("\n", ""))
