"""Which settlement (населённый пункт) a point lies in: bundled places, or boundary polygons.

The rule (documented in README, "Settlements"), as far as point data allows:

1. **Boundary polygons first.** If polygons were supplied (GeoPackage/GeoJSON
   with ``name`` and ``population``, see :mod:`data.boundaries`), a point inside
   one or more polygons belongs to the most populous of them (a federal city's
   polygon wins over the villages inside it).
2. **Parts of a city are that city.** A bundled place may be a part of a city
   (column ``part_of``: the ``geonameid`` of the city). Every place of a federal
   city (Moscow, St Petersburg, Sevastopol) and every city section GeoNames lists
   as a place of its own is such a part. A part lends its footprint to its city
   and never counts as a settlement of its own: a point near Solntsevo is in
   Moscow, with Moscow's population.
3. **Nominal footprints.** Each place (city or part) covers a disc of nominal
   urban radius ``R_km = 0.5 * (population / 1000) ** 0.4`` around its centre
   (Moscow, 13.0 M: 22.1 km; a city of 1 M: 7.9 km; a town of 10,000: 1.3 km);
   a part's disc is ``PART_REACH`` (1.5) times the nominal radius of its own
   population: a district's built-up area runs on into its neighbours of the
   same city, so it spreads wider than a lone town of its size, and no open
   country is left between the parts of one city (a federal city has none).
4. **Nearest relative to size.** Of the discs that cover a point, the one with
   the smallest ``d / R`` wins (``d`` the geodesic distance from its centre), and
   the point belongs to that disc's settlement. So separate towns next to a big
   city keep their own ground (a point in Khimki is nearer Khimki's centre,
   relative to Khimki's size, than Moscow's centre relative to Moscow's) and
   every place's own centre lies in the place itself (``d = 0``).
   Ties go to the more populous settlement, then to the lower row.
5. Covered by nothing: open country (no settlement, population 0).

The populations are the places' (2021 census for cities of 100,000 or more in
the bundled table); a part's disc decides *where*, its city's population
decides the radius tier.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.geodesic import validate_latlon
from geo.index import PointIndex

if TYPE_CHECKING:  # geopandas loads only with boundary polygons (pvz check starts faster)
    import geopandas as gpd

__all__ = ["PART_REACH", "Located", "SettlementLookup", "settlement_owners", "urban_radius_m"]

#: the disc of a part of a city is this many times its nominal radius (rule 3)
PART_REACH = 1.5


def urban_radius_m(population: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Nominal urban radius of a place, metres: ``500 * (population / 1000) ** 0.4``."""
    pop = np.maximum(np.asarray(population, dtype=np.float64), 0.0)
    return 500.0 * (pop / 1000.0) ** 0.4


@dataclass(frozen=True)
class Located:
    """Settlement of each query point (arrays of the query length).

    ``index`` is the row of the settlement in :attr:`SettlementLookup.places`
    (-1: open country, or a boundary polygon); ``population`` is 0 and ``name``
    (Russian, falling back to the GeoNames name) and ``name_en`` are ``None`` in
    open country.
    """

    index: npt.NDArray[np.int64]
    population: npt.NDArray[np.int64]
    name: npt.NDArray[np.object_]
    name_en: npt.NDArray[np.object_] | None = None


def _text(values: pd.Series) -> npt.NDArray[np.object_]:
    return values.fillna("").astype(str).str.strip().to_numpy(dtype=object)


