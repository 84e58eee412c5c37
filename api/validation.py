"""Input edges: one policy for every route and both stores (SQLite and PostGIS alike).

- **Text**: no control characters (U+0000-U+001F, U+007F-U+009F) in any text of a request
  (path and query parameters, JSON body strings, CSV cells); free text (reasons) may hold
  tab and newline. PostgreSQL cannot store NUL at all and SQLite would: refusing them here
  keeps the two stores the same. Body fields use the pydantic types built on
  :func:`check_text` (``api.schemas.Text``, ``Reason``); path and query parameters are
  checked by :class:`InputEdges` before routing.
- **Numbers** in query parameters: ASCII digits only, no surrounding spaces (``int`` and
  ``float`` would read ``२०२४`` and `` 5 ``).
- **Depth**: a JSON body nested deeper than :data:`MAX_DEPTH` is refused before any parser
  sees it (Python's ``json`` recurses: ``[`` x 100,000 is a ``RecursionError``).

Every refusal is a 422 ``invalid_input`` in the :class:`api.schemas.ErrorBody` shape, with
``detail[0].loc`` naming the field (``["query", "status"]``, ``["path", "point_id"]``,
``["body"]``).
"""

from __future__ import annotations

import json
import re
import typing
from typing import Any
from urllib.parse import parse_qsl

import numpy as np
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "CONTROL_PATTERN",
    "MAX_DEPTH",
    "InputEdges",
    "check_free_text",
    "check_text",
    "check_unpadded",
    "control_char",
    "json_depth",
    "plain_number",
    "refusal",
    "replay_body",
    "too_deep",
]

#: deepest accepted JSON nesting of a request body (arrays and objects); the API's bodies
#: need 3 (a list of objects in an object)
MAX_DEPTH = 32

#: a control character (C0, DEL, C1) as a regular expression
CONTROL_PATTERN = r"[\x00-\x1f\x7f-\x9f]"
_CONTROL = re.compile(CONTROL_PATTERN)
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"\\[]{}')
_CONTROL_FREE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # tab and newline allowed
#: a plain decimal number: ASCII digits, optional sign, point and exponent; no spaces,
#: no underscores, no inf/nan
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def control_char(text: str, *, free: bool = False) -> str | None:
    """The first control character of ``text`` as ``U+XXXX``, or None when there is none.
    ``free``: tab and newline are allowed (free text)."""
    m = (_CONTROL_FREE if free else _CONTROL).search(text)
    return None if m is None else f"U+{ord(m.group()):04X}"


def check_text(value: str) -> str:
    """``value`` unchanged; ValueError when it holds a control character (a pydantic
    ``AfterValidator``: the 422 names the field)."""
    bad = control_char(value)
    if bad is not None:
        raise ValueError(f"control character {bad} is not allowed")
    return value


def check_free_text(value: str) -> str:
    """:func:`check_text` for free text: tab and newline are allowed."""
    bad = control_char(value, free=True)
    if bad is not None:
        raise ValueError(f"control character {bad} is not allowed (tab and newline are)")
    return value


def check_unpadded(value: str) -> str:
    """``value`` unchanged; ValueError when it starts or ends with white space (days,
    months and numbers are written exactly)."""
    if value != value.strip():
        raise ValueError("must not start or end with white space")
    return value


def plain_number(text: str) -> bool:
    """True when ``text`` is a plain decimal number: ASCII digits with an optional sign,
    point and exponent, nothing around it (no spaces, ``_``, ``inf``, ``nan``, ``0x``)."""
    return _PLAIN_NUMBER.fullmatch(text) is not None


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text (brackets inside strings
    do not count), without parsing it: linear and vectorised (numpy), no recursion; about
    a tenth of ``json.loads``'s time on a 4 MB batch."""
    # only what decides nesting, in C: quotes, backslashes, brackets (a batch shrinks 5x)
    kept = body.translate(None, _NOT_STRUCTURE)
    if not kept:
        return 0
    # escapes: a pair of backslashes is one backslash; then backslash-quote is a quote
    # inside a string (not the end of it)
    kept = kept.replace(b"\\\\", b"").replace(b'\\"', b"")
    a = np.frombuffer(kept, dtype=np.uint8)
    in_string = (np.cumsum(a == ord('"'), dtype=np.int32) & 1).astype(bool)
    step = np.zeros(a.size, dtype=np.int8)
    step[(a == ord("[")) | (a == ord("{"))] = 1
    step[(a == ord("]")) | (a == ord("}"))] = -1
    step[in_string] = 0
    return int(np.cumsum(step, dtype=np.int32).max(initial=0))


def too_deep(body: bytes, max_depth: int = MAX_DEPTH) -> bytes | None:
    """The 422 body for a JSON body nested deeper than ``max_depth``, or None (the common
    small body costs two ``bytes.count``)."""
    if body.count(b"[") + body.count(b"{") <= max_depth:
        return None
    if json_depth(body) <= max_depth:
        return None
    return refusal(["body"], f"JSON nested deeper than {max_depth} levels")


def _is_numeric(schema: dict[str, Any]) -> bool:
    if schema.get("type") in ("integer", "number"):
        return True
    return any(_is_numeric(s) for s in schema.get("anyOf", ()) if isinstance(s, dict))


