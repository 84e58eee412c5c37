"""Monthly turnover per point: the statements' own turnover, month by month."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data.errors import InputError
from planning.rewards import compute_rewards, parse_orders_frame
from planning.rewards.turnover import monthly_turnover, observed_turnover
from planning.synthetic import orders_for_turnover

ROWS = [  # order_id, point_id, issued_on, price_rub, status, returned_on, cancelled_on
    ("1", "A", "2026-01-10", "1000.00", "issued", "", ""),
    ("2", "A", "2026-01-11", "500.50", "returned", "2026-01-20", ""),  # within the month
    ("3", "A", "2026-01-30", "200.00", "returned", "2026-02-03", ""),  # later: counts in Jan
    ("4", "A", "2026-02-01", "300.00", "cancelled", "", "2026-02-01"),
    ("5", "B", "2026-02-14", "7000.00", "issued", "", ""),
    ("6", "B", "2026-02-15", "6000.00", "returned", "", ""),  # no date: never counts
]


def _orders() -> pd.DataFrame:
    raw = pd.DataFrame(ROWS, columns=["order_id", "point_id", "issued_on", "price_rub",
                                      "status", "returned_on", "cancelled_on"])  # fmt: skip
    return parse_orders_frame(raw)


def test_turnover_is_the_statements_turnover() -> None:
    got = monthly_turnover(["A", "B", "C"], _orders(), ["2026-01", "2026-02"])
    assert got.loc["A"].tolist() == [120_000, 0]
    assert got.loc["B"].tolist() == [0, 700_000]
    assert got.loc["C"].tolist() == [0, 0]
    points = pd.DataFrame(
        {
            "point_id": ["A", "B", "C"],
            "opened_on": np.array(["2025-01-01"] * 3, dtype="datetime64[s]"),
        }
    )
    for month in ("2026-01", "2026-02"):
        table = compute_rewards(points, _orders(), month)
        by_id = dict(zip(table.totals["point_id"], table.totals["turnover_kop"], strict=True))
        assert [by_id.get(p, 0) for p in "ABC"] == got[month].tolist()


def test_observed_turnover_counts_whole_months_only() -> None:
    monthly = pd.DataFrame({"2026-01": [100_00, 0, 50_00], "2026-02": [300_00, 80_00, 70_00]},
                           index=["A", "B", "C"])  # fmt: skip
    opened = np.array(["2025-06-01", "2026-01-15", "NaT"], dtype="datetime64[D]")
    got = observed_turnover(monthly, opened)
    assert got.tolist() == [200.0, 80.0, 60.0]  # B: February only; C: unknown opening
    late = np.array(["2026-03-01"] * 3, dtype="datetime64[D]")
    assert np.isnan(observed_turnover(monthly, late)).all()


def test_orders_of_unknown_points_or_before_opening_are_refused() -> None:
    with pytest.raises(InputError, match="unknown point"):
        monthly_turnover(["A"], _orders(), ["2026-01"])
    opened = np.array(["2026-02-01", "2020-01-01"], dtype="datetime64[D]")
    with pytest.raises(InputError, match="before point"):
        monthly_turnover(["A", "B"], _orders(), ["2026-01"], opened_on=opened)
    with pytest.raises(InputError):
        monthly_turnover(["A", "B"], _orders(), ["2026-13"])


def test_synthetic_orders_add_up_to_the_turnover() -> None:
    kop = np.array([12_345_678, 0, 1, 99_999_999_999])
    raw = orders_for_turnover(["a", "b", "c", "d"], kop, "2024-02", seed=4)
    assert set(raw["status"]) == {"issued", "returned", "cancelled"}
    got = monthly_turnover(["a", "b", "c", "d"], parse_orders_frame(raw), ["2024-02", "2024-03"])
    assert got["2024-02"].tolist() == kop.tolist()
    assert got["2024-03"].tolist() == [0, 0, 0, 0]
