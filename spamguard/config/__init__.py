"""Rules: pydantic models, YAML loading and layering."""

from spamguard.config.loader import Rules, load_rules, load_rules_text, shipped_rules_text
from spamguard.config.models import PolicyRules, StoreRules

__all__ = [
    "PolicyRules",
    "Rules",
    "StoreRules",
    "load_rules",
    "load_rules_text",
    "shipped_rules_text",
]
