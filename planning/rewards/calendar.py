"""The reward calendar: months, days as integers, the double-rate period and its extension.

Days are int64 counts since 1970-01-01 so that whole networks are compared at once. The
double-rate period runs from the opening day D up to, not including, the same day of
the month ``double_months`` later (clamped to that month's last day), for points in a
double-rate cohort; cohorts with ``pandemic_extension`` move its end later by the days the
point was closed in the pandemic window, clamped to the days of the window on or after D.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from data.errors import InputError, Message
from planning.rewards.money import IntArray
from planning.rewards.policy import RewardPolicy

__all__ = [
    "as_days",
    "day_number",
    "double_rate_days",
    "double_rate_end",
    "month_bounds",
    "month_range",
    "pandemic_clamps",
    "pandemic_window_days",
]

_MONTH_RE = re.compile(r"([0-9]{4})-([0-9]{2})")


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """First and last day of ``YYYY-MM``.

    Raises
    ------
    InputError
        when ``month`` is not an existing ``YYYY-MM`` month.
    """
    m = _MONTH_RE.fullmatch(month.strip())
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1:
        raise InputError("month must be YYYY-MM, got {month!r}", month=month, column="month")
    year, mon = int(m.group(1)), int(m.group(2))
    first = dt.date(year, mon, 1)
    nxt = dt.date(year + 1, 1, 1) if mon == 12 else dt.date(year, mon + 1, 1)
    return first, nxt - dt.timedelta(days=1)


def month_range(first_month: str, last_month: str) -> list[str]:
    """Every ``YYYY-MM`` from ``first_month`` to ``last_month`` inclusive."""
    start, _ = month_bounds(first_month)
    stop, _ = month_bounds(last_month)
    if stop < start:
        raise InputError("{last} is before {first}", last=last_month, first=first_month,
                         column="to")  # fmt: skip
    out = []
    y, m = start.year, start.month
    while (y, m) <= (stop.year, stop.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def as_days(values: Any) -> IntArray:
    """Dates (datetime64 of any unit, ``datetime.date`` objects, ISO strings) to days."""
    arr = np.asarray(values)
    if arr.dtype.kind != "M":
        arr = np.array(values, dtype="datetime64[D]")
    return arr.astype("datetime64[D]").astype(np.int64)


def day_number(date: dt.date) -> int:
    """One date as days since 1970-01-01."""
    return int(np.datetime64(date, "D").astype(np.int64))


def double_rate_end(
    opened_day: npt.ArrayLike,
    closed_days: npt.ArrayLike,
    *,
    policy: RewardPolicy,
) -> IntArray:
    """End (exclusive) of each point's double-rate period, in days since 1970-01-01.

    Parameters
    ----------
    opened_day : opening days D (days since 1970-01-01)
    closed_days : days closed in the pandemic window (clamped to the days of the window
        on or after D)
    policy : months, cohorts and pandemic window

    Returns
    -------
    Day ``D + double_months`` (same day of month, clamped to the month's last day) plus
    the extension; equal to D (an empty period) for points outside every cohort.
    """
    opened = np.asarray(opened_day, dtype=np.int64)
    closed = np.asarray(closed_days, dtype=np.int64)
    d = opened.astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    day_of_month = (d - month.astype("datetime64[D]")).astype(np.int64)
    target = month + policy.double_months
    target_first = target.astype("datetime64[D]").astype(np.int64)
    target_last = (target + 1).astype("datetime64[D]").astype(np.int64) - 1
    end = np.minimum(target_first + day_of_month, target_last)

    eligible = np.zeros(opened.shape, dtype=bool)
    extend = np.zeros(opened.shape, dtype=bool)
    for cohort in policy.cohorts:
        inside = opened >= day_number(cohort.opened_from)
        if cohort.opened_to is not None:
            inside &= opened <= day_number(cohort.opened_to)
        eligible |= inside
        if cohort.pandemic_extension:
            extend |= inside
    window = pandemic_window_days(opened, policy=policy)
    extension = np.where(extend, np.clip(closed, 0, window), 0)
    return np.where(eligible, end + extension, opened)


def double_rate_days(opened: IntArray, end: IntArray, *, first: int, last: int) -> IntArray:
    """Days of the month ``first..last`` (day numbers) inside each double-rate period
    ``[opened, end)``."""
    return np.maximum(0, np.minimum(end, last + 1) - np.maximum(opened, first))


def pandemic_window_days(opened: IntArray, *, policy: RewardPolicy) -> IntArray:
    """Days of the pandemic window on or after each opening day."""
    lo = np.maximum(opened, day_number(policy.pandemic_from))
    return np.maximum(0, day_number(policy.pandemic_to) - lo + 1)


def pandemic_clamps(points: pd.DataFrame, *, policy: RewardPolicy) -> dict[int, Message]:
    """The points whose ``closed_days_2020`` count exceeds the days it could be closed.

    Those are the days of the pandemic window on or after the opening day (none for a
    point opened after the window). The engine clamps such a count to those days; this
    says so, once per point.

    Returns
    -------
    ``{row position in points: message}``, e.g. ``closed_days_2020 = 15 clamped to 0:
    only 0 days of 2020-04-01..2020-05-31 are on or after the opening day 2020-07-01``.
    """
    if "closed_days_2020" not in points.columns or not len(points):
        return {}
    opened = as_days(points["opened_on"].to_numpy())
    closed = points["closed_days_2020"].to_numpy(dtype=np.int64)
    window = pandemic_window_days(opened, policy=policy)
    return {
        int(i): Message(
            "closed_days_2020 = {closed} clamped to {window}: only {window} days of "
            "{first}..{last} are on or after the opening day {opened}",
            closed=int(closed[i]), window=int(window[i]), first=str(policy.pandemic_from),
            last=str(policy.pandemic_to), opened=str(np.datetime64(int(opened[i]), "D")),
        )
        for i in np.flatnonzero(closed > window)
    }  # fmt: skip
