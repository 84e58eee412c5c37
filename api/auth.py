"""API keys and roles: ``X-API-Key`` header, SHA-256 hashed keys, role checks as dependencies."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from api.service import Service
from data.errors import AuthenticationError, InputError, NotFoundError, PermissionDeniedError
from data.store import ApiKey, Store
from data.store.base import now_utc, to_iso

__all__ = [
    "ADMIN",
    "EXPANSION",
    "PARTNER",
    "ROLES",
    "Caller",
    "KeyCache",
    "create_key",
    "get_caller",
    "get_service",
    "hash_key",
    "refresh_key",
    "require",
]

#: admin: everything; expansion: the network and applications; partner: its own data
ROLES = ("admin", "expansion", "partner")

log = logging.getLogger(__name__)

#: ``last_used_at`` is written at most this often per key and worker, seconds
LAST_USED_EVERY_S = 60.0

_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="your API key")


class Owned(Protocol):
    """A row a partner owns: a point, an application."""

    @property
    def id(self) -> str: ...

    @property
    def partner_id(self) -> str | None: ...


OwnedT = TypeVar("OwnedT", bound=Owned)


@dataclass(frozen=True)
class Caller:
    """Who is calling: the key's short id, its role and (partner keys) the partner id."""

    key_id: str
    role: str
    partner_id: str | None = None

    @property
    def actor(self) -> str:
        """How the audit log names this caller."""
        who = f"{self.role}:{self.key_id}"
        return f"{who}:{self.partner_id}" if self.partner_id else who

    def only_own(self, partner_id: str | None = None) -> str | None:
        """The partner filter of a listing: a partner key sees its own partner's rows whatever
        it asks; the other roles get what they ask (None: every partner's)."""
        return self.partner_id if self.role == "partner" else partner_id

    def visible(self, row: OwnedT, what: str) -> OwnedT:
        """``row`` if this caller may see it; else :class:`NotFoundError` naming ``what``
        (another partner's rows do not exist for a partner key)."""
        if self.role == "partner" and row.partner_id != self.partner_id:
            raise NotFoundError(f"no {what} with id {row.id!r}")
        return row


