"""The Crimea decision is configurable: the service's setting and the CLI's environment."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from api import cli
from api.service import Service
from api.settings import Settings

SEVASTOPOL = (44.6160, 33.5250)  # Nakhimov Square

cli._load_commands()


@pytest.mark.parametrize(("crimea", "name", "radius"), [(True, "Севастополь", 700.0),
                                                        (False, None, 1000.0)])  # fmt: skip
def test_service_follows_its_setting(tmp_path: Path, crimea: bool, name: str | None,
                                     radius: float) -> None:  # fmt: skip
    """``Settings(settlements_crimea=...)`` (``PVZ_SETTLEMENTS_CRIMEA`` in the environment or
    in ``.env``) decides the service's settlements, whatever the process environment says."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'pvz.db'}",
                        settlements_crimea=crimea)  # fmt: skip
    svc = Service(settings)
    try:
        got = svc.check(*SEVASTOPOL)
    finally:
        svc.close()
    assert (got.settlement, got.radius_m) == (name, radius)
    assert got.settlement_population == (547_820 if crimea else 0)


def test_cli_reads_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pts, cands, out = tmp_path / "p.csv", tmp_path / "c.csv", tmp_path / "o.csv"
    pd.DataFrame({"id": ["p"], "lat": [55.75], "lon": [37.62]}).to_csv(pts, index=False)
    pd.DataFrame({"id": ["s"], "lat": [SEVASTOPOL[0]], "lon": [SEVASTOPOL[1]]}).to_csv(
        cands, index=False
    )
    got = {}
    for value in ("1", "0"):
        monkeypatch.setenv("PVZ_SETTLEMENTS_CRIMEA", value)
        res = CliRunner().invoke(cli.app, ["check", str(pts), str(cands), "-o", str(out)])
        assert res.exit_code == 0, res.output
        row = pd.read_csv(out, keep_default_na=False).iloc[0]
        got[value] = (row["settlement"], int(row["radius_m"]))
    assert got == {"1": ("Севастополь", 700), "0": ("", 1000)}


def _in_crimea(lat: float, lon: float) -> bool:
    return 44.3 <= lat <= 46.2 and 32.4 <= lon <= 36.7


@pytest.mark.parametrize("crimea", [True, False])
def test_map_search_and_heat_follow_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                crimea: bool) -> None:  # fmt: skip
    """``/map/settlements.json`` and ``/map/demand.json`` take Crimea from the service's
    settings (``.env`` included), not from the process environment (set here the other way)."""
    from fastapi.testclient import TestClient

    from api.app import create_app

    monkeypatch.setenv("PVZ_SETTLEMENTS_CRIMEA", "0" if crimea else "1")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'pvz.db'}",
                        settlements_crimea=crimea)  # fmt: skip
    with TestClient(create_app(settings)) as client:
        rows = client.get("/map/settlements.json").json()
        heat = client.get("/map/demand.json").json()
    assert ("Севастополь" in {r[1] for r in rows}) is crimea
    assert len(rows) > 1000 and rows[0][1] == "Москва"
    assert any(_in_crimea(lat, lon) for lat, lon, _ in heat) is crimea
    assert len(heat) > 1000
