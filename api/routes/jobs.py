"""``/v1/jobs``: heavy work that outlives its request; :func:`run_heavy` for the heavy routes.

The job runner, the cost estimates and the budget live in :mod:`api.services.jobs`; this
module is their HTTP face.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.auth import Caller, get_caller
from api.errors import ERROR_RESPONSES
from api.schemas import json_as_built
from api.services.jobs import Job, JobRunner, budget_of, runner_for

__all__ = ["HEAVY_RESPONSES", "JobOut", "router", "run_heavy"]

router = APIRouter(prefix="/v1", tags=["jobs"], responses=ERROR_RESPONSES)


class JobOut(BaseModel):
    """A job: heavy work running in a worker process (see ``/v1/jobs/{id}``)."""

    id: str = Field(description="the job id; only the key that started it can see it")
    kind: str = Field(
        description="plan, score, whitespace, check-batch or calibrate", examples=["plan"]
    )
    status: str = Field(description="queued, running, done, failed or cancelled")
    cost: int = Field(description="the estimated work, units (about microseconds of one core)")
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    error: str | None = Field(None, description="why a failed job failed")
    result: Any = Field(None, description="the body the route answers, once the job is done")


#: extra responses of a route that may run as a job
HEAVY_RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {"model": JobOut, "description": "over PVZ_COST_SYNC: started as a job; poll "
          "`GET /v1/jobs/{id}` (also in the Location header)"},
    413: {"description": "body or batch over the size limit, or the estimated work over "
          "PVZ_COST_LIMIT (the message names the limit and the estimate)"},
    503: {"description": "too many jobs waiting for a worker; try again later"},
}  # fmt: skip


def _body(job: Job) -> bytes:
    head = orjson.dumps(job.describe())
    if job.status != "done" or job.result_json is None:
        return head[:-1] + b',"result":null}'
    return head[:-1] + b',"result":' + job.result_json + b"}"


def _runner(request: Request) -> JobRunner:
    runner: JobRunner | None = getattr(request.app.state, "jobs", None)
    if runner is None:  # an app driven without its lifespan (the fuzz test)
        runner = request.app.state.jobs = runner_for(request.app.state.service)
    return runner


async def run_heavy(
    request: Request, caller: Caller, kind: str, cost: float, work: Callable[[], Any]
) -> Response:
    """Run ``work`` (returns the JSON body) as its estimated ``cost`` says: over the budget
    413, tiny in a thread here, up to ``cost_sync`` in a worker process while the request
    waits (a disconnect kills it), above that as a job (202)."""
    settings = request.app.state.service.settings
    mode = budget_of(settings).mode(cost, kind)
    if mode == "inline":
        body = await run_in_threadpool(work)
        return Response(orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY),
                        media_type="application/json")  # fmt: skip
    runner = _runner(request)
    if mode == "sync":
        data = await runner.run_sync(kind, work, cost=cost, disconnected=request.is_disconnected)
        return Response(data, media_type="application/json")
    job = runner.submit(kind, work, owner=caller.key_id, cost=cost)
    return Response(_body(job), status_code=202, media_type="application/json",
                    headers={"Location": f"/v1/jobs/{job.id}"})  # fmt: skip


_JOB_ID = Path(description="the id a 202 answer gave", max_length=64)


@router.get("/jobs/{job_id}", **json_as_built(JobOut), summary="A job's status and result")
async def get_job(
    request: Request, job_id: str = _JOB_ID, caller: Caller = Depends(get_caller)
) -> Response:
    """The job's status; once ``done``, its ``result`` is the body the route would have
    answered. Results are kept ``PVZ_JOB_KEEP_S`` seconds after the job ends. Another
    key's job is 404, as an unknown id."""
    return Response(_body(_runner(request).get(job_id, caller.key_id)),
                    media_type="application/json")  # fmt: skip


@router.delete("/jobs/{job_id}", **json_as_built(JobOut), summary="Cancel a job")
async def cancel_job(
    request: Request, job_id: str = _JOB_ID, caller: Caller = Depends(get_caller)
) -> Response:
    """Cancel the job: a queued job never starts, a running one's worker process is killed
    at once (status ``cancelled``); a finished job is left as it is. Another key's job is
    404, as an unknown id."""
    job = _runner(request).cancel(job_id, caller.key_id)
    with contextlib.suppress(Exception):  # the kill is at once; its status follows shortly
        await asyncio.wait_for(asyncio.wrap_future(job.future), 2.0)
    return Response(orjson.dumps(job.describe() | {"result": None}),
                    media_type="application/json")  # fmt: skip
