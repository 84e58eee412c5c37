"""A real ``pvz serve``: SIGTERM stops it promptly while a job or a synchronous heavy request
runs, and a client that disconnects stops its synchronous work (its worker process ends)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

ADMIN = "jobs-admin-key"
#: generous: a failure detector, not a performance target (the server stops in ~2-3 s)
STOP_S = 20.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> set[int]:
    out: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            out |= {int(x) for x in (task / "children").read_text().split()}
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
def server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[str, Any]]:
    """``pvz serve`` on SQLite; ``request.param``: extra environment (the budget)."""
    port = _free_port()
    env = {**os.environ, "PVZ_BOOTSTRAP_ADMIN_KEY": ADMIN,
           "PVZ_DATABASE_URL": f"sqlite:///{tmp_path / 'pvz.db'}", **request.param}  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-c", "from api.cli import main; main()", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _heavy_plan() -> dict[str, Any]:
    rng = np.random.default_rng(5)
    d = rng.random((20_000, 2)).tolist()
    c = rng.random((2000, 2)).tolist()
    return {"candidates": [{"lat": 55.5 + a * 0.5, "lon": 37.3 + b * 0.6} for a, b in c],
            "demand": [{"lat": 55.5 + a * 0.5, "lon": 37.3 + b * 0.6, "weight": 1.0}
                       for a, b in d],
            "k": 500, "service_radius_m": 10_000}  # fmt: skip


def _worker_of(proc: Any) -> int:
    deadline = time.monotonic() + 30
    while not (kids := _children(proc.pid)):
        assert time.monotonic() < deadline, "no worker process started"
        time.sleep(0.05)
    return kids.pop()


def _stops(proc: Any, worker: int) -> float:
    start = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=STOP_S)
    took = time.monotonic() - start
    deadline = time.monotonic() + 5
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker), "the worker process outlived the server"
    return took


JOBS = {"PVZ_COST_INLINE": "0", "PVZ_COST_SYNC": "0", "PVZ_COST_LIMIT": "1e12"}
SYNC = {"PVZ_COST_INLINE": "0", "PVZ_COST_SYNC": "1e12", "PVZ_COST_LIMIT": "1e12"}


@pytest.mark.slow
@pytest.mark.parametrize("server", [JOBS], indirect=True)
def test_sigterm_during_a_job(server: tuple[str, Any]) -> None:
    base, proc = server
    h = {"X-API-Key": ADMIN}
    r = httpx.post(f"{base}/v1/plan", json=_heavy_plan(), headers=h, timeout=60)
    assert r.status_code == 202, r.text
    worker = _worker_of(proc)
    assert httpx.get(f"{base}/v1/jobs/{r.json()['id']}", headers=h).json()["status"] == "running"
    assert httpx.get(f"{base}/health", timeout=10).status_code == 200  # answers meanwhile
    _stops(proc, worker)


@pytest.mark.slow
@pytest.mark.parametrize("server", [SYNC], indirect=True)
def test_sigterm_during_a_synchronous_heavy_request(server: tuple[str, Any]) -> None:
    base, proc = server
    with httpx.Client(timeout=60) as client:
        req = client.build_request("POST", f"{base}/v1/plan", json=_heavy_plan(),
                                   headers={"X-API-Key": ADMIN})  # fmt: skip
        import threading

        got: list[Any] = []
        t = threading.Thread(target=lambda: got.append(_send(client, req)), daemon=True)
        t.start()
        worker = _worker_of(proc)
        _stops(proc, worker)
        t.join(timeout=10)


def _send(client: httpx.Client, req: httpx.Request) -> Any:
    try:
        return client.send(req)
    except httpx.HTTPError as exc:
        return exc


@pytest.mark.slow
@pytest.mark.parametrize("server", [SYNC], indirect=True)
def test_a_client_that_disconnects_stops_its_work(server: tuple[str, Any]) -> None:
    base, proc = server
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{base}/v1/plan", json=_heavy_plan(), headers={"X-API-Key": ADMIN},
                   timeout=httpx.Timeout(60, read=3))  # fmt: skip
    deadline = time.monotonic() + 15
    while _children(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not {k for k in _children(proc.pid) if _alive(k)}, "the work went on"
    assert httpx.get(f"{base}/health", timeout=10).status_code == 200
