"""Load generators of ``bench/api.py``: ``wrk`` for HTTP, ``pgbench`` for raw PostGIS.

Both are C programs with an event loop per thread (wrk: epoll; pgbench: one socket per
client, ``-j`` threads), so on a 2-core machine they leave the server and the database
most of the CPU. Both sides get the same shape of load: ``clients`` keep-alive
connections over 2 threads, each sending the next request as soon as the answer is in,
candidates cycled from the same precomputed list.

The Python loaders the benchmark used before (``http.client`` threads in 2 processes,
psycopg threads in one) stay here as ``python`` for comparison: they hold the GIL per
process and take a large share of the 2 cores, and their own queueing shows up in every
latency they measure.

``make bench-tools`` (``scripts/setup-bench-tools.sh``) installs wrk and PostgreSQL
(pgbench ships with it).
"""

from __future__ import annotations

import json
import math
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.pgcluster import find_pg_bin

__all__ = [
    "LoadResult",
    "missing_tools",
    "pgbench_load",
    "pgbench_path",
    "python_http_load",
    "python_postgis_load",
    "tool_versions",
    "wrk_load",
]

#: how to install the load generators
INSTALL_HINT = "run `make bench-tools` (as root: apt-get install wrk postgresql)"


@dataclass
class LoadResult:
    """What one load run measured.

    Attributes
    ----------
    n : completed requests (transactions)
    errors : failed requests (transport errors, non-2xx answers, failed transactions)
    seconds : the measured window, s
    p50_ms, p99_ms : latency percentiles of the completed requests, ms
    cpu_s : CPU time (user + system) the load generator itself used, s
    """

    n: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    cpu_s: float = math.nan

    @property
    def rate(self) -> float:
        """Completed requests per second."""
        return self.n / self.seconds if self.seconds > 0 else 0.0

    @property
    def cpu_cores(self) -> float:
        """The load generator's CPU use, in cores busy on average over the run."""
        return self.cpu_s / self.seconds if self.seconds > 0 else math.nan

    @classmethod
    def from_samples(
        cls, n: int, errors: int, seconds: float, lat_ms: np.ndarray, cpu_s: float = math.nan
    ) -> LoadResult:
        """From every request's latency, ms."""
        p50, p99 = np.percentile(lat_ms, [50, 99]) if lat_ms.size else (np.nan, np.nan)
        return cls(n, errors, seconds, float(p50), float(p99), cpu_s)


def _cpu(who: int) -> float:
    """User + system CPU seconds of ``resource.RUSAGE_SELF`` or ``RUSAGE_CHILDREN``."""
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def pgbench_path() -> Path | None:
    """The ``pgbench`` next to the PostgreSQL binaries the tests use, or on PATH."""
    pg_bin = find_pg_bin()
    if pg_bin is not None and (pg_bin / "pgbench").exists():
        return pg_bin / "pgbench"
    found = shutil.which("pgbench")
    return Path(found) if found else None


def missing_tools(postgis: bool) -> list[str]:
    """The load generators not installed (``wrk``; ``pgbench`` when ``postgis``)."""
    out = [] if shutil.which("wrk") else ["wrk"]
    if postgis and pgbench_path() is None:
        out.append("pgbench")
    return out


def tool_versions() -> str:
    """``"wrk 4.1.0, pgbench 15.x"`` (what is installed)."""
    parts = []
    wrk = shutil.which("wrk")
    if wrk:
        first = subprocess.run([wrk, "-v"], capture_output=True, text=True).stdout.splitlines()
        m = re.search(r"wrk\s+(\S+)", first[0] if first else "")
        parts.append(f"wrk {m.group(1) if m else '?'}")
    pgb = pgbench_path()
    if pgb is not None:
        out = subprocess.run([str(pgb), "--version"], capture_output=True, text=True).stdout
        m = re.search(r"(\d+(?:\.\d+)+)", out)
        parts.append(f"pgbench {m.group(1) if m else '?'}")
    return ", ".join(parts) or "no load tool"


