"""Workers share the store: each one's in-memory index follows the others' writes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from api.service import Service
from api.settings import Settings
from data.errors import ProtectionConflict
from geo.settlements import SettlementLookup


@pytest.mark.parametrize("backend", ["sqlite", "postgis"])
def test_two_workers_stay_in_step(
    backend: str, tmp_path: Path, settlements: SettlementLookup, request: pytest.FixtureRequest
) -> None:
    if backend == "postgis":
        pg, template = request.getfixturevalue("pg_template")
        url = pg.clone_database(template)
    else:
        url = f"sqlite:///{tmp_path / 'pvz.db'}"
    settings = Settings(database_url=url, sync_interval_s=0)
    a = Service(settings, settlements=settlements)
    b = Service(settings, settlements=settlements)
    try:
        a.create_point({"id": "P1", "lat": 55.75, "lon": 37.62}, actor="a")
        assert [c.point_id for c in b.check(55.751, 37.62).conflicts] == ["P1"]
        app = a.submit_application({"lat": 60.0, "lon": 30.0}, partner_id="x", actor="a")
        assert [c.point_id for c in b.check(60.001, 30.0).conflicts] == [app.id]
        assert b.reservation_count == 1
        a.reject_application(app.id, actor="a", reason="no")
        assert b.check(60.001, 30.0).allowed and b.reservation_count == 0
        a.update_point("P1", {"status": "closed"}, actor="a")
        assert b.check(55.751, 37.62).allowed and b.indexed_points == 0
        # the store decides: b's stale view cannot let a conflicting write through
        b.create_point({"id": "P2", "lat": 61.0, "lon": 31.0}, actor="b")
        with pytest.raises(ProtectionConflict):
            a.create_point({"id": "P3", "lat": 61.001, "lon": 31.0}, actor="a")
        assert a.indexed_points == b.indexed_points == 1
    finally:
        a.close()
        b.close()


def test_reservation_expires_in_the_index(tmp_path: Path, settlements: SettlementLookup) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'pvz.db'}",
                        reservation_days=0.3 / 86_400)  # 0.3 s  # fmt: skip
    svc = Service(settings, settlements=settlements)
    try:
        app = svc.submit_application({"lat": 60.0, "lon": 30.0}, partner_id="x", actor="t")
        assert app.allowed and not svc.check(60.001, 30.0).allowed
        time.sleep(0.5)
        assert svc.check(60.001, 30.0).allowed and svc.reservation_count == 0
        later = svc.submit_application({"lat": 60.001, "lon": 30.0}, partner_id="y", actor="t")
        assert later.allowed  # the store agrees: an expired reservation protects nothing
    finally:
        svc.close()
