"""Request and response bodies of the planning endpoints: scoring, white space, site selection.

Coordinates are WGS84 degrees, distances metres, areas m2, money decimal
strings in RUB (monthly). Requests are strict as in :mod:`api.schemas`:
numbers must be JSON numbers, NaN and infinities are refused, unknown fields
are refused.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import (
    MIN_RADIUS_M,
    AreaM2,
    Bool,
    ConflictOut,
    FittingRooms,
    Ident,
    Int,
    Lat,
    Lon,
    Num,
    Text,
)

__all__ = [
    "Cannibalization",
    "CandidateScoreOut",
    "PlanCandidate",
    "PlanDemand",
    "PlanRequest",
    "PlanResponse",
    "PlanSite",
    "ScoreCandidate",
    "ScoreRequest",
    "ScoreResponse",
    "WhitespaceCollection",
]

Money = str


class ScoreCandidate(BaseModel):
    """A candidate location with the features that drive turnover; ``id`` is echoed back."""

    id: Text | None = None
    lat: Lat
    lon: Lon
    kind: Ident | None = Field(None, description="kind of point (default: partner)")
    area_m2: AreaM2 | None = None
    waiting_zone: Bool | None = None
    fitting_rooms: FittingRooms | None = None
    rating: Num | None = Field(None, gt=0, le=5, allow_inf_nan=False,
                               description="service rating, (0, 5]")  # fmt: skip
    model_config = ConfigDict(extra="forbid")


class ScoreRequest(BaseModel):
    """Candidates to score (up to the server's ``max_batch``)."""

    candidates: list[ScoreCandidate]
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"candidates": [
            {"id": "c1", "lat": 55.7601, "lon": 37.6302, "area_m2": 42.5, "waiting_zone": True,
             "fitting_rooms": 2, "rating": 4.8},
            {"id": "c2", "lat": 59.9311, "lon": 30.3609}]}},
    )  # fmt: skip


class Cannibalization(BaseModel):
    """Turnover an existing point would lose to the candidate."""

    point_id: str
    loss_rub: Money = Field(description="monthly loss, RUB", examples=["1840.25"])
    loss_share: float = Field(description="share of the point's expected turnover lost")


class CandidateScoreOut(BaseModel):
    """The score of one candidate, term by term (monthly, RUB)."""

    id: str | None
    allowed: bool = Field(description="protection decision against live points and reservations")
    radius_m: float = Field(description="the candidate's protection radius, metres")
    settlement: str | None
    blockers: list[ConflictOut] = Field(description="every blocking point, nearest first")
    attractiveness: float = Field(description="Huff attractiveness A from the features")
    demand_in_reach: float = Field(description="demand units (people) within the model reach")
    captured_demand: float = Field(description="demand units expected to use the candidate")
    expected_turnover_rub: Money = Field(examples=["61250.00"])
    expected_reward_rub: Money = Field(examples=["3062.50"])
    expected_turnover_low_rub: int | None = Field(
        None, description="80 % range of the monthly turnover, lower end, whole RUB (None: "
        "the model is not calibrated)", examples=[41000])  # fmt: skip
    expected_turnover_high_rub: int | None = Field(None, examples=[88000])
    expected_reward_low_rub: int | None = Field(None, examples=[2050])
    expected_reward_high_rub: int | None = Field(None, examples=[4400])
    new_demand_rub: Money = Field(description="turnover won from outside the network")
    cannibalized_rub: Money = Field(description="turnover taken from existing points")
    net_gain_rub: Money = Field(description="change of the network's turnover")
    cannibalization: list[Cannibalization] = Field(description="largest loss first")
    explanation: list[str] = Field(description="the score term by term, one line per term")


class ScoreResponse(BaseModel):
    """Scores in the order of the candidates, and the model that produced them."""

    n: int
    n_allowed: int
    reward_rate: float = Field(description="share of turnover paid as reward", examples=[0.05])
    model: dict[str, Any] = Field(description="points and demand cells modelled, parameters; "
                                  "calibrated (bool), and when calibrated: calibration_id, "
                                  "months, n_points, mdape, coverage, note")  # fmt: skip
    results: list[CandidateScoreOut]
    model_config = ConfigDict(json_schema_extra={"example": {
        "n": 1, "n_allowed": 1, "reward_rate": 0.05,
        "model": {"points": 120, "demand_cells": 49834, "decay": "power", "reach_m": 3000.0},
        "results": [{
            "id": "c1", "allowed": True, "radius_m": 500.0, "settlement": "Москва",
            "blockers": [], "attractiveness": 1.21, "demand_in_reach": 812345.0,
            "captured_demand": 245.0, "expected_turnover_rub": "61250.00",
            "expected_reward_rub": "3062.50", "new_demand_rub": "40100.00",
            "cannibalized_rub": "21150.00", "net_gain_rub": "40100.00",
            "cannibalization": [{"point_id": "P000012", "loss_rub": "21150.00",
                                 "loss_share": 0.12}],
            "explanation": ["attractiveness A = 1.210", "..."]}]}})  # fmt: skip


