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
    assert g.covered >= 0.99 * e.covered
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


# ---------------------------------------------------------------- existing coverage
def _with_existing(seed: int, *, nd: int = 80, nc: int = 22, n_existing: int = 2) -> tuple:
    """A small plane instance with separation and existing points that serve (radius 1.5)."""
    rng = np.random.default_rng(1000 + seed)
    dxy = rng.uniform(0, 10, (nd, 2))
    cxy = rng.uniform(0, 10, (nc, 2))
    exy = rng.uniform(0, 10, (n_existing, 2))
    cost = np.linalg.norm(dxy[:, None] - cxy[None], axis=2)
    w = rng.integers(1, 100, nd).astype(float)
    conf = (np.linalg.norm(cxy[:, None] - cxy[None], axis=2) < 1.0) & ~np.eye(nc, dtype=bool)
    blocked = (np.linalg.norm(cxy[:, None] - exy[None], axis=2) < 1.0).any(axis=1)
    served = (np.linalg.norm(dxy[:, None] - exy[None], axis=2) <= 1.5).any(axis=1)
    p = CoverageProblem.from_cost_matrix(cost, w, 1.5, conflicts=conf, allowed=~blocked,
                                         served=served)  # fmt: skip
    return p, cost, w


def _brute_force(p: CoverageProblem, k: int) -> float:
    """The best total coverage (existing plus new) over every feasible set of <= k sites."""
    from itertools import combinations

    ok = np.flatnonzero(p.allowed)
    dense = p.cover.toarray().astype(bool)
    conf = p.conflicts.toarray().astype(bool)
    base = p.served_weight
    best = base
    for r in range(1, k + 1):
        for combo in combinations(ok.tolist(), r):
            c = list(combo)
            if conf[np.ix_(c, c)].any():
                continue
            hit = dense[c].any(axis=0) & ~p.served
            best = max(best, base + float(p.weight[hit].sum()))
    return best


@pytest.mark.parametrize("seed", range(6))
def test_existing_points_heuristic_near_brute_force(seed: int) -> None:
    p, _, _ = _with_existing(seed)
    k = 5
    best = _brute_force(p, k)
    for sel in (select_greedy(p, k), select_sites(p, k).best):
        assert violations(p, sel.chosen) == []
        assert not p.allowed[sel.chosen].__invert__().any()
        assert sel.after >= 0.99 * best
        assert sel.after <= best + 1e-9
        assert sel.before == pytest.approx(p.served_weight)
        assert sel.covered == pytest.approx(p.covered_weight(sel.chosen))
        assert sel.share == pytest.approx(sel.after / p.total_weight)
    e = select_exact(p, k)
    assert e.optimal and e.after == pytest.approx(best)


def test_existing_coverage_changes_the_plan() -> None:
    # a and b cover the same 10 units; a also covers 5 served units; c covers 6 new units
    cover = np.array([[1, 1, 0], [1, 0, 0], [0, 0, 1]])
    p = CoverageProblem.from_arrays([10.0, 5.0, 6.0], cover)
    assert select_greedy(p, 1).ids.tolist() == [0]
    served = p.with_served([True, False, False])
    g = select_greedy(served, 1)
    assert g.ids.tolist() == [2] and g.covered == 6.0 and g.before == 10.0 and g.after == 16.0
    assert select_exact(served, 1).covered == 6.0
    assert served.greenfield().served_weight == 0.0
    # the dual counts what the network covers: 10 of 21 served, 16/21 needs one site
    assert select_min_sites(served, 16 / 21).chosen.size == 1
    assert select_min_sites(served, 10 / 21).chosen.size == 0
    assert select_min_sites_exact(served, 16 / 21).chosen.tolist() == [2]


def test_from_points_counts_the_networks_coverage() -> None:
    net = ProtectionNetwork(ProtectionPolicy(), SettlementLookup(load_places()))
    net.add_points(["P1"], [55.75], [37.62], radius_m=[500.0])
    dem = Demand(np.array(["near", "far"], dtype=object), np.array([55.751, 55.80]),
                 np.array([37.62, 37.62]), np.array([3.0, 4.0]))  # fmt: skip
    lat, lon = np.array([55.7565, 55.80]), np.array([37.62, 37.621])
    p = CoverageProblem.from_points(dem, lat, lon, service_radius_m=1000.0, network=net)
    assert p.served.tolist() == [True, False] and p.served_weight == 3.0
    assert select_greedy(p, 1).ids.tolist() == [1]
    green = CoverageProblem.from_points(dem, lat, lon, service_radius_m=1000.0, network=net,
                                        existing=None)  # fmt: skip
    assert not green.served.any()
    given = CoverageProblem.from_points(dem, lat, lon, service_radius_m=1000.0, network=net,
                                        existing=([55.80], [37.62]))  # fmt: skip
    assert given.served.tolist() == [False, True]


@pytest.mark.parametrize("seed", range(3))
def test_greenfield_equals_spopt_mclp(seed: int) -> None:
    pytest.importorskip("spopt")
    p, cost, w = _with_existing(seed)
    green = CoverageProblem.from_cost_matrix(cost, w, 1.5, served=p.served).greenfield()
    theirs = _spopt_objective(cost, w, 1.5, 5)
    assert select_exact(green, 5).covered == pytest.approx(theirs)
    assert select_sites(green, 5).best.covered == pytest.approx(theirs)


