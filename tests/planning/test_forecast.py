"""Calibrated forecasts with honest intervals, on networks whose turnover is not from the model.

The synthetic networks (:mod:`planning.synthetic`) draw turnover from settlement size,
people nearby, the seed's comfort and service features, local competition and noise,
none of it in the Huff model's form. A fifth of the points is held out: the model is
calibrated on the rest and the held-out points are scored as candidates, as a partner's
new location is.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from planning.forecast import (
    ForecastFit,
    NotEnoughData,
    fit_forecast,
    params_from_dict,
    params_to_dict,
    round_range,
)
from planning.scoring import (
    AttractivenessWeights,
    HuffModel,
    HuffParams,
    calibrate,
    features_from_frame,
)
from planning.synthetic import SyntheticNetwork, synthetic_network


def _held_out_check(net: SyntheticNetwork, seed: int) -> tuple[ForecastFit, float, float]:
    """Calibrate on 80 % of the points, score the other 20 % as candidates; returns the fit,
    the held-out coverage of the 80 % interval and the held-out MdAPE."""
    pts = net.points
    hold = np.random.default_rng(seed).random(len(pts)) < 0.2
    train = pts[~hold].reset_index(drop=True)
    model = HuffModel.from_frame(net.demand, train, params=HuffParams(reach_m=3000.0))
    fit = fit_forecast(model, net.turnover_rub[~hold])
    held = pts[hold]
    res = model.with_params(fit.params).score(
        held["lat"], held["lon"], features=features_from_frame(held), detail=False
    )
    low, high = fit.interval(res.turnover_rub)
    obs = net.turnover_rub[hold]
    coverage = float(np.mean((obs >= low) & (obs <= high)))
    mdape = float(np.median(np.abs(res.turnover_rub - obs) / obs))
    print(f"held out {hold.sum()}: coverage {coverage:.3f}, MdAPE {mdape:.3f}; "
          f"cross-validated: coverage {fit.coverage:.3f}, MdAPE {fit.mdape:.3f}, "
          f"decays {fit.decays}")  # fmt: skip
    return fit, coverage, mdape


def test_interval_is_honest_on_held_out_points() -> None:
    fit, coverage, mdape = _held_out_check(synthetic_network(1500, seed=1), seed=5)
    assert 0.70 <= coverage <= 0.90
    assert 0.70 <= fit.coverage <= 0.90  # what the calibration reports about itself
    # the reported cross-validated error is the error a held-out point sees
    assert abs(fit.mdape - mdape) < 0.1
    assert 0.05 < mdape < 0.6
    assert fit.q_low < 0 < fit.q_high
    assert set(fit.decays) == {"power", "exponential"}
    assert fit.params.decay == min(fit.decays, key=fit.decays.__getitem__)


@pytest.mark.slow
@pytest.mark.parametrize(("seed", "noise"), [(2, 0.2), (3, 0.45)])
def test_interval_is_honest_with_other_noise(seed: int, noise: float) -> None:
    fit, coverage, _ = _held_out_check(synthetic_network(1500, seed=seed, noise=noise), seed=9)
    assert 0.70 <= coverage <= 0.90
    assert 0.70 <= fit.coverage <= 0.90


def test_wider_noise_gives_a_wider_interval() -> None:
    narrow = _held_out_check(synthetic_network(800, seed=4, noise=0.1), seed=1)[0]
    wide = _held_out_check(synthetic_network(800, seed=4, noise=0.6), seed=1)[0]
    assert wide.q_high - wide.q_low > narrow.q_high - narrow.q_low + 0.3


def test_not_calibrated_with_too_little_data() -> None:
    net = synthetic_network(60, seed=3, n_towns=2)
    model = HuffModel.from_frame(net.demand, net.points)
    few = net.turnover_rub.copy()
    few[25:] = np.nan  # 25 points with known turnover
    with pytest.raises(NotEnoughData, match="25 points"):
        fit_forecast(model, few)
    with pytest.raises(NotEnoughData):
        fit_forecast(model, np.zeros(60))  # no turnover at all
    fit = fit_forecast(model, net.turnover_rub, min_points=30)
    assert fit.n_points == 60


def test_bad_arguments() -> None:
    net = synthetic_network(40, seed=3, n_towns=2)
    model = HuffModel.from_frame(net.demand, net.points)
    with pytest.raises(ValueError, match="turnovers for"):
        fit_forecast(model, net.turnover_rub[:-1])
    with pytest.raises(ValueError, match=">= 0"):
        fit_forecast(model, -net.turnover_rub)
    with pytest.raises(ValueError, match="folds"):
        fit_forecast(model, net.turnover_rub, folds=1)


def test_deterministic_and_roundtrips() -> None:
    net = synthetic_network(200, seed=6, n_towns=3)
    model = HuffModel.from_frame(net.demand, net.points)
    a = fit_forecast(model, net.turnover_rub, seed=3)
    b = fit_forecast(model, net.turnover_rub, seed=3)
    assert a == b
    again = ForecastFit.from_dicts(params_to_dict(a.params), a.fit_dict())
    assert again == a
    assert params_from_dict(params_to_dict(a.params)) == a.params


def test_without_equals_a_model_of_the_remaining_points() -> None:
    net = synthetic_network(300, seed=7, n_towns=3)
    model = HuffModel.from_frame(net.demand, net.points)
    drop = np.arange(300) % 3 == 0
    sub = model.without(drop)
    direct = HuffModel.from_frame(net.demand, net.points[~drop].reset_index(drop=True))
    np.testing.assert_allclose(sub.turnover(), direct.turnover(), rtol=1e-9)
    assert list(sub.point_ids) == list(direct.point_ids)


def test_log_loss_recovers_the_parameters_of_huff_generated_turnover() -> None:
    net = synthetic_network(400, seed=8, n_towns=4)
    true = HuffParams(decay="exponential", scale_m=800.0, spend_rub=120.0,
                      weights=AttractivenessWeights(0.8, 0.4, 0.2, 1.5))  # fmt: skip
    model = HuffModel.from_frame(net.demand, net.points, params=true)
    obs = model.turnover()
    start = dataclasses.replace(true, scale_m=500.0, spend_rub=300.0,
                                weights=AttractivenessWeights())  # fmt: skip
    cal = calibrate(model.with_params(start), obs, loss="log", offset_rub=1.0)
    assert cal.params.scale_m == pytest.approx(800.0, rel=0.02)
    assert cal.params.spend_rub == pytest.approx(120.0, rel=0.02)
    assert cal.params.weights.area == pytest.approx(0.8, abs=0.02)
    with pytest.raises(ValueError, match="offset_rub"):
        calibrate(model, np.r_[0.0, obs[1:]], loss="log")


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (183_412.7, 412_877.1, (183_000, 413_000)),
        (9_123.4, 12_345.6, (9_100, 12_400)),
        (4.2, 7.9, (4, 8)),
        (0.0, 0.4, (0, 1)),
        (-5.0, 0.0, (0, 0)),
        (1_234_567.0, 2_345_678.0, (1_230_000, 2_350_000)),
    ],
)
def test_round_range_never_narrows(low: float, high: float, expected: tuple[int, int]) -> None:
    got = round_range(low, high)
    assert got == expected
    assert got[0] <= max(low, 0) and got[1] >= high


def test_interval_scales_with_the_forecast() -> None:
    fit = ForecastFit(params=HuffParams(), n_points=100, folds=5, mdape=0.3, coverage=0.8,
                      q_low=-0.5, q_high=0.4, offset_rub=100.0, r2=0.5)  # fmt: skip
    low, high = fit.interval([0.0, 100_000.0])
    assert low[0] == 0.0 and high[0] == pytest.approx(100 * (np.exp(0.4) - 1))
    assert low[1] == pytest.approx(100_100 * np.exp(-0.5) - 100)
    assert high[1] == pytest.approx(100_100 * np.exp(0.4) - 100)
