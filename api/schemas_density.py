"""Response bodies of ``GET /v1/points/density``: point counts per H3 cell as GeoJSON."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["DensityCollection", "DensityFeature", "DensityProperties"]


class DensityProperties(BaseModel):
    """What one cell holds."""

    count: int = Field(ge=0, description="points in the cell (every kind and status)")
    live: int = Field(ge=0, description="of them live: a protecting kind and status")


class DensityFeature(BaseModel):
    """One H3 cell: its id, its centre as a Point, its counts."""

    type: Literal["Feature"] = "Feature"
    id: str = Field(description="the H3 cell (hex string)", examples=["821197fffffffff"])
    geometry: dict[str, Any] = Field(
        description="the cell centre", examples=[{"type": "Point", "coordinates": [37.9, 55.6]}]
    )
    properties: DensityProperties


class DensityCollection(BaseModel):
    """Cells with at least one point inside the bbox, ordered by cell id."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    resolution: int = Field(ge=2, le=6, description="the H3 resolution used")
    total: int = Field(ge=0, description="points in the bbox (the sum of the counts)")
    live: int = Field(ge=0, description="live points in the bbox")
    features: list[DensityFeature]
    model_config = ConfigDict(
        json_schema_extra={"example": {
            "type": "FeatureCollection", "resolution": 2, "total": 1843, "live": 1790,
            "features": [{"type": "Feature", "id": "821197fffffffff",
                          "geometry": {"type": "Point", "coordinates": [37.92, 55.61]},
                          "properties": {"count": 1843, "live": 1790}}],
        }}
    )  # fmt: skip
