"""Request and response bodies of the rewards API: order lines in, reward statements out.

Money is a decimal string in roubles with two decimals (``"1234.50"``), never a JSON
number; dates are ISO ``YYYY-MM-DD``. The statement is exactly the JSON that
``pvz rewards`` writes (:func:`planning.rewards.statement_to_dict`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from api.validation import check_text, check_unpadded
from planning.rewards import LINE_KINDS, STATUSES

__all__ = ["AdjustmentOut", "OrderIn", "OrderIngestOut", "StatementLineOut", "StatementOut"]

_Id = Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(check_text)]
_Short = Annotated[str, StringConstraints(max_length=40), AfterValidator(check_text)]
#: a day or a price: no surrounding spaces (the digits are checked as ASCII by the parser)
_Value = Annotated[_Short, AfterValidator(check_unpadded)]


def _either(words: Sequence[str]) -> str:
    """``a, b or c``."""
    return f"{', '.join(words[:-1])} or {words[-1]}" if len(words) > 1 else "".join(words)


#: "issued (earns a reward), returned or cancelled (earn nothing)"
_STATUS_TEXT = f"{STATUSES[0]} (earns a reward), {_either(STATUSES[1:])} (earn nothing)"
#: the kinds of statement lines (adjustments are listed apart)
_LINE_KIND_TEXT = _either([k for k in LINE_KINDS if k != "adjustment"])


class OrderIn(BaseModel):
    """One order line (one item) as uploaded; the same columns as the CLI's ORDERS file.

    Values are strings and are checked like the CSV cells: errors name the 1-based row.
    """

    order_id: _Id = Field(description="unique id of the line; the upsert key")
    point_id: _Id = Field(description="the point that issued the item")
    issued_on: _Value = Field(description="day of issue, YYYY-MM-DD", examples=["2020-10-14"])
    price_rub: _Value = Field(
        description="item price, RUB, a decimal string with at most two decimals after a "
        "point or a comma, digits optionally grouped by a space (1234.50, 1 234,50)",
        examples=["1234.50"],
    )
    status: _Short = Field(
        description=_STATUS_TEXT,
        examples=["issued"],
    )
    returned_on: _Value | None = Field(
        None,
        description="day of the return, YYYY-MM-DD (status returned; not before issued_on). "
        "In a later month than the issue: the issue month stays as paid and the return's "
        "month gets an adjustment of minus the item's reward",
        examples=["2020-11-02"],
    )
    cancelled_on: _Value | None = Field(
        None,
        description="day of the cancellation, YYYY-MM-DD (status cancelled; not before "
        "issued_on); a later month than the issue adjusts like a return",
        examples=["2020-10-20"],
    )
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "order_id": "O-1001",
                "point_id": "P000001",
                "issued_on": "2020-10-14",
                "price_rub": "1000.00",
                "status": "issued",
            }
        },
    )


class OrderIngestOut(BaseModel):
    """What an upload did, counted in distinct order ids (exact repeats count once)."""

    received: int = Field(description="order lines in the request")
    created: int = Field(description="new order ids stored")
    updated: int = Field(description="known orders whose status changed (each logged)")
    unchanged: int = Field(description="known orders sent again with the same content")
    model_config = ConfigDict(
        json_schema_extra={"example": {"received": 3, "created": 2, "updated": 1, "unchanged": 0}}
    )


class StatementLineOut(BaseModel):
    """One statement line: an item (order fields set) or a bonus (``basis_rub`` set)."""

    kind: str = Field(description=_LINE_KIND_TEXT)
    order_id: str | None = None
    issued_on: str | None = Field(None, description="YYYY-MM-DD")
    status: str | None = None
    price_rub: str | None = Field(None, description="item price, RUB")
    double_rate: bool = Field(description="issued inside the double-rate period")
    rate: str = Field(description="5%, fixed 250.00, none (not issued), x1.1, max(new, old)")
    basis_rub: str | None = Field(None, description="what a bonus line was computed on, RUB")
    reward_rub: str = Field(description="this line's reward, RUB (rounded half-up)")


class AdjustmentOut(BaseModel):
    """A reversal of an item of an earlier month returned or cancelled in this month."""

    kind: str = Field(description="adjustment")
    order_id: str
    issued_on: str = Field(description="YYYY-MM-DD, in an earlier month")
    status: str = Field(description="returned or cancelled")
    event_on: str = Field(description="day of the return or cancellation, YYYY-MM-DD")
    price_rub: str = Field(description="item price, RUB")
    double_rate: bool = Field(description="the item was issued inside the double-rate period")
    rate: str = Field(description="reversal of YYYY-MM (the month that paid the item)")
    reward_rub: str = Field(description="minus the item's reward as paid, RUB")


class StatementOut(BaseModel):
    """A point's reward statement for one month; ``reward_rub`` is the sum of the lines."""

    point_id: str
    month: str = Field(description="YYYY-MM")
    turnover_rub: str = Field(description="sum of the prices of issued items, RUB")
    reward_rub: str = Field(
        description="what is paid, RUB: the sum of the lines and the adjustments"
    )
    double_rate_days: int = Field(description="days of the month inside the double-rate period")
    lines: list[StatementLineOut]
    adjustments: list[AdjustmentOut] = Field(
        description="items of earlier months returned or cancelled in this month"
    )
    old_scheme_rub: str = Field(description="what the old per-parcel fee would pay, RUB")
    notes: list[str] = Field(
        description="warnings about the point's data, e.g. a pandemic count clamped to the "
        "days possible"
    )
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "point_id": "P000001",
                "month": "2020-10",
                "turnover_rub": "6000.00",
                "reward_rub": "305.00",
                "double_rate_days": 14,
                "lines": [
                    {"kind": "item", "order_id": "O-1001", "issued_on": "2020-10-14",
                     "status": "issued", "price_rub": "1000.00", "double_rate": True,
                     "rate": "5%", "basis_rub": None, "reward_rub": "100.00"},
                    {"kind": "item", "order_id": "O-1002", "issued_on": "2020-10-15",
                     "status": "issued", "price_rub": "5000.00", "double_rate": False,
                     "rate": "fixed 250.00", "basis_rub": None, "reward_rub": "250.00"},
                    {"kind": "item", "order_id": "O-1003", "issued_on": "2020-10-20",
                     "status": "returned", "price_rub": "700.00", "double_rate": False,
                     "rate": "none", "basis_rub": None, "reward_rub": "0.00"},
                ],
                "adjustments": [
                    {"kind": "adjustment", "order_id": "O-0917", "issued_on": "2020-09-28",
                     "status": "returned", "event_on": "2020-10-02", "price_rub": "900.00",
                     "double_rate": False, "rate": "reversal of 2020-09",
                     "reward_rub": "-45.00"},
                ],
                "old_scheme_rub": "70.00",
                "notes": [],
            }
        }
    )  # fmt: skip
