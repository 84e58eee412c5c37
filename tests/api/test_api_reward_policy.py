"""One reward policy reaches every use: a policy set through ``PVZ_REWARD_POLICY_PATH``
changes the expected reward shown by scoring and onboarding, as it changes statements."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from apikit import MOSCOW, Api, near, running_app
from test_api_planning import NETWORK

from api.loaders import load_reward_policy
from geo.settlements import SettlementLookup


def test_scoring_and_onboarding_use_the_configured_reward_policy(
    tmp_path: Path, settlements: SettlementLookup
) -> None:
    policy = tmp_path / "rewards.toml"
    policy.write_text("rate_percent = 8\n", encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'pvz.db'}"
    with running_app(url, settlements, NETWORK, reward_policy_path=policy) as (client, service):
        api = Api(client, service, {"partner": "acme"})
        assert service.reward_policy is load_reward_policy(policy)
        lat, lon = near(*MOSCOW, 1200, 300)
        cand = {"lat": lat, "lon": lon, "area_m2": 45.0}
        r = api.call("POST", "/v1/candidates/score", "expansion", json={"candidates": [cand]})
        assert r.status_code == 200, r.text
        assert r.json()["reward_rate"] == pytest.approx(0.08)
        res = r.json()["results"][0]
        turnover = Decimal(res["expected_turnover_rub"])
        reward = Decimal(res["expected_reward_rub"])
        assert reward == pytest.approx(turnover * Decimal("0.08"), abs=Decimal("0.01"))
        r = api.call("POST", "/v1/applications", "partner", json=cand)
        assert r.status_code == 201, r.text
        app = r.json()
        assert app["expected_reward_rub"] == res["expected_reward_rub"]
        assert Decimal(app["expected_reward_rub"]) == pytest.approx(
            Decimal(app["expected_turnover_rub"]) * Decimal("0.08"), abs=Decimal("0.01")
        )
