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
- a key within its rate limit: one call to the limiter per check, counted (as the route
  does) once the key and the body are accepted and before the answer is computed; over
  the limit nothing is counted and the app answers 429. When the fast lane leaves a
  counted request to the app after all (an error to word), it marks the scope
  (:data:`api.limits.COUNTED`) and the route does not count it again.

Store reads are kept off the event loop while traffic flows (issue 18: on PostgreSQL
each was a blocking round trip of 0.3-100 ms, depending on the machine's load, during
which every request of the worker waited):

- a key in the second half of its cache life is read again in a thread
  (:func:`api.auth.refresh_key`; the renewed entry is trusted from the read's start, so
  a revoked key still leaves the fast lane within ``key_cache_s``);
- the index replays the audit log (:meth:`api.service.Service.sync`) in a thread every
  half ``sync_interval_s``, so the check on the event loop finds it fresh (with
  ``sync_interval_s`` 0 every check syncs in line, as before).

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

import asyncio
import json
import logging
import time
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import Caller, KeyCache, hash_key, refresh_key
from api.limits import COUNTED
from api.routes.protection import check_answer, json_response
from api.schemas import CheckRequest
from api.services.answers import language_of
from api.validation import replay_body, too_deep

__all__ = ["CHECK_PATH", "FastCheck"]

log = logging.getLogger(__name__)

#: the one path served here
CHECK_PATH = "/v1/protection/check"
_JSON_TYPES = (b"application/json", b"application/json; charset=utf-8")


class FastCheck:
    """ASGI middleware: the common ``POST /v1/protection/check`` without routing and
    dependency solving; every other request passes to ``app`` unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._refreshing: set[str] = set()  # key digests being read again in a thread
        self._next_sync = 0.0  # time.monotonic() of the next sync in a thread
        self._syncing = False

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
            digest = hash_key(key.decode("latin-1"))
            self._ahead(scope, digest)
            admitted = _admit(scope, digest, body, accept_language)
            if admitted is not None and admitted[1].role == "partner":
                # a partner's answer may search for suggestions (~10 ms): off the loop
                answer = await run_in_threadpool(_answer, scope, *admitted)
            elif admitted is not None:
                answer = _answer(scope, *admitted)
        if answer is None:
            await self.app(scope, replay_body(body, receive, None), send)
            return
        await json_response(answer)(scope, receive, send)

    def _ahead(self, scope: Scope, digest: str) -> None:
        """Start the store reads that are due in threads: the cache entry of the key with
        SHA-256 ``digest`` (second half of its life) and the audit-log replay (every half
        ``sync_interval_s``)."""
        state = getattr(scope.get("app"), "state", None)
        cache = getattr(state, "key_cache", None)
        service = getattr(state, "service", None)
        if not isinstance(cache, KeyCache) or service is None:
            return
        loop: asyncio.AbstractEventLoop | None = None
        if digest not in self._refreshing and cache.due(digest):
            self._refreshing.add(digest)
            loop = asyncio.get_running_loop()
            loop.run_in_executor(None, refresh_key, service, cache, digest).add_done_callback(
                lambda _f: self._refreshing.discard(digest)
            )
        interval = service.settings.sync_interval_s
        now = time.monotonic()
        if interval > 0 and not self._syncing and now >= self._next_sync:
            self._syncing = True
            self._next_sync = now + interval / 2
            loop = loop or asyncio.get_running_loop()
            loop.run_in_executor(None, _sync, service).add_done_callback(self._synced)

    def _synced(self, _future: object) -> None:
        self._syncing = False


def _sync(service: Any) -> None:
    """Replay the audit log into the index now (in a thread; errors logged: the check on
    the event loop then syncs in line as before)."""
    try:
        service.sync(force=True)
    except Exception:
        log.warning("could not replay the audit log ahead of a check", exc_info=True)


#: what :func:`_admit` lets through: the service, the caller, the request and the language
Admitted = tuple[Any, Caller, CheckRequest, str]


def _admit(
    scope: Scope, digest: str, body: bytes, accept_language: bytes | None = None
) -> Admitted | None:
    """A common check, counted against its key's rate limit, or None to leave the request
    to the app (nothing counted).

    Admitted: the key with SHA-256 ``digest`` is in the app's key cache and fresh, the
    body is what :class:`api.schemas.CheckRequest` accepts, and the key is within its rate
    limit: one call to the limiter, which counts the check where the route counts it (key
    and body accepted, answer not computed yet). Over the limit, the app answers 429."""
    state = getattr(scope.get("app"), "state", None)
    cache = getattr(state, "key_cache", None)
    service = getattr(state, "service", None)
    if not isinstance(cache, KeyCache) or service is None:
        return None
    try:
        # None: an unknown key, or one read from the store over key_cache_s ago
        caller: Caller | None = cache.fresh(digest)
        if caller is None:
            return None
        req = CheckRequest.model_validate(json.loads(body))
        lang = language_of(None if accept_language is None else accept_language.decode("latin-1"),
                           service.settings.language)  # fmt: skip
    except Exception:  # bad JSON or body: the app says what is wrong
        return None
    if not service.limits.allows(caller.key_id, caller.role, "check"):
        return None  # over the limit (not counted): the app answers 429
    return service, caller, req, lang


def _answer(
    scope: Scope, service: Any, caller: Caller, req: CheckRequest, lang: str
) -> dict[str, object] | None:
    """The response body of an admitted check (:func:`api.routes.protection.check_answer`:
    a partner's is private, with its message and suggestions), or None when it raises: the
    app then words the error, and :data:`api.limits.COUNTED` in ``scope`` tells the route
    that the check is counted already."""
    try:
        return check_answer(service, caller, req.lat, req.lon, req.kind, lang)
    except Exception:  # unknown kind, outside the territory, ...: the app says what
        scope[COUNTED] = True
        return None


async def _refuse_deep(send: Send, payload: bytes) -> None:
    """422: a body nested deeper than :data:`api.validation.MAX_DEPTH` (never parsed)."""
    await send({"type": "http.response.start", "status": 422,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode())]})  # fmt: skip
    await send({"type": "http.response.body", "body": payload})
