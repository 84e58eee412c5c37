"""Reading tables of strings (as read from CSV): required columns, cells, the first bad row.

Shared by the points and orders parsers. Row numbers in errors are 1-based data rows: the
frame's index label plus one (the header is not a row).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from data.errors import InputError
from data.vocabulary import not_a_day_message
from planning.rewards.calendar import day_number
from planning.rewards.money import IntArray

__all__ = [
    "DATE_RE",
    "RU_DATE_RE",
    "data_row",
    "first_bad_row",
    "parse_dates",
    "parse_decimal_column",
    "require_columns",
    "stripped",
]

#: ASCII digits only: Python's \d also matches other scripts' digits, which int() accepts
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: a day as Russian Excel writes a date cell into CSV: DD.MM.YYYY (a four-digit year only)
RU_DATE_RE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})")
_DECIMAL_RE = re.compile(r"[0-9]{1,6}(?:\.[0-9]{1,6})?")


def data_row(index_label: Any) -> int:
    """The 1-based data row of an index label."""
    return int(index_label) + 1


def require_columns(frame: pd.DataFrame, columns: Sequence[str], source: str | None) -> None:
    """Raise :class:`InputError` for the first of ``columns`` that ``frame`` lacks."""
    for name in columns:
        if name not in frame.columns:
            raise InputError("missing column", source=source, column=name)


def first_bad_row(mask: npt.NDArray[np.bool_], frame: pd.DataFrame) -> int | None:
    """The data row of the first ``True`` in ``mask``, or ``None``."""
    hits = np.flatnonzero(mask)
    return data_row(frame.index[hits[0]]) if hits.size else None


def stripped(frame: pd.DataFrame, name: str) -> pd.Series:
    """Column ``name`` as stripped strings (missing cells are ``""``)."""
    return frame[name].astype("string").fillna("").str.strip()


def parse_dates(values: pd.Series, frame: pd.DataFrame, name: str, source: str | None) -> IntArray:
    """``YYYY-MM-DD`` (or ``DD.MM.YYYY``, as Russian Excel writes dates into CSV) cells as
    days since 1970-01-01; the first bad cell is an error."""
    codes, uniques = pd.factorize(values)
    parsed = np.empty(len(uniques), dtype=np.int64)
    for i, text in enumerate(uniques):
        try:
            ru = RU_DATE_RE.fullmatch(str(text))
            if ru is not None:
                day = dt.date(int(ru[3]), int(ru[2]), int(ru[1]))
            elif DATE_RE.fullmatch(str(text)):
                day = dt.date.fromisoformat(str(text))
            else:
                raise ValueError
            parsed[i] = day_number(day)
        except ValueError:
            row = first_bad_row(codes == i, frame)
            # the store's words (data.vocabulary): YYYY-MM-DD is what to write
            raise InputError(not_a_day_message(text), source=source, row=row, column=name) from None
    return parsed[codes]


def parse_decimal_column(
    frame: pd.DataFrame, name: str, source: str | None, *, upper: float | None = None
) -> npt.NDArray[np.float64]:
    """Optional non-money decimal column (rating, complaint rate); empty is missing."""
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    text = stripped(frame, name)
    empty = (text == "").to_numpy()
    ok = text.str.fullmatch(_DECIMAL_RE.pattern).to_numpy(dtype=bool) | empty
    row = first_bad_row(~ok, frame)
    if row is not None:
        bad = text.iloc[int(np.argmax(~ok))]
        raise InputError(
            "{value!r} is not a non-negative decimal number",
            value=bad,
            source=source,
            row=row,
            column=name,
        )
    values = np.where(empty, np.nan, pd.to_numeric(text.mask(empty, "0")).to_numpy(float))
    if upper is not None:
        row = first_bad_row(values > upper, frame)
        if row is not None:
            raise InputError(
                "must be at most {upper:g}", upper=upper, source=source, row=row, column=name
            )
    return values
