"""The engine: one call per posted message, one verdict back."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from spamguard.codes import CATALOGUE
from spamguard.config import Rules, load_rules
from spamguard.detectors import Context
from spamguard.errors import RuleIssue, RulesError, StoreError
from spamguard.message import Message, Role, SenderKey, SessionKey
from spamguard.policy import CompiledPolicy, Decision, compile_policy
from spamguard.stores.base import Event, Outcome, Retention, SessionStore, Snapshot
from spamguard.stores.factory import STORE_URL_ENV, store_from_url
from spamguard.stores.memory import MemoryStore
from spamguard.stores.redis import RedisStore
from spamguard.text import TextFeatures, analyse, unanalysed
from spamguard.verdict import Action, Origin, Reason, Verdict

__all__ = ["Engine"]

logger = logging.getLogger("spamguard")
logger.addHandler(logging.NullHandler())

_DISABLED, _AGENT_BYPASS, _SYSTEM, _RETRY, _CONCLUDED, _CAPPED, _ERROR = (
    CATALOGUE[code] for code in ("SG001", "SG002", "SG003", "SG004", "SG005", "SG006", "SG007")
)
_URLS_CAPPED, _STORE_DOWN = CATALOGUE["SG008"], CATALOGUE["SG009"]
_END_USER = Role.END_USER


class Engine:
    """Tier-1 spam checks for every posted message.

    Args:
        rules: A `Rules` object, a path to a rules file, or None for the shipped rules.
        store: Where session state lives: a store, or a store URL such as
            ``redis://host:6379/0`` (see `store_from_url`). When None: the URL in the
            ``SPAMGUARD_STORE_URL`` environment variable, else the rules file's
            ``store:`` section, else this process's memory.
        clock: The time for messages that carry none (Unix seconds).
        on_verdict: Called with every verdict, e.g. to count metrics.
        timings: Time each step of every check and report it in `Verdict.timings` and
            the verdict's log record (``timings_us``): the analysis, the store, each
            detector, the policy. Off by default; when off nothing is timed.

    Raises:
        RulesError: the rules file is invalid.
        ValueError: the store URL is not valid.
        SpamguardError: the store URL needs an extra that is not installed.

    Attributes:
        rules: The rules in force; `reload` replaces them.
        store: Where session state lives.
    """

    def __init__(
        self,
        rules: Rules | str | Path | None = None,
        *,
        store: SessionStore | str | None = None,
        clock: Callable[[], float] = time.time,
        on_verdict: Callable[[Verdict], None] | None = None,
        timings: bool = False,
    ) -> None:
        loaded = rules if isinstance(rules, Rules) else load_rules(rules)
        self.store: SessionStore = _pick_store(store, loaded)
        self._clock = clock
        self._on_verdict = on_verdict
        self._timings = timings
        self._policies = _Policies(loaded)
        self._reload_lock = threading.Lock()

    @property
    def rules(self) -> Rules:
        """The rules in force."""
        return self._policies.rules

    def policy_for(self, tenant: str, interface: str) -> CompiledPolicy:
        """The compiled policy that applies to a tenant and interface."""
        return self._policies.policy_for(tenant, interface)

    def reload(self, rules: Rules | str | Path | None = None) -> Rules:
        """Put new rules in force, or keep the ones in force if the new ones are bad.

        The new rules are loaded and compiled completely before they replace the old ones
        in one step, so each check runs wholly under the old rules or wholly under the
        new; checks never wait for a reload. Session state is kept. The store is not
        changed: a changed ``store:`` section takes effect when the engine is built again,
        and the log says so.

        Args:
            rules: A `Rules` object or a path to a rules file. None reads the file the
                rules in force came from again (`Rules.path`); rules that came from no
                file (the shipped rules, text) are then kept, and that is an error.

        Returns:
            The rules now in force.

        Raises:
            RulesError: the new rules are invalid. The rules in force stay in force, and
                the error's last issue says which ones they are. The failure is also
                logged (``spamguard`` logger, event ``spamguard.rules_reload_failed``).
        """
        with self._reload_lock:  # two reloads at once: the later one wins, whole
            current = self._policies.rules
            try:
                loaded = _new_rules(rules, current)
                policies = _Policies(loaded)
            except RulesError as exc:
                kept = RuleIssue(
                    current.source, None, "", "reload refused: the rules in force stay in force"
                )
                refused = RulesError([*exc.issues, kept])
                logger.error(
                    "spamguard rules reload failed; the rules from %s stay in force",
                    current.source,
                    extra={
                        "spamguard": {
                            "event": "spamguard.rules_reload_failed",
                            "in_force": current.source,
                            "problems": [str(issue) for issue in exc.issues],
                        }
                    },
                )
                raise refused from exc
            self._policies = policies
        fields: dict[str, object] = {"event": "spamguard.rules_reloaded", "in_force": loaded.source}
        if loaded.store != current.store:
            fields["store_unchanged"] = "the store: section changed; it takes effect on restart"
        logger.info("spamguard rules reloaded from %s", loaded.source, extra={"spamguard": fields})
        return loaded

    def check(self, message: Message) -> Verdict:
        """Judge one posted message. Never raises because of the message's content."""
        post = self._prepare(message)
        if isinstance(post, Verdict):
            return post
        watch = post.watch
        try:
            snapshot, failure = self.store.begin(*post.store_args()), None
        except Exception as exc:  # a store failure is the tenant's policy, never a crash
            snapshot, failure = Snapshot(), self._store_failure("begin", exc, post.policy)
        if watch is not None:
            watch.lap("store")
        decision = self._decide(post, snapshot, failure)
        outcome = _outcome(decision, snapshot, failure)
        if outcome is not None:
            try:
                self.store.settle(*post.settle_args(outcome))
            except Exception as exc:
                decision = _noted(decision, self._store_failure("settle", exc, None))
            if watch is not None:
                watch.lap("store")
        return self._emit(message, post.policy, decision, post.now, watch)

    async def acheck(self, message: Message) -> Verdict:
        """The asyncio twin of `check`: the same steps, with the store calls awaited."""
        post = self._prepare(message)
        if isinstance(post, Verdict):
            return post
        watch = post.watch
        try:
            snapshot, failure = await self.store.abegin(*post.store_args()), None
        except Exception as exc:
            snapshot, failure = Snapshot(), self._store_failure("begin", exc, post.policy)
        if watch is not None:
            watch.lap("store")
        decision = self._decide(post, snapshot, failure)
        outcome = _outcome(decision, snapshot, failure)
        if outcome is not None:
            try:
                await self.store.asettle(*post.settle_args(outcome))
            except Exception as exc:
                decision = _noted(decision, self._store_failure("settle", exc, None))
            if watch is not None:
                watch.lap("store")
        return self._emit(message, post.policy, decision, post.now, watch)

    def end_session(self, tenant: str, interface: str, session: str) -> None:
        """Free an engagement's state once it has ended normally."""
        self.store.end_session(SessionKey(tenant, interface, session))

    def _now(self, message: Message) -> float:
        return self._clock() if message.ts is None else float(message.ts)

    def _early_exit(self, message: Message, policy: CompiledPolicy) -> Decision | None:
        """Posts that are not checked at all: they never touch the store."""
        rules = policy.rules
        role = message.role
        if role is _END_USER and rules.enabled:
            return None  # most posts
        if role is Role.SYSTEM:
            reason = _SYSTEM.reason(acted=False)
        elif not rules.enabled:
            reason = _DISABLED.reason(acted=False, observed=f"{message.tenant}/{message.interface}")
        elif role is Role.AGENT and rules.agent_bypass:
            reason = _AGENT_BYPASS.reason(acted=False)
        else:
            return None
        return Decision(Action.ALLOW, Action.ALLOW, (reason,))

    def _analyse(
        self, message: Message, policy: CompiledPolicy
    ) -> tuple[TextFeatures, list[Reason]]:
        try:
            return analyse(message.text, policy.limits), []
        except Exception:  # a bug of ours must not take the chat down: fail open, loudly
            logger.exception("spamguard: text analysis failed", extra=message.describe())
            return unanalysed(message.text), [_ERROR.reason(acted=False, observed="analysis")]

    def _prepare(self, message: Message) -> _Post | Verdict:
        """Everything before the store: the policy, early exits and the text analysis."""
        watch = _Stopwatch() if self._timings else None
        now, policy = (
            self._now(message),
            self._policies.policy_for(message.tenant, message.interface),
        )
        early = self._early_exit(message, policy)
        if early is not None:
            return self._emit(message, policy, early, now, watch)
        features, errors = self._analyse(message, policy)
        if watch is not None:
            watch.lap("analysis")
        return _Post(message, policy, now, features, errors, watch=watch)

    @staticmethod
    def _store_failure(operation: str, exc: Exception, policy: CompiledPolicy | None) -> Reason:
        """SG009 for a failed store call; it acts when `policy` says ``on_store_error: block``.

        The store has logged what happened (once per outage); a store that raises anything
        but `StoreError` has a bug, which is logged here with its traceback.
        """
        if not isinstance(exc, StoreError):
            logger.exception("spamguard: session store %s raised", operation)
        acted = policy is not None and policy.rules.on_store_error == "block"
        observed = str(exc) if isinstance(exc, StoreError) else f"{operation}: {exc!r}"
        return _STORE_DOWN.reason(acted=acted, observed=observed[:200])

    def _decide(self, post: _Post, snapshot: Snapshot, failure: Reason | None) -> Decision:
        policy, features, now = post.policy, post.features, post.now
        if snapshot.concluded:
            return Decision(Action.TERMINATE, Action.TERMINATE, (_CONCLUDED.reason(acted=True),))
        if snapshot.replay is not None:
            recorded = snapshot.replay.action
            reasons = [_RETRY.reason(acted=False, observed=recorded.value)]
            reasons += [_replayed(code, recorded) for code in snapshot.replay.codes]
            return Decision(recorded, recorded, tuple(reasons))
        reasons = post.errors
        if features.capped or features.urls_capped:
            reasons += _cap_reasons(features, policy)
        if failure is not None:
            reasons.append(failure)
        context = Context(features, snapshot.history, now)
        watch = post.watch
        for detector, monitor in policy.detectors:
            try:
                findings = detector.assess(context)
            except Exception:  # one broken detector must not silence the others
                logger.exception("spamguard: detector %s failed", detector.name)
                reasons.append(_ERROR.reason(acted=False, observed=detector.name))
                findings = ()
            if findings:
                reasons.extend(policy.reason(finding, monitor) for finding in findings)
            if watch is not None:
                watch.lap(detector.name)
        decision = policy.decide(reasons, snapshot.strikes)
        if watch is not None:
            watch.lap("policy")
        return decision

    def _emit(
        self,
        message: Message,
        policy: CompiledPolicy,
        decision: Decision,
        now: float,
        watch: _Stopwatch | None = None,
    ) -> Verdict:
        origin = Origin(
            message.tenant,
            message.interface,
            message.session,
            message.role,
            message.sender,
            message.transaction_id,
            now,
        )
        verdict = Verdict(
            decision.action,
            decision.reasons,
            policy.notices[decision.action],
            decision.shadow_action,
            None if watch is None else watch.stop(),
            origin,
        )
        if decision.reasons:
            level = logging.INFO if decision.action is Action.ALLOW else logging.WARNING
            if logger.isEnabledFor(level):
                logger.log(
                    level,
                    "spamguard verdict %s %s",
                    verdict.action.value,
                    ",".join(verdict.codes),
                    extra={"spamguard": verdict.log},
                )
        if self._on_verdict is not None:
            self._on_verdict(verdict)
        return verdict


