"""Reward statements: a point's month as lines in kopecks, and its totals.

A statement's ``reward_kop`` is the sum of its lines (items, then bonus lines) and its
adjustments; :mod:`planning.rewards.engine` builds statements, and
:mod:`planning.rewards.tables` turns them into JSON and tables.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

__all__ = ["Statement", "StatementLine"]


@dataclass(frozen=True)
class StatementLine:
    """One line of a statement; the statement's reward is the sum of ``reward_kop``.

    ``kind`` is ``item`` (one order line), a bonus kind (``retro_bonus``,
    ``quality_bonus``, ``transition_floor``: see :mod:`planning.rewards.bonuses`) or
    ``adjustment`` (a later return or cancellation of an item of a past month: minus its
    reward). Item and adjustment lines carry the order fields (an item's ``status`` is its
    status at the end of its month); bonus lines carry ``basis_kop`` (what the bonus was
    computed on); adjustments carry ``event_on`` (the day of the return or cancellation).
    ``rate`` is a short label: ``5%``, ``fixed 250.00``, ``none`` (not issued), ``x1.1``,
    ``max(new, old)``, ``reversal of 2020-07``.
    """

    kind: str
    reward_kop: int
    rate: str
    order_id: Any = None
    issued_on: dt.date | None = None
    status: str | None = None
    price_kop: int | None = None
    double_rate: bool = False
    basis_kop: int | None = None
    event_on: dt.date | None = None


@dataclass(frozen=True)
class Statement:
    """A point's reward statement for one month, in kopecks.

    Parameters
    ----------
    point_id : the point
    month : ``YYYY-MM``
    turnover_kop : sum of the prices of items issued in the month
    reward_kop : what is paid: the sum of ``lines`` and ``adjustments``
    double_rate_days : days of the month inside the double-rate period
    lines : item lines (by issue day, then order id), then bonus lines
    old_scheme_kop : what the old per-parcel scheme would pay
    new_scheme_kop : the new scheme before any transition floor
    adjustments : reversals of items of past months returned or cancelled in this month
        (by event day, then order id); each ``reward_kop`` is negative or zero
    notes : warnings about the point's data (e.g. a clamped pandemic count)
    """

    point_id: Any
    month: str
    turnover_kop: int
    reward_kop: int
    double_rate_days: int
    lines: tuple[StatementLine, ...]
    old_scheme_kop: int
    new_scheme_kop: int
    adjustments: tuple[StatementLine, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def item_reward_kop(self) -> int:
        """The sum of the item lines."""
        return sum(line.reward_kop for line in self.lines if line.kind == "item")

    @property
    def bonus_kop(self) -> int:
        """The sum of the bonus lines (retro, quality, transition floor)."""
        return sum(line.reward_kop for line in self.lines if line.kind != "item")

    @property
    def adjustment_kop(self) -> int:
        """The sum of the adjustments (zero or negative)."""
        return sum(line.reward_kop for line in self.adjustments)
