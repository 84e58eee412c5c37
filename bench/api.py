"""Benchmark of the HTTP API: single protection checks from concurrent clients, next to the
same lookup as a raw PostGIS ``ST_DWithin`` query over the same connection type (TCP).

Run: ``.venv/bin/python bench/api.py`` (about 2 minutes; ``--readme`` rewrites the
``## API`` section of ``bench/README.md``), ``--points N --clients C --seconds S``.

``--heavy`` runs the other table (issue 13, about 3 minutes; ``--readme`` rewrites
``## API under heavy work``): p50/p99 of single checks and of ``/health`` while the
heaviest plan the budget allows runs, next to the same probes on an idle server and on a
server that runs the plan in a thread of its own process (the old way).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.server_stack import describe_server_stack  # noqa: E402
from bench._env import require_project_venv, versions  # noqa: E402
from bench._load import (  # noqa: E402
    CANDIDATES_TABLE,
    INSTALL_HINT,
    LoadResult,
    load_candidates_table,
    missing_tools,
    pgbench_load,
    python_http_load,
    python_postgis_load,
    tool_versions,
    wrk_load,
)
from data.store import Point, open_store  # noqa: E402
from data.store.base import now_utc, to_iso  # noqa: E402
from planning.demo import demo_network  # noqa: E402
from planning.protection import ProtectionPolicy  # noqa: E402
from tests.pgcluster import TempPostgres, postgis_available  # noqa: E402

__all__ = ["main"]

KEY = "bench-admin-key"
#: issue 18: HTTP checks at least this share of the raw PostGIS query's rate, same run
TARGET_SHARE_OF_POSTGIS = 0.5
#: issue 18: p99 of an HTTP check under this, ms
TARGET_P99_MS = 20.0
#: the libraries the HTTP numbers depend on
PACKAGES = ("fastapi", "starlette", "pydantic", "uvicorn", "uvloop", "httptools", "orjson",
            "numpy", "numba", "pyproj", "psycopg")  # fmt: skip


@dataclass
class Row:
    """One line of the results table."""

    path: str
    store: str
    loader: str
    startup_s: float | None
    startup1_s: float | None
    res: LoadResult

    @property
    def http(self) -> bool:
        """An HTTP row (else the raw PostGIS peer)."""
        return self.startup_s is not None

    def cells(self) -> list[str]:
        start = f"{self.startup_s:.2f}" if self.startup_s is not None else "-"
        start1 = f"{self.startup1_s:.2f}" if self.startup1_s is not None else "-"
        r = self.res
        return [self.path, self.store, self.loader, f"{r.cpu_cores:.2f}", start1, start,
                f"{r.n:,}", str(r.errors), f"{r.rate:,.0f}", f"{r.p50_ms:.2f}",
                f"{r.p99_ms:.2f}"]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _points(df: pd.DataFrame) -> list[Point]:
    stamp = to_iso(now_utc())
    rows: list[dict[str, Any]] = df.to_dict("records")  # type: ignore[assignment]
    return [Point(id=str(r["id"]), lat=float(r["lat"]), lon=float(r["lon"]),
                  radius_m=float(r["radius_m"]), kind=str(r["kind"]), status=str(r["status"]),
                  settlement=None if pd.isna(r["settlement"]) else str(r["settlement"]),
                  created_at=stamp, updated_at=stamp) for r in rows]  # fmt: skip


def _candidates(df: pd.DataFrame, n: int, seed: int) -> np.ndarray:
    """Locations near existing points (0-2 km away): a mix of allowed and blocked."""
    rng = np.random.default_rng(seed)
    i = rng.integers(0, len(df), n)
    dist = rng.uniform(0, 2000, n)
    az = rng.uniform(0, 2 * np.pi, n)
    lat = df["lat"].to_numpy()[i] + dist * np.cos(az) / 111_000
    lon = df["lon"].to_numpy()[i] + dist * np.sin(az) / (111_000 * np.cos(np.radians(lat)))
    lon = (lon + 180) % 360 - 180
    return np.column_stack([np.clip(lat, -90, 90), lon])


def _listening(port: int) -> int:
    """How many sockets listen on TCP ``port`` (Linux ``/proc/net/tcp``, IPv4)."""
    n = 0
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            cols = line.split()
            if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                n += 1
    return n


def _cpu_of_tree(pid: int) -> float:
    """CPU seconds (user + system) used so far by process ``pid`` and its live children
    (Linux ``/proc``)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(d.name) == pid or int(fields[1]) == pid:  # fields[1]: the parent pid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _wait_idle(pid: int, timeout: float = 300.0) -> float:
    """Wait until a fresh server is idle: its processes used under 5 % of a core for 2 s in
    a row (each worker builds the map's density model in a background thread after it
    starts listening, ~15 s at 250,000 points, competing with requests for the GIL).
    Returns how long it took, s."""
    t0 = time.perf_counter()
    last, quiet = _cpu_of_tree(pid), 0
    while time.perf_counter() - t0 < timeout and quiet < 4:
        time.sleep(0.5)
        now = _cpu_of_tree(pid)
        quiet = quiet + 1 if now - last < 0.025 else 0
        last = now
    return time.perf_counter() - t0


