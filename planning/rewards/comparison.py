"""Scheme comparison: the old per-parcel fee against the new percentage, per point and month.

The programme promises that every second agent earns more under the new scheme and the
rest no less; :func:`summarize_comparison` says whether a network keeps that promise.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from planning.rewards.calendar import month_range
from planning.rewards.engine import compute_rewards
from planning.rewards.orders import validate_inputs
from planning.rewards.policy import RewardPolicy

__all__ = ["ComparisonSummary", "compare_schemes", "summarize_comparison"]


@dataclass(frozen=True)
class ComparisonSummary:
    """The network's answer to the programme's promise, per point over the whole period.

    ``more``/``same``/``less`` count points whose new-scheme reward is above, equal to or
    below the old per-parcel scheme (before any transition floor); ``less_ids`` lists the
    points that earn less.
    """

    first_month: str
    last_month: str
    points: int
    more: int
    same: int
    less: int
    less_ids: tuple[Any, ...]
    old_total_kop: int
    new_total_kop: int
    paid_total_kop: int

    @property
    def share_more_pct(self) -> Decimal:
        """Percent of points earning more, rounded to 0.1 half-up."""
        if not self.points:
            return Decimal("0.0")
        return (Decimal(100 * self.more) / self.points).quantize(Decimal("0.1"), "ROUND_HALF_UP")


def compare_schemes(
    points: pd.DataFrame,
    orders: pd.DataFrame,
    first_month: str,
    last_month: str,
    *,
    policy: RewardPolicy | None = None,
    validate: bool = True,
) -> pd.DataFrame:
    """Old per-parcel scheme against the new one, per point and month.

    Returns
    -------
    One row per point and month with orders or a reward, sorted by month then point:
    ``point_id, month, issued_count, turnover_kop, old_scheme_kop, new_scheme_kop,
    difference_kop`` (new - old), ``adjustments_kop`` (reversals of earlier months' items
    returned or cancelled in the month) and ``paid_kop`` (``max(new, old)`` with the
    transition floor, else new, plus the adjustments), all int64 kopecks.
    """
    policy = policy or RewardPolicy()
    months = month_range(first_month, last_month)
    if validate:
        points, orders = validate_inputs(points, orders, policy=policy)
    frames = []
    for month in months:
        t = compute_rewards(points, orders, month, policy=policy, validate=False).totals
        frames.append(
            pd.DataFrame(
                {
                    "point_id": t["point_id"],
                    "month": month,
                    "issued_count": t["issued_count"],
                    "turnover_kop": t["turnover_kop"],
                    "old_scheme_kop": t["old_scheme_kop"],
                    "new_scheme_kop": t["new_scheme_kop"],
                    "difference_kop": t["new_scheme_kop"] - t["old_scheme_kop"],
                    "adjustments_kop": t["adjustment_kop"],
                    "paid_kop": t["reward_kop"],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def summarize_comparison(
    comparison: pd.DataFrame, *, first_month: str, last_month: str
) -> ComparisonSummary:
    """Aggregate :func:`compare_schemes` per point over the whole period."""
    per_point = comparison.groupby("point_id", sort=True)[
        ["old_scheme_kop", "new_scheme_kop", "paid_kop"]
    ].sum()
    diff = (per_point["new_scheme_kop"] - per_point["old_scheme_kop"]).to_numpy()
    return ComparisonSummary(
        first_month=first_month,
        last_month=last_month,
        points=len(per_point),
        more=int((diff > 0).sum()),
        same=int((diff == 0).sum()),
        less=int((diff < 0).sum()),
        less_ids=tuple(per_point.index[diff < 0].tolist()),
        old_total_kop=int(per_point["old_scheme_kop"].sum()),
        new_total_kop=int(per_point["new_scheme_kop"].sum()),
        paid_total_kop=int(per_point["paid_kop"].sum()),
    )
