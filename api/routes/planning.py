"""``/v1/candidates/score``, ``/v1/whitespace``, ``/v1/plan``: scoring and site selection."""

from __future__ import annotations

import math

import numpy as np
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.auth import EXPANSION, Caller, get_caller, get_service
from api.errors import ERROR_RESPONSES
from api.routes.jobs import HEAVY_RESPONSES, run_heavy
from api.schemas import json_as_built
from api.schemas_planning import (
    PlanRequest,
    PlanResponse,
    ScoreCandidate,
    ScoreRequest,
    ScoreResponse,
    WhitespaceCollection,
)
from api.service import Service
from api.services.jobs import pairs_within, plan_cost, score_cost, whitespace_cost
from api.services.planning import ScoredBatch, network_model, rub
from data.bbox import in_bbox, parse_bbox
from data.errors import PayloadTooLargeError
from planning.demand import Demand
from planning.scoring import FEATURE_DEFAULTS, FEATURES
from planning.selection import select_sites

__all__ = ["PLAN_MAX_CANDIDATES", "router", "score_body"]

#: what a partner sees of a white-space zone (no point, id or owner is among them)
ZONE_PROPERTIES = frozenset(
    {"rank", "demand", "n_cells", "area_km2", "best_lat", "best_lon", "best_site_demand"}
)

router = APIRouter(prefix="/v1", tags=["planning"],
                   responses={**ERROR_RESPONSES, **HEAVY_RESPONSES})  # fmt: skip

#: most candidates in one plan request (also at most ``max_batch``)
PLAN_MAX_CANDIDATES = 5000
#: time limit of the exact model in a plan request, seconds
PLAN_EXACT_TIME_LIMIT_S = 10.0


def _too_many(n: int, limit: int, what: str) -> None:
    if n > limit:
        raise PayloadTooLargeError(f"{n} {what}; at most {limit} per request", column=what)


def _name(x: object) -> str | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else str(x)


def _features(c: ScoreCandidate) -> list[float]:
    given = (c.area_m2, c.waiting_zone, c.fitting_rooms, c.rating)
    return [FEATURE_DEFAULTS[f] if v is None else float(v)
            for f, v in zip(FEATURES, given, strict=True)]  # fmt: skip


def score_body(ids: list[str | None], batch: ScoredBatch) -> dict[str, object]:
    """The JSON body of a scored batch (money as decimal strings, RUB per month)."""
    s, chk = batch.scores, batch.check
    off = chk.pairs.offsets(len(chk))
    pid = [str(x) for x in chk.point_ids]
    dist = np.round(chk.pairs.distance_m, 3).tolist()
    prad = chk.pairs.point_radius_m.tolist()
    can = s.cannibalization.sort_values(["candidate", "loss_rub"], ascending=[True, False])
    losses: dict[int, list[dict[str, object]]] = {}
    for c, p, loss, share in zip(can["candidate"].tolist(), can["point_id"].tolist(),
                                 can["loss_rub"].tolist(), can["loss_share"].tolist(),
                                 strict=True):  # fmt: skip
        losses.setdefault(c, []).append({"point_id": str(p), "loss_rub": str(rub(loss)),
                                         "loss_share": round(share, 6)})  # fmt: skip
    point_ids = list(batch.model.point_ids)
    fc = batch.forecaster
    results = []
    for i in range(len(s)):
        results.append({
            "id": ids[i], "allowed": bool(chk.allowed[i]), "radius_m": float(chk.radius_m[i]),
            "settlement": _name(chk.settlement[i]),
            "blockers": [{"point_id": pid[k], "distance_m": dist[k], "radius_m": prad[k]}
                         for k in range(int(off[i]), int(off[i + 1]))],
            "attractiveness": round(float(s.attractiveness[i]), 6),
            "demand_in_reach": round(float(s.demand_in_reach[i]), 3),
            "captured_demand": round(float(s.captured_demand[i]), 3),
            "expected_turnover_rub": str(rub(s.turnover_rub[i])),
            "expected_reward_rub": str(rub(s.reward_rub[i])),
            **fc.ranges(float(s.turnover_rub[i]), s.reward_rate),
            "new_demand_rub": str(rub(s.new_demand_rub[i])),
            "cannibalized_rub": str(rub(s.cannibalized_rub[i])),
            "net_gain_rub": str(rub(s.net_gain_rub[i])),
            "cannibalization": losses.get(i, []),
            "explanation": s.explain(i, point_ids=point_ids).split("\n"),
        })  # fmt: skip
    return {"n": len(s), "n_allowed": int(chk.allowed.sum()), "reward_rate": s.reward_rate,
            "results": results}  # fmt: skip


