"""Heavy work off the request path: budgets, worker processes, jobs (status, result, cancel,
ownership), the same answers whichever way the work ran."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from apikit import MOSCOW, Api, error, near, running_app

from api.services.jobs import Budget, OverBudget, pairs_within, plan_cost
from data.store import Point
from geo.geodesic import WGS84
from geo.settlements import SettlementLookup

NETWORK = [Point(id=f"P{i}", lat=near(*MOSCOW, 700.0 * i, 37.0 * i)[0],
                 lon=near(*MOSCOW, 700.0 * i, 37.0 * i)[1], radius_m=500.0)
           for i in range(1, 30)]  # fmt: skip

PLAN: dict[str, Any] = {"candidates": [{"id": "a", "lat": 55.70, "lon": 37.50},
                       {"id": "b", "lat": 55.705, "lon": 37.505},
                       {"id": "c", "lat": 55.80, "lon": 37.70}],
        "k": 2, "service_radius_m": 1500,
        "demand": [{"lat": 55.701, "lon": 37.501, "weight": 10.0},
                   {"lat": 55.706, "lon": 37.506, "weight": 4.0},
                   {"lat": 55.801, "lon": 37.701, "weight": 7.0}]}  # fmt: skip
BATCH = {"candidates": [{"id": f"c{i}", "lat": near(*MOSCOW, 97.0 * i, 11.0 * i)[0],
                         "lon": near(*MOSCOW, 97.0 * i, 11.0 * i)[1]}
                        for i in range(300)]}  # fmt: skip


def _api(url: str, settlements: SettlementLookup, **budget: Any) -> Iterator[Api]:
    with running_app(url, settlements, NETWORK, **budget) as (client, service):
        yield Api(client, service, {"acme": "acme", "other": "other"})


@pytest.fixture(scope="module")
def inline(
    tmp_path_factory: pytest.TempPathFactory, settlements: SettlementLookup
) -> Iterator[Api]:
    """Everything runs in the server process (the budget's inline tier is huge)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('inline') / 'pvz.db'}"
    yield from _api(url, settlements, cost_inline=1e12, cost_sync=1e12, cost_limit=1e12)


@pytest.fixture(scope="module")
def forked(
    tmp_path_factory: pytest.TempPathFactory, settlements: SettlementLookup
) -> Iterator[Api]:
    """Everything runs in a worker process while the request waits."""
    url = f"sqlite:///{tmp_path_factory.mktemp('forked') / 'pvz.db'}"
    yield from _api(url, settlements, cost_inline=0, cost_sync=1e12, cost_limit=1e12)


@pytest.fixture
def jobs(tmp_path: Any, settlements: SettlementLookup) -> Iterator[Api]:
    """Everything runs as a job; one worker; a queue of two."""
    url = f"sqlite:///{tmp_path / 'pvz.db'}"
    yield from _api(url, settlements, cost_inline=0, cost_sync=0, cost_limit=1e12,
                    job_queue=2)  # fmt: skip


def _wait(api: Api, job_id: str, who: str = "expansion", timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        r = api.call("GET", f"/v1/jobs/{job_id}", who)
        assert r.status_code == 200, r.text
        if r.json()["status"] in ("done", "failed", "cancelled") or time.monotonic() > deadline:
            return r.json()
        time.sleep(0.05)


# ---------------------------------------------------------------- the same answers
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("POST", "/v1/plan", PLAN), ("POST", "/v1/protection/check-batch", BATCH),
     ("POST", "/v1/candidates/score", {"candidates": BATCH["candidates"][:20]}),
     ("GET", "/v1/whitespace?bbox=37.3,55.6,37.9,55.9&limit=3", None)],
)  # fmt: skip
def test_a_worker_process_answers_as_the_server_would(
    inline: Api, forked: Api, method: str, path: str, body: Any
) -> None:
    here = inline.call(method, path, "expansion", json=body)
    there = forked.call(method, path, "expansion", json=body)
    assert here.status_code == there.status_code == 200, there.text
    assert there.json() == here.json()


def test_a_worker_process_raises_the_routes_errors(forked: Api) -> None:
    body = {**PLAN, "candidates": [*PLAN["candidates"], {"lat": 55.7, "lon": 37.5,
                                                          "kind": "spaceship"}]}  # fmt: skip
    r = error(forked.call("POST", "/v1/plan", "expansion", json=body), 422, "invalid_input")
    assert "spaceship" in r["message"]


