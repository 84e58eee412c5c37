"""Reward engine: hand-computed scenarios, a Decimal oracle and property tests."""

from __future__ import annotations

import calendar
import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.errors import InputError
from planning.rewards import (
    OrderRecord,
    PointRecord,
    build_statements,
    compare_schemes,
    compute_rewards,
    format_kop,
    month_bounds,
    month_range,
    orders_frame_from_records,
    pandemic_clamps,
    parse_orders_frame,
    parse_points_frame,
    parse_rub,
    points_frame_from_records,
    statement_lines_frame,
    statement_to_dict,
    statements_frame,
    statements_frame_from_table,
    statements_from_table,
    summarize_comparison,
)
from planning.rewards.policy import (
    DoubleRateCohort,
    QualityTier,
    RetroBonusTier,
    RewardPolicy,
    policy_from_toml,
)

D = dt.date
KOP = Decimal("0.01")


def order(
    oid: str, point: str, day: dt.date, price_rub: str, status: str = "issued"
) -> OrderRecord:
    return OrderRecord(oid, point, day, parse_rub(price_rub), status)


def rewards_by_order(statements: list[Any]) -> dict[str, str]:
    return {
        str(line.order_id): format_kop(line.reward_kop)
        for s in statements
        for line in s.lines
        if line.kind == "item"
    }


# ---------------------------------------------------------------------------------------
# the hand-computed table: (id, points, orders, month, policy, {order_id: reward}, total)

NO_JUNE = RewardPolicy(
    cohorts=(
        DoubleRateCohort(
            opened_from=D(2020, 4, 1), opened_to=D(2020, 5, 31), pandemic_extension=True
        ),
        DoubleRateCohort(opened_from=D(2020, 7, 1)),
    )
)

