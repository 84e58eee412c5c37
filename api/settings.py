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
        description="include Crimea (Sevastopol, Republic of Crimea) in the bundled settlements"
        " (the service's radii and demand; the CLI reads PVZ_SETTLEMENTS_CRIMEA itself)",
    )
    sync_interval_s: float = Field(
        default=1.0,
        ge=0,
        description="how often a worker reads the audit log for other workers' writes (one "
        "read for its index, models and key cache: api/services/changes.py), s",
    )
    # --- what a partner key sees of GET /v1/points/density (api/services/density_access.py)
    density_partner_resolution: int = Field(
        default=5, ge=2, le=6,
        description="finest H3 resolution a partner key gets from the density view",
    )  # fmt: skip
    density_partner_min_points: int = Field(
        default=5, ge=1,
        description="a partner sees a density cell only if it holds this many live points"
        " of other owners (k-anonymity)",
    )  # fmt: skip
    demo_points: int = Field(
        default=0, ge=0, description="seed a demo network of this size if the store is empty"
    )
    demo_seed: int = 42
    model_calibration_interval_h: float = Field(
        default=0.0,
        ge=0,
        description="calibrate the scoring model on the stored orders this often, hours "
        "(0: only on demand, POST /v1/model/calibrate)",
    )
    model_calibration_months: int = Field(
        default=3, ge=1, le=36, description="whole months of orders a calibration rests on"
    )
    model_min_points: int = Field(
        default=30, ge=10, description="fewest points with turnover to calibrate on"
    )
    # partner onboarding (issue 12)
    language: Literal["ru", "en"] = Field(
        default="ru",
        description="the language of messages when a request sends no Accept-Language, and "
        "of pvz map's labels: ru or en",
    )
    max_pending_per_partner: int = Field(
        default=10, ge=1, description="most pending applications one partner holds at once"
    )
    partner_checks_per_minute: int = Field(
        default=60, ge=0, description="protection checks a partner key may make a minute (0: any)"
    )
    partner_applications_per_minute: int = Field(
        default=20, ge=0, description="applications a partner key may submit a minute (0: any)"
    )
    staff_checks_per_minute: int = Field(
        default=600, ge=0, description="checks an expansion or admin key may make a minute"
    )
    staff_applications_per_minute: int = Field(
        default=200, ge=0, description="applications-route calls of expansion/admin keys a minute"
    )
    territory_path: Path | None = Field(
        default=None,
        description="the service territory (GeoJSON/GeoPackage polygons, WGS84); default: "
        "Russia from the bundled outline",
    )
    territory_buffer_m: float = Field(
        default=10_000.0, ge=0, description="the territory is widened by this much, metres"
    )
    tile_url: str = Field(
        default="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        description="raster tile URL template of the map UI's base map ({z}/{x}/{y}); empty: "
        "none (the bundled outline only)",
    )
    tile_attribution: str = Field(
        default="© OpenStreetMap contributors", description="attribution shown with the tiles"
    )
    # heavy work (plan, score, white space, check-batch): see api/services/jobs.py
    cost_inline: float = Field(
        default=50_000,
        ge=0,
        description="work units (about microseconds of one core) up to "
        "which heavy work runs in the server process itself",
    )
    cost_sync: float = Field(
        default=5_000_000,
        ge=0,
        description="work units up to which heavy work runs in a worker "
        "process while the request waits; above: a job (202, GET /v1/jobs/{id})",
    )
    cost_limit: float = Field(
        default=120_000_000, ge=0, description="work units above which a request is refused (413)"
    )
    job_workers: int = Field(
        default=1, ge=1, le=64, description="worker processes for heavy work per server process"
    )
    job_queue: int = Field(
        default=8, ge=0, description="most jobs waiting for a worker (503 above)"
    )
    sync_workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="worker processes for heavy requests that wait for their answer, per "
        "server process, apart from the jobs' (one more waits up to PVZ_SYNC_WAIT_S)",
    )
    sync_wait_s: float = Field(
        default=30.0,
        ge=0,
        le=600,
        description="how long a heavy request that waits for its answer waits for a free "
        "worker when every one is busy (a map asks for several layers at once); then 503, s",
    )
    job_nice: int = Field(
        default=10,
        ge=0,
        le=19,
        description="niceness added to worker processes: the server's "
        "own requests win the CPU over heavy work",
    )
    job_memory_mb: int = Field(
        default=4096,
        ge=0,
        description="most memory a worker process may allocate beyond the "
        "server's, MiB (0: no limit); more fails the job, not the server",
    )
    job_keep_s: float = Field(
        default=600.0, ge=0, description="how long a finished job's result is kept, seconds"
    )
    key_cache_s: float = Field(
        default=1.0,
        ge=0,
        le=2.0,
        description="how long a worker trusts a key it has read before "
        "reading it again (a revoked key is refused within this), seconds",
    )
    geocoder_url: str = Field(
        default="",
        description="base URL of a Nominatim-compatible geocoder for the map's address search "
        "(its /search is asked, e.g. https://nominatim.openstreetmap.org); empty: off",
    )


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests call ``get_settings.cache_clear()``)."""
    return Settings()