def _new_rules(rules: Rules | str | Path | None, current: Rules) -> Rules:
    if isinstance(rules, Rules):
        return rules
    if rules is not None:
        return load_rules(rules)
    if current.path is None:
        problem = "these rules were not read from a file; pass the new rules or their path"
        raise RulesError([RuleIssue(current.source, None, "", problem)])
    return load_rules(current.path)


class _Policies:
    """Rules and their compiled policies, swapped whole by `Engine.reload`."""

    __slots__ = ("defaults", "interfaces", "rules", "tenants")

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.defaults = compile_policy(rules.defaults)
        self.tenants = {name: compile_policy(p) for name, p in rules.tenants.items()}
        self.interfaces = {key: compile_policy(p) for key, p in rules.interfaces.items()}

    def policy_for(self, tenant: str, interface: str) -> CompiledPolicy:
        if not self.tenants and not self.interfaces:
            return self.defaults
        policy = self.interfaces.get((tenant, interface))
        if policy is None:
            policy = self.tenants.get(tenant, self.defaults)
        return policy


class _Post:
    """A message on its way through one check, between the analysis and the store."""

    __slots__ = ("errors", "features", "key", "message", "now", "policy", "watch")

    def __init__(
        self,
        message: Message,
        policy: CompiledPolicy,
        now: float,
        features: TextFeatures,
        errors: list[Reason],
        *,
        watch: _Stopwatch | None,
    ) -> None:
        self.message = message
        self.policy = policy
        self.now = now
        self.features = features
        self.errors = errors
        self.watch = watch
        self.key = message.sender_key

    def store_args(self) -> tuple[SenderKey, Event, str | None, Retention, float]:
        features, now = self.features, self.now
        event = Event(now, features.fingerprint, features.key, features.chars)
        return self.key, event, self.message.transaction_id, self.policy.retention, now

    def settle_args(
        self, outcome: Outcome
    ) -> tuple[SenderKey, str | None, Outcome, Retention, float]:
        return self.key, self.message.transaction_id, outcome, self.policy.retention, self.now


