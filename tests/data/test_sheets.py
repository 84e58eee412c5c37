"""Tables for accounting: CSV with a BOM and money as decimal strings, XLSX with numbers."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from data.errors import InputError
from data.sheets import write_sheets

FRAME = pd.DataFrame(
    {
        "point_id": ["P1", "Пункт 2", "P3", "P4", "P5"],
        "amount_kop": [123456, -25000, 0, 1, -5],
        "basis_kop": pd.Series([100, None, 7, None, 9], dtype=object),
        "note": ["", "закрыт 12 дней", "a,b", None, 'say "x"'],
    }
)


def test_csv_has_a_bom_and_money_as_decimal_strings(tmp_path: Path) -> None:
    out = tmp_path / "t.csv"
    write_sheets(out, {"first": FRAME, "ignored": FRAME.iloc[:1]})
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").splitlines() == [
        "point_id,amount_rub,basis_rub,note",
        "P1,1234.56,1.00,",
        "Пункт 2,-250.00,,закрыт 12 дней",
        'P3,0.00,0.07,"a,b"',
        "P4,0.01,,",
        'P5,-0.05,0.09,"say ""x"""',
    ]


def test_xlsx_money_is_exact_numbers_with_two_decimals(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    write_sheets(out, {"statements": FRAME, "other": FRAME.iloc[:2]})
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["statements", "other"]
    header, *rows = list(book["statements"].iter_rows())
    assert [c.value for c in header] == ["point_id", "amount_rub", "basis_rub", "note"]
    assert [Decimal(repr(r[1].value)) for r in rows] == [
        Decimal("1234.56"), Decimal("-250"), Decimal("0"), Decimal("0.01"), Decimal("-0.05")
    ]  # fmt: skip
    assert all(r[1].number_format == "0.00" and r[1].data_type == "n" for r in rows)
    assert [r[2].value for r in rows] == [1, None, 0.07, None, 0.09]
    assert rows[1][0].value == "Пункт 2" and rows[0][3].value is None


def test_long_tables_continue_on_further_sheets(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    write_sheets(out, {"lines": FRAME}, sheet_rows=2)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["lines", "lines (2)", "lines (3)"]
    sheets = [book[name] for name in book.sheetnames]
    ids = [r[0] for sheet in sheets for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert ids == FRAME["point_id"].tolist()


@pytest.mark.parametrize("name", ["t.txt", "t", "t.xls", "t.json"])
def test_unknown_extension_is_an_input_error(tmp_path: Path, name: str) -> None:
    with pytest.raises(InputError, match="unsupported output type"):
        write_sheets(tmp_path / name, {"x": FRAME})
    assert list(tmp_path.iterdir()) == []


def test_missing_directory_and_failure_leave_nothing(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="output directory does not exist"):
        write_sheets(tmp_path / "nope" / "t.csv", {"x": FRAME})
    out = tmp_path / "t.xlsx"
    out.write_text("previous", encoding="utf-8")
    bad = pd.DataFrame({"amount_kop": ["not a number"]})
    with pytest.raises(ValueError):
        write_sheets(out, {"x": bad})
    assert out.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["t.xlsx"]
