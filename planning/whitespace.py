"""White space: zones with demand, no pickup point within reach, where a new point is allowed.

A demand H3 cell is white space when

1. it carries demand (weight above ``min_cell_demand``);
2. no live point of the network lies within ``reach_m`` of its centre (WGS84
   geodesic, exact index);
3. a new point at its centre would be allowed by the protection rule.

Adjacent white cells (sharing an edge, H3 ``grid_disk(cell, 1)``) are merged
into zones (connected components) whose outline is the union of the cells
(``h3.cells_to_h3shape``). Zones are ranked by the demand inside them, which a
point in the zone would serve and nobody serves now; each zone also reports its
best site, the white cell whose reach holds the most white demand, and that
demand. Zones that cross the antimeridian get outlines in H3's convention
(longitudes may jump by 360 degrees); their demand and ranks are unaffected.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import h3.api.numpy_int as h3i
import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from shapely.geometry import shape

from geo.index import PointIndex
from planning.demand import DEFAULT_RESOLUTION, Demand, aggregate_to_cells
from planning.protection import ProtectionNetwork
from planning.scoring import reach_pairs

__all__ = ["WhiteCells", "find_white_cells", "find_whitespace", "zones_from_cells"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class WhiteCells:
    """The white cells of a demand surface.

    Attributes
    ----------
    cells : uint64 H3 cell ids
    demand : the cells as :class:`Demand` (centres, weights)
    served : bool array over all demand cells, True when a point is within reach
    allowed : bool array over all demand cells, protection decision at the centre
    """

    cells: npt.NDArray[np.uint64]
    demand: Demand
    served: npt.NDArray[np.bool_]
    allowed: npt.NDArray[np.bool_]


def find_white_cells(
    demand: Demand,
    network: ProtectionNetwork,
    *,
    reach_m: float = 1500.0,
    resolution: int = DEFAULT_RESOLUTION,
    kind: str | None = None,
    min_cell_demand: float = 0.0,
) -> WhiteCells:
    """White cells: demand, no live point within ``reach_m`` metres, a new point allowed.

    ``demand`` is binned onto H3 cells of ``resolution`` first; ``kind`` is the
    kind of the would-be point (default: the policy's default kind).
    """
    cells_d = aggregate_to_cells(demand, resolution=resolution)
    n = len(cells_d)
    served = np.zeros(n, dtype=bool)
    index = network.index
    slots = index.live_slots()
    if slots.size and n:
        plat, plon, _ = index.coords(slots)
        pts = PointIndex.from_points(range(slots.size), plat, plon, 0.0,
                                     cell_m=max(reach_m, 10.0))  # fmt: skip
        hit = pts.query(cells_d.lat, cells_d.lon, reach_m, distances=False)
        served[hit.query] = True
    allowed = np.ones(n, dtype=bool)
    if n:
        allowed = network.check_batch(cells_d.lat, cells_d.lon, kind=kind).allowed
    white = (cells_d.weight > min_cell_demand) & ~served & allowed
    ids = np.array([h3i.str_to_int(str(c)) for c in cells_d.id[white]], dtype=np.uint64)
    return WhiteCells(ids, cells_d.subset(white), served, allowed)


def zones_from_cells(
    white: WhiteCells, *, reach_m: float = 1500.0, min_zone_demand: float = 0.0
) -> gpd.GeoDataFrame:
    """Merge adjacent white cells into ranked zones (EPSG:4326 polygons).

    Columns: ``rank`` (1 = most demand), ``demand`` (weight of the zone's
    cells), ``n_cells``, ``area_km2``, ``best_lat``, ``best_lon`` (centre of
    the best site), ``best_site_demand`` (white demand within ``reach_m`` of
    it), ``cells`` (';'-joined H3 ids), ``geometry``.
    """
    cols = ["rank", "demand", "n_cells", "area_km2", "best_lat", "best_lon",
            "best_site_demand", "cells"]  # fmt: skip
    cells = white.cells
    n = cells.size
    if n == 0:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs="EPSG:4326")
    pos = {int(c): i for i, c in enumerate(cells.tolist())}
    rows: list[int] = []
    cols_: list[int] = []
    for i, c in enumerate(cells.tolist()):
        for nb in h3i.grid_disk(c, 1).tolist():
            j = pos.get(int(nb))
            if j is not None and j != i:
                rows.append(i)
                cols_.append(j)
    graph = sp.csr_array((np.ones(len(rows)), (rows, cols_)), shape=(n, n))
    n_zones, label = connected_components(graph, directed=False)
    dem = white.demand
    # white demand within reach of every white cell: the best site of each zone
    site, cell, _ = reach_pairs(dem, dem.lat, dem.lon, reach_m, distances=False)
    capture = np.bincount(site, weights=dem.weight[cell], minlength=n).astype(np.float64)
    capture = np.maximum(capture, dem.weight)  # a cell always serves itself
    zone_demand = np.bincount(label, weights=dem.weight, minlength=n_zones)
    records = []
    for z in range(n_zones):
        members = np.flatnonzero(label == z)
        if zone_demand[z] <= min_zone_demand:
            continue
        best = members[np.argmax(capture[members])]
        geom = shape(h3i.cells_to_h3shape(cells[members]).__geo_interface__)
        area = float(sum(h3i.cell_area(int(c), unit="km^2") for c in cells[members].tolist()))
        records.append(
            {
                "demand": float(zone_demand[z]),
                "n_cells": int(members.size),
                "area_km2": round(area, 4),
                "best_lat": float(dem.lat[best]),
                "best_lon": float(dem.lon[best]),
                "best_site_demand": float(capture[best]),
                "cells": ";".join(h3i.int_to_str(int(c)) for c in cells[members].tolist()),
                "geometry": geom,
            }
        )
    df = pd.DataFrame.from_records(records)
    if df.empty:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs="EPSG:4326")
    df = df.sort_values(["demand", "best_site_demand"], ascending=False, kind="stable")
    df.insert(0, "rank", np.arange(1, len(df) + 1))
    return gpd.GeoDataFrame(df.reset_index(drop=True), geometry="geometry", crs="EPSG:4326")


def find_whitespace(
    demand: Demand,
    network: ProtectionNetwork,
    *,
    reach_m: float = 1500.0,
    resolution: int = DEFAULT_RESOLUTION,
    kind: str | None = None,
    min_cell_demand: float = 0.0,
    min_zone_demand: float = 0.0,
) -> gpd.GeoDataFrame:
    """White-space zones, ranked by demand: :func:`find_white_cells` then :func:`zones_from_cells`.

    Parameters
    ----------
    demand : demand cells or points (binned onto H3 cells of ``resolution``)
    network : the live network and the protection rule
    reach_m : a point serves demand closer than this, metres (WGS84 geodesic)
    resolution : H3 resolution of the zones' cells
    kind : kind of the would-be point (default: the policy's default)
    min_cell_demand, min_zone_demand : cells and zones at or below these are dropped
    """
    white = find_white_cells(demand, network, reach_m=reach_m, resolution=resolution, kind=kind,
                             min_cell_demand=min_cell_demand)  # fmt: skip
    return zones_from_cells(white, reach_m=reach_m, min_zone_demand=min_zone_demand)
