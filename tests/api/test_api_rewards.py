"""The rewards API: POST /v1/orders and GET /v1/points/{id}/rewards, on SQLite and PostGIS.

Every role, partner isolation, idempotent ingest (JSON and CSV), status changes in the
audit log, every class of bad input with nothing stored changed, and the same statement
from the API, the CLI and the Python function.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from apikit import ADMIN, Api, error, running_app
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

import api.cli
import api.commands.rewards  # noqa: F401  (registers `pvz rewards`)
from api.app import create_app
from api.loaders import load_reward_policy
from api.service import Service
from api.settings import Settings
from data.store import Point
from geo.settlements import SettlementLookup
from planning.rewards import OrderRecord, PointRecord, build_statements, parse_rub
from planning.rewards import statement_to_dict as to_dict
from planning.rewards.policy import policy_from_toml

EXAMPLE_POLICY = Path(__file__).resolve().parents[2] / "examples" / "rewards_policy_example.toml"

#: the CLI's POINTS file for the same points the store holds (A and C belong to acme)
POINTS_CSV = """id,opened_on,closed_days_2020,rating
A,2020-07-15,,4.9
B,2020-04-10,20,
C,2019-01-01,0,4.6
D,2020-11-30,,
"""

ORDERS_CSV = """order_id,point_id,issued_on,price_rub,status
1,A,2020-10-14,1000.00,issued
2,A,2020-10-15,4999.99,issued
3,A,2020-10-15,5000,issued
4,A,2020-10-20,300.00,returned
5,B,2020-07-29,100.00,issued
6,B,2020-07-30,100.00,issued
7,C,2020-10-01,0.10,issued
8,C,2020-10-31,0.30,cancelled
9,C,2020-11-01,10.00,issued
10,D,2020-12-01,250000.00,issued
11,A,2020-10-14,1000.00,issued
1,A,2020-10-14,1000.00,issued
"""

POINT_RECORDS = [
    PointRecord("A", dt.date(2020, 7, 15), 0),
    PointRecord("B", dt.date(2020, 4, 10), 20),
    PointRecord("C", dt.date(2019, 1, 1), 0),
    PointRecord("D", dt.date(2020, 11, 30), 0),
]


def order_records() -> list[OrderRecord]:
    rows = [line.split(",") for line in ORDERS_CSV.strip().splitlines()[1:]]
    return [OrderRecord(o, p, dt.date.fromisoformat(d), parse_rub(price), s)
            for o, p, d, price, s in rows]  # fmt: skip


def orders_json() -> list[dict[str, str]]:
    head, *rows = ORDERS_CSV.strip().splitlines()
    return [dict(zip(head.split(","), r.split(","), strict=True)) for r in rows]


class RewardsApi(Api):
    """A client with keys for admin, expansion, acme (partner) and globex (partner)."""

    def post_csv(self, text: str, who: str = "admin") -> Any:
        return self.call("POST", "/v1/orders", who, content=text.encode(),
                         headers={"Content-Type": "text/csv"})  # fmt: skip

    def post_json(self, body: Any, who: str = "admin") -> Any:
        return self.call("POST", "/v1/orders", who, json=body)

    def statement(self, point_id: str, month: str, who: str = "admin") -> Any:
        return self.call("GET", f"/v1/points/{point_id}/rewards", who, params={"month": month})

    def state(self) -> tuple[Any, ...]:
        """Everything an upload can change: every statement of interest and the audit log."""
        months = ("2020-07", "2020-10", "2020-11", "2020-12")
        sts = [self.statement(p, m).json() for p in "ABCD" for m in months]
        return json.dumps(sts), self.service.store.last_audit_id()


@pytest.fixture(params=["sqlite", "postgis"])
def rapi(
    request: pytest.FixtureRequest, tmp_path: Path, settlements: SettlementLookup
) -> Iterator[Api]:
    """A client of an app whose store holds points A-D (as in the CLI files) and N (no
    opening date)."""
    if request.param == "postgis":
        pg, template = request.getfixturevalue("pg_template")
        url = pg.clone_database(template)
    else:
        url = f"sqlite:///{tmp_path / 'pvz.db'}"
    points = [Point(id="A", lat=55.7558, lon=37.6173, radius_m=500.0, partner_id="acme",
               opened_on="2020-07-15", rating=4.9),
         Point(id="B", lat=59.9386, lon=30.3141, radius_m=500.0, partner_id="globex",
               opened_on="2020-04-10", closed_days_2020=20),
         Point(id="C", lat=56.8, lon=60.6, radius_m=500.0, partner_id="acme",
               opened_on="2019-01-01", closed_days_2020=0, rating=4.6),
         Point(id="D", lat=55.0, lon=82.9, radius_m=500.0, opened_on="2020-11-30"),
         Point(id="N", lat=43.1, lon=131.9, radius_m=500.0)]  # fmt: skip
    with running_app(url, settlements, points, max_body_bytes=200_000) as (client, service):
        yield RewardsApi(client, service, {"acme": "acme", "globex": "globex"})


def run_cli(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(api.cli.app, [str(a) for a in args])
    return result.exit_code, result.output


# ---------------------------------------------------------------------------------------
# roles and isolation


@pytest.mark.parametrize(
    ("who", "status"),
    [("admin", 200), ("expansion", 403), ("acme", 403), (None, 401), ("bogus", 401)],
)
def test_only_admin_ingests(rapi: Api, who: str | None, status: int) -> None:
    r = rapi.call("POST", "/v1/orders", who, json=orders_json())
    assert r.status_code == status, r.text
    stored = rapi.service.store.list_orders("A", issued_from="2020-01-01", issued_to="2020-12-31")
    assert len(stored) == (5 if status == 200 else 0)


@pytest.mark.parametrize(
    ("who", "point", "status"),
    [("admin", "A", 200), ("admin", "B", 200), ("expansion", "A", 200), ("expansion", "B", 200),
     ("acme", "A", 200), ("acme", "C", 200), ("acme", "B", 404), ("acme", "D", 404),
     ("globex", "B", 200), ("globex", "A", 404), ("admin", "nope", 404),
     ("acme", "nope", 404), (None, "A", 401), ("bogus", "A", 401)],
)  # fmt: skip
def test_statement_roles_and_isolation(rapi: Api, who: str | None, point: str,
                                       status: int) -> None:  # fmt: skip
    assert rapi.post_csv(ORDERS_CSV).status_code == 200
    r = rapi.statement(point, "2020-10", who)  # type: ignore[arg-type]
    assert r.status_code == status, r.text
    if status == 404:  # a foreign point reads exactly like a missing one
        assert r.json()["message"] == f"нет точки с id {point!r}"  # Russian by default
    if status == 200:
        assert r.json()["point_id"] == point


# ---------------------------------------------------------------------------------------
# the same statement from the API, the CLI and the Python function


@pytest.mark.parametrize("month", ["2020-07", "2020-10", "2020-11", "2020-12"])
def test_api_equals_cli_equals_function(rapi: Api, tmp_path: Path, month: str) -> None:
    r = rapi.post_csv(ORDERS_CSV)
    assert r.json() == {"received": 12, "created": 11, "updated": 0, "unchanged": 0}
    (tmp_path / "points.csv").write_text(POINTS_CSV, encoding="utf-8")
    (tmp_path / "orders.csv").write_text(ORDERS_CSV, encoding="utf-8")
    out = tmp_path / "out.json"
    code, text = run_cli("rewards", tmp_path / "points.csv", tmp_path / "orders.csv",
                         "--month", month, "-o", out)  # fmt: skip
    assert code == 0, text
    cli = json.loads(out.read_text(encoding="utf-8"))
    function = [to_dict(s) for s in build_statements(POINT_RECORDS, order_records(), month)]
    assert cli == function and cli
    for expected in cli:
        got = rapi.statement(expected["point_id"], month)
        assert got.status_code == 200, got.text
        assert got.json() == expected
    for point in set("ABCD") - {s["point_id"] for s in cli}:  # no orders: a zero statement
        got = rapi.statement(point, month).json()
        assert (got["reward_rub"], got["turnover_rub"], got["lines"]) == ("0.00", "0.00", [])


def test_statement_values(rapi: Api) -> None:
    rapi.post_json(orders_json())
    a = rapi.statement("A", "2020-10", "acme").json()
    # 1000.00 * 5 % * 2 = 100.00 (orders 1 and 11, 10-14, double) ; 4999.99 * 5 % = 250.00 ;
    # 5000 -> fixed 250.00 ; returned 0.00 -> 700.00 ; 4 issued parcels * 35.00 = 140.00
    assert (a["reward_rub"], a["turnover_rub"], a["old_scheme_rub"]) == ("700.00", "11999.99",
                                                                          "140.00")  # fmt: skip
    assert a["double_rate_days"] == 14  # 2020-10-01 .. 2020-10-14
    assert [line["order_id"] for line in a["lines"]] == ["1", "11", "2", "3", "4"]


def test_zero_statement_keeps_double_rate_days(rapi: Api) -> None:
    # D opened 2020-11-30: double through 2021-02-27 (three months later clamped to 02-28)
    got = rapi.statement("D", "2021-02").json()
    assert got == {"point_id": "D", "month": "2021-02", "turnover_rub": "0.00",
                   "reward_rub": "0.00", "double_rate_days": 27, "lines": [],
                   "adjustments": [], "old_scheme_rub": "0.00", "notes": []}  # fmt: skip
    # B opened 2020-04-10, 20 days closed: double through 2020-07-29 (07-10 + 20 days, excl.)
    assert rapi.statement("B", "2020-07").json()["double_rate_days"] == 29


def test_statement_with_policy_file_matches_cli(
    tmp_path: Path, settlements: SettlementLookup
) -> None:
    url = f"sqlite:///{tmp_path / 'pvz.db'}"
    settings = Settings(database_url=url, bootstrap_admin_key=SecretStr(ADMIN), sync_interval_s=0,
                        reward_policy_path=EXAMPLE_POLICY)  # fmt: skip
    service = Service(settings, settlements=settlements)
    service.store.seed_points(
        [Point(id=p.point_id, lat=50.0 + i, lon=40.0, radius_m=500.0,
               opened_on=p.opened_on.isoformat(), closed_days_2020=c,
               rating=r)
         for i, (p, r, c) in enumerate(zip(POINT_RECORDS, [4.9, None, 4.6, None],
                                           [0, 20, 0, 0], strict=True))],
        actor="test", reason="fixture",
    )  # fmt: skip
    (tmp_path / "points.csv").write_text(POINTS_CSV, encoding="utf-8")
    (tmp_path / "orders.csv").write_text(ORDERS_CSV, encoding="utf-8")
    out = tmp_path / "out.json"
    code, text = run_cli("rewards", tmp_path / "points.csv", tmp_path / "orders.csv", "--month",
                         "2020-10", "-o", out, "--policy", EXAMPLE_POLICY)  # fmt: skip
    assert code == 0, text
    cli = json.loads(out.read_text(encoding="utf-8"))
    policy = policy_from_toml(EXAMPLE_POLICY.read_text(encoding="utf-8"))
    assert load_reward_policy(EXAMPLE_POLICY) == policy
    with TestClient(create_app(settings, service=service)) as client:
        h = {"X-API-Key": ADMIN}
        r = client.post("/v1/orders", content=ORDERS_CSV.encode(),
                        headers={**h, "Content-Type": "text/csv"})  # fmt: skip
        assert r.status_code == 200, r.text
        for expected in cli:
            got = client.get(f"/v1/points/{expected['point_id']}/rewards",
                             params={"month": "2020-10"}, headers=h)  # fmt: skip
            assert got.json() == expected
    service.close()


# ---------------------------------------------------------------------------------------
# idempotency and status updates


def test_same_file_twice_changes_nothing(rapi: Api) -> None:
    assert rapi.post_csv(ORDERS_CSV).json()["created"] == 11
    before = rapi.state()
    for send in (lambda: rapi.post_csv(ORDERS_CSV), lambda: rapi.post_json(orders_json())):
        r = send()
        assert r.json() == {"received": 12, "created": 0, "updated": 0, "unchanged": 11}
        assert rapi.state() == before


def test_status_change_is_an_update_in_the_audit_log(rapi: Api) -> None:
    rapi.post_csv(ORDERS_CSV)
    assert rapi.statement("A", "2020-10").json()["reward_rub"] == "700.00"
    mark = rapi.service.store.last_audit_id()
    r = rapi.post_json([{"order_id": "2", "point_id": "A", "issued_on": "2020-10-15",
                         "price_rub": "4999.99", "status": "returned"}])  # fmt: skip
    assert r.json() == {"received": 1, "created": 0, "updated": 1, "unchanged": 0}
    assert rapi.statement("A", "2020-10").json()["reward_rub"] == "450.00"  # 700 - 250
    log = rapi.call("GET", "/v1/audit-log", "admin", params={"after_id": mark}).json()
    change = [e for e in log if e["action"] == "order.status_changed"]
    assert len(change) == 1
    e = change[0]
    assert e["entity"] == "order" and e["entity_id"] == "2" and e["at"]
    assert e["actor"].startswith("admin:")
    assert (e["detail"]["before"], e["detail"]["after"]) == ("issued", "returned")


# ---------------------------------------------------------------------------------------
# bad input: 4xx naming the row, nothing stored changed

GOOD = {"order_id": "X1", "point_id": "A", "issued_on": "2020-10-16", "price_rub": "10.00",
        "status": "issued"}  # fmt: skip

BAD_LINES = [
    ({"price_rub": "-5.00"}, "price_rub", "negative price"),
    ({"price_rub": "12,500"}, "price_rub", "ambiguous"),
    ({"price_rub": "abc"}, "price_rub", "not a decimal number"),
    ({"price_rub": "1.005"}, "price_rub", "more than two decimals"),
    ({"price_rub": "NaN"}, "price_rub", "not a decimal number"),
    ({"status": "lost"}, "status", "unknown status 'lost'"),
    ({"issued_on": "2021-02-29"}, "issued_on", "not an existing date"),
    ({"issued_on": "14.10.20"}, "issued_on", "not an existing date"),
    ({"issued_on": "31.11.2020"}, "issued_on", "not an existing date"),
    ({"point_id": "nope"}, "point_id", "unknown point 'nope'"),
    ({"point_id": "N"}, "point_id", "no opening date"),
    ({"issued_on": "2020-07-14"}, "issued_on", "issued before point 'A' opened"),
    ({"order_id": "1", "price_rub": "999.00"}, "order_id", "appears twice with different content"),
    ({"order_id": ""}, "order_id", "empty id"),
]


def _csv(rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(GOOD), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


@pytest.mark.parametrize("kind", ["json", "csv"])
@pytest.mark.parametrize(("change", "column", "message"), BAD_LINES,
                         ids=[f"{c}:{m}" for _, c, m in BAD_LINES])  # fmt: skip
def test_bad_line_is_422_naming_the_row(
    rapi: Api, kind: str, change: dict[str, str], column: str, message: str
) -> None:
    rapi.post_csv(ORDERS_CSV)
    before = rapi.state()
    rows = [{**GOOD, "order_id": "1", "price_rub": "1000.00", "issued_on": "2020-10-14"},
            {**GOOD, "order_id": "X0"}, {**GOOD, **change}, {**GOOD, "order_id": "X2"}]  # fmt: skip
    r = rapi.post_json(rows) if kind == "json" else rapi.post_csv(_csv(rows))
    if change.get("order_id") == "" and kind == "json":  # the schema refuses an empty id
        body = error(r, 422, "invalid_input")
        assert body["detail"][0]["loc"] == ["body", 2, "order_id"]
    else:
        body = error(r, 422, "invalid_input")
        assert body["message"].startswith(f"body, строка 3, столбец {column!r}"), body
        assert message in body["message"], body
    assert rapi.state() == before


@pytest.mark.parametrize("change", [{"price_rub": "1000.01"}, {"issued_on": "2020-10-15"},
                                    {"point_id": "C"}], ids=["price", "day", "point"])  # fmt: skip
def test_changed_money_facts_are_409(rapi: Api, change: dict[str, str]) -> None:
    rapi.post_csv(ORDERS_CSV)
    before = rapi.state()
    stored = {"order_id": "1", "point_id": "A", "issued_on": "2020-10-14", "price_rub": "1000.00",
              "status": "issued"}  # fmt: skip
    r = rapi.post_json([{**GOOD, "order_id": "X0"}, {**stored, **change}])
    body = error(r, 409, "conflict")
    assert "row 2: order '1' is stored as point A" in body["message"]
    assert rapi.state() == before


@pytest.mark.parametrize(
    ("content", "ctype", "status"),
    [(b"not json", "application/json", 422), (b"{}", "application/json", 422),
     (b'[{"order_id": "X"}]', "application/json", 422),
     (json.dumps([{**GOOD, "price_rub": 10.0}]).encode(), "application/json", 422),
     (json.dumps([{**GOOD, "extra": "1"}]).encode(), "application/json", 422),
     (json.dumps([{**GOOD, "order_id": None}]).encode(), "application/json", 422),
     (b"", "application/json", 422), (b"", "text/csv", 422),
     (b"order_id,point_id\nX,A\n", "text/csv", 422),
     (b"order_id,point_id,issued_on,price_rub,status\nX,A,2020-10-16,1,issued,extra\n",
      "text/csv", 422),
     (b"\xff\xfe\x00", "text/csv", 422),
     (b"order_id", "application/xml", 415),
     (b"x" * 300_000, "text/csv", 413)],
)  # fmt: skip
def test_malformed_bodies(rapi: Api, content: bytes, ctype: str, status: int) -> None:
    rapi.post_csv(ORDERS_CSV)
    before = rapi.state()
    r = rapi.call("POST", "/v1/orders", "admin", content=content, headers={"Content-Type": ctype})
    error(r, status)
    assert rapi.state() == before


def test_empty_upload_changes_nothing(rapi: Api) -> None:
    before = rapi.state()
    assert rapi.post_json([]).json() == {"received": 0, "created": 0, "updated": 0,
                                         "unchanged": 0}  # fmt: skip
    assert rapi.post_csv(_csv([])).json()["received"] == 0
    assert rapi.state() == before


@pytest.mark.parametrize("month", ["2020-13", "2020-1", "20-10", "abc", "", "0000-01",
                                   "9999-12", "2020-10-01", "x" * 50])  # fmt: skip
def test_bad_month_is_422(rapi: Api, month: str) -> None:
    body = error(rapi.statement("A", month), 422, "invalid_input")
    assert "month" in body["message"]


def test_missing_month_is_422(rapi: Api) -> None:
    error(rapi.call("GET", "/v1/points/A/rewards", "admin"), 422, "invalid_input")


def test_point_without_opening_date_is_409(rapi: Api) -> None:
    body = error(rapi.statement("N", "2020-10"), 409, "conflict")
    assert "нет даты открытия (opened_on)" in body["message"]


def test_opening_date_moved_after_orders_is_409_not_500(rapi: Api) -> None:
    rapi.post_csv(ORDERS_CSV)
    r = rapi.call("PATCH", "/v1/points/A", "admin", json={"opened_on": "2020-10-15"})
    assert r.status_code == 200, r.text
    body = error(rapi.statement("A", "2020-10"), 409, "conflict")
    assert "issued before point 'A' opened" in body["message"]


# ---------------------------------------------------------------------------------------
# the contract


def test_openapi_documents_the_rewards_routes(rapi: Api) -> None:
    spec = rapi.call("GET", "/openapi.json", None).json()
    post = spec["paths"]["/v1/orders"]["post"]
    assert set(post["requestBody"]["content"]) == {"application/json", "text/csv"}
    assert "content" in post["responses"]["200"]
    get = spec["paths"]["/v1/points/{point_id}/rewards"]["get"]
    assert any(p["name"] == "month" and p["required"] for p in get["parameters"])
    ref = get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert list(schema["properties"]) == [
        "point_id", "month", "turnover_rub", "reward_rub", "double_rate_days", "lines",
        "adjustments", "old_scheme_rub", "notes",
    ]  # fmt: skip
    assert "example" in schema
    items = post["requestBody"]["content"]["application/json"]["schema"]["items"]
    assert set(items["properties"]) == {"order_id", "point_id", "issued_on", "price_rub", "status",
                                        "returned_on", "cancelled_on"}  # fmt: skip


# ---------------------------------------------------------------------------------------
# closed periods: late returns are events, July stays as paid, August is adjusted

LATE = """order_id,point_id,issued_on,price_rub,status,returned_on,cancelled_on
L1,A,2020-07-20,1000.00,returned,2020-08-05,
L2,A,2020-07-21,7500.00,returned,2020-09-02,
L3,A,2020-07-22,300.00,cancelled,,2020-07-25
L4,A,2020-08-03,200.00,issued,,
L5,C,2020-07-01,6000.00,returned,2020-08-31,
"""


def test_late_return_is_an_event_and_the_api_equals_the_cli(rapi: Api, tmp_path: Path) -> None:
    issued = LATE
    for day in ("2020-08-05", "2020-09-02", "2020-08-31"):
        issued = issued.replace(f",returned,{day},", ",issued,,")
    assert rapi.post_csv(issued).json()["created"] == 5
    july_paid = [rapi.statement(p, "2020-07").json() for p in "AC"]
    mark = rapi.service.store.last_audit_id()
    r = rapi.post_csv(LATE)
    assert r.json() == {"received": 5, "created": 0, "updated": 3, "unchanged": 2}
    entries = rapi.service.store.audit_entries(after_id=mark)
    events = {e.entity_id: e.detail for e in entries if e.action == "order.status_changed"}
    assert events["L1"]["returned_on"] == [None, "2020-08-05"]
    assert (events["L5"]["before"], events["L5"]["after"]) == ("issued", "returned")
    assert [rapi.statement(p, "2020-07").json() for p in "AC"] == july_paid
    (tmp_path / "points.csv").write_text(POINTS_CSV, encoding="utf-8")
    (tmp_path / "orders.csv").write_text(LATE, encoding="utf-8")
    for month in ("2020-07", "2020-08", "2020-09"):
        out = tmp_path / f"{month}.json"
        code, text = run_cli("rewards", tmp_path / "points.csv", tmp_path / "orders.csv",
                             "--month", month, "-o", out)  # fmt: skip
        assert code == 0, text
        cli = json.loads(out.read_text(encoding="utf-8"))
        assert cli
        for expected in cli:
            assert rapi.statement(expected["point_id"], month).json() == expected
    aug = rapi.statement("A", "2020-08").json()
    # 200.00 * 5 % * 2 = 20.00 ; L1 (1000.00, doubled: 100.00) returned 08-05 -> -80.00
    assert aug["reward_rub"] == "-80.00"
    assert [(a["order_id"], a["event_on"], a["reward_rub"]) for a in aug["adjustments"]] == [
        ("L1", "2020-08-05", "-100.00")
    ]
    assert rapi.statement("A", "2020-09").json()["reward_rub"] == "-500.00"  # 250.00 * 2
    assert rapi.statement("C", "2020-08").json()["reward_rub"] == "-250.00"


def test_clamped_count_is_a_note_not_an_error(rapi: Api) -> None:
    rapi.service.writes.update_point("A", {"closed_days_2020": 15}, actor="test")
    rapi.post_csv(ORDERS_CSV)
    for month in ("2020-10", "2021-03"):  # with lines and a zero statement
        got = rapi.statement("A", month)
        assert got.status_code == 200, got.text
        assert got.json()["notes"] == [
            "closed_days_2020 = 15 clamped to 0: only 0 days of 2020-04-01..2020-05-31 are on "
            "or after the opening day 2020-07-15"
        ]
    assert rapi.statement("A", "2020-10").json()["reward_rub"] == "700.00"  # no extension


EVENT_ROW = {"order_id": "E1", "point_id": "A", "issued_on": "2020-10-16", "price_rub": "10.00",
             "status": "returned", "returned_on": "", "cancelled_on": ""}  # fmt: skip
BAD_EVENTS = [
    ({"returned_on": "soon"}, "returned_on", "not an existing date"),
    ({"returned_on": "2020-10-15"}, "returned_on", "before the issue day 2020-10-16"),
    ({"returned_on": "٢٠٢٠-١٠-١٧"}, "returned_on", "not an existing date"),
    ({"cancelled_on": "２０２０-１０-１７", "status": "cancelled"}, "cancelled_on",
     "not an existing date"),
    ({"status": "issued", "returned_on": "2020-10-17"}, "returned_on", "status is 'issued'"),
    ({"returned_on": "2020-10-17", "cancelled_on": "2020-10-17"}, "cancelled_on", "both"),
]  # fmt: skip


@pytest.mark.parametrize("kind", ["json", "csv"])
@pytest.mark.parametrize(("change", "column", "message"), BAD_EVENTS,
                         ids=[f"{c}:{m}" for _, c, m in BAD_EVENTS])  # fmt: skip
def test_bad_event_day_is_422_naming_the_row(
    rapi: Api, kind: str, change: dict[str, str], column: str, message: str
) -> None:
    rapi.post_csv(ORDERS_CSV)
    before = rapi.state()
    rows = [{**EVENT_ROW, "order_id": "E0"}, {**EVENT_ROW, **change}]
    if kind == "json":
        r = rapi.post_json([{k: v for k, v in row.items() if v != ""} for row in rows])
    else:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(EVENT_ROW), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        r = rapi.post_csv(buf.getvalue())
    body = error(r, 422, "invalid_input")
    assert body["message"].startswith(f"body, строка 2, столбец {column!r}"), body
    assert message in body["message"], body
    assert rapi.state() == before


def test_csv_body_as_russian_excel_saves_it_equals_the_plain_one(rapi: Api) -> None:
    """A ``;`` cp1251 body with decimal-comma prices (as Russian Excel saves "CSV") is read
    like the CLI reads such a file: the same statements as the plain comma body."""
    rapi.post_csv(ORDERS_CSV)
    before = rapi.state()
    russian = ORDERS_CSV.replace(",", ";").replace("4999.99", "4 999,99").replace(".", ",")
    r = rapi.call("POST", "/v1/orders", "admin", content=russian.encode("cp1251"),
                  headers={"Content-Type": "text/csv"})  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 0 and r.json()["updated"] == 0
    r = rapi.call("POST", "/v1/orders", "admin", content=russian.encode("utf-8-sig"),
                  headers={"Content-Type": "text/csv; charset=utf-8"})  # fmt: skip
    assert r.status_code == 200, r.text
    assert rapi.state() == before  # nothing changed: the same lines, to the kopeck
    bad = russian.replace("1000,00", "1,000.00", 1).encode("cp1251")
    r = rapi.call("POST", "/v1/orders", "admin", content=bad,
                  headers={"Content-Type": "text/csv; charset=windows-1251",
                           "Accept-Language": "en"})  # fmt: skip
    body = error(r, 422, "invalid_input")
    assert body["message"].startswith("body, row 1, column 'price_rub'"), body
    assert "ambiguous" in body["message"]
    r = rapi.call("POST", "/v1/orders", "admin", content=bad,
                  headers={"Content-Type": "text/csv; charset=windows-1251"})  # fmt: skip
    assert error(r, 422, "invalid_input")["message"].startswith(
        "body, строка 1, столбец 'price_rub'"
    )
    assert rapi.state() == before
