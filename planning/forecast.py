"""Forecasts with honest intervals: the Huff model calibrated by cross-validation over points.

What a forecast rests on (:func:`fit_forecast`):

1. **Observed turnover**: the mean monthly turnover of each open point over some
   months (from the orders, :func:`planning.rewards.turnover.monthly_turnover`).
2. **Both decays compared**: for the power and the exponential distance decay, the
   points are split into ``folds`` groups (seeded shuffle); each group in turn is
   removed from the network, the model is fitted to the other points
   (:func:`planning.scoring.calibrate`, log loss: every point counts the same in
   relative terms) and the removed points are scored **as candidates** against the
   rest, exactly as a new location is scored. The decay with the smaller
   cross-validated median absolute percentage error (MdAPE) is kept.
3. **Out-of-sample residuals** ``r = log((T + c) / (T_hat + c))`` of every point
   (``c``: 1 % of the median observed turnover, so a point with no turnover is no
   infinite error). Their 10 % and 90 % quantiles give the 80 % interval of any
   forecast ``T_hat``: ``[(T_hat + c) e^q10 - c, (T_hat + c) e^q90 - c]``, at least 0.
4. **Measured coverage**: each fold's residuals are checked against the quantiles of
   the other folds' residuals; the share inside is the interval's cross-validated
   coverage (close to 80 % when the interval is honest).
5. **Final parameters**: the kept decay fitted to all points.

With fewer than ``min_points`` points of known turnover there is no calibration
(:class:`NotEnoughData`): forecasts then say "not calibrated" and carry no interval.
The model stays explainable term by term (:meth:`planning.scoring.CandidateScores.explain`);
the interval is a property of the network's data, not of a candidate.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from data.errors import Message
from planning.scoring import AttractivenessWeights, HuffModel, HuffParams, calibrate

__all__ = [
    "DEFAULT_FOLDS",
    "INTERVAL_LEVEL",
    "MIN_POINTS",
    "ForecastFit",
    "NotEnoughData",
    "fit_forecast",
    "params_from_dict",
    "params_to_dict",
    "round_range",
]

#: fewest points with known turnover to calibrate
MIN_POINTS = 30
#: folds of the cross-validation
DEFAULT_FOLDS = 5
#: the interval's nominal coverage
INTERVAL_LEVEL = 0.8

#: the fits' tolerance: far below the noise of a turnover (1e-6 of the log loss)
_FTOL = 1e-6

FloatArray = npt.NDArray[np.float64]
Decay = Literal["power", "exponential"]


class NotEnoughData(ValueError):
    """Too few points with known turnover to calibrate (forecasts stay "not calibrated")."""


def params_to_dict(p: HuffParams) -> dict[str, Any]:
    """JSON-ready parameters (the store keeps them like this)."""
    d = dataclasses.asdict(p)
    d["weights"] = dict(d["weights"])
    return d


def params_from_dict(d: dict[str, Any]) -> HuffParams:
    """The inverse of :func:`params_to_dict`; ``ValueError`` on bad values."""
    d = dict(d)
    w = AttractivenessWeights(**{k: float(v) for k, v in dict(d.pop("weights", {})).items()})
    return HuffParams(**d, weights=w)


def round_range(low: float, high: float) -> tuple[int, int]:
    """An interval in whole roubles at three significant digits of its upper end.

    ``low`` is rounded down and ``high`` up to the same step (1 RUB below 1,000 RUB,
    10 RUB below 10,000, 100 RUB below 100,000, ...), so rounding never narrows it:
    ``(183_412.7, 412_877.1) -> (183_000, 413_000)``.
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"not a finite interval: {low}, {high}")
    low, high = max(low, 0.0), max(high, 0.0)
    step = 10 ** max(int(math.floor(math.log10(high))) - 2, 0) if high >= 1 else 1
    return int(math.floor(low / step) * step), int(math.ceil(high / step) * step)


