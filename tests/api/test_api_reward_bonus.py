"""A bonus added as one class (its settings in the policy's ``[bonuses.<kind>]`` table) shows
in the API's statements with ``PVZ_REWARD_POLICY_PATH`` and no other edit (SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from apikit import ADMIN
from bonus_example import FixedVolume
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from api.service import Service
from api.settings import Settings
from data.store import Point
from geo.settlements import SettlementLookup
from planning.rewards import (
    register_bonus,
    unregister_bonus,
)


@pytest.fixture
def fixed_volume() -> Iterator[None]:
    register_bonus(FixedVolume)
    try:
        yield
    finally:
        unregister_bonus(FixedVolume)


ORDERS = """order_id,point_id,issued_on,price_rub,status
1,A,2020-10-14,1000.00,issued
2,A,2020-10-15,2000.00,issued
3,B,2020-10-15,1000.00,issued
"""


def test_a_bonus_class_reaches_the_api_statement(
    fixed_volume: None, tmp_path: Path, settlements: SettlementLookup
) -> None:
    policy = tmp_path / "rewards.toml"
    policy.write_text("[bonuses.fixed_volume]\namount_rub = 300.50\nmin_items = 2\n",
                      encoding="utf-8")  # fmt: skip
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'pvz.db'}",
                        bootstrap_admin_key=SecretStr(ADMIN), sync_interval_s=0,
                        reward_policy_path=policy)  # fmt: skip
    service = Service(settings, settlements=settlements)
    service.store.seed_points([Point(id=p, lat=50.0 + i, lon=40.0, radius_m=500.0,
                                     opened_on="2019-01-01") for i, p in enumerate("AB")],
                              actor="test", reason="fixture")  # fmt: skip
    h = {"X-API-Key": ADMIN}
    with TestClient(create_app(settings, service=service)) as client:
        r = client.post("/v1/orders", content=ORDERS.encode(),
                        headers={**h, "Content-Type": "text/csv"})  # fmt: skip
        assert r.status_code == 200, r.text
        a = client.get("/v1/points/A/rewards", params={"month": "2020-10"}, headers=h).json()
        b = client.get("/v1/points/B/rewards", params={"month": "2020-10"}, headers=h).json()
    # A: 5 % of 3,000.00 = 150.00, plus the fixed bonus; B: one item, below it
    assert [line["kind"] for line in a["lines"]] == ["item", "item", "fixed_volume"]
    assert a["lines"][-1]["reward_rub"] == "300.50" and a["lines"][-1]["rate"] == ">= 2"
    assert a["reward_rub"] == "450.50"
    assert [line["kind"] for line in b["lines"]] == ["item"] and b["reward_rub"] == "50.00"