SCENARIOS = [
    # opened 2020-07-15: double from 07-15 up to, not including, 10-15.
    # 10-14: 1000.00 * 5 % * 2 = 100.00 ; 10-15: 1000.00 * 5 % = 50.00 ; total 150.00
    (
        "double-until-same-day-3-months-later",
        [PointRecord("A", D(2020, 7, 15))],
        [order("1", "A", D(2020, 10, 14), "1000.00"), order("2", "A", D(2020, 10, 15), "1000.00")],
        "2020-10",
        None,
        {"1": "100.00", "2": "50.00"},
        "150.00",
    ),
    # cap: 5000.00 >= 5000 -> fixed 250.00 ; 4999.99 * 5 % = 249.9995 -> 250.00 (half-up)
    # opened 2019 -> no double period ; total 500.00
    (
        "cap-threshold",
        [PointRecord("A", D(2019, 1, 1))],
        [order("1", "A", D(2020, 10, 1), "5000.00"), order("2", "A", D(2020, 10, 1), "4999.99")],
        "2020-10",
        None,
        {"1": "250.00", "2": "250.00"},
        "500.00",
    ),
    # capped item in the double period: 250.00 * 2 = 500.00 ;
    # 4999.98 * 5 % * 2 = 499.998 -> 500.00
    (
        "cap-doubled",
        [PointRecord("A", D(2020, 9, 1))],
        [order("1", "A", D(2020, 10, 1), "7500.00"), order("2", "A", D(2020, 10, 1), "4999.98")],
        "2020-10",
        None,
        {"1": "500.00", "2": "500.00"},
        "1000.00",
    ),
    # returned and cancelled earn 0 and are not turnover: 200.00 * 5 % = 10.00
    (
        "returns-and-cancellations",
        [PointRecord("A", D(2019, 1, 1))],
        [
            order("1", "A", D(2020, 10, 2), "200.00"),
            order("2", "A", D(2020, 10, 2), "3000.00", "returned"),
            order("3", "A", D(2020, 10, 2), "9000.00", "cancelled"),
        ],
        "2020-10",
        None,
        {"1": "10.00", "2": "0.00", "3": "0.00"},
        "10.00",
    ),
    # opened 2020-04-10, closed 20 days in April-May: 3 months -> 07-10, + 20 days -> 07-30
    # (excluded). 07-29: 100.00 * 5 % * 2 = 10.00 ; 07-30: 100.00 * 5 % = 5.00
    (
        "pandemic-extension-20-days",
        [PointRecord("B", D(2020, 4, 10), closed_days_2020=20)],
        [order("1", "B", D(2020, 7, 29), "100.00"), order("2", "B", D(2020, 7, 30), "100.00")],
        "2020-07",
        None,
        {"1": "10.00", "2": "5.00"},
        "15.00",
    ),
    # the same point given as a set of closed days: 2020-04-01..04-09 are before opening and
    # 2020-06-01 is outside April-May, so only 04-10..04-29 (20 days) count -> same as above
    (
        "pandemic-extension-day-set",
        [
            PointRecord(
                "B",
                D(2020, 4, 10),
                closed_days_2020=frozenset(
                    [D(2020, 4, 1) + dt.timedelta(days=i) for i in range(29)] + [D(2020, 6, 1)]
                ),
            )
        ],
        [order("1", "B", D(2020, 7, 29), "100.00"), order("2", "B", D(2020, 7, 30), "100.00")],
        "2020-07",
        None,
        {"1": "10.00", "2": "5.00"},
        "15.00",
    ),
    # month boundary: opened 2020-11-30 -> 3 months later is 2021-02-30, clamped to 02-28,
    # excluded: 02-27 double (10.00 * 5 % * 2 = 1.00), 02-28 single (0.50); the January
    # order is not in the February statement
    (
        "month-end-clamp",
        [PointRecord("C", D(2020, 11, 30))],
        [
            order("0", "C", D(2021, 1, 31), "10.00"),
            order("1", "C", D(2021, 2, 27), "10.00"),
            order("2", "C", D(2021, 2, 28), "10.00"),
        ],
        "2021-02",
        None,
        {"1": "1.00", "2": "0.50"},
        "1.50",
    ),
    # rounding after doubling, per line: 0.10 * 5 % = 0.005 -> 0.01 ; doubled 0.010 -> 0.01
    # (not 2 * 0.01) ; 0.30 * 5 % = 0.015 -> 0.02 ; doubled 0.030 -> 0.03 (not 0.04)
    (
        "half-up-kopeck-single",
        [PointRecord("S", D(2019, 1, 1))],
        [order("1", "S", D(2020, 10, 5), "0.10"), order("2", "S", D(2020, 10, 5), "0.30")],
        "2020-10",
        None,
        {"1": "0.01", "2": "0.02"},
        "0.03",
    ),
    (
        "half-up-kopeck-doubled",
        [PointRecord("T", D(2020, 10, 1))],
        [order("1", "T", D(2020, 10, 5), "0.10"), order("2", "T", D(2020, 10, 5), "0.30")],
        "2020-10",
        None,
        {"1": "0.01", "2": "0.03"},
        "0.04",
    ),
    # 0.09 * 5 % = 0.0045 -> 0.00 (below half) ; 0.01 * 5 % * 2 = 0.001 -> 0.00
    (
        "below-half-kopeck",
        [PointRecord("S", D(2019, 1, 1)), PointRecord("T", D(2020, 10, 1))],
        [order("1", "S", D(2020, 10, 5), "0.09"), order("2", "T", D(2020, 10, 5), "0.01")],
        "2020-10",
        None,
        {"1": "0.00", "2": "0.00"},
        "0.00",
    ),
    # opened 2020-03-31, before the first cohort: no double period
    (
        "before-cohorts",
        [PointRecord("A", D(2020, 3, 31))],
        [order("1", "A", D(2020, 4, 5), "100.00")],
        "2020-04",
        None,
        {"1": "5.00"},
        "5.00",
    ),
    # June 2020 opening: double by default (100.00 * 5 % * 2 = 10.00) ...
    (
        "june-default-included",
        [PointRecord("J", D(2020, 6, 15))],
        [order("1", "J", D(2020, 6, 20), "100.00")],
        "2020-06",
        None,
        {"1": "10.00"},
        "10.00",
    ),
    # ... and single (5.00) with a policy that leaves June out
    (
        "june-excluded-by-policy",
        [PointRecord("J", D(2020, 6, 15))],
        [order("1", "J", D(2020, 6, 20), "100.00")],
        "2020-06",
        NO_JUNE,
        {"1": "5.00"},
        "5.00",
    ),
    # retro bonus: turnover 1000.10 >= 1000.00 -> 0.5 % of 1000.10 = 5.0005 -> 5.00 (once);
    # items 1000.00 * 5 % = 50.00 and 0.10 * 5 % = 0.005 -> 0.01 ; total 55.01
    (
        "retro-bonus-rounded-once",
        [PointRecord("R", D(2019, 1, 1))],
        [order("1", "R", D(2020, 10, 5), "1000.00"), order("2", "R", D(2020, 10, 5), "0.10")],
        "2020-10",
        RewardPolicy(
            retro_bonus_tiers=(
                RetroBonusTier(min_turnover_rub=Decimal("1000"), extra_percent=Decimal("0.5")),
                RetroBonusTier(min_turnover_rub=Decimal("5000"), extra_percent=Decimal("1")),
            )
        ),
        {"1": "50.00", "2": "0.01"},
        "55.01",
    ),
    # quality x1.1 on the item reward: items 333.30 * 5 % = 16.665 -> 16.67 ;
    # bonus 0.1 * 16.67 = 1.667 -> 1.67 ; total 18.34
    (
        "quality-multiplier",
        [PointRecord("Q", D(2019, 1, 1), rating=Decimal("4.9"), complaint_rate_pct=Decimal("0.2"))],
        [order("1", "Q", D(2020, 10, 5), "333.30")],
        "2020-10",
        RewardPolicy(
            quality_tiers=(
                QualityTier(
                    min_rating=Decimal("4.8"),
                    max_complaint_rate_pct=Decimal("0.5"),
                    multiplier=Decimal("1.1"),
                ),
            )
        ),
        {"1": "16.67"},
        "18.34",
    ),
    # transition floor: 2 parcels * 35.00 = 70.00 old ; new 100.00 * 5 % + 10.00 * 5 % = 5.50
    # -> top-up 64.50 ; total max(5.50, 70.00) = 70.00
    (
        "transition-floor",
        [PointRecord("F", D(2019, 1, 1))],
        [order("1", "F", D(2020, 10, 5), "100.00"), order("2", "F", D(2020, 10, 5), "10.00")],
        "2020-10",
        RewardPolicy(transition_floor=True),
        {"1": "5.00", "2": "0.50"},
        "70.00",
    ),
]


@pytest.mark.parametrize(
    ("points", "orders", "month", "policy", "expected", "total"),
    [pytest.param(*case[1:], id=case[0]) for case in SCENARIOS],
)
def test_hand_computed(
    points: list[PointRecord],
    orders: list[OrderRecord],
    month: str,
    policy: RewardPolicy | None,
    expected: dict[str, str],
    total: str,
) -> None:
    statements = build_statements(points, orders, month, policy=policy)
    assert rewards_by_order(statements) == expected
    assert format_kop(sum(s.reward_kop for s in statements)) == total
    for s in statements:
        assert s.reward_kop == sum(line.reward_kop for line in s.lines)
    assert [statement_to_dict(s) for s in statements] == oracle(points, orders, month, policy)


def test_double_rate_days_and_statement_shape() -> None:
    points = [PointRecord("A", D(2020, 7, 15)), PointRecord("Z", D(2019, 1, 1))]
    orders = [
        order("1", "A", D(2020, 10, 14), "1000.00"),
        order("2", "A", D(2020, 10, 15), "10.00", "returned"),
    ]
    (s,) = build_statements(points, orders, "2020-10")  # Z has no orders: no statement
    d = statement_to_dict(s)
    assert list(d) == [
        "point_id",
        "month",
        "turnover_rub",
        "reward_rub",
        "double_rate_days",
        "lines",
        "adjustments",
        "old_scheme_rub",
        "notes",
    ]
    # 2020-10-01..10-14 inside [07-15, 10-15): 14 days ; one issued parcel * 35.00 old scheme
    assert (d["point_id"], d["double_rate_days"], d["old_scheme_rub"]) == ("A", 14, "35.00")
    assert (d["turnover_rub"], d["reward_rub"]) == ("1000.00", "100.00")
    assert d["lines"][1] == {
        "kind": "item",
        "order_id": "2",
        "issued_on": "2020-10-15",
        "status": "returned",
        "price_rub": "10.00",
        "double_rate": False,
        "rate": "none",
        "basis_rub": None,
        "reward_rub": "0.00",
    }


