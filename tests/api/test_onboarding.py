"""Partner onboarding (issue 12): the lifecycle, private answers, limits, territory, kept answers.

Runs on SQLite and on PostGIS (``api`` is parametrised over both stores). Privacy is checked
on the raw response bodies.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from apikit import MOSCOW, Api, error, near, running_app
from typer.testing import CliRunner

import api.commands.rewards  # noqa: F401  (registers `pvz rewards`)
from api.cli import app as cli_app
from api.service import ApplicationScore
from api.services.answers import direction, language_of, rounded
from data.store import Point
from geo.geodesic import distance_m
from geo.settlements import SettlementLookup

EXAMPLE_POLICY = Path(__file__).resolve().parents[2] / "examples" / "rewards_policy_example.toml"
#: open country in the Urals (1,000 m radius), far from every fixture point
FREE = (61.5, 61.5)
DIRECTIONS = {direction(a, lang) for a in range(0, 360, 45) for lang in ("ru", "en")}


def _url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgis":
        pg, template = request.getfixturevalue("pg_template")
        return str(pg.clone_database(template))
    return f"sqlite:///{tmp_path / 'pvz.db'}"


POINTS = [
    Point(id="P1", lat=MOSCOW[0], lon=MOSCOW[1], radius_m=500.0, partner_id="acme",
          address="Тверская 1", area_m2=40.0, fitting_rooms=2),
    Point(id="P2", lat=59.9386, lon=30.3141, radius_m=500.0, partner_id="globex",
          address="Невский 1", area_m2=55.5, fitting_rooms=3),
]  # fmt: skip


@pytest.fixture(params=["sqlite", "postgis"])
def api(
    request: pytest.FixtureRequest, tmp_path: Path, settlements: SettlementLookup
) -> Iterator[Api]:
    """A client with keys admin, expansion, partner (acme) and other (globex)."""
    with running_app(_url(request, tmp_path), settlements, POINTS) as (client, service):
        service.scorer = None
        yield Api(client, service, {"partner": "acme", "other": "globex"})


@pytest.fixture
def sapi(tmp_path: Path, settlements: SettlementLookup, request: pytest.FixtureRequest) -> Any:
    """A factory of SQLite apps with settings overridden (``with sapi(**settings) as api``)."""
    from contextlib import contextmanager

    @contextmanager
    def make(**overrides: Any) -> Iterator[Api]:
        url = f"sqlite:///{tmp_path / f'pvz{len(list(tmp_path.iterdir()))}.db'}"
        with running_app(url, settlements, POINTS, **overrides) as (client, service):
            service.scorer = None
            yield Api(client, service, {"partner": "acme", "other": "globex"})

    return make


def post(api: Api, who: str, lat: float, lon: float, **kw: Any) -> Any:
    return api.call("POST", "/v1/applications", who, json={"lat": lat, "lon": lon}, **kw)


def actions(api: Api, app_id: str) -> list[str]:
    log = api.call("GET", "/v1/audit-log", "admin", params={"limit": 1000}).json()
    return [e["action"] for e in log if e["entity_id"] == app_id]


# ---------------------------------------------------------------- the lifecycle
def test_every_transition(api: Api) -> None:
    # pending: allowed, holds a reservation
    r = post(api, "partner", *FREE)
    assert r.status_code == 201, r.text
    a1 = r.json()
    assert a1["status"] == "pending" and a1["allowed"] and a1["reserved_until"]
    assert a1["message"].startswith("Место свободно")
    # the same partner again within 1 m: its own application back (200), no new row
    again = post(api, "partner", *near(*FREE, 0.5))
    assert again.status_code == 200 and again.json()["id"] == a1["id"]
    assert len(api.call("GET", "/v1/applications", "partner").json()["applications"]) == 1
    # refused: blocked by the reservation; no reservation, not in the review queue
    spot = near(*FREE, 400.0, 90.0)
    r = post(api, "other", *spot)
    assert r.status_code == 201
    a2 = r.json()
    assert a2["status"] == "refused" and not a2["allowed"] and a2["reserved_until"] is None
    (blocker,) = a2["conflicts"]
    assert blocker == {"point_id": None, "kind": "reservation", "distance_m": 400.0,
                       "radius_m": 1000.0, "reserved_until": a1["reserved_until"][:10]}  # fmt: skip
    queue = api.call("GET", "/v1/applications?status=pending", "expansion").json()
    assert [a["id"] for a in queue["applications"]] == [a1["id"]]
    # approving refused: 409 saying why
    body = error(api.call("POST", f"/v1/applications/{a2['id']}/approve", "expansion"), 409)
    assert "при подаче" in body["message"]
    body = error(api.call("POST", f"/v1/applications/{a2['id']}/approve", "expansion",
                          headers={"Accept-Language": "en"}), 409)  # fmt: skip
    assert "refused at submission" in body["message"]
    # only its partner (or an admin) withdraws; another partner's id does not exist
    error(api.call("POST", f"/v1/applications/{a1['id']}/withdraw", "other"), 404)
    error(api.call("POST", f"/v1/applications/{a1['id']}/withdraw", "expansion"), 403)
    r = api.call("POST", f"/v1/applications/{a1['id']}/withdraw", "partner")
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    # the spot is free for another partner at once
    chk = api.call("POST", "/v1/protection/check", "other", json={"lat": spot[0], "lon": spot[1]})
    assert chk.json()["allowed"] is True
    r = post(api, "other", *spot)
    assert r.status_code == 201 and r.json()["status"] == "pending"
    a3 = r.json()
    for verb in ("approve", "withdraw"):  # withdrawn: 409 saying so
        body = error(api.call("POST", f"/v1/applications/{a1['id']}/{verb}", "admin"), 409)
        assert "отозвана" in body["message"]
    # approved, then nothing more
    r = api.call("POST", f"/v1/applications/{a3['id']}/approve", "expansion")
    assert r.status_code == 200 and r.json()["status"] == "approved" and r.json()["point_id"]
    body = error(api.call("POST", f"/v1/applications/{a3['id']}/reject", "expansion",
                          json={"reason": "late"}), 409)  # fmt: skip
    assert "одобрена" in body["message"]
    # rejected
    far = near(*FREE, 20_000.0)
    a4 = post(api, "partner", *far).json()
    r = api.call("POST", f"/v1/applications/{a4['id']}/reject", "expansion",
                 json={"reason": "no parking"})  # fmt: skip
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert post(api, "other", *near(*far, 300.0)).json()["status"] == "pending"  # freed
    # every status filter, as read now
    for status, ids in {
        "withdrawn": [a1["id"]],
        "refused": [a2["id"]],
        "approved": [a3["id"]],
        "rejected": [a4["id"]],
        "expired": [],
    }.items():
        got = api.call("GET", f"/v1/applications?status={status}", "admin").json()
        assert [a["id"] for a in got["applications"]] == ids, status  # fmt: skip
    error(api.call("GET", "/v1/applications?status=whatever", "admin"), 422)
    # every transition is in the audit log
    assert actions(api, a1["id"]) == ["application.submitted", "application.withdrawn"]
    assert actions(api, a2["id"]) == ["application.refused"]
    assert actions(api, a3["id"]) == ["application.submitted", "application.approved"]
    assert actions(api, a4["id"]) == ["application.submitted", "application.rejected"]


def test_expiry_reads_expired_at_once(sapi: Any) -> None:
    with sapi(reservation_days=0.0) as api:  # a reservation that has run out at once
        r = post(api, "partner", *FREE)
        assert r.status_code == 201
        a = r.json()
        assert a["allowed"] and a["status"] == "expired"
        got = api.call("GET", f"/v1/applications/{a['id']}", "partner").json()
        assert got["status"] == "expired" and "заново" in got["message"]
        listed = api.call("GET", "/v1/applications?status=expired", "expansion").json()
        assert [x["id"] for x in listed["applications"]] == [a["id"]]
        assert api.call("GET", "/v1/applications?status=pending", "expansion").json()[
            "applications"] == []  # fmt: skip
        body = error(api.call("POST", f"/v1/applications/{a['id']}/approve", "expansion"), 409)
        assert "истёк" in body["message"]
        # the spot protects nothing: another partner may apply there
        assert post(api, "other", *near(*FREE, 100.0)).json()["allowed"] is True
        assert actions(api, a["id"]) == ["application.submitted", "application.expired"]


def test_approve_is_409_when_overridden_next_door(api: Api) -> None:
    a = post(api, "partner", *FREE).json()
    lat, lon = near(*FREE, 200.0)
    r = api.call("POST", "/v1/points", "admin",
                 json={"lat": lat, "lon": lon, "override_reason": "legacy contract"})  # fmt: skip
    assert r.status_code == 201
    body = error(api.call("POST", f"/v1/applications/{a['id']}/approve", "expansion"), 409,
                 "protection_conflict")  # fmt: skip
    assert body["detail"][0]["point_id"] == r.json()["id"]  # expansion sees the full detail


# ---------------------------------------------------------------- privacy
ID_RE = re.compile(r"globex|P2|Невский|55\.5")


def _distances(body: Any) -> list[float]:
    out: list[float] = []
    if isinstance(body, dict):
        for k, v in body.items():
            if k == "distance_m" and isinstance(v, int | float):
                out.append(float(v))
            else:
                out += _distances(v)
    elif isinstance(body, list):
        for v in body:
            out += _distances(v)
    return out


def test_partner_never_sees_other_partners(api: Api) -> None:
    rival = post(api, "other", *FREE).json()  # globex holds a spot in the Urals
    bodies: list[str] = []
    secrets = [rival["id"], "globex", "P2", "Невский", "55.5"]

    def call(method: str, path: str, **kw: Any) -> Any:
        r = api.call(method, path, "partner", **kw)
        bodies.append(r.text)
        return r

    spb = near(59.9386, 30.3141, 333.3)
    for lat, lon in (spb, near(*FREE, 123.4), near(*FREE, 987.6, 200.0)):
        assert call("POST", "/v1/protection/check", json={"lat": lat, "lon": lon}).json()[
            "allowed"] is False  # fmt: skip
        call("POST", "/v1/applications", json={"lat": lat, "lon": lon})
    call("GET", "/v1/applications")
    for a in json.loads(bodies[-1])["applications"]:
        call("GET", f"/v1/applications/{a['id']}")
    call("GET", "/v1/points")
    call("GET", "/v1/points/P2")
    call("GET", f"/v1/applications/{rival['id']}")
    assert bodies[-1].count(rival["id"]) == 1  # the 404 echoes the id asked for, nothing more
    for text in bodies[:-2]:
        for s in secrets:
            assert s not in text, (s, text)
        for d in _distances(json.loads(text)):
            assert d % 50 == 0, text
    # the staff see the full detail of the same spot
    full = api.call("POST", "/v1/protection/check", "expansion",
                    json={"lat": spb[0], "lon": spb[1]}).json()  # fmt: skip
    assert full["conflicts"][0]["point_id"] == "P2"
    assert full["conflicts"][0]["distance_m"] == pytest.approx(333.3, abs=1e-3)


def test_partner_reads_white_space_as_zones(sapi: Any) -> None:
    with sapi() as api:
        post(api, "other", *near(*MOSCOW, 3000.0))  # a rival's reservation in the box
        r = api.call("GET", "/v1/whitespace?bbox=37.4,55.6,37.8,55.9&limit=20", "partner")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["features"], body
        for f in body["features"]:
            assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")
            assert set(f["properties"]) <= {
                "rank",
                "demand",
                "n_cells",
                "area_km2",
                "best_lat",
                "best_lon",
                "best_site_demand",
            }
        for secret in ("P1", "P2", "globex", "A-"):
            assert secret not in r.text


# ---------------------------------------------------------------- the helpful answer
def test_refused_answer_words_and_suggestions(api: Api) -> None:
    lat, lon = near(*MOSCOW, 120.0, 45.0)
    r = post(api, "other", lat, lon)
    a = r.json()
    assert a["status"] == "refused"
    assert a["message"].startswith("Здесь открыть пункт нельзя: примерно в 100 м работает")
    sugg = a["suggestions"]
    assert 1 <= len(sugg) <= 3
    prev = 0.0
    for s in sugg:
        assert set(s) == {"lat", "lon", "distance_m", "direction"}
        assert s["direction"] in DIRECTIONS and re.fullmatch(r"[а-яё-]+", s["direction"])
        d = float(distance_m(lat, lon, s["lat"], s["lon"]))
        assert d <= 3000.0 + 0.5 and s["distance_m"] == rounded(d) and d >= prev - 0.01
        prev = d
        # allowed at the time of the answer (the staff's exact check) and 380 m or more
        # from P1 (500 m radius, 120 m away)
        chk = api.call("POST", "/v1/protection/check", "expansion",
                       json={"lat": s["lat"], "lon": s["lon"]}).json()  # fmt: skip
        assert chk["allowed"] is True, s
    assert f"{sugg[0]['distance_m']:.0f} м на {sugg[0]['direction']}" in a["message"]
    # English on request, with English directions
    en = api.call("GET", f"/v1/applications/{a['id']}", "other",
                  headers={"Accept-Language": "en-GB,en;q=0.9,ru;q=0.5"}).json()  # fmt: skip
    assert en["message"].startswith("A pickup point cannot open here: a pickup point")
    assert all(re.fullmatch(r"[a-z-]+", s["direction"]) for s in en["suggestions"])
    # a partner's blocked check answers the same way
    chk = api.call("POST", "/v1/protection/check", "other", json={"lat": lat, "lon": lon},
                   headers={"Accept-Language": "en"}).json()  # fmt: skip
    assert chk["message"].startswith("A pickup point cannot open here")
    assert chk["suggestions"] and chk["conflicts"][0]["point_id"] is None


def test_language_setting_and_header(sapi: Any) -> None:
    with sapi(language="en") as api:
        r = api.call("POST", "/v1/protection/check", "partner", json={"lat": FREE[0],
                                                                     "lon": FREE[1]})  # fmt: skip
        assert r.json()["message"] == "A pickup point can open here."
        r = api.call("POST", "/v1/protection/check", "partner", json={"lat": FREE[0],
                     "lon": FREE[1]}, headers={"Accept-Language": "ru-RU"})  # fmt: skip
        assert r.json()["message"] == "Здесь можно открыть пункт выдачи."
    assert language_of("fr, en;q=0.3, ru;q=0.8") == "ru"
    assert language_of("de") == "ru" and language_of("de", "en") == "en"
    assert language_of("en;q=0, ru") == "ru"


def test_reservation_blocker_in_check(api: Api) -> None:
    a = post(api, "partner", *FREE).json()
    lat, lon = near(*FREE, 640.0)
    body = api.call("POST", "/v1/protection/check", "other", json={"lat": lat, "lon": lon}).json()
    assert body["conflicts"] == [
        {
            "point_id": None,
            "kind": "reservation",
            "distance_m": 650.0,
            "radius_m": 1000.0,
            "reserved_until": a["reserved_until"][:10],  # the day only
        }
    ]
    assert a["reserved_until"][:10] in body["message"]


# ---------------------------------------------------------------- trust nothing the partner sets
@pytest.mark.parametrize("kind", ["postamat", "own"])
def test_partner_kind_is_partner(api: Api, kind: str) -> None:
    lat, lon = near(*MOSCOW, 181.0)
    r = api.call("POST", "/v1/applications", "partner", json={"lat": lat, "lon": lon,
                                                              "kind": kind})  # fmt: skip
    assert "kind" in error(r, 422, "invalid_input")["message"]
    r = api.call("POST", "/v1/protection/check", "partner", json={"lat": lat, "lon": lon,
                                                                 "kind": kind})  # fmt: skip
    error(r, 422)
    assert api.call("GET", "/v1/applications", "admin").json()["applications"] == []
    r = api.call("POST", "/v1/applications", "partner", json={"lat": lat, "lon": lon,
                                                              "kind": "partner"})  # fmt: skip
    assert r.status_code == 201 and r.json()["kind"] == "partner"
    assert r.json()["status"] == "refused"  # P1 is 181 m away


@pytest.mark.parametrize(
    ("lat", "lon", "ok"),
    [(54.71, 20.51, True),  # Kaliningrad
     (66.16, -169.8, True),  # Uelen, Chukotka west of 180
     (64.73, 177.5, True),  # Anadyr
     (44.6, 33.5, True),  # Sevastopol
     (43.1, 131.9, True),  # Vladivostok, on the coast
     (35.7, 51.4, False),  # Tehran
     (60.0, -100.0, False)],  # Canada
)  # fmt: skip
def test_territory(api: Api, lat: float, lon: float, ok: bool) -> None:
    r = post(api, "partner", lat, lon)
    if ok:
        assert r.status_code == 201, r.text
    else:
        assert "вне территории" in error(r, 422)["message"]
        assert api.call("GET", "/v1/applications", "admin").json()["applications"] == []


def test_swapped_coordinates(api: Api) -> None:
    r = post(api, "partner", 37.62, 55.76)  # Moscow typed longitude first
    body = error(r, 422, "invalid_input")
    assert "перепутаны" in body["message"]
    r = post(api, "partner", 37.62, 55.76, headers={"Accept-Language": "en"})
    assert "swapped" in error(r, 422)["message"]
    r = api.call("POST", "/v1/protection/check", "partner", json={"lat": 37.62, "lon": 55.76})
    assert "перепутаны" in error(r, 422)["message"]
    assert api.call("GET", "/v1/applications", "admin").json()["applications"] == []
    assert api.service.reservation_count == 0


# ---------------------------------------------------------------- limits
def test_rate_limits_answer_429(sapi: Any) -> None:
    with sapi(partner_checks_per_minute=5, partner_applications_per_minute=2) as api:
        body = {"lat": FREE[0], "lon": FREE[1]}
        for _ in range(5):  # the first by the app, then the fast lane (the key is known)
            assert api.call("POST", "/v1/protection/check", "partner", json=body).status_code == 200
        r = api.call("POST", "/v1/protection/check", "partner", json=body)
        error(r, 429, "rate_limited")
        assert 1 <= int(r.headers["Retry-After"]) <= 60
        # another key, and the staff, are not held back
        assert api.call("POST", "/v1/protection/check", "other", json=body).status_code == 200
        assert api.call("POST", "/v1/protection/check", "expansion", json=body).status_code == 200
        for i in range(2):
            assert post(api, "partner", *near(*FREE, 5000.0 * (i + 1))).status_code == 201
        r = post(api, "partner", *near(*FREE, 20_000.0))
        assert "в минуту" in error(r, 429)["message"] and int(r.headers["Retry-After"]) >= 1
        assert len(api.call("GET", "/v1/applications", "admin").json()["applications"]) == 2


def test_pending_quota(sapi: Any) -> None:
    with sapi(max_pending_per_partner=3) as api:
        ids = [post(api, "partner", *near(*FREE, 5000.0 * i)).json()["id"] for i in range(3)]
        r = post(api, "partner", *near(*FREE, 20_000.0))
        assert "не больше 3" in error(r, 409, "conflict")["message"]
        r = post(api, "partner", *near(*FREE, 20_000.0), headers={"Accept-Language": "en"})
        assert "most allowed at once is 3" in error(r, 409)["message"]
        assert post(api, "other", *near(*FREE, 20_000.0)).status_code == 201  # per partner
        assert post(api, "partner", *near(*FREE, 0.3)).status_code == 200  # re-apply: its own
        api.call("POST", f"/v1/applications/{ids[0]}/withdraw", "partner")
        assert post(api, "partner", *near(*FREE, 30_000.0)).status_code == 201


# ---------------------------------------------------------------- kept answers
def test_forecast_is_kept_with_the_application(api: Api) -> None:
    api.service.scorer = lambda app: ApplicationScore(1.25, Decimal("61250.00"),
                                                      Decimal("3062.50"))  # fmt: skip
    a = post(api, "partner", *FREE).json()
    api.service.scorer = None  # later reads do not score again: they show what was stored
    want = {"score": 1.25, "expected_turnover_rub": "61250.00", "expected_reward_rub": "3062.50"}
    assert {k: a[k] for k in want} == want
    got = api.call("GET", f"/v1/applications/{a['id']}", "partner").json()
    assert {k: got[k] for k in want} == want
    listed = api.call("GET", "/v1/applications", "expansion").json()["applications"][0]
    assert {k: listed[k] for k in want} == want
    approved = api.call("POST", f"/v1/applications/{a['id']}/approve", "expansion").json()
    assert {k: approved[k] for k in want} == want


POINTS_CSV = """id,opened_on,closed_days_2020,complaint_rate_pct,rating
Q1,2020-04-20,3,0.4,4.9
Q2,2020-04-20,2020-04-21;2020-04-22;2020-06-01,,
"""
ORDERS_CSV = """order_id,point_id,issued_on,price_rub,status
1,Q1,2020-07-21,1000.00,issued
2,Q1,2020-07-22,2500.00,issued
3,Q1,2020-07-25,7000.00,issued
4,Q2,2020-07-21,1000.00,issued
5,Q2,2020-07-23,999.99,issued
"""


def test_statement_with_closed_days_equals_cli(sapi: Any, tmp_path: Path) -> None:
    with sapi(reward_policy_path=EXAMPLE_POLICY) as api:
        bodies = [{"id": "Q1", "lat": 50.0, "lon": 40.0, "opened_on": "2020-04-20",
                   "closed_days_2020": 3, "complaint_rate_pct": 0.4, "rating": 4.9},
                  {"id": "Q2", "lat": 51.0, "lon": 40.0, "opened_on": "2020-04-20",
                   "closed_days_2020": ["2020-04-21", "2020-04-22", "2020-06-01"]}]  # fmt: skip
        for b in bodies:
            r = api.call("POST", "/v1/points", "admin", json=b)
            assert r.status_code == 201, r.text
        got = api.call("GET", "/v1/points/Q2", "admin").json()
        assert got["closed_days_2020"] == 3
        assert got["closed_dates_2020"] == "2020-04-21;2020-04-22;2020-06-01"
        r = api.call("PATCH", "/v1/points/Q1", "admin", json={"complaint_rate_pct": 0.4})
        assert r.status_code == 200 and r.json()["complaint_rate_pct"] == 0.4
        error(api.call("PATCH", "/v1/points/Q1", "admin", json={"closed_days_2020": -1}), 422)
        error(api.call("PATCH", "/v1/points/Q1", "admin", json={"closed_days_2020": True}), 422)
        error(api.call("PATCH", "/v1/points/Q1", "admin",
                       json={"closed_days_2020": ["2020-02-30"]}), 422)  # fmt: skip
        assert api.call("GET", "/v1/points/Q1", "admin").json()["closed_days_2020"] == 3
        r = api.call("POST", "/v1/orders", "admin", content=ORDERS_CSV.encode(),
                     headers={"Content-Type": "text/csv"})  # fmt: skip
        assert r.status_code == 200, r.text
        (tmp_path / "points.csv").write_text(POINTS_CSV, encoding="utf-8")
        (tmp_path / "orders.csv").write_text(ORDERS_CSV, encoding="utf-8")
        out = tmp_path / "out.json"
        result = CliRunner().invoke(cli_app, ["rewards", str(tmp_path / "points.csv"),
                                                str(tmp_path / "orders.csv"), "--month",
                                                "2020-07", "-o", str(out), "--policy",
                                                str(EXAMPLE_POLICY)])  # fmt: skip
        assert result.exit_code == 0, result.output
        cli = json.loads(out.read_text(encoding="utf-8"))
        assert len(cli) == 2
        for expected in cli:
            r = api.call("GET", f"/v1/points/{expected['point_id']}/rewards", "admin",
                          params={"month": "2020-07"})  # fmt: skip
            assert r.status_code == 200, r.text
            assert r.json() == expected
        # the closed days matter: the double rate runs past 2020-07-20 for both points
        assert all(s["double_rate_days"] > 0 for s in cli)


def test_pending_quota_holds_under_concurrency(api: Api) -> None:
    """Six submissions of one partner at once, far apart (different spot locks), quota 3:
    exactly 3 are stored pending, the others are 409 (PostGIS: the partner's named lock)."""
    from concurrent.futures import ThreadPoolExecutor

    from data.errors import ConflictError

    api.service.onboarding.max_pending = 3

    def one(i: int) -> str:
        lat, lon = near(*FREE, 10_000.0 * (i + 1), 60.0 * i)
        try:
            api.service.submit({"lat": lat, "lon": lon}, partner_id="acme", actor="t")
        except ConflictError:
            return "409"
        return "ok"

    with ThreadPoolExecutor(6) as pool:
        got = sorted(pool.map(one, range(6)))
    assert got == ["409"] * 3 + ["ok"] * 3
    listed = api.service.list_applications(partner_id="acme", status="pending", limit=100)
    assert len(listed) == 3
