"""National-scale batch scoring and white space, spatially partitioned on dask.

Work is split by coarse H3 cells (resolution 3 by default, about 12,000 km2):
every candidate (or demand cell) belongs to the partition of the coarse cell
holding it. A partition's task also receives a **halo**: the demand cells,
network points and protecting points whose coarse cell lies within ``k``
rings of the partition's cell, where ``k`` is chosen so that the rings cover
at least the halo distance:

* scoring: ``2 * reach_m`` (demand within reach of a candidate, and every
  point within reach of that demand, which decides the Huff denominators), and
  the largest protection radius (conflicts);
* white space: ``reach_m`` (is a cell served) and the largest protection radius.

So no demand, competitor or conflict is lost at a partition edge, and the
partitioned result equals the single-process result (up to the order of
floating-point sums). H3 cells have no seam at the antimeridian or the poles.

Tasks are plain functions of arrays, run with ``dask.delayed`` on the default
scheduler, a given scheduler name, or a ``distributed.Client`` (a
``LocalCluster`` here, a multi-machine cluster unchanged). Requires the
``[dask]`` extra.
"""

from __future__ import annotations

from typing import Any

import h3.api.numpy_int as h3i
import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.index import PointIndex
from planning.demand import DEFAULT_RESOLUTION, Demand, aggregate_to_cells
from planning.protection import ProtectionNetwork
from planning.scoring import (
    FEATURE_DEFAULTS,
    FEATURES,
    CandidateScores,
    HuffModel,
    HuffParams,
    default_reward_rate,
)

__all__ = [
    "halo_rings",
    "partition_keys",
    "score_partitioned",
    "white_cells_partitioned",
]

FloatArray = npt.NDArray[np.float64]
UIntArray = npt.NDArray[np.uint64]

#: a lower bound on the width of one ring of H3 cells, as a share of the mean edge length
_RING_WIDTH_SHARE = 0.5


def partition_keys(lat: npt.ArrayLike, lon: npt.ArrayLike, *, resolution: int = 3) -> UIntArray:
    """The coarse H3 cell (uint64) of each location (WGS84 degrees)."""
    la = np.atleast_1d(np.asarray(lat, dtype=np.float64)).tolist()
    lo = np.atleast_1d(np.asarray(lon, dtype=np.float64)).tolist()
    return np.fromiter((h3i.latlng_to_cell(a, b, resolution) for a, b in zip(la, lo, strict=True)),
                       dtype=np.uint64, count=len(la))  # fmt: skip


def halo_rings(halo_m: float, *, resolution: int = 3) -> int:
    """Rings of coarse cells that surely cover ``halo_m`` metres around a cell.

    Each ring adds at least half the mean edge length (a conservative bound
    on H3's distortion); one ring more for safety.
    """
    width = _RING_WIDTH_SHARE * h3i.average_hexagon_edge_length(resolution, unit="m")
    return int(np.ceil(halo_m / width)) + 1


def _groups(keys: UIntArray) -> dict[int, npt.NDArray[np.int64]]:
    order = np.argsort(keys, kind="stable")
    uniq, starts = np.unique(keys[order], return_index=True)
    bounds = np.r_[starts, keys.size]
    return {int(u): order[bounds[t] : bounds[t + 1]] for t, u in enumerate(uniq.tolist())}


def _context(
    key: int, rings: int, groups: dict[int, npt.NDArray[np.int64]]
) -> npt.NDArray[np.int64]:
    disk = h3i.grid_disk(key, rings).tolist()
    parts = [groups[int(c)] for c in disk if int(c) in groups]
    return np.sort(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)