def test_bonus_lines_are_part_of_the_total() -> None:
    policy = RewardPolicy(
        retro_bonus_tiers=(
            RetroBonusTier(min_turnover_rub=Decimal("0"), extra_percent=Decimal("1")),
        ),
        transition_floor=True,
    )
    # items 10.00 * 5 % = 0.50 ; retro 1 % of 10.00 = 0.10 ; old 35.00 -> floor 34.40
    (s,) = build_statements(
        [PointRecord("A", D(2019, 1, 1))],
        [order("1", "A", D(2020, 10, 1), "10.00")],
        "2020-10",
        policy=policy,
    )
    kinds = [(line.kind, format_kop(line.reward_kop)) for line in s.lines]
    assert kinds == [("item", "0.50"), ("retro_bonus", "0.10"), ("transition_floor", "34.40")]
    assert (s.reward_kop, s.new_scheme_kop, s.old_scheme_kop) == (3500, 60, 3500)


def test_month_helpers() -> None:
    assert month_bounds("2021-02") == (D(2021, 2, 1), D(2021, 2, 28))
    assert month_bounds("2020-02") == (D(2020, 2, 1), D(2020, 2, 29))
    assert month_range("2020-11", "2021-02") == ["2020-11", "2020-12", "2021-01", "2021-02"]
    for bad in ("2020-13", "2020-1", "20-10", "2020-00"):
        with pytest.raises(InputError):
            month_bounds(bad)


@pytest.mark.parametrize(
    ("text", "kop"),
    [("0", 0), ("0.1", 10), ("1234.50", 123450), ("4999.99", 499999), ("1,50", 150),
     ("1234,5", 123450), ("1 234,50", 123450), ("1\u00a0234\u00a0567,89", 123456789)],
)  # fmt: skip
def test_parse_rub(text: str, kop: int) -> None:
    assert parse_rub(text) == kop


REJECTED_PRICES = ["-1.00", "abc", "1.005", "1e3", "", "nan", "1,234", "1,234.50", "1.234,50",
                   "12 34", "1 2345,00", "1,2,3"]  # fmt: skip


@pytest.mark.parametrize("text", REJECTED_PRICES)
def test_parse_rub_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rub(text)


def test_format_kop() -> None:
    assert [format_kop(v) for v in (0, 1, 99, 100, 123456, -5)] == [
        "0.00",
        "0.01",
        "0.99",
        "1.00",
        "1234.56",
        "-0.05",
    ]


# ---------------------------------------------------------------------------------------
# bad input in the record path (the CLI tests cover files)


def test_unknown_point_is_rejected() -> None:
    with pytest.raises(InputError, match="unknown point") as err:
        build_statements(
            [PointRecord("A", D(2019, 1, 1))], [order("1", "X", D(2020, 10, 1), "1")], "2020-10"
        )
    assert (err.value.row, err.value.column) == (1, "point_id")


def test_duplicate_order_with_different_content_is_rejected() -> None:
    orders = [order("1", "A", D(2020, 10, 1), "1.00"), order("1", "A", D(2020, 10, 1), "2.00")]
    with pytest.raises(InputError, match="different content") as err:
        build_statements([PointRecord("A", D(2019, 1, 1))], orders, "2020-10")
    assert (err.value.row, err.value.column) == (2, "order_id")


def test_unknown_status_and_negative_price_are_rejected() -> None:
    points = [PointRecord("A", D(2019, 1, 1))]
    with pytest.raises(InputError, match="unknown status"):
        build_statements(points, [order("1", "A", D(2020, 10, 1), "1.00", "lost")], "2020-10")
    with pytest.raises(InputError, match="negative"):
        build_statements(points, [OrderRecord("1", "A", D(2020, 10, 1), -1, "issued")], "2020-10")


def test_negative_closed_days_are_rejected() -> None:
    with pytest.raises(InputError, match="must be 0 or more") as err:
        build_statements([PointRecord("A", D(2020, 5, 25), closed_days_2020=-1)], [], "2020-10")
    assert err.value.column == "closed_days_2020"


# ---------------------------------------------------------------------------------------
# the pandemic count clamped to the days possible (a note, never an error)


def test_count_of_a_july_opening_is_clamped_to_zero() -> None:
    # opened 2020-07-01 (not in the April-May cohort), 15 closed days claimed: 0 days of
    # April-May are on or after the opening -> clamped to 0, no extension. Double from 07-01
    # up to, not including, 10-01: 09-30 100.00 * 5 % * 2 = 10.00 ; 10-01 5.00
    point = PointRecord("J", D(2020, 7, 1), closed_days_2020=15)
    orders = [order("1", "J", D(2020, 9, 30), "100.00"), order("2", "J", D(2020, 10, 1), "100.00")]
    sep = build_statements([point], orders, "2020-09")
    oct_ = build_statements([point], orders, "2020-10")
    assert rewards_by_order(sep + oct_) == {"1": "10.00", "2": "5.00"}
    note = (
        "closed_days_2020 = 15 clamped to 0: only 0 days of 2020-04-01..2020-05-31 are on or "
        "after the opening day 2020-07-01"
    )
    assert sep[0].notes == oct_[0].notes == (note,)
    assert statement_to_dict(oct_[0])["notes"] == [note]


