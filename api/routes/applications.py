"""``/v1/applications``: partner onboarding with an instant, explained protection decision.

The lifecycle (pending, refused, approved, rejected, withdrawn, expired) is
:mod:`api.services.onboarding`'s; what a partner may see is
:mod:`api.services.answers`' (no other partner's ids, distances rounded to 50 m).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.auth import EXPANSION, PARTNER, Caller, get_caller, get_service
from api.errors import ERROR_RESPONSES
from api.routes.points import decode_cursor, encode_cursor
from api.routes.protection import blocker_owner, language
from api.schemas import ApplicationCreate, ApplicationList, ApplicationOut, Decision
from api.service import Service
from api.services import answers
from api.services.onboarding import STATUSES
from data.errors import InputError, PermissionDeniedError
from data.store import Application

__all__ = ["router"]

router = APIRouter(prefix="/v1/applications", tags=["applications"], responses=ERROR_RESPONSES)

AppId = Path(min_length=1, max_length=100, description="application id", examples=["A-1a2b3c"])

_FORECAST = set(ApplicationOut.model_fields) - {"id", "status", "message", "suggestions"}


def _decided_by(actor: str | None) -> str | None:
    """Who decided, as a partner sees it: ``staff`` for an admin or expansion key (no key
    id), ``partner`` for its own withdrawal, ``system`` (expiry) as it is."""
    if actor is None:
        return None
    role = actor.split(":", 1)[0]
    return "staff" if role in ("admin", "expansion") else role


def _out(
    a: Application,
    caller: Caller,
    lang: str,
    suggestions: list[dict[str, Any]] | None = None,
    *,
    service: Service | None = None,
    suggested: bool = True,
) -> ApplicationOut:
    """An application as ``caller`` may see it: a partner sees other partners' blockers
    without ids (its own with theirs, when ``service`` is given to tell them), distances
    rounded to 50 m, no staff key ids; everyone gets the stored forecast and a message
    (``suggested`` False: suggestions were not looked for, the message says nothing of
    them)."""
    d = asdict(a)
    partner = caller.role == "partner"
    own = (answers.owned(a.conflicts, caller.partner_id, blocker_owner(service))
           if partner and service is not None and a.conflicts else frozenset())  # fmt: skip
    d["conflicts"] = [answers.blocker(c, partner=partner, own=str(c.point_id) in own)
                      for c in a.conflicts]  # fmt: skip
    if partner:
        d["decided_by"] = _decided_by(a.decided_by)
    forecast = d.pop("forecast", None) or {}
    for k, v in forecast.items():
        if k in _FORECAST and k not in d:
            d[k] = v  # as stored: money as decimal strings (api.service.forecast_of)
    d["message"] = answers.message(allowed=a.allowed, conflicts=a.conflicts, language=lang,
                                   status=a.status, reserved_until=a.reserved_until,
                                   suggestions=suggestions or (), radius_m=a.radius_m,
                                   own=own, suggested=suggested)  # fmt: skip
    d["suggestions"] = suggestions
    return ApplicationOut(**d)


def _suggest(service: Service, a: Application, lang: str) -> list[dict[str, Any]] | None:
    return (
        service.suggest(a.lat, a.lon, kind=a.kind, language=lang) if a.status == "refused" else None
    )


@router.post(
    "",
    response_model=ApplicationOut,
    status_code=201,
    summary="Apply for a location",
    responses={
        200: {"model": ApplicationOut, "description": "your own pending application at this spot"}
    },
)
async def post_application(
    body: ApplicationCreate,
    response: Response,
    caller: Caller = Depends(PARTNER),
    service: Service = Depends(get_service),
    lang: str = Depends(language),
) -> ApplicationOut:
    """Submit a location with its features. The answer comes at once: ``pending`` (allowed:
    the spot is reserved for you until ``reserved_until``) or ``refused`` (blocked: the
    blockers, a ``message`` and up to 3 ``suggestions`` of nearby spots allowed now), with
    the score, expected turnover and reward (kept with the application). The kind is
    ``partner`` (another kind is a 422); a spot outside the service territory is a 422 (it
    says when the coordinates look swapped). Applying again within 1 m of your own pending
    application returns it (200). At most ``max_pending_per_partner`` (10) pending at once
    (409); rate limited per key (429 with ``Retry-After``)."""
    assert caller.partner_id is not None
    service.limits.hit(caller.key_id, caller.role, "apply", language=lang)
    if body.kind is not None and body.kind != "partner":
        raise InputError(f"a partner's application is of kind 'partner', not {body.kind!r}",
                         column="kind")  # fmt: skip

    def run() -> tuple[ApplicationOut, bool]:
        sub = service.submit(body.model_dump(), partner_id=caller.partner_id or "",
                             actor=caller.actor, language=lang, check_territory=True)  # fmt: skip
        return (_out(sub.app, caller, lang, _suggest(service, sub.app, lang), service=service),
                sub.created)  # fmt: skip

    out, created = await run_in_threadpool(run)
    response.status_code = 201 if created else 200
    return out


@router.get("", response_model=ApplicationList, summary="List applications")
async def list_applications(
    status: str | None = Query(None, pattern=f"^({'|'.join(STATUSES)})$",
                               description="the current status"),
    partner_id: str | None = Query(None, max_length=100, description="expansion/admin only"),
    limit: int = Query(100, ge=1, le=1000),
    cursor: str | None = Query(None, max_length=500),
    caller: Caller = Depends(get_caller),
    service: Service = Depends(get_service),
    lang: str = Depends(language),
) -> ApplicationList:  # fmt: skip
    """Applications ordered by id, their status as of now; a partner sees its own only.
    Suggestions are not looked for in a listing (``null``; GET one application for them)."""
    apps = await run_in_threadpool(service.list_applications,
                                   partner_id=caller.only_own(partner_id),
                                   status=status, limit=limit + 1,
                                   after=decode_cursor(cursor))  # fmt: skip
    more = len(apps) > limit
    apps = apps[:limit]
    nxt = encode_cursor(apps[-1].id) if more and apps else None

    def out() -> list[ApplicationOut]:
        return [_out(a, caller, lang, service=service, suggested=False) for a in apps]

    return ApplicationList(applications=await run_in_threadpool(out), next_cursor=nxt)


@router.get("/{app_id}", response_model=ApplicationOut, summary="One application")
async def get_application(
    app_id: str = AppId,
    caller: Caller = Depends(get_caller),
    service: Service = Depends(get_service),
    lang: str = Depends(language),
) -> ApplicationOut:
    """An application by id, its status as of now, with the forecast kept from submission
    (a partner: only its own; a refused one with up to 3 suggestions allowed now)."""
    app = caller.visible(await run_in_threadpool(service.get_application, app_id), "application")
    sugg = await run_in_threadpool(_suggest, service, app, lang)
    return await run_in_threadpool(_out, app, caller, lang, sugg, service=service)


@router.post("/{app_id}/withdraw", response_model=ApplicationOut, summary="Withdraw")
async def withdraw(
    app_id: str = AppId,
    body: Decision | None = None,
    caller: Caller = Depends(get_caller),
    service: Service = Depends(get_service),
    lang: str = Depends(language),
) -> ApplicationOut:
    """End your pending application (a partner: its own; or an admin): its spot is free
    for others at once. 409 saying why for one that is not pending."""
    if caller.role not in ("partner", "admin"):
        raise PermissionDeniedError("only the application's partner or an admin may withdraw it")
    app = await run_in_threadpool(
        service.withdraw_application, app_id, actor=caller.actor,
        partner_id=caller.partner_id if caller.role == "partner" else None,
        reason=body.reason if body else None, language=lang,
    )  # fmt: skip
    return _out(app, caller, lang, service=service)


@dataclass(frozen=True)
class _Decision:
    """What approving or rejecting needs: the application, the reason given, an expansion
    or admin caller, the service, the answer's language."""

    app_id: str
    reason: str | None
    caller: Caller
    service: Service
    lang: str


