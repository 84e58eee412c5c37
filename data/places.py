"""Bundled settlements of Russia and Crimea (GeoNames CC BY 4.0, Rosstat; see ATTRIBUTION.md)."""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

__all__ = ["PLACES_CSV", "load_places"]

#: GeoNames places of Russia and Crimea with population >= 500 (built by
#: scripts/extract_settlements.py)
PLACES_CSV = Path(__file__).resolve().parent / "settlements_ru.csv"


@functools.lru_cache(maxsize=1)
def load_places() -> pd.DataFrame:
    """Bundled settlements, sorted by descending population, then GeoNames id.

    Columns:

    - ``geonameid`` (int64): GeoNames id;
    - ``name`` (str): GeoNames Latin name; ``name_ru`` (str): Russian name
      (correct Russian for every place of 10,000 or more; may be empty below);
    - ``lat``, ``lon`` (float64): WGS84 degrees, the official centre for census
      cities;
    - ``population`` (int64): 2021 census for cities of 100,000 or more
      (``population_source`` ``census2021``), GeoNames otherwise (``geonames``);
    - ``admin1`` (str): GeoNames first-level code (Crimea: ``11``/``20`` of UA);
      ``tz`` (str): IANA time zone;
    - ``country`` (str): ``RU``, or ``UA`` where GeoNames files Crimea;
      ``crimea`` (int64): 1 for Crimea (Republic of Crimea and Sevastopol), else 0;
    - ``part_of`` (int64): geonameid of the city this place is a part of
      (a district of a federal city, a city section GeoNames lists as a place),
      ``0`` for a settlement of its own.

    The frame is cached: treat it as read-only.
    """
    return pd.read_csv(
        PLACES_CSV,
        dtype={
            "geonameid": "int64",
            "name": "str",
            "name_ru": "str",
            "population": "int64",
            "admin1": "str",
            "tz": "str",
            "population_source": "str",
            "country": "str",
            "crimea": "int64",
            "part_of": "int64",
        },
        keep_default_na=False,
    )
