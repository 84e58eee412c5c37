"""The bundled settlements table: a Russia-only GeoNames extract plus a small supplement.

Sources and licences in ``data/ATTRIBUTION.md``. ``settlements_ru.csv`` is built
by ``scripts/extract_settlements.py``; ``places_supplement.csv`` adds city
districts that GeoNames ``cities500`` lacks (Moscow's Mitino, South Butovo, the
New Moscow settlements...), each a part of its city.

Crimea (Sevastopol, a federal city, and the Republic of Crimea) is filed by
GeoNames under another country code; the table includes it (``crimea == 1``)
and :func:`load_places` keeps it unless told otherwise, or unless the
environment sets ``PVZ_SETTLEMENTS_CRIMEA=0`` (see ``api/settings.py``).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pandas as pd

__all__ = ["PLACES_CSV", "SUPPLEMENT_CSV", "crimea_default", "load_places"]

_HERE = Path(__file__).resolve().parent
#: GeoNames places of Russia with population >= 500 (built by scripts/extract_settlements.py)
PLACES_CSV = _HERE / "settlements_ru.csv"
#: city districts missing from GeoNames cities500 (hand-kept, approximate centres)
SUPPLEMENT_CSV = _HERE / "places_supplement.csv"

_DTYPES = {
    "geonameid": "int64",
    "name": "str",
    "name_ru": "str",
    "population": "int64",
    "admin1": "str",
    "tz": "str",
    "population_source": "str",
    "country": "str",
}


def crimea_default() -> bool:
    """Whether Crimea is included: ``PVZ_SETTLEMENTS_CRIMEA`` (default on; 0/false/no: off)."""
    raw = os.environ.get("PVZ_SETTLEMENTS_CRIMEA", "1").strip().lower()
    return raw not in {"0", "false", "no", "off"}


def load_places(*, crimea: bool | None = None) -> pd.DataFrame:
    """Bundled settlements, sorted by descending population, then GeoNames id.

    Columns:

    - ``geonameid`` (int64): GeoNames id (supplement rows: negative ids);
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

    Parameters
    ----------
    crimea : keep the Crimean places; None: :func:`crimea_default`.

    The frame is cached: treat it as read-only.
    """
    return _load(crimea_default() if crimea is None else bool(crimea))


@functools.lru_cache(maxsize=2)
def _load(crimea: bool) -> pd.DataFrame:
    base = pd.read_csv(PLACES_CSV, dtype=_DTYPES, keep_default_na=False)
    extra = pd.read_csv(SUPPLEMENT_CSV, dtype=_DTYPES, keep_default_na=False)
    extra = extra.drop(columns=["note"], errors="ignore").assign(
        population_source="supplement", country="RU", crimea=0
    )
    df = pd.concat([base, extra], ignore_index=True)
    if "part_of" not in df.columns:
        df["part_of"] = 0
    df["part_of"] = pd.to_numeric(df["part_of"], errors="coerce").fillna(0).astype("int64")
    if "crimea" in df.columns:
        df["crimea"] = pd.to_numeric(df["crimea"], errors="coerce").fillna(0).astype("int64")
        if not crimea:
            df = df[df["crimea"] == 0]
    df = df.sort_values(["population", "geonameid"], ascending=[False, True], kind="stable")
    return df.reset_index(drop=True)
