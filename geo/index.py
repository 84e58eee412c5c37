"""Exact spatial index of points on WGS84 with live insert and delete.

``PointIndex`` answers "which points lie closer than ``max(r_query, r_point)``
to each query" exactly on the WGS84 ellipsoid:

1. a fast filter on the straight 3-D chord between Earth-centred coordinates
   (a sorted grid of cubes, compiled with numba) keeps every pair whose chord is
   below ``R + band``; the chord is never longer than the geodesic, so nothing
   is missed, and there is no antimeridian or pole to special-case;
2. pairs whose chord is below ``R - band`` are inside for certain (the geodesic
   exceeds the chord by less than ``s**3 / (24 rho**2)``, 1e-6 m at 1 km, see
   :func:`geo.geodesic.chord_excess_bound_m`);
3. every pair within ``band`` (1 m by default) of ``R`` is decided by the exact
   geodesic (Karney, ``pyproj.Geod``). Equality ``d == R`` is outside.

Inserts go to a small pending buffer that is scanned directly and merged into
the grid when it grows; deletes are tombstones dropped at the next merge.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from geo import _kernels
from geo._idstore import IdStore
from geo.geodesic import (
    WGS84,
    check_latlon,
    chord_excess_bound_m,
    distance_m,
    ecef_m,
    ecef_point_m,
    validate_latlon,
)

__all__ = ["Pairs", "PointIndex"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: pending inserts scanned by brute force before they are merged into the grid
_PENDING_LIMIT = 512

_NO_INT = np.empty(0, dtype=np.int64)
_NO_FLOAT = np.empty(0, dtype=np.float64)


@dataclass(frozen=True)
class Pairs:
    """Pairs found by a query, sorted by query then distance.

    Attributes
    ----------
    query : int64 array, position of the query in the input
    slot : int64 array, internal slot of the point (see :meth:`PointIndex.ids_of`)
    distance_m : float64 array, geodesic distance on WGS84, metres (NaN when the
        query asked for ``distances=False`` and the pair was decided without it)
    radius_m : float64 array, ``max(r_query, r_point)``, the radius that decided the pair
    point_radius_m : float64 array, the point's own radius, metres
    """

    query: IntArray
    slot: IntArray
    distance_m: FloatArray
    radius_m: FloatArray
    point_radius_m: FloatArray

    def __len__(self) -> int:
        return int(self.query.size)

    def offsets(self, n_queries: int) -> IntArray:
        """CSR offsets: pairs of query ``i`` are ``[offsets[i], offsets[i + 1])``."""
        return np.searchsorted(self.query, np.arange(n_queries + 1)).astype(np.int64)


def _one_value(x: object) -> float | None:
    """``x`` as a float if it is one number, alone or in a list, tuple or 1-element array
    (the single-query fast path of :meth:`PointIndex.query` without numpy conversions);
    None for anything else, which takes the general route."""
    if isinstance(x, float | int) and not isinstance(x, bool):
        return float(x)
    if isinstance(x, list | tuple) and len(x) == 1:
        v = x[0]
        if isinstance(v, float | int) and not isinstance(v, bool):
            return float(v)
    return None


class PointIndex:
    """Points with protection radii, queried exactly on WGS84.

    Parameters
    ----------
    cell_m : float
        Side of the grid cubes, metres. Best near the largest radius in use.
    band_m : float
        Pairs whose chord is within ``band_m`` of the radius are decided by the
        exact geodesic. Must exceed the chord excess at the largest radius.
    max_radius_m : float
        Largest radius accepted (query or point), metres.
    """

    def __init__(
        self, *, cell_m: float = 1000.0, band_m: float = 1.0, max_radius_m: float = 50_000.0
    ) -> None:
        if not cell_m >= 10:
            raise ValueError(f"cell_m must be at least 10 m, got {cell_m}")
        if not band_m > chord_excess_bound_m(max_radius_m + band_m):
            raise ValueError("band_m is smaller than the chord excess at max_radius_m")
        self.cell_m = float(cell_m)
        self.band_m = float(band_m)
        self.max_radius_m = float(max_radius_m)
        self._lock = threading.RLock()
        # per slot (insertion order): coordinates, radius, id (Earth-centred coordinates
        # are kept only in grid order, and computed for pending slots when scanned)
        self._lat = np.empty(0)
        self._lon = np.empty(0)
        self._rad = np.empty(0)
        self._ids = IdStore()
        self._n_slots = 0
        # the merged grid, in cell order
        self._ukeys = np.empty(0, dtype=np.int64)
        self._starts = np.zeros(1, dtype=np.int64)
        self._gslot = np.empty(0, dtype=np.int64)
        self._gxyz = np.empty((0, 3))
        self._grad = np.empty(0)
        self._galive = np.empty(0, dtype=np.bool_)
        self._gpos_of_slot = np.empty(0, dtype=np.int32)  # -1 when not in the grid
        self._grmax = 0.0
        self._pending: dict[int, None] = {}  # insertion-ordered set of slots
        self._pending_xyz: tuple[IntArray, FloatArray] | None = None  # their slots, ECEF
        # reusable output buffers of single queries (used under the lock)
        self._point_buf = (np.empty((64, 3), dtype=np.int64), np.empty((64, 5)))

    # ------------------------------------------------------------------ building
    @classmethod
    def from_points(
        cls,
        ids: Iterable[Hashable],
        lat: npt.ArrayLike,
        lon: npt.ArrayLike,
        radius_m: npt.ArrayLike,
        **options: float,
    ) -> PointIndex:
        """Build an index from arrays (one bulk merge). Ids must be unique."""
        index = cls(**options)
        index.insert_many(ids, lat, lon, radius_m, merge=True)
        return index

    def insert_many(
        self,
        ids: Iterable[Hashable],
        lat: npt.ArrayLike,
        lon: npt.ArrayLike,
        radius_m: npt.ArrayLike,
        *,
        merge: bool = False,
    ) -> None:
        """Insert points; raises ``ValueError`` on a bad coordinate, radius or duplicate id.

        With ``merge=True`` the grid is rebuilt at once (best for bulk loads).
        """
        # integer arrays stay arrays: their ids are stored without Python objects
        id_list = ids if isinstance(ids, np.ndarray) and ids.dtype.kind in "iu" else list(ids)
        la, lo = validate_latlon(lat, lon)
        rad = np.broadcast_to(np.asarray(radius_m, dtype=np.float64), la.shape).copy()
        if len(id_list) != la.size:
            raise ValueError(f"{len(id_list)} ids for {la.size} coordinates")
        self._check_radii(rad)
        with self._lock:
            self._ids.add(id_list)  # raises on a duplicate before anything is stored
            first = self._n_slots
            n = la.size
            self._grow(first + n)
            sl = slice(first, first + n)
            self._lat[sl], self._lon[sl], self._rad[sl] = la, lo, rad
            self._gpos_of_slot[sl] = -1
            self._n_slots = first + n
            if merge or len(self._pending) + n > _PENDING_LIMIT:
                self.merge()  # the new slots go straight to the grid
            else:
                self._pending.update(dict.fromkeys(range(first, first + n)))
                self._pending_xyz = None

    def insert(self, pid: Hashable, lat: float, lon: float, radius_m: float) -> None:
        """Insert one point (visible to the next query)."""
        self.insert_many([pid], [lat], [lon], [radius_m])

    def delete(self, pid: Hashable) -> None:
        """Remove a point; raises ``KeyError`` if the id is unknown."""
        with self._lock:
            slot = self._ids.delete(pid)
            if slot in self._pending:
                del self._pending[slot]
                self._pending_xyz = None
            else:
                self._galive[self._gpos_of_slot[slot]] = False
                self._gpos_of_slot[slot] = -1

    def merge(self) -> None:
        """Rebuild the grid from every live point (pending inserts included)."""
        with self._lock:
            slots = self._ids.live_slots()
            xyz = ecef_m(self._lat[slots], self._lon[slots])
            keys = _kernels.cell_keys(xyz, self.cell_m)
            order = np.argsort(keys, kind="stable")
            keys = keys[order]
            slots = slots[order]
            self._ukeys, first = np.unique(keys, return_index=True)
            self._starts = np.append(first, keys.size).astype(np.int64)
            self._gslot = slots
            self._gxyz = np.ascontiguousarray(xyz[order])
            del xyz
            self._grad = self._rad[slots].copy()
            self._galive = np.ones(slots.size, dtype=np.bool_)
            self._gpos_of_slot[: self._n_slots] = -1
            self._gpos_of_slot[slots] = np.arange(slots.size, dtype=np.int32)
            self._grmax = float(self._grad.max()) if slots.size else 0.0
            self._pending.clear()
            self._pending_xyz = None

    def _grow(self, need: int) -> None:
        cap = self._lat.size
        if need <= cap:
            return
        new = max(need, 2 * cap, 1024)
        for name in ("_lat", "_lon", "_rad"):
            arr = np.empty(new)
            arr[:cap] = getattr(self, name)
            setattr(self, name, arr)
        pos = np.full(new, -1, dtype=np.int32)
        pos[:cap] = self._gpos_of_slot
        self._gpos_of_slot = pos

    def _check_radii(self, rad: FloatArray) -> None:
        bad = ~np.isfinite(rad) | (rad < 0) | (rad > self.max_radius_m)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"radius_m must be in [0, {self.max_radius_m:g}], got {rad[i]!r} at position {i}"
            )

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, pid: object) -> bool:
        return pid in self._ids

    def ids_of(self, slots: npt.ArrayLike) -> npt.NDArray[np.object_]:
        """Point ids of internal slots, as an object array (integer ids as Python ints,
        text ids as Python strs, other ids as given)."""
        return self._ids.ids_of(np.asarray(slots, dtype=np.int64))

    def id_of(self, slot: int) -> Hashable:
        """Point id of one internal slot."""
        return self._ids.id_of(slot)

    def slot_of(self, pid: Hashable) -> int:
        """Internal slot of a live point id; raises ``KeyError`` if unknown."""
        return self._ids.slot_of(pid)

    def point(self, pid: Hashable) -> tuple[float, float, float]:
        """``(lat, lon, radius_m)`` of a live point; raises ``KeyError`` if unknown."""
        s = self._ids.slot_of(pid)
        return float(self._lat[s]), float(self._lon[s]), float(self._rad[s])

    def live_slots(self) -> IntArray:
        """Slots of every live point, ascending (insertion order)."""
        return self._ids.live_slots()

    def coords(self, slots: npt.ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
        """``lat, lon, radius_m`` arrays of the given slots."""
        s = np.asarray(slots, dtype=np.int64)
        return self._lat[s], self._lon[s], self._rad[s]

    # ------------------------------------------------------------------ querying
    def query(
        self,
        lat: npt.ArrayLike,
        lon: npt.ArrayLike,
        radius_m: npt.ArrayLike = 0.0,
        *,
        distances: bool | Literal["chord"] = True,
    ) -> Pairs:
        """Every live point p with ``geodesic(q, p) < max(r_q, r_p)``, for each query q.

        Parameters
        ----------
        lat, lon : array-like, WGS84 degrees of the queries
        radius_m : float or array-like, each query's own radius, metres
        distances : True: the geodesic of every pair. False: pairs decided by the
            chord alone may carry NaN (fastest, for counting). ``"chord"``: those pairs
            carry the straight 3-D chord instead, which is shorter than the geodesic
            by less than ``s**3 / (24 rho**2)`` (3e-5 m at 3 km): for models such as
            distance decay, not for decisions. Pairs in the band always carry the
            geodesic. Which pairs are returned never depends on this option.

        Returns
        -------
        Pairs sorted by query, then by distance.
        """
        one = _one_value(lat), _one_value(lon), _one_value(radius_m)
        if one[0] is not None and one[1] is not None and one[2] is not None:
            return self.query_point(one[0], one[1], one[2], distances=distances)
        if np.size(lat) == 1 and np.size(lon) == 1 and np.size(radius_m) == 1:
            return self.query_point(
                float(np.ravel(lat)[0]),
                float(np.ravel(lon)[0]),
                float(np.ravel(radius_m)[0]),
                distances=distances,
            )
        return self._query_batch(lat, lon, radius_m, distances=distances)

    def query_reach(
        self,
        lat: npt.ArrayLike,
        lon: npt.ArrayLike,
        radius_m: npt.ArrayLike = 0.0,
        *,
        distances: Literal[True, "chord"] = True,
    ) -> Pairs:
        """The pairs within reach of each query q: every live point p whose chord to q is
        below ``max(r_q, r_p) + band_m``, a superset of :meth:`query`'s pairs, left for the
        caller to decide (the protection rule, ``planning.protection.decide_pairs``).

        The pairs that :meth:`query` would decide by the geodesic in the band (within
        ``band_m`` of ``max(r_q, r_p)``) are kept here whatever their distance, and carry
        their exact geodesic; every other pair lies inside for certain (its chord is below
        ``max(r_q, r_p) - band_m``). So ``distance_m < radius_m`` on these pairs gives
        exactly :meth:`query`'s pairs.

        Parameters
        ----------
        lat, lon : array-like, WGS84 degrees of the queries
        radius_m : float or array-like, each query's own radius, metres
        distances : True: the geodesic of every pair. ``"chord"``: the pairs inside for
            certain carry the 3-D chord (shorter than the geodesic by less than
            ``s**3 / (24 rho**2)``), the band's pairs the geodesic (see :meth:`query`)

        Returns
        -------
        Pairs sorted by query, then by distance.
        """
        if distances is not True and distances != "chord":
            raise ValueError(f"distances must be True or 'chord', got {distances!r}")
        return self._query_batch(lat, lon, radius_m, distances=distances, decide=False)

    def _query_batch(
        self,
        lat: npt.ArrayLike,
        lon: npt.ArrayLike,
        radius_m: npt.ArrayLike,
        *,
        distances: bool | Literal["chord"],
        decide: bool = True,
    ) -> Pairs:
        la, lo = validate_latlon(lat, lon)
        rq = np.broadcast_to(np.asarray(radius_m, dtype=np.float64), la.shape).copy()
        self._check_radii(rq)
        qxyz = ecef_m(la, lo)
        with self._lock:
            if self._pending and (len(self._pending) > 64 and la.size > 64):
                self.merge()
            q, slot, chord, flag, r, prad = self._grid_pairs(qxyz, rq)
            if self._pending:
                extra = self._pending_pairs(qxyz, rq)
                merged = [np.concatenate([a, b]) for a, b in zip(
                    (q, slot, chord, flag, r, prad), extra, strict=True)]  # fmt: skip
                order = np.lexsort((merged[1], merged[2], merged[0]))
                q, slot, chord = merged[0][order], merged[1][order], merged[2][order]
                flag = merged[3][order]
                r, prad = merged[4][order], merged[5][order]
            border = np.flatnonzero(flag == _kernels.BORDER)
            if distances is True:
                dist = distance_m(la[q], lo[q], self._lat[slot], self._lon[slot])
            else:
                dist = chord if distances == "chord" else _kernels.nan_array(q.size)
                dist[border] = distance_m(
                    la[q[border]], lo[q[border]], self._lat[slot[border]], self._lon[slot[border]]
                )
        # pairs within the band are decided by the geodesic; d == R is outside
        out = border[~(dist[border] < r[border])] if decide else _NO_INT
        if out.size:
            n = _kernels.drop_pairs(out, q, slot, dist, r, prad)
            q, slot, dist, r, prad = q[:n], slot[:n], dist[:n], r[:n], prad[:n]
        if distances is True:
            # each query's pairs are sorted by chord; the geodesic order can differ only
            # between pairs whose distances agree to about a micrometre
            same = q[1:] == q[:-1]
            if np.any(same & ((dist[1:] < dist[:-1]) | (dist[1:] == dist[:-1]))):
                offsets = np.searchsorted(q, np.arange(la.size + 1)).astype(np.int64)
                order = _kernels.segment_order(offsets, dist, slot)
                q, slot, dist, r, prad = q[order], slot[order], dist[order], r[order], prad[order]
        return Pairs(q, slot, dist, r, prad)

    def query_point(
        self,
        lat: float,
        lon: float,
        radius_m: float = 0.0,
        *,
        distances: bool | Literal["chord"] = True,
    ) -> Pairs:
        """:meth:`query` for one location, with less overhead.

        The answer is the same as ``query([lat], [lon], [radius_m], distances=...)``; see
        :meth:`query_point_rows` for the options.
        """
        if distances is not True:  # the geodesic only for the pairs in the band
            la, lo, r_q = self._check_point(lat, lon, radius_m)
            with self._lock:
                if not self._pending:
                    return self._point_pairs(la, lo, r_q, keep_chord=distances == "chord")
        rows = self.query_point_rows(lat, lon, radius_m, distances=distances)
        n = len(rows)
        if not n:
            return Pairs(_NO_INT, _NO_INT, _NO_FLOAT, _NO_FLOAT, _NO_FLOAT)
        return Pairs(
            np.zeros(n, dtype=np.int64),
            np.array([f[1] for f in rows], dtype=np.int64),
            np.array([f[0] for f in rows], dtype=np.float64),
            np.array([f[2] for f in rows], dtype=np.float64),
            np.array([f[3] for f in rows], dtype=np.float64),
        )

    def _point_pairs(self, la: float, lo: float, r_q: float, *, keep_chord: bool) -> Pairs:
        """The grid pairs of one query as :class:`Pairs` in chord order (caller holds the
        lock; no pending inserts): one kernel call, then the exact geodesic for the pairs
        in the band only (those with ``d >= R`` dropped), never a Python loop over every
        pair. Pairs decided by the chord carry the chord (``keep_chord``) or NaN; the same
        pairs and values as :meth:`query_point_rows` with ``distances`` False or
        ``"chord"``."""
        n, n_band = self._scan_point(la, lo, r_q)
        if not n:
            return Pairs(_NO_INT, _NO_INT, _NO_FLOAT, _NO_FLOAT, _NO_FLOAT)
        buf_i, buf_f = self._point_buf
        if keep_chord:
            dist = buf_f[:n, 0].copy()
        else:
            dist = np.empty(n)
            dist.fill(math.nan)
        out: list[int] = []
        if n_band:
            inv = WGS84.inv
            for k in buf_i[:n_band, 2].tolist():  # the band pairs' positions
                d = inv(lo, la, float(buf_f[k, 4]), float(buf_f[k, 3]))[2]
                if d < buf_f[k, 1]:  # the band: the geodesic decides; d == R is out
                    dist[k] = d
                else:
                    out.append(k)
        if out:
            keep = np.ones(n, dtype=np.bool_)
            keep[out] = False
            m = n - len(out)
            return Pairs(np.zeros(m, dtype=np.int64), buf_i[:n, 0][keep], dist[keep],
                         buf_f[:n, 1][keep], buf_f[:n, 2][keep])  # fmt: skip
        return Pairs(np.zeros(n, dtype=np.int64), buf_i[:n, 0].copy(), dist,
                     buf_f[:n, 1].copy(), buf_f[:n, 2].copy())  # fmt: skip

    def _check_point(self, lat: float, lon: float, radius_m: float) -> tuple[float, float, float]:
        la, lo = check_latlon(lat, lon)
        r_q = float(radius_m)
        if not (math.isfinite(r_q) and 0.0 <= r_q <= self.max_radius_m):
            raise ValueError(f"radius_m must be in [0, {self.max_radius_m:g}], got {r_q!r}")
        return la, lo, r_q

    def _scan_point(self, la: float, lo: float, r_q: float) -> tuple[int, int]:
        """The grid pairs of one query into ``self._point_buf`` (caller holds the lock):
        their number and how many lie in the band."""
        while True:
            buf_i, buf_f = self._point_buf
            n, n_band = _kernels.scan_point(la, lo, r_q, self._ukeys, self._starts, self._gxyz,
                                            self._grad, self._galive, self.cell_m, self._grmax,
                                            self.band_m, self._gslot, self._lat, self._lon,
                                            buf_i, buf_f)  # fmt: skip
            if n <= buf_i.shape[0]:
                return int(n), int(n_band)
            self._point_buf = (np.empty((2 * n, 3), dtype=np.int64), np.empty((2 * n, 5)))

    def query_point_rows(
        self,
        lat: float,
        lon: float,
        radius_m: float = 0.0,
        *,
        distances: bool | Literal["chord"] = True,
    ) -> list[tuple[float, int, float, float]]:
        """The pairs of one location as plain tuples: the single-check fast path.

        Parameters
        ----------
        lat, lon : float, WGS84 degrees
        radius_m : float, the query's own radius, metres
        distances : True (default): the geodesic of every pair, sorted by it. False: pairs
            decided by the chord carry NaN; ``"chord"``: they carry the chord (see
            :meth:`query`); both keep the chord order. Pairs within the band are always
            decided and carried by the exact geodesic.

        Returns
        -------
        list of ``(distance_m, slot, radius_m, point_radius_m)``, nearest first, with
        ``radius_m = max(r_query, r_point)``; the same pairs and values as
        ``query([lat], [lon], [radius_m], distances=...)``.
        """
        la, lo, r_q = self._check_point(lat, lon, radius_m)
        with self._lock:
            n, _ = self._scan_point(la, lo, r_q)
            buf_i, buf_f = self._point_buf
            # plain lists: per-pair work below stays in Python floats and ints
            ints = buf_i[:n, :2].tolist()
            floats = buf_f[:n].tolist()
            pending = bool(self._pending)
            if pending:  # recent inserts, not yet in the grid: scanned directly
                _, s2, c2, f2, r2, p2 = self._pending_pairs(ecef_point_m(la, lo), np.array([r_q]))
                ints += [[s, f] for s, f in zip(s2.tolist(), f2.tolist(), strict=True)]
                floats += [[c, r, p, self._lat[s], self._lon[s]] for s, c, r, p in zip(
                    s2.tolist(), c2.tolist(), r2.tolist(), p2.tolist(), strict=True)]  # fmt: skip
        inv = WGS84.inv
        sure = int(_kernels.SURE)
        exact = distances is True
        keep_chord = distances == "chord"
        found: list[tuple[float, int, float, float, float]] = []
        for (s, f), (c, r, p, plat, plon) in zip(ints, floats, strict=True):
            if f != sure or exact:
                d = inv(lo, la, plon, plat)[2]  # scalar Karney: no array overhead
                if f != sure and not d < r:  # the band: the geodesic decides; d == R is out
                    continue
            else:
                d = c if keep_chord else math.nan
            found.append((d if exact else c, s, d, r, p))
        if exact or pending:
            found.sort()  # by distance (or chord), then slot
        return [(d, s, r, p) for _, s, d, r, p in found]

    def _grid_pairs(
        self, qxyz: FloatArray, rq: FloatArray
    ) -> tuple[IntArray, IntArray, FloatArray, npt.NDArray[np.int8], FloatArray, FloatArray]:
        args = (
            qxyz,
            rq,
            self._ukeys,
            self._starts,
            self._gxyz,
            self._grad,
            self._galive,
            self.cell_m,
            self._grmax,
            self.band_m,
        )
        serial = qxyz.shape[0] < 64
        count = _kernels.count_pairs_serial if serial else _kernels.count_pairs
        fill = _kernels.fill_pairs_serial if serial else _kernels.fill_pairs
        counts = count(*args)
        offsets = np.zeros(counts.size + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        return fill(*args, self._gslot, offsets)

    def _pending_pairs(
        self, qxyz: FloatArray, rq: FloatArray
    ) -> tuple[IntArray, IntArray, FloatArray, npt.NDArray[np.int8], FloatArray, FloatArray]:
        if self._pending_xyz is None:
            s = np.fromiter(self._pending, dtype=np.int64, count=len(self._pending))
            self._pending_xyz = s, ecef_m(self._lat[s], self._lon[s])
        slots, pxyz = self._pending_xyz
        d2 = ((qxyz[:, None, :] - pxyz[None, :, :]) ** 2).sum(axis=2)
        r = np.maximum(rq[:, None], self._rad[slots][None, :])
        hit_q, hit_p = np.nonzero(d2 < (r + self.band_m) ** 2)
        chord = np.sqrt(d2[hit_q, hit_p])
        lo = r[hit_q, hit_p] - self.band_m
        flag = np.where((lo > 0) & (chord < lo), _kernels.SURE, _kernels.BORDER).astype(np.int8)
        return (
            hit_q.astype(np.int64),
            slots[hit_p],
            chord,
            flag,
            r[hit_q, hit_p],
            self._rad[slots[hit_p]],
        )

    def self_pairs(self, *, distances: bool = True, reach: bool = False) -> Pairs:
        """Every pair of live points a, b (``slot_a < slot_b``) with ``d < max(r_a, r_b)``.

        ``query`` holds the slot of ``a`` and ``slot`` the slot of ``b``. With
        ``reach=True``, every pair within reach instead, as :meth:`query_reach` finds them
        (``distances`` True), for the caller to decide.
        """
        with self._lock:
            slots = self.live_slots()
            lat, lon, rad = self.coords(slots)
            if reach:
                pairs = self.query_reach(lat, lon, rad)
            else:
                pairs = self.query(lat, lon, rad, distances=distances)
        a = slots[pairs.query]
        keep = a < pairs.slot
        return Pairs(
            a[keep],
            pairs.slot[keep],
            pairs.distance_m[keep],
            pairs.radius_m[keep],
            pairs.point_radius_m[keep],
        )
