"""``/docs`` speaks Russian first: the OpenAPI description opens in Russian, English below."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings


def test_docs_russian_first_english_below() -> None:
    client = TestClient(create_app(Settings(database_url="sqlite:///unused.db")))
    desc = client.get("/openapi.json").json()["info"]["description"]
    first = desc.strip().splitlines()[0]
    assert re.search(r"[а-яё]{4}", first) and not re.search(r"\b(the|and)\b", first), first
    assert "X-API-Key" in desc and "500-1000 м" in desc
    ru, en = desc.split("**English.**")
    assert "пункт" in ru and "partner" not in ru.lower().replace("`partner`", "")
    assert "Partner pickup-point network planning" in en
    page = client.get("/docs").text
    assert '<html lang="ru">' in page and "документация API" in page
