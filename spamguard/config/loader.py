"""Loading rules files: YAML with line numbers, layering, and precise errors.

Layers merge in this order, each validated as a whole policy so an error names the layer
(and line) that caused it: the shipped defaults, then the file's ``defaults:``, then
``tenants.<site>``, then ``tenants.<site>.interfaces.<id>``. Mappings merge key by key;
lists and scalars replace what the layer below had.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from spamguard.config.models import PolicyRules, StoreRules
from spamguard.errors import RuleIssue, RulesError

__all__ = ["Rules", "load_rules", "load_rules_text", "shipped_rules_text"]

MAX_RULES_BYTES = 1_000_000
MAX_EXPANDED_VALUES = 100_000
"""The most values a rules document may stand for once its aliases are expanded."""
_TOP_KEYS = ("version", "store", "defaults", "tenants")
_INTERFACES = "interfaces"
Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Rules:
    """Validated rules: the effective policy of every configured tenant and interface.

    Attributes:
        source: Where the rules came from (file name or ``<shipped>``).
        defaults: The policy of tenants the file does not name.
        tenants: Per tenant, its policy.
        interfaces: Per (tenant, interface), its policy.
        store: The file's ``store:`` section, if it has one.
        path: The file they were read from (None for text or the shipped rules): what
            `Engine.reload` reads again.
    """

    source: str
    defaults: PolicyRules
    tenants: Mapping[str, PolicyRules] = field(default_factory=dict)
    interfaces: Mapping[tuple[str, str], PolicyRules] = field(default_factory=dict)
    store: StoreRules | None = None
    path: Path | None = None

    def resolve(self, tenant: str, interface: str) -> PolicyRules:
        """The policy for a tenant and interface, falling back layer by layer."""
        policy = self.interfaces.get((tenant, interface))
        if policy is None:
            policy = self.tenants.get(tenant, self.defaults)
        return policy

    def policies(self) -> Iterator[PolicyRules]:
        """Every distinct policy, defaults first."""
        yield self.defaults
        yield from self.tenants.values()
        yield from self.interfaces.values()


def shipped_rules_text() -> str:
    """The text of the shipped ``default.yaml``."""
    try:
        shipped = resources.files("spamguard.rules").joinpath("default.yaml")
    except ModuleNotFoundError:
        # A source checkout or an editable install: the repository's rules/ folder, which
        # a built wheel installs as the package data of spamguard.rules.
        shipped = Path(__file__).resolve().parents[2] / "rules" / "default.yaml"
    return shipped.read_text("utf-8")


def load_rules(path: str | Path | None = None) -> Rules:
    """Load a rules file layered over the shipped defaults (the shipped rules when None).

    Raises:
        RulesError: the file is missing, unreadable, not YAML or invalid; the message
            names the file, line, dotted YAML path and what was expected.
    """
    if path is None:
        return _shipped()
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise RulesError([RuleIssue(source, None, "", f"cannot read: {exc.strerror}")]) from exc
    if len(raw) > MAX_RULES_BYTES:
        problem = f"file is {len(raw)} bytes; rules files are limited to {MAX_RULES_BYTES}"
        raise RulesError([RuleIssue(source, None, "", problem)])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problem = f"not UTF-8 text (byte {exc.start})"
        raise RulesError([RuleIssue(source, None, "", problem)]) from exc
    return dataclasses.replace(load_rules_text(text, source), path=Path(path))


def load_rules_text(text: str, source: str = "<string>", *, over_shipped: bool = True) -> Rules:
    """Load rules from YAML text, layered over the shipped defaults unless told otherwise."""
    document = _Document.parse(text, source)
    data = _check_top_level(document)
    below: dict[str, Any] = _shipped().defaults.model_dump() if over_shipped else {}
    issues: list[RuleIssue] = []
    defaults_raw = data.get("defaults", {})
    defaults, defaults_data = _layer(document, below, defaults_raw, ("defaults",), issues)
    tenants: dict[str, PolicyRules] = {}
    interfaces: dict[tuple[str, str], PolicyRules] = {}
    for site, section in _mapping_items(document, data.get("tenants", {}), ("tenants",), issues):
        own = {key: value for key, value in section.items() if key != _INTERFACES}
        tenant, tenant_data = _layer(document, defaults_data, own, ("tenants", site), issues)
        if tenant is not None:
            tenants[site] = tenant
        where = ("tenants", site, _INTERFACES)
        for iface, overlay in _mapping_items(document, section.get(_INTERFACES, {}), where, issues):
            policy, _ = _layer(document, tenant_data, overlay, (*where, iface), issues)
            if policy is not None:
                interfaces[(site, iface)] = policy
    store = _store(document, data.get("store"), issues)
    if issues or defaults is None:
        raise RulesError(issues)
    return Rules(source, defaults, tenants, interfaces, store)


def _store(document: _Document, section: Any, issues: list[RuleIssue]) -> StoreRules | None:
    if section is None:
        return None
    if not isinstance(section, dict):
        issues.append(document.issue(("store",), "expected a mapping with `url:`"))
        return None
    try:
        return StoreRules.model_validate(section)
    except ValidationError as exc:
        issues.extend(_issue_of(document, ("store",), e, StoreRules) for e in exc.errors())
        return None


@functools.cache
def _shipped() -> Rules:
    # Immutable once loaded, so one copy serves every engine in the process.
    return load_rules_text(shipped_rules_text(), "<shipped>", over_shipped=False)


@dataclass
class _Document:
    """Parsed YAML plus the line of every mapping value, by path."""

    source: str
    data: Any
    lines: dict[Path_, int]

    @classmethod
    def parse(cls, text: str, source: str) -> _Document:
        try:
            loader = yaml.SafeLoader(text)
        except yaml.reader.ReaderError as exc:  # a character YAML does not allow
            refused_at = text.count("\n", 0, exc.position) + 1
            problem = f"invalid YAML: character U+{exc.character:04X} is not allowed"
            raise RulesError([RuleIssue(source, refused_at, "", problem)]) from exc
        try:
            node = loader.get_single_node()
            if node is not None:
                _refuse_alias_bombs(node, source)
            data = loader.construct_document(node) if node is not None else None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            problem = getattr(exc, "problem", None) or str(exc)
            raise RulesError([RuleIssue(source, line, "", f"invalid YAML: {problem}")]) from exc
        except RecursionError as exc:  # the YAML reader recurses once per nesting level
            problem = "invalid YAML: nested deeper than a rules file can be"
            raise RulesError([RuleIssue(source, None, "", problem)]) from exc
        finally:
            loader.dispose()
        indexer = _Indexer(source)
        if node is not None:
            indexer.visit(node, ())
        if indexer.issues:
            raise RulesError(indexer.issues)
        return cls(source, data, indexer.lines)

    def issue(self, path: Path_, problem: str) -> RuleIssue:
        """An issue at `path`, located at the nearest line the document has for it."""
        for depth in range(len(path), -1, -1):
            line = self.lines.get(path[:depth])
            if line is not None:
                return RuleIssue(self.source, line, _dotted(path), problem)
        return RuleIssue(self.source, None, _dotted(path), problem)


def _refuse_alias_bombs(root: yaml.Node, source: str) -> None:
    """Refuse a document whose aliases expand it beyond `MAX_EXPANDED_VALUES` values.

    Aliases share nodes, so a few lines can stand for billions of values ("billion
    laughs"); validating them would take as long as expanding them. Each node's expanded
    size is counted once (memoised by identity), so this costs one pass over the text.
    """
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        sizes[id(node)] = 1  # a node that contains itself counts once, not forever
        if isinstance(node, yaml.MappingNode):
            total = 1 + sum(size(key) + size(value) for key, value in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(item) for item in node.value)
        else:
            total = 1
        sizes[id(node)] = total
        return total

    expanded = size(root)
    if expanded > MAX_EXPANDED_VALUES:
        problem = (
            f"the document's aliases expand it to {expanded:,} values; at most "
            f"{MAX_EXPANDED_VALUES:,} are allowed"
        )
        raise RulesError([RuleIssue(source, root.start_mark.line + 1, "", problem)])


class _Indexer:
    """Records the line of each key (or list item); rejects duplicate or non-text keys."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: dict[Path_, int] = {}
        self.issues: list[RuleIssue] = []
        self._seen: set[int] = set()

    def visit(self, node: yaml.Node, path: Path_) -> None:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if id(node) in self._seen:  # an alias: indexed once, so alias bombs cost nothing here
            return
        self._seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            self._visit_mapping(node, path)
        elif isinstance(node, yaml.SequenceNode):
            for position, item in enumerate(node.value):
                self.visit(item, (*path, position))

    def _visit_mapping(self, node: yaml.MappingNode, path: Path_) -> None:
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            problem = _key_problem(key_node)
            if problem is not None:
                self.issues.append(RuleIssue(self.source, line, _dotted(path), problem))
                continue
            key = key_node.value
            if key in first_line:
                problem = f"duplicate key {key!r} (first at line {first_line[key]})"
                self.issues.append(RuleIssue(self.source, line, _dotted((*path, key)), problem))
                continue
            first_line[key] = line
            self.lines[(*path, key)] = line  # the key's line, where a reader looks
            self.visit(value_node, (*path, key))


def _key_problem(key_node: yaml.Node) -> str | None:
    if not isinstance(key_node, yaml.ScalarNode):
        return "keys must be plain strings"
    if key_node.tag != "tag:yaml.org,2002:str":
        # YAML reads `off`, `no`, `297:1` or `12` as a bool or a number: a tenant or
        # interface id written so would silently never match.
        kind = key_node.tag.rsplit(":", 1)[-1]
        return f"key {key_node.value!r} is read as {kind}, not text; quote it"
    return None


def _check_top_level(document: _Document) -> dict[str, Any]:
    data = document.data
    if not isinstance(data, dict):
        raise RulesError([document.issue((), "expected a mapping with `version: 1`")])
    issues = [
        document.issue((key,), f"unknown key {key!r}; expected one of: {', '.join(_TOP_KEYS)}")
        for key in data
        if key not in _TOP_KEYS
    ]
    version = data.get("version")
    if version != 1 or isinstance(version, bool):
        problem = (
            "missing; expected `version: 1`" if version is None else f"expected 1, got {version!r}"
        )
        issues.append(document.issue(("version",), problem))
    for key in ("defaults", "tenants"):
        if not isinstance(data.get(key, {}), dict):
            issues.append(document.issue((key,), "expected a mapping"))
    if issues:
        raise RulesError(issues)
    return data


def _mapping_items(
    document: _Document, value: Any, path: Path_, issues: list[RuleIssue]
) -> Iterator[tuple[str, dict[str, Any]]]:
    if not isinstance(value, dict):
        issues.append(document.issue(path, "expected a mapping"))
        return
    for name, section in value.items():
        if section is None:  # `acme:` with nothing under it inherits everything
            yield str(name), {}
        elif isinstance(section, dict):
            yield str(name), section
        else:
            issues.append(document.issue((*path, name), "expected a mapping"))


def _layer(
    document: _Document,
    below: dict[str, Any],
    overlay: Any,
    path: Path_,
    issues: list[RuleIssue],
) -> tuple[PolicyRules | None, dict[str, Any]]:
    """Merge `overlay` onto `below` and validate the result as a whole policy."""
    if overlay is None:
        overlay = {}
    if not isinstance(overlay, dict):
        issues.append(document.issue(path, "expected a mapping"))
        return None, below
    merged = _merge(below, overlay)
    try:
        return PolicyRules.model_validate(merged), merged
    except ValidationError as exc:
        issues.extend(_issue_of(document, path, error) for error in exc.errors())
        return None, below


def _merge(below: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    merged = dict(below)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _issue_of(
    document: _Document, prefix: Path_, error: Any, model: type[BaseModel] = PolicyRules
) -> RuleIssue:
    loc: Path_ = tuple(error["loc"])
    path = (*prefix, *loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _fields_at(loc[:-1], model)
        problem = f"unknown key {loc[-1]!r}; expected one of: {', '.join(allowed)}"
    elif kind == "missing":
        problem = "required key is missing"
    else:
        message = str(error["msg"])
        for lead in ("Input should be ", "Value should be "):
            if message.startswith(lead):
                message = "expected " + message[len(lead) :]
        message = message.removeprefix("Value error, ")
        problem = message if kind == "value_error" else f"{message}, got {_short(error['input'])}"
    return document.issue(path, problem)


def _fields_at(loc: Path_, root: type[BaseModel]) -> list[str]:
    """The keys allowed at `loc` inside a model, for "did you mean" style errors."""
    model: type[BaseModel] | None = root
    for part in loc:
        if model is None or isinstance(part, int):
            continue
        annotation = model.model_fields[str(part)].annotation
        args = getattr(annotation, "__args__", ())
        candidates = [annotation, *args]
        model = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
    return sorted(model.model_fields) if model is not None else []


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _dotted(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
