"""The bundled region table: every place's GeoNames admin1 code names a Russian region."""

from __future__ import annotations

from data.places import load_places
from data.regions import load_regions, region_of


def test_every_bundled_place_has_a_region() -> None:
    places = load_places(crimea=True)
    codes = set(zip(places["country"], places["admin1"], strict=True))
    missing = {c for c in codes if region_of(*c) is None}
    assert not missing, missing
    # no row of the table is unused: it is the table of the bundled places' regions
    assert set(load_regions()) == codes


def test_official_russian_names() -> None:
    assert region_of("RU", "47") == ("Московская область", "Moscow Oblast")
    assert region_of("RU", "48") == ("Москва", "Moscow")
    assert region_of("RU", "73").name_ru == "Республика Татарстан"
    assert region_of("RU", "66").name_ru == "Санкт-Петербург"
    assert region_of("UA", "11").name_ru == "Республика Крым"
    assert region_of("UA", "20").name_ru == "Севастополь"
    assert region_of("RU", "7") == region_of("RU", "07")  # the code as a number
    assert region_of("RU", "") is None and region_of("RU", "99") is None
    regions = load_regions().values()
    assert len({r.name_ru for r in regions}) == len(regions)  # no two regions share a name
    assert len({r.name_en for r in regions}) == len(regions)


def test_regions_tell_apart_places_of_one_name() -> None:
    places = load_places()
    same = places[places["name_ru"] == "Первомайский"]
    assert len(same) >= 5
    regions = [region_of(c, a) for c, a in zip(same["country"], same["admin1"], strict=True)]
    assert len({r.name_ru for r in regions if r}) == len(same)
    # a city's capital lies in its region
    kazan = places[places["name_ru"] == "Казань"].iloc[0]
    assert region_of(kazan["country"], kazan["admin1"]).name_ru == "Республика Татарстан"