class WhitespaceCollection(BaseModel):
    """White-space zones (GeoJSON polygons), best first; properties ``rank``, ``demand``
    (people), ``n_cells``, ``area_km2``, ``best_lat``, ``best_lon``, ``best_site_demand``."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[dict[str, Any]]
    total_demand: float = Field(description="demand inside the bbox, people")
    model_config = ConfigDict(json_schema_extra={"example": {
        "type": "FeatureCollection", "total_demand": 1250000.0,
        "features": [{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [
            [[37.1, 55.6], [37.2, 55.6], [37.2, 55.7], [37.1, 55.6]]]},
            "properties": {"rank": 1, "demand": 5230.5, "n_cells": 12, "area_km2": 8.9,
                           "best_lat": 55.65, "best_lon": 37.15,
                           "best_site_demand": 3100.2}}]}})  # fmt: skip


class PlanCandidate(BaseModel):
    """A candidate site; its own protection radius may be given (a contract term)."""

    id: Text | None = Field(None, description="default: its position, c1, c2, ...")
    lat: Lat
    lon: Lon
    kind: Ident | None = None
    radius_m: Num | None = Field(None, ge=MIN_RADIUS_M, le=50_000, allow_inf_nan=False)
    model_config = ConfigDict(extra="forbid")


class PlanDemand(BaseModel):
    """A demand point with its weight (orders, people, ...)."""

    lat: Lat
    lon: Lon
    weight: Num = Field(ge=0, le=1e12, allow_inf_nan=False)
    model_config = ConfigDict(extra="forbid")


class PlanRequest(BaseModel):
    """Site selection: up to ``k`` candidates covering the most demand within
    ``service_radius_m``, never two in conflict, never one blocked by the network."""

    candidates: list[PlanCandidate]
    k: Int = Field(ge=1, le=1000)
    service_radius_m: Num = Field(ge=MIN_RADIUS_M, le=50_000, allow_inf_nan=False)
    demand: list[PlanDemand] | None = Field(
        None, description="default: the bundled settlements' population near the candidates"
    )
    ignore_existing: Bool = Field(
        False, description="plan as if no live point served demand (greenfield)"
    )
    include_reservations: Bool = Field(
        False,
        description="count demand near a spot reserved by an application under review as "
        "served, as if the point were open (default false: only live points serve; a "
        "reservation blocks candidates near it either way; ignored with ignore_existing)",
    )
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {
            "candidates": [{"id": "c1", "lat": 55.76, "lon": 37.63},
                           {"id": "c2", "lat": 55.70, "lon": 37.50}],
            "k": 1, "service_radius_m": 1500,
            "demand": [{"lat": 55.761, "lon": 37.631, "weight": 120.0}]}},
    )  # fmt: skip


class PlanSite(BaseModel):
    """A chosen site, in the order chosen."""

    id: str
    order: int
    lat: float
    lon: float
    added_demand: float = Field(description="demand it adds to those chosen before it")
    cumulative_demand: float


class PlanResponse(BaseModel):
    """The chosen sites and the objective."""

    k: int
    n_candidates: int
    n_blocked: int = Field(description="candidates blocked by the network")
    chosen: list[PlanSite]
    existing: Literal["counted", "ignored"] = Field(
        description="whether demand served by the live network counted as served"
    )
    reservations: Literal["counted", "ignored"] = Field(
        description="whether demand near reserved spots counted as served (include_reservations)"
    )
    covered_before: float = Field(description="demand the live network serves already")
    covered_added: float = Field(description="demand the chosen sites add (the objective)")
    covered_after: float = Field(description="covered_before + covered_added")
    covered_demand: float = Field(description="the same as covered_after")
    total_demand: float
    share_before: float = Field(description="covered_before over total demand")
    share: float = Field(description="covered_after over total demand")
    method: str = Field(examples=["greedy+swap", "exact"])
    heuristic_covered: float = Field(description="demand the heuristic's sites add")
    exact_status: str | None = Field(
        description="the exact model's status as the solver gave it: optimal, time_limit, "
        "infeasible, error (None: not run)"
    )
    exact_error: str | None = Field(description="why the exact model failed, if it did")
    exact_covered: float | None = Field(description="None when the exact model did not run")
    optimal: bool | None = Field(description="exact model proved optimal (None: not run)")
    bound: float | None = Field(
        description="best proven upper bound on the demand new sites can add (None: unknown)"
    )
    gap: float | None = Field(
        description="(bound - heuristic) / bound: the heuristic's gap to the optimum when "
        "proven, else an upper bound on it (None: no bound known)"
    )
