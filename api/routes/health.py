"""``GET /health``: liveness."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from api.auth import get_service
from api.schemas import Health
from api.service import Service

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="Liveness (no key needed)")
async def health(service: Service = Depends(get_service)) -> Health:
    """The service is up; how many live points and reservations it serves from memory."""
    return Health(backend=service.backend, live_points=service.indexed_points,
                  reservations=service.reservation_count)  # fmt: skip
