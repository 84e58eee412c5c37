"""Every route answers with what /docs says: its response model, or, where it sends JSON it
built itself (``response_class`` declared, the model documented), a body that matches it."""

from __future__ import annotations

import inspect
import time
from collections.abc import Iterator
from typing import Any, get_type_hints

import pytest
from apikit import MOSCOW, Api, near, running_app
from fastapi.datastructures import DefaultPlaceholder
from fastapi.routing import APIRoute
from pydantic import TypeAdapter
from starlette.responses import Response
from test_api_planning import NETWORK, PLAN, SCORE, WS

from api.app import create_app
from api.routes.jobs import JobOut
from api.schemas import AuditPair, BatchCheckResponse, CheckResponse
from api.schemas_planning import PlanResponse, ScoreResponse, WhitespaceCollection
from api.settings import Settings
from geo.settlements import SettlementLookup


def _routes() -> list[Any]:
    """Every documented route of the app (FastAPI 0.13x+ keeps included routers as such:
    their routes are walked through ``iter_route_contexts``, with the router's settings)."""
    app = create_app(Settings(database_url="sqlite:///unused.db"))
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # an older FastAPI: the routes are flat
        return [r for r in app.routes if isinstance(r, APIRoute) and r.include_in_schema]
    return [c for c in iter_route_contexts(app.routes)
            if isinstance(c.original_route, APIRoute) and c.include_in_schema]  # fmt: skip


def _returns_response(route: Any) -> bool:
    ret = get_type_hints(route.endpoint).get("return")
    return inspect.isclass(ret) and issubclass(ret, Response)


def test_the_walk_sees_every_documented_route() -> None:
    paths = {r.path for r in _routes()}
    assert {"/v1/protection/check", "/v1/jobs/{job_id}", "/v1/applications", "/health"} <= paths
    assert "/map/config.json" not in paths  # left out of /docs


def test_hand_built_json_is_declared_honestly() -> None:
    for route in _routes():
        if not _returns_response(route):
            continue
        where = f"{sorted(route.methods)} {route.path}"
        assert route.response_model is None, f"{where}: a response model it skips"
        assert not isinstance(route.response_class, DefaultPlaceholder), where
        assert 200 in route.responses or route.response_class.media_type != "application/json"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, settlements: SettlementLookup) -> Iterator[Api]:
    url = f"sqlite:///{tmp_path_factory.mktemp('contract') / 'pvz.db'}"
    with running_app(url, settlements, NETWORK) as (client, service):
        yield Api(client, service, {})


C = near(*MOSCOW, 100, 10)
CASES: list[tuple[str, str, dict[str, Any] | None, Any]] = [
    ("POST", "/v1/protection/check", {"lat": C[0], "lon": C[1]}, CheckResponse),
    ("POST", "/v1/protection/check-batch",
     {"candidates": [{"id": "a", "lat": C[0], "lon": C[1]}, {"lat": 60.0, "lon": 30.0}]},
     BatchCheckResponse),
    ("GET", "/v1/protection/audit", None, list[AuditPair]),
    ("POST", "/v1/candidates/score", SCORE, ScoreResponse),
    ("GET", WS, None, WhitespaceCollection),
    ("POST", "/v1/plan", PLAN, PlanResponse),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "model"), CASES, ids=[c[1] for c in CASES])
def test_hand_built_bodies_match_their_documented_model(
    api: Api, method: str, path: str, body: dict[str, Any] | None, model: Any
) -> None:
    r = api.call(method, path, "expansion", json=body)
    assert r.status_code == 200, r.text
    TypeAdapter(model).validate_python(r.json(), strict=False)


def test_job_bodies_match_their_documented_model(
    tmp_path: Any, settlements: SettlementLookup
) -> None:
    """``/v1/jobs/{id}`` (GET, DELETE) and the 202 of a heavy route send JSON they built."""
    url = f"sqlite:///{tmp_path / 'pvz.db'}"
    budget = {"cost_inline": 0, "cost_sync": 0, "cost_limit": 1e12}
    with running_app(url, settlements, NETWORK, **budget) as (client, service):
        api = Api(client, service, {})
        r = api.call("POST", "/v1/protection/check-batch", "expansion", json=CASES[1][2])
        assert r.status_code == 202, r.text
        job = TypeAdapter(JobOut).validate_python(r.json(), strict=False)
        deadline = time.monotonic() + 120
        while job.status not in ("done", "failed", "cancelled") and time.monotonic() < deadline:
            time.sleep(0.05)
            r = api.call("GET", f"/v1/jobs/{job.id}", "expansion")
            assert r.status_code == 200, r.text
            job = TypeAdapter(JobOut).validate_python(r.json(), strict=False)
        assert job.status == "done", job
        TypeAdapter(BatchCheckResponse).validate_python(job.result, strict=False)
        r = api.call("DELETE", f"/v1/jobs/{job.id}", "expansion")
        assert r.status_code == 200, r.text
        assert TypeAdapter(JobOut).validate_python(r.json(), strict=False).status == "done"
