"""``pvz check``, ``pvz audit``, ``pvz demo`` end to end, and every bad-input case."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from typer.testing import CliRunner

from api import cli
from data.places import load_places
from geo.geodesic import WGS84
from geo.settlements import SettlementLookup

cli._load_commands()
runner = CliRunner()
#: these tests read pvz's English messages (Russian is the default: test_cli_language.py)
pytestmark = pytest.mark.usefixtures("english_cli")


def run(*args: str) -> tuple[int, str]:
    res = runner.invoke(cli.app, list(args))
    return res.exit_code, res.output


def at(lat: float, lon: float, az: float, d: float) -> tuple[float, float]:
    lon2, lat2, _ = WGS84.fwd(lon, lat, az, d)
    return round(float(lat2), 9), round(float(lon2), 9)


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    a = (55.7520, 37.6175)  # Moscow: 500 m
    pts = pd.DataFrame(
        [
            ("A", *a, None, "partner", "active"),
            ("B", *at(*a, 90, 2000), None, "own", "active"),
            ("Z", *at(*a, 180, 100), None, "partner", "closed"),
            ("Y", 65.0, 179.9999, 1000.0, "partner", "active"),  # Chukotka, on the antimeridian
        ],
        columns=["id", "lat", "lon", "radius_m", "kind", "status"],
    )
    cands = pd.DataFrame(
        [
            ("c1", *at(*a, 0, 300), None, None),  # 300 m from A: blocked
            ("c2", *at(*a, 0, 700), None, None),  # 700 m: allowed (500 m tier)
            ("c3", *at(*a, 0, 700), 1000.0, None),  # its own 1 km radius reaches A
            ("c4", *at(*a, 0, 50), None, "postamat"),  # postamats are never blocked
            ("c5", *at(65.0, 179.9999, 90, 500), None, None),  # across the antimeridian
        ],
        columns=["id", "lat", "lon", "radius_m", "kind"],
    )
    assert cands.loc[4, "lon"] < 0  # really on the other side
    pts.to_csv(tmp_path / "points.csv", index=False)
    cands.to_csv(tmp_path / "cands.csv", index=False)
    return {"points": tmp_path / "points.csv", "cands": tmp_path / "cands.csv", "dir": tmp_path}


def test_check_csv(files: dict[str, Path]) -> None:
    out = files["dir"] / "out.csv"
    code, text = run("check", str(files["points"]), str(files["cands"]), "-o", str(out))
    assert code == 0, text
    df = pd.read_csv(out, dtype={"conflict_ids": str}, keep_default_na=False)
    assert list(df.columns) == ["id", "allowed", "radius_m", "settlement",
                                "settlement_population", "n_conflicts", "nearest_id",
                                "nearest_distance_m", "conflict_ids"]  # fmt: skip
    got = df.set_index("id")
    assert got["allowed"].tolist() == [False, True, False, True, False]
    assert got.loc["c1", "nearest_id"] == "A"
    assert float(got.loc["c1", "nearest_distance_m"]) == pytest.approx(300, abs=1e-3)
    assert got.loc["c3", "radius_m"] == 1000
    assert got.loc["c5", "conflict_ids"] == "Y"
    assert float(got.loc["c5", "nearest_distance_m"]) == pytest.approx(500, abs=1e-3)
    assert "5 candidates checked against 3 live points: 2 allowed, 3 blocked" in text
    assert "(5 rows written)" in text
    # the settlement that decided each radius (Moscow, named as the lookup names it);
    # open country by the antimeridian
    moscow = SettlementLookup(load_places()).locate([55.7520], [37.6175])
    assert got.loc["c1", "settlement"] == moscow.name[0]
    assert int(got.loc["c1", "settlement_population"]) == moscow.population[0] > 10_000_000
    assert (got.loc["c5", "settlement"], int(got.loc["c5", "settlement_population"])) == ("", 0)


def test_messages_count_what_was_written(files: dict[str, Path]) -> None:
    pd.read_csv(files["cands"]).head(1).to_csv(files["cands"], index=False)
    out = files["dir"] / "one.csv"
    code, text = run("check", str(files["points"]), str(files["cands"]), "-o", str(out))
    assert code == 0, text
    assert "1 candidate checked against 3 live points: 0 allowed, 1 blocked" in text
    assert text.strip().endswith("(1 row written)") and len(pd.read_csv(out)) == 1
    code, text = run("audit", str(files["points"]), "-o", str(out))
    assert code == 0, text
    assert "3 live points audited: 0 violating pairs" in text and "(0 rows written)" in text


CHUKOTKA_TOWN = {"type": "Feature", "properties": {"name": "Эгвекинот", "population": "3 000"},
                 "geometry": {"type": "Polygon", "coordinates": [[[179.9, 64.9], [-179.9, 64.9],
                              [-179.9, 65.1], [179.9, 65.1], [179.9, 64.9]]]}}  # fmt: skip


def test_check_with_boundaries_across_the_antimeridian(files: dict[str, Path]) -> None:
    d = files["dir"]
    (d / "b.geojson").write_text(json.dumps({"type": "FeatureCollection",
                                             "features": [CHUKOTKA_TOWN]}))  # fmt: skip
    far = pd.DataFrame([("n", 65.0, 40.0, None, None)],
                       columns=["id", "lat", "lon", "radius_m", "kind"])  # fmt: skip
    pd.concat([pd.read_csv(files["cands"]), far]).to_csv(d / "c2.csv", index=False)
    out = d / "out.csv"
    code, text = run("check", str(files["points"]), str(d / "c2.csv"), "-o", str(out),
                     "--boundaries", str(d / "b.geojson"))  # fmt: skip
    assert code == 0, text
    got = pd.read_csv(out, keep_default_na=False).set_index("id")
    assert got.loc["c5", "settlement"] == "Эгвекинот"  # at -179.99 E, across 180 from 179.9 E
    assert int(got.loc["c5", "settlement_population"]) == 3000
    assert (got.loc["n", "settlement"], int(got.loc["n", "settlement_population"])) == ("", 0)
    assert got.loc["n", "radius_m"] == 1000


@pytest.mark.parametrize(
    ("props", "fragment"),
    [
        ({"name": "Эгвекинот", "population": "abc"},
         "row 1, column 'population': not a whole number of people: 'abc' (feature 'Эгвекинот')"),
        ({"name": "Эгвекинот", "population": -1}, "row 1, column 'population': must be >= 0"),
        ({"name": "", "population": 1}, "row 1, column 'name': the name is empty"),
        ({"name": "Эгвекинот"}, "missing required column(s): population"),
    ],
)  # fmt: skip
def test_bad_boundaries_exit_2(files: dict[str, Path], props: dict[str, object],
                               fragment: str) -> None:  # fmt: skip
    d = files["dir"]
    bad = d / "bad.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection",
                               "features": [{**CHUKOTKA_TOWN, "properties": props}]}))  # fmt: skip
    out = d / "out.csv"
    code, output = run("check", str(files["points"]), str(files["cands"]), "-o", str(out),
                       "--boundaries", str(bad))  # fmt: skip
    assert code == 2, output
    assert output.startswith(f"error: {bad}") and fragment in output, output
    assert "Traceback" not in output and not out.exists()


def test_server_refuses_to_start_with_bad_boundaries(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings
    from data.errors import InputError

    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {**CHUKOTKA_TOWN, "properties": {"name": "Эгвекинот", "population": "abc"}}]}))  # fmt: skip
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'pvz.db'}", boundaries_path=bad)
    with (
        pytest.raises(InputError, match="row 1, column 'population'"),
        TestClient(create_app(settings)),
    ):
        pass


def test_check_geojson_and_gpkg_inputs(files: dict[str, Path]) -> None:
    d = files["dir"]
    pts = pd.read_csv(files["points"])
    gpd.GeoDataFrame(pts.drop(columns=["lat", "lon"]),
                     geometry=gpd.points_from_xy(pts["lon"], pts["lat"]),
                     crs="EPSG:4326").to_file(d / "points.gpkg")  # fmt: skip
    out = d / "out.geojson"
    code, text = run("check", str(d / "points.gpkg"), str(files["cands"]), "-o", str(out))
    assert code == 0, text
    fc = json.loads(out.read_text())
    assert len(fc["features"]) == 5
    assert fc["features"][0]["properties"]["allowed"] is False


def test_audit(files: dict[str, Path]) -> None:
    d = files["dir"]
    pts = pd.read_csv(files["points"])
    extra = pd.DataFrame([("X", *at(55.7520, 37.6175, 45, 250), None, "partner", "paused")],
                         columns=pts.columns)  # fmt: skip
    pd.concat([pts, extra]).to_csv(d / "p2.csv", index=False)
    code, text = run("audit", str(d / "p2.csv"), "-o", str(d / "audit.csv"))
    assert code == 0, text
    df = pd.read_csv(d / "audit.csv")
    assert df[["a_id", "b_id"]].values.tolist() == [["A", "X"]]
    assert df["distance_m"][0] == pytest.approx(250, abs=1e-3)
    assert df["radius_m"][0] == 500


def test_demo_and_check_round(tmp_path: Path) -> None:
    code, _ = run("demo", "-o", str(tmp_path / "d.csv"), "--n", "300", "--violations", "2")
    assert code == 0
    code, text = run("audit", str(tmp_path / "d.csv"), "-o", str(tmp_path / "a.csv"))
    assert code == 0, text
    # each planted point lands inside at least one live point's radius
    n_pairs = int(text.split(": ")[-1].split(" violating")[0])
    assert n_pairs >= 2


BAD = [
    ("id,lat\n1,55\n", "missing required column(s): lon"),
    ("id,lat,lon\n1,nan,37\n", "row 1, column 'lat'"),
    ("id,lat,lon\n1,91,37\n", "row 1, column 'lat'"),
    ("id,lat,lon\n1,55,181\n", "row 1, column 'lon'"),
    ("id,lat,lon\n1,55,37\n1,55,38\n", "row 2, column 'id': duplicate id"),
    ("", "the file is empty"),
    ("id,lat,lon\n", "the table has no rows"),
]


@pytest.mark.parametrize(("text", "fragment"), BAD)
@pytest.mark.parametrize("which", ["points", "cands"])
def test_bad_input_exit_2_no_output(
    files: dict[str, Path], text: str, fragment: str, which: str
) -> None:
    files[which].write_text(text)
    out = files["dir"] / "out.csv"
    code, output = run("check", str(files["points"]), str(files["cands"]), "-o", str(out))
    assert code == 2
    assert fragment in output and str(files[which]) in output
    assert "Traceback" not in output
    assert "warning" not in output  # latitude 91 is its row's error, not a row outside Russia
    assert not out.exists()
    assert sorted(p.name for p in files["dir"].iterdir()) == ["cands.csv", "points.csv"]


def test_wrong_format_and_policy(files: dict[str, Path]) -> None:
    d = files["dir"]
    (d / "p.txt").write_text("id,lat,lon\n")
    code, output = run("check", str(d / "p.txt"), str(files["cands"]), "-o", str(d / "o.csv"))
    assert code == 2 and "unsupported file type '.txt'" in output
    (d / "bad.toml").write_text("tiers = 5")
    code, output = run("audit", str(files["points"]), "-o", str(d / "o.csv"), "--policy",
                       str(d / "bad.toml"))  # fmt: skip
    assert code == 2 and "not a valid protection policy" in output
    assert not (d / "o.csv").exists()


def test_console_script_help() -> None:
    res = subprocess.run([sys.executable, "-c", "from api.cli import main; main()", "--help"],
                         capture_output=True, text=True, check=False)  # fmt: skip
    assert res.returncode == 0
    for name in ("check", "audit", "demo"):
        assert name in res.stdout


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_refuses_bad_boundaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      workers: str) -> None:  # fmt: skip
    from api.settings import get_settings

    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {**CHUKOTKA_TOWN, "properties": {"name": "Эгвекинот", "population": -7}}]}))  # fmt: skip
    monkeypatch.setenv("PVZ_BOUNDARIES_PATH", str(bad))
    monkeypatch.setenv("PVZ_DATABASE_URL", f"sqlite:///{tmp_path / 'pvz.db'}")
    get_settings.cache_clear()
    try:
        code, output = run("serve", "--port", "1", "--workers", workers)
    finally:
        get_settings.cache_clear()
    assert code == 2, output
    assert output.startswith(f"error: {bad}, row 1, column 'population': must be >= 0, got -7")


# --- files as Russian users have them; swapped coordinates (#16) ---


def _russian_excel(src: Path, dst: Path) -> Path:
    """The same table as Russian Excel saves it: ';', decimal commas, cp1251, Russian names."""
    df = pd.read_csv(src, dtype=str, keep_default_na=False)
    df = df.rename(columns={"id": "Код", "lat": "Широта", "lon": "Долгота"})
    for c in ("Широта", "Долгота", "radius_m"):
        df[c] = df[c].str.replace(".", ",", regex=False)
    dst.write_bytes(df.to_csv(index=False, sep=";").encode("cp1251"))
    return dst


def test_check_russian_excel_csv_and_xlsx_like_plain(files: dict[str, Path]) -> None:
    d = files["dir"]
    code, _ = run("check", str(files["points"]), str(files["cands"]), "-o", str(d / "a.csv"))
    assert code == 0
    pts = _russian_excel(files["points"], d / "pts_ru.csv")
    cands = _russian_excel(files["cands"], d / "cands_ru.csv")
    code, output = run("check", str(pts), str(cands), "-o", str(d / "b.csv"))
    assert code == 0, output
    pd.read_csv(files["cands"], dtype=str).to_excel(d / "cands.xlsx", index=False)
    code, output = run("check", str(files["points"]), str(d / "cands.xlsx"), "-o",
                       str(d / "c.csv"))  # fmt: skip
    assert code == 0, output
    a = pd.read_csv(d / "a.csv", dtype=str)
    pd.testing.assert_frame_equal(a, pd.read_csv(d / "b.csv", dtype=str))
    pd.testing.assert_frame_equal(a, pd.read_csv(d / "c.csv", dtype=str))


def _swapped(files: dict[str, Path]) -> Path:
    pts = pd.read_csv(files["points"], dtype=str, keep_default_na=False)
    pts = pts[pts["id"] != "Y"].rename(columns={"lat": "lon", "lon": "lat"})
    path = files["dir"] / "swapped.csv"
    pts.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    "args",
    [
        ("check", "{pts}", "{cands}", "-o", "{out}.csv"),
        ("audit", "{pts}", "-o", "{out}.csv"),
        ("map", "{pts}", "--region", "Москва", "--tiles", "none", "-o", "{out}.html"),
    ],
)
def test_swapped_coordinates_exit_2(files: dict[str, Path], args: tuple[str, ...]) -> None:
    pts, out = _swapped(files), files["dir"] / "out"
    argv = [a.format(pts=pts, cands=files["cands"], out=out) for a in args]
    code, output = run(*argv)
    assert code == 2, output
    assert "swapped" in output and str(pts) in output and "--allow-outside" in output
    assert not list(files["dir"].glob("out*"))
    if argv[0] == "audit":  # a network abroad is still possible
        code, output = run(*argv, "--allow-outside")
        assert code == 0, output


# --- a CLI as fast end to end as its kernels (#16): import only what a command needs ---

HEAVY = ("folium", "fastapi", "starlette", "uvicorn", "data.store", "api.service", "api.app",
         "maps.planner", "pulp", "h3", "openpyxl", "osmium")  # fmt: skip


def _modules_after(argv: list[str]) -> tuple[int, set[str], str]:
    code = (
        "import json, sys\n"
        "from api.cli import main\n"
        f"sys.argv = ['pvz', *{argv!r}]\n"
        "try:\n    main()\n    rc = 0\n"
        "except SystemExit as exc:\n    rc = exc.code or 0\n"
        "print('@@' + json.dumps([rc, sorted(sys.modules)]))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False)  # fmt: skip
    rc, mods = json.loads(res.stdout.rsplit("@@", 1)[1])
    return rc, set(mods), res.stdout + res.stderr


def test_help_imports_no_command() -> None:
    rc, mods, out = _modules_after(["--help"])
    assert rc == 0 and "check" in out and "settlements" in out
    assert not {"pandas", "numpy", "geopandas", "numba", *HEAVY} & mods


def test_check_imports_no_web_no_maps_no_store(files: dict[str, Path]) -> None:
    out = files["dir"] / "o.csv"
    rc, mods, text = _modules_after(["check", str(files["points"]), str(files["cands"]),
                                     "-o", str(out)])  # fmt: skip
    assert rc == 0, text
    assert out.exists()
    assert not {*HEAVY, "geopandas"} & mods


def test_lazy_command_table_matches_the_commands() -> None:
    import typer

    group = typer.main.get_command(cli.app)
    commands = group.commands  # type: ignore[attr-defined]
    real = {n: c for n, c in commands.items() if c.callback is not cli._stub}
    assert set(real) == set(cli.COMMANDS)
    for name, cmd in real.items():
        first = " ".join((cmd.help or "").split("\n\n")[0].split())
        assert cli.COMMANDS[name][1] == first, name
        module = cmd.callback.__module__ if cmd.callback else ""
        assert name == "settlements" or module == cli.COMMANDS[name][0]


def test_rows_outside_russia_warned_with_row_numbers(files: dict[str, Path]) -> None:
    pts = pd.read_csv(files["points"], dtype=str, keep_default_na=False)
    pts.loc[len(pts)] = ["PARIS", "48.85", "2.35", "", "partner", "active"]
    pts.to_csv(files["points"], index=False)
    code, output = run("audit", str(files["points"]), "-o", str(files["dir"] / "o.csv"))
    assert code == 0, output
    assert "warning:" in output and "outside Russia (rows 5)" in output
    code, output = run("audit", str(files["points"]), "-o", str(files["dir"] / "o.csv"),
                       "--allow-outside")  # fmt: skip
    assert code == 0 and "warning" not in output
