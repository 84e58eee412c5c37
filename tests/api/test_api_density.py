"""GET /v1/points/density: point counts per H3 cell, recounted here with numpy and h3."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h3
import numpy as np
import pytest
from apikit import Api, error, running_app

from data.store import Point
from geo.settlements import SettlementLookup
from planning.protection import ProtectionPolicy

KINDS = ["partner", "own", "postamat"]
STATUSES = ["active", "paused", "closed"]


def _points() -> list[Point]:
    """400 points over European Russia and 60 in Chukotka on both sides of 180."""
    rng = np.random.default_rng(7)
    lat = np.r_[rng.uniform(50, 62, 400), rng.uniform(64, 68, 60)]
    lon = np.r_[rng.uniform(30, 50, 400), rng.uniform(172, 188, 60)]
    lon = (lon + 180) % 360 - 180
    kind = rng.choice(KINDS, len(lat))
    status = rng.choice(STATUSES, len(lat))
    return [Point(id=f"D{i:04d}", lat=float(lat[i]), lon=float(lon[i]), radius_m=500.0,
                  kind=str(kind[i]), status=str(status[i]), partner_id="acme" if i % 2 else None)
            for i in range(len(lat))]  # fmt: skip


POINTS = _points()


@pytest.fixture
def api(tmp_path: Path, settlements: SettlementLookup) -> Iterator[Api]:
    url = f"sqlite:///{tmp_path / 'pvz.db'}"
    with running_app(url, settlements, POINTS) as (client, service):
        yield Api(client, service, {"partner": "acme"})


def _recount(pts: list[Point], res: int) -> dict[str, tuple[int, int]]:
    cells = np.array([h3.latlng_to_cell(p.lat, p.lon, res) for p in pts])
    live = ProtectionPolicy().protects([p.kind for p in pts], [p.status for p in pts])
    out = {}
    for c in np.unique(cells):
        sel = cells == c
        out[str(c)] = (int(sel.sum()), int(live[sel].sum()))
    return out


def _got(fc: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {f["id"]: (f["properties"]["count"], f["properties"]["live"]) for f in fc["features"]}


@pytest.mark.parametrize("res", [2, 4, 6])
def test_counts_match_a_recount(api: Api, res: int) -> None:
    r = api.call("GET", f"/v1/points/density?bbox=29,49,51,63&resolution={res}", "expansion")
    assert r.status_code == 200, r.text
    fc = r.json()
    inside = [p for p in POINTS if 29 <= p.lon <= 51 and 49 <= p.lat <= 63]
    assert len(inside) == 400
    assert fc["type"] == "FeatureCollection" and fc["resolution"] == res
    assert _got(fc) == _recount(inside, res)
    assert fc["total"] == 400 == sum(f["properties"]["count"] for f in fc["features"])
    assert fc["live"] == sum(v[1] for v in _recount(inside, res).values())
    f = fc["features"][0]
    lat, lon = h3.cell_to_latlng(f["id"])
    assert f["geometry"] == {"type": "Point", "coordinates": [lon, lat]}


def test_across_the_antimeridian(api: Api) -> None:
    r = api.call("GET", "/v1/points/density?bbox=170,60,-170,70&resolution=3", "expansion")
    assert r.status_code == 200, r.text
    chukotka = [p for p in POINTS if p.lat > 63]
    assert {p.lon > 0 for p in chukotka} == {True, False}  # both sides of 180
    fc = r.json()
    assert fc["total"] == 60
    assert _got(fc) == _recount(chukotka, 3)
    # a bbox that does not cross 180 finds none of them
    r = api.call("GET", "/v1/points/density?bbox=-170,63,170,70&resolution=3", "expansion")
    assert r.json()["total"] == 0 and r.json()["features"] == []


def test_default_resolution_and_every_role(api: Api) -> None:
    national = "19,41,-169,82"  # crosses 180: the whole country
    for who in ("admin", "expansion"):  # staff see the counts of all points
        fc = api.call("GET", f"/v1/points/density?bbox={national}", who).json()
        assert fc["resolution"] == 2 and fc["total"] == len(POINTS)
    # a partner: live points only, in whole cells of at least 5 live points of others
    # (tests/api/test_api_density_privacy.py)
    fc = api.call("GET", f"/v1/points/density?bbox={national}", "partner").json()
    assert fc["resolution"] == 2 and 0 < fc["total"] == fc["live"] < len(POINTS)
    assert api.call("GET", "/v1/points/density?bbox=37,55,38,56", "admin").json()["resolution"] == 5
    assert api.call("GET", "/v1/points/density?bbox=37.5,55.7,37.7,55.8", "admin").json()[
        "resolution"] == 6  # fmt: skip


@pytest.mark.parametrize("query", [
    "", "bbox=1,2,3", "bbox=a,b,c,d", "bbox=0,10,1,5", "bbox=-181,0,1,1", "bbox=0,0,1,nan",
    "bbox=0,0,1,1&resolution=1", "bbox=0,0,1,1&resolution=7", "bbox=0,0,1,1&resolution=x",
])  # fmt: skip
def test_bad_input_is_422(api: Api, query: str) -> None:
    error(api.call("GET", f"/v1/points/density?{query}", "expansion"), 422)


def test_unknown_or_missing_key_is_401(api: Api) -> None:
    error(api.call("GET", "/v1/points/density?bbox=0,0,1,1", "not-a-key"), 401)
    error(api.call("GET", "/v1/points/density?bbox=0,0,1,1", None), 401)


def test_documented_in_openapi(api: Api) -> None:
    spec = api.call("GET", "/openapi.json", None).json()
    op = spec["paths"]["/v1/points/density"]["get"]
    assert "DensityCollection" in str(op["responses"]["200"])
    assert "example" in spec["components"]["schemas"]["DensityCollection"]


def test_counts_follow_every_change_at_once(api: Api) -> None:
    # the density model applies the audit log's point entries on each request: a new point,
    # a move, a status change are counted by the next request, with no re-read of the store
    from api.services.density import density_model

    url = "/v1/points/density?bbox=100,60,101,61&resolution=4"
    assert api.call("GET", url, "expansion").json()["total"] == 0
    body = {"id": "NEW1", "lat": 60.5, "lon": 100.5, "radius_m": 1000.0}
    assert api.call("POST", "/v1/points", "admin", json=body).status_code == 201
    fc = api.call("GET", url, "expansion").json()
    assert fc["total"] == 1 and fc["live"] == 1
    assert api.call("PATCH", "/v1/points/NEW1", "admin",
                    json={"status": "closed"}).status_code == 200  # fmt: skip
    fc = api.call("GET", url, "expansion").json()
    assert fc["total"] == 1 and fc["live"] == 0  # still a point, no longer protecting
    # a point of the base closed: its cell keeps the point but loses a live one
    old = next(p for p in POINTS if p.kind == "partner" and p.status == "active")
    assert api.call("PATCH", f"/v1/points/{old.id}", "admin",
                    json={"status": "closed"}).status_code == 200  # fmt: skip
    every = "/v1/points/density?bbox=-180,-90,180,90&resolution=3"
    got = _got(api.call("GET", every, "expansion").json())
    assert density_model(api.service).applied == 3  # one point entry each, no re-read
    want = _recount([*(p for p in POINTS if p.id != old.id),
                     Point(id=old.id, lat=old.lat, lon=old.lon, radius_m=500.0, kind=old.kind,
                           status="closed"),
                     Point(id="NEW1", lat=60.5, lon=100.5, radius_m=1000.0, kind="partner",
                           status="closed")], 3)  # fmt: skip
    assert got == want


@pytest.mark.parametrize("res", [2, 3, 5])
def test_any_bbox_matches_a_recount(api: Api, res: int) -> None:
    """Boxes that cut cells, boxes across 180, after changes: the per-cell totals plus the
    point-by-point count of the cells a box's edge cuts equal a recount of every point."""
    for i in range(0, 40, 7):  # changes first: points close, new ones open (across 180 too)
        p = POINTS[i]
        patch = {"status": "closed" if p.status != "closed" else "active"}
        assert api.call("PATCH", f"/v1/points/{p.id}", "admin", json=patch).status_code == 200
        body = {"id": f"N{i}", "lat": 50.0 + i / 3, "lon": -179.9 if i % 2 else 30.0 + i / 2,
                "radius_m": 500.0, "override_reason": "density test"}  # fmt: skip
        r = api.call("POST", "/v1/points", "admin", json=body)
        assert r.status_code == 201, r.text
    now = api.service.list_points(limit=10_000)
    assert len(now) == len(POINTS) + 6
    rng = np.random.default_rng(res)
    boxes = [(170.0, 63.0, -175.0, 69.0), (179.0, 60.0, -179.5, 70.0), (-180.0, -90.0, 180.0, 90.0)]
    for _ in range(12):
        lo1, lo2 = sorted(rng.uniform(28, 52, 2))
        la1, la2 = sorted(rng.uniform(48, 64, 2))
        boxes.append((float(lo1), float(la1), float(lo2), float(la2)))
    for box in boxes:
        minlon, minlat, maxlon, maxlat = box
        inside = [
            p
            for p in now
            if minlat <= p.lat <= maxlat
            and (
                minlon <= p.lon <= maxlon
                if minlon <= maxlon
                else p.lon >= minlon or p.lon <= maxlon
            )
        ]
        q = ",".join(f"{v:.6f}" for v in box)
        fc = api.call("GET", f"/v1/points/density?bbox={q}&resolution={res}", "expansion").json()
        assert _got(fc) == _recount(inside, res), box
        assert fc["total"] == len(inside)
