"""The reason-code catalogue is consistent with the detectors, the engine and the docs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from spamguard import engine, policy
from spamguard.codes import CATALOGUE, lookup, render_doc
from spamguard.detectors import REGISTRY

DOCS = Path(__file__).resolve().parents[1] / "docs" / "codes"


def test_codes_and_slugs_are_unique_and_well_formed() -> None:
    slugs = [entry.slug for entry in CATALOGUE.values()]
    assert len(set(slugs)) == len(slugs)
    for code, entry in CATALOGUE.items():
        assert code == entry.code
        assert re.fullmatch(r"SG\d{3}", code)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", entry.slug)
        assert entry.summary.endswith(".")
        # Templates render with both placeholders filled, never leaving braces behind.
        assert "{" not in entry.template.format(observed=1, limit=2)


def test_every_detector_code_is_catalogued_under_its_detector() -> None:
    detector_codes = {code for detector in REGISTRY for code in detector.codes}
    grouped = {code for code, e in CATALOGUE.items() if e.group not in ("engine", "policy")}
    assert detector_codes == grouped
    for detector in REGISTRY:
        for code in detector.codes:
            assert CATALOGUE[code].group == detector.name


def test_engine_and_policy_codes_are_used_by_them() -> None:
    sources = Path(engine.__file__).read_text() + Path(policy.__file__).read_text()
    for code, entry in CATALOGUE.items():
        if entry.group in ("engine", "policy"):
            assert f'"{code}"' in sources, f"{code} is catalogued but never emitted"


def test_code_groups_follow_the_numbering() -> None:
    hundreds = {
        "engine": "0",
        "length": "1",
        "urls": "2",
        "duplicates": "3",
        "emoji": "4",
        "symbols": "5",
        "burst": "6",
        "policy": "9",
    }
    for code, entry in CATALOGUE.items():
        assert code[2] == hundreds[entry.group]


def test_docs_pages_match_the_catalogue() -> None:
    pages = {path.stem for path in DOCS.glob("SG*.md")}
    assert pages == set(CATALOGUE), "run `spamguard explain --write docs/codes`"
    for code, entry in CATALOGUE.items():
        assert (DOCS / f"{code}.md").read_text(encoding="utf-8") == render_doc(entry)


def test_lookup_by_code_or_slug() -> None:
    assert lookup("sg201").slug == "too-many-urls"
    assert lookup("too-many-urls").code == "SG201"
    with pytest.raises(KeyError):
        lookup("SG999")


def test_changelog_mentions_every_code() -> None:
    changelog = (Path(__file__).resolve().parents[1] / "CHANGELOG.md").read_text(encoding="utf-8")
    for code in CATALOGUE:
        assert code in changelog, f"{code} is missing from CHANGELOG.md"
