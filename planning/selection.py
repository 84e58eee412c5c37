"""Site selection: maximal covering (MCLP) with the protection rule as a separation constraint.

The problem: choose at most ``k`` candidates to maximise the weight of demand
covered (a demand cell is covered when a chosen candidate is within the
service radius), where

* a candidate blocked by an existing point (protection rule) is never chosen;
* two candidates that conflict (geodesic distance below the larger of their
  protection radii) are never both chosen.

Solvers (all take a :class:`CoverageProblem`: arrays, coverage as CSR):

* :func:`select_greedy`: lazy greedy (marginal gains in a heap, re-evaluated
  only when popped; coverage is submodular so stale gains are upper bounds),
  then :func:`improve_by_swaps` (replace a chosen site by the best feasible
  outsider while that raises the objective);
* :func:`select_exact`: the MIP (PuLP with CBC) for small instances, warm
  started from the greedy answer; reports the objective, the solver status and
  the optimality gap of the heuristic;
* :func:`select_min_sites` and :func:`select_min_sites_exact`: the dual, the
  fewest sites covering a given share of the demand.

:meth:`CoverageProblem.from_points` builds the arrays from coordinates with the
exact WGS84 index; :meth:`CoverageProblem.from_cost_matrix` from a dense
demand x candidate cost matrix (as ``spopt``'s ``MCLP.from_cost_matrix``).
"""

from __future__ import annotations

import heapq
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from geo.index import PointIndex
from planning.demand import Demand
from planning.protection import ProtectionNetwork
from planning.scoring import reach_pairs