class _Param(typing.NamedTuple):
    pattern: re.Pattern[str]
    path_names: tuple[str, ...]
    numeric: frozenset[str]  # numeric query parameters (any method of the path)


def _params_table(app: Any) -> list[_Param]:
    """Each OpenAPI path as a regex with its path parameter names and numeric query
    parameters (cached on the app's state; the OpenAPI document is the routes' contract)."""
    state = getattr(app, "state", None)
    table: list[_Param] | None = getattr(state, "pvz_params_table", None)
    if table is not None:
        return table
    table = []
    paths = app.openapi().get("paths", {}) if hasattr(app, "openapi") else {}
    for template, operations in paths.items():
        names = tuple(re.findall(r"\{(\w+)\}", template))
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        numeric = {p["name"] for op in operations.values() if isinstance(op, dict)
                   for p in op.get("parameters", ()) if p.get("in") == "query"
                   and _is_numeric(p.get("schema", {}))}  # fmt: skip
        table.append(_Param(re.compile(regex), names, frozenset(numeric)))
    if state is not None:
        state.pvz_params_table = table
    return table


def _route_of(scope: Scope) -> tuple[_Param | None, dict[str, str]]:
    """The documented path that ``scope`` asks for and its path parameters, or (None, {})."""
    for entry in _params_table(scope.get("app")):
        m = entry.pattern.fullmatch(scope.get("path", ""))
        if m is not None:
            return entry, m.groupdict()
    return None, {}


def refusal(loc: list[str], msg: str) -> bytes:
    """The 422 body of a refused input."""
    where = ".".join(loc)
    return json.dumps({"error": "invalid_input", "message": f"{where}: {msg}",
                       "detail": [{"loc": loc, "msg": msg, "type": "value_error"}]},
                      ensure_ascii=False).encode()  # fmt: skip


def _request_problem(scope: Scope) -> tuple[list[str], str] | None:
    """(loc, message) of the first bad path or query parameter, or None."""
    path = scope.get("path", "")
    bad = control_char(path)
    if bad is not None:
        route, params = _route_of(scope)
        for name, value in params.items():
            if isinstance(value, str) and control_char(value) is not None:
                return ["path", name], f"control character {control_char(value)} is not allowed"
        return ["path"], f"control character {bad} is not allowed"
    raw = scope.get("query_string", b"")
    if not raw:
        return None
    text = raw.decode("latin-1")
    try:
        pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        return ["query"], "not UTF-8"
    numeric: frozenset[str] | None = None
    for name, value in pairs:
        for part in (name, value):
            bad = control_char(part)
            if bad is not None:
                return ["query", name], f"control character {bad} is not allowed"
        if numeric is None:
            route, _ = _route_of(scope)
            numeric = route.numeric if route is not None else frozenset()
        if name in numeric and not plain_number(value):
            return ["query", name], (f"must be a plain number (ASCII digits, no spaces), "
                                     f"got {value!r}")  # fmt: skip
    return None


class InputEdges:
    """ASGI middleware: refuses (422, before routing) a path or query parameter with a
    control character, a numeric query parameter that is not a plain ASCII number, and a
    JSON body nested deeper than ``max_depth``. Everything else passes on unchanged (the
    body replayed). Bodies to ``own_body_paths`` are left to the app behind, which must
    check them with :func:`too_deep` itself (the fast check lane reads its body anyway:
    one buffering less on the hottest call)."""

    def __init__(
        self, app: ASGIApp, max_depth: int = MAX_DEPTH, own_body_paths: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self.max_depth = max_depth
        self.own_body_paths = frozenset(own_body_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = _request_problem(scope)
        if problem is not None:
            await _refuse(send, refusal(*problem))
            return
        if (scope["method"] not in ("POST", "PUT", "PATCH")
                or scope["path"] in self.own_body_paths or not _is_json(scope)):  # fmt: skip
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        last: Message | None = None
        more = True
        while more:  # the body-size limit outside bounds it
            message = await receive()
            if message["type"] != "http.request":
                last = message
                break
            chunks.append(message.get("body", b""))
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        deep = too_deep(body, self.max_depth) if last is None else None
        if deep is not None:
            await _refuse(send, deep)
            return
        await self.app(scope, replay_body(body, receive, last), send)


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers") or ():
        if name == b"content-type":
            ctype = value.split(b";")[0].strip().lower()
            return ctype == b"application/json" or ctype.endswith(b"+json")
    return True  # no content type: the routes read JSON


async def _refuse(send: Send, payload: bytes) -> None:
    await send({"type": "http.response.start", "status": 422,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode())]})  # fmt: skip
    await send({"type": "http.response.body", "body": payload})


def replay_body(body: bytes, receive: Receive, last: Message | None) -> Receive:
    """A ``receive`` that gives the body read so far as one message, then ``last`` (if the
    client sent one, e.g. a disconnect), then the original channel (middlewares that read
    the body before the app: this one and :mod:`api.fast_check`)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent, last
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if last is not None:
            message, last = last, None
            return message
        return await receive()

    return replay
