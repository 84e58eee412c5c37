"""Which settlement a point belongs to: GeoNames places by urban radius, or user polygons.

The rule (documented in README, "Settlements"):

1. If boundary polygons were supplied (GeoPackage/GeoJSON with ``name`` and
   ``population``), a point inside one or more polygons belongs to the most
   populous of them.
2. Otherwise each place gets a nominal urban radius that grows with population,
   ``R_km = 0.5 * (population / 1000) ** 0.4`` (Moscow, 10.4 M: 20.2 km; a city
   of 1 M: 7.9 km; a town of 10,000: 1.3 km), and a point belongs to the most
   populous place whose geodesic distance from the point is below its radius.
3. A point covered by neither is in open country (no settlement, population 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.geodesic import validate_latlon
from geo.index import PointIndex

__all__ = ["Located", "SettlementLookup", "urban_radius_m"]


def urban_radius_m(population: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Nominal urban radius of a place, metres: ``500 * (population / 1000) ** 0.4``."""
    pop = np.maximum(np.asarray(population, dtype=np.float64), 0.0)
    return 500.0 * (pop / 1000.0) ** 0.4


@dataclass(frozen=True)
class Located:
    """Settlement of each query point (arrays of the query length).

    ``index`` is the row in :attr:`SettlementLookup.places` (-1: open country);
    ``population`` is 0 and ``name`` is ``None`` in open country.
    """

    index: npt.NDArray[np.int64]
    population: npt.NDArray[np.int64]
    name: npt.NDArray[np.object_]


class SettlementLookup:
    """Assign points to settlements.

    Parameters
    ----------
    places : DataFrame with ``name, lat, lon, population`` (WGS84 degrees), for
        example :func:`data.places.load_places`.
    polygons : optional GeoDataFrame of boundaries with ``name`` and
        ``population`` columns; containment in a polygon takes precedence.
    """

    def __init__(self, places: pd.DataFrame, *, polygons: gpd.GeoDataFrame | None = None) -> None:
        missing = {"name", "lat", "lon", "population"} - set(places.columns)
        if missing:
            raise ValueError(f"places lack columns {sorted(missing)}")
        self.places = places.reset_index(drop=True)
        self._pop = self.places["population"].to_numpy(dtype=np.int64)
        self._names: list[str] = self.places["name"].astype(str).tolist()
        radius = urban_radius_m(self._pop)
        self._index = PointIndex.from_points(
            range(len(self.places)),
            self.places["lat"].to_numpy(dtype=float),
            self.places["lon"].to_numpy(dtype=float),
            radius,
            cell_m=max(float(radius.max(initial=0.0)), 1000.0),
        )
        self.polygons: gpd.GeoDataFrame | None = None
        if polygons is not None:
            if not {"name", "population"} <= set(polygons.columns):
                raise ValueError("boundary polygons need columns 'name' and 'population'")
            self.polygons = polygons.to_crs("EPSG:4326").reset_index(drop=True)

    @classmethod
    def from_polygon_file(cls, places: pd.DataFrame, path: str | Path) -> SettlementLookup:
        """Places plus boundary polygons read from a GeoPackage or GeoJSON file."""
        return cls(places, polygons=gpd.read_file(path))

    def locate(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> Located:
        """Settlement of each point (WGS84 degrees), by the rule in the module docstring."""
        la, lo = validate_latlon(lat, lon)
        n = la.size
        best = np.full(n, -1, dtype=np.int64)
        pop = np.zeros(n, dtype=np.int64)
        name = np.full(n, None, dtype=object)
        pairs = self._index.query(la, lo, 0.0, distances=False)
        if len(pairs):
            ppop = self._pop[pairs.slot]
            order = np.lexsort((pairs.slot, -ppop, pairs.query))
            q = pairs.query[order]
            first = np.ones(q.size, dtype=bool)
            first[1:] = q[1:] != q[:-1]
            best[q[first]] = pairs.slot[order][first]
            pop[q[first]] = ppop[order][first]
            name[q[first]] = self.places["name"].to_numpy(dtype=object)[best[q[first]]]
        if self.polygons is not None:
            self._apply_polygons(la, lo, best, pop, name)
        return Located(best, pop, name)

    def locate_point(self, lat: float, lon: float) -> tuple[int, int, str | None]:
        """``(index, population, name)`` of one point's settlement (see :meth:`locate`)."""
        if self.polygons is not None:
            loc = self.locate([lat], [lon])
            return int(loc.index[0]), int(loc.population[0]), loc.name[0]
        pairs = self._index.query_point(lat, lon, 0.0, distances=False)
        if not len(pairs):
            return -1, 0, None
        pop = self._pop
        best = min(pairs.slot.tolist(), key=lambda s: (-pop[s], s))
        return best, int(pop[best]), self._names[best]

    def _apply_polygons(
        self,
        la: npt.NDArray[np.float64],
        lo: npt.NDArray[np.float64],
        best: npt.NDArray[np.int64],
        pop: npt.NDArray[np.int64],
        name: npt.NDArray[np.object_],
    ) -> None:
        import shapely

        assert self.polygons is not None
        pts = shapely.points(lo, la)
        tree = shapely.STRtree(self.polygons.geometry.to_numpy())
        qi, pi = tree.query(pts, predicate="within")
        if qi.size == 0:
            return
        ppop = self.polygons["population"].to_numpy(dtype=np.int64)[pi]
        order = np.lexsort((pi, -ppop, qi))
        qi, pi, ppop = qi[order], pi[order], ppop[order]
        first = np.ones(qi.size, dtype=bool)
        first[1:] = qi[1:] != qi[:-1]
        q = qi[first]
        best[q] = -1  # a polygon, not a bundled place
        pop[q] = ppop[first]
        name[q] = self.polygons["name"].to_numpy(dtype=object)[pi[first]]
