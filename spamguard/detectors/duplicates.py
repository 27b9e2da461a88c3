"""Duplicates: the same or nearly the same text posted again and again."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Self

from pydantic import Field, model_validator
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
        times, fingerprints = history.times, history.fingerprints
        if len(features.key) < rules.min_chars or not times:
            return CLEAN
        oldest = context.now - rules.window_s
        fingerprint = features.fingerprint
        recent: Sequence[int]
        if min(times) > oldest:  # the whole window is recent: count at C speed
            recent = range(len(times))
            exact = 1 + fingerprints.count(fingerprint)
        else:
            recent = [index for index, ts in enumerate(times) if ts > oldest]
            exact = 1 + sum(fingerprints[index] == fingerprint for index in recent)
        similar = exact
        if rules.compare_last:
            cutoff = rules.similarity / 100
            keys, first_key = history.keys, len(times) - len(history.keys)
            for index in recent[-rules.compare_last :]:
                # Identical posts are counted already; posts whose text is no longer
                # kept are too old to compare.
                if (
                    index >= first_key
                    and fingerprints[index] != fingerprint
                    and Indel.normalized_similarity(
                        features.key, keys[index - first_key], score_cutoff=cutoff
                    )
                ):
                    similar += 1
        if similar > rules.extreme_repeats:
            return [Finding(_FLOOD, similar, rules.extreme_repeats)]
        if exact > rules.max_repeats:
            return [Finding(_EXACT, exact, rules.max_repeats)]
        if similar > rules.max_near_repeats:
            return [Finding(_NEAR, similar, rules.max_near_repeats)]
        return CLEAN


_EXACT, _NEAR, _FLOOD = (CATALOGUE[code] for code in DuplicateDetector.codes)
