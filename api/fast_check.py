"""The fast lane of ``POST /v1/protection/check``: the common request without the framework.

A partner-onboarding check is the API's hottest call, and the check itself takes about
20 us; FastAPI's routing and dependency solving around it took about 140 us more per
request (measured in-process, FastAPI 0.165). :class:`FastCheck`, an ASGI middleware
inside the body-size limit, answers the *common* request directly:

- ``POST`` to exactly ``/v1/protection/check``, ``Content-Type: application/json``;
- an ``X-API-Key`` already known to this worker (in the app's key cache, which only
  :func:`api.auth.get_caller` fills after the store knew the key, and read from the store
  within ``key_cache_s``, so a revoked key leaves the fast lane within it; every role may
  check);
- a body that ``json.loads`` and :class:`api.schemas.CheckRequest` accept (the same two
  steps FastAPI runs);
- a check the service answers without raising;
- a key within its rate limit (over it, the app answers 429; the limit is counted once
  the answer is ready, so a request the app answers instead is counted there only once).

A partner key's answer (private, with a message and maybe suggestions, ~10 ms when
blocked) is computed in the thread pool, off the event loop; the staff's in line.

A body nested deeper than :data:`api.validation.MAX_DEPTH` is refused here (422, before
any parser), as :class:`api.validation.InputEdges` refuses it on every other path.

It answers with the route's own functions (:func:`api.routes.protection.check_body` and
:func:`~api.routes.protection.json_response`), so the bytes are the same. Anything else
(another path or method, a first-seen or unknown key, a missing key, a bad body, an
unknown kind, any error) goes on, body replayed, to the full application, which answers
exactly as it always did: the errors, their codes and messages come from one place. The
route stays the contract in ``/docs``; ``tests/api/test_fast_check.py`` checks that both
lanes give the same bytes and that the route's dependencies are the ones replicated here.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import Caller, KeyCache, hash_key
from api.routes.protection import check_answer, json_response
from api.schemas import CheckRequest
from api.services.answers import language_of
from api.validation import replay_body, too_deep

__all__ = ["CHECK_PATH", "FastCheck"]

#: the one path served here
CHECK_PATH = "/v1/protection/check"
_JSON_TYPES = (b"application/json", b"application/json; charset=utf-8")


class FastCheck:
    """ASGI middleware: the common ``POST /v1/protection/check`` without routing and
    dependency solving; every other request passes to ``app`` unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != CHECK_PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        key: bytes | None = None
        content_type: bytes | None = None
        accept_language: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"x-api-key" and key is None:
                key = value
            elif name == b"content-type" and content_type is None:
                content_type = value
            elif name == b"accept-language" and accept_language is None:
                accept_language = value
        chunks: list[bytes] = []
        more = True
        while more:  # the whole body (the body-size limit outside has seen it)
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, replay_body(b"".join(chunks), receive, message), send)
                return
            chunks.append(message.get("body", b""))
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        deep = too_deep(body)  # api.validation leaves this path's body to us
        if deep is not None:
            await _refuse_deep(send, deep)
            return
        answer = None
        if key and content_type is not None and content_type.lower() in _JSON_TYPES and body:
            answer = _answer(scope, key, body, accept_language)
            if answer is _IN_THREAD:  # a partner's answer may search for suggestions
                answer = await run_in_threadpool(_answer, scope, key, body, accept_language,
                                                 in_thread=True)  # fmt: skip
        if answer is None:
            await self.app(scope, replay_body(body, receive, None), send)
            return
        await json_response(answer)(scope, receive, send)


#: what :func:`_answer` says when the answer should be computed off the event loop
_IN_THREAD: dict[str, object] = {}


def _answer(
    scope: Scope,
    key: bytes,
    body: bytes,
    accept_language: bytes | None = None,
    *,
    in_thread: bool = False,
) -> dict[str, object] | None:
    """The response body of a common check, or None to leave the request to the app.

    The answer is the route's (:func:`api.routes.protection.check_answer`: a partner's is
    private, with its message and suggestions); the key's rate limit is counted once the
    answer is ready; over it, the app answers (429)."""
    app: Any = scope.get("app")
    state = getattr(app, "state", None)
    cache = getattr(state, "key_cache", None)
    service = getattr(state, "service", None)
    if not isinstance(cache, KeyCache) or service is None:
        return None
    try:
        # None: an unknown key, or one read from the store over key_cache_s ago
        caller: Caller | None = cache.fresh(hash_key(key.decode("latin-1")))
        if caller is None:
            return None
        if not service.limits.has_room(caller.key_id, caller.role, "check"):
            return None  # over the limit: the app answers 429 (no answer computed first)
        if caller.role == "partner" and not in_thread:
            return _IN_THREAD
        req = CheckRequest.model_validate(json.loads(body))
        lang = language_of(None if accept_language is None else accept_language.decode("latin-1"),
                           service.settings.language)  # fmt: skip
        answer = check_answer(service, caller, req.lat, req.lon, req.kind, lang)
        if not service.limits.allows(caller.key_id, caller.role, "check"):
            return None
        return answer
    except Exception:  # bad JSON or body, unknown kind, ...: the app says what is wrong
        return None


async def _refuse_deep(send: Send, payload: bytes) -> None:
    """422: a body nested deeper than :data:`api.validation.MAX_DEPTH` (never parsed)."""
    await send({"type": "http.response.start", "status": 422,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode())]})  # fmt: skip
    await send({"type": "http.response.body", "body": payload})
