"""Planner HTML maps: content, the CLI, and the page in headless Chromium with no network."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import Watched, shot
from typer.testing import CliRunner

from api.cli import _load_commands, app
from data.boundaries import settlements_from_polygon_file
from geo.geodesic import WGS84
from maps.encoding import encode_column
from maps.planner import build_map, region_bbox, save_map
from planning.demo import demo_network
from planning.protection import ProtectionPolicy

_EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//|"""
                       r"""@import|<link[^>]+stylesheet[^>]+http""", re.I)  # fmt: skip


@pytest.fixture(scope="module")
def network() -> pd.DataFrame:
    return demo_network(3000, seed=11, violations=7)


@pytest.fixture(scope="module")
def map_file(tmp_path_factory: pytest.TempPathFactory, network: pd.DataFrame) -> Path:
    cand = network.sample(40, random_state=3).reset_index(drop=True)
    cand = cand.assign(id="C" + cand["id"], lat=cand["lat"] + 0.004)[["id", "lat", "lon"]]
    cand["turnover_rub"] = np.linspace(1e5, 9e5, len(cand))
    m = build_map(network, candidates=cand, audit=True)
    path = tmp_path_factory.mktemp("maps") / "map.html"
    save_map(m, path)
    return path


def test_html_is_self_contained(map_file: Path) -> None:
    html = map_file.read_text()
    # leaflet's attribution link to leafletjs.com is a link, not a load; nothing else may be
    loads = [m.group(0) for m in _EXTERNAL.finditer(html) if "leafletjs.com" not in
             html[m.start():m.start() + 60]]  # fmt: skip
    assert loads == []
    assert "cdn.jsdelivr" not in html and "code.jquery" not in html and "bootstrapcdn" not in html
    assert "L.pvz.points" in html and "L.heatLayer" in html


def test_legend_numbers_are_readable(map_file: Path, network: pd.DataFrame) -> None:
    # planners read "ожидаемый оборот, ₽/мес.: 100 000 ₽ – 260 000 ₽" (Russian by default),
    # not "1e+05 – 2.6e+05"
    html = map_file.read_text()
    assert re.search(r"ожидаемый оборот, ₽/мес\.: \d{1,3}(\u00a0\d{3})+\u00a0₽ – "
                     r"\d{1,3}(\u00a0\d{3})+\u00a0₽", html)  # fmt: skip
    assert not re.search(r"оборот[^\"]*\de\+0", html)
    for words in ("Точки (тип · статус)", "партнёрский ПВЗ · работает", "Кандидаты",
                  "Нарушения (аудит)", "Зоны защиты геодезические", "Пункт выдачи",
                  "населённый пункт", "радиус, м", '"locale":"ru-RU"'):  # fmt: skip
        assert words in html, words
    assert "Pickup point" not in html and "kind · status" not in html


def test_english_switch(network: pd.DataFrame) -> None:
    cand = network.head(30).assign(id=lambda d: "C" + d["id"], lat=lambda d: d["lat"] + 0.004)
    cand = cand[["id", "lat", "lon"]].assign(turnover_rub=np.linspace(1e5, 9e5, 30))
    html = build_map(network.head(500), candidates=cand, audit=True, demand=False,
                     lang="en").get_root().render()  # fmt: skip
    assert re.search(r"expected turnover, RUB/month: RUB \d{1,3}(,\d{3})+ – RUB", html)
    for words in ("Points (kind · status)", "partner · active", "Pickup point", "radius, m",
                  '"locale":"en-GB"', "Protection circles are geodesic"):  # fmt: skip
        assert words in html, words
    assert "Точки" not in html and "работает" not in html
    with pytest.raises(ValueError, match="language"):
        build_map(network.head(5), demand=False, lang="de")  # type: ignore[arg-type]


def test_russian_number_formats() -> None:
    from maps.labels import fmt_money, fmt_num

    assert fmt_num(1234567.5, "ru", 1) == "1\u00a0234\u00a0567,5"
    assert fmt_num(1234567.5, "en", 1) == "1,234,567.5"
    assert fmt_num(500.0) == "500" and fmt_num(-0.2) == "0" and fmt_num(float("nan")) == ""
    assert fmt_money(219_000) == "219\u00a0000\u00a0₽" and fmt_money(219_000, "en") == "RUB 219,000"


