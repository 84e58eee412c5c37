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
        (55.7520, 37.6175, "Москва"),  # Red Square
        (55.6500, 37.5000, "Москва"),  # 13.6 km from the centre
        (59.9386, 30.3141, "Санкт-Петербург"),
        (64.7342, 177.5103, "Анадырь"),  # Chukotka
        (69.3535, 88.2027, "Норильск"),  # Arctic
        (73.5082, 80.5292, "Диксон"),  # 73.5 N
        (54.7064, 20.5110, "Калининград"),
        (57.8760, 35.0070, "Удомля"),  # a town of 27,000
        (62.0, 100.0, None),  # Evenkia: open country
    ],
)
def test_known_places(settlements: SettlementLookup, lat: float, lon: float, name: str) -> None:
    assert settlements.locate([lat], [lon]).name[0] == name


def test_parts_are_their_city(settlements: SettlementLookup) -> None:
    # Mar'ino is a district of Moscow (part_of): Moscow, with Moscow's population;
    # Khimki is a city of its own next to Moscow: Khimki keeps its own centre
    places = load_places().set_index("geonameid")
    spots = places.loc[[529237, 550280]]  # Mar'ino (Moscow), Khimki
    loc = settlements.locate(spots["lat"], spots["lon"])
    assert loc.name.tolist() == ["Москва", "Химки"]
    assert loc.name_en is not None and loc.name_en.tolist() == ["Moscow", "Khimki"]
    assert loc.population[0] == places.loc[524901, "population"] == 13_010_112


def _synthetic(**extra: list[object]) -> SettlementLookup:
    import pandas as pd

    places = pd.DataFrame(
        {"geonameid": [1, 2], "name": ["big", "small"], "lat": [0.0, 0.0], "lon": [0.0, 0.05],
         "population": [1_000_000, 10_000], **extra}
    )  # fmt: skip
    return SettlementLookup(places)


def test_nearest_relative_to_size_wins() -> None:
    # small (10,000: R 1.26 km) lies 5.57 km from big (1 M: R 7.94 km), inside big's disc
    look = _synthetic()
    # small's centre: d/R 0 for small, 0.70 for big -> small; 3 km towards big: big
    # (2.57 km / 7.94 = 0.32); 0.6 km beyond small: small (0.48 vs 0.78); far: nothing
    loc = look.locate([0.0, 0.0, 0.0, 0.0], [0.05, 0.023, 0.0554, 0.2])
    assert loc.name.tolist() == ["small", "big", "small", None]
    assert loc.population.tolist() == [10_000, 1_000_000, 10_000, 0]
    assert [look.locate_point(0.0, x)[2] for x in (0.05, 0.023, 0.0554, 0.2)] == [
        "small",
        "big",
        "small",
        None,
    ]


def test_a_part_lends_its_ground_to_its_city() -> None:
    import pandas as pd

    places = pd.DataFrame(
        {"geonameid": [1, 2], "name": ["big", "small"], "name_ru": ["Большой", ""],
         "lat": [0.0, 0.0], "lon": [0.0, 0.07], "population": [1_000_000, 10_000]}
    )  # fmt: skip
    # lon 0.082: 1.34 km beyond small's centre (R 1.26 km), 9.13 km from big's (R 7.94 km)
    lons = [0.07, 0.082, 0.2]
    alone = SettlementLookup(places).locate([0.0] * 3, lons)
    assert alone.name.tolist() == ["small", None, None]
    # small a district of big: its centre and 1.5 R around it are big's
    look = SettlementLookup(places.assign(part_of=[0, 1]))
    loc = look.locate([0.0] * 3, lons)
    assert loc.name.tolist() == ["Большой", "Большой", None]
    assert loc.population.tolist() == [1_000_000, 1_000_000, 0]
    assert loc.index.tolist() == [0, 0, -1]


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
    assert look.locate_point(0.0, 0.0)[2] == "district"
    assert loc.population.tolist() == [5000, 2_000_000]
    assert np.array_equal(loc.index, [-1, 0])


def test_a_polygon_named_in_latin_is_reported_in_russian() -> None:
    import pandas as pd

    places = pd.DataFrame({"name": ["Moscow"], "name_ru": ["Москва"], "lat": [0.0], "lon": [0.0],
                           "population": [13_010_112]})  # fmt: skip
    poly = gpd.GeoDataFrame(
        {"name": ["Moscow", "Nowhere"], "population": [13_010_112, 10]},
        geometry=[box(-0.01, -0.01, 0.01, 0.01), box(1, 1, 2, 2)],
        crs="EPSG:4326",
    )
    look = SettlementLookup(places, polygons=poly)
    loc = look.locate([0.0, 1.5], [0.0, 1.5])
    assert loc.name.tolist() == ["Москва", "Nowhere"]
    assert loc.name_en is not None and loc.name_en.tolist() == ["Moscow", "Nowhere"]
