"""``pvz serve`` (the HTTP API with uvicorn) and ``pvz demo-db`` (seed the store)."""

from __future__ import annotations

import logging
import os

import typer

from api.cli import command, say
from api.settings import Settings, get_settings
from api.wording import count

__all__ = ["demo_db", "keys_kept", "serve"]

log = logging.getLogger(__name__)

#: at SIGTERM, requests still running after this many seconds are cancelled (their worker
#: processes killed), then the app shuts down (every job's worker process killed)
SHUTDOWN_GRACE_S = 2


def _settings(database_url: str | None) -> Settings:
    if database_url:
        os.environ["PVZ_DATABASE_URL"] = database_url
        get_settings.cache_clear()
    return get_settings()


def keys_kept(database_url: str, keys: int) -> str:
    """What ``pvz serve --demo`` says when the store already holds keys (they are not shown
    again): how to get in if they are lost, in the CLI's language (:func:`api.wording.language`)."""
    ways_ru = ["задайте PVZ_BOOTSTRAP_ADMIN_KEY=<ваш-ключ> и перезапустите: сервер создаст "
               "этот ключ администратора"]  # fmt: skip
    ways_en = ["set PVZ_BOOTSTRAP_ADMIN_KEY=<your-key> and restart: the server creates that "
               "admin key"]  # fmt: skip
    if database_url.startswith("sqlite:///"):
        path = os.path.abspath(database_url.split(":///", 1)[1])
        ways_ru.append(f"или удалите демо-базу {path} (все её данные) и запустите снова: "
                       "ключи будут созданы и показаны заново")  # fmt: skip
        ways_en.append(f"or delete the demo database {path} (all its data) and start again: "
                       "new keys are created and shown")  # fmt: skip
    from api.wording import count, language

    if language() == "en":
        return (f"demo keys: not created, the store holds {keys} key(s) already (shown only "
                f"on the first start). Lost them? {'; '.join(ways_en)}. With an admin key: "
                "GET /v1/keys lists them, POST /v1/keys creates one, DELETE /v1/keys/{id} "
                "revokes.")  # fmt: skip
    held = count(keys, ("ключ", "ключа", "ключей"))
    return (
        f"демо-ключи не созданы: в базе уже {held}, они показываются только при "
        f"первом запуске. Потеряли ключи? {'; '.join(ways_ru)}. С ключом администратора: "
        "GET /v1/keys — список, POST /v1/keys — новый ключ, DELETE /v1/keys/{id} — отзыв."
    )


@command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
    database_url: str | None = typer.Option(
        None, "--database-url", help="Override PVZ_DATABASE_URL (sqlite:///... or postgresql://...)."
    ),
    demo: int = typer.Option(
        0, "--demo", min=0, help="Seed a demo network of N points if the store is empty, and "
        "a demo key for each role (printed once) if it holds no key.",
    ),
    seed: int = typer.Option(42, "--seed", help="Random seed of the demo network."),
    workers: int = typer.Option(
        1, "--workers", min=1, max=64, help="Worker processes; each loads the index and "
        "replays the others' writes from the audit log (the store decides every write).",
    ),
    log_level: str = typer.Option("warning", "--log-level", help="uvicorn log level."),
) -> None:  # fmt: skip
    """Serve the HTTP API (docs at /docs); PVZ_BOOTSTRAP_ADMIN_KEY creates that admin key."""
    import uvicorn

    from api.app import create_app, freeze_heap
    from api.auth import create_key
    from api.loaders import load_policy
    from api.server_stack import describe_server_stack, serve_workers
    from api.service import Service
    from data.store import open_store

    settings = _settings(database_url)
    url = f"http://{host}:{port}"
    if workers > 1 and settings.boundaries_path is not None:
        # the workers load them again; a bad file must stop the start here, with its message
        from data.boundaries import load_boundaries

        load_boundaries(settings.boundaries_path)
    # several workers: each loads its own index; the parent only prepares the store
    store = open_store(settings.database_url, load_policy(settings.policy_path))
    service: Service | None = None
    if workers == 1 or (demo and store.count_points() == 0):
        service = Service(settings, store=store)
    if demo:
        added = service.seed_demo(demo, seed=seed) if service is not None else 0
        say("demo network: {added} added, {stored:,} stored",
            added=count(added, "point"), stored=store.count_points())  # fmt: skip
        keys = store.count_keys()
        if keys:  # seeded once: a restart neither adds keys nor prints secrets again
            typer.echo(keys_kept(settings.database_url, keys))
        else:
            say("demo keys (send as X-API-Key; shown only now):")
            for role, partner in (("admin", None), ("expansion", None),
                                  ("partner", "demo-partner")):  # fmt: skip
                token, _ = create_key(store, role, partner_id=partner, actor="demo")
                who = f"{role} ({partner})" if partner else role
                typer.echo(f"  {who:<25} {token}")
    say("serving {backend} store, {points}, on {url} (docs: {url}/docs)",
        backend=store.backend, points=count(store.count_points(live_only=True), "live point"),
        url=url)  # fmt: skip
    stack = describe_server_stack()
    say("server stack: {stack}", stack=str(stack))
    log.info("server stack: %s", stack)
    if not stack.fast:
        log.warning("slow server stack (%s): install uvicorn[standard] for uvloop and httptools",
                    stack)  # fmt: skip
    if workers > 1:  # each worker opens its own service from the same settings (env)
        store.close()
        os.environ["PVZ_DATABASE_URL"] = settings.database_url
        # a listening socket per worker: connections spread evenly (api.server_stack)
        serve_workers("api.app:create_app", host=host, port=port, workers=workers,
                      log_level=log_level, timeout_graceful_shutdown=SHUTDOWN_GRACE_S)  # fmt: skip
        return
    assert service is not None
    app = create_app(settings, service=service)
    freeze_heap()  # the service is loaded: see api.app.freeze_heap
    try:
        uvicorn.run(app, host=host, port=port, log_level=log_level, loop="auto", http="auto",
                    timeout_graceful_shutdown=SHUTDOWN_GRACE_S)  # fmt: skip
    finally:
        service.close()


@command("demo-db")
def demo_db(
    n: int = typer.Option(10_000, "--n", min=1, help="How many demo points."),
    seed: int = typer.Option(42, "--seed", help="Random seed."),
    database_url: str | None = typer.Option(
        None, "--database-url", help="Override PVZ_DATABASE_URL."
    ),
) -> None:  # fmt: skip
    """Seed the store with a demo network if it holds no point yet."""
    from api.service import Service

    service = Service(_settings(database_url))
    try:
        added = service.seed_demo(n, seed=seed)
        say("{added} added; {stored:,} stored", added=count(added, "demo point"),
            stored=service.count_points())  # fmt: skip
    finally:
        service.close()