def test_encoding_columns() -> None:
    ids = encode_column("id", [f"P{i:06d}" for i in range(100)])
    assert ids["enc"] == "idnum" and ids["prefix"] == "P" and ids["width"] == 6
    cats = encode_column("kind", ["partner", "own"] * 50)
    assert cats["enc"] == "codes" and cats["values"] == ["partner", "own"]
    free = encode_column("name", [f"x{i}y" for i in range(100)])
    assert free["enc"] == "list"
    flags = encode_column("w", [True, False, None, float("nan")] * 20)
    assert flags["values"] == ["yes", "no", ""]


def test_region_bbox_cyrillic_latin_and_unknown() -> None:
    a, b = region_bbox("Казань"), region_bbox("kazan")
    assert a == b and a[0] < 49.1 < a[2] and a[1] < 55.8 < a[3]
    from data.errors import InputError

    with pytest.raises(InputError, match="no settlement"):
        region_bbox("Atlantis")


def test_opens_offline_with_all_features(watched: Watched, map_file: Path,
                                         network: pd.DataFrame) -> None:  # fmt: skip
    page = watched.page
    page.goto(map_file.as_uri())
    page.wait_for_function("window.L && window.pvzLayers && window.pvzLayers.length >= 4")
    layers = page.evaluate("window.pvzLayers.map(l => [l.options.name, l.count(), l.drawn])")
    by = {name.split(" (")[0]: (n, drawn) for name, n, drawn in layers}
    assert by["Точки"] == (len(network), len(network))
    assert by["Нарушения"][0] >= 7 and by["Нарушения"][1] == by["Нарушения"][0]
    assert by["Кандидаты"] == (40, 40)
    assert page.evaluate("typeof L.heatLayer") == "function"
    shot(page, "planner_map_national")
    assert watched.blocked == [], watched.blocked
    assert watched.errors == [], watched.errors


def test_popup_and_geodesic_circles(watched: Watched, map_file: Path,
                                    network: pd.DataFrame) -> None:  # fmt: skip
    page = watched.page
    page.goto(map_file.as_uri())
    page.wait_for_function("window.pvzLayers && window.pvzLayers.length >= 4")
    p = network[network["status"] == "active"].iloc[0]
    page.evaluate(
        "(() => { const m = Object.values(window).find(v => v instanceof L.Map);"
        f" window._m = m; m.setView([{p.lat}, {p.lon}], 15, {{animate: false}}); }})()"
    )
    pts = "window.pvzLayers.find(l => l.options.name.startsWith('Точки'))"
    assert page.evaluate(f"{pts}.circlesDrawn") > 0
    # the JS geodesic circle agrees with pyproj's Geod.fwd to a millimetre
    for az in (0.0, 45.0, 90.0, 200.0):
        got = page.evaluate(f"PvzGeo.direct({p.lat}, {p.lon}, {az}, {p.radius_m})")
        lon2, lat2, _ = WGS84.fwd(p.lon, p.lat, az, p.radius_m)
        assert WGS84.inv(got[1], got[0], lon2, lat2)[2] < 1e-3
    xy = page.evaluate(f"(() => {{ const c = window._m.latLngToContainerPoint([{p.lat}, "
                       f"{p.lon}]); return [c.x, c.y]; }})()")  # fmt: skip
    page.mouse.click(xy[0], xy[1])
    popup = page.wait_for_selector(".leaflet-popup-content")
    text = popup.inner_text()
    assert str(p["id"]) in text and str(p["settlement"]) in text and "радиус" in text
    # Russian labels and number formats: a decimal comma, a Russian date
    assert "статус" in text and ("работает" in text or "приостановлен" in text), text
    assert f"\t{p['area_m2']:g}".replace(".", ",") in text, text
    assert re.search(r"\d{4} г\.", text), text
    shot(page, "planner_map_zoomed")
    assert watched.blocked == [] and watched.errors == []


def test_chukotka_across_the_antimeridian() -> None:
    df = pd.DataFrame({"id": ["E", "W"], "lat": [64.73, 64.73], "lon": [177.5, -178.0],
                       "radius_m": [1000.0, 1000.0]})  # fmt: skip
    m = build_map(df, bbox=(170.0, 60.0, -170.0, 70.0), demand=False)
    bounds = m.to_dict()  # renders without error; both points kept by the wrapped box
    assert bounds
    html = m.get_root().render()
    assert '"n":2' in html


runner = CliRunner()


