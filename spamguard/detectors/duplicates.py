"""Duplicates: the same or nearly the same text posted again and again."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Self

from pydantic import Field, model_validator
from rapidfuzz import process
from rapidfuzz.distance import Indel

from spamguard.codes import CATALOGUE
from spamguard.detectors.base import CLEAN, Context, Detector, DetectorRules, Finding

__all__ = ["DuplicateDetector", "DuplicateRules"]


class DuplicateRules(DetectorRules):
    """Thresholds of the duplicate detector. Counts include the new post."""

    window_s: float = Field(gt=0, le=86_400, description="How far back to look, in seconds.")
    min_chars: int = Field(
        ge=1, description="Shorter normalised texts are exempt (acknowledgements like 'ok')."
    )
    max_repeats: int = Field(ge=1, description="Most identical posts allowed in the window.")
    max_near_repeats: int = Field(
        ge=1, description="Most near-identical posts (identical ones included) allowed."
    )
    extreme_repeats: int = Field(ge=2, description="More repeats than this terminates.")
    similarity: float = Field(
        ge=50, le=100, description="Percent similarity from which two posts are near-identical."
    )
    compare_last: int = Field(
        ge=0, le=64, description="Earlier posts compared for near-duplicates (0: exact only)."
    )

    @model_validator(mode="after")
    def _extreme_above_block(self) -> Self:
        if self.extreme_repeats <= max(self.max_repeats, self.max_near_repeats):
            raise ValueError(
                "extreme_repeats must be greater than max_repeats and max_near_repeats"
            )
        return self


class DuplicateDetector(Detector[DuplicateRules]):
    """Compares the post's fingerprint and normalised text with the sender's recent posts."""

    name = "duplicates"
    codes: ClassVar[tuple[str, ...]] = ("SG301", "SG302", "SG303")
    rules_model = DuplicateRules

    @property
    def window_s(self) -> float:
        """See `Detector.window_s`."""
        return self.rules.window_s

    @property
    def events_needed(self) -> int:
        """See `Detector.events_needed`."""
        return max(self.rules.extreme_repeats, self.rules.compare_last)

    @property
    def keys_needed(self) -> int:
        """See `Detector.keys_needed`: only the posts compared for near-duplicates."""
        return self.rules.compare_last

    def assess(self, context: Context) -> Sequence[Finding]:
        """See `Detector.assess`."""
        rules, features, history = self.rules, context.features, context.history
        if len(features.key) < rules.min_chars or not history.times:
            return CLEAN
        fingerprints, fingerprint = history.fingerprints, features.fingerprint
        recent = history.within(context.now - rules.window_s)
        exact = 1 + history.pick(fingerprints, recent).count(fingerprint)
        similar = exact
        compared = recent[-rules.compare_last :] if rules.compare_last else ()
        if compared:
            # One call scores every kept text at once (a third of the cost of a call per
            # pair); matches are rare, so they are filtered afterwards.
            first_key = len(history.times) - len(history.keys)
            keys = history.keys[max(0, compared[0] - first_key) :]
            offset = len(history.times) - len(keys)
            for _, _, index in process.extract(
                features.key,
                keys,
                scorer=Indel.normalized_similarity,
                score_cutoff=rules.similarity / 100,
                limit=None,
            ):
                position = offset + index
                # Identical posts are counted already.
                if position in compared and fingerprints[position] != fingerprint:
                    similar += 1
        if similar > rules.extreme_repeats:
            return [Finding(_FLOOD, similar, rules.extreme_repeats)]
        if exact > rules.max_repeats:
            return [Finding(_EXACT, exact, rules.max_repeats)]
        if similar > rules.max_near_repeats:
            return [Finding(_NEAR, similar, rules.max_near_repeats)]
        return CLEAN


_EXACT, _NEAR, _FLOOD = (CATALOGUE[code] for code in DuplicateDetector.codes)
