"""Offline and hardened pages (issue 13): /docs from vendored Swagger UI with the network
blocked, security headers on /map and /docs, the map UI's CSP with a tile server, and a
hostile id in every layer of /map clicked in Chromium."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import LiveApi, Watched
from fastapi.testclient import TestClient

from api.app import create_app
from api.pages import csp_for, tile_origin
from api.settings import Settings
from data.store import Point

XSS = "<img src=x onerror=window.__xss=1>"
XSS2 = "\"'><svg onload=window.__xss=2>"
HERE = (61.0000, 100.0000)  # far from the demo network (Moscow region)


def _headers_ok(r: httpx.Response, path: str) -> None:
    assert r.headers["x-content-type-options"] == "nosniff", path
    assert r.headers["referrer-policy"] == "no-referrer", path
    assert r.headers["x-frame-options"] == "DENY", path
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, path
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0], path


def test_security_headers_on_map_and_docs(live_api: LiveApi) -> None:
    for path in ["/map", "/docs", "/docs/init.js", "/map/static/ui/app.js",
                 "/docs/static/swagger-ui-bundle.js", "/map/config.json"]:  # fmt: skip
        r = httpx.get(live_api.url + path, timeout=30)
        assert r.status_code == 200, path
        _headers_ok(r, path)
    assert "cdn" not in httpx.get(live_api.url + "/docs", timeout=30).text.lower()
    # the API's own answers are left as they were (the hot path pays nothing)
    r = httpx.get(live_api.url + "/health", timeout=30)
    assert "content-security-policy" not in r.headers


def test_tile_origin_and_csp() -> None:
    assert tile_origin("https://tile.openstreetmap.org/{z}/{x}/{y}.png") == (
        "https://tile.openstreetmap.org"
    )
    assert tile_origin("https://{s}.tile.example.org/{z}/{x}/{y}.png") == (
        "https://*.tile.example.org"
    )
    assert tile_origin("http://127.0.0.1:8081/t/{z}/{x}/{y}.png") == "http://127.0.0.1:8081"
    assert tile_origin("") is None and tile_origin("none") is None
    csp = csp_for("/map", "https://tiles.example.com/{z}/{x}/{y}.png")
    assert "img-src 'self' data: blob: https://tiles.example.com;" in csp
    assert "tiles.example.com" not in csp_for("/docs", "https://tiles.example.com/{z}/{x}/{y}.png")


def test_map_csp_follows_the_tile_setting(tmp_path: Any) -> None:
    url = "https://{s}.tiles.example.net/{z}/{x}/{y}.png"
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/x.db", tile_url=url))
    with TestClient(app) as client:
        csp = client.get("/map").headers["content-security-policy"]
        assert "img-src 'self' data: blob: https://*.tiles.example.net;" in csp
        assert client.get("/map/config.json").json()["tile_url"] == url


def test_docs_work_offline_in_chromium(strict: Watched, live_api: LiveApi) -> None:
    """Swagger UI renders every operation with the network blocked (only loopback), and
    nothing breaks the page's CSP (a violation is a console error)."""
    watched = strict
    page = watched.page
    page.goto(live_api.url + "/docs")
    page.wait_for_selector(".opblock-summary", timeout=60_000)
    assert page.locator(".opblock").count() >= 11
    assert "pvz-planner" in page.locator(".title").first.inner_text()
    assert watched.blocked == [], watched.blocked
    assert watched.errors == [], watched.errors


class _Tiles(http.server.BaseHTTPRequestHandler):
    PNG = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8cf00000301010018dd8db00000000049454e44ae426082"
    )
    hits = 0

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        type(self).hits += 1
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(self.PNG)))
        self.end_headers()
        self.wfile.write(self.PNG)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def tile_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Tiles)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/tiles/{{z}}/{{x}}/{{y}}.png"
    server.shutdown()
    server.server_close()


def test_map_tiles_load_under_the_csp(strict: Watched, live_api: LiveApi, tile_server: str) -> None:
    """``PVZ_TILE_URL`` still works under the CSP: the page's tiles come from the tile
    server the setting names (on another origin than the page), and the page runs with
    no CSP violation."""
    watched = strict
    settings = live_api.service.settings
    old = settings.tile_url
    app_tile = tile_server.replace("127.0.0.1", "localhost")  # another origin than the API
    settings.tile_url = app_tile
    try:
        page = watched.page
        page.goto(f"{live_api.url}/map")
        page.wait_for_selector("#key-dialog:not([hidden])")
        page.fill("#key-input", live_api.keys["expansion"])
        page.click("#key-form button")
        page.wait_for_selector("img.leaflet-tile-loaded", state="attached", timeout=60_000)
        page.wait_for_selector(".leaflet-interactive, canvas", state="attached")
    finally:
        settings.tile_url = old
    assert _Tiles.hits > 0
    assert not [e for e in watched.errors if "Content Security Policy" in e], watched.errors


