"""Benchmark of the competition-protection index against five peers, in one run.

Builds 100,000 points clustered by population and 1,000,000 candidates (see
``bench/_data.py``), computes the exact WGS84 answer independently, then times
``geo.index.PointIndex`` and scipy ``cKDTree``, shapely ``STRtree``, geopandas
``sjoin``, scikit-learn ``BallTree`` and ``rtree`` (see ``bench/_peers.py``) and
prints a markdown table: build time, batch time per candidate, single-query
latency p50/p99, index memory, and missing/extra pairs against the truth.

Run: ``.venv/bin/python bench/protection.py [--quick] [--readme]``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numba  # noqa: E402
import numpy as np  # noqa: E402
from scipy.spatial import cKDTree  # noqa: E402

from bench._data import Sites, compare, exact_pairs, make_data, pair_keys  # noqa: E402
from bench._env import require_project_venv, versions  # noqa: E402
from bench._peers import (  # noqa: E402
    Impl,
    KDTreeSphere,
    Ours,
    all_impls,
    flatten_hits,
    sphere_xyz_m,
)

README = ROOT / "bench" / "README.md"
SECTION = "## Protection index"
#: single queries of geopandas sjoin (a few milliseconds each)
SJOIN_SINGLE = 200

TARGET_BUILD_S = 0.1
TARGET_SINGLE_US = 50.0
#: issue 18: single check p50 at most this, us (p99 under TARGET_SINGLE_US)
TARGET_SINGLE_P50_US = 15.0
#: issue 16: index memory per point, bytes (ids in compact arrays)
TARGET_BYTES_PER_POINT = 150

_T = TypeVar("_T")


@dataclass
class Result:
    """Measurements of one implementation (seconds, microseconds, megabytes, pair counts)."""

    name: str
    method: str
    build_s: float = float("nan")
    batch_us: float = float("nan")
    n_batch: int = 0
    single_p50_us: float = float("nan")
    single_p99_us: float = float("nan")
    n_single: int = 0
    memory_mb: float = float("nan")
    missing: int = -1
    extra: int = -1
    n_truth: int = 0
    notes: list[str] = field(default_factory=list)


def _rss_bytes() -> int:
    """Resident set size of this process, bytes (Linux ``/proc/self/statm``)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _timed(fn: Callable[[], _T]) -> tuple[float, _T]:
    """Wall time of ``fn()`` in seconds, and its result."""
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def _warm(impl: Impl, pts: Sites, cands: Sites) -> None:
    """Run every code path once on small inputs (numba cache load, lazy imports)."""
    impl.build(pts.take(np.arange(min(1000, len(pts)))))
    impl.batch(cands.take(np.arange(min(1000, len(cands)))))
    for i in range(min(20, len(cands))):
        impl.single(float(cands.lat[i]), float(cands.lon[i]), float(cands.radius_m[i]))


def measure_memory(key: int, n_points: int, seed: int) -> float:
    """Index memory of implementation ``key``, MB, measured over its build in a fresh process.

    The larger of the RSS growth (sees native allocations) and the tracemalloc growth
    (Python and numpy objects, wherever they land).
    """
    cmd = [sys.executable, str(Path(__file__).resolve()), "--memory-of", str(key)]
    cmd += ["--points", str(n_points), "--seed", str(seed)]
    # fixed glibc thresholds: big blocks are mmapped and freed pages go back to the
    # system, so the RSS growth is the memory the index keeps
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536", MALLOC_TRIM_THRESHOLD_="0")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT, env=env)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    return max(float(got["rss_mb"]), float(got["traced_mb"]))


def _memory_child(key: int, n_points: int, seed: int) -> None:
    """Entry of the memory subprocess: warm up, then print the RSS growth of one build."""
    pts, cands = make_data(n_points, 1000, seed)
    impl = all_impls()[key]
    _warm(impl, make_data(2000, 1000, seed + 1)[0], cands)
    impl = all_impls()[key]
    gc.collect()
    tracemalloc.start()
    traced0 = tracemalloc.get_traced_memory()[0]
    rss0 = _rss_bytes()
    impl.build(pts)
    gc.collect()
    rss_mb = (_rss_bytes() - rss0) / 1e6
    traced_mb = (tracemalloc.get_traced_memory()[0] - traced0) / 1e6
    print(json.dumps({"rss_mb": rss_mb, "traced_mb": traced_mb}))