def test_a_worker_sees_the_index_as_it_was_at_the_start(forked: Api) -> None:
    """The index the worker used is the server's at the fork: a point added just before is
    a blocker in the worker's answer too."""
    lat, lon = near(*MOSCOW, 5000, 200)
    r = forked.call("POST", "/v1/points", "admin", json={"id": "NEW", "lat": lat, "lon": lon})
    assert r.status_code == 201, r.text
    c = near(lat, lon, 100, 0)
    body = {"candidates": [{"id": "x", "lat": c[0], "lon": c[1]}]}
    r = forked.call("POST", "/v1/protection/check-batch", "expansion", json=body)
    assert [x["point_id"] for x in r.json()["results"][0]["conflicts"]] == ["NEW"]


# ---------------------------------------------------------------- budget
def test_over_budget_is_413_naming_the_limit_and_the_estimate(
    tmp_path: Any, settlements: SettlementLookup
) -> None:
    url = f"sqlite:///{tmp_path / 'pvz.db'}"
    for api in _api(url, settlements, cost_limit=100):
        for method, path, body in [("POST", "/v1/plan", PLAN),
                                   ("POST", "/v1/protection/check-batch", BATCH),
                                   ("GET", "/v1/whitespace", None)]:  # fmt: skip
            r = error(api.call(method, path, "expansion", json=body), 413, "over_budget")
            assert "budget of 100 units" in r["message"] and "estimated work" in r["message"]
            assert api.service.store.count_points() == len(NETWORK)


def test_budget_tiers() -> None:
    b = Budget(inline=10, sync=100, limit=1000)
    assert [b.mode(c, "x") for c in (0, 10, 11, 100, 101, 1000)] == [
        "inline", "inline", "sync", "sync", "job", "job"]  # fmt: skip
    with pytest.raises(OverBudget, match="1,001 units is over the budget of 1,000"):
        b.mode(1001, "x")
    with pytest.raises(OverBudget):
        b.mode(float("nan"), "x")


def test_pairs_within_estimates_the_true_count() -> None:
    rng = np.random.default_rng(3)
    a_lat, a_lon = 55.5 + rng.random(300) * 0.5, 37.3 + rng.random(300) * 0.6
    b_lat, b_lon = 55.5 + rng.random(2000) * 0.5, 37.3 + rng.random(2000) * 0.6
    for radius in (500.0, 2000.0, 10_000.0):
        _, _, d = WGS84.inv(np.repeat(a_lon, 2000), np.repeat(a_lat, 2000),
                            np.tile(b_lon, 300), np.tile(b_lat, 300))  # fmt: skip
        true = int((d < radius).sum())
        est = pairs_within(a_lat, a_lon, b_lat, b_lon, radius)
        assert true / 2 <= est <= true * 2, (radius, true, est)
    assert pairs_within([], [], b_lat, b_lon, 500.0) == 0.0
    # the plan: 5,000 candidates, 100,000 demand points in one city, 50 km, k=1000
    big = plan_cost(
        5000,
        1000,
        pairs_within(
            a_lat[:1].repeat(5000),
            a_lon[:1].repeat(5000),
            b_lat.repeat(50),
            b_lon.repeat(50),
            50_000,
        ),
    )
    assert big > 1e8


# ---------------------------------------------------------------- jobs
def test_a_job_runs_and_its_caller_gets_the_result(jobs: Api, inline: Api) -> None:
    r = jobs.call("POST", "/v1/plan", "expansion", json=PLAN)
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] in ("queued", "running") and job["kind"] == "plan"
    assert r.headers["location"] == f"/v1/jobs/{job['id']}"
    done = _wait(jobs, job["id"])
    assert done["status"] == "done", done
    assert done["result"] == inline.call("POST", "/v1/plan", "expansion", json=PLAN).json()


def test_a_job_belongs_to_its_caller(jobs: Api) -> None:
    r = jobs.call("POST", "/v1/protection/check-batch", "acme", json=BATCH)
    assert r.status_code == 403  # partners may not batch; expansion and admin may
    job = jobs.call("POST", "/v1/plan", "expansion", json=PLAN).json()
    for who in ("acme", "other", "admin"):
        error(jobs.call("GET", f"/v1/jobs/{job['id']}", who), 404, "not_found")
        error(jobs.call("DELETE", f"/v1/jobs/{job['id']}", who), 404, "not_found")
    error(jobs.call("GET", "/v1/jobs/Jnope", "expansion"), 404, "not_found")
    error(jobs.call("GET", f"/v1/jobs/{job['id']}", None), 401)
    assert _wait(jobs, job["id"])["status"] == "done"


