"""The server stack ``pvz serve`` runs on: uvicorn, its event loop and its HTTP parser.

uvicorn picks them with ``loop="auto"`` and ``http="auto"``: uvloop and httptools when
they import, else the pure-Python asyncio loop and h11, which serve about a quarter of
the protection checks per second. The project installs the fast pair
(``uvicorn[standard]``); :func:`describe_server_stack` says what is actually in use, so
a log line or a benchmark table shows it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

__all__ = ["ServerStack", "describe_server_stack", "package_version"]


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