def run_impl(
    impl: Impl,
    pts: Sites,
    cands: Sites,
    truth_keys: np.ndarray,
    n_sub: int,
    n_single: int,
) -> Result:
    """Build, batch and single-query timings and pair accuracy of one implementation."""
    res = Result(impl.name, impl.method)
    _warm(impl, pts, cands)
    builds = []
    for _ in range(3):
        gc.collect()
        t, _ = _timed(lambda: impl.build(pts))
        builds.append(t)
        if t > 2.0:
            break
    res.build_s = min(builds)
    m = n_sub if impl.subsample else len(cands)
    sub = cands if m == len(cands) else cands.take(np.arange(m))
    gc.collect()
    t, (ci, pj) = _timed(lambda: impl.batch(sub))
    res.batch_us = t / m * 1e6
    res.n_batch = m
    found = pair_keys(ci, pj, len(pts))
    truth = truth_keys if m == len(cands) else truth_keys[truth_keys < m * len(pts)]
    res.missing, res.extra = compare(found, truth)
    res.n_truth = int(truth.size)
    k = min(n_single, SJOIN_SINGLE) if "sjoin" in impl.name else n_single
    lat, lon, rad = cands.lat.tolist(), cands.lon.tolist(), cands.radius_m.tolist()
    lat_ns = np.empty(k)
    for i in range(k):
        t0 = time.perf_counter_ns()
        impl.single(lat[i], lon[i], rad[i])
        lat_ns[i] = time.perf_counter_ns() - t0
    res.single_p50_us, res.single_p99_us = (float(v) / 1e3 for v in np.percentile(lat_ns, [50, 99]))
    res.n_single = k
    return res


def ours_nbytes_mb(impl: Ours) -> float:
    """Bytes of the numpy arrays held by our index, its id arrays included, MB."""
    arrays = sum(v.nbytes for v in vars(impl.idx).values() if isinstance(v, np.ndarray))
    return (arrays + impl.idx._ids.nbytes()) / 1e6


def kdtree_breakdown(pts: Sites, cands: Sites) -> list[str]:
    """Steps of the cKDTree peer's batch (sphere coordinates, dual tree, flatten, arc filter)."""
    kd = KDTreeSphere()
    kd.build(pts)
    n = len(cands)
    out: list[str] = []

    def step(name: str, fn: Callable[[], _T]) -> _T:
        t, r = _timed(fn)
        out.append(f"| {name} | {t:.3f} | {t / n * 1e6:.2f} |")
        return r

    cxyz = step("sphere coordinates of the candidates", lambda: sphere_xyz_m(cands.lat, cands.lon))
    ctree = step("cKDTree of the candidates", lambda: cKDTree(cxyz))
    reach = kd._reach(float(cands.radius_m.max()))
    hits = step("query_ball_tree (dual tree)", lambda: ctree.query_ball_tree(kd.tree, reach))
    ci, pj = step("flatten the lists to pair arrays", lambda: flatten_hits(hits, n))
    step("arc filter with max(r_c, r_p)", lambda: kd._keep(cxyz, cands.radius_m, ci, pj))
    return out


