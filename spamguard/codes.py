"""The reason-code catalogue: the single source of truth for every outcome's code.

A code is API. Logs, dashboards and alerts key on it, so a code is never renamed, never
reused for another meaning and never removed: a retired code keeps its entry with status
``removed``. Groups: ``SG0xx`` engine, ``SG1xx`` length, ``SG2xx`` URLs, ``SG3xx`` duplicates,
``SG4xx`` emoji, ``SG5xx`` symbols, ``SG6xx`` burst rate, ``SG9xx`` policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from spamguard.verdict import Action, Reason

__all__ = ["CATALOGUE", "Code", "lookup", "render_doc"]

Status = Literal["stable", "preview", "deprecated", "removed"]


@dataclass(frozen=True, slots=True)
class Code:
    """One catalogue entry.

    Attributes:
        code: The stable id, ``SG`` and three digits.
        slug: A kebab-case name, as stable as the id.
        group: The detector that emits it, or ``engine`` / ``policy``.
        summary: One sentence for people.
        action: The action a finding with this code asks for by default.
        template: The log line, with ``{observed}`` and ``{limit}`` placeholders.
        explanation: Why it exists and how to tune it (Markdown).
        status: Lifecycle state.
        added: The version that introduced it.
    """

    code: str
    slug: str
    group: str
    summary: str
    action: Action
    template: str
    explanation: str
    status: Status = "stable"
    added: str = "0.1.0"

    def reason(
        self,
        *,
        acted: bool,
        observed: float | int | str | None = None,
        limit: float | int | str | None = None,
        action: Action | None = None,
    ) -> Reason:
        """A reason with this code, its message rendered from the template."""
        return Reason(
            code=self.code,
            slug=self.slug,
            detector=self.group,
            action=self.action if action is None else action,
            acted=acted,
            observed=observed,
            limit=limit,
            message=self.template.format(observed=_show(observed), limit=_show(limit)),
        )


def _show(value: float | int | str | None) -> str:
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return "" if value is None else str(value)


_A, _B, _T = Action.ALLOW, Action.BLOCK, Action.TERMINATE

_ENTRIES = (
    # -- engine --------------------------------------------------------------------------
    Code(
        "SG001",
        "tier1-disabled",
        "engine",
        "Tier-1 is disabled for this tenant or interface.",
        _A,
        "Tier-1 disabled for {observed}",
        "The rules set `enabled: false` for the message's tenant or interface, so no check "
        "ran. Recorded so an audit can tell an unchecked post from a clean one.",
    ),
    Code(
        "SG002",
        "agent-bypass",
        "engine",
        "An agent's post bypassed Tier-1.",
        _A,
        "agent post bypassed Tier-1",
        "The rules set `agent_bypass: true` and an agent posted. Without it agents get the "
        "same rules as end users, each in a window of their own.",
    ),
    Code(
        "SG003",
        "system-sender",
        "engine",
        "A system post is never checked.",
        _A,
        "system post not checked",
        "Posts with role `system` are the chat server's own notices, including the ones "
        "spamguard asks it to post; checking them would let the filter punish itself.",
    ),
    Code(
        "SG004",
        "retried-transaction",
        "engine",
        "A client retry: the verdict recorded for the first attempt is returned.",
        _A,
        "retry of transaction {observed}: recorded verdict returned",
        "The session already saw this client transaction id. The retry is answered with the "
        "first attempt's action and is not counted again, so retries are never duplicates "
        "or bursts. The verdict's action is the recorded one; this reason only informs.",
    ),
    Code(
        "SG005",
        "session-concluded",
        "engine",
        "The engagement was concluded; later posts are refused.",
        _T,
        "post to a concluded engagement",
        "A previous verdict terminated the engagement (or the server ended it). Every later "
        "post of the session is refused with `terminate` until the state expires.",
    ),
    Code(
        "SG006",
        "input-capped",
        "engine",
        "The message exceeded the analysis cap; only its beginning was analysed.",
        _A,
        "analysis capped: {observed} characters > {limit}",
        "Text analysis reads at most `limits.scan_chars` characters so that a huge message "
        "costs about what a large one does. Length is still measured on the whole message. "
        "Informational: the length detector decides what a huge message deserves.",
    ),
    Code(
        "SG007",
        "detector-error",
        "engine",
        "A detector failed on this message; it was treated as no finding.",
        _A,
        "detector {observed} failed",
        "An internal error inside a detector. The check goes on without that detector's "
        "findings (fail open) and the error is logged with its traceback. Please report it.",
    ),
    Code(
        "SG008",
        "url-scan-capped",
        "engine",
        "The message had more links than URL extraction reads; only the first were counted.",
        _A,
        "URL extraction capped at {limit} links",
        "URL extraction stops after `limits.scan_urls` links. The count is already far "
        "above any sensible `urls.extreme_urls`, so the verdict does not change.",
    ),
    Code(
        "SG009",
        "store-unavailable",
        "engine",
        "The session store failed; the tenant's `on_store_error` policy decided.",
        _B,
        "session store unavailable ({observed})",
        "The shared session store (Redis) did not answer: refused, timed out, or lost. "
        "The post is judged on its own (no history, no strikes) and the tenant's "
        "`on_store_error` decides the rest: `allow` lets it through (this code is then "
        "informational), `block` blocks it. When the store fails only while recording a "
        "block or termination, the verdict stands and this code says the record is missing. "
        "The store is retried after `store.cooldown_s`; recovery is logged.",
    ),
    # -- length --------------------------------------------------------------------------
    Code(
        "SG101",
        "message-too-long",
        "length",
        "The message is a wall of text.",
        _B,
        "{observed} characters > {limit}",
        "Counts user-perceived characters (grapheme clusters) after invisible characters "
        "are removed, so padding with zero-width characters does not help. "
        "Tune `length.max_chars`.",
    ),
    Code(
        "SG102",
        "too-many-lines",
        "length",
        "The message has too many lines.",
        _B,
        "{observed} lines > {limit}",
        "Tune `length.max_lines`.",
    ),
    Code(
        "SG103",
        "message-extremely-long",
        "length",
        "The message is so long that the engagement is terminated.",
        _T,
        "{observed} code points > {limit}",
        "Measured in code points on the whole message, beyond the analysis cap and with "
        "invisible characters included: a megabyte of zero-width padding is abuse even "
        "though it shows nothing. Tune `length.extreme_chars`.",
    ),
    Code(
        "SG104",
        "extremely-many-lines",
        "length",
        "The message has so many lines that the engagement is terminated.",
        _T,
        "{observed} lines > {limit}",
        "Tune `length.extreme_lines`.",
    ),
    # -- urls ----------------------------------------------------------------------------
    Code(
        "SG201",
        "too-many-urls",
        "urls",
        "The message carries too many links.",
        _B,
        "{observed} URLs > {limit}",
        "Counts scheme URLs, `www.` hosts, bare domains with a real top-level domain, IP "
        "hosts with a port or path, and defanged forms (`hxxp://`, `example[.]com`, "
        "`example (dot) com`). Links to `urls.allow_domains` are not counted. "
        "Tune `urls.max_urls`.",
    ),
    Code(
        "SG202",
        "url-flood",
        "urls",
        "So many links that the engagement is terminated.",
        _T,
        "{observed} URLs > {limit}",
        "Tune `urls.extreme_urls`.",
    ),
    Code(
        "SG203",
        "denied-domain",
        "urls",
        "The message links to a denied domain.",
        _B,
        "link to denied domain {observed}",
        "The host equals or is a subdomain of an entry of `urls.deny_domains`, or is that"
        " spelled with lookalike letters (Cyrillic or Greek homoglyphs, accents, marks)."
        " Escaped (`%2E`, `&#46;`), defanged and spaced-out links count. The observed"
        " value is the entry, never the host as written.",
    ),
    # -- duplicates ----------------------------------------------------------------------
    Code(
        "SG301",
        "repeated-message",
        "duplicates",
        "The sender posted the same text again and again.",
        _B,
        "{observed} identical posts > {limit}",
        "Compares a fingerprint of the normalised text (case, whitespace, invisible and "
        "bidi characters, fullwidth forms, combining marks and Latin homoglyphs folded "
        "away) with the sender's posts within `duplicates.window_s`. Messages shorter than "
        "`duplicates.min_chars` are exempt, so `ok` and `thanks` never trip it. "
        "Tune `duplicates.max_repeats`.",
    ),
    Code(
        "SG302",
        "near-duplicate-message",
        "duplicates",
        "The sender posted nearly the same text again and again.",
        _B,
        "{observed} similar posts > {limit}",
        "Similarity is rapidfuzz's normalised Indel ratio on the normalised text, at least "
        "`duplicates.similarity` percent, against the last `duplicates.compare_last` "
        "posts. Tune `duplicates.max_near_repeats`.",
    ),
    Code(
        "SG303",
        "duplicate-flood",
        "duplicates",
        "So many repeats that the engagement is terminated.",
        _T,
        "{observed} repeated posts > {limit}",
        "Tune `duplicates.extreme_repeats`.",
    ),
    # -- emoji ---------------------------------------------------------------------------
    Code(
        "SG401",
        "too-many-emoji",
        "emoji",
        "The message carries too many emoji.",
        _B,
        "{observed} emoji > {limit}",
        "Emoji are counted as user-perceived characters: a ZWJ family, a flag or a "
        "skin-toned hand is one. Tune `emoji.max_emoji`.",
    ),
    Code(
        "SG402",
        "emoji-heavy",
        "emoji",
        "Emoji make up most of the message.",
        _B,
        "emoji share {observed} > {limit}",
        "Share of emoji among visible characters, only for messages of at least "
        "`emoji.min_chars` visible characters, so a lone reaction is fine. "
        "Tune `emoji.max_share`.",
    ),
    Code(
        "SG403",
        "emoji-flood",
        "emoji",
        "So many emoji that the engagement is terminated.",
        _T,
        "{observed} emoji > {limit}",
        "Tune `emoji.extreme_emoji`.",
    ),
    # -- symbols -------------------------------------------------------------------------
    Code(
        "SG501",
        "symbol-heavy",
        "symbols",
        "Punctuation and symbols make up most of the message.",
        _B,
        "symbol share {observed} > {limit}",
        "Share of punctuation and symbol characters (emoji excluded) among visible "
        "characters, for messages of at least `symbols.min_chars`. Letters of every script "
        "are letters. A pasted JSON snippet or stack trace stays well below the default. "
        "Tune `symbols.max_share`.",
    ),
    Code(
        "SG502",
        "character-run",
        "symbols",
        "One character repeated in a long run.",
        _B,
        "run of {observed} identical characters > {limit}",
        "The longest run of one non-space character. Tune `symbols.max_run`.",
    ),
    Code(
        "SG503",
        "combining-mark-flood",
        "symbols",
        "Stacked combining marks (zalgo text).",
        _B,
        "{observed} combining marks on one character > {limit}",
        "No script needs more than a few marks on one base character; zalgo text stacks "
        "dozens. Tune `symbols.max_marks`.",
    ),
    Code(
        "SG504",
        "symbol-flood",
        "symbols",
        "So much symbol noise that the engagement is terminated.",
        _T,
        "{observed} > {limit}",
        "An extreme character run or mark stack. Tune `symbols.extreme_run` and "
        "`symbols.extreme_marks`.",
    ),
    # -- burst ---------------------------------------------------------------------------
    Code(
        "SG601",
        "message-burst",
        "burst",
        "Too many posts in a short time.",
        _B,
        "{observed} posts > {limit}",
        "Counts the sender's posts in each window of `burst.windows`. The defaults let a "
        "fast typer split a sentence over several quick lines.",
    ),
    Code(
        "SG602",
        "character-burst",
        "burst",
        "Too many characters in a short time.",
        _B,
        "{observed} characters > {limit}",
        "Sums the sender's characters in each window of `burst.windows` that sets `max_chars`.",
    ),
    Code(
        "SG603",
        "burst-flood",
        "burst",
        "A flood of posts so fast that the engagement is terminated.",
        _T,
        "{observed} posts > {limit}",
        "A window's `extreme_messages` was exceeded.",
    ),
    # -- policy --------------------------------------------------------------------------
    Code(
        "SG901",
        "repeated-violations",
        "policy",
        "Repeated blocks within the strike window terminate the engagement.",
        _T,
        "{observed} blocked posts > {limit}",
        "Each blocked post is a strike; strikes older than `strikes.window_s` decay. "
        "Going above `strikes.max_blocks` turns the block into a termination.",
    ),
)

CATALOGUE: dict[str, Code] = {entry.code: entry for entry in _ENTRIES}
"""Every code by id."""

_BY_SLUG = {entry.slug: entry for entry in _ENTRIES}


def lookup(code_or_slug: str) -> Code:
    """The entry for a code (``SG201``) or a slug (``too-many-urls``); KeyError if unknown."""
    key = code_or_slug.strip()
    entry = CATALOGUE.get(key.upper()) or _BY_SLUG.get(key.lower())
    if entry is None:
        raise KeyError(f"unknown reason code {code_or_slug!r}")
    return entry


def render_doc(entry: Code) -> str:
    """The documentation page of one code (Markdown), as printed by ``spamguard explain``."""
    example = entry.template.format(observed="<observed>", limit="<limit>")
    return (
        f"# {entry.code} {entry.slug}\n\n"
        f"{entry.summary}\n\n"
        f"- Group: `{entry.group}`\n"
        f"- Default action: `{entry.action.value}`\n"
        f"- Status: {entry.status} (since {entry.added})\n"
        f"- Log message: `{example}`\n\n"
        f"{entry.explanation}\n"
    )
