"""Counts in messages: English and Russian plural forms."""

from __future__ import annotations

import pytest

from api.wording import count, plural

RU = ("кандидат", "кандидата", "кандидатов")


@pytest.mark.parametrize(
    ("n", "want"),
    [(0, "кандидатов"), (1, "кандидат"), (2, "кандидата"), (4, "кандидата"), (5, "кандидатов"),
     (11, "кандидатов"), (12, "кандидатов"), (14, "кандидатов"), (21, "кандидат"),
     (22, "кандидата"), (101, "кандидат"), (111, "кандидатов"), (1_000_002, "кандидата")],
)  # fmt: skip
def test_russian_forms(n: int, want: str) -> None:
    assert plural(n, RU) == want


def test_english_forms() -> None:
    assert count(1, "candidate", "en") == "1 candidate"
    assert count(0, "candidate", "en") == "0 candidates"
    assert count(2_969, "point", "en") == "2,969 points"
    assert count(1, ("zone", "zones"), "en") == "1 zone"
    assert count(3, ("child", "children"), "en") == "3 children"


def test_english_nouns_in_russian() -> None:
    assert count(1, "candidate", "ru") == "1 кандидат"
    assert count(0, "candidate", "ru") == "0 кандидатов"
    assert count(2_969, "point", "ru") == "2\u00a0969 точек"
    assert count(3, ("zone", "zones"), "ru") == "3 зоны"
    assert count(22, RU, "en") == "22 кандидата"  # a Russian triple stays Russian