def test_count_of_a_may_20_opening_is_clamped_to_12_days() -> None:
    # opened 2020-05-20 with 30 closed days: only 05-20..05-31 = 12 days possible.
    # 3 months -> 08-20, + 12 days -> 09-01 (excluded): 08-31 doubled, 09-01 single
    point = PointRecord("M", D(2020, 5, 20), closed_days_2020=30)
    orders = [order("1", "M", D(2020, 8, 31), "100.00"), order("2", "M", D(2020, 9, 1), "100.00")]
    aug = build_statements([point], orders, "2020-08")
    sep = build_statements([point], orders, "2020-09")
    assert rewards_by_order(aug + sep) == {"1": "10.00", "2": "5.00"}
    assert (aug[0].double_rate_days, sep[0].double_rate_days) == (31, 0)
    assert "clamped to 12: only 12 days" in aug[0].notes[0]
    # the same as a count of exactly 12, which needs no note
    exact = build_statements([PointRecord("M", D(2020, 5, 20), 12)], orders, "2020-08")
    assert rewards_by_order(exact) == rewards_by_order(aug) and exact[0].notes == ()


def test_a_list_of_days_is_filtered_without_a_note() -> None:
    days = frozenset(D(2020, 5, 1) + dt.timedelta(days=i) for i in range(40))  # 05-01..06-09
    point = PointRecord("M", D(2020, 5, 20), closed_days_2020=days)
    orders = [order("1", "M", D(2020, 8, 31), "100.00"), order("2", "M", D(2020, 9, 1), "100.00")]
    got = build_statements([point], orders, "2020-08") + build_statements(
        [point], orders, "2020-09"
    )
    assert rewards_by_order(got) == {"1": "10.00", "2": "5.00"}
    assert all(s.notes == () for s in got)


def test_clamps_are_listed_once_per_point() -> None:
    points = points_frame_from_records(
        [
            PointRecord("J", D(2020, 7, 1), closed_days_2020=15),
            PointRecord("M", D(2020, 5, 20), closed_days_2020=30),
            PointRecord("O", D(2019, 1, 1), closed_days_2020=61),  # all of April-May: fine
        ],
        policy=RewardPolicy(),
    )
    clamps = pandemic_clamps(points, policy=RewardPolicy())
    assert sorted(clamps) == [0, 1]
    assert "clamped to 0" in str(clamps[0]) and "clamped to 12" in str(clamps[1])


# ---------------------------------------------------------------------------------------
# closed periods: later returns and cancellations are adjustments of the month they happen


def late(oid: str, point: str, day: dt.date, price_rub: str, *, returned: dt.date) -> OrderRecord:
    return OrderRecord(oid, point, day, parse_rub(price_rub), "returned", returned_on=returned)


@pytest.mark.parametrize(
    ("opened", "price", "july_reward", "doubled"),
    [
        (D(2019, 1, 1), "1000.00", "50.00", False),  # 1000.00 * 5 %
        (D(2020, 7, 15), "1000.00", "100.00", True),  # doubled: 1000.00 * 5 % * 2
        (D(2020, 7, 15), "7500.00", "500.00", True),  # capped and doubled: 250.00 * 2
    ],
    ids=["single", "doubled", "capped-doubled"],
)
def test_late_return_leaves_its_month_and_adjusts_the_next(
    opened: dt.date, price: str, july_reward: str, doubled: bool
) -> None:
    point = PointRecord("A", opened)
    kept = order("7", "A", D(2020, 7, 20), "200.00")
    as_paid = [order("1", "A", D(2020, 7, 20), price), kept]
    returned = [late("1", "A", D(2020, 7, 20), price, returned=D(2020, 8, 5)), kept]
    july_paid = build_statements([point], as_paid, "2020-07")
    july_now = build_statements([point], returned, "2020-07")
    assert [statement_to_dict(s) for s in july_now] == [statement_to_dict(s) for s in july_paid]
    (line,) = [x for x in july_now[0].lines if x.order_id == "1"]
    assert (format_kop(line.reward_kop), line.status, line.double_rate) == (
        july_reward,
        "issued",
        doubled,
    )
    (aug,) = build_statements([point], returned, "2020-08")
    assert aug.lines == () and aug.turnover_kop == 0
    (adj,) = aug.adjustments
    assert adj.reward_kop == -line.reward_kop and aug.reward_kop == -line.reward_kop
    assert (adj.kind, adj.order_id, adj.status, adj.event_on) == (
        "adjustment",
        "1",
        "returned",
        D(2020, 8, 5),
    )
    assert (adj.double_rate, adj.rate) == (doubled, "reversal of 2020-07")
    d = statement_to_dict(aug)
    assert d["reward_rub"] == f"-{july_reward}"
    assert d["adjustments"] == [
        {
            "kind": "adjustment",
            "order_id": "1",
            "issued_on": "2020-07-20",
            "status": "returned",
            "event_on": "2020-08-05",
            "price_rub": price,
            "double_rate": doubled,
            "rate": "reversal of 2020-07",
            "reward_rub": f"-{july_reward}",
        }
    ]
    assert build_statements([point], returned, "2020-09") == []  # nothing after August


def test_adjustment_adds_to_the_months_own_lines_and_bonuses_stay() -> None:
    # July: 6000.00 -> fixed 250.00 ; retro 1 % of 6000.00 = 60.00 (paid, not recomputed).
    # August: 100.00 -> 5.00 ; turnover 100.00 below the tier ; adjustment -250.00
    # -> total 5.00 - 250.00 = -245.00
    policy = RewardPolicy(
        retro_bonus_tiers=(
            RetroBonusTier(min_turnover_rub=Decimal("1000"), extra_percent=Decimal("1")),
        )
    )
    point = PointRecord("A", D(2019, 1, 1))
    orders = [
        late("1", "A", D(2020, 7, 31), "6000.00", returned=D(2020, 8, 1)),
        order("2", "A", D(2020, 8, 2), "100.00"),
    ]
    (jul,) = build_statements([point], orders, "2020-07", policy=policy)
    (aug,) = build_statements([point], orders, "2020-08", policy=policy)
    assert (format_kop(jul.reward_kop), format_kop(jul.bonus_kop)) == ("310.00", "60.00")
    assert (aug.item_reward_kop, aug.bonus_kop, aug.adjustment_kop) == (500, 0, -25000)
    assert format_kop(aug.reward_kop) == "-245.00"
    frame = statements_frame([aug])
    assert frame.iloc[0].to_dict() == {
        "point_id": "A",
        "month": "2020-08",
        "turnover_kop": 10000,
        "item_reward_kop": 500,
        "double_rate_days": 0,
        "old_scheme_kop": 3500,
        "bonuses_kop": 0,
        "adjustments_kop": -25000,
        "total_kop": -24500,
        "notes": "",
    }
    assert statement_lines_frame([aug])["kind"].tolist() == ["item", "adjustment"]


