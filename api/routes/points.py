"""``/v1/points``: the network as GeoJSON; create and change points (admin, expansion)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, Path, Query
from starlette.concurrency import run_in_threadpool

from api.auth import EXPANSION, Caller, get_caller, get_service
from api.errors import ERROR_RESPONSES
from api.schemas import Feature, FeatureCollection, PointCreate, PointOut, PointPatch
from api.service import Service
from data.bbox import parse_bbox
from data.errors import InputError, PermissionDeniedError
from data.store import Point

__all__ = ["decode_cursor", "encode_cursor", "router"]

router = APIRouter(prefix="/v1/points", tags=["points"], responses=ERROR_RESPONSES)

PointId = Path(min_length=1, max_length=100, description="point id", examples=["P000001"])


def encode_cursor(last_id: str) -> str:
    """An opaque page cursor for ids after ``last_id``."""
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    """The last id of the previous page, or :class:`InputError`."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InputError("not a cursor from a previous page", column="cursor") from None


def _feature(p: Point) -> Feature:
    props = asdict(p)
    for k in ("id", "lat", "lon"):
        props.pop(k)
    return Feature(id=p.id, geometry={"type": "Point", "coordinates": [p.lon, p.lat]},
                   properties=props)  # fmt: skip


@router.get("", response_model=FeatureCollection, summary="Points as GeoJSON, paginated")
async def list_points(
    bbox: str | None = Query(None, description="minlon,minlat,maxlon,maxlat (WGS84)",
                             examples=["37.3,55.5,37.9,55.95"]),
    status: str | None = Query(None, max_length=50, description="only this status"),
    limit: int = Query(100, ge=1, le=10_000, description="features per page (server max applies)"),
    cursor: str | None = Query(None, max_length=500, description="next_cursor of the last page"),
    caller: Caller = Depends(get_caller),
    service: Service = Depends(get_service),
) -> FeatureCollection:  # fmt: skip
    """Points inside ``bbox`` ordered by id; a partner sees its own points only."""
    box = parse_bbox(bbox)
    after = decode_cursor(cursor)
    limit = min(limit, service.settings.max_page)
    partner = caller.only_own()
    points = await run_in_threadpool(service.list_points, bbox=box, status=status,
                                     partner_id=partner, limit=limit + 1, after=after)  # fmt: skip
    more = len(points) > limit
    points = points[:limit]
    return FeatureCollection(
        features=[_feature(p) for p in points],
        next_cursor=encode_cursor(points[-1].id) if more and points else None,
    )


@router.get("/{point_id}", response_model=PointOut, summary="One point")
async def get_point(
    point_id: str = PointId,
    caller: Caller = Depends(get_caller),
    service: Service = Depends(get_service),
) -> PointOut:
    """A point by id (a partner: only its own)."""
    p = caller.visible(await run_in_threadpool(service.get_point, point_id), "point")
    return PointOut(**asdict(p))


def _override(caller: Caller, reason: str | None) -> str | None:
    if reason is not None and caller.role != "admin":
        raise PermissionDeniedError("only an admin may override the protection rule")
    return reason


@router.post("", response_model=PointOut, status_code=201, summary="Create a point")
async def post_point(
    body: PointCreate,
    caller: Caller = Depends(EXPANSION),
    service: Service = Depends(get_service),
) -> PointOut:
    """Create a point; 409 with the blocking points if the protection rule forbids it
    (an admin may override with a non-empty ``override_reason``, which is logged)."""
    reason = _override(caller, body.override_reason)
    fields: dict[str, Any] = body.model_dump(exclude={"override_reason"})
    p = await run_in_threadpool(service.create_point, fields, actor=caller.actor,
                                override_reason=reason)  # fmt: skip
    return PointOut(**asdict(p))


@router.patch("/{point_id}", response_model=PointOut, summary="Change a point")
async def patch_point(
    body: PointPatch,
    point_id: str = PointId,
    caller: Caller = Depends(EXPANSION),
    service: Service = Depends(get_service),
) -> PointOut:
    """Change status or features. Making a point live again re-checks the rule (409);
    an admin may override with ``override_reason``."""
    reason = _override(caller, body.override_reason)
    changes = body.model_dump(exclude_unset=True, exclude={"override_reason"})
    if not changes:
        raise InputError("nothing to change")
    for k in ("status", "waiting_zone"):
        if k in changes and changes[k] is None:
            raise InputError(f"{k} cannot be null", column=k)
    p = await run_in_threadpool(service.update_point, point_id, changes, actor=caller.actor,
                                override_reason=reason)  # fmt: skip
    return PointOut(**asdict(p))
