"""The network counted per H3 cell for the map's national view, kept current as points change.

One :class:`DensityModel` per :class:`~api.service.Service` (:func:`density_model`). It is
built once (in the background at start-up, :func:`api.routes.density.warm_up`, or by the
first request): every stored point's location, kind and status, read by id pages; each
point's H3 cell at resolutions 2 to 6; and per resolution the points grouped by cell with
the cell's count, live count (a protecting kind and status), centre and the extent of its
points. From then on the store is never re-read: each request first applies the point
entries the service's change feed (:mod:`api.services.changes`) handed on since the last one
(a point created, moved, re-statused or deleted: its old contribution is taken away and its
current state, read by id, added), so the counts follow this worker's writes at once and
another worker's within ``sync_interval_s``. A seeding of the whole network (entity id
``*``) rebuilds them. A bbox is then counted from the per-cell totals of the cells whose
points all lie inside it, and point by point only in the cells its edge cuts, in a few
milliseconds at 250,000 points (the former per-request pass over every point took about
90 ms, and a re-read of the store after any change about 5 s).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

import h3
import numpy as np
import numpy.typing as npt

from api.service import Service
from data.errors import NotFoundError

__all__ = ["MAX_RESOLUTION", "MIN_RESOLUTION", "CellCounts", "DensityModel", "density_model"]

MIN_RESOLUTION, MAX_RESOLUTION = 2, 6
_PAGE = 10_000

_models: WeakKeyDictionary[Service, DensityModel] = WeakKeyDictionary()
_models_lock = threading.Lock()

BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class CellCounts:
    """Counts of the points inside a bbox per H3 cell (arrays of one length, cells in
    ascending integer order).

    Attributes
    ----------
    cell : H3 cell ids as text
    lat, lon : cell centres, WGS84 degrees
    count : points in the cell (any kind and status)
    live : points of a protecting kind and status
    """

    cell: list[str]
    lat: list[float]
    lon: list[float]
    count: list[int]
    live: list[int]

    @property
    def total(self) -> int:
        """All points counted."""
        return sum(self.count)


def _cell_ints(lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64],
               res: int) -> npt.NDArray[np.uint64]:  # fmt: skip
    return np.fromiter(
        (h3.str_to_int(h3.latlng_to_cell(a, o, res))
         for a, o in zip(lat.tolist(), lon.tolist(), strict=True)),
        dtype=np.uint64, count=lat.size,
    )  # fmt: skip


def _inside(lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64],
            box: BBox) -> npt.NDArray[np.bool_]:  # fmt: skip
    minlon, minlat, maxlon, maxlat = box
    ok = (lat >= minlat) & (lat <= maxlat)
    if minlon <= maxlon:
        return ok & (lon >= minlon) & (lon <= maxlon)
    return ok & ((lon >= minlon) | (lon <= maxlon))  # across the antimeridian


class _Groups:
    """The base points of one resolution grouped by cell."""

    def __init__(self, cells: npt.NDArray[np.uint64], lat: npt.NDArray[np.float64],
                 lon: npt.NDArray[np.float64], live: npt.NDArray[np.bool_]) -> None:  # fmt: skip
        self.order = np.argsort(cells, kind="stable")
        sorted_cells = cells[self.order]
        self.cell, first, inverse = np.unique(sorted_cells, return_index=True,
                                              return_inverse=True)  # fmt: skip
        self.start = np.append(first, cells.size).astype(np.int64)
        #: the group of each base point
        self.group = np.empty(cells.size, dtype=np.int64)
        self.group[self.order] = inverse
        n = self.cell.size
        self.count = np.bincount(self.group, minlength=n).astype(np.int64)
        self.live = np.bincount(self.group, weights=live, minlength=n).astype(np.int64)
        slat, slon = lat[self.order], lon[self.order]
        if n:
            self.minlat = np.minimum.reduceat(slat, first)
            self.maxlat = np.maximum.reduceat(slat, first)
            self.minlon = np.minimum.reduceat(slon, first)
            self.maxlon = np.maximum.reduceat(slon, first)
        else:
            self.minlat = self.maxlat = self.minlon = self.maxlon = np.zeros(0)
        centres = [h3.cell_to_latlng(h3.int_to_str(c)) for c in self.cell.tolist()]
        self.clat = np.array([c[0] for c in centres], dtype=np.float64)
        self.clon = np.array([c[1] for c in centres], dtype=np.float64)

    def split(self, box: BBox) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        """Groups whose points all lie inside ``box``, and groups ``box``'s edge may cut.

        The extents only grow (a removed point's group keeps them), so "all inside" and
        "all outside" stay true of the points that remain."""
        minlon, minlat, maxlon, maxlat = box
        full = (self.minlat >= minlat) & (self.maxlat <= maxlat)
        out = (self.maxlat < minlat) | (self.minlat > maxlat)
        if minlon <= maxlon:
            full &= (self.minlon >= minlon) & (self.maxlon <= maxlon)
            out |= (self.maxlon < minlon) | (self.minlon > maxlon)
        else:
            full &= (self.minlon >= minlon) | (self.maxlon <= maxlon)
            out |= (self.minlon > maxlon) & (self.maxlon < minlon)
        return full, ~(full | out)


class DensityModel:
    """Point counts per H3 cell, kept current from the audit log (module docstring).

    Parameters
    ----------
    service : the service (store, policy)
    """

    def __init__(self, service: Service) -> None:
        self.service = service
        self._lock = threading.RLock()
        self._built = False
        #: the point entries of the service's change feed
        self._changes = service.changes.subscribe(("point",))
        #: how many point changes were applied since the build (for tests and logs)
        self.applied = 0

    # ------------------------------------------------------------ build
    def _build(self) -> None:
        store = self.service.store
        self._changes.take()  # before reading: what was handed on so far, the read has
        ids: list[str] = []
        lat: list[float] = []
        lon: list[float] = []
        kind: list[str] = []
        status: list[str] = []
        after: str | None = None
        while True:
            page = store.list_points(limit=_PAGE, after=after)
            for p in page:
                ids.append(p.id)
                lat.append(p.lat)
                lon.append(p.lon)
                kind.append(p.kind)
                status.append(p.status)
            if len(page) < _PAGE:
                break
            after = page[-1].id
        self._index = {pid: i for i, pid in enumerate(ids)}
        self._lat = np.asarray(lat, dtype=np.float64)
        self._lon = np.asarray(lon, dtype=np.float64)
        self._live = self._protects(kind, status)
        self._alive = np.ones(len(ids), dtype=bool)
        self._groups = {res: _Groups(_cell_ints(self._lat, self._lon, res), self._lat,
                                     self._lon, self._live)
                        for res in range(MIN_RESOLUTION, MAX_RESOLUTION + 1)}  # fmt: skip
        #: points added or changed since the build: id -> (lat, lon, live, {res: cell})
        self._extra: dict[str, tuple[float, float, bool, dict[int, int]]] = {}
        self._built = True

    def _protects(self, kind: list[str], status: list[str]) -> npt.NDArray[np.bool_]:
        if not kind:
            return np.zeros(0, dtype=bool)
        return np.asarray(self.service.policy.protects(np.asarray(kind, dtype=object),
                                                       np.asarray(status, dtype=object)),
                          dtype=bool)  # fmt: skip

    def build(self) -> None:
        """Read the points and group them (once; later calls only apply changes)."""
        with self._lock:
            if not self._built:
                self._build()
            self._apply_changes()

    # ------------------------------------------------------------ changes
    def _apply_changes(self) -> None:
        self.service.changes.poll()
        if not self._changes.pending:
            return
        entries = self._changes.take()
        changed = {eid for _, _, eid in entries or ()}
        if entries is None or "*" in changed:  # dropped entries, or a whole network seeded
            self._build()
            return
        for pid in changed:
            self._remove(pid)
            try:
                p = self.service.get_point(pid)
            except NotFoundError:
                continue
            live = bool(self._protects([p.kind], [p.status])[0])
            cells = {res: h3.str_to_int(h3.latlng_to_cell(p.lat, p.lon, res))
                     for res in self._groups}  # fmt: skip
            self._extra[pid] = (float(p.lat), float(p.lon), live, cells)
        self.applied += len(changed)

    def _remove(self, pid: str) -> None:
        self._extra.pop(pid, None)
        i = self._index.get(pid)
        if i is None or not self._alive[i]:
            return
        self._alive[i] = False
        for g in self._groups.values():
            k = g.group[i]
            g.count[k] -= 1
            g.live[k] -= int(self._live[i])

    # ------------------------------------------------------------ counting
    def counts(self, box: BBox, res: int) -> CellCounts:
        """Every point inside ``box`` (``minlon, minlat, maxlon, maxlat``; ``minlon >
        maxlon`` crosses 180) counted per H3 cell of resolution ``res`` (2 to 6), with the
        changes made since the last call applied first. ValueError for another resolution.
        """
        if not MIN_RESOLUTION <= res <= MAX_RESOLUTION:
            raise ValueError(f"resolution must be {MIN_RESOLUTION} to {MAX_RESOLUTION}")
        with self._lock:
            self.build()
            g = self._groups[res]
            full, cut = g.split(box)
            count = np.where(full, g.count, 0)
            live = np.where(full, g.live, 0)
            parts = np.flatnonzero(cut)
            if parts.size:
                lens = g.start[parts + 1] - g.start[parts]
                offs = np.repeat(g.start[parts] - np.cumsum(lens) + lens, lens)
                idx = g.order[np.arange(int(lens.sum())) + offs]
                idx = idx[self._alive[idx] & _inside(self._lat[idx], self._lon[idx], box)]
                count += np.bincount(g.group[idx], minlength=count.size)
                live += np.bincount(g.group[idx], weights=self._live[idx],
                                    minlength=count.size).astype(np.int64)  # fmt: skip
            nz = np.flatnonzero(count > 0)
            by_cell: dict[int, list[Any]] = {
                c: [n, m, la, lo]
                for c, n, m, la, lo in zip(g.cell[nz].tolist(), count[nz].tolist(),
                                           live[nz].tolist(), g.clat[nz].tolist(),
                                           g.clon[nz].tolist(), strict=True)
            }  # fmt: skip
            for la, lo, is_live, cells in self._extra.values():
                if not _inside(np.array([la]), np.array([lo]), box)[0]:
                    continue
                acc = by_cell.setdefault(cells[res], [0, 0, None, None])
                acc[0] += 1
                acc[1] += int(is_live)
        out = CellCounts([], [], [], [], [])
        for c in sorted(by_cell):
            n, m, la, lo = by_cell[c]
            cell = h3.int_to_str(c)
            if la is None:  # a cell only new points occupy
                la, lo = h3.cell_to_latlng(cell)
            out.cell.append(cell)
            out.lat.append(la)
            out.lon.append(lo)
            out.count.append(n)
            out.live.append(m)
        return out


def density_model(service: Service) -> DensityModel:
    """The service's density model (created on first use; built by its first count)."""
    with _models_lock:
        model = _models.get(service)
        if model is None:
            model = _models[service] = DensityModel(service)
        return model
