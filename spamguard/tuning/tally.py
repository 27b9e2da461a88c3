"""What one replay of a labelled corpus under one rule set cost and caught."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from spamguard.message import SessionKey
from spamguard.replay import CorpusLine
from spamguard.verdict import Action, Verdict

__all__ = ["EXAMPLES_PER_CODE", "Tally", "tally"]

EXAMPLES_PER_CODE = 3
EXAMPLE_CHARS = 200
UNLABELLED = "unlabelled"
_STOPPED = (Action.BLOCK, Action.TERMINATE)


@dataclass(frozen=True, slots=True)
class Example:
    """A post that a code stopped, for the report (text already cut short)."""

    line: int
    label: str | None
    action: str
    text: str


@dataclass
class Tally:
    """Counts over one replay; tallies of disjoint shards of a corpus add up.

    Attributes:
        confusion: Per label (``ham``, ``spam``, ``unlabelled``), posts per action.
        sessions: Per session class (``spam``: at least one spam post; ``ham``: no spam
            post and at least one ham post; else ``unlabelled``),
            how many there are and how many ended terminated.
        codes: Per acting reason code, the posts it stopped, per label.
        examples: Per acting reason code, the first posts it stopped (by line).
        kinds: Per (kind, label) of the corpus's ``kind`` field, posts and posts stopped.
    """

    confusion: dict[str, Counter[str]] = field(default_factory=dict)
    sessions: dict[str, Counter[str]] = field(default_factory=dict)
    codes: dict[str, Counter[str]] = field(default_factory=dict)
    examples: dict[str, list[Example]] = field(default_factory=dict)
    kinds: dict[tuple[str, str], Counter[str]] = field(default_factory=dict)

    def stopped(self, label: str) -> int:
        """Posts of this label that were blocked or terminated."""
        counts = self.confusion.get(label, Counter())
        return counts[Action.BLOCK.value] + counts[Action.TERMINATE.value]

    def posts(self, label: str) -> int:
        """Posts of this label."""
        return sum(self.confusion.get(label, Counter()).values())

    def session_count(self, label: str, *, terminated: bool = False) -> int:
        """Sessions of this class, or those of them that were terminated."""
        return self.sessions.get(label, Counter())["terminated" if terminated else "all"]

    def add(self, other: Tally) -> None:
        """Add the counts of another shard."""
        for mine, theirs in (
            (self.confusion, other.confusion),
            (self.sessions, other.sessions),
            (self.codes, other.codes),
        ):
            for key, counts in theirs.items():
                mine.setdefault(key, Counter()).update(counts)
        for kind, counts in other.kinds.items():
            self.kinds.setdefault(kind, Counter()).update(counts)
        for code, examples in other.examples.items():
            merged = sorted([*self.examples.get(code, []), *examples], key=lambda e: e.line)
            self.examples[code] = merged[:EXAMPLES_PER_CODE]


def tally(judged: Iterable[tuple[CorpusLine, Verdict]]) -> Tally:
    """Count a replay's verdicts (all lines of each session must be included)."""
    result = Tally()
    labels_seen: dict[SessionKey, set[str]] = {}
    terminated: set[SessionKey] = set()
    for item, verdict in judged:
        label = item.label or UNLABELLED
        action = verdict.action
        result.confusion.setdefault(label, Counter())[action.value] += 1
        key = item.message.session_key
        labels_seen.setdefault(key, set()).add(label)
        if action is Action.TERMINATE:
            terminated.add(key)
        if item.kind is not None:
            kind = result.kinds.setdefault((item.kind, label), Counter())
            kind["posts"] += 1
            kind["stopped"] += action in _STOPPED
        if action in _STOPPED:
            _count_codes(result, item, verdict, label)
    for key, seen in labels_seen.items():
        counts = result.sessions.setdefault(_session_class(seen), Counter())
        counts["all"] += 1
        counts["terminated"] += key in terminated
    return result


def _session_class(labels: set[str]) -> str:
    """A session with any spam post is spam; else ham if any post is labelled ham."""
    for label in ("spam", "ham"):
        if label in labels:
            return label
    return UNLABELLED


def _count_codes(result: Tally, item: CorpusLine, verdict: Verdict, label: str) -> None:
    for reason in verdict.reasons:
        if not reason.acted:
            continue
        result.codes.setdefault(reason.code, Counter())[label] += 1
        examples = result.examples.setdefault(reason.code, [])
        if len(examples) < EXAMPLES_PER_CODE:
            text = item.message.text[:EXAMPLE_CHARS]
            examples.append(Example(item.line, item.label, verdict.action.value, text))
