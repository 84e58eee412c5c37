"""Exact distances on the WGS84 ellipsoid and Earth-centred coordinates.

Distances are geodesics on WGS84 computed with Karney's algorithm
(``pyproj.Geod``), accurate to a few nanometres. Earth-centred, Earth-fixed
(ECEF) coordinates give the straight 3-D chord between two points, which is
never longer than the geodesic and has no antimeridian or pole problems: the
spatial index filters with it and decides borderline pairs with the geodesic.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from pyproj import Geod

__all__ = [
    "WGS84",
    "WGS84_A_M",
    "WGS84_E2",
    "check_latlon",
    "chord_excess_bound_m",
    "distance_m",
    "ecef_m",
    "ecef_point_m",
    "validate_latlon",
]

FloatArray = npt.NDArray[np.float64]

#: the WGS84 ellipsoid, Karney's geodesic algorithms
WGS84 = Geod(ellps="WGS84")
#: semi-major axis of WGS84, metres
WGS84_A_M = 6378137.0
#: first eccentricity squared of WGS84
WGS84_F = 1 / 298.257223563
WGS84_E2 = WGS84_F * (2 - WGS84_F)
#: smallest radius of curvature anywhere on WGS84 (meridional, at the equator), metres
_RHO_MIN_M = WGS84_A_M * (1 - WGS84_E2)


def validate_latlon(lat: npt.ArrayLike, lon: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Return ``lat, lon`` as float64 arrays, or raise ``ValueError`` saying what is wrong.

    Parameters
    ----------
    lat, lon : array-like
        Latitude in [-90, 90] and longitude in [-180, 180], WGS84 degrees.
    """
    la = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    lo = np.atleast_1d(np.asarray(lon, dtype=np.float64))
    if la.shape != lo.shape:
        raise ValueError(f"lat and lon differ in shape: {la.shape} vs {lo.shape}")
    bad = ~np.isfinite(la) | (np.abs(la) > 90)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"latitude must be a number in [-90, 90], got {la[i]!r} at position {i}")
    bad = ~np.isfinite(lo) | (np.abs(lo) > 180)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"longitude must be a number in [-180, 180], got {lo[i]!r} at position {i}"
        )
    return la, lo


def distance_m(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> FloatArray:
    """Geodesic distance on WGS84, metres, element-wise (numpy broadcasting).

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : array-like
        WGS84 degrees.

    Returns
    -------
    numpy.ndarray of float64, the length of the shortest path on the ellipsoid
    (Karney 2013, via ``pyproj.Geod.inv``).
    """
    a, b, c, d = np.broadcast_arrays(
        np.asarray(lat1, dtype=np.float64),
        np.asarray(lon1, dtype=np.float64),
        np.asarray(lat2, dtype=np.float64),
        np.asarray(lon2, dtype=np.float64),
    )
    if a.size == 0:
        return np.zeros(a.shape)
    # pyproj takes longitude first
    _, _, dist = WGS84.inv(
        np.ascontiguousarray(b.ravel()),
        np.ascontiguousarray(a.ravel()),
        np.ascontiguousarray(d.ravel()),
        np.ascontiguousarray(c.ravel()),
    )
    return np.asarray(dist, dtype=np.float64).reshape(a.shape)


def ecef_m(lat: npt.ArrayLike, lon: npt.ArrayLike) -> FloatArray:
    """Earth-centred, Earth-fixed coordinates of points on the WGS84 surface, metres.

    Returns an ``(n, 3)`` float64 array ``x, y, z`` (height 0).
    """
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    lam = np.radians(np.asarray(lon, dtype=np.float64))
    sphi = np.sin(phi)
    n = WGS84_A_M / np.sqrt(1.0 - WGS84_E2 * sphi * sphi)
    cphi = np.cos(phi)
    out = np.empty((phi.size, 3), dtype=np.float64)
    out[:, 0] = (n * cphi * np.cos(lam)).ravel()
    out[:, 1] = (n * cphi * np.sin(lam)).ravel()
    out[:, 2] = (n * (1.0 - WGS84_E2) * sphi).ravel()
    return out


def ecef_point_m(lat: float, lon: float) -> FloatArray:
    """ECEF coordinates of one point on the WGS84 surface as a ``(1, 3)`` array, metres.

    Same formula as :func:`ecef_m`, without array overhead (single checks).
    """
    phi = math.radians(lat)
    lam = math.radians(lon)
    sphi = math.sin(phi)
    n = WGS84_A_M / math.sqrt(1.0 - WGS84_E2 * sphi * sphi)
    cphi = math.cos(phi)
    return np.array(
        [[n * cphi * math.cos(lam), n * cphi * math.sin(lam), n * (1.0 - WGS84_E2) * sphi]]
    )


def check_latlon(lat: float, lon: float) -> tuple[float, float]:
    """Validate one coordinate pair (WGS84 degrees); ``ValueError`` says what is wrong."""
    la = float(lat)
    lo = float(lon)
    if not (math.isfinite(la) and -90.0 <= la <= 90.0):
        raise ValueError(f"latitude must be a number in [-90, 90], got {la!r}")
    if not (math.isfinite(lo) and -180.0 <= lo <= 180.0):
        raise ValueError(f"longitude must be a number in [-180, 180], got {lo!r}")
    return la, lo


def chord_excess_bound_m(distance: float) -> float:
    """Upper bound, metres, on geodesic minus chord for points ``distance`` metres apart.

    A surface curve of length ``s`` whose curvature never exceeds ``1/rho`` spans
    a chord of at least ``2 rho sin(s / 2 rho)``, so the excess is at most
    ``s**3 / (24 rho**2)``; ``rho`` is the smallest radius of curvature of WGS84.
    At 1 km this is 1e-6 m; at 50 km about 0.13 m.
    """
    s = float(distance)
    return s**3 / (24.0 * _RHO_MIN_M**2)