def hash_key(token: str) -> str:
    """SHA-256 hex digest of a key; only this is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_key(
    service: Service | Store,
    role: str,
    *,
    partner_id: str | None = None,
    token: str | None = None,
    actor: str = "system",
) -> tuple[str, ApiKey]:
    """Create (store hashed) a key in a service's store (or a store); returns the token and
    its record.

    ``token`` given: that exact key (bootstrap, demo); already stored: nothing changes.
    """
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}; roles: {list(ROLES)}", column="role")
    if role == "partner" and not partner_id:
        raise InputError("a partner key needs a partner_id", column="partner_id")
    if role != "partner" and partner_id:
        raise InputError("only partner keys have a partner_id", column="partner_id")
    token = token or f"pvz_{secrets.token_urlsafe(32)}"
    digest = hash_key(token)
    record = ApiKey(key_hash=digest, key_id=f"k-{digest[:12]}", role=role, partner_id=partner_id,
                    created_at=to_iso(now_utc()), created_by=actor)  # fmt: skip
    service.add_key(record, actor=actor)  # a Service, or a Store: the same call
    return token, record


class KeyCache(dict[str, tuple[Caller, float]]):
    """The keys a worker has read from the store: SHA-256 digest -> (caller, expiry).

    An entry is trusted for ``ttl_s`` seconds (``PVZ_KEY_CACHE_S``, at most 2), then the key
    is read from the store again: a key revoked by any worker is refused by every worker
    within that time. Checking an entry costs a dict lookup and a clock read (the fast lane
    of :mod:`api.fast_check` does it per request).
    """

    def __init__(self, ttl_s: float = 1.0) -> None:
        super().__init__()
        self.ttl_s = ttl_s

    def fresh(self, digest: str) -> Caller | None:
        """The cached caller of ``digest`` if its entry has not expired, else None."""
        entry = self.get(digest)
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def seen(self, digest: str) -> Caller | None:
        """The caller ``digest`` was last read as, expired or not (None: never read). For
        wording an answer (a partner's errors are private), never for admitting a request."""
        entry = self.get(digest)
        return None if entry is None else entry[0]

    def put(self, digest: str, caller: Caller, *, read_at: float | None = None) -> None:
        """Trust ``caller`` for ``digest`` for ``ttl_s`` seconds from ``read_at`` (the
        ``time.monotonic()`` at which the store read began; default now)."""
        self[digest] = (caller, (time.monotonic() if read_at is None else read_at) + self.ttl_s)

    def due(self, digest: str) -> bool:
        """Whether ``digest``'s entry is in the second half of its life (worth reading again
        ahead of its expiry, off the request path: :func:`refresh_key`)."""
        entry = self.get(digest)
        return self.ttl_s > 0 and entry is not None and entry[1] - time.monotonic() < self.ttl_s / 2

    def forget(self, key_ids: Collection[str]) -> None:
        """Drop the entries of the keys ``key_ids`` (short ids): their next use reads them."""
        for digest, (who, _) in list(self.items()):
            if who.key_id in key_ids:
                self.pop(digest, None)

    def on_changes(self, changes: list[tuple[int, str, str]]) -> None:
        """A subscriber of the service's change feed (:mod:`api.services.changes`): a key
        another worker revoked is dropped when the feed hands its ``key`` entry on, so it is
        refused here at the next poll, and within ``ttl_s`` at the latest."""
        self.forget({key_id for _, entity, key_id in changes if entity == "key"})


def refresh_key(service: Service, cache: KeyCache, digest: str) -> None:
    """Read key ``digest`` from the store again and renew or drop its cache entry (a
    blocking store read: call it in a thread). The renewed entry is trusted for ``ttl_s``
    from the start of the read, so a revoked key is still refused within ``key_cache_s``;
    an unknown or revoked key loses its entry. Errors are logged, never raised (the entry
    then expires as usual and the next request reads the key itself)."""
    started = time.monotonic()
    try:
        record = service.get_key(digest)
    except Exception:
        log.warning("could not read a key ahead of its cache expiry", exc_info=True)
        return
    if record is None or record.revoked_at is not None:
        cache.pop(digest, None)
        return
    cache.put(digest, Caller(record.key_id, record.role, record.partner_id), read_at=started)


def key_cache(state: object, ttl_s: float = 1.0) -> KeyCache:
    """The app's :class:`KeyCache` (``state.key_cache``; made if missing or a plain dict)."""
    cache = getattr(state, "key_cache", None)
    if not isinstance(cache, KeyCache):
        cache = KeyCache(ttl_s)
        setattr(state, "key_cache", cache)  # noqa: B010 - starlette's State
    return cache


async def get_service(request: Request) -> Service:
    """The app's :class:`~api.service.Service` (set up at start).

    A coroutine on purpose: FastAPI runs plain-function dependencies in its thread pool,
    a thread hop per request for an attribute read.
    """
    service: Service = request.app.state.service
    return service


async def get_caller(
    request: Request, api_key: str | None = Security(_header)
) -> Caller:  # fmt: skip
    """The caller of this request; 401 without a known, live key.

    A key is read from the store when this worker has not read it within ``key_cache_s``
    (so a revoked key is refused within that time); its ``last_used_at`` is written, in
    the background, at most once a minute."""
    if not api_key:
        raise AuthenticationError("missing X-API-Key header")
    service: Service = request.app.state.service
    cache = key_cache(request.app.state, service.settings.key_cache_s)
    digest = hash_key(api_key)
    caller = cache.fresh(digest)
    if caller is None:
        record = service.get_key(digest)
        if record is None or record.revoked_at is not None:
            cache.pop(digest, None)
            raise AuthenticationError("unknown API key" if record is None else "revoked API key")
        caller = Caller(record.key_id, record.role, record.partner_id)
        cache.put(digest, caller)
        now = now_utc()
        if (
            record.last_used_at is None
            or (now - datetime.fromisoformat(record.last_used_at)).total_seconds()
            >= LAST_USED_EVERY_S
        ):
            asyncio.get_running_loop().run_in_executor(None, _touch, service, digest,
                                                       to_iso(now))  # fmt: skip
    return caller


def _touch(service: Service, digest: str, at: str) -> None:
    try:
        service.touch_key(digest, at)
    except Exception:  # bookkeeping: never fails a request
        log.warning("could not record the use of a key", exc_info=True)


def require(*roles: str) -> Callable[..., Awaitable[Caller]]:
    """A dependency admitting only callers with one of ``roles`` (403 otherwise)."""

    async def check(caller: Caller = Depends(get_caller)) -> Caller:
        if caller.role not in roles:
            raise PermissionDeniedError(
                f"role {caller.role!r} may not do this; allowed: {', '.join(roles)}"
            )
        return caller

    return check


#: role checks as module-level dependencies
ADMIN = require("admin")
EXPANSION = require("expansion", "admin")
PARTNER = require("partner")