@contextlib.contextmanager
def _spy_on_ours(per_call: bool = False) -> Iterator[dict[str, list[float]]]:
    """Time every call ``geo.index`` makes to its kernels and geodesic helpers.

    Wraps each function of ``geo._kernels`` and the ``distance_m``, ``ecef_m`` and
    ``validate_latlon`` names used by ``geo.index``; yields ``{name: [seconds, calls]}``,
    or ``{name: [seconds of each call]}`` when ``per_call``.
    Only public call sites are patched, so the replay follows the lead's changes.
    """
    import geo.index as gi
    from geo import _kernels

    spent: dict[str, list[float]] = {}
    patched: list[tuple[object, str, object]] = []

    def wrap(owner: object, attr: str, label: str) -> None:
        fn = getattr(owner, attr)

        def timed(*args: object, **kwargs: object) -> object:
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                dt = time.perf_counter() - t
                if per_call:
                    spent.setdefault(label, []).append(dt)
                else:
                    acc = spent.setdefault(label, [0.0, 0.0])
                    acc[0] += dt
                    acc[1] += 1

        patched.append((owner, attr, fn))
        setattr(owner, attr, timed)

    for attr in dir(_kernels):
        # numba dispatchers only
        if not attr.startswith("_") and hasattr(getattr(_kernels, attr), "py_func"):
            wrap(_kernels, attr, f"_kernels.{attr}")
    for attr in ("distance_m", "ecef_m", "validate_latlon"):
        if hasattr(gi, attr):
            wrap(gi, attr, attr)
    try:
        yield spent
    finally:
        for owner, attr, fn in reversed(patched):
            setattr(owner, attr, fn)


def breakdown(impl: Ours, cands: Sites) -> list[str]:
    """Where our batch query spends its time: kernels, geodesic, and the numpy glue around them."""
    out: list[str] = []
    n = len(cands)
    for distances in (False, True):
        with _spy_on_ours() as spent:
            total, pr = _timed(
                lambda d=distances: impl.idx.query(  # type: ignore[misc]
                    cands.lat, cands.lon, cands.radius_m, distances=d
                )
            )
        rest = total - sum(v[0] for v in spent.values())
        tag = f"distances={distances}"
        for name, (sec, calls) in spent.items():
            out.append(f"| {tag} | {name} ({int(calls)} calls) | {sec:.3f} | {sec / n * 1e6:.2f} |")
        out.append(
            f"| {tag} | rest of query(): numpy glue (repeat, gathers, masks, sorts) "
            f"| {rest:.3f} | {rest / n * 1e6:.2f} |"
        )
        out.append(
            f"| {tag} | **total** ({len(pr):,} pairs) | {total:.3f} | {total / n * 1e6:.2f} |"
        )
    return out


def single_breakdown(impl: Ours, cands: Sites, n: int) -> list[str]:
    """Median time of the parts of one single query over ``n`` queries, microseconds."""
    lat, lon, rad = cands.lat.tolist(), cands.lon.tolist(), cands.radius_m.tolist()
    for i in range(min(n, 50)):  # warm-up
        impl.idx.query([lat[i]], [lon[i]], [rad[i]], distances=False)
    with _spy_on_ours(per_call=True) as spent:
        totals = np.empty(n)
        for i in range(n):
            t0 = time.perf_counter()
            impl.idx.query([lat[i]], [lon[i]], [rad[i]], distances=False)
            totals[i] = time.perf_counter() - t0
    out = [f"| {k} | {np.median(v) * 1e6:.1f} |" for k, v in spent.items()]
    out.append(f"| whole query (timing wrappers included) | {np.median(totals) * 1e6:.1f} |")
    return out


def single_floor(impl: Impl, cands: Sites, k: int, passes: int = 5) -> tuple[float, float]:
    """p50 and p99 over ``k`` single queries of each query's fastest of ``passes`` passes,
    microseconds: what the code costs per query, with most of a shared machine's
    interruptions (another process on the core, cold caches after it) filtered out."""
    lat, lon, rad = cands.lat.tolist(), cands.lon.tolist(), cands.radius_m.tolist()
    best = np.full(k, np.inf)
    for _ in range(passes):
        for i in range(k):
            t0 = time.perf_counter_ns()
            impl.single(lat[i], lon[i], rad[i])
            best[i] = min(best[i], time.perf_counter_ns() - t0)
    p50, p99 = np.percentile(best, [50, 99]) / 1e3
    return float(p50), float(p99)


def _ratio(v: float, ref: float) -> str:
    return f"{v / ref:.2f}" if ref > 0 and np.isfinite(v) else "-"


