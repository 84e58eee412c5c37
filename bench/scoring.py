"""Benchmark of national batch scoring: single process and partitioned on a dask LocalCluster.

Default: 250,000 network points and 1,000,000 candidates drawn around the
bundled settlements (``bench/_data.py``), random features, demand = the
settlement population surface on H3 resolution 8 (all of Russia, about 50,000
cells), Huff power decay with a 3,000 m reach. Each candidate gets expected
turnover, reward, new demand, cannibalization total and the protection
decision (``detail=False``: no per-point loss table). Times:

* model build (network pairs and Huff denominators) and protection index;
* single process: :meth:`planning.scoring.HuffModel.score`;
* dask: :func:`planning.partitioned.score_partitioned` on a ``LocalCluster``
  (2 worker processes, 1 thread each), checked equal to the single process.

Run: ``.venv/bin/python bench/scoring.py [--quick]``.
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

from bench._data import load_settlements, scatter  # noqa: E402
from bench._env import require_project_venv, versions  # noqa: E402
from data.places import load_places  # noqa: E402
from geo.settlements import SettlementLookup  # noqa: E402
from planning.demand import settlement_demand  # noqa: E402
from planning.protection import ProtectionNetwork, ProtectionPolicy  # noqa: E402
from planning.scoring import HuffModel, HuffParams  # noqa: E402


def run(n_points: int, n_cands: int, workers: int) -> dict[str, float]:
    """Build, score in one process and on dask; returns the timings."""
    settlements = load_settlements()
    rng_p, rng_c, rng_f = (np.random.default_rng(s) for s in np.random.SeedSequence(3).spawn(3))
    pts = scatter(settlements, n_points, rng_p)
    cands = scatter(settlements, n_cands, rng_c)
    feats = np.column_stack([rng_f.lognormal(np.log(40), 0.45, n_points),
                             rng_f.random(n_points) < 0.6, rng_f.integers(0, 5, n_points),
                             rng_f.uniform(3.5, 5.0, n_points)])  # fmt: skip
    ids = [f"P{i}" for i in range(n_points)]
    t0 = time.perf_counter()
    dem = settlement_demand(load_places())
    t_demand = time.perf_counter() - t0
    t0 = time.perf_counter()
    net = ProtectionNetwork(ProtectionPolicy(), SettlementLookup(load_places()))
    net.add_points(ids, pts.lat, pts.lon, radius_m=pts.radius_m)
    model = HuffModel(dem, pts.lat, pts.lon, features=feats, point_ids=ids,
                      params=HuffParams(reach_m=3000.0))  # fmt: skip
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    one = model.score(cands.lat, cands.lon, network=net, radius_m=cands.radius_m, detail=False)
    t_single = time.perf_counter() - t0
    from distributed import Client, LocalCluster

    from planning.partitioned import score_partitioned

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # distributed start-up chatter
        with (
            LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,  # fmt: skip
            Client(cluster) as client,
        ):
            t0 = time.perf_counter()
            many = score_partitioned(
                model, cands.lat, cands.lon, network=net, radius_m=cands.radius_m,
                detail=False, client=client,
            )  # fmt: skip
            t_dask = time.perf_counter() - t0
    same = bool(
        np.allclose(one.turnover_rub, many.turnover_rub, rtol=1e-9, atol=1e-6)
        and (one.allowed == many.allowed).all()
        and np.allclose(one.net_gain_rub, many.net_gain_rub, rtol=1e-9, atol=1e-6)
    )
    return {
        "n_points": n_points, "n_cands": n_cands, "demand_cells": len(dem),
        "network_pairs": int(model.pj.size), "demand_s": t_demand, "build_s": t_build,
        "single_s": t_single, "dask_s": t_dask, "workers": workers, "same": same,
        "allowed": int(one.allowed.sum()), "per_s": n_cands / t_single,
    }  # fmt: skip


def main() -> None:
    """Run and print a markdown table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    ap.add_argument("--workers", type=int, default=2, help="dask worker processes")
    args = ap.parse_args()
    require_project_venv()
    libs = versions("numpy", "numba", "pyproj", "h3", "dask", "distributed")
    print(f"versions: {libs}", flush=True)
    r = run(25_000, 100_000, args.workers) if args.quick else run(250_000, 1_000_000, args.workers)
    print("| points | candidates | demand cells | network pairs | demand s | build s | single "
          "process s | candidates/s | dask LocalCluster s | workers | equal |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    print(f"| {r['n_points']:,} | {r['n_cands']:,} | {r['demand_cells']:,} | "
          f"{r['network_pairs']:,} | {r['demand_s']:.1f} | {r['build_s']:.1f} | "
          f"{r['single_s']:.1f} | {r['per_s']:,.0f} | {r['dask_s']:.1f} | {r['workers']} | "
          f"{'yes' if r['same'] else 'NO'} |")  # fmt: skip


if __name__ == "__main__":
    main()
