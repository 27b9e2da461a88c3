"""Rules loading: layering, and errors that name file, line, path and expectation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from spamguard import RulesError, load_rules, load_rules_text
from spamguard.config import shipped_rules_text


def test_shipped_rules_are_complete_and_valid() -> None:
    rules = load_rules()
    assert rules.defaults.enabled is True
    assert rules.defaults.agent_bypass is False
    assert rules.source == "<shipped>"
    assert "version: 1" in shipped_rules_text()


def test_layers_merge_defaults_tenant_interface() -> None:
    rules = load_rules_text(
        """
version: 1
defaults:
  urls: {max_urls: 5}
tenants:
  acme:
    monitor: true
    urls: {deny_domains: [evil.example]}
    interfaces:
      "297:1":
        urls: {max_urls: 1}
        enabled: false
"""
    )
    shipped = load_rules().defaults
    assert rules.defaults.urls.max_urls == 5
    assert rules.defaults.length == shipped.length
    acme = rules.resolve("acme", "other")
    assert acme.monitor is True
    assert acme.urls.max_urls == 5
    assert acme.urls.deny_domains == frozenset({"evil.example"})
    iface = rules.resolve("acme", "297:1")
    assert iface.urls.max_urls == 1
    assert iface.enabled is False
    assert iface.monitor is True  # inherited from the tenant layer
    assert iface.urls.deny_domains == frozenset({"evil.example"})
    assert rules.resolve("unknown", "297:1") == rules.defaults


def test_lists_replace_rather_than_merge() -> None:
    rules = load_rules_text(
        "version: 1\ndefaults:\n  burst:\n    windows:\n      - {seconds: 5, max_messages: 3}\n"
    )
    assert len(rules.defaults.burst.windows) == 1


def _error(text: str) -> RulesError:
    with pytest.raises(RulesError) as caught:
        load_rules_text(text, "rules.yaml")
    return caught.value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "version: 1\ndefaults:\n  urls:\n    max_url: 3\n",
            "rules.yaml:4: defaults.urls.max_url: unknown key 'max_url'; expected one of: "
            "allow_domains, deny_domains, enabled, extreme_urls, max_urls, monitor",
            id="unknown-key",
        ),
        pytest.param(
            "version: 1\ndefaults:\n  urls:\n    max_urls: three\n",
            "rules.yaml:4: defaults.urls.max_urls: expected a valid integer, got 'three'",
            id="wrong-type",
        ),
        pytest.param(
            'version: 1\ndefaults:\n  urls:\n    max_urls: "3"\n',
            "rules.yaml:4: defaults.urls.max_urls: expected a valid integer, got '3'",
            id="quoted-number-is-not-a-number",
        ),
        pytest.param(
            "version: 1\ndefaults:\n  emoji:\n    max_share: 1.5\n",
            "rules.yaml:4: defaults.emoji.max_share: expected less than or equal to 1, got 1.5",
            id="out-of-range",
        ),
        pytest.param(
            "version: 1\ntenants:\n  acme:\n    length:\n      max_chars: 90000\n",
            "rules.yaml:4: tenants.acme.length: extreme_chars must be greater than max_chars",
            id="cross-field-in-tenant",
        ),
        pytest.param(
            "version: 1\ntenants:\n  acme:\n    interfaces:\n      web:\n"
            "        burst:\n          windows:\n            - {seconds: -1, "
            "max_messages: 3}\n",
            "rules.yaml:8: tenants.acme.interfaces.web.burst.windows[0].seconds: "
            "expected greater than 0, got -1",
            id="interface-list-item",
        ),
        pytest.param("version: 2\n", "rules.yaml:1: version: expected 1, got 2", id="version"),
        pytest.param(
            "defaults: {}\n",
            "rules.yaml:1: version: missing; expected `version: 1`",
            id="no-version",
        ),
        pytest.param(
            "version: 1\nlimits: {}\n",
            "rules.yaml:2: limits: unknown key 'limits'; "
            "expected one of: version, store, defaults, tenants",
            id="unknown-top-level",
        ),
        pytest.param(
            "version: 1\ndefaults:\n  monitor: true\n  monitor: false\n",
            "rules.yaml:4: defaults.monitor: duplicate key 'monitor' (first at line 3)",
            id="duplicate-key",
        ),
        pytest.param(
            "version: 1\ndefaults: [1, 2]\n",
            "rules.yaml:2: defaults: expected a mapping",
            id="defaults-not-mapping",
        ),
        pytest.param(
            "version: 1\ndefaults:\n  urls: {max_urls: 3\n",
            "rules.yaml:4: invalid YAML",
            id="broken-yaml",
        ),
        pytest.param(
            "version: 1\ntenants:\n  acme:\n    interfaces:\n      297:1: {}\n",
            "rules.yaml:5: tenants.acme.interfaces: key '297:1' is read as int, not text; quote it",
            id="unquoted-numeric-interface",
        ),
        pytest.param(
            "version: 1\ntenants:\n  off: {}\n",
            "rules.yaml:3: tenants: key 'off' is read as bool, not text; quote it",
            id="tenant-named-off",
        ),
        pytest.param(
            "- 1\n- 2\n", "rules.yaml:1: expected a mapping with `version: 1`", id="not-a-mapping"
        ),
        pytest.param(
            "version: 1\ndefaults:\n  notices:\n    block: 'Blocked (SG201)'\n",
            "rules.yaml:4: defaults.notices.block: a notice must not reveal reason codes",
            id="notice-reveals-code",
        ),
        pytest.param(
            "version: 1\ntenants:\n  acme:\n    on_store_error: crash\n",
            "rules.yaml:4: tenants.acme.on_store_error: expected 'allow' or 'block', got 'crash'",
            id="on-store-error",
        ),
        pytest.param(
            "version: 1\nstore:\n  url: mysql://db\n",
            "rules.yaml:3: store.url: expected a URL starting with memory://, redis://",
            id="store-url-scheme",
        ),
        pytest.param(
            "version: 1\nstore:\n  url: redis://h\n  timeout: 1\n",
            "rules.yaml:4: store.timeout: unknown key 'timeout'; "
            "expected one of: cooldown_s, namespace, timeout_s, url",
            id="store-unknown-key",
        ),
        pytest.param(
            "version: 1\nstore: redis://h\n",
            "rules.yaml:2: store: expected a mapping with `url:`",
            id="store-not-mapping",
        ),
    ],
)
def test_errors_are_precise(text: str, expected: str) -> None:
    assert str(_error(text)).startswith(expected)


def test_every_issue_is_reported_not_just_the_first() -> None:
    error = _error(
        "version: 1\ndefaults:\n  urls: {max_urls: x}\ntenants:\n  a:\n    emoji: {max_emoji: -1}\n"
    )
    assert [issue.path for issue in error.issues] == [
        "defaults.urls.max_urls",
        "tenants.a.emoji.max_emoji",
    ]


def test_alias_bomb_is_refused_before_anything_expands_it() -> None:
    lines = ["version: 1", "a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 12)]
    error = _error("\n".join(lines) + "\n")
    assert "aliases expand it to 57,788,196 values; at most 100,000 are allowed" in str(error)


def test_alias_bomb_inside_a_valid_section_is_refused_too() -> None:
    items = ['        - &l0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    items += [f"        - &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 9)]
    text = "version: 1\ntenants:\n  t:\n    urls:\n      allow_domains:\n" + "\n".join(items)
    assert "aliases expand it" in str(_error(text + "\n"))


def test_small_aliases_are_fine() -> None:
    text = "version: 1\ndefaults:\n  urls: &u {max_urls: 4}\ntenants:\n  t:\n    urls: *u\n"
    assert load_rules_text(text).tenants["t"].urls.max_urls == 4


def test_nesting_deeper_than_the_reader_goes_is_an_error_not_a_crash() -> None:
    error = _error("version: 1\ndefaults: " + "[" * 50_000 + "]" * 50_000 + "\n")
    assert "nested deeper than a rules file can be" in str(error)


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match=r"missing\.yaml: cannot read"):
        load_rules(tmp_path / "missing.yaml")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"version: 1\n\xff\xfe")
    with pytest.raises(RulesError, match=r"binary\.yaml: not UTF-8 text \(byte 11\)"):
        load_rules(binary)
    good = tmp_path / "good.yaml"
    good.write_text("version: 1\ntenants:\n  acme: {monitor: true}\n", encoding="utf-8")
    assert load_rules(good).resolve("acme", "x").monitor is True


def test_empty_tenant_section_inherits_everything() -> None:
    rules = load_rules_text("version: 1\ntenants:\n  acme:\n")
    assert rules.resolve("acme", "web") == rules.defaults


# -- hostile rules: every value of the wrong type, everywhere -----------------------------


def _leaves(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        yield from _leaves(value[0], (*path, 0))
    else:
        yield path


def _overlay(path: tuple[str | int, ...], value: Any) -> str:
    """A rules file setting the shipped defaults' `path` to `value` (lists keep one item)."""
    shipped: dict[str, Any] = load_rules_text("version: 1\n").defaults.model_dump(mode="json")
    section: Any = shipped
    for part in path[:-1]:
        section = section[part]
    section[path[-1]] = value
    return yaml.safe_dump({"version": 1, "defaults": shipped}, sort_keys=False)


