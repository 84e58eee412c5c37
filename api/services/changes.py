"""One change feed per service: the audit log read once, every cache handed the same entries.

Every write a worker makes (and every other worker's) leaves an entry in the store's audit log
(``(id, entity, entity id)``, :meth:`data.store.Store.changes_since`). A :class:`ChangeFeed`
reads the log for the whole service -- at most once per ``interval_s`` (``sync_interval_s``),
or at once when asked (after a write) -- keeps the cursor, and hands each new entry, in id
order, to every :class:`Subscription`: the live protection index of :class:`api.service.Service`,
the Huff model and its points (:mod:`api.services.planning`), the map's cell counts
(:mod:`api.services.density`) and the API-key cache (:class:`api.auth.KeyCache`). So a write
by one worker reaches every cache of the others after one read of the log, not one per cache.

Ids come from a sequence and may commit out of order (PostgreSQL): each read looks back from
the oldest id not seen yet (at most ``window`` entries back), and an entry is handed on once.

Subscribers are pulled or pushed to. A pulled subscription keeps the entries in an inbox its
owner empties (:meth:`Subscription.take`) under the owner's own lock; a pushed one is a
callback run by the polling thread, which must be quick and take no lock that may wait on the
feed. Either way the feed never waits on a subscriber's lock: no lock order to get wrong.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Sequence
from typing import Protocol

__all__ = ["Change", "ChangeFeed", "ChangeLog", "Subscription"]

log = logging.getLogger(__name__)

#: one audit-log entry as the feed hands it on: (audit id, entity, entity id)
Change = tuple[int, str, str]


class ChangeLog(Protocol):
    """What the feed reads of a store (:class:`data.store.Store` has both)."""

    def changes_since(self, after_id: int, *, limit: int = 5000) -> list[Change]: ...

    def last_audit_id(self) -> int: ...


class Subscription:
    """One subscriber's share of the feed: the entries of ``entities`` since it subscribed.

    Parameters
    ----------
    entities : the entities it wants (``point``, ``application``, ``model``, ``key``, ...);
        None: every entry
    callback : push each batch (a list in id order) to this function, run by the polling
        thread; None: keep the entries in an inbox for :meth:`take`
    limit : an inbox holding more than this many entries is dropped and :meth:`take`
        answers None once (the owner rebuilds from the store): a subscriber that is never
        emptied does not grow without bound
    """

    def __init__(
        self,
        entities: Collection[str] | None = None,
        *,
        callback: Callable[[list[Change]], None] | None = None,
        limit: int = 100_000,
    ) -> None:
        self.entities = None if entities is None else frozenset(entities)
        self.callback = callback
        self.limit = limit
        self._inbox: deque[Change] = deque()
        self._overflowed = False

    def deliver(self, entries: Sequence[Change]) -> None:
        """Hand on ``entries`` (id order) of this subscription's entities (the feed calls it)."""
        mine = [e for e in entries if self.entities is None or e[1] in self.entities]
        if not mine:
            return
        if self.callback is not None:
            try:
                self.callback(mine)
            except Exception:  # a subscriber's failure must not stop the others
                log.exception("a change-feed subscriber failed")
            return
        if self._overflowed or len(self._inbox) + len(mine) > self.limit:
            self._overflowed = True
            self._inbox.clear()
            return
        self._inbox.extend(mine)

    @property
    def pending(self) -> bool:
        """Whether :meth:`take` has something to say (entries, or that the inbox overflowed)."""
        return self._overflowed or bool(self._inbox)

    def take(self) -> list[Change] | None:
        """The entries handed on since the last take, oldest first; None once after the
        inbox overflowed (rebuild from the store: entries were dropped)."""
        if self._overflowed:
            self._overflowed = False
            self._inbox.clear()
            return None
        out: list[Change] = []
        while True:  # popleft is atomic: the polling thread may append meanwhile
            try:
                out.append(self._inbox.popleft())
            except IndexError:
                return out


