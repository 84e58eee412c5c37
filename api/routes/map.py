"""``/map``: the expansion team's map UI (a Leaflet page, offline) and its small data files.

Besides the page: ``/map/config.json`` (the base map's tile URL and attribution, the policy's
protecting kinds and statuses: who draws a circle), ``/map/me.json`` (the caller's role, so
the page offers only what the key may do) and ``/map/violations.json`` (the audit's pairs with
their coordinates, for the violations layer). All read-only.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Literal

import numpy as np
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.routing import NoMatchFound

from api.auth import EXPANSION, Caller, get_caller, get_service
from api.errors import error_response
from api.geocoder import GeocoderError, geocode
from api.routes import protection as protection_routes
from api.service import Service
from api.services.planning import network_model
from data.errors import NotFoundError
from data.places import load_places
from data.regions import region_of
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


@router.get("/map/config.json", summary="Map UI configuration", include_in_schema=False)
async def map_config(request: Request, service: Service = Depends(get_service)) -> JSONResponse:
    """The base map (``PVZ_TILE_URL``, ``PVZ_TILE_ATTRIBUTION``; empty URL: none), the
    policy's protecting kinds and statuses (only those points draw a protection circle) and
    which optional services this server has (``whitespace``, ``scoring``: the page offers
    their layers without reading the OpenAPI document)."""
    pol = service.policy

    def has(route: str, path: str) -> bool:
        try:
            return str(request.app.url_path_for(route)) == path
        except NoMatchFound:
            return False

    body = {
        "tile_url": service.settings.tile_url.strip(),
        "tile_attribution": service.settings.tile_attribution,
        "protecting_kinds": list(pol.protecting_kinds),
        "protecting_statuses": list(pol.protecting_statuses),
        "kinds": list(pol.kinds),
        "max_page": service.settings.max_page,
        "geocoder": bool(service.settings.geocoder_url.strip()),
        "whitespace": has("whitespace", "/v1/whitespace"),
        "scoring": has("score_candidates", "/v1/candidates/score"),
    }
    return JSONResponse(body, headers={"Cache-Control": "no-cache"})


@router.get("/map/geocode.json", summary="Address search (the configured geocoder)",
            include_in_schema=False)  # fmt: skip
async def map_geocode(
    q: str = Query(min_length=3, max_length=200, description="address text"),
    lang: Literal["ru", "en"] = Query("ru", description="language of the names"),
    caller: Caller = Depends(get_caller),
    service: Service = Depends(get_service),
) -> JSONResponse:
    """Places for an address from the Nominatim-compatible geocoder at ``PVZ_GEOCODER_URL``:
    ``[{name, lat, lon}]``, best first, at most 5. 404 when no geocoder is configured (the
    default), 502 when it does not answer or answers nonsense."""
    del caller  # any valid key
    base = service.settings.geocoder_url.strip()
    if not base:
        return error_response(404, "not_found", "address search is off: no geocoder is "
                              "configured (PVZ_GEOCODER_URL)")  # fmt: skip
    try:
        places = await run_in_threadpool(geocode, base, q.strip(), language=lang)
    except GeocoderError as exc:
        return error_response(502, "geocoder_error", str(exc))
    return JSONResponse([{"name": p.name, "lat": p.lat, "lon": p.lon} for p in places])


@router.get("/map/me.json", summary="Who the map's key belongs to", include_in_schema=False)
async def map_me(caller: Caller = Depends(get_caller)) -> JSONResponse:
    """The caller's role and partner id: the page shows a partner its own applications and
    no approve/reject buttons."""
    return JSONResponse({"role": caller.role, "partner_id": caller.partner_id})


@router.get("/map/violations.json", summary="Audit pairs with coordinates",
            include_in_schema=False)  # fmt: skip
async def map_violations(
    caller: Caller = Depends(EXPANSION),
    service: Service = Depends(get_service),
) -> JSONResponse:
    """``GET /v1/protection/audit`` (every pair of live points closer than its radius) with
    both points' coordinates: ``[{a_id, b_id, distance_m, radius_m, a: [lat, lon], b: [lat,
    lon]}]``, nearest first, at most 5,000."""
    res = await protection_routes.audit(caller=caller, service=service)
    pairs: list[dict[str, Any]] = json.loads(bytes(res.body))[:5000]

    def run() -> list[dict[str, Any]]:
        pts = network_model(service).points()
        where = dict(zip(pts["id"].astype(str), zip(pts["lat"], pts["lon"], strict=True),
                         strict=True))  # fmt: skip
        for pid in {i for p in pairs for i in (p["a_id"], p["b_id"])} - where.keys():
            try:  # newer than the snapshot
                pt = service.get_point(pid)
            except NotFoundError:
                continue
            where[pid] = (pt.lat, pt.lon)
        out = []
        for p in pairs:
            a, b = where.get(p["a_id"]), where.get(p["b_id"])
            if a is None or b is None:
                continue
            out.append({**p, "a": [float(a[0]), float(a[1])], "b": [float(b[0]), float(b[1])]})
        return out

    return JSONResponse(await run_in_threadpool(run))


@functools.lru_cache(maxsize=2)
def _settlements(crimea: bool) -> list[list[Any]]:
    p = load_places(crimea=crimea)
    tz = p["tz"] if "tz" in p else [""] * len(p)
    rows = []
    for a, b, c, d, e, r, cc, a1 in zip(p["name"], p["name_ru"], p["lat"], p["lon"],
                                        p["population"], tz, p["country"], p["admin1"],
                                        strict=True):  # fmt: skip
        reg = region_of(str(cc), str(a1))
        rows.append([str(a), str(b), round(float(c), 5), round(float(d), 5), int(e),
                     "" if r is None or r != r else str(r),
                     reg.name_ru if reg else "", reg.name_en if reg else ""])  # fmt: skip
    return rows


@router.get(
    "/map/settlements.json", summary="Settlements for the map search", include_in_schema=False
)
async def settlements(service: Service = Depends(get_service)) -> JSONResponse:
    """Bundled settlements as ``[name, name_ru, lat, lon, population, time zone, region_ru,
    region_en]`` rows (GeoNames, CC BY; regions: ``data/regions_ru.csv``), most populous
    first; the region tells apart places of one name (several Первомайский). Crimea as the
    service's settings say (``settlements_crimea``)."""
    crimea = service.settings.settlements_crimea
    return JSONResponse(await run_in_threadpool(_settlements, crimea),
                        headers={"Cache-Control": "max-age=86400"})  # fmt: skip


@functools.lru_cache(maxsize=2)
def _demand(crimea: bool) -> list[list[float]]:
    from planning.demand import settlement_demand

    with np.errstate(invalid="ignore", divide="ignore"):
        dem = settlement_demand(load_places(crimea=crimea), resolution=6)
    w = np.sqrt(dem.weight / max(float(dem.weight.max()), 1e-9))
    return [[round(float(a), 4), round(float(b), 4), round(float(c), 3)]
            for a, b, c in zip(dem.lat, dem.lon, w, strict=True) if c > 0.01]  # fmt: skip


@router.get("/map/demand.json", summary="Demand heat for the map", include_in_schema=False)
async def demand(service: Service = Depends(get_service)) -> JSONResponse:
    """The settlement demand surface (H3 resolution 6) as ``[lat, lon, weight 0..1]`` rows;
    Crimea as the service's settings say (``settlements_crimea``)."""
    crimea = service.settings.settlements_crimea
    return JSONResponse(await run_in_threadpool(_demand, crimea),
                        headers={"Cache-Control": "max-age=86400"})  # fmt: skip
