"""GET /v1/points/density for a partner key: nothing that locates another partner's point or
tells its status (api/services/density_access.py), on SQLite and PostGIS."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import h3
import numpy as np
import pytest
from apikit import Api, running_app

from api.services.density_access import grow, touching
from data.store import Point
from geo.settlements import SettlementLookup

# partner A's lone point in the far east; a cluster of 12 live points of "c" near Moscow
LONE = (50.7396, 136.6339)


def _points() -> list[Point]:
    rng = np.random.default_rng(3)
    pts = [Point(id="A1", lat=LONE[0], lon=LONE[1], radius_m=500.0, kind="partner",
                 status="active", partner_id="pa")]  # fmt: skip
    for i in range(12):
        pts.append(Point(id=f"C{i:02d}", lat=55.75 + rng.uniform(-0.01, 0.01),
                         lon=37.62 + rng.uniform(-0.01, 0.01), radius_m=500.0, kind="partner",
                         status="active", partner_id="pc"))  # fmt: skip
    # B's own points beside the cluster and a closed point of "c"
    pts.append(Point(id="B1", lat=55.751, lon=37.621, radius_m=500.0, kind="partner",
                     status="active", partner_id="pb"))  # fmt: skip
    pts.append(Point(id="C99", lat=55.752, lon=37.622, radius_m=500.0, kind="partner",
                     status="closed", partner_id="pc"))  # fmt: skip
    return pts


@pytest.fixture
def api(store_url: str, settlements: SettlementLookup) -> Iterator[Api]:
    with running_app(store_url, settlements, _points()) as (client, service):
        yield Api(client, service, {"a": "pa", "b": "pb"})


def _density(api: Api, who: str, bbox: str, res: int | None = None) -> dict[str, Any]:
    url = f"/v1/points/density?bbox={bbox}" + (f"&resolution={res}" if res else "")
    r = api.call("GET", url, who)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


TINY = "136.6338,50.7395,136.6340,50.7397"  # the tester's bisection end


def test_a_tiny_bbox_around_another_partners_point_reveals_nothing(api: Api) -> None:
    assert _density(api, "expansion", TINY, 6)["total"] == 1  # staff see it
    for res in (None, 2, 4, 5, 6):
        fc = _density(api, "b", TINY, res)
        assert fc["total"] == 0 and fc["live"] == 0 and fc["features"] == []
    # nor does a bbox beside it, or the whole country: the lone point is below k
    national = _density(api, "b", "19,41,-169,82")
    assert national["total"] == 13  # the Moscow cluster only
    assert h3.latlng_to_cell(*LONE, national["resolution"]) not in [
        f["id"] for f in national["features"]]  # fmt: skip
    assert _density(api, "b", "130,45,140,55", 5)["total"] == 0


def test_bisection_learns_nothing_finer_than_a_whole_cell(api: Api) -> None:
    # the cluster of 12 (above k=5): any bbox touching its cell gets the same whole-cell count
    answers = set()
    for half in (0.5, 0.05, 0.005, 0.0005, 1e-7):
        box = f"{37.62 - half},{55.75 - half},{37.62 + half},{55.75 + half}"
        fc = _density(api, "b", box, 6)
        assert fc["resolution"] == 5  # finer requests are answered at the partner's coarsest
        answers.add(tuple((f["id"], f["properties"]["count"]) for f in fc["features"]))
    assert len(answers) == 1
    ((cell, n),) = answers.pop()
    assert cell == h3.latlng_to_cell(55.75, 37.62, 5) and n == 13  # 12 of "c" + B1, no closed
    # a bbox that only touches the cell's edge, holding none of its points, gets it whole too
    lat, lon = h3.cell_to_boundary(cell)[0]
    edge = _density(api, "b", f"{lon - 1e-6},{lat - 1e-6},{lon + 1e-6},{lat + 1e-6}", 5)
    assert (edge["features"][0]["id"], edge["total"]) == (cell, 13)


def test_total_and_live_do_not_reveal_a_status(api: Api) -> None:
    box = "37.5,55.7,37.7,55.8"
    staff = _density(api, "expansion", box, 5)
    assert staff["total"] == 14 and staff["live"] == 13  # the closed point counts for staff
    fc = _density(api, "b", box, 5)
    assert fc["total"] == fc["live"] == 13
    assert all(f["properties"]["count"] == f["properties"]["live"] for f in fc["features"])
    # pausing stays live, closing one more changes the count only as a whole live cell
    r = api.call("PATCH", "/v1/points/C00", "admin", json={"status": "closed"})
    assert r.status_code == 200, r.text
    after = _density(api, "b", box, 5)
    assert after["total"] == after["live"] == 12


def test_k_counts_other_owners_only(api: Api) -> None:
    # A partner owning most of a cell cannot learn the few other points in it: close 8 of
    # "c"'s 12, leaving 4 others + B1 = 5 live; B sees 4 others < k, so nothing
    for i in range(8):
        r = api.call("PATCH", f"/v1/points/C{i:02d}", "admin", json={"status": "closed"})
        assert r.status_code == 200, r.text
    box = "37.5,55.7,37.7,55.8"
    assert _density(api, "b", box, 5)["features"] == []
    assert _density(api, "a", box, 5)["total"] == 5  # A owns none there: 5 others >= k
    assert _density(api, "expansion", box, 5)["live"] == 5


def test_grow_and_touching_across_180() -> None:
    box = grow((179.9, 60.0, -179.9, 61.0), 50.0)
    assert box[0] > box[2] and box[0] < 179.9 and box[2] > -179.9
    assert touching(60.5, 180.0, box) and touching(60.5, -179.5, box)
    assert not touching(60.5, 0.0, box)
    assert grow((-179.0, 0.0, 179.0, 1.0), 500.0)[::2] == (-180.0, 180.0)
    d = 10 / 110.5
    assert grow((0.0, 88.9, 1.0, 89.5), 10.0) == (-180.0, 88.9 - d, 180.0, 89.5 + d)
