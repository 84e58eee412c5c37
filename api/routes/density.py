"""``GET /v1/points/density``: the network aggregated into H3 cells for the national view.

Counts reveal no ids, owners or exact places, so every role (a partner too) gets the
counts of the whole network, not only its own points. The counts come from the service's
snapshot of the stored points (:meth:`api.network_model.NetworkModel.points`: re-read when
a point changed and the copy is at least 30 s old, so counts may lag writes by that much)
with each point's H3 cell computed once per snapshot and resolution; a request filters by
bbox and counts, in milliseconds at national scale.
"""

from __future__ import annotations

import logging
import threading

import h3
import numpy as np
import numpy.typing as npt
import pandas as pd
from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from api.auth import Caller, get_caller, get_service
from api.errors import ERROR_RESPONSES
from api.network_model import network_model
from api.schemas_density import DensityCollection, DensityFeature, DensityProperties
from api.service import Service
from data.bbox import parse_bbox
from data.errors import InputError
from planning.protection import ProtectionPolicy

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


_cells_lock = threading.Lock()
_cells_of: tuple[pd.DataFrame, dict[int, npt.NDArray[np.uint64]]] | None = None


def _cells(points: pd.DataFrame, res: int) -> npt.NDArray[np.uint64]:
    """The H3 cell (as an integer) containing each point of this snapshot at ``res``,
    computed once per snapshot and resolution."""
    global _cells_of
    with _cells_lock:
        if _cells_of is None or _cells_of[0] is not points:
            _cells_of = (points, {})
        by_res = _cells_of[1]
        if res not in by_res:
            lat = points["lat"].to_numpy(dtype=np.float64).tolist()
            lon = points["lon"].to_numpy(dtype=np.float64).tolist()
            by_res[res] = np.fromiter(
                (h3.str_to_int(h3.latlng_to_cell(a, o, res))
                 for a, o in zip(lat, lon, strict=True)),
                dtype=np.uint64, count=len(lat),
            )  # fmt: skip
        return by_res[res]


def warm_up(service: Service) -> threading.Thread:
    """Read the points snapshot and compute its H3 cells at every resolution in a background
    thread, so the first national view of the map does not wait for them (at 250,000 points
    the cold first request took about 20 s, the warm one under 1 s; bench/README.md)."""

    def run() -> None:
        try:
            points = network_model(service).points()
            for res in range(MIN_RESOLUTION, MAX_RESOLUTION + 1):
                _cells(points, res)
        except Exception:  # a warm-up only: the first request computes what is missing
            log.warning("density warm-up failed", exc_info=True)

    thread = threading.Thread(target=run, name="density-warm-up", daemon=True)
    thread.start()
    return thread


def aggregate(
    points: pd.DataFrame,
    policy: ProtectionPolicy,
    bbox: tuple[float, float, float, float],
    res: int,
) -> DensityCollection:
    """Count every point inside ``bbox`` per H3 cell of resolution ``res``.

    ``points`` is a snapshot of the store (``id, lat, lon, kind, status``, ...): the
    service's :meth:`~api.network_model.NetworkModel.points`, re-read when points changed
    and the copy is at least 30 s old.
    """
    minlon, minlat, maxlon, maxlat = bbox
    lat = points["lat"].to_numpy(dtype=np.float64)
    lon = points["lon"].to_numpy(dtype=np.float64)
    inside = (lat >= minlat) & (lat <= maxlat)
    if minlon <= maxlon:
        inside &= (lon >= minlon) & (lon <= maxlon)
    else:  # across the antimeridian
        inside &= (lon >= minlon) | (lon <= maxlon)
    idx = np.flatnonzero(inside)
    if idx.size == 0:
        return DensityCollection(resolution=res, total=0, live=0, features=[])
    live = policy.protects(points["kind"].to_numpy()[idx], points["status"].to_numpy()[idx])
    uniq, inv = np.unique(_cells(points, res)[idx], return_inverse=True)
    counts = np.bincount(inv, minlength=len(uniq))
    lives = np.bincount(inv, weights=live.astype(np.float64), minlength=len(uniq))
    features = []
    for cell_int, n, m in zip(uniq.tolist(), counts.tolist(), lives.tolist(), strict=True):
        cell = h3.int_to_str(cell_int)
        clat, clon = h3.cell_to_latlng(cell)
        features.append(DensityFeature(
            id=cell, geometry={"type": "Point", "coordinates": [clon, clat]},
            properties=DensityProperties(count=n, live=round(m)),
        ))  # fmt: skip
    return DensityCollection(resolution=res, total=int(idx.size), live=int(live.sum()),
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

    def run() -> DensityCollection:
        return aggregate(network_model(service).points(), service.policy, box, resolution)

    return await run_in_threadpool(run)
