"""URL detector: link counts incl. defanged forms, allow and deny lists, look-alikes."""

from __future__ import annotations

import pytest

from spamguard.detectors import Context
from spamguard.detectors.urls import UrlDetector, UrlRules
from spamguard.stores import History
from spamguard.text import analyse
from tests.detectors.conftest import NOW, codes_for

FOUR = "see https://a.com/x http://b.net www.c.org d.io/path"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Your refund: https://shop.example.com/orders/42", [], id="one-link"),
        pytest.param("a.com b.com c.com", [], id="three-bare"),
        pytest.param(FOUR, ["SG201"], id="four-links"),
        pytest.param("hxxp://a[.]com b(.)ru c (dot) xyz hxxps://d.top/x", ["SG201"], id="defanged"),
        pytest.param("ｈｔｔｐｓ://a.com ｂ.ｃｏｍ c.com d．com", ["SG201"], id="fullwidth"),
        pytest.param(" ".join(f"s{i}.com" for i in range(21)), ["SG202"], id="url-flood"),
        pytest.param(
            "http://1.2.3.4:8080/a http://5.6.7.8 9.9.9.9/x 10.0.0.1:80", ["SG201"], id="ip-hosts"
        ),
        pytest.param(
            "e.g. i.e. a.m. U.S. sdotpro report.pdf main.py notes.md v1.2.3 2.0.0.1 "
            "3.14 done.now example dot com",
            [],
            id="look-alikes-are-not-links",
        ),
        pytest.param(
            "mail me at john@example.com or jane@example.org, a@b.io, c@d.co",
            [],
            id="email-addresses",
        ),
    ],
)
def test_url_counts(text: str, expected: list[str]) -> None:
    assert codes_for(UrlDetector, text) == expected


def test_allow_listed_domains_do_not_count() -> None:
    text = "https://help.acme.com/a https://acme.com/b https://www.acme.com/c https://x.io"
    assert codes_for(UrlDetector, text, max_urls=1) == ["SG201"]
    assert codes_for(UrlDetector, text, max_urls=1, allow_domains=["acme.com"]) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("go to https://login.evil.com/x", ["SG203"], id="subdomain"),
        pytest.param("go to evil[.]com/x", ["SG203"], id="defanged"),
        pytest.param("go to notevil.com/x", [], id="not-a-label-suffix"),
        pytest.param("go to https://еvil.com/x", ["SG203"], id="cyrillic-homograph"),
        pytest.param("go to https://evιl.com/x", ["SG203"], id="greek-homograph"),
        pytest.param("go to e\u0300\u0301vil.com/x", ["SG203"], id="marks"),
        pytest.param("go to evil%2Ecom", ["SG203"], id="percent-encoded-dot"),
        pytest.param("go to evil&#46;com", ["SG203"], id="html-entity-dot"),
        pytest.param("go to e v i l . c o m", ["SG203"], id="spaced-out"),
    ],
)
def test_deny_listed_domains_block(text: str, expected: list[str]) -> None:
    assert codes_for(UrlDetector, text, deny_domains=["EVIL.com"]) == expected


def test_lookalike_of_an_allow_listed_domain_counts() -> None:
    # Folding lookalikes widens the deny list only: a homograph is somebody else's site.
    text = "https://acme.com/a https://аcme.com/b"  # the second with a Cyrillic а
    assert codes_for(UrlDetector, text, max_urls=0, allow_domains=["acme.com"]) == ["SG201"]


@pytest.mark.parametrize(
    "text", ["go to https://login.evil.com/x", "go to https://lоgin.еvil.com/x"]
)
def test_denied_finding_reports_the_entry_not_the_host(text: str) -> None:
    # Logs hold no message text: the finding names the deny-list entry that matched.
    rules = UrlRules.model_validate(
        {"max_urls": 3, "extreme_urls": 20, "deny_domains": ["other.org", "EVIL.com"]}
    )
    context = Context(analyse(text), History.of(()), NOW)
    [finding] = UrlDetector(rules).assess(context)
    assert (finding.code.code, finding.observed, finding.limit) == (
        "SG203",
        "evil.com",
        "deny_domains",
    )
