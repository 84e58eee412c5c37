"""The vendored map assets (Leaflet, Leaflet.heat, the Natural Earth outline) and their inlining.

Everything a map needs lives under ``maps/static``: ``vendor/`` holds the npm
dist files with their licences (refreshed by ``scripts/vendor-leaflet.sh``),
``js/`` and ``css/`` our own code. :func:`inline_head` returns one HTML
fragment with all scripts and styles inlined (CSS images as data URIs), so a
page that uses it loads nothing from the network.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from pathlib import Path
from typing import Any

__all__ = [
    "CORE_CSS",
    "CORE_JS",
    "STATIC_DIR",
    "VENDOR_DIR",
    "inline_head",
    "load_outline",
    "read_asset",
]

STATIC_DIR = Path(__file__).resolve().parent / "static"
VENDOR_DIR = STATIC_DIR / "vendor"

#: scripts every map needs, in load order (paths relative to ``STATIC_DIR``)
CORE_JS = (
    "vendor/leaflet/leaflet.js",
    "vendor/leaflet.heat/leaflet-heat.js",
    "js/pvz-geo.js",
    "js/pvz-canvas.js",
)
#: stylesheets every map needs
CORE_CSS = ("vendor/leaflet/leaflet.css", "css/pvz-map.css")

_URL_RE = re.compile(r"url\((['\"]?)([^)'\"]+)\1\)")


def read_asset(rel: str) -> str:
    """The text of a static asset (path relative to ``maps/static``)."""
    return (STATIC_DIR / rel).read_text(encoding="utf-8")


def _data_uri(path: Path) -> str:
    mime = {".png": "image/png", ".svg": "image/svg+xml"}.get(
        path.suffix, "application/octet-stream"
    )
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _inline_css(rel: str) -> str:
    base = (STATIC_DIR / rel).parent

    def repl(m: re.Match[str]) -> str:
        url = m.group(2)
        if url.startswith(("data:", "#")):
            return m.group(0)
        target = base / url
        if not target.is_file():  # never leave a reference that the browser would fetch
            return "url()"
        return f'url("{_data_uri(target)}")'

    return _URL_RE.sub(repl, read_asset(rel))


def _script(text: str) -> str:
    return "<script>\n" + text.replace("</script", "<\\/script") + "\n</script>"


@functools.lru_cache(maxsize=4)
def inline_head(extra_js: tuple[str, ...] = (), extra_css: tuple[str, ...] = ()) -> str:
    """One HTML fragment with the core (and extra) styles and scripts inlined."""
    css = [f"<style>\n{_inline_css(rel)}\n</style>" for rel in (*CORE_CSS, *extra_css)]
    js = [_script(read_asset(rel)) for rel in (*CORE_JS, *extra_js)]
    return "\n".join(css + js)


@functools.lru_cache(maxsize=1)
def load_outline() -> dict[str, Any]:
    """The offline base layer: Natural Earth country outlines (GeoJSON, EPSG:4326).

    Russia at 1:50m (``role == "russia"``), other countries at 1:110m; public
    domain data via the npm package world-atlas (ISC). Longitudes below -100
    are shifted by +360 (Chukotka drawn beside the rest of Russia).
    """
    data: dict[str, Any] = json.loads(read_asset("vendor/world-atlas/outline.geojson"))
    return data
