"""Russian regions (federal subjects) by the GeoNames first-level code of the bundled places.

``regions_ru.csv`` maps each ``(country, admin1)`` of ``settlements_ru.csv`` (GeoNames
``admin1CodesASCII``) to the region's official Russian name (the Constitution's list, art.
65: "Московская область", "Республика Татарстан") and a usual English one. Crimea follows the
rest of the bundled data: GeoNames files it under ``UA`` (``11`` the Republic of Crimea,
``20`` Sevastopol), and the table names them as Russian regions. Sources and licence:
``data/ATTRIBUTION.md``.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path
from typing import NamedTuple

__all__ = ["REGIONS_CSV", "Region", "load_regions", "region_of"]

#: ``country, admin1, name_ru, name_en``: one row per region of the bundled places
REGIONS_CSV = Path(__file__).resolve().parent / "regions_ru.csv"


class Region(NamedTuple):
    """A region: its Russian official name and an English name."""

    name_ru: str
    name_en: str


@functools.lru_cache(maxsize=1)
def load_regions() -> dict[tuple[str, str], Region]:
    """``(country, admin1) -> Region`` for every row of ``regions_ru.csv`` (cached).

    Keys are GeoNames codes as text: ``("RU", "47")`` is Moscow Oblast, ``("UA", "20")``
    Sevastopol.
    """
    with REGIONS_CSV.open(encoding="utf-8", newline="") as fh:
        return {(r["country"], r["admin1"]): Region(r["name_ru"], r["name_en"])
                for r in csv.DictReader(fh)}  # fmt: skip


def region_of(country: str | None, admin1: str | None) -> Region | None:
    """The region of a place's GeoNames ``country`` and ``admin1`` codes; None if unknown
    (the supplement's rows carry no country: ``RU`` is assumed)."""
    if not admin1:
        return None
    return load_regions().get((country or "RU", str(admin1).zfill(2)))
