"""Benchmark data and exact ground truth for the competition-protection rule.

Points and candidates are drawn around the bundled GeoNames settlements
(``data/settlements_ru.csv``) with probability proportional to population and
scattered with a Gaussian of ``sigma = 0.5 * R_km``, where
``R_km = 0.5 * (population / 1000) ** 0.4`` is the nominal urban radius of
DESIGN.md. A point or candidate drawn from a settlement of 500,000 people or
more has a radius of 500 m, otherwise 1,000 m. Longitudes are wrapped to
[-180, 180), so Chukotka (both sides of the antimeridian) is included as it is.

The ground truth is computed independently of ``geo/``: ECEF coordinates from
``pyproj`` (EPSG:4326 -> EPSG:4978), a scipy ``cKDTree`` collecting every pair
whose 3-D chord is below ``max_r + 5 m`` (the chord is never longer than the
geodesic, so this is a superset), and the Karney geodesic (``pyproj.Geod``) on
every pair of that superset. A pair (candidate c, point p) is a conflict iff
``d(c, p) < max(r_c, r_p)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
from pyproj import Geod, Transformer
from scipy.spatial import cKDTree

ROOT = Path(__file__).resolve().parents[1]
SETTLEMENTS_CSV = ROOT / "data" / "settlements_ru.csv"

#: settlements at least this populous give a 500 m radius, others 1,000 m
CITY_POPULATION = 500_000
CITY_RADIUS_M = 500.0
TOWN_RADIUS_M = 1000.0
#: kilometres per degree of latitude, used only to scatter the synthetic points
_KM_PER_DEG = 111.32
#: chord margin of the truth's superset, metres
TRUTH_MARGIN_M = 5.0

_GEOD = Geod(ellps="WGS84")
_TO_ECEF = Transformer.from_crs("EPSG:4326", "EPSG:4978", always_xy=True)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Sites:
    """Points or candidates: WGS84 degrees and protection radius in metres."""

    lat: FloatArray
    lon: FloatArray
    radius_m: FloatArray

    def __len__(self) -> int:
        return int(self.lat.size)

    def take(self, idx: IntArray) -> Sites:
        """Subset by position."""
        return Sites(self.lat[idx], self.lon[idx], self.radius_m[idx])


def load_settlements(path: Path = SETTLEMENTS_CSV) -> pd.DataFrame:
    """Read the settlements table (columns ``lat, lon, population`` are used)."""
    return pd.read_csv(path, usecols=["geonameid", "name", "lat", "lon", "population"])


def scatter(settlements: pd.DataFrame, n: int, rng: np.random.Generator) -> Sites:
    """Draw ``n`` sites around settlements chosen with probability proportional to population.

    Parameters
    ----------
    settlements : table with ``lat, lon, population`` (degrees, people)
    n : number of sites
    rng : numpy random generator (the only source of randomness)

    Returns
    -------
    Sites with latitude clipped to [-90, 90], longitude wrapped to [-180, 180)
    and radius 500 m (city of >= 500,000) or 1,000 m, metres.
    """
    pop = settlements["population"].to_numpy(dtype=np.float64)
    lat0 = settlements["lat"].to_numpy(dtype=np.float64)
    lon0 = settlements["lon"].to_numpy(dtype=np.float64)
    which = rng.choice(pop.size, size=n, p=pop / pop.sum())
    sigma_km = 0.5 * 0.5 * (pop[which] / 1000.0) ** 0.4
    north_km = rng.standard_normal(n) * sigma_km
    east_km = rng.standard_normal(n) * sigma_km
    lat = np.clip(lat0[which] + north_km / _KM_PER_DEG, -90.0, 90.0)
    lon = lon0[which] + east_km / (_KM_PER_DEG * np.cos(np.radians(lat0[which])))
    lon = (lon + 180.0) % 360.0 - 180.0
    radius = np.where(pop[which] >= CITY_POPULATION, CITY_RADIUS_M, TOWN_RADIUS_M)
    return Sites(lat, lon, radius)


def make_data(n_points: int, n_candidates: int, seed: int) -> tuple[Sites, Sites]:
    """Deterministic points and candidates for a seed (two independent streams)."""
    settlements = load_settlements()
    rng_p, rng_c = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    return scatter(settlements, n_points, rng_p), scatter(settlements, n_candidates, rng_c)


def ecef_pyproj_m(lat: FloatArray, lon: FloatArray) -> FloatArray:
    """ECEF ``(n, 3)`` coordinates on the WGS84 surface via pyproj, metres."""
    x, y, z = _TO_ECEF.transform(lon, lat, np.zeros_like(lat))
    return np.column_stack([x, y, z])


def geodesic_m(
    lat1: FloatArray, lon1: FloatArray, lat2: FloatArray, lon2: FloatArray
) -> FloatArray:
    """Karney geodesic distance on WGS84 (``pyproj.Geod.inv``), metres."""
    if lat1.size == 0:
        return np.zeros(0)
    _, _, d = _GEOD.inv(lon1, lat1, lon2, lat2)
    return np.asarray(d, dtype=np.float64)


def pair_keys(cand: IntArray, point: IntArray, n_points: int) -> IntArray:
    """Encode pairs as sorted unique ``cand * n_points + point`` int64 keys."""
    return np.unique(cand.astype(np.int64) * n_points + point.astype(np.int64))


@dataclass(frozen=True)
class Truth:
    """Exact conflicting pairs and the size of the superset they were decided from."""

    keys: IntArray
    n_superset: int
    distance_m: FloatArray


def exact_pairs(points: Sites, cands: Sites) -> Truth:
    """Every (candidate, point) with WGS84 geodesic ``< max(r_c, r_p)``, decided exactly.

    Returns
    -------
    Truth with keys ``cand * len(points) + point`` (sorted), the number of
    chord-superset pairs and the geodesic distance of each conflict, metres.
    """
    if len(points) == 0 or len(cands) == 0:
        return Truth(np.empty(0, dtype=np.int64), 0, np.empty(0))
    reach = float(max(points.radius_m.max(), cands.radius_m.max())) + TRUTH_MARGIN_M
    tp = cKDTree(ecef_pyproj_m(points.lat, points.lon))
    tc = cKDTree(ecef_pyproj_m(cands.lat, cands.lon))
    sup = tc.sparse_distance_matrix(tp, reach, output_type="ndarray")
    ci = sup["i"].astype(np.int64)
    pj = sup["j"].astype(np.int64)
    d = geodesic_m(cands.lat[ci], cands.lon[ci], points.lat[pj], points.lon[pj])
    hit = d < np.maximum(cands.radius_m[ci], points.radius_m[pj])
    keys = ci[hit] * len(points) + pj[hit]
    order = np.argsort(keys)
    return Truth(keys[order], int(ci.size), d[hit][order])


def compare(found: IntArray, truth: IntArray) -> tuple[int, int]:
    """Missing and extra pair counts of sorted unique keys ``found`` against ``truth``."""
    both = np.intersect1d(found, truth, assume_unique=True).size
    return int(truth.size - both), int(found.size - both)
