"""White-space zones: unserved demand where a new point is allowed, merged and ranked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data.places import load_places
from geo.geodesic import distance_m
from geo.settlements import SettlementLookup
from planning.demand import settlement_demand
from planning.protection import ProtectionNetwork, ProtectionPolicy
from planning.whitespace import find_white_cells, find_whitespace


def _network(points: list[tuple[str, float, float, float]]) -> ProtectionNetwork:
    net = ProtectionNetwork(ProtectionPolicy(), SettlementLookup(load_places()))
    if points:
        ids, lat, lon, rad = zip(*points, strict=True)
        net.add_points(list(ids), list(lat), list(lon), radius_m=list(rad))
    return net


# two towns far apart; the bigger one is partly served by a point at its centre
TOWNS = pd.DataFrame({"lat": [60.0, 60.5], "lon": [40.0, 41.0], "population": [300_000, 50_000]})


def test_zones_ranked_and_unserved() -> None:
    dem = settlement_demand(TOWNS)
    net = _network([("P1", 60.0, 40.0, 700.0)])
    zones = find_whitespace(dem, net, reach_m=1500.0)
    assert list(zones["rank"]) == list(range(1, len(zones) + 1))
    assert (np.diff(zones["demand"].to_numpy()) <= 0).all()
    assert zones.crs.to_epsg() == 4326
    white = find_white_cells(dem, net, reach_m=1500.0)
    d = distance_m(60.0, 40.0, white.demand.lat, white.demand.lon)
    assert (d >= 1500.0).all()  # nothing white within reach of the point
    # zone demand adds up to the white cells' demand; the small town is all white
    assert zones["demand"].sum() == pytest.approx(white.demand.total)
    small = distance_m(60.5, 41.0, white.demand.lat, white.demand.lon) < 20_000
    assert white.demand.weight[small].sum() == pytest.approx(50_000)
    # every zone polygon contains its best site
    from shapely.geometry import Point

    for z in zones.itertuples():
        assert z.geometry.buffer(1e-9).contains(Point(z.best_lon, z.best_lat))
        assert z.best_site_demand > 0


def test_protection_excludes_cells_where_a_point_is_not_allowed() -> None:
    dem = settlement_demand(TOWNS.iloc[:1])
    net = _network([("P1", 60.0, 40.0, 5000.0)])  # large protection, short reach
    white = find_white_cells(dem, net, reach_m=500.0)
    d = distance_m(60.0, 40.0, white.demand.lat, white.demand.lon)
    assert (d >= 5000.0).all()
    assert (~white.allowed & ~white.served).any()  # unserved but blocked cells exist


def test_no_points_everything_is_white_and_empty_result() -> None:
    dem = settlement_demand(TOWNS)
    zones = find_whitespace(dem, _network([]), reach_m=1000.0)
    assert zones["demand"].sum() == pytest.approx(350_000)
    assert len(zones) == 2
    none = find_whitespace(dem, _network([]), reach_m=1000.0, min_zone_demand=1e9)
    assert len(none) == 0 and "demand" in none.columns