def _batches(
    groups: dict[int, npt.NDArray[np.int64]], task_size: int
) -> list[tuple[list[int], npt.NDArray[np.int64]]]:
    """Consecutive partition cells (in H3 order, roughly spatial) grouped into tasks of
    at least ``task_size`` rows; returns ``(cells, rows)`` per task."""
    out: list[tuple[list[int], npt.NDArray[np.int64]]] = []
    keys: list[int] = []
    rows: list[npt.NDArray[np.int64]] = []
    count = 0
    for key in sorted(groups):
        keys.append(key)
        rows.append(groups[key])
        count += groups[key].size
        if count >= task_size:
            out.append((keys, np.concatenate(rows)))
            keys, rows, count = [], [], 0
    if keys:
        out.append((keys, np.concatenate(rows)))
    return out


def _context_of(
    keys: list[int], rings: int, groups: dict[int, npt.NDArray[np.int64]]
) -> npt.NDArray[np.int64]:
    parts = [_context(k, rings, groups) for k in keys]
    return np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)


def _run(tasks: list[Any], client: Any, scheduler: str | None) -> list[Any]:
    import dask

    if client is not None:
        return list(client.gather(client.compute(tasks)))
    return list(dask.compute(*tasks, scheduler=scheduler))


# ---------------------------------------------------------------------- scoring
def _score_task(
    demand: Demand,
    plat: FloatArray,
    plon: FloatArray,
    pfeat: FloatArray,
    pids: npt.NDArray[np.object_],
    params: HuffParams,
    clat: FloatArray,
    clon: FloatArray,
    cfeat: FloatArray,
    crad: FloatArray,
    cblocked: npt.NDArray[np.bool_],
    live: tuple[npt.NDArray[np.object_], FloatArray, FloatArray, FloatArray],
    detail: bool,
) -> dict[str, Any]:
    model = HuffModel(demand, plat, plon, features=pfeat, point_ids=list(pids), params=params)
    s = model.score(clat, clon, features=cfeat, reward_rate=0.0, detail=detail)
    n = clat.size
    allowed = np.ones(n, dtype=bool)
    blocker = np.full(n, None, dtype=object)
    blocker_d = np.full(n, np.nan)
    lid, llat, llon, lrad = live
    sub = np.flatnonzero(cblocked)
    if lid.size and sub.size:
        rmax = float(max(lrad.max(), crad.max()))
        index = PointIndex.from_points(list(lid), llat, llon, lrad, cell_m=max(rmax, 10.0))
        pairs = index.query(clat[sub], clon[sub], crad[sub], distances=True)
        q = sub[pairs.query]
        allowed[q] = False
        if q.size:
            first = np.r_[True, q[1:] != q[:-1]]
            blocker[q[first]] = index.ids_of(pairs.slot[first])
            blocker_d[q[first]] = pairs.distance_m[first]
    return {
        "attractiveness": s.attractiveness, "demand_in_reach": s.demand_in_reach,
        "captured_demand": s.captured_demand, "turnover_rub": s.turnover_rub,
        "new_demand_rub": s.new_demand_rub, "cannibalized_rub": s.cannibalized_rub,
        "allowed": allowed, "blocker_id": blocker, "blocker_distance_m": blocker_d,
        "cannibalization": s.cannibalization,
    }  # fmt: skip


