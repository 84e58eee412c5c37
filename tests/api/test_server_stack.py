"""The installed server stack is the fast one: uvloop and httptools, as ``pvz serve`` says.

No timing here: these check what is installed and what uvicorn resolves ``"auto"`` to.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.server_stack import describe_server_stack


@pytest.mark.parametrize("module", ["uvloop", "httptools", "orjson"])
def test_fast_stack_packages_import(module: str) -> None:
    importlib.import_module(module)


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop does not run on Windows")
def test_uvicorn_auto_resolves_to_uvloop_and_httptools() -> None:
    from uvicorn.config import HTTP_PROTOCOLS, Config
    from uvicorn.importer import import_from_string
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    assert import_from_string(HTTP_PROTOCOLS["auto"]) is HttpToolsProtocol
    factory = Config("api.app:create_app", loop="auto", http="auto").get_loop_factory()
    assert factory is not None
    loop = factory()
    try:
        assert type(loop).__module__.startswith("uvloop")
    finally:
        loop.close()


def test_describe_server_stack_names_the_fast_pair() -> None:
    stack = describe_server_stack()
    assert stack.fast
    assert (stack.loop, stack.http, stack.json) == ("uvloop", "httptools", "orjson")
    text = str(stack)
    for part in ("uvicorn ", "loop uvloop ", "http httptools ", "json orjson "):
        assert part in text
    assert "?" not in text  # every version found


def test_pvz_serve_prints_its_server_stack(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import uvicorn

    import api.app
    from api.cli import _load_commands, app
    from api.settings import get_settings

    ran: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: ran.update(kw))
    monkeypatch.setattr(api.app, "freeze_heap", lambda: ran.update(frozen=True))
    monkeypatch.setenv("PVZ_DATABASE_URL", f"sqlite:///{tmp_path}/pvz.db")
    monkeypatch.delenv("PVZ_LANGUAGE", raising=False)  # Russian, the default
    _load_commands()
    get_settings.cache_clear()
    try:
        out = CliRunner().invoke(app, ["serve", "--port", "8765"])
    finally:
        get_settings.cache_clear()
    assert out.exit_code == 0, out.output
    assert f"серверный стек: {describe_server_stack()}" in out.output
    assert (ran["loop"], ran["http"]) == ("auto", "auto")
    assert ran["frozen"]  # the loaded heap is kept out of the cyclic GC


def test_each_worker_gets_a_listening_socket_of_its_own() -> None:
    """``pvz serve --workers N``: what uvicorn hands each spawned worker unpickles to a new
    SO_REUSEPORT socket on the port, and the kernel spreads connections over them (32
    connections all on one of 2 sockets: probability 2**-31)."""
    import pickle
    import socket
    from multiprocessing.reduction import ForkingPickler

    from api.server_stack import ReusePortSocket, reuseport_socket

    guard = reuseport_socket("127.0.0.1", 0)  # the parent's: bound, never listening
    port = guard.getsockname()[1]
    token = ReusePortSocket("127.0.0.1", port)
    workers = [pickle.loads(bytes(ForkingPickler.dumps(token))) for _ in range(2)]
    clients: list[socket.socket] = []
    try:
        for w in workers:
            assert isinstance(w, socket.socket) and w.getsockname() == ("127.0.0.1", port)
            assert w.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)
            w.listen(64)
            w.setblocking(False)
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(32)]
        accepted = [0, 0]
        for k, w in enumerate(workers):
            while True:
                try:
                    conn, _ = w.accept()
                except BlockingIOError:
                    break
                conn.close()
                accepted[k] += 1
        assert sum(accepted) == 32 and min(accepted) >= 1, accepted
        plain = socket.socket()  # another program's socket cannot take the port
        with pytest.raises(OSError):
            plain.bind(("127.0.0.1", port))
        plain.close()
    finally:
        for s in (*clients, *workers, guard):
            s.close()
