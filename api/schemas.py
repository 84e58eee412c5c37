"""Request and response bodies of the HTTP API (pydantic), apart from the store's records.

Coordinates are WGS84 degrees, distances metres, areas m2. Request bodies
are strict: numbers must be JSON numbers (not strings), NaN and infinities
are refused, unknown fields are refused.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, StringConstraints

from api.validation import check_free_text, check_text

__all__ = [
    "AuditPair",
    "json_as_built",
    "ApiKeyCreate",
    "ApiKeyCreated",
    "ApplicationCreate",
    "ApplicationList",
    "ApplicationOut",
    "BatchCandidate",
    "BatchCheckRequest",
    "BatchCheckResponse",
    "BatchItem",
    "CheckRequest",
    "CheckResponse",
    "ConflictOut",
    "Suggestion",
    "Decision",
    "ErrorBody",
    "Feature",
    "FeatureCollection",
    "Health",
    "PointCreate",
    "PointOut",
    "PointPatch",
]

Lat = Annotated[
    float, Strict(), Field(ge=-90, le=90, allow_inf_nan=False, description="WGS84 latitude, deg")
]
Lon = Annotated[
    float,
    Strict(),
    Field(ge=-180, le=180, allow_inf_nan=False, description="WGS84 longitude, deg"),
]
Num = Annotated[float, Strict()]
Int = Annotated[int, Strict()]
Bool = Annotated[bool, Strict()]
#: one-line text (ids, addresses): no control characters (api.validation)
Text = Annotated[str, StringConstraints(max_length=500), AfterValidator(check_text)]
Ident = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")
]
ClosedDays = Annotated[
    Annotated[int, Strict(), Field(ge=0, le=99_999)]
    | Annotated[list[dt.date], Field(min_length=1, max_length=366)],
    Field(
        description="days the point was closed in April-May 2020 (extends the double rate of "
        "the April-May cohort): a count, or the days themselves (YYYY-MM-DD)",
        examples=[3, ["2020-04-21", "2020-04-22"]],
    ),
]
#: a point's (an application's) features, as every body that sets them accepts them
AreaM2 = Annotated[float, Strict(), Field(gt=0, le=100_000, allow_inf_nan=False)]
FittingRooms = Annotated[int, Strict(), Field(ge=0, le=1000)]
Rating = Annotated[float, Strict(), Field(ge=1, le=5, allow_inf_nan=False)]
ComplaintRatePct = Annotated[float, Strict(), Field(ge=0, le=100, allow_inf_nan=False)]
#: free text: tab and newline allowed, other control characters not (api.validation)
Reason = Annotated[
    str,
    StringConstraints(min_length=1, max_length=2000, strip_whitespace=True),
    AfterValidator(check_free_text),
]
#: the smallest protection or service radius accepted, metres (5e-324 m is no radius)
MIN_RADIUS_M = 1.0


class _In(BaseModel):
    # numbers and booleans are strict per field (Num, Int, Bool); dates accept ISO strings;
    # unknown fields are refused (subclasses inherit it with their own model_config)
    model_config = ConfigDict(extra="forbid")


class ErrorBody(BaseModel):
    """Every error response: a machine code, a human message, details where useful."""

    error: str = Field(description="machine-readable code", examples=["protection_conflict"])
    message: str = Field(description="what is wrong, for a human")
    detail: list[dict[str, Any]] | None = Field(
        None, description="per-field problems (validation) or the conflicting points (409)"
    )
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "error": "protection_conflict",
                "message": "(55.751000, 37.600000) is 111.3 m from P000001 "
                "(protected radius 500 m)",
                "detail": [{"point_id": "P000001", "distance_m": 111.337, "radius_m": 500.0}],
            }
        }
    )


class Health(BaseModel):
    """Liveness and the size of what is served."""

    status: Literal["ok"] = "ok"
    backend: str = Field(examples=["sqlite"])
    live_points: int | None = Field(
        None, description="live points in the in-memory index (a staff key only)"
    )
    reservations: int | None = Field(
        None, description="live reservations in the in-memory index (a staff key only)"
    )


class ApiKeyCreate(_In):
    """A new API key: its role, and for a partner key the partner it acts for."""

    role: Literal["admin", "expansion", "partner"]
    partner_id: Ident | None = Field(None, description="required for role partner")
    model_config = ConfigDict(
        json_schema_extra={"example": {"role": "partner", "partner_id": "acme"}},
    )  # fmt: skip


class ApiKeyCreated(BaseModel):
    """The new key, shown once (only its hash is stored)."""

    key: str = Field(examples=["pvz_4kq3...the-token"])
    key_id: str = Field(description="a short id of the key for logs", examples=["k-1a2b3c4d5e6f"])
    role: str
    partner_id: str | None = None


class CheckRequest(_In):
    """A candidate location."""

    lat: Lat
    lon: Lon
    kind: Ident | None = Field(None, description="kind of point (default: partner)")
    model_config = ConfigDict(
        json_schema_extra={"example": {"lat": 55.7512, "lon": 37.6184, "kind": "partner"}},
    )  # fmt: skip


class ConflictOut(BaseModel):
    """A point or reservation that blocks a candidate. A partner sees no id (null) and the
    distance rounded to 50 m; expansion and admin see the id and the exact distance."""

    point_id: str | None = Field(
        description="point id, or application id (A-...) for a reservation; null for a partner"
    )
    distance_m: float = Field(description="WGS84 geodesic distance, metres")
    radius_m: float = Field(description="the blocking point's protection radius, metres")
    kind: Literal["point", "reservation"] = Field(
        "point", description="a live point, or a spot reserved by a pending application"
    )
    reserved_until: str | None = Field(
        None, description="for a reservation: until when it holds (ISO UTC)"
    )


class Suggestion(BaseModel):
    """A nearby spot where the same partner could open now (allowed when answered)."""

    lat: float
    lon: float
    distance_m: float = Field(description="from the asked spot, metres, rounded to 50 m")
    direction: str = Field(description="from the asked spot", examples=["северо-восток"])


class CheckResponse(BaseModel):
    """The protection decision for one candidate; conflicts nearest first."""

    allowed: bool
    radius_m: float = Field(description="the candidate's protection radius, metres")
    settlement: str | None = Field(
        description="settlement deciding the radius, its Russian name (None: open country)"
    )
    settlement_population: int = Field(
        default=0, description="that settlement's population (0: open country)"
    )
    conflicts: list[ConflictOut]
    message: str | None = Field(
        None, description="partners: the answer in plain words (Russian; Accept-Language: en)"
    )
    suggestions: list[Suggestion] | None = Field(
        None, description="partners, when blocked: up to 3 nearest spots allowed now (3 km)"
    )
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "allowed": False,
                "radius_m": 500.0,
                "settlement": "Москва",
                "settlement_population": 13010112,
                "conflicts": [{"point_id": "P000123", "distance_m": 312.4, "radius_m": 500.0}],
            }
        }
    )


class BatchCandidate(_In):
    """One candidate of a batch; ``id`` is echoed back."""

    id: Text | None = None
    lat: Lat
    lon: Lon
    kind: Ident | None = None


class BatchCheckRequest(_In):
    """Many candidates (up to the server's ``max_batch``, default 100,000)."""

    candidates: list[BatchCandidate]
    model_config = ConfigDict(
        json_schema_extra={"example": {"candidates": [{"id": "c1", "lat": 55.75, "lon": 37.61},
                                                      {"id": "c2", "lat": 59.93, "lon": 30.31}]}},
    )  # fmt: skip


class BatchItem(BaseModel):
    """The decision for one candidate of a batch."""

    id: str | None
    allowed: bool
    radius_m: float
    settlement: str | None
    settlement_population: int = 0
    conflicts: list[ConflictOut]


class BatchCheckResponse(BaseModel):
    """Decisions in the order of the candidates."""

    n: int
    n_allowed: int
    results: list[BatchItem]


class PointCreate(_In):
    """A new point. Its radius comes from its settlement unless given (a contract term)."""

    id: Ident | None = Field(None, description="default: generated")
    lat: Lat
    lon: Lon
    kind: Ident | None = None
    status: Ident | None = None
    radius_m: Num | None = Field(None, ge=MIN_RADIUS_M, le=50_000, allow_inf_nan=False)
    partner_id: Ident | None = None
    address: Text | None = None
    opened_on: dt.date | None = None
    area_m2: AreaM2 | None = None
    waiting_zone: Bool | None = None
    fitting_rooms: FittingRooms | None = None
    rating: Rating | None = None
    closed_days_2020: ClosedDays | None = None
    complaint_rate_pct: ComplaintRatePct | None = Field(
        None, description="complaints, % of issued items"
    )
    override_reason: Reason | None = Field(
        None, description="admin only: create despite conflicts; logged in the audit log"
    )
    model_config = ConfigDict(
        json_schema_extra={"example": {"lat": 55.7601, "lon": 37.6302, "kind": "own",
                                       "address": "Moscow, Tverskaya 1", "area_m2": 42.5}},
    )  # fmt: skip


class PointPatch(_In):
    """Changes to a point. Making it live again (e.g. closed -> active) re-checks the rule."""

    status: Ident | None = None
    partner_id: Ident | None = None
    address: Text | None = None
    opened_on: dt.date | None = None
    area_m2: AreaM2 | None = None
    waiting_zone: Bool | None = None
    fitting_rooms: FittingRooms | None = None
    rating: Rating | None = None
    closed_days_2020: ClosedDays | None = None
    complaint_rate_pct: ComplaintRatePct | None = None
    override_reason: Reason | None = None
    model_config = ConfigDict(
        json_schema_extra={"example": {"status": "paused"}},
    )  # fmt: skip


class PointOut(BaseModel):
    """A stored point."""

    id: str
    lat: float
    lon: float
    radius_m: float
    kind: str
    status: str
    partner_id: str | None = None
    settlement: str | None = None
    address: str | None = None
    opened_on: str | None = None
    area_m2: float | None = None
    waiting_zone: bool | None = None
    fitting_rooms: int | None = None
    rating: float | None = None
    closed_days_2020: int | None = Field(
        None, description="days closed in April-May 2020 (the count, or of the listed days)"
    )
    closed_dates_2020: str | None = Field(None, description="the listed days, ';'-joined")
    complaint_rate_pct: float | None = None
    created_at: str
    updated_at: str


class Feature(BaseModel):
    """A GeoJSON Feature: a point with its properties."""

    type: Literal["Feature"] = "Feature"
    id: str
    geometry: dict[str, Any] = Field(examples=[{"type": "Point", "coordinates": [37.6, 55.75]}])
    properties: dict[str, Any]


class FeatureCollection(BaseModel):
    """A GeoJSON FeatureCollection page; pass ``next_cursor`` as ``cursor`` for the next."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[Feature]
    next_cursor: str | None = Field(None, description="None on the last page")


class ApplicationCreate(_In):
    """A partner's application: the location and what the seed says drives turnover."""

    lat: Lat
    lon: Lon
    kind: Ident | None = Field(None, description="default: partner")
    address: Text | None = None
    area_m2: AreaM2 | None = None
    waiting_zone: Bool | None = None
    fitting_rooms: FittingRooms | None = None
    planned_opening: dt.date | None = None
    model_config = ConfigDict(
        json_schema_extra={"example": {
            "lat": 55.7601, "lon": 37.6302, "address": "Moscow, Tverskaya 1", "area_m2": 42.5,
            "waiting_zone": True, "fitting_rooms": 2, "planned_opening": "2026-12-01"}},
    )  # fmt: skip


class ApplicationOut(BaseModel):
    """An application with its protection decision and reservation."""

    id: str
    partner_id: str
    status: Literal["pending", "refused", "approved", "rejected", "withdrawn", "expired"] = Field(
        description="pending (holds its spot, under review), refused (blocked at submission), "
        "approved, rejected, withdrawn, expired (the reservation ran out before a decision)"
    )
    message: str | None = Field(None, description="the state in plain words")
    suggestions: list[Suggestion] | None = Field(
        None, description="refused: up to 3 nearest spots allowed now, within 3 km"
    )
    lat: float
    lon: float
    kind: str
    radius_m: float
    settlement: str | None
    allowed: bool = Field(description="the protection decision at submission")
    conflicts: list[ConflictOut] = Field(description="blocking points at submission")
    reserved_until: str | None = Field(description="the spot is protected until (ISO UTC)")
    score: float | None = Field(
        None, description="candidate score: expected monthly turnover over that of the "
        "network's median point (1.0 = typical), when scoring is available",
    )  # fmt: skip
    expected_turnover_rub: str | None = Field(
        None, description="expected monthly turnover, RUB (decimal string)", examples=["61250.00"]
    )
    expected_reward_rub: str | None = Field(
        None, description="expected monthly reward, RUB (decimal string)", examples=["3062.50"]
    )
    expected_turnover_low_rub: int | None = Field(
        None, description="80 % range of the monthly turnover, lower end, whole RUB (None: "
        "the model is not calibrated)", examples=[41000])  # fmt: skip
    expected_turnover_high_rub: int | None = Field(None, examples=[88000])
    expected_reward_low_rub: int | None = Field(
        None, description="80 % range of the monthly reward, whole RUB", examples=[2050]
    )
    expected_reward_high_rub: int | None = Field(None, examples=[4400])
    forecast: dict[str, Any] | None = Field(
        None, description="what the forecast rests on: calibrated (bool), months, n_points, "
        "mdape (cross-validated median error), coverage (measured share inside the 80 % "
        "range), note (Russian), note_en",
    )  # fmt: skip
    address: str | None = None
    area_m2: float | None = None
    waiting_zone: bool | None = None
    fitting_rooms: int | None = None
    planned_opening: str | None = None
    point_id: str | None = Field(None, description="the point created on approval")
    created_at: str
    decided_at: str | None = None
    decided_by: str | None = None
    decision_reason: str | None = None


class ApplicationList(BaseModel):
    """A page of applications; pass ``next_cursor`` as ``cursor`` for the next."""

    applications: list[ApplicationOut]
    next_cursor: str | None = None


class Decision(_In):
    """Why an application is approved or rejected (required to reject)."""

    reason: Reason | None = None
    model_config = ConfigDict(
        json_schema_extra={"example": {"reason": "site visit OK"}},
    )  # fmt: skip


class AuditPair(BaseModel):
    """A pair of live points closer than ``max(r_a, r_b)``: ids, geodesic distance, radius (m)."""

    a_id: str
    b_id: str
    distance_m: float
    radius_m: float


def json_as_built(model: Any, **content: Any) -> dict[str, Any]:
    """Route keywords for a route that sends JSON it built itself (no response-model pass,
    for speed on large bodies): ``response_class`` says so, and ``model`` is documented as
    the 200 body in ``/docs``; ``tests/api/test_api_contract.py`` checks the bodies match it.
    ``content`` adds to the 200 response's entry (an example)."""
    return {"response_class": JSONResponse, "responses": {200: {"model": model, **content}}}
