"""``GET /v1/model``, ``POST /v1/model/calibrate``: the scoring model and its calibration.

The scoring model (Huff) is calibrated on the stored orders: each open point's monthly
turnover by the statements' rules, cross-validated over the network's points. The
calibration (fitted parameters, the months and points it rests on, the cross-validated
error and the measured coverage of the 80 % range) is stored; scores and onboarding
answers use the latest one and say so.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.auth import ADMIN, EXPANSION, Caller, get_service
from api.errors import ERROR_RESPONSES
from api.routes.jobs import HEAVY_RESPONSES, run_heavy
from api.schemas import json_as_built
from api.service import Service
from api.services.forecast import Forecaster
from api.services.jobs import calibration_cost

__all__ = ["router"]

router = APIRouter(prefix="/v1/model", tags=["model"], responses=ERROR_RESPONSES)


class CalibrateRequest(BaseModel):
    """Which months of orders to calibrate on (default: the last whole months)."""

    months: list[str] | None = Field(
        None, min_length=1, max_length=36, description="YYYY-MM months (default: the settings' "
        "model_calibration_months whole months up to the latest order)",
        examples=[["2026-08", "2026-09", "2026-10"]],
    )  # fmt: skip
    model_config = ConfigDict(extra="forbid")


class ModelOut(BaseModel):
    """The scoring model: calibrated or not, on what, how well, with which parameters."""

    calibrated: bool
    note: str = Field(description="what forecasts rest on, in Russian")
    note_en: str = Field(description="the same in English")
    calibration: dict[str, Any] | None = Field(
        None, description="id, created_at, created_by, first_month, last_month, n_points, "
        "params (fitted Huff parameters), fit (cross-validated mdape, coverage of the 80 % "
        "range, residual quantiles q_low/q_high, per-decay mdape), basis (months, points, "
        "order lines)",
    )  # fmt: skip


def _out(cal: Any) -> ModelOut:
    fc = Forecaster.of(cal)
    return ModelOut(calibrated=fc.calibrated, note=fc.note("ru"), note_en=fc.note("en"),
                    calibration=asdict(cal) if fc.calibrated else None)  # fmt: skip


@router.get("", response_model=ModelOut, summary="The scoring model and its calibration")
async def get_model(
    caller: Caller = Depends(EXPANSION),
    service: Service = Depends(get_service),
) -> ModelOut:
    """The latest calibration: fitted parameters, the months and number of points it rests
    on, the cross-validated median absolute percentage error and the measured coverage of
    the 80 % range; ``calibrated: false`` before the first calibration."""
    return _out(await run_in_threadpool(service.latest_calibration))


_CALIBRATE_ROUTE = json_as_built(ModelOut)
_CALIBRATE_ROUTE["responses"].update(HEAVY_RESPONSES)


@router.post("/calibrate", **_CALIBRATE_ROUTE, summary="Calibrate on the stored orders")
async def calibrate(
    request: Request,
    body: CalibrateRequest | None = None,
    caller: Caller = Depends(ADMIN),
    service: Service = Depends(get_service),
) -> Response:
    """Calibrate the scoring model on the stored orders now and store the calibration
    (admin). 409 when there are too few points with turnover (nothing is stored); 422 for
    a bad month. A large network calibrates in a worker process, the largest as a job
    (202, ``GET /v1/jobs/{id}``; minutes at 250,000 points), see the README, "Heavy work"."""
    months = body.months if body else None
    n_months = len(months) if months else service.settings.model_calibration_months
    cost = calibration_cost(len(service.network.index), n_months, service.settings.cost_limit)

    def run() -> dict[str, Any]:
        cal = service.calibrate_model(actor=caller.actor, months=months)
        return _out(cal).model_dump(mode="json")

    return await run_heavy(request, caller, "calibrate", cost, run)
