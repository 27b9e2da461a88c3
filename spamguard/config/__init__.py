"""Rules: pydantic models, YAML loading and layering."""

from spamguard.config.loader import Rules, load_rules, load_rules_text, shipped_rules_text
from spamguard.config.models import PolicyRules

__all__ = ["PolicyRules", "Rules", "load_rules", "load_rules_text", "shipped_rules_text"]
