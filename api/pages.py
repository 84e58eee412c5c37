"""Offline and hardened pages: ``/docs`` from vendored Swagger UI, security headers on
``/map`` and ``/docs``.

- ``/docs`` is Swagger UI 5 (``swagger-ui-dist`` from npm, Apache-2.0, vendored in
  ``api/static/swagger-ui`` with its licence; served under :data:`DOCS_STATIC_URL`), so the
  page works with no internet and loads nothing from a CDN. Its start-up script is a
  file too (no inline script), so the page runs under a strict Content-Security-Policy.
  ReDoc is not served.
- :class:`SecurityHeaders` adds ``Content-Security-Policy``, ``X-Content-Type-Options:
  nosniff``, ``Referrer-Policy: no-referrer`` and frame protection (``X-Frame-Options:
  DENY`` and CSP ``frame-ancestors 'none'``) to every answer under ``/map`` and
  ``/docs``. The map's CSP allows images from the origin of ``PVZ_TILE_URL`` (the base
  map's tiles), nothing else from outside.
"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "DOCS_STATIC_URL",
    "SecurityHeaders",
    "csp_for",
    "install_docs",
    "swagger_dir",
    "tile_origin",
]

#: where the Swagger UI files are served
DOCS_STATIC_URL = "/docs/static"

_DOCS_HTML = """<!DOCTYPE html>
<html lang="ru">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{title}: документация API (API docs)</title>
<link rel="stylesheet" href="{static}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{static}/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
"""

_DOCS_INIT = """window.ui = SwaggerUIBundle({
  url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
  showExtensions: true, showCommonExtensions: true,
  presets: [SwaggerUIBundle.presets.apis], layout: "BaseLayout"
});
"""

_COMMON = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


def swagger_dir() -> Path:
    """The folder of the vendored Swagger UI files (``api/static/swagger-ui``)."""
    return Path(__file__).resolve().parent / "static" / "swagger-ui"


def tile_origin(url: str) -> str | None:
    """The CSP source of a tile URL template: its scheme and host (``{s}`` subdomains as
    ``*``), or None for no URL. ``https://{s}.tile.example.org/{z}/{x}/{y}.png`` ->
    ``https://*.tile.example.org``."""
    url = url.strip()
    m = re.match(r"(https?)://([^/?#]+)", url)
    if m is None:
        return None
    host = re.sub(r"\{[^}]*\}", "*", m.group(2))
    if "*" in host and not host.startswith("*."):
        host = "*." + host.split(".", 1)[1] if "." in host else host
    return f"{m.group(1)}://{host}"


def csp_for(path: str, tile_url: str = "") -> str:
    """The Content-Security-Policy of a page: same-origin scripts only (no inline script),
    inline styles (Leaflet and Swagger UI set style attributes), images from the page,
    ``data:``/``blob:`` and, for the map, the tile server."""
    img = "'self' data: blob:"
    if path.startswith("/map"):
        origin = tile_origin(tile_url)
        if origin:
            img += " " + origin
    return ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            f"img-src {img}; connect-src 'self'; font-src 'self' data:; object-src 'none'; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")  # fmt: skip


class SecurityHeaders:
    """ASGI middleware: the security headers on every answer under ``/map`` and ``/docs``
    (other paths pass untouched, so the API's hot path pays nothing). The map's tile
    server is ``tile_url``, or by default the running service's ``PVZ_TILE_URL`` (the
    one ``/map/config.json`` gives the page)."""

    def __init__(self, app: ASGIApp, tile_url: str | None = None) -> None:
        self.app = app
        self.tile_url = tile_url

    def _tiles(self, scope: Scope) -> str:
        if self.tile_url is not None:
            return self.tile_url
        service = getattr(getattr(scope.get("app"), "state", None), "service", None)
        url = getattr(getattr(service, "settings", None), "tile_url", "")
        return url if isinstance(url, str) else ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path == "/map" or path.startswith(("/map/", "/docs"))):
            await self.app(scope, receive, send)
            return
        extra = [*_COMMON, (b"content-security-policy", csp_for(path, self._tiles(scope)).encode())]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {extra_name for extra_name, _ in extra}
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message = {**message, "headers": headers + extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_docs(app: FastAPI, title: str) -> None:
    """Serve ``/docs`` (Swagger UI from the vendored files) on ``app``, which must be
    created with ``docs_url=None`` and ``redoc_url=None``."""
    router = APIRouter(include_in_schema=False)
    html = _DOCS_HTML.format(title=title, static=DOCS_STATIC_URL)

    @router.get("/docs")
    async def docs() -> HTMLResponse:
        return HTMLResponse(html, headers={"Cache-Control": "no-cache"})

    @router.get("/docs/init.js")
    async def docs_init() -> Response:
        return Response(_DOCS_INIT, media_type="application/javascript")

    app.include_router(router)
    app.mount(DOCS_STATIC_URL, StaticFiles(directory=swagger_dir()), name="docs-static")