def _first_of_each(sorted_query: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Mask of the first row of each query in rows sorted by query (the chosen one)."""
    first = np.ones(sorted_query.size, dtype=bool)
    first[1:] = sorted_query[1:] != sorted_query[:-1]
    return first


def settlement_owners(places: pd.DataFrame) -> npt.NDArray[np.int64]:
    """Row of the settlement each place belongs to: itself, or the city it is part of.

    ``part_of`` holds a ``geonameid`` (0, empty or NaN: none). A part whose city
    is not in the table (for example Crimea left out) stands on its own; chains
    (a part of a part) resolve to the top.
    """
    n = len(places)
    own = np.arange(n, dtype=np.int64)
    if "part_of" not in places.columns or "geonameid" not in places.columns:
        return own
    part_of = pd.to_numeric(places["part_of"], errors="coerce").fillna(0).to_numpy(np.int64)
    row_of = {int(g): i for i, g in enumerate(places["geonameid"].to_numpy(np.int64).tolist())}
    parent = np.fromiter(
        (row_of.get(int(p), i) if p else i for i, p in enumerate(part_of.tolist())),
        dtype=np.int64, count=n,
    )  # fmt: skip
    for _ in range(8):  # resolve chains; real data has none deeper than 1
        nxt = parent[parent]
        if np.array_equal(nxt, parent):
            break
        parent = nxt
    return parent


class SettlementLookup:
    """Assign points to settlements by the rule in the module docstring.

    Parameters
    ----------
    places : DataFrame with ``name, lat, lon, population`` (WGS84 degrees), and
        optionally ``name_ru`` (the name reported), ``geonameid`` and ``part_of``
        (the city a place is part of); for example :func:`data.places.load_places`.
    polygons : optional GeoDataFrame of boundaries in WGS84 with ``name`` and
        ``population`` columns (``name_ru`` preferred for the report when given),
        antimeridian-crossing rings already split (:func:`data.boundaries.load_boundaries`);
        containment in a polygon takes precedence.

    Raises
    ------
    ValueError : missing columns.
    """

    def __init__(self, places: pd.DataFrame, *, polygons: gpd.GeoDataFrame | None = None) -> None:
        missing = {"name", "lat", "lon", "population"} - set(places.columns)
        if missing:
            raise ValueError(f"places lack columns {sorted(missing)}")
        self.places = places.reset_index(drop=True)
        own_pop = self.places["population"].to_numpy(dtype=np.int64)
        self._owner = settlement_owners(self.places)
        #: population of the settlement each place row belongs to
        self._pop = own_pop[self._owner]
        self._pop_list: list[int] = self._pop.tolist()
        self._owner_list: list[int] = self._owner.tolist()
        en = _text(self.places["name"])
        ru = _text(self.places["name_ru"]) if "name_ru" in self.places.columns else en
        ru = np.where(ru == "", en, ru)
        #: names of the settlement each place row belongs to (object arrays of str)
        self._name_en = en[self._owner]
        self._name = ru[self._owner]
        is_part = self._owner != np.arange(len(self.places))
        #: radius of each place's disc, metres (rule 3)
        self._disc_r = urban_radius_m(own_pop) * np.where(is_part, PART_REACH, 1.0)
        self._index = PointIndex.from_points(
            range(len(self.places)),
            self.places["lat"].to_numpy(dtype=float),
            self.places["lon"].to_numpy(dtype=float),
            self._disc_r,
            cell_m=max(float(self._disc_r.max(initial=0.0)), 1000.0),
        )
        self.polygons: gpd.GeoDataFrame | None = None
        self._tree: Any = None
        if polygons is not None:
            if not {"name", "population"} <= set(polygons.columns):
                raise ValueError("boundary polygons need columns 'name' and 'population'")
            import shapely

            self.polygons = polygons.to_crs("EPSG:4326").reset_index(drop=True)
            self._tree = shapely.STRtree(self.polygons.geometry.to_numpy())
            names = _text(self.polygons["name"])
            if "name_ru" in self.polygons.columns:
                pru = _text(self.polygons["name_ru"])
                names = np.where(pru == "", names, pru)
            # a polygon named in Latin as a bundled place ("Moscow") is reported in Russian
            ru_of = dict(zip(en[::-1].tolist(), ru[::-1].tolist(), strict=True))  # most populous
            names = np.array([ru_of.get(n, n) for n in names.tolist()], dtype=object)
            self._poly_name = names
            self._poly_name_en = _text(self.polygons["name"])
            self._poly_pop = self.polygons["population"].to_numpy(dtype=np.int64)

    def _choose(
        self,
        query: npt.NDArray[np.int64],
        slot: npt.NDArray[np.int64],
        dist: npt.NDArray[np.float64],
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """For each query that has pairs, the slot with the smallest ``d / R``."""
        score = dist / self._disc_r[slot]
        order = np.lexsort((slot, -self._pop[slot], score, query))
        first = _first_of_each(query[order])
        return query[order][first], slot[order][first]

    def locate(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> Located:
        """Settlement of each point (WGS84 degrees), by the rule in the module docstring.

        Raises ``ValueError`` for NaN or out-of-range coordinates.
        """
        la, lo = validate_latlon(lat, lon)
        n = la.size
        best = np.full(n, -1, dtype=np.int64)
        pop = np.zeros(n, dtype=np.int64)
        name = np.full(n, None, dtype=object)
        name_en = np.full(n, None, dtype=object)
        pairs = self._index.query(la, lo, 0.0, distances="chord")
        if len(pairs):
            q, s = self._choose(pairs.query, pairs.slot, pairs.distance_m)
            best[q] = self._owner[s]
            pop[q] = self._pop[s]
            name[q] = self._name[s]
            name_en[q] = self._name_en[s]
        if self.polygons is not None:
            self._apply_polygons(la, lo, best, pop, name, name_en)
        return Located(best, pop, name, name_en)

    def locate_point(self, lat: float, lon: float) -> tuple[int, int, str | None]:
        """``(index, population, name)`` of one point's settlement (see :meth:`locate`)."""
        if self.polygons is not None:
            loc = self.locate([lat], [lon])
            return int(loc.index[0]), int(loc.population[0]), loc.name[0]
        # (distance_m, slot, radius_m, disc radius_m) of each covering disc
        rows = self._index.query_point_rows(lat, lon, 0.0, distances="chord")
        if not rows:
            return -1, 0, None
        pop = self._pop_list
        best = min(rows, key=lambda r: (r[0] / r[3], -pop[r[1]], r[1]))[1]
        return self._owner_list[best], pop[best], str(self._name[best])

    def _apply_polygons(
        self,
        la: npt.NDArray[np.float64],
        lo: npt.NDArray[np.float64],
        best: npt.NDArray[np.int64],
        pop: npt.NDArray[np.int64],
        name: npt.NDArray[np.object_],
        name_en: npt.NDArray[np.object_],
    ) -> None:
        import shapely

        pts = shapely.points(lo, la)
        qi, pi = self._tree.query(pts, predicate="within")
        if qi.size == 0:
            return
        ppop = self._poly_pop[pi]
        order = np.lexsort((pi, -ppop, qi))
        qi, pi, ppop = qi[order], pi[order], ppop[order]
        first = _first_of_each(qi)
        q = qi[first]
        best[q] = -1  # a polygon, not a bundled place
        pop[q] = ppop[first]
        name[q] = self._poly_name[pi[first]]
        name_en[q] = self._poly_name_en[pi[first]]