_SHIPPED_LEAVES = list(_leaves(load_rules_text("version: 1\n").defaults.model_dump(mode="json")))
_WRONG = {
    "text": "lots",
    "list": [1, 2],
    "mapping": {"a": 1},
    "null": None,
    "nan": float("nan"),
    "huge": 10**30,
}


def _dotted_path(path: tuple[str | int, ...]) -> str:
    text = "defaults"
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


@pytest.mark.parametrize("path", _SHIPPED_LEAVES, ids=_dotted_path)
def test_a_wrong_type_anywhere_is_a_precise_error(path: tuple[str | int, ...]) -> None:
    shipped_value = _value_at(path)
    refused = 0
    for kind, wrong in _WRONG.items():
        if _accepts(path, shipped_value, kind):
            continue
        with pytest.raises(RulesError) as caught:
            load_rules_text(_overlay(path, wrong), "hostile.yaml")
        message = str(caught.value)
        assert "hostile.yaml:" in message, message
        assert _dotted_path(path) in message, (kind, message)
        refused += 1
    assert refused >= 3  # every leaf refuses most of the wrong kinds


def _value_at(path: tuple[str | int, ...]) -> Any:
    value: Any = load_rules_text("version: 1\n").defaults.model_dump(mode="json")
    for part in path:
        value = value[part]
    return value


