"""The orders repository (schema version 2), run against SQLite and PostgreSQL + PostGIS alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.services.network import ProtectionWrites
from data.errors import ConflictError, InputError
from data.store import OrderLine, Point, Store, open_store
from data.store.schema import POSTGIS_MIGRATIONS, SQLITE_MIGRATIONS
from data.store.sqlite import SqliteStore
from planning.protection import ProtectionPolicy


def line(oid: str, pid: str = "P1", day: str = "2020-10-14", kop: int = 100_000,
         status: str = "issued") -> OrderLine:  # fmt: skip
    return OrderLine(order_id=oid, point_id=pid, issued_on=day, price_kop=kop, status=status)


@pytest.fixture
def shop(store: Store) -> Store:
    """A store with P1 (opened 2020-07-15), P2 (opened 2020-04-10, 20 days closed) and P3
    (no opening date)."""
    store.seed_points(
        [Point(id="P1", lat=55.75, lon=37.61, radius_m=500.0, partner_id="acme",
               opened_on="2020-07-15"),
         Point(id="P2", lat=59.93, lon=30.31, radius_m=500.0, opened_on="2020-04-10",
               closed_days_2020=20),
         Point(id="P3", lat=56.0, lon=38.0, radius_m=500.0)],
        actor="test", reason="fixture",
    )  # fmt: skip
    return store


def snapshot(store: Store) -> tuple[list[OrderLine], int]:
    """Every stored order (P1, P2, P3, all time) and the newest audit id."""
    every = {"issued_from": "0001-01-01", "issued_to": "9999-12-31"}
    rows = [o for p in ("P1", "P2", "P3") for o in store.list_orders(p, **every)]
    return rows, store.last_audit_id()


def test_schema_version_3_on_both_backends(shop: Store) -> None:
    assert len(SQLITE_MIGRATIONS) == len(POSTGIS_MIGRATIONS) >= 3
    assert shop.migrate() == len(SQLITE_MIGRATIONS)
    assert shop.get_point("P2").closed_days_2020 == 20
    assert shop.get_point("P1").closed_days_2020 is None
    p = ProtectionWrites(shop, ProtectionPolicy()).update_point(
        "P1", {"closed_days_2020": 3}, actor="t"
    )
    assert p.closed_days_2020 == 3 and shop.get_point("P1").closed_days_2020 == 3


def test_upgrade_from_version_1_keeps_data(tmp_path: Path) -> None:
    class V1(SqliteStore):
        def _schema(self) -> list[str]:
            return SQLITE_MIGRATIONS[:1]

    old = V1(tmp_path / "old.db", ProtectionPolicy())
    assert old.migrate() == 1
    with old._write() as cur:  # a row written by the version-1 code (no closed_days_2020)
        cur.execute("INSERT INTO points (id, lat, lon, radius_m, kind, status, opened_on, "
                    "created_at, updated_at) VALUES ('P1', 55, 37, 500, 'partner', 'active', "
                    "'2020-07-01', 't', 't')")  # fmt: skip
    old.close()
    new = open_store(f"sqlite:///{tmp_path / 'old.db'}", ProtectionPolicy())
    assert new.get_point("P1").opened_on == "2020-07-01"
    assert new.get_point("P1").closed_days_2020 is None
    assert new.upsert_orders([line("O1")], actor="t").created == 1
    new.close()


def test_upsert_is_idempotent(shop: Store) -> None:
    batch = [line("O1"), line("O2", kop=500_000), line("O3", pid="P2", day="2020-05-01",
                                                            status="returned")]  # fmt: skip
    got = shop.upsert_orders(batch, actor="admin:k1")
    assert (got.received, got.created, got.updated, got.unchanged) == (3, 3, 0, 0)
    before = snapshot(shop)
    again = shop.upsert_orders(list(reversed(batch)), actor="admin:k1")
    assert (again.received, again.created, again.updated, again.unchanged) == (3, 0, 0, 3)
    assert snapshot(shop) == before  # no row and no audit entry changed
    assert shop.list_orders("P1", issued_from="2020-10-01", issued_to="2020-10-31") == batch[:2]


def test_exact_repeats_in_one_upload_count_once(shop: Store) -> None:
    got = shop.upsert_orders([line("O1"), line("O1"), line("O2")], actor="t")
    assert (got.received, got.created, got.unchanged) == (3, 2, 0)


def test_status_change_is_updated_and_logged(shop: Store) -> None:
    shop.upsert_orders([line("O1"), line("O2")], actor="admin:k1")
    mark = shop.last_audit_id()
    got = shop.upsert_orders([line("O1", status="returned"), line("O2"), line("O3")],
                             actor="admin:k2", source="returns.csv")  # fmt: skip
    assert (got.created, got.updated, got.unchanged) == (1, 1, 1)
    stored = shop.list_orders("P1", issued_from="2020-10-14", issued_to="2020-10-14")
    assert [o.status for o in stored] == ["returned", "issued", "issued"]
    entries = shop.audit_entries(after_id=mark)
    change = [e for e in entries if e.action == "order.status_changed"]
    assert len(change) == 1
    e = change[0]
    assert (e.actor, e.entity, e.entity_id) == ("admin:k2", "order", "O1")
    assert e.detail["before"] == "issued" and e.detail["after"] == "returned"
    assert e.detail["point_id"] == "P1" and e.at
    assert [x.action for x in entries].count("orders.ingested") == 1


@pytest.mark.parametrize(
    "changed",
    [line("O1", kop=100_001), line("O1", day="2020-10-15"), line("O1", pid="P2")],
    ids=["price", "day", "point"],
)
def test_changed_money_facts_are_a_conflict(shop: Store, changed: OrderLine) -> None:
    shop.upsert_orders([line("O1")], actor="t")
    before = snapshot(shop)
    with pytest.raises(ConflictError, match=r"row 2: order 'O1' is stored as point P1"):
        shop.upsert_orders([line("O9"), changed], actor="t")
    assert snapshot(shop) == before  # O9 (valid) was not written either


@pytest.mark.parametrize(
    ("bad", "row", "column", "message"),
    [
        (line("X", pid="nope"), 2, "point_id", "unknown point 'nope'"),
        (line("X", pid="P3"), 2, "point_id", "has no opening date"),
        (line("X", day="2020-07-14"), 2, "issued_on", "issued before point 'P1' opened"),
        (line("X", day="2020-02-30"), 2, "issued_on", "not an existing date"),
        (line("X", kop=-1), 2, "price_rub", "whole kopecks >= 0"),
        (line("X", status="lost"), 2, "status", "unknown status 'lost'"),
        (line("O1", kop=1), 2, "order_id", "appears twice with different content"),
    ],
    ids=["unknown-point", "no-opening", "before-opening", "bad-date", "negative", "status",
         "duplicate"],
)  # fmt: skip
def test_bad_lines_write_nothing(
    shop: Store, bad: OrderLine, row: int, column: str, message: str
) -> None:
    shop.upsert_orders([line("O0")], actor="t")
    before = snapshot(shop)
    with pytest.raises(InputError) as info:
        shop.upsert_orders([line("O1"), bad, line("O2")], actor="t", source="body")
    assert info.value.row == row and info.value.column == column
    assert message in str(info.value) and str(info.value).startswith(f"body, row {row}")
    assert snapshot(shop) == before


def test_list_orders_filters_by_point_and_days(shop: Store) -> None:
    shop.upsert_orders([line("b", day="2020-10-31"), line("a", day="2020-10-01"),
                        line("c", day="2020-11-01"), line("d", day="2020-09-30"),
                        line("e", pid="P2", day="2020-10-05")], actor="t")  # fmt: skip
    got = shop.list_orders("P1", issued_from="2020-10-01", issued_to="2020-10-31")
    assert [o.order_id for o in got] == ["a", "b"]
    assert shop.list_orders("nope", issued_from="2020-10-01", issued_to="2020-10-31") == []


def test_large_upload_spans_query_chunks(shop: Store) -> None:
    batch = [line(f"O{i:05d}", kop=i) for i in range(1300)]
    assert shop.upsert_orders(batch, actor="t").created == 1300
    batch[1234] = line("O01234", kop=1234, status="cancelled")
    got = shop.upsert_orders(batch, actor="t")
    assert (got.created, got.updated, got.unchanged) == (0, 1, 1299)
    assert len(shop.list_orders("P1", issued_from="2020-10-14", issued_to="2020-10-14")) == 1300


# ---------------------------------------------------------------------------------------
# version 3: the day of a return or cancellation


def test_upgrade_from_version_2_keeps_orders(tmp_path: Path) -> None:
    class V2(SqliteStore):
        def _schema(self) -> list[str]:
            return SQLITE_MIGRATIONS[:2]

    old = V2(tmp_path / "old.db", ProtectionPolicy())
    assert old.migrate() == 2
    with old._write() as cur:  # rows written by the version-2 code (no event days)
        cur.execute(
            "INSERT INTO points (id, lat, lon, radius_m, kind, status, opened_on, "
            "created_at, updated_at) VALUES ('P1', 55, 37, 500, 'partner', 'active', "
            "'2020-07-01', 't', 't')"
        )
        cur.execute("INSERT INTO orders (order_id, point_id, issued_on, price_kop, status, "
                    "created_at, updated_at) VALUES ('O1', 'P1', '2020-07-02', 100, "
                    "'returned', 't', 't')")  # fmt: skip
    old.close()
    new = open_store(f"sqlite:///{tmp_path / 'old.db'}", ProtectionPolicy())
    assert new.migrate() == len(SQLITE_MIGRATIONS)
    every = {"issued_from": "0001-01-01", "issued_to": "9999-12-31"}
    assert new.list_orders("P1", **every) == [line("O1", day="2020-07-02", kop=100,
                                                   status="returned")]  # fmt: skip
    got = new.upsert_orders([OrderLine("O1", "P1", "2020-07-02", 100, "returned",
                                       returned_on="2020-08-01")], actor="t")  # fmt: skip
    assert got.updated == 1
    assert new.list_orders("P1", **every)[0].returned_on == "2020-08-01"
    new.close()


def test_event_days_are_stored_changed_and_logged(shop: Store) -> None:
    shop.upsert_orders([line("O1"), line("O2")], actor="admin:k1")
    mark = shop.last_audit_id()
    returned = OrderLine("O1", "P1", "2020-10-14", 100_000, "returned", returned_on="2020-11-03")
    got = shop.upsert_orders([returned, line("O2")], actor="admin:k2", source="returns.csv")
    assert (got.created, got.updated, got.unchanged) == (0, 1, 1)
    assert shop.upsert_orders([returned], actor="t").unchanged == 1  # idempotent
    (e,) = [x for x in shop.audit_entries(after_id=mark) if x.action == "order.status_changed"]
    assert (e.actor, e.entity_id, e.detail["before"], e.detail["after"]) == (
        "admin:k2", "O1", "issued", "returned")  # fmt: skip
    assert e.detail["returned_on"] == [None, "2020-11-03"]
    assert e.detail["cancelled_on"] == [None, None]
    # the correction of a day is an event too
    moved = OrderLine("O1", "P1", "2020-10-14", 100_000, "returned", returned_on="2020-11-04")
    assert shop.upsert_orders([moved], actor="t").updated == 1
    last = shop.audit_entries(after_id=mark)[-2]
    assert last.detail["returned_on"] == ["2020-11-03", "2020-11-04"]


def test_statement_orders_include_events_of_the_month(shop: Store) -> None:
    shop.upsert_orders([
        line("a", day="2020-10-05"),
        OrderLine("b", "P1", "2020-09-20", 100, "returned", returned_on="2020-10-02"),
        OrderLine("c", "P1", "2020-09-21", 100, "cancelled", cancelled_on="2020-10-31"),
        OrderLine("d", "P1", "2020-09-22", 100, "returned", returned_on="2020-11-01"),
        OrderLine("e", "P1", "2020-09-23", 100, "returned"),
        OrderLine("f", "P2", "2020-09-23", 100, "returned", returned_on="2020-10-02"),
    ], actor="t")  # fmt: skip
    got = shop.list_statement_orders("P1", first="2020-10-01", last="2020-10-31")
    assert [o.order_id for o in got] == ["b", "c", "a"]
    assert got[0].returned_on == "2020-10-02" and got[1].cancelled_on == "2020-10-31"


@pytest.mark.parametrize(
    ("bad", "column", "message"),
    [
        (OrderLine("X", "P1", "2020-10-14", 1, "returned", returned_on="2020-10-13"),
         "returned_on", "before the issue day"),
        (OrderLine("X", "P1", "2020-10-14", 1, "returned", returned_on="2020-10-1x"),
         "returned_on", "not an existing date"),
        (OrderLine("X", "P1", "2020-10-14", 1, "returned", returned_on="٢٠٢٠-١٠-١٥"),
         "returned_on", "not an existing date"),
        (OrderLine("X", "P1", "2020-10-14", 1, "issued", cancelled_on="2020-10-15"),
         "cancelled_on", "status is 'issued'"),
        (OrderLine("X", "P1", "2020-10-14", 1, "cancelled", returned_on="2020-10-15",
                   cancelled_on="2020-10-15"), "cancelled_on", "both"),
    ],
    ids=["before-issue", "not-a-day", "arabic-digits", "wrong-status", "both"],
)  # fmt: skip
def test_bad_event_days_write_nothing(
    shop: Store, bad: OrderLine, column: str, message: str
) -> None:
    before = snapshot(shop)
    with pytest.raises(InputError) as info:
        shop.upsert_orders([line("O1"), bad], actor="t", source="body")
    assert (info.value.row, info.value.column) == (2, column) and message in str(info.value)
    assert snapshot(shop) == before


# version 4: keys with a lifecycle (revoked_at, last_used_at)
def test_upgrade_from_version_3_keeps_keys(tmp_path: Path) -> None:
    class V3(SqliteStore):
        def _schema(self) -> list[str]:
            return SQLITE_MIGRATIONS[:3]

    old = V3(tmp_path / "old.db", ProtectionPolicy())
    assert old.migrate() == 3
    with old._write() as cur:  # a key written by the version-3 code
        cur.execute("INSERT INTO api_keys (key_hash, key_id, role, partner_id, created_at, "
                    "created_by) VALUES ('h1', 'k-1', 'partner', 'acme', 't', 'x')")  # fmt: skip
    old.close()
    new = open_store(f"sqlite:///{tmp_path / 'old.db'}", ProtectionPolicy())
    assert new.migrate() == len(SQLITE_MIGRATIONS) >= 4
    key = new.get_key("h1")
    assert key is not None and key.role == "partner" and key.revoked_at is None
    assert new.revoke_key("k-1", actor="t").revoked_at is not None
    assert new.get_key("h1").revoked_at is not None  # type: ignore[union-attr]
    new.close()
