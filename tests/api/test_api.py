"""The HTTP API: every endpoint, every role, partner isolation, every class of bad input."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from apikit import MOSCOW, Api, error, near, running_app

from data.store import Point
from geo.settlements import SettlementLookup


@pytest.fixture
def api(
    request: pytest.FixtureRequest, tmp_path: Path, settlements: SettlementLookup
) -> Iterator[Api]:
    """A client of an app on SQLite (or PostGIS: ``indirect`` parameter ``"postgis"``)."""
    if getattr(request, "param", "sqlite") == "postgis":
        pg, template = request.getfixturevalue("pg_template")
        url = pg.clone_database(template)
    else:
        url = f"sqlite:///{tmp_path / 'pvz.db'}"
    points = [
        Point(id="P1", lat=MOSCOW[0], lon=MOSCOW[1], radius_m=500.0, partner_id="acme"),
        Point(id="P2", lat=59.9386, lon=30.3141, radius_m=500.0, partner_id="globex"),
        Point(id="P3", lat=65.0, lon=179.99, radius_m=1000.0, status="closed"),
    ]
    with running_app(url, settlements, points, max_batch=1000, max_body_bytes=200_000) as (
        client,
        service,
    ):
        yield Api(client, service, {"partner": "acme", "other": "globex"})


# ---------------------------------------------------------------- health, auth, keys
def test_health(api: Api) -> None:
    # the size of the network is for staff: without a key (or with a wrong or partner key)
    # only liveness
    for who in (None, "wrong-key", "partner"):
        r = api.call("GET", "/health", who)
        assert r.status_code == 200
        assert r.json() == {"status": "ok", "backend": "sqlite"}
    for who in ("admin", "expansion"):
        assert api.call("GET", "/health", who).json() == {
            "status": "ok", "backend": "sqlite", "live_points": 2, "reservations": 0}  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/v1/protection/check"), ("POST", "/v1/protection/check-batch"),
     ("GET", "/v1/points"), ("GET", "/v1/points/P1"), ("POST", "/v1/points"),
     ("PATCH", "/v1/points/P1"), ("POST", "/v1/applications"), ("GET", "/v1/applications"),
     ("POST", "/v1/applications/A-x/approve"), ("POST", "/v1/keys"), ("GET", "/v1/audit-log"),
     ("GET", "/v1/protection/audit")],
)  # fmt: skip
@pytest.mark.parametrize("key", [None, "wrong-key"])
def test_missing_or_unknown_key_is_401(api: Api, method: str, path: str, key: str | None) -> None:
    r = api.call(method, path, key, json={})
    error(r, 401, "unauthenticated")
    assert r.headers["www-authenticate"] == "ApiKey"


ROLE_TABLE = [
    # (method, path, body, roles allowed)
    ("POST", "/v1/protection/check", {"lat": 60.0, "lon": 60.0}, {"admin", "expansion", "partner"}),
    ("POST", "/v1/protection/check-batch", {"candidates": [{"lat": 60.0, "lon": 60.0}]},
     {"admin", "expansion"}),
    ("GET", "/v1/points", None, {"admin", "expansion", "partner"}),
    ("POST", "/v1/points", {"lat": 61.0, "lon": 61.0}, {"admin", "expansion"}),
    ("PATCH", "/v1/points/P2", {"rating": 4.5}, {"admin", "expansion"}),
    ("POST", "/v1/applications", {"lat": 62.0, "lon": 62.0}, {"partner"}),
    ("GET", "/v1/applications", None, {"admin", "expansion", "partner"}),
    ("POST", "/v1/keys", {"role": "expansion"}, {"admin"}),
    ("GET", "/v1/audit-log", None, {"admin"}),
    ("GET", "/v1/protection/audit", None, {"admin", "expansion"}),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ROLE_TABLE)
@pytest.mark.parametrize("role", ["admin", "expansion", "partner"])
def test_roles(api: Api, method: str, path: str, body: Any, allowed: set[str], role: str) -> None:
    r = api.call(method, path, role, json=body)
    if role in allowed:
        assert r.status_code in (200, 201), r.text
    else:
        error(r, 403, "forbidden")


def test_keys(api: Api) -> None:
    r = api.call("POST", "/v1/keys", "admin", json={"role": "partner", "partner_id": "x1"})
    assert r.status_code == 201 and r.json()["key"].startswith("pvz_")
    assert r.json()["partner_id"] == "x1" and r.json()["key_id"].startswith("k-")
    new = r.json()["key"]
    assert api.call("GET", "/v1/applications", new).status_code == 200
    error(api.call("POST", "/v1/keys", "admin", json={"role": "partner"}), 422)
    error(api.call("POST", "/v1/keys", "admin", json={"role": "admin", "partner_id": "x"}), 422)
    error(api.call("POST", "/v1/keys", "admin", json={"role": "root"}), 422)
    # stored hashed: the token is nowhere in the database
    with api.service.store._read() as cur:  # type: ignore[attr-defined]
        rows = cur.execute("SELECT * FROM api_keys").fetchall()
    assert new not in str(rows)


# ---------------------------------------------------------------- protection
def test_check(api: Api) -> None:
    lat, lon = near(*MOSCOW, 300.0)
    r = api.call("POST", "/v1/protection/check", "partner", json={"lat": lat, "lon": lon})
    assert r.status_code == 200
    body = r.json()
    assert body["allowed"] is False and body["radius_m"] == 500.0 and body["settlement"] == "Москва"
    assert body["settlement_population"] == 13_010_112
    # a partner sees the distance rounded to 50 m (tests/api/test_onboarding.py), its own
    # point P1 by id, another partner's without (tests/api/test_api_partner_view.py)
    assert body["conflicts"] == [{"point_id": "P1", "kind": "point", "distance_m": 300.0,
                                  "radius_m": 500.0, "reserved_until": None}]  # fmt: skip
    r = api.call("POST", "/v1/protection/check", "other", json={"lat": lat, "lon": lon})
    assert r.json()["conflicts"] == [{"point_id": None, "kind": "point", "distance_m": 300.0,
                                      "radius_m": 500.0, "reserved_until": None}]  # fmt: skip
    r = api.call("POST", "/v1/protection/check", "expansion", json={"lat": lat, "lon": lon})
    assert r.json()["conflicts"] == [{"point_id": "P1", "kind": "point", "distance_m": 300.0,
                                      "radius_m": 500.0, "reserved_until": None}]  # fmt: skip
    r = api.call("POST", "/v1/protection/check", "expansion",
                 json={"lat": lat, "lon": lon, "kind": "postamat"})  # fmt: skip
    assert r.json()["allowed"] is True
    # closed points do not protect; across the antimeridian
    r = api.call("POST", "/v1/protection/check", "partner", json={"lat": 65.0, "lon": -179.995})
    assert r.json()["allowed"] is True and r.json()["settlement"] is None
    assert r.json()["radius_m"] == 1000.0


@pytest.mark.parametrize("api", ["sqlite", "postgis"], indirect=True)
def test_check_batch(api: Api) -> None:
    cands = [{"id": "a", "lat": near(*MOSCOW, 100.0)[0], "lon": MOSCOW[1]},
             {"id": "b", "lat": 50.0, "lon": 50.0}, {"lat": 59.94, "lon": 30.3141}]  # fmt: skip
    r = api.call("POST", "/v1/protection/check-batch", "expansion", json={"candidates": cands})
    assert r.status_code == 200
    body = r.json()
    assert body["n"] == 3 and body["n_allowed"] == 1
    assert [x["id"] for x in body["results"]] == ["a", "b", None]
    assert body["results"][0]["conflicts"][0]["point_id"] == "P1"
    assert body["results"][2]["conflicts"][0]["point_id"] == "P2"
    too_many = {"candidates": [{"lat": 50.0, "lon": 50.0}] * 1001}
    error(api.call("POST", "/v1/protection/check-batch", "expansion", json=too_many), 413)
    r = api.call("POST", "/v1/protection/check-batch", "expansion", json={"candidates": []})
    assert r.json() == {"n": 0, "n_allowed": 0, "results": []}


@pytest.mark.parametrize("api", ["sqlite", "postgis"], indirect=True)
def test_protection_audit(api: Api) -> None:
    assert api.call("GET", "/v1/protection/audit", "expansion").json() == []
    lat, lon = near(*MOSCOW, 100.0)
    body = {"id": "OV", "lat": lat, "lon": lon, "override_reason": "legacy contract"}
    r = api.call("POST", "/v1/points", "admin", json=body)
    assert r.status_code == 201
    pairs = api.call("GET", "/v1/protection/audit", "expansion").json()
    assert len(pairs) == 1 and {pairs[0]["a_id"], pairs[0]["b_id"]} == {"P1", "OV"}
    log = api.call("GET", "/v1/audit-log", "admin").json()
    assert log[-1]["action"] == "point.created.override"
    assert log[-1]["reason"] == "legacy contract" and log[-1]["actor"].startswith("admin:")


# ---------------------------------------------------------------- points
def test_points_geojson_paging(api: Api) -> None:
    r = api.call("GET", "/v1/points?limit=2", "expansion")
    body = r.json()
    assert body["type"] == "FeatureCollection" and [f["id"] for f in body["features"]] == [
        "P1",
        "P2",
    ]
    assert body["features"][0]["geometry"] == {
        "type": "Point",
        "coordinates": [MOSCOW[1], MOSCOW[0]],
    }
    r2 = api.call("GET", f"/v1/points?limit=2&cursor={body['next_cursor']}", "expansion").json()
    assert [f["id"] for f in r2["features"]] == ["P3"] and r2["next_cursor"] is None
    box = api.call("GET", "/v1/points?bbox=179,64,-179,66", "expansion").json()
    assert [f["id"] for f in box["features"]] == ["P3"]
    closed = api.call("GET", "/v1/points?status=closed", "admin").json()
    assert [f["id"] for f in closed["features"]] == ["P3"]


@pytest.mark.parametrize("api", ["sqlite", "postgis"], indirect=True)
def test_point_create_get_patch(api: Api) -> None:
    lat, lon = near(*MOSCOW, 600.0)
    r = api.call("POST", "/v1/points", "expansion",
                 json={"id": "N1", "lat": lat, "lon": lon, "kind": "own", "area_m2": 40,
                       "opened_on": "2026-01-15", "waiting_zone": True})  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["radius_m"] == 500.0 and r.json()["settlement"] == "Москва"
    assert api.call("GET", "/v1/points/N1", "partner").status_code == 404  # not acme's
    assert api.call("GET", "/v1/points/N1", "expansion").json()["opened_on"] == "2026-01-15"
    lat2, lon2 = near(*MOSCOW, 200.0)
    body = error(api.call("POST", "/v1/points", "expansion", json={"lat": lat2, "lon": lon2}),
                 409, "protection_conflict")  # fmt: skip
    assert body["detail"][0]["point_id"] == "P1" and body["detail"][0]["distance_m"] == 200.0
    # expansion may not override; admin may, with a non-empty reason
    over = {"lat": lat2, "lon": lon2, "override_reason": "contract"}
    error(api.call("POST", "/v1/points", "expansion", json=over), 403)
    error(api.call("POST", "/v1/points", "admin", json={**over, "override_reason": "  "}), 422)
    error(api.call("POST", "/v1/points", "expansion", json={"id": "N1", "lat": 1.0, "lon": 1.0}),
          409, "conflict")  # fmt: skip
    r = api.call("PATCH", "/v1/points/N1", "expansion", json={"status": "closed", "rating": 4.8})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    # reopening P3 across the antimeridian is fine; unknown ids are 404
    assert (
        api.call("PATCH", "/v1/points/P3", "expansion", json={"status": "active"}).status_code
        == 200
    )
    error(api.call("PATCH", "/v1/points/nope", "expansion", json={"status": "paused"}), 404)
    error(api.call("PATCH", "/v1/points/P1", "expansion", json={}), 422)
    error(api.call("PATCH", "/v1/points/P1", "expansion", json={"status": "gone"}), 422)
    error(api.call("PATCH", "/v1/points/P1", "expansion", json={"lat": 1.0}), 422)
    assert api.call("GET", "/health", "admin").json()["live_points"] == 3  # P1, P2, P3; N1 closed


# ---------------------------------------------------------------- applications
@pytest.mark.parametrize("api", ["sqlite", "postgis"], indirect=True)
def test_application_flow_and_isolation(api: Api) -> None:
    lat, lon = 61.5, 61.5
    r = api.call("POST", "/v1/applications", "partner",
                 json={"lat": lat, "lon": lon, "address": "Somewhere 1", "area_m2": 35.5,
                       "waiting_zone": True, "fitting_rooms": 2,
                       "planned_opening": "2026-12-01"})  # fmt: skip
    assert r.status_code == 201, r.text
    a1 = r.json()
    assert a1["allowed"] is True and a1["status"] == "pending" and a1["reserved_until"]
    assert a1["partner_id"] == "acme" and a1["conflicts"] == [] and a1["radius_m"] == 1000.0
    # the spot is taken for the next applicant, and for a plain check
    lat2, lon2 = near(lat, lon, 400.0)
    r = api.call("POST", "/v1/applications", "other", json={"lat": lat2, "lon": lon2})
    a2 = r.json()
    assert r.status_code == 201 and a2["allowed"] is False and a2["reserved_until"] is None
    assert a2["status"] == "refused" and a2["conflicts"][0]["point_id"] is None  # private
    assert a2["conflicts"][0]["kind"] == "reservation"
    full = api.call("GET", f"/v1/applications/{a2['id']}", "expansion").json()
    assert full["conflicts"][0]["point_id"] == a1["id"]
    chk = api.call("POST", "/v1/protection/check", "expansion",
                   json={"lat": lat2, "lon": lon2}).json()  # fmt: skip
    assert chk["conflicts"][0]["point_id"] == a1["id"]
    # isolation: a partner sees and reads only its own applications and points
    mine = api.call("GET", "/v1/applications", "partner").json()["applications"]
    assert [a["id"] for a in mine] == [a1["id"]]
    assert api.call("GET", f"/v1/applications/{a2['id']}", "partner").status_code == 404
    assert api.call("GET", f"/v1/applications/{a1['id']}", "partner").status_code == 200
    pts = api.call("GET", "/v1/points", "partner").json()["features"]
    assert [f["id"] for f in pts] == ["P1"]
    assert api.call("GET", "/v1/points/P2", "partner").status_code == 404
    assert api.call("GET", "/v1/points/P2", "other").status_code == 200
    # a partner cannot approve, even its own
    error(api.call("POST", f"/v1/applications/{a1['id']}/approve", "partner"), 403)
    every = api.call("GET", "/v1/applications", "expansion").json()["applications"]
    assert len(every) == 2
    # a2 was refused at submission: it cannot be approved, and the 409 says why
    body = error(api.call("POST", f"/v1/applications/{a2['id']}/approve", "expansion"), 409,
                 "conflict")  # fmt: skip
    assert a2["id"] in body["message"] and "при подаче" in body["message"]
    r = api.call("POST", f"/v1/applications/{a1['id']}/approve", "expansion",
                 json={"reason": "site visit OK"})  # fmt: skip
    assert r.status_code == 200 and r.json()["status"] == "approved"
    point_id = r.json()["point_id"]
    assert api.call("GET", f"/v1/points/{point_id}", "partner").json()["partner_id"] == "acme"
    error(api.call("POST", f"/v1/applications/{a1['id']}/approve", "expansion"), 409, "conflict")
    error(api.call("POST", f"/v1/applications/{a2['id']}/reject", "expansion"), 422)
    error(api.call("POST", f"/v1/applications/{a2['id']}/reject", "expansion",
                   json={"reason": "taken"}), 409, "conflict")  # fmt: skip
    error(api.call("POST", "/v1/applications/nope/approve", "expansion"), 404)
    error(api.call("POST", "/v1/applications/nope/reject", "expansion", json={"reason": "x"}), 404)
    assert api.call("GET", "/v1/applications?status=refused", "admin").json()["applications"][0][
        "id"] == a2["id"]  # fmt: skip
    actions = [e["action"] for e in api.call("GET", "/v1/audit-log", "admin").json()]
    assert actions[-4:] == ["application.submitted", "application.refused",
                            "application.approved", "point.created"]  # fmt: skip


# ---------------------------------------------------------------- bad input
BAD_BODIES = [
    ('{"lat": NaN, "lon": 37.6}', "lat"),
    ('{"lat": Infinity, "lon": 37.6}', "lat"),
    ('{"lat": 91, "lon": 37.6}', "lat"),
    ('{"lat": -90.0001, "lon": 37.6}', "lat"),
    ('{"lat": 55.0, "lon": 181}', "lon"),
    ('{"lat": "55.7", "lon": 37.6}', "lat"),
    ('{"lat": null, "lon": 37.6}', "lat"),
    ('{"lon": 37.6}', "lat"),
    ('{"lat": 55.0, "lon": 37.6, "radius": 5}', "radius"),
    ('{"lat": 55.0, "lon": 37.6, "kind": "spaceport"}', None),
    ('{"lat": 55.0, "lon": true}', "lon"),
    ('{"lat": 55.0, ', None),
    ("[1, 2]", None),
    ("", None),
]


@pytest.mark.parametrize(("raw", "field"), BAD_BODIES)
@pytest.mark.parametrize(
    ("path", "who"),
    [("/v1/protection/check", "partner"), ("/v1/points", "expansion"),
     ("/v1/applications", "partner")],
)  # fmt: skip
def test_bad_input_is_422_and_changes_nothing(
    api: Api, raw: str, field: str | None, path: str, who: str
) -> None:
    before = api.call("GET", "/v1/audit-log", "admin").json()
    r = api.call("POST", path, who, content=raw, headers={"content-type": "application/json"})
    body = error(r, 422)
    if field:
        assert field in body["message"]
    assert api.call("GET", "/v1/audit-log", "admin").json() == before


@pytest.mark.parametrize(
    "query",
    ["bbox=1,2,3", "bbox=a,b,c,d", "bbox=0,0,181,1", "bbox=0,50,1,40", "bbox=nan,0,1,1",
     "limit=0", "limit=abc", "cursor=%%%", "status=" + "x" * 60],
)  # fmt: skip
def test_bad_query_is_422(api: Api, query: str) -> None:
    error(api.call("GET", f"/v1/points?{query}", "expansion"), 422)


def test_bad_batch_items_and_sizes(api: Api) -> None:
    bad = {"candidates": [{"lat": 50.0, "lon": 50.0}, {"lat": 95.0, "lon": 50.0}]}
    body = error(api.call("POST", "/v1/protection/check-batch", "expansion", json=bad), 422)
    assert body["detail"][0]["loc"] == ["body", "candidates", 1, "lat"]
    huge = "x" * 300_000
    r = api.call("POST", "/v1/applications", "partner", content=huge,
                 headers={"content-type": "application/json"})  # fmt: skip
    error(r, 413, "too_large")

    def chunks() -> Iterator[bytes]:
        for _ in range(30):
            yield b"x" * 10_000

    r = api.call("POST", "/v1/protection/check", "partner", content=chunks(),
                 headers={"content-type": "application/json"})  # fmt: skip
    error(r, 413, "too_large")


def test_unknown_routes_and_methods(api: Api) -> None:
    error(api.call("GET", "/v1/nothing", "admin"), 404)
    error(api.call("DELETE", "/v1/points/P1", "admin"), 405)


def test_openapi_documents_every_route(api: Api) -> None:
    spec = api.call("GET", "/openapi.json", None).json()
    paths = spec["paths"]
    expected = ["/health", "/v1/keys", "/v1/protection/check", "/v1/protection/check-batch",
                "/v1/points", "/v1/points/{point_id}", "/v1/applications",
                "/v1/applications/{app_id}/approve",
                "/v1/applications/{app_id}/reject"]  # fmt: skip
    for path in expected:
        assert path in paths
        for op in paths[path].values():
            ok = [c for c in op["responses"] if c.startswith("2")]
            assert ok and "content" in op["responses"][ok[0]], (path, op)
    assert api.call("GET", "/docs", None).status_code == 200


def test_application_score_hook(api: Api) -> None:
    body = {"lat": 62.5, "lon": 62.5}
    api.service.scorer = None  # the app sets the network model's scorer (test_api_planning.py)
    assert api.call("POST", "/v1/applications", "partner", json=body).json()["score"] is None
    api.service.scorer = lambda app: 0.75 if app.partner_id == "acme" else float("nan")
    body = {"lat": 62.6, "lon": 62.6}  # (the same spot again returns the first application)
    assert api.call("POST", "/v1/applications", "partner", json=body).json()["score"] == 0.75
    body = {"lat": 62.7, "lon": 62.7}
    assert api.call("POST", "/v1/applications", "other", json=body).json()["score"] is None

    def broken(app: Any) -> float:
        raise RuntimeError("model not ready")

    api.service.scorer = broken
    r = api.call("POST", "/v1/applications", "partner", json={"lat": 63.5, "lon": 63.5})
    assert r.status_code == 201 and r.json()["score"] is None and r.json()["allowed"]
