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
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from data.errors import InputError
from planning.reward_policy import RewardPolicy

__all__ = [
    "EVENT_COLUMNS",
    "LINE_COLUMNS",
    "LINE_KINDS",
    "STATEMENT_COLUMNS",
    "STATUSES",
    "ComparisonSummary",
    "OrderRecord",
    "PointRecord",
    "RewardTable",
    "Statement",
    "StatementLine",
    "build_statements",
    "check_order_events",
    "compare_schemes",
    "compute_rewards",
    "double_rate_end",
    "format_kop",
    "month_bounds",
    "month_range",
    "orders_frame_from_records",
    "pandemic_clamps",
    "parse_orders_frame",
    "parse_points_frame",
    "parse_rub",
    "points_frame_from_records",
    "statement_lines_frame",
    "statement_to_dict",
    "statements_frame",
    "statements_frame_from_table",
    "statements_from_table",
    "summarize_comparison",
    "validate_inputs",
]

STATUSES: tuple[str, ...] = ("issued", "returned", "cancelled")
"""Order line statuses; only ``issued`` earns a reward and counts as turnover."""

_STATUS_INDEX = pd.Index(list(STATUSES), dtype=object)

LINE_KINDS: tuple[str, ...] = (
    "item",
    "retro_bonus",
    "quality_bonus",
    "transition_floor",
    "adjustment",
)

EVENT_COLUMNS: tuple[str, str] = ("returned_on", "cancelled_on")
"""Optional order columns: the day an item was returned or cancelled (``YYYY-MM-DD``)."""

_ISSUED = 0
_INT64_SAFE = 2**62
# ASCII digits only: Python's \d also matches other scripts' digits, which int() accepts
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MONTH_RE = re.compile(r"([0-9]{4})-([0-9]{2})")
_PRICE_PATTERN = r"[0-9]{1,13}(?:\.[0-9]{1,2})?"
_PRICE_RE = re.compile(_PRICE_PATTERN)
_DECIMAL_RE = re.compile(r"[0-9]{1,6}(?:\.[0-9]{1,6})?")
#: "no date" in an int64 day column (what NaT becomes)
_NO_DAY = np.iinfo(np.int64).min

IntArray = npt.NDArray[np.int64]


# ---------------------------------------------------------------------------------------
# records and statements


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


@dataclass(frozen=True)
class OrderRecord:
    """One order line (one item, one parcel).

    Parameters
    ----------
    order_id : unique id of the line; the same id with the same content is one line
    point_id : the point that issued (or took back) the item
    issued_on : day of issue
    price_kop : item price in kopecks, ``>= 0``
    status : one of :data:`STATUSES`
    returned_on : day of the return (status ``returned`` only), not before ``issued_on``
    cancelled_on : day of the cancellation (status ``cancelled`` only), not before
        ``issued_on``
    """

    order_id: str
    point_id: str
    issued_on: dt.date
    price_kop: int
    status: str
    returned_on: dt.date | None = None
    cancelled_on: dt.date | None = None