@pytest.mark.usefixtures("english_cli")  # the messages in English (Russian: test_cli_language)
def test_cli_writes_map_and_rejects_bad_input(tmp_path: Path, network: pd.DataFrame) -> None:
    _load_commands()
    pts = tmp_path / "pts.csv"
    network.to_csv(pts, index=False)
    out = tmp_path / "kazan.html"
    r = runner.invoke(app, ["map", str(pts), "--region", "Kazan", "--audit", "--no-demand",
                            "-o", str(out)])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert out.stat().st_size > 100_000
    import re

    drawn = re.search(r"([\d,]+) of ([\d,]+) points drawn in Kazan", r.output)
    assert drawn is not None, r.output
    assert 0 < int(drawn[1].replace(",", "")) < int(drawn[2].replace(",", "")) == len(network)
    assert "audit conflicts" in r.output
    r = runner.invoke(app, ["map", str(pts), "--bbox", "100,60,100.01,60.01", "--no-demand",
                            "--tiles", "none", "-o", str(tmp_path / "none.html")])  # fmt: skip
    assert r.exit_code == 0 and f"0 of {len(network):,} points drawn in the bbox" in r.output
    assert "no point lies in the bbox" in r.output
    for args, msg in (
        (["--region", "Atlantis"], "no settlement"),
        (["--bbox", "1,2,3"], "bbox"),
        (["--region", "Kazan", "--bbox", "40,50,41,51"], "either"),
        (["--whitespace", str(tmp_path / "missing.geojson")], "not found"),
    ):
        r = runner.invoke(app, ["map", str(pts), *args, "-o", str(tmp_path / "x.html")])
        assert r.exit_code == 2 and msg in r.output, (args, r.output)
    r = runner.invoke(app, ["map", str(pts), "-o", str(tmp_path / "x.png")])
    assert r.exit_code == 2 and "html" in r.output
    assert not (tmp_path / "x.html").exists()


def test_whitespace_layer_from_zones(tmp_path: Path, network: pd.DataFrame) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    zones = gpd.GeoDataFrame({"rank": [1, 2], "demand": [1000.0, 500.0], "n_cells": [3, 1],
                              "area_km2": [2.2, 0.7], "best_lat": [55.75, 55.8],
                              "best_lon": [37.6, 37.7], "best_site_demand": [800.0, 500.0]},
                             geometry=[box(37.55, 55.7, 37.65, 55.8), box(37.68, 55.78, 37.72,
                                                                          55.82)],
                             crs="EPSG:4326")  # fmt: skip
    m = build_map(network, whitespace=zones, demand=False, policy=ProtectionPolicy())
    html = m.get_root().render()
    assert "Белые пятна (2)" in html and "спрос лучшего места" in html
    html = build_map(network, whitespace=zones, demand=False, lang="en").get_root().render()
    assert "White space (2 zones)" in html and "best site demand" in html


def _points_blob(m: Any) -> dict[str, Any]:
    from maps.layers import PointsCanvas

    layers = [c for c in m._children.values() if isinstance(c, PointsCanvas)]
    assert len(layers) == 1
    return json.loads(layers[0].blob_json)


def _decode(spec: dict[str, Any]) -> list[str]:
    if spec["enc"] == "codes":
        codes = np.frombuffer(base64.b64decode(spec["data"]), dtype=f"<u{spec['width']}")
        return [spec["values"][c] for c in codes]
    assert spec["enc"] == "list"
    return list(spec["data"])


def test_protection_circles_for_live_points_without_radius_column() -> None:
    """No radius_m column (the normal case): every live point still gets its tier circle;
    postamats and closed points get none."""
    moscow, chukotka = (55.7520, 37.6175), (65.0, 179.95)
    df = pd.DataFrame(
        [
            ("p", *moscow, "partner", "active"),  # Moscow, 10 M people: 500 m
            ("o", 55.76, 37.63, "own", "paused"),  # paused still protects
            ("m", 55.77, 37.64, "postamat", "active"),  # postamats protect nothing
            ("c", 55.78, 37.65, "partner", "closed"),  # closed ones neither
            ("n", 62.0, 100.0, None, None),  # open country, default kind and status: 1000 m
            ("e", *chukotka, "partner", "active"),
        ],
        columns=["id", "lat", "lon", "kind", "status"],
    )
    m = build_map(df, demand=False)
    radius = _decode(_points_blob(m)["radius"])
    assert radius == ["500", "500", "", "", "1000", "1000"]
    # the popup shows the same radius
    html = m.get_root().render()
    assert "радиус, м" in html


