"""The competition-protection rule: tiers, checks, batches, audit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.geodesic import WGS84, distance_m
from geo.settlements import SettlementLookup
from planning.protection import ProtectionNetwork, ProtectionPolicy, RadiusTier


def at(lat: float, lon: float, az: float, dist_m: float) -> tuple[float, float]:
    lon2, lat2, _ = WGS84.fwd(lon, lat, az, dist_m)
    return float(lat2), float(lon2)


@pytest.mark.parametrize(
    ("lat", "lon", "radius"),
    [
        (55.7520, 37.6175, 500.0),  # Moscow, 10 M
        (56.8575, 60.6125, 500.0),  # Yekaterinburg, 1.5 M
        (69.3535, 88.2027, 700.0),  # Norilsk, 141 k
        (54.7064, 20.5110, 700.0),  # Kaliningrad, 475 k
        (57.8760, 35.0070, 1000.0),  # Udomlya, 32 k
        (64.7342, 177.5103, 1000.0),  # Anadyr, 15.6 k
        (62.0, 100.0, 1000.0),  # open country
    ],
)
def test_tier_radius(
    settlements: SettlementLookup, policy: ProtectionPolicy, lat: float, lon: float, radius: float
) -> None:
    net = ProtectionNetwork(policy, settlements)
    assert net.radius_for([lat], [lon])[0] == radius
    assert net.check(lat, lon).radius_m == radius


def test_policy_from_toml(tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "policy.toml"
    p.write_text(
        'protecting_kinds = ["partner"]\n'
        "[[tiers]]\nmin_population = 0\nradius_m = 800\n"
        "[[tiers]]\nmin_population = 500000\nradius_m = 400\n"
    )
    pol = ProtectionPolicy.from_toml(p)
    assert pol.radius_for_population([0, 499_999, 500_000, 10**7]).tolist() == [800, 800, 400, 400]
    assert pol.protecting_kinds == ["partner"]
    with pytest.raises(ValueError, match="min_population = 0"):
        ProtectionPolicy(tiers=[RadiusTier(min_population=10, radius_m=500)])


@pytest.fixture()
def moscow_net(settlements: SettlementLookup, policy: ProtectionPolicy) -> ProtectionNetwork:
    net = ProtectionNetwork(policy, settlements)
    lat0, lon0 = 55.7520, 37.6175
    pts = [("A", lat0, lon0, "partner", "active")]
    pts.append(("B", *at(lat0, lon0, 90, 300), "own", "paused"))
    pts.append(("C", *at(lat0, lon0, 180, 450), "partner", "closed"))  # does not protect
    pts.append(("D", *at(lat0, lon0, 270, 200), "postamat", "active"))  # does not protect
    df = pd.DataFrame(pts, columns=["id", "lat", "lon", "kind", "status"])
    net.add_points(df["id"].tolist(), df["lat"], df["lon"], kind=df["kind"], status=df["status"])
    return net


def test_check_conflicts_nearest_first(moscow_net: ProtectionNetwork) -> None:
    lat, lon = at(55.7520, 37.6175, 60, 150)
    res = moscow_net.check(lat, lon)
    assert not res.allowed
    assert res.radius_m == 500 and res.settlement == "Москва"
    assert [c.point_id for c in res.conflicts] == ["A", "B"]
    d = [c.distance_m for c in res.conflicts]
    assert d == sorted(d)
    assert d[0] == pytest.approx(150, abs=1e-6)
    assert d[0] == float(distance_m(lat, lon, 55.7520, 37.6175))


def test_kinds_and_statuses(moscow_net: ProtectionNetwork) -> None:
    # closed C and postamat D are not live; a postamat candidate is never blocked
    assert len(moscow_net.index) == 2
    lat, lon = at(55.7520, 37.6175, 0, 10)
    assert moscow_net.check(lat, lon, kind="postamat").allowed
    assert not moscow_net.check(lat, lon, kind="own").allowed


def test_boundary_exact_equality_and_symmetry(
    settlements: SettlementLookup, policy: ProtectionPolicy
) -> None:
    net = ProtectionNetwork(policy, settlements)
    lat0, lon0 = 55.7520, 37.6175  # Moscow: 500 m
    net.add_points(["A"], [lat0], [lon0])
    for az in (0.0, 45.0, 133.0):
        lat, lon = at(lat0, lon0, az, 500.0)
        d = float(distance_m(lat0, lon0, lat, lon))
        inside = at(lat0, lon0, az, 499.5)
        outside = at(lat0, lon0, az, 500.5)
        assert not net.check(*inside).allowed
        assert net.check(*outside).allowed
        # d == r exactly: allowed
        assert net.check(lat, lon, radius_m=d).allowed is (d >= 500.0)
    # symmetric: a candidate with a 1 km radius is blocked by a point 800 m away
    lat, lon = at(lat0, lon0, 10, 800)
    assert net.check(lat, lon).allowed
    assert not net.check(lat, lon, radius_m=1000).allowed


def test_check_batch_matches_single(moscow_net: ProtectionNetwork) -> None:
    rng = np.random.default_rng(3)
    lon, lat, _ = WGS84.fwd(
        np.full(60, 37.6175), np.full(60, 55.7520), rng.uniform(-180, 180, 60),
        rng.uniform(0, 1200, 60),
    )  # fmt: skip
    batch = moscow_net.check_batch(lat, lon)
    for i in range(lat.size):
        assert batch.result(i) == moscow_net.check(lat[i], lon[i])
    frame = batch.to_frame([f"c{i}" for i in range(lat.size)])
    assert list(frame.columns) == ["id", "allowed", "radius_m", "settlement",
                                   "settlement_population", "n_conflicts", "nearest_id",
                                   "nearest_distance_m", "conflict_ids"]  # fmt: skip
    assert frame["settlement"].tolist() == batch.settlement.tolist()
    assert frame["settlement_population"].tolist() == batch.settlement_population.tolist()
    blocked = frame[~frame["allowed"]]
    assert (blocked["n_conflicts"] > 0).all()
    assert (frame[frame["allowed"]]["n_conflicts"] == 0).all()
    row = blocked.iloc[0]
    assert row["conflict_ids"].split(";")[0] == row["nearest_id"]


def test_exclude_self(moscow_net: ProtectionNetwork) -> None:
    lat, lon, _ = moscow_net.index.point("A")
    assert [c.point_id for c in moscow_net.check(lat, lon, exclude="A").conflicts] == ["B"]
    batch = moscow_net.check_batch([lat, lat], [lon, lon], exclude="A")
    assert [[c.point_id for c in batch.result(i).conflicts] for i in (0, 1)] == [["B"], ["B"]]
    assert batch.point_ids.tolist() == ["B", "B"] and not batch.allowed.any()


def test_audit_finds_exactly_planted(
    demo_small: pd.DataFrame, settlements: SettlementLookup, policy: ProtectionPolicy
) -> None:
    net = ProtectionNetwork(policy, settlements)
    df = demo_small
    net.add_points(df["id"].tolist(), df["lat"], df["lon"], radius_m=df["radius_m"],
                   kind=df["kind"], status=df["status"])  # fmt: skip
    res = net.audit()
    live = df[policy.protects(df["kind"], df["status"])].reset_index(drop=True)
    # brute force over every pair of live points
    d = distance_m(live["lat"].to_numpy()[:, None], live["lon"].to_numpy()[:, None],
                   live["lat"].to_numpy()[None, :], live["lon"].to_numpy()[None, :])  # fmt: skip
    r = np.maximum(live["radius_m"].to_numpy()[:, None], live["radius_m"].to_numpy()[None, :])
    a, b = np.nonzero(np.triu(d < r, k=1))
    want = {frozenset((live["id"][i], live["id"][j])) for i, j in zip(a, b, strict=True)}
    got = {frozenset((x, y)) for x, y in zip(res.a_id, res.b_id, strict=True)}
    assert got == want
    planted = set(df["id"][df["id"].str.startswith("V")])
    assert len(planted) == 7
    assert all(pair & planted for pair in got)  # every violation involves a planted point
    assert {i for pair in got for i in pair} >= planted
    assert np.all(np.diff(res.distance_m) >= 0)


def test_check_batch_nearest_distance_only_same_answer(
    settlements: SettlementLookup, policy: ProtectionPolicy
) -> None:
    """``all_distances=False`` (``pvz check``): same decisions, conflicts and order, the same
    nearest geodesic; the other conflicts carry the chord, micrometres short of it."""
    rng = np.random.default_rng(3)
    net = ProtectionNetwork(policy, settlements)
    n = 3000
    net.add_points([f"p{i}" for i in range(n)], 55.6 + rng.random(n) * 0.3,
                   37.4 + rng.random(n) * 0.4)  # fmt: skip
    qlat, qlon = 55.6 + rng.random(2000) * 0.3, 37.4 + rng.random(2000) * 0.4
    full = net.check_batch(qlat, qlon)
    fast = net.check_batch(qlat, qlon, all_distances=False)
    ids = [f"c{i}" for i in range(2000)]
    pd.testing.assert_frame_equal(full.to_frame(ids), fast.to_frame(ids))
    assert full.pairs.query.size > 2000
    np.testing.assert_allclose(fast.pairs.distance_m, full.pairs.distance_m, atol=1e-4, rtol=0)