@dataclass(frozen=True)
class StatementLine:
    """One line of a statement; the statement's reward is the sum of ``reward_kop``.

    ``kind`` is ``item`` (one order line), ``retro_bonus``, ``quality_bonus``,
    ``transition_floor`` or ``adjustment`` (a later return or cancellation of an item of a
    past month: minus its reward). Item and adjustment lines carry the order fields (an
    item's ``status`` is its status at the end of its month); bonus lines carry
    ``basis_kop`` (what the bonus was computed on); adjustments carry ``event_on`` (the day
    of the return or cancellation). ``rate`` is a short label: ``5%``, ``fixed 250.00``,
    ``none`` (not issued), ``x1.1``, ``max(new, old)``, ``reversal of 2020-07``.
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


@dataclass(frozen=True)
class RewardTable:
    """The vectorised result of one month: per-point totals and per-line rewards.

    ``totals`` has one row per point with orders or a reward in the month, sorted by
    ``point_id``, all money columns int64 kopecks: ``turnover_kop``, ``issued_count``,
    ``line_count``, ``item_reward_kop``, ``retro_bonus_kop``, ``quality_bonus_kop``,
    ``new_scheme_kop``, ``old_scheme_kop``, ``floor_kop``, ``reward_kop``,
    ``double_rate_days``, ``retro_tier``, ``quality_tier`` (``-1`` for none),
    ``adjustment_kop`` (zero or negative), ``adjustment_count``; ``reward_kop`` includes
    the adjustments.
    ``lines`` has one row per order line issued in the month (input order): ``order_id``,
    ``point_idx`` (row of ``points``), ``issued_day`` (days since 1970-01-01),
    ``price_kop``, ``status_code`` (index in :data:`STATUSES`, as at the month's end: an
    item returned or cancelled in a later month is ``issued`` here), ``capped``,
    ``double_rate``, ``reward_kop``.
    ``adjustments`` has one row per item of an earlier month returned or cancelled in this
    one: the same columns plus ``event_day``; ``reward_kop`` is minus the item's reward.
    ``notes`` maps a row of ``points`` to its warnings (clamped pandemic counts).
    """

    month: str
    policy: RewardPolicy
    point_ids: pd.Index
    totals: pd.DataFrame
    lines: pd.DataFrame = field(repr=False)
    adjustments: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    notes: dict[int, tuple[str, ...]] = field(repr=False, default_factory=dict)


# ---------------------------------------------------------------------------------------
# small helpers


def format_kop(amount_kop: int) -> str:
    """Format kopecks as a decimal rouble string with two decimals (``123456 -> 1234.56``)."""
    amount_kop = int(amount_kop)
    sign = "-" if amount_kop < 0 else ""
    whole, kop = divmod(abs(amount_kop), 100)
    return f"{sign}{whole}.{kop:02d}"


def parse_rub(text: str) -> int:
    """Parse a non-negative rouble amount with at most two decimals into kopecks.

    Raises
    ------
    ValueError
        for anything else (negative, non-numeric, sub-kopeck, exponent notation).
    """
    text = text.strip()
    if not _PRICE_RE.fullmatch(text):
        raise ValueError(_price_problem(text))
    whole, _, frac = text.partition(".")
    return int(whole) * 100 + int(frac.ljust(2, "0"))


def _price_problem(text: str) -> str:
    if text.startswith("-"):
        return f"negative price {text!r}"
    if re.fullmatch(r"\d+\.\d{3,}", text):
        return f"price {text!r} has more than two decimals (kopecks)"
    if re.fullmatch(r"\d{14,}(?:\.\d*)?", text):
        return f"price {text!r} is too large"
    return f"price {text!r} is not a decimal number like 1234.50"


def _kop(amount_rub: Decimal) -> int:
    return int(amount_rub * 100)


def _percent_label(value: Decimal) -> str:
    return f"{value.normalize():f}%"


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """First and last day of ``YYYY-MM``.

    Raises
    ------
    InputError
        when ``month`` is not an existing ``YYYY-MM`` month.
    """
    m = _MONTH_RE.fullmatch(month.strip())
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1:
        raise InputError(f"month must be YYYY-MM, got {month!r}", column="month")
    year, mon = int(m.group(1)), int(m.group(2))
    first = dt.date(year, mon, 1)
    nxt = dt.date(year + 1, 1, 1) if mon == 12 else dt.date(year, mon + 1, 1)
    return first, nxt - dt.timedelta(days=1)


def month_range(first_month: str, last_month: str) -> list[str]:
    """Every ``YYYY-MM`` from ``first_month`` to ``last_month`` inclusive."""
    start, _ = month_bounds(first_month)
    stop, _ = month_bounds(last_month)
    if stop < start:
        raise InputError(f"{last_month} is before {first_month}", column="to")
    out = []
    y, m = start.year, start.month
    while (y, m) <= (stop.year, stop.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _as_days(values: Any) -> IntArray:
    """Dates (datetime64 of any unit, ``datetime.date`` objects, ISO strings) to days."""
    arr = np.asarray(values)
    if arr.dtype.kind != "M":
        arr = np.array(values, dtype="datetime64[D]")
    return arr.astype("datetime64[D]").astype(np.int64)


def _day(date: dt.date) -> int:
    return int(np.datetime64(date, "D").astype(np.int64))


def _half_up_div(num: Any, den: Any) -> Any:
    """Round ``num / den`` half-up for ``num >= 0, den > 0`` (int64 or Python-int arrays)."""
    return (2 * num + den) // (2 * den)


def _ratio(value: Decimal) -> tuple[int, int]:
    num, den = value.as_integer_ratio()
    return int(num), int(den)


def _row(index_label: Any) -> int:
    return int(index_label) + 1


# ---------------------------------------------------------------------------------------
# double-rate period


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
        inside = opened >= _day(cohort.opened_from)
        if cohort.opened_to is not None:
            inside &= opened <= _day(cohort.opened_to)
        eligible |= inside
        if cohort.pandemic_extension:
            extend |= inside
    window = _pandemic_window_days(opened, policy=policy)
    extension = np.where(extend, np.clip(closed, 0, window), 0)
    return np.where(eligible, end + extension, opened)


def _pandemic_window_days(opened: IntArray, *, policy: RewardPolicy) -> IntArray:
    """Days of the pandemic window on or after each opening day."""
    lo = np.maximum(opened, _day(policy.pandemic_from))
    return np.maximum(0, _day(policy.pandemic_to) - lo + 1)


def pandemic_clamps(points: pd.DataFrame, *, policy: RewardPolicy) -> dict[int, str]:
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
    opened = _as_days(points["opened_on"].to_numpy())
    closed = points["closed_days_2020"].to_numpy(dtype=np.int64)
    window = _pandemic_window_days(opened, policy=policy)
    return {
        int(i): (
            f"closed_days_2020 = {closed[i]} clamped to {window[i]}: only {window[i]} days of "
            f"{policy.pandemic_from}..{policy.pandemic_to} are on or after the opening day "
            f"{np.datetime64(int(opened[i]), 'D')}"
        )
        for i in np.flatnonzero(closed > window)
    }


# ---------------------------------------------------------------------------------------
# parsing and validation (pure: frames in, frames out)


def _require(frame: pd.DataFrame, columns: Sequence[str], source: str | None) -> None:
    for name in columns:
        if name not in frame.columns:
            raise InputError("missing column", source=source, column=name)


def _first_bad(mask: npt.NDArray[np.bool_], frame: pd.DataFrame) -> int | None:
    hits = np.flatnonzero(mask)
    return _row(frame.index[hits[0]]) if hits.size else None


def _strip(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name].astype("string").fillna("").str.strip()


def _parse_dates(values: pd.Series, frame: pd.DataFrame, name: str, source: str | None) -> IntArray:
    codes, uniques = pd.factorize(values)
    parsed = np.empty(len(uniques), dtype=np.int64)
    for i, text in enumerate(uniques):
        try:
            if not _DATE_RE.fullmatch(str(text)):
                raise ValueError
            parsed[i] = _day(dt.date.fromisoformat(str(text)))
        except ValueError:
            row = _first_bad(codes == i, frame)
            raise InputError(
                f"{text!r} is not an existing date YYYY-MM-DD", source=source, row=row, column=name
            ) from None
    return parsed[codes]


def _parse_decimal_column(
    frame: pd.DataFrame, name: str, source: str | None, *, upper: float | None = None
) -> npt.NDArray[np.float64]:
    """Optional non-money decimal column (rating, complaint rate); empty is missing."""
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    text = _strip(frame, name)
    empty = (text == "").to_numpy()
    ok = text.str.fullmatch(_DECIMAL_RE.pattern).to_numpy(dtype=bool) | empty
    row = _first_bad(~ok, frame)
    if row is not None:
        bad = text.iloc[int(np.argmax(~ok))]
        raise InputError(
            f"{bad!r} is not a non-negative decimal number", source=source, row=row, column=name
        )
    values = np.where(empty, np.nan, pd.to_numeric(text.mask(empty, "0")).to_numpy(float))
    if upper is not None:
        row = _first_bad(values > upper, frame)
        if row is not None:
            raise InputError(f"must be at most {upper:g}", source=source, row=row, column=name)
    return values


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
    _require(raw, [id_col, "opened_on"], source)
    ids = _strip(raw, id_col)
    row = _first_bad((ids == "").to_numpy(), raw)
    if row is not None:
        raise InputError("empty point id", source=source, row=row, column=id_col)
    opened = _parse_dates(_strip(raw, "opened_on"), raw, "opened_on", source)
    if "closed_days_2020" in raw.columns:
        text = _strip(raw, "closed_days_2020")
        is_count = text.str.fullmatch(r"[0-9]{1,5}").to_numpy(dtype=bool)
        day = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
        is_list = text.str.fullmatch(rf"{day}(?:\s*;\s*{day})*")
        ok = is_count | is_list.to_numpy(dtype=bool) | (text == "").to_numpy()
        row = _first_bad(~ok, raw)
        if row is not None:
            raise InputError(
                f"{text.iloc[row - 1]!r} is neither a non-negative whole number of days "
                "nor a list of days YYYY-MM-DD;YYYY-MM-DD",
                source=source,
                row=row,
                column="closed_days_2020",
            )
        closed = np.where(is_count, text.where(is_count, "0").astype("int64").to_numpy(), 0)
        lo_day = _day((policy or RewardPolicy()).pandemic_from)
        hi_day = _day((policy or RewardPolicy()).pandemic_to)
        for i in np.flatnonzero(is_list.to_numpy(dtype=bool)):
            days = {d.strip() for d in str(text.iloc[i]).split(";")}
            try:
                parsed = [_day(dt.date.fromisoformat(d)) for d in days]
            except ValueError:
                raise InputError(
                    f"{text.iloc[i]!r} lists a day that does not exist",
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
            "rating": _parse_decimal_column(raw, "rating", source),
            "complaint_rate_pct": _parse_decimal_column(
                raw, "complaint_rate_pct", source, upper=100.0
            ),
        }
    )


def parse_orders_frame(raw: pd.DataFrame, *, source: str | None = None) -> pd.DataFrame:
    """Parse an orders table of strings (as read from CSV) into the engine's typed frame.

    Parameters
    ----------
    raw : columns ``order_id``, ``point_id``, ``issued_on`` (YYYY-MM-DD), ``price_rub``
        (non-negative decimal string with at most two decimals, e.g. ``1234.50``),
        ``status`` (one of :data:`STATUSES`) and optional ``returned_on`` /
        ``cancelled_on`` (YYYY-MM-DD or blank; see :func:`check_order_events`); row ``i``
        is data row ``i + 1``
    source : file name for error messages

    Returns
    -------
    Columns ``order_id`` (str), ``point_id`` (str), ``issued_on`` (datetime64[s]),
    ``price_kop`` (int64), ``status`` (categorical over :data:`STATUSES`) and, when the
    input has them, ``returned_on`` / ``cancelled_on`` (datetime64[s], NaT when blank).
    """
    raw = raw.reset_index(drop=True)
    _require(raw, ["order_id", "point_id", "issued_on", "price_rub", "status"], source)
    out: dict[str, Any] = {}
    for name in ("order_id", "point_id"):
        text = _strip(raw, name)
        row = _first_bad((text == "").to_numpy(), raw)
        if row is not None:
            raise InputError("empty id", source=source, row=row, column=name)
        out[name] = text.to_numpy(dtype=object)
    out["issued_on"] = (
        _parse_dates(_strip(raw, "issued_on"), raw, "issued_on", source)
        .astype("datetime64[D]")
        .astype("datetime64[s]")
    )
    price = _strip(raw, "price_rub")
    ok = price.str.fullmatch(_PRICE_PATTERN).to_numpy(dtype=bool)
    row = _first_bad(~ok, raw)
    if row is not None:
        raise InputError(
            _price_problem(str(price.iloc[row - 1])), source=source, row=row, column="price_rub"
        )
    parts = price.str.partition(".")
    if len(raw) == 0:  # a header-only file: partition gives a frame without columns
        out["price_kop"] = np.zeros(0, dtype=np.int64)
    else:
        whole = parts[0].astype("int64").to_numpy()
        frac = parts[2].str.ljust(2, "0").mask(parts[2] == "", "00").astype("int64").to_numpy()
        out["price_kop"] = whole * 100 + frac
    status = _strip(raw, "status")
    codes = _STATUS_INDEX.get_indexer(pd.Index(status.to_numpy(dtype=object), dtype=object))
    row = _first_bad(codes < 0, raw)
    if row is not None:
        raise InputError(
            f"unknown status {status.iloc[row - 1]!r}; expected one of {', '.join(STATUSES)}",
            source=source,
            row=row,
            column="status",
        )
    out["status"] = pd.Categorical.from_codes(codes, categories=pd.Index(list(STATUSES)))
    for name in EVENT_COLUMNS:
        if name not in raw.columns:
            continue
        text = _strip(raw, name)
        given = (text != "").to_numpy()
        days = np.full(len(raw), _NO_DAY, dtype=np.int64)
        if given.any():
            sub = raw[given]
            days[given] = _parse_dates(text[given], sub, name, source)
        out[name] = days.view("datetime64[D]").astype("datetime64[s]")
    frame = pd.DataFrame(out)
    check_order_events(frame, source=source)
    return frame


def _event_columns(orders: pd.DataFrame) -> dict[str, IntArray]:
    """The event columns present in ``orders`` as int64 days (:data:`_NO_DAY` when none)."""
    out = {}
    for name in EVENT_COLUMNS:
        if name in orders.columns:
            values = orders[name]
            if values.dtype.kind != "M":
                values = pd.to_datetime(values)
            arr = values.to_numpy().astype("datetime64[D]")
            out[name] = arr.view(np.int64)  # NaT is int64 min: _NO_DAY
    return out


def check_order_events(
    orders: pd.DataFrame, *, source: str | None = None, codes: npt.ArrayLike | None = None
) -> None:
    """Check ``returned_on`` / ``cancelled_on`` of a typed orders frame.

    A ``returned_on`` needs status ``returned`` and a ``cancelled_on`` status
    ``cancelled``; a line has at most one of them, and neither is before ``issued_on``.

    Raises
    ------
    InputError
        naming the data row (index label + 1) and the column.
    """
    events = _event_columns(orders)
    if not events:
        return
    status_codes = np.asarray(codes) if codes is not None else _status_codes(orders, source)
    issued = _as_days(orders["issued_on"].to_numpy())
    if len(events) == 2:
        both = (events["returned_on"] != _NO_DAY) & (events["cancelled_on"] != _NO_DAY)
        row = _first_bad(both, orders)
        if row is not None:
            raise InputError(
                "both returned_on and cancelled_on are set; an item is either returned or "
                "cancelled",
                source=source,
                row=row,
                column="cancelled_on",
            )
    for name, days in events.items():
        status = "returned" if name == "returned_on" else "cancelled"
        given = days != _NO_DAY
        wrong = given & (status_codes != STATUSES.index(status))
        row = _first_bad(wrong, orders)
        if row is not None:
            at = int(np.argmax(wrong))
            raise InputError(
                f"{name} is set but the status is {STATUSES[int(status_codes[at])]!r}; "
                f"an item with a {name} has status {status!r}",
                source=source,
                row=row,
                column=name,
            )
        early = given & (days < issued)
        row = _first_bad(early, orders)
        if row is not None:
            at = int(np.argmax(early))
            raise InputError(
                f"{name} {np.datetime64(int(days[at]), 'D')} is before the issue day "
                f"{np.datetime64(int(issued[at]), 'D')}",
                source=source,
                row=row,
                column=name,
            )


def _status_codes(orders: pd.DataFrame, source: str | None) -> npt.NDArray[np.int8]:
    status = orders["status"]
    if isinstance(status.dtype, pd.CategoricalDtype) and tuple(status.cat.categories) == STATUSES:
        codes = status.cat.codes.to_numpy()
    else:
        codes = _STATUS_INDEX.get_indexer(pd.Index(status.to_numpy(dtype=object), dtype=object))
    row = _first_bad(np.asarray(codes) < 0, orders)
    if row is not None:
        raise InputError(
            f"unknown status {status.iloc[int(np.argmax(np.asarray(codes) < 0))]!r}; "
            f"expected one of {', '.join(STATUSES)}",
            source=source,
            row=row,
            column="status",
        )
    return np.asarray(codes, dtype=np.int8)


def validate_inputs(
    points: pd.DataFrame,
    orders: pd.DataFrame,
    *,
    policy: RewardPolicy,
    points_source: str | None = None,
    orders_source: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check typed frames and drop exact duplicate order lines (idempotent ingest).

    Errors name the data row (index label + 1) and column: duplicate point ids, negative
    closed days, negative prices, unknown statuses, orders for unknown points, orders
    issued before the point opened, inconsistent or early ``returned_on`` /
    ``cancelled_on`` (:func:`check_order_events`), and an order id that appears twice with
    different content. A closed-days count beyond the days possible is not an error: the
    engine clamps it (see :func:`pandemic_clamps`).

    Returns
    -------
    ``(points, orders)`` with exact duplicate order lines removed (first kept).
    """
    if "closed_days_2020" not in points.columns:
        points = points.assign(closed_days_2020=np.zeros(len(points), dtype=np.int64))
    pid = pd.Index(points["point_id"])
    if not pid.is_unique:
        at = int(np.argmax(pid.duplicated()))
        raise InputError(
            f"point id {pid[at]!r} appears twice",
            source=points_source,
            row=_row(points.index[at]),
            column="id",
        )
    opened = _as_days(points["opened_on"].to_numpy())
    closed = points["closed_days_2020"].to_numpy(dtype=np.int64)
    row = _first_bad(closed < 0, points)
    if row is not None:
        raise InputError(
            f"{closed[int(np.argmax(closed < 0))]} closed days: must be 0 or more",
            source=points_source,
            row=row,
            column="closed_days_2020",
        )

    price = orders["price_kop"].to_numpy(dtype=np.int64)
    row = _first_bad(price < 0, orders)
    if row is not None:
        raise InputError("negative price", source=orders_source, row=row, column="price_rub")
    codes = _status_codes(orders, orders_source)
    check_order_events(orders, source=orders_source, codes=codes)
    pidx = pid.get_indexer(orders["point_id"])
    row = _first_bad(pidx < 0, orders)
    if row is not None:
        at = int(np.argmax(pidx < 0))
        raise InputError(
            f"unknown point {orders['point_id'].iloc[at]!r}",
            source=orders_source,
            row=row,
            column="point_id",
        )
    issued = _as_days(orders["issued_on"].to_numpy())
    early = issued < opened[pidx]
    row = _first_bad(early, orders)
    if row is not None:
        at = int(np.argmax(early))
        raise InputError(
            f"issued before point {orders['point_id'].iloc[at]!r} opened "
            f"({np.datetime64(int(opened[pidx[at]]), 'D')})",
            source=orders_source,
            row=row,
            column="issued_on",
        )
    orders = _dedupe_orders(orders, pidx, issued, price, codes, orders_source)
    return points, orders


