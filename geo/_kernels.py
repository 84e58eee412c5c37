"""Compiled kernels of the point index: a sorted 3-D grid over ECEF coordinates.

Cells are cubes of side ``cell_m`` in Earth-centred coordinates. A cell's key
packs its three integer coordinates into one int64 (21 bits each), so sorting
by key groups points by cell and, for fixed x and y, the cells along z form one
contiguous key range: a neighbourhood costs one binary search per (x, y) column.

Each kernel compares squared chord lengths with ``(R +- band)**2`` where
``R = max(r_query, r_point)``; the caller decides the band with the geodesic.
"""

from __future__ import annotations

import os

# numba's OpenMP threads busy-wait after each parallel kernel and would starve the
# serial single-point checks that follow (10-fold in a server); let them sleep. This
# must be set before the OpenMP runtime starts, i.e. before the first parallel kernel.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import math  # noqa: E402

import numpy as np  # noqa: E402
from numba import njit, prange  # noqa: E402

__all__ = [
    "cell_keys",
    "count_pairs",
    "count_pairs_serial",
    "drop_pairs",
    "fill_pairs",
    "fill_pairs_serial",
    "nan_array",
    "scan_point",
    "segment_order",
]

#: WGS84 semi-major axis (m) and first eccentricity squared, as in :mod:`geo.geodesic`
_A_M = 6378137.0
_F = 1 / 298.257223563
_E2 = _F * (2 - _F)

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
    gslot: np.ndarray,
    out_slot: np.ndarray,
    out_chord: np.ndarray,
    out_flag: np.ndarray,
    out_r: np.ndarray,
    out_prad: np.ndarray,
    base: int,
    write: bool,
) -> int:
    """Visit every live point within reach of query ``i``; count or write the pairs.

    Returns the number of pairs; writes (``write``) only those that fit in the outputs.
    """
    qx = qxyz[i, 0]
    qy = qxyz[i, 1]
    qz = qxyz[i, 2]
    rq = qrad[i]
    reach = max(rq, rmax_points) + band_m
    reach2 = reach * reach
    # the cells a sphere of radius `reach` around q can touch, per axis
    x0 = int(np.floor((qx - reach) / cell_m))
    x1 = int(np.floor((qx + reach) / cell_m))
    y0 = int(np.floor((qy - reach) / cell_m))
    y1 = int(np.floor((qy + reach) / cell_m))
    z0 = int(np.floor((qz - reach) / cell_m))
    z1 = int(np.floor((qz + reach) / cell_m))
    n = 0
    for ix in range(x0, x1 + 1):
        gx = _box_gap2(qx, ix * cell_m, (ix + 1) * cell_m)
        if gx > reach2:
            continue
        for iy in range(y0, y1 + 1):
            gxy = gx + _box_gap2(qy, iy * cell_m, (iy + 1) * cell_m)
            if gxy > reach2:
                continue
            kmin = _key(ix, iy, z0)
            kmax = _key(ix, iy, z1)
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
                            if write and base + n < out_slot.shape[0]:
                                lo = r - band_m
                                out_slot[base + n] = gslot[j]
                                out_chord[base + n] = np.sqrt(d2)
                                out_flag[base + n] = 1 if (lo > 0 and d2 < lo * lo) else 2
                                out_r[base + n] = r
                                out_prad[base + n] = prad[j]
                            n += 1
                u += 1
    return n


@njit(cache=True)
def _count_one(
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
) -> int:
    di = np.empty(0, dtype=np.int64)
    df = np.empty(0, dtype=np.float64)
    db = np.empty(0, dtype=np.int8)
    return _scan(
        i, qxyz, qrad, ukeys, starts, pxyz, prad, palive, cell_m, rmax_points, band_m,
        di, di, df, db, df, df, 0, False,
    )  # fmt: skip


