"""The implementations compared by ``bench/protection.py``: ours and five peers.

Each one answers the same rule, used the way a real user would: query with the
largest radius in use, then keep a pair (candidate c, point p) when the
implementation's own distance measure is below ``max(r_c, r_p)``. Only ours is
exact on WGS84; the others approximate the distance as stated in ``method``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Transformer
from rtree import index as rtree_index
from scipy.spatial import cKDTree
from sklearn.neighbors import BallTree

from bench._data import Sites
from geo.index import PointIndex

#: mean Earth radius used by the spherical peers (IUGG R1), metres
R_SPHERE_M = 6_371_008.8
#: relative slack of the prefilter of the approximate peers (their filter decides)
SLACK = 1.01

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
PairArrays = tuple[IntArray, IntArray]

_TO_3857 = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)


def sphere_xyz_m(lat: FloatArray, lon: FloatArray) -> FloatArray:
    """3-D coordinates on the sphere of radius :data:`R_SPHERE_M`, metres."""
    phi = np.radians(lat)
    lam = np.radians(lon)
    c = np.cos(phi)
    return R_SPHERE_M * np.column_stack([c * np.cos(lam), c * np.sin(lam), np.sin(phi)])


def haversine_m(
    lat1: FloatArray, lon1: FloatArray, lat2: FloatArray, lon2: FloatArray
) -> FloatArray:
    """Great-circle distance on the sphere of radius :data:`R_SPHERE_M`, metres."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    h = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * R_SPHERE_M * np.arcsin(np.sqrt(np.minimum(h, 1.0)))


def flatten_hits(lists: Sequence[Sequence[int]], n: int) -> PairArrays:
    """Query index and flat hits from a sequence of ``n`` per-query hit lists."""
    counts = np.fromiter(map(len, lists), dtype=np.int64, count=n)
    flat = np.fromiter(
        itertools.chain.from_iterable(lists), dtype=np.int64, count=int(counts.sum())
    )
    return np.repeat(np.arange(n, dtype=np.int64), counts), flat


class Impl:
    """One implementation: build an index of points, batch and single queries.

    ``batch`` returns the conflicting (candidate position, point position)
    pairs; ``single`` returns the conflicting point positions of one candidate.
    """

    name = ""
    method = ""
    #: time only a subsample of candidates in the batch (slow peers)
    subsample = False

    def build(self, pts: Sites) -> None:
        """Build the index of ``pts`` (timed)."""
        raise NotImplementedError

    def batch(self, c: Sites) -> PairArrays:
        """Conflicting pairs of every candidate in ``c`` (timed)."""
        raise NotImplementedError

    def single(self, lat: float, lon: float, r: float) -> IntArray:
        """Conflicting point positions of one candidate (degrees, metres; timed)."""
        raise NotImplementedError


class Ours(Impl):
    """``geo.index.PointIndex``: ECEF chord grid + exact Karney geodesic in a 1 m band."""

    def __init__(self, distances: bool = False) -> None:
        self.distances = distances
        self.name = "ours (distances=True)" if distances else "ours"
        self.method = (
            "PointIndex, ECEF chord grid (numba, 2 threads), exact Karney geodesic in 1 m band"
            + ("; geodesic of every pair" if distances else "")
        )

    def build(self, pts: Sites) -> None:  # noqa: D102
        self.idx = PointIndex.from_points(np.arange(len(pts)), pts.lat, pts.lon, pts.radius_m)

    def batch(self, c: Sites) -> PairArrays:  # noqa: D102
        pr = self.idx.query(c.lat, c.lon, c.radius_m, distances=self.distances)
        return pr.query, pr.slot

    def single(self, lat: float, lon: float, r: float) -> IntArray:  # noqa: D102
        return self.idx.query([lat], [lon], [r], distances=self.distances).slot


class KDTreeSphere(Impl):
    """scipy ``cKDTree`` on 3-D sphere coordinates; chord converted to great-circle arc."""

    name = "scipy cKDTree"
    method = "3-D chord on sphere R=6371008.8 m, query_ball_tree (dual tree), arc filter"

    def build(self, pts: Sites) -> None:  # noqa: D102
        self.r = pts.radius_m
        self.tree = cKDTree(sphere_xyz_m(pts.lat, pts.lon))
        self.rmax = float(pts.radius_m.max())

    def _reach(self, rc: float) -> float:
        rmax = max(self.rmax, rc)
        return 2 * R_SPHERE_M * np.sin(rmax / (2 * R_SPHERE_M))

    def _keep(self, cxyz: FloatArray, rc: FloatArray, ci: IntArray, pj: IntArray) -> npt.NDArray:
        chord = np.linalg.norm(cxyz[ci] - self.tree.data[pj], axis=1)
        arc = 2 * R_SPHERE_M * np.arcsin(chord / (2 * R_SPHERE_M))
        return arc < np.maximum(rc[ci], self.r[pj])

    def batch(self, c: Sites) -> PairArrays:  # noqa: D102
        cxyz = sphere_xyz_m(c.lat, c.lon)
        ctree = cKDTree(cxyz)
        hits = ctree.query_ball_tree(self.tree, self._reach(float(c.radius_m.max())))
        ci, pj = flatten_hits(hits, len(c))
        keep = self._keep(cxyz, c.radius_m, ci, pj)
        return ci[keep], pj[keep]

    def single(self, lat: float, lon: float, r: float) -> IntArray:  # noqa: D102
        cxyz = sphere_xyz_m(np.array([lat]), np.array([lon]))
        pj = np.asarray(self.tree.query_ball_point(cxyz[0], self._reach(r)), dtype=np.int64)
        ci = np.zeros(pj.size, dtype=np.int64)
        return pj[self._keep(cxyz, np.array([r]), ci, pj)]


