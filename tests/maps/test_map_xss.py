"""Outputs that are safe to open (issue 13): a hostile id in every layer of ``pvz map``
is shown as text, never run, when its feature is clicked in Chromium (no network)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from conftest import Watched
from shapely.geometry import box

from maps.planner import build_map, save_map

XSS_A = "<img src=x onerror=window.__xss=1>"
XSS_B = '"><svg onload=window.__xss=2>'
XSS_C = "<img src=x onerror=window.__xss=3>"
XSS_S = "<b onmouseover=window.__xss=4>Town</b>"
A = (55.7500, 37.6000)
B = (55.7520, 37.6000)  # 222 m north of A: a violating pair
C = (55.7600, 37.6300)


def _hostile_map(tmp_path: Path) -> Path:
    points = pd.DataFrame({"id": [XSS_A, XSS_B], "lat": [A[0], B[0]], "lon": [A[1], B[1]],
                           "radius_m": [500.0, 500.0], "settlement": [XSS_S, XSS_S]})  # fmt: skip
    cand = pd.DataFrame({"id": [XSS_C], "lat": [C[0]], "lon": [C[1]]})
    zones = gpd.GeoDataFrame({"rank": [1], "demand": [1000.0], "n_cells": [3],
                              "area_km2": [2.2], "best_lat": [55.70], "best_lon": [37.50],
                              "best_site_demand": [800.0]},
                             geometry=[box(37.45, 55.68, 37.55, 55.72)],
                             crs="EPSG:4326")  # fmt: skip
    m = build_map(points, candidates=cand, audit=True, whitespace=zones, demand=False)
    assert m.drawn["audit_pairs"] == 1
    path = tmp_path / "hostile.html"
    save_map(m, path)
    return path


def _click(page: Any, lat: float, lon: float) -> str:
    page.evaluate("document.querySelectorAll('.leaflet-popup').forEach(e => e.remove())")
    xy = page.evaluate(f"(() => {{ const c = window._m.latLngToContainerPoint([{lat}, {lon}]);"
                       " return [c.x, c.y]; })()")  # fmt: skip
    page.mouse.click(xy[0], xy[1])
    popup = page.wait_for_selector(".leaflet-popup-content")
    html: str = popup.inner_html()
    text: str = popup.inner_text()
    assert "<img" not in html and "<svg" not in html and "<b onmouseover" not in html, html
    return text


def test_hostile_ids_are_text_in_every_layer(watched: Watched, tmp_path: Path) -> None:
    """Points, candidates, audit lines, white-space zones: the popups show the hostile ids
    and settlement as text; clicking them runs nothing (``window.__xss`` stays unset)."""
    page = watched.page
    page.goto(_hostile_map(tmp_path).as_uri())
    page.wait_for_function("window.pvzLayers && window.pvzLayers.length >= 4")
    page.evaluate(
        "(() => { const m = Object.values(window).find(v => v instanceof L.Map);"
        f" window._m = m; m.setView([{A[0]}, {A[1]}], 15, {{animate: false}}); }})()"
    )
    text = _click(page, *A)  # a point: its id and settlement
    assert XSS_A in text and XSS_S in text
    # the audit line, clicked half way between A and B
    text = _click(page, (A[0] + B[0]) / 2, A[1])
    assert XSS_A in text and XSS_B in text and "Нарушение" in text  # pvz map is Russian by default
    page.evaluate(f"void window._m.setView([{C[0]}, {C[1]}], 15, {{animate: false}})")
    text = _click(page, *C)  # a candidate
    assert XSS_C in text
    page.evaluate("void window._m.setView([55.70, 37.50], 13, {animate: false})")
    text = _click(page, 55.70, 37.50)  # a white-space zone
    assert "1" in text
    assert page.evaluate("window.__xss") is None
    assert watched.blocked == [] and watched.errors == []