class ChangeFeed:
    """The audit log of one store, read for every cache of a service (module docstring).

    Parameters
    ----------
    store : the store whose audit log is read
    interval_s : an unforced :meth:`poll` reads the log at most this often, seconds
    window : how far back (entries) an id may still commit late
    page : entries per read of the log
    """

    def __init__(
        self, store: ChangeLog, *, interval_s: float = 1.0, window: int = 1000, page: int = 5000
    ) -> None:
        self.store = store
        self.interval_s = interval_s
        self.window = window
        self.page = page
        #: passes over the log so far (the start, then one per :meth:`poll` that read it)
        self.reads = 1
        self._lock = threading.Lock()
        self._subs: list[Subscription] = []
        self._seen: deque[int] = deque(maxlen=20 * window)
        self._seen_set: set[int] = set()
        self._frozen = False
        self._cursor = store.last_audit_id()
        # entries already in the store are what the caches load: mark the recent ones seen
        for entry_id, _, _ in store.changes_since(max(0, self._cursor - window), limit=window):
            if entry_id <= self._cursor:
                self._see(entry_id)
        self._low = max(0, self._cursor - window)
        self._advance_low()
        self._last_read = time.monotonic()

    @property
    def cursor(self) -> int:
        """The highest audit id handed on (or present when the feed started)."""
        return self._cursor

    def subscribe(
        self,
        entities: Collection[str] | None = None,
        *,
        callback: Callable[[list[Change]], None] | None = None,
        limit: int = 100_000,
    ) -> Subscription:
        """A new :class:`Subscription`: every entry the feed reads from now on (parameters
        as there)."""
        sub = Subscription(entities, callback=callback, limit=limit)
        with self._lock:
            self._subs = [*self._subs, sub]
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        """Hand ``sub`` nothing more."""
        with self._lock:
            self._subs = [s for s in self._subs if s is not sub]

    def freeze(self) -> None:
        """Read the log no more (a forked worker's snapshot, :mod:`api.services.jobs`)."""
        self._frozen = True

    def due(self, max_age_s: float | None = None) -> bool:
        """Whether the last read is older than ``max_age_s`` (default ``interval_s``)."""
        age = self.interval_s if max_age_s is None else max_age_s
        return not self._frozen and time.monotonic() - self._last_read >= age

    def poll(self, *, max_age_s: float | None = None, wait: bool = True) -> int:
        """Read the log if the last read is older than ``max_age_s`` seconds (default
        ``interval_s``; 0: now) and hand the new entries to every subscriber in id order.

        ``wait`` False: while another thread reads, return at once (its read serves this
        caller too). Returns how many new entries were handed on."""
        if not self.due(max_age_s):
            return 0
        if not self._lock.acquire(blocking=wait):
            return 0
        try:
            if not self.due(max_age_s):  # another thread read while this one waited
                return 0
            return self._read()
        finally:
            self._lock.release()

    def _read(self) -> int:
        self.reads += 1
        new: list[Change] = []
        after = max(self._low, self._cursor - self.window)
        while True:
            got = self.store.changes_since(after, limit=self.page)
            for entry in got:
                entry_id = entry[0]
                if entry_id in self._seen_set or entry_id <= self._cursor - self.window:
                    continue
                self._see(entry_id)
                new.append(entry)
                self._cursor = max(self._cursor, entry_id)
            if len(got) < self.page:
                break
            after = got[-1][0]
        self._last_read = time.monotonic()
        self._advance_low()
        if new:
            new.sort()
            for sub in self._subs:
                sub.deliver(new)
        return len(new)

    def _see(self, entry_id: int) -> None:
        if len(self._seen) == self._seen.maxlen:
            self._seen_set.discard(self._seen[0])
        self._seen.append(entry_id)
        self._seen_set.add(entry_id)

    def _advance_low(self) -> None:
        """Move the low-water mark over ids seen: every id up to it has been handed on."""
        low = max(self._low, self._cursor - self.window)
        while low < self._cursor and low + 1 in self._seen_set:
            low += 1
        self._low = low
