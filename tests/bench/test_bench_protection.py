"""Smoke test of the protection benchmark: data, exact truth and our index agree.

No timing is asserted: this only checks that ``bench/_data.py`` builds
deterministic data whose exact answer our ``PointIndex`` reproduces.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._data import compare, exact_pairs, make_data, pair_keys  # noqa: E402
from geo.index import PointIndex  # noqa: E402


def test_data_is_deterministic_and_wrapped() -> None:
    """Same seed, same data; longitudes in [-180, 180), radii 500 m or 1,000 m."""
    p1, c1 = make_data(2000, 5000, seed=3)
    p2, c2 = make_data(2000, 5000, seed=3)
    assert np.array_equal(p1.lat, p2.lat) and np.array_equal(c1.lon, c2.lon)
    for s in (p1, c1):
        assert np.all((s.lon >= -180) & (s.lon < 180))
        assert np.all(np.abs(s.lat) <= 90)
        assert set(np.unique(s.radius_m)) <= {500.0, 1000.0}


def test_our_index_matches_the_exact_truth() -> None:
    """Zero missing and zero extra pairs on 2,000 points and 5,000 candidates."""
    pts, cands = make_data(2000, 5000, seed=1)
    truth = exact_pairs(pts, cands)
    assert truth.keys.size > 0
    idx = PointIndex.from_points(np.arange(len(pts)), pts.lat, pts.lon, pts.radius_m)
    for distances in (False, True):
        pr = idx.query(cands.lat, cands.lon, cands.radius_m, distances=distances)
        found = pair_keys(pr.query, pr.slot, len(pts))
        assert compare(found, truth.keys) == (0, 0)
