"""Fault injection: delays, 5xx answers, dropped connections and updates delivered twice."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from emulator.config import FaultRule


@dataclass
class _Active:
    rule: FaultRule
    remaining: int | None
    fired: int = 0


class FaultInjector:
    """Holds the active fault rules and decides, reproducibly, which call a fault hits."""

    def __init__(self, rules: list[FaultRule], seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._random = random.Random(seed)  # noqa: S311  (reproducible faults, not security)
        self._active: list[_Active] = []
        self.injected = 0
        for rule in rules:
            self.add(rule)

    def add(self, rule: FaultRule) -> None:
        """Activate a rule."""
        with self._lock:
            self._active.append(_Active(rule, rule.times))

    def clear(self) -> None:
        """Remove every rule and restart the random sequence."""
        with self._lock:
            self._active.clear()
            self._random = random.Random(self._seed)  # noqa: S311

    def rules(self) -> list[dict[str, object]]:
        """The active rules with how often each may still fire."""
        with self._lock:
            return [
                {**a.rule.model_dump(), "remaining": a.remaining, "fired": a.fired}
                for a in self._active
            ]

    def _fire(self, active: _Active) -> bool:
        if active.rule.probability < 1 and self._random.random() >= active.rule.probability:
            return False
        active.fired += 1
        self.injected += 1
        if active.remaining is not None:
            active.remaining -= 1
            if active.remaining <= 0:
                self._active.remove(active)
        return True

    def pick(self, method: str, *, after: bool) -> list[FaultRule]:
        """Faults that hit this call of ``method`` (lower case): before it runs, or ``after``."""
        hits: list[FaultRule] = []
        with self._lock:
            for active in list(self._active):
                rule = active.rule
                if rule.kind == "duplicate_update":
                    continue
                if rule.kind == "delay" and after:
                    continue
                if rule.kind != "delay" and rule.after != after:
                    continue
                if rule.methods and method not in {m.lower() for m in rule.methods}:
                    continue
                if self._fire(active):
                    hits.append(rule)
        return hits

    def duplicate_next_update(self) -> bool:
        """Whether the update being created now should be delivered twice."""
        with self._lock:
            for active in list(self._active):
                if active.rule.kind == "duplicate_update" and self._fire(active):
                    return True
        return False
