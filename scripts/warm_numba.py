"""Compile every numba kernel into its on-disk cache, so the first ``pvz`` command after an
install does not pay for compilation (about 10 s on a 2-core machine; loading the cache
takes well under a second).

``make venv`` runs it after ``pip install``. numba keys its cache on each source file's
path, modification time and size and on the CPU, so the cache stays valid until a kernel
file changes or the venv moves to another machine; then the first call compiles again
(correct, only slower) and this script can be run again:
``.venv/bin/python scripts/warm_numba.py``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402


def warm_index() -> None:
    """The point index's kernels through its public calls (the dtypes of real use)."""
    from geo import _kernels
    from geo.index import PointIndex

    rng = np.random.default_rng(0)
    lat = 55.75 + rng.uniform(-0.05, 0.05, 400)
    lon = 37.62 + rng.uniform(-0.08, 0.08, 400)
    idx = PointIndex.from_points([f"p{i}" for i in range(400)], lat, lon, 500.0)
    for distances in (True, False, "chord"):
        idx.query(lat, lon, 700.0, distances=distances)  # parallel batch kernels
        idx.query(lat[:10], lon[:10], 700.0, distances=distances)  # serial batch kernels
        idx.query_point(float(lat[0]), float(lon[0]), 700.0, distances=distances)
    idx.query_point_rows(float(lat[1]), float(lon[1]), 700.0)
    idx.self_pairs()
    i64, f64 = np.int64, np.float64
    q = np.array([0, 0, 1], dtype=i64)
    _kernels.drop_pairs(np.array([1], dtype=i64), q.copy(), q.copy(), np.ones(3, dtype=f64),
                        np.ones(3, dtype=f64), np.ones(3, dtype=f64))  # fmt: skip
    _kernels.segment_order(np.array([0, 2, 3], dtype=i64), np.array([2.0, 1.0, 1.0]), q.copy())


def warm_selection() -> None:
    """The site selection's local search (``planning._search``)."""
    from planning.demand import Demand
    from planning.selection import CoverageProblem, select_sites

    rng = np.random.default_rng(1)
    lat, lon = 55.75 + rng.uniform(-0.02, 0.02, 40), 37.62 + rng.uniform(-0.03, 0.03, 40)
    dem = Demand(np.arange(200).astype(object), 55.75 + rng.uniform(-0.025, 0.025, 200),
                 37.62 + rng.uniform(-0.035, 0.035, 200), rng.uniform(1, 10, 200))  # fmt: skip
    problem = CoverageProblem.from_points(dem, lat, lon, service_radius_m=800.0,
                                          radius_m=np.full(40, 300.0))  # fmt: skip
    select_sites(problem, 5, exact="never")


def main() -> int:
    """Compile (or load) every kernel once; print what it took."""
    t0 = time.perf_counter()
    warm_index()
    t1 = time.perf_counter()
    warm_selection()
    t2 = time.perf_counter()
    print(f"numba kernels cached: index {t1 - t0:.1f} s, selection {t2 - t1:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
