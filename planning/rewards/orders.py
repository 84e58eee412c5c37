"""Order lines: records, the typed orders frame, and their validation, done here once.

The statuses, the event columns and the text of every order-line rule come from
:mod:`data.vocabulary` (the store checks single records with the same rules and words);
this module applies them to whole tables, vectorised. :func:`parse_orders_frame` turns a
table of strings (the CLI's ORDERS file, the API's upload) into the engine's typed frame;
:func:`validate_inputs` checks typed frames against the points and drops exact duplicate
lines (ingesting twice changes nothing).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from data.errors import InputError
from data.vocabulary import (
    BOTH_EVENTS_MESSAGE,
    EVENT_COLUMNS,
    EVENT_STATUS,
    ORDER_STATUSES,
    event_before_issue_message,
    event_status_message,
    unknown_status_message,
)
from planning.rewards.calendar import as_days
from planning.rewards.money import GROUP_SEPARATORS, PRICE_PATTERN, IntArray, price_problem
from planning.rewards.parsing import (
    data_row,
    first_bad_row,
    parse_dates,
    require_columns,
    stripped,
)
from planning.rewards.policy import RewardPolicy

__all__ = [
    "EVENT_COLUMNS",
    "ISSUED_CODE",
    "NO_DAY",
    "ORDER_COLUMNS",
    "REQUIRED_ORDER_COLUMNS",
    "STATUSES",
    "OrderRecord",
    "check_order_events",
    "event_days",
    "orders_frame_from_records",
    "parse_orders_frame",
    "status_codes",
    "validate_inputs",
]

STATUSES: tuple[str, ...] = ORDER_STATUSES
"""Order line statuses (:data:`data.vocabulary.ORDER_STATUSES`); only ``issued`` earns."""

#: the status code (index in :data:`STATUSES`) of ``issued``
ISSUED_CODE = 0
#: "no date" in an int64 day column (what NaT becomes)
NO_DAY = np.iinfo(np.int64).min

REQUIRED_ORDER_COLUMNS: tuple[str, ...] = (
    "order_id",
    "point_id",
    "issued_on",
    "price_rub",
    "status",
)
ORDER_COLUMNS: tuple[str, ...] = (*REQUIRED_ORDER_COLUMNS, *EVENT_COLUMNS)
"""The columns of an orders table of strings, in CSV order (the last two optional)."""

_STATUS_INDEX = pd.Index(list(STATUSES), dtype=object)


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


def parse_orders_frame(raw: pd.DataFrame, *, source: str | None = None) -> pd.DataFrame:
    """Parse an orders table of strings (as read from CSV) into the engine's typed frame.

    Parameters
    ----------
    raw : columns ``order_id``, ``point_id``, ``issued_on`` (YYYY-MM-DD), ``price_rub``
        (non-negative, at most two decimals after a point or comma, digits optionally
        grouped by a space: ``1234.50``, ``1234,5``, ``1 234,50``; exact to the kopeck),
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
    require_columns(raw, REQUIRED_ORDER_COLUMNS, source)
    out: dict[str, Any] = {}
    for name in ("order_id", "point_id"):
        text = stripped(raw, name)
        row = first_bad_row((text == "").to_numpy(), raw)
        if row is not None:
            raise InputError("empty id", source=source, row=row, column=name)
        out[name] = text.to_numpy(dtype=object)
    out["issued_on"] = (
        parse_dates(stripped(raw, "issued_on"), raw, "issued_on", source)
        .astype("datetime64[D]")
        .astype("datetime64[s]")
    )
    price = stripped(raw, "price_rub")
    ok = price.str.fullmatch(PRICE_PATTERN).to_numpy(dtype=bool)
    row = first_bad_row(~ok, raw)
    if row is not None:
        raise InputError(
            price_problem(str(price.iloc[row - 1])), source=source, row=row, column="price_rub"
        )
    plain = price.str.replace(f"[{GROUP_SEPARATORS}]", "", regex=True).str.replace(",", ".")
    parts = plain.str.partition(".")
    if len(raw) == 0:  # a header-only file: partition gives a frame without columns
        out["price_kop"] = np.zeros(0, dtype=np.int64)
    else:
        whole = parts[0].astype("int64").to_numpy()
        frac = parts[2].str.ljust(2, "0").mask(parts[2] == "", "00").astype("int64").to_numpy()
        out["price_kop"] = whole * 100 + frac
    status = stripped(raw, "status")
    codes = _STATUS_INDEX.get_indexer(pd.Index(status.to_numpy(dtype=object), dtype=object))
    row = first_bad_row(codes < 0, raw)
    if row is not None:
        raise InputError(
            unknown_status_message(status.iloc[row - 1]),
            source=source,
            row=row,
            column="status",
        )
    out["status"] = pd.Categorical.from_codes(codes, categories=pd.Index(list(STATUSES)))
    for name in EVENT_COLUMNS:
        if name not in raw.columns:
            continue
        text = stripped(raw, name)
        given = (text != "").to_numpy()
        days = np.full(len(raw), NO_DAY, dtype=np.int64)
        if given.any():
            sub = raw[given]
            days[given] = parse_dates(text[given], sub, name, source)
        out[name] = days.view("datetime64[D]").astype("datetime64[s]")
    frame = pd.DataFrame(out)
    check_order_events(frame, source=source)
    return frame


