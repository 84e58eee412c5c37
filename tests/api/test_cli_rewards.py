"""``pvz rewards`` and ``pvz rewards-compare``: files in, the engine's statements out."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

import api.cli
from planning.rewards import (
    OrderRecord,
    PointRecord,
    build_statements,
    parse_rub,
    statement_to_dict,
)
from planning.rewards.policy import policy_from_toml

api.cli._load_commands()
runner = CliRunner()
#: these tests read pvz's English messages (Russian is the default: test_cli_language.py)
pytestmark = pytest.mark.usefixtures("english_cli")

POINTS = """id,opened_on,closed_days_2020,rating,complaint_rate_pct
A,2020-07-15,,4.9,0.2
B,2020-04-10,20,,
C,2019-01-01,0,4.6,0.9
D,2020-11-30,,,
"""

ORDERS = """order_id,point_id,issued_on,price_rub,status
1,A,2020-10-14,1000.00,issued
2,A,2020-10-15,4999.99,issued
3,A,2020-10-15,5000,issued
4,A,2020-10-20,300.00,returned
5,B,2020-07-29,100.00,issued
6,B,2020-07-30,100.00,issued
7,C,2020-10-01,0.10,issued
8,C,2020-10-31,0.30,cancelled
9,C,2020-11-01,10.00,issued
10,D,2020-12-01,250000.00,issued
11,A,2020-10-14,1000.00,issued
1,A,2020-10-14,1000.00,issued
"""

POINT_RECORDS = [
    PointRecord("A", dt.date(2020, 7, 15), 0, rating=None, complaint_rate_pct=None),
    PointRecord("B", dt.date(2020, 4, 10), 20),
    PointRecord("C", dt.date(2019, 1, 1), 0),
    PointRecord("D", dt.date(2020, 11, 30), 0),
]


def _order_records() -> list[OrderRecord]:
    rows = [line.split(",") for line in ORDERS.strip().splitlines()[1:]]
    return [
        OrderRecord(o, p, dt.date.fromisoformat(d), parse_rub(price), s)
        for o, p, d, price, s in rows
    ]


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    points = tmp_path / "points.csv"
    orders = tmp_path / "orders.csv"
    points.write_text(POINTS, encoding="utf-8")
    orders.write_text(ORDERS, encoding="utf-8")
    return points, orders


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(api.cli.app, [str(a) for a in args])
    return result.exit_code, result.output


@pytest.mark.parametrize("month", ["2020-07", "2020-10", "2020-12"])
def test_cli_output_equals_python_function(
    files: tuple[Path, Path], tmp_path: Path, month: str
) -> None:
    out = tmp_path / "out.json"
    code, text = run("rewards", *files, "--month", month, "-o", out)
    assert code == 0, text
    written = json.loads(out.read_text(encoding="utf-8"))
    expected = [
        statement_to_dict(s) for s in build_statements(POINT_RECORDS, _order_records(), month)
    ]
    assert written == expected
    assert written  # every month above has statements


def test_cli_statement_values(files: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    code, text = run("rewards", *files, "--month", "2020-10", "-o", out)
    assert code == 0, text
    by_point = {s["point_id"]: s for s in json.loads(out.read_text(encoding="utf-8"))}
    # A: 1000.00 * 5 % * 2 = 100.00 (x2 orders 1 and 11, both 10-14) ; 4999.99 -> 250.00 ;
    # 5000 -> fixed 250.00 ; returned 0.00 -> 700.00 ; turnover 2000 + 4999.99 + 5000
    assert (by_point["A"]["reward_rub"], by_point["A"]["turnover_rub"]) == ("700.00", "11999.99")
    assert by_point["A"]["double_rate_days"] == 14
    assert by_point["A"]["old_scheme_rub"] == "140.00"  # 4 issued parcels * 35.00
    # C: 0.10 * 5 % = 0.005 -> 0.01 ; the cancelled line earns 0.00
    assert by_point["C"]["reward_rub"] == "0.01"
    assert set(by_point) == {"A", "C"}
    assert all(isinstance(s["point_id"], str) for s in by_point.values())


def test_cli_with_policy_matches_python(files: tuple[Path, Path], tmp_path: Path) -> None:
    policy_path = Path(__file__).resolve().parents[2] / "examples" / "rewards_policy_example.toml"
    out = tmp_path / "out.json"
    code, text = run("rewards", *files, "--month", "2020-10", "-o", out, "--policy", policy_path)
    assert code == 0, text
    policy = policy_from_toml(policy_path.read_text(encoding="utf-8"))
    points = [
        PointRecord(
            "A", dt.date(2020, 7, 15), 0, rating=Decimal("4.9"), complaint_rate_pct=Decimal("0.2")
        ),
        PointRecord("B", dt.date(2020, 4, 10), 20),
        PointRecord(
            "C", dt.date(2019, 1, 1), 0, rating=Decimal("4.6"), complaint_rate_pct=Decimal("0.9")
        ),
        PointRecord("D", dt.date(2020, 11, 30), 0),
    ]
    expected = build_statements(points, _order_records(), "2020-10", policy=policy)
    assert json.loads(out.read_text(encoding="utf-8")) == [statement_to_dict(s) for s in expected]
    kinds = {
        line["kind"] for s in json.loads(out.read_text(encoding="utf-8")) for line in s["lines"]
    }
    assert {"quality_bonus", "transition_floor"} <= kinds


def test_rewards_compare_prints_and_writes(files: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "cmp.csv"
    code, text = run("rewards-compare", *files, "--from", "2020-07", "--to", "2020-12", "-o", out)
    assert code == 0, text
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0] == (
        "point_id,month,issued_count,turnover_rub,old_scheme_rub,new_scheme_rub,"
        "difference_rub,adjustments_rub,paid_rub"
    )
    # B, July: 10.00 + 5.00 = 15.00 new vs 2 * 35.00 old
    assert "B,2020-07,2,200.00,70.00,15.00,-55.00,0.00,15.00" in lines
    # D, Dec: 250000.00 >= 5000 -> 250.00 * 2 = 500.00 vs 35.00
    assert "D,2020-12,1,250000.00,35.00,500.00,465.00,0.00,500.00" in lines
    assert "earn more under the new scheme: 2 (50.0 %)" in text
    assert "earn less:                      2 (50.0 %)" in text
    assert "B, C" in text
    assert "B        2020-07" in text or "B 2020-07" in text


def test_rewards_compare_without_output_file(files: tuple[Path, Path]) -> None:
    code, text = run("rewards-compare", *files, "--from", "2020-10", "--to", "2020-10")
    assert code == 0, text
    assert "difference_rub" in text and "network 2020-10..2020-10" in text


# ---------------------------------------------------------------------------------------
# bad input: exit 2, a message naming the file, row and column, nothing written

BAD_ORDERS = [
    ("negative-price", "5,B,2020-07-29,-100.00,issued", "price_rub", "negative"),
    ("non-numeric-price", "5,B,2020-07-29,12,50,issued", None, None),
    ("text-price", "5,B,2020-07-29,abc,issued", "price_rub", "not a decimal"),
    ("sub-kopeck-price", "5,B,2020-07-29,1.005,issued", "price_rub", "two decimals"),
    ("unknown-status", "5,B,2020-07-29,100.00,lost", "status", "unknown status"),
    ("date-that-does-not-exist", "5,B,2021-02-30,100.00,issued", "issued_on", "existing date"),
    ("malformed-date", "5,B,29/07/2020,100.00,issued", "issued_on", "existing date"),
    ("two-digit-year", "5,B,29.07.20,100.00,issued", "issued_on", "existing date"),
    ("unknown-point", "5,ZZ,2020-07-29,100.00,issued", "point_id", "unknown point"),
    ("before-opening", "5,B,2020-04-09,100.00,issued", "issued_on", "before point"),
]


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD_ORDERS],
)
def test_bad_order_rows(
    tmp_path: Path, files: tuple[Path, Path], line: str, column: str | None, message: str | None
) -> None:
    points, orders = files
    rows = ORDERS.strip().splitlines()
    rows[5] = line  # data row 5 (order 5)
    orders.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out.json"
    code, text = run("rewards", points, orders, "--month", "2020-07", "-o", out)
    assert code == 2, text
    assert text.startswith("error: ") and str(orders) in text
    if column is None:  # a row with too many fields: no single column to blame
        assert "row 5: expected 5 fields, saw 6" in text
    else:
        assert "row 5" in text and f"column '{column}'" in text and message in text
    assert not out.exists()
    assert list(tmp_path.glob(".out.json*")) == []


def test_duplicate_order_id_with_different_content(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    points, orders = files
    orders.write_text(ORDERS + "3,A,2020-10-15,5000.01,issued\n", encoding="utf-8")
    out = tmp_path / "out.json"
    code, text = run("rewards", points, orders, "--month", "2020-10", "-o", out)
    assert code == 2
    assert f"error: {orders}, row 13, column 'order_id'" in text
    assert "'3' appears twice with different content (first at row 3)" in text
    assert not out.exists()


def test_exact_duplicate_order_line_is_idempotent(files: tuple[Path, Path], tmp_path: Path) -> None:
    points, orders = files
    once, twice = tmp_path / "once.json", tmp_path / "twice.json"
    assert run("rewards", points, orders, "--month", "2020-10", "-o", once)[0] == 0
    body = ORDERS.strip().splitlines()[1:]
    orders.write_text(ORDERS + "\n".join(body) + "\n", encoding="utf-8")
    assert run("rewards", points, orders, "--month", "2020-10", "-o", twice)[0] == 0
    assert once.read_text(encoding="utf-8") == twice.read_text(encoding="utf-8")


BAD_POINTS = [
    ("date-that-does-not-exist", "B,2020-02-30,20,,", "opened_on", "existing date"),
    ("closed-days-not-a-number", "B,2020-04-10,many,,", "closed_days_2020", "whole number"),
    ("closed-days-negative", "B,2020-05-20,-1,,", "closed_days_2020", "whole number"),
    ("duplicate-id", "A,2020-04-10,20,,", "id", "appears twice"),
    ("bad-rating", "B,2020-04-10,20,high,", "rating", "decimal"),
]


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD_POINTS],
)
def test_bad_point_rows(
    tmp_path: Path, files: tuple[Path, Path], line: str, column: str, message: str
) -> None:
    points, orders = files
    rows = POINTS.strip().splitlines()
    rows[2] = line  # data row 2 (point B)
    points.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out.json"
    code, text = run("rewards", points, orders, "--month", "2020-07", "-o", out)
    assert code == 2, text
    assert f"error: {points}, row 2, column '{column}'" in text and message in text
    assert not out.exists()


def test_closed_days_as_a_list_of_days(files: tuple[Path, Path], tmp_path: Path) -> None:
    points, orders = files
    # 04-01..04-09 are before the opening (04-10) and 06-01 is outside April-May: they do
    # not count; 04-10..04-29 (20 days) do -> the same statements as the count 20
    days = [f"2020-04-{d:02d}" for d in range(1, 30)] + ["2020-06-01"]
    points.write_text(POINTS.replace("B,2020-04-10,20,", f"B,2020-04-10,{';'.join(days)},"))
    out, ref = tmp_path / "list.json", tmp_path / "count.json"
    assert run("rewards", points, orders, "--month", "2020-07", "-o", out)[0] == 0
    points.write_text(POINTS)
    assert run("rewards", points, orders, "--month", "2020-07", "-o", ref)[0] == 0
    assert out.read_text() == ref.read_text()
    points.write_text(POINTS.replace("B,2020-04-10,20,", "B,2020-04-10,2020-04-31,"))
    code, text = run("rewards", points, orders, "--month", "2020-07", "-o", out)
    assert code == 2 and "row 2, column 'closed_days_2020'" in text


def test_missing_column(files: tuple[Path, Path], tmp_path: Path) -> None:
    points, orders = files
    orders.write_text("order_id,point_id,issued_on,status\n1,A,2020-10-14,issued\n")
    code, text = run("rewards", points, orders, "--month", "2020-10", "-o", tmp_path / "o.json")
    assert code == 2 and "column 'price_rub'" in text and "missing column" in text


def test_missing_file_and_bad_month_and_bad_policy(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    points, orders = files
    out = tmp_path / "o.json"
    code, text = run("rewards", points, tmp_path / "nope.csv", "--month", "2020-10", "-o", out)
    assert code == 2 and "nope.csv: file not found" in text
    code, text = run("rewards", points, orders, "--month", "2020-13", "-o", out)
    assert code == 2 and "--month" in text
    bad_policy = tmp_path / "p.toml"
    bad_policy.write_text("rate_percent = -5\n", encoding="utf-8")
    code, text = run(
        "rewards", points, orders, "--month", "2020-10", "-o", out, "--policy", bad_policy
    )
    assert code == 2 and "p.toml" in text and "rate_percent" in text
    code, text = run("rewards-compare", points, orders, "--from", "2020-10", "--to", "2020-07")
    assert code == 2 and "before" in text
    assert not out.exists()


def test_failed_run_leaves_previous_output_untouched(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    points, orders = files
    out = tmp_path / "out.json"
    out.write_text("previous", encoding="utf-8")
    orders.write_text(ORDERS + "99,A,2020-10-15,-1,issued\n", encoding="utf-8")
    code, _ = run("rewards", points, orders, "--month", "2020-10", "-o", out)
    assert code == 2
    assert out.read_text(encoding="utf-8") == "previous"


# ---------------------------------------------------------------------------------------
# the pandemic count clamped, closed periods with adjustments, statements as tables


def test_count_beyond_the_days_possible_is_clamped_with_a_warning(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    points, orders = files
    # A opened 2020-07-15 claims 15 closed days: none possible -> 0, A's October unchanged
    points.write_text(POINTS.replace("A,2020-07-15,,", "A,2020-07-15,15,"), encoding="utf-8")
    out, ref = tmp_path / "out.json", tmp_path / "ref.json"
    code, text = run("rewards", points, orders, "--month", "2020-10", "-o", out)
    assert code == 0, text
    note = (
        "closed_days_2020 = 15 clamped to 0: only 0 days of 2020-04-01..2020-05-31 are on or "
        "after the opening day 2020-07-15"
    )
    assert text.count("warning: ") == 1
    assert f"warning: {points}, row 1, column 'closed_days_2020': point A: {note}" in text
    got = {s["point_id"]: s for s in json.loads(out.read_text(encoding="utf-8"))}
    assert got["A"]["notes"] == [note] and got["C"]["notes"] == []
    points.write_text(POINTS, encoding="utf-8")
    assert run("rewards", points, orders, "--month", "2020-10", "-o", ref)[0] == 0
    expected = {s["point_id"]: s for s in json.loads(ref.read_text(encoding="utf-8"))}
    assert {**got["A"], "notes": []} == expected["A"]


def test_may_20_opening_with_30_days_gets_12(files: tuple[Path, Path], tmp_path: Path) -> None:
    points, orders = files
    points.write_text(POINTS + "M,2020-05-20,30,,\n", encoding="utf-8")
    # 3 months -> 08-20, + 12 days -> 09-01 excluded: 08-31 doubled 10.00, 09-01 5.00
    orders.write_text(
        ORDERS + "20,M,2020-08-31,100.00,issued\n21,M,2020-09-01,100.00,issued\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.json"
    code, text = run("rewards", points, orders, "--month", "2020-08", "-o", out)
    assert code == 0 and "clamped to 12" in text
    (m,) = [s for s in json.loads(out.read_text(encoding="utf-8")) if s["point_id"] == "M"]
    assert m["reward_rub"] == "10.00" and m["double_rate_days"] == 31


EVENTS = """order_id,point_id,issued_on,price_rub,status,returned_on,cancelled_on
1,A,2020-07-20,1000.00,returned,2020-08-05,
2,A,2020-07-21,7500.00,returned,2020-09-02,
3,A,2020-07-22,300.00,cancelled,,2020-07-25
4,A,2020-08-03,200.00,issued,,
5,C,2020-07-01,6000.00,returned,2020-08-31,
6,C,2020-08-01,0.10,returned,,
7,C,2020-08-02,100.00,issued,,
"""

#: the same orders as finance saw them at the end of July (no return dated after July yet)
EVENTS_IN_JULY = """order_id,point_id,issued_on,price_rub,status
1,A,2020-07-20,1000.00,issued
2,A,2020-07-21,7500.00,issued
3,A,2020-07-22,300.00,cancelled
5,C,2020-07-01,6000.00,issued
"""


def _statements(points: Path, orders: Path, month: str, out: Path) -> list[dict[str, Any]]:
    code, text = run("rewards", points, orders, "--month", month, "-o", out)
    assert code == 0, text
    return list(json.loads(out.read_text(encoding="utf-8")))


def test_late_returns_leave_july_as_paid_and_adjust_later_months(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    points, orders = files
    july_orders = tmp_path / "july.csv"
    july_orders.write_text(EVENTS_IN_JULY, encoding="utf-8")
    paid = _statements(points, july_orders, "2020-07", tmp_path / "paid.json")
    orders.write_text(EVENTS, encoding="utf-8")
    july = _statements(points, orders, "2020-07", tmp_path / "jul.json")
    assert july == paid
    # A (opened 07-15, double until 10-15): 1000.00 -> 100.00, 7500.00 -> 250.00 * 2 = 500.00,
    # cancelled in July 0.00 ; C (2019): 6000.00 -> 250.00
    by = {s["point_id"]: s for s in july}
    assert (by["A"]["reward_rub"], by["C"]["reward_rub"]) == ("600.00", "250.00")
    aug = {s["point_id"]: s for s in _statements(points, orders, "2020-08", tmp_path / "a.json")}
    # A: 200.00 * 5 % * 2 = 20.00 ; order 1 returned 08-05: -100.00 -> -80.00
    assert aug["A"]["reward_rub"] == "-80.00"
    assert [
        (a["order_id"], a["reward_rub"], a["double_rate"]) for a in aug["A"]["adjustments"]
    ] == [("1", "-100.00", True)]
    # C: 100.00 -> 5.00 ; 0.10 returned without a date earns 0.00 ; order 5 returned
    # 08-31: -250.00 -> -245.00
    assert aug["C"]["reward_rub"] == "-245.00"
    sep = _statements(points, orders, "2020-09", tmp_path / "s.json")
    assert [(s["point_id"], s["reward_rub"], s["lines"]) for s in sep] == [("A", "-500.00", [])]


def _from_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def _kop(value: Any) -> int:
    """A money cell (decimal string or spreadsheet number) in kopecks, exactly."""
    amount = Decimal(value) if isinstance(value, str) else Decimal(repr(value))
    assert amount == amount.quantize(Decimal("0.01"))
    return int(amount * 100)


def _expected_rows(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for s in statements:
        items = sum(_kop(x["reward_rub"]) for x in s["lines"] if x["kind"] == "item")
        bonuses = sum(_kop(x["reward_rub"]) for x in s["lines"] if x["kind"] != "item")
        adjust = sum(_kop(x["reward_rub"]) for x in s["adjustments"])
        assert items + bonuses + adjust == _kop(s["reward_rub"])
        rows.append(
            {
                "point_id": s["point_id"],
                "month": s["month"],
                "turnover_rub": _kop(s["turnover_rub"]),
                "item_reward_rub": items,
                "double_rate_days": s["double_rate_days"],
                "old_scheme_rub": _kop(s["old_scheme_rub"]),
                "bonuses_rub": bonuses,
                "adjustments_rub": adjust,
                "total_rub": _kop(s["reward_rub"]),
                "notes": "; ".join(s["notes"]),
            }
        )
    return rows


MONEY = {"turnover_rub", "item_reward_rub", "old_scheme_rub", "bonuses_rub", "adjustments_rub",
         "total_rub", "price_rub", "basis_rub", "reward_rub"}  # fmt: skip


def _typed(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (_kop(v) if k in MONEY and v not in ("", None) else v)
        for k, v in row.items()
        if k in MONEY or k in {"point_id", "month", "double_rate_days", "notes"}
    }


@pytest.mark.parametrize("month", ["2020-07", "2020-08", "2020-09"])
def test_csv_and_xlsx_statements_equal_the_json_to_the_kopeck(
    files: tuple[Path, Path], tmp_path: Path, month: str
) -> None:
    points, orders = files
    points.write_text(POINTS.replace("A,2020-07-15,,", "A,2020-07-15,15,"), encoding="utf-8")
    orders.write_text(EVENTS, encoding="utf-8")
    policy = Path(__file__).resolve().parents[2] / "examples" / "rewards_policy_example.toml"
    paths = {ext: tmp_path / f"st.{ext}" for ext in ("json", "csv", "xlsx")}
    for ext, path in paths.items():  # the CSV alone comes straight from the totals
        more = ["--lines-out", tmp_path / "lines.csv"] if ext == "json" else []
        code, text = run("rewards", points, orders, "--month", month, "-o", path,
                         "--policy", policy, *more)  # fmt: skip
        assert code == 0, text
    statements = json.loads(paths["json"].read_text(encoding="utf-8"))
    expected = _expected_rows(statements)
    got_csv = [
        {**_typed(r), "double_rate_days": int(r["double_rate_days"])}
        for r in _from_csv(paths["csv"])
    ]
    assert got_csv == expected

    book = openpyxl.load_workbook(paths["xlsx"])
    assert book.sheetnames == ["statements", "lines"]
    sheet = book["statements"]
    header, *rows = list(sheet.iter_rows(values_only=True))
    got_xlsx = [{**_typed(dict(zip(header, r, strict=True))), "notes": r[-1] or ""} for r in rows]
    assert got_xlsx == expected
    money_cols = [i for i, h in enumerate(header) if h in MONEY]
    for row in sheet.iter_rows(min_row=2):
        for i in money_cols:
            assert row[i].data_type == "n" and row[i].number_format == "0.00"

    # every line, in the lines sheet and in --lines-out, equals the JSON's lines
    def json_lines() -> list[dict[str, Any]]:
        out = []
        for s in statements:
            for x in [*s["lines"], *s["adjustments"]]:
                out.append({"point_id": s["point_id"], "kind": x["kind"],
                            "order_id": x["order_id"],
                            "reward_rub": _kop(x["reward_rub"])})  # fmt: skip
        return out

    lhead, *lrows = list(book["lines"].iter_rows(values_only=True))
    from_xlsx = [dict(zip(lhead, r, strict=True)) for r in lrows]
    from_csv = _from_csv(tmp_path / "lines.csv")
    for got in (from_xlsx, from_csv):
        assert [
            {"point_id": r["point_id"], "kind": r["kind"], "order_id": r["order_id"] or None,
             "reward_rub": _kop(r["reward_rub"])} for r in got
        ] == json_lines()  # fmt: skip
    assert expected  # every month above has statements


def test_rewards_compare_writes_xlsx(files: tuple[Path, Path], tmp_path: Path) -> None:
    points, orders = files
    out = tmp_path / "cmp.xlsx"
    code, text = run("rewards-compare", points, orders, "--from", "2020-07", "--to", "2020-12",
                     "-o", out)  # fmt: skip
    assert code == 0, text
    header, *rows = list(openpyxl.load_workbook(out)["comparison"].iter_rows(values_only=True))
    by = {(r[0], r[1]): dict(zip(header, r, strict=True)) for r in rows}
    b = by[("B", "2020-07")]
    assert (_kop(b["new_scheme_rub"]), _kop(b["old_scheme_rub"]), b["issued_count"]) == (
        1500,
        7000,
        2,
    )


@pytest.mark.parametrize(
    "args",
    [
        ("rewards", "--month", "2020-10"),
        ("rewards-compare", "--from", "2020-10", "--to", "2020-10"),
    ],
)
@pytest.mark.parametrize("name", ["out.txt", "out", "out.xls"])
def test_unknown_output_extension_is_exit_2(
    files: tuple[Path, Path], tmp_path: Path, args: tuple[str, ...], name: str
) -> None:
    out = tmp_path / name
    code, text = run(args[0], *files, *args[1:], "-o", out)
    assert code == 2 and "unsupported output type" in text and str(out) in text
    assert not out.exists()
    code, text = run("rewards", *files, "--month", "2020-10", "-o", tmp_path / "o.json",
                     "--lines-out", out)  # fmt: skip
    assert code == 2 and not out.exists() and not (tmp_path / "o.json").exists()


BAD_EVENTS = [
    ("not-a-date", "1,A,2020-07-20,1.00,returned,soon,", "returned_on", "existing date"),
    ("impossible-day", "1,A,2020-07-20,1.00,returned,2020-02-30,", "returned_on", "existing"),
    ("before-issue", "1,A,2020-07-20,1.00,returned,2020-07-19,", "returned_on",
     "2020-07-19 is before the issue day 2020-07-20"),
    ("arabic-digits", "1,A,2020-07-20,1.00,returned,٢٠٢٠-٠٨-٠١,", "returned_on", "existing"),
    ("fullwidth-digits", "1,A,2020-07-20,1.00,cancelled,,２０２０-０８-０１", "cancelled_on",
     "existing"),
    ("arabic-price", "1,A,2020-07-20,١٠٠.٠٠,issued,,", "price_rub", "not a decimal"),
    ("issued-with-return", "1,A,2020-07-20,1.00,issued,2020-08-01,", "returned_on",
     "status is 'issued'"),
    ("both-days", "1,A,2020-07-20,1.00,returned,2020-08-01,2020-08-01", "cancelled_on",
     "both returned_on and cancelled_on"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("line", "column", "message"), [pytest.param(*c[1:], id=c[0]) for c in BAD_EVENTS]
)
def test_bad_event_days_are_exit_2(
    files: tuple[Path, Path], tmp_path: Path, line: str, column: str, message: str
) -> None:
    points, orders = files
    head, first, *rest = EVENTS.strip().splitlines()
    orders.write_text("\n".join([head, first, line, *rest]) + "\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    code, text = run("rewards", points, orders, "--month", "2020-07", "-o", out)
    assert code == 2, text
    assert f"error: {orders}, row 2, column '{column}'" in text and message in text
    assert not out.exists()
