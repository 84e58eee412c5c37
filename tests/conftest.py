"""Shared fixtures: settlements, the default policy, a small demo network, and stores.

The store fixtures run the same tests on SQLite and on a throwaway PostGIS cluster.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings as hypothesis_settings
from pgcluster import TempPostgres, postgis_available

from data.places import load_places
from data.store import Store, open_store
from geo.settlements import SettlementLookup
from planning.protection import ProtectionPolicy

# property tests are reproducible in CI (the same examples every run); set
# PVZ_FUZZ_RANDOM=1 to explore new ones locally
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile("explore" if os.environ.get("PVZ_FUZZ_RANDOM") else "ci")


@pytest.fixture
def english_cli(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``pvz`` in English (``PVZ_LANGUAGE=en``; Russian is the default) for the tests that
    assert its English messages: ``pytestmark = pytest.mark.usefixtures("english_cli")``."""
    from api.settings import get_settings

    monkeypatch.setenv("PVZ_LANGUAGE", "en")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def settlements() -> SettlementLookup:
    """Settlement lookup over the bundled GeoNames extract."""
    return SettlementLookup(load_places())


@pytest.fixture(scope="session")
def policy() -> ProtectionPolicy:
    """The default protection policy (500/700/1000 m tiers)."""
    return ProtectionPolicy()


@pytest.fixture(scope="session")
def demo_small() -> pd.DataFrame:
    """A 3,000-point demo network with 7 planted violations."""
    from planning.demo import demo_network

    return demo_network(3000, seed=11, violations=7)


@pytest.fixture(scope="session")
def pg_template() -> Iterator[tuple[TempPostgres, str]]:
    """A PostgreSQL cluster with a migrated template database (skips without PostGIS)."""
    if not postgis_available():
        pytest.skip("PostgreSQL + PostGIS not installed (scripts/setup-postgis.sh)")
    with TempPostgres() as pg:
        url = pg.create_database("pvz_template")
        store = open_store(url, ProtectionPolicy())
        store.close()
        yield pg, "pvz_template"


@pytest.fixture(params=["sqlite", "postgis"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty, migrated store on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'pvz.db'}"
    pg, template = request.getfixturevalue("pg_template")
    return pg.clone_database(template)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An open store with the default policy on each backend."""
    s = open_store(store_url, ProtectionPolicy())
    yield s
    s.close()
