"""Pickup points as the reward engine needs them: records, and the typed points frame.

The engine's points frame has the columns ``point_id`` (str), ``opened_on``
(datetime64[s]), ``closed_days_2020`` (int64), ``rating`` and ``complaint_rate_pct``
(float64, NaN when unknown). :func:`parse_points_frame` builds it from a table of strings
(the CLI's POINTS file), :func:`points_frame_from_records` from :class:`PointRecord`
objects (the API).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from data.errors import InputError
from planning.rewards.calendar import day_number
from planning.rewards.parsing import (
    first_bad_row,
    parse_dates,
    parse_decimal_column,
    require_columns,
    stripped,
)
from planning.rewards.policy import RewardPolicy

__all__ = ["PointRecord", "parse_points_frame", "points_frame_from_records"]


@dataclass(frozen=True)
class PointRecord:
    """One pickup point as the reward engine needs it.

    Parameters
    ----------
    point_id : the point's id
    opened_on : opening day D
    closed_days_2020 : days closed in the pandemic window, as a count or as the set of
        closed days (days outside the window or before ``opened_on`` are ignored)
    rating : customer rating, for the service-quality tiers; ``None`` when unknown
    complaint_rate_pct : complaints, percent of issued items; ``None`` when unknown
    """

    point_id: str
    opened_on: dt.date
    closed_days_2020: int | frozenset[dt.date] = 0
    rating: Decimal | None = None
    complaint_rate_pct: Decimal | None = None


def parse_points_frame(
    raw: pd.DataFrame, *, source: str | None = None, policy: RewardPolicy | None = None
) -> pd.DataFrame:
    """Parse a points table of strings (as read from CSV) into the engine's typed frame.

    Parameters
    ----------
    raw : columns ``id`` (or ``point_id``), ``opened_on`` (YYYY-MM-DD), optional
        ``closed_days_2020`` (a non-negative count, or the closed days themselves as
        ``YYYY-MM-DD`` separated by ``;``), ``rating`` and ``complaint_rate_pct``
        (non-negative decimals); row ``i`` of the index is data row ``i + 1``
    source : file name for error messages
    policy : its pandemic window decides which listed closed days count (only days
        inside it and on or after the opening day); defaults to the 2020 programme

    Returns
    -------
    Columns ``point_id`` (str), ``opened_on`` (datetime64[s]), ``closed_days_2020``
    (int64), ``rating`` and ``complaint_rate_pct`` (float64, NaN when missing).
    """
    raw = raw.reset_index(drop=True)
    id_col = "point_id" if "point_id" in raw.columns and "id" not in raw.columns else "id"
    require_columns(raw, [id_col, "opened_on"], source)
    ids = stripped(raw, id_col)
    row = first_bad_row((ids == "").to_numpy(), raw)
    if row is not None:
        raise InputError("empty point id", source=source, row=row, column=id_col)
    opened = parse_dates(stripped(raw, "opened_on"), raw, "opened_on", source)
    if "closed_days_2020" in raw.columns:
        text = stripped(raw, "closed_days_2020")
        is_count = text.str.fullmatch(r"[0-9]{1,5}").to_numpy(dtype=bool)
        day = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
        is_list = text.str.fullmatch(rf"{day}(?:\s*;\s*{day})*")
        ok = is_count | is_list.to_numpy(dtype=bool) | (text == "").to_numpy()
        row = first_bad_row(~ok, raw)
        if row is not None:
            raise InputError(
                "{value!r} is neither a non-negative whole number of days "
                "nor a list of days YYYY-MM-DD;YYYY-MM-DD",
                value=text.iloc[row - 1],
                source=source,
                row=row,
                column="closed_days_2020",
            )
        closed = np.where(is_count, text.where(is_count, "0").astype("int64").to_numpy(), 0)
        lo_day = day_number((policy or RewardPolicy()).pandemic_from)
        hi_day = day_number((policy or RewardPolicy()).pandemic_to)
        for i in np.flatnonzero(is_list.to_numpy(dtype=bool)):
            days = {d.strip() for d in str(text.iloc[i]).split(";")}
            try:
                parsed = [day_number(dt.date.fromisoformat(d)) for d in days]
            except ValueError:
                raise InputError(
                    "{value!r} lists a day that does not exist",
                    value=text.iloc[i],
                    source=source,
                    row=int(i) + 1,
                    column="closed_days_2020",
                ) from None
            closed[i] = sum(1 for d in parsed if max(lo_day, opened[i]) <= d <= hi_day)
    else:
        closed = np.zeros(len(raw), dtype=np.int64)
    return pd.DataFrame(
        {
            "point_id": ids.to_numpy(dtype=object),
            "opened_on": opened.astype("datetime64[D]").astype("datetime64[s]"),
            "closed_days_2020": closed.astype(np.int64),
            "rating": parse_decimal_column(raw, "rating", source),
            "complaint_rate_pct": parse_decimal_column(
                raw, "complaint_rate_pct", source, upper=100.0
            ),
        }
    )


def points_frame_from_records(
    points: Iterable[PointRecord], *, policy: RewardPolicy
) -> pd.DataFrame:
    """The engine's points frame from records; a set of closed days becomes its count."""
    rows = list(points)
    lo, hi = policy.pandemic_from, policy.pandemic_to

    def count(p: PointRecord) -> int:
        if isinstance(p.closed_days_2020, int):
            return p.closed_days_2020
        return sum(1 for d in p.closed_days_2020 if lo <= d <= hi and d >= p.opened_on)

    def num(value: Decimal | None) -> float:
        return float(value) if value is not None else float("nan")

    return pd.DataFrame(
        {
            "point_id": pd.Series([p.point_id for p in rows], dtype=object),
            "opened_on": np.array([p.opened_on for p in rows], dtype="datetime64[D]").astype(
                "datetime64[s]"
            ),
            "closed_days_2020": np.array([count(p) for p in rows], dtype=np.int64),
            "rating": np.array([num(p.rating) for p in rows], dtype=float),
            "complaint_rate_pct": np.array([num(p.complaint_rate_pct) for p in rows], dtype=float),
        }
    )
