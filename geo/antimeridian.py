"""Polygons across the antimeridian, split at 180 degrees so containment is right on both sides.

A ring that crosses the antimeridian is written either with longitudes that jump
from about +180 to about -180 between consecutive vertices, or in 0..360 form
(longitudes above 180). Read naively, the first kind is the complement of the
intended area (a strip round the whole globe), and the second kind covers no
point with a longitude in [-180, 180]. :func:`split_antimeridian` unwraps each
ring to a continuous longitude range (a jump of more than 180 degrees between
consecutive vertices is a crossing), clips the polygon by the boxes
[-180, 180] and [180, 540], shifts the part beyond 180 by -360 and returns the
union as a MultiPolygon whose longitudes all lie within [-180, 180].
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import shapely
from shapely import affinity
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

__all__ = ["crosses_antimeridian", "crossing_mask", "split_antimeridian", "unwrap_longitudes"]


def unwrap_longitudes(lon: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Longitudes made continuous: every jump of more than 180 degrees between
    consecutive vertices is taken as a crossing of the antimeridian and removed
    by adding or subtracting 360 from the rest of the sequence (degrees)."""
    lo = np.asarray(lon, dtype=np.float64)
    return lo + 360.0 * _turns(lo)


def _turns(lon: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Whole turns to add to each longitude to unwrap the sequence (integers as floats).

    Adding whole multiples of 360 (rather than summing differences) keeps equal
    vertices equal, so a closed ring stays exactly closed.
    """
    d = np.diff(lon)
    step = np.where(np.abs(d) > 180.0, -np.round(d / 360.0), 0.0)
    return np.concatenate([[0.0], np.cumsum(step)]) if lon.size else np.zeros(0)


def _ring_jumps(coords: npt.NDArray[np.float64]) -> bool:
    return bool(coords.shape[0] > 1 and (np.abs(np.diff(coords[:, 0])) > 180.0).any())


def crosses_antimeridian(geom: BaseGeometry) -> bool:
    """Whether a (Multi)Polygon needs :func:`split_antimeridian`: a ring whose
    longitude jumps by more than 180 degrees between consecutive vertices, or a
    longitude outside [-180, 180] (0..360 form)."""
    for poly in getattr(geom, "geoms", [geom]):
        if not isinstance(poly, Polygon) or poly.is_empty:
            continue
        for ring in (poly.exterior, *poly.interiors):
            xy = np.asarray(ring.coords, dtype=np.float64)[:, :2]
            if _ring_jumps(xy) or (np.abs(xy[:, 0]) > 180.0).any():
                return True
    return False


def crossing_mask(geoms: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """:func:`crosses_antimeridian` for an array of (Multi)Polygons at once (vectorised).

    Missing or empty geometries give False.
    """
    arr = np.asarray(geoms, dtype=object)
    parts, part_of = shapely.get_parts(arr, return_index=True)
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    xy, vertex_of = shapely.get_coordinates(rings, return_index=True)
    lon = xy[:, 0]
    jump = (np.abs(np.diff(lon)) > 180.0) & (vertex_of[1:] == vertex_of[:-1])
    bad_rings = np.union1d(vertex_of[1:][jump], vertex_of[np.abs(lon) > 180.0])
    out = np.zeros(arr.shape[0], dtype=bool)
    out[part_of[ring_of[bad_rings]]] = True
    return out


def _ring_turns(ring: BaseGeometry) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """A ring's vertices and the whole turns that unwrap its longitudes."""
    xy = np.asarray(ring.coords, dtype=np.float64)[:, :2].copy()
    turns = _turns(xy[:, 0])
    if turns[-1] != turns[0]:
        raise ValueError(
            "a ring goes all the way round the globe (it encircles a pole); "
            "settlement boundaries cannot do that"
        )
    return xy, turns


def _unwrapped_polygon(poly: Polygon) -> Polygon:
    """The polygon with continuous longitudes, shifted so its west end is in [-180, 180)."""
    xy, turns = _ring_turns(poly.exterior)
    west = float((xy[:, 0] + 360.0 * turns).min())
    turns -= np.floor((west + 180.0) / 360.0)
    shell = xy.copy()
    shell[:, 0] = xy[:, 0] + 360.0 * turns
    centre = 0.5 * (shell[:, 0].min() + shell[:, 0].max())
    holes = []
    for ring in poly.interiors:
        hxy, hturns = _ring_turns(ring)
        mean = float((hxy[:, 0] + 360.0 * hturns).mean())
        hturns += np.round((centre - mean) / 360.0)
        hole = hxy.copy()
        hole[:, 0] = hxy[:, 0] + 360.0 * hturns
        holes.append(hole)
    return Polygon(shell, holes)


def _polygons_of(geom: BaseGeometry) -> list[Polygon]:
    if geom.is_empty:
        return []
    if isinstance(geom, Polygon):
        return [geom]
    if isinstance(geom, MultiPolygon):
        return list(geom.geoms)
    return [p for g in getattr(geom, "geoms", []) for p in _polygons_of(g)]  # a collection


def split_antimeridian(geom: BaseGeometry) -> Polygon | MultiPolygon:
    """A (Multi)Polygon in WGS84 degrees with every part within longitudes [-180, 180].

    Parameters
    ----------
    geom : Polygon or MultiPolygon, longitude/latitude degrees; rings may cross
        the antimeridian (a jump of more than 180 degrees between consecutive
        vertices) or use 0..360 longitudes

    Returns
    -------
    The same geometry (2-D) when nothing crosses; otherwise the parts east and
    west of 180 degrees as one MultiPolygon (a shared edge on the antimeridian).

    Raises
    ------
    ValueError : a ring that encircles a pole, or a polygon that is invalid once
        unwrapped (the message says why)

    Examples
    --------
    >>> from shapely.geometry import Polygon
    >>> town = Polygon([(179.9, 64.9), (-179.9, 64.9), (-179.9, 65.1), (179.9, 65.1)])
    >>> split = split_antimeridian(town)
    >>> split.geom_type, [round(b, 1) for b in split.bounds]
    ('MultiPolygon', [-180.0, 64.9, 180.0, 65.1])
    >>> split.contains(shapely.Point(40.0, 65.0)), split.contains(shapely.Point(-179.95, 65.0))
    (False, True)
    """
    if not isinstance(geom, Polygon | MultiPolygon):
        raise TypeError(f"expected a Polygon or MultiPolygon, got {geom.geom_type}")
    geom = shapely.force_2d(geom)
    if not crosses_antimeridian(geom):
        return geom
    parts: list[BaseGeometry] = []
    for poly in _polygons_of(geom):
        flat = _unwrapped_polygon(poly)
        if not flat.is_valid:
            raise ValueError(f"invalid once unwrapped: {shapely.is_valid_reason(flat)}")
        west, _, east, _ = flat.bounds
        k = 0
        while -180.0 + 360.0 * k < east:
            lo = -180.0 + 360.0 * k
            box = shapely.box(lo, -90.0, lo + 360.0, 90.0)
            piece = flat if (west >= lo and east <= lo + 360.0) else flat.intersection(box)
            for p in _polygons_of(piece):
                parts.append(affinity.translate(p, xoff=-360.0 * k) if k else p)
            k += 1
    polys = _polygons_of(shapely.union_all([p for p in parts if p.area > 0]))
    if not polys:
        raise ValueError("nothing left after splitting at the antimeridian")
    return MultiPolygon(polys) if len(polys) > 1 else polys[0]