def _dedupe_orders(
    orders: pd.DataFrame,
    pidx: npt.NDArray[np.intp],
    issued: IntArray,
    price: IntArray,
    codes: npt.NDArray[np.int8],
    source: str | None,
) -> pd.DataFrame:
    ids = orders["order_id"]
    arr = ids.to_numpy()
    if arr.dtype.kind in "iu" and (arr.size < 2 or bool(np.all(arr[1:] > arr[:-1]))):
        return orders  # strictly increasing integer ids: unique, nothing to do
    dup = ids.duplicated(keep=False).to_numpy()
    if not dup.any():
        return orders
    sub = pd.DataFrame(
        {"order_id": arr[dup], "p": pidx[dup], "d": issued[dup], "k": price[dup], "s": codes[dup]},
        index=orders.index[dup],
    )
    for name, days in _event_columns(orders).items():
        sub[name] = days[dup]
    exact = sub.duplicated(keep="first")
    rest = sub[~exact]
    clash = rest["order_id"].duplicated(keep="first")
    if clash.any():
        label = rest.index[int(clash.to_numpy().argmax())]
        oid = rest.loc[label, "order_id"]
        first = rest.index[int((rest["order_id"] == oid).to_numpy().argmax())]
        raise InputError(
            f"order id {oid!r} appears twice with different content (first at row {_row(first)})",
            source=source,
            row=_row(label),
            column="order_id",
        )
    drop = sub.index[exact.to_numpy()]
    return orders.drop(index=drop)


