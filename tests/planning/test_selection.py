"""Site selection: greedy vs exact MIP, the separation constraint, the dual, spopt MCLP."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from data.places import load_places
from geo.geodesic import distance_m
from geo.settlements import SettlementLookup
from planning.demand import Demand
from planning.protection import ProtectionNetwork, ProtectionPolicy
from planning.selection import (
    CoverageProblem,
    select_exact,
    select_greedy,
    select_min_sites,
    select_min_sites_exact,
    select_sites,
    violations,
)


def _instance(seed: int, *, nd: int = 150, nc: int = 30, sep: float | None = 2.0) -> tuple:
    rng = np.random.default_rng(seed)
    dxy = rng.uniform(0, 10, (nd, 2))
    cxy = rng.uniform(0, 10, (nc, 2))
    cost = np.linalg.norm(dxy[:, None] - cxy[None], axis=2)
    w = rng.integers(1, 100, nd).astype(float)
    conf = None
    allowed = None
    if sep is not None:
        cc = np.linalg.norm(cxy[:, None] - cxy[None], axis=2)
        conf = (cc < sep) & ~np.eye(nc, dtype=bool)
        allowed = rng.random(nc) > 0.1
    k = int(rng.integers(2, 9))
    return cost, w, conf, allowed, k


def test_tiny_handmade() -> None:
    # 3 candidates x 4 cells; a conflicts with b
    cover = np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1]])
    conf = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 0]])
    p = CoverageProblem.from_arrays([5.0, 1.0, 4.0, 2.0], cover, conflicts=conf, ids=list("abc"))
    g = select_greedy(p, 2)
    assert list(g.ids) == ["a", "c"] and g.gain.tolist() == [6.0, 2.0] and g.covered == 8.0
    assert g.share == pytest.approx(8 / 12)
    e = select_exact(p, 2)
    assert e.optimal and e.covered == 8.0 and e.gap == 0.0
    blocked = CoverageProblem.from_arrays([5.0, 1.0, 4.0, 2.0], cover, conflicts=conf,
                                          allowed=[False, True, True])  # fmt: skip
    assert select_greedy(blocked, 3).chosen.tolist() == [1, 2]
    assert select_exact(blocked, 3).covered == 7.0


@pytest.mark.parametrize("seed", range(12))
def test_heuristic_within_98_percent_of_exact_and_feasible(seed: int) -> None:
    cost, w, conf, allowed, k = _instance(seed)
    p = CoverageProblem.from_cost_matrix(cost, w, 1.5, conflicts=conf, allowed=allowed)
    g = select_greedy(p, k)
    e = select_exact(p, k)
    assert e.optimal
    assert g.covered >= 0.98 * e.covered
    assert g.covered <= e.covered + 1e-9
    assert violations(p, g.chosen) == [] and violations(p, e.chosen) == []
    assert g.gain.sum() == pytest.approx(g.covered)
    assert len(g.chosen) <= k


@pytest.mark.parametrize("seed", range(5))
def test_dual_fewest_sites(seed: int) -> None:
    cost, w, conf, allowed, _ = _instance(seed)
    p = CoverageProblem.from_cost_matrix(cost, w, 1.5, conflicts=conf, allowed=allowed)
    g = select_min_sites(p, 0.4)
    e = select_min_sites_exact(p, 0.4)
    assert g.share >= 0.4 - 1e-9 and e.share >= 0.4 - 1e-9
    assert e.chosen.size <= g.chosen.size
    assert violations(p, g.chosen) == [] and violations(p, e.chosen) == []


def _spopt_objective(cost: np.ndarray, w: np.ndarray, radius: float, k: int) -> float:
    pulp = pytest.importorskip("pulp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from spopt.locate import MCLP

        m = MCLP.from_cost_matrix(cost, w, service_radius=radius, p_facilities=k)
        m = m.solve(pulp.PULP_CBC_CMD(msg=False))
    return float(m.problem.objective.value())


@pytest.mark.parametrize("seed", range(5))
def test_equal_to_spopt_mclp_without_separation(seed: int) -> None:
    pytest.importorskip("spopt")
    cost, w, _, _, k = _instance(seed, sep=None)
    p = CoverageProblem.from_cost_matrix(cost, w, 1.5)
    ours = select_exact(p, k)
    theirs = _spopt_objective(cost, w, 1.5, k)
    assert ours.covered == pytest.approx(theirs)
    assert select_greedy(p, k).covered >= 0.98 * theirs


def test_from_points_respects_protection() -> None:
    rng = np.random.default_rng(5)
    net = ProtectionNetwork(ProtectionPolicy(), SettlementLookup(load_places()))
    net.add_points(["P1"], [55.75], [37.62], radius_m=[500.0])
    n = 60
    lat = 55.75 + rng.uniform(-0.02, 0.02, n)
    lon = 37.62 + rng.uniform(-0.03, 0.03, n)
    dlat = 55.75 + rng.uniform(-0.025, 0.025, 400)
    dlon = 37.62 + rng.uniform(-0.035, 0.035, 400)
    dem = Demand(np.arange(400).astype(object), dlat, dlon, rng.uniform(1, 10, 400))
    radius = np.full(n, 700.0)
    p = CoverageProblem.from_points(dem, lat, lon, service_radius_m=800.0, radius_m=radius,
                                    network=net, ids=[f"C{i}" for i in range(n)])  # fmt: skip
    for sel in (select_greedy(p, 8), select_exact(p, 8, time_limit_s=30)):
        ch = sel.chosen
        assert violations(p, ch) == []
        # check the rule directly with the exact geodesic
        d_p1 = distance_m(55.75, 37.62, lat[ch], lon[ch])
        assert (d_p1 >= 700.0).all()
        dd = distance_m(lat[ch][:, None], lon[ch][:, None], lat[ch][None], lon[ch][None])
        assert (dd[~np.eye(ch.size, dtype=bool)] >= 700.0).all()
        assert sel.covered == pytest.approx(p.covered_weight(ch))


def test_bad_arrays() -> None:
    with pytest.raises(ValueError):
        CoverageProblem.from_arrays([1.0, -1.0], np.ones((2, 2)))
    with pytest.raises(ValueError):
        CoverageProblem.from_arrays([1.0, 1.0], np.ones((2, 3)))
    p = CoverageProblem.from_arrays([1.0], sp.csr_array(np.ones((1, 1))))
    with pytest.raises(ValueError):
        select_greedy(p, -1)
    with pytest.raises(ValueError):
        select_min_sites(p, 1.5)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    k=st.integers(1, 12),
    sep=st.floats(0.5, 4.0),
    share=st.floats(0.05, 0.9),
)
def test_no_chosen_set_violates_the_rule(seed: int, k: int, sep: float, share: float) -> None:
    rng = np.random.default_rng(seed)
    nd, nc = 80, 25
    dxy = rng.uniform(0, 10, (nd, 2))
    cxy = rng.uniform(0, 10, (nc, 2))
    cost = np.linalg.norm(dxy[:, None] - cxy[None], axis=2)
    conf = (np.linalg.norm(cxy[:, None] - cxy[None], axis=2) < sep) & ~np.eye(nc, dtype=bool)
    p = CoverageProblem.from_cost_matrix(cost, rng.uniform(0, 5, nd), 2.0, conflicts=conf,
                                         allowed=rng.random(nc) > 0.2)  # fmt: skip
    for sel in (select_greedy(p, k), select_greedy(p, k, swaps=False),
                select_min_sites(p, share)):  # fmt: skip
        assert violations(p, sel.chosen) == []
        assert sel.covered == pytest.approx(p.covered_weight(sel.chosen))


def test_select_sites_reports_the_gap_and_keeps_the_better_set() -> None:
    # 3 candidates, 4 demand cells; 0 and 1 conflict; 1 is the best single site
    cover = np.array([[1, 1, 0, 0], [0, 1, 1, 1], [0, 0, 0, 1]])
    problem = CoverageProblem.from_arrays([5.0, 1.0, 1.0, 4.0], cover,
                                          conflicts=[[0, 1, 0], [1, 0, 0], [0, 0, 0]])  # fmt: skip
    plan = select_sites(problem, 2)
    assert plan.exact is not None and plan.exact.optimal
    assert plan.best.covered == max(plan.heuristic.covered, plan.exact.covered) == 10.0
    assert plan.gap is not None and 0.0 <= plan.gap <= 1e-12
    assert violations(problem, plan.best.chosen) == []
    never = select_sites(problem, 2, exact="never")
    assert never.exact is None and never.gap is None and never.best is never.heuristic