def table(results: list[Result], ref: Result) -> list[str]:
    """Markdown table of the results with ratios to ``ref`` (ours)."""
    head = (
        "| implementation | build s | x ours | batch us/cand | x ours | candidates timed "
        "| single p50 us | p99 us | x ours (p50) | memory MB | x ours | missing | extra |"
    )
    rows = [head, "|" + "---|" * 13]
    for r in results:
        rows.append(
            f"| {r.name} | {r.build_s:.3f} | {_ratio(r.build_s, ref.build_s)} "
            f"| {r.batch_us:.2f} | {_ratio(r.batch_us, ref.batch_us)} | {r.n_batch:,} "
            f"| {r.single_p50_us:.1f} | {r.single_p99_us:.1f} "
            f"| {_ratio(r.single_p50_us, ref.single_p50_us)} "
            f"| {r.memory_mb:.1f} | {_ratio(r.memory_mb, ref.memory_mb)} "
            f"| {r.missing:,} | {r.extra:,} |"
        )
    return rows


def targets(
    results: list[Result], n_points: int, floor: dict[str, tuple[float, float]] | None = None
) -> list[str]:
    """Lines saying whether each target of issue 3 is met (``n_points`` indexed);
    ``floor``: :func:`single_floor` of the ours rows, by name."""
    by = {r.name: r for r in results}
    ours, kd = by["ours"], by["scipy cKDTree"]

    def mark(ok: bool) -> str:
        return "MET" if ok else "NOT MET"

    exact = all(r.missing == 0 and r.extra == 0 for r in results if r.name.startswith("ours"))
    return [
        f"- batch per candidate <= cKDTree in the same run: {ours.batch_us:.2f} us vs "
        f"{kd.batch_us:.2f} us -> {mark(ours.batch_us <= kd.batch_us)}; "
        f"aim 2x faster (<= {kd.batch_us / 2:.2f} us): {mark(ours.batch_us <= kd.batch_us / 2)}",
        f"- build of {n_points:,} points under {TARGET_BUILD_S} s: {ours.build_s:.3f} s -> "
        f"{mark(ours.build_s < TARGET_BUILD_S)}",
        f"- single check under {TARGET_SINGLE_US:.0f} us: p50 {ours.single_p50_us:.1f} us, "
        f"p99 {ours.single_p99_us:.1f} us -> p50 {mark(ours.single_p50_us < TARGET_SINGLE_US)}, "
        f"p99 {mark(ours.single_p99_us < TARGET_SINGLE_US)}",
        f"- zero missing and zero extra pairs (both ours rows): {mark(exact)}",
        f"- issue 18, single check p50 at most {TARGET_SINGLE_P50_US:.0f} us and p99 under "
        f"{TARGET_SINGLE_US:.0f} us: p50 {ours.single_p50_us:.1f} us -> "
        f"{mark(ours.single_p50_us <= TARGET_SINGLE_P50_US)}, p99 {ours.single_p99_us:.1f} us "
        f"-> {mark(ours.single_p99_us < TARGET_SINGLE_US)} (with the geodesic of every pair, "
        f"distances=True: p50 {by['ours (distances=True)'].single_p50_us:.1f} us, p99 "
        f"{by['ours (distances=True)'].single_p99_us:.1f} us)"
        + "".join(
            f"; {name}, each query's fastest of 5 passes: p50 {f[0]:.1f} us, p99 {f[1]:.1f} us"
            for name, f in (floor or {}).items()
        ),
        f"- issue 16, index memory at most {TARGET_BYTES_PER_POINT} bytes per point: "
        f"{ours.memory_mb * 1e6 / n_points:.0f} bytes -> "
        f"{mark(ours.memory_mb * 1e6 / n_points <= TARGET_BYTES_PER_POINT)} (about 560 before: "
        "ids in a Python list and dict, ECEF coordinates kept twice)",
    ]