def test_protection_circles_given_radius_and_boundaries(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import Polygon

    from data.places import load_places

    town = Polygon([(179.9, 64.9), (-179.9, 64.9), (-179.9, 65.1), (179.9, 65.1)])
    big = Polygon([(39.0, 64.0), (41.0, 64.0), (41.0, 66.0), (39.0, 66.0)])
    gpd.GeoDataFrame(
        {"name": ["Эгвекинот", "Город"], "population": [3000, 150_000]},
        geometry=[town, big],
        crs="EPSG:4326",
    ).to_file(tmp_path / "b.gpkg")
    look = settlements_from_polygon_file(load_places(), tmp_path / "b.gpkg")
    df = pd.DataFrame(
        [
            ("g", 65.0, 40.0, None, "partner", "active"),  # inside Город (150 k): 700 m
            ("r", 65.0, 40.1, 800.0, "partner", "active"),  # a contract radius wins
            ("x", 65.0, 40.2, 800.0, "postamat", "active"),  # but postamats draw nothing
            ("w", 65.0, -179.95, None, "own", "active"),  # west of 180, in the town: 1000 m
        ],
        columns=["id", "lat", "lon", "radius_m", "kind", "status"],
    )
    m = build_map(df, demand=False, settlements=look)
    assert _decode(_points_blob(m)["radius"]) == ["700", "800", "", "1000"]
    strict = ProtectionPolicy(protecting_statuses=["active"], protecting_kinds=["own"])
    m = build_map(df, demand=False, settlements=look, policy=strict)
    assert _decode(_points_blob(m)["radius"]) == ["", "", "", "1000"]


def test_cli_map_draws_tier_circles(tmp_path: Path) -> None:
    _load_commands()
    pts = tmp_path / "pts.csv"
    pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "lat": [55.75, 55.76, 55.77],
            "lon": [37.61, 37.62, 37.63],
            "kind": ["partner", "postamat", "own"],
            "status": ["active", "active", "closed"],
        }
    ).to_csv(pts, index=False)
    out = tmp_path / "m.html"
    r = runner.invoke(app, ["map", str(pts), "--no-demand", "-o", str(out)])
    assert r.exit_code == 0, r.output
    html = out.read_text()
    blob = json.loads(re.search(r"L\.pvz\.points\((\{.*?\}), \{\"name\"", html).group(1))
    assert _decode(blob["radius"]) == ["500", "", ""]


def test_cli_tiles_default_none_and_custom(tmp_path: Path, network: pd.DataFrame) -> None:
    _load_commands()
    pts = tmp_path / "pts.csv"
    network.head(200).to_csv(pts, index=False)
    runs = {
        "default": [],
        "none": ["--tiles", "none"],
        "custom": ["--tiles", "https://tiles.example.org/{z}/{x}/{y}.png", "--attribution",
                   "© Example"],
    }  # fmt: skip
    html = {}
    for name, args in runs.items():
        out = tmp_path / f"{name}.html"
        r = runner.invoke(app, ["map", str(pts), "--no-demand", *args, "-o", str(out)])
        assert r.exit_code == 0, r.output
        html[name] = out.read_text(encoding="utf-8")
    assert "tile.openstreetmap.org/{z}/{x}/{y}.png" in html["default"]
    assert "OpenStreetMap contributors" in html["default"]
    assert "tile.openstreetmap.org" not in html["none"]
    assert "tiles.example.org/{z}/{x}/{y}.png" in html["custom"]
    assert "\\u00a9 Example" in html["custom"] or "© Example" in html["custom"]
    for text in html.values():  # the outline stays, under the tiles
        assert '"outline"' in text


