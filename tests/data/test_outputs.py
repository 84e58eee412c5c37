"""Outputs that are safe to open (issue 13): formula cells neutralised in CSV and Excel
(``--raw-csv`` keeps them), files written with the umask's mode or the old file's."""

from __future__ import annotations

import csv
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from api import cli
from data.io import write_table
from data.outputs import final_mode, neutralise_cell, neutralise_frame, umask
from data.sheets import write_sheets, write_text_atomic

cli._load_commands()
runner = CliRunner()
#: these tests read pvz's English messages (Russian is the default: test_cli_language.py)
pytestmark = pytest.mark.usefixtures("english_cli")

HOSTILE = ['=HYPERLINK("http://evil","x")', "+1+2", "-2+3", "@SUM(A1:A2)", "\tTAB", "\rCR"]
SAFE = ["P1", "плюс", "12", "-12.50", "+7", "1e5", "a=b"]


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_neutralise_cell() -> None:
    for text in HOSTILE:
        assert neutralise_cell(text) == "'" + text
    for value in [*SAFE, 5, -5, -1.5, None]:
        assert neutralise_cell(value) == value


def test_neutralise_frame_text_only() -> None:
    df = pd.DataFrame({"id": HOSTILE + SAFE[:1], "n": range(-3, 4), "x": [-1.5] * 7})
    out = neutralise_frame(df)
    assert out["id"].tolist() == ["'" + h for h in HOSTILE] + ["P1"]
    assert out["n"].tolist() == list(range(-3, 4)) and out["x"].tolist() == [-1.5] * 7
    assert df["id"].tolist()[0] == HOSTILE[0]  # the caller's frame is not changed
    safe = pd.DataFrame({"id": SAFE})
    assert neutralise_frame(safe) is safe


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_write_table_neutralises_and_raw_keeps(tmp_path: Path, suffix: str) -> None:
    cells = HOSTILE[:5]  # a lone CR inside a cell does not survive a pandas CSV round trip
    df = pd.DataFrame({"id": cells, "distance_m": [-1.0, 2.0, 3.0, 4.0, 5.0]})
    write_table(df, tmp_path / f"safe{suffix}")
    write_table(df, tmp_path / f"raw{suffix}", raw_csv=True)
    safe = pd.read_csv(tmp_path / "safe.csv", dtype=str, keep_default_na=False) \
        if suffix == ".csv" else pd.read_excel(tmp_path / "safe.xlsx", dtype=str)  # fmt: skip
    assert safe["id"].tolist() == ["'" + h for h in cells]
    assert float(safe["distance_m"].tolist()[0]) == -1.0  # a number, not "'-1.0"
    if suffix == ".csv":
        raw = pd.read_csv(tmp_path / "raw.csv", dtype=str, keep_default_na=False)
        assert raw["id"].tolist() == cells
    else:  # openpyxl would store "=..." as a live formula: neutralised, it is text
        sheet = load_workbook(tmp_path / "safe.xlsx").active
        assert sheet is not None
        assert all(c.data_type == "s" for (c,) in sheet.iter_rows(min_row=2, max_col=1))


