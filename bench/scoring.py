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

Calibration (issue 19, ``--calibration``): 250,000 points around the settlements with a
turnover process that is not the Huff model (:func:`planning.synthetic.synthetic_turnover`)
and 12 months of order lines (10 per point and month: 8 issued that add up to the month's
turnover, 1 returned, 1 cancelled; 30 M lines), generated month by month as the reward
engine's typed frames (generation is not timed). Times: each month's turnover by the
statements' rules (:func:`planning.rewards.turnover.monthly_turnover`), then the
cross-validated fit (:func:`planning.forecast.fit_forecast`: both decays, 5 folds, 12
least-squares fits and 10 held-out scorings), and the held-out check (a fifth of the
points held out of the network and the fit, scored as candidates).

Run: ``.venv/bin/python bench/scoring.py [--quick] [--calibration | --scoring]``.
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

from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from bench._data import load_settlements, scatter  # noqa: E402
from bench._env import require_project_venv, versions  # noqa: E402
from data.places import load_places  # noqa: E402
from geo.settlements import SettlementLookup  # noqa: E402
from planning.demand import settlement_demand  # noqa: E402
from planning.forecast import fit_forecast  # noqa: E402
from planning.protection import ProtectionNetwork, ProtectionPolicy  # noqa: E402
from planning.rewards.orders import STATUSES  # noqa: E402
from planning.rewards.turnover import monthly_turnover, observed_turnover  # noqa: E402
from planning.scoring import HuffModel, HuffParams  # noqa: E402
from planning.synthetic import synthetic_turnover  # noqa: E402


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


def _month_orders(
    ids: np.ndarray, turnover_rub: np.ndarray, month: str, rng: np.random.Generator, k: int = 8
) -> pd.DataFrame:
    """One month's typed orders frame: ``k`` issued lines per point adding up to its turnover
    (kopecks), one returned and one cancelled line (not turnover)."""
    n = ids.size
    kop = np.round(turnover_rub * rng.lognormal(0.0, 0.1, n) * 100).astype(np.int64)
    share = rng.dirichlet(np.ones(k), size=n)
    parts = np.floor(share * kop[:, None]).astype(np.int64)
    parts[:, -1] += kop - parts.sum(axis=1)
    first = np.datetime64(f"{month}-01", "D")
    days = int(((first.astype("datetime64[M]") + 1).astype("datetime64[D]") - first).astype(int))
    issued = first + rng.integers(0, days, size=(n, k + 2)).astype("timedelta64[D]")
    last = first + np.timedelta64(days - 1, "D")
    status = np.tile(np.array([0] * k + [1, 2], dtype=np.int8), n)
    returned = np.where(status == 1, last, np.datetime64("NaT", "D"))
    cancelled = np.where(status == 2, last, np.datetime64("NaT", "D"))
    return pd.DataFrame({
        "order_id": np.arange(n * (k + 2), dtype=np.int64),
        "point_id": np.repeat(ids, k + 2),
        "issued_on": issued.ravel().astype("datetime64[s]"),
        "price_kop": np.concatenate([parts, rng.integers(100, 500_000, size=(n, 2))],
                                    axis=1).ravel(),
        "status": pd.Categorical.from_codes(status, categories=list(STATUSES)),
        "returned_on": returned.astype("datetime64[s]"),
        "cancelled_on": cancelled.astype("datetime64[s]"),
    })  # fmt: skip