@router.post("/candidates/score", **json_as_built(ScoreResponse), summary="Score candidates")
async def score_candidates(
    request: Request,
    body: ScoreRequest,
    caller: Caller = Depends(EXPANSION),
    service: Service = Depends(get_service),
) -> Response:
    """Expected monthly turnover and reward of each candidate from a Huff model of the live
    network over the settlements' population, the turnover it takes from each existing point
    (cannibalization), the net gain for the network, the protection decision with every
    blocker, and the score term by term. Up to ``max_batch`` candidates; heavy requests run
    as jobs (202), see the README, "Heavy work"."""
    _too_many(len(body.candidates), service.settings.max_batch, "candidates")
    cands = body.candidates
    lat = np.array([c.lat for c in cands], dtype=np.float64)
    lon = np.array([c.lon for c in cands], dtype=np.float64)
    feats = np.array([_features(c) for c in cands], dtype=np.float64).reshape(-1, 4)
    kinds = [c.kind or service.policy.default_kind for c in cands]
    ids = [c.id for c in cands]
    model = network_model(service)

    def run() -> dict[str, object]:
        batch = model.score(lat, lon, features=feats, kind=kinds)
        body = score_body(ids, batch)
        m = batch.model
        p = m.params
        body["model"] = {"points": int(m.lat.size), "demand_cells": len(m.demand),
                         "decay": p.decay, "beta": p.beta, "reach_m": p.reach_m,
                         "spend_rub": p.spend_rub,
                         **batch.forecaster.summary()}  # fmt: skip
        return body

    def cost() -> float:
        m = model.model()  # built here, not in each worker process
        dem = m.demand
        return score_cost(lat.size, pairs_within(lat, lon, dem.lat, dem.lon, m.params.reach_m))

    return await run_heavy(request, caller, "score", await run_in_threadpool(cost), run)


@router.get("/whitespace", **json_as_built(WhitespaceCollection), summary="White-space zones")
async def whitespace(
    request: Request,
    bbox: str | None = Query(
        None,
        max_length=200,
        description="minlon,minlat,maxlon,maxlat (WGS84 degrees); default: the whole country",
    ),
    limit: int = Query(100, ge=1, le=1000, description="most zones, best first"),
    reach_m: float = Query(
        1500.0, ge=1, le=50_000, description="a point serves demand closer than this, metres"
    ),
    caller: Caller = Depends(get_caller),
    service: Service = Depends(get_service),
) -> Response:
    """Zones (merged H3 cells) with demand and no point within ``reach_m``, where a new point
    is allowed by the protection rule, ranked by the demand inside them, each with its best
    site. Demand outside ``bbox`` is left out (a zone at the box's edge is cut there). Every
    role may read it: zones hold no points (a partner gets only the properties listed in
    the schema)."""
    box = parse_bbox(bbox)
    model = network_model(service)

    def estimate() -> float:
        dem = model.demand  # built here, not in each worker process
        lat, lon = dem.lat, dem.lon
        if box is not None:
            inside = in_bbox(lat, lon, box)
            lat, lon = lat[inside], lon[inside]
        # every cell could be white: the best-site search pairs cells within reach
        return whitespace_cost(lat.size, pairs_within(lat, lon, lat, lon, reach_m))

    def run() -> dict[str, object]:
        doc = model.whitespace(box, limit=limit, reach_m=reach_m)
        if caller.role == "partner":
            for f in doc.get("features", []):
                f["properties"] = {k: v for k, v in (f.get("properties") or {}).items()
                                   if k in ZONE_PROPERTIES}  # fmt: skip
        return doc

    cost = await run_in_threadpool(estimate)
    return await run_heavy(request, caller, "whitespace", cost, run)


