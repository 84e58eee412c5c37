"""Settlements on a real network: radii and audit with the bundled rule vs boundary polygons.

Usage::

    .venv/bin/python bench/settlements.py [POINTS.csv] [--boundaries FILE] [--expect NAME]

Defaults to the real Moscow parcel lockers and the real Moscow boundary in
``../shared/realdata`` (not part of the project: a user's clone lacks it). Every
point is taken as ``kind=partner``. Prints how many points get each radius and
settlement with the bundled settlements, how many get another radius than with
the boundary polygons, and the violating-pair counts of both audits; for each point
whose radius differs, how far it lies from the polygons' edge (a point a few metres
inside a border cannot be decided by point data); and, on a grid of cells about
200 x 200 m over the polygons, the area the bundled rule gives to ``--expect`` outside
them and the area inside them it gives to something else (a measure of the rule
that does not depend on where the points are).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from api.loaders import load_settlements  # noqa: E402
from data.boundaries import load_boundaries  # noqa: E402
from planning.protection import ProtectionNetwork, ProtectionPolicy  # noqa: E402

REAL = ROOT.parent / "shared" / "realdata"


def _audit(pts: pd.DataFrame, boundaries: Path | None) -> tuple[pd.DataFrame, int, float]:
    t0 = time.perf_counter()
    look = load_settlements(boundaries)
    net = ProtectionNetwork(ProtectionPolicy(), look)
    radius = net.add_points(pts["id"].astype(str).tolist(), pts["lat"], pts["lon"],
                            kind=["partner"] * len(pts))  # fmt: skip
    loc = look.locate(pts["lat"], pts["lon"])
    pairs = len(net.audit())
    out = pd.DataFrame({"radius_m": radius, "settlement": loc.name}, index=pts.index)
    return out, pairs, time.perf_counter() - t0


def _edge_m(boundaries: Path, lat: pd.Series, lon: pd.Series) -> np.ndarray:
    """Distance of each point from the nearest polygon edge, metres (local UTM)."""
    import geopandas as gpd

    poly = load_boundaries(boundaries)
    utm = poly.estimate_utm_crs()
    edge = poly.to_crs(utm).geometry.boundary.union_all()
    pts = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326").to_crs(utm)
    return pts.distance(edge).to_numpy()


def _area(boundaries: Path, names: set[str], step_deg: float = 0.002) -> tuple[float, float, float]:
    """(area of the polygons, km2 the bundled rule gives to ``names`` outside them,
    km2 inside them it gives to another settlement or open country) on a grid."""
    import shapely

    poly = load_boundaries(boundaries).geometry.union_all()
    x0, y0, x1, y1 = poly.bounds
    ys = np.arange(y0 - 0.05, y1 + 0.05, step_deg)
    xs = np.arange(x0 - 0.08, x1 + 0.08, step_deg * 1.5)
    la, lo = (a.ravel() for a in np.meshgrid(ys, xs, indexing="ij"))
    inside = shapely.contains_xy(poly, lo, la)
    got = np.isin(load_settlements(None).locate(la, lo).name.astype(str), list(names))
    cell = (step_deg * 111.2) * (step_deg * 1.5 * 111.3 * np.cos(np.radians(la)))
    extra, missed = cell[got & ~inside].sum(), cell[~got & inside].sum()
    return float(cell[inside].sum()), float(extra), float(missed)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("points", nargs="?", type=Path, default=REAL / "moscow_lockers.csv")
    ap.add_argument("--boundaries", type=Path, default=REAL / "moscow_boundary.geojson")
    ap.add_argument("--expect", default="Москва", help="the settlement every point lies in")
    ap.add_argument("--expect-en", default="Moscow", help="its name in the boundaries file")
    a = ap.parse_args()
    if not a.points.exists():
        sys.exit(f"{a.points} not found (the real data lives in ../shared/realdata)")
    pts = pd.read_csv(a.points)
    bundled, pairs_b, t_b = _audit(pts, None)
    poly, pairs_p, t_p = _audit(pts, a.boundaries)
    n = len(pts)
    print(f"{n} points from {a.points.name}, all kind=partner")
    print("\n| settlements | points with radius != 500 m | not in "
          f"{a.expect} | violating pairs | s |")  # fmt: skip
    print("|---|---:|---:|---:|---:|")
    runs = [("bundled (GeoNames + rule)", bundled, pairs_b, t_b),
            (f"polygons ({a.boundaries.name})", poly, pairs_p, t_p)]  # fmt: skip
    for label, res, pairs, t in runs:
        off = int((res["radius_m"] != 500).sum())
        other = int((~res["settlement"].isin([a.expect, a.expect_en])).sum())
        print(f"| {label} | {off} ({100 * off / n:.2f} %) | {other} | {pairs} | {t:.2f} |")
    diff = bundled["radius_m"] != poly["radius_m"]
    print(f"\npoints whose radius differs between the two: {int(diff.sum())}")
    if diff.any():
        show = pts.loc[diff, [c for c in ("id", "lat", "lon", "district") if c in pts]].copy()
        show["bundled"] = bundled.loc[diff, "settlement"]
        show["radius_m"] = bundled.loc[diff, "radius_m"]
        show["from_edge_m"] = _edge_m(a.boundaries, show["lat"], show["lon"]).round()
        print(show.to_string(index=False))
    total, extra, missed = _area(a.boundaries, {a.expect, a.expect_en})
    print(f"\ngrid of {a.boundaries.name} ({total:.0f} km2): bundled rule gives {a.expect} "
          f"{extra:.0f} km2 outside it and misses {missed:.0f} km2 inside it")  # fmt: skip


if __name__ == "__main__":
    main()