def calibration(n_points: int, n_months: int) -> dict[str, Any]:
    """Orders -> monthly turnover -> cross-validated fit -> held-out check; the timings."""
    settlements = load_settlements()
    rng = np.random.default_rng(19)
    pts = scatter(settlements, n_points, rng)
    feats = np.column_stack([rng.lognormal(np.log(40), 0.45, n_points),
                             rng.random(n_points) < 0.6, rng.integers(0, 5, n_points),
                             rng.uniform(3.5, 5.0, n_points)])  # fmt: skip
    dem = settlement_demand(load_places())
    town = SettlementLookup(load_places()).locate(pts.lat, pts.lon).population
    true = synthetic_turnover(dem, pts.lat, pts.lon, area=feats[:, 0], waiting_zone=feats[:, 1],
                              fitting_rooms=feats[:, 2], rating=feats[:, 3],
                              town_population=town, noise=0.3, rng=rng)  # fmt: skip
    ids = np.array([f"P{i}" for i in range(n_points)], dtype=object)
    months = [str(np.datetime64("2025-10", "M") + i) for i in range(n_months)]
    t_turnover, lines = 0.0, 0
    monthly: list[pd.DataFrame] = []
    for m in months:
        orders = _month_orders(ids, true, m, rng)
        lines += len(orders)
        t0 = time.perf_counter()
        monthly.append(monthly_turnover(list(ids), orders, [m]))
        t_turnover += time.perf_counter() - t0
        del orders
    t0 = time.perf_counter()
    obs = observed_turnover(pd.concat(monthly, axis=1))
    t_mean = time.perf_counter() - t0
    t0 = time.perf_counter()
    model = HuffModel(dem, pts.lat, pts.lon, features=feats, point_ids=list(ids),
                      params=HuffParams(reach_m=3000.0))  # fmt: skip
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    fit = fit_forecast(model, obs)
    t_fit = time.perf_counter() - t0
    hold = np.random.default_rng(5).random(n_points) < 0.2
    sub = model.without(hold)
    t0 = time.perf_counter()
    fit_sub = fit_forecast(sub, obs[~hold])
    res = sub.with_params(fit_sub.params).score(pts.lat[hold], pts.lon[hold],
                                                features=feats[hold], detail=False)  # fmt: skip
    t_check = time.perf_counter() - t0
    low, high = fit_sub.interval(res.turnover_rub)
    o = obs[hold]
    return {
        "n_points": n_points, "months": n_months, "lines": lines,
        "pairs": int(model.pj.size), "turnover_s": t_turnover, "mean_s": t_mean,
        "build_s": t_build, "fit_s": t_fit, "mdape": fit.mdape, "coverage": fit.coverage,
        "decay": fit.params.decay, "decays": fit.decays, "check_s": t_check,
        "held_out": int(hold.sum()),
        "held_coverage": float(np.mean((o >= low) & (o <= high))),
        "held_mdape": float(np.median(np.abs(res.turnover_rub - o) / o)),
    }  # fmt: skip


def print_calibration(r: dict[str, Any]) -> None:
    """The calibration table (markdown)."""
    print("| points | months | order lines | network pairs | turnover from orders s | "
          "model build s | cross-validated fit s | decay kept (CV MdAPE power / exp) | "
          "CV MdAPE | CV coverage of 80 % | held-out points | held-out MdAPE | "
          "held-out coverage |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|")
    d = r["decays"]
    print(f"| {r['n_points']:,} | {r['months']} | {r['lines']:,} | {r['pairs']:,} | "
          f"{r['turnover_s'] + r['mean_s']:.1f} | {r['build_s']:.1f} | {r['fit_s']:.1f} | "
          f"{r['decay']} ({d['power']:.1%} / {d['exponential']:.1%}) | {r['mdape']:.1%} | "
          f"{r['coverage']:.1%} | {r['held_out']:,} | {r['held_mdape']:.1%} | "
          f"{r['held_coverage']:.1%} |", flush=True)  # fmt: skip
    print(
        f"(held-out check: fit on the other points and scoring {r['held_out']:,} "
        f"candidates took {r['check_s']:.1f} s)"
    )


def main() -> None:
    """Run and print a markdown table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    ap.add_argument("--workers", type=int, default=2, help="dask worker processes")
    ap.add_argument("--calibration", action="store_true", help="only the calibration benchmark")
    ap.add_argument("--scoring", action="store_true", help="only the batch scoring benchmark")
    args = ap.parse_args()
    require_project_venv()
    libs = versions("numpy", "numba", "pyproj", "h3", "dask", "distributed", "scipy")
    print(f"versions: {libs}", flush=True)
    if not args.scoring:
        c = calibration(25_000, 3) if args.quick else calibration(250_000, 12)
        print_calibration(c)
        if args.calibration:
            return
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
