"""Partner answers never say "about 0 m": a blocker nearer than the 50 m rounding reads
"less than 50 m" (the distance shown stays no finer than the rounding)."""

from __future__ import annotations

from pathlib import Path

import pytest
from apikit import MOSCOW, Api, near, running_app

from data.store import Point
from geo.settlements import SettlementLookup

POINTS = [Point(id="P1", lat=MOSCOW[0], lon=MOSCOW[1], radius_m=500.0, partner_id="acme")]


@pytest.mark.parametrize(
    ("dist_m", "ru", "en"),
    [
        (10.0, "на расстоянии менее 50 м работает", "is less than 50 m away"),
        (20.0, "на расстоянии менее 50 м работает", "is less than 50 m away"),
        (40.0, "примерно в 50 м работает", "is about 50 m away"),
        (120.0, "примерно в 100 м работает", "is about 100 m away"),
    ],
)
def test_blocker_distance_words(tmp_path: Path, settlements: SettlementLookup, dist_m: float,
                                ru: str, en: str) -> None:  # fmt: skip
    lat, lon = near(*MOSCOW, dist_m, 60.0)
    with running_app(f"sqlite:///{tmp_path / 'pvz.db'}", settlements, POINTS) as (client, svc):
        svc.scorer = None
        api = Api(client, svc, {"other": "globex"})
        got = {}
        for lang in ("ru", "en"):
            r = api.call("POST", "/v1/protection/check", "other", json={"lat": lat, "lon": lon},
                         headers={"Accept-Language": lang})  # fmt: skip
            assert r.status_code == 200, r.text
            got[lang] = r.json()["message"]
    assert ru in got["ru"] and " 0 м" not in got["ru"], got
    assert en in got["en"] and " 0 m" not in got["en"], got
