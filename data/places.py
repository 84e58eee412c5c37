"""The bundled Russia-only GeoNames settlements table (CC BY 4.0, see ATTRIBUTION.md)."""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

__all__ = ["PLACES_CSV", "load_places"]

#: GeoNames places of Russia with population >= 500 (built by scripts/extract_settlements.py)
PLACES_CSV = Path(__file__).resolve().parent / "settlements_ru.csv"


@functools.lru_cache(maxsize=1)
def load_places() -> pd.DataFrame:
    """Bundled settlements: ``geonameid, name, name_ru, lat, lon, population, admin1, tz``.

    Latitude and longitude are WGS84 degrees; sorted by descending population.
    The frame is cached: treat it as read-only.
    """
    return pd.read_csv(
        PLACES_CSV,
        dtype={"geonameid": "int64", "name": "str", "name_ru": "str", "admin1": "str", "tz": "str"},
        keep_default_na=False,
    )
