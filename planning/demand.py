"""Demand surfaces: population spread over H3 cells, or user demand points with weights.

Two sources, one shape (:class:`Demand`: arrays ``id, lat, lon, weight``):

* :func:`settlement_demand` spreads each bundled settlement's population over
  the H3 cells (``h3`` v4, resolution 8 by default: cells of about 0.74 km2)
  whose centres lie within the settlement's nominal urban radius
  ``R = urban_radius_m(population)`` (see :mod:`geo.settlements`). The kernel
  is a truncated Gaussian on the WGS84 geodesic distance ``d`` from the
  settlement centre: ``w(d) = exp(-d**2 / (2 sigma**2))`` for ``d <= R``, 0
  beyond, with ``sigma = sigma_share * R`` (default ``0.5 R``); the weights of
  one settlement are normalised to sum to its population, so the surface sums
  to the population of the places used. A settlement smaller than a cell puts
  all of its population in the cell that holds its centre. Cells reached by
  several settlements add up. Each person counts once: a city with parts
  (districts listed as places of their own, column ``part_of``, see
  :func:`geo.settlements.settlement_owners`) spreads its own population over
  its centre and its parts, each part taking its own population (scaled down
  so that the parts take at most 70 % of the city) and the centre the rest.
* :func:`demand_from_frame` takes user demand (orders, addresses, H3 cells):
  a table with ``id, lat, lon, weight`` (``weight`` >= 0, finite; 1.0 when the
  column is absent), as read by :func:`data.io.read_table`.

:func:`aggregate_to_cells` bins any demand onto H3 cells (used by the white
space). No file I/O happens here; the caller reads files.
"""

from __future__ import annotations

from dataclasses import dataclass

import h3.api.numpy_int as h3i
import numpy as np
import numpy.typing as npt
import pandas as pd

from data.bbox import in_bbox
from data.errors import InputError
from geo.geodesic import distance_m, validate_latlon
from geo.settlements import settlement_owners, urban_radius_m

__all__ = [
    "DEFAULT_RESOLUTION",
    "Demand",
    "aggregate_to_cells",
    "cell_centres",
    "demand_from_frame",
    "settlement_demand",
]

FloatArray = npt.NDArray[np.float64]
#: default H3 resolution of demand surfaces (mean cell area about 0.74 km2)
DEFAULT_RESOLUTION = 8


def _sum_by(index: npt.ArrayLike, *, weights: npt.ArrayLike, minlength: int) -> FloatArray:
    """``numpy.bincount`` with weights, typed as float64."""
    return np.asarray(np.bincount(index, weights=weights, minlength=minlength), dtype=np.float64)


@dataclass(frozen=True)
class Demand:
    """Demand locations with weights.

    Attributes
    ----------
    id : object array of identifiers (H3 cell ids as hex strings for surfaces)
    lat, lon : float64 arrays, WGS84 degrees
    weight : float64 array, demand units (people, orders per month, ...), >= 0
    """

    id: npt.NDArray[np.object_]
    lat: FloatArray
    lon: FloatArray
    weight: FloatArray

    def __len__(self) -> int:
        return int(self.lat.size)

    @property
    def total(self) -> float:
        """Sum of the weights."""
        return float(self.weight.sum())

    def subset(self, mask: npt.ArrayLike) -> Demand:
        """The demand rows selected by a boolean mask or an index array."""
        m = np.asarray(mask)
        return Demand(self.id[m], self.lat[m], self.lon[m], self.weight[m])

    def to_frame(self) -> pd.DataFrame:
        """A frame with columns ``id, lat, lon, weight``."""
        return pd.DataFrame(
            {"id": self.id, "lat": self.lat, "lon": self.lon, "weight": self.weight}
        )


