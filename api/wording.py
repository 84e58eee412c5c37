"""Counts in messages with the right plural form, in English or Russian.

``count(1, "candidate")`` is ``"1 candidate"``, ``count(2_969, "point")`` is
``"2,969 points"``; ``count(21, ("кандидат", "кандидата", "кандидатов"))`` is
``"21 кандидат"`` (Russian: one form for 1, 21, 101..., one for 2-4, 22-24...,
one for 0, 5-20, 25-30..., 11-14).
"""

from __future__ import annotations

__all__ = ["count", "plural"]


def plural(n: int, forms: str | tuple[str, str] | tuple[str, str, str]) -> str:
    """The form of a noun for ``n``: an English noun (its plural adds ``s``), a pair
    ``(singular, plural)``, or a Russian triple ``(1, 2-4, 5-20)``."""
    if isinstance(forms, str):
        forms = (forms, forms + "s")
    if len(forms) == 2:
        return forms[0] if abs(n) == 1 else forms[1]
    m10, m100 = abs(n) % 10, abs(n) % 100
    if m10 == 1 and m100 != 11:
        return forms[0]
    if 2 <= m10 <= 4 and not 12 <= m100 <= 14:
        return forms[1]
    return forms[2]


def count(n: int, forms: str | tuple[str, str] | tuple[str, str, str]) -> str:
    """``n`` with thousands separators and the noun in its form for ``n``."""
    return f"{n:,} {plural(n, forms)}"
