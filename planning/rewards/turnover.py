"""Monthly turnover per point, by the statements' own rules (what the forecasts calibrate on).

A point's turnover in a month is exactly the ``turnover_kop`` of its reward statement
(:func:`planning.rewards.compute_rewards`): the prices of the items issued in the month
and not returned or cancelled within it (rule 7 of :mod:`planning.rewards`). Nothing is
recomputed here; this module runs the engine month by month and keeps that column.

:func:`observed_turnover` turns the months into one observed monthly turnover per point:
the mean over the months the point was open for the whole of (opened on or before the
month's first day; a point without an opening day counts every month). A point open for
none of them has no observed turnover (NaN), not zero.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from planning.rewards.calendar import month_bounds
from planning.rewards.engine import compute_rewards
from planning.rewards.orders import validate_inputs
from planning.rewards.policy import RewardPolicy

__all__ = ["monthly_turnover", "observed_turnover"]

#: the opening day assumed for points without one (turnover does not depend on it)
_EPOCH = np.datetime64("1970-01-01", "s")


def monthly_turnover(
    point_ids: Sequence[str],
    orders: pd.DataFrame,
    months: Sequence[str],
    *,
    opened_on: npt.ArrayLike | None = None,
    policy: RewardPolicy | None = None,
    source: str | None = None,
) -> pd.DataFrame:
    """Each point's turnover in each month, integer kopecks, as its statement counts it.

    Parameters
    ----------
    point_ids : the points (orders of other points are an error, as in the statements)
    orders : the engine's typed orders frame (:func:`planning.rewards.parse_orders_frame`
        or :func:`planning.rewards.orders_frame_from_records`)
    months : ``YYYY-MM`` months
    opened_on : each point's opening day (datetime64 or dates; NaT when unknown); used only
        to check that no order predates it. Turnover does not depend on it
    policy : the reward policy (turnover does not depend on it either)
    source : the orders' file name, for error messages

    Returns
    -------
    A frame indexed by point id (in ``point_ids`` order), one int64 column per month.

    Raises
    ------
    InputError
        for orders the statements refuse (unknown point, issued before opening, ...).
    """
    ids = pd.Index([str(p) for p in point_ids])
    opened = (np.full(len(ids), _EPOCH) if opened_on is None else
              np.asarray(pd.to_datetime(pd.Series(np.asarray(opened_on))).to_numpy(),
                         dtype="datetime64[s]"))  # fmt: skip
    opened = np.where(np.isnat(opened), _EPOCH, opened)
    points = pd.DataFrame({"point_id": ids.to_numpy(dtype=object), "opened_on": opened})
    policy = policy or RewardPolicy()
    points, orders = validate_inputs(points, orders, policy=policy, orders_source=source)
    out = pd.DataFrame(index=ids)
    for month in months:
        month_bounds(month)  # a bad month is an InputError here
        table = compute_rewards(points, orders, month, policy=policy, validate=False)
        col = np.zeros(len(ids), dtype=np.int64)
        col[table.totals["point_idx"].to_numpy()] = table.totals["turnover_kop"].to_numpy()
        out[month] = col
    return out


def observed_turnover(
    monthly_kop: pd.DataFrame, opened_on: npt.ArrayLike | None = None
) -> npt.NDArray[np.float64]:
    """The mean monthly turnover of each point over the months it was open throughout, RUB.

    Parameters
    ----------
    monthly_kop : :func:`monthly_turnover`'s frame (one column per ``YYYY-MM`` month)
    opened_on : each point's opening day (NaT: unknown, every month counts)

    Returns
    -------
    One float per row, RUB; NaN for a point open throughout none of the months.
    """
    n = len(monthly_kop)
    opened = (np.full(n, np.datetime64("NaT", "D")) if opened_on is None else
              np.asarray(pd.to_datetime(pd.Series(np.asarray(opened_on))).to_numpy(),
                         dtype="datetime64[D]"))  # fmt: skip
    total = np.zeros(n)
    count = np.zeros(n)
    for month in monthly_kop.columns:
        first = np.datetime64(month_bounds(str(month))[0], "D")
        whole = np.isnat(opened) | (opened <= first)
        total += np.where(whole, monthly_kop[month].to_numpy(dtype=np.float64), 0.0)
        count += whole
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / 100.0 / np.maximum(count, 1), np.nan)