@pytest.mark.parametrize("status", ["cancelled", "returned"])
def test_event_in_the_same_month_never_counts(status: str) -> None:
    point = PointRecord("A", D(2019, 1, 1))
    day = {f"{status}_on": D(2020, 7, 25)}
    orders = [
        OrderRecord("1", "A", D(2020, 7, 10), parse_rub("1000.00"), status, **day),  # type: ignore[arg-type]
        order("2", "A", D(2020, 7, 10), "100.00"),
    ]
    (jul,) = build_statements([point], orders, "2020-07")
    assert rewards_by_order([jul]) == {"1": "0.00", "2": "5.00"}
    assert (jul.turnover_kop, jul.reward_kop, jul.adjustments) == (10000, 500, ())
    assert jul.lines[0].status == status
    assert build_statements([point], orders, "2020-08") == []


def test_late_cancellation_is_an_adjustment_too() -> None:
    point = PointRecord("A", D(2019, 1, 1))
    orders = [
        OrderRecord(
            "1", "A", D(2020, 7, 10), parse_rub("1000.00"), "cancelled", cancelled_on=D(2020, 9, 1)
        )
    ]
    assert rewards_by_order(build_statements([point], orders, "2020-07")) == {"1": "50.00"}
    assert build_statements([point], orders, "2020-07")[0].lines[0].status == "issued"
    assert build_statements([point], orders, "2020-08") == []
    (sep,) = build_statements([point], orders, "2020-09")
    assert [(a.status, a.reward_kop) for a in sep.adjustments] == [("cancelled", -5000)]


@pytest.mark.parametrize(
    ("record", "column", "message"),
    [
        (
            OrderRecord("1", "A", D(2020, 7, 10), 100, "returned", returned_on=D(2020, 7, 9)),
            "returned_on",
            "returned_on 2020-07-09 is before the issue day 2020-07-10",
        ),
        (
            OrderRecord("1", "A", D(2020, 7, 10), 100, "issued", returned_on=D(2020, 7, 11)),
            "returned_on",
            "returned_on is set but the status is 'issued'",
        ),
        (
            OrderRecord("1", "A", D(2020, 7, 10), 100, "returned", cancelled_on=D(2020, 7, 11)),
            "cancelled_on",
            "cancelled_on is set but the status is 'returned'",
        ),
        (
            OrderRecord(
                "1",
                "A",
                D(2020, 7, 10),
                100,
                "returned",
                returned_on=D(2020, 7, 11),
                cancelled_on=D(2020, 7, 11),
            ),
            "cancelled_on",
            "both returned_on and cancelled_on",
        ),
    ],
    ids=["before-issue", "issued-with-return-day", "returned-with-cancel-day", "both"],
)
def test_bad_event_days_are_rejected(record: OrderRecord, column: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        build_statements([PointRecord("A", D(2019, 1, 1))], [record], "2020-07")
    assert err.value.column == column and err.value.row == 1 and message in str(err.value)


def test_same_id_with_another_return_day_is_not_a_duplicate() -> None:
    a = late("1", "A", D(2020, 7, 10), "1.00", returned=D(2020, 7, 11))
    b = late("1", "A", D(2020, 7, 10), "1.00", returned=D(2020, 7, 12))
    with pytest.raises(InputError, match="different content"):
        build_statements([PointRecord("A", D(2019, 1, 1))], [a, b], "2020-07")
    assert build_statements([PointRecord("A", D(2019, 1, 1))], [a, a], "2020-07")


def test_order_before_opening_is_rejected() -> None:
    with pytest.raises(InputError, match="before point"):
        build_statements(
            [PointRecord("A", D(2020, 10, 2))], [order("1", "A", D(2020, 10, 1), "1")], "2020-10"
        )


# ---------------------------------------------------------------------------------------
# policy


def test_policy_from_toml_reads_exact_decimals() -> None:
    policy = policy_from_toml(
        """
        rate_percent = 4.5
        transition_floor = true
        [[retro_bonus_tiers]]
        min_turnover_rub = 300000
        extra_percent = 0.25
        """
    )
    assert policy.rate_percent == Decimal("4.5")
    assert policy.retro_bonus_tiers[0].extra_percent == Decimal("0.25")
    assert policy.cap_amount_rub == Decimal("250")


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("rate_percent = -1", "rate_percent"),
        ("cap_amount_rub = 1.005", "cap_amount_rub"),
        ("no_such_key = 1", "no_such_key"),
        (
            "[[quality_tiers]]\nmin_rating = 4\nmax_complaint_rate_pct = 1\nmultiplier = 0.9",
            "quality_tiers.0.multiplier",
        ),
    ],
)
def test_policy_errors_name_the_field(text: str, field: str) -> None:
    with pytest.raises(InputError) as err:
        policy_from_toml(text, source="p.toml")
    assert err.value.column == field and err.value.source == "p.toml"


def test_example_policy_file_is_valid() -> None:
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / "rewards_policy_example.toml"
    policy = policy_from_toml(path.read_text(encoding="utf-8"), source=str(path))
    assert policy.retro_bonus_tiers and policy.quality_tiers


def test_policy_rejects_float_from_python() -> None:
    with pytest.raises(ValueError):
        RewardPolicy(rate_percent=5.5)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# the Decimal oracle: an independent, loop-per-line implementation of the rules


