"""The FastAPI application: routers, error mapping, body-size limit, start-up of the service."""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import KeyCache, create_key
from api.errors import document_errors, install_error_handlers
from api.fast_check import CHECK_PATH, FastCheck
from api.pages import SecurityHeaders, install_docs
from api.routes import applications, audit, health, keys, orders, points, protection, rewards
from api.routes import density as density_routes
from api.routes import jobs as job_routes
from api.routes import map as map_ui
from api.routes import model as model_routes
from api.routes import planning as planning_routes
from api.service import Service
from api.services.forecast import CalibrationSchedule
from api.services.jobs import runner_for
from api.services.planning import attach as attach_network_model
from api.settings import Settings, get_settings
from api.validation import InputEdges
from data.errors import PvzError

__all__ = ["BodyLimit", "bootstrap", "create_app", "freeze_heap"]

log = logging.getLogger(__name__)

DESCRIPTION = """
Планирование сети партнёрских пунктов выдачи заказов: правило защиты от конкуренции
(в радиусе 500-1000 м от пункта сети, в зависимости от населённого пункта, другой пункт
не открывается), подключение партнёров с мгновенным ответом, сеть в GeoJSON.

Ключ передаётся в заголовке `X-API-Key`. Роли: `admin` (всё), `expansion` (сеть, пакетные
проверки, одобрение заявок), `partner` (свои заявки и пункты). Координаты в градусах WGS84,
расстояния в метрах на эллипсоиде WGS84. Ответы для партнёров на русском; английский — с
заголовком `Accept-Language: en`.

---

**English.** Partner pickup-point network planning: the competition-protection rule (no
other point of the network within 500-1,000 m depending on the settlement), partner
onboarding with an instant answer, and the network as GeoJSON.

Send your key in the `X-API-Key` header. Roles: `admin` (everything), `expansion` (the
network, batch checks, approvals), `partner` (its own applications and points).
Coordinates are WGS84 degrees, distances metres on the WGS84 ellipsoid.
"""


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413 before they are parsed.

    Checks ``Content-Length`` up front, and counts the bytes of bodies sent
    without one (chunked).
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            try:
                too_big = int(length) > self.max_bytes
            except ValueError:
                too_big = False
            if too_big:
                await self._refuse(send)
                return
            await self.app(scope, receive, send)
            return
        # no Content-Length: read it all (up to the limit), then replay it
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(send)
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        message = f"request body over {self.max_bytes} bytes"
        payload = json.dumps({"error": "too_large", "message": message}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode()),
                                (b"connection", b"close")]})  # fmt: skip
        await send({"type": "http.response.body", "body": payload})


def freeze_heap() -> None:
    """Exempt what start-up built (the index, settlements, pandas, the app) from the cyclic
    garbage collector: a full collection over those ~200,000 objects stalls every request
    of the worker for about 40-130 ms; after :func:`gc.freeze` it scans only what requests
    create. Called once per server process, after the service is loaded."""
    gc.collect()
    gc.freeze()


def bootstrap(service: Service, settings: Settings) -> None:
    """Create the bootstrap admin key (``PVZ_BOOTSTRAP_ADMIN_KEY``) if it does not exist."""
    if settings.bootstrap_admin_key is not None:
        token = settings.bootstrap_admin_key.get_secret_value()
        if token:
            create_key(service, "admin", token=token, actor="bootstrap")


def create_app(settings: Settings | None = None, *, service: Service | None = None) -> FastAPI:
    """The application. Without ``service`` one is opened from ``settings`` at start-up
    (migrations applied, index loaded, bootstrap key created) and closed at shutdown."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            svc = service or Service(settings)
        except PvzError as exc:  # a bad policy or boundaries file: say what, then stop
            log.error("cannot start: %s", exc)
            raise
        if settings.demo_points:
            svc.seed_demo(settings.demo_points, seed=settings.demo_seed)
        bootstrap(svc, settings)
        attach_network_model(svc)  # the application scorer; models are built on first use
        density_routes.warm_up(svc)  # the map's first national view: snapshot and H3 cells
        app.state.service = svc
        schedule = CalibrationSchedule.for_service(svc)  # PVZ_MODEL_CALIBRATION_INTERVAL_H
        app.state.key_cache = KeyCache(svc.settings.key_cache_s)  # see api.auth
        keys_fed = svc.changes.subscribe(("key",), callback=app.state.key_cache.on_changes)
        app.state.jobs = runner_for(svc)  # heavy work: worker processes, see its module
        if service is None:  # a server process (pvz serve --workers N): see freeze_heap
            freeze_heap()
        try:
            yield
        finally:
            if schedule is not None:
                schedule.stop()
            app.state.jobs.shutdown()  # kill every worker process: SIGTERM stops at once
            svc.changes.unsubscribe(keys_fed)
            if service is None:
                svc.close()

    app = FastAPI(
        title="pvz-planner",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by api.pages from vendored Swagger UI (works offline)
        redoc_url=None,
    )
    install_error_handlers(app)
    document_errors(app)  # every 4xx the app can answer is in /openapi.json
    app.include_router(density_routes.router)  # before points: /{point_id} matches too
    for module in (health, keys, protection, points, applications, orders, rewards, audit,
                   map_ui):  # fmt: skip
        app.include_router(module.router)
    app.include_router(planning_routes.router)
    app.include_router(model_routes.router)
    app.include_router(job_routes.router)
    app.mount(map_ui.STATIC_URL, StaticFiles(directory=map_ui.STATIC_DIR), name="map-static")
    app.add_middleware(FastCheck)  # inside the body limit: the common check, see its module
    # control characters, plain numbers, JSON depth (the fast lane checks its own body)
    app.add_middleware(InputEdges, own_body_paths=(CHECK_PATH,))
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    install_docs(app, "pvz-planner")
    app.add_middleware(SecurityHeaders)  # /map and /docs only
    return app