class _Stopwatch:
    """The time of each step of one check, in microseconds, for ``Engine(timings=True)``."""

    __slots__ = ("_last", "_started", "laps")

    def __init__(self) -> None:
        self._started = self._last = time.perf_counter_ns()
        self.laps: dict[str, float] = {}

    def lap(self, step: str) -> None:
        """Charge the time since the last lap to `step` (steps may recur: the store)."""
        now = time.perf_counter_ns()
        self.laps[step] = self.laps.get(step, 0.0) + (now - self._last) / 1000
        self._last = now

    def stop(self) -> dict[str, float]:
        """The laps, each rounded to 0.1 µs, and ``total``: the whole check."""
        laps = {step: round(us, 1) for step, us in self.laps.items()}
        laps["total"] = round((time.perf_counter_ns() - self._started) / 1000, 1)
        return laps


def _pick_store(store: SessionStore | str | None, rules: Rules) -> SessionStore:
    if store is None:
        url = os.environ.get(STORE_URL_ENV)
        if url:
            try:
                return store_from_url(url)
            except ValueError as exc:
                raise ValueError(f"environment variable {STORE_URL_ENV}: {exc}") from None
        if rules.store is not None:
            config = rules.store
            if config.url.startswith("memory://"):
                return store_from_url(config.url)
            return RedisStore(
                config.url,
                timeout_s=config.timeout_s,
                cooldown_s=config.cooldown_s,
                namespace=config.namespace,
            )
        return MemoryStore()
    if isinstance(store, str):
        return store_from_url(store)
    return store