def _open_map(w: Watched, api: LiveApi) -> Any:
    page = w.page
    page.goto(f"{api.url}/map")
    page.wait_for_selector("#key-dialog:not([hidden])")
    page.fill("#key-input", api.keys["expansion"])
    page.click("#key-form button")
    page.wait_for_function("window.L && window.pvzUi && window.pvzUi.queue !== undefined "
                           "&& window.pvzUi.done === window.pvzUi.loads")  # fmt: skip
    return page


def _screen(page: Any, lat: float, lon: float) -> tuple[float, float]:
    xy = page.evaluate(f"(() => {{ const p = window.pvzUi.map.latLngToContainerPoint("
                       f"[{lat}, window.pvzUi.near({lon})]); return [p.x, p.y]; }})()")  # fmt: skip
    box = page.locator("#map").bounding_box()
    return box["x"] + xy[0], box["y"] + xy[1]


def _no_markup(page: Any, selector: str) -> str:
    html = " ".join(e.inner_html() for e in page.query_selector_all(selector))
    assert "<img" not in html and "<svg" not in html, html
    return " ".join(e.inner_text() for e in page.query_selector_all(selector))


@pytest.mark.slow
def test_map_ui_hostile_ids_are_text(watched: Watched, live_api: LiveApi) -> None:
    """Points with hostile ids and settlement in the /map UI: the browse popup, the
    violation line's tooltip, the check result and the blockers' labels show them as
    text; a real click runs nothing."""
    from geo.geodesic import WGS84

    lon_b, lat_b, _ = WGS84.fwd(HERE[1], HERE[0], 0.0, 200.0)
    live_api.service.store.seed_points(
        [Point(id=XSS, lat=HERE[0], lon=HERE[1], radius_m=500.0, settlement=XSS2),
         Point(id=XSS2, lat=float(lat_b), lon=float(lon_b), radius_m=500.0)],
        actor="test", reason="hostile ids",
    )  # fmt: skip
    live_api.service.sync(force=True)
    page = _open_map(watched, live_api)
    n = page.evaluate("window.pvzUi.loads")
    page.evaluate(f"void window.pvzUi.map.setView([{HERE[0]}, {HERE[1]}], 16, {{animate: false}})")
    page.wait_for_function(f"window.pvzUi.loads > {n} && window.pvzUi.done === window.pvzUi.loads")
    page.wait_for_function(f"window.pvzUi.pointsById[{XSS!r}] !== undefined")
    # browse: a real click on the point opens its popup
    page.check("input[name=mode][value=browse]")
    page.mouse.click(*_screen(page, *HERE))
    page.wait_for_selector(".leaflet-popup-content")
    text = _no_markup(page, ".leaflet-popup-content")
    assert XSS in text and XSS2 in text  # the id and the settlement
    # the violations layer: its line's tooltip, shown by hovering the line
    page.evaluate("void window.pvzUi.map.closePopup()")
    page.evaluate("void window.pvzUi.map.addLayer(window.pvzUi.violLayer)")
    page.wait_for_function("window.pvzUi.violLayer.getLayers().length > 0")
    # our pair's line among the layer's lines (by its tooltip), its tooltip opened
    found = page.evaluate(
        """(id) => { let n = 0; window.pvzUi.violLayer.eachLayer(l => {
        const t = l.getTooltip && l.getTooltip();
        if (t && String(t.getContent()).includes(id)) { l.openTooltip(); n++; } });
        return n; }""",
        "window.__xss=1",
    )
    assert found == 1
    page.wait_for_selector(".leaflet-tooltip")
    text = _no_markup(page, ".leaflet-tooltip")
    assert XSS in text and XSS2 in text
    page.evaluate("void window.pvzUi.map.removeLayer(window.pvzUi.violLayer)")
    # check mode: a click 300 m east is blocked by both; the result and the labels
    page.check("input[name=mode][value=check]")
    lon_c, lat_c, _ = WGS84.fwd(HERE[1], HERE[0], 90.0, 300.0)
    page.mouse.click(*_screen(page, float(lat_c), float(lon_c)))
    page.wait_for_selector("#check-result tr.conflict")
    text = _no_markup(page, "#check-result")
    assert XSS in text and XSS2 in text
    page.wait_for_selector(".leaflet-tooltip.pvz-dist")
    text = _no_markup(page, ".leaflet-tooltip.pvz-dist")
    assert XSS in text
    assert page.evaluate("window.__xss") is None
    assert watched.blocked == [] and watched.errors == [], watched.errors