# ---------------------------------------------------------------- honest exact results
def _hard(seed: int = 3) -> CoverageProblem:
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 30_000, (8, 2))
    dxy = centres[rng.integers(0, 8, 3000)] + rng.normal(0, 3000, (3000, 2))
    cxy = centres[rng.integers(0, 8, 380)] + rng.normal(0, 4000, (380, 2))
    w = rng.integers(1, 100, 3000).astype(float)
    cc = np.linalg.norm(cxy[:, None] - cxy[None], axis=2)
    cost = np.linalg.norm(dxy[:, None] - cxy[None], axis=2)
    return CoverageProblem.from_cost_matrix(cost, w, 1500.0, conflicts=(cc < 700) & (cc > 0))


def test_time_limit_is_reported_as_such() -> None:
    p = _hard()
    plan = select_sites(p, 15, exact="always", time_limit_s=0.01)
    assert plan.exact is not None and plan.exact_status == "time_limit"
    assert plan.exact.status == "time_limit" and not plan.exact.optimal
    assert plan.gap is None or plan.gap > 0
    if plan.bound is not None:
        assert plan.bound >= plan.best.covered - 1e-6
        assert plan.gap == pytest.approx((plan.bound - plan.heuristic.covered) / plan.bound)
    assert plan.best.covered >= plan.heuristic.covered
    assert violations(p, plan.best.chosen) == []


def test_time_limit_without_a_bound_has_no_gap(monkeypatch: pytest.MonkeyPatch) -> None:
    import planning.selection as selection

    cost, w, conf, allowed, k = _instance(0)
    p = CoverageProblem.from_cost_matrix(cost, w, 1.5, conflicts=conf, allowed=allowed)
    monkeypatch.setattr(
        selection,
        "_run_milp",
        lambda payload, timeout_s: {
            "status": 1,
            "message": "time limit reached",
            "x": None,
            "fun": None,
            "bound": None,
        },
    )
    plan = select_sites(p, k, exact="always")
    assert plan.exact_status == "time_limit" and plan.gap is None and plan.bound is None
    assert plan.best is plan.heuristic and plan.best.chosen.size > 0


def test_a_crashing_solver_keeps_the_heuristic_plan(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import pathlib

    import planning.selection as selection

    script = pathlib.Path(str(tmp_path)) / "segv.py"
    script.write_text("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
    monkeypatch.setattr(selection, "MILP_SCRIPT", script)
    cost, w, conf, allowed, k = _instance(1)
    p = CoverageProblem.from_cost_matrix(cost, w, 1.5, conflicts=conf, allowed=allowed)
    with caplog.at_level("WARNING", logger="planning.selection"):
        plan = select_sites(p, k, exact="always")
    assert plan.exact is None and plan.exact_status == "error"
    assert plan.exact_error is not None and "signal 11" in plan.exact_error
    assert plan.gap is None and plan.best is plan.heuristic and plan.best.chosen.size > 0
    assert "exact model failed" in caplog.text
    with pytest.raises(selection.ExactModelError):
        select_exact(p, k)


def test_any_solver_exception_keeps_the_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    import planning.selection as selection

    def boom(*args: object, **kwargs: object) -> dict:
        raise MemoryError("out of memory")

    monkeypatch.setattr(selection, "_run_milp", boom)
    cost, w, conf, allowed, k = _instance(2)
    p = CoverageProblem.from_cost_matrix(cost, w, 1.5, conflicts=conf, allowed=allowed)
    plan = select_sites(p, k, exact="always")
    assert plan.exact_status == "error" and "MemoryError" in str(plan.exact_error)
    assert plan.best is plan.heuristic


@pytest.mark.parametrize("seed", range(3))
def test_local_search_keeps_the_rule_and_never_loses(seed: int) -> None:
    rng = np.random.default_rng(seed)
    nd, nc = 3000, 300
    dxy = rng.uniform(0, 30, (nd, 2))
    cxy = rng.uniform(0, 30, (nc, 2))
    cost = np.linalg.norm(dxy[:, None] - cxy[None], axis=2)
    cc = np.linalg.norm(cxy[:, None] - cxy[None], axis=2)
    served = rng.random(nd) < 0.2
    p = CoverageProblem.from_cost_matrix(cost, rng.uniform(0, 9, nd), 2.5,
                                         conflicts=(cc < 1.5) & (cc > 0),
                                         allowed=rng.random(nc) > 0.15, served=served)  # fmt: skip
    plain = select_greedy(p, 25, search=0, seed=seed)
    searched = select_greedy(p, 25, seed=seed)
    assert plain.method == "greedy+swap+grasp" and searched.method.endswith("+ils")
    assert searched.covered >= plain.covered - 1e-9
    assert violations(p, searched.chosen) == [] and searched.chosen.size <= 25
    assert searched.covered == pytest.approx(p.covered_weight(searched.chosen))
    assert select_greedy(p, 25, seed=seed).chosen.tolist() == searched.chosen.tolist()
