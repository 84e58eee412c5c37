"""Stored calibrations of the scoring model and the orders they read, on SQLite and PostGIS."""

from __future__ import annotations

import json

import pytest

from data.store import ModelCalibration, OrderLine, Point, Store


def cal(cid: str, at: str, *, n: int = 120) -> ModelCalibration:
    return ModelCalibration(
        id=cid, created_at=at, created_by="admin:k1", first_month="2026-07",
        last_month="2026-09", n_points=n,
        params={"decay": "power", "beta": 1.7, "d0_m": 300.0, "scale_m": 600.0,
                "reach_m": 3000.0, "outside": 0.5, "spend_rub": 84.25,
                "weights": {"area": 0.6, "waiting_zone": 0.5, "fitting_rooms": 0.16,
                            "rating": 2.7}},
        fit={"n_points": n, "folds": 5, "mdape": 0.3125, "coverage": 0.8, "q_low": -0.61,
             "q_high": 0.62, "offset_rub": 2966.28, "r2": 0.44,
             "decays": {"power": 0.3125, "exponential": 0.33}, "level": 0.8},
        basis={"months": ["2026-07", "2026-08", "2026-09"], "network_points": 130,
               "points_with_turnover": n, "order_lines": 31_200},
    )  # fmt: skip


def test_no_calibration_yet(store: Store) -> None:
    assert store.latest_calibration() is None
    assert store.last_issue_day() is None
    assert store.orders_issued_between("2026-01-01", "2026-12-31") == []


def test_calibrations_roundtrip_latest_first_and_audited(store: Store) -> None:
    before = store.last_audit_id()
    first = cal("M-1", "2026-10-01T03:00:00.000000+00:00")
    store.save_calibration(first, actor="admin:k1")
    assert store.latest_calibration() == first
    second = cal("M-2", "2026-11-01T03:00:00.000000+00:00", n=140)
    store.save_calibration(second, actor="schedule")
    assert store.latest_calibration() == second
    entries = store.audit_entries(after_id=before)
    assert [(e.action, e.entity, e.entity_id, e.actor) for e in entries] == [
        ("model.calibrated", "model", "M-1", "admin:k1"),
        ("model.calibrated", "model", "M-2", "schedule"),
    ]
    assert entries[1].detail == {"first_month": "2026-07", "last_month": "2026-09",
                                 "n_points": 140}  # fmt: skip


def test_a_duplicate_or_non_finite_calibration_changes_nothing(store: Store) -> None:
    store.save_calibration(cal("M-1", "2026-10-01T03:00:00.000000+00:00"), actor="t")
    audit = store.last_audit_id()
    with pytest.raises(Exception):  # noqa: B017 - the backend's integrity error
        store.save_calibration(cal("M-1", "2026-10-02T03:00:00.000000+00:00"), actor="t")
    bad = cal("M-3", "2026-10-03T03:00:00.000000+00:00")
    bad.fit["mdape"] = float("nan")
    with pytest.raises(ValueError):
        store.save_calibration(bad, actor="t")
    assert store.latest_calibration() == cal("M-1", "2026-10-01T03:00:00.000000+00:00")
    assert store.last_audit_id() == audit
    json.dumps(store.latest_calibration().fit)  # type: ignore[union-attr]


def test_orders_issued_between_every_point(store: Store) -> None:
    store.seed_points([Point(id=p, lat=55.7 + i / 10, lon=37.6, radius_m=500.0,
                             opened_on="2026-01-01") for i, p in enumerate(("P1", "P2"))],
                      actor="t", reason="fixture")  # fmt: skip
    lines = [
        OrderLine("O1", "P1", "2026-01-31", 100, "issued"),
        OrderLine("O2", "P2", "2026-02-01", 200, "returned", returned_on="2026-03-02"),
        OrderLine("O3", "P1", "2026-02-28", 300, "cancelled", cancelled_on="2026-02-28"),
        OrderLine("O4", "P2", "2026-03-01", 400, "issued"),
    ]
    store.upsert_orders(lines, actor="t")
    got = store.orders_issued_between("2026-02-01", "2026-02-28")
    assert sorted(got, key=lambda o: o.order_id) == [lines[1], lines[2]]
    assert store.last_issue_day() == "2026-03-01"
