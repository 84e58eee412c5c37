"""Demand surfaces from settlements and user tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data.errors import InputError
from geo.geodesic import distance_m
from planning.demand import aggregate_to_cells, demand_from_frame, settlement_demand


def test_population_is_conserved_and_kernel_decreases() -> None:
    places = pd.DataFrame({"lat": [60.0, 61.0], "lon": [30.0, 31.0], "population": [200_000, 800]})
    d = settlement_demand(places, resolution=8)
    assert d.total == pytest.approx(200_800)
    big = distance_m(60.0, 30.0, d.lat, d.lon) < 20_000
    # weight falls with distance from the centre (Gaussian kernel)
    dist = distance_m(60.0, 30.0, d.lat[big], d.lon[big])
    order = np.argsort(dist)
    assert np.all(np.diff(d.weight[big][order]) <= 1e-9 * d.weight.max())
    assert dist.max() <= 500 * (200_000 / 1000) ** 0.4
    # a place about the size of a cell lands in one to three cells
    assert 1 <= (~big).sum() <= 3 and d.weight[~big].sum() == pytest.approx(800)


def test_bbox_and_min_population() -> None:
    places = pd.DataFrame({"lat": [60.0, 61.0], "lon": [30.0, 179.9], "population": [5000, 5000]})
    assert settlement_demand(places, bbox=(170, 50, -170, 70)).total == pytest.approx(5000)
    assert len(settlement_demand(places, min_population=10_000)) == 0


def test_a_city_with_parts_counts_each_person_once() -> None:
    places = pd.DataFrame(
        {"geonameid": [1, 2, 3], "lat": [60.0, 60.05, 59.95], "lon": [30.0, 30.0, 30.1],
         "population": [1_000_000, 400_000, 500_000], "part_of": [0, 1, 1]}
    )  # fmt: skip
    d = settlement_demand(places)
    # the parts (900,000) are scaled to 70 % of the city, the centre keeps the rest
    assert d.total == pytest.approx(1_000_000)
    near_part = distance_m(60.05, 30.0, d.lat, d.lon) < 500
    assert d.weight[near_part].sum() > 0
    # parts smaller than 70 % keep their own populations
    small = places.assign(population=[1_000_000, 100_000, 200_000])
    assert settlement_demand(small).total == pytest.approx(1_000_000)


@pytest.mark.parametrize(
    ("name", "census"), [("Москва", 13_010_112), ("Санкт-Петербург", 5_601_911)]
)
def test_default_demand_of_a_federal_city_is_its_population(name: str, census: int) -> None:
    from data.places import load_places
    from geo.settlements import SettlementLookup

    places = load_places()
    city = places[places["name_ru"] == name].iloc[0]
    box = (city["lon"] - 3, city["lat"] - 2, city["lon"] + 3, city["lat"] + 2)
    d = settlement_demand(places, bbox=box)
    loc = SettlementLookup(places).locate(d.lat, d.lon)
    assert d.weight[loc.name == name].sum() == pytest.approx(census, rel=0.05)


def test_user_demand_table() -> None:
    df = pd.DataFrame({"id": ["a", "b"], "lat": ["55.1", "55.2"], "lon": ["37", "37"],
                       "weight": ["2", "3.5"]})  # fmt: skip
    d = demand_from_frame(df)
    assert d.total == 5.5 and list(d.id) == ["a", "b"]
    d1 = demand_from_frame(df.drop(columns="weight"))
    assert d1.total == 2.0
    cells = aggregate_to_cells(demand_from_frame(df.assign(lat="55.1")), resolution=7)
    assert len(cells) == 1 and cells.total == 5.5


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [("lat", "91", "lat"), ("lon", "x", "lon"), ("weight", "-1", "weight"),
     ("weight", "nan", "weight")],
)  # fmt: skip
def test_bad_user_demand(column: str, value: str, message: str) -> None:
    df = pd.DataFrame({"id": ["a"], "lat": ["55"], "lon": ["37"], "weight": ["1"]})
    df[column] = value
    with pytest.raises(InputError, match=message):
        demand_from_frame(df, source="d.csv")


def test_missing_columns_and_zero_total() -> None:
    with pytest.raises(InputError, match="missing"):
        demand_from_frame(pd.DataFrame({"id": ["a"], "lat": [1.0]}))
    with pytest.raises(InputError, match="sum to zero"):
        demand_from_frame(pd.DataFrame({"id": ["a"], "lat": [1.0], "lon": [1.0], "weight": [0]}))


@pytest.mark.parametrize("resolution", [3, 5, 7])
def test_tiny_place_far_from_its_cell_centre_keeps_its_population(resolution: int) -> None:
    # a village of 500 (urban radius 379 m) in a coarse cell: its only cell centre may lie
    # tens of sigmas away, where exp(-d^2 / 2 sigma^2) underflows; the weight must survive
    places = pd.DataFrame(
        {"name": ["v", "w"], "lat": [60.013, 45.2], "lon": [30.027, 40.4], "population": [500, 501]}
    )
    dem = settlement_demand(places, resolution=resolution)
    assert np.isfinite(dem.weight).all()
    assert dem.weight.sum() == pytest.approx(1001)
