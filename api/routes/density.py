"""``GET /v1/points/density``: the network aggregated into H3 cells for the national view.

Staff keys get the exact counts of every point inside the bbox. A partner key gets whole
coarse cells of live points only, never a cell of fewer than k points of other owners
(:mod:`api.services.density_access`): exact counts inside a chosen bbox would locate a competitor's
point by bisection. The counts come from the service's
:class:`~api.services.density.DensityModel`: built once (in the background at start-up,
:func:`warm_up`), then kept current from the audit log on every request (no re-read of the
store, no lag behind writes); a request counts its bbox from per-cell totals in a few
milliseconds at national scale.
"""

from __future__ import annotations

import logging
import threading

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from api.auth import Caller, get_caller, get_service
from api.errors import ERROR_RESPONSES
from api.schemas_density import DensityCollection, DensityFeature, DensityProperties
from api.service import Service
from api.services.density import MAX_RESOLUTION, MIN_RESOLUTION, density_model
from api.services.density_access import partner_counts
from data.bbox import parse_bbox
from data.errors import InputError

__all__ = [
    "MAX_RESOLUTION",
    "MIN_RESOLUTION",
    "aggregate",
    "default_resolution",
    "router",
    "warm_up",
]

log = logging.getLogger(__name__)

# a separate router: it must be included before ``points`` (whose ``/{point_id}`` matches too)
router = APIRouter(prefix="/v1/points", tags=["points"], responses=ERROR_RESPONSES)

# (largest side of the bbox in degrees at least this) -> resolution; H3 cell edges are about
# 158, 60, 23, 8.5 and 3.2 km at resolutions 2 to 6
_STEPS = ((30.0, 2), (8.0, 3), (2.0, 4), (0.5, 5))


def _spans(bbox: tuple[float, float, float, float]) -> tuple[float, float]:
    minlon, minlat, maxlon, maxlat = bbox
    dlon = maxlon - minlon if minlon <= maxlon else maxlon - minlon + 360.0
    return dlon, maxlat - minlat


def default_resolution(bbox: tuple[float, float, float, float]) -> int:
    """Coarser cells for bigger views: a few hundred cells at most on a screen."""
    side = max(_spans(bbox))
    return next((res for least, res in _STEPS if side >= least), MAX_RESOLUTION)


def warm_up(service: Service) -> threading.Thread:
    """Build the service's density model (read the points, their H3 cells at every
    resolution, the per-cell totals) in a background thread, so the first national view of
    the map does not wait for it (about 15 s at 250,000 points on 2 shared cores;
    bench/README.md)."""

    def run() -> None:
        try:
            density_model(service).build()
        except Exception:  # a warm-up only: the first request builds what is missing
            log.warning("density warm-up failed", exc_info=True)

    thread = threading.Thread(target=run, name="density-warm-up", daemon=True)
    thread.start()
    return thread


def aggregate(
    service: Service, bbox: tuple[float, float, float, float], res: int
) -> DensityCollection:
    """Count every point inside ``bbox`` per H3 cell of resolution ``res``: the service's
    density model with the changes since its last count applied."""
    c = density_model(service).counts(bbox, res)
    features = [
        DensityFeature(id=cell, geometry={"type": "Point", "coordinates": [lo, la]},
                       properties=DensityProperties(count=n, live=m))
        for cell, la, lo, n, m in zip(c.cell, c.lat, c.lon, c.count, c.live, strict=True)
    ]  # fmt: skip
    return DensityCollection(resolution=res, total=c.total, live=sum(c.live),
                             features=features)  # fmt: skip


def partner_aggregate(
    service: Service, partner_id: str, bbox: tuple[float, float, float, float], res: int
) -> DensityCollection:
    """What a partner sees for ``bbox`` (:func:`api.services.density_access.partner_counts`): the
    resolution capped at the partner's coarsest, whole cells, live points only."""
    settings = service.settings
    res = min(res, settings.density_partner_resolution)
    cells = partner_counts(density_model(service).counts, service, partner_id, bbox, res,
                           min_points=settings.density_partner_min_points)  # fmt: skip
    features = [
        DensityFeature(id=c.cell, geometry={"type": "Point", "coordinates": [c.lon, c.lat]},
                       properties=DensityProperties(count=c.live, live=c.live))
        for c in cells
    ]  # fmt: skip
    live = sum(c.live for c in cells)
    return DensityCollection(resolution=res, total=live, live=live, features=features)


@router.get("/density", response_model=DensityCollection,
            summary="Point counts per H3 cell (the national view)")  # fmt: skip
async def density(
    bbox: str = Query(description="minlon,minlat,maxlon,maxlat (WGS84; minlon > maxlon: "
                      "across 180)", examples=["19.6,41.1,-169.0,81.9"]),
    resolution: int | None = Query(None, description="H3 resolution 2-6; default from the "
                                   "bbox size (bigger bbox, coarser cells)"),
    caller: Caller = Depends(get_caller),
    service: Service = Depends(get_service),
) -> DensityCollection:  # fmt: skip
    """Every point inside ``bbox`` counted per H3 cell: ``count`` (all points, any kind
    and status) and ``live`` (a protecting kind and status, per the service's policy), the
    cell centre as the geometry. Current: the changes since the last request are applied
    first. A partner key gets whole cells touching the bbox, no finer than resolution
    ``PVZ_DENSITY_PARTNER_RESOLUTION`` (5), live points only (``count`` = ``live``), and only
    cells holding at least ``PVZ_DENSITY_PARTNER_MIN_POINTS`` (5) live points of other
    owners: nothing that locates another partner's point or tells its status."""
    box = parse_bbox(bbox)
    assert box is not None
    if resolution is None:
        resolution = default_resolution(box)
    elif not MIN_RESOLUTION <= resolution <= MAX_RESOLUTION:
        raise InputError(f"resolution must be {MIN_RESOLUTION} to {MAX_RESOLUTION}",
                         column="resolution")  # fmt: skip

    if caller.role == "partner" and caller.partner_id:
        return await run_in_threadpool(partner_aggregate, service, caller.partner_id, box,
                                       resolution)  # fmt: skip

    def run() -> DensityCollection:
        return aggregate(service, box, resolution)

    return await run_in_threadpool(run)
