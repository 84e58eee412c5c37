"""Compiled kernels of the point index: a sorted 3-D grid over ECEF coordinates.

Cells are cubes of side ``cell_m`` in Earth-centred coordinates. A cell's key
packs its three integer coordinates into one int64 (21 bits each), so sorting
by key groups points by cell and, for fixed x and y, the cells along z form one
contiguous key range: a neighbourhood costs one binary search per (x, y) column.

Each kernel compares squared chord lengths with ``(R +- band)**2`` where
``R = max(r_query, r_point)``; the caller decides the band with the geodesic.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["cell_keys", "count_pairs", "fill_pairs"]

_OFF = 1 << 20
_MASK = (1 << 21) - 1

#: pair flags written by :func:`fill_pairs`
SURE = np.int8(1)
BORDER = np.int8(2)


@njit(cache=True)
def _key(ix: int, iy: int, iz: int) -> int:
    return ((ix + _OFF) << 42) | ((iy + _OFF) << 21) | (iz + _OFF)


@njit(cache=True)
def cell_keys(xyz: np.ndarray, cell_m: float) -> np.ndarray:
    """Cell key of each row of an ``(n, 3)`` ECEF array, metres."""
    n = xyz.shape[0]
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        out[i] = _key(
            int(np.floor(xyz[i, 0] / cell_m)),
            int(np.floor(xyz[i, 1] / cell_m)),
            int(np.floor(xyz[i, 2] / cell_m)),
        )
    return out


@njit(cache=True)
def _lower_bound(a: np.ndarray, v: int) -> int:
    lo = 0
    hi = a.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if a[mid] < v:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True)
def _box_gap2(q: float, lo: float, hi: float) -> float:
    if q < lo:
        return (lo - q) * (lo - q)
    if q > hi:
        return (q - hi) * (q - hi)
    return 0.0


@njit(cache=True)
def _scan(
    i: int,
    qxyz: np.ndarray,
    qrad: np.ndarray,
    ukeys: np.ndarray,
    starts: np.ndarray,
    pxyz: np.ndarray,
    prad: np.ndarray,
    palive: np.ndarray,
    cell_m: float,
    rmax_points: float,
    band_m: float,
    out_pos: np.ndarray,
    out_chord: np.ndarray,
    out_flag: np.ndarray,
    base: int,
    write: bool,
) -> int:
    """Visit every live point within reach of query ``i``; count or write the pairs."""
    qx = qxyz[i, 0]
    qy = qxyz[i, 1]
    qz = qxyz[i, 2]
    rq = qrad[i]
    reach = max(rq, rmax_points) + band_m
    reach2 = reach * reach
    cx = int(np.floor(qx / cell_m))
    cy = int(np.floor(qy / cell_m))
    cz = int(np.floor(qz / cell_m))
    k = int(np.ceil(reach / cell_m))
    n = 0
    for dx in range(-k, k + 1):
        gx = _box_gap2(qx, (cx + dx) * cell_m, (cx + dx + 1) * cell_m)
        if gx > reach2:
            continue
        for dy in range(-k, k + 1):
            gxy = gx + _box_gap2(qy, (cy + dy) * cell_m, (cy + dy + 1) * cell_m)
            if gxy > reach2:
                continue
            kmin = _key(cx + dx, cy + dy, cz - k)
            kmax = _key(cx + dx, cy + dy, cz + k)
            u = _lower_bound(ukeys, kmin)
            while u < ukeys.shape[0] and ukeys[u] <= kmax:
                iz = (ukeys[u] & _MASK) - _OFF
                g = gxy + _box_gap2(qz, iz * cell_m, (iz + 1) * cell_m)
                if g <= reach2:
                    for j in range(starts[u], starts[u + 1]):
                        if not palive[j]:
                            continue
                        ddx = pxyz[j, 0] - qx
                        ddy = pxyz[j, 1] - qy
                        ddz = pxyz[j, 2] - qz
                        d2 = ddx * ddx + ddy * ddy + ddz * ddz
                        r = prad[j] if prad[j] > rq else rq
                        hi = r + band_m
                        if d2 < hi * hi:
                            if write:
                                lo = r - band_m
                                out_pos[base + n] = j
                                out_chord[base + n] = np.sqrt(d2)
                                out_flag[base + n] = 1 if (lo > 0 and d2 < lo * lo) else 2
                            n += 1
                u += 1
    return n


@njit(cache=True, parallel=True)
def count_pairs(
    qxyz: np.ndarray,
    qrad: np.ndarray,
    ukeys: np.ndarray,
    starts: np.ndarray,
    pxyz: np.ndarray,
    prad: np.ndarray,
    palive: np.ndarray,
    cell_m: float,
    rmax_points: float,
    band_m: float,
) -> np.ndarray:
    """Number of candidate pairs (chord below ``R + band``) for each query."""
    m = qxyz.shape[0]
    counts = np.zeros(m, dtype=np.int64)
    dummy_i = np.empty(0, dtype=np.int64)
    dummy_f = np.empty(0, dtype=np.float64)
    dummy_b = np.empty(0, dtype=np.int8)
    for i in prange(m):
        counts[i] = _scan(
            i, qxyz, qrad, ukeys, starts, pxyz, prad, palive, cell_m, rmax_points, band_m,
            dummy_i, dummy_f, dummy_b, 0, False,
        )  # fmt: skip
    return counts


@njit(cache=True, parallel=True)
def fill_pairs(
    qxyz: np.ndarray,
    qrad: np.ndarray,
    ukeys: np.ndarray,
    starts: np.ndarray,
    pxyz: np.ndarray,
    prad: np.ndarray,
    palive: np.ndarray,
    cell_m: float,
    rmax_points: float,
    band_m: float,
    offsets: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Write the pairs counted by :func:`count_pairs` at ``offsets`` (CSR layout).

    Returns the sorted-point position, the chord (metres) and the flag
    (1: inside ``R - band``, sure; 2: within the band, to be decided exactly).
    """
    m = qxyz.shape[0]
    total = offsets[m]
    out_pos = np.empty(total, dtype=np.int64)
    out_chord = np.empty(total, dtype=np.float64)
    out_flag = np.empty(total, dtype=np.int8)
    for i in prange(m):
        _scan(
            i, qxyz, qrad, ukeys, starts, pxyz, prad, palive, cell_m, rmax_points, band_m,
            out_pos, out_chord, out_flag, offsets[i], True,
        )  # fmt: skip
    return out_pos, out_chord, out_flag