# ------------------------------------------------------------------------------ wrk
#: wrk script: cycles through precomputed request bodies (one JSON body a line), each
#: thread from its own offset; prints one JSON line of results from done()
_WRK_LUA = r"""
local bodies_path, api_key, path = %(bodies)s, %(key)s, %(path)s
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
function init(args)
  reqs = {}
  local headers = {["X-API-Key"] = api_key, ["Content-Type"] = "application/json"}
  for line in io.lines(bodies_path) do
    reqs[#reqs + 1] = wrk.format("POST", path, headers, line)
  end
  k = (id * 7919) %% #reqs
end
function request()
  k = k %% #reqs + 1
  return reqs[k]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %%d, "duration_us": %%d, "connect": %%d, "read": %%d, "write": %%d, ' ..
    '"status": %%d, "timeout": %%d, "p50_us": %%d, "p99_us": %%d, "max_us": %%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def wrk_load(
    port: int, cands: np.ndarray, clients: int, seconds: float, key: str, *, threads: int = 2,
    path: str = "/v1/protection/check",
) -> LoadResult:  # fmt: skip
    """``clients`` keep-alive connections over ``threads`` wrk threads sending ``POST path``
    with the candidates' bodies (``{"lat": .., "lon": ..}``, cycled) for ``seconds``.

    Latency percentiles are wrk's (every request recorded, microsecond resolution);
    errors are wrk's connect, read, write and timeout errors plus non-2xx/3xx answers."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError(f"wrk is not installed: {INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="pvz-wrk-") as tmp:
        bodies = Path(tmp) / "bodies.jsonl"
        bodies.write_text(
            "".join(json.dumps({"lat": float(a), "lon": float(b)}) + "\n" for a, b in cands)
        )
        script = Path(tmp) / "check.lua"
        script.write_text(_WRK_LUA % {"bodies": json.dumps(str(bodies)), "key": json.dumps(key),
                                      "path": json.dumps(path)})  # fmt: skip
        cmd = [wrk, "-t", str(threads), "-c", str(clients), "-d", f"{seconds:g}s",
               "--timeout", "10s", "-s", str(script), f"http://127.0.0.1:{port}"]  # fmt: skip
        cpu0 = _cpu(resource.RUSAGE_CHILDREN)
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
        cpu = _cpu(resource.RUSAGE_CHILDREN) - cpu0
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if out.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stdout}\n{out.stderr}")
    res = json.loads(line.removeprefix("RESULT "))
    errors = sum(int(res[k]) for k in ("connect", "read", "write", "status", "timeout"))
    return LoadResult(int(res["requests"]), errors, res["duration_us"] / 1e6,
                      res["p50_us"] / 1e3, res["p99_us"] / 1e3, cpu)  # fmt: skip


# -------------------------------------------------------------------------- pgbench
#: the candidates as a table: pgbench picks one at random per transaction
CANDIDATES_TABLE = "bench_candidates"


