"""Input edges, one policy for both stores (issue 13): control characters, deep JSON,
ASCII-only numbers and months, plain bbox numbers, a radius minimum, clear body errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from apikit import MOSCOW, Api, error, running_app

from api.validation import MAX_DEPTH, json_depth, plain_number
from data.store import Point
from geo.settlements import SettlementLookup

POINTS = [Point(id=f"P{i}", lat=MOSCOW[0] + i * 0.02, lon=MOSCOW[1], radius_m=500.0,
                opened_on="2020-01-01") for i in range(3)]  # fmt: skip


@pytest.fixture
def api(store_url: str, settlements: SettlementLookup) -> Iterator[Api]:
    with running_app(store_url, settlements, POINTS) as (client, service):
        yield Api(client, service, {"partner": "acme"})


def loc_of(r: Any) -> list[Any]:
    body = error(r, 422, "invalid_input")
    return list(body["detail"][0]["loc"])


@pytest.mark.parametrize(
    ("path", "loc"),
    [
        ("/v1/points/%00", ["path", "point_id"]),
        ("/v1/points/a%01b/rewards?month=2020-10", ["path", "point_id"]),
        ("/v1/points?status=%00", ["query", "status"]),
        ("/v1/applications?status=%1B", ["query", "status"]),
        ("/v1/points/P0/rewards?month=2020%0A10", ["query", "month"]),
        ("/v1/points?limit=%205", ["query", "limit"]),
        ("/v1/points?limit=5%20", ["query", "limit"]),
        ("/v1/points?limit=%E0%A5%AB", ["query", "limit"]),  # Devanagari 5
        ("/v1/audit-log?after_id=1_0", ["query", "after_id"]),
        ("/v1/whitespace?reach_m=%EF%BC%91000", ["query", "reach_m"]),  # fullwidth 1
    ],
)
def test_path_and_query_edges(api: Api, path: str, loc: list[str]) -> None:
    """Control characters and non-plain numbers in path and query: 422 naming the field,
    the same on SQLite and PostGIS (PostGIS cannot store NUL: it used to be a 500)."""
    assert loc_of(api.call("GET", path, "admin")) == loc


@pytest.mark.parametrize(
    "month",
    ["%E0%A5%A8%E0%A5%A6%E0%A5%A8%E0%A5%AA-%E0%A5%A6%E0%A5%A7", "2020-10%20", "%202020-10",
     "2020-1", "2020_10"],
)  # fmt: skip
def test_month_ascii_only(api: Api, month: str) -> None:
    r = api.call("GET", f"/v1/points/P0/rewards?month={month}", "admin")
    assert "month" in loc_of(r)
    assert api.call("GET", "/v1/points/P0/rewards?month=2020-10", "admin").status_code == 200


@pytest.mark.parametrize("bbox", ["1_0,1,2,3", "1,1,2,%203", "inf,1,2,3", "0x1,1,2,3",
                                  "%D9%A1,1,2,3", "1,1,2,3,"])  # fmt: skip
def test_bbox_plain_numbers(api: Api, bbox: str) -> None:
    r = api.call("GET", f"/v1/points?bbox={bbox}", "admin")
    assert loc_of(r) == ["bbox"]
    ok = api.call("GET", "/v1/points?bbox=37.5,55.5,-1e-3,56.0", "admin")
    assert ok.status_code in (200, 422)  # -0.001 crosses 180: a valid box either way
    assert api.call("GET", "/v1/points?bbox=37.5,55.5,38,56.0", "admin").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/v1/points", {"lat": 56.5, "lon": 37.0, "address": "a\u0000b"}, "address"),
        ("POST", "/v1/points", {"lat": 56.5, "lon": 37.0, "address": "a\tb"}, "address"),
        ("POST", "/v1/points", {"lat": 56.5, "lon": 37.0, "override_reason": "x\u0007"},
         "override_reason"),
        ("PATCH", "/v1/points/P0", {"address": "\u009b1m"}, "address"),
        ("POST", "/v1/applications", {"lat": 56.5, "lon": 37.0, "address": "a\u0000"},
         "address"),
        ("POST", "/v1/protection/check-batch",
         {"candidates": [{"id": "c\u0000", "lat": 56.5, "lon": 37.0}]}, "id"),
        ("POST", "/v1/orders", [{"order_id": "O\u0000", "point_id": "P0",
                                 "issued_on": "2020-10-01", "price_rub": "1.00",
                                 "status": "issued"}], "order_id"),
    ],
)  # fmt: skip
def test_body_control_characters(api: Api, method: str, path: str, body: Any, field: str) -> None:
    """A control character in any body text is a 422 naming the field, nothing stored."""
    who = "partner" if path == "/v1/applications" else "admin"
    before = api.call("GET", "/v1/points?limit=1000", "admin").json()
    r = api.call(method, path, who, json=body)
    assert field in loc_of(r), r.text
    assert api.call("GET", "/v1/points?limit=1000", "admin").json() == before


def test_free_text_allows_tab_and_newline(api: Api) -> None:
    """A reason is free text: tab and newline are kept; the same on both stores."""
    r = api.call("POST", "/v1/points", "admin", json={"lat": 55.7560, "lon": 37.6175,
                 "override_reason": "line 1\n\tline 2"})  # fmt: skip
    assert r.status_code == 201, r.text


def test_orders_csv_control_characters(api: Api) -> None:
    csv = "order_id,point_id,issued_on,price_rub,status\nO-1,P0,2020-10-01,1.00,iss\x00ued\n"
    r = api.call("POST", "/v1/orders", "admin", content=csv.encode(),
                 headers={"Content-Type": "text/csv"})  # fmt: skip
    body = error(r, 422, "invalid_input")
    assert "status" in body["message"] and "U+0000" in body["message"]


@pytest.mark.parametrize("path", ["/v1/orders", "/v1/protection/check", "/v1/points",
                                  "/v1/protection/check-batch"])  # fmt: skip
@pytest.mark.parametrize("opener", [b"[", b'{"a":'])
def test_deep_json_refused_before_parsing(api: Api, path: str, opener: bytes) -> None:
    """``[`` x 100,000 was a RecursionError (500, connection reset) on /v1/orders."""
    r = api.call("POST", path, "admin", content=opener * 100_000,
                 headers={"Content-Type": "application/json"})  # fmt: skip
    assert loc_of(r) == ["body"]
    assert "deeper" in r.json()["message"]


def test_json_depth_ignores_strings() -> None:
    assert json_depth(b'{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}') == 1
    assert json_depth(b'{"a": "\\"[[[[", "b": [[1]]}') == 3
    assert json_depth(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1)) == MAX_DEPTH + 1
    assert json_depth(b"[" + b"[1]," * 10_000 + b"1]") == 2


@pytest.mark.parametrize("body", [b"{", b"\xff\xfe", b"[1,", b"nul"])
@pytest.mark.parametrize("path", ["/v1/orders", "/v1/protection/check", "/v1/points"])
def test_unparseable_bodies_are_a_documented_422(api: Api, path: str, body: bytes) -> None:
    r = api.call("POST", path, "admin", content=body, headers={"Content-Type": "application/json"})
    error(r, 422, "invalid_input")
    spec = api.client.get("/openapi.json").json()
    assert "422" in spec["paths"][path]["post"]["responses"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/points", {"lat": 56.5, "lon": 37.0, "radius_m": 5e-324}, "radius_m"),
        ("/v1/points", {"lat": 56.5, "lon": 37.0, "radius_m": 0.5}, "radius_m"),
        ("/v1/plan", {"candidates": [{"lat": 56.5, "lon": 37.0}],
                      "demand": [{"lat": 56.5, "lon": 37.0, "weight": 1.0}], "k": 1,
                      "service_radius_m": 5e-324}, "service_radius_m"),
    ],
)  # fmt: skip
def test_radius_minimum(api: Api, path: str, body: dict[str, Any], field: str) -> None:
    assert field in loc_of(api.call("POST", path, "admin", json=body))


def test_plain_number() -> None:
    for ok in ["1", "-1.5", "+2e3", ".5", "5.", "1E-3"]:
        assert plain_number(ok), ok
    for bad in ["", " 1", "1 ", "1_0", "inf", "nan", "0x1", "١", "１", "1e", "--1"]:
        assert not plain_number(bad), bad


@pytest.mark.parametrize(
    ("field", "value"),
    [("issued_on", " 2020-10-01"), ("issued_on", "2020-10-01 "), ("issued_on", "２020-10-01"),
     ("price_rub", " 1.00"), ("price_rub", "1.00 "), ("price_rub", "１.00"),
     ("price_rub", "1_000.00")],
)  # fmt: skip
def test_order_days_and_prices_ascii_only(api: Api, field: str, value: str) -> None:
    """Order days and prices: ASCII digits, no surrounding spaces, on both stores."""
    line = {"order_id": "O-1", "point_id": "P0", "issued_on": "2020-10-01",
            "price_rub": "1.00", "status": "issued", field: value}  # fmt: skip
    r = api.call("POST", "/v1/orders", "admin", json=[line])
    body = error(r, 422, "invalid_input")
    assert field in body["message"] or field in str(body.get("detail")), body


def test_every_operation_documents_its_edges(api: Api) -> None:
    """Walk /openapi.json: every operation lists 400, 413 and 422; a control character in
    any operation's query is a 422 (before routing), which its document lists."""
    spec = api.client.get("/openapi.json").json()
    n = 0
    for path, operations in spec["paths"].items():
        concrete = path.replace("{", "").replace("}", "")
        for method, op in operations.items():
            assert {"400", "413", "422"} <= set(op["responses"]), (method, path)
            r = api.call(method.upper(), f"{concrete}?x=%00", "admin")
            assert str(r.status_code) in op["responses"], (method, path, r.status_code)
            assert loc_of(r) == ["query", "x"]
            n += 1
    assert n >= 20
