"""From findings to an action: monitor mode, the strongest finding, and escalation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from spamguard.codes import CATALOGUE
from spamguard.config.models import PolicyRules
from spamguard.detectors import REGISTRY, Detector, DetectorRules, Finding
from spamguard.stores.base import Retention
from spamguard.text import AnalysisLimits
from spamguard.verdict import Action, Reason

__all__ = ["CompiledPolicy", "Decision", "compile_policy"]

_ESCALATION = CATALOGUE["SG901"]


class Decision(NamedTuple):
    """The action a policy takes, the one it would take without monitor mode, and why."""

    action: Action
    shadow_action: Action
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    """A tenant/interface policy made ready for the hot path: built once per rules load.

    Attributes:
        rules: The validated rules it was built from.
        detectors: The enabled detectors with whether each only monitors.
        limits: The analysis caps.
        retention: What the store must keep for these detectors.
        notices: The user-visible notice for each action (None for allow).
    """

    rules: PolicyRules
    detectors: tuple[tuple[Detector[DetectorRules], bool], ...]
    limits: AnalysisLimits
    retention: Retention
    notices: dict[Action, str | None]

    def reason(self, finding: Finding, monitor: bool) -> Reason:
        """The reason for a detector's finding; it acts unless monitoring."""
        return finding.code.reason(
            acted=not monitor, observed=finding.observed, limit=finding.limit
        )

    def decide(self, reasons: list[Reason], strikes: int) -> Decision:
        """The action: the strongest acting reason, escalated by earlier strikes.

        A block that would be the sender's ``max_blocks + 1``-th within the strike window
        terminates instead. The shadow action applies the same ladder to every finding,
        monitored ones included, so monitor mode shows what enforcing would do; only
        enforced blocks are strikes, so the shadow ladder climbs on real strikes alone.
        """
        if not reasons:
            return _CLEAN  # most posts: nothing found, nothing to escalate
        action = Action.strongest([reason.action for reason in reasons if reason.acted])
        shadow = Action.strongest([reason.action for reason in reasons])
        strike_rules = self.rules.strikes
        if strike_rules.enabled and strikes + 1 > strike_rules.max_blocks:
            escalates = action is Action.BLOCK
            if escalates or shadow is Action.BLOCK:
                limit = f"{strike_rules.max_blocks}/{strike_rules.window_s:g}s"
                reasons.append(
                    _ESCALATION.reason(acted=escalates, observed=strikes + 1, limit=limit)
                )
                shadow = Action.TERMINATE
                if escalates:
                    action = Action.TERMINATE
        return Decision(action, shadow, tuple(reasons))


_CLEAN = Decision(Action.ALLOW, Action.ALLOW, ())


def compile_policy(rules: PolicyRules) -> CompiledPolicy:
    """Instantiate the enabled detectors and derive the retention they need."""
    detectors: list[tuple[Detector[DetectorRules], bool]] = []
    for detector_class in REGISTRY:
        section: DetectorRules = getattr(rules, detector_class.name)
        if section.enabled:
            detectors.append((detector_class(section), rules.monitor or section.monitor))
    limits = rules.limits
    window_s = max((d.window_s for d, _ in detectors), default=0.0)
    max_events = max((d.events_needed for d, _ in detectors), default=0)
    retention = Retention(
        window_s=window_s,
        max_events=max_events,
        keys_needed=min(max_events, max((d.keys_needed for d, _ in detectors), default=0)),
        strike_window_s=rules.strikes.window_s,
        max_strikes=rules.strikes.max_blocks + 1 if rules.strikes.enabled else 0,
        concluded_ttl_s=rules.session.concluded_ttl_s,
        max_transactions=rules.session.max_transactions,
    )
    return CompiledPolicy(
        rules=rules,
        detectors=tuple(detectors),
        limits=AnalysisLimits(limits.scan_chars, limits.scan_urls, limits.key_chars),
        retention=retention,
        notices={
            Action.ALLOW: None,
            Action.BLOCK: rules.notices.block,
            Action.TERMINATE: rules.notices.terminate,
        },
    )
