"""``/v1/protection``: check candidates against the protection rule; audit the network."""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from dataclasses import replace

import numpy as np
import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from api.auth import EXPANSION, Caller, get_caller, get_service
from api.errors import ERROR_RESPONSES
from api.limits import COUNTED
from api.routes.jobs import HEAVY_RESPONSES, run_heavy
from api.schemas import (
    AuditPair,
    BatchCheckRequest,
    BatchCheckResponse,
    CheckRequest,
    CheckResponse,
    json_as_built,
)
from api.service import Service
from api.services import answers
from api.services.jobs import check_batch_cost
from data.errors import Conflict, InputError, NotFoundError, PayloadTooLargeError
from planning.protection import BatchCheck, CheckResult

__all__ = ["blocker_owner", "check_answer", "check_body", "json_response", "language", "router"]

router = APIRouter(prefix="/v1/protection", tags=["protection"], responses=ERROR_RESPONSES)


def _name(x: object) -> str | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else str(x)


def check_body(
    r: CheckResult, *, partner: bool = False, own: Collection[str] = frozenset()
) -> dict[str, object]:
    """The JSON body of a :class:`CheckResult` (conflicts nearest first): in full detail, or
    as a ``partner`` sees it (:func:`api.services.answers.blocker`; ``own``: the ids of the
    blockers that are the partner's own, shown with their ids)."""
    return {
        "allowed": r.allowed,
        "radius_m": r.radius_m,
        "settlement": _name(r.settlement),
        "settlement_population": int(r.settlement_population),
        "conflicts": [
            answers.blocker(c, partner=partner, own=str(c.point_id) in own) for c in r.conflicts
        ],  # fmt: skip
    }


def language(request: Request) -> str:
    """``ru`` or ``en``: the request's ``Accept-Language``, else ``settings.language``."""
    service: Service = request.app.state.service
    return answers.language_of(request.headers.get("accept-language"), service.settings.language)


def blocker_owner(service: Service) -> Callable[[Conflict], str | None]:
    """``owner(conflict)``: the partner owning a blocking point or reservation (the pending
    application's), None for none or one gone since (for :func:`answers.owned`)."""

    def owner(c: Conflict) -> str | None:
        try:
            if c.kind == "reservation":
                return service.get_application(str(c.point_id)).partner_id
            return service.get_point(str(c.point_id)).partner_id
        except NotFoundError:
            return None

    return owner


def check_answer(
    service: Service, caller: Caller, lat: float, lon: float, kind: str | None, lang: str
) -> dict[str, object]:
    """The body of ``POST /v1/protection/check`` for ``caller`` (both lanes answer with it).

    Expansion and admin: the full detail (ids, exact distances). A partner: its kind is
    ``partner`` (another kind: :class:`InputError`), the spot must lie in the service
    territory (:class:`InputError`, naming swapped coordinates), blockers without ids and
    with distances rounded to 50 m (its own with their ids), a ``message`` in ``lang`` and,
    when blocked, up to 3 ``suggestions``.
    """
    if caller.role != "partner":
        r = service.check(lat, lon, kind=kind)
        return check_body(replace(r, conflicts=service.with_kinds(r.conflicts)))
    if kind is not None and kind != "partner":
        raise InputError(f"a partner checks kind 'partner' only, not {kind!r}", column="kind")
    service.territory.require(lat, lon, language=lang)
    r = service.check(lat, lon, kind="partner")
    r = replace(r, conflicts=service.with_kinds(r.conflicts))
    sugg = [] if r.allowed else service.suggest(lat, lon, kind="partner", language=lang)
    own = answers.owned(r.conflicts, caller.partner_id, blocker_owner(service))
    msg = answers.message(allowed=r.allowed, conflicts=r.conflicts, language=lang,
                          suggestions=sugg, radius_m=r.radius_m, own=own)  # fmt: skip
    return {**check_body(r, partner=True, own=own), "message": msg, "suggestions": sugg}


def json_response(content: object) -> Response:
    """A JSON response serialised once with orjson (same bytes as ``JSONResponse`` for these
    bodies: compact, UTF-8, shortest float repr), without a response-model pass."""
    return Response(orjson.dumps(content), media_type="application/json")