# Burst windows may leave out their terminate and character limits: null is "none".
_NULLABLE = {("burst", "windows", 0, "extreme_messages"), ("burst", "windows", 0, "max_chars")}


def _accepts(path: tuple[str | int, ...], shipped_value: Any, kind: str) -> bool:
    """Whether a field of this shipped type may rightly take a value of this kind."""
    if kind == "null":
        return path in _NULLABLE
    if isinstance(shipped_value, str):
        return kind == "text"
    # Counts with no upper bound of their own (e.g. strikes.max_blocks) take a huge number:
    # a valid, if odd, setting. Bounded ones refuse it.
    return kind == "huge" and isinstance(shipped_value, int) and not isinstance(shipped_value, bool)


_YAML_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(path=st.sampled_from(_SHIPPED_LEAVES), value=_YAML_VALUES)
def test_any_value_anywhere_loads_or_is_a_rules_error(
    path: tuple[str | int, ...], value: Any
) -> None:
    error: RulesError | None = None
    try:
        load_rules_text(_overlay(path, value), "hostile.yaml")
    except RulesError as exc:  # anything else fails the test
        error = exc
    assert error is None or str(error).startswith("hostile.yaml:")


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x0b", "\x1b", "\x7f"])
def test_a_character_yaml_does_not_allow_is_a_rules_error(char: str) -> None:
    with pytest.raises(RulesError) as caught:
        load_rules_text(f"version: 1\ndefaults:\n  x: a{char}b\n", "odd.yaml")
    assert str(caught.value) == (
        f"odd.yaml:3: invalid YAML: character U+{ord(char):04X} is not allowed"
    )