def _serve(url: str, port: int, workers: int) -> tuple[subprocess.Popen[bytes], float]:
    env = {
        **os.environ,
        "PVZ_DATABASE_URL": url,
        "PVZ_BOOTSTRAP_ADMIN_KEY": KEY,
        # a throughput benchmark: no per-key rate limit (the API's default is 600 a minute)
        "PVZ_STAFF_CHECKS_PER_MINUTE": "0",
        "PVZ_PARTNER_CHECKS_PER_MINUTE": "0",
    }
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from api.cli import main; main()", "serve", "--port", str(port),
         "--workers", str(workers)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    while True:
        try:
            # every worker listens (a socket each, api.server_stack.serve_workers) and answers
            health = f"http://127.0.0.1:{port}/health"
            if _listening(port) >= workers and httpx.get(health, timeout=1).status_code == 200:
                return proc, time.perf_counter() - t0
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            raise RuntimeError("pvz serve exited")
        time.sleep(0.05)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


#: the raw PostGIS query of the psycopg loader (parameters lon, lat, reach)
PEER_SQL = ("SELECT id, ST_Distance(geog, q) FROM points, "
            "(SELECT ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography AS q) c "
            "WHERE ST_DWithin(geog, q, %s) AND kind IN ('partner', 'own') "
            "AND status IN ('active', 'paused')")  # fmt: skip