@router.post("/check", **json_as_built(CheckResponse), summary="Check one location")
async def check(
    body: CheckRequest,
    request: Request,
    caller: Caller = Depends(get_caller),
    service: Service = Depends(get_service),
    lang: str = Depends(language),
) -> Response:
    """Is a new point allowed here? Its radius, settlement and the blocking points (live points
    and reserved applications, ``kind`` says which), nearest first. A fast pre-check: writes
    re-check atomically. A partner key sees no ids and distances rounded to 50 m, gets a
    ``message`` (Russian; English with ``Accept-Language: en``) and, when blocked, up to 3
    ``suggestions``; its kind is ``partner`` and the spot must lie in the service territory
    (422 otherwise). Rate limited per key (429 with ``Retry-After``)."""
    if not request.scope.get(COUNTED):  # the fast lane counted it already (api.fast_check)
        service.limits.hit(caller.key_id, caller.role, "check", language=lang)
    if caller.role == "partner":
        body_ = await run_in_threadpool(check_answer, service, caller, body.lat, body.lon,
                                        body.kind, lang)  # fmt: skip
        return json_response(body_)
    return json_response(check_answer(service, caller, body.lat, body.lon, body.kind, lang))


def _batch_body(ids: list[str | None], b: BatchCheck) -> dict[str, object]:
    off = b.pairs.offsets(len(b))
    pid = [str(x) for x in b.point_ids]
    dist = np.round(b.pairs.distance_m, 3).tolist()
    prad = b.pairs.point_radius_m.tolist()
    allowed = b.allowed.tolist()
    radius = b.radius_m.tolist()
    results = [
        {"id": ids[i], "allowed": allowed[i], "radius_m": radius[i],
         "settlement": _name(b.settlement[i]),
         "settlement_population": int(b.settlement_population[i]),
         "conflicts": [{"point_id": pid[k], "distance_m": dist[k], "radius_m": prad[k]}
                       for k in range(int(off[i]), int(off[i + 1]))]}
        for i in range(len(b))
    ]  # fmt: skip
    return {"n": len(b), "n_allowed": int(b.allowed.sum()), "results": results}


_BATCH_ROUTE = json_as_built(BatchCheckResponse)
_BATCH_ROUTE["responses"].update(HEAVY_RESPONSES)


@router.post("/check-batch", **_BATCH_ROUTE, summary="Check many locations")
async def check_batch(
    request: Request,
    body: BatchCheckRequest,
    caller: Caller = Depends(EXPANSION),
    service: Service = Depends(get_service),
) -> Response:
    """Decide up to ``max_batch`` (default 100,000) candidates at once, in their order.
    Large batches run in a worker process, the largest as jobs (202), see the README,
    "Heavy work"."""
    service.limits.hit(caller.key_id, caller.role, "check")
    n = len(body.candidates)
    if n > service.settings.max_batch:
        raise PayloadTooLargeError(
            f"{n} candidates; at most {service.settings.max_batch} per batch", column="candidates"
        )
    lat = np.array([c.lat for c in body.candidates], dtype=np.float64)
    lon = np.array([c.lon for c in body.candidates], dtype=np.float64)
    kinds = [c.kind or service.policy.default_kind for c in body.candidates]
    ids = [c.id for c in body.candidates]

    def run() -> dict[str, object]:
        return _batch_body(ids, service.check_batch(lat, lon, kind=kinds))

    return await run_heavy(request, caller, "check-batch", check_batch_cost(n), run)


@router.get(
    "/audit",
    summary="Pairs of live points violating the rule",
    **json_as_built(list[AuditPair], content={"application/json": {"example": [
        {"a_id": "P000001", "b_id": "P000002", "distance_m": 321.5, "radius_m": 500.0}]}}),
)  # fmt: skip
async def audit(
    caller: Caller = Depends(EXPANSION),
    service: Service = Depends(get_service),
) -> JSONResponse:
    """Every pair of live points closer than ``max(r_a, r_b)`` (legacy data, overrides,
    tier changes), nearest first."""

    return JSONResponse(await run_in_threadpool(service.audit_pairs))