def _decision(
    app_id: str = AppId,
    body: Decision | None = None,
    caller: Caller = Depends(EXPANSION),
    service: Service = Depends(get_service),
    lang: str = Depends(language),
) -> _Decision:
    return _Decision(app_id, body.reason if body else None, caller, service, lang)


@router.post("/{app_id}/approve", response_model=ApplicationOut, summary="Approve")
async def approve(d: _Decision = Depends(_decision)) -> ApplicationOut:
    """Turn a pending application into an active point, atomically with the protection check
    against the stored points and reservations; 409 with the blocking points otherwise, and
    409 saying why for a refused, expired, withdrawn or decided application."""
    app, _point = await run_in_threadpool(d.service.approve_application, d.app_id,
                                          actor=d.caller.actor, reason=d.reason,
                                          language=d.lang)  # fmt: skip
    return _out(app, d.caller, d.lang, service=d.service)


@router.post("/{app_id}/reject", response_model=ApplicationOut, summary="Reject")
async def reject(d: _Decision = Depends(_decision)) -> ApplicationOut:
    """Reject a pending application (a reason is required); its reservation ends. 409 saying
    why for one that is not pending."""
    if not d.reason:
        raise InputError("a reason is required to reject", column="reason")
    app = await run_in_threadpool(d.service.reject_application, d.app_id, actor=d.caller.actor,
                                  reason=d.reason, language=d.lang)  # fmt: skip
    return _out(app, d.caller, d.lang, service=d.service)
