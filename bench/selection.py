"""Benchmark of site selection (MCLP with the protection rule) against spopt, in one run.

1. **spopt-sized** (default 10,000 demand cells x 1,000 candidates, k = 100, no
   separation constraint): clustered demand and candidates on a plane
   (metres), one dense cost matrix for both solvers; spopt ``MCLP`` with CBC
   (PuLP) solved to optimality versus :func:`planning.selection.select_greedy`.
   Reports both objectives, their ratio and both times.
2. **national** (default 1,000,000 demand cells x 100,000 candidates, k = 1,000,
   with the protection rule and 50,000 existing points): points drawn around
   the bundled settlements (``bench/_data.py``), demand weights log-normal,
   service radius 1,000 m, protection radius 500 m (cities >= 500,000) or
   1,000 m; the existing points block candidates (protection rule) and serve
   the demand within the service radius; coverage, blocking and conflicts built
   exactly on WGS84 (:class:`geo.index.PointIndex`). Past what hosted tools
   take (ArcGIS location-allocation: 10,000 demand points, 1,000 candidates).
   Reports build and solve times, demand covered before and after, and checks
   that the chosen set breaks no rule.

The numba kernel of the local search is compiled (or loaded from its cache)
before the clock starts: a one-time cost per process, as for the index.

Run: ``.venv/bin/python bench/selection.py [--quick] [--skip-spopt]``.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from scipy.spatial.distance import cdist  # noqa: E402

from bench._data import load_settlements, scatter  # noqa: E402
from bench._env import require_project_venv, versions  # noqa: E402
from data.places import load_places  # noqa: E402
from geo.settlements import SettlementLookup  # noqa: E402
from planning.demand import Demand  # noqa: E402
from planning.protection import ProtectionNetwork, ProtectionPolicy  # noqa: E402
from planning.selection import CoverageProblem, select_greedy, violations  # noqa: E402


def warm_up() -> None:
    """Compile (or load from cache) the local-search kernel outside the timings."""
    p = CoverageProblem.from_arrays([1.0, 2.0], np.eye(2))
    select_greedy(p, 1)


def spopt_sized(nd: int, nc: int, k: int, radius: float, *, run_spopt: bool) -> dict[str, object]:
    """Same cost matrix for both; returns the row of the table."""
    rng = np.random.default_rng(0)
    centres = rng.uniform(0, 100_000, (40, 2))
    dxy = centres[rng.integers(0, 40, nd)] + rng.normal(0, 6000, (nd, 2))
    cxy = centres[rng.integers(0, 40, nc)] + rng.normal(0, 8000, (nc, 2))
    w = rng.integers(1, 100, nd).astype(float)
    cost = cdist(dxy, cxy)
    t0 = time.perf_counter()
    problem = CoverageProblem.from_cost_matrix(cost, w, radius)
    sel = select_greedy(problem, k)
    ours_s = time.perf_counter() - t0
    row: dict[str, object] = {
        "instance": f"{nd:,} x {nc:,}, k={k}, R={radius:g}",
        "ours_obj": sel.covered, "ours_s": ours_s, "method": sel.method,
    }  # fmt: skip
    if run_spopt:
        import pulp

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # spopt/PuLP deprecation chatter
            from spopt.locate import MCLP

            t0 = time.perf_counter()
            model = MCLP.from_cost_matrix(cost, w, service_radius=radius, p_facilities=k)
            model = model.solve(pulp.PULP_CBC_CMD(msg=False))
            spopt_s = time.perf_counter() - t0
        theirs = float(model.problem.objective.value())
        status = pulp.LpStatus[model.problem.status]
        row.update(spopt_obj=theirs, spopt_s=spopt_s, ratio=sel.covered / theirs,
                   speedup=spopt_s / ours_s, spopt_status=status)  # fmt: skip
    return row


def national(nd: int, nc: int, k: int, service_m: float, n_existing: int) -> dict[str, object]:
    """Coverage, blocking by existing points and conflicts on WGS84, then the heuristic."""
    settlements = load_settlements()
    rng_d, rng_c, rng_w, rng_e = (np.random.default_rng(s)
                                  for s in np.random.SeedSequence(1).spawn(4))  # fmt: skip
    ds = scatter(settlements, nd, rng_d)
    cs = scatter(settlements, nc, rng_c)
    es = scatter(settlements, n_existing, rng_e)
    dem = Demand(np.arange(nd).astype(object), ds.lat, ds.lon, rng_w.lognormal(0, 1, nd))
    net = ProtectionNetwork(ProtectionPolicy(), SettlementLookup(load_places()))
    net.add_points([f"E{i}" for i in range(n_existing)], es.lat, es.lon, radius_m=es.radius_m)
    t0 = time.perf_counter()
    problem = CoverageProblem.from_points(dem, cs.lat, cs.lon, service_radius_m=service_m,
                                          radius_m=cs.radius_m, network=net)  # fmt: skip
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    sel = select_greedy(problem, k)
    solve_s = time.perf_counter() - t0
    bad = violations(problem, sel.chosen)
    return {
        "instance": f"{nd:,} x {nc:,}, k={k}, R={service_m:g} m, {n_existing:,} existing, "
                    "protection rule",
        "build_s": build_s, "solve_s": solve_s, "total_s": build_s + solve_s,
        "share_before": sel.before / problem.total_weight, "n_blocked":
        int((~problem.allowed).sum()),
        "covered_share": sel.share, "n_chosen": int(sel.chosen.size),
        "cover_nnz": int(problem.cover.nnz), "conflict_pairs": int(problem.conflicts.nnz // 2),
        "violations": len(bad), "method": sel.method,
    }  # fmt: skip


def main() -> None:
    """Run both parts and print markdown tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    ap.add_argument("--skip-spopt", action="store_true", help="do not run spopt (slow)")
    args = ap.parse_args()
    require_project_venv()
    libs = versions("numpy", "scipy", "pulp", "spopt", "numba", "pyproj")
    print(f"versions: {libs}", flush=True)
    warm_up()
    if args.quick:
        a = spopt_sized(2000, 200, 20, 3000.0, run_spopt=not args.skip_spopt)
        b = national(50_000, 5_000, 100, 1000.0, 2_500)
    else:
        a = spopt_sized(10_000, 1_000, 100, 3000.0, run_spopt=not args.skip_spopt)
        b = national(1_000_000, 100_000, 1_000, 1000.0, 50_000)
    print("| instance | ours objective | spopt objective | ours / spopt | ours s | spopt s "
          "| speed-up |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|")
    if "spopt_obj" in a:
        print(f"| {a['instance']} | {a['ours_obj']:,.0f} | {a['spopt_obj']:,.0f} "
              f"({a['spopt_status']}) | {a['ratio']:.2%} | {a['ours_s']:.2f} | "
              f"{a['spopt_s']:.1f} | {a['speedup']:,.0f}x |")  # fmt: skip
    else:
        print(f"| {a['instance']} | {a['ours_obj']:,.0f} | skipped | | {a['ours_s']:.2f} | | |")
    print()
    print("| instance | build s | solve s | total s | covered before | covered after | chosen "
          "| blocked | coverage pairs | conflict pairs | violations | method |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    print(f"| {b['instance']} | {b['build_s']:.1f} | {b['solve_s']:.1f} | {b['total_s']:.1f} | "
          f"{b['share_before']:.2%} | {b['covered_share']:.2%} | {b['n_chosen']:,} | "
          f"{b['n_blocked']:,} | {b['cover_nnz']:,} | {b['conflict_pairs']:,} | "
          f"{b['violations']} | {b['method']} |")  # fmt: skip


if __name__ == "__main__":
    main()
