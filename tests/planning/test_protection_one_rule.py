"""One rule, decided once: the batch check says per candidate what :func:`decide` says.

``ProtectionNetwork.check_batch`` (the API's and the CLI's batch, scoring, planning,
white space) and the audit decide through :func:`planning.protection.decide_pairs`, the
comparison :func:`decide` uses too; here the batch is compared with :func:`decide` on
neighbours measured by brute force, on random networks with exact ties (``d == r``), the
antimeridian, reservations, an excluded id and kinds that are not blocked.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import planning.protection as protection
from geo.geodesic import WGS84, distance_m
from geo.settlements import SettlementLookup
from planning.protection import ProtectionNetwork, ProtectionPolicy, decide, measure

#: Moscow (500 m tier), a small town (1,000 m), the antimeridian in Chukotka and by Fiji
CENTRES = [(55.7520, 37.6175), (57.8760, 35.0070), (66.0, 179.9995), (-16.5, -179.9997)]
KINDS = ["partner", "own", "postamat"]
STATUSES = ["active", "paused", "closed"]
RADII = [None, 300.0, 500.0, 700.0, 1000.0]


def _at(centre: int, az: float, dist_m: float) -> tuple[float, float]:
    lat0, lon0 = CENTRES[centre]
    lon, lat, _ = WGS84.fwd(lon0, lat0, az, dist_m)
    return float(lat), float(lon)


_place = st.tuples(st.integers(0, len(CENTRES) - 1), st.floats(0, 360), st.floats(0, 2500))
_point = st.tuples(_place, st.sampled_from(KINDS), st.sampled_from(STATUSES),
                   st.sampled_from(RADII), st.booleans())  # fmt: skip
_candidate = st.tuples(_place, st.sampled_from([*KINDS, None]), st.sampled_from(RADII),
                       st.integers(-1, 30))  # fmt: skip


@st.composite
def networks(draw: st.DrawFn) -> dict[str, Any]:
    """Points (some reservations, some not live), candidates (some with a radius equal to
    the exact distance to a point: a tie), a tie the other way (a point's radius equal to
    its distance to a candidate), and maybe an excluded id."""
    pts = draw(st.lists(_point, min_size=1, max_size=30))
    cands = draw(st.lists(_candidate, min_size=1, max_size=25))
    points = []
    for i, (place, kind, status, radius, reserved) in enumerate(pts):
        lat, lon = _at(*place)
        if reserved:  # an application's reservation: indexed as the service indexes it
            points.append((f"A{i}", lat, lon, "partner" if i % 2 else "own", "active", radius))
        else:
            points.append((f"P{i}", lat, lon, kind, status, radius))
    candidates = []
    for place, c_kind, radius, tie in cands:
        lat, lon = _at(*place)
        if 0 <= tie < len(points):  # the candidate's radius is its exact distance to a point
            radius = float(distance_m(lat, lon, points[tie][1], points[tie][2]))
            radius = min(max(radius, 1.0), 50_000.0)
        candidates.append((lat, lon, c_kind, radius))
    j = draw(st.integers(0, len(points) - 1))
    k = draw(st.integers(0, len(candidates) - 1))
    if draw(st.booleans()):  # the point's radius is its exact distance to a candidate
        d = float(distance_m(candidates[k][0], candidates[k][1], points[j][1], points[j][2]))
        if 1.0 <= d <= 50_000.0:
            points[j] = (*points[j][:5], d)
    exclude = draw(st.sampled_from([None, points[j][0], "nobody"]))
    return {"points": points, "candidates": candidates, "exclude": exclude}


def _network(settlements: SettlementLookup, points: list[Any]) -> ProtectionNetwork:
    net = ProtectionNetwork(ProtectionPolicy(), settlements)
    net.add_points([p[0] for p in points], [p[1] for p in points], [p[2] for p in points],
                   radius_m=[np.nan if p[5] is None else p[5] for p in points],
                   kind=[p[3] for p in points], status=[p[4] for p in points])  # fmt: skip
    return net


@settings(max_examples=100, deadline=None)
@given(case=networks(), all_distances=st.booleans())
def test_check_batch_is_decide_per_candidate(
    settlements: SettlementLookup, case: dict[str, Any], all_distances: bool
) -> None:
    policy = ProtectionPolicy()
    points, candidates, exclude = case["points"], case["candidates"], case["exclude"]
    net = _network(settlements, points)
    # the live rows, selected here from the points themselves, radii as the network gave
    rows = []
    for pid, lat, lon, kind, status, radius in points:
        if policy.protects(kind, status):
            r = radius if radius is not None else float(net.radius_for([lat], [lon])[0])
            rows.append((pid, lat, lon, r))
    la = np.array([c[0] for c in candidates])
    lo = np.array([c[1] for c in candidates])
    kinds = [c[2] or policy.default_kind for c in candidates]
    given_r = np.array([np.nan if c[3] is None else c[3] for c in candidates])
    batch = net.check_batch(la, lo, kind=kinds, radius_m=given_r, exclude=exclude,
                            all_distances=all_distances)  # fmt: skip
    for i, (lat, lon, kind, radius) in enumerate(candidates):
        r_c = radius if radius is not None else float(net.radius_for([lat], [lon])[0])
        want = decide(kind, r_c, measure(lat, lon, rows), policy,
                      exclude=() if exclude is None else (exclude,))  # fmt: skip
        got = batch.result(i)
        assert got.radius_m == r_c
        assert got.allowed is want.allowed, (i, got, want)
        assert sorted(str(c.point_id) for c in got.conflicts) == sorted(
            str(c.point_id) for c in want.conflicts)  # fmt: skip
        if got.conflicts:  # the nearest first, with its exact geodesic
            assert got.conflicts[0].distance_m == pytest.approx(want.conflicts[0].distance_m,
                                                                abs=1e-9)  # fmt: skip
            d = [c.distance_m for c in got.conflicts]
            assert d == sorted(d) or not all_distances
        # the single check agrees as well
        single = net.check(lat, lon, kind=kind, radius_m=radius, exclude=exclude)
        assert single.allowed is want.allowed
        assert [c.point_id for c in single.conflicts] == [c.point_id for c in want.conflicts]


@settings(max_examples=60, deadline=None)
@given(case=networks())
def test_audit_is_decide_per_pair(settlements: SettlementLookup, case: dict[str, Any]) -> None:
    policy = ProtectionPolicy()
    net = _network(settlements, case["points"])
    live = [p for p in case["points"] if policy.protects(p[3], p[4])]
    radius = {p[0]: net.index.point(p[0])[2] for p in live}
    want = set()
    for i, a in enumerate(live):
        for b in live[i + 1 :]:
            d = float(distance_m(a[1], a[2], b[1], b[2]))
            if protection.decide_pairs(d, radius[a[0]], radius[b[0]]):
                want.add(frozenset((a[0], b[0])))
    audit = net.audit()
    assert {frozenset((a, b)) for a, b in zip(audit.a_id, audit.b_id, strict=True)} == want
    assert list(audit.distance_m) == sorted(audit.distance_m)


def test_exact_ties_are_allowed_on_both_paths(settlements: SettlementLookup) -> None:
    """``d == r`` exactly, on the antimeridian: allowed by the batch, the single check and
    ``decide``; a metre closer: refused by all three."""
    net = ProtectionNetwork(ProtectionPolicy(), settlements)
    p_lat, p_lon = _at(2, 0, 0)
    c_lat, c_lon = _at(2, 90, 640)  # across the antimeridian from the point
    assert (c_lon < 0) != (p_lon < 0)
    d = float(distance_m(c_lat, c_lon, p_lat, p_lon))
    net.add_points(["P"], [p_lat], [p_lon], radius_m=[d])
    closer = _at(2, 90, 639)
    batch = net.check_batch([c_lat, closer[0]], [c_lon, closer[1]], radius_m=[300.0, 300.0])
    assert batch.allowed.tolist() == [True, False]
    assert net.check(c_lat, c_lon, radius_m=300.0).allowed
    assert decide("partner", 300.0, [("P", d, d)], ProtectionPolicy()).allowed
    assert not decide("partner", 300.0, [("P", np.nextafter(d, 0), d)], ProtectionPolicy()).allowed
    # and the candidate's own radius as the tie
    batch = net.check_batch([c_lat], [c_lon], radius_m=[d])
    assert batch.allowed.tolist() == [True]


def test_every_path_compares_through_decide_pairs(
    settlements: SettlementLookup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The single decision, the batch and the audit all call the one comparison."""
    calls: list[str] = []
    real = protection.decide_pairs

    def spy(d: Any, r_c: Any, r_p: Any) -> Any:
        calls.append("array" if isinstance(d, np.ndarray) else "scalar")
        return real(d, r_c, r_p)

    monkeypatch.setattr(protection, "decide_pairs", spy)
    net = ProtectionNetwork(ProtectionPolicy(), settlements)
    net.add_points(["P", "Q"], [55.75, 55.7501], [37.62, 37.62])
    assert not net.check(55.7502, 37.62).allowed
    assert calls and set(calls) == {"scalar"}
    calls.clear()
    assert not net.check_batch([55.7502, 55.80], [37.62, 37.62]).allowed[0]
    assert calls == ["array"]
    calls.clear()
    assert len(net.audit()) == 1
    assert calls == ["array"]
