"""Site selection: maximal covering (MCLP) with the protection rule as a separation constraint.

The problem: choose at most ``k`` candidates to maximise the weight of demand
they add to what the existing network already serves (a demand cell is
covered when a chosen candidate is within the service radius; a cell within
the service radius of an existing live point is served already and adds
nothing), where

* a candidate blocked by an existing point (protection rule) is never chosen;
* two candidates that conflict (geodesic distance below the larger of their
  protection radii) are never both chosen.

Solvers (all take a :class:`CoverageProblem`: arrays, coverage as CSR):

* :func:`select_greedy`: lazy greedy (marginal gains in a heap, re-evaluated
  only when popped; coverage is submodular so stale gains are upper bounds),
  then :func:`improve_by_swaps` (replace a chosen site by the best feasible
  outsider while that raises the objective), then an iterated local search
  confined to one neighbourhood at a time (:mod:`planning._search`, numba);
* :func:`select_exact`: the MIP (HiGHS through ``scipy.optimize.milp``, run in
  a child process so that a solver crash cannot take the caller down) for
  small instances; reports the objective, the solver status as it is
  (``optimal``, ``time_limit``, ``error``, ...) and the best bound;
* :func:`select_min_sites` and :func:`select_min_sites_exact`: the dual, the
  fewest sites covering a given share of the demand.

:meth:`CoverageProblem.from_points` builds the arrays from coordinates with the
exact WGS84 index; :meth:`CoverageProblem.from_cost_matrix` from a dense
demand x candidate cost matrix (as ``spopt``'s ``MCLP.from_cost_matrix``).
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from geo.index import PointIndex
from planning.demand import Demand
from planning.protection import ProtectionNetwork
from planning.scoring import reach_pairs

__all__ = [
    "EXACT_STATUSES",
    "CoverageProblem",
    "ExactModelError",
    "Selection",
    "SitePlan",
    "improve_by_swaps",
    "select_exact",
    "select_greedy",
    "select_min_sites",
    "select_min_sites_exact",
    "select_sites",
    "served_cells",
    "violations",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

log = logging.getLogger(__name__)

#: statuses of the exact model, as reported (``scipy.optimize.milp`` / HiGHS statuses mapped)
EXACT_STATUSES = ("optimal", "time_limit", "infeasible", "unbounded", "error")


def _csr(rows: IntArray, cols: IntArray, n_rows: int, n_cols: int) -> sp.csr_array:
    data = np.ones(rows.size, dtype=np.float64)
    m = sp.csr_array((data, (rows, cols)), shape=(n_rows, n_cols))
    m.sum_duplicates()
    m.data[:] = 1.0
    return m


@dataclass(frozen=True)
class CoverageProblem:
    """A covering problem as arrays.

    Attributes
    ----------
    weight : float64 array (n_demand,), demand weight of each cell
    cover : CSR (n_candidates x n_demand), 1 where the candidate covers the cell
    allowed : bool array (n_candidates,), False for candidates blocked by
        existing points (never chosen)
    conflicts : CSR (n_candidates x n_candidates), symmetric, 1 where two
        candidates may not both be chosen
    ids : candidate identifiers (default: positions)
    served : bool array (n_demand,), True for cells the existing network
        serves already (they add nothing to the objective); all False for a
        greenfield problem
    """

    weight: FloatArray
    cover: sp.csr_array
    allowed: BoolArray
    conflicts: sp.csr_array
    ids: npt.NDArray[np.object_]
    served: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def __post_init__(self) -> None:
        if self.served.shape != self.weight.shape:
            if self.served.size:
                raise ValueError(f"served has shape {self.served.shape}, "
                                 f"expected {self.weight.shape}")  # fmt: skip
            object.__setattr__(self, "served", np.zeros(self.weight.size, dtype=bool))

    @property
    def n_candidates(self) -> int:
        """Number of candidates."""
        return int(self.cover.shape[0])

    @property
    def total_weight(self) -> float:
        """Total demand weight (the denominator of the covered share)."""
        return float(self.weight.sum())

    @cached_property
    def free_weight(self) -> FloatArray:
        """The weight a new site can add: ``weight``, 0 where the network serves already."""
        return np.where(self.served, 0.0, self.weight)

    @property
    def served_weight(self) -> float:
        """Demand weight the existing network serves already (covered before the plan)."""
        return float(self.weight[self.served].sum())

    def greenfield(self) -> CoverageProblem:
        """The same problem as if there were no existing network serving demand.

        Blocked candidates and conflicts stay: the protection rule still holds.
        """
        return replace(self, served=np.zeros(self.weight.size, dtype=bool))

    def with_served(self, served: npt.ArrayLike) -> CoverageProblem:
        """The same problem with ``served`` (bool, one per demand cell) served already."""
        m = np.asarray(served, dtype=bool)
        if m.shape != self.weight.shape:
            raise ValueError(f"served has shape {m.shape}, expected {self.weight.shape}")
        return replace(self, served=m.copy())

    @classmethod
    def from_arrays(
        cls,
        weight: npt.ArrayLike,
        cover: sp.sparray | sp.spmatrix | npt.ArrayLike,
        *,
        allowed: npt.ArrayLike | None = None,
        conflicts: sp.sparray | sp.spmatrix | npt.ArrayLike | None = None,
        ids: Sequence[Hashable] | None = None,
        served: npt.ArrayLike | None = None,
    ) -> CoverageProblem:
        """Validate and normalise arrays (dense or sparse ``cover`` and ``conflicts``).

        ``served``: bool per demand cell, True where the existing network serves
        already (default: none).
        """
        w = np.asarray(weight, dtype=np.float64)
        if w.ndim != 1 or not np.all(np.isfinite(w)) or (w < 0).any():
            raise ValueError("weight must be a 1-D array of finite numbers >= 0")
        c = sp.csr_array(cover, dtype=np.float64)
        if c.shape[1] != w.size:
            raise ValueError(f"cover has {c.shape[1]} columns for {w.size} demand weights")
        c.sum_duplicates()
        c.eliminate_zeros()
        c.data[:] = 1.0
        n = c.shape[0]
        ok = np.ones(n, bool) if allowed is None else np.asarray(allowed, dtype=bool).copy()
        if ok.shape != (n,):
            raise ValueError(f"allowed has shape {ok.shape}, expected ({n},)")
        if conflicts is None:
            conf = sp.csr_array((n, n), dtype=np.float64)
        else:
            conf = sp.csr_array(conflicts, dtype=np.float64)
            if conf.shape != (n, n):
                raise ValueError(f"conflicts has shape {conf.shape}, expected ({n}, {n})")
            conf = sp.csr_array(((conf + conf.T) > 0).astype(np.float64))
            conf.setdiag(0)
            conf.eliminate_zeros()
        id_arr = np.asarray(list(ids) if ids is not None else range(n), dtype=object)
        if id_arr.size != n:
            raise ValueError(f"{id_arr.size} ids for {n} candidates")
        srv = np.zeros(w.size, dtype=bool) if served is None else np.asarray(served, dtype=bool)
        if srv.shape != w.shape:
            raise ValueError(f"served has shape {srv.shape}, expected {w.shape}")
        return cls(w, c, ok, conf, id_arr, srv.copy())

    @classmethod
    def from_cost_matrix(
        cls,
        cost: npt.ArrayLike,
        weight: npt.ArrayLike,
        service_radius: float,
        *,
        allowed: npt.ArrayLike | None = None,
        conflicts: sp.sparray | sp.spmatrix | npt.ArrayLike | None = None,
        ids: Sequence[Hashable] | None = None,
        served: npt.ArrayLike | None = None,
    ) -> CoverageProblem:
        """From a dense ``(n_demand, n_candidates)`` cost matrix; covered when ``cost <= radius``.

        The same convention as ``spopt.locate.MCLP.from_cost_matrix``; ``allowed``,
        ``conflicts``, ``ids`` and ``served`` as in :meth:`from_arrays`.
        """
        cm = np.asarray(cost, dtype=np.float64)
        cover = sp.csr_array((cm <= service_radius).T.astype(np.float64))
        return cls.from_arrays(weight, cover, allowed=allowed, conflicts=conflicts, ids=ids,
                               served=served)  # fmt: skip

    @classmethod
    def from_points(
        cls,
        demand: Demand,
        lat: npt.ArrayLike,
        lon: npt.ArrayLike,
        *,
        service_radius_m: float,
        radius_m: npt.ArrayLike | None = None,
        network: ProtectionNetwork | None = None,
        kind: npt.ArrayLike | None = None,
        ids: Sequence[Hashable] | None = None,
        existing: tuple[npt.ArrayLike, npt.ArrayLike] | Literal["network"] | None = "network",
    ) -> CoverageProblem:
        """Build the problem from coordinates (WGS84 degrees), exactly on the ellipsoid.

        Parameters
        ----------
        demand : the demand cells or points
        lat, lon : the candidates
        service_radius_m : a cell is covered by a candidate closer than this, metres
        radius_m : the candidates' protection radii, metres (NaN: from the
            network's settlement tiers; None: all from the tiers, or no
            separation when there is no network either)
        network : the existing network; candidates it blocks are not allowed
        kind : the candidates' kinds (for the protection check)
        ids : candidate identifiers
        existing : the points that serve demand already, ``(lat, lon)`` WGS84
            degrees: a demand cell closer than ``service_radius_m`` to one of
            them is served (:attr:`served`). ``"network"`` (default): every
            point in ``network``'s index (its live points; in the service also
            the spots reserved by applications under review); None: none
            (greenfield)
        """
        la = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        lo = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        n = la.size
        site, cell, _ = reach_pairs(demand, la, lo, service_radius_m, distances=False)
        cover = _csr(site, cell, n, len(demand))
        allowed = np.ones(n, dtype=bool)
        radius: FloatArray | None = None
        if network is not None:
            chk = network.check_batch(la, lo, kind=kind, radius_m=radius_m)
            allowed, radius = chk.allowed, chk.radius_m
        elif radius_m is not None:
            radius = np.broadcast_to(np.asarray(radius_m, dtype=np.float64), la.shape).copy()
            if np.isnan(radius).any():
                raise ValueError("candidate radii are missing and no network gives the tiers")
        if radius is not None and n > 1:
            index = PointIndex.from_points(range(n), la, lo, radius,
                                           cell_m=max(float(radius.max()), 10.0))  # fmt: skip
            pairs = index.self_pairs(distances=False)
            rows = np.r_[pairs.query, pairs.slot]
            cols = np.r_[pairs.slot, pairs.query]
            conflicts = _csr(rows, cols, n, n)
        else:
            conflicts = sp.csr_array((n, n), dtype=np.float64)
        served = None
        if isinstance(existing, str):
            if existing != "network":
                raise ValueError(f"existing must be (lat, lon), 'network' or None, "
                                 f"got {existing!r}")  # fmt: skip
            if network is not None:
                slots = network.index.live_slots()
                e_lat, e_lon, _ = network.index.coords(slots)
                served = served_cells(demand, e_lat, e_lon, service_radius_m=service_radius_m)
        elif existing is not None:
            served = served_cells(demand, existing[0], existing[1],
                                  service_radius_m=service_radius_m)  # fmt: skip
        return cls.from_arrays(demand.weight, cover, allowed=allowed, conflicts=conflicts, ids=ids,
                               served=served)  # fmt: skip

    def row(self, j: int) -> IntArray:
        """Demand cells covered by candidate ``j``."""
        return np.asarray(self.cover.indices[self.cover.indptr[j] : self.cover.indptr[j + 1]],
                          dtype=np.int64)  # fmt: skip

    def conflicts_of(self, j: int) -> IntArray:
        """Candidates in conflict with candidate ``j``."""
        c = self.conflicts
        return np.asarray(c.indices[c.indptr[j] : c.indptr[j + 1]], dtype=np.int64)

    def covered_weight(self, chosen: npt.ArrayLike) -> float:
        """Demand weight a set of candidates adds to what the network serves already."""
        ch = np.asarray(chosen, dtype=np.int64)
        if ch.size == 0:
            return 0.0
        hit = np.zeros(self.weight.size, dtype=bool)
        hit[self.cover[ch].indices] = True
        return float(self.free_weight[hit].sum())


def served_cells(
    demand: Demand, lat: npt.ArrayLike, lon: npt.ArrayLike, *, service_radius_m: float
) -> BoolArray:
    """Demand cells closer than ``service_radius_m`` (WGS84 geodesic) to one of the points.

    Parameters
    ----------
    demand : the demand cells
    lat, lon : the serving points, WGS84 degrees
    service_radius_m : a point serves demand closer than this, metres
    """
    out = np.zeros(len(demand), dtype=bool)
    la = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    if la.size == 0 or len(demand) == 0:
        return out
    _, cell, _ = reach_pairs(demand, la, lon, service_radius_m, distances=False)
    out[cell] = True
    return out


@dataclass(frozen=True)
class Selection:
    """Chosen sites and the objective.

    Attributes
    ----------
    chosen : int64 array, candidate positions in the order chosen
    ids : their identifiers
    gain : demand weight each adds, in that order (sums to ``covered``)
    covered : demand weight the chosen sites add to what the existing network
        serves (the objective)
    share : ``before + covered`` over the total demand weight
    method : ``"greedy"``, ``"greedy+swap"``, ``"exact"``, ...
    optimal : True when proven optimal (exact model solved to optimality)
    bound : best known upper bound on the objective (None when unknown)
    gap : relative gap ``(bound - covered) / bound`` (None when unknown)
    status : solver status (``EXACT_STATUSES`` for the exact model; ``""`` for heuristics)
    before : demand weight the existing network serves already
    """

    chosen: IntArray
    ids: npt.NDArray[np.object_]
    gain: FloatArray
    covered: float
    share: float
    method: str
    optimal: bool = False
    bound: float | None = None
    gap: float | None = None
    status: str = ""
    before: float = 0.0

    @property
    def after(self) -> float:
        """Demand weight covered by the existing network and the chosen sites together."""
        return self.before + self.covered

    def summary(self) -> dict[str, object]:
        """A JSON-ready summary."""
        return {
            "method": self.method,
            "n_chosen": int(self.chosen.size),
            "covered_before": round(self.before, 6),
            "covered_added": round(self.covered, 6),
            "covered_after": round(self.after, 6),
            "share": round(self.share, 6),
            "optimal": self.optimal,
            "bound": None if self.bound is None else round(self.bound, 6),
            "gap": None if self.gap is None else round(self.gap, 6),
            "status": self.status,
        }


def _ordered(problem: CoverageProblem, chosen: npt.ArrayLike) -> tuple[IntArray, FloatArray]:
    """Order a set greedily (largest marginal gain first); returns order and gains."""
    left = [int(j) for j in np.asarray(chosen, dtype=np.int64)]
    covered = np.zeros(problem.weight.size, dtype=bool)
    order: list[int] = []
    gains: list[float] = []
    while left:
        best, best_gain = left[0], -1.0
        for j in left:
            cells = problem.row(j)
            g = float(problem.free_weight[cells[~covered[cells]]].sum())
            if g > best_gain:
                best, best_gain = j, g
        left.remove(best)
        order.append(best)
        gains.append(best_gain)
        covered[problem.row(best)] = True
    return np.asarray(order, dtype=np.int64), np.asarray(gains, dtype=np.float64)


def _selection(
    problem: CoverageProblem,
    chosen: npt.ArrayLike,
    method: str,
    *,
    optimal: bool = False,
    bound: float | None = None,
    gap: float | None = None,
    status: str = "",
) -> Selection:
    order, gains = _ordered(problem, chosen)
    covered = float(gains.sum())
    total = problem.total_weight
    before = problem.served_weight
    return Selection(
        chosen=order,
        ids=problem.ids[order],
        gain=gains,
        covered=covered,
        share=(before + covered) / total if total > 0 else 0.0,
        method=method,
        optimal=optimal,
        bound=bound,
        gap=gap,
        status=status,
        before=before,
    )


def _greedy(
    problem: CoverageProblem, k: int | None, target: float | None, banned: int | None = None
) -> tuple[list[int], list[float]]:
    w, cov = problem.free_weight, problem.cover
    initial = np.asarray(cov @ w, dtype=np.float64)
    feasible = problem.allowed.copy()
    if banned is not None:
        feasible[banned] = False
    covered = np.zeros(w.size, dtype=bool)
    heap = [(-float(initial[j]), int(j)) for j in np.flatnonzero(feasible & (initial > 0))]
    heapq.heapify(heap)
    chosen: list[int] = []
    gains: list[float] = []
    total = 0.0
    while heap and (k is None or len(chosen) < k) and (target is None or total < target):
        neg, j = heapq.heappop(heap)
        if not feasible[j]:
            continue
        cells = problem.row(j)
        fresh = cells[~covered[cells]]
        g = float(w[fresh].sum())
        if g <= 0:
            continue
        if heap and g < -heap[0][0] - 1e-12 * max(g, 1.0):
            heapq.heappush(heap, (-g, j))  # stale: re-queue with the fresh gain
            continue
        chosen.append(j)
        gains.append(g)
        total += g
        covered[fresh] = True
        feasible[j] = False
        feasible[problem.conflicts_of(j)] = False
    return chosen, gains


def _randomized_greedy(
    problem: CoverageProblem, k: int, rng: np.random.Generator, rcl: int
) -> list[int]:
    """Greedy choosing at random among the ``rcl`` best feasible gains at each step (GRASP)."""
    w, cov = problem.free_weight, problem.cover
    hit = np.zeros(w.size, dtype=bool)
    ok = problem.allowed.copy()
    out: list[int] = []
    for _ in range(k):
        gain = np.where(ok, np.asarray(cov @ (w * ~hit), dtype=np.float64), 0.0)
        top = np.argsort(-gain, kind="stable")[:rcl]
        top = top[gain[top] > 0]
        if top.size == 0:
            break
        j = int(rng.choice(top))
        out.append(j)
        hit[problem.row(j)] = True
        ok[j] = False
        ok[problem.conflicts_of(j)] = False
    return out


def select_greedy(
    problem: CoverageProblem,
    k: int,
    *,
    swaps: bool = True,
    restarts: int | None = None,
    search: int | None = None,
    seed: int = 0,
) -> Selection:
    """Lazy greedy for at most ``k`` sites, then swap improvement (``swaps=True``).

    Never chooses a blocked candidate or two conflicting candidates. Stops
    early when no feasible candidate adds demand.

    Parameters
    ----------
    problem : the covering problem
    k : the number of sites to choose (at most)
    swaps : run :func:`improve_by_swaps` on every greedy answer
    restarts : extra randomized greedy runs (GRASP: each step picks at random
        among the 3 best gains; then swaps); the best answer wins. Default:
        50 when ``k * nnz(cover) <= 1e6`` (small instances), else 0.
    search : iterations of the iterated local search that follows
        (:func:`planning._search.perturb_search`: drop a site and up to
        :data:`SEARCH_MATES` chosen neighbours, refill and swap inside their
        neighbourhood, record-to-record acceptance). Default: ``30 k`` within
        ``[2000, 50000]``; 0 turns it off. Only with ``swaps=True``.
    seed : random seed of the restarts and the search (same seed, same answer)
    """
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    first, _ = _greedy(problem, k, None)
    if not swaps or not first:
        return _selection(problem, first, "greedy")
    if restarts is None:
        restarts = 50 if k * problem.cover.nnz <= 1_000_000 else 0
    best = improve_by_swaps(problem, first)
    best_w = problem.covered_weight(best)
    rng = np.random.default_rng(seed)
    for _ in range(restarts):
        alt = _randomized_greedy(problem, k, rng, 3)
        if not alt:
            continue
        alt = improve_by_swaps(problem, alt)
        alt_w = problem.covered_weight(alt)
        if alt_w > best_w:
            best, best_w = alt, alt_w
    method = "greedy+swap" if not restarts else "greedy+swap+grasp"
    if search is None:
        search = min(max(30 * k, 2000), 50_000)
    if search > 0:
        found = _perturb_search(problem, best, iterations=search, seed=seed)
        if problem.covered_weight(found) > best_w:
            best = found
        method += "+ils"
    return _selection(problem, best, method)


def improve_by_swaps(
    problem: CoverageProblem, chosen: Sequence[int], *, max_passes: int = 5
) -> list[int]:
    """Replace chosen sites one at a time by the best feasible outsider while it helps.

    A swap ``s -> c`` is feasible when ``c`` is allowed, not chosen and in
    conflict with no chosen site other than ``s``. Each pass tries every
    chosen site once; stops after a pass without improvement.
    """
    w = problem.free_weight
    cov = problem.cover
    cov_csc = sp.csc_array(cov)
    conf = problem.conflicts
    n = problem.n_candidates
    cur = [int(j) for j in chosen]
    in_set = np.zeros(n, dtype=bool)
    in_set[cur] = True
    cnt = np.zeros(w.size, dtype=np.int64)
    np.add.at(cnt, cov[np.asarray(cur, dtype=np.int64)].indices, 1)
    conf_cnt = np.asarray(conf[np.asarray(cur, dtype=np.int64)].sum(axis=0)).ravel()
    tol = 1e-9 * max(problem.total_weight, 1.0)
    for _ in range(max_passes):
        improved = False
        gain0 = np.asarray(cov @ (w * (cnt == 0)), dtype=np.float64)
        for pos in range(len(cur)):
            s = cur[pos]
            cells = problem.row(s)
            solo = cells[cnt[cells] == 1]
            loss = float(w[solo].sum())
            extra = np.zeros(n)
            if solo.size:
                extra = np.asarray(cov_csc[:, solo] @ w[solo], dtype=np.float64)
            conf_s = np.zeros(n, dtype=np.int64)
            conf_s[problem.conflicts_of(s)] = 1
            ok = problem.allowed & ~in_set & (conf_cnt - conf_s == 0)
            delta = np.where(ok, gain0 + extra - loss, -np.inf)
            c = int(np.argmax(delta))
            if not delta[c] > tol:
                continue
            # apply the swap s -> c
            cnt[cells] -= 1
            cnt[problem.row(c)] += 1
            in_set[s], in_set[c] = False, True
            conf_cnt[problem.conflicts_of(s)] -= 1
            conf_cnt[problem.conflicts_of(c)] += 1
            cur[pos] = c
            improved = True
            gain0 = np.asarray(cov @ (w * (cnt == 0)), dtype=np.float64)
        if not improved:
            break
    return cur


#: iterated local search: chosen neighbours dropped with the seed site, and how far below
#: the best the walk may go (share of the covered weight)
SEARCH_MATES = 3
SEARCH_DEVIATION = 0.003
SEARCH_RESTART = 300


def _perturb_search(
    problem: CoverageProblem, chosen: Sequence[int], *, iterations: int, seed: int
) -> list[int]:
    """Iterated local search from ``chosen`` (:func:`planning._search.perturb_search`)."""
    if iterations <= 0 or not len(chosen):
        return [int(j) for j in chosen]
    from planning._search import perturb_search

    cov = problem.cover
    adj = sp.csr_array(cov @ cov.T)
    conf = problem.conflicts
    i64 = np.int64
    best = perturb_search(
        cov.indptr.astype(i64), cov.indices.astype(i64), adj.indptr.astype(i64),
        adj.indices.astype(i64), conf.indptr.astype(i64), conf.indices.astype(i64),
        np.ascontiguousarray(problem.free_weight), problem.allowed.astype(np.bool_),
        np.asarray(chosen, dtype=i64), int(iterations), int(seed), SEARCH_MATES,
        SEARCH_DEVIATION, 1e-9 * max(problem.total_weight, 1.0), SEARCH_RESTART,
    )  # fmt: skip
    return [int(j) for j in best]


def _dual_target(problem: CoverageProblem, share: float) -> float:
    """The demand weight new sites must add so that existing plus new cover ``share``."""
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share}")
    return share * problem.total_weight * (1 - 1e-12) - problem.served_weight


def select_min_sites(problem: CoverageProblem, share: float) -> Selection:
    """Greedy dual: the fewest new sites (approximately) so that the existing network and
    the new sites together cover ``share`` of the demand.

    When the share cannot be reached, returns every useful greedy site; check
    ``Selection.share``. No site when the network covers the share already.
    """
    target = _dual_target(problem, share)
    if target <= 0:
        return _selection(problem, [], "greedy-dual")
    chosen, _ = _greedy(problem, None, target)
    return _selection(problem, chosen, "greedy-dual")


#: how long past its own time limit the solver process may take before it is killed, seconds
EXACT_GRACE_S = 60.0
_MILP_STATUS = {0: "optimal", 1: "time_limit", 2: "infeasible", 3: "unbounded"}
#: the script the solver process runs (:mod:`planning._milp`)
MILP_SCRIPT = Path(__file__).with_name("_milp.py")


class ExactModelError(RuntimeError):
    """The exact model failed (the solver crashed, was killed or raised)."""


def _run_milp(payload: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    """Solve in a child process (:mod:`planning._milp`); a crash raises :class:`ExactModelError`."""
    import pickle
    import subprocess
    import sys

    try:
        proc = subprocess.run([sys.executable, str(MILP_SCRIPT)], input=pickle.dumps(payload),
                              capture_output=True, timeout=timeout_s, check=False)  # fmt: skip
    except subprocess.TimeoutExpired:
        raise ExactModelError(f"the solver process did not finish within {timeout_s:g} s "
                              "and was killed") from None  # fmt: skip
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip().splitlines()
        code = proc.returncode
        why = f"signal {-code}" if code < 0 else f"exit code {code}"
        raise ExactModelError(f"the solver process died ({why})"
                              + (f": {err[-1]}" if err else ""))  # fmt: skip
    try:
        out: dict[str, Any] = pickle.loads(proc.stdout)
    except Exception as exc:
        raise ExactModelError(f"the solver process returned no result ({exc})") from None
    return out


def _model(problem: CoverageProblem) -> tuple[IntArray, IntArray, sp.csr_array, FloatArray]:
    """Variables and rows shared by both models: ``x`` (sites), then ``y`` (cells).

    Returns the candidate positions of ``x``, the cell positions of ``y``, the
    constraint rows ``y_i - sum_{j covers i} x_j <= 0`` followed by one row per
    conflicting pair ``x_a + x_b <= 1`` (without upper bounds: the caller adds
    them), and the rows' upper bounds.
    """
    w = problem.free_weight
    cand = np.flatnonzero(problem.allowed & (np.diff(problem.cover.indptr) > 0))
    sub = sp.csc_array(problem.cover[cand])
    cells = np.flatnonzero((np.diff(sub.indptr) > 0) & (w > 0))
    nx, ny = cand.size, cells.size
    link = sp.hstack([-sp.csr_array(sub[:, cells].T), sp.eye_array(ny, format="csr")])
    conf = sp.triu(problem.conflicts[cand][:, cand], k=1).tocoo()
    m = conf.row.size
    rows = np.repeat(np.arange(m), 2)
    cols = np.c_[conf.row, conf.col].ravel()
    pairs = sp.csr_array((np.ones(2 * m), (rows, cols)), shape=(m, nx + ny))
    a = sp.csr_array(sp.vstack([link, pairs]))
    ub = np.r_[np.zeros(ny), np.ones(m)]
    return cand, cells, a, ub


def _exact_selection(
    problem: CoverageProblem,
    res: dict[str, Any],
    cand: IntArray,
    method: str,
    bound: float | None,
) -> Selection:
    status = _MILP_STATUS.get(int(res["status"]), "error")
    x = res["x"]
    chosen = [] if x is None else cand[np.asarray(x[: cand.size]) > 0.5].tolist()
    sel = _selection(problem, chosen, method, optimal=status == "optimal", status=status)
    gap = None
    if bound is not None and method == "exact":
        bound = max(bound, sel.covered)  # the dual bound is at least any feasible objective
        gap = (bound - sel.covered) / bound if bound > 0 else 0.0
    return replace(sel, bound=bound, gap=gap)


def select_exact(
    problem: CoverageProblem,
    k: int,
    *,
    time_limit_s: float | None = 60.0,
) -> Selection:
    """The exact MCLP with separation as a MIP, solved by HiGHS (``scipy.optimize.milp``).

    Maximise ``sum_i w_i y_i`` (``w``: the demand the network does not serve
    yet) subject to ``y_i <= sum_{j covers i} x_j``, ``sum_j x_j <= k``,
    ``x_a + x_b <= 1`` for conflicting candidates, ``x`` binary, ``0 <= y <=
    1``; blocked candidates are left out. The solver runs in a child process.

    ``status`` is the solver's, as it is: ``"optimal"`` (``optimal=True``,
    ``bound == covered``, ``gap == 0``), ``"time_limit"`` (the best solution
    found, possibly none, with the best bound HiGHS proved and the gap
    ``(bound - covered) / bound`` of that solution), ``"infeasible"``,
    ``"error"``. A crash or a failure of the solver raises
    :class:`ExactModelError`.
    """
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    if k == 0:
        return _selection(problem, [], "exact", optimal=True, bound=0.0, gap=0.0,
                          status="optimal")  # fmt: skip
    cand, cells, a, ub = _model(problem)
    if cand.size == 0 or cells.size == 0:
        return _selection(problem, [], "exact", optimal=True, bound=0.0, gap=0.0,
                          status="optimal")  # fmt: skip
    nx, ny = cand.size, cells.size
    card = sp.csr_array(np.r_[np.ones(nx), np.zeros(ny)][None, :])
    a = sp.csr_array(sp.vstack([a, card]))
    ub = np.r_[ub, float(k)]
    c = np.r_[np.zeros(nx), -problem.free_weight[cells]]
    limit = 1e9 if time_limit_s is None else float(time_limit_s)
    payload = {"c": c, "A": a, "lb_con": np.full(ub.size, -np.inf), "ub_con": ub,
               "integrality": np.r_[np.ones(nx), np.zeros(ny)], "time_limit_s": limit}  # fmt: skip
    res = _run_milp(payload, limit + EXACT_GRACE_S)
    bound = None if res["bound"] is None else -float(res["bound"])
    return _exact_selection(problem, res, cand, "exact", bound)


def select_min_sites_exact(
    problem: CoverageProblem, share: float, *, time_limit_s: float | None = 60.0
) -> Selection:
    """The exact dual: the fewest new sites so that existing plus new cover ``share``."""
    target = _dual_target(problem, share)
    if target <= 0:
        return _selection(problem, [], "exact-dual", optimal=True, status="optimal")
    cand, cells, a, ub = _model(problem)
    nx, ny = cand.size, cells.size
    w = problem.free_weight[cells]
    if float(w.sum()) < target:
        return _selection(problem, [], "exact-dual", status="infeasible")
    cover_row = sp.csr_array(np.r_[np.zeros(nx), w][None, :])
    a = sp.csr_array(sp.vstack([a, cover_row]))
    lb = np.r_[np.full(ub.size, -np.inf), target * (1 - 1e-9)]
    ub = np.r_[ub, np.inf]
    limit = 1e9 if time_limit_s is None else float(time_limit_s)
    payload = {"c": np.r_[np.ones(nx), np.zeros(ny)], "A": a, "lb_con": lb, "ub_con": ub,
               "integrality": np.r_[np.ones(nx), np.zeros(ny)], "time_limit_s": limit}  # fmt: skip
    res = _run_milp(payload, limit + EXACT_GRACE_S)
    return _exact_selection(problem, res, cand, "exact-dual", None)


def violations(problem: CoverageProblem, chosen: npt.ArrayLike) -> list[tuple[int, int]]:
    """Conflicting pairs within a chosen set, plus ``(j, -1)`` for each blocked site chosen."""
    ch = np.asarray(chosen, dtype=np.int64)
    out = [(int(j), -1) for j in ch if not problem.allowed[j]]
    sub = sp.triu(problem.conflicts[ch][:, ch], k=1).tocoo()
    out += [(int(ch[a]), int(ch[b])) for a, b in zip(sub.row, sub.col, strict=True)]
    return out


#: an instance is solved exactly under ``exact="auto"`` up to these sizes
EXACT_MAX_ALLOWED = 400
EXACT_MAX_COVER_NNZ = 200_000


@dataclass(frozen=True)
class SitePlan:
    """The chosen sites with the heuristic and, where it ran, the exact model.

    Attributes
    ----------
    best : the better of the two selections (the heuristic when the exact
        model did not run, failed or found no better set)
    heuristic : lazy greedy with swaps
    exact : the exact model's solution, or None when it did not run or failed
    gap : relative gap of the heuristic to the best bound on the optimum,
        ``(bound - heuristic) / bound``: the true gap when the exact model
        proved optimality, an upper bound on it after a time limit; None when
        no bound is known (the exact model did not run, failed, or stopped
        without a bound)
    exact_status : the exact model's status (:data:`EXACT_STATUSES`), or None
        when it did not run
    exact_error : why the exact model failed (``exact_status == "error"``)
    """

    best: Selection
    heuristic: Selection
    exact: Selection | None
    gap: float | None
    exact_status: str | None = None
    exact_error: str | None = None

    @property
    def bound(self) -> float | None:
        """The best known upper bound on the demand new sites can add (None: unknown)."""
        return None if self.exact is None else self.exact.bound


def select_sites(
    problem: CoverageProblem,
    k: int,
    *,
    exact: Literal["auto", "always", "never"] = "auto",
    time_limit_s: float = 60.0,
) -> SitePlan:
    """Choose up to ``k`` sites: lazy greedy with swaps, then the exact MIP on small instances.

    The exact model never loses the heuristic plan: a solver crash or error is
    logged as a warning and reported in :attr:`SitePlan.exact_status` and
    :attr:`SitePlan.exact_error`, and the heuristic plan is returned.

    Parameters
    ----------
    problem : the coverage problem (protection rule in ``allowed`` and ``conflicts``)
    k : most sites to choose
    exact : ``"auto"`` runs the MIP when at most :data:`EXACT_MAX_ALLOWED`
        candidates are allowed and the cover matrix has at most
        :data:`EXACT_MAX_COVER_NNZ` entries; ``"always"``, ``"never"``
    time_limit_s : time limit of the exact solver, seconds
    """
    heur = select_greedy(problem, k)
    small = (int(problem.allowed.sum()) <= EXACT_MAX_ALLOWED
             and problem.cover.nnz <= EXACT_MAX_COVER_NNZ)  # fmt: skip
    if not (exact == "always" or (exact == "auto" and small)):
        return SitePlan(best=heur, heuristic=heur, exact=None, gap=None)
    try:
        exact_sel = select_exact(problem, k, time_limit_s=time_limit_s)
    except Exception as exc:  # a solver failure must never lose the heuristic plan
        why = f"{type(exc).__name__}: {exc}"
        log.warning("exact model failed, keeping the heuristic plan: %s", why)
        return SitePlan(best=heur, heuristic=heur, exact=None, gap=None,
                        exact_status="error", exact_error=why)  # fmt: skip
    best = exact_sel if exact_sel.covered > heur.covered else heur
    gap: float | None = None
    if exact_sel.bound is not None:
        bound = max(exact_sel.bound, best.covered)
        gap = (bound - heur.covered) / bound if bound > 0 else 0.0
    return SitePlan(best=best, heuristic=heur, exact=exact_sel, gap=gap,
                    exact_status=exact_sel.status)  # fmt: skip
