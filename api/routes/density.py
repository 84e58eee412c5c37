"""``GET /v1/points/density``: the network aggregated into H3 cells for the national view.

Counts reveal no ids, owners or exact places, so every role (a partner too) gets the
counts of the whole network, not only its own points. The aggregate is computed on each
request from the store: the points inside the bbox are read in id-ordered pages (the same
``Store.list_points`` that backs ``GET /v1/points``) and counted per cell with h3 and
numpy; no cache, so it is never stale.
"""

from __future__ import annotations

import h3
import numpy as np
from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from api.auth import Caller, get_caller, get_service
from api.errors import ERROR_RESPONSES
from api.routes.points import parse_bbox
from api.schemas_density import DensityCollection, DensityFeature, DensityProperties
from api.service import Service
from data.errors import InputError
from data.store import Store
from planning.protection import ProtectionPolicy

__all__ = ["MAX_RESOLUTION", "MIN_RESOLUTION", "aggregate", "default_resolution", "router"]

# a separate router: it must be included before ``points`` (whose ``/{point_id}`` matches too)
router = APIRouter(prefix="/v1/points", tags=["points"], responses=ERROR_RESPONSES)

MIN_RESOLUTION, MAX_RESOLUTION = 2, 6
_PAGE = 50_000
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


def aggregate(
    store: Store, policy: ProtectionPolicy, bbox: tuple[float, float, float, float], res: int
) -> DensityCollection:
    """Count every point inside ``bbox`` per H3 cell of resolution ``res``."""
    lat: list[float] = []
    lon: list[float] = []
    kind: list[str] = []
    status: list[str] = []
    after: str | None = None
    while True:
        page = store.list_points(bbox=bbox, limit=_PAGE, after=after)
        for p in page:
            lat.append(p.lat)
            lon.append(p.lon)
            kind.append(p.kind)
            status.append(p.status)
        if len(page) < _PAGE:
            break
        after = page[-1].id
    if not lat:
        return DensityCollection(resolution=res, total=0, live=0, features=[])
    cells = np.array([h3.latlng_to_cell(a, o, res) for a, o in zip(lat, lon, strict=True)])
    live = policy.protects(kind, status)
    uniq, inv = np.unique(cells, return_inverse=True)
    counts = np.bincount(inv, minlength=len(uniq))
    lives = np.bincount(inv, weights=live.astype(np.float64), minlength=len(uniq))
    features = []
    for cell, n, m in zip(uniq.tolist(), counts.tolist(), lives.tolist(), strict=True):
        clat, clon = h3.cell_to_latlng(cell)
        features.append(DensityFeature(
            id=cell, geometry={"type": "Point", "coordinates": [clon, clat]},
            properties=DensityProperties(count=n, live=round(m)),
        ))  # fmt: skip
    return DensityCollection(resolution=res, total=len(lat), live=int(live.sum()),
                             features=features)  # fmt: skip


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
    cell centre as the geometry. Counts cover the whole network for every role, a partner
    too: they reveal no ids. Computed from the store on each request."""
    del caller  # any valid key
    box = parse_bbox(bbox)
    assert box is not None
    if resolution is None:
        resolution = default_resolution(box)
    elif not MIN_RESOLUTION <= resolution <= MAX_RESOLUTION:
        raise InputError(f"resolution must be {MIN_RESOLUTION} to {MAX_RESOLUTION}",
                         column="resolution")  # fmt: skip
    return await run_in_threadpool(aggregate, service.store, service.policy, box, resolution)
