"""``/v1/applications``: partner onboarding with an instant, explained protection decision."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, Path, Query
from starlette.concurrency import run_in_threadpool

from api.auth import EXPANSION, PARTNER, Caller, get_caller, get_service
from api.errors import ERROR_RESPONSES
from api.routes.points import decode_cursor, encode_cursor
from api.schemas import ApplicationCreate, ApplicationList, ApplicationOut, Decision
from api.service import ApplicationScore, Service
from data.errors import InputError
from data.store import Application

__all__ = ["router"]

router = APIRouter(prefix="/v1/applications", tags=["applications"], responses=ERROR_RESPONSES)

AppId = Path(min_length=1, max_length=100, description="application id", examples=["A-1a2b3c"])


def _out(a: Application, score: ApplicationScore | None = None) -> ApplicationOut:
    d = asdict(a)
    d["conflicts"] = [{"point_id": str(c.point_id), "distance_m": round(c.distance_m, 3),
                       "radius_m": c.radius_m} for c in a.conflicts]  # fmt: skip
    if score is None:
        return ApplicationOut(**d)
    turnover, reward = score.expected_turnover_rub, score.expected_reward_rub
    d.update(score.ranges or {})  # the 80 % ranges, when the model is calibrated
    return ApplicationOut(**d, score=score.score,
                          expected_turnover_rub=None if turnover is None else str(turnover),
                          expected_reward_rub=None if reward is None else str(reward),
                          forecast=score.forecast)  # fmt: skip


@router.post("", response_model=ApplicationOut, status_code=201, summary="Apply for a location")
async def post_application(
    body: ApplicationCreate,
    caller: Caller = Depends(PARTNER),
    service: Service = Depends(get_service),
) -> ApplicationOut:
    """Submit a location with its features. The answer comes at once: allowed or not, the
    blocking points with their distances; an allowed application reserves its spot
    (``reserved_until``) so a second applicant next door is told it is taken."""
    assert caller.partner_id is not None
    app = await run_in_threadpool(service.submit_application, body.model_dump(),
                                  partner_id=caller.partner_id, actor=caller.actor)  # fmt: skip
    return _out(app, await run_in_threadpool(service.score_application, app))


@router.get("", response_model=ApplicationList, summary="List applications")
async def list_applications(
    status: str | None = Query(None, pattern="^(pending|approved|rejected)$"),
    partner_id: str | None = Query(None, max_length=100, description="expansion/admin only"),
    limit: int = Query(100, ge=1, le=1000),
    cursor: str | None = Query(None, max_length=500),
    caller: Caller = Depends(get_caller),
    service: Service = Depends(get_service),
) -> ApplicationList:
    """Applications ordered by id; a partner sees its own only."""
    apps = await run_in_threadpool(service.list_applications,
                                   partner_id=caller.only_own(partner_id),
                                   status=status, limit=limit + 1,
                                   after=decode_cursor(cursor))  # fmt: skip
    more = len(apps) > limit
    apps = apps[:limit]
    nxt = encode_cursor(apps[-1].id) if more and apps else None
    return ApplicationList(applications=[_out(a) for a in apps], next_cursor=nxt)


@router.get("/{app_id}", response_model=ApplicationOut, summary="One application")
async def get_application(
    app_id: str = AppId,
    caller: Caller = Depends(get_caller),
    service: Service = Depends(get_service),
) -> ApplicationOut:
    """An application by id (a partner: only its own)."""
    app = await run_in_threadpool(service.get_application, app_id)
    return _out(caller.visible(app, "application"))


@router.post("/{app_id}/approve", response_model=ApplicationOut, summary="Approve")
async def approve(
    app_id: str = AppId,
    body: Decision | None = None,
    caller: Caller = Depends(EXPANSION),
    service: Service = Depends(get_service),
) -> ApplicationOut:
    """Turn a pending application into an active point, atomically with the protection check
    against the stored points and reservations; 409 with the blocking points otherwise."""
    reason = body.reason if body else None
    app, _point = await run_in_threadpool(service.approve_application, app_id,
                                          actor=caller.actor, reason=reason)  # fmt: skip
    return _out(app)


@router.post("/{app_id}/reject", response_model=ApplicationOut, summary="Reject")
async def reject(
    app_id: str = AppId,
    body: Decision | None = None,
    caller: Caller = Depends(EXPANSION),
    service: Service = Depends(get_service),
) -> ApplicationOut:
    """Reject a pending application (a reason is required); its reservation ends."""
    if body is None or not body.reason:
        raise InputError("a reason is required to reject", column="reason")
    app = await run_in_threadpool(service.reject_application, app_id, actor=caller.actor,
                                  reason=body.reason)  # fmt: skip
    return _out(app)
