"""``/map``: the expansion team's map UI (a Leaflet page, offline) and its small data files."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from data.places import load_places
from maps.assets import STATIC_DIR

__all__ = ["STATIC_URL", "router"]

router = APIRouter(tags=["map"])

#: where api.app mounts ``maps/static`` (vendored Leaflet, the UI's JS and CSS)
STATIC_URL = "/map/static"


@router.get("/map", response_class=HTMLResponse, summary="The map UI")
async def map_page() -> HTMLResponse:
    """The expansion team's map UI: the network by view, protection checks, applications."""
    html = (STATIC_DIR / "ui" / "index.html").read_text(encoding="utf-8")
    return HTMLResponse(html, headers={"Cache-Control": "no-cache"})


@functools.lru_cache(maxsize=1)
def _settlements() -> list[list[Any]]:
    p = load_places()
    return [[str(a), str(b), round(float(c), 5), round(float(d), 5), int(e)]
            for a, b, c, d, e in zip(p["name"], p["name_ru"], p["lat"], p["lon"],
                                     p["population"], strict=True)]  # fmt: skip


@router.get(
    "/map/settlements.json", summary="Settlements for the map search", include_in_schema=False
)
async def settlements() -> JSONResponse:
    """Bundled settlements as ``[name, name_ru, lat, lon, population]`` rows (GeoNames, CC BY)."""
    return JSONResponse(await run_in_threadpool(_settlements),
                        headers={"Cache-Control": "max-age=86400"})  # fmt: skip


@functools.lru_cache(maxsize=1)
def _demand() -> list[list[float]]:
    from planning.demand import settlement_demand

    with np.errstate(invalid="ignore", divide="ignore"):
        dem = settlement_demand(load_places(), resolution=6)
    w = np.sqrt(dem.weight / max(float(dem.weight.max()), 1e-9))
    return [[round(float(a), 4), round(float(b), 4), round(float(c), 3)]
            for a, b, c in zip(dem.lat, dem.lon, w, strict=True) if c > 0.01]  # fmt: skip


@router.get("/map/demand.json", summary="Demand heat for the map", include_in_schema=False)
async def demand() -> JSONResponse:
    """The settlement demand surface (H3 resolution 6) as ``[lat, lon, weight 0..1]`` rows."""
    return JSONResponse(await run_in_threadpool(_demand),
                        headers={"Cache-Control": "max-age=86400"})  # fmt: skip
