"""The reference for ``bench/check_e2e.py``: ``pvz check`` as one would write it with
scipy cKDTree + pyproj (pandas CSV in and out, a chord ball query, the WGS84 geodesic of
every candidate pair, conflicts nearest first).

Usage: ``python bench/_check_reference.py POINTS.csv CANDIDATES.csv OUT.csv`` (both inputs
carry ``radius_m``, so no settlement lookup is needed here).
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
from pyproj import Geod
from scipy.spatial import cKDTree

A, E2 = 6378137.0, 6.69437999014e-3


def ecef(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    n = A / np.sqrt(1 - E2 * np.sin(la) ** 2)
    return np.column_stack(
        [n * np.cos(la) * np.cos(lo), n * np.cos(la) * np.sin(lo), n * (1 - E2) * np.sin(la)]
    )


def main(points: str, candidates: str, out: str) -> None:
    pts = pd.read_csv(points, dtype={"id": str})
    cand = pd.read_csv(candidates, dtype={"id": str})
    live = pts["kind"].isin(["partner", "own"]) & pts["status"].isin(["active", "paused"])
    pts = pts[live].reset_index(drop=True)
    tree = cKDTree(ecef(pts["lat"].to_numpy(), pts["lon"].to_numpy()))
    blocked = cand["kind"].fillna("partner").isin(["partner", "own"]).to_numpy()
    cr = cand["radius_m"].to_numpy(float)
    rmax = max(float(pts["radius_m"].max()), float(cr.max()))
    hits = tree.query_ball_point(ecef(cand["lat"].to_numpy(), cand["lon"].to_numpy()), rmax)
    q = np.repeat(np.arange(len(cand)), [len(h) for h in hits])
    s = np.fromiter((j for h in hits for j in h), dtype=np.int64, count=q.size)
    clon, clat = cand["lon"].to_numpy()[q], cand["lat"].to_numpy()[q]
    _, _, d = Geod(ellps="WGS84").inv(
        clon, clat, pts["lon"].to_numpy()[s], pts["lat"].to_numpy()[s]
    )
    keep = (d < np.maximum(cr[q], pts["radius_m"].to_numpy()[s])) & blocked[q]
    q, s, d = q[keep], s[keep], d[keep]
    order = np.lexsort((d, q))
    q, s, d = q[order], s[order], d[order]
    ids = pts["id"].to_numpy()[s]
    n = np.bincount(q, minlength=len(cand))
    off = np.r_[0, np.cumsum(n)]
    has = n > 0
    nearest_id = np.full(len(cand), None, dtype=object)
    nearest_d = np.full(len(cand), np.nan)
    nearest_id[has] = ids[off[:-1][has]]
    nearest_d[has] = d[off[:-1][has]]
    pd.DataFrame({
        "id": cand["id"], "allowed": ~has, "radius_m": cr, "n_conflicts": n,
        "nearest_id": nearest_id, "nearest_distance_m": np.round(nearest_d, 3),
        "conflict_ids": [";".join(ids[off[i]:off[i + 1]]) for i in range(len(cand))],
    }).to_csv(out, index=False)  # fmt: skip


if __name__ == "__main__":
    main(*sys.argv[1:4])
