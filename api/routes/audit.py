"""``GET /v1/audit-log``: the append-only log of every state change (admin)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from api.auth import ADMIN, Caller, get_service
from api.errors import ERROR_RESPONSES
from api.service import Service

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["audit"], responses=ERROR_RESPONSES)


class AuditEntryOut(BaseModel):
    """Who did what, when and why."""

    id: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: str
    reason: str | None
    detail: dict[str, Any]


@router.get("/audit-log", response_model=list[AuditEntryOut], summary="The audit log")
async def audit_log(
    after_id: int = Query(0, ge=0, le=2**62),
    limit: int = Query(100, ge=1, le=1000),
    caller: Caller = Depends(ADMIN),
    service: Service = Depends(get_service),
) -> list[AuditEntryOut]:
    """Entries with ids above ``after_id``, oldest first."""
    entries = await run_in_threadpool(service.audit_entries, after_id=after_id, limit=limit)
    return [AuditEntryOut(**asdict(e)) for e in entries]
