"""``GET /health``: liveness."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Security
from fastapi.security import APIKeyHeader

from api.auth import get_caller, get_service
from api.schemas import Health
from api.service import Service
from data.errors import AuthenticationError

__all__ = ["router"]

router = APIRouter(tags=["health"])

# the same scheme as every other route's key, optional here
_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="your API key")


@router.get("/health", response_model=Health, response_model_exclude_none=True,
            summary="Liveness (no key needed)")  # fmt: skip
async def health(
    request: Request,
    api_key: str | None = Security(_key),
    service: Service = Depends(get_service),
) -> Health:
    """The service is up. With a staff key (admin, expansion) also how many live points and
    reservations it serves from memory; without a key, or with a partner key, only that it
    is up (the size of the network is not public)."""
    staff = False
    if api_key:
        try:
            staff = (await get_caller(request, api_key)).role in ("admin", "expansion")
        except AuthenticationError:
            staff = False  # liveness needs no key: an unknown one is no error here
    if not staff:
        return Health(backend=service.backend, live_points=None, reservations=None)
    return Health(backend=service.backend, live_points=service.indexed_points,
                  reservations=service.reservation_count)  # fmt: skip