# ---------------------------------------------------------------------------------------
# the vectorised engine


def _fits_int64(*bounds: int) -> bool:
    return all(abs(b) < _INT64_SAFE for b in bounds)


def compute_rewards(
    points: pd.DataFrame,
    orders: pd.DataFrame,
    month: str,
    *,
    policy: RewardPolicy | None = None,
    validate: bool = True,
) -> RewardTable:
    """Compute every point's reward for ``month``, vectorised in int64 kopecks.

    Parameters
    ----------
    points : ``point_id``, ``opened_on`` (datetime64 or dates), optional
        ``closed_days_2020`` (int), ``rating`` and ``complaint_rate_pct`` (float, NaN when
        unknown)
    orders : ``order_id``, ``point_id``, ``issued_on``, ``price_kop`` (int64 kopecks),
        ``status`` (str or categorical over :data:`STATUSES`); orders outside ``month``
        are ignored
    month : ``YYYY-MM``
    policy : the programme's numbers; defaults to :class:`RewardPolicy()`
    validate : run :func:`validate_inputs` first (drop exact duplicates, reject bad rows);
        pass ``False`` only for frames that already went through it

    Returns
    -------
    A :class:`RewardTable`; turn it into statements with :func:`statements_from_table`.
    """
    policy = policy or RewardPolicy()
    first, last = month_bounds(month)
    if validate:
        points, orders = validate_inputs(points, orders, policy=policy)
    pid = pd.Index(points["point_id"])
    n_points = len(pid)
    opened = _as_days(points["opened_on"].to_numpy())
    closed = (
        points["closed_days_2020"].to_numpy(dtype=np.int64)
        if "closed_days_2020" in points.columns
        else np.zeros(n_points, dtype=np.int64)
    )
    dbl_end = double_rate_end(opened, closed, policy=policy)

    # the month's order lines, and earlier items returned or cancelled in the month
    ms, me = _day(first), _day(last)
    issued_all = _as_days(orders["issued_on"].to_numpy())
    codes_all = _status_codes(orders, None)
    events = _event_columns(orders)
    event_all: IntArray | None = None
    if events:
        event_all = np.full(len(orders), _NO_DAY, dtype=np.int64)
        for days in events.values():
            event_all = np.where(days != _NO_DAY, days, event_all)
    in_month = (issued_all >= ms) & (issued_all <= me)
    take = None if bool(in_month.all()) else np.flatnonzero(in_month)

    def pick(values: Any, rows: Any = take) -> Any:
        return values if rows is None else values[rows]

    issued = pick(issued_all)
    price = pick(orders["price_kop"].to_numpy(dtype=np.int64))
    codes = pick(codes_all)
    if event_all is not None:  # returned or cancelled after the month: issued as of its end
        later = pick(event_all) > me
        codes = np.where(later & (codes != _ISSUED), np.int8(_ISSUED), codes).astype(np.int8)
    order_ids = pick(orders["order_id"].to_numpy())
    point_col = orders["point_id"].to_numpy()
    pidx = pid.get_indexer(pick(point_col))
    if (pidx < 0).any():
        at = int(np.argmax(pidx < 0))
        raise InputError(f"unknown point {pick(point_col)[at]!r}")
    pidx = pidx.astype(np.int64)

    issued_mask = codes == _ISSUED
    reward, capped, double = _item_rewards(price, issued, pidx, opened, dbl_end, policy)
    capped &= issued_mask
    reward = np.where(issued_mask, reward, 0).astype(np.int64)

    # adjustments: items of earlier months whose return or cancellation falls in this month
    adj_rows = np.zeros(0, dtype=np.int64)
    if event_all is not None:
        adj_rows = np.flatnonzero(
            (codes_all != _ISSUED) & (event_all >= ms) & (event_all <= me) & (issued_all < ms)
        )
    a_issued = issued_all[adj_rows]
    a_price = orders["price_kop"].to_numpy(dtype=np.int64)[adj_rows]
    a_pidx = pid.get_indexer(point_col[adj_rows]).astype(np.int64)
    if (a_pidx < 0).any():
        at = int(np.argmax(a_pidx < 0))
        raise InputError(f"unknown point {point_col[adj_rows][at]!r}")
    a_reward, a_capped, a_double = _item_rewards(a_price, a_issued, a_pidx, opened, dbl_end, policy)
    adjustments = pd.DataFrame(
        {
            "order_id": orders["order_id"].to_numpy()[adj_rows],
            "point_idx": a_pidx,
            "issued_day": a_issued,
            "event_day": event_all[adj_rows] if event_all is not None else a_issued,
            "price_kop": a_price,
            "status_code": codes_all[adj_rows],
            "capped": a_capped,
            "double_rate": a_double,
            "reward_kop": -a_reward,
        }
    )

    # per-point sums (np.add.at on int64: exact)
    turnover = np.zeros(n_points, dtype=np.int64)
    item_reward = np.zeros(n_points, dtype=np.int64)
    issued_count = np.zeros(n_points, dtype=np.int64)
    line_count = np.zeros(n_points, dtype=np.int64)
    np.add.at(turnover, pidx, np.where(issued_mask, price, 0))
    np.add.at(item_reward, pidx, reward)
    np.add.at(issued_count, pidx, issued_mask.astype(np.int64))
    np.add.at(line_count, pidx, 1)
    adjust = np.zeros(n_points, dtype=np.int64)
    adjust_count = np.zeros(n_points, dtype=np.int64)
    np.add.at(adjust, a_pidx, -a_reward)
    np.add.at(adjust_count, a_pidx, 1)

    retro, retro_tier = _retro_bonus(turnover, policy)
    quality, quality_tier = _quality_bonus(points, item_reward, policy)
    new = item_reward + retro + quality
    old = issued_count * _kop(policy.old_fee_per_parcel_rub)
    floor = np.maximum(old - new, 0) if policy.transition_floor else np.zeros_like(new)
    total = new + floor + adjust
    dbl_days = np.maximum(0, np.minimum(dbl_end, me + 1) - np.maximum(opened, ms))

    keep = np.flatnonzero((line_count > 0) | (adjust_count > 0) | (total != 0))
    keep = keep[np.argsort(pid.to_numpy()[keep], kind="stable")]
    totals = pd.DataFrame(
        {
            "point_id": pid.to_numpy()[keep],
            "point_idx": keep,
            "turnover_kop": turnover[keep],
            "issued_count": issued_count[keep],
            "line_count": line_count[keep],
            "item_reward_kop": item_reward[keep],
            "retro_bonus_kop": retro[keep],
            "quality_bonus_kop": quality[keep],
            "new_scheme_kop": new[keep],
            "old_scheme_kop": old[keep],
            "floor_kop": floor[keep],
            "reward_kop": total[keep],
            "double_rate_days": dbl_days[keep],
            "retro_tier": retro_tier[keep],
            "quality_tier": quality_tier[keep],
            "adjustment_kop": adjust[keep],
            "adjustment_count": adjust_count[keep],
        }
    )
    lines = pd.DataFrame(
        {
            "order_id": order_ids,
            "point_idx": pidx,
            "issued_day": issued,
            "price_kop": price,
            "status_code": codes,
            "capped": capped,
            "double_rate": double & issued_mask,
            "reward_kop": reward,
        },
        copy=False,
    )
    return RewardTable(
        month=month,
        policy=policy,
        point_ids=pid,
        totals=totals,
        lines=lines,
        adjustments=adjustments,
        notes={i: (m,) for i, m in pandemic_clamps(points, policy=policy).items()},
    )


