"""Error messages of the HTTP API: Russian by default (``Accept-Language: en`` or
``PVZ_LANGUAGE=en``: English), pydantic's errors translated with their field path,
``field`` (``поле``), never ``column``, in an HTTP answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from apikit import MOSCOW, Api, error, near, running_app

from api.wording import api_text, validation_text
from data.store import Point
from geo.settlements import SettlementLookup

EN = {"Accept-Language": "en"}


def _points() -> list[Point]:
    return [Point(id="P1", lat=MOSCOW[0], lon=MOSCOW[1], radius_m=500.0, partner_id="acme"),
            Point(id="P2", lat=61.2, lon=102.0, radius_m=500.0)]  # fmt: skip


@pytest.fixture
def api(tmp_path: Path, settlements: SettlementLookup) -> Iterator[Api]:
    with running_app(f"sqlite:///{tmp_path / 'pvz.db'}", settlements, _points()) as (c, s):
        yield Api(c, s, {"partner": "acme"})


def _msg(r: Any, status: int) -> str:
    return str(error(r, status)["message"])


def test_not_found_forbidden_conflict_in_russian_and_english(api: Api) -> None:
    assert _msg(api.call("GET", "/v1/points/NOPE", "admin"), 404) == "нет точки с id 'NOPE'"
    assert (_msg(api.call("GET", "/v1/points/NOPE", "admin", headers=EN), 404)
            == "no point with id 'NOPE'")  # fmt: skip
    assert _msg(api.call("GET", "/v1/applications/A-x", "admin"), 404) == "нет заявки с id 'A-x'"
    m = _msg(api.call("GET", "/v1/audit-log", "partner"), 403)
    assert m.startswith("роли 'partner' это не разрешено; разрешено:")
    assert _msg(api.call("GET", "/v1/keys", None), 401) == "нет заголовка X-API-Key"
    lat, lon = near(61.2, 102.0, 55.7)
    body = {"id": "N1", "lat": lat, "lon": lon, "radius_m": 500.0}
    m = _msg(api.call("POST", "/v1/points", "expansion", json=body), 409)
    assert " м от P2 (радиус защиты 500 м)" in m and "is " not in m
    m = _msg(api.call("POST", "/v1/points", "expansion", json=body, headers=EN), 409)
    assert " m from P2 (protected radius 500 m)" in m
    m = _msg(api.call("GET", "/v1/points/P2/rewards?month=2026-01", "admin"), 409)
    assert m.startswith("у точки 'P2' нет даты открытия")


def test_pydantic_errors_are_translated_with_their_path(api: Api) -> None:
    def bad(body: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        r = api.call("POST", "/v1/protection/check", "admin", content=body,
                     headers={"content-type": "application/json", **(headers or {})})  # fmt: skip
        return error(r, 422)

    assert bad('{"lat": "x", "lon": 1}')["message"] == "body.lat: должно быть числом"
    assert (bad('{"lat": "x", "lon": 1}', EN)["message"]
            == "body.lat: Input should be a valid number")  # fmt: skip
    got = bad('{"lon": 1}')
    assert got["message"] == "body.lat: обязательное поле не задано"
    assert got["detail"][0]["loc"] == ["body", "lat"] and got["detail"][0]["type"] == "missing"
    assert bad('{"lat": 91, "lon": 1}')["message"] == "body.lat: должно быть не больше 90"
    assert bad('{"lat": -91, "lon": 1}')["message"] == "body.lat: должно быть не меньше -90"
    assert bad('{"lat": 1, "lon": 1, "x": 2}')["message"] == "body.x: лишнее поле: такого поля нет"
    assert bad('{"lat": 1,')["message"].startswith("body.10: тело запроса — не JSON")
    two = bad('{"lat": "x", "lon": "y"}')
    assert two["message"] == "body.lat: должно быть числом (и ещё 1)"


def test_domain_422_says_field_not_column(api: Api) -> None:
    r = api.call("POST", "/v1/protection/check", "partner", json={"lat": 10.0, "lon": 10.0})
    m = _msg(r, 422)
    assert m.startswith("поле 'lat': ") and "column" not in m
    m = _msg(api.call("POST", "/v1/protection/check", "partner", json={"lat": 10.0, "lon": 10.0},
                      headers=EN), 422)  # fmt: skip
    assert m.startswith("field 'lat': ") and "column" not in m
    m = _msg(api.call("GET", "/v1/points/density?bbox=0,0,1,1&resolution=9", "admin"), 422)
    assert m == "поле 'resolution': разрешение (resolution) должно быть от 2 до 6"


def test_the_default_language_setting(tmp_path: Path, settlements: SettlementLookup) -> None:
    url = f"sqlite:///{tmp_path / 'pvz.db'}"
    with running_app(url, settlements, _points(), language="en") as (client, service):
        api = Api(client, service, {})
        assert _msg(api.call("GET", "/v1/points/NOPE", "admin"), 404) == "no point with id 'NOPE'"
        m = _msg(api.call("GET", "/v1/points/NOPE", "admin", headers={"Accept-Language": "ru"}),
                 404)  # fmt: skip
        assert m == "нет точки с id 'NOPE'"


def test_wording_functions() -> None:
    assert api_text("no job with id 'J1'") == "нет задачи с id 'J1'"
    assert api_text("application 'A-1' is approved already") == "заявка 'A-1' уже одобрена"
    assert api_text("something new") == "something new"
    assert api_text("no point with id 'X'", "en") == "no point with id 'X'"
    assert validation_text("string_too_long", "String should have at most 5 characters",
                           {"max_length": 5}) == "должно быть не длиннее 5 симв."  # fmt: skip
    assert validation_text("value_error", "Value error, no point with id 'X'", None) == (
        "нет точки с id 'X'")  # fmt: skip
    assert validation_text("greater_than_equal", "x", {}) == "x"  # no ctx: as it is
