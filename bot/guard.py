"""Who may ask how often, and how many answers a server may wait for at once."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field


@dataclass
class Cooldown:
    """One question per user every `seconds`."""

    seconds: float
    clock: Callable[[], float] = time.monotonic
    _last: dict[int, float] = field(default_factory=dict)

    def retry_after(self, user_id: int) -> float:
        """0 if the user may ask now (and the ask is recorded), else the seconds to wait."""
        now = self.clock()
        last = self._last.get(user_id)
        if last is not None and now - last < self.seconds:
            return self.seconds - (now - last)
        self._last[user_id] = now
        return 0.0


@dataclass
class Concurrency:
    """At most `limit` answers in progress per server; beyond that, "busy", not a queue."""

    limit: int
    _running: dict[int, int] = field(default_factory=dict)

    def acquire(self, guild_id: int) -> bool:
        if self._running.get(guild_id, 0) >= self.limit:
            return False
        self._running[guild_id] = self._running.get(guild_id, 0) + 1
        return True

    def release(self, guild_id: int) -> None:
        self._running[guild_id] = max(0, self._running.get(guild_id, 0) - 1)


def channel_allowed(channel_id: int, parent_id: int | None, allowed: Collection[int]) -> bool:
    """No allowlist means everywhere; a thread counts as its parent channel."""
    return not allowed or channel_id in allowed or (parent_id is not None and parent_id in allowed)


def may_reindex(user_id: int, is_admin: bool, admins: Collection[int]) -> bool:
    """Server administrators, and if an allowlist of user ids is set, only those among them
    or listed there."""
    return user_id in admins if admins else is_admin
