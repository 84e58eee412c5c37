"""The map UI (/map) in headless Chromium against a live API with a demo network, offline."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from conftest import LiveApi, Watched, shot

from geo.geodesic import WGS84

pytestmark = pytest.mark.slow


def _open(w: Watched, api: LiveApi, key: str) -> Any:
    page = w.page
    page.goto(f"{api.url}/map")
    page.wait_for_selector("#key-dialog:not([hidden])")
    page.fill("#key-input", api.keys[key])
    page.click("#key-form button")
    page.wait_for_function("window.L && window.pvzUi && window.pvzUi.queue !== undefined")
    return page


def _goto(page: Any, lat: float, lon: float, zoom: int = 15) -> None:
    n = page.evaluate("window.pvzUi.loads")
    page.evaluate(f"void window.pvzUi.map.setView([{lat}, {lon}], {zoom}, {{animate: false}})")
    page.wait_for_function(f"window.pvzUi.loads > {n} && window.pvzUi.loaded !== undefined")
    page.wait_for_function("Object.keys(window.pvzUi.pointsById).length > 0 || true")


def _click_at(page: Any, lat: float, lon: float) -> None:
    xy = page.evaluate(f"(() => {{ const p = window.pvzUi.map.latLngToContainerPoint("
                       f"[{lat}, {lon}]); return [p.x, p.y]; }})()")  # fmt: skip
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])


def _a_point(api: LiveApi) -> Any:
    pts = api.service.store.list_points(bbox=(37.3, 55.5, 37.9, 55.95), limit=2000)
    return next(p for p in pts if p.status == "active" and p.kind == "partner")


def money(v: str) -> str:
    """The UI's money format: thousands split by narrow no-break spaces."""
    whole, _, frac = v.partition(".")
    sign = "-" if whole.startswith("-") else ""
    digits = whole.lstrip("-")
    groups = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    return sign + "\u202f".join(groups) + ("." + frac if frac else "")


def test_map_page_offline_and_conflict_with_distance(watched: Watched, live_api: LiveApi) -> None:
    page = _open(watched, live_api, "expansion")
    p = _a_point(live_api)
    lon2, lat2, _ = WGS84.fwd(p.lon, p.lat, 90.0, 120.0)
    _goto(page, p.lat, p.lon)
    page.wait_for_function(f"window.pvzUi.pointsById[{p.id!r}] !== undefined")
    _click_at(page, float(lat2), float(lon2))
    row = page.wait_for_selector(f"#check-result tr.conflict[data-id='{p.id}']")
    dist = float(row.query_selector(".dist").inner_text().split()[0])
    check = page.evaluate("window.pvzUi.lastCheck")
    exact = WGS84.inv(check["lon"], check["lat"], p.lon, p.lat)[2]
    assert abs(dist - exact) < 0.11, (dist, exact)
    assert 100 < dist < 140
    assert "Blocked" in page.inner_text("#check-result")
    page.wait_for_selector(".pvz-dist")  # the distance label on the map
    shot(page, "map_ui_conflict")
    assert watched.blocked == [], watched.blocked
    assert watched.errors == [], watched.errors


def _submit(api: LiveApi, lat: float, lon: float) -> dict[str, Any]:
    r = httpx.post(f"{api.url}/v1/applications", json={"lat": lat, "lon": lon, "kind": "partner"},
                   headers={"X-API-Key": api.keys["partner"]})  # fmt: skip
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_approve_from_queue_becomes_point(watched: Watched, live_api: LiveApi) -> None:
    lat, lon = 60.05, 100.05  # open country, far from the demo network
    app = _submit(live_api, lat, lon)
    assert app["allowed"], app
    page = _open(watched, live_api, "expansion")
    page.click(f"#queue-list li[data-id='{app['id']}']")
    page.wait_for_selector("#app-check .allowed")
    page.click("#approve")
    msg = page.wait_for_selector("#messages .msg.ok")
    assert app["id"] in msg.inner_text()
    r = httpx.get(f"{live_api.url}/v1/applications/{app['id']}",
                  headers={"X-API-Key": live_api.keys["expansion"]})  # fmt: skip
    point_id = r.json()["point_id"]
    assert r.json()["status"] == "approved" and point_id
    page.wait_for_function(f"window.pvzUi.pointsById[{point_id!r}] !== undefined")
    assert page.locator(f"#queue-list li[data-id='{app['id']}']").count() == 0
    shot(page, "map_ui_approved")
    assert watched.blocked == [] and watched.errors == []


