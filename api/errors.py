"""The one place that maps domain errors (``data.errors``) to HTTP responses.

Every error body is ``{"error": code, "message": text, "detail": [...]}``
(:class:`api.schemas.ErrorBody`). Bad input is a 4xx, never a 500.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import wording
from api.limits import RateLimited
from api.services.answers import language_of
from api.services.jobs import Busy, ClientGone, JobFailed, OverBudget
from data.errors import (
    AuthenticationError,
    ConflictError,
    InputError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    ProtectionConflict,
    PvzError,
)

__all__ = [
    "COMMON_RESPONSES",
    "ERROR_RESPONSES",
    "document_errors",
    "error_response",
    "install_error_handlers",
    "status_of",
]

log = logging.getLogger(__name__)

#: domain error class -> (HTTP status, machine code); the most specific class wins
_STATUS: list[tuple[type[PvzError], int, str]] = [
    (ProtectionConflict, 409, "protection_conflict"),
    (OverBudget, 413, "over_budget"),
    (Busy, 503, "busy"),
    (JobFailed, 500, "job_failed"),
    (ClientGone, 499, "client_closed"),
    (ConflictError, 409, "conflict"),
    (PayloadTooLargeError, 413, "too_large"),
    (InputError, 422, "invalid_input"),
    (NotFoundError, 404, "not_found"),
    (AuthenticationError, 401, "unauthenticated"),
    (PermissionDeniedError, 403, "forbidden"),
    (RateLimited, 429, "rate_limited"),
]

#: OpenAPI descriptions of the error responses, for ``responses=`` on routes
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing or unknown X-API-Key"},
    403: {"description": "the key's role may not do this"},
    404: {"description": "unknown id"},
    409: {"description": "the protection rule forbids it; `detail` lists the blocking points"},
    413: {"description": "body or batch over the size limit"},
    422: {"description": "invalid input; `detail` says which field and why"},
    429: {"description": "over the key's rate limit; `Retry-After` says when to retry, s"},
}


#: the errors any operation can answer, whatever its route: the middlewares (body size,
#: input edges: control characters, plain numbers, JSON depth) run before routing, and a
#: domain error of no finer class is a 400
COMMON_RESPONSES: dict[str, dict[str, Any]] = {
    "400": {"description": "a request the service cannot read (no finer code applies)"},
    "413": ERROR_RESPONSES[413],
    "422": {"description": "invalid input (a control character, a number that is not plain "
            "ASCII, JSON nested too deep or unparseable, a bad field); `detail` says which "
            "field and why"},
}  # fmt: skip


def document_errors(app: FastAPI) -> None:
    """Make ``app``'s OpenAPI document list :data:`COMMON_RESPONSES` (with the
    :class:`api.schemas.ErrorBody` schema) on every operation, so every 4xx the app can
    answer is documented (``tests/api/test_api_fuzz.py`` checks it)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        error_ref = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
        has_error_body = "ErrorBody" in schema.get("components", {}).get("schemas", {})
        for operations in schema.get("paths", {}).values():
            for op in operations.values():
                if not isinstance(op, dict) or "responses" not in op:
                    continue
                for code, entry in COMMON_RESPONSES.items():
                    if code not in op["responses"]:
                        op["responses"][code] = dict(entry)
                        if has_error_body:
                            op["responses"][code]["content"] = error_ref
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def status_of(exc: PvzError) -> tuple[int, str]:
    """HTTP status and machine code of a domain error."""
    for cls, status, code in _STATUS:
        if isinstance(exc, cls):
            return status, code
    return 400, "bad_request"


def error_response(
    status: int, code: str, message: str, detail: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:  # fmt: skip
    """A JSON error response in the :class:`api.schemas.ErrorBody` shape."""
    body: dict[str, Any] = {"error": code, "message": message}
    if detail is not None:
        body["detail"] = detail
    return JSONResponse(status_code=status, content=body, headers=headers)


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _language(request: Request) -> str:
    """``ru`` or ``en``: the request's ``Accept-Language``, else the service's setting."""
    service = getattr(request.app.state, "service", None)
    default = getattr(getattr(service, "settings", None), "language", "ru")
    return language_of(request.headers.get("accept-language"), default)


def _domain(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PvzError)
    status, code = status_of(exc)
    lang = _language(request)
    detail: list[dict[str, Any]] | None = None
    if isinstance(exc, ProtectionConflict):
        detail = [{"point_id": str(pid), "distance_m": _finite(round(float(d), 3)),
                   "radius_m": _finite(float(r))} for pid, d, r in exc.conflicts]  # fmt: skip
        if _is_partner(request):  # a partner never learns others' ids or exact distances
            detail = [{"point_id": None, "distance_m": 50.0 * round(float(d) / 50.0),
                       "radius_m": _finite(float(r))} for _, d, r in exc.conflicts]  # fmt: skip
            return error_response(status, code, wording.api_text(
                "the protection rule forbids it: another point or reservation is within the "
                "protected radius", lang), detail)  # fmt: skip
    message = wording.api_text(str(exc), lang)
    if isinstance(exc, InputError):  # "field 'lat': ..." (an HTTP API has fields, not columns)
        message = wording.api_message(exc.message, lang, field=exc.column, source=exc.source,
                                      row=exc.row)  # fmt: skip
        if exc.column:
            detail = [{"loc": [exc.column], "msg": wording.api_text(exc.message, lang)}]
    headers = {"WWW-Authenticate": "ApiKey"} if status == 401 else None
    if isinstance(exc, RateLimited):
        headers = {"Retry-After": str(exc.retry_after_s)}
    return error_response(status, code, message, detail, headers)


def _is_partner(request: Request) -> bool:
    """Whether the request came with a known partner key (from the app's key cache)."""
    from api.auth import KeyCache, hash_key

    key = request.headers.get("x-api-key")
    cache = getattr(request.app.state, "key_cache", None)
    caller = cache.seen(hash_key(key)) if key and isinstance(cache, KeyCache) else None
    return caller is not None and caller.role == "partner"


def _safe(value: Any) -> Any:
    """JSON-safe copy of a validation error's context (no NaN, no exceptions)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str | int | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_safe(v) for v in value]
    return str(value)


def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    lang = _language(request)
    detail = [{"loc": _safe(list(e.get("loc", ()))),
               "msg": wording.validation_text(str(e.get("type", "")), str(e.get("msg", "")),
                                              e.get("ctx"), lang),
               "type": str(e.get("type", ""))} for e in exc.errors()]  # fmt: skip
    invalid = "некорректный запрос" if lang != "en" else "invalid request"
    first = detail[0] if detail else {"loc": [], "msg": invalid}
    where = ".".join(str(x) for x in first["loc"])
    message = wording.validation_message(where, str(first["msg"]), len(detail) - 1 if detail
                                         else 0, lang)  # fmt: skip
    return error_response(422, "invalid_input", message, detail)


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}
    return error_response(exc.status_code, codes.get(exc.status_code, "http_error"),
                          wording.api_text(str(exc.detail), _language(request)),
                          headers=getattr(exc, "headers", None))  # fmt: skip


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(
        500,
        "internal_error",
        wording.api_text("internal error (logged on the server)", _language(request)),
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(PvzError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