def _outcome(decision: Decision, snapshot: Snapshot, failure: Reason | None) -> Outcome | None:
    """What `settle` must record: only a fresh block or terminate (retries are recorded).

    Nothing is recorded when `begin` failed: the store is down.
    """
    if decision.action is Action.ALLOW or failure is not None:
        return None
    if snapshot.concluded or snapshot.replay is not None:
        return None
    return Outcome(decision.action, tuple(r.code for r in decision.reasons if r.acted))


def _noted(decision: Decision, reason: Reason) -> Decision:
    """The decision with one more informational reason."""
    return decision._replace(reasons=(*decision.reasons, reason))


def _cap_reasons(features: TextFeatures, policy: CompiledPolicy) -> list[Reason]:
    reasons = []
    if features.capped:
        reasons.append(
            _CAPPED.reason(acted=False, observed=features.length, limit=policy.limits.scan_chars)
        )
    if features.urls_capped:
        reasons.append(
            _URLS_CAPPED.reason(
                acted=False, observed=len(features.urls), limit=policy.limits.max_urls
            )
        )
    return reasons


def _replayed(code: str, action: Action) -> Reason:
    """A reason of the first attempt, rebuilt from its code for the retry's verdict."""
    entry = CATALOGUE.get(code)
    if entry is None:
        return Reason(code, "", "", action, acted=True)
    return entry.reason(acted=True)
