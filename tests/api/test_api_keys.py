"""Keys with a lifecycle: listed (never the secret), revoked, refused by every worker within
the key cache's time; ``pvz serve --demo`` seeds keys only into a store without keys."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from apikit import ADMIN, MOSCOW, Api, error, make_service
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api import cli
from api.app import create_app
from api.auth import hash_key
from api.settings import get_settings
from data.store import open_store
from geo.settlements import SettlementLookup
from planning.protection import ProtectionPolicy

CHECK = {"lat": MOSCOW[0], "lon": MOSCOW[1]}


@pytest.fixture
def two_workers(store_url: str, settlements: SettlementLookup) -> Iterator[tuple[Api, Api]]:
    """Two app instances (two workers) on the same store, each with its own key cache."""
    one = make_service(store_url, settlements, key_cache_s=1.0)
    two = make_service(store_url, settlements, key_cache_s=1.0)
    try:
        with (
            TestClient(create_app(one.settings, service=one)) as c1,
            TestClient(create_app(two.settings, service=two)) as c2,
        ):
            a = Api(c1, one, {"acme": "acme"})
            b = Api(c2, two, {})
            b.keys = a.keys
            yield a, b
    finally:
        one.close()
        two.close()


def test_list_keys_shows_no_secret(two_workers: tuple[Api, Api]) -> None:
    a, _ = two_workers
    r = a.call("GET", "/v1/keys", "admin")
    assert r.status_code == 200, r.text
    keys = r.json()
    assert {k["role"] for k in keys} == {"admin", "expansion", "partner"}
    acme = next(k for k in keys if k["role"] == "partner")
    assert acme["partner_id"] == "acme" and acme["revoked_at"] is None and acme["created_at"]
    assert set(acme) == {"key_id", "role", "partner_id", "created_at", "created_by",
                         "last_used_at", "revoked_at"}  # fmt: skip
    for secret in (*a.keys.values(), *(hash_key(t) for t in a.keys.values())):
        assert secret not in r.text
    for who in ("expansion", "acme"):
        error(a.call("GET", "/v1/keys", who), 403, "forbidden")
        error(a.call("DELETE", f"/v1/keys/{acme['key_id']}", who), 403, "forbidden")
    error(a.call("GET", "/v1/keys", None), 401)


def test_last_used_is_recorded(two_workers: tuple[Api, Api]) -> None:
    a, _ = two_workers
    key_id = next(k["key_id"] for k in a.call("GET", "/v1/keys", "admin").json()
                  if k["role"] == "partner")  # fmt: skip
    assert a.call("POST", "/v1/protection/check", "acme", json=CHECK).status_code == 200
    deadline = time.monotonic() + 10
    while True:  # written in the background
        row = next(k for k in a.call("GET", "/v1/keys", "admin").json() if k["key_id"] == key_id)
        if row["last_used_at"] is not None or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert row["last_used_at"] is not None and row["last_used_at"] >= row["created_at"]


def test_a_revoked_key_is_refused_by_every_worker(two_workers: tuple[Api, Api]) -> None:
    a, b = two_workers
    key_id = next(k["key_id"] for k in a.call("GET", "/v1/keys", "admin").json()
                  if k["role"] == "partner")  # fmt: skip
    for api in (a, b):  # both workers know the key: the check takes the fast lane
        for _ in range(2):
            assert api.call("POST", "/v1/protection/check", "acme", json=CHECK).status_code == 200
        assert api.call("GET", "/v1/applications", "acme").status_code == 200
    r = a.call("DELETE", f"/v1/keys/{key_id}", "admin")
    assert r.status_code == 200, r.text
    assert r.json()["revoked_at"] is not None
    # this worker refuses it at once, the other within its key cache's time (1 s; 2 at most)
    error(a.call("POST", "/v1/protection/check", "acme", json=CHECK), 401, "unauthenticated")
    refused_after = None
    start = time.monotonic()
    while time.monotonic() - start < 5:
        if b.call("POST", "/v1/protection/check", "acme", json=CHECK).status_code == 401:
            refused_after = time.monotonic() - start
            break
        time.sleep(0.05)
    assert refused_after is not None
    for api in (a, b):
        r = error(api.call("POST", "/v1/protection/check", "acme", json=CHECK), 401)
        assert "отозван" in r["message"]  # Russian by default
        error(api.call("GET", "/v1/applications", "acme"), 401)
    listed = next(k for k in a.call("GET", "/v1/keys", "admin").json() if k["key_id"] == key_id)
    assert listed["revoked_at"] == r_revoked_at(a, key_id)
    # revoking again changes nothing; an unknown id is 404
    again = a.call("DELETE", f"/v1/keys/{key_id}", "admin").json()
    assert again["revoked_at"] == listed["revoked_at"]
    error(a.call("DELETE", "/v1/keys/k-nope", "admin"), 404, "not_found")
    actions = [e.action for e in a.service.audit_entries(limit=1000)]
    assert actions.count("key.revoked") == 1


def r_revoked_at(api: Api, key_id: str) -> Any:
    return next(k for k in api.service.list_keys() if k.key_id == key_id).revoked_at


def test_the_last_admin_can_revoke_itself_and_is_then_refused(
    two_workers: tuple[Api, Api],
) -> None:
    a, _ = two_workers
    me = next(k["key_id"] for k in a.call("GET", "/v1/keys", "admin").json()
              if k["role"] == "admin")  # fmt: skip
    assert a.call("DELETE", f"/v1/keys/{me}", "admin").status_code == 200
    error(a.call("GET", "/v1/keys", "admin"), 401)
    assert ADMIN  # the bootstrap key stays revoked: bootstrap never re-creates a stored hash


def test_demo_seeds_keys_only_into_a_store_without_keys(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'pvz.db'}"
    cli._load_commands(["serve"])
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: None)
    monkeypatch.setenv("PVZ_DATABASE_URL", url)
    monkeypatch.delenv("PVZ_LANGUAGE", raising=False)  # pvz speaks Russian by default
    get_settings.cache_clear()
    try:
        outs = []
        for _ in range(2):
            res = CliRunner().invoke(cli.app, ["serve", "--demo", "50"])
            assert res.exit_code == 0, res.output
            outs.append(res.output)
    finally:
        get_settings.cache_clear()
    assert outs[0].count("pvz_") == 3 and "показаны только сейчас" in outs[0]
    assert "pvz_" not in outs[1] and "в базе уже 3 ключа" in outs[1]
    # a user who lost the keys is told how to get in, naming the file
    assert "PVZ_BOOTSTRAP_ADMIN_KEY=" in outs[1] and str(tmp_path / "pvz.db") in outs[1]
    store = open_store(url, ProtectionPolicy())
    try:
        assert store.count_keys() == 3 and store.count_points() == 50
    finally:
        store.close()