def pgbench_sql(reach_m: float) -> str:
    """The same query for pgbench: the candidate ``:i`` comes from the candidates table (a
    primary-key lookup in the same statement) instead of literal parameters."""
    return (f"SELECT p.id, ST_Distance(p.geog, c.q) FROM {CANDIDATES_TABLE} c JOIN points p "
            f"ON ST_DWithin(p.geog, c.q, {reach_m:g}) WHERE c.i = :i "
            "AND p.kind IN ('partner', 'own') AND p.status IN ('active', 'paused')")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the table (``--readme``: also write it to README)."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--points", type=int, default=250_000)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    ap.add_argument("--loader", choices=("tools", "python", "both"), default="tools",
                    help="tools: wrk and pgbench (default); python: the http.client and "
                    "psycopg threads used before; both: each measurement with both, against "
                    "the same server")  # fmt: skip
    ap.add_argument("--readme", action="store_true")
    ap.add_argument("--heavy", action="store_true", help="the heavy-work table (issue 13)")
    ap.add_argument("--heavy-seconds", type=float, default=45.0,
                    help="how long to probe while the heavy plan runs, s")  # fmt: skip
    args = ap.parse_args(argv)
    require_project_venv()
    if args.heavy:
        heavy_main(args)
        return
    loaders = ["tools", "python"] if args.loader == "both" else [args.loader]
    has_pg = postgis_available()
    missing = missing_tools(has_pg) if "tools" in loaders else []
    if missing:
        raise SystemExit(f"bench/api.py: {', '.join(missing)} not installed: {INSTALL_HINT}; "
                         "or use --loader python (the slower Python load generators)")  # fmt: skip
    stack = describe_server_stack()
    libs = versions(*PACKAGES)
    tools = tool_versions() if "tools" in loaders else "-"
    load_before = os.getloadavg()
    loads = " ".join(f"{x:.2f}" for x in load_before)
    print(f"server stack: {stack}\nversions: {libs}\nload generators: {tools}\n"
          f"load average before: {loads}", flush=True)  # fmt: skip

    policy = ProtectionPolicy()
    t = time.perf_counter()
    df = demo_network(args.points, seed=args.seed)
    print(f"demo network: {len(df):,} points in {time.perf_counter() - t:.1f} s", flush=True)
    points = _points(df)
    cands = _candidates(df, N_CANDIDATES, args.seed + 1)
    rows: list[Row] = []
    http_path = f"HTTP POST /v1/protection/check, {args.workers} workers"
    with tempfile.TemporaryDirectory() as tmp:
        stores = {"sqlite": f"sqlite:///{tmp}/pvz.db"}
        pg = TempPostgres().start() if has_pg else None
        try:
            if pg is not None:
                stores["postgis"] = pg.create_database("bench")
            for name, url in stores.items():
                store = open_store(url, policy)
                t = time.perf_counter()
                store.seed_points(points, actor="bench", reason="bench")
                store.close()
                print(f"{name}: seeded in {time.perf_counter() - t:.1f} s", flush=True)
                port = _free_port()
                proc, startup1 = _serve(url, port, 1)
                _stop(proc)
                proc, startup = _serve(url, port, args.workers)
                idle = _wait_idle(proc.pid)
                print(f"{name}: serving after {startup:.1f} s, idle {idle:.1f} s later", flush=True)
                try:
                    for loader in loaders:
                        _http_load(loader, port, cands, args.clients, WARMUP_S)  # warm up
                        res = _http_load(loader, port, cands, args.clients, args.seconds)
                        rows.append(Row(http_path, name, LOADER_NAMES[loader][0], startup,
                                        startup1, res))  # fmt: skip
                        print(" | ".join(rows[-1].cells()), flush=True)
                finally:
                    _stop(proc)
            if pg is not None:
                url = stores["postgis"]
                for loader in loaders:
                    _postgis_load(loader, url, cands, args.clients, WARMUP_S, policy.max_radius_m)
                    res = _postgis_load(loader, url, cands, args.clients, args.seconds,
                                        policy.max_radius_m)  # fmt: skip
                    rows.append(Row("raw PostGIS ST_DWithin", "postgis", LOADER_NAMES[loader][1],
                                    None, None, res))  # fmt: skip
                    print(" | ".join(rows[-1].cells()), flush=True)
        finally:
            if pg is not None:
                pg.stop()
    header = ["path", "store", "load generator", "its CPU, cores", "startup s, 1 worker",
              f"startup s, {args.workers} workers", "requests", "errors", "per s", "p50 ms",
              "p99 ms"]  # fmt: skip
    table = ["| " + " | ".join(header) + " |", "|" + "---|" * 3 + "---:|" * 8]
    table += ["| " + " | ".join(r.cells()) + " |" for r in rows]
    print("\n".join(table))
    verdicts = [_targets([r for r in rows if r.loader in LOADER_NAMES[lo]], LOADER_NAMES[lo])
                for lo in loaders]  # fmt: skip
    targets = "\n\n".join(verdicts)
    print(targets)
    if args.readme:
        live = int(policy.protects(df["kind"], df["status"]).sum())
        _write_readme(args, len(df), live, table, targets, stack=str(stack), libs=libs,
                      tools=tools, load_before=load_before[0])  # fmt: skip


#: each load generator runs this long before its measured run, s (a fresh server's first
#: seconds hold one-time work: stalls of up to ~0.7 s were seen on a loaded machine)
WARMUP_S = 5.0
#: candidates the load cycles through (the same list for HTTP and PostGIS)
N_CANDIDATES = 20_000
#: the load generators' names in the table: (HTTP, PostGIS)
LOADER_NAMES = {"tools": ("wrk", "pgbench"), "python": ("http.client", "psycopg")}


def _http_load(loader: str, port: int, cands: np.ndarray, clients: int,
               seconds: float) -> LoadResult:  # fmt: skip
    if loader == "tools":
        return wrk_load(port, cands, clients, seconds, KEY)
    return python_http_load(port, cands, clients, seconds, KEY)


def _postgis_load(loader: str, url: str, cands: np.ndarray, clients: int, seconds: float,
                  reach_m: float) -> LoadResult:  # fmt: skip
    if loader == "tools":
        load_candidates_table(url, cands)
        return pgbench_load(url, pgbench_sql(reach_m), len(cands), clients, seconds)
    return python_postgis_load(url, PEER_SQL, cands, clients, seconds, reach_m)


