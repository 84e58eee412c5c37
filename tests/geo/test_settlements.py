"""Settlement assignment by urban radius and by user polygons."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from data.places import load_places
from geo.settlements import SettlementLookup, urban_radius_m


def test_urban_radius_formula() -> None:
    r = urban_radius_m([10_381_222, 1_000_000, 10_000, 0])
    assert r[0] == pytest.approx(500 * 10381.222**0.4)
    assert 20_000 < r[0] < 20_500
    assert r[1] == pytest.approx(500 * 1000**0.4)  # 7.9 km
    assert r[2] == pytest.approx(500 * 10**0.4)  # 1.26 km
    assert r[3] == 0


@pytest.mark.parametrize(
    ("lat", "lon", "name"),
    [
        (55.7520, 37.6175, "Moscow"),  # Red Square
        (55.6500, 37.5000, "Moscow"),  # 13.6 km from the centre: inside Moscow's 20.2 km
        (59.9386, 30.3141, "Saint Petersburg"),
        (64.7342, 177.5103, "Anadyr"),  # Chukotka
        (69.3535, 88.2027, "Norilsk"),  # Arctic
        (73.5082, 80.5292, "Dikson"),  # 73.5 N
        (54.7064, 20.5110, "Kaliningrad"),
        (57.8760, 35.0070, "Udomlya"),  # a town of 32,000
        (62.0, 100.0, None),  # Evenkia: open country
    ],
)
def test_known_places(settlements: SettlementLookup, lat: float, lon: float, name: str) -> None:
    assert settlements.locate([lat], [lon]).name[0] == name


def test_most_populous_covering_place_wins(settlements: SettlementLookup) -> None:
    # Mar'ino (243 k) lies 12.9 km from Moscow's centre, inside its 20.2 km: Moscow wins;
    # Khimki (240 k) lies 20.3 km away, just outside: Khimki keeps its own centre
    places = load_places().set_index("name")
    spots = places.loc[["Mar’ino", "Khimki"]]
    loc = settlements.locate(spots["lat"], spots["lon"])
    assert loc.name.tolist() == ["Moscow", "Khimki"]
    assert loc.population[0] == places.loc["Moscow", "population"]


def test_small_synthetic_places() -> None:
    import pandas as pd

    places = pd.DataFrame(
        {"name": ["big", "small"], "lat": [0.0, 0.0], "lon": [0.0, 0.05],
         "population": [1_000_000, 10_000]}
    )  # fmt: skip
    look = SettlementLookup(places)
    # 0.05 deg = 5.57 km: inside big's 7.9 km radius and at small's centre
    loc = look.locate([0.0, 0.0, 0.0], [0.05, 0.0, 0.2])
    assert loc.name.tolist() == ["big", "big", None]
    assert loc.population.tolist() == [1_000_000, 1_000_000, 0]


def test_polygons_take_precedence() -> None:
    import pandas as pd

    places = pd.DataFrame({"name": ["big"], "lat": [0.0], "lon": [0.0], "population": [2_000_000]})
    poly = gpd.GeoDataFrame(
        {"name": ["district"], "population": [5000]},
        geometry=[box(-0.01, -0.01, 0.01, 0.01)],
        crs="EPSG:4326",
    )
    look = SettlementLookup(places, polygons=poly)
    loc = look.locate([0.0, 0.05], [0.0, 0.0])
    assert loc.name.tolist() == ["district", "big"]
    assert loc.population.tolist() == [5000, 2_000_000]
    assert np.array_equal(loc.index, [-1, 0])
