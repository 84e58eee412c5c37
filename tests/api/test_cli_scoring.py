"""``pvz score``, ``pvz whitespace``, ``pvz plan`` end to end, and bad input (exit 2, no output)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from api import cli
from geo.geodesic import WGS84, distance_m

cli._load_commands()
runner = CliRunner()
#: these tests read pvz's English messages (Russian is the default: test_cli_language.py)
pytestmark = pytest.mark.usefixtures("english_cli")

CENTRE = (55.7520, 37.6175)  # Moscow: 500 m tier


def run(*args: str) -> tuple[int, str]:
    res = runner.invoke(cli.app, list(args))
    return res.exit_code, res.output


def at(az: float, d: float) -> tuple[float, float]:
    lon2, lat2, _ = WGS84.fwd(CENTRE[1], CENTRE[0], az, d)
    return round(float(lat2), 9), round(float(lon2), 9)


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    pts = pd.DataFrame(
        [
            ("A", *at(0, 0), "partner", "active", 40, True, 2, 4.8, 900_000),
            ("B", *at(90, 3000), "own", "active", 80, False, 0, 4.2, 700_000),
            ("C", *at(200, 4000), "partner", "active", 30, True, 1, 4.5, 500_000),
            ("D", *at(300, 3500), "partner", "paused", 55, False, 3, 3.9, 400_000),
            ("Z", *at(180, 100), "partner", "closed", 40, False, 0, 4.0, ""),
        ],
        columns=["id", "lat", "lon", "kind", "status", "area_m2", "waiting_zone",
                 "fitting_rooms", "rating", "turnover_rub"],
    )  # fmt: skip
    cands = pd.DataFrame(
        [("c1", *at(0, 300)), ("c2", *at(45, 1500)), ("c3", *at(50, 1700)),
         ("c4", *at(135, 2500)), ("c5", *at(270, 2000)), ("c6", *at(10, 6000))],
        columns=["id", "lat", "lon"],
    )  # fmt: skip
    n = 400
    az = rng.uniform(0, 360, n)
    dist = rng.uniform(0, 7000, n)
    lon2, lat2, _ = WGS84.fwd(np.full(n, CENTRE[1]), np.full(n, CENTRE[0]), az, dist)
    dem = pd.DataFrame({"id": [f"d{i}" for i in range(n)], "lat": lat2, "lon": lon2,
                        "weight": rng.uniform(1, 10, n).round(3)})  # fmt: skip
    paths = {"points": tmp_path / "points.csv", "cands": tmp_path / "cands.csv",
             "demand": tmp_path / "demand.csv"}  # fmt: skip
    pts.to_csv(paths["points"], index=False)
    cands.to_csv(paths["cands"], index=False)
    dem.to_csv(paths["demand"], index=False)
    return paths


def test_plan_end_to_end(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "plan.csv"
    code, text = run("plan", str(files["points"]), str(files["cands"]),
                     "--demand", str(files["demand"]), "--k", "3",
                     "--service-radius-m", "1500", "-o", str(out))  # fmt: skip
    assert code == 0, text
    summary = json.loads(text.strip().splitlines()[-1])
    table = pd.read_csv(out)
    assert list(table.columns[:2]) == ["id", "order"]
    assert "c1" not in set(table["id"])  # 300 m from A: blocked
    assert not {"c2", "c3"} <= set(table["id"])  # 280 m apart: never both
    assert summary["covered_added"] == pytest.approx(table["added_demand"].sum(), abs=1e-4)
    assert summary["covered_after"] == pytest.approx(
        summary["covered_before"] + summary["covered_added"], abs=1e-4
    )
    assert summary["covered_before"] > 0 and summary["n_existing"] == 4  # Z is closed
    assert summary["gap"] == 0.0 and summary["optimal"] is True
    assert summary["exact_status"] == "optimal" and summary["exact_error"] is None
    assert 0 < summary["share_before"] < summary["share"] <= 1
    assert (np.diff(table["added_demand"]) <= 1e-9).all()


def _plan(files: dict[str, Path], out: Path, *extra: str) -> tuple[int, str, dict]:
    args = ["plan", str(files["points"]), str(files["cands"]), "--demand", str(files["demand"]),
            "--k", "3", "--service-radius-m", "1500", "-o", str(out), *extra]  # fmt: skip
    res = runner.invoke(cli.app, args)
    lines = res.stdout.strip().splitlines()
    return res.exit_code, res.output, json.loads(lines[-1]) if lines else {}


def test_plan_existing_points_options(files: dict[str, Path], tmp_path: Path) -> None:
    _, _, counted = _plan(files, tmp_path / "a.csv")
    code, text, green = _plan(files, tmp_path / "b.csv", "--ignore-existing")
    assert code == 0, text
    assert green["existing"] == "ignored" and green["covered_before"] == 0.0
    assert green["n_existing"] == 0
    # greenfield maximises all demand: at least what the counted plan's sites cover in total
    assert green["covered_added"] >= counted["covered_added"] - 1e-6
    assert "c1" not in set(pd.read_csv(tmp_path / "b.csv")["id"])  # still blocked
    code, text, own = _plan(files, tmp_path / "c.csv", "--serving-kinds", "own",
                            "--serving-statuses", "active")  # fmt: skip
    assert code == 0, text
    assert own["n_existing"] == 1 and 0 < own["covered_before"] < counted["covered_before"]
    code, text, _ = _plan(files, tmp_path / "d.csv", "--serving-kinds", "kiosk")
    assert code == 2 and "--serving-kinds" in text and not (tmp_path / "d.csv").exists()


def test_plan_keeps_the_heuristic_when_the_solver_fails(
    files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import planning.selection as selection

    def crash(*args: object, **kwargs: object) -> dict:
        raise selection.ExactModelError("the solver process died (signal 11)")

    monkeypatch.setattr(selection, "_run_milp", crash)
    out = tmp_path / "plan.csv"
    code, text, summary = _plan(files, out, "--exact", "always")
    assert code == 0, text
    assert summary["exact_status"] == "error" and "signal 11" in summary["exact_error"]
    assert summary["gap"] is None and summary["bound"] is None and summary["optimal"] is None
    assert summary["method"].startswith("greedy") and summary["n_chosen"] > 0
    table = pd.read_csv(out)
    assert len(table) == summary["n_chosen"]
    assert "warning: the exact model failed" in text


def test_score_end_to_end_with_calibration(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "scores.geojson"
    code, text = run("score", str(files["points"]), str(files["cands"]),
                     "--demand", str(files["demand"]), "-o", str(out))  # fmt: skip
    assert code == 0, text
    summary = json.loads(text.strip().splitlines()[-1])
    assert summary["calibrated"] is True and summary["n_points"] == 4
    df = gpd.read_file(out).set_index("id")
    assert not df.loc["c1", "allowed"] and df.loc["c1", "blocker_id"] == "A"
    assert df.loc["c1", "blocker_distance_m"] == pytest.approx(300.0, abs=0.01)
    assert df.loc["c2", "allowed"]
    np.testing.assert_allclose(df["reward_rub"], 0.05 * df["turnover_rub"], atol=0.02)
    np.testing.assert_allclose(df["new_demand_rub"] + df["cannibalized_rub"], df["turnover_rub"],
                               atol=0.05)  # fmt: skip


def test_whitespace_end_to_end(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "ws.geojson"
    code, text = run("whitespace", str(files["points"]), "--demand", str(files["demand"]),
                     "--reach-m", "1000", "-o", str(out))  # fmt: skip
    assert code == 0, text
    zones = gpd.read_file(out)
    assert len(zones) > 0 and zones["rank"].tolist() == list(range(1, len(zones) + 1))
    d = distance_m(CENTRE[0], CENTRE[1], zones["best_lat"], zones["best_lon"])
    assert (d >= 1000).all()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--k", "0"], "--k"),
        (["--service-radius-m", "-5"], "--service-radius-m"),
        (["--service-radius-m", "nan"], "--service-radius-m"),
        (["--exact", "maybe"], "--exact"),
        (["-o", "OUT.txt"], "unsupported output"),
        (["--demand", "MISSING.csv"], "file not found"),
        (["--demand", "BADLAT"], "lat"),
        (["--demand", "BADWEIGHT"], "weight"),
        (["--demand", "NOCOLS"], "missing required"),
        (["POINTS=BAD"], "lat"),
    ],
)
def test_plan_bad_input(
    files: dict[str, Path], tmp_path: Path, args: list[str], message: str
) -> None:
    base = {"--demand": str(files["demand"]), "--k": "3", "--service-radius-m": "1500",
            "-o": str(tmp_path / "plan.csv")}  # fmt: skip
    points = str(files["points"])
    bad_demand = pd.read_csv(files["demand"])
    special = {
        "BADLAT": bad_demand.assign(lat=[91.0] + list(bad_demand["lat"][1:])),
        "BADWEIGHT": bad_demand.assign(weight=["x"] + list(bad_demand["weight"][1:])),
        "NOCOLS": bad_demand.drop(columns=["lat"]),
    }
    it = iter(args)
    for key in it:
        if key == "POINTS=BAD":
            p = pd.read_csv(files["points"])
            p.loc[2, "lat"] = 123.0
            points = str(tmp_path / "badpoints.csv")
            p.to_csv(points, index=False)
            continue
        val = next(it)
        if val in special:
            path = tmp_path / f"{val}.csv"
            special[val].to_csv(path, index=False)
            val = str(path)
        elif val.endswith((".csv", ".txt")):
            val = str(tmp_path / val)
        base[key] = val
    flat = [x for kv in base.items() for x in kv]
    code, text = run("plan", points, str(files["cands"]), *flat)
    assert code == 2, text
    assert message in text
    assert not Path(base["-o"]).exists()


@pytest.mark.parametrize(
    ("cmd", "extra", "message"),
    [
        ("score", ["--reach-m", "0"], "--reach-m"),
        ("score", ["--decay", "gauss"], "--decay"),
        ("score", ["--reward-rate", "2"], "--reward-rate"),
        ("whitespace", ["--bbox", "1,2,3"], "--bbox"),
        ("whitespace", ["--bbox", "10,60,20,50"], "--bbox"),
        ("whitespace", ["--reach-m", "60000"], "--reach-m"),
    ],
)
def test_score_and_whitespace_bad_input(
    files: dict[str, Path], tmp_path: Path, cmd: str, extra: list[str], message: str
) -> None:
    suffix = ".csv" if cmd == "score" else ".geojson"
    out = tmp_path / f"out{suffix}"
    args = [cmd, str(files["points"])]
    if cmd == "score":
        args.append(str(files["cands"]))
    code, text = run(*args, "--demand", str(files["demand"]), *extra, "-o", str(out))
    assert code == 2, text
    assert message in text
    assert not out.exists()


def test_score_bad_turnover(files: dict[str, Path], tmp_path: Path) -> None:
    p = pd.read_csv(files["points"])
    p["turnover_rub"] = p["turnover_rub"].astype(object)
    p.loc[1, "turnover_rub"] = "lots"
    bad = tmp_path / "p.csv"
    p.to_csv(bad, index=False)
    out = tmp_path / "s.csv"
    code, text = run("score", str(bad), str(files["cands"]), "--demand", str(files["demand"]),
                     "-o", str(out))  # fmt: skip
    assert code == 2 and "turnover_rub" in text and "row 2" in text
    assert not out.exists()


def _as_russian_excel(src: Path, dst: Path) -> Path:
    """``src`` as Russian Excel saves it: ';'-separated, decimal commas, cp1251."""
    df = pd.read_csv(src, dtype=str, keep_default_na=False)
    for col in ("lat", "lon", "weight"):
        if col in df:
            df[col] = df[col].str.replace(".", ",", regex=False)
    df.to_csv(dst, sep=";", index=False, encoding="cp1251")
    return dst


def test_plan_reads_every_file_as_russian_excel_saves_it(
    files: dict[str, Path], tmp_path: Path
) -> None:
    """plan's points, candidates and demand: detected dialect, or --sep/--encoding given."""
    _, _, plain = _plan(files, tmp_path / "plain.csv")
    ru = {k: _as_russian_excel(files[k], tmp_path / f"ru_{k}.csv")
          for k in ("points", "cands", "demand")}  # fmt: skip
    for extra in ((), ("--sep", ";", "--encoding", "cp1251")):
        out = tmp_path / f"ru{len(extra)}.csv"
        code, text, got = _plan(ru, out, *extra)
        assert code == 0, text
        assert got["covered_after"] == pytest.approx(plain["covered_after"], abs=1e-9)
        assert pd.read_csv(out)["id"].tolist() == pd.read_csv(tmp_path / "plain.csv")["id"].tolist()
    # the options reach the demand file too: a wrong separator is refused by its name
    code, text, _ = _plan({**files, "demand": ru["demand"]}, tmp_path / "x.csv", "--sep", ",")
    assert code == 2 and "demand" in text and not (tmp_path / "x.csv").exists()


def test_score_demand_file_read_with_the_same_options(
    files: dict[str, Path], tmp_path: Path
) -> None:
    base = ["score", str(files["points"]), str(files["cands"]), "--no-calibrate"]
    code, text = run(*base, "--demand", str(files["demand"]), "-o", str(tmp_path / "a.csv"))
    assert code == 0, text
    ru = _as_russian_excel(files["demand"], tmp_path / "ru_demand.csv")
    code, text = run(*base, "--demand", str(ru), "--encoding", "cp1251",
                     "-o", str(tmp_path / "b.csv"))  # fmt: skip
    assert code == 0, text
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "a.csv"), pd.read_csv(tmp_path / "b.csv"))
