"""Statements at the edge: the JSON shape, and tables (one row per statement, per line).

Money in JSON is a rouble string with two decimals (:func:`~data.vocabulary.format_rub`);
the table frames keep integer kopecks in ``..._kop`` columns, which
:func:`data.sheets.write_sheets` writes as roubles to CSV or XLSX.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from planning.rewards.engine import RewardTable
from planning.rewards.money import format_rub
from planning.rewards.statements import Statement, StatementLine

__all__ = [
    "LINE_COLUMNS",
    "STATEMENT_COLUMNS",
    "statement_lines_frame",
    "statement_to_dict",
    "statements_frame",
    "statements_frame_from_table",
]


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _line_to_dict(line: StatementLine) -> dict[str, Any]:
    return {
        "kind": line.kind,
        "order_id": line.order_id,
        "issued_on": line.issued_on.isoformat() if line.issued_on is not None else None,
        "status": line.status,
        "price_rub": format_rub(line.price_kop) if line.price_kop is not None else None,
        "double_rate": line.double_rate,
        "rate": line.rate,
        "basis_rub": format_rub(line.basis_kop) if line.basis_kop is not None else None,
        "reward_rub": format_rub(line.reward_kop),
    }


#: the keys of an adjustment in the JSON statement, in order: a line's, with ``event_on``
#: and without ``basis_rub``
_ADJUSTMENT_KEYS = ("kind", "order_id", "issued_on", "status", "event_on", "price_rub",
                    "double_rate", "rate", "reward_rub")  # fmt: skip


def _adjustment_to_dict(line: StatementLine) -> dict[str, Any]:
    every = _line_to_dict(line) | {"event_on": _iso(line.event_on)}
    return {key: every[key] for key in _ADJUSTMENT_KEYS}


def statement_to_dict(statement: Statement) -> dict[str, Any]:
    """The JSON shape of a statement, as written by ``pvz rewards`` and returned by the API.

    Money is a decimal string with two decimals (roubles); dates are ISO strings.
    Keys: ``point_id, month, turnover_rub, reward_rub`` (the total: lines, bonuses and
    adjustments), ``double_rate_days, lines, adjustments, old_scheme_rub, notes``; each line
    has ``kind, order_id, issued_on, status, price_rub, double_rate, rate, basis_rub,
    reward_rub``; each adjustment ``kind, order_id, issued_on, status, event_on, price_rub,
    double_rate, rate, reward_rub``.
    """
    return {
        "point_id": statement.point_id,
        "month": statement.month,
        "turnover_rub": format_rub(statement.turnover_kop),
        "reward_rub": format_rub(statement.reward_kop),
        "double_rate_days": statement.double_rate_days,
        "lines": [_line_to_dict(line) for line in statement.lines],
        "adjustments": [_adjustment_to_dict(a) for a in statement.adjustments],
        "old_scheme_rub": format_rub(statement.old_scheme_kop),
        "notes": list(statement.notes),
    }


STATEMENT_COLUMNS: tuple[str, ...] = (
    "point_id",
    "month",
    "turnover_kop",
    "item_reward_kop",
    "double_rate_days",
    "old_scheme_kop",
    "bonuses_kop",
    "adjustments_kop",
    "total_kop",
    "notes",
)
"""Columns of :func:`statements_frame` (money in integer kopecks)."""

LINE_COLUMNS: tuple[str, ...] = (
    "point_id",
    "month",
    "kind",
    "order_id",
    "issued_on",
    "status",
    "event_on",
    "price_kop",
    "double_rate",
    "rate",
    "basis_kop",
    "reward_kop",
)
"""Columns of :func:`statement_lines_frame` (money in integer kopecks, empty when n/a)."""


def statements_frame(statements: Sequence[Statement]) -> pd.DataFrame:
    """One row per statement, for a table (CSV, spreadsheet) to hand to accounting.

    Columns :data:`STATEMENT_COLUMNS`: ``item_reward_kop`` is the sum of the item lines,
    ``bonuses_kop`` of the bonus lines (retro, quality, transition floor),
    ``adjustments_kop`` of the adjustments and ``total_kop`` what is paid (their sum, the
    statement's ``reward_kop``); ``notes`` joined by ``"; "``.
    """
    rows = [
        (
            s.point_id,
            s.month,
            s.turnover_kop,
            s.item_reward_kop,
            s.double_rate_days,
            s.old_scheme_kop,
            s.bonus_kop,
            s.adjustment_kop,
            s.reward_kop,
            "; ".join(s.notes),
        )
        for s in statements
    ]
    return pd.DataFrame(rows, columns=list(STATEMENT_COLUMNS)).astype(
        {c: np.int64 for c in STATEMENT_COLUMNS if c.endswith("_kop")}
        | {"double_rate_days": np.int64, "point_id": object, "month": object, "notes": object}
    )


def statements_frame_from_table(table: RewardTable) -> pd.DataFrame:
    """:func:`statements_frame` of every statement of ``table``, without building lines.

    Vectorised from the per-point totals, so a network's statements table costs no Python
    object per order line; equal to ``statements_frame(statements_from_table(table))``.
    """
    t = table.totals
    notes = [
        "; ".join(table.notes.get(int(i), ())) for i in t["point_idx"].to_numpy(dtype=np.int64)
    ]
    frame = pd.DataFrame(
        {
            "point_id": t["point_id"].to_numpy(dtype=object),
            "month": np.full(len(t), table.month, dtype=object),
            "turnover_kop": t["turnover_kop"].to_numpy(dtype=np.int64),
            "item_reward_kop": t["item_reward_kop"].to_numpy(dtype=np.int64),
            "double_rate_days": t["double_rate_days"].to_numpy(dtype=np.int64),
            "old_scheme_kop": t["old_scheme_kop"].to_numpy(dtype=np.int64),
            "bonuses_kop": sum(
                (t[b.column].to_numpy(dtype=np.int64) for b in table.bonuses),
                np.zeros(len(t), dtype=np.int64),
            ),
            "adjustments_kop": t["adjustment_kop"].to_numpy(dtype=np.int64),
            "total_kop": t["reward_kop"].to_numpy(dtype=np.int64),
            "notes": np.array(notes, dtype=object),
        }
    )
    return frame.astype({"point_id": object, "month": object, "notes": object})


def statement_lines_frame(statements: Sequence[Statement]) -> pd.DataFrame:
    """Every line of every statement (items, bonuses, adjustments), one row each.

    Columns :data:`LINE_COLUMNS`; dates are ISO strings; ``price_kop`` / ``basis_kop`` /
    ``event_on`` are ``None`` where they do not apply.
    """
    rows = [
        (
            s.point_id,
            s.month,
            line.kind,
            line.order_id,
            _iso(line.issued_on),
            line.status,
            _iso(line.event_on),
            line.price_kop,
            line.double_rate,
            line.rate,
            line.basis_kop,
            line.reward_kop,
        )
        for s in statements
        for line in (*s.lines, *s.adjustments)
    ]
    return pd.DataFrame(rows, columns=list(LINE_COLUMNS), dtype=object)
