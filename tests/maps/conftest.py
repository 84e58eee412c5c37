"""Browser fixtures: Debian's Chromium driven by Playwright, the network blocked but loopback;
a live API server with a demo network on a random port."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
LOCAL = ("file:", "data:", "blob:", "about:", "http://127.0.0.1", "http://localhost")
ADMIN = "maps-test-admin"


@dataclass
class Watched:
    """A page with every non-local request aborted and recorded, and its console errors."""

    page: Any
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium (skips when it is not installed: scripts/setup-chromium.sh)."""
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip("chromium not installed (scripts/setup-chromium.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    """A fresh page (own context) whose network is blocked except loopback and files.
    The pages' Content-Security-Policy is bypassed: Playwright's ``wait_for_function``
    evaluates strings, which the CSP forbids (``strict`` in test_pages.py enforces it)."""
    yield from _watched(browser, bypass_csp=True)


def _watched(browser: Any, *, bypass_csp: bool) -> Iterator[Watched]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=bypass_csp)
    page = ctx.new_page()
    w = Watched(page)

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith(LOCAL):
            r.continue_()
        else:
            w.blocked.append(url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: w.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: w.errors.append(f"pageerror: {e}"))
    yield w
    ctx.close()


@pytest.fixture
def strict(browser: Any) -> Iterator[Watched]:
    """:func:`watched` with the pages' Content-Security-Policy enforced (wait with
    selectors, not ``wait_for_function``)."""
    yield from _watched(browser, bypass_csp=False)


def shot(page: Any, name: str) -> Path:
    """Save a screenshot under tests/artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


@dataclass
class LiveApi:
    """A running API server: its URL, service and keys per role."""

    url: str
    service: Any
    keys: dict[str, str]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live_api(tmp_path_factory: pytest.TempPathFactory, settlements: Any) -> Iterator[LiveApi]:
    """uvicorn on a random loopback port, SQLite store seeded with a 2,000-point demo network."""
    import uvicorn

    from api.app import create_app
    from api.auth import create_key
    from api.service import Service
    from api.settings import Settings

    db = tmp_path_factory.mktemp("mapui") / "pvz.db"
    settings = Settings(database_url=f"sqlite:///{db}", bootstrap_admin_key=SecretStr(ADMIN),
                        sync_interval_s=0, tile_url="")  # fmt: skip
    service = Service(settings, settlements=settlements)
    service.seed_demo(2000, seed=5)
    keys = {"admin": ADMIN}
    for role, partner in (("expansion", None), ("partner", "acme")):
        keys[role], _ = create_key(service, role, partner_id=partner, actor="test")
    port = _free_port()
    config = uvicorn.Config(create_app(settings, service=service), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="on")  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the API server did not start")
        time.sleep(0.05)
    yield LiveApi(f"http://127.0.0.1:{port}", service, keys)
    server.should_exit = True
    thread.join(timeout=10)
    service.close()