def test_cli_lang_option_and_setting(tmp_path: Path, network: pd.DataFrame,
                                     monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from api.settings import get_settings

    _load_commands()
    pts = tmp_path / "pts.csv"
    network.head(100).to_csv(pts, index=False)
    out = tmp_path / "m.html"
    args = ["map", str(pts), "--no-demand", "--tiles", "none", "-o", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    assert "Пункт выдачи" in out.read_text(encoding="utf-8")
    assert runner.invoke(app, [*args, "--lang", "en"]).exit_code == 0
    assert "Pickup point" in out.read_text(encoding="utf-8")
    monkeypatch.setenv("PVZ_LANGUAGE", "en")
    get_settings.cache_clear()
    try:
        assert runner.invoke(app, args).exit_code == 0
        assert "Pickup point" in out.read_text(encoding="utf-8")
    finally:
        monkeypatch.delenv("PVZ_LANGUAGE")
        get_settings.cache_clear()
    r = runner.invoke(app, [*args, "--lang", "de"])
    assert r.exit_code == 2 and "--lang" in r.output


def test_many_points_painted_as_pixels(watched: Watched, tmp_path: Path) -> None:
    # past 20,000 points in view the layer writes the canvas pixels directly (national view)
    n = 21_000
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"id": [f"P{i:06d}" for i in range(n)], "lat": rng.uniform(50, 60, n),
                       "lon": rng.uniform(30, 60, n), "kind": "own",
                       "status": "active"})  # fmt: skip
    path = tmp_path / "many.html"
    save_map(build_map(df, demand=False), path)
    page = watched.page
    page.goto(path.as_uri())
    page.wait_for_function("window.pvzLayers && window.pvzLayers.some(l => l.pixelPainted)")
    layer = "window.pvzLayers.find(l => l.pixelPainted)"
    assert page.evaluate(f"{layer}.drawn") == n
    # the pixel under a point has its class colour (own: #2ca02c)
    rgb = page.evaluate(f"""(() => {{ const l = {layer}, j = 0;
        const dpr = window.devicePixelRatio || 1, c = l._canvas.getContext('2d');
        const d = c.getImageData(Math.round(l._vx[j] * dpr), Math.round(l._vy[j] * dpr), 1, 1);
        return Array.from(d.data); }})()""")  # fmt: skip
    assert rgb == [0x2C, 0xA0, 0x2C, 255], rgb
    assert watched.errors == []


def _statuses_frame() -> pd.DataFrame:
    # Cherepovets, 3 kinds x 3 statuses, 300 m apart
    rows = []
    for i, kind in enumerate(("partner", "own", "postamat")):
        for j, status in enumerate(("active", "paused", "closed")):
            rows.append({"id": f"{kind}-{status}", "lat": 59.12 + 0.0027 * i,
                         "lon": 37.90 + 0.0052 * j, "kind": kind, "status": status})  # fmt: skip
    return pd.DataFrame(rows)


def test_scale_metric_only_label_inside_the_bar(watched: Watched, tmp_path: Path) -> None:
    # `pvz map --region Череповец`: no miles or feet, and "500 м" never spills over its bar
    path = tmp_path / "cher.html"
    save_map(build_map(_statuses_frame(), region="Череповец", demand=False), path)
    page = watched.page
    page.goto(path.as_uri())
    page.wait_for_function("window.pvzLayers && window.pvzLayers.length >= 1")
    seen = set()
    for zoom in range(4, 19):
        lines = page.evaluate(
            "(z) => { const m = Object.values(window).find(v => v instanceof L.Map);"
            " m.setView([59.1259, 37.9094], z, {animate: false});"
            " return Array.from(document.querySelectorAll('.leaflet-control-scale-line'))"
            ".map(l => [l.textContent, l.clientWidth, l.scrollWidth]); }", zoom)  # fmt: skip
        assert len(lines) == 1, (zoom, lines)
        label, width, needed = lines[0]
        assert re.fullmatch(r"\d+ (м|км)", label), (zoom, label)
        assert needed <= width, (zoom, lines)
        seen.add(label)
    assert "500 м" in seen or "300 м" in seen
    assert watched.errors == []
    en = tmp_path / "cher_en.html"
    save_map(build_map(_statuses_frame(), region="Череповец", demand=False, lang="en"), en)
    page.goto(en.as_uri())
    page.wait_for_function("window.pvzLayers && window.pvzLayers.length >= 1")
    label = page.text_content(".leaflet-control-scale-line")
    assert label is not None and re.fullmatch(r"\d+ (m|km)", label), label


