"""Huff model, candidate scores and calibration."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from data.places import load_places
from geo.settlements import SettlementLookup
from planning.demand import Demand
from planning.protection import ProtectionNetwork, ProtectionPolicy
from planning.scoring import (
    AttractivenessWeights,
    HuffModel,
    HuffParams,
    attractiveness,
    calibrate,
    decay,
    default_reward_rate,
    features_from_frame,
)

STEP_M = 6378137.0 * math.radians(0.01)  # 0.01 deg of longitude on the equator, metres


def _handmade() -> HuffModel:
    # 4 cells on the equator at lon 0, .01, .02, .03; 3 points at lon 0, .02, .03
    demand = Demand(
        np.array(["c0", "c1", "c2", "c3"], dtype=object),
        np.zeros(4),
        np.array([0.0, 0.01, 0.02, 0.03]),
        np.array([100.0, 200.0, 300.0, 400.0]),
    )
    params = HuffParams(
        decay="exponential", scale_m=STEP_M, reach_m=1.5 * STEP_M, outside=0.5, spend_rub=10.0,
        weights=AttractivenessWeights(area=1.0, waiting_zone=0, fitting_rooms=0, rating=0),
    )  # fmt: skip
    feats = np.array([[40.0, 0, 0, 5], [80.0, 0, 0, 5], [40.0, 0, 0, 5]])
    return HuffModel(demand, np.zeros(3), [0.0, 0.02, 0.03], features=feats,
                     point_ids=["A", "B", "C"], params=params)  # fmt: skip


def test_handmade_probabilities() -> None:
    model = _handmade()
    e = math.exp(-1.0)
    # A = (1, 2, 1); f = 1 at 0 steps, e at 1 step, 0 at 2+ steps (beyond reach)
    expected = np.array(
        [
            [1 / 1.5, 0.0, 0.0],
            [e / (0.5 + 3 * e), 2 * e / (0.5 + 3 * e), 0.0],
            [0.0, 2 / (2.5 + e), e / (2.5 + e)],
            [0.0, 2 * e / (1.5 + 2 * e), 1 / (1.5 + 2 * e)],
        ]
    )
    j, i, p = model.probabilities()
    got = np.zeros((4, 3))
    got[i, j] = p
    # the model's distances are chords: 1.4e-6 m (1.3e-9 relative) short of the 1,113 m
    # geodesic step, hence 1e-8 rather than machine precision
    np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-12)
    w = np.array([100.0, 200.0, 300.0, 400.0])
    np.testing.assert_allclose(model.turnover(), 10.0 * w @ expected, rtol=1e-8)


def test_candidate_score_terms_add_up() -> None:
    model = _handmade()
    e = math.exp(-1.0)
    s = model.score([0.0], [0.01], reward_rate=0.05)
    # the candidate (A = 1) reaches c0, c1 (at 0 m) and c2
    dens = np.array([1.5, 0.5 + 3 * e, 2.5 + e])
    g = np.array([e, 1.0, e])
    w = np.array([100.0, 200.0, 300.0])
    np.testing.assert_allclose(s.turnover_rub[0], 10 * np.sum(w * g / (dens + g)), rtol=1e-9)
    new = 10 * np.sum(w * 0.5 * g / (dens * (dens + g)))
    np.testing.assert_allclose(s.new_demand_rub[0], new, rtol=1e-9)
    np.testing.assert_allclose(s.net_gain_rub[0], new, rtol=1e-9)
    can = s.cannibalization
    assert set(can["point_id"]) == {"A", "B", "C"}
    np.testing.assert_allclose(can["loss_rub"].sum(), s.cannibalized_rub[0], rtol=1e-9)
    loss_a = 10 * (100 * 1 * e / (1.5 * (1.5 + e)) + 200 * e * 1 / (dens[1] * (dens[1] + 1)))
    np.testing.assert_allclose(can.set_index("point_id").loc["A", "loss_rub"], loss_a, rtol=1e-9)
    np.testing.assert_allclose(s.reward_rub, 0.05 * s.turnover_rub)
    # network turnover after adding the candidate = before + net gain
    after = HuffModel(
        model.demand,
        [0.0, 0.0, 0.0, 0.0],
        [0.0, 0.02, 0.03, 0.01],
        features=np.vstack([model.features, [40.0, 0, 0, 5]]),
        params=model.params,
    )
    np.testing.assert_allclose(after.turnover().sum(), model.turnover().sum() + new, rtol=1e-9)
    assert "net gain" in s.explain(0)
    frame = s.to_frame(["X"])
    assert frame.loc[0, "cannibalized_points"].startswith(("A:", "B:", "C:"))


def test_decay_forms_and_cutoff() -> None:
    p = HuffParams(decay="power", beta=2.0, d0_m=100.0, reach_m=1000.0)
    np.testing.assert_allclose(decay([0.0, 100.0, 999.0, 1000.0], p),
                               [1.0, 0.25, (1 + 9.99) ** -2, 0.0])  # fmt: skip
    q = HuffParams(decay="exponential", scale_m=500.0, reach_m=1000.0)
    np.testing.assert_allclose(decay([0.0, 500.0, 1000.0], q), [1.0, math.exp(-1), 0.0])
    with pytest.raises(ValueError):
        HuffParams(decay="gauss")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        HuffParams(beta=-1.0)


def test_attractiveness_and_features() -> None:
    df = pd.DataFrame({"area_m2": ["80", ""], "waiting_zone": ["true", "no"], "rating": [5, 4]})
    f = features_from_frame(df)
    np.testing.assert_allclose(f, [[80, 1, 0, 5], [40, 0, 0, 4]])
    a = attractiveness(f, AttractivenessWeights(1.0, 1.0, 1.0, 1.0))
    np.testing.assert_allclose(a, [2 * 2 * 1 * 1, 1 * 1 * 1 * 0.8])
    with pytest.raises(ValueError):
        features_from_frame(pd.DataFrame({"area_m2": [-1.0]}))


def test_attractiveness_of_a_subnormal_area_is_finite() -> None:
    # found by API fuzzing: 5e-324 / 40 underflows to 0 and log(0) warned (a 500)
    f = np.array([[5e-324, 0.0, 0.0, 4.5], [1e-300, 1.0, 2.0, 1e-300]])
    a = attractiveness(f, AttractivenessWeights(1.0, 1.0, 1.0, 1.0))
    assert np.isfinite(a).all() and (a >= 0).all()


def test_default_reward_rate_is_five_percent() -> None:
    assert default_reward_rate() == pytest.approx(0.05)


def _synthetic(seed: int, decay_form: str) -> tuple[Demand, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n, m = 400, 40
    dem = Demand(np.arange(n).astype(object), 55.7 + rng.uniform(-0.05, 0.05, n),
                 37.6 + rng.uniform(-0.08, 0.08, n), rng.uniform(50, 500, n))  # fmt: skip
    lat = 55.7 + rng.uniform(-0.05, 0.05, m)
    lon = 37.6 + rng.uniform(-0.08, 0.08, m)
    feats = np.column_stack([rng.lognormal(np.log(40), 0.4, m), rng.random(m) < 0.5,
                             rng.integers(0, 5, m), rng.uniform(3.5, 5, m)])  # fmt: skip
    return dem, lat, lon, feats


@pytest.mark.parametrize("form", ["power", "exponential"])
def test_calibration_recovers_known_parameters(form: str) -> None:
    dem, lat, lon, feats = _synthetic(1, form)
    truth = HuffParams(decay=form, beta=1.7, scale_m=800.0, spend_rub=400.0,  # type: ignore[arg-type]
                       weights=AttractivenessWeights(0.8, 0.4, 0.2, 1.5))  # fmt: skip
    observed = HuffModel(dem, lat, lon, features=feats, params=truth).turnover()
    start = HuffParams(decay=form)  # type: ignore[arg-type]
    cal = calibrate(HuffModel(dem, lat, lon, features=feats, params=start), observed)
    assert cal.success and cal.r2 > 0.9999
    got = cal.params
    if form == "power":
        assert got.beta == pytest.approx(1.7, rel=1e-3)
    else:
        assert got.scale_m == pytest.approx(800.0, rel=1e-3)
    assert got.spend_rub == pytest.approx(400.0, rel=1e-3)
    np.testing.assert_allclose(got.weights.as_array(), [0.8, 0.4, 0.2, 1.5], rtol=1e-3)


def test_calibration_with_noise_reports_r2() -> None:
    dem, lat, lon, feats = _synthetic(2, "power")
    truth = HuffParams(beta=1.5, spend_rub=300.0)
    t = HuffModel(dem, lat, lon, features=feats, params=truth).turnover()
    noisy = t * np.random.default_rng(3).lognormal(0, 0.1, t.size)
    noisy[0] = np.nan  # unknown turnover is left out
    cal = calibrate(HuffModel(dem, lat, lon, features=feats), noisy)
    assert cal.n_points == t.size - 1
    assert 0.7 < cal.r2 <= 1.0
    assert cal.params.beta == pytest.approx(1.5, rel=0.25)


def test_blocked_candidate_reported_with_blocker() -> None:
    net = ProtectionNetwork(ProtectionPolicy(), SettlementLookup(load_places()))
    net.add_points(["P1"], [55.75], [37.62], radius_m=[500.0])
    model = HuffModel(Demand(np.array(["c"], dtype=object), np.array([55.75]),
                             np.array([37.621]), np.array([1000.0])),
                      [55.75], [37.62], point_ids=["P1"])  # fmt: skip
    s = model.score([55.7501, 55.80], [37.6201, 37.62], network=net)
    assert s.allowed.tolist() == [False, True]
    assert s.blocker_id[0] == "P1" and 0 < s.blocker_distance_m[0] < 20
    assert s.blocker_id[1] is None
    assert s.turnover_rub[0] > 0  # still scored, not dropped
    assert "blocked by P1" in s.explain(0)


def test_chunked_scoring_equals_one_chunk() -> None:
    dem, lat, lon, feats = _synthetic(4, "power")
    model = HuffModel(dem, lat[:20], lon[:20], features=feats[:20])
    one = model.score(lat[20:], lon[20:], features=feats[20:])
    many = model.score(lat[20:], lon[20:], features=feats[20:], chunk_size=3)
    np.testing.assert_allclose(one.turnover_rub, many.turnover_rub)
    np.testing.assert_allclose(one.cannibalized_rub, many.cannibalized_rub)
    pd.testing.assert_frame_equal(one.cannibalization, many.cannibalization)
    totals = model.score(lat[20:], lon[20:], features=feats[20:], detail=False)
    np.testing.assert_allclose(totals.net_gain_rub, one.net_gain_rub)
    assert len(totals.cannibalization) == 0
