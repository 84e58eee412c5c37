"""The words every layer shares: order statuses, money as text, the rules of one order line.

This module sits at the bottom of the import graph (it imports only ``data.errors``), so the
store (``data/store``), the table writer (``data/sheets.py``), the reward engine
(``planning/rewards/``) and the API use one list of statuses, one money formatter and one
text per order-line rule. The reward engine applies the rules to whole tables at once
(``planning/rewards/orders.py``); :func:`check_order_line` applies them to one stored
record (the store, inside its write transaction); both raise the same messages.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, Protocol

from data.errors import InputError, Message

__all__ = [
    "BOTH_EVENTS_MESSAGE",
    "LANGUAGES",
    "Lang",
    "EVENT_COLUMNS",
    "EVENT_STATUS",
    "ISSUED",
    "ORDER_STATUSES",
    "OrderLineFields",
    "check_order_line",
    "event_before_issue_message",
    "event_status_message",
    "format_rub",
    "is_iso_day",
    "not_a_day_message",
    "unknown_status_message",
]

#: a language of the product's words (messages, maps): Russian first, English as a switch
Lang = Literal["ru", "en"]
#: the languages, default first
LANGUAGES: tuple[Lang, ...] = ("ru", "en")

ORDER_STATUSES: tuple[str, ...] = ("issued", "returned", "cancelled")
"""Order line statuses; only ``issued`` earns a reward and counts as turnover."""

ISSUED = ORDER_STATUSES[0]
"""The status that earns a reward."""

EVENT_COLUMNS: tuple[str, str] = ("returned_on", "cancelled_on")
"""Optional order columns: the day an item was returned or cancelled (``YYYY-MM-DD``)."""

EVENT_STATUS: dict[str, str] = {"returned_on": "returned", "cancelled_on": "cancelled"}
"""The status an order line with that event day must have."""

BOTH_EVENTS_MESSAGE = (
    "both returned_on and cancelled_on are set; an item is either returned or cancelled"
)


def format_rub(amount_kop: Any) -> str:
    """Format integer kopecks as a rouble string with two decimals.

    The one money formatter of the project (statements, CLI, API, CSV tables, store
    messages): ``123456 -> "1234.56"``, ``-25000 -> "-250.00"``, ``-5 -> "-0.05"``.
    """
    kop = int(amount_kop)
    whole, rest = divmod(abs(kop), 100)
    return f"{'-' if kop < 0 else ''}{whole}.{rest:02d}"


def is_iso_day(text: Any) -> bool:
    """Whether ``text`` is an existing day written ``YYYY-MM-DD`` with ASCII digits."""
    if not isinstance(text, str) or len(text) != 10 or text[4] != "-" or text[7] != "-":
        return False
    if not (text[:4] + text[5:7] + text[8:]).isascii():
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def unknown_status_message(status: Any) -> Message:
    """The error text of a status outside :data:`ORDER_STATUSES`."""
    return Message("unknown status {status!r}; expected one of {allowed}", status=status,
                   allowed=", ".join(ORDER_STATUSES))  # fmt: skip


def not_a_day_message(text: Any) -> Message:
    """The error text of a day that is not an existing ``YYYY-MM-DD``."""
    return Message("{day!r} is not an existing date YYYY-MM-DD", day=text)


def event_status_message(name: str, status: Any) -> Message:
    """The error text of an event day (``returned_on``/``cancelled_on``) on a wrong status."""
    return Message("{name} is set but the status is {status!r}; an item with a {name} has "
                   "status {expected!r}", name=name, status=status,
                   expected=EVENT_STATUS[name])  # fmt: skip


def event_before_issue_message(name: str, day: Any, issued_on: Any) -> Message:
    """The error text of an event day before the issue day (both printed as ISO days)."""
    return Message("{name} {day} is before the issue day {issued_on}", name=name, day=str(day),
                   issued_on=str(issued_on))  # fmt: skip


class OrderLineFields(Protocol):
    """What :func:`check_order_line` reads of a stored order line (ISO day strings)."""

    @property
    def order_id(self) -> str: ...
    @property
    def point_id(self) -> str: ...
    @property
    def issued_on(self) -> str: ...
    @property
    def price_kop(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def returned_on(self) -> str | None: ...
    @property
    def cancelled_on(self) -> str | None: ...


def check_order_line(line: OrderLineFields, *, row: int, source: str | None = None) -> None:
    """Check one order line's own fields (not the point it names, not other lines).

    Ids are non-empty, the status is one of :data:`ORDER_STATUSES`, the price is whole
    kopecks ``>= 0``, ``issued_on`` is an existing ISO day; a ``returned_on`` needs status
    ``returned`` and a ``cancelled_on`` status ``cancelled``, a line has at most one of
    them, each an existing ISO day not before ``issued_on``.

    Raises
    ------
    InputError
        naming ``source``, the 1-based ``row`` and the column.
    """
    if not line.order_id or not line.point_id:
        column = "order_id" if not line.order_id else "point_id"
        raise InputError("empty id", source=source, row=row, column=column)
    if line.status not in ORDER_STATUSES:
        raise InputError(
            unknown_status_message(line.status), source=source, row=row, column="status"
        )
    price = line.price_kop
    if isinstance(price, bool) or not isinstance(price, int) or price < 0:
        raise InputError(
            "price must be whole kopecks >= 0, got {price!r}",
            price=price,
            source=source,
            row=row,
            column="price_rub",
        )
    if not is_iso_day(line.issued_on):
        raise InputError(
            not_a_day_message(line.issued_on), source=source, row=row, column="issued_on"
        )
    if line.returned_on is not None and line.cancelled_on is not None:
        raise InputError(BOTH_EVENTS_MESSAGE, source=source, row=row, column="cancelled_on")
    for name in EVENT_COLUMNS:
        day = getattr(line, name)
        if day is None:
            continue
        if not is_iso_day(day):
            raise InputError(not_a_day_message(day), source=source, row=row, column=name)
        if line.status != EVENT_STATUS[name]:
            raise InputError(
                event_status_message(name, line.status), source=source, row=row, column=name
            )
        if day < line.issued_on:
            raise InputError(
                event_before_issue_message(name, day, line.issued_on),
                source=source,
                row=row,
                column=name,
            )