def _mercator_ground_m(
    cx: FloatArray,
    cy: FloatArray,
    clat: FloatArray,
    px: FloatArray,
    py: FloatArray,
    plat: FloatArray,
) -> FloatArray:
    """EPSG:3857 distance scaled by ``cos`` of the mean latitude (a local ground estimate), m."""
    return np.hypot(cx - px, cy - py) * np.cos(np.radians(0.5 * (clat + plat)))


class STRtreeMercator(Impl):
    """shapely ``STRtree`` of points in EPSG:3857, ``dwithin`` with a per-candidate distance."""

    name = "shapely STRtree"
    method = (
        "EPSG:3857 points, query(predicate='dwithin', distance=1.01*rmax/cos(lat_c)), "
        "filter: 3857 distance * cos(mean lat)"
    )
    subsample = True

    def build(self, pts: Sites) -> None:  # noqa: D102
        self.x, self.y = _TO_3857.transform(pts.lon, pts.lat)
        self.lat = pts.lat
        self.r = pts.radius_m
        self.rmax = float(pts.radius_m.max())
        self.tree = shapely.STRtree(shapely.points(self.x, self.y))

    def _pairs(self, clat: FloatArray, clon: FloatArray, rc: FloatArray) -> PairArrays:
        cx, cy = _TO_3857.transform(clon, clat)
        cx, cy = np.atleast_1d(cx), np.atleast_1d(cy)
        reach = SLACK * np.maximum(rc, self.rmax) / np.cos(np.radians(clat))
        ci, pj = self.tree.query(shapely.points(cx, cy), predicate="dwithin", distance=reach)
        d = _mercator_ground_m(cx[ci], cy[ci], clat[ci], self.x[pj], self.y[pj], self.lat[pj])
        keep = d < np.maximum(rc[ci], self.r[pj])
        return ci[keep].astype(np.int64), pj[keep].astype(np.int64)

    def batch(self, c: Sites) -> PairArrays:  # noqa: D102
        return self._pairs(c.lat, c.lon, c.radius_m)

    def single(self, lat: float, lon: float, r: float) -> IntArray:  # noqa: D102
        return self._pairs(np.array([lat]), np.array([lon]), np.array([r]))[1]


class SjoinMercator(Impl):
    """geopandas ``sjoin`` of candidate points with buffered points, both in EPSG:3857."""

    name = "geopandas sjoin"
    method = (
        "EPSG:3857 buffers of 1.01*rmax/cos(lat_p) (32-gon), sjoin intersects, "
        "filter: 3857 distance * cos(mean lat)"
    )
    subsample = True

    def build(self, pts: Sites) -> None:  # noqa: D102
        g = gpd.GeoDataFrame(
            {"plat": pts.lat, "r_p": pts.radius_m},
            geometry=gpd.points_from_xy(pts.lon, pts.lat),
            crs="EPSG:4326",
        ).to_crs("EPSG:3857")
        g["px"] = g.geometry.x
        g["py"] = g.geometry.y
        self.rmax = float(pts.radius_m.max())
        g["geometry"] = g.geometry.buffer(SLACK * self.rmax / np.cos(np.radians(pts.lat)))
        g.sindex  # noqa: B018 - builds the STRtree now, as part of the index build
        self.gdf = g

    def _pairs(self, clat: FloatArray, clon: FloatArray, rc: FloatArray) -> PairArrays:
        c = gpd.GeoDataFrame(
            {"clat": clat, "r_c": rc},
            geometry=gpd.points_from_xy(clon, clat),
            crs="EPSG:4326",
        ).to_crs("EPSG:3857")
        j = gpd.sjoin(c, self.gdf, how="inner", predicate="intersects")
        d = _mercator_ground_m(
            j.geometry.x.to_numpy(),
            j.geometry.y.to_numpy(),
            j["clat"].to_numpy(),
            j["px"].to_numpy(),
            j["py"].to_numpy(),
            j["plat"].to_numpy(),
        )
        keep = d < np.maximum(j["r_c"].to_numpy(), j["r_p"].to_numpy())
        ci = j.index.to_numpy(dtype=np.int64)[keep]
        pj = j["index_right"].to_numpy(dtype=np.int64)[keep]
        return ci, pj

    def batch(self, c: Sites) -> PairArrays:  # noqa: D102
        return self._pairs(c.lat, c.lon, c.radius_m)

    def single(self, lat: float, lon: float, r: float) -> IntArray:  # noqa: D102
        return self._pairs(np.array([lat]), np.array([lon]), np.array([r]))[1]


