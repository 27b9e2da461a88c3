"""spamguard: the Tier-1 spam filter of a live customer-service chat server.

from spamguard import Engine, Message

engine = Engine()                      # shipped rules, in-memory store
verdict = engine.check(Message(text="hello", session="s1"))
verdict.action                         # Action.ALLOW / BLOCK / TERMINATE
"""

from spamguard.codes import CATALOGUE, Code
from spamguard.config import PolicyRules, Rules, load_rules, load_rules_text
from spamguard.engine import Engine
from spamguard.errors import RuleIssue, RulesError, SpamguardError, StoreError
from spamguard.message import Message, Role
from spamguard.stores import MemoryStore, SessionStore
from spamguard.verdict import Action, Reason, Verdict

__version__ = "0.1.0"

__all__ = [
    "CATALOGUE",
    "Action",
    "Code",
    "Engine",
    "MemoryStore",
    "Message",
    "PolicyRules",
    "Reason",
    "Role",
    "RuleIssue",
    "Rules",
    "RulesError",
    "SessionStore",
    "SpamguardError",
    "StoreError",
    "Verdict",
    "load_rules",
    "load_rules_text",
]
