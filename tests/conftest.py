"""Shared fixtures: the bundled settlements, the default policy, a small demo network."""

from __future__ import annotations

import pandas as pd
import pytest

from data.places import load_places
from geo.settlements import SettlementLookup
from planning.protection import ProtectionPolicy


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
    from data.demo import demo_network

    return demo_network(3000, seed=11, violations=7)