__all__ = [
    "CoverageProblem",
    "Selection",
    "SitePlan",
    "improve_by_swaps",
    "select_exact",
    "select_greedy",
    "select_min_sites",
    "select_min_sites_exact",
    "select_sites",
    "violations",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


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
    """

    weight: FloatArray
    cover: sp.csr_array
    allowed: BoolArray
    conflicts: sp.csr_array
    ids: npt.NDArray[np.object_]

    @property
    def n_candidates(self) -> int:
        """Number of candidates."""
        return int(self.cover.shape[0])

    @property
    def total_weight(self) -> float:
        """Total demand weight (the denominator of the covered share)."""
        return float(self.weight.sum())

    @classmethod
    def from_arrays(
        cls,
        weight: npt.ArrayLike,
        cover: sp.sparray | sp.spmatrix | npt.ArrayLike,
        *,
        allowed: npt.ArrayLike | None = None,
        conflicts: sp.sparray | sp.spmatrix | npt.ArrayLike | None = None,
        ids: Sequence[Hashable] | None = None,
    ) -> CoverageProblem:
        """Validate and normalise arrays (dense or sparse ``cover`` and ``conflicts``)."""
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
        return cls(w, c, ok, conf, id_arr)

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
    ) -> CoverageProblem:
        """From a dense ``(n_demand, n_candidates)`` cost matrix; covered when ``cost <= radius``.

        The same convention as ``spopt.locate.MCLP.from_cost_matrix``; ``allowed``,
        ``conflicts`` and ``ids`` as in :meth:`from_arrays`.
        """
        cm = np.asarray(cost, dtype=np.float64)
        cover = sp.csr_array((cm <= service_radius).T.astype(np.float64))
        return cls.from_arrays(weight, cover, allowed=allowed, conflicts=conflicts, ids=ids)

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
        return cls.from_arrays(demand.weight, cover, allowed=allowed, conflicts=conflicts, ids=ids)

    def row(self, j: int) -> IntArray:
        """Demand cells covered by candidate ``j``."""
        return np.asarray(self.cover.indices[self.cover.indptr[j] : self.cover.indptr[j + 1]],
                          dtype=np.int64)  # fmt: skip

    def conflicts_of(self, j: int) -> IntArray:
        """Candidates in conflict with candidate ``j``."""
        c = self.conflicts
        return np.asarray(c.indices[c.indptr[j] : c.indptr[j + 1]], dtype=np.int64)

    def covered_weight(self, chosen: npt.ArrayLike) -> float:
        """Demand weight covered by a set of candidates."""
        ch = np.asarray(chosen, dtype=np.int64)
        if ch.size == 0:
            return 0.0
        hit = np.zeros(self.weight.size, dtype=bool)
        hit[self.cover[ch].indices] = True
        return float(self.weight[hit].sum())


@dataclass(frozen=True)
class Selection:
    """Chosen sites and the objective.

    Attributes
    ----------
    chosen : int64 array, candidate positions in the order chosen
    ids : their identifiers
    gain : demand weight each adds, in that order (sums to ``covered``)
    covered : demand weight covered (the objective)
    share : ``covered`` over the total demand weight
    method : ``"greedy"``, ``"greedy+swap"``, ``"exact"``, ...
    optimal : True when proven optimal (exact model solved to optimality)
    bound : best known upper bound on the objective (None when unknown)
    gap : relative gap ``(bound - covered) / bound`` (None when unknown)
    status : solver status text
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

    def summary(self) -> dict[str, object]:
        """A JSON-ready summary."""
        return {
            "method": self.method,
            "n_chosen": int(self.chosen.size),
            "covered_demand": round(self.covered, 6),
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
            g = float(problem.weight[cells[~covered[cells]]].sum())
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
    return Selection(
        chosen=order,
        ids=problem.ids[order],
        gain=gains,
        covered=covered,
        share=covered / total if total > 0 else 0.0,
        method=method,
        optimal=optimal,
        bound=bound,
        gap=gap,
        status=status,
    )


def _greedy(
    problem: CoverageProblem, k: int | None, target: float | None, banned: int | None = None
) -> tuple[list[int], list[float]]:
    w, cov = problem.weight, problem.cover
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
    w, cov = problem.weight, problem.cover
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
    seed : random seed of the restarts (same seed, same answer)
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
    return _selection(problem, best, "greedy+swap" if not restarts else "greedy+swap+grasp")


def improve_by_swaps(
    problem: CoverageProblem, chosen: Sequence[int], *, max_passes: int = 5
) -> list[int]:
    """Replace chosen sites one at a time by the best feasible outsider while it helps.

    A swap ``s -> c`` is feasible when ``c`` is allowed, not chosen and in
    conflict with no chosen site other than ``s``. Each pass tries every
    chosen site once; stops after a pass without improvement.
    """
    w = problem.weight
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


def select_min_sites(problem: CoverageProblem, share: float) -> Selection:
    """Greedy dual: the fewest sites (approximately) whose coverage reaches ``share`` of demand.

    When the share cannot be reached, returns every useful greedy site; check
    ``Selection.share``.
    """
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share}")
    target = share * problem.total_weight * (1 - 1e-12)
    chosen, _ = _greedy(problem, None, target)
    return _selection(problem, chosen, "greedy-dual")


def _cbc(time_limit_s: float | None, threads: int) -> Any:
    """CBC: an installed ``COIN_CMD`` if there is one, else the binary bundled with PuLP."""
    import pulp

    opts = {"msg": False, "timeLimit": time_limit_s, "threads": threads, "warmStart": True}
    coin = pulp.COIN_CMD(**opts)
    if coin.available():
        return coin
    with warnings.catch_warnings():
        # PuLP 3.x deprecates its bundled CBC in favour of pulp[cbc]; still the default here
        warnings.filterwarnings("ignore", message="PULP_CBC_CMD is deprecated",
                                category=DeprecationWarning)  # fmt: skip
        return pulp.PULP_CBC_CMD(**opts)


def _variable(prob: Any, name: str, low: float, up: float, cat: str) -> Any:
    """A PuLP variable, attached to the model on PuLP >= 3.3 (``LpVariable`` is deprecated)."""
    import pulp

    if hasattr(prob, "add_variable"):
        return prob.add_variable(name, low, up, cat=cat)
    return pulp.LpVariable(name, lowBound=low, upBound=up, cat=cat)


def _model(
    problem: CoverageProblem, sense: int
) -> tuple[Any, dict[int, Any], dict[int, Any], IntArray]:
    import pulp

    cand = np.flatnonzero(problem.allowed & (np.diff(problem.cover.indptr) > 0))
    prob = pulp.LpProblem("mclp", sense)
    x = {int(j): _variable(prob, f"x_{j}", 0, 1, "Binary") for j in cand}
    sub = sp.csc_array(problem.cover[cand])
    cells = np.flatnonzero(np.diff(sub.indptr) > 0)
    y = {int(i): _variable(prob, f"y_{i}", 0, 1, "Continuous") for i in cells}
    for i in cells:
        rows = cand[sub.indices[sub.indptr[i] : sub.indptr[i + 1]]]
        prob += y[int(i)] <= pulp.lpSum(x[int(j)] for j in rows)
    conf = sp.triu(problem.conflicts[cand][:, cand], k=1).tocoo()
    for a, b in zip(conf.row.tolist(), conf.col.tolist(), strict=True):
        prob += x[int(cand[a])] + x[int(cand[b])] <= 1
    return prob, x, y, cand


def select_exact(
    problem: CoverageProblem,
    k: int,
    *,
    time_limit_s: float | None = 60.0,
    threads: int = 1,
    warm_start: bool = True,
) -> Selection:
    """The exact MCLP with separation as a MIP, solved by CBC (PuLP).

    Maximise ``sum_i w_i y_i`` subject to ``y_i <= sum_{j covers i} x_j``,
    ``sum_j x_j <= k``, ``x_a + x_b <= 1`` for conflicting candidates, ``x``
    binary, ``0 <= y <= 1``; blocked candidates are left out. ``optimal`` is
    True when CBC proves optimality (gap 0); after a time limit the best
    solution found is returned with ``optimal=False``.
    """
    import pulp

    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    prob, x, y, _ = _model(problem, pulp.LpMaximize)
    lp = prob
    w = problem.weight
    lp += pulp.lpSum(float(w[i]) * v for i, v in y.items())
    lp += pulp.lpSum(x.values()) <= k
    if warm_start and x:
        start = set(_greedy(problem, k, None)[0])
        for j, v in x.items():
            v.setInitialValue(1 if j in start else 0)
    if not x:
        return _selection(problem, [], "exact", optimal=True, bound=0.0, gap=0.0,
                          status="Optimal")  # fmt: skip
    lp.solve(_cbc(time_limit_s, threads))
    chosen = [j for j, v in x.items() if (v.value() or 0) > 0.5]
    optimal = lp.sol_status == pulp.LpSolutionOptimal
    status = pulp.LpStatus[lp.status]
    sel = _selection(problem, chosen, "exact", optimal=bool(optimal), status=status)
    if optimal:
        return Selection(**{**sel.__dict__, "bound": sel.covered, "gap": 0.0})
    return sel


def select_min_sites_exact(
    problem: CoverageProblem, share: float, *, time_limit_s: float | None = 60.0
) -> Selection:
    """The exact dual: minimise the number of sites covering at least ``share`` of demand."""
    import pulp

    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share}")
    prob, x, y, _ = _model(problem, pulp.LpMinimize)
    lp = prob
    w = problem.weight
    lp += pulp.lpSum(x.values())
    lp += pulp.lpSum(float(w[i]) * v for i, v in y.items()) >= (
        share * problem.total_weight * (1 - 1e-9)
    )
    lp.solve(_cbc(time_limit_s, 1))
    status = pulp.LpStatus[lp.status]
    if lp.status != pulp.LpStatusOptimal and lp.sol_status != pulp.LpSolutionIntegerFeasible:
        return _selection(problem, [], "exact-dual", status=status)
    chosen = [j for j, v in x.items() if (v.value() or 0) > 0.5]
    optimal = lp.sol_status == pulp.LpSolutionOptimal
    return _selection(problem, chosen, "exact-dual", optimal=bool(optimal), status=status)


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
        model did not run or found no better set)
    heuristic : lazy greedy with swaps
    exact : the CBC solution, or None when the exact model did not run
    gap : relative gap of the heuristic to the exact objective,
        ``(ref - heuristic) / ref`` with ``ref`` the better of the two (an upper
        bound on the true gap when the solver was stopped); None when the exact
        model did not run
    """

    best: Selection
    heuristic: Selection
    exact: Selection | None
    gap: float | None


def select_sites(
    problem: CoverageProblem,
    k: int,
    *,
    exact: Literal["auto", "always", "never"] = "auto",
    time_limit_s: float = 60.0,
) -> SitePlan:
    """Choose up to ``k`` sites: lazy greedy with swaps, then the exact MIP on small instances.

    Parameters
    ----------
    problem : the coverage problem (protection rule in ``allowed`` and ``conflicts``)
    k : most sites to choose
    exact : ``"auto"`` runs CBC when at most :data:`EXACT_MAX_ALLOWED` candidates
        are allowed and the cover matrix has at most :data:`EXACT_MAX_COVER_NNZ`
        entries; ``"always"``, ``"never"``
    time_limit_s : time limit of the exact solver, seconds
    """
    heur = select_greedy(problem, k)
    small = (int(problem.allowed.sum()) <= EXACT_MAX_ALLOWED
             and problem.cover.nnz <= EXACT_MAX_COVER_NNZ)  # fmt: skip
    exact_sel: Selection | None = None
    best = heur
    gap: float | None = None
    if exact == "always" or (exact == "auto" and small):
        exact_sel = select_exact(problem, k, time_limit_s=time_limit_s)
        if exact_sel.covered > heur.covered:
            best = exact_sel
        ref = max(exact_sel.covered, heur.covered)
        gap = (ref - heur.covered) / ref if ref > 0 else 0.0
    return SitePlan(best=best, heuristic=heur, exact=exact_sel, gap=gap)
