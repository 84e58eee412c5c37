"""Files as Russian users have them, for every command that reads or writes a table.

``pvz rewards`` / ``rewards-compare`` read points and orders with the same reader as
``pvz check`` (``;`` cp1251 with decimal commas, UTF-8 with BOM, ``.xlsx``); a CSV given
as ``--boundaries`` is one clear error; CSV outputs carry a UTF-8 BOM; GeoJSON layers are
named after the file; each ``.xlsx`` input may name its own sheet (``FILE.xlsx#SHEET``).
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

import api.cli

#: the assertions read the English messages (the CLI speaks Russian by default)
pytestmark = pytest.mark.usefixtures("english_cli")

api.cli._load_commands()
runner = CliRunner()

POINTS = [
    ("A", "2020-07-15", "", "4.9"),
    ("B", "2020-04-10", "20", ""),
    ("C", "2019-01-01", "0", "4.6"),
]
POINT_COLUMNS = ["id", "opened_on", "closed_days_2020", "rating"]
ORDERS = [
    ("1", "A", "2020-10-14", "1234.50", "issued"),
    ("2", "A", "2020-10-15", "4999.99", "issued"),
    ("3", "A", "2020-10-15", "5000", "issued"),
    ("4", "C", "2020-10-20", "300.00", "returned"),
    ("5", "C", "2020-10-21", "12345.60", "issued"),
]
ORDER_COLUMNS = ["order_id", "point_id", "issued_on", "price_rub", "status"]


def run(*args: object) -> tuple[int, str]:
    res = runner.invoke(api.cli.app, [str(a) for a in args])
    return res.exit_code, res.output


def _plain(tmp: Path) -> tuple[Path, Path]:
    pts, ords = tmp / "points.csv", tmp / "orders.csv"
    pd.DataFrame(POINTS, columns=POINT_COLUMNS).to_csv(pts, index=False)
    pd.DataFrame(ORDERS, columns=ORDER_COLUMNS).to_csv(ords, index=False)
    return pts, ords


def _russian_excel_csv(tmp: Path) -> tuple[Path, Path]:
    """As Russian Excel saves "CSV": ``;``, cp1251, decimal commas, dates DD.MM.YYYY,
    prices grouped by a (no-break) space, a Russian column name for the id."""
    pts, ords = tmp / "rpoints_ru.csv", tmp / "orders_ru.csv"

    def ru(day: str) -> str:
        return f"{day[8:10]}.{day[5:7]}.{day[:4]}"

    lines = ["Код;opened_on;closed_days_2020;rating"]
    lines += [f"{i};{ru(d)};{c};{r.replace('.', ',')}" for i, d, c, r in POINTS]
    pts.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1251"))
    prices = {"1234.50": "1 234,50", "4999.99": "4999,99", "5000": "5 000",
              "300.00": "300", "12345.60": "12\u00a0345,6"}  # fmt: skip
    lines = [";".join(ORDER_COLUMNS)]
    lines += [";".join((o, p, ru(d), prices[k], s)) for o, p, d, k, s in ORDERS]
    ords.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1251"))
    return pts, ords


def _bom_csv(tmp: Path) -> tuple[Path, Path]:
    """UTF-8 with a byte-order mark (Excel's "CSV UTF-8"), semicolons."""
    pts, ords = tmp / "points_bom.csv", tmp / "orders_bom.csv"
    for path, cols, rows in ((pts, POINT_COLUMNS, POINTS), (ords, ORDER_COLUMNS, ORDERS)):
        text = "\n".join(";".join(r) for r in [cols, *rows]) + "\n"
        path.write_bytes(text.replace("1234.50", "1234,5").encode("utf-8-sig"))
    return pts, ords


def _xlsx(tmp: Path) -> tuple[Path, Path]:
    """Workbooks with typed cells: dates as dates, prices as numbers."""
    import datetime as dt

    pts, ords = tmp / "points.xlsx", tmp / "orders.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(POINT_COLUMNS)
    for i, d, c, r in POINTS:
        sheet.append([i, dt.date.fromisoformat(d), int(c) if c else None,
                      float(r) if r else None])  # fmt: skip
    book.save(pts)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(ORDER_COLUMNS)
    for o, p, d, k, s in ORDERS:
        sheet.append([int(o), p, dt.date.fromisoformat(d), float(k), s])
    book.save(ords)
    return pts, ords


@pytest.mark.parametrize("make", [_russian_excel_csv, _bom_csv, _xlsx],
                         ids=["cp1251-semicolon", "utf8-bom", "xlsx"])  # fmt: skip
@pytest.mark.parametrize("command", ["rewards", "rewards-compare"])
def test_rewards_read_files_as_russian_excel_saves_them(
    tmp_path: Path, make: object, command: str
) -> None:
    plain = _plain(tmp_path)
    other = make(tmp_path)  # type: ignore[operator]
    outs = []
    for k, (pts, ords) in enumerate((plain, other)):
        out = tmp_path / f"out{k}.csv"
        if command == "rewards":
            code, text = run("rewards", pts, ords, "--month", "2020-10", "-o", out)
        else:
            code, text = run("rewards-compare", pts, ords, "--from", "2020-10", "--to",
                             "2020-10", "-o", out)  # fmt: skip
        assert code == 0, text
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    if command == "rewards":  # 1234.50 and 12345.60 exactly, to the kopeck
        table = pd.read_csv(tmp_path / "out1.csv", dtype=str).set_index("point_id")
        assert table.loc["A", "turnover_rub"] == "11234.49"
        assert table.loc["C", "turnover_rub"] == "12345.60"


@pytest.mark.parametrize(
    ("price", "fragment"),
    [("1,234.50", "ambiguous"), ("1.234,50", "ambiguous"), ("1,234", "ambiguous"),
     ("1234,567", "more than two decimals"), ("12 34,50", "not a decimal number"),
     ("-5,00", "negative")],
)  # fmt: skip
def test_rewards_refuse_ambiguous_prices_naming_row_and_column(
    tmp_path: Path, price: str, fragment: str
) -> None:
    pts, _ = _plain(tmp_path)
    ords = tmp_path / "orders_ru.csv"
    rows = [";".join(ORDER_COLUMNS), "1;A;2020-10-14;100,00;issued",
            f"2;A;2020-10-14;{price};issued"]  # fmt: skip
    ords.write_bytes(("\n".join(rows) + "\n").encode("cp1251"))
    out = tmp_path / "o.json"
    code, text = run("rewards", pts, ords, "--month", "2020-10", "-o", out)
    assert code == 2, text
    assert f"{ords}, row 2, column 'price_rub'" in text and fragment in text, text
    assert "Traceback" not in text and not out.exists()


# --- --boundaries with a file that has no polygons ---


@pytest.fixture()
def network(tmp_path: Path) -> tuple[Path, Path]:
    pts, cands = tmp_path / "pts.csv", tmp_path / "cands.csv"
    pts.write_text("id,lat,lon,settlement\nA,55.752,37.6175,Москва\n", encoding="utf-8")
    cands.write_text("id,lat,lon\nc1,55.755,37.6175\nc2,55.76,37.6175\n", encoding="utf-8")
    return pts, cands


@pytest.mark.parametrize("command", ["check", "audit", "map"])
def test_boundaries_csv_is_one_clear_error(
    tmp_path: Path, network: tuple[Path, Path], command: str
) -> None:
    bad = tmp_path / "bounds.csv"
    bad.write_text("name,population\nМосква,13000000\n", encoding="utf-8")
    pts, cands = network
    args: list[object] = {
        "check": ["check", pts, cands, "-o", tmp_path / "o.csv"],
        "audit": ["audit", pts, "-o", tmp_path / "o.csv"],
        "map": ["map", pts, "--tiles", "none", "-o", tmp_path / "o.html"],
    }[command]
    code, text = run(*args, "--boundaries", bad)
    assert code == 2, text
    assert text.startswith(f"error: {bad}: not a vector file with polygons"), text
    assert "Traceback" not in text and "AttributeError" not in text
    assert not list(tmp_path.glob("o.*"))


def test_server_refuses_to_start_with_a_boundaries_csv(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings
    from data.errors import InputError

    bad = tmp_path / "bounds.csv"
    bad.write_text("name,population\nМосква,13000000\n", encoding="utf-8")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'pvz.db'}", boundaries_path=bad)
    with (
        pytest.raises(InputError, match="not a vector file with polygons"),
        TestClient(create_app(settings)),
    ):
        pass


# --- CSV outputs: UTF-8 with BOM, read back by pandas and by the project's reader ---


def _demand(tmp_path: Path) -> Path:
    path = tmp_path / "demand.csv"
    rows = [f"d{i},{55.74 + 0.004 * i:.4f},{37.60 + 0.003 * i:.4f},{1 + i % 3}" for i in range(12)]
    path.write_text("id,lat,lon,weight\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["check", "audit", "score", "plan"])
def test_csv_outputs_are_utf8_with_bom(
    tmp_path: Path, network: tuple[Path, Path], command: str
) -> None:
    from data.io import read_table

    pts, cands = network
    out = tmp_path / "out.csv"
    demand = ["--demand", _demand(tmp_path)]
    args: list[object] = {
        "check": ["check", pts, cands],
        "audit": ["audit", pts],
        "score": ["score", pts, cands, *demand],
        "plan": ["plan", pts, cands, *demand, "--k", "1", "--service-radius-m", "1500"],
    }[command]
    code, text = run(*args, "-o", out)
    assert code == 0, text
    first = "a_id" if command == "audit" else "id"
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf" + first.encode() + b","), raw[:20]
    assert raw.count(b"\xef\xbb\xbf") == 1
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)  # pandas drops the BOM
    assert frame.columns[0] == first
    assert read_table(out).columns[0] == first
    if command == "check":
        assert set(frame["settlement"]) == {"Москва"}
        assert "Москва" in raw.decode("utf-8-sig")


def test_raw_csv_keeps_the_bom_and_the_cells(tmp_path: Path, network: tuple[Path, Path]) -> None:
    pts, _ = network
    cands = tmp_path / "formula.csv"
    cands.write_text("id,lat,lon\n=c1,55.755,37.6175\n", encoding="utf-8")
    for flag, cell in (((), "'=c1"), (("--raw-csv",), "=c1")):
        out = tmp_path / "out.csv"
        code, text = run("check", pts, cands, "-o", out, *flag)
        assert code == 0, text
        assert out.read_bytes().startswith(b"\xef\xbb\xbfid,")
        assert pd.read_csv(out, dtype=str)["id"].tolist() == [cell]


# --- GeoJSON outputs name their layer after the file ---


@pytest.mark.parametrize("command", ["check", "score"])
def test_geojson_layer_is_named_after_the_file(
    tmp_path: Path, network: tuple[Path, Path], command: str
) -> None:
    pts, cands = network
    out = tmp_path / "Проверка_1.geojson"
    extra = ["--demand", _demand(tmp_path)] if command == "score" else []
    code, text = run(command, pts, cands, *extra, "-o", out)
    assert code == 0, text
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["name"] == "Проверка_1"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


# --- each workbook its own sheet: FILE.xlsx#SHEET ---


def _book(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_each_workbook_names_its_own_sheet(tmp_path: Path, network: tuple[Path, Path]) -> None:
    pts_csv, cands_csv = network
    ref = tmp_path / "ref.csv"
    assert run("check", pts_csv, cands_csv, "-o", ref)[0] == 0
    pts = _book(tmp_path / "points.xlsx", {
        "Справка": [["выгружено из 1С"]],
        "Данные": [["Код", "Широта", "Долгота"], ["A", 55.752, 37.6175]]})  # fmt: skip
    rows: list[list[object]] = [["id", "lat", "lon"], ["c1", 55.755, 37.6175],
                                ["c2", 55.76, 37.6175]]  # fmt: skip
    cands = _book(tmp_path / "cands.xlsx", {"Sheet1": rows})
    out = tmp_path / "out.csv"
    # one --sheet for both files cannot work: cands.xlsx has no sheet "Данные"
    code, text = run("check", pts, cands, "--sheet", "Данные", "-o", out)
    assert code == 2 and "no sheet 'Данные'; sheets: Sheet1" in text, text
    for first, second in ((f"{pts}#Данные", cands), (f"{pts}#2", f"{cands}#Sheet1"),
                          (f"{pts}#Данные", f"{cands}#1")):  # fmt: skip
        code, text = run("check", first, second, "-o", out)
        assert code == 0, text
        assert out.read_bytes() == ref.read_bytes()
    # a per-file sheet wins over --sheet, which stays the default of the other files
    code, text = run("check", f"{pts}#Данные", cands, "--sheet", "Sheet1", "-o", out)
    assert code == 0, text
    code, text = run("check", f"{pts}#Нет", cands, "-o", out)
    assert code == 2 and f"error: {pts}: no sheet 'Нет'; sheets: Справка, Данные" in text, text


def test_rewards_read_per_file_sheets(tmp_path: Path) -> None:
    pts, ords = _plain(tmp_path)
    ref = tmp_path / "ref.csv"
    assert run("rewards", pts, ords, "--month", "2020-10", "-o", ref)[0] == 0
    book = _book(tmp_path / "rewards.xlsx", {
        "Пункты": [POINT_COLUMNS, *[list(r) for r in POINTS]],
        "Заказы": [ORDER_COLUMNS, *[list(r) for r in ORDERS]]})  # fmt: skip
    out = tmp_path / "out.csv"
    code, text = run("rewards", f"{book}#Пункты", f"{book}#Заказы", "--month", "2020-10",
                     "-o", out)  # fmt: skip
    assert code == 0, text
    assert out.read_bytes() == ref.read_bytes()
