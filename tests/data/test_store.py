"""The repository suite, run against SQLite and PostgreSQL + PostGIS alike."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.services.network import ProtectionWrites
from api.services.onboarding import Onboarding
from data.errors import ConflictError, InputError, NotFoundError, ProtectionConflict
from data.store import ApiKey, Application, Point, Store, open_store
from data.store.base import search_box
from data.store.postgis import lock_keys
from geo.geodesic import WGS84, distance_m
from planning.protection import ProtectionPolicy

DAY = timedelta(days=1)


def writes(store: Store) -> ProtectionWrites:
    """The protection-rule writes on ``store`` (the application layer's use cases)."""
    return ProtectionWrites(store, ProtectionPolicy())


def onboarding(store: Store) -> Onboarding:
    """The application lifecycle on ``store`` (the application layer's use cases)."""
    return Onboarding(store, writes(store), reservation=DAY)


def at(lat: float, lon: float, azimuth_deg: float, dist_m: float) -> tuple[float, float]:
    """The point ``dist_m`` metres from ``(lat, lon)`` along an azimuth (exact geodesic)."""
    lon2, lat2, _ = WGS84.fwd(lon, lat, azimuth_deg, dist_m)
    return float(lat2), float(lon2)


def pt(pid: str, lat: float, lon: float, radius_m: float = 500.0, **kw: object) -> Point:
    return Point(id=pid, lat=lat, lon=lon, radius_m=radius_m, **kw)  # type: ignore[arg-type]


def app(
    aid: str, lat: float, lon: float, radius_m: float = 500.0, partner: str = "p1"
) -> Application:
    return Application(id=aid, partner_id=partner, lat=lat, lon=lon, radius_m=radius_m)


MOSCOW = (55.7558, 37.6173)


def test_migrate_is_idempotent(store: Store, store_url: str) -> None:
    from data.store.schema import SQLITE_MIGRATIONS

    assert store.migrate() == len(SQLITE_MIGRATIONS)
    again = open_store(store_url, ProtectionPolicy())
    assert again.migrate() == len(SQLITE_MIGRATIONS)
    again.close()


def test_point_roundtrip_and_not_found(store: Store) -> None:
    p = writes(store).create_point(pt("P1", *MOSCOW, partner_id="acme", waiting_zone=True,
                              fitting_rooms=2, area_m2=40.5), actor="t")  # fmt: skip
    got = store.get_point("P1")
    assert got == p and got.waiting_zone is True and got.fitting_rooms == 2
    with pytest.raises(NotFoundError):
        store.get_point("nope")
    with pytest.raises(ConflictError):
        writes(store).create_point(pt("P1", 10.0, 10.0), actor="t")


@pytest.mark.parametrize(
    ("dist_m", "r_existing", "r_new", "allowed"),
    [
        (499.0, 500.0, 500.0, False),
        (501.0, 500.0, 500.0, True),
        (600.0, 500.0, 700.0, False),  # the newcomer's own radius counts: max(r_p, r_c)
        (600.0, 700.0, 500.0, False),
        (999.5, 1000.0, 500.0, False),
        (1000.5, 1000.0, 500.0, True),
    ],
)
def test_rule_is_exact_and_symmetric(
    store: Store, dist_m: float, r_existing: float, r_new: float, allowed: bool
) -> None:
    writes(store).create_point(pt("P1", *MOSCOW, r_existing), actor="t")
    lat, lon = at(*MOSCOW, 37.0, dist_m)
    if allowed:
        writes(store).create_point(pt("P2", lat, lon, r_new), actor="t")
        assert store.count_points() == 2
    else:
        with pytest.raises(ProtectionConflict) as info:
            writes(store).create_point(pt("P2", lat, lon, r_new), actor="t")
        ((pid, d, r),) = info.value.conflicts
        assert pid == "P1" and d == pytest.approx(dist_m, abs=1e-6) and r == r_existing
        assert store.count_points() == 1  # nothing stored


@pytest.mark.parametrize(
    ("lat", "lon", "azimuth"),
    [
        (66.0, 179.9995, 90.0),  # Chukotka, across the antimeridian eastwards
        (66.0, -179.9995, 270.0),  # and westwards
        (73.5, 80.5, 45.0),  # Dikson
        (69.35, 88.2, 180.0),  # Norilsk
        (54.71, 20.51, 300.0),  # Kaliningrad
        (89.9999, 0.0, 180.0),  # next to the pole
    ],
)
def test_rule_everywhere_in_russia(store: Store, lat: float, lon: float, azimuth: float) -> None:
    writes(store).create_point(pt("P1", lat, lon, 1000.0), actor="t")
    lat2, lon2 = at(lat, lon, azimuth, 400.0)
    with pytest.raises(ProtectionConflict):
        writes(store).create_point(pt("P2", lat2, lon2, 1000.0), actor="t")
    lat3, lon3 = at(lat, lon, azimuth, 1000.5)
    writes(store).create_point(pt("P3", lat3, lon3, 1000.0), actor="t")


def test_kinds_and_statuses(store: Store) -> None:
    writes(store).create_point(pt("C", *MOSCOW, status="closed"), actor="t")
    writes(store).create_point(pt("POST", *at(*MOSCOW, 0, 10), kind="postamat"), actor="t")
    writes(store).create_point(pt("P1", *at(*MOSCOW, 90, 10)), actor="t")  # closed and postamat: no
    writes(store).create_point(
        pt("POST2", *at(*MOSCOW, 180, 10), kind="postamat"), actor="t"
    )  # never
    with pytest.raises(ProtectionConflict):
        writes(store).update_point("C", {"status": "active"}, actor="t")  # reopening re-checks
    assert store.get_point("C").status == "closed"
    p = writes(store).update_point(
        "C", {"status": "active"}, actor="admin", override_reason="legacy"
    )
    assert p.status == "active"
    writes(store).update_point("P1", {"status": "closed"}, actor="t")
    ids, *_ = store.live_points()
    assert sorted(ids) == ["C"]
    with pytest.raises(InputError):
        writes(store).update_point("C", {"lat": 1.0}, actor="t")
    with pytest.raises(NotFoundError):
        writes(store).update_point("nope", {"status": "closed"}, actor="t")


def test_override_is_logged(store: Store) -> None:
    writes(store).create_point(pt("P1", *MOSCOW), actor="t")
    writes(store).create_point(
        pt("P2", *at(*MOSCOW, 0, 100)), actor="admin:k", override_reason="legacy"
    )
    last = store.audit_entries()[-1]
    assert last.action == "point.created.override" and last.reason == "legacy"
    assert last.actor == "admin:k" and last.detail["conflicts"][0][0] == "P1"


def test_list_points_bbox_paging_partner(store: Store) -> None:
    pts = [pt(f"P{i:03d}", 60.0 + i * 0.1, 30.0, partner_id="a" if i % 2 else "b")
           for i in range(10)]  # fmt: skip
    pts += [pt("E1", 65.0, 179.9), pt("W1", 65.0, -179.9), pt("M1", 65.0, 0.0)]
    store.seed_points(pts, actor="t", reason="test")
    page1 = store.list_points(limit=4)
    page2 = store.list_points(limit=4, after=page1[-1].id)
    assert [p.id for p in page1 + page2] == sorted(p.id for p in pts)[:8]
    box = store.list_points(bbox=(29.0, 60.05, 31.0, 60.45))
    assert [p.id for p in box] == ["P001", "P002", "P003", "P004"]
    across = store.list_points(bbox=(179.0, 64.0, -179.0, 66.0))
    assert [p.id for p in across] == ["E1", "W1"]
    mine = store.list_points(partner_id="a")
    assert {p.id for p in mine} == {"P001", "P003", "P005", "P007", "P009"}
    assert store.count_points() == 13 and store.count_points(live_only=True) == 13


def test_reservation_blocks_until_decided_or_expired(store: Store) -> None:
    a1 = writes(store).submit_application(app("A1", *MOSCOW), actor="p1", reservation=DAY)
    assert a1.allowed and a1.reserved_until is not None
    a2 = writes(store).submit_application(app("A2", *at(*MOSCOW, 0, 200), partner="p2"), actor="p2",
                                  reservation=DAY)  # fmt: skip
    assert not a2.allowed and a2.conflicts[0].point_id == "A1" and a2.reserved_until is None
    assert a2.status == "refused" and a2.conflicts[0].kind == "reservation"
    assert a2.conflicts[0].reserved_until == a1.reserved_until
    assert store.get_application("A2").conflicts == a2.conflicts  # stored with its kind
    with pytest.raises(ProtectionConflict):
        writes(store).create_point(pt("P1", *at(*MOSCOW, 90, 100)), actor="t")
    with pytest.raises(ConflictError):  # refused: it holds nothing and cannot be approved
        writes(store).approve_application("A2", actor="e")
    # a pending application blocked by a reservation taken after its own expired
    onboarding(store).reject("A1", actor="e", reason="no")
    assert store.reservations() == []
    a2 = writes(store).submit_application(replace(a2, id="A2b", status="pending"), actor="p2",
                                          reservation=DAY)  # fmt: skip
    assert a2.status == "pending"
    approved, point = writes(store).approve_application("A2b", actor="e", reason="ok")
    assert approved.status == "approved" and approved.point_id == point.id
    assert store.get_point(point.id).partner_id == "p2"
    with pytest.raises(ConflictError):
        writes(store).approve_application("A2b", actor="e")
    with pytest.raises(ConflictError):
        onboarding(store).reject("A1", actor="e", reason="again")
    with pytest.raises(NotFoundError):
        writes(store).approve_application("nope", actor="e")
    # an expired reservation protects nothing
    writes(store).submit_application(app("A3", 60.0, 30.0), actor="p1", reservation=timedelta(0))
    a4 = writes(store).submit_application(
        app("A4", *at(60.0, 30.0, 0, 50)), actor="p1", reservation=DAY
    )
    assert a4.allowed
    assert [a.id for a in store.list_applications(partner_id="p1")] == ["A1", "A3", "A4"]
    assert [a.id for a in store.list_applications(status="approved")] == ["A2b"]


def test_keys(store: Store) -> None:
    key = ApiKey("h" * 64, "k-1", "partner", "acme", "2026-01-01T00:00:00+00:00", "t")
    assert store.add_key(key, actor="t") is True
    assert store.add_key(replace(key, role="admin"), actor="t") is False
    assert store.get_key("h" * 64) == key
    assert store.get_key("x" * 64) is None


def test_audit_log_is_append_only(store: Store) -> None:
    writes(store).create_point(pt("P1", *MOSCOW), actor="t")
    assert store.last_audit_id() == 1
    for sql in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(Exception, match="append-only"), store._write() as cur:  # type: ignore[attr-defined]
            cur.execute(sql)
    assert store.audit_entries()[0].actor == "t"


@settings(max_examples=300, deadline=None)
@given(
    lat=st.floats(-89.5, 89.5),
    lon=st.floats(-180, 180),
    reach=st.floats(10, 5000),
    az=st.floats(0, 360),
    frac=st.floats(0, 0.999),
)
def test_search_box_and_lock_cells_cover_the_reach(
    lat: float, lon: float, reach: float, az: float, frac: float
) -> None:
    lat2, lon2 = at(lat, lon, az, reach * frac)
    assert float(distance_m(lat, lon, lat2, lon2)) < reach
    lo, hi, ranges = search_box(lat, lon, reach)
    assert lo <= lat2 <= hi
    assert any(a <= lon2 <= b for a, b in ranges)
    # a write at the far point locks its own cell, which the near write locks too
    assert set(lock_keys(lat2, lon2, 1.0)) & set(lock_keys(lat, lon, reach))


def test_live_points_arrays(store: Store) -> None:
    store.seed_points([pt("A", 1.0, 2.0, 700.0), pt("B", 3.0, 4.0, status="closed")],
                      actor="t", reason="t")  # fmt: skip
    ids, lat, lon, rad, kind = store.live_points()
    assert ids == ["A"] and np.allclose([lat[0], lon[0], rad[0]], [1.0, 2.0, 700.0])
    assert kind == ["partner"]


def test_reconnects_after_a_lost_connection(store: Store) -> None:
    if store.backend != "postgis":
        pytest.skip("a SQLite file cannot go away")
    writes(store).create_point(pt("P1", *MOSCOW), actor="t")
    store._conn().close()  # type: ignore[attr-defined]  # as if the server had restarted
    assert store.get_point("P1").id == "P1"
    writes(store).create_point(pt("P2", 10.0, 10.0), actor="t")


def test_integrity_errors_are_conflicts(store: Store) -> None:
    store.seed_points([pt("P1", 1.0, 1.0)], actor="t", reason="t")
    with pytest.raises(ConflictError):  # the database's unique key, not a Python check
        store.seed_points([pt("P1", 2.0, 2.0)], actor="t", reason="t")
    assert store.get_point("P1").lat == 1.0 and store.count_points() == 1


def test_version_4_reads_applications_stored_before_it(tmp_path: Path) -> None:
    """An application blocked at submission and stored as ``pending`` before version 4
    reads ``refused``; its conflicts, stored as (id, distance, radius), read as points."""
    from data.store.schema import SQLITE_MIGRATIONS

    old = open_store(f"sqlite:///{tmp_path / 'old.db'}", ProtectionPolicy(), migrate=False)
    with old._write() as cur:  # type: ignore[attr-defined]
        cur.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for version, script in enumerate(SQLITE_MIGRATIONS[:3], start=1):
            old._execute_script(cur, script)  # type: ignore[attr-defined]
            cur.execute("INSERT INTO schema_version (version) VALUES (?)", [version])
        for aid, allowed in (("A1", True), ("A2", False)):
            cur.execute(
                "INSERT INTO applications (id, partner_id, lat, lon, radius_m, kind, status, "
                "allowed, conflicts, reserved_until, created_at) VALUES "
                "(?, 'p', 60.0, 30.0, 1000.0, 'partner', 'pending', ?, ?, ?, "
                "'2026-01-01T00:00:00+00:00')",
                [aid, allowed, '[["P9", 120.5, 500.0]]' if not allowed else "[]",
                 "2999-01-01T00:00:00+00:00" if allowed else None],
            )  # fmt: skip
    old.close()
    store = open_store(f"sqlite:///{tmp_path / 'old.db'}", ProtectionPolicy())
    try:
        a1, a2 = store.get_application("A1"), store.get_application("A2")
        assert (a1.status, a2.status) == ("pending", "refused")
        assert a2.conflicts[0].kind == "point" and a2.conflicts[0].point_id == "P9"
        assert a1.forecast is None and [a.id for a in store.reservations()] == ["A1"]
    finally:
        store.close()