def _targets(rows: list[Row], names: tuple[str, str]) -> str:
    """The targets against this run's own rows of one pair of load generators. Issue 4:
    >= 1,000 checks/s, p99 < 50 ms, no errors, startup with 250,000 points under 5 s.
    Issue 18: every HTTP row at least half the raw PostGIS query's rate, p99 under 20 ms."""
    who = f"[{names[0]} / {names[1]}]"
    http = [r for r in rows if r.http]
    if not http:
        return f"Targets {who}: no HTTP rows."
    rate = min(r.res.rate for r in http)
    p99 = max(r.res.p99_ms for r in http)
    errors = sum(r.res.errors for r in http)
    start = max(max(r.startup_s or 0.0, r.startup1_s or 0.0) for r in http)

    def verdict(ok: bool) -> str:
        return "**met**" if ok else "**NOT met**"

    text = (
        f"Targets {who}, issue 4: at least 1,000 checks/s: lowest {rate:,.0f}/s, "
        f"{verdict(rate >= 1000)}; p99 under 50 ms: highest {p99:.1f} ms, "
        f"{verdict(p99 < 50)}; zero errors: {errors}, {verdict(errors == 0)}; startup "
        f"under 5 s: slowest {start:.2f} s, {verdict(start < 5)}."
    )
    pg = [r for r in rows if not r.http and r.res.n]
    if not pg:
        return text + " Issue 18: no raw PostGIS row to compare with."
    pg_rate = pg[0].res.rate
    share = rate / pg_rate
    return text + (
        f" Issue 18: HTTP checks at least {TARGET_SHARE_OF_POSTGIS:.1f} x the raw "
        f"PostGIS query's rate in the same run: lowest {rate:,.0f}/s vs {pg_rate:,.0f}/s = "
        f"{share:.2f}, {verdict(share >= TARGET_SHARE_OF_POSTGIS)}; p99 under "
        f"{TARGET_P99_MS:.0f} ms: highest {p99:.1f} ms, {verdict(p99 < TARGET_P99_MS)} "
        f"(the raw PostGIS query's own p99: {pg[0].res.p99_ms:.1f} ms)."
    )


def _busy(load_before: float) -> str:
    """A warning for the README when the machine was busy before the run."""
    if load_before < 1.5:
        return ""
    return (" **Taken on a busy machine**: other jobs kept the 2 cores busy, so every number"
            " here, the peers' too, carries their interruptions; compare within the run, and"
            " rerun on a quiet machine for absolute numbers.")  # fmt: skip