def _item_rewards(
    price: IntArray,
    issued: IntArray,
    pidx: IntArray,
    opened: IntArray,
    dbl_end: IntArray,
    policy: RewardPolicy,
) -> tuple[IntArray, npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Each line's reward as if issued, whether it is capped and whether it is doubled.

    ``round(base * factor / den)`` half-up, after doubling (int64 when it fits, exact Python
    integers otherwise).
    """
    rate_p, rate_q = _ratio(policy.rate_percent)
    mult_p, mult_q = _ratio(policy.double_multiplier)
    den = 100 * rate_q * mult_q
    cap_threshold_kop = _kop(policy.cap_threshold_rub)
    cap_kop = _kop(policy.cap_amount_rub)
    capped = price >= cap_threshold_kop
    double = (issued >= opened[pidx]) & (issued < dbl_end[pidx])
    max_price = int(price.max()) if price.size else 0
    big = max(mult_p, mult_q)
    if _fits_int64(2 * max_price * rate_p * big + den, 2 * cap_kop * 100 * rate_q * big + den):
        base = np.where(capped, cap_kop * 100 * rate_q, price * rate_p)
        num = base * np.where(double, mult_p, mult_q)
        reward = _half_up_div(num, den)
    else:  # exact Python integers; slow, only for absurd amounts
        base_o = np.where(capped, cap_kop * 100 * rate_q, price.astype(object) * rate_p)
        num_o = base_o * np.where(double, mult_p, mult_q).astype(object)
        reward = np.asarray(_half_up_div(num_o, den), dtype=np.int64)
    return np.asarray(reward, dtype=np.int64), capped, double


def _retro_bonus(turnover: IntArray, policy: RewardPolicy) -> tuple[IntArray, IntArray]:
    """Highest reached tier's percent of the exact turnover, rounded once half-up."""
    tiers = sorted(policy.retro_bonus_tiers, key=lambda t: t.min_turnover_rub)
    bonus = np.zeros(turnover.shape, dtype=np.int64)
    which = np.full(turnover.shape, -1, dtype=np.int64)
    if not tiers:
        return bonus, which
    thresholds = np.array([_kop(t.min_turnover_rub) for t in tiers], dtype=np.int64)
    pos = np.searchsorted(thresholds, turnover, side="right") - 1
    original = [policy.retro_bonus_tiers.index(t) for t in tiers]
    for k, tier in enumerate(tiers):
        sel = pos == k
        if not sel.any():
            continue
        p, q = _ratio(tier.extra_percent)
        base = turnover[sel]
        if _fits_int64(2 * int(base.max()) * p + 100 * q):
            bonus[sel] = _half_up_div(base * p, 100 * q)
        else:
            bonus[sel] = np.asarray(_half_up_div(base.astype(object) * p, 100 * q), np.int64)
        which[sel] = original[k]
    return bonus, which


def _quality_bonus(
    points: pd.DataFrame, item_reward: IntArray, policy: RewardPolicy
) -> tuple[IntArray, IntArray]:
    """``(multiplier - 1) x`` the item reward of the first qualifying tier, half-up."""
    bonus = np.zeros(item_reward.shape, dtype=np.int64)
    which = np.full(item_reward.shape, -1, dtype=np.int64)
    if not policy.quality_tiers:
        return bonus, which
    n = len(points)
    rating = (
        points["rating"].to_numpy(dtype=float) if "rating" in points.columns else np.full(n, np.nan)
    )
    complaints = (
        points["complaint_rate_pct"].to_numpy(dtype=float)
        if "complaint_rate_pct" in points.columns
        else np.full(n, np.nan)
    )
    # ratings are not money: comparing the nearest doubles of two decimal strings is exact
    # enough (monotone, equal strings compare equal)
    for k, tier in enumerate(policy.quality_tiers):
        sel = (
            (which < 0)
            & (rating >= float(tier.min_rating))
            & (complaints <= float(tier.max_complaint_rate_pct))
        )
        if not sel.any():
            continue
        p, q = _ratio(tier.multiplier)
        base = item_reward[sel]
        if _fits_int64(2 * int(base.max()) * (p - q) + q):
            bonus[sel] = _half_up_div(base * (p - q), q)
        else:
            bonus[sel] = np.asarray(_half_up_div(base.astype(object) * (p - q), q), np.int64)
        which[sel] = k
    return bonus, which


# ---------------------------------------------------------------------------------------
# statements


class _Row:
    """Attribute access to one totals record (keeps the statement loop readable)."""

    def __init__(self, rec: dict[Any, Any]) -> None:
        self.__dict__.update(rec)

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(name)


def statements_from_table(
    table: RewardTable, *, point_ids: Iterable[Any] | None = None
) -> list[Statement]:
    """Materialise :class:`Statement` objects (with their lines) from a :class:`RewardTable`.

    Parameters
    ----------
    table : the month's result
    point_ids : only these points (for example one point for the API); default all

    Returns
    -------
    Statements sorted by ``point_id``; item lines sorted by issue day, then order id;
    adjustments by event day, then order id.
    """
    totals = table.totals
    if point_ids is not None:
        totals = totals[totals["point_id"].isin(list(point_ids))]
    lines = table.lines
    if len(totals) < len(table.totals):
        lines = lines[lines["point_idx"].isin(totals["point_idx"])]
    ids = lines["order_id"].to_numpy()
    order_key = ids if ids.dtype.kind in "iu" else lines["order_id"].astype(str).to_numpy()
    perm = np.lexsort((order_key, lines["issued_day"].to_numpy(), lines["point_idx"].to_numpy()))
    lines = lines.iloc[perm]
    # small outputs only: one Python object per line
    keys: Any
    grouped: dict[int, pd.DataFrame] = {}
    for keys, group in lines.groupby("point_idx", sort=False):
        grouped[int(keys)] = group
    adjusted = _adjustments_by_point(table, totals)
    policy = table.policy
    rate_label = _percent_label(policy.rate_percent)
    cap_label = f"fixed {format_kop(_kop(policy.cap_amount_rub))}"
    out = []
    for rec in totals.to_dict("records"):
        row = _Row(rec)
        item_lines: list[StatementLine] = []
        g = grouped.get(int(row.point_idx))
        if g is not None:
            days = g["issued_day"].to_numpy().astype("datetime64[D]").tolist()
            for oid, day, price, code, cap, dbl, rew in zip(
                g["order_id"].tolist(),
                days,
                g["price_kop"].tolist(),
                g["status_code"].tolist(),
                g["capped"].tolist(),
                g["double_rate"].tolist(),
                g["reward_kop"].tolist(),
                strict=True,
            ):
                label = "none" if code != _ISSUED else cap_label if cap else rate_label
                item_lines.append(
                    StatementLine(
                        kind="item",
                        reward_kop=int(rew),
                        rate=label,
                        order_id=oid,
                        issued_on=day,
                        status=STATUSES[code],
                        price_kop=int(price),
                        double_rate=bool(dbl),
                    )
                )
        extra: list[StatementLine] = []
        if row.retro_tier >= 0:
            tier = policy.retro_bonus_tiers[int(row.retro_tier)]
            extra.append(
                StatementLine(
                    kind="retro_bonus",
                    reward_kop=int(row.retro_bonus_kop),
                    rate=_percent_label(tier.extra_percent),
                    basis_kop=int(row.turnover_kop),
                )
            )
        if row.quality_tier >= 0:
            qtier = policy.quality_tiers[int(row.quality_tier)]
            extra.append(
                StatementLine(
                    kind="quality_bonus",
                    reward_kop=int(row.quality_bonus_kop),
                    rate=f"x{qtier.multiplier.normalize():f}",
                    basis_kop=int(row.item_reward_kop),
                )
            )
        if policy.transition_floor and row.floor_kop > 0:
            extra.append(
                StatementLine(
                    kind="transition_floor",
                    reward_kop=int(row.floor_kop),
                    rate="max(new, old)",
                    basis_kop=int(row.old_scheme_kop),
                )
            )
        all_lines = tuple(item_lines + extra)
        adjustments = adjusted.get(int(row.point_idx), ())
        assert sum(x.reward_kop for x in all_lines + adjustments) == row.reward_kop
        out.append(
            Statement(
                point_id=row.point_id,
                month=table.month,
                turnover_kop=int(row.turnover_kop),
                reward_kop=int(row.reward_kop),
                double_rate_days=int(row.double_rate_days),
                lines=all_lines,
                old_scheme_kop=int(row.old_scheme_kop),
                new_scheme_kop=int(row.new_scheme_kop),
                adjustments=adjustments,
                notes=table.notes.get(int(row.point_idx), ()),
            )
        )
    return out


def _adjustments_by_point(
    table: RewardTable, totals: pd.DataFrame
) -> dict[int, tuple[StatementLine, ...]]:
    """Adjustment lines per point row, by event day, then order id."""
    adj = table.adjustments
    if not len(adj):
        return {}
    adj = adj[adj["point_idx"].isin(totals["point_idx"])]
    ids = adj["order_id"].to_numpy()
    key = ids if ids.dtype.kind in "iu" else adj["order_id"].astype(str).to_numpy()
    adj = adj.iloc[np.lexsort((key, adj["event_day"].to_numpy(), adj["point_idx"].to_numpy()))]
    out: dict[int, list[StatementLine]] = {}
    for oid, pidx, day, event, price, code, dbl, rew in zip(
        adj["order_id"].tolist(),
        adj["point_idx"].tolist(),
        adj["issued_day"].to_numpy().astype("datetime64[D]").tolist(),
        adj["event_day"].to_numpy().astype("datetime64[D]").tolist(),
        adj["price_kop"].tolist(),
        adj["status_code"].tolist(),
        adj["double_rate"].tolist(),
        adj["reward_kop"].tolist(),
        strict=True,
    ):
        out.setdefault(int(pidx), []).append(
            StatementLine(
                kind="adjustment",
                reward_kop=int(rew),
                rate=f"reversal of {day:%Y-%m}",
                order_id=oid,
                issued_on=day,
                status=STATUSES[int(code)],
                price_kop=int(price),
                double_rate=bool(dbl),
                event_on=event,
            )
        )
    return {k: tuple(v) for k, v in out.items()}


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


def orders_frame_from_records(orders: Iterable[OrderRecord]) -> pd.DataFrame:
    """The engine's orders frame from records (statuses are checked by the engine)."""
    rows = list(orders)
    return pd.DataFrame(
        {
            "order_id": pd.Series([o.order_id for o in rows], dtype=object),
            "point_id": pd.Series([o.point_id for o in rows], dtype=object),
            "issued_on": np.array([o.issued_on for o in rows], dtype="datetime64[D]").astype(
                "datetime64[s]"
            ),
            "price_kop": np.array([o.price_kop for o in rows], dtype=np.int64),
            "status": pd.Series([o.status for o in rows], dtype=object),
            **{
                name: np.array(
                    [getattr(o, name) or np.datetime64("NaT") for o in rows],
                    dtype="datetime64[D]",
                ).astype("datetime64[s]")
                for name in EVENT_COLUMNS
            },
        }
    )


def build_statements(
    points: Iterable[PointRecord],
    orders: Iterable[OrderRecord],
    month: str,
    *,
    policy: RewardPolicy | None = None,
) -> list[Statement]:
    """Reward statements for ``month``: one per point with orders or a reward in it.

    The pure entry point for callers holding records (the API): validates, drops exact
    duplicate order lines (ingesting twice changes nothing) and runs the vectorised
    engine. The same inputs give the same statements whatever their order.

    Parameters
    ----------
    points : every point that may appear in ``orders``
    orders : order lines, any months (only ``month`` is used)
    month : ``YYYY-MM``
    policy : defaults to :class:`RewardPolicy()`

    Raises
    ------
    InputError
        naming the offending data row (1-based position in ``orders`` / ``points``).
    """
    policy = policy or RewardPolicy()
    pframe = points_frame_from_records(points, policy=policy)
    oframe = orders_frame_from_records(orders)
    table = compute_rewards(pframe, oframe, month, policy=policy)
    return statements_from_table(table)


def _adjustment_to_dict(line: StatementLine) -> dict[str, Any]:
    return {
        "kind": line.kind,
        "order_id": line.order_id,
        "issued_on": line.issued_on.isoformat() if line.issued_on else None,
        "status": line.status,
        "event_on": line.event_on.isoformat() if line.event_on else None,
        "price_rub": format_kop(line.price_kop) if line.price_kop is not None else None,
        "double_rate": line.double_rate,
        "rate": line.rate,
        "reward_rub": format_kop(line.reward_kop),
    }


def _line_to_dict(line: StatementLine) -> dict[str, Any]:
    return {
        "kind": line.kind,
        "order_id": line.order_id,
        "issued_on": line.issued_on.isoformat() if line.issued_on else None,
        "status": line.status,
        "price_rub": format_kop(line.price_kop) if line.price_kop is not None else None,
        "double_rate": line.double_rate,
        "rate": line.rate,
        "basis_rub": format_kop(line.basis_kop) if line.basis_kop is not None else None,
        "reward_rub": format_kop(line.reward_kop),
    }


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
        "turnover_rub": format_kop(statement.turnover_kop),
        "reward_rub": format_kop(statement.reward_kop),
        "double_rate_days": statement.double_rate_days,
        "lines": [_line_to_dict(line) for line in statement.lines],
        "adjustments": [_adjustment_to_dict(line) for line in statement.adjustments],
        "old_scheme_rub": format_kop(statement.old_scheme_kop),
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
            "bonuses_kop": (
                t["retro_bonus_kop"] + t["quality_bonus_kop"] + t["floor_kop"]
            ).to_numpy(dtype=np.int64),
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

    def day(d: dt.date | None) -> str | None:
        return d.isoformat() if d is not None else None

    rows = [
        (
            s.point_id,
            s.month,
            line.kind,
            line.order_id,
            day(line.issued_on),
            line.status,
            day(line.event_on),
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


# ---------------------------------------------------------------------------------------
# scheme comparison


@dataclass(frozen=True)
class ComparisonSummary:
    """The network's answer to the programme's promise, per point over the whole period.

    ``more``/``same``/``less`` count points whose new-scheme reward is above, equal to or
    below the old per-parcel scheme (before any transition floor); ``less_ids`` lists the
    points that earn less.
    """

    first_month: str
    last_month: str
    points: int
    more: int
    same: int
    less: int
    less_ids: tuple[Any, ...]
    old_total_kop: int
    new_total_kop: int
    paid_total_kop: int

    @property
    def share_more_pct(self) -> Decimal:
        """Percent of points earning more, rounded to 0.1 half-up."""
        if not self.points:
            return Decimal("0.0")
        return (Decimal(100 * self.more) / self.points).quantize(Decimal("0.1"), "ROUND_HALF_UP")


def compare_schemes(
    points: pd.DataFrame,
    orders: pd.DataFrame,
    first_month: str,
    last_month: str,
    *,
    policy: RewardPolicy | None = None,
    validate: bool = True,
) -> pd.DataFrame:
    """Old per-parcel scheme against the new one, per point and month.

    Returns
    -------
    One row per point and month with orders or a reward, sorted by month then point:
    ``point_id, month, issued_count, turnover_kop, old_scheme_kop, new_scheme_kop,
    difference_kop`` (new - old), ``adjustments_kop`` (reversals of earlier months' items
    returned or cancelled in the month) and ``paid_kop`` (``max(new, old)`` with the
    transition floor, else new, plus the adjustments), all int64 kopecks.
    """
    policy = policy or RewardPolicy()
    months = month_range(first_month, last_month)
    if validate:
        points, orders = validate_inputs(points, orders, policy=policy)
    frames = []
    for month in months:
        t = compute_rewards(points, orders, month, policy=policy, validate=False).totals
        frames.append(
            pd.DataFrame(
                {
                    "point_id": t["point_id"],
                    "month": month,
                    "issued_count": t["issued_count"],
                    "turnover_kop": t["turnover_kop"],
                    "old_scheme_kop": t["old_scheme_kop"],
                    "new_scheme_kop": t["new_scheme_kop"],
                    "difference_kop": t["new_scheme_kop"] - t["old_scheme_kop"],
                    "adjustments_kop": t["adjustment_kop"],
                    "paid_kop": t["reward_kop"],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def summarize_comparison(
    comparison: pd.DataFrame, *, first_month: str, last_month: str
) -> ComparisonSummary:
    """Aggregate :func:`compare_schemes` per point over the whole period."""
    per_point = comparison.groupby("point_id", sort=True)[
        ["old_scheme_kop", "new_scheme_kop", "paid_kop"]
    ].sum()
    diff = (per_point["new_scheme_kop"] - per_point["old_scheme_kop"]).to_numpy()
    return ComparisonSummary(
        first_month=first_month,
        last_month=last_month,
        points=len(per_point),
        more=int((diff > 0).sum()),
        same=int((diff == 0).sum()),
        less=int((diff < 0).sum()),
        less_ids=tuple(per_point.index[diff < 0].tolist()),
        old_total_kop=int(per_point["old_scheme_kop"].sum()),
        new_total_kop=int(per_point["new_scheme_kop"].sum()),
        paid_total_kop=int(per_point["paid_kop"].sum()),
    )
