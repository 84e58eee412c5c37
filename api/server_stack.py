"""The server stack ``pvz serve`` runs on: uvicorn, its event loop and its HTTP parser.

uvicorn picks them with ``loop="auto"`` and ``http="auto"``: uvloop and httptools when
they import, else the pure-Python asyncio loop and h11, which serve about a quarter of
the protection checks per second. The project installs the fast pair
(``uvicorn[standard]``); :func:`describe_server_stack` says what is actually in use, so
a log line or a benchmark table shows it.

With several workers, :func:`serve_workers` gives each worker a listening socket of its
own on the same port (``SO_REUSEPORT``), so the kernel spreads new connections evenly
over the workers. uvicorn's own ``workers=N`` shares one socket, and the worker that
wakes first accepts every connection waiting: 32 keep-alive connections opened at once
(a client pool starting, or wrk) were measured landing 32/0, 27/5 and 14/18 on 2 workers,
one worker queueing what the other could serve.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

__all__ = [
    "ReusePortSocket",
    "ServerStack",
    "describe_server_stack",
    "package_version",
    "reuseport_socket",
    "serve_workers",
]


def package_version(name: str) -> str | None:
    """The installed version of a distribution, or None when it is not installed."""
    try:
        return version(name)
    except PackageNotFoundError:
        return None


@dataclass(frozen=True)
class ServerStack:
    """What uvicorn resolves ``loop="auto"`` and ``http="auto"`` to, with versions.

    Attributes
    ----------
    uvicorn : uvicorn's version
    loop : ``"uvloop"`` or ``"asyncio"``; loop_version its version (Python's for asyncio)
    http : ``"httptools"`` or ``"h11"``; http_version its version
    json : the JSON encoder of the check responses (``"orjson"``); json_version its version
    """

    uvicorn: str
    loop: str
    loop_version: str
    http: str
    http_version: str
    json: str
    json_version: str

    @property
    def fast(self) -> bool:
        """True when both the loop and the parser are the compiled ones."""
        return self.loop == "uvloop" and self.http == "httptools"

    def __str__(self) -> str:
        return (
            f"uvicorn {self.uvicorn}, loop {self.loop} {self.loop_version}, "
            f"http {self.http} {self.http_version}, json {self.json} {self.json_version}"
        )


def describe_server_stack() -> ServerStack:
    """Resolve uvicorn's automatic choices the way ``uvicorn.run`` does, and name them."""
    import platform

    import uvicorn
    from uvicorn.config import HTTP_PROTOCOLS, Config
    from uvicorn.importer import import_from_string

    protocol = import_from_string(HTTP_PROTOCOLS["auto"])
    http = "httptools" if "httptools" in protocol.__module__ else "h11"
    factory = Config("api.app:create_app", loop="auto", http="auto").get_loop_factory()
    loop_obj = factory() if factory is not None else asyncio.new_event_loop()
    try:
        loop = "uvloop" if type(loop_obj).__module__.startswith("uvloop") else "asyncio"
    finally:
        loop_obj.close()
    loop_version = package_version("uvloop") if loop == "uvloop" else platform.python_version()
    return ServerStack(
        uvicorn=uvicorn.__version__,
        loop=loop,
        loop_version=loop_version or "?",
        http=http,
        http_version=package_version(http) or "?",
        json="orjson",
        json_version=package_version("orjson") or "?",
    )


def reuseport_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` with ``SO_REUSEADDR`` and ``SO_REUSEPORT`` (not
    listening yet): every worker binds one, and the kernel spreads connections over the
    listening ones. ``OSError`` when the port is taken by a socket without ``SO_REUSEPORT``
    or of another user."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


class ReusePortSocket:
    """Stands for "a socket of your own on ``host:port``" in the list uvicorn hands to each
    worker process: pickled to a worker, it arrives as a new :func:`reuseport_socket`
    (uvicorn's workers are spawned, so each unpickles its own)."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port

    def __reduce__(self) -> tuple[Any, tuple[str, int]]:
        return reuseport_socket, (self.host, self.port)


def serve_workers(app: str, *, host: str, port: int, workers: int, **options: Any) -> None:
    """Run ``workers`` uvicorn worker processes of the app factory ``app`` (an import
    string), each listening on a ``SO_REUSEPORT`` socket of its own (see the module
    docstring), supervised by uvicorn (signals, restarts). ``options`` go to
    :class:`uvicorn.Config` (``loop`` and ``http`` default to ``"auto"``). The parent
    keeps one bound, not listening, socket on the port while it runs: a port taken by
    another program fails here, and no other user can join the group."""
    from uvicorn import Config
    from uvicorn.supervisors import Multiprocess

    options = {"loop": "auto", "http": "auto", "factory": True, **options}
    config = Config(app, host=host, port=port, workers=workers, **options)
    guard = reuseport_socket(host, port)
    try:
        Multiprocess(config, sockets=[ReusePortSocket(host, port)]).run()  # type: ignore[list-item]
    finally:
        guard.close()
