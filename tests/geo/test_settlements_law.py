"""The settlement rule on real places: the settlement the law puts them in, its name and radius.

Expected values are facts (legal city limits, 2021 census populations), not
outputs of the code: a row fails when the bundled data or the rule is wrong.
Coordinates are WGS84 degrees of a well-known spot of each place.
"""

from __future__ import annotations

import pytest

from data.places import load_places
from geo.settlements import SettlementLookup
from planning.protection import ProtectionPolicy

MOSCOW, SPB, NN = "Москва", "Санкт-Петербург", "Нижний Новгород"

# (what, lat, lon, settlement (None: open country), radius under the default tiers, m)
PLACES = [
    # Moscow: districts inside and outside the nominal circle, New Moscow, Zelenograd
    ("Red Square", 55.7539, 37.6208, MOSCOW, 500),
    ("South Butovo, Bulvar Admirala Ushakova", 55.5452, 37.5425, MOSCOW, 500),
    ("South Butovo, Potapovo", 55.5330, 37.5010, MOSCOW, 500),
    ("Mitino metro", 55.8455, 37.3590, MOSCOW, 500),
    ("Kurkino", 55.8930, 37.3900, MOSCOW, 500),
    ("Nekrasovka metro", 55.7029, 37.9281, MOSCOW, 500),
    ("Novokosino metro", 55.7451, 37.8641, MOSCOW, 500),
    ("Solntsevo metro", 55.6490, 37.3980, MOSCOW, 500),
    ("Novo-Peredelkino", 55.6383, 37.3540, MOSCOW, 500),
    ("Chertanovo Yuzhnoye", 55.5950, 37.6040, MOSCOW, 500),
    ("Severnoye Tushino", 55.8660, 37.4370, MOSCOW, 500),
    ("Zelenograd, Panfilovsky prospekt", 55.9825, 37.1814, MOSCOW, 500),
    ("Troitsk (New Moscow)", 55.4850, 37.3050, MOSCOW, 500),
    ("Kommunarka (New Moscow)", 55.5700, 37.4900, MOSCOW, 500),
    ("Moskovsky (New Moscow)", 55.5995, 37.3550, MOSCOW, 500),
    ("Shcherbinka (New Moscow)", 55.4990, 37.5630, MOSCOW, 500),
    # Moscow's border: Moscow on one side, the next city on the other (not the border line itself)
    ("Vnukovo airport, reference point (ZAO)", 55.5919, 37.2675, MOSCOW, 500),
    ("Vnukovo airport, terminal A", 55.6050, 37.2865, MOSCOW, 500),
    ("Nekrasovka, Lukhmanovskaya metro", 55.7083, 37.9003, MOSCOW, 500),
    ("Ostafyevo estate (Ryazanovskoye, New Moscow)", 55.4947, 37.5117, MOSCOW, 500),
    ("Lyubertsy station", 55.6764, 37.8999, "Люберцы", 700),
    ("Podolsk station", 55.4312, 37.5660, "Подольск", 700),
    ("Khimki station", 55.8898, 37.4449, "Химки", 700),
    ("Khimki, Planernaya platform", 55.9143, 37.4120, "Химки", 700),
    # separate cities of the Moscow region: their own settlement
    ("Khimki, city administration", 55.8887, 37.4303, "Химки", 700),
    ("Reutov centre", 55.7600, 37.8550, "Реутов", 700),
    ("Lyubertsy centre", 55.6780, 37.8930, "Люберцы", 700),
    ("Mytishchi centre", 55.9105, 37.7300, "Мытищи", 700),
    ("Krasnogorsk centre", 55.8200, 37.3300, "Красногорск", 700),
    ("Kotelniki centre", 55.6600, 37.8640, "Котельники", 1000),
    ("Dzerzhinsky centre", 55.6300, 37.8500, "Дзержинский", 1000),
    ("Odintsovo centre", 55.6780, 37.2780, "Одинцово", 700),
    ("Shchyolkovo centre", 55.9200, 37.9900, "Щёлково", 700),
    ("Kolomna Kremlin", 55.1030, 38.7530, "Коломна", 700),
    # St Petersburg: outer districts are the city; Leningrad-region towns are not
    ("Palace Square", 59.9390, 30.3158, SPB, 500),
    ("Kolpino", 59.7500, 30.5900, SPB, 500),
    ("Pushkin", 59.7200, 30.4100, SPB, 500),
    ("Kronstadt", 59.9950, 29.7700, SPB, 500),
    ("Zelenogorsk (St Petersburg)", 60.1960, 29.7000, SPB, 500),
    ("Kudrovo", 59.9080, 30.5130, "Кудрово", 1000),
    ("Murino", 60.0500, 30.4400, "Мурино", 1000),
    # Nizhny Novgorod: its districts are the city; Bor across the Volga is not
    ("Nizhny Novgorod Kremlin", 56.3287, 44.0020, NN, 500),
    ("Avtozavodsky district, GAZ", 56.2430, 43.8600, NN, 500),
    ("Bor centre", 56.3560, 44.0640, "Бор", 1000),
    # long cities: their far districts are the city; the towns beside them are not
    ("Volgograd, Krasnoarmeysky district", 48.5150, 44.5600, "Волгоград", 500),
    ("Volgograd, Tractor Plant", 48.7850, 44.5800, "Волгоград", 500),
    ("Volzhsky across the Volga", 48.7860, 44.7520, "Волжский", 700),
    ("Ufa, Chernikovka", 54.8100, 56.0800, "Уфа", 500),
    ("Chelyabinsk, Metallurgichesky district", 55.2450, 61.3000, "Челябинск", 500),
    ("Kopeysk beside Chelyabinsk", 55.1170, 61.6260, "Копейск", 700),
    # city centres and current populations
    ("Novokuznetsk, city administration", 53.7570, 87.1360, "Новокузнецк", 700),
    ("Perm, Esplanade", 58.0105, 56.2502, "Пермь", 500),
    ("Cherepovets centre", 59.1333, 37.9000, "Череповец", 700),
    ("Grozny centre", 43.3180, 45.6950, "Грозный", 700),
    ("Maykop centre", 44.6100, 40.1000, "Майкоп", 700),
    ("Blagoveshchensk centre", 50.2600, 127.5400, "Благовещенск", 700),
    ("Lipetsk centre", 52.6100, 39.5950, "Липецк", 700),
    ("Smolensk centre", 54.7820, 32.0450, "Смоленск", 700),
    # Crimea (included by default)
    ("Sevastopol, Nakhimov Square", 44.6160, 33.5250, "Севастополь", 700),
    ("Simferopol centre", 44.9520, 34.1020, "Симферополь", 700),
    # Chukotka on both sides of 180 degrees, the Arctic, Kaliningrad
    ("Anadyr", 64.7340, 177.5100, "Анадырь", 1000),
    ("Pevek", 69.7020, 170.3130, "Певек", 1000),
    ("Provideniya (west of 180)", 64.4230, -173.2300, "Провидения", 1000),
    ("Norilsk", 69.3490, 88.2010, "Норильск", 700),
    ("Dikson", 73.5080, 80.5290, "Диксон", 1000),
    ("Kaliningrad", 54.7100, 20.5100, "Калининград", 700),
    ("Udomlya, a town of 27,000", 57.8790, 35.0100, "Удомля", 1000),
    # villages, on both sides of 180 degrees too
    ("Lorino, a village west of 180", 65.5030, -171.7040, "Лорино", 1000),
    ("Lavrentiya, a village west of 180", 65.5830, -170.9970, "Лаврентия", 1000),
    ("Uelen, the easternmost village", 66.1597, -169.8098, "Уэлен", 1000),
    ("Egvekinot, west of 180", 66.3220, -179.1190, "Эгвекинот", 1000),
    ("Beringovsky, east of 180", 63.0610, 179.3500, "Беринговский", 1000),
    ("Spasskoye-Lutovinovo, a village", 53.3701, 36.6230, "Спасское-Лутовиново", 1000),
    # the 2021 census against stale GeoNames figures, near the 100,000 tier
    ("Yelets centre, 99,875 in 2021", 52.6220, 38.5030, "Елец", 1000),
    ("Vidnoye centre, 101,490 in 2021 (GeoNames 51,721)", 55.5520, 37.7090, "Видное", 700),
    ("Noginsk centre, 103,891 in 2021", 55.8540, 38.4410, "Ногинск", 700),
    ("Novokuybyshevsk centre, 98,306 in 2021", 53.0990, 49.9400, "Новокуйбышевск", 1000),
    # over 100,000 in GeoNames' old figures, under it by the 2021 census: a town's radius
    ("Ukhta centre", 63.5630, 53.6850, "Ухта", 1000),
    ("Velikiye Luki centre", 56.3400, 30.5440, "Великие Луки", 1000),
    # open country
    ("Evenkia taiga", 62.0, 100.0, None, 1000),
    ("Chukotka tundra", 66.5, 172.0, None, 1000),
]


