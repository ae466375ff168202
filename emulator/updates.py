"""A bot's queue of updates: offsets confirm, ``allowed_updates`` filters, some arrive twice."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from emulator.waiting import Signal

# Update types sent when allowed_updates is empty or was never set (Bot API: all but these three).
_NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


def update_type(update: dict[str, Any]) -> str:
    """The kind of an update: ``message``, ``edited_message``, ``callback_query``, ..."""
    return next(key for key in update if key != "update_id")


@dataclass
class Queued:
    update: dict[str, Any]
    twice: bool = False


@dataclass
class UpdateQueue:
    """Pending updates of one bot, oldest first. Not locked itself: the emulator's lock guards it."""

    pending: list[Queued] = field(default_factory=list)
    redeliver: list[dict[str, Any]] = field(default_factory=list)
    allowed_updates: list[str] = field(default_factory=list)
    signal: Signal = field(default_factory=Signal)
    poll_generation: int = 0
    duplicates_delivered: int = 0

    def push(self, update: dict[str, Any], *, twice: bool = False) -> None:
        """Queue an update; with ``twice`` it is delivered again after it was confirmed."""
        self.pending.append(Queued(update, twice))

    def allowed(self, update: dict[str, Any]) -> bool:
        """Whether the bot asked for updates of this type."""
        kind = update_type(update)
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in _NOT_BY_DEFAULT

    def confirm(self, offset: int | None) -> None:
        """Forget updates below ``offset``; a negative offset keeps only the last ``-offset``."""
        if offset is None or offset == 0:
            return
        if offset < 0:
            keep = self.pending[offset:]
            gone = self.pending[: len(self.pending) - len(keep)]
        else:
            keep = [q for q in self.pending if q.update["update_id"] >= offset]
            gone = [q for q in self.pending if q.update["update_id"] < offset]
        self.pending = keep
        self.redeliver.extend(q.update for q in gone if q.twice)

    def take(self, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` updates to hand out now (kept until confirmed, except repeats)."""
        batch: list[dict[str, Any]] = []
        if self.redeliver:
            batch = self.redeliver[:limit]
            self.redeliver = self.redeliver[limit:]
            self.duplicates_delivered += len(batch)
        unwanted = [q for q in self.pending if not self.allowed(q.update)]
        if unwanted:
            self.pending = [q for q in self.pending if self.allowed(q.update)]
        batch.extend(q.update for q in self.pending[: limit - len(batch)])
        return batch

    def drop_all(self) -> int:
        """Forget every pending update (``drop_pending_updates``); return how many."""
        count = len(self.pending)
        self.pending.clear()
        self.redeliver.clear()
        return count
