"""``/v1/keys``: API keys (admin): issue, list, revoke."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.auth import ADMIN, Caller, create_key, get_service, key_cache
from api.errors import ERROR_RESPONSES
from api.schemas import ApiKeyCreate, ApiKeyCreated
from api.service import Service
from data.store import ApiKey

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["keys"], responses=ERROR_RESPONSES)


@router.post("/keys", response_model=ApiKeyCreated, status_code=201, summary="Create an API key")
async def post_key(
    body: ApiKeyCreate,
    caller: Caller = Depends(ADMIN),
    service: Service = Depends(get_service),
) -> ApiKeyCreated:
    """Create a key for a role (a partner key acts for one partner). The key is shown once;
    only its SHA-256 is stored."""
    token, record = await run_in_threadpool(
        create_key, service, body.role, partner_id=body.partner_id, actor=caller.actor
    )
    return ApiKeyCreated(key=token, key_id=record.key_id, role=record.role,
                         partner_id=record.partner_id)  # fmt: skip


class ApiKeyOut(BaseModel):
    """A stored key as an admin sees it: never the key itself (only its hash is stored)."""

    key_id: str = Field(description="the key's short id", examples=["k-1a2b3c4d5e6f"])
    role: str = Field(examples=["partner"])
    partner_id: str | None = Field(None, description="the partner a partner key acts for")
    created_at: str = Field(description="ISO 8601 UTC")
    created_by: str = Field(description="who issued it (audit actor)")
    last_used_at: str | None = Field(None, description="last use, to the minute (ISO UTC)")
    revoked_at: str | None = Field(None, description="when it was revoked; null: live")

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyOut:
        """The public view of a stored key (the hash stays inside)."""
        return cls(key_id=key.key_id, role=key.role, partner_id=key.partner_id,
                   created_at=key.created_at, created_by=key.created_by,
                   last_used_at=key.last_used_at, revoked_at=key.revoked_at)  # fmt: skip


@router.get("/keys", response_model=list[ApiKeyOut], summary="List API keys")
async def list_keys(
    caller: Caller = Depends(ADMIN), service: Service = Depends(get_service)
) -> list[ApiKeyOut]:
    """Every key, revoked ones too, oldest first: id, role, partner, when created and by
    whom, when last used (to the minute), when revoked. Never the key itself."""
    return [ApiKeyOut.of(k) for k in await run_in_threadpool(service.list_keys)]


@router.delete("/keys/{key_id}", response_model=ApiKeyOut, summary="Revoke an API key")
async def revoke_key(
    request: Request,
    key_id: str = Path(max_length=64, description="the key's short id (``k-...``)"),
    caller: Caller = Depends(ADMIN),
    service: Service = Depends(get_service),
) -> ApiKeyOut:
    """Revoke the key: every worker refuses it (401) within ``PVZ_KEY_CACHE_S`` (1 s by
    default), this one at once. Revoking a revoked key changes nothing; an unknown id is
    404. Logged in the audit log (``key.revoked``)."""
    key = await run_in_threadpool(service.revoke_key, key_id, actor=caller.actor)
    key_cache(request.app.state, service.settings.key_cache_s).forget({key_id})
    return ApiKeyOut.of(key)