def _write_readme(
    args: argparse.Namespace,
    n: int,
    live: int,
    table: list[str],
    targets: str,
    *,
    stack: str,
    libs: str,
    tools: str,
    load_before: float,
) -> None:
    load = os.getloadavg()[0]
    section = f"""## API

`.venv/bin/python bench/api.py` (about 2 minutes; `--readme` rewrites this section;
`--loader both` adds the rows of the Python load generators used before, against the same
servers; `make bench-tools` installs wrk): `pvz serve --workers {args.workers}` (uvicorn)
on a store of {n:,} demo points ({live:,} live, i.e. a protecting kind and status;
`planning.demo.demo_network(seed={args.seed})`), then single `POST /v1/protection/check`
requests from {args.clients} concurrent keep-alive connections on 127.0.0.1 for
{args.seconds:.0f} s after a {WARMUP_S:.0f} s warm-up (each load generator its own),
cycling through the same {N_CANDIDATES:,} candidates 0-2 km from random demo points (some
allowed, some blocked).
The peer is the same lookup as a raw PostGIS query over TCP: `ST_DWithin(geog, point,
1000)` on the GiST-indexed geography column, live kinds and statuses, returning ids and
`ST_Distance` (the prefilter of the rule without the exact `max(r_p, r_c)` decision or
any HTTP). *startup s*: from launching `pvz serve` to the first `200` of `/health`
(imports of the whole CLI, migrations, loading the index), with one worker and with the
benchmarked number (every worker listening). The load starts once the server is idle
(under 5 % of a core for 2 s): each worker builds the map's density model in a
background thread after it starts (about 15 s at 250,000 points on a quiet machine), and
that thread competes with the checks for the GIL; the runs before this one measured
partly during it.

Load generators ({tools}): both sides get the same shape of load, {args.clients}
connections over 2 threads, each sending its next request as soon as the answer is in.
HTTP: `wrk -t 2 -c {args.clients}` with a Lua script that cycles through the precomputed
request bodies; p50/p99 are wrk's (every request recorded, microsecond resolution). Raw
PostGIS: `pgbench -M prepared -c {args.clients} -j 2` with a script that picks a random
candidate (`\\set i random(1, {N_CANDIDATES})`) and runs the query with the
candidate's point taken from a table of the candidates in the same statement (one
primary-key lookup more than the query with literal coordinates; the same rows
returned); p50/p99 from pgbench's per-transaction log (`-l`). *its CPU, cores*: CPU time
(user + system) of the load generator over the run, per second: what it took from the 2
cores that server and database also need.

Machine: {os.cpu_count()} cores, {platform.system()}, Python {platform.python_version()};
load average before the run {load_before:.2f} (other jobs on the shared cores) and at the
end {load:.2f} (the benchmark's own clients and workers included).{_busy(load_before)}

Server stack: {stack}. Versions: {libs}.

{chr(10).join(table)}

{targets}

Each check is exact (Karney geodesic, `d < max(r_p, r_c)`, live points and reservations
from the in-memory index); the raw PostGIS query does less work (no HTTP, no exact rule)
and is the ceiling of a database round trip per check. numba's OpenMP threads would
busy-wait after a parallel kernel and slow single checks in a server ten-fold;
`geo/_kernels.py` sets `OMP_WAIT_POLICY=PASSIVE` before they start.

**The load generators (issue 18).** Until this run the load came from Python: 2
processes of {args.clients // 2} `http.client` threads for HTTP, {args.clients} psycopg
threads in one process for PostGIS (the `http.client` / `psycopg` rows when run with
`--loader both`). Each process holds the GIL, so the clients queue behind each other and
take a large share of the 2 cores; their own queueing is in every latency they measure,
on both sides. The last run with them from a fresh `make venv` (load average 1.48 before
it) gave 4,497 (SQLite) and 5,205 (PostGIS) checks/s, p99 39.4 and 29.9 ms, next to
6,682/s and p99 25.6 ms for the raw PostGIS query: the peer's own p99 was over the 20 ms
target, a sign that the tail was largely the load generator's. wrk and pgbench are C
programs with an event loop per thread.

**Where a worker's tail came from** (one worker in-process, instrumented, under wrk; on
this shared machine): the check itself is 0.05-0.07 ms of CPU and a garbage collection
of the young generations 0.02-0.1 ms (start-up objects are frozen, `api.app.freeze_heap`;
a second-generation pass 1-3 ms about once a second), none of it the tail. What held
every request of a worker was a store read on the event loop: once per `key_cache_s` the
key cache entry expired and one request took the full application (the key read from
the store, FastAPI routing, a thread hop: 10-90 ms of wall time on a loaded machine), and
once per `sync_interval_s` the index replayed the audit log in line. On SQLite these are
local reads (0.03-0.1 ms); on PostgreSQL each is a round trip to another process (median
0.5-1.4 ms measured here, up to 45-110 ms while the database waited for a core), with
all of the worker's requests waiting behind it. The fast lane now reads a key
again in a thread when its entry is in the second half of its life (the renewed entry is
trusted from the start of the read, so a revoked key is still refused within
`key_cache_s`) and replays the audit log in a thread every half `sync_interval_s`
(`api/fast_check.py`); it also asks the rate limiter once per check instead of twice.
With 2 workers, uvicorn's workers shared one listening socket and the worker that woke
first accepted every connection waiting: wrk's 32 connections, opened at once, landed
32/0, 27/5 and 14/18 on the 2 workers in three runs, one worker queueing what the other
could have served (the Python clients connected one thread at a time and hid this).
`pvz serve --workers N` now gives each worker a `SO_REUSEPORT` socket of its own
(`api.server_stack.serve_workers`): 14-16 of 32 on each in 8 runs out of 8, and the
script starts measuring once every worker listens.
Left as found (another change merges the pollers into one change feed): each replay
reads the log twice while the look-back window of 1,000 entries holds any entry (one
query for the window, one that comes back empty).

The script runs only in the venv `make venv` builds (`bench/_env.py`), so the table is what
a fresh install gets. What a check costs in one worker (issue 18, in-process, one
candidate): FastAPI's routing and dependency solving took about 140 us of a request's 165 us
(plus a thread-pool hop per request for the plain-function `get_service` dependency, about
220 us more, gone since it is a coroutine), the check itself about 20 us. The common
request (a key this worker has seen, a valid JSON body) now takes the fast lane of
`api/fast_check.py`: the same validation and the same functions as the route, answered
without routing or dependency solving; everything else goes to the full application.
Before issue 18 (a fresh `make venv` had neither uvloop nor httptools: asyncio and h11;
FastAPI routing for every check), the same script on this machine gave 656 (SQLite) and
641 (PostGIS) checks/s, p50 48 ms, p99 63-65 ms, next to 4,276/s for the raw PostGIS
query in that run (0.15 of it; load average 1.6 before that run; Python load generators).
"""
    readme = ROOT / "bench" / "README.md"
    text = readme.read_text() if readme.exists() else "# Benchmarks\n"
    pattern = re.compile(r"^## API\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section + "\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    readme.write_text(text)


# ---------------------------------------------------------------- issue 13: heavy work
#: issue 13: p99 of single checks and /health while the heaviest allowed plan runs, ms
TARGET_HEAVY_P99_MS = 100.0


def heaviest_plan(limit: float, seed: int) -> tuple[dict[str, Any], float]:
    """The heaviest plan the budget ``limit`` allows, by the server's own estimate: the most
    candidates (5,000), demand points (100,000) and k (1,000) in Moscow, and the largest
    service radius (bisection, up to 50 km) whose estimated cost is within ``limit``."""
    from api.services.jobs import pairs_within, plan_cost

    rng = np.random.default_rng(seed)
    n_c, n_d, k = 5000, 100_000, 1000
    c_lat, c_lon = 55.55 + rng.random(n_c) * 0.4, 37.35 + rng.random(n_c) * 0.55
    d_lat, d_lon = 55.5 + rng.random(n_d) * 0.5, 37.3 + rng.random(n_d) * 0.65

    def cost(r: float) -> float:
        return plan_cost(n_c, k, pairs_within(c_lat, c_lon, d_lat, d_lon, r))

    lo, hi = 100.0, 50_000.0
    if cost(hi) <= limit:
        lo = hi
    for _ in range(30):
        if cost(hi) <= limit or hi - lo < 1:
            break
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cost(mid) <= limit else (lo, mid)
    radius = lo
    body = {"candidates": [{"id": f"c{i}", "lat": float(a), "lon": float(b)}
                           for i, (a, b) in enumerate(zip(c_lat, c_lon, strict=True))],
            "demand": [{"lat": float(a), "lon": float(b), "weight": 1.0}
                       for a, b in zip(d_lat, d_lon, strict=True)],
            "k": k, "service_radius_m": round(radius, 1)}  # fmt: skip
    return body, cost(radius)


def _probe(base: str, path: str, body: Any, stop: threading.Event, timeout: float,
           out: list[tuple[float, float]], errors: list[int]) -> None:  # fmt: skip
    """One client sending ``path`` back to back (10 ms apart) until ``stop``: (start time,
    latency ms) of each request."""
    with httpx.Client(base_url=base, headers={"X-API-Key": KEY}, timeout=timeout) as client:
        i = 0
        while not stop.is_set():
            i += 1
            t = time.perf_counter()
            try:
                if body is None:
                    ok = client.get(path).status_code == 200
                else:
                    lat, lon = body[i % len(body)]
                    ok = client.post(path, json={"lat": lat, "lon": lon}).status_code == 200
            except httpx.HTTPError:
                ok = False
            out.append((t, (time.perf_counter() - t) * 1000))
            errors[0] += not ok
            time.sleep(0.01)


@dataclass
class HeavyRow:
    """One line of the heavy-work table."""

    setting: str
    check_ms: np.ndarray
    health_ms: np.ndarray
    errors: int
    plan: str

    def cells(self) -> list[str]:
        def pct(a: np.ndarray, q: float) -> str:
            return f"{np.percentile(a, q):,.1f}" if a.size else "-"

        worst = max(self.check_ms.max(initial=0), self.health_ms.max(initial=0))
        return [self.setting, f"{self.check_ms.size:,}", pct(self.check_ms, 50),
                pct(self.check_ms, 99), f"{self.health_ms.size:,}", pct(self.health_ms, 50),
                pct(self.health_ms, 99), f"{worst:,.0f}", str(self.errors),
                self.plan]  # fmt: skip


Samples = list[tuple[float, float]]


def _run_heavy(url: str, env: dict[str, str], plan: dict[str, Any] | None, seconds: float,
               cands: list[list[float]]) -> tuple[Samples, Samples, int, float, str]:  # fmt: skip
    """Probe a fresh server for ``seconds`` while ``plan`` is sent (from the start): the
    check and health samples, errors, when the 202 came (inf: never) and what became of
    the plan and of SIGTERM."""
    port = _free_port()
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        proc, _ = _serve(url, port, 1)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    base = f"http://127.0.0.1:{port}"
    stop = threading.Event()
    checks: list[tuple[float, float]] = []
    health: list[tuple[float, float]] = []
    errors = [0]
    verdict = "-"
    plan_box: list[Any] = []
    accepted = math.inf
    try:
        httpx.post(f"{base}/v1/protection/check", json={"lat": 55.75, "lon": 37.6},
                   headers={"X-API-Key": KEY})  # fmt: skip  # the key is known from here on
        probes = [threading.Thread(target=_probe, args=(base, "/v1/protection/check", cands, stop,
                                                        10.0, checks, errors)),
                  threading.Thread(target=_probe, args=(base, "/health", None, stop, 10.0,
                                                        health, errors))]  # fmt: skip
        for th in probes:
            th.start()
        time.sleep(1.0)
        t0 = time.perf_counter()
        if plan is not None:

            def send() -> None:
                try:
                    plan_box.append(
                        httpx.post(
                            f"{base}/v1/plan",
                            json=plan,
                            headers={"X-API-Key": KEY},
                            timeout=seconds + 30,
                        )
                    )
                except httpx.HTTPError as exc:
                    plan_box.append(exc)

            threading.Thread(target=send, daemon=True).start()
        job_id = None
        deadline = t0 + seconds
        while time.perf_counter() < deadline:
            time.sleep(0.05)
            if plan is not None and plan_box and job_id is None:
                r = plan_box[0]
                if isinstance(r, httpx.Response) and r.status_code == 202:
                    job_id = r.json()["id"]
                    accepted = time.perf_counter()
                    verdict = f"202 after {accepted - t0:.1f} s"
                else:
                    took = time.perf_counter() - t0
                    verdict = f"answered {getattr(r, 'status_code', r)!s} after {took:.0f} s"
                    break
            if job_id is not None and int(time.perf_counter() * 2) % 2 == 0:
                st = httpx.get(f"{base}/v1/jobs/{job_id}", headers={"X-API-Key": KEY},
                               timeout=10).json()  # fmt: skip
                if st["status"] not in ("running", "queued"):
                    verdict += f"; job {st['status']} after {time.perf_counter() - t0:.0f} s"
                    break
        stop.set()
        for th in probes:
            th.join(timeout=30)
        if job_id is not None and "job " not in verdict:
            t = time.perf_counter()
            httpx.delete(f"{base}/v1/jobs/{job_id}", headers={"X-API-Key": KEY}, timeout=30)
            verdict += (f"; still running at {seconds:.0f} s, DELETE answered in "
                        f"{(time.perf_counter() - t) * 1000:.0f} ms")  # fmt: skip
        elif plan is not None and verdict == "-":
            verdict = f"no answer within {seconds:.0f} s"
    finally:
        t_term = time.perf_counter()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
            verdict += f"; SIGTERM: stopped in {time.perf_counter() - t_term:.1f} s"
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            verdict += "; SIGTERM: still running after 30 s, killed"
    return checks, health, errors[0], accepted, verdict


def _row(name: str, checks: list[tuple[float, float]], health: list[tuple[float, float]],
         errors: int, plan: str, after: float = -math.inf) -> HeavyRow:  # fmt: skip
    return HeavyRow(name, np.array([ms for t, ms in checks if t >= after]),
                    np.array([ms for t, ms in health if t >= after]), errors, plan)  # fmt: skip


def heavy_main(args: argparse.Namespace) -> None:
    """The heavy-work table: idle, the heaviest allowed plan as a job in a worker process,
    and the same plan run the old way (a thread of the server process)."""
    from api.settings import Settings

    load_before = os.getloadavg()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in load_before)}", flush=True)
    points = min(args.points, 10_000)
    df = demo_network(points, seed=args.seed)
    limit = Settings().cost_limit
    plan, cost = heaviest_plan(limit, args.seed)
    print(f"heaviest allowed plan: 5,000 candidates, 100,000 demand points, k 1,000, radius "
          f"{plan['service_radius_m']:,.0f} m, estimate {cost:,.0f} of {limit:,.0f} units",
          flush=True)  # fmt: skip
    cands = _candidates(df, 5000, args.seed + 1).tolist()
    rows: list[HeavyRow] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/pvz.db"
        store = open_store(url, ProtectionPolicy())
        store.seed_points(_points(df), actor="bench", reason="bench")
        store.close()
        checks, health, errors, _, verdict = _run_heavy(url, {}, None, 15.0, cands)
        rows.append(_row("idle (no heavy work)", checks, health, errors, verdict))
        print(" | ".join(rows[-1].cells()), flush=True)
        checks, health, errors, accepted, verdict = _run_heavy(
            url, {}, plan, args.heavy_seconds, cands
        )
        rows.append(
            _row(
                "heaviest allowed plan as a job: while it runs (after the 202)",
                checks,
                health,
                errors,
                verdict,
                after=accepted,
            )
        )
        rows.append(
            _row(
                "the same, whole window (upload, parse, estimate, run)",
                checks,
                health,
                errors,
                verdict,
            )
        )
        for row in rows[-2:]:
            print(" | ".join(row.cells()), flush=True)
        checks, health, errors, _, verdict = _run_heavy(
            url,
            {"PVZ_COST_INLINE": "1e12", "PVZ_COST_LIMIT": "1e12"},
            plan,
            args.heavy_seconds,
            cands,
        )
        rows.append(
            _row(
                "the same plan in a thread of the server (before issue 13), whole window",
                checks,
                health,
                errors,
                verdict,
            )
        )
        print(" | ".join(rows[-1].cells()), flush=True)
    header = ["while", "checks", "check p50 ms", "check p99 ms", "/health", "health p50 ms",
              "health p99 ms", "max ms", "errors", "the plan"]  # fmt: skip
    table = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * 8 + "---|"]
    table += ["| " + " | ".join(r.cells()) + " |" for r in rows]
    print("\n".join(table))
    job = rows[1]
    p99 = max(float(np.percentile(job.check_ms, 99)), float(np.percentile(job.health_ms, 99)))
    idle = max(float(np.percentile(rows[0].check_ms, 99)),
               float(np.percentile(rows[0].health_ms, 99)))  # fmt: skip
    verdict = (f"Target (issue 13): p99 of single checks and /health under "
               f"{TARGET_HEAVY_P99_MS:.0f} ms while the heaviest allowed plan runs: "
               f"{p99:.1f} ms, {'met' if p99 < TARGET_HEAVY_P99_MS else 'NOT met'} "
               f"({p99 / idle:.1f} x the idle server's {idle:.1f} ms).")  # fmt: skip
    print(verdict)
    if args.readme:
        _write_heavy_readme(points, plan, cost, limit, table, verdict, load_before[0])