def test_write_sheets_neutralises_text_not_money(tmp_path: Path) -> None:
    frame = pd.DataFrame({"point_id": ["=cmd|' /C calc'!A0", "P2"], "reward_kop": [-12345, 100]})
    write_sheets(tmp_path / "s.csv", {"s": frame})
    rows = list(csv.reader((tmp_path / "s.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert rows[1] == ["'=cmd|' /C calc'!A0", "-123.45"] and rows[2] == ["P2", "1.00"]
    write_sheets(tmp_path / "r.csv", {"s": frame}, raw_csv=True)
    rows = list(csv.reader((tmp_path / "r.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert rows[1][0] == "=cmd|' /C calc'!A0"


@pytest.fixture
def hostile_network(tmp_path: Path) -> tuple[Path, Path]:
    points = tmp_path / "points.csv"
    points.write_text("id,lat,lon,radius_m\n=HYPERLINK(1),55.75,37.60,500\n"
                      "@SUM(A1),55.751,37.60,500\nP3,55.80,37.60,500\n")  # fmt: skip
    cands = tmp_path / "cands.csv"
    cands.write_text("id,lat,lon\n+1+2,55.7505,37.60\n-2+3,56.50,37.60\n")
    return points, cands


def test_cli_check_and_audit_csv(hostile_network: tuple[Path, Path], tmp_path: Path) -> None:
    """`pvz check` and `pvz audit` write formula-looking ids with a ' in front, and as
    they are with --raw-csv."""
    points, cands = hostile_network
    out = tmp_path / "check.csv"
    r = runner.invoke(cli.app, ["check", str(points), str(cands), "-o", str(out)])
    assert r.exit_code == 0, r.output
    got = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert got["id"].tolist() == ["'+1+2", "'-2+3"]
    assert got["conflict_ids"].iloc[0].startswith("'=HYPERLINK(1)")
    assert got["radius_m"].iloc[0] == "500.0"  # numbers untouched
    audit = tmp_path / "audit.csv"
    r = runner.invoke(cli.app, ["audit", str(points), "-o", str(audit)])
    assert r.exit_code == 0, r.output
    pairs = pd.read_csv(audit, dtype=str, keep_default_na=False)
    assert {pairs["a_id"].iloc[0], pairs["b_id"].iloc[0]} == {"'=HYPERLINK(1)", "'@SUM(A1)"}
    r = runner.invoke(cli.app, ["audit", str(points), "-o", str(audit), "--raw-csv"])
    assert r.exit_code == 0, r.output
    pairs = pd.read_csv(audit, dtype=str, keep_default_na=False)
    assert {pairs["a_id"].iloc[0], pairs["b_id"].iloc[0]} == {"=HYPERLINK(1)", "@SUM(A1)"}


def test_umask_read() -> None:
    old = os.umask(0o027)
    try:
        assert umask() == 0o027
        assert final_mode(Path("/nonexistent/x")) == 0o640
    finally:
        os.umask(old)


def test_file_modes_follow_umask_and_keep_existing(
    umask_022: None, hostile_network: tuple[Path, Path], tmp_path: Path
) -> None:
    """Map HTML, JSON, CSV, XLSX and GeoJSON: 0644 under umask 022 (mkstemp's 0600 is not
    what a colleague on a shared drive can read); a rewritten file keeps its mode."""
    points, _ = hostile_network
    outs = {
        "map": tmp_path / "map.html",
        "json": tmp_path / "x.json",
        "xlsx": tmp_path / "x.xlsx",
        "csv": tmp_path / "x.csv",
        "geojson": tmp_path / "x.geojson",
    }
    r = runner.invoke(cli.app, ["map", str(points), "-o", str(outs["map"])])
    assert r.exit_code == 0, r.output
    write_text_atomic(outs["json"], "{}")
    write_sheets(outs["xlsx"], {"s": pd.DataFrame({"a": [1]})})
    df = pd.DataFrame({"id": ["a"], "lat": [55.0], "lon": [37.0]})
    write_table(df, outs["csv"])
    write_table(df, outs["geojson"])
    for name, path in outs.items():
        assert _mode(path) == 0o644, (name, oct(_mode(path)))
    for path in outs.values():
        os.chmod(path, 0o664)
    runner.invoke(cli.app, ["map", str(points), "-o", str(outs["map"])])
    write_text_atomic(outs["json"], "{}")
    write_sheets(outs["xlsx"], {"s": pd.DataFrame({"a": [1]})})
    write_table(df, outs["csv"])
    write_table(df, outs["geojson"])
    for name, path in outs.items():
        assert _mode(path) == 0o664, (name, oct(_mode(path)))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporaries
