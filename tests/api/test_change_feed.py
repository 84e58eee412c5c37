"""One read of the audit log feeds every cache: two services on one database (two workers),
a write through one reaches every cache of the other through its one change feed.

The stores are real (SQLite and a throwaway PostGIS); the reads of the log are counted by a
subclass of the store's own class, every call passing through to the real method.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from apikit import ADMIN, make_service
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import Caller, KeyCache, create_key, hash_key
from api.service import Service
from api.services.changes import ChangeFeed
from api.services.density import density_model
from api.services.planning import NetworkModel
from api.settings import Settings
from data.store import Point, Store, open_store
from geo.settlements import SettlementLookup
from planning.demand import Demand
from planning.protection import ProtectionPolicy

WORLD = (-180.0, -90.0, 180.0, 90.0)
MOSCOW = (55.75, 37.62)


def counting(store: Store) -> Store:
    """``store`` itself, its class replaced by a subclass that counts the reads of the audit
    log (``changes_since``, ``last_audit_id``) in ``store.log_reads``."""
    base = type(store)

    class Counting(base):  # type: ignore[valid-type, misc]
        def changes_since(self, after_id: int, *, limit: int = 5000) -> Any:
            self.log_reads["changes_since"] += 1
            return super().changes_since(after_id, limit=limit)

        def last_audit_id(self) -> int:
            self.log_reads["last_audit_id"] += 1
            return int(super().last_audit_id())

    store.__class__ = Counting
    store.log_reads = {"changes_since": 0, "last_audit_id": 0}  # type: ignore[attr-defined]
    return store


@pytest.fixture
def workers(store_url: str, settlements: SettlementLookup) -> Iterator[tuple[Service, Service]]:
    """Worker ``a`` (syncs at once) and worker ``b``, whose feed reads the log only when
    told to (an unforced poll never comes due), on one database."""
    a = make_service(store_url, settlements)
    a.store.seed_points([Point(id="P0", lat=60.0, lon=30.0, radius_m=500.0)], actor="t",
                        reason="fixture")  # fmt: skip
    b = Service(Settings(database_url=store_url, sync_interval_s=3600.0), settlements=settlements)
    try:
        yield a, b
    finally:
        a.close()
        b.close()


def _demand() -> Demand:
    rng = np.random.default_rng(3)
    n = 200
    return Demand(np.arange(n).astype(object), 55.70 + rng.uniform(0, 0.1, n),
                  37.55 + rng.uniform(0, 0.15, n), rng.uniform(1, 10, n))  # fmt: skip


def test_one_read_of_the_log_reaches_every_cache_of_the_other_worker(
    workers: tuple[Service, Service],
) -> None:
    a, b = workers
    assert b.changes.poll(max_age_s=0) == 0  # the seeding came before b started
    b.sync()
    # b's caches, each built before a's writes
    model = NetworkModel(b, demand=_demand(), refresh_s=0.0)
    built = model.builds
    model.model()
    assert set(model.points()["id"]) == {"P0"}
    density = density_model(b)
    assert density.counts(WORLD, 2).total == 1
    keys = KeyCache(60.0)
    b.changes.subscribe(("key",), callback=keys.on_changes)
    token, record = create_key(a, role="partner", partner_id="acme", actor="t")
    keys.put(hash_key(token), Caller(record.key_id, record.role, record.partner_id))
    assert b.check(*MOSCOW).allowed and b.reservation_count == 0

    # worker a writes: a point, an application (a reservation), a key revoked
    a.create_point({"id": "P1", "lat": MOSCOW[0], "lon": MOSCOW[1]}, actor="a")
    app = a.submit_application({"lat": 61.0, "lon": 31.0}, partner_id="x", actor="a")
    a.revoke_key(record.key_id, actor="a")

    reads = counting(b.store).log_reads  # type: ignore[attr-defined]
    assert b.changes.poll(max_age_s=0) >= 4  # one read, for every cache
    assert reads == {"changes_since": 1, "last_audit_id": 0} and b.changes.cursor > 0

    # every cache of b has a's writes, and none read the log again
    assert [c.point_id for c in b.check(MOSCOW[0] + 0.001, MOSCOW[1]).conflicts] == ["P1"]
    assert [c.point_id for c in b.check(61.001, 31.0).conflicts] == [app.id]
    assert b.reservation_count == 1
    assert set(model.points()["id"]) == {"P0", "P1"}
    model.model()
    assert model.builds == built + 2  # built before the writes, rebuilt once after
    counts = density.counts(WORLD, 2)
    assert counts.total == 2 and sum(counts.live) == 2
    assert keys.fresh(hash_key(token)) is None  # the revoked key is read again, and refused
    assert reads == {"changes_since": 1, "last_audit_id": 0}


def test_the_feed_hands_every_subscriber_the_same_entries_in_order(store: Store) -> None:
    feed = ChangeFeed(store, interval_s=3600.0)
    assert feed.poll() == 0 and feed.reads == 1  # read at the start: not due for an hour
    every, points = feed.subscribe(), feed.subscribe(("point",))
    pushed: list[tuple[int, str, str]] = []
    feed.subscribe(("key",), callback=pushed.extend)
    store.seed_points([Point(id="P1", lat=60.0, lon=30.0, radius_m=500.0)], actor="t",
                      reason="r")  # fmt: skip
    create_key(store, role="admin", actor="t")
    store.seed_points([], actor="t", reason="empty")
    assert feed.poll(max_age_s=0) >= 2 and feed.reads == 2
    got = every.take()
    assert got is not None and [e[0] for e in got] == sorted(e[0] for e in got)
    assert points.take() == [e for e in got if e[1] == "point"]
    assert pushed == [e for e in got if e[1] == "key"] and pushed
    assert every.take() == [] and not every.pending
    # nothing new: handed on once only
    assert feed.poll(max_age_s=0) == 0 and every.take() == [] and feed.reads == 3


def test_an_inbox_that_overflows_says_so_once(store: Store) -> None:
    feed = ChangeFeed(store, interval_s=0.0)
    small = feed.subscribe(limit=1)
    for k in range(3):
        create_key(store, role="admin", actor=f"t{k}")
    feed.poll()
    assert small.pending and small.take() is None  # entries were dropped: rebuild
    assert small.take() == [] and not small.pending


def test_a_frozen_feed_reads_no_more(store: Store) -> None:
    feed = ChangeFeed(counting(store), interval_s=0.0)
    sub = feed.subscribe()
    feed.freeze()
    create_key(store, role="admin", actor="t")
    reads = dict(store.log_reads)  # type: ignore[attr-defined]
    assert feed.poll(max_age_s=0) == 0 and sub.take() == []
    assert store.log_reads == reads  # type: ignore[attr-defined]


def test_a_late_commit_below_the_cursor_is_handed_on(store_url: str) -> None:
    """PostgreSQL: an audit entry whose id is below one already read (its transaction took
    the id first and commits last) is handed on when it commits, and once."""
    if not store_url.startswith("postgres"):
        pytest.skip("SQLite writers are serialised: ids commit in order")
    import psycopg

    store = open_store(store_url, ProtectionPolicy())
    try:
        feed = ChangeFeed(store, interval_s=0.0)
        sub = feed.subscribe()
        with psycopg.connect(store_url) as slow:  # a transaction left open
            early = slow.execute(
                "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail) "
                "VALUES ('2026-01-01T00:00:00Z', 't', 'key.created', 'key', 'k-early', '{}') "
                "RETURNING id"
            ).fetchone()[0]  # fmt: skip
            _, late = create_key(store, role="admin", actor="t")
            feed.poll()
            got = sub.take()
            assert got is not None and [(e[1], e[2]) for e in got] == [("key", late.key_id)]
            assert got[0][0] > early
            slow.commit()
        feed.poll()
        assert sub.take() == [(early, "key", "k-early")]
        feed.poll()
        assert sub.take() == []
    finally:
        store.close()


def test_the_apps_key_cache_is_fed(store_url: str, settlements: SettlementLookup) -> None:
    """A key revoked through worker a is refused by worker b as soon as b's feed reads the
    log (here: the sync after b's own write), before b's key cache's time runs out."""
    one = make_service(store_url, settlements, key_cache_s=2.0)
    two = make_service(store_url, settlements, key_cache_s=2.0)
    token, record = create_key(one, role="partner", partner_id="acme", actor="t")
    head = {"X-API-Key": token}
    check = {"lat": MOSCOW[0], "lon": MOSCOW[1]}
    try:
        with (
            TestClient(create_app(one.settings, service=one)) as c1,
            TestClient(create_app(two.settings, service=two)) as c2,
        ):
            assert c2.post("/v1/protection/check", json=check, headers=head).status_code == 200
            assert c1.delete(f"/v1/keys/{record.key_id}",
                             headers={"X-API-Key": ADMIN}).status_code == 200  # fmt: skip
            two.sync(force=True)
            r = c2.post("/v1/protection/check", json=check, headers=head)
            assert r.status_code == 401 and "отозван" in r.json()["message"]
    finally:
        one.close()
        two.close()