def machine() -> str:
    """One line describing the machine and the libraries."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    libs = versions("numpy", "numba", "pyproj", "scipy", "shapely", "geopandas",
                    "scikit-learn", "rtree")  # fmt: skip
    return (
        f"{os.cpu_count()} cores ({cpu}), Linux, Python {platform.python_version()}; {libs}; "
        f"numba threads {numba.get_num_threads()}; load average before the run "
        f"{os.getloadavg()[0]:.2f}"
    )


def write_readme(text: str, path: Path = README) -> None:
    """Replace (or append) the ``## Protection index`` section of ``bench/README.md``."""
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    start = old.find(SECTION)
    if start < 0:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        end = old.find("\n## ", start + len(SECTION))
        new = old[:start] + text + (old[end + 1 :] if end >= 0 else "")
    path.write_text(new.rstrip("\n") + "\n")


def parse(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--points", type=int, default=None, help="points (default 100,000)")
    p.add_argument("--candidates", type=int, default=None, help="candidates (default 1,000,000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="10,000 points, 100,000 candidates")
    p.add_argument("--subsample", type=int, default=100_000, help="candidates timed for slow peers")
    p.add_argument("--single", type=int, default=2000, help="single queries timed per peer")
    p.add_argument("--readme", action="store_true", help="write the section of bench/README.md")
    p.add_argument("--memory-of", type=int, default=None, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    a.points = a.points or (10_000 if a.quick else 100_000)
    a.candidates = a.candidates or (100_000 if a.quick else 1_000_000)
    return a


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report; returns the exit code."""
    a = parse(argv)
    require_project_venv()
    if a.memory_of is not None:
        _memory_child(a.memory_of, a.points, a.seed)
        return 0
    t_start = time.perf_counter()
    mach = machine()
    print(mach, flush=True)
    t, (pts, cands) = _timed(lambda: make_data(a.points, a.candidates, a.seed))
    print(f"data: {len(pts):,} points, {len(cands):,} candidates in {t:.2f} s", flush=True)
    t, truth = _timed(lambda: exact_pairs(pts, cands))
    print(
        f"truth: {truth.keys.size:,} conflicting pairs from {truth.n_superset:,} chord-superset "
        f"pairs in {t:.1f} s",
        flush=True,
    )
    n_sub = min(a.subsample, a.candidates)
    impls = all_impls()
    results: list[Result] = []
    for key, impl in enumerate(impls):
        r = run_impl(impl, pts, cands, truth.keys, n_sub, a.single)
        r.memory_mb = measure_memory(key, a.points, a.seed)
        results.append(r)
        print(
            f"  {r.name}: build {r.build_s:.3f} s, batch {r.batch_us:.2f} us/cand, "
            f"single p50 {r.single_p50_us:.1f} us, missing {r.missing}, extra {r.extra}",
            flush=True,
        )
    ours = impls[0]
    assert isinstance(ours, Ours)
    # ours on one numba thread: a per-core comparison with the single-threaded peers
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    one = run_impl(Ours(), pts, cands, truth.keys, n_sub, a.single)
    numba.set_num_threads(threads)
    one.name, one.memory_mb = "ours, 1 numba thread", results[0].memory_mb
    results.insert(2, one)
    ours.build(pts)
    bd = breakdown(ours, cands)
    sbd = single_breakdown(ours, cands, min(a.single, 2000))
    ours_exact = next(i for i in impls if i.name == "ours (distances=True)")
    floor = {i.name: single_floor(i, cands, a.single) for i in (ours, ours_exact)}
    kbd = kdtree_breakdown(pts, cands)
    ref = results[0]
    chuk = int(np.sum((pts.lon > 170) | (pts.lon < -168)))
    lines = [
        SECTION,
        "",
        "Exact competition-protection check (`geo.index.PointIndex`) against five peers, "
        "same data, same rule: a (candidate c, point p) pair conflicts iff the WGS84 geodesic "
        "`d(c, p) < max(r_c, r_p)`.",
        "",
        "Run: `.venv/bin/python bench/protection.py` (full, about 4 minutes on a busy machine; "
        "add `--readme` to rewrite this section), `--quick` for a smoke run (10,000 / 100,000), "
        "`--points N --candidates M --seed S`.",
        "",
        f"Machine: {mach}.",
        "",
        f"Data (seed {a.seed}): {len(pts):,} points and {len(cands):,} candidates drawn around "
        "`data/settlements_ru.csv` settlements with probability proportional to population, "
        "Gaussian scatter with sigma = 0.5 * R_km, R_km = 0.5 * (population / 1000) ** 0.4; "
        "radius 500 m for settlements of >= 500,000 people, else 1,000 m; longitudes wrapped "
        f"to [-180, 180) ({chuk} points in Chukotka, lon > 170 or < -168). Truth: "
        f"{truth.keys.size:,} conflicting pairs, decided by `pyproj.Geod` (Karney) on all "
        f"{truth.n_superset:,} pairs of a scipy cKDTree ECEF chord superset (radius max_r + 5 m, "
        "ECEF from pyproj EPSG:4978; independent of `geo/`).",
        "",
        *table(results, ref),
        "",
        "Columns: build = best of up to 3 builds of the point index from lat/lon arrays "
        "(conversions included); batch = one call over the candidates timed, divided by their "
        f"number (peers marked with {n_sub:,} candidates timed ran on the first {n_sub:,} "
        "candidates, a random sample, and missing/extra are counted on that sample); single = "
        f"{a.single:,} one-candidate queries one at a time ({SJOIN_SINGLE} for sjoin), each "
        "returning the conflicting points after the filter; memory = over one build in a fresh "
        "subprocess after a warm-up, the larger of the resident-set growth (/proc/self/statm, "
        "glibc mmap threshold fixed at 64 KiB and trim at 0, so native GEOS / libspatialindex "
        "/ C++ allocations count) and the tracemalloc growth (our index's own numpy arrays: "
        f"{ours_nbytes_mb(ours):.1f} MB by nbytes, ids included). Everything is "
        "warmed up first (numba kernels load from the on-disk cache). Ours runs its kernels "
        f"on {threads} numba threads; every peer is single-threaded, hence the 1-thread row.",
        "",
        "Methods:",
        "",
        *(f"- {r.name}: {r.method}" for r in results if not r.name.startswith("ours,")),
        "",
        "Targets (issue 3):",
        "",
        *targets(results, len(pts), floor),
        "",
        "Single queries (issue 18): the pairs of one query come from one kernel call "
        "(`scan_point`, serial: a single candidate never wakes numba's parallel pool), and "
        "only the pairs within the 1 m band get the exact geodesic, one scalar Karney call "
        "each, the band pairs' positions written by the kernel. Before, a query with any pair "
        "in the band (about 3 % of them, mostly dense ones with 20-60 pairs) scanned again "
        "and looped in Python over every pair, about 20-50 us: those queries made the p99. "
        "Each query's fastest of 7 passes over 2,000 queries on 100,000 points (the full "
        "data; a shared machine, load average about 13): p50 9.0 -> 8.5 us, p99 38.6 -> "
        "18.8 us. The rows above are one pass each, as before, so on a busy machine their "
        "p99 carries its interruptions; the fastest-of-5 figures in the targets do not.",
        "",
        "Where ours spends a batch query over all candidates (calls timed inside "
        "`PointIndex.query`):",
        "",
        "| query | step | s | us/cand |",
        "|---|---|---|---|",
        *bd,
        "",
        "Where the cKDTree peer spends its batch (its steps replayed one by one):",
        "",
        "| step | s | us/cand |",
        "|---|---|---|",
        *kbd,
        "",
        f"Parts of one single query `idx.query([lat], [lon], [r], distances=False)` (median over "
        f"{min(a.single, 2000):,} queries, us):",
        "",
        "| part | us |",
        "|---|---|",
        *sbd,
        "",
        f"Total bench run time: {time.perf_counter() - t_start:.0f} s; load average at the end "
        f"{os.getloadavg()[0]:.2f} (the machine is shared: other jobs inflate every number).",
    ]
    text = "\n".join(lines) + "\n"
    print()
    print(text)
    if a.readme:
        write_readme(text)
        print(f"wrote {README}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
