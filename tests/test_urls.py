"""Tests of `spamguard.urls`: what counts as a link, defanging, the cap, `host_matches`."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spamguard.urls import FoundUrl, extract_urls, host_matches

# (text, host, kind, defanged) of one expected link.
Link = tuple[str, str, str, bool]
SCHEME, WWW, BARE, IP = "scheme", "www", "bare", "ip"


def links(text: str, limit: int = 50) -> list[Link]:
    found, _capped = extract_urls(text, limit)
    return [(url.text, url.host, url.kind, url.defanged) for url in found]


def one(
    name: str, message: str, host: str, kind: str, *, text: str = "", defanged: bool = False
) -> pytest.ParameterSet:
    """A message holding exactly one link; ``text`` defaults to the whole message."""
    return pytest.param(message, [(text or message, host, kind, defanged)], id=name)


def refanged(name: str, message: str, text: str, host: str, kind: str) -> pytest.ParameterSet:
    """A message holding exactly one defanged link, which reads ``text`` once refanged."""
    return one(name, message, host, kind, text=text, defanged=True)


POSITIVES = [
    # 1. scheme URLs, any TLD, IPv4/IPv6 hosts, defanged schemes and separators
    one("http", "see http://example.com/x now", "example.com", SCHEME, text="http://example.com/x"),
    one(
        "https-query-fragment",
        "https://shop.example.co.uk/cart?id=3#top",
        "shop.example.co.uk",
        SCHEME,
    ),
    one("ftp", "ftp://files.example.org/pub", "files.example.org", SCHEME),
    one("scheme-upper-case", "HTTPS://Example.COM/Path", "example.com", SCHEME),
    one("scheme-port", "https://example.com:8443/x", "example.com", SCHEME),
    one("scheme-unknown-tld", "http://printer.lan/status", "printer.lan", SCHEME),
    one("scheme-uncurated-tld", "http://example.now", "example.now", SCHEME),
    one("scheme-userinfo-disguise", "http://paypal.com@evil.ru/login", "evil.ru", SCHEME),
    one("scheme-user-password", "http://user:pw@example.com", "example.com", SCHEME),
    refanged("hxxp", "hxxp://evil.ru/login", "http://evil.ru/login", "evil.ru", SCHEME),
    refanged("hxxps", "hxxps://evil.ru", "https://evil.ru", "evil.ru", SCHEME),
    refanged("hXXp", "hXXp://evil.ru", "http://evil.ru", "evil.ru", SCHEME),
    refanged("HXXPS", "HXXPS://evil.ru", "https://evil.ru", "evil.ru", SCHEME),
    refanged("fxp", "fxp://files.evil.ru/x", "ftp://files.evil.ru/x", "files.evil.ru", SCHEME),
    refanged("colon-in-brackets", "http[:]//evil.ru", "http://evil.ru", "evil.ru", SCHEME),
    refanged("colon-in-parens", "https(:)//evil.ru", "https://evil.ru", "evil.ru", SCHEME),
    refanged("separator-in-brackets", "https[://]evil.ru", "https://evil.ru", "evil.ru", SCHEME),
    refanged("all-defanged", "hxxp[:]//evil[.]ru/x", "http://evil.ru/x", "evil.ru", SCHEME),
    one("scheme-beats-www", "http://www.example.com", "www.example.com", SCHEME),
    # 2. www. without scheme, any TLD
    one("www", "go to www.example.com", "www.example.com", WWW, text="www.example.com"),
    one("www-upper-case-path", "WWW.Example.ORG/path", "www.example.org", WWW),
    one("www-uncurated-tld", "www.example.now", "www.example.now", WWW),
    one("www-unknown-tld", "www.printer.lan", "www.printer.lan", WWW),
    # 3. bare domains
    one("bare-com", "example.com", "example.com", BARE),
    one("bare-short-with-path", "join t.me/freecoins", "t.me", BARE, text="t.me/freecoins"),
    one("bare-cctld", "bit.ly", "bit.ly", BARE),
    one("bare-abused-gtld", "free-prizes.xyz", "free-prizes.xyz", BARE),
    one("bare-upper-case", "Example.COM", "example.com", BARE),
    one("bare-asp-net-accepted", "asp.net", "asp.net", BARE),
    one("bare-idn", "пример.рф", "пример.рф", BARE),
    one("bare-idn-upper-case", "ПРИМЕР.РФ", "пример.рф", BARE),
    one("bare-punycode-tld", "example.xn--p1ai", "example.xn--p1ai", BARE),
    one("bare-punycode-host", "XN--E1AFMKFD.XN--P1AI", "xn--e1afmkfd.xn--p1ai", BARE),
    one("bare-idn-combining-marks", "उदाहरण.भारत", "उदाहरण.भारत", BARE),
    one("bare-uncurated-tld-path", "deals.today/now", "deals.today", BARE),
    one("bare-uncurated-tld-port", "deals.today:8080", "deals.today", BARE),
    one("bare-file-tld-path", "main.py/raw", "main.py", BARE),
    one("bare-after-colon", "visit:example.com", "example.com", BARE, text="example.com"),
    one("bare-hyphen", "my-shop.example.com", "my-shop.example.com", BARE),
    # 4. IPv4 with scheme, port or path
    one("ipv4-port", "1.2.3.4:8080", "1.2.3.4", IP),
    one("ipv4-path", "1.2.3.4/login", "1.2.3.4", IP),
    one("ipv4-scheme", "http://192.168.0.1/admin", "192.168.0.1", IP),
    one("ipv6-scheme", "http://[2001:DB8::1]:8080/x", "2001:db8::1", IP),
    refanged("ipv4-defanged", "1[.]2[.]3[.]4", "1.2.3.4", "1.2.3.4", IP),
    # 5. defanged dots
    refanged("dot-brackets", "example[.]com", "example.com", "example.com", BARE),
    refanged("dot-parens", "example(.)com", "example.com", "example.com", BARE),
    refanged("dot-braces", "example{.}com", "example.com", "example.com", BARE),
    refanged("word-dot-brackets", "example[dot]com", "example.com", "example.com", BARE),
    refanged("word-dot-parens", "example(dot)com", "example.com", "example.com", BARE),
    refanged("word-dot-braces", "example{dot}com", "example.com", "example.com", BARE),
    refanged("word-dot-spaced", "example [dot] com", "example.com", "example.com", BARE),
    refanged("word-dot-parens-spaced", "example (dot) com", "example.com", "example.com", BARE),
    refanged("word-dot-upper-case", "example  (DOT)  com", "example.com", "example.com", BARE),
    refanged("word-dot-path", "evil(dot)ru/x", "evil.ru/x", "evil.ru", BARE),
    refanged("defanged-any-real-tld", "example[.]now", "example.now", "example.now", BARE),
    refanged("defanged-www", "www[.]example[.]com", "www.example.com", "www.example.com", WWW),
    refanged(
        "defanged-every-dot", "a[.]b[.]example[.]com", "a.b.example.com", "a.b.example.com", BARE
    ),
    # 6. trailing punctuation
    one("trailing-full-stop", "see example.com.", "example.com", BARE, text="example.com"),
    one("in-parentheses", "(example.com)", "example.com", BARE, text="example.com"),
    one("trailing-comma", "example.com, ok", "example.com", BARE, text="example.com"),
    one("trailing-bang", "example.com!", "example.com", BARE, text="example.com"),
    one(
        "path-trailing-full-stop",
        "go to https://example.com/a/b.",
        "example.com",
        SCHEME,
        text="https://example.com/a/b",
    ),
    one(
        "path-in-parentheses",
        "(see https://example.com/a)",
        "example.com",
        SCHEME,
        text="https://example.com/a",
    ),
    one(
        "path-balanced-parentheses",
        "https://en.wikipedia.org/wiki/Foo_(bar)",
        "en.wikipedia.org",
        SCHEME,
    ),
    one(
        "path-curly-quotes",
        "“https://example.com/a”",
        "example.com",
        SCHEME,
        text="https://example.com/a",
    ),
    one("trailing-question-mark", "example.com?", "example.com", BARE, text="example.com"),
    # 7. Markdown and HTML
    one("markdown", "[text](https://x.io/a)", "x.io", SCHEME, text="https://x.io/a"),
    one("html-anchor", '<a href="https://x.io">click</a>', "x.io", SCHEME, text="https://x.io"),
    one("angle-brackets", "<https://x.io/a>", "x.io", SCHEME, text="https://x.io/a"),
    # 8. host normalisation
    one("host-trailing-dot", "http://example.com./x", "example.com", SCHEME),
    one("host-trailing-hyphen-dropped", "example.com-", "example.com", BARE, text="example.com"),
    # several links, in order of appearance
    pytest.param(
        "b.org, then https://a.com/x and c.net!",
        [
            ("b.org", "b.org", BARE, False),
            ("https://a.com/x", "a.com", SCHEME, False),
            ("c.net", "c.net", BARE, False),
        ],
        id="several-in-order",
    ),
    pytest.param(
        "x.com,y.org!z.net",
        [
            ("x.com", "x.com", BARE, False),
            ("y.org", "y.org", BARE, False),
            ("z.net", "z.net", BARE, False),
        ],
        id="separated-by-punctuation",
    ),
    pytest.param(
        "163.com/news and 1.it",
        [("163.com/news", "163.com", BARE, False)],
        id="numeric-name-with-path",
    ),
]


ESCAPED = [
    pytest.param(
        "https://evil%2Ecom/x",
        [("https://evil.com/x", "evil.com", SCHEME, True)],
        id="percent-encoded-dot",
    ),
    pytest.param(
        "%77%77%77.evil.com",
        [("www.evil.com", "www.evil.com", "www", True)],
        id="percent-encoded-label",
    ),
    pytest.param("evil&#46;com", [("evil.com", "evil.com", BARE, True)], id="decimal-entity"),
    pytest.param("evil&#x2E;com", [("evil.com", "evil.com", BARE, True)], id="hex-entity"),
    pytest.param("evil&period;com", [("evil.com", "evil.com", BARE, True)], id="named-entity"),
    pytest.param(
        "&#104;ttps://evil.com", [("https://evil.com", "evil.com", SCHEME, True)], id="scheme"
    ),
    pytest.param(
        "https://example.com/s?q=caf%C3%A9&amp;x=1%2F2",
        [("https://example.com/s?q=caf%C3%A9&x=1/2", "example.com", SCHEME, False)],
        id="escapes-in-a-path-are-not-defanging",
    ),
    pytest.param("evil . com", [("evil.com", "evil.com", BARE, True)], id="spaced-dot"),
    pytest.param("evil  .\tcom/x", [("evil.com/x", "evil.com", BARE, True)], id="blanks-dot"),
    pytest.param("evil . ru/buy", [("evil.ru/buy", "evil.ru", BARE, True)], id="spaced-cc-path"),
    pytest.param(
        "see e v i l . c o m, ok", [("evil.com", "evil.com", BARE, True)], id="spaced-host"
    ),
    pytest.param(
        "h t t p s : / / e v i l . c o m / x",
        [("https://evil.com/x", "evil.com", SCHEME, True)],
        id="spaced-link",
    ),
]


@pytest.mark.parametrize(("text", "expected"), ESCAPED)
def test_escaped_and_spaced_links_found(text: str, expected: list[Link]) -> None:
    assert links(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "50%20off today",
        "caf%C3%A9 at home",  # a non-ASCII escape is left as typed
        "R&D and AT&T; &lt;3 &#0; &#99999999;",
        "evil&amp;#46;com",  # decoded once, as a browser does: "&#46;" is shown
        "I rate it 5 / 5 . Great",
        "ok . bye",
        "ok . ",  # a spaced dot at the very end
        " . ",
        ".",
        "a .\t",
        "end . Sentence",
        "a b c d . e",
        # Spaced full stops in prose, before words that are country codes or TLDs:
        "I see . Do you ship to Canada . Is it in stock . No rush . Me and my wife",
        "no rush . me too",
        "all good . so thanks . in a bit . to you",
        "evil . ru",  # a country code after a spaced dot needs a path to be a link
    ],
)
def test_escapes_and_spaces_that_are_no_link(text: str) -> None:
    assert links(text) == []


@pytest.mark.parametrize(("text", "expected"), POSITIVES)
def test_links_found(text: str, expected: list[Link]) -> None:
    assert links(text) == expected


NEGATIVES = [
    pytest.param("e.g. this", id="e.g."),
    pytest.param("i.e. that", id="i.e."),
    pytest.param("at 9 a.m. sharp", id="a.m."),
    pytest.param("made in the U.S.", id="U.S."),
    pytest.param("sdotpro", id="sdotpro"),
    pytest.param("example dot com", id="plain-word-dot"),
    pytest.param("report.pdf", id="report.pdf"),
    pytest.param("file.txt", id="file.txt"),
    pytest.param("node.js", id="node.js"),
    pytest.param("main.py", id="main.py"),
    pytest.param("notes.md", id="notes.md"),
    pytest.param("report.zip", id="report.zip"),
    pytest.param("clip.mov", id="clip.mov"),
    pytest.param("run build.sh", id="build.sh"),
    pytest.param("version 1.2.3", id="1.2.3"),
    pytest.param("v2.0.1", id="v2.0.1"),
    pytest.param("2.0.0.1", id="dotted-quad-without-path"),
    pytest.param("1.2.3.4:99999", id="dotted-quad-with-impossible-port"),
    pytest.param("3.14", id="3.14"),
    pytest.param("1.it won't start 2.it beeps 3.it's hot 4.it smells", id="numbered-list"),
    pytest.param("999.1.1.1/x", id="octet-out-of-range"),
    pytest.param("http://999.1.1.1/x", id="octet-out-of-range-with-scheme"),
    pytest.param("done.now", id="done.now"),
    pytest.param("hi.how are you", id="hi.how"),
    pytest.param("what's your.name", id="your.name"),
    pytest.param("ACME Co.Ltd", id="Co.Ltd"),
    pytest.param("john@example.com", id="e-mail"),
    pytest.param("jane.me@example.com", id="e-mail-local-part-like-domain"),
    pytest.param("john@example[.]com", id="e-mail-defanged"),
    pytest.param("Mr.Smith", id="Mr.Smith"),
    pytest.param("a...b", id="a...b"),
    pytest.param("ok.thanks", id="ok.thanks"),
    pytest.param("example.c", id="single-letter-tld"),
    pytest.param("foo.bar-.com", id="label-trailing-hyphen"),
    pytest.param("my_site.com", id="underscore"),
    pytest.param("a" * 64 + ".com", id="label-too-long"),
    pytest.param(".".join(["a"] * 130) + ".com", id="host-too-long"),
    pytest.param("http://localhost:8080/", id="single-label-host"),
    pytest.param("http://example", id="scheme-single-label"),
    pytest.param("http://example.123/x", id="scheme-numeric-tld"),
    pytest.param("[::1]:80/x", id="ipv6-without-scheme"),
    pytest.param("http://[zz::1]/", id="ipv6-invalid"),
    pytest.param("ab.c.d", id="single-letter-labels"),
    pytest.param("see...example", id="ellipsis"),
    pytest.param("[.]com", id="defanged-dot-without-left-label"),
    pytest.param("look (.) there", id="defanged-dot-unknown-tld"),
    pytest.param("www.", id="www-alone"),
    pytest.param("www.example", id="www-without-tld"),
    pytest.param("http://", id="scheme-alone"),
    pytest.param("Hello. How are you? Fine: thanks (really)!", id="ordinary-chat"),
    pytest.param("", id="empty"),
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_no_links(text: str) -> None:
    assert extract_urls(text) == ((), False)


def test_not_a_link_when_glued_to_a_preceding_word_character() -> None:
    # The candidate has to start on a label boundary; "sub_example.com" is one run.
    assert links("sub_example.com") == []
    assert links("-example.com") == []
    assert links(".example.com") == []


def test_plain_links_are_substrings_of_the_message() -> None:
    text = "Hi! Order at https://shop.example.com/o/1?x=2 or call, or see www.example.org."
    found, _capped = extract_urls(text)
    assert [url.text for url in found] == ["https://shop.example.com/o/1?x=2", "www.example.org"]
    assert all(url.text in text and not url.defanged for url in found)


def test_lone_surrogates_and_nul_do_not_hide_links() -> None:
    assert links("\ud800 \x00a.com\udfff") == [("a.com", "a.com", BARE, False)]
    assert links("\ud800.com \x00 b.org \udfff") == [("b.org", "b.org", BARE, False)]


def test_cap_reports_more_links() -> None:
    text = "a.com b.com c.com d.com e.com"
    found, capped = extract_urls(text, limit=3)
    assert [url.host for url in found] == ["a.com", "b.com", "c.com"]
    assert capped is True


def test_cap_not_applied_when_exactly_at_limit() -> None:
    found, capped = extract_urls("a.com b.com c.com", limit=3)
    assert len(found) == 3
    assert capped is False


def test_default_limit_is_50() -> None:
    found, capped = extract_urls(" ".join(f"site{i}.com" for i in range(60)))
    assert len(found) == 50
    assert capped is True
    assert found[-1].host == "site49.com"


@pytest.mark.parametrize(("text", "capped"), [("a.com", True), ("no links here.", False)])
def test_limit_zero_only_tells_whether_there_is_a_link(text: str, capped: bool) -> None:
    assert extract_urls(text, limit=0) == ((), capped)


def test_found_url_is_frozen() -> None:
    url = extract_urls("example.com")[0][0]
    assert url == FoundUrl(text="example.com", host="example.com", kind="bare", defanged=False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        url.host = "evil.ru"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        pytest.param("example.com", True, id="equal"),
        pytest.param("shop.example.com", True, id="subdomain"),
        pytest.param("a.b.example.com", True, id="deep-subdomain"),
        pytest.param("www.example.com", True, id="www"),
        pytest.param("www.example.net", True, id="www-second-domain"),
        pytest.param("EXAMPLE.COM.", True, id="case-and-trailing-dot"),
        pytest.param("notexample.com", False, id="not-a-label-suffix"),
        pytest.param("example.com.evil.ru", False, id="prefix-only"),
        pytest.param("example.org", False, id="other-tld"),
        pytest.param("com", False, id="tld-alone"),
        pytest.param("", False, id="empty"),
    ],
)
def test_host_matches(host: str, expected: bool) -> None:
    assert host_matches(host, frozenset({"example.com", "example.net"})) is expected


def test_host_matches_empty_set() -> None:
    assert host_matches("example.com", frozenset()) is False


# Any code point, lone surrogates included.
any_text = st.text(alphabet=st.characters(codec=None), max_size=300)
# Characters that make up links, so that the interesting paths are actually reached.
# "%", "&", "#", ";" and the hex digits reach escapes; " " and "\t" next to "." spaced dots.
linkish_text = st.text(
    alphabet=st.sampled_from(list("ab1.-:/[]()@ wxhtpDOTcomé%&#;2E\t")), max_size=300
)


@given(st.one_of(any_text, linkish_text), st.integers(min_value=-1, max_value=5))
def test_never_raises_and_respects_limit(text: str, limit: int) -> None:
    found, capped = extract_urls(text, limit)
    assert len(found) <= max(limit, 0)
    assert isinstance(capped, bool)
    for url in found:
        assert url.kind in {"scheme", "www", "bare", "ip"}
        assert url.host
        assert not url.host.endswith(".")
        # Without defanging, the link is a piece of the message as written.
        assert url.defanged or url.text in text
        assert host_matches(url.host, frozenset({url.host}))


@given(
    st.lists(st.sampled_from(["x.com", "hxxp://y[.]ru", "1.2.3.4/a", "text", "e.g."]), max_size=20)
)
def test_cap_flag_matches_the_count(words: list[str]) -> None:
    text = " ".join(words)
    everything, more = extract_urls(text, limit=1000)
    assert more is False
    found, capped = extract_urls(text, limit=3)
    assert found == everything[:3]
    assert capped is (len(everything) > 3)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a." * 100_000, id="a-dot"),
        pytest.param("[.]" * 50_000, id="defanged-dots"),
        pytest.param("a[.]" * 50_000, id="defanged-labels"),
        pytest.param("(dot)" * 50_000, id="word-dots"),
        pytest.param("http://" * 30_000, id="schemes"),
        pytest.param("hxxp[:]//" * 30_000, id="defanged-schemes"),
        pytest.param("-" * 100_000, id="hyphens"),
        pytest.param("a-" * 100_000, id="hyphenated-label"),
        pytest.param("." * 1_000_000, id="1-MB-of-dots"),
        pytest.param("1." * 100_000, id="digits-and-dots"),
        pytest.param("@a." * 50_000, id="at-signs"),
        pytest.param("http://" + "a" * 100_000, id="long-userinfo-candidate"),
        pytest.param("https://x.io/" + "(" * 50_000 + ")" * 60_000, id="parentheses"),
        pytest.param("\ud800.com \x00 a.com \udfff", id="lone-surrogates-and-nul"),
    ],
)
def test_pathological_inputs_finish(text: str) -> None:
    found, _capped = extract_urls(text)
    assert len(found) <= 50


# Floods of candidates that are always rejected: their dots do not even trigger the scan.
@pytest.mark.parametrize(
    "unit", ["1.com ", "12.com ", "www.a ", "my_site.com ", "x@a.me ", "(1.com) ", "a_b.c.com "]
)
def test_flood_of_rejected_candidates_finds_nothing(unit: str) -> None:
    assert extract_urls(unit * 5_000) == ((), False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "1.com 2.com https://real.example/x 3.com",
            [("https://real.example/x", "real.example", SCHEME, False)],
            id="numbered-and-scheme",
        ),
        pytest.param(
            "1.com 1.com/x 2.com:8080 http://3.com 4.com",
            [
                ("1.com/x", "1.com", BARE, False),
                ("2.com:8080", "2.com", BARE, False),
                ("http://3.com", "3.com", SCHEME, False),
            ],
            id="numbered-with-port-path-or-scheme",
        ),
        pytest.param(
            "x1.com 1x.com 1.2.com",
            [("x1.com", "x1.com", BARE, False), ("1x.com", "1x.com", BARE, False)],
            id="numbers-inside-a-name",
        ),
        pytest.param("1[.]com 2.com", [("1.com", "1.com", BARE, True)], id="numbered-but-defanged"),
        pytest.param(
            "www.a www.a.b www.shop.lan www.a.",
            [("www.shop.lan", "www.shop.lan", WWW, False)],
            id="www-floods-and-a-www-link",
        ),
        pytest.param("www.com www.a/x", [("www.com", "www.com", BARE, False)], id="www-is-a-name"),
        pytest.param(
            "my_site.com your-site.com a_b.com/x https://x_y.example.com/ok site.com/a_b",
            [
                ("your-site.com", "your-site.com", BARE, False),
                ("site.com/a_b", "site.com", BARE, False),
            ],
            id="underscores",
        ),
        pytest.param(
            "x@a.me http://user@b.me mail x@y.io or c.me",
            [("http://user@b.me", "b.me", SCHEME, False), ("c.me", "c.me", BARE, False)],
            id="e-mail-domains-and-userinfo",
        ),
    ],
)
def test_links_among_rejected_candidates(text: str, expected: list[Link]) -> None:
    assert links(text) == expected


def test_flood_of_links_stops_at_the_cap() -> None:
    found, capped = extract_urls("x.com " * 100_000)
    assert len(found) == 50
    assert capped is True