def _norm(name: str | None) -> str | None:
    return None if name is None else name.replace("ё", "е")


@pytest.fixture(scope="module")
def lookup() -> SettlementLookup:
    return SettlementLookup(load_places(crimea=True))


@pytest.mark.parametrize(
    ("what", "lat", "lon", "name", "radius"), PLACES, ids=[p[0] for p in PLACES]
)
def test_real_place(
    lookup: SettlementLookup, what: str, lat: float, lon: float, name: str | None, radius: int
) -> None:
    loc = lookup.locate([lat], [lon])
    assert _norm(loc.name[0]) == _norm(name), what
    assert ProtectionPolicy().radius_for(int(loc.population[0])) == radius, what
    # the single-point path agrees with the batch path
    _, pop, single = lookup.locate_point(lat, lon)
    assert (single, pop) == (loc.name[0], int(loc.population[0]))


def test_table_is_large_enough() -> None:
    assert len(PLACES) >= 40


def test_every_big_city_contains_its_own_centre(lookup: SettlementLookup) -> None:
    places = load_places(crimea=True)
    own = places[(places["population"] >= 100_000) & (places["part_of"] == 0)]
    loc = lookup.locate(own["lat"], own["lon"])
    wrong = own[loc.population != own["population"].to_numpy()]
    assert wrong.empty, wrong[["name", "name_ru", "population"]].to_string()


def test_a_district_is_never_a_town_of_its_own(lookup: SettlementLookup) -> None:
    places = load_places(crimea=True)
    moscow = int(places.loc[places["name"] == "Moscow", "population"].iloc[0])
    parts = places[places["part_of"] == 524901]
    assert len(parts) > 100
    loc = lookup.locate(parts["lat"], parts["lon"])
    assert set(loc.name) == {MOSCOW}
    assert set(loc.population.tolist()) == {moscow}


def test_crimea_can_be_left_out() -> None:
    without = SettlementLookup(load_places(crimea=False))
    assert without.locate([44.6160], [33.5250]).name[0] is None
