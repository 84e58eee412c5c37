"""API keys and roles: ``X-API-Key`` header, SHA-256 hashed keys, role checks as dependencies."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
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
    "create_key",
    "get_caller",
    "get_service",
    "hash_key",
    "require",
]

#: admin: everything; expansion: the network and applications; partner: its own data
ROLES = ("admin", "expansion", "partner")

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
    store = service.store if isinstance(service, Service) else service
    store.add_key(record, actor=actor)
    return token, record


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
    """The caller of this request; 401 without a known key."""
    if not api_key:
        raise AuthenticationError("missing X-API-Key header")
    service: Service = request.app.state.service
    cache: dict[str, Caller] = request.app.state.key_cache
    digest = hash_key(api_key)
    caller = cache.get(digest)
    if caller is None:
        record = service.store.get_key(digest)
        if record is None:
            raise AuthenticationError("unknown API key")
        caller = Caller(record.key_id, record.role, record.partner_id)
        cache[digest] = caller
    return caller


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
