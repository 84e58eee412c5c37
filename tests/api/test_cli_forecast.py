"""``pvz score --orders ORDERS.csv --month YYYY-MM``: calibration from an orders file equals
calibration from the equivalent ``turnover_rub``, with the 80 % ranges in the output."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from api import cli
from planning.synthetic import SyntheticNetwork, orders_for_turnover, synthetic_network

cli._load_commands()
runner = CliRunner()
#: these tests read pvz's English messages (Russian is the default: test_cli_language.py)
pytestmark = pytest.mark.usefixtures("english_cli")
MONTHS = ("2026-08", "2026-09")
RANGE_COLS = ["turnover_low_rub", "turnover_high_rub", "reward_low_rub", "reward_high_rub"]


def run(*args: str) -> tuple[int, str]:
    res = runner.invoke(cli.app, list(args))
    return res.exit_code, res.output


@pytest.fixture(scope="module")
def net() -> SyntheticNetwork:
    return synthetic_network(150, seed=4, n_towns=3, cells_per_town=250)


@pytest.fixture()
def files(tmp_path: Path, net: SyntheticNetwork) -> dict[str, Path]:
    """Points (opened 2025, one opened mid-September, one closed), candidates, demand, and the
    orders of two months; ``points_turnover.csv`` carries the same turnover as a column."""
    pts = net.points.drop(columns=["town_population"]).copy()
    pts["radius_m"] = 500.0  # all given: the synthetic towns are not real settlements
    pts["opened_on"] = "2025-01-01"
    pts.loc[7, "opened_on"] = "2026-09-15"  # open throughout neither month: no turnover
    pts["status"] = "active"
    pts.loc[9, "status"] = "closed"
    rng = np.random.default_rng(3)
    kop = {m: np.round(net.turnover_rub * rng.lognormal(0, 0.1, len(pts)) * 100).astype(np.int64)
           for m in MONTHS}  # fmt: skip
    kop["2026-08"][7] = 0  # opened later: no August orders
    orders = pd.concat([orders_for_turnover(pts["id"], kop[m], m, seed=i, id_prefix=m)
                        for i, m in enumerate(MONTHS)])  # fmt: skip
    sept = orders["issued_on"].str.startswith("2026-09")
    orders = orders[~((orders["point_id"] == pts.loc[7, "id"]) & ~sept)]
    orders.loc[(orders["point_id"] == pts.loc[7, "id"]), "issued_on"] = "2026-09-20"
    mean = (kop["2026-08"] + kop["2026-09"]) / 100 / 2  # as the statements add them up
    with_col = pts.copy()
    with_col["turnover_rub"] = [repr(float(v)) for v in mean]
    with_col.loc[7, "turnover_rub"] = ""
    cand = net.points.iloc[::10][["lat", "lon", "area_m2"]].copy()
    cand["lat"] += 0.004
    cand.insert(0, "id", [f"c{i}" for i in range(len(cand))])
    paths = {k: tmp_path / f"{k}.csv" for k in ("points", "points_turnover", "orders", "cands",
                                                "demand")}  # fmt: skip
    pts.to_csv(paths["points"], index=False)
    with_col.to_csv(paths["points_turnover"], index=False)
    orders.to_csv(paths["orders"], index=False)
    cand.to_csv(paths["cands"], index=False)
    net.demand.to_frame().to_csv(paths["demand"], index=False)
    return paths


def test_orders_calibrate_like_turnover_rub(files: dict[str, Path], tmp_path: Path) -> None:
    out_a, out_b = tmp_path / "a.csv", tmp_path / "b.csv"
    code, text = run("score", str(files["points"]), str(files["cands"]), "--demand",
                     str(files["demand"]), "--orders", str(files["orders"]), "--month", MONTHS[0],
                     "--month", MONTHS[1], "-o", str(out_a))  # fmt: skip
    assert code == 0, text
    from_orders = json.loads(text.strip().splitlines()[-1])
    code, text = run("score", str(files["points_turnover"]), str(files["cands"]), "--demand",
                     str(files["demand"]), "-o", str(out_b))  # fmt: skip
    assert code == 0, text
    from_column = json.loads(text.strip().splitlines()[-1])
    from_orders.pop("out"), from_column.pop("out")
    assert from_orders == from_column
    # 150 points, one closed, one open throughout neither month
    assert from_orders["calibrated"] is True and from_orders["n_points"] == 148
    assert 0.6 <= from_orders["coverage"] <= 0.95 and 0 < from_orders["mdape"] < 0.7
    a, b = pd.read_csv(out_a), pd.read_csv(out_b)
    pd.testing.assert_frame_equal(a, b)
    assert (a["turnover_low_rub"] <= a["turnover_rub"]).all()
    assert (a["turnover_rub"] <= a["turnover_high_rub"]).all()
    assert (a["reward_low_rub"] <= a["reward_rub"]).all()
    assert (a["reward_rub"] <= a["reward_high_rub"]).all()


def test_too_few_points_say_not_calibrated(files: dict[str, Path], tmp_path: Path) -> None:
    few = pd.read_csv(files["points"]).head(20)
    few.to_csv(tmp_path / "few.csv", index=False)
    orders = pd.read_csv(files["orders"], dtype=str, keep_default_na=False)
    orders[orders["point_id"].isin(few["id"])].to_csv(tmp_path / "few_orders.csv", index=False)
    out = tmp_path / "out.csv"
    code, text = run("score", str(tmp_path / "few.csv"), str(files["cands"]), "--demand",
                     str(files["demand"]), "--orders", str(tmp_path / "few_orders.csv"),
                     "--month", MONTHS[1], "-o", str(out))  # fmt: skip
    assert code == 0, text
    summary = json.loads(text.strip().splitlines()[-1])
    assert summary["interval"] is None and summary["note"].startswith("not calibrated")
    assert pd.read_csv(out)[RANGE_COLS].isna().all().all()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--month", "2026-09"], "--month needs --orders"),
        (["--orders", "ORDERS"], "--orders needs --month"),
        (["--orders", "ORDERS", "--month", "2026-13"], "--month"),
        (["--orders", "nope.csv", "--month", "2026-09"], "nope.csv"),
    ],
)
def test_bad_options(files: dict[str, Path], tmp_path: Path, extra: list[str],
                     message: str) -> None:  # fmt: skip
    out = tmp_path / "out.csv"
    extra = [str(files["orders"]) if e == "ORDERS" else e for e in extra]
    code, text = run("score", str(files["points"]), str(files["cands"]), "--demand",
                     str(files["demand"]), *extra, "-o", str(out))  # fmt: skip
    assert code == 2 and message in text and not out.exists()


def test_orders_of_an_unknown_point_or_both_turnovers(files: dict[str, Path],
                                                      tmp_path: Path) -> None:  # fmt: skip
    out = tmp_path / "out.csv"
    orders = pd.read_csv(files["orders"], dtype=str, keep_default_na=False)
    orders.loc[5, "point_id"] = "NOPE"
    orders.to_csv(tmp_path / "bad.csv", index=False)
    code, text = run("score", str(files["points"]), str(files["cands"]), "--demand",
                     str(files["demand"]), "--orders", str(tmp_path / "bad.csv"), "--month",
                     "2026-09", "-o", str(out))  # fmt: skip
    assert code == 2 and "unknown point 'NOPE'" in text and "row 6" in text
    code, text = run("score", str(files["points_turnover"]), str(files["cands"]), "--demand",
                     str(files["demand"]), "--orders", str(files["orders"]), "--month",
                     "2026-09", "-o", str(out))  # fmt: skip
    assert code == 2 and "not both" in text and not out.exists()


def test_orders_as_russian_excel_saves_them_calibrate_the_same(
    files: dict[str, Path], tmp_path: Path
) -> None:
    """``--orders`` goes through the one reader: a ``;`` cp1251 file with decimal-comma
    prices and DD.MM.YYYY days gives the same calibration as the plain file."""
    orders = pd.read_csv(files["orders"], dtype=str, keep_default_na=False)
    orders["price_rub"] = orders["price_rub"].str.replace(".", ",", regex=False)
    day = orders["issued_on"]
    orders["issued_on"] = day.str[8:10] + "." + day.str[5:7] + "." + day.str[:4]
    russian = tmp_path / "orders_ru.csv"
    russian.write_bytes(orders.to_csv(index=False, sep=";").encode("cp1251"))
    summaries = []
    for path in (files["orders"], russian):
        code, text = run("score", str(files["points"]), str(files["cands"]), "--demand",
                         str(files["demand"]), "--orders", str(path), "--month", MONTHS[0],
                         "--month", MONTHS[1], "-o", str(tmp_path / "out.csv"))  # fmt: skip
        assert code == 0, text
        summaries.append(json.loads(text.strip().splitlines()[-1]))
    assert summaries[0] == summaries[1]
