"""A radius tier is one place: a tier added in the policy file (``PVZ_POLICY_PATH``) reaches
the pre-check, the radius a point is given and the store's binding check inside its write
transaction (its reach grows with the largest tier), on SQLite and PostGIS."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from apikit import MOSCOW, near

from api.service import Service
from api.settings import Settings
from data.errors import ProtectionConflict
from geo.settlements import SettlementLookup

#: the defaults plus a tier for the largest cities (300 m), open country widened to 1,500 m
POLICY = """
[[tiers]]
min_population = 5_000_000
radius_m = 300

[[tiers]]
min_population = 1_000_000
radius_m = 500

[[tiers]]
min_population = 100_000
radius_m = 700

[[tiers]]
min_population = 0
radius_m = 1500
"""
COUNTRY = (61.5, 45.0)  # open country (Komi): the lowest tier


def test_a_tier_added_in_the_policy_file_reaches_every_check(
    store_url: str, settlements: SettlementLookup, tmp_path: Path
) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY, encoding="utf-8")
    svc = Service(Settings(database_url=store_url, policy_path=path, sync_interval_s=0),
                  settlements=settlements)  # fmt: skip
    try:
        moscow = svc.create_point({"id": "M1", "lat": MOSCOW[0], "lon": MOSCOW[1]}, actor="t")
        assert moscow.radius_m == 300.0  # the new tier: Moscow has over 5 million people
        at_400 = near(*MOSCOW, 400.0)
        assert svc.check(*at_400).allowed  # the default 500 m would refuse it
        svc.create_point({"id": "M2", "lat": at_400[0], "lon": at_400[1]}, actor="t")

        field = svc.create_point({"id": "F1", "lat": COUNTRY[0], "lon": COUNTRY[1]}, actor="t")
        assert field.radius_m == 1500.0
        at_1200 = near(*COUNTRY, 1200.0)
        assert [c.point_id for c in svc.check(*at_1200).conflicts] == ["F1"]
        batch = svc.check_batch(np.array([at_1200[0], at_400[0]]),
                                np.array([at_1200[1], at_400[1] + 0.01]))  # fmt: skip
        assert batch.allowed.tolist() == [False, True]
        # the store decides inside the transaction, with the reach of the largest tier
        svc.network.remove_point("F1")  # a stale pre-check: the write itself must refuse
        with pytest.raises(ProtectionConflict):
            svc.create_point({"id": "F2", "lat": at_1200[0], "lon": at_1200[1]}, actor="t")
        assert svc.count_points() == 3
    finally:
        svc.close()
