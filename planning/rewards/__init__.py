"""Turnover-based reward statements for pickup points, exact to the kopeck.

The rules (defaults in :class:`~planning.reward_policy.RewardPolicy`, every number
configurable):

1. Per issued item: ``rate_percent`` of its price; items priced at or above
   ``cap_threshold_rub`` earn ``cap_amount_rub`` instead. Returned and cancelled items
   earn nothing and are not turnover.
2. Double rate: every item line times ``double_multiplier`` for items issued from the
   opening day D up to, not including, the same day-of-month ``double_months`` later
   (clamped to that month's last day), for points in a double-rate cohort.
3. Pandemic extension: for cohorts with ``pandemic_extension`` the end of the double
   period moves later by the days the point was closed in the pandemic window (only days
   inside the window and on or after the opening day count). A count larger than those
   days is clamped to them, with a note on the point's statements (never an error).
4. Retro-bonus tiers on the whole month's exact turnover, and a service-quality multiplier
   on the month's item reward; each rounded once, half-up.
5. Old scheme: a fixed fee per issued item; an optional transition floor tops the new
   reward up to the old one.
6. Money is integer kopecks throughout; each item line is rounded half-up after doubling;
   a statement's total is the sum of its lines, bonus lines and adjustments.
7. Closed periods: an item counts in the month it was issued unless it was returned or
   cancelled (``returned_on`` / ``cancelled_on``) within that same month; a return or
   cancellation dated in a later month leaves the issue month's statement as it was paid
   and adds an adjustment line of minus the item's reward (doubled if it was doubled) to
   the statement of the month of the event. A status without a date never counts. Bonuses
   of a past month are not recomputed.

The bulk path (:func:`compute_rewards`) is vectorised in int64 kopecks with numpy; the
record path (:func:`build_statements`) wraps it for callers holding Python objects, and
:func:`statement_to_dict` gives the JSON shape the CLI writes and the API returns.

One concern per module:

- ``policy``: every number of the programme, from TOML (:class:`RewardPolicy`);
- ``money``: kopecks, parsing roubles, exact half-up division (the formatter
  :func:`format_rub` is :mod:`data.vocabulary`'s, shared with the store and the sheets);
- ``calendar``: months, the double-rate period, the pandemic extension and its clamp;
- ``parsing``, ``points``, ``orders``: tables of strings to typed frames; the order
  statuses and every order-line rule, checked once per table;
- ``bonuses``: the bonus registry (retro-bonus, quality bonus, transition floor);
- ``engine``: the vectorised month (:func:`compute_rewards`) and the statements built
  from it;
- ``statements``: :class:`Statement` and :class:`StatementLine`;
- ``tables``: the JSON shape and the statement / line tables (the edge);
- ``comparison``: old per-parcel scheme against the new one.
"""

from __future__ import annotations

from planning.rewards.bonuses import (
    LINE_KINDS,
    Bonus,
    BonusAmounts,
    BonusInputs,
    QualityBonus,
    RetroBonus,
    TransitionFloor,
    register_bonus,
    registered_bonuses,
    unregister_bonus,
)
from planning.rewards.calendar import (
    double_rate_end,
    month_bounds,
    month_range,
    pandemic_clamps,
)
from planning.rewards.comparison import (
    ComparisonSummary,
    compare_schemes,
    summarize_comparison,
)
from planning.rewards.engine import (
    RewardTable,
    build_point_statement,
    build_statements,
    compute_rewards,
    statements_from_table,
)
from planning.rewards.money import (
    format_kop,
    format_rub,
    parse_rub,
)
from planning.rewards.orders import (
    EVENT_COLUMNS,
    ORDER_COLUMNS,
    STATUSES,
    OrderRecord,
    check_order_events,
    orders_frame_from_records,
    parse_orders_frame,
    validate_inputs,
)
from planning.rewards.points import (
    PointRecord,
    parse_points_frame,
    points_frame_from_records,
)
from planning.rewards.policy import (
    BonusSettings,
    RewardPolicy,
)
from planning.rewards.statements import (
    Statement,
    StatementLine,
)
from planning.rewards.tables import (
    LINE_COLUMNS,
    STATEMENT_COLUMNS,
    statement_lines_frame,
    statement_to_dict,
    statements_frame,
    statements_frame_from_table,
)

__all__ = [
    "EVENT_COLUMNS",
    "LINE_COLUMNS",
    "LINE_KINDS",
    "ORDER_COLUMNS",
    "STATEMENT_COLUMNS",
    "STATUSES",
    "Bonus",
    "BonusSettings",
    "BonusAmounts",
    "BonusInputs",
    "ComparisonSummary",
    "OrderRecord",
    "PointRecord",
    "QualityBonus",
    "RetroBonus",
    "RewardPolicy",
    "RewardTable",
    "Statement",
    "StatementLine",
    "TransitionFloor",
    "build_point_statement",
    "build_statements",
    "check_order_events",
    "compare_schemes",
    "compute_rewards",
    "double_rate_end",
    "format_kop",
    "format_rub",
    "month_bounds",
    "month_range",
    "orders_frame_from_records",
    "pandemic_clamps",
    "parse_orders_frame",
    "parse_points_frame",
    "parse_rub",
    "points_frame_from_records",
    "register_bonus",
    "registered_bonuses",
    "unregister_bonus",
    "statement_lines_frame",
    "statement_to_dict",
    "statements_frame",
    "statements_frame_from_table",
    "statements_from_table",
    "summarize_comparison",
    "validate_inputs",
]
