"""``GET /v1/points/{id}/rewards?month=YYYY-MM``: a point's monthly reward statement.

The statement is computed from the stored point and its stored orders (those issued in the
month, and those of earlier months returned or cancelled in it) by the same pure function
as the CLI (:func:`planning.rewards.build_statements`) and returned exactly as
:func:`planning.rewards.statement_to_dict` shapes it for ``pvz rewards``. A point without
orders in the month gets a zero statement (no lines) rather than a 404.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool

from api.auth import Caller, get_caller, get_service
from api.errors import ERROR_RESPONSES
from api.schemas_rewards import StatementOut
from api.service import Service
from data.errors import ConflictError, InputError
from data.store import OrderLine, Point
from planning.rewards import (
    OrderRecord,
    PointRecord,
    build_point_statement,
    month_bounds,
    statement_to_dict,
)
from planning.rewards.policy import RewardPolicy

__all__ = ["point_statement", "router"]

router = APIRouter(prefix="/v1", tags=["rewards"], responses=ERROR_RESPONSES)


def _month(month: str) -> tuple[str, dt.date, dt.date]:
    if month != month.strip():  # as every other parameter: exactly YYYY-MM, ASCII digits
        raise InputError(f"month must be YYYY-MM, got {month!r}", column="month")
    try:
        first, last = month_bounds(month)
    except ValueError as exc:  # InputError is a ValueError too; 9999-12 has no next month
        if isinstance(exc, InputError):
            raise
        raise InputError(f"month out of range: {month!r}", column="month") from None
    return month, first, last


def point_statement(
    point: Point, orders: list[OrderLine], month: str, *, policy: RewardPolicy
) -> dict[str, Any]:
    """The statement of one stored point for ``month``, as :func:`statement_to_dict` gives it.

    Parameters
    ----------
    point : the stored point (needs ``opened_on``; ``closed_days_2020`` and ``rating``
        are used when set)
    orders : the point's stored order lines (``price_kop`` integer kopecks); lines
        neither issued nor returned/cancelled in ``month`` are ignored
    month : ``YYYY-MM``
    policy : the reward programme

    Returns
    -------
    ``point_id, month, turnover_rub, reward_rub, double_rate_days, lines, adjustments,
    old_scheme_rub, notes`` with money as RUB decimal strings; a zero statement without
    lines when the point has no orders, adjustments or reward in the month.

    Raises
    ------
    InputError
        for a month that is not ``YYYY-MM``.
    ConflictError
        when the stored point cannot be computed: no opening date, or stored data the
        engine refuses (e.g. an opening date moved after stored orders).
    """
    month, _, _ = _month(month)
    if not point.opened_on:
        raise ConflictError(f"point {point.id!r} has no opening date (opened_on); set it to "
                            "compute its rewards")  # fmt: skip
    try:
        record = PointRecord(
            point_id=point.id,
            opened_on=dt.date.fromisoformat(point.opened_on),
            closed_days_2020=(
                frozenset(dt.date.fromisoformat(d) for d in point.closed_dates_2020.split(";"))
                if point.closed_dates_2020
                else int(point.closed_days_2020 or 0)
            ),
            rating=None if point.rating is None else Decimal(repr(float(point.rating))),
            complaint_rate_pct=(
                None
                if point.complaint_rate_pct is None
                else Decimal(repr(float(point.complaint_rate_pct)))
            ),
        )
        lines = [OrderRecord(order_id=o.order_id, point_id=o.point_id,
                             issued_on=dt.date.fromisoformat(o.issued_on), price_kop=o.price_kop,
                             status=o.status, returned_on=_day(o.returned_on),
                             cancelled_on=_day(o.cancelled_on)) for o in orders]  # fmt: skip
        statement = build_point_statement(record, lines, month, policy=policy)
    except (InputError, ValueError) as exc:
        raise ConflictError(f"the stored data of point {point.id!r} cannot be computed: "
                            f"{getattr(exc, 'message', exc)}") from None  # fmt: skip
    return statement_to_dict(statement)


def _day(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


def _statement(service: Service, caller: Caller, point_id: str, month: str) -> dict[str, Any]:
    month, first, last = _month(month)
    point = caller.visible(service.get_point(point_id), "point")
    orders = service.statement_orders(point_id, first=first.isoformat(), last=last.isoformat())
    return point_statement(point, orders, month, policy=service.reward_policy)


@router.get(
    "/points/{point_id}/rewards",
    response_model=StatementOut,
    summary="A point's reward statement for a month",
)
async def get_rewards(
    point_id: str = PathParam(min_length=1, max_length=100, description="point id",
                              examples=["P000001"]),
    month: str = Query(..., max_length=20, description="statement month, YYYY-MM",
                       examples=["2020-10"]),
    caller: Caller = Depends(get_caller),
    service: Service = Depends(get_service),
) -> StatementOut:  # fmt: skip
    """The month's statement: one line per order line issued at the point in the month
    (issued items earn a percent of the price or the capped amount, doubled in the first
    months after opening; items returned or cancelled within the month earn 0.00), then
    any bonus lines, and one adjustment (minus the item's reward) per item of an earlier
    month returned or cancelled in this month; ``reward_rub`` is their sum. A month's
    lines never change after it ends. ``notes`` reports a clamped pandemic count. The same
    JSON as ``pvz rewards`` writes for the point. Admin and expansion see
    every point, a partner its own (others' are 404). 422 for a bad month; 409 when the
    point has no opening date."""
    body = await run_in_threadpool(_statement, service, caller, point_id, month)
    return StatementOut(**body)