@router.post("/plan", **json_as_built(PlanResponse), summary="Choose sites")
async def plan(
    request: Request,
    body: PlanRequest,
    caller: Caller = Depends(EXPANSION),
    service: Service = Depends(get_service),
) -> Response:
    """Choose up to ``k`` new candidates that add the most demand within ``service_radius_m``
    to what the live network serves (demand within ``service_radius_m`` of a live point is
    served already; ``include_reservations``: of a spot reserved by an application under
    review too; ``ignore_existing``: greenfield), never a candidate blocked by the live
    network or a reservation, never two closer than the larger of their radii. Lazy greedy
    with swaps; on small instances also the exact model (HiGHS), whose status, bound and gap
    are reported as they are (a failure of the exact model keeps the heuristic plan). Up to
    5,000 candidates and ``max_batch`` demand points; the estimated work (pairs of candidates
    and demand within reach, candidates times ``k``) is checked against the budget first and
    heavy plans run as jobs (202), see the README, "Heavy work"."""
    limit = min(PLAN_MAX_CANDIDATES, service.settings.max_batch)
    _too_many(len(body.candidates), limit, "candidates")
    if body.demand is not None:
        _too_many(len(body.demand), service.settings.max_batch, "demand")
    cands = body.candidates
    lat = np.array([c.lat for c in cands], dtype=np.float64)
    lon = np.array([c.lon for c in cands], dtype=np.float64)
    radius = np.array([np.nan if c.radius_m is None else c.radius_m for c in cands], np.float64)
    kinds = [c.kind or service.policy.default_kind for c in cands]
    ids = [c.id if c.id is not None else f"c{i + 1}" for i, c in enumerate(cands)]
    demand = None
    if body.demand is not None:
        demand = Demand(
            np.array([f"d{i + 1}" for i in range(len(body.demand))], dtype=object),
            np.array([d.lat for d in body.demand], dtype=np.float64),
            np.array([d.lon for d in body.demand], dtype=np.float64),
            np.array([d.weight for d in body.demand], dtype=np.float64),
        )
    model = network_model(service)

    def run() -> dict[str, object]:
        # k=0: the model only builds the problem (validated, under the index lock; demand
        # served by the live index counted); the selection runs here with the request's options
        _, problem = model.plan(
            lat, lon, k=0, service_radius_m=body.service_radius_m, ids=ids, kind=kinds,
            radius_m=radius, demand=demand, time_limit_s=PLAN_EXACT_TIME_LIMIT_S,
            include_reservations=body.include_reservations,
        )  # fmt: skip
        if body.ignore_existing:
            problem = problem.greenfield()
        sites = select_sites(problem, body.k, time_limit_s=PLAN_EXACT_TIME_LIMIT_S)
        best = sites.best
        cum = np.cumsum(best.gain)
        chosen = [{"id": str(best.ids[n]), "order": n + 1, "lat": float(lat[j]),
                   "lon": float(lon[j]), "added_demand": round(float(best.gain[n]), 6),
                   "cumulative_demand": round(float(cum[n]), 6)}
                  for n, j in enumerate(best.chosen.tolist())]  # fmt: skip
        ex = sites.exact
        total = problem.total_weight
        return {
            "k": body.k, "n_candidates": problem.n_candidates,
            "n_blocked": int((~problem.allowed).sum()), "chosen": chosen,
            "existing": "ignored" if body.ignore_existing else "counted",
            "reservations": ("counted" if body.include_reservations and not body.ignore_existing
                             else "ignored"),
            "covered_before": round(best.before, 6), "covered_added": round(best.covered, 6),
            "covered_after": round(best.after, 6), "covered_demand": round(best.after, 6),
            "total_demand": round(total, 6),
            "share_before": round(best.before / total, 6) if total > 0 else 0.0,
            "share": round(best.share, 6),
            "method": best.method, "heuristic_covered": round(sites.heuristic.covered, 6),
            "exact_status": sites.exact_status, "exact_error": sites.exact_error,
            "exact_covered": None if ex is None else round(ex.covered, 6),
            "optimal": None if ex is None else ex.optimal,
            "bound": None if sites.bound is None else round(sites.bound, 6),
            "gap": None if sites.gap is None else round(sites.gap, 6),
        }  # fmt: skip

    def cost() -> float:
        dem = demand if demand is not None else model.demand
        pairs = pairs_within(lat, lon, dem.lat, dem.lon, body.service_radius_m)
        return plan_cost(lat.size, body.k, pairs)

    return await run_heavy(request, caller, "plan", await run_in_threadpool(cost), run)
