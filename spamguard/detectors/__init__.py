"""The detectors and their explicit registry, in the order they run."""

from spamguard.detectors.base import Context, Detector, DetectorRules, Finding
from spamguard.detectors.burst import BurstDetector
from spamguard.detectors.duplicates import DuplicateDetector
from spamguard.detectors.emoji import EmojiDetector
from spamguard.detectors.length import LengthDetector
from spamguard.detectors.symbols import SymbolDetector
from spamguard.detectors.urls import UrlDetector

REGISTRY: tuple[type[Detector[DetectorRules]], ...] = (  # type: ignore[assignment]
    LengthDetector,
    UrlDetector,
    DuplicateDetector,
    EmojiDetector,
    SymbolDetector,
    BurstDetector,
)
"""Every built-in detector; its `name` is its section in the rules."""

__all__ = ["REGISTRY", "Context", "Detector", "DetectorRules", "Finding"]
