"""Find the links in a chat message, including disguised ("defanged") ones.

Spam in customer-service chat very often means many links, or links written so that
naive filters miss them (``hxxp://evil[.]ru``, ``evil (dot) ru``, ``evil . ru``,
``e v i l . r u``, ``evil%2Eru``, ``evil&#46;ru``).  This module counts them on every
message, so it is built for speed and predictability:

* only the standard library (``re``, ``ipaddress``, ``unicodedata``) is used;
* every regular expression is precompiled at import and written with possessive
  quantifiers and bounded repeats, and a candidate can only start at the beginning of a
  run of hostname characters, so the scan is linear in the length of the message;
* a message that cannot contain a link leaves after a few substring tests.

The text is expected to be NFKC-normalised and free of invisible/format characters
already (the caller does both); case is preserved.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, NamedTuple

__all__ = ["FoundUrl", "UrlKind", "extract_urls", "host_matches", "matching_domain"]

UrlKind = Literal["scheme", "www", "bare", "ip"]


@dataclass(frozen=True, slots=True)
class FoundUrl:
    """One link found in a message.

    ``kind`` says how the link was recognised, in this order of precedence:
    ``"ip"`` (the host is an IPv4/IPv6 address, with or without a scheme), ``"scheme"``
    (``http://``, ``https://``, ``ftp://`` or a defanged spelling of them), ``"www"``
    (``www.`` without a scheme) and ``"bare"`` (a bare domain with a known TLD).
    """

    text: str
    """The link as matched, after refanging (e.g. ``"http://example.com/x"``)."""
    host: str
    """Lower-case host without port or trailing dot; ``www.`` kept; IPv6 without brackets."""
    kind: UrlKind
    defanged: bool
    """True when the source used a defanged form (``hxxp``, ``[.]``, ``(dot)``, a spaced dot,
    a spaced-out link, an escape in the host ...)."""


# --------------------------------------------------------------------------- TLD data


def _load_tlds(path: Path) -> frozenset[str]:
    """Read the TLD list: one lower-case TLD a line, ``#`` comments.

    Internationalised TLDs are stored in Unicode form; their punycode (``xn--``) form is
    added too, so ``example.xn--p1ai`` is recognised like ``example.рф``.  The labels are
    already lower-case NFC, so plain RFC 3492 punycode is their IDNA A-label.
    """
    names: set[str] = set()
    for raw in path.read_text(encoding="utf-8").splitlines():
        name = raw.strip().lower()
        if not name or name.startswith("#"):
            continue
        names.add(name)
        if not name.isascii():
            names.add("xn--" + name.encode("punycode").decode("ascii"))
    return frozenset(names)


# A path relative to this file works both as an installed package and in a source tree
# without ``spamguard/__init__.py`` (where importlib.resources cannot resolve the package).
_TLDS: Final = _load_tlds(Path(__file__).parent / "data" / "tlds.txt")

# Generic TLDs that count as a link even without a path or port (``example.com``).  The
# risk being managed is a missing space after a full stop: "done.now", "hi.how are you",
# "see you.today", "so much.love" would all be links if every TLD counted, because many
# newer generic TLDs are ordinary English words that start a sentence.  Kept here:
_COMMON_GTLDS: Final = frozenset(
    {
        # the legacy generic TLDs people actually type
        "com", "net", "org", "info", "biz", "edu", "gov", "mobi", "pro", "asia",
        # TLDs of the tech/start-up world that show up in legitimate links
        "app", "dev", "tech", "cloud", "online", "site", "website", "store", "shop", "club",
        # cheap TLDs that dominate spam and phishing abuse statistics; the few that are
        # also words (live, work, click, link, win) are kept because of that abuse
        "xyz", "top", "icu", "vip", "win", "bid", "loan", "click", "link", "work", "live",
        "buzz", "cyou", "sbs", "cfd", "cam", "monster", "bond",
    }
)  # fmt: skip
# Deliberately left out although common: "name" ("what's your.name"), "ltd" ("ACME
# Co.Ltd"), "lol", "fun", "life", "help", "now", "how", "today", "love", "run" (chat words).
# All two-letter TLDs (ccTLDs such as io co me ly gl tk ml ga cf gq pw tv ws su ru cn) and
# all internationalised TLDs (рф, 中国 ...) count as well: see _PATHLESS_TLDS.

# File extensions that are also TLDs: "main.py", "notes.md", "report.zip", "clip.mov",
# "logo.ai", "libc.so" name files far more often than web sites, so without a path or port
# they are never links (unless the writer defanged them, which only happens to hosts).
_FILE_EXTENSION_TLDS: Final = frozenset(
    {"py", "sh", "md", "rs", "pl", "cc", "so", "ps", "ai", "zip", "mov"}
)


def _counts_without_path(tld: str) -> bool:
    """Whether a bare ``name.<tld>`` with neither path nor port is still taken as a link."""
    if tld in _FILE_EXTENSION_TLDS:
        return False
    return (
        tld in _COMMON_GTLDS
        or (len(tld) == 2 and tld.isascii())  # country codes
        or not tld.isascii()  # internationalised TLDs never collide with English chat
        or tld.startswith("xn--")
    )


_PATHLESS_TLDS: Final = frozenset(tld for tld in _TLDS if _counts_without_path(tld))


# ------------------------------------------------------------------------ regexes


def _combining_mark_class() -> str:
    r"""Character-class body listing the combining marks of the Basic Multilingual Plane.

    ``re``'s ``\w`` leaves out combining marks, which many scripts need inside a word
    (the vowel sign in Devanagari "भारत", Sinhala "ලංකා" ...).  Scanning the BMP once at
    import takes about 10 ms; marks outside the BMP belong to historic scripts.
    """
    category = unicodedata.category
    ranges: list[tuple[int, int]] = []
    for code in range(0x300, 0x10000):
        if category(chr(code))[0] != "M":
            continue
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return "".join(rf"\u{lo:04x}-\u{hi:04x}" for lo, hi in ranges)


_MARKS: Final = _combining_mark_class()
# One character of a hostname label (the underscore included so that "my_site.com" stays
# one run and is rejected as a whole, instead of yielding "site.com").
_RUN: Final = rf"[\w{_MARKS}]"
# A label: runs of word characters joined by hyphens, never ending in a hyphen.  All
# quantifiers are possessive: a label can be read in only one way, so nothing backtracks.
_LABEL: Final = rf"{_RUN}++(?:-++{_RUN}++)*+"

# Defanged spellings.  Every fragment starts with "[", "(", "{" or ":"; as an alternation
# whose branches all begin with one of these literals, ``re`` jumps from one such
# character to the next at C speed, which matters because "(" and ":" are common in chat.
# Whether a fragment really is defanging is decided in Python (_refang_dot/_scheme): the
# dot forms must sit between word characters, so "[.]" alone, "(.)" in a smiley or "[dot]"
# in a sentence stay as they are; the plain word "dot" is never a dot ("sdotpro",
# "example dot com").
_DEFANG: Final = re.compile(
    r"""
      \[ (?: :\]// | ://\] | \.\] | (?i:dot)\] )
    | \( (?: :\)// | ://\) | \.\) | (?i:dot)\) )
    | \{ (?: \.\} | (?i:dot)\} )
    | : (?<!(?i:http):) (?<!(?i:https):) (?<!(?i:ftp):) //   # not after a plain scheme
    """,
    re.VERBOSE,
)
# Escaped characters.  Browsers percent-decode a host before resolving it
# ("https://evil%2Ecom" opens evil.com) and a client that renders HTML shows "&#46;" as a
# dot, so both are undone, once, as a browser does ("&amp;#46;" stays "&#46;").  Only the
# characters that spell a link are decoded (ASCII letters and digits, ".", "-", "/",
# ":"; "&" for "&amp;"), so "50%20off", "caf%C3%A9" and "&lt;3" are left as they are.
_ESCAPE_BRANCHES: Final = r"""
    | % [0-9A-Fa-f]{2}
    | & (?: \# [0-9]{1,7} | \# [xX] [0-9A-Fa-f]{1,6} | [A-Za-z]{2,8} ) ;
"""
# Spaced-out links: "evil . com" (a dot with blanks around it, between label characters)
# and "e v i l . c o m" (single characters one space apart, holding a spaced dot).  A
# spaced dot is rare in prose, so only texts holding one pay for these branches; the
# possessive repeat reads a spaced run (five single characters or more) in one way only.
_SPACED_BRANCHES: Final = r"""
    | [ \t]{1,3} \. [ \t]{1,3}
    | (?<!\S) [\w:/.-] (?: \x20 [\w:/.-] (?=[\s,;!?)]|\Z) ){4,}+
"""
_DEFANG_ESCAPES: Final = re.compile(_DEFANG.pattern + _ESCAPE_BRANCHES, re.VERBOSE)
_DEFANG_SPACED: Final = re.compile(
    _DEFANG.pattern + _ESCAPE_BRANCHES + _SPACED_BRANCHES, re.VERBOSE
)
_ESCAPABLE: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-/:")
_NAMED_ENTITIES: Final = {"period": ".", "sol": "/", "colon": ":", "hyphen": "-", "amp": "&"}
# A label written in lower case, as a TLD after a spaced dot must be.
_LOWER_LABEL: Final = re.compile(r"[a-z0-9-]+")

# The scheme word right before a separator (searched with pos/endpos, so \Z is the separator).
_SCHEME_WORD: Final = re.compile(r"(?<!\w)(?i:hxxps?|fxp|https?|ftp)\Z")
_DEFANGED_SCHEMES: Final = {"hxxp": "http", "hxxps": "https", "fxp": "ftp"}
_SPACES_AROUND_DEFANGED_DOT: Final = 3

# Every link contains, once refanged, "://" or a dot followed by a word character (the
# "triggers"), and most messages with a full stop have neither.  The full scan only
# starts at the word holding the next trigger; see _link_dot_pattern for which dots
# trigger.  A regex made of a literal and a class is searched by ``re`` with a fast
# literal scan: the quickest way to rule out most messages.
_DOT_TRIGGER: Final = re.compile(r"\.\w")


# The triggers that can belong to a link.  Without a scheme ("://", searched separately) a
# candidate is only ever accepted when its last label is a known TLD (not followed by
# more of the label, by another label or by "@", as an e-mail address's local part is),
# when it is all digits (IPv4) or when the host starts with "www.".  So the scan only
# needs to stop at those dots: before a TLD that ends the host, before a digit, or right
# after "www".  Every other dot trigger only ever led to a candidate that was rejected
# after ~1.6 us of Python ("a.bc " * 4000 took 6.6 ms).  Unless the text was defanged, an
# IPv4 host and a TLD that needs a path (file extensions, chat words) only count with a
# port or path, so their dots only trigger before one.
#
# Which TLDs occur is found first: one findall of the labels that end a host and a set
# intersection, both at C speed (0.4 ms for 4,000 dots).  The trigger pattern is then an
# alternation of just those TLDs (``re`` caches the few distinct ones); an alternation of
# all 1,600, even as a trie, costs ~200 ns a dot in ``re``.  Labels are compared lower-
# cased: the text is lower-cased when that keeps every offset (almost always); otherwise
# each label is, and the pattern ignores case (accepting every character whose lower case
# is the TLD's, and a few more).
_LABEL_END: Final = r"(?![\w{marks}@]|-+[\w{marks}]|\.[\w{marks}])"
# The same without the combining marks, for the patterns built per text: the 2,400-character
# mark class makes each compile cost 2-4 ms instead of ~0.1 ms.  Not excluding a mark
# after a TLD only lets a few more dots trigger, which is safe.
_LOOSE_LABEL_END: Final = r"(?![\w@]|-+\w|\.\w)"
_PORT_OR_PATH_AHEAD: Final = r"(?=\.?[:/?\#])"
_IPV4_AHEAD: Final = r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}"
_MANY_TLDS: Final = 24  # beyond this many distinct TLDs, one pattern with all of them

# Floods of candidates that are found and then rejected cost ~2.5 us each in Python
# (_link_from_match, _classify): "1.com " * 1333 took 3.5 ms, "www.a " * 1333 3.3 ms,
# "my_site.com " * 666 1.5 ms.  The guards below keep the dots of such hosts from
# triggering at all, so the scan never starts there.  Each guard only drops a dot that
# every candidate containing it has to be rejected for (see the cases in
# tests/test_urls.py and the differential test in tests/test_text.py), and each needs
# at most a few fixed-width lookarounds, which ``re`` tests in ~10 ns.
#
# Characters that can never be part of a host and are not "@", "." or "-": a candidate
# host (without a scheme, whose "://" triggers on its own) can start right after one.
_HOST_BOUNDARY: Final = r"[\s\x21-\x2c\x2f\x3a-\x3f\x5b-\x5e\x60\x7b-\x7e]"
# Anything but the ASCII characters that end a host label: a superset of the label.
_LABEL_SUPERSET: Final = r"[^\x00-\x2c\x2e\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]"
# "1.com": a host whose first label is a number is a numbered list unless a port or
# path follows (see _classify).  The label right before the TLD's dot is all digits and
# starts the host when a boundary or the start of the text comes before it; longer
# numbers are rare in lists and are left to _classify.
_NUMBERED_DIGITS: Final = 6
_NOT_NUMBERED: Final = r"(?:(?<![0-9]\.)|{})".format(
    "".join(
        rf"(?<!{_HOST_BOUNDARY}[0-9]{{{n}}}\.)(?<!^[0-9]{{{n}}}\.)"
        for n in range(1, _NUMBERED_DIGITS + 1)
    )
)
# "my_site.com", "x@a.me": a "_" within the label before the dot puts it in every
# candidate holding the dot (a label cannot start after "_"), and a label right after
# "@" can only be a host after a scheme, whose "://" triggers on its own.  Only the
# nearest few characters are looked at; a farther "_" or "@" is left to _classify.
_GUARDED_LABEL: Final = 12


def _not_after(char: str) -> str:
    return "".join(rf"(?<!{re.escape(char)}[\w-]{{{n}}}\.)" for n in range(_GUARDED_LABEL + 1))


# "www.a": without a scheme, "www." only makes a "www" link when another label follows
# the next one (_classify wants two dots); "www.com" is found by its TLD.
_WWW_HOST_AHEAD: Final = rf"(?=\w{_LABEL_SUPERSET}*+\.\w)"


def _alternation(words: Iterable[str]) -> str:
    # Longest first, so that a TLD that is a prefix of another ("co", "com") comes last.
    return "|".join(map(re.escape, sorted(words, key=lambda word: (-len(word), word))))


def _link_dot_pattern(
    tlds: frozenset[str], *, defanged: bool, ignore_case: bool, guards: str = ""
) -> str:
    """The dots that can belong to a link, when the text's host-ending labels are ``tlds``.

    ``guards`` holds "_" and "@" when the text has them, to add those guards (they cost
    ~0.2 us a dot, so only texts that can need them pay).  Defanged text has no guards:
    there a numbered host is a link.
    """
    www = "(?i:www)" if ignore_case else "www"
    case = "(?i:{})" if ignore_case else "(?:{})"
    if defanged:
        branches = [rf"(?<={www}\.)(?=\w)", "(?=[0-9])"]
        if tlds:
            branches.append(case.format(_alternation(tlds)) + _LOOSE_LABEL_END)
        return r"\.(?:" + "|".join(branches) + ")"
    branches = [
        rf"(?<={www}\.){_WWW_HOST_AHEAD}",
        rf"(?={_IPV4_AHEAD}{_PORT_OR_PATH_AHEAD})",
    ]
    pathless, needs_path = tlds & _PATHLESS_TLDS, tlds - _PATHLESS_TLDS
    if pathless:
        tld = case.format(_alternation(pathless)) + _LOOSE_LABEL_END
        # Not numbered, or followed by a port or path.
        branches.append(rf"(?:{_NOT_NUMBERED}|(?={tld}{_PORT_OR_PATH_AHEAD})){tld}")
    if needs_path:
        branches.append(
            case.format(_alternation(needs_path)) + _LOOSE_LABEL_END + _PORT_OR_PATH_AHEAD
        )
    guard = "".join(_not_after(char) for char in sorted(guards))
    # One leading literal: ``re`` then skips from dot to dot at C speed.
    return rf"\.{guard}(?:" + "|".join(branches) + ")"


# One link candidate.  A candidate starts either at a scheme that is not glued to a
# preceding word, or at the start of a run of hostname characters (not after a word
# character, dot, hyphen or "@": a label boundary, and not the domain of an e-mail
# address).  A name host needs at least one dot, so ordinary words never become
# candidates.  A candidate never contains whitespace.  Validation (TLD, octets, label
# rules) happens in Python afterwards.
_CANDIDATE: Final = re.compile(
    rf"""
    (?:
        (?<!\w)(?P<scheme>(?i:https?|ftp)://)
        (?:[^\s/?\#@\[\]<>"'`]{{0,256}}+@)?+          # user:password@ disguise
      | (?<![\w{_MARKS}.@-])
    )
    (?P<host>
        \[[0-9A-Fa-f:.]{{2,45}}+\]                    # IPv6 literal
      | {_LABEL}(?:\.{_LABEL})++(?:\.(?=[:/?\#]))?    # names and IPv4, optional final dot
    )
    (?P<port>:[0-9]{{1,5}}+(?![0-9]))?+
    """,
    re.VERBOSE,
)
# The path after a candidate's host or port. It is read only once the host can be a
# link: a path runs to the end of the word, and reading it for every rejected host
# ("www.a.b/www.a.b/...") would read the rest of the word again for each.
_PATH: Final = re.compile(r"""[/?\#][^\s<>"'`\[\]{}|\\^]*+""")

# A label that ends a host, after its dot (group 1).
_HOST_END_LABEL: Final = re.compile(rf"\.({_LABEL}){_LABEL_END.replace('{marks}', _MARKS)}")

# A label that starts with a combining mark (searched in "." + host).
_MARK_AFTER_DOT: Final = re.compile(rf"\.[{_MARKS}]")

# Characters that end a sentence or a quotation rather than a URL path.
_TRAILING_PUNCTUATION: Final = frozenset(".,;:!?*~'\"”’»›…")


# ------------------------------------------------------------------------- refanging


def _is_label_char(char: str) -> bool:
    return char.isalnum() or unicodedata.category(char)[0] == "M"


def _refang_dot(text: str, start: int, end: int, floor: int) -> tuple[int, int, str] | None:
    """Span (with up to 3 blanks either side) and "." for a bracketed dot between words."""
    left, lowest = start, max(floor, start - _SPACES_AROUND_DEFANGED_DOT)
    while left > lowest and text[left - 1] in " \t":
        left -= 1
    right, highest = end, min(len(text), end + _SPACES_AROUND_DEFANGED_DOT)
    while right < highest and text[right] in " \t":
        right += 1
    if left <= floor or right >= len(text):
        return None
    if not (_is_label_char(text[left - 1]) and _is_label_char(text[right])):
        return None
    return left, right, "."


def _refang_scheme(text: str, start: int, end: int, floor: int) -> tuple[int, int, str] | None:
    """Span and plain spelling of "hxxp://", "http[:]//", "https[://]" and the like."""
    word = _SCHEME_WORD.search(text, max(floor, start - 5), start)
    if word is None:
        return None
    scheme = word.group().lower()
    if end - start == 3 and scheme not in _DEFANGED_SCHEMES:
        return None  # an ordinary "http://" (the regex skips most of them already)
    return word.start(), end, _DEFANGED_SCHEMES.get(scheme, scheme) + "://"


def _unescape(text: str, start: int, end: int) -> tuple[int, int, str] | None:
    """Span and character of a percent escape or HTML entity that spells part of a link."""
    fragment = text[start:end]
    if fragment[0] == "%":
        char = chr(int(fragment[1:], 16))
    elif fragment[1] == "#":
        digits = fragment[2:-1]
        code = int(digits[1:], 16) if digits[0] in "xX" else int(digits)
        char = chr(code) if code < 0x80 else ""
    else:
        char = _NAMED_ENTITIES.get(fragment[1:-1], "")
    if char not in _ESCAPABLE and char != "&":
        return None
    return start, end, char


def _refang_spaced(text: str, start: int, end: int, floor: int) -> tuple[int, int, str] | None:
    """Span and plain spelling of "evil . com" or "e v i l . c o m"."""
    fragment = text[start:end]
    if fragment[0] in " \t":  # a spaced dot
        if start <= floor or end >= len(text):
            return None
        if not (_is_label_char(text[start - 1]) and _is_label_char(text[end])):
            return None
        # Prose has spaced full stops too ("I see . Do you ship to Canada . Is it in
        # stock . No rush . me too"), and many words are country codes. So the word after
        # the dot must be written in lower case and be a generic TLD ("pills . com"),
        # or be followed by a path or port ("pills . ru/buy").
        after = _LOWER_LABEL.match(text, end)
        if after is None:
            return None
        if after.group() not in _COMMON_GTLDS and text[after.end() : after.end() + 1] not in (
            "/",
            ":",
        ):
            return None
        return start, end, "."
    if " . " not in fragment or start < floor:
        return None
    return start, end, fragment.replace(" ", "")


class _Marks(NamedTuple):
    """Where `_refang` changed the text, as offsets into the new text."""

    defanged: tuple[int, ...]
    """Where defanging was undone: a link holding one of these is defanged."""
    escaped: tuple[int, ...]
    """Where an escape was decoded: only one in the host makes a link defanged, since an
    escape in a path is ordinary URL encoding."""

    def __bool__(self) -> bool:
        return bool(self.defanged or self.escaped)


_NO_MARKS: Final = _Marks((), ())


def _refang(text: str) -> tuple[str, _Marks]:
    """Undo defanging and escapes; return the new text and where it changed."""
    if "%" in text or "&" in text or " ." in text or "\t." in text:
        pattern = _DEFANG_SPACED if (" ." in text or "\t." in text) else _DEFANG_ESCAPES
    else:
        pattern = _DEFANG
    if pattern.search(text) is None:  # the common case, without the finditer machinery
        return text, _NO_MARKS
    pieces: list[str] = []
    marks: list[int] = []
    escapes: list[int] = []
    last = 0  # end of the previous replacement: fragments never reach back past it
    length = 0
    for match in pattern.finditer(text):
        start, end = match.span()
        first = text[start]
        if first in "%&":
            replacement = _unescape(text, start, end)
        elif first in "[({" and ":" not in text[start : start + 2]:
            replacement = _refang_dot(text, start, end, last)
        elif ":" in text[start : start + 2] and first not in " \t" and end - start <= 8:
            replacement = _refang_scheme(text, start, end, last)
        else:
            replacement = _refang_spaced(text, start, end, last)
        if replacement is None:
            continue
        start, end, plain = replacement
        pieces.append(text[last:start])
        length += start - last
        (escapes if first in "%&" else marks).append(length)
        pieces.append(plain)
        length += len(plain)
        last = end
    if not marks and not escapes:
        return text, _NO_MARKS
    pieces.append(text[last:])
    return "".join(pieces), _Marks(tuple(marks), tuple(escapes))


def _has_mark(marks: tuple[int, ...], start: int, end: int) -> bool:
    """Whether a refanged fragment begins inside ``[start, end)``."""
    index = bisect_left(marks, start)
    return index < len(marks) and marks[index] < end


# ------------------------------------------------------------------ host validation


def _is_ipv4(labels: list[str]) -> bool:
    return len(labels) == 4 and all(
        label.isascii() and label.isdigit() and len(label) <= 3 and int(label) <= 255
        for label in labels
    )


def _has_bad_label(host: str) -> bool:
    """What the candidate regex cannot rule out: "_", over-long or mark-led labels."""
    if "_" in host:
        return True
    if len(host) > 63 and any(len(label) > 63 for label in host.split(".")):
        return True
    return not host.isascii() and _MARK_AFTER_DOT.search("." + host) is not None


def _looks_like_tld(tld: str) -> bool:
    """With a scheme or ``www.`` any TLD is accepted as long as it could be one."""
    return tld in _TLDS or tld.startswith("xn--") or (len(tld) >= 2 and tld.isalpha())


def _ipv6_host(raw: str) -> str | None:
    try:
        return str(ipaddress.IPv6Address(raw[1:-1]))
    except ValueError:
        return None


def _classify(host: str, *, scheme: bool, port_or_path: bool, defanged: bool) -> UrlKind | None:
    """Decide whether a lower-case, dot-separated host is a link, and of which kind.

    A bare dotted quad ("2.0.0.1") is far more often a version number than a link, so an
    IPv4 host needs a scheme, port or path, or to have been defanged on purpose.
    """
    if _has_bad_label(host):
        return None
    tld = host[host.rfind(".") + 1 :]
    if tld.isdigit():  # an IPv4 address or nothing ("1.2.3", "v2.0.1", "999.1.1.1")
        if not _is_ipv4(host.split(".")):
            return None
        return "ip" if scheme or port_or_path or defanged else None
    if scheme:
        # Single-label hosts never get here (the regex wants a dot): "http://localhost"
        # is not a link anybody outside the machine can follow.
        return "scheme" if _looks_like_tld(tld) else None
    if host.startswith("www.") and host.count(".") >= 2:
        return "www" if _looks_like_tld(tld) else None
    if tld not in _TLDS:
        return None
    if host[: host.find(".")].isdigit() and not (port_or_path or defanged):
        # A numbered list written without spaces ("1.it won't start 2.it beeps") is not
        # a list of Italian domains; no real site is named by a number alone.
        return None
    if port_or_path or defanged or tld in _PATHLESS_TLDS:
        return "bare"
    return None


# ------------------------------------------------------------------ candidate handling


def _trim_end(text: str, start: int, end: int) -> int:
    """Move ``end`` left past trailing punctuation and unbalanced ``)`` of a path.

    Balanced parentheses stay ("/wiki/Foo_(bar)"); the ")" closing a Markdown link or a
    parenthesised remark goes.  Counting once (and only when needed) keeps this linear.
    """
    balance: int | None = None
    while end > start:
        char = text[end - 1]
        if char in _TRAILING_PUNCTUATION:
            end -= 1
            continue
        if char != ")":
            break
        if balance is None:
            balance = text.count("(", start, end) - text.count(")", start, end)
        if balance >= 0:
            break
        balance += 1
        end -= 1
    return end


def _link_end(text: str, match: re.Match[str]) -> int:
    """End of the link: after a valid port and the path without trailing punctuation."""
    end = match.end("host")
    port = match["port"]
    if port is not None:
        if int(port[1:]) > 65535:
            return end  # not a port: drop it and anything after it
        end = match.end("port")
    path = _PATH.match(text, end)
    if path is not None:
        end = _trim_end(text, path.start(), path.end())
    return end


def _host_of(raw_host: str, *, scheme: bool) -> str | None:
    """The normalised host of a candidate, or None when it cannot be one."""
    if raw_host.startswith("["):
        return _ipv6_host(raw_host) if scheme else None  # IPv6 literals need a scheme
    if len(raw_host) > 254:  # 253 plus an optional final dot
        return None
    return raw_host.lower().rstrip(".")


def _may_be_bare(text: str, host: str, host_end: int) -> bool:
    """Cheap pre-test for hosts without a scheme, to drop "Mr.Smith", "3.14" early."""
    if text.startswith("@", host_end):
        return False  # the local part of an e-mail address ("jane.me@example.com")
    tld = host[host.rfind(".") + 1 :]
    return tld in _TLDS or tld.isdigit() or host.startswith("www.")


def _link_from_match(text: str, match: re.Match[str], marks: _Marks) -> tuple[FoundUrl | None, int]:
    """Validate one candidate; return the link (or None) and where to continue scanning."""
    host_end = match.end("host")
    scheme = match["scheme"] is not None
    host = _host_of(match["host"], scheme=scheme)
    if host is None or (not scheme and not _may_be_bare(text, host, host_end)):
        return None, host_end
    literal = match["host"].startswith("[")
    if not literal and _classify(host, scheme=scheme, port_or_path=True, defanged=True) is None:
        # No port, path or disguise could make it a link (the flags only ever admit
        # more), so its path is never read: see _PATH.
        return None, host_end
    start = match.start()
    end = _link_end(text, match)
    defanged = _has_mark(marks.defanged, start, end) or _has_mark(marks.escaped, start, host_end)
    if literal:
        kind: UrlKind | None = "ip"
    else:
        kind = _classify(host, scheme=scheme, port_or_path=end > host_end, defanged=defanged)
    if kind is None:
        return None, host_end
    return FoundUrl(text=text[start:end], host=host, kind=kind, defanged=defanged), end


def _may_contain_link(text: str) -> bool:
    # Every link form needs a dot or a colon, except the bracketed dots "(dot)", "[dot]"
    # and "{dot}", which need a closing bracket.  Plain substring tests run at C speed.
    # Escapes ("evil%2Ecom", "evil&#46;com") need a "%" or an "&".
    return (
        "." in text
        or ":" in text
        or ")" in text
        or "]" in text
        or "}" in text
        or "%" in text
        or "&" in text
    )


def _needs_refang(text: str) -> bool:
    # Defanged dots need a bracket or a blank before them, defanged schemes a colon or
    # a bracket, escapes a "%" or an "&".
    return (
        "[" in text
        or "(" in text
        or "{" in text
        or ":" in text
        or "%" in text
        or "&" in text
        or " ." in text
        or "\t." in text
    )


class _Triggers:
    """The next trigger at or after a position, for positions that only move forward.

    Each kind of trigger is searched again only once the scan has passed the previous
    hit, so the text is read at most once per kind.
    """

    __slots__ = ("_dot", "_dots", "_lowered", "_separator", "_text")

    def __init__(self, text: str, lowered: str, dots: re.Pattern[str]) -> None:
        self._text = text
        self._lowered, self._dots = lowered, dots
        self._dot = self._find_dot(0)
        self._separator = text.find("://")

    def _find_dot(self, position: int) -> int:
        match = self._dots.search(self._lowered, position)
        return -1 if match is None else match.start()

    def next_at_or_after(self, position: int) -> int:
        """Offset of the next trigger, or -1 when there is none."""
        if 0 <= self._dot < position:
            self._dot = self._find_dot(position)
        if 0 <= self._separator < position:
            self._separator = self._text.find("://", position)
        if self._dot < 0 or 0 <= self._separator < self._dot:
            return self._separator
        return self._dot


def _dot_search(text: str, *, defanged: bool) -> tuple[str, re.Pattern[str]]:
    """The text to search for link dots, and the pattern to search it with."""
    lowered = text.lower()
    ignore_case = len(lowered) != len(text)
    if ignore_case:
        lowered = text
        labels: Iterable[str] = map(str.lower, _HOST_END_LABEL.findall(text))
    else:
        labels = _HOST_END_LABEL.findall(lowered)
    tlds = _TLDS.intersection(labels)
    if len(tlds) > _MANY_TLDS:
        tlds = _TLDS  # one pattern with all of them, compiled on first use (60 ms)
    guards = "" if defanged else "_" * ("_" in text) + "@" * ("@" in text)
    return lowered, _link_dots(frozenset(tlds), defanged, ignore_case, guards)


@functools.lru_cache(maxsize=256)
def _link_dots(
    tlds: frozenset[str], defanged: bool, ignore_case: bool, guards: str
) -> re.Pattern[str]:
    return re.compile(
        _link_dot_pattern(tlds, defanged=defanged, ignore_case=ignore_case, guards=guards)
    )


def _word_start(text: str, floor: int, index: int) -> int:
    """A position at or before the start of any candidate that contains ``index``.

    Candidates contain no whitespace, so one starts after the last space or line break
    before ``index`` (other blanks only make the regex scan a little further).
    """
    return max(floor, text.rfind(" ", floor, index) + 1, text.rfind("\n", floor, index) + 1)


def _scan(
    text: str, marks: _Marks, limit: int, triggers: _Triggers
) -> tuple[tuple[FoundUrl, ...], bool]:
    """Collect links from refanged text, stopping at the first one beyond ``limit``.

    The candidate regex is only started at the word holding the next trigger (a dot that
    can belong to a link, or "://"), which every link contains; the text in between is
    skipped by the much cheaper trigger search.  Every round moves ``position`` past the
    candidate just examined, and rfind/search never look back before it: linear time.
    """
    found: list[FoundUrl] = []
    position = 0
    while (trigger := triggers.next_at_or_after(position)) >= 0:
        match = _CANDIDATE.search(text, _word_start(text, position, trigger))
        if match is None:
            break
        link, position = _link_from_match(text, match, marks)
        if link is None:
            continue
        if len(found) >= limit:
            return tuple(found), True
        found.append(link)
    return tuple(found), False


# ------------------------------------------------------------------------- public API


def extract_urls(text: str, limit: int = 50) -> tuple[tuple[FoundUrl, ...], bool]:
    """Return up to ``limit`` links in order of appearance, and whether more were present.

    The boolean is True when the cap applied, i.e. at least one more link followed the
    ``limit``-th one; scanning stops at that link, so a flood of links costs no more than
    ``limit + 1`` of them.  A ``limit`` of 0 or less returns no links and tells whether
    there is any.  Linear in ``len(text)``; never raises on any ``str``.
    """
    if not _may_contain_link(text):
        return (), False
    refanged, marks = _refang(text) if _needs_refang(text) else (text, _NO_MARKS)
    if "://" not in refanged and _DOT_TRIGGER.search(refanged) is None:
        return (), False  # sentences with full stops but no link: the usual case
    lowered, dots = _dot_search(refanged, defanged=bool(marks))
    if "://" not in refanged and dots.search(lowered) is None:
        return (), False  # sentences with full stops but no link: the usual case
    return _scan(refanged, marks, limit, _Triggers(refanged, lowered, dots))


def host_matches(host: str, domains: frozenset[str]) -> bool:
    """True when host equals one of ``domains`` or is a subdomain of one.

    The match is a suffix match on a label boundary, so "notexample.com" does not match
    "example.com".  ``host`` is lower-cased and a trailing dot dropped; ``domains`` must
    already be lower-case without trailing dots.  A leading "www." on ``host`` needs no
    special case: "example.com" is a label-boundary suffix of "www.example.com".
    """
    return matching_domain(host, domains) is not None


def matching_domain(host: str, domains: frozenset[str]) -> str | None:
    """The entry of ``domains`` that ``host`` equals or is a subdomain of (see `host_matches`)."""
    candidate = host.lower().rstrip(".")
    while candidate:
        if candidate in domains:
            return candidate
        dot = candidate.find(".")
        if dot < 0:
            return None
        candidate = candidate[dot + 1 :]
    return None