@dataclass(frozen=True)
class ForecastFit:
    """A calibration with its out-of-sample error (see the module docstring).

    Attributes
    ----------
    params : the fitted Huff parameters (all points, the kept decay)
    n_points : points with known turnover the fit rests on
    folds : cross-validation folds
    mdape : cross-validated median absolute percentage error of the kept decay (0.31 = 31 %)
    coverage : cross-validated share of points inside their 80 % interval
    q_low, q_high : the 10 % and 90 % quantiles of the log residuals ``log((T+c)/(T_hat+c))``
    offset_rub : ``c``, RUB
    r2 : in-sample R^2 of the final fit
    decays : cross-validated MdAPE of each decay tried, e.g. ``{"power": 0.31, ...}``
    level : the nominal coverage (0.8)
    """

    params: HuffParams
    n_points: int
    folds: int
    mdape: float
    coverage: float
    q_low: float
    q_high: float
    offset_rub: float
    r2: float
    decays: dict[str, float] = field(default_factory=dict)
    level: float = INTERVAL_LEVEL

    def interval(self, forecast_rub: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """The 80 % interval ``(low, high)`` of forecasts, RUB (not rounded)."""
        t = np.asarray(forecast_rub, dtype=np.float64)
        c = self.offset_rub
        low = np.maximum((t + c) * math.exp(self.q_low) - c, 0.0)
        high = np.maximum((t + c) * math.exp(self.q_high) - c, 0.0)
        return low, high

    def fit_dict(self) -> dict[str, Any]:
        """The fit without the parameters, JSON-ready (what the store keeps as ``fit``)."""
        return {
            "n_points": self.n_points, "folds": self.folds, "mdape": self.mdape,
            "coverage": self.coverage, "q_low": self.q_low, "q_high": self.q_high,
            "offset_rub": self.offset_rub, "r2": None if math.isnan(self.r2) else self.r2,
            "decays": {k: None if math.isnan(v) else v for k, v in self.decays.items()},
            "level": self.level,
        }  # fmt: skip

    @classmethod
    def from_dicts(cls, params: dict[str, Any], fit: dict[str, Any]) -> ForecastFit:
        """Rebuild from :func:`params_to_dict` and :meth:`fit_dict` output."""
        return cls(params=params_from_dict(params), n_points=int(fit["n_points"]),
                   folds=int(fit["folds"]), mdape=float(fit["mdape"]),
                   coverage=float(fit["coverage"]), q_low=float(fit["q_low"]),
                   q_high=float(fit["q_high"]), offset_rub=float(fit["offset_rub"]),
                   r2=float("nan") if fit["r2"] is None else float(fit["r2"]),
                   decays={k: float("nan") if v is None else float(v)
                           for k, v in fit["decays"].items()},
                   level=float(fit.get("level", INTERVAL_LEVEL)))  # fmt: skip


def _folds(n: int, k: int, seed: int) -> npt.NDArray[np.int64]:
    rng = np.random.default_rng(seed)
    f = np.arange(n, dtype=np.int64) % k
    rng.shuffle(f)
    return f


def _held_out(
    model: HuffModel,
    obs: FloatArray,
    fold: npt.NDArray[np.int64],
    k: int,
    start: HuffParams,
    offset: float,
) -> FloatArray:
    """Out-of-sample forecasts: each fold scored as candidates against the rest, fitted without
    it (``fold == -1``: points without known turnover, always in the network)."""
    pred = np.full(obs.size, np.nan)
    base = model.with_params(start)
    for f in range(k):
        out = fold == f
        if not out.any():
            continue
        sub = base.without(out)
        cal = calibrate(sub, obs[~out], loss="log", offset_rub=offset, ftol=_FTOL)
        fitted = sub.with_params(cal.params)
        res = fitted.score(model.lat[out], model.lon[out], features=model.features[out],
                           detail=False)  # fmt: skip
        pred[out] = res.turnover_rub
    return pred


def _mdape(obs: FloatArray, pred: FloatArray) -> float:
    pos = obs > 0
    if not pos.any():
        return float("nan")
    return float(np.median(np.abs(pred[pos] - obs[pos]) / obs[pos]))


def fit_forecast(
    model: HuffModel,
    turnover_rub: npt.ArrayLike,
    *,
    folds: int = DEFAULT_FOLDS,
    seed: int = 0,
    decays: Sequence[Decay] = ("power", "exponential"),
    min_points: int = MIN_POINTS,
    level: float = INTERVAL_LEVEL,
) -> ForecastFit:
    """Calibrate the model to observed turnover and measure its out-of-sample error.

    Parameters
    ----------
    model : the network (every open point) and demand; its parameters are the start
    turnover_rub : observed mean monthly turnover of each point of ``model``, RUB; NaN
        where unknown (such points stay in the network but are neither fitted nor tested)
    folds : cross-validation folds (2 or more)
    seed : seed of the fold assignment (the result is deterministic)
    decays : the decay forms to compare
    min_points : fewest points with known turnover
    level : nominal coverage of the interval, in (0, 1)

    Returns
    -------
    :class:`ForecastFit`.

    Raises
    ------
    NotEnoughData
        fewer than ``min_points`` (or ``2 * folds``) points with known turnover, or every
        known turnover is 0.
    ValueError
        on a turnover array of the wrong length, a negative turnover, bad ``folds`` or
        ``level``.
    """
    obs = np.asarray(turnover_rub, dtype=np.float64)
    if obs.shape != model.lat.shape:
        raise ValueError(f"{obs.size} turnovers for {model.lat.size} points")
    if folds < 2 or not (0 < level < 1) or not decays:
        raise ValueError("folds must be >= 2, level in (0, 1), and some decay given")
    known = np.isfinite(obs)
    if (obs[known] < 0).any():
        raise ValueError("turnover must be >= 0")
    n = int(known.sum())
    need = max(min_points, 2 * folds)
    if n < need or not (obs[known] > 0).any():
        raise NotEnoughData(
            Message(
                "{n:,} points with known turnover; calibration needs at "
                "least {need:,} with some turnover",
                n=n,
                need=need,
            )
        )
    offset = 0.01 * float(np.median(obs[known][obs[known] > 0]))
    fold = np.full(obs.size, -1, dtype=np.int64)
    fold[known] = _folds(n, folds, seed)
    tried: dict[str, tuple[float, FloatArray, HuffParams]] = {}
    for d in decays:
        start = dataclasses.replace(model.params, decay=d)
        full = calibrate(model.with_params(start), obs, loss="log", offset_rub=offset, ftol=_FTOL)
        pred = _held_out(model, obs, fold, folds, full.params, offset)
        tried[d] = (_mdape(obs[known], pred[known]), pred, full.params)
    best = min(tried, key=lambda d: math.inf if math.isnan(tried[d][0]) else tried[d][0])
    mdape, pred, params = tried[best]
    resid = np.log((obs[known] + offset) / (pred[known] + offset))
    a = (1.0 - level) / 2.0
    q_low, q_high = (float(v) for v in np.quantile(resid, [a, 1.0 - a]))
    inside = 0
    kf = fold[known]
    for f in range(folds):
        rest = resid[kf != f]
        lo, hi = np.quantile(rest, [a, 1.0 - a])
        r = resid[kf == f]
        inside += int(((r >= lo) & (r <= hi)).sum())
    final = model.with_params(params).turnover()
    ss_res = float(np.sum((final[known] - obs[known]) ** 2))
    ss_tot = float(np.sum((obs[known] - obs[known].mean()) ** 2))
    return ForecastFit(
        params=params, n_points=n, folds=folds, mdape=mdape, coverage=inside / n,
        q_low=q_low, q_high=q_high, offset_rub=offset,
        r2=1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan"),
        decays={d: v[0] for d, v in tried.items()}, level=level,
    )  # fmt: skip