def cell_centres(cells: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """WGS84 latitude and longitude, degrees, of the centres of H3 cells (uint64)."""
    c = np.asarray(cells, dtype=np.uint64)
    ll = np.array([h3i.cell_to_latlng(int(x)) for x in c.tolist()], dtype=np.float64)
    if ll.size == 0:
        return np.empty(0), np.empty(0)
    return ll[:, 0].copy(), ll[:, 1].copy()


#: the parts of a city take at most this share of its population (the centre keeps the rest)
_PARTS_SHARE_MAX = 0.7


def _people_per_place(owner: npt.NDArray[np.int64], population: FloatArray) -> FloatArray:
    """People each place row spreads: its own population, or its share of its city's.

    A settlement of its own spreads its population. A city with parts gives each
    part the part's own population, scaled by ``min(1, 0.7 * P / sum(parts))``,
    and keeps the rest ``P - sum`` at its centre, so the city adds up to its
    population ``P`` exactly and no person counts twice.
    """
    n = owner.size
    rows = np.arange(n)
    is_part = owner != rows
    parts_sum = _sum_by(owner[is_part], weights=population[is_part], minlength=n)
    scale = np.ones(n)
    has = parts_sum > 0
    scale[has] = np.minimum(1.0, _PARTS_SHARE_MAX * population[has] / parts_sum[has])
    out = population.copy()
    out[is_part] = population[is_part] * scale[owner[is_part]]
    out[~is_part] = population[~is_part] - parts_sum[~is_part] * scale[~is_part]
    return out


def settlement_demand(
    places: pd.DataFrame,
    *,
    resolution: int = DEFAULT_RESOLUTION,
    sigma_share: float = 0.5,
    bbox: tuple[float, float, float, float] | None = None,
    min_population: int = 0,
) -> Demand:
    """Spread settlement populations over H3 cells with a truncated Gaussian kernel.

    Parameters
    ----------
    places : DataFrame with ``lat, lon, population`` (WGS84 degrees), for
        example :func:`data.places.load_places`
    resolution : H3 resolution of the cells (0-15)
    sigma_share : kernel width as a share of the urban radius, ``sigma = sigma_share * R``
    bbox : ``(minlon, minlat, maxlon, maxlat)`` degrees; only places whose
        centre lies inside are used (``minlon > maxlon`` crosses the antimeridian)
    min_population : settlements (a part: its city) below this population are left out

    Returns
    -------
    Demand with one row per cell (id: H3 hex string), weight in people.
    """
    if not 0 <= resolution <= 15:
        raise ValueError(f"resolution must be in 0..15, got {resolution}")
    if not sigma_share > 0:
        raise ValueError(f"sigma_share must be positive, got {sigma_share}")
    places = places.reset_index(drop=True)
    plat = places["lat"].to_numpy(dtype=np.float64)
    plon = places["lon"].to_numpy(dtype=np.float64)
    own_pop = places["population"].to_numpy(dtype=np.float64)
    radius = urban_radius_m(own_pop)
    owner = settlement_owners(places)
    pop = _people_per_place(owner, own_pop)
    city_pop = own_pop[owner]
    keep = in_bbox(plat, plon, bbox) & (city_pop >= max(min_population, 0)) & (pop > 0)
    plat, plon, pop, radius = plat[keep], plon[keep], pop[keep], radius[keep]
    # centre-to-centre spacing of neighbouring cells is sqrt(3) times the edge length
    spacing_m = np.sqrt(3.0) * h3i.average_hexagon_edge_length(resolution, unit="m")
    cells_out: list[npt.NDArray[np.uint64]] = []
    w_out: list[FloatArray] = []
    for la, lo, p, r in zip(
        plat.tolist(), plon.tolist(), pop.tolist(), radius.tolist(), strict=True
    ):
        centre = h3i.latlng_to_cell(la, lo, resolution)
        k = int(np.ceil(r / spacing_m * 1.2)) + 1
        disk = np.asarray(h3i.grid_disk(centre, k), dtype=np.uint64)
        clat, clon = cell_centres(disk)
        d = distance_m(la, lo, clat, clon)
        inside = d <= r
        inside[disk == centre] = True
        sigma = sigma_share * r
        z2 = (d[inside] / sigma) ** 2
        # shifted by the nearest cell so the largest weight is 1: the same weights after
        # normalising, without underflow to 0/0 when a tiny place's only cell is far off
        w = np.exp(-0.5 * (z2 - z2.min()))
        cells_out.append(disk[inside])
        w_out.append(p * w / w.sum())
    if not cells_out:
        return Demand(np.empty(0, dtype=object), np.empty(0), np.empty(0), np.empty(0))
    cells = np.concatenate(cells_out)
    weights = np.concatenate(w_out)
    uniq, inv = np.unique(cells, return_inverse=True)
    total = _sum_by(inv, weights=weights, minlength=uniq.size)
    lat, lon = cell_centres(uniq)
    ids = np.array([h3i.int_to_str(int(c)) for c in uniq.tolist()], dtype=object)
    return Demand(ids, lat, lon, total)


def demand_from_frame(df: pd.DataFrame, *, source: str | None = None) -> Demand:
    """Validate a user demand table (``id, lat, lon[, weight]``) into :class:`Demand`.

    Raises
    ------
    InputError : missing columns, no rows, NaN or out-of-range coordinates,
        a weight that is not a finite number >= 0, or a zero total weight.
    """
    missing = [c for c in ("id", "lat", "lon") if c not in df.columns]
    if missing:
        raise InputError("missing required column(s): {missing}", missing=", ".join(missing),
                         source=source)  # fmt: skip
    if df.empty:
        raise InputError("the table has no rows", source=source)
    cols: dict[str, FloatArray] = {}
    for col in ("lat", "lon", "weight"):
        if col not in df.columns:
            continue
        vals = pd.to_numeric(df[col].astype(str).str.strip(), errors="coerce")
        if df[col].dtype.kind in "fiub":
            vals = pd.to_numeric(df[col], errors="coerce")
        arr = vals.to_numpy(dtype=np.float64)
        bad = ~np.isfinite(arr)
        if col == "weight":
            bad |= arr < 0
        elif col == "lat":
            bad |= np.abs(arr) > 90
        else:
            bad |= np.abs(arr) > 180
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            what = ("must be a finite number >= 0, got {value!r}" if col == "weight"
                    else "must be a valid WGS84 coordinate, got {value!r}")  # fmt: skip
            raise InputError(what, value=df[col].iloc[i], source=source, row=i + 1, column=col)
        cols[col] = arr
    weight = cols.get("weight", np.ones(len(df)))
    if not weight.sum() > 0:
        raise InputError("the demand weights sum to zero", source=source, column="weight")
    lat, lon = validate_latlon(cols["lat"], cols["lon"])
    ids = df["id"].astype(str).str.strip().to_numpy(dtype=object)
    return Demand(ids, lat, lon, weight)


def aggregate_to_cells(demand: Demand, *, resolution: int = DEFAULT_RESOLUTION) -> Demand:
    """Sum demand onto the H3 cells holding its locations; one row per cell (cell centres)."""
    cells = np.fromiter(
        (h3i.latlng_to_cell(a, b, resolution) for a, b in zip(demand.lat.tolist(),
                                                               demand.lon.tolist(), strict=True)),
        dtype=np.uint64, count=len(demand),
    )  # fmt: skip
    uniq, inv = np.unique(cells, return_inverse=True)
    total = _sum_by(inv, weights=demand.weight, minlength=uniq.size)
    lat, lon = cell_centres(uniq)
    ids = np.array([h3i.int_to_str(int(c)) for c in uniq.tolist()], dtype=object)
    return Demand(ids, lat, lon, total)
