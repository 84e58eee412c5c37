"""Write tables with money for accounting: CSV (UTF-8 with BOM) or XLSX, by file extension.

A frame's columns ending in ``_kop`` hold integer kopecks; they are written as roubles under
the name ``..._rub``: in CSV as plain decimal strings with two decimals (``1234.50``,
``-250.00``), in XLSX as numbers with the number format ``0.00`` (written from
:class:`~decimal.Decimal`, so the stored value is the exact decimal). Every other column is
written as is (``None`` as an empty cell). CSV is comma-separated UTF-8 with a byte-order
mark, so Excel (Russian locale included) reads the Cyrillic text correctly; open it with
*Data > From Text/CSV* to choose the comma as the delimiter. Writers are atomic: a
temporary file next to the target is renamed over it, so a failure leaves no partial
output and an existing file untouched.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from data.errors import InputError
from data.io import atomic_path, file_format
from data.outputs import CSV_ENCODING, neutralise_cell
from data.vocabulary import format_rub

__all__ = [
    "MONEY_FORMAT",
    "SHEET_ROWS",
    "TABLE_FORMATS",
    "table_format",
    "write_sheets",
    "write_text_atomic",
]

#: file extension -> format, for tables
TABLE_FORMATS = {".csv": "csv", ".xlsx": "xlsx"}
#: the XLSX number format of money cells
MONEY_FORMAT = "0.00"
#: data rows per worksheet: Excel's 1,048,576 rows less the header; longer tables continue
#: on sheets named ``NAME (2)``, ``NAME (3)``, ...
SHEET_ROWS = 1_048_575


def table_format(path: Path, *, allowed: Mapping[str, str] = TABLE_FORMATS) -> str:
    """The format of ``path`` by its extension.

    Raises
    ------
    InputError
        naming the file and the extensions that work.
    """
    return file_format(path, allowed, output=True)


def _missing(value: Any) -> bool:
    """``None``, NaN, NA or NaT: an empty cell."""
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _header(name: str) -> str:
    return name[: -len("_kop")] + "_rub" if name.endswith("_kop") else name


def _atomic(path: Path, write: Callable[[str], None]) -> None:
    """``write(tmp)``, then ``tmp`` renamed over ``path`` (:func:`data.io.atomic_path`); the
    folder must exist (an accounting file is not written into a folder made up on the way)."""
    path = Path(path)
    if not path.parent.is_dir():
        raise InputError("output directory does not exist", source=str(path))
    with atomic_path(path) as tmp:
        write(str(tmp))


def write_text_atomic(path: Path, text: str, *, encoding: str = "utf-8") -> None:
    """Write ``text`` to a temporary file next to ``path``, then rename it over ``path``.

    A failure leaves no partial output (and an existing ``path`` untouched).

    Raises
    ------
    InputError
        for a missing output directory.
    """

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding=encoding, newline="") as fh:
            fh.write(text)

    _atomic(path, write)


def _csv_text(frame: pd.DataFrame, *, raw: bool = False) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    safe = (lambda v: v) if raw else neutralise_cell
    writer.writerow([safe(_header(c)) for c in frame.columns])
    money = [str(c).endswith("_kop") for c in frame.columns]
    for row in frame.itertuples(index=False, name=None):
        writer.writerow(
            [
                "" if _missing(v) else format_rub(v) if m else safe(v)
                for v, m in zip(row, money, strict=True)
            ]
        )
    return buf.getvalue()


def _pages(sheets: Mapping[str, pd.DataFrame], rows: int) -> list[tuple[str, pd.DataFrame]]:
    out = []
    for name, frame in sheets.items():
        out.append((name, frame.iloc[:rows]))
        for k, start in enumerate(range(rows, len(frame), rows), start=2):
            out.append((f"{name} ({k})", frame.iloc[start : start + rows]))
    return out


def _write_xlsx(
    tmp: str, sheets: Mapping[str, pd.DataFrame], *, rows: int, raw: bool = False
) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, frame in _pages(sheets, rows):
        sheet = book.create_sheet(title=name)
        sheet.append([_header(str(c)) for c in frame.columns])
        money = [str(c).endswith("_kop") for c in frame.columns]
        for row in frame.itertuples(index=False, name=None):
            sheet.append(
                [
                    None
                    if _missing(v)
                    else Decimal(int(v)).scaleb(-2)
                    if m
                    else v.item()
                    if hasattr(v, "item")
                    else v
                    if raw
                    else neutralise_cell(v)
                    for v, m in zip(row, money, strict=True)
                ]
            )
        for col, is_money in enumerate(money, start=1):
            if is_money:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=col, max_col=col):
                    cell.number_format = MONEY_FORMAT
        sheet.freeze_panes = "A2"
    book.save(tmp)


def write_sheets(
    path: Path,
    sheets: Mapping[str, pd.DataFrame],
    *,
    sheet_rows: int = SHEET_ROWS,
    raw_csv: bool = False,
) -> None:
    """Write ``sheets`` (name -> frame) to ``path`` as CSV or XLSX, by its extension.

    XLSX gets one worksheet per entry, in order (a frame longer than ``sheet_rows``
    continues on ``NAME (2)``, ...); CSV holds one table, so it takes the first entry only
    (write the others to their own files). Text cells a spreadsheet would run as a
    formula get a ``'`` in front (:func:`data.outputs.neutralise_cell`; money and numbers
    never do); ``raw_csv`` writes them unchanged.

    Raises
    ------
    InputError
        for another extension or a missing output directory.
    """
    fmt = table_format(path)
    if not sheets:
        raise ValueError("no table to write")
    if fmt == "csv":
        text = _csv_text(next(iter(sheets.values())), raw=raw_csv)
        write_text_atomic(path, text, encoding=CSV_ENCODING)
    else:
        _atomic(path, lambda tmp: _write_xlsx(tmp, sheets, rows=sheet_rows, raw=raw_csv))