def test_a_failed_job_says_why(jobs: Api) -> None:
    body = {**PLAN, "candidates": [{"lat": 55.7, "lon": 37.5, "kind": "spaceship"}]}
    job = jobs.call("POST", "/v1/plan", "expansion", json=body).json()
    done = _wait(jobs, job["id"])
    assert done["status"] == "failed" and "spaceship" in done["error"]


def _slow(api: Api) -> str:
    """A job that runs for a long while (about a minute and a half here): 2,000 candidates,
    20,000 demand points, 10 km, k = 500."""
    rng = np.random.default_rng(5)
    d = rng.random((20_000, 2)).tolist()
    c = rng.random((2000, 2)).tolist()
    demand = [{"lat": 55.5 + a * 0.5, "lon": 37.3 + b * 0.6, "weight": 1.0} for a, b in d]
    cands = [{"lat": 55.5 + a * 0.5, "lon": 37.3 + b * 0.6} for a, b in c]
    r = api.call("POST", "/v1/plan", "expansion",
                 json={"candidates": cands, "demand": demand, "k": 500,
                       "service_radius_m": 10_000})  # fmt: skip
    assert r.status_code == 202, r.text
    return str(r.json()["id"])


@pytest.mark.slow
def test_cancel_kills_a_running_job_and_a_queued_one_never_starts(jobs: Api) -> None:
    running = _slow(jobs)
    queued = jobs.call("POST", "/v1/plan", "expansion", json=PLAN).json()["id"]
    deadline = time.monotonic() + 60
    while jobs.call("GET", f"/v1/jobs/{running}", "expansion").json()["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert jobs.call("GET", f"/v1/jobs/{queued}", "expansion").json()["status"] == "queued"
    for job_id in (queued, running):
        r = jobs.call("DELETE", f"/v1/jobs/{job_id}", "expansion")
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "cancelled"
        assert _wait(jobs, job_id)["status"] == "cancelled"
    assert jobs.call("GET", f"/v1/jobs/{queued}", "expansion").json()["started_at"] is None
    # the worker slot is free again
    job = jobs.call("POST", "/v1/plan", "expansion", json=PLAN).json()
    assert _wait(jobs, job["id"])["status"] == "done"


@pytest.mark.slow
def test_a_full_queue_is_503(jobs: Api) -> None:
    running = _slow(jobs)
    ids = [jobs.call("POST", "/v1/plan", "expansion", json=PLAN).json()["id"] for _ in range(2)]
    error(jobs.call("POST", "/v1/plan", "expansion", json=PLAN), 503, "busy")
    for job_id in (running, *ids):
        jobs.call("DELETE", f"/v1/jobs/{job_id}", "expansion")


@pytest.mark.slow
def test_single_checks_answer_while_the_heavy_plan_runs(jobs: Api) -> None:
    running = _slow(jobs)
    answered = 0
    for i in range(50):
        lat, lon = near(*MOSCOW, 31.0 * i, 7.0 * i)
        r = jobs.call("POST", "/v1/protection/check", "acme", json={"lat": lat, "lon": lon})
        assert r.status_code == 200, r.text
        assert jobs.client.get("/health").status_code == 200
        answered += 1
    assert answered == 50
    assert jobs.call("GET", f"/v1/jobs/{running}", "expansion").json()["status"] == "running"
    jobs.call("DELETE", f"/v1/jobs/{running}", "expansion")


def test_jobs_on_each_store(store_url: str, settlements: SettlementLookup) -> None:
    """A job's worker process computes from its snapshot on either store (it never uses the
    server's connections); the server answers checks meanwhile."""
    for api in _api(store_url, settlements, cost_inline=0, cost_sync=0, cost_limit=1e12):
        job = api.call("POST", "/v1/protection/check-batch", "expansion", json=BATCH).json()
        r = api.call("POST", "/v1/protection/check", "acme", json={"lat": 55.7, "lon": 37.5})
        assert r.status_code == 200, r.text
        done = _wait(api, job["id"])
        assert done["status"] == "done", done
        assert done["result"]["n"] == len(BATCH["candidates"])
        assert {c["point_id"] for x in done["result"]["results"] for c in x["conflicts"]} <= {
            p.id for p in NETWORK}  # fmt: skip
        # the server's own connections still work after the worker exited
        r = api.call("POST", "/v1/points", "admin", json={"lat": 60.0, "lon": 30.0})
        assert r.status_code == 201, r.text


# ---------------------------------------------------------------- the runner itself
def _alloc() -> int:
    return int(np.ones(2_000_000_000 // 8).sum())  # 2 GB


def _sleep_with_a_child() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    with open(_PIDFILE, "w") as f:
        f.write(str(proc.pid))
    time.sleep(120)
    return 0


_PIDFILE = ""


def test_a_worker_over_its_memory_fails_the_job_not_the_server() -> None:
    from api.services.jobs import JobRunner

    runner = JobRunner(memory_mb=200)
    job = runner.submit("alloc", _alloc, owner="me")
    with pytest.raises(Exception, match="out of memory"):
        job.future.result(timeout=120)
    assert runner.get(job.id, "me").status == "failed"
    ok = runner.submit("small", lambda: {"n": int(np.ones(1000).sum())}, owner="me")
    assert ok.future.result(timeout=120) == b'{"n":1000}'


def test_cancel_kills_the_workers_own_children(tmp_path: Any) -> None:
    """A solver process the worker started dies with it (the worker leads its own group)."""
    from pathlib import Path

    from api.services.jobs import JobRunner

    global _PIDFILE
    _PIDFILE = str(tmp_path / "pid")
    runner = JobRunner()
    job = runner.submit("sleep", _sleep_with_a_child, owner="me")
    deadline = time.monotonic() + 60
    while not Path(_PIDFILE).exists() or not Path(_PIDFILE).read_text():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    grandchild = int(Path(_PIDFILE).read_text())
    runner.cancel(job.id, "me")
    with pytest.raises(Exception):  # noqa: B017 - cancelled
        job.future.result(timeout=30)
    assert runner.get(job.id, "me").status == "cancelled"
    deadline = time.monotonic() + 10
    while Path(f"/proc/{grandchild}").exists() and time.monotonic() < deadline:
        stat = Path(f"/proc/{grandchild}/stat").read_text().split(")")[-1].split()[0]
        if stat == "Z":  # a zombie waiting for init to reap it: dead
            break
        time.sleep(0.05)
    alive = Path(f"/proc/{grandchild}").exists() and Path(
        f"/proc/{grandchild}/stat").read_text().split(")")[-1].split()[0] != "Z"  # fmt: skip
    assert not alive


# ---------------------------------------------------------------- sync requests apart from jobs
def _hold(path: str) -> Any:
    """A real workload in a worker process that runs until the file ``path`` exists."""

    def work() -> dict[str, int]:
        import os

        rounds = 0
        while not os.path.exists(path):
            rounds += 1
            time.sleep(0.01)
        return {"rounds": rounds}

    return work


def _sync_in_thread(runner: Any, work: Any) -> tuple[Any, dict[str, Any]]:
    """Start ``runner.run_sync(work)`` in a thread of its own; the thread and its outcome."""
    import asyncio
    import threading

    out: dict[str, Any] = {}

    def go() -> None:
        try:
            out["data"] = asyncio.run(runner.run_sync("hold", work, cost=1.0))
        except Exception as exc:  # noqa: BLE001 - handed to the test
            out["error"] = exc

    thread = threading.Thread(target=go, daemon=True)
    thread.start()
    return thread, out


def _until_running(runner: Any, kind: str) -> None:
    deadline = time.monotonic() + 60
    while not any(j.kind == kind and j.status == "running" for j in runner.active()):
        assert time.monotonic() < deadline, runner.active()
        time.sleep(0.02)


def test_a_sync_request_waits_for_a_slot(tmp_path: Any) -> None:
    """Every sync slot taken: the next synchronous request waits (``sync_wait_s``) and runs
    when the slot is free (a map opening asks for several heavy layers at once)."""
    from api.services.jobs import JobRunner

    runner = JobRunner(workers=1, sync_workers=1, sync_wait_s=120)
    thread, held = _sync_in_thread(runner, _hold(str(tmp_path / "sync-done")))
    deadline = time.monotonic() + 60
    while sum(1 for j in runner.active() if not j.owner and j.status == "running") < 1:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    second, out = _sync_in_thread(runner, lambda: {"n": 3})
    second.join(0.5)
    assert second.is_alive() and out == {}  # waiting for the slot, not refused
    (tmp_path / "sync-done").touch()
    thread.join(60)
    second.join(60)
    assert "data" in held and out == {"data": b'{"n":3}'}


def test_sync_work_has_its_own_slots(tmp_path: Any) -> None:
    """With one job worker busy, synchronous work still runs at once in its own slot; a
    second synchronous request while the sync slot is taken is refused (Busy) once its
    wait for a slot (``sync_wait_s``, 0 here) is over."""
    from api.services.jobs import Busy, JobRunner

    runner = JobRunner(workers=1, sync_workers=1, sync_wait_s=0)
    job = runner.submit("hold", _hold(str(tmp_path / "job-done")), owner="me")
    _until_running(runner, "hold")
    thread, out = _sync_in_thread(runner, lambda: {"n": int(np.arange(1000).sum())})
    thread.join(60)
    assert out == {"data": b'{"n":499500}'}
    assert runner.get(job.id, "me").status == "running"  # the job runs on meanwhile
    # the sync slot taken: one more synchronous request is refused at once, naming the limit
    thread, held = _sync_in_thread(runner, _hold(str(tmp_path / "sync-done")))
    deadline = time.monotonic() + 60
    while sum(1 for j in runner.active() if not j.owner and j.status == "running") < 1:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    third, refused = _sync_in_thread(runner, lambda: {"n": 1})
    third.join(60)
    assert isinstance(refused.get("error"), Busy)
    assert "PVZ_SYNC_WORKERS=1" in str(refused["error"])
    (tmp_path / "sync-done").touch()
    thread.join(60)
    assert "data" in held and b"rounds" in held["data"]
    # the slot is free again; the job finishes when told
    thread, out = _sync_in_thread(runner, lambda: {"n": 2})
    thread.join(60)
    assert out == {"data": b'{"n":2}'}
    (tmp_path / "job-done").touch()
    assert b"rounds" in job.future.result(timeout=60)


@pytest.mark.slow
def test_a_sync_plan_answers_while_a_long_plan_job_runs(
    tmp_path: Any, settlements: SettlementLookup, inline: Api
) -> None:
    """A real long plan runs as a job on the one job worker; a small plan, waiting for its
    answer, gets it while that job still runs (it does not queue behind it). With the one
    sync slot taken, the next waiting request is 503 at once, naming the setting."""
    url = f"sqlite:///{tmp_path / 'pvz.db'}"
    for api in _api(url, settlements, cost_inline=0, cost_sync=1e6, cost_limit=1e12,
                    sync_wait_s=0):  # fmt: skip
        running = _slow(api)
        deadline = time.monotonic() + 120
        while api.call("GET", f"/v1/jobs/{running}", "expansion").json()["status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        r = api.call("POST", "/v1/plan", "expansion", json=PLAN)
        assert r.status_code == 200, r.text  # answered, not queued (200, not 202)
        assert r.json() == inline.call("POST", "/v1/plan", "expansion", json=PLAN).json()
        assert api.call("GET", f"/v1/jobs/{running}", "expansion").json()["status"] == "running"
        # the sync slot taken by a waiting request: the next one is 503 at once
        runner = api.client.app.state.jobs  # type: ignore[attr-defined]
        thread, held = _sync_in_thread(runner, _hold(str(tmp_path / "done")))
        while not any(not j.owner and j.status == "running" for j in runner.active()):
            assert time.monotonic() < deadline + 60
            time.sleep(0.02)
        body = error(api.call("POST", "/v1/plan", "expansion", json=PLAN), 503, "busy")
        assert "PVZ_SYNC_WORKERS=1" in body["message"]
        (tmp_path / "done").touch()
        thread.join(60)
        assert "data" in held
        r = api.call("POST", "/v1/plan", "expansion", json=PLAN)
        assert r.status_code == 200, r.text
        assert api.call("GET", f"/v1/jobs/{running}", "expansion").json()["status"] == "running"
        api.call("DELETE", f"/v1/jobs/{running}", "expansion")