def _write_heavy_readme(points: int, plan: dict[str, Any], cost: float, limit: float,
                        table: list[str], verdict: str, load_before: float) -> None:  # fmt: skip
    load = os.getloadavg()[0]
    section = f"""## API under heavy work

`.venv/bin/python bench/api.py --heavy` (about 3 minutes; `--readme` rewrites this
section): `pvz serve` (one worker, default budget) on SQLite with {points:,} demo points;
two clients probe it back to back (10 ms apart), one with single `POST
/v1/protection/check` requests, one with `GET /health`, from 1 s before `POST /v1/plan`
sends the heaviest plan the default budget allows: 5,000 candidates, 100,000 demand points in and
around Moscow, k = 1,000, service radius {plan["service_radius_m"]:,.0f} m (the largest
whose estimate, {cost:,.0f} units, is within `PVZ_COST_LIMIT` = {limit:,.0f}). The plan
is a job (202) in a worker process (niceness +10); after the probing window it is
cancelled (`DELETE /v1/jobs/{{id}}`) and the server is stopped with SIGTERM. The job's
rows split the window: *while it runs* counts the probes sent after the 202; *whole
window* adds the upload and the parsing of the 7 MB body, which happen on the event loop
before the estimate (about 0.4 s of `json.loads` and 1.4 s of pydantic validation for
105,000 items on this machine, in one call that holds the GIL: the stall in *max ms*).
The peers: the same probes on an idle server, and on a server told to run everything
in its own process (`PVZ_COST_INLINE` huge: a thread of the server, as before issue
13). Probe time-out 10 s (a timed-out probe counts as an error with its 10 s).

**Taken under load**: the machine's 2 cores are shared with other jobs (load average
{load_before:.2f} before the run, {load:.2f} at the end), so the absolute numbers vary
by about 2x between runs; the ratios within one run are what to compare.

{chr(10).join(table)}

{verdict}
"""
    readme = ROOT / "bench" / "README.md"
    text = readme.read_text() if readme.exists() else "# Benchmarks\n"
    pattern = re.compile(r"^## API under heavy work\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section + "\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    readme.write_text(text)


if __name__ == "__main__":
    main()
