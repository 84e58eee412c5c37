"""``POST /v1/orders``: ingest issued orders (admin), idempotent by order id, all or nothing.

The body is a JSON list of order lines or a ``text/csv`` file with the columns of the CLI's
ORDERS file (``order_id, point_id, issued_on, price_rub, status`` and the optional
``returned_on, cancelled_on``), in the CLI's CSV dialects (comma, semicolon or tab; UTF-8
with or without BOM, or cp1251, or the Content-Type's ``charset``; prices such as
``1 234,50``). Both go through
:func:`planning.rewards.parse_orders_frame`, so errors read the same as the CLI's and name
the 1-based data row; the store then checks the points and the stored orders inside one
transaction (:meth:`data.store.Store.upsert_orders`).
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from api.auth import ADMIN, Caller, get_service
from api.errors import ERROR_RESPONSES
from api.schemas_rewards import OrderIn, OrderIngestOut
from api.service import Service
from api.validation import CONTROL_PATTERN, control_char
from data.errors import InputError
from data.io import read_csv_bytes
from data.store import OrderLine
from planning.rewards import ORDER_COLUMNS, parse_orders_frame

__all__ = [
    "ORDER_COLUMNS",
    "order_lines_from_frame",
    "read_orders_csv",
    "read_orders_json",
    "router",
]

router = APIRouter(prefix="/v1", tags=["rewards"], responses=ERROR_RESPONSES)

#: how the error messages name the uploaded body
SOURCE = "body"

_lines = TypeAdapter(list[OrderIn])

_CSV_TYPES = {"text/csv", "application/csv", "text/plain"}
_REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {"type": "array", "items": OrderIn.model_json_schema()},
            "example": [
                {"order_id": "O-1001", "point_id": "P000001", "issued_on": "2020-10-14",
                 "price_rub": "1000.00", "status": "issued"},
                {"order_id": "O-1002", "point_id": "P000001", "issued_on": "2020-10-15",
                 "price_rub": "5000.00", "status": "returned", "returned_on": "2020-11-02"},
            ],
        },
        "text/csv": {
            "schema": {"type": "string"},
            "example": "order_id,point_id,issued_on,price_rub,status\n"
            "O-1001,P000001,2020-10-14,1000.00,issued\n",
        },
    },
}  # fmt: skip


def read_orders_csv(
    body: bytes, *, source: str = SOURCE, encoding: str | None = None
) -> pd.DataFrame:
    """A CSV body as a table of strings, read like the CLI's files
    (:func:`data.io.read_csv_bytes`: ``,``/``;``/tab, UTF-8 with or without BOM or
    cp1251, decimal commas); ``encoding`` is the Content-Type's charset, if any. Errors
    name the data row."""
    frame = read_csv_bytes(body, source=source, encoding=encoding)
    for column in frame.columns:  # the policy of api.validation: no control characters
        bad = control_char(str(column))
        if bad is not None:
            raise InputError(f"control character {bad} in the header", source=source)
        cells = frame[column].astype(str)
        found = cells.str.contains(CONTROL_PATTERN, regex=True)
        if found.any():
            row = int(found.to_numpy().argmax())
            raise InputError(f"control character {control_char(cells.iloc[row])} is not "
                             "allowed", source=source, row=row + 1,
                             column=str(column))  # fmt: skip
    return frame


def _charset(params: str) -> str | None:
    """The ``charset`` of a Content-Type's parameters (``; charset=windows-1251``), if any
    other than UTF-8 (UTF-8, with or without BOM, else cp1251 is what is detected)."""
    for param in params.split(";"):
        key, _, value = param.partition("=")
        value = value.strip().strip('"')
        if key.strip().lower() == "charset" and value:  # UTF-8 is what is detected anyway
            return None if value.lower().replace("-", "") == "utf8" else value
    return None


def read_orders_json(body: bytes) -> pd.DataFrame:
    """A JSON list of :class:`~api.schemas_rewards.OrderIn` as a table of strings.

    Raises
    ------
    RequestValidationError
        (422) when the body is not such a list; ``loc`` is ``body, index, field``.
    """
    try:
        data = json.loads(body) if body.strip() else None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid JSON: {exc}", source=SOURCE) from None
    try:
        lines = _lines.validate_python(data)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None
    rows = [{k: "" if v is None else v for k, v in line.model_dump().items()} for line in lines]
    return pd.DataFrame(rows, columns=list(ORDER_COLUMNS), dtype=str)


def order_lines_from_frame(frame: pd.DataFrame) -> list[OrderLine]:
    """Store records from a frame of :func:`~planning.rewards.parse_orders_frame` (kopecks)."""
    days = frame["issued_on"].dt.strftime("%Y-%m-%d").tolist()
    none: list[str | None] = [None] * len(frame)

    def event(name: str) -> list[str | None]:
        if name not in frame.columns:
            return none
        col = frame[name]
        return [None if pd.isna(v) else v for v in col.dt.strftime("%Y-%m-%d").tolist()]

    return [
        OrderLine(order_id=str(o), point_id=str(p), issued_on=d, price_kop=int(k), status=str(s),
                  returned_on=r, cancelled_on=c)
        for o, p, d, k, s, r, c in zip(
            frame["order_id"].tolist(), frame["point_id"].tolist(), days,
            frame["price_kop"].tolist(), frame["status"].astype(str).tolist(),
            event("returned_on"), event("cancelled_on"), strict=True,
        )
    ]  # fmt: skip


@router.post(
    "/orders",
    response_model=OrderIngestOut,
    summary="Ingest order lines (JSON list or CSV), idempotent by order id",
    openapi_extra={"requestBody": _REQUEST_BODY},
    responses={415: {"description": "a body that is neither JSON nor CSV"}},
)
async def post_orders(
    request: Request,
    caller: Caller = Depends(ADMIN),
    service: Service = Depends(get_service),
) -> OrderIngestOut:
    """Store order lines: all or nothing, idempotent by ``order_id``.

    A new id is stored; a known id with the same content changes nothing (sending the
    same file twice changes nothing); a known id with another ``status`` or event day
    (``returned_on``, ``cancelled_on``: a return or cancellation and its day) is updated
    and the change is logged in the audit log. A return or cancellation dated in a later
    month than the issue leaves the issue month's statement as it was and adjusts the
    statement of the event's month. 422 (naming the row, nothing stored) for a negative or
    non-numeric price, an unknown status, a day that does not exist (or written with
    non-ASCII digits), an event day before the issue day or not matching the status, an
    unknown point, a point without an opening date, an item issued before its point
    opened, or an id repeated with different content; 409 when a known order comes with
    another point, day or price (only the status and its day may change).
    Send ``Content-Type: application/json`` or ``text/csv``.
    """
    ctype, _, params = request.headers.get("content-type", "application/json").partition(";")
    ctype = ctype.strip().lower()
    body = await request.body()
    if ctype in _CSV_TYPES:
        raw = read_orders_csv(body, encoding=_charset(params))
    elif ctype == "application/json" or ctype.endswith("+json"):
        raw = read_orders_json(body)
    else:
        raise HTTPException(415, f"send application/json or text/csv, not {ctype!r}")
    frame = parse_orders_frame(raw, source=SOURCE)
    lines = order_lines_from_frame(frame)
    result = await run_in_threadpool(
        service.ingest_orders, lines, actor=caller.actor, source=SOURCE
    )
    return OrderIngestOut(received=result.received, created=result.created,
                          updated=result.updated, unchanged=result.unchanged)  # fmt: skip