def score_partitioned(
    model: HuffModel,
    lat: npt.ArrayLike,
    lon: npt.ArrayLike,
    *,
    features: npt.ArrayLike | None = None,
    network: ProtectionNetwork | None = None,
    kind: npt.ArrayLike | None = None,
    radius_m: npt.ArrayLike | None = None,
    reward_rate: float | None = None,
    detail: bool = True,
    resolution: int = 3,
    task_size: int = 20_000,
    client: Any = None,
    scheduler: str | None = None,
) -> CandidateScores:
    """:meth:`HuffModel.score`, partitioned by coarse H3 cell with a halo, on dask.

    Parameters are those of :meth:`HuffModel.score`, plus ``resolution`` (of
    the partition cells), ``task_size`` (neighbouring partition cells are
    grouped into tasks of at least this many candidates, each with the union of
    their halos), ``client`` (a ``distributed.Client``) or
    ``scheduler`` (``"threads"``, ``"processes"``, ``"synchronous"``).
    The result equals the single-process one (rows in the input order;
    the cannibalization table sorted by candidate and point).
    """
    import dask

    p = model.params
    la = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    lo = np.atleast_1d(np.asarray(lon, dtype=np.float64))
    n = la.size
    if features is None:
        feats = np.tile([FEATURE_DEFAULTS[f] for f in FEATURES], (n, 1))
    else:
        feats = np.asarray(features, dtype=np.float64).reshape(n, 4)
    # protection inputs, resolved once in the driver (the settlement lookup stays here)
    if network is not None:
        crad = network.fill_radius(la, lo, radius_m)
        k = np.broadcast_to(
            np.asarray(kind if kind is not None else network.policy.default_kind), la.shape
        )
        cblocked = network.policy.blocked(k)
        slots = network.index.live_slots()
        llat, llon, lrad = network.index.coords(slots)
        lid = network.index.ids_of(slots)
    else:
        crad = np.full(n, 1.0)
        cblocked = np.zeros(n, dtype=bool)
        lid, llat, llon, lrad = np.empty(0, dtype=object), np.empty(0), np.empty(0), np.empty(0)
    max_r = float(max(crad.max(initial=0.0), lrad.max(initial=0.0)))
    rings = halo_rings(max(2.0 * p.reach_m, max_r), resolution=resolution)
    ckeys = partition_keys(la, lo, resolution=resolution)
    dem = model.demand
    dgroups = _groups(partition_keys(dem.lat, dem.lon, resolution=resolution))
    pgroups = _groups(partition_keys(model.lat, model.lon, resolution=resolution))
    lgroups = _groups(partition_keys(llat, llon, resolution=resolution))
    tasks = []
    members = []
    task = dask.delayed(_score_task, pure=False)
    for keys, rows in _batches(_groups(ckeys), task_size):
        di = _context_of(keys, rings, dgroups)
        pi = _context_of(keys, rings, pgroups)
        li = _context_of(keys, rings, lgroups)
        tasks.append(
            task(
                dem.subset(di), model.lat[pi], model.lon[pi], model.features[pi],
                model.point_ids[pi], p, la[rows], lo[rows], feats[rows], crad[rows],
                cblocked[rows], (lid[li], llat[li], llon[li], lrad[li]), detail,
            )
        )  # fmt: skip
        members.append(rows)
    results = _run(tasks, client, scheduler)
    out: dict[str, Any] = {
        "attractiveness": np.zeros(n), "demand_in_reach": np.zeros(n),
        "captured_demand": np.zeros(n), "turnover_rub": np.zeros(n),
        "new_demand_rub": np.zeros(n), "cannibalized_rub": np.zeros(n),
        "allowed": np.ones(n, dtype=bool), "blocker_id": np.full(n, None, dtype=object),
        "blocker_distance_m": np.full(n, np.nan),
    }  # fmt: skip
    parts = []
    for rows, res in zip(members, results, strict=True):
        for name in out:
            out[name][rows] = res[name]
        can = res["cannibalization"]
        if len(can):
            can = can.assign(candidate=rows[can["candidate"].to_numpy()])
            parts.append(can)
    if parts:
        can_all = pd.concat(parts, ignore_index=True)
        # loss shares relative to the whole network's turnover, as in one process
        base = pd.Series(model.turnover(), index=model.point_ids)
        can_all["loss_share"] = can_all["loss_rub"] / base.loc[can_all["point_id"]].to_numpy()
        can_all = can_all.sort_values(["candidate", "point_id"], kind="stable")
        can_all = can_all.reset_index(drop=True)
    else:
        can_all = pd.DataFrame({"candidate": np.empty(0, np.int64),
                                "point_id": np.empty(0, dtype=object),
                                "loss_rub": np.empty(0), "loss_share": np.empty(0)})  # fmt: skip
    rate = default_reward_rate() if reward_rate is None else float(reward_rate)
    new_rub = out["new_demand_rub"]
    return CandidateScores(
        attractiveness=out["attractiveness"],
        demand_in_reach=out["demand_in_reach"],
        captured_demand=out["captured_demand"],
        turnover_rub=out["turnover_rub"],
        new_demand_rub=new_rub,
        cannibalized_rub=out["cannibalized_rub"],
        net_gain_rub=new_rub.copy(),
        reward_rub=rate * out["turnover_rub"],
        reward_rate=rate,
        allowed=out["allowed"],
        radius_m=crad if network is not None else np.full(n, np.nan),
        blocker_id=out["blocker_id"],
        blocker_distance_m=out["blocker_distance_m"],
        cannibalization=can_all,
    )


