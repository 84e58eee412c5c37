"""``GET /v1/model``, ``POST /v1/model/calibrate``: calibration from the stored orders, and the
80 % ranges scores and onboarding answers carry once calibrated (SQLite)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from apikit import Api, error, running_app

from api.routes.model import ModelOut
from api.services.forecast import CalibrationSchedule, calibration_months
from api.services.planning import NetworkModel, _models
from data.store import OrderLine, Point
from geo.settlements import SettlementLookup
from planning.synthetic import SyntheticNetwork, orders_for_turnover, synthetic_network

MONTHS = ["2026-08", "2026-09"]


@pytest.fixture(scope="module")
def net() -> SyntheticNetwork:
    return synthetic_network(240, seed=2, n_towns=3, cells_per_town=300)


@pytest.fixture(scope="module")
def api(
    tmp_path_factory: pytest.TempPathFactory, settlements: SettlementLookup, net: SyntheticNetwork
) -> Iterator[Api]:
    """An app on SQLite with the synthetic network (no orders yet) and its demand surface."""
    url = f"sqlite:///{tmp_path_factory.mktemp('model') / 'pvz.db'}"
    with running_app(url, settlements, _points(net), model_min_points=30) as (client, service):
        model = NetworkModel(service, demand=net.demand, refresh_s=0.0)
        _models[service] = model
        service.scorer = model.score_application
        yield Api(client, service, {"partner": "acme"})


def _points(net: SyntheticNetwork) -> list[Point]:
    pts = net.points
    points = [Point(id=r.id, lat=r.lat, lon=r.lon, radius_m=500.0, opened_on="2025-01-01",
                    area_m2=r.area_m2, waiting_zone=bool(r.waiting_zone),
                    fitting_rooms=int(r.fitting_rooms), rating=r.rating)
              for r in pts.itertuples()]  # fmt: skip
    points.append(Point(id="X1", lat=56.5, lon=36.0, radius_m=500.0, status="closed",
                        opened_on="2025-01-01"))  # fmt: skip
    points.append(Point(id="Y1", lat=56.6, lon=36.1, radius_m=500.0))  # no opening day
    return points


def _orders(net: SyntheticNetwork) -> list[OrderLine]:
    rng = np.random.default_rng(1)
    lines: list[OrderLine] = []
    for k, month in enumerate(MONTHS):
        kop = np.round(net.turnover_rub * rng.lognormal(0, 0.05, net.turnover_rub.size) * 100)
        raw = orders_for_turnover(net.points["id"], kop.astype(np.int64), month, seed=k,
                                  id_prefix=f"{month}-")  # fmt: skip
        for r in raw.itertuples():
            whole, frac = r.price_rub.split(".")
            lines.append(OrderLine(r.order_id, r.point_id, r.issued_on,
                                   int(whole) * 100 + int(frac), r.status,
                                   r.returned_on or None, r.cancelled_on or None))  # fmt: skip
    return lines


SCORE = {"candidates": [{"id": "c1", "lat": 55.0, "lon": 37.0, "area_m2": 45.0,
                         "waiting_zone": True}]}  # fmt: skip
APPLY = {"lat": 55.003, "lon": 37.004, "area_m2": 38.0, "waiting_zone": True}
RANGES = ("expected_turnover_low_rub", "expected_turnover_high_rub", "expected_reward_low_rub",
          "expected_reward_high_rub")  # fmt: skip


def _score(api: Api) -> dict[str, Any]:
    r = api.call("POST", "/v1/candidates/score", "expansion", json=SCORE)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_calibration_lifecycle(api: Api, net: SyntheticNetwork) -> None:
    # 1. before any order: not calibrated, and forecasts say so
    r = api.call("GET", "/v1/model", "expansion")
    assert r.status_code == 200 and r.json()["calibrated"] is False
    assert "не откалибрована" in r.json()["note"]
    error(api.call("POST", "/v1/model/calibrate", "admin"), 409, "conflict")
    body = _score(api)
    assert body["model"]["calibrated"] is False
    assert all(body["results"][0][k] is None for k in RANGES)
    r = api.call("POST", "/v1/applications", "partner", json=APPLY)
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["forecast"]["calibrated"] is False and app["expected_turnover_rub"] is not None
    assert all(app[k] is None for k in RANGES)

    # 2. orders come in; only an admin calibrates; a bad month changes nothing
    api.service.ingest_orders(_orders(net), actor="test", source="test")
    for who in ("expansion", "partner"):
        error(api.call("POST", "/v1/model/calibrate", who, json={"months": MONTHS}), 403)
    audit = api.service.store.last_audit_id()
    error(api.call("POST", "/v1/model/calibrate", "admin", json={"months": ["2026-13"]}), 422)
    error(api.call("POST", "/v1/model/calibrate", "admin", json={"stray": 1}), 422)
    assert api.service.latest_calibration() is None
    assert api.service.store.last_audit_id() == audit

    # 3. calibrated on the stored orders: what it rests on and how well
    r = api.call("POST", "/v1/model/calibrate", "admin", json={"months": MONTHS})
    assert r.status_code == 200, r.text
    out = r.json()
    ModelOut.model_validate(out)  # hand-built JSON (it may come from a worker process)
    assert out["calibrated"] is True
    cal = out["calibration"]
    assert (cal["first_month"], cal["last_month"]) == tuple(MONTHS)
    # every open point with an opening day (the store keeps orders only for those); the
    # closed one is not modelled, the one without an opening day has no known turnover
    assert cal["n_points"] == 240 and cal["basis"]["network_points"] == 241
    assert cal["basis"]["order_lines"] == 240 * 10 * 2
    assert 0.6 <= cal["fit"]["coverage"] <= 0.95 and 0 < cal["fit"]["mdape"] < 0.7
    assert cal["params"]["decay"] in ("power", "exponential")
    assert "240 пунктов" in out["note"]
    assert api.call("GET", "/v1/model", "admin").json() == out
    assert api.call("GET", "/v1/model", "partner").status_code == 403

    # 4. scores and the onboarding answer rest on it and carry the 80 % ranges
    body = _score(api)
    assert body["model"]["calibrated"] is True
    assert body["model"]["calibration_id"] == cal["id"]
    assert body["model"]["spend_rub"] == pytest.approx(cal["params"]["spend_rub"])
    res = body["results"][0]
    lo, hi = res["expected_turnover_low_rub"], res["expected_turnover_high_rub"]
    assert lo <= float(res["expected_turnover_rub"]) <= hi and lo < hi
    assert (res["expected_reward_low_rub"] <= float(res["expected_reward_rub"])
            <= res["expected_reward_high_rub"])  # fmt: skip
    r = api.call("POST", "/v1/applications", "partner", json=APPLY)
    app = r.json()
    assert app["forecast"]["calibrated"] is True and app["forecast"]["n_points"] == 240
    assert app["expected_reward_low_rub"] <= float(app["expected_reward_rub"])
    assert float(app["expected_reward_rub"]) <= app["expected_reward_high_rub"]
    assert "P0" not in str(app["forecast"])  # no other point's id reaches a partner


def test_schedule_calibrates_when_due(api: Api) -> None:
    def calibrate() -> object:
        return api.service.calibrate_model(actor="schedule", months=MONTHS)

    latest = api.service.latest_calibration
    if latest() is None:
        calibrate()
    before = latest()
    assert CalibrationSchedule(calibrate, latest, 3600.0).run_once() is False
    assert latest() == before
    assert CalibrationSchedule(calibrate, latest, 0.0).run_once() is True
    now = latest()
    assert now is not None and before is not None
    assert now.id != before.id and now.created_by == "schedule"
    assert now.params == before.params  # the same data: the same fit


def test_default_months() -> None:
    assert calibration_months(None, 3, today="2026-11-30") == []
    assert calibration_months("2026-09-30", 3, today="2026-11-30") == [
        "2026-07", "2026-08", "2026-09"]  # fmt: skip
    # the current month is not over: the window ends the month before
    assert calibration_months("2026-11-29", 2, today="2026-11-30") == ["2026-09", "2026-10"]


def test_stored_orders_the_statements_refuse_are_a_conflict(
    tmp_path: Any, settlements: SettlementLookup
) -> None:
    points = [Point(id=f"Q{i}", lat=55.0 + i / 100, lon=37.0, radius_m=500.0,
                    opened_on="2025-01-01") for i in range(3)]  # fmt: skip
    with running_app(f"sqlite:///{tmp_path / 'q.db'}", settlements, points) as (client, svc):
        api = Api(client, svc, {})
        svc.ingest_orders([OrderLine("O1", "Q0", "2026-08-03", 150_000, "issued")],
                          actor="test", source="test")  # fmt: skip
        r = api.call("PATCH", "/v1/points/Q0", "admin", json={"opened_on": "2026-09-01"})
        assert r.status_code == 200, r.text
        body = error(api.call("POST", "/v1/model/calibrate", "admin",
                              json={"months": ["2026-08"]}), 409, "conflict")  # fmt: skip
        assert "before point 'Q0' opened" in body["message"]
        body = error(api.call("POST", "/v1/model/calibrate", "admin",
                              json={"months": ["2026-07"]}), 409, "conflict")  # fmt: skip
        assert "not calibrated" in body["message"]
        assert svc.latest_calibration() is None


def test_calibration_runs_as_a_job_when_large(
    tmp_path: Any, settlements: SettlementLookup, net: SyntheticNetwork
) -> None:
    """Over ``cost_sync`` (a score is under it) the calibration is a job (202) in a worker
    process: its result is the route's answer, the server's model rests on it at once,
    another key cannot see it."""
    url = f"sqlite:///{tmp_path / 'pvz.db'}"
    with running_app(url, settlements, _points(net), model_min_points=30, cost_inline=0,
                     cost_sync=100_000, cost_limit=1e12) as (client, service):  # fmt: skip
        model = NetworkModel(service, demand=net.demand, refresh_s=0.0)
        _models[service] = model
        api = Api(client, service, {"partner": "acme"})
        service.ingest_orders(_orders(net), actor="test", source="test")
        r = api.call("POST", "/v1/model/calibrate", "admin", json={"months": MONTHS})
        assert r.status_code == 202, r.text
        job = r.json()
        assert job["kind"] == "calibrate" and r.headers["location"] == f"/v1/jobs/{job['id']}"
        assert api.call("GET", f"/v1/jobs/{job['id']}", "expansion").status_code == 404
        deadline = time.monotonic() + 300
        while job["status"] not in ("done", "failed", "cancelled"):
            assert time.monotonic() < deadline, job
            time.sleep(0.1)
            job = api.call("GET", f"/v1/jobs/{job['id']}", "admin").json()
        assert job["status"] == "done", job
        out = job["result"]
        assert out["calibrated"] is True and out["calibration"]["n_points"] == 240
        assert api.call("GET", "/v1/model", "admin").json() == out  # stored by the worker
        assert _score(api)["model"]["calibration_id"] == out["calibration"]["id"]