def event_days(orders: pd.DataFrame) -> dict[str, IntArray]:
    """The event columns present in ``orders`` as int64 days (:data:`NO_DAY` when none)."""
    out = {}
    for name in EVENT_COLUMNS:
        if name in orders.columns:
            values = orders[name]
            if values.dtype.kind != "M":
                values = pd.to_datetime(values)
            arr = values.to_numpy().astype("datetime64[D]")
            out[name] = arr.view(np.int64)  # NaT is int64 min: NO_DAY
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
    events = event_days(orders)
    if not events:
        return
    codes_arr = np.asarray(codes) if codes is not None else status_codes(orders, source)
    issued = as_days(orders["issued_on"].to_numpy())
    if len(events) == 2:
        both = (events["returned_on"] != NO_DAY) & (events["cancelled_on"] != NO_DAY)
        row = first_bad_row(both, orders)
        if row is not None:
            raise InputError(BOTH_EVENTS_MESSAGE, source=source, row=row, column="cancelled_on")
    for name, days in events.items():
        given = days != NO_DAY
        wrong = given & (codes_arr != STATUSES.index(EVENT_STATUS[name]))
        row = first_bad_row(wrong, orders)
        if row is not None:
            at = int(np.argmax(wrong))
            raise InputError(
                event_status_message(name, STATUSES[int(codes_arr[at])]),
                source=source,
                row=row,
                column=name,
            )
        early = given & (days < issued)
        row = first_bad_row(early, orders)
        if row is not None:
            at = int(np.argmax(early))
            raise InputError(
                event_before_issue_message(
                    name, np.datetime64(int(days[at]), "D"), np.datetime64(int(issued[at]), "D")
                ),
                source=source,
                row=row,
                column=name,
            )


def status_codes(orders: pd.DataFrame, source: str | None) -> npt.NDArray[np.int8]:
    """Each line's status as its index in :data:`STATUSES`; an unknown one is an error."""
    status = orders["status"]
    if isinstance(status.dtype, pd.CategoricalDtype) and tuple(status.cat.categories) == STATUSES:
        codes = status.cat.codes.to_numpy()
    else:
        codes = _STATUS_INDEX.get_indexer(pd.Index(status.to_numpy(dtype=object), dtype=object))
    row = first_bad_row(np.asarray(codes) < 0, orders)
    if row is not None:
        raise InputError(
            unknown_status_message(status.iloc[int(np.argmax(np.asarray(codes) < 0))]),
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
    engine clamps it (see :func:`~planning.rewards.calendar.pandemic_clamps`).

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
            "point id {id!r} appears twice",
            id=pid[at],
            source=points_source,
            row=data_row(points.index[at]),
            column="id",
        )
    opened = as_days(points["opened_on"].to_numpy())
    closed = points["closed_days_2020"].to_numpy(dtype=np.int64)
    row = first_bad_row(closed < 0, points)
    if row is not None:
        raise InputError(
            "{days} closed days: must be 0 or more",
            days=int(closed[int(np.argmax(closed < 0))]),
            source=points_source,
            row=row,
            column="closed_days_2020",
        )

    price = orders["price_kop"].to_numpy(dtype=np.int64)
    row = first_bad_row(price < 0, orders)
    if row is not None:
        raise InputError("negative price", source=orders_source, row=row, column="price_rub")
    codes = status_codes(orders, orders_source)
    check_order_events(orders, source=orders_source, codes=codes)
    pidx = pid.get_indexer(orders["point_id"])
    row = first_bad_row(pidx < 0, orders)
    if row is not None:
        at = int(np.argmax(pidx < 0))
        raise InputError(
            "unknown point {id!r}",
            id=orders["point_id"].iloc[at],
            source=orders_source,
            row=row,
            column="point_id",
        )
    issued = as_days(orders["issued_on"].to_numpy())
    early = issued < opened[pidx]
    row = first_bad_row(early, orders)
    if row is not None:
        at = int(np.argmax(early))
        raise InputError(
            "issued before point {id!r} opened ({opened})",
            id=orders["point_id"].iloc[at],
            opened=str(np.datetime64(int(opened[pidx[at]]), "D")),
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
    for name, days in event_days(orders).items():
        sub[name] = days[dup]
    exact = sub.duplicated(keep="first")
    rest = sub[~exact]
    clash = rest["order_id"].duplicated(keep="first")
    if clash.any():
        label = rest.index[int(clash.to_numpy().argmax())]
        oid = rest.loc[label, "order_id"]
        first = rest.index[int((rest["order_id"] == oid).to_numpy().argmax())]
        raise InputError(
            "order id {id!r} appears twice with different content (first at row {first})",
            id=oid,
            first=data_row(first),
            source=source,
            row=data_row(label),
            column="order_id",
        )
    drop = sub.index[exact.to_numpy()]
    return orders.drop(index=drop)


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