def test_approve_conflict_shows_409(watched: Watched, live_api: LiveApi) -> None:
    p = _a_point(live_api)
    lon2, lat2, _ = WGS84.fwd(p.lon, p.lat, 0.0, 150.0)
    app = _submit(live_api, float(lat2), float(lon2))
    assert not app["allowed"]
    page = _open(watched, live_api, "expansion")
    page.click(f"#queue-list li[data-id='{app['id']}']")
    page.wait_for_selector("#app-check tr.conflict")
    page.click("#approve")
    msg = page.wait_for_selector("#messages .msg.conflict")
    text = msg.inner_text()
    assert "409" in text and app["id"] in text and p.id in text
    shot(page, "map_ui_409")
    assert watched.blocked == []
    # the browser logs the failed request itself; nothing else may error
    assert all("409" in e for e in watched.errors), watched.errors


def test_bad_key_is_reported_and_asked_again(watched: Watched, live_api: LiveApi) -> None:
    page = watched.page
    page.goto(f"{live_api.url}/map")
    page.fill("#key-input", "not-a-key")
    page.click("#key-form button")
    page.wait_for_selector("#messages .msg")
    assert "401" in page.inner_text("#messages")
    page.wait_for_selector("#key-dialog:not([hidden])")


def test_settlement_search_cyrillic_and_latin(watched: Watched, live_api: LiveApi) -> None:
    page = _open(watched, live_api, "expansion")
    for query, expect in (("Казан", "Kazan"), ("novosib", "Новосибирск")):
        page.fill("#search", query)
        item = page.wait_for_selector("#search-results li")
        assert expect in item.inner_text()
    item.click()
    page.wait_for_function("Math.abs(window.pvzUi.map.getCenter().lat - 55.04) < 0.2")
    assert page.evaluate("window.pvzUi.whitespace") in (True, False)
    assert watched.blocked == []


def test_application_score_and_white_space_layer(watched: Watched, live_api: LiveApi) -> None:
    p = _a_point(live_api)
    lon2, lat2, _ = WGS84.fwd(p.lon, p.lat, 45.0, 2000.0)
    app = _submit(live_api, float(lat2), float(lon2))
    assert app["expected_turnover_rub"] is not None and app["score"] is not None, app
    page = _open(watched, live_api, "expansion")
    page.wait_for_function("window.pvzUi.scoring === true && window.pvzUi.whitespace === true")
    page.click(f"#queue-list li[data-id='{app['id']}']")
    score = page.wait_for_selector("#app-check .score").inner_text()
    assert f"expected turnover, RUB: {money(app['expected_turnover_rub'])}" in score, score
    assert f"expected reward, RUB: {money(app['expected_reward_rub'])}" in score, score
    # the white-space layer is offered now that GET /v1/whitespace exists; turn it on
    page.evaluate("void window.pvzUi.map.setView([55.75, 37.62], 8, {animate: false})")
    page.locator(".leaflet-control-layers label", has_text="White space").locator("input").check()
    page.wait_for_function("window.pvzUi.whiteZones > 0", timeout=20_000)
    drawn = page.evaluate("window.pvzUi.map.hasLayer(window.pvzUi.whiteLayer) && "
                          "window.pvzUi.whiteLayer.getLayers().length")  # fmt: skip
    assert drawn == page.evaluate("window.pvzUi.whiteZones") > 0
    shot(page, "map_ui_score_whitespace")
    assert watched.blocked == [] and watched.errors == [], (watched.blocked, watched.errors)


def test_national_view_shows_density_cells(watched: Watched, live_api: LiveApi) -> None:
    page = _open(watched, live_api, "expansion")
    n = page.evaluate("window.pvzUi.loads")
    page.evaluate("void window.pvzUi.map.setView([62, 95], 3, {animate: false})")
    page.wait_for_function(f"window.pvzUi.loads > {n} && window.pvzUi.density > 0")
    drawn = page.evaluate("window.pvzUi.densityLayer.getLayers().length")
    assert drawn == page.evaluate("window.pvzUi.density") > 0
    tip = page.evaluate("window.pvzUi.densityLayer.getLayers()[0].getTooltip().getContent()")
    assert re.fullmatch(r"[\d\s\u00a0\u202f,]+ points \([\d\s\u00a0\u202f,]+ live\)", tip), tip
    shot(page, "map_ui_density")
    _goto(page, 55.75, 37.62, 10)  # zoomed in past the threshold: cells go, points come
    assert page.evaluate("window.pvzUi.densityLayer.getLayers().length") == 0
    assert watched.blocked == [] and watched.errors == [], (watched.blocked, watched.errors)
