"""Kill the server (SIGKILL) in the middle of a batch of writes, restart it: nothing
acknowledged is lost, and the in-memory index matches the store."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest

from data.store import open_store
from planning.protection import ProtectionPolicy

ADMIN = "restart-admin-key"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PVZ_BOOTSTRAP_ADMIN_KEY": ADMIN, "PVZ_DATABASE_URL": url}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from api.cli import main; main()", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"pvz serve exited with {proc.returncode}")
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")


@pytest.mark.slow
def test_kill_mid_batch_and_restart(store_url: str) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    headers = {"X-API-Key": ADMIN}
    proc = _start(store_url, port)
    acked: list[str] = []
    stop = threading.Event()

    def write() -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=5) as client:
            for i in range(10_000):
                if stop.is_set():
                    return
                body = {"id": f"R{i:05d}", "lat": 50.0 + (i // 100) * 0.05,
                        "lon": 40.0 + (i % 100) * 0.05}  # fmt: skip
                try:
                    r = client.post("/v1/points", json=body)
                except httpx.TransportError:
                    return  # the server is gone
                if r.status_code == 201:
                    acked.append(r.json()["id"])

    writer = threading.Thread(target=write)
    writer.start()
    try:
        deadline = time.monotonic() + 60
        while len(acked) < 40 and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)  # mid-batch: the writer is still sending
        proc.wait(timeout=10)
    finally:
        stop.set()
        writer.join(timeout=30)
        if proc.poll() is None:
            proc.kill()
    assert len(acked) >= 40
    proc = _start(store_url, port)
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
            for pid in acked:  # every acknowledged write survived
                assert client.get(f"/v1/points/{pid}").status_code == 200
            store = open_store(store_url, ProtectionPolicy(), migrate=False)
            stored = store.count_points(live_only=True)
            ids, *_ = store.live_points()
            store.close()
            assert stored >= len(acked) and set(acked) <= set(ids)
            assert client.get("/health").json()["live_points"] == stored  # index == store
            for pid in ids[:: max(1, len(ids) // 20)]:  # the index knows each stored point
                p = client.get(f"/v1/points/{pid}").json()
                r = client.post("/v1/protection/check", json={"lat": p["lat"], "lon": p["lon"]})
                assert [c["point_id"] for c in r.json()["conflicts"]] == [pid]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