def test_status_looks_distinct_and_legend_as_markers(watched: Watched, tmp_path: Path) -> None:
    # paused: hollow (white centre, ring of the kind's colour); closed: grey centre outlined
    # in the kind's colour; active: the kind's colour. Legend swatches the same way.
    path = tmp_path / "statuses.html"
    save_map(build_map(_statuses_frame(), region="Череповец", demand=False), path)
    page = watched.page
    page.goto(path.as_uri())
    page.wait_for_function("window.pvzLayers && window.pvzLayers.length >= 1")
    page.evaluate("(() => { const m = Object.values(window).find(v => v instanceof L.Map);"
                  " m.setView([59.1227, 37.9052], 16, {animate: false}); })()")  # fmt: skip
    layer = "window.pvzLayers.find(l => l.options.name.startsWith('Точки'))"
    page.wait_for_function(f"{layer}.drawn === 9")
    classes = page.evaluate(f"{layer}.data.classes")
    looks = {c["label"]: (c["color"], c.get("stroke"), bool(c.get("hollow"))) for c in classes}
    assert len(set(looks.values())) == 9, looks
    # the pixel at each marker's centre and just inside its ring
    px = page.evaluate(f"""(() => {{ const l = {layer}, dpr = window.devicePixelRatio || 1;
        const c = l._canvas.getContext('2d'), out = {{}};
        for (let j = 0; j < l.drawn; j++) {{
          const i = l._vis[j], at = (dx) => Array.from(c.getImageData(
            Math.round((l._vx[j] + dx) * dpr), Math.round(l._vy[j] * dpr), 1, 1).data).slice(0, 3);
          out[l.data.classes[l.data.cls[i]].label] = [at(0), at(l.options.size)];
        }}
        return out; }})()""")  # fmt: skip

    def rgb(h: str) -> list[int]:
        return [int(h[k : k + 2], 16) for k in (1, 3, 5)]

    kinds = {"партнёрский ПВЗ": "#1f77b4", "собственный ПВЗ": "#2ca02c", "постамат": "#9467bd"}
    for kind, colour in kinds.items():
        assert px[f"{kind} · работает"][0] == rgb(colour), px
        assert px[f"{kind} · приостановлен"][0] == [255, 255, 255], px
        assert px[f"{kind} · закрыт"][0] == rgb("#b0b0b0"), px
        for status in ("приостановлен", "закрыт"):  # the ring: the kind's colour
            ring = px[f"{kind} · {status}"][1]
            assert max(abs(a - b) for a, b in zip(ring, rgb(colour), strict=True)) < 40, (
                kind, status, ring)  # fmt: skip
    rows = page.eval_on_selector_all(
        ".pvz-legend .row", "rs => rs.map(r => [r.textContent, getComputedStyle("
        "r.querySelector('.sw')).backgroundColor, getComputedStyle(r.querySelector('.sw'))"
        ".borderTopColor])")  # fmt: skip
    legend = {label: (bg, border) for label, bg, border in rows}

    def css(h: str) -> str:
        r, g, b = rgb(h)
        return f"rgb({r}, {g}, {b})"

    for kind, colour in kinds.items():
        assert legend[f"{kind} · приостановлен"] == ("rgb(255, 255, 255)", css(colour))
        assert legend[f"{kind} · закрыт"] == (css("#b0b0b0"), css(colour))
        assert legend[f"{kind} · работает"][0] == css(colour)
    shot(page, "planner_map_statuses")
    assert watched.errors == []


def test_popup_yes_no_not_true(tmp_path: Path) -> None:
    # a CSV with gaps reads waiting_zone as object True/False/NaN; text and 0/1 too
    from maps.labels import bool_label
    from maps.planner import _facts

    df = pd.DataFrame({"id": ["a", "b", "c"], "waiting_zone": [True, None, False]})
    df.to_csv(tmp_path / "p.csv", index=False)
    read = pd.read_csv(tmp_path / "p.csv")
    assert read["waiting_zone"].dtype == object
    for frame in (read, df.astype({"waiting_zone": bool}),
                  pd.DataFrame({"id": ["a", "b"], "waiting_zone": ["true", "FALSE"]}),
                  pd.DataFrame({"id": ["a", "b"], "waiting_zone": [1.0, 0.0]})):  # fmt: skip
        got = _facts(frame, ["waiting_zone"], "ru")["waiting_zone"].tolist()
        assert got[0] == "да" and got[-1] == "нет", got
        assert _facts(frame, ["waiting_zone"], "en")["waiting_zone"].tolist()[-1] == "no"
    assert pd.isna(_facts(read, ["waiting_zone"], "ru")["waiting_zone"].tolist()[1])
    assert (bool_label(np.bool_(True), "en"), bool_label("нет"), bool_label(2)) == (
        "yes", "нет", None)  # fmt: skip
    # a number column stays a number
    rating = pd.DataFrame({"id": ["a"], "rating": [1.0]})
    assert _facts(rating, ["rating"], "ru")["rating"].tolist() == [1.0]
