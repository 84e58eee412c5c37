"""The pre-check and the binding check inside the write transaction decide with one function."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import api.services.network as network
import planning.protection as protection
from api.service import Service
from api.settings import Settings
from data.errors import ProtectionConflict
from geo.settlements import SettlementLookup


def test_both_paths_use_the_same_decision_function() -> None:
    assert network.decide is protection.decide


def test_pre_check_and_transaction_call_decide(
    tmp_path: Path, settlements: SettlementLookup, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = protection.decide

    def spy(*args: Any, **kwargs: Any) -> protection.Decision:
        calls.append("decide")
        return real(*args, **kwargs)

    monkeypatch.setattr(protection, "decide", spy)
    monkeypatch.setattr(network, "decide", spy)
    svc = Service(Settings(database_url=f"sqlite:///{tmp_path / 'pvz.db'}", sync_interval_s=0),
                  settlements=settlements)  # fmt: skip
    try:
        svc.create_point({"id": "P1", "lat": 55.75, "lon": 37.62}, actor="t")
        assert calls == ["decide"]  # the binding check inside the transaction
        pre = svc.check(55.7501, 37.62)
        assert calls == ["decide", "decide"] and not pre.allowed  # the pre-check
        with pytest.raises(ProtectionConflict) as err:
            svc.create_point({"id": "P2", "lat": 55.7501, "lon": 37.62}, actor="t")
        assert len(calls) == 3
        # the same answer on both paths
        assert [c[0] for c in err.value.conflicts] == [c.point_id for c in pre.conflicts]
        assert err.value.conflicts[0][1] == pytest.approx(pre.conflicts[0].distance_m, abs=1e-6)
    finally:
        svc.close()


@pytest.mark.parametrize(
    ("d", "r_point", "r_cand", "kind", "allowed"),
    [
        (499.999, 500.0, 500.0, "partner", False),
        (500.0, 500.0, 500.0, "partner", True),  # d == r is allowed
        (600.0, 500.0, 700.0, "partner", False),  # the larger radius decides (symmetric)
        (600.0, 700.0, 500.0, "own", False),
        (10.0, 500.0, 500.0, "postamat", True),  # postamats are never blocked
        (10.0, 500.0, 500.0, None, False),  # no kind: the default kind, blocked
    ],
)
def test_decide_table(
    d: float, r_point: float, r_cand: float, kind: str | None, allowed: bool
) -> None:
    got = protection.decide(kind, r_cand, [("P", d, r_point)], protection.ProtectionPolicy())
    assert got.allowed is allowed
    assert [c.point_id for c in got.conflicts] == ([] if allowed else ["P"])


def test_decide_excludes_and_orders() -> None:
    near = [("B", 300.0, 500.0), ("A", 100.0, 500.0), ("SELF", 0.0, 500.0)]
    got = protection.decide("partner", 500.0, near, protection.ProtectionPolicy(), exclude={"SELF"})
    assert [c.point_id for c in got.conflicts] == ["A", "B"]


def test_the_patch_body_is_the_changeable_fields() -> None:
    """``PATCH /v1/points/{id}`` accepts exactly what the use case may change
    (:data:`api.services.network.PATCHABLE_FIELDS`, the one list): ``closed_days_2020``
    (a count or the days) is stored as the count and ``closed_dates_2020``."""
    from api.schemas import PointPatch

    body = set(PointPatch.model_fields) - {"override_reason"}
    assert body | {"closed_dates_2020"} == network.PATCHABLE_FIELDS