@njit(cache=True)
def _fill_one(
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
    gslot: np.ndarray,
    lo: int,
    out_q: np.ndarray,
    out_slot: np.ndarray,
    out_chord: np.ndarray,
    out_flag: np.ndarray,
    out_r: np.ndarray,
    out_prad: np.ndarray,
) -> None:
    """Write query ``i``'s pairs from ``lo`` on, sorted by (chord, slot)."""
    hi = lo + _scan(
        i, qxyz, qrad, ukeys, starts, pxyz, prad, palive, cell_m, rmax_points, band_m,
        gslot, out_slot, out_chord, out_flag, out_r, out_prad, lo, True,
    )  # fmt: skip
    out_q[lo:hi] = i
    # insertion sort of the (short) segment by (chord, slot)
    for a in range(lo + 1, hi):
        c, s, f, r, p = out_chord[a], out_slot[a], out_flag[a], out_r[a], out_prad[a]
        b = a - 1
        while b >= lo and (out_chord[b] > c or (out_chord[b] == c and out_slot[b] > s)):
            out_chord[b + 1] = out_chord[b]
            out_slot[b + 1] = out_slot[b]
            out_flag[b + 1] = out_flag[b]
            out_r[b + 1] = out_r[b]
            out_prad[b + 1] = out_prad[b]
            b -= 1
        out_chord[b + 1] = c
        out_slot[b + 1] = s
        out_flag[b + 1] = f
        out_r[b + 1] = r
        out_prad[b + 1] = p


@njit(cache=True)
def _alloc_pairs(
    total: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.empty(total, dtype=np.int64),
        np.empty(total, dtype=np.int64),
        np.empty(total, dtype=np.float64),
        np.empty(total, dtype=np.int8),
        np.empty(total, dtype=np.float64),
        np.empty(total, dtype=np.float64),
    )


# The parallel versions serve batches, the serial ones single queries (no thread start-up).
# They are distinct functions on purpose: numba's on-disk cache is keyed by the function,
# so one Python function compiled both ways would load either version for both.


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
    """Number of candidate pairs (chord below ``R + band``) of each query (threads)."""
    m = qxyz.shape[0]
    counts = np.zeros(m, dtype=np.int64)
    for i in prange(m):
        counts[i] = _count_one(
            i, qxyz, qrad, ukeys, starts, pxyz, prad, palive, cell_m, rmax_points, band_m
        )
    return counts


@njit(cache=True)
def count_pairs_serial(
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
    """:func:`count_pairs` on the calling thread."""
    m = qxyz.shape[0]
    counts = np.zeros(m, dtype=np.int64)
    for i in range(m):
        counts[i] = _count_one(
            i, qxyz, qrad, ukeys, starts, pxyz, prad, palive, cell_m, rmax_points, band_m
        )
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
    gslot: np.ndarray,
    offsets: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Write the pairs counted by :func:`count_pairs` at ``offsets`` (CSR layout; threads).

    Each query's pairs come sorted by chord, then slot. Returns per pair the
    query, the point's slot, the chord (metres), the flag (1: inside ``R - band``,
    sure; 2: within the band, to be decided exactly), ``R = max(r_q, r_p)`` and ``r_p``.
    """
    m = qxyz.shape[0]
    out = _alloc_pairs(int(offsets[m]))
    for i in prange(m):
        _fill_one(
            i, qxyz, qrad, ukeys, starts, pxyz, prad, palive, cell_m, rmax_points, band_m,
            gslot, offsets[i], out[0], out[1], out[2], out[3], out[4], out[5],
        )  # fmt: skip
    return out


@njit(cache=True)
def fill_pairs_serial(
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
    gslot: np.ndarray,
    offsets: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`fill_pairs` on the calling thread."""
    m = qxyz.shape[0]
    out = _alloc_pairs(int(offsets[m]))
    for i in range(m):
        _fill_one(
            i, qxyz, qrad, ukeys, starts, pxyz, prad, palive, cell_m, rmax_points, band_m,
            gslot, offsets[i], out[0], out[1], out[2], out[3], out[4], out[5],
        )  # fmt: skip
    return out


@njit(cache=True, parallel=True)
def segment_order(offsets: np.ndarray, key: np.ndarray, tie: np.ndarray) -> np.ndarray:
    """Permutation sorting each CSR segment ``[offsets[i], offsets[i+1])`` by ``(key, tie)``.

    Segments are short (the conflicts of one candidate): insertion sort.
    """
    m = offsets.shape[0] - 1
    perm = np.arange(offsets[m])
    for i in prange(m):
        lo = offsets[i]
        hi = offsets[i + 1]
        for a in range(lo + 1, hi):
            v = perm[a]
            b = a - 1
            while b >= lo and (
                key[perm[b]] > key[v] or (key[perm[b]] == key[v] and tie[perm[b]] > tie[v])
            ):
                perm[b + 1] = perm[b]
                b -= 1
            perm[b + 1] = v
    return perm