def pgbench_load(
    url: str, sql: str, n_candidates: int, clients: int, seconds: float, *, threads: int = 2
) -> LoadResult:
    """pgbench: ``clients`` connections over ``threads`` threads running ``sql`` (prepared,
    ``:i`` a random candidate number in ``1..n_candidates``) for ``seconds``.

    p50/p99 from pgbench's per-transaction log (``-l``: every transaction's latency in
    microseconds); errors are failed and aborted transactions."""
    pgb = pgbench_path()
    if pgb is None:
        raise RuntimeError(f"pgbench is not installed: {INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="pvz-pgbench-") as tmp:
        script = Path(tmp) / "check.sql"
        script.write_text(f"\\set i random(1, {n_candidates})\n{sql};\n")
        prefix = Path(tmp) / "tx"
        cmd = [str(pgb), "-n", "-M", "prepared", "-c", str(clients), "-j", str(threads),
               "-T", str(max(1, round(seconds))), "-f", str(script), "-l",
               f"--log-prefix={prefix}", url]  # fmt: skip
        cpu0 = _cpu(resource.RUSAGE_CHILDREN)
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
        cpu = _cpu(resource.RUSAGE_CHILDREN) - cpu0
        if out.returncode not in (0, 2):  # 2: some clients aborted (counted below)
            raise RuntimeError(f"pgbench failed ({out.returncode}): {out.stdout}\n{out.stderr}")
        lat_us: list[np.ndarray] = []
        failed = 0
        for log in Path(tmp).glob("tx.*"):
            cols = [ln.split() for ln in log.read_text().splitlines() if ln.strip()]
            ok = [c[2] for c in cols if c[2].isdigit()]
            failed += len(cols) - len(ok)
            lat_us.append(np.array(ok, dtype=np.float64))
    text = out.stdout + out.stderr
    m = re.search(r"number of transactions actually processed: (\d+)", text)
    n = int(m.group(1)) if m else sum(a.size for a in lat_us)
    m = re.search(r"number of failed transactions: (\d+)", text)
    failed = max(failed, int(m.group(1)) if m else 0)
    aborted = len(re.findall(r"client \d+ aborted", text))
    m = re.search(r"tps = ([\d.]+) \(without initial connection time\)", text)
    secs = n / float(m.group(1)) if m and float(m.group(1)) > 0 else float(round(seconds))
    lat = np.concatenate(lat_us) / 1e3 if lat_us else np.empty(0)
    return LoadResult.from_samples(n, failed + aborted, secs, lat, cpu)


def load_candidates_table(url: str, cands: np.ndarray) -> None:
    """(Re)create :data:`CANDIDATES_TABLE` (``i`` 1..n, ``q`` the candidate's geography)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {CANDIDATES_TABLE}")
        conn.execute(f"CREATE TABLE {CANDIDATES_TABLE} (i integer PRIMARY KEY, "
                     "q geography(Point, 4326) NOT NULL)")  # fmt: skip
        with conn.cursor() as cur, cur.copy(f"COPY {CANDIDATES_TABLE} (i, q) FROM STDIN") as cp:
            for i, (lat, lon) in enumerate(cands, start=1):
                cp.write_row((i, f"SRID=4326;POINT({float(lon)!r} {float(lat)!r})"))
        conn.execute(f"ANALYZE {CANDIDATES_TABLE}")


# ----------------------------------------------------------- the Python loaders (before)
_PY_LOADER = r"""
import http.client, json, sys, threading, time
port, n_threads, seconds, key = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
cands = json.loads(sys.stdin.readline())
lat_ms = [[] for _ in range(n_threads)]
errors = [0] * n_threads
ready = threading.Barrier(n_threads + 1)
stop_at = [0.0]

def worker(k):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    ready.wait()
    i = k
    while time.perf_counter() < stop_at[0]:
        lat, lon = cands[i % len(cands)]
        i += n_threads
        body = json.dumps({"lat": lat, "lon": lon})
        t = time.perf_counter()
        try:
            conn.request("POST", "/v1/protection/check", body, headers)
            r = conn.getresponse()
            r.read()
            ok = r.status == 200
        except OSError:
            ok = False
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        lat_ms[k].append((time.perf_counter() - t) * 1000)
        errors[k] += not ok

threads = [threading.Thread(target=worker, args=(k,)) for k in range(n_threads)]
for t in threads:
    t.start()
print("ready", flush=True)
sys.stdin.readline()
stop_at[0] = time.perf_counter() + seconds
ready.wait()
for t in threads:
    t.join()
print(json.dumps({"lat_ms": [x for xs in lat_ms for x in xs], "errors": sum(errors)}))
"""


def python_http_load(
    port: int, cands: np.ndarray, clients: int, seconds: float, key: str, processes: int = 2
) -> LoadResult:
    """The loader before wrk: ``clients`` keep-alive ``http.client`` threads spread over
    ``processes`` Python processes sending single checks for ``seconds``."""
    per = [clients // processes + (k < clients % processes) for k in range(processes)]
    cpu0 = _cpu(resource.RUSAGE_CHILDREN)
    procs = [subprocess.Popen([sys.executable, "-c", _PY_LOADER, str(port), str(n), str(seconds),
                               key], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for n in per]  # fmt: skip
    rng = np.random.default_rng(len(procs))
    for k, p in enumerate(procs):
        assert p.stdin is not None and p.stdout is not None
        pick = cands[rng.permutation(len(cands))[:20_000]].tolist()
        p.stdin.write(json.dumps(pick) + "\n")
        p.stdin.flush()
        assert p.stdout.readline().strip() == "ready", k
    t0 = time.perf_counter()
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    lat: list[float] = []
    errors = 0
    for p in procs:
        out, _ = p.communicate(timeout=seconds + 120)
        res = json.loads(out.strip().splitlines()[-1])
        lat += res["lat_ms"]
        errors += res["errors"]
    secs = time.perf_counter() - t0
    cpu = _cpu(resource.RUSAGE_CHILDREN) - cpu0  # includes reading the candidates, ~0.1 s
    return LoadResult.from_samples(len(lat), errors, secs, np.array(lat), cpu)


def python_postgis_load(
    url: str, sql: str, cands: np.ndarray, clients: int, seconds: float, reach_m: float
) -> LoadResult:
    """The loader before pgbench: ``clients`` psycopg connections, one thread each, in this
    process, running ``sql`` (parameters lon, lat, reach) for ``seconds``."""
    import psycopg

    out: list[list[float]] = [[] for _ in range(clients)]
    errs = [0] * clients
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def worker(k: int) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql, (0.0, 0.0, reach_m)).fetchall()
            start.wait()
            i = k
            while time.perf_counter() < stop_at[0]:
                lat, lon = cands[i % len(cands)]
                i += clients
                t = time.perf_counter()
                try:
                    conn.execute(sql, (float(lon), float(lat), reach_m)).fetchall()
                except psycopg.Error:
                    errs[k] += 1
                out[k].append((time.perf_counter() - t) * 1000)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + seconds + 0.5
    start.wait()
    t0 = time.perf_counter()
    cpu0 = _cpu(resource.RUSAGE_SELF)
    for t in threads:
        t.join()
    cpu = _cpu(resource.RUSAGE_SELF) - cpu0
    lat_ms = np.concatenate([np.array(x) for x in out])
    return LoadResult.from_samples(lat_ms.size, sum(errs), time.perf_counter() - t0, lat_ms, cpu)
