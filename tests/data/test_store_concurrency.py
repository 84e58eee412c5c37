"""The protection invariant under concurrency, on both backends: of 40 applications inside a
300 m circle approved at the same moment (threads, and separate processes), exactly one wins."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import timedelta

import numpy as np
import pytest

from api.services.network import ProtectionWrites
from data.errors import ProtectionConflict
from data.store import Application, Store
from geo.geodesic import WGS84
from geo.index import PointIndex
from planning.protection import ProtectionPolicy

N_APPS = 40
CENTER = (55.7558, 37.6173)


def writes(store: Store) -> ProtectionWrites:
    """The protection-rule writes on ``store`` (the application layer's use cases)."""
    return ProtectionWrites(store, ProtectionPolicy())


WORKER = r"""
import json, sys, threading
from data.errors import ProtectionConflict
from api.services.network import ProtectionWrites
from data.store import open_store
from planning.protection import ProtectionPolicy

url, ids = sys.argv[1], sys.argv[2].split(",")
store = open_store(url, ProtectionPolicy(), migrate=False)
writes = ProtectionWrites(store, ProtectionPolicy())
results = {}
ready = threading.Barrier(len(ids) + 1)
go = threading.Event()

def run(aid):
    store._conn()  # connect before the start
    ready.wait()
    go.wait()
    try:
        writes.approve_application(aid, actor="proc")
        results[aid] = "approved"
    except ProtectionConflict:
        results[aid] = "conflict"

threads = [threading.Thread(target=run, args=(a,)) for a in ids]
for t in threads:
    t.start()
ready.wait()
print("ready", flush=True)
sys.stdin.readline()
go.set()
for t in threads:
    t.join()
print(json.dumps(results), flush=True)
store.close()
"""


def _submit_applications(store: Store) -> list[str]:
    """40 pending applications within 150 m of the centre (all pairs < 300 m); their
    reservations have expired, so the race is decided at approval."""
    rng = np.random.default_rng(5)
    ids = []
    for i in range(N_APPS):
        lon, lat, _ = WGS84.fwd(CENTER[1], CENTER[0], rng.uniform(0, 360), rng.uniform(0, 150))
        a = writes(store).submit_application(
            Application(id=f"A{i:02d}", partner_id=f"p{i}", lat=float(lat), lon=float(lon),
                        radius_m=500.0),
            actor="test", reservation=timedelta(0),
        )  # fmt: skip
        assert a.allowed
        ids.append(a.id)
    return ids


def _assert_one_winner(store: Store, results: dict[str, str]) -> None:
    assert len(results) == N_APPS
    assert sorted(results.values()).count("approved") == 1, results
    assert sorted(results.values()).count("conflict") == N_APPS - 1
    ids, lat, lon, rad, _ = store.live_points()
    assert len(ids) == 1
    index = PointIndex.from_points(ids, lat, lon, rad)
    assert len(index.self_pairs()) == 0  # the audit finds no violation
    approved = store.list_applications(status="approved")
    assert len(approved) == 1 and approved[0].point_id == ids[0]


@pytest.mark.slow
def test_concurrent_approvals_threads(store: Store) -> None:
    ids = _submit_applications(store)
    barrier = threading.Barrier(N_APPS)
    results: dict[str, str] = {}

    def approve(aid: str) -> None:
        store._conn()  # type: ignore[attr-defined]  # connect before the start
        barrier.wait()
        try:
            writes(store).approve_application(aid, actor="thread")
            results[aid] = "approved"
        except ProtectionConflict:
            results[aid] = "conflict"

    threads = [threading.Thread(target=approve, args=(a,)) for a in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    _assert_one_winner(store, results)


@pytest.mark.slow
def test_concurrent_approvals_processes(store: Store, store_url: str) -> None:
    ids = _submit_applications(store)
    n_proc = 4
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, store_url, ",".join(ids[k::n_proc])],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        for k in range(n_proc)
    ]  # fmt: skip
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        for p in procs:  # all at once
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        results: dict[str, str] = {}
        for p in procs:
            out, _ = p.communicate(timeout=120)
            assert p.returncode == 0
            results.update(json.loads(out.strip().splitlines()[-1]))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    _assert_one_winner(store, results)
