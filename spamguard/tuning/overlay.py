"""Writing the tuned rules as a YAML overlay, with a comment on every changed value.

PyYAML cannot write comments, so the document is emitted here block by block; every
scalar goes through PyYAML so quoting is always right. The result is an ordinary rules
file: `spamguard validate` accepts it and `--rules` layers it over the shipped rules.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

__all__ = ["render_overlay"]

_INDENT = "  "
Comments = Mapping[tuple[str, ...], str]


def render_overlay(document: Mapping[str, Any], comments: Comments, header: Sequence[str]) -> str:
    """The document as block YAML.

    Args:
        document: The rules document (mappings, lists and scalars).
        comments: Per path (mapping keys, and list positions as decimal strings), a
            comment put at the end of that key's line.
        header: Comment lines put first.
    """
    lines = [f"# {line}".rstrip() for line in header]
    lines += _mapping(document, (), 0, comments)
    return "\n".join(lines) + "\n"


def _mapping(
    node: Mapping[str, Any], path: tuple[str, ...], depth: int, comments: Comments
) -> list[str]:
    lines: list[str] = []
    pad = _INDENT * depth
    for key, value in node.items():
        here = (*path, str(key))
        note = f"  # {comments[here]}" if here in comments else ""
        name = _plain(key)
        if isinstance(value, Mapping) and value:
            lines.append(f"{pad}{name}:{note}")
            lines += _mapping(value, here, depth + 1, comments)
        elif isinstance(value, list | tuple) and value:
            lines.append(f"{pad}{name}:{note}")
            lines += _sequence(value, here, depth + 1, comments)
        else:
            lines.append(f"{pad}{name}: {_scalar(value)}{note}")
    return lines


def _sequence(
    items: Sequence[Any], path: tuple[str, ...], depth: int, comments: Comments
) -> list[str]:
    lines: list[str] = []
    pad = _INDENT * depth
    for position, item in enumerate(items):
        here = (*path, str(position))
        if isinstance(item, Mapping) and item:
            inner = _mapping(item, here, depth + 1, comments)
            first = inner[0].lstrip()
            lines.append(f"{pad}- {first}")
            lines += inner[1:]
        elif isinstance(item, list | tuple) and item:
            lines.append(f"{pad}-")
            lines += _sequence(item, here, depth + 1, comments)
        else:
            lines.append(f"{pad}- {_scalar(item)}")
    return lines


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        # A JSON string is a one-line YAML double-quoted scalar, whatever it holds.
        return json.dumps(value, ensure_ascii=False)
    return _plain(value)


def _plain(value: Any) -> str:
    """A scalar as PyYAML writes it: quoted only when it must be (``"yes"``, ``"0123"``)."""
    if isinstance(value, frozenset | set):
        value = sorted(value)
    text = yaml.safe_dump(
        [value], default_flow_style=True, allow_unicode=True, width=10_000, sort_keys=False
    )
    return text.strip()[1:-1].strip()
