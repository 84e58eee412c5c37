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
    assert count(1, "candidate") == "1 candidate"
    assert count(0, "candidate") == "0 candidates"
    assert count(2_969, "point") == "2,969 points"
    assert count(1, ("zone", "zones")) == "1 zone"
    assert count(3, ("child", "children")) == "3 children"
