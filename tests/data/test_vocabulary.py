"""The shared vocabulary: one money formatter, and one text per order-line rule whether the
store checks a record or the reward engine a whole table."""

from __future__ import annotations

import pandas as pd
import pytest

from data.errors import InputError
from data.store import OrderLine
from data.vocabulary import ORDER_STATUSES, check_order_line, format_rub
from planning.rewards import STATUSES, format_kop, parse_orders_frame


@pytest.mark.parametrize(
    ("kop", "text"),
    [(0, "0.00"), (1, "0.01"), (123456, "1234.56"), (-25000, "-250.00"), (-5, "-0.05")],
)
def test_format_rub(kop: int, text: str) -> None:
    assert format_rub(kop) == text
    assert format_kop is format_rub


def test_one_list_of_statuses() -> None:
    assert STATUSES is ORDER_STATUSES == ("issued", "returned", "cancelled")


BASE = {"order_id": "O1", "point_id": "P1", "issued_on": "2020-10-14", "status": "issued"}


@pytest.mark.parametrize(
    ("change", "column"),
    [
        ({"status": "lost"}, "status"),
        ({"issued_on": "2020-02-30"}, "issued_on"),
        ({"returned_on": "2020-10-20"}, "returned_on"),
        ({"status": "cancelled", "cancelled_on": "2020-10-01"}, "cancelled_on"),
        ({"status": "returned", "returned_on": "2020-10-20", "cancelled_on": "2020-10-20"},
         "cancelled_on"),
        ({"status": "returned", "returned_on": "2020-13-01"}, "returned_on"),
    ],
)  # fmt: skip
def test_store_and_engine_refuse_a_line_with_the_same_words(
    change: dict[str, str], column: str
) -> None:
    fields = {**BASE, **change}
    with pytest.raises(InputError) as store:
        check_order_line(OrderLine(price_kop=100_000, **fields), row=1, source="body")
    table = pd.DataFrame([{**fields, "price_rub": "1000.00"}], dtype=str)
    with pytest.raises(InputError) as engine:
        parse_orders_frame(table, source="body")
    assert (store.value.message, store.value.column) == (engine.value.message, column)
    assert engine.value.column == column
    assert (store.value.row, engine.value.row) == (1, 1)
