"""``pvz map --region NAME`` finds every city of 100,000+ by its correct Russian name."""

from __future__ import annotations

import pandas as pd

from data.places import PLACES_CSV, load_places
from maps.planner import region_bbox


def test_every_census_city_is_found_by_its_russian_name() -> None:
    census = pd.read_csv(PLACES_CSV.parent / "census_2021.csv", comment="#")
    places = load_places().set_index("geonameid")
    missed = []
    for gid, name_ru in zip(census["geonameid"].tolist(), census["name_ru"].tolist(),
                            strict=True):  # fmt: skip
        lat, lon = float(places.loc[gid, "lat"]), float(places.loc[gid, "lon"])
        for name in {str(name_ru), str(name_ru).replace("ё", "е")}:  # Щёлково and Щелково
            west, south, east, north = region_bbox(name)
            if not (south < lat < north and west < lon < east):
                missed.append(name)
    assert not missed
    assert len(census) >= 170