def _add_months_clamped(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return dt.date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _half_up(x: Decimal) -> Decimal:
    return x.quantize(KOP, rounding=ROUND_HALF_UP)


def _money(x: Decimal) -> str:
    return f"{x.quantize(KOP):f}"


def oracle(
    points: list[PointRecord], orders: list[OrderRecord], month: str, policy: RewardPolicy | None
) -> list[dict[str, Any]]:
    policy = policy or RewardPolicy()
    year, mon = int(month[:4]), int(month[5:])
    first = dt.date(year, mon, 1)
    last = dt.date(year, mon, calendar.monthrange(year, mon)[1])
    unique = {o.order_id: o for o in orders}  # exact duplicates collapse
    out = []
    for p in sorted(points, key=lambda p: p.point_id):
        mine = sorted(
            (
                o
                for o in unique.values()
                if o.point_id == p.point_id and first <= o.issued_on <= last
            ),
            key=lambda o: (o.issued_on, o.order_id),
        )
        late = sorted(
            (
                o
                for o in unique.values()
                if o.point_id == p.point_id
                and o.status != "issued"
                and o.issued_on < first
                and _event(o) is not None
                and first <= _event(o) <= last  # type: ignore[operator]
            ),
            key=lambda o: (_event(o), o.order_id),
        )
        if not mine and not late:
            continue
        possible = max(0, (policy.pandemic_to - max(policy.pandemic_from, p.opened_on)).days + 1)
        notes = []
        if isinstance(p.closed_days_2020, int) and p.closed_days_2020 > possible:
            notes.append(
                f"closed_days_2020 = {p.closed_days_2020} clamped to {possible}: only "
                f"{possible} days of {policy.pandemic_from}..{policy.pandemic_to} are on or "
                f"after the opening day {p.opened_on}"
            )
        end = p.opened_on
        for c in policy.cohorts:
            if c.opened_from <= p.opened_on and (c.opened_to is None or p.opened_on <= c.opened_to):
                end = _add_months_clamped(p.opened_on, policy.double_months)
                if c.pandemic_extension:
                    if isinstance(p.closed_days_2020, int):
                        ext = min(p.closed_days_2020, possible)
                    else:
                        ext = sum(
                            1
                            for d in p.closed_days_2020
                            if policy.pandemic_from <= d <= policy.pandemic_to and d >= p.opened_on
                        )
                    end += dt.timedelta(days=ext)
                break

        lines = []
        turnover = items = Decimal(0)
        issued = 0
        for o in mine:
            price = Decimal(o.price_kop) / 100
            event = _event(o)
            status = "issued" if event is not None and event > last else o.status
            if status != "issued":
                r, rate, double = Decimal(0), "none", False
            else:
                r, rate, double = _kept_reward(o, p, end, policy)
                turnover += price
                items += r
                issued += 1
            lines.append(
                {
                    "kind": "item",
                    "order_id": o.order_id,
                    "issued_on": o.issued_on.isoformat(),
                    "status": status,
                    "price_rub": _money(price),
                    "double_rate": double,
                    "rate": rate,
                    "basis_rub": None,
                    "reward_rub": _money(r),
                }
            )
        total = items
        reached = [t for t in policy.retro_bonus_tiers if turnover >= t.min_turnover_rub]
        if reached:
            tier = max(reached, key=lambda t: t.min_turnover_rub)
            b = _half_up(turnover * tier.extra_percent / 100)
            total += b
            lines.append(_bonus("retro_bonus", f"{tier.extra_percent.normalize():f}%", turnover, b))
        for q in policy.quality_tiers:
            if (
                p.rating is not None
                and p.complaint_rate_pct is not None
                and p.rating >= q.min_rating
                and p.complaint_rate_pct <= q.max_complaint_rate_pct
            ):
                b = _half_up(items * (q.multiplier - 1))
                total += b
                lines.append(_bonus("quality_bonus", f"x{q.multiplier.normalize():f}", items, b))
                break
        old = policy.old_fee_per_parcel_rub * issued
        if policy.transition_floor and old > total:
            lines.append(_bonus("transition_floor", "max(new, old)", old, old - total))
            total = old
        adjustments = []
        for o in late:
            r, _, double = _kept_reward(o, p, end, policy)
            total -= r
            adjustments.append(
                {
                    "kind": "adjustment",
                    "order_id": o.order_id,
                    "issued_on": o.issued_on.isoformat(),
                    "status": o.status,
                    "event_on": _event(o).isoformat(),  # type: ignore[union-attr]
                    "price_rub": _money(Decimal(o.price_kop) / 100),
                    "double_rate": double,
                    "rate": f"reversal of {o.issued_on:%Y-%m}",
                    "reward_rub": _money(-r),
                }
            )
        days = sum(
            1
            for i in range((last - first).days + 1)
            if p.opened_on <= first + dt.timedelta(days=i) < end
        )
        out.append(
            {
                "point_id": p.point_id,
                "month": month,
                "turnover_rub": _money(turnover),
                "reward_rub": _money(total),
                "double_rate_days": days,
                "lines": lines,
                "adjustments": adjustments,
                "old_scheme_rub": _money(old),
                "notes": notes,
            }
        )
    return out


def _kept_reward(
    o: OrderRecord, p: PointRecord, end: dt.date, policy: RewardPolicy
) -> tuple[Decimal, str, bool]:
    """The reward of ``o`` had it been kept: amount, rate label, doubled (double until end)."""
    price = Decimal(o.price_kop) / 100
    if price >= policy.cap_threshold_rub:
        r, rate = policy.cap_amount_rub, f"fixed {_money(policy.cap_amount_rub)}"
    else:
        r, rate = price * policy.rate_percent / 100, f"{policy.rate_percent.normalize():f}%"
    double = p.opened_on <= o.issued_on < end
    if double:
        r *= policy.double_multiplier
    return _half_up(r), rate, double


def _event(o: OrderRecord) -> dt.date | None:
    return o.returned_on or o.cancelled_on


def _bonus(kind: str, rate: str, basis: Decimal, reward: Decimal) -> dict[str, Any]:
    return {
        "kind": kind,
        "order_id": None,
        "issued_on": None,
        "status": None,
        "price_rub": None,
        "double_rate": False,
        "rate": rate,
        "basis_rub": _money(basis),
        "reward_rub": _money(reward),
    }


# ---------------------------------------------------------------------------------------
# property tests against the oracle

OPENINGS = st.dates(D(2020, 1, 1), D(2021, 3, 31))
PRICES = st.one_of(
    st.sampled_from([0, 1, 9, 10, 30, 499999, 500000, 500001, 1_000_000]),
    st.integers(0, 2_000_000),
)
RICH_POLICY = RewardPolicy(
    retro_bonus_tiers=(
        RetroBonusTier(min_turnover_rub=Decimal("100"), extra_percent=Decimal("0.5")),
        RetroBonusTier(min_turnover_rub=Decimal("5000"), extra_percent=Decimal("1.25")),
    ),
    quality_tiers=(
        QualityTier(
            min_rating=Decimal("4.8"),
            max_complaint_rate_pct=Decimal("0.5"),
            multiplier=Decimal("1.1"),
        ),
        QualityTier(
            min_rating=Decimal("4.5"),
            max_complaint_rate_pct=Decimal("1"),
            multiplier=Decimal("1.05"),
        ),
    ),
    transition_floor=True,
)


@st.composite
def networks(draw: st.DrawFn) -> tuple[list[PointRecord], list[OrderRecord], str]:
    n_points = draw(st.integers(1, 4))
    points = []
    for i in range(n_points):
        opened = draw(OPENINGS)
        window = max(0, (D(2020, 5, 31) - max(opened, D(2020, 4, 1))).days + 1)
        points.append(
            PointRecord(
                f"P{i}",
                opened,
                closed_days_2020=draw(st.integers(0, window + 20)),
                rating=draw(
                    st.sampled_from([None, Decimal("4.4"), Decimal("4.6"), Decimal("4.9")])
                ),
                complaint_rate_pct=draw(st.sampled_from([None, Decimal("0.3"), Decimal("0.8")])),
            )
        )
    month = draw(
        st.sampled_from(["2020-04", "2020-07", "2020-09", "2020-12", "2021-02", "2021-06"])
    )
    first, last = month_bounds(month)
    orders = []
    for j in range(draw(st.integers(0, 12))):
        p = draw(st.sampled_from(points))
        lo = max(p.opened_on, first - dt.timedelta(days=40))
        hi = last + dt.timedelta(days=3)
        if lo > hi:
            continue
        day = draw(st.dates(lo, hi))
        status = draw(st.sampled_from(["issued", "issued", "returned", "cancelled"]))
        event = None
        if status != "issued":
            event = draw(st.one_of(st.none(), st.dates(day, day + dt.timedelta(days=70))))
        orders.append(
            OrderRecord(
                f"o{j}",
                p.point_id,
                day,
                draw(PRICES),
                status,
                returned_on=event if status == "returned" else None,
                cancelled_on=event if status == "cancelled" else None,
            )
        )
    return points, orders, month


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(networks(), st.sampled_from([None, RICH_POLICY]))
def test_engine_matches_decimal_oracle(
    net: tuple[list[PointRecord], list[OrderRecord], str], policy: RewardPolicy | None
) -> None:
    points, orders, month = net
    got = [statement_to_dict(s) for s in build_statements(points, orders, month, policy=policy)]
    assert got == oracle(points, orders, month, policy)


@FAST
@given(networks(), st.sampled_from([None, RICH_POLICY]))
def test_total_is_the_sum_of_lines(
    net: tuple[list[PointRecord], list[OrderRecord], str], policy: RewardPolicy | None
) -> None:
    for s in build_statements(*net, policy=policy):
        paid = sum(line.reward_kop for line in s.lines + s.adjustments)
        assert s.reward_kop == paid
        assert s.adjustment_kop <= 0
        assert s.reward_kop - s.adjustment_kop >= s.new_scheme_kop >= 0


@FAST
@given(networks())
def test_doubling_never_changes_turnover(
    net: tuple[list[PointRecord], list[OrderRecord], str],
) -> None:
    points, orders, month = net
    single = RewardPolicy(cohorts=())
    with_double = {s.point_id: s.turnover_kop for s in build_statements(points, orders, month)}
    without = {
        s.point_id: s.turnover_kop for s in build_statements(points, orders, month, policy=single)
    }
    assert with_double == without
    for s in build_statements(points, orders, month, policy=single):
        assert s.double_rate_days == 0


@FAST
@given(networks(), st.randoms(use_true_random=False))
def test_order_of_input_rows_does_not_matter(
    net: tuple[list[PointRecord], list[OrderRecord], str], rnd: random.Random
) -> None:
    points, orders, month = net
    expected = build_statements(points, orders, month, policy=RICH_POLICY)
    p2, o2 = list(points), list(orders)
    rnd.shuffle(p2)
    rnd.shuffle(o2)
    assert build_statements(p2, o2, month, policy=RICH_POLICY) == expected


@FAST
@given(networks())
def test_ingesting_twice_is_idempotent(
    net: tuple[list[PointRecord], list[OrderRecord], str],
) -> None:
    points, orders, month = net
    once = build_statements(points, orders, month)
    assert build_statements(points, orders + orders, month) == once
    assert build_statements(points, orders + orders[::-1], month) == once


# ---------------------------------------------------------------------------------------
# the bulk path


def test_bulk_frames_with_integer_ids_match_records() -> None:
    rng = np.random.default_rng(5)
    n_points, n_orders = 50, 2000
    opened = np.datetime64("2020-03-01") + rng.integers(0, 240, n_points)
    points = pd.DataFrame(
        {
            "point_id": np.arange(n_points),
            "opened_on": opened.astype("datetime64[s]"),
            "closed_days_2020": np.zeros(n_points, dtype=np.int64),
        }
    )
    pidx = rng.integers(0, n_points, n_orders)
    issued = np.maximum(np.datetime64("2020-10-01") + rng.integers(0, 31, n_orders), opened[pidx])
    orders = pd.DataFrame(
        {
            "order_id": np.arange(n_orders),
            "point_id": pidx,
            "issued_on": issued.astype("datetime64[s]"),
            "price_kop": rng.integers(0, 800_000, n_orders),
            "status": pd.Categorical.from_codes(
                rng.integers(0, 3, n_orders), ["issued", "returned", "cancelled"]
            ),
        }
    )
    table = compute_rewards(points, orders, "2020-10")
    records_p = [
        PointRecord(str(i), d.astype(dt.date)) for i, d in enumerate(opened.astype("datetime64[D]"))
    ]
    records_o = [
        OrderRecord(str(i), str(p), d, int(k), str(s))
        for i, (p, d, k, s) in enumerate(
            zip(
                pidx,
                issued.astype("datetime64[D]").tolist(),
                orders["price_kop"],
                orders["status"],
                strict=True,
            )
        )
    ]
    by_id = {
        str(s.point_id): s.reward_kop for s in build_statements(records_p, records_o, "2020-10")
    }
    bulk = dict(
        zip(table.totals["point_id"].astype(str), table.totals["reward_kop"].tolist(), strict=True)
    )
    assert bulk == by_id
    assert table.totals["reward_kop"].sum() == table.lines["reward_kop"].sum()


def test_frame_round_trip_from_records() -> None:
    policy = RewardPolicy()
    pf = points_frame_from_records(
        [PointRecord("A", D(2020, 4, 10), closed_days_2020=3)], policy=policy
    )
    of = orders_frame_from_records([order("1", "A", D(2020, 7, 12), "10.00")])
    assert pf["closed_days_2020"].tolist() == [3]
    assert of["price_kop"].tolist() == [1000]


def test_string_frames_parse_like_records() -> None:
    raw_p = pd.DataFrame(
        {
            "id": ["A", "B"],
            "opened_on": ["2020-07-15", "2020-04-10"],
            "closed_days_2020": ["", "20"],
        }
    )
    raw_o = pd.DataFrame(
        {
            "order_id": ["1", "2"],
            "point_id": ["A", "B"],
            "issued_on": ["2020-10-14", "2020-07-29"],
            "price_rub": ["1000.5", "100"],
            "status": ["issued", "issued"],
        }
    )
    pts = parse_points_frame(raw_p)
    ords = parse_orders_frame(raw_o)
    assert ords["price_kop"].tolist() == [100050, 10000]
    comparison = compare_schemes(pts, ords, "2020-07", "2020-10")
    # A, Oct: 1000.50 * 5 % * 2 = 100.05 vs 35.00 ; B, Jul: 100.00 * 5 % * 2 = 10.00 vs 35.00
    assert comparison[
        ["point_id", "month", "new_scheme_kop", "old_scheme_kop"]
    ].values.tolist() == [
        ["B", "2020-07", 1000, 3500],
        ["A", "2020-10", 10005, 3500],
    ]
    summary = summarize_comparison(comparison, first_month="2020-07", last_month="2020-10")
    assert (summary.points, summary.more, summary.less, summary.less_ids) == (2, 1, 1, ("B",))
    assert summary.share_more_pct == Decimal("50.0")


# ---------------------------------------------------------------------------------------
# closed periods over time: adjustments settle every return exactly


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[PointRecord], list[OrderRecord]]:
    points = [
        PointRecord(f"P{i}", draw(st.dates(D(2020, 3, 1), D(2020, 9, 30))))
        for i in range(draw(st.integers(1, 3)))
    ]
    orders = []
    for j in range(draw(st.integers(0, 15))):
        p = draw(st.sampled_from(points))
        day = draw(st.dates(p.opened_on, D(2020, 12, 31)))
        status = draw(st.sampled_from(["issued", "returned", "cancelled"]))
        event = None
        if status != "issued":
            event = draw(st.one_of(st.none(), st.dates(day, day + dt.timedelta(days=80))))
        orders.append(
            OrderRecord(
                f"o{j}",
                p.point_id,
                day,
                draw(PRICES),
                status,
                returned_on=event if status == "returned" else None,
                cancelled_on=event if status == "cancelled" else None,
            )
        )
    return points, orders