@njit(cache=True)
def scan_point(
    lat: float,
    lon: float,
    radius_m: float,
    ukeys: np.ndarray,
    starts: np.ndarray,
    pxyz: np.ndarray,
    prad: np.ndarray,
    palive: np.ndarray,
    cell_m: float,
    rmax_points: float,
    band_m: float,
    gslot: np.ndarray,
    plat: np.ndarray,
    plon: np.ndarray,
    out_int: np.ndarray,
    out_float: np.ndarray,
) -> tuple[int, int]:
    """The pairs of one query at ``lat, lon`` (WGS84 degrees) with radius ``radius_m``, in
    one call: ECEF coordinates, grid scan and sort, written to reusable buffers.

    ``out_int`` (n, 3) gets per pair the slot and the flag (1 sure, 2 band), and in its
    third column, rows ``0 .. n_band - 1``, the positions of the band pairs; ``out_float``
    (n, 5) the chord, ``R = max(r_q, r_p)``, ``r_p`` and the point's lat, lon (from
    ``plat, plon`` by slot), sorted by (chord, slot). Returns the number of pairs and how many
    of them lie in the band; when the first exceeds the buffers' length nothing is written
    in order and the caller retries with larger buffers.
    The single-check path of the index: one dispatch instead of several, no allocation of
    outputs (same formulas as :func:`geo.geodesic.ecef_point_m` and :func:`fill_pairs`).
    """
    phi = math.radians(lat)
    lam = math.radians(lon)
    sphi = math.sin(phi)
    nn = _A_M / math.sqrt(1.0 - _E2 * sphi * sphi)
    cphi = math.cos(phi)
    qxyz = np.empty((1, 3))
    qxyz[0, 0] = nn * cphi * math.cos(lam)
    qxyz[0, 1] = nn * cphi * math.sin(lam)
    qxyz[0, 2] = nn * (1.0 - _E2) * sphi
    qrad = np.empty(1)
    qrad[0] = radius_m
    cap = out_int.shape[0]
    o_slot = np.empty(cap, dtype=np.int64)
    o_chord = np.empty(cap)
    o_flag = np.empty(cap, dtype=np.int8)
    o_r = np.empty(cap)
    o_prad = np.empty(cap)
    n = _scan(
        0, qxyz, qrad, ukeys, starts, pxyz, prad, palive, cell_m, rmax_points, band_m,
        gslot, o_slot, o_chord, o_flag, o_r, o_prad, 0, True,
    )  # fmt: skip
    if n > cap:
        return n, 0
    # insertion sort by (chord, slot), as in _fill_one
    for a in range(1, n):
        c, s, f, r, p = o_chord[a], o_slot[a], o_flag[a], o_r[a], o_prad[a]
        b = a - 1
        while b >= 0 and (o_chord[b] > c or (o_chord[b] == c and o_slot[b] > s)):
            o_chord[b + 1] = o_chord[b]
            o_slot[b + 1] = o_slot[b]
            o_flag[b + 1] = o_flag[b]
            o_r[b + 1] = o_r[b]
            o_prad[b + 1] = o_prad[b]
            b -= 1
        o_chord[b + 1] = c
        o_slot[b + 1] = s
        o_flag[b + 1] = f
        o_r[b + 1] = r
        o_prad[b + 1] = p
    n_band = 0
    for k in range(n):
        s = o_slot[k]
        out_int[k, 0] = s
        out_int[k, 1] = o_flag[k]
        if o_flag[k] != 1:
            out_int[n_band, 2] = k
            n_band += 1
        out_float[k, 0] = o_chord[k]
        out_float[k, 1] = o_r[k]
        out_float[k, 2] = o_prad[k]
        out_float[k, 3] = plat[s]
        out_float[k, 4] = plon[s]
    return n, n_band


@njit(cache=True)
def drop_pairs(
    drop: np.ndarray,
    q: np.ndarray,
    slot: np.ndarray,
    dist: np.ndarray,
    r: np.ndarray,
    prad: np.ndarray,
) -> int:
    """Remove the pairs at the sorted positions ``drop``, in place; returns the new length.

    In place on purpose: a handful of band pairs leave arrays of millions, and
    fresh copies would cost more than the shift.
    """
    n = q.shape[0]
    w = 0
    k = 0
    for i in range(n):
        if k < drop.shape[0] and drop[k] == i:
            k += 1
            continue
        if w != i:
            q[w] = q[i]
            slot[w] = slot[i]
            dist[w] = dist[i]
            r[w] = r[i]
            prad[w] = prad[i]
        w += 1
    return w


@njit(cache=True)
def nan_array(n: int) -> np.ndarray:
    """A float64 array of ``n`` NaN (allocated by numba, like the pair arrays)."""
    return np.full(n, np.nan)
