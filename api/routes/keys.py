"""``POST /v1/keys``: API keys (admin)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from api.auth import ADMIN, Caller, create_key, get_service
from api.errors import ERROR_RESPONSES
from api.schemas import ApiKeyCreate, ApiKeyCreated
from api.service import Service

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