# ---------------------------------------------------------------------- white space
def _white_task(
    clat: FloatArray,
    clon: FloatArray,
    crad: FloatArray,
    reach_m: float,
    live: tuple[FloatArray, FloatArray, FloatArray],
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    llat, llon, lrad = live
    n = clat.size
    served = np.zeros(n, dtype=bool)
    allowed = np.ones(n, dtype=bool)
    if llat.size:
        pts = PointIndex.from_points(range(llat.size), llat, llon, 0.0, cell_m=max(reach_m, 10.0))
        served[pts.query(clat, clon, reach_m, distances=False).query] = True
        rmax = float(max(lrad.max(), crad.max()))
        prot = PointIndex.from_points(range(llat.size), llat, llon, lrad, cell_m=max(rmax, 10.0))
        allowed[prot.query(clat, clon, crad, distances=False).query] = False
    return served, allowed


def white_cells_partitioned(
    demand: Demand,
    network: ProtectionNetwork,
    *,
    reach_m: float = 1500.0,
    resolution: int = DEFAULT_RESOLUTION,
    kind: str | None = None,
    min_cell_demand: float = 0.0,
    partition_resolution: int = 3,
    task_size: int = 20_000,
    client: Any = None,
    scheduler: str | None = None,
) -> Any:
    """:func:`planning.whitespace.find_white_cells`, partitioned on dask with a halo.

    Returns a :class:`planning.whitespace.WhiteCells`; merge it into zones with
    :func:`planning.whitespace.zones_from_cells` (in the driver: the zones of
    adjacent partitions join there).
    """
    import dask

    from planning.whitespace import WhiteCells

    cells = aggregate_to_cells(demand, resolution=resolution)
    n = len(cells)
    crad = network.radius_for(cells.lat, cells.lon)
    k = np.asarray(kind if kind is not None else network.policy.default_kind)
    blockable = bool(network.policy.blocked(np.atleast_1d(k))[0])
    slots = network.index.live_slots()
    llat, llon, lrad = network.index.coords(slots)
    max_r = float(max(crad.max(initial=0.0), lrad.max(initial=0.0)))
    rings = halo_rings(max(reach_m, max_r), resolution=partition_resolution)
    lgroups = _groups(partition_keys(llat, llon, resolution=partition_resolution))
    task = dask.delayed(_white_task, pure=False)
    tasks = []
    members = []
    keys = partition_keys(cells.lat, cells.lon, resolution=partition_resolution)
    for cell_keys, rows in _batches(_groups(keys), task_size):
        li = _context_of(cell_keys, rings, lgroups)
        tasks.append(task(cells.lat[rows], cells.lon[rows], crad[rows], reach_m,
                          (llat[li], llon[li], lrad[li])))  # fmt: skip
        members.append(rows)
    served = np.zeros(n, dtype=bool)
    allowed = np.ones(n, dtype=bool)
    for rows, (s, a) in zip(members, _run(tasks, client, scheduler), strict=True):
        served[rows] = s
        allowed[rows] = a if blockable else True
    white = (cells.weight > min_cell_demand) & ~served & allowed
    ids = np.array([h3i.str_to_int(str(c)) for c in cells.id[white]], dtype=np.uint64)
    return WhiteCells(ids, cells.subset(white), served, allowed)