class BallTreeHaversine(Impl):
    """scikit-learn ``BallTree(metric='haversine')`` on radians, sphere R=6371008.8 m."""

    name = "sklearn BallTree"
    method = "haversine on sphere R=6371008.8 m, query_radius(rmax), haversine filter"
    subsample = True

    def build(self, pts: Sites) -> None:  # noqa: D102
        self.r = pts.radius_m
        self.rmax = float(pts.radius_m.max())
        self.tree = BallTree(np.radians(np.column_stack([pts.lat, pts.lon])), metric="haversine")

    def _pairs(self, clat: FloatArray, clon: FloatArray, rc: FloatArray) -> PairArrays:
        x = np.radians(np.column_stack([clat, clon]))
        reach = float(max(self.rmax, rc.max())) / R_SPHERE_M
        ind, dist = self.tree.query_radius(x, reach, return_distance=True)
        counts = np.fromiter(map(len, ind), dtype=np.int64, count=len(ind))
        ci = np.repeat(np.arange(len(ind), dtype=np.int64), counts)
        pj = np.concatenate(ind).astype(np.int64)
        d = np.concatenate(dist) * R_SPHERE_M
        keep = d < np.maximum(rc[ci], self.r[pj])
        return ci[keep], pj[keep]

    def batch(self, c: Sites) -> PairArrays:  # noqa: D102
        return self._pairs(c.lat, c.lon, c.radius_m)

    def single(self, lat: float, lon: float, r: float) -> IntArray:  # noqa: D102
        return self._pairs(np.array([lat]), np.array([lon]), np.array([r]))[1]


class RtreeDegrees(Impl):
    """``rtree`` (libspatialindex) of point boxes in degrees; haversine filter."""

    name = "rtree"
    method = (
        "point boxes in lon/lat degrees (bulk load), intersection_v with a 1.01*rmax box "
        "(no antimeridian wrap), haversine filter"
    )
    subsample = True

    def build(self, pts: Sites) -> None:  # noqa: D102
        self.lat, self.lon, self.r = pts.lat, pts.lon, pts.radius_m
        self.rmax = float(pts.radius_m.max())
        xy = np.column_stack([pts.lon, pts.lat])
        self.idx = rtree_index.Index((np.arange(len(pts), dtype=np.int64), xy, xy))

    def _boxes(self, clat: FloatArray, clon: FloatArray, rc: FloatArray) -> tuple[FloatArray, ...]:
        dlat = np.degrees(SLACK * np.maximum(rc, self.rmax) / R_SPHERE_M)
        dlon = dlat / np.cos(np.radians(clat))
        mins = np.column_stack([clon - dlon, clat - dlat])
        maxs = np.column_stack([clon + dlon, clat + dlat])
        return mins, maxs

    def _filter(
        self, clat: FloatArray, clon: FloatArray, rc: FloatArray, ci: IntArray, pj: IntArray
    ) -> npt.NDArray:
        d = haversine_m(clat[ci], clon[ci], self.lat[pj], self.lon[pj])
        return d < np.maximum(rc[ci], self.r[pj])

    def batch(self, c: Sites) -> PairArrays:  # noqa: D102
        mins, maxs = self._boxes(c.lat, c.lon, c.radius_m)
        pj, counts = self.idx.intersection_v(mins, maxs)
        pj = pj.astype(np.int64)
        ci = np.repeat(np.arange(len(c), dtype=np.int64), counts.astype(np.int64))
        keep = self._filter(c.lat, c.lon, c.radius_m, ci, pj)
        return ci[keep], pj[keep]

    def single(self, lat: float, lon: float, r: float) -> IntArray:  # noqa: D102
        clat, clon, rc = np.array([lat]), np.array([lon]), np.array([r])
        mins, maxs = self._boxes(clat, clon, rc)
        pj = np.fromiter(self.idx.intersection((*mins[0], *maxs[0])), dtype=np.int64)
        ci = np.zeros(pj.size, dtype=np.int64)
        return pj[self._filter(clat, clon, rc, ci, pj)]


def all_impls() -> list[Impl]:
    """Every implementation, ours first."""
    return [
        Ours(),
        Ours(distances=True),
        KDTreeSphere(),
        STRtreeMercator(),
        SjoinMercator(),
        BallTreeHaversine(),
        RtreeDegrees(),
    ]
