"""Service settings: one pydantic-settings class (env prefix ``PVZ_``, ``.env``) behind a cache."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    """Everything the service reads from its environment; the defaults run out of the box.

    Every field can be set as ``PVZ_<FIELD>`` in the environment or in ``.env``,
    for example ``PVZ_DATABASE_URL=postgresql://pvz@localhost/pvz``.
    """

    model_config = SettingsConfigDict(
        env_prefix="PVZ_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        default="sqlite:///./var/pvz.db",
        description="sqlite:///path/to.db (embedded) or postgresql://user@host:port/db (PostGIS)",
    )
    bootstrap_admin_key: SecretStr | None = Field(
        default=None, description="an admin API key created at start if it does not exist"
    )
    reservation_days: float = Field(
        default=14.0, ge=0, description="how long an allowed application reserves its spot, days"
    )
    max_body_bytes: int = Field(
        default=16 * 1024 * 1024, ge=1024, description="largest accepted request body, bytes"
    )
    max_batch: int = Field(default=100_000, ge=1, description="most candidates in one check-batch")
    max_page: int = Field(
        default=1000, ge=1, description="most features on one page of GET /v1/points"
    )
    policy_path: Path | None = Field(
        default=None, description="protection policy TOML (tiers, kinds)"
    )
    reward_policy_path: Path | None = Field(
        default=None, description="reward policy TOML (rates, cap, cohorts, bonus tiers)"
    )
    boundaries_path: Path | None = Field(
        default=None,
        description="settlement boundary polygons (GeoPackage/GeoJSON) instead of GeoNames",
    )
    settlements_crimea: bool = Field(
        default=True,
        description="include Crimea (Sevastopol, Republic of Crimea) in the bundled settlements;"
        " read by data.places.load_places from PVZ_SETTLEMENTS_CRIMEA",
    )
    sync_interval_s: float = Field(
        default=1.0,
        ge=0,
        description="how often a worker replays other workers' writes into its index, s",
    )
    demo_points: int = Field(
        default=0, ge=0, description="seed a demo network of this size if the store is empty"
    )
    demo_seed: int = 42
    tile_url: str = Field(
        default="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        description="raster tile URL template of the map UI's base map ({z}/{x}/{y}); empty: "
        "none (the bundled outline only)",
    )
    tile_attribution: str = Field(
        default="© OpenStreetMap contributors", description="attribution shown with the tiles"
    )
    geocoder_url: str = Field(
        default="",
        description="base URL of a Nominatim-compatible geocoder for the map's address search "
        "(its /search is asked, e.g. https://nominatim.openstreetmap.org); empty: off",
    )
    language: Literal["ru", "en"] = Field(
        default="ru", description="language of what users read (pvz map's labels): ru or en"
    )


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests call ``get_settings.cache_clear()``)."""
    return Settings()