@FAST
@given(histories())
def test_all_months_with_adjustments_pay_exactly_the_kept_items(
    hist: tuple[list[PointRecord], list[OrderRecord]],
) -> None:
    points, orders = hist
    months = month_range("2020-03", "2021-03")  # every issue and event day is inside
    paid = sum(s.reward_kop for m in months for s in build_statements(points, orders, m))
    # the kept items alone, each counted once in its month (no bonuses in the default policy)
    kept = [o for o in orders if o.status == "issued"]
    owed = sum(s.reward_kop for m in months for s in build_statements(points, kept, m))
    assert paid == owed
    # and every month's statements are what they were before any later event was known
    for m in months:
        _, last = month_bounds(m)
        known = [_as_known_at(o, last) for o in orders]
        assert build_statements(points, known, m) == build_statements(points, orders, m)


def _as_known_at(o: OrderRecord, day: dt.date) -> OrderRecord:
    """``o`` as the books showed it at the end of ``day``: a later event had not happened."""
    event = o.returned_on or o.cancelled_on
    if event is not None and event > day:
        return OrderRecord(o.order_id, o.point_id, o.issued_on, o.price_kop, "issued")
    return o


@FAST
@given(networks(), st.sampled_from([None, RICH_POLICY]))
def test_statements_frame_from_the_table_equals_the_one_from_statements(
    net: tuple[list[PointRecord], list[OrderRecord], str], policy: RewardPolicy | None
) -> None:
    points, orders, month = net
    pol = policy or RewardPolicy()
    table = compute_rewards(
        points_frame_from_records(points, policy=pol),
        orders_frame_from_records(orders),
        month,
        policy=pol,
    )
    expected = statements_frame(statements_from_table(table))
    pd.testing.assert_frame_equal(statements_frame_from_table(table), expected)
